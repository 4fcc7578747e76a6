package mpstest

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// queryResponse is QueryIProductionJob's body, fields in the documented example's order.
// UserData is JSON null when the job was submitted without it.
type queryResponse struct {
	FunctionName string  `json:"FunctionName"`
	Input        string  `json:"Input"`
	RequestID    string  `json:"RequestId"`
	UserData     *string `json:"UserData"`
	State        string  `json:"State"`
	Output       string  `json:"Output"`
	PipelineID   string  `json:"PipelineId"`
	JobParams    string  `json:"JobParams"`
	JobID        string  `json:"JobId"`
	Result       any     `json:"Result"` // a string, or the envelope itself (WithResultForm)
}

// resultEnvelope is the JSON document carried as the Result string; Data is itself a JSON
// string, so the wire form is double encoded.
type resultEnvelope struct {
	Code    string `json:"Code"`
	Data    string `json:"Data"`
	Message string `json:"Message"`
}

// query answers QueryIProductionJob at now. Result is empty until the job ends (the cloud's
// value for running jobs is not documented).
func (s *Server) query(ps params, now time.Time) (any, *APIError) {
	id, given := ps.lookup("JobId")
	s.mu.Lock()
	defer s.mu.Unlock()
	rid := s.newRequestID()
	j, ok := s.jobs[id]
	if !ok {
		if s.cfg.unknownJob == UnknownJobNotFound {
			return nil, errJobNotFound()
		}
		if !given {
			return struct {
				RequestID string `json:"RequestId"`
			}{rid}, nil
		}
		return struct {
			RequestID string `json:"RequestId"`
			JobID     string `json:"JobId"`
		}{rid, id}, nil
	}
	state := j.stateAt(now)
	resp := queryResponse{
		FunctionName: j.params.FunctionName, Input: j.params.Input, RequestID: rid,
		UserData: optional(j.params.UserData), State: state, Output: j.params.Output,
		PipelineID: j.params.PipelineID, JobParams: j.params.JobParams, JobID: j.id,
	}
	resp.Result = ""
	if state == StateSuccess || state == StateFail {
		env := resultEnvelope{j.result.Code, j.result.Data, j.result.Message}
		resp.Result = string(mustJSON(env))
		if s.cfg.resultForm == ResultObject {
			resp.Result = env
		}
	}
	return resp, nil
}

// submit answers SubmitIProductionJob: the job starts Queuing at now with the default script.
func (s *Server) submit(ps params, now time.Time) (submitResponse, *APIError) {
	p := SubmitParams{
		FunctionName: ps.get("FunctionName"), Input: ps.get("Input"), Output: ps.get("Output"),
		JobParams: ps.get("JobParams"), UserData: ps.get("UserData"), PipelineID: ps.get("PipelineId"),
		NotifyURL: ps.get("NotifyUrl"), ModelID: ps.get("ModelId"), ScheduleParams: ps.get("ScheduleParams"),
	}
	if p.FunctionName == "" {
		return submitResponse{}, errMissing("FunctionName")
	}
	var target *notifyTarget
	if p.NotifyURL != "" {
		t, err := parseNotifyURL(p.NotifyURL)
		if err != nil {
			return submitResponse{}, errInvalidParameter("NotifyUrl")
		}
		target = &t
	}
	s.mu.Lock()
	scriptFor := s.defaultScript
	s.mu.Unlock()
	sc := scriptFor(p) // outside the lock: the test's function may call the test API
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.newJobID()
	s.addJob(id, p, sc, now, target)
	return submitResponse{s.newRequestID(), id}, nil
}

// submitResponse is SubmitIProductionJob's body. The documented example also has a Result
// (the callback envelope with State Success), which cannot be true of a job just queued; it is
// left out.
type submitResponse struct {
	RequestID string `json:"RequestId"`
	JobID     string `json:"JobId"`
}

// errorBody is the gateway's error shape; every value a string (a number panics the SDK).
type errorBody struct {
	RequestID string `json:"RequestId"`
	HostID    string `json:"HostId"`
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	Recommend string `json:"Recommend"`
}

func (s *Server) answerError(w http.ResponseWriter, c *Call, e *APIError) {
	s.mu.Lock()
	rid := s.newRequestID()
	s.mu.Unlock()
	c.Code = e.Code
	s.answer(w, c, e.Status, errorBody{
		RequestID: rid, HostID: s.hostID(), Code: e.Code, Message: e.Message,
		Recommend: "https://api.aliyun.com/troubleshoot?q=" + e.Code + "&product=Mts",
	})
}

func (s *Server) answer(w http.ResponseWriter, c *Call, status int, body any) {
	b := mustJSON(body)
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b) // the client may be gone; nothing to do about it
	c.Status = status
}

func (s *Server) hostID() string { return "mts." + s.cfg.region + ".aliyuncs.com" }

// newRequestID is an upper-case UUID from the seeded source. Called with s.mu held.
func (s *Server) newRequestID() string {
	a, b := s.rng.Uint64(), s.rng.Uint64()
	return fmt.Sprintf("%08X-%04X-%04X-%04X-%012X", a>>32, a>>16&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}
