package mpstest

import (
	"errors"
	"fmt"
	"time"
)

// Job states exactly as MPS spells them.
const (
	StateQueuing   = "Queuing"
	StateAnalysing = "Analysing"
	StateSuccess   = "Success"
	StateFail      = "Fail"
)

// ErrUnknownJob is returned by the test API for a job id the emulator does not hold.
var ErrUnknownJob = errors.New("mpstest: unknown job")

// SubmitParams are the SubmitIProductionJob parameters a job keeps and echoes in queries.
type SubmitParams struct {
	FunctionName   string
	Input          string
	Output         string
	JobParams      string
	UserData       string // empty means not given: queries answer JSON null
	PipelineID     string // empty: the account's default pipeline
	NotifyURL      string
	ModelID        string
	ScheduleParams string
}

// Result is a job's Result envelope. Data is JSON text; on the wire it is a JSON string inside
// the Result JSON string (double encoding), as the cloud sends it.
type Result struct {
	Code    string
	Message string
	Data    string
}

// Script is a job's lifecycle, as offsets from its submit time on the injected clock:
// Queuing until Analysing, Analysing until Done, then Final with Result.
type Script struct {
	Analysing time.Duration
	Done      time.Duration
	Final     string  // StateSuccess (also when empty) or StateFail
	Result    *Result // nil: DefaultResult on success, DefaultFailure on failure
	Never     bool    // the job never ends: Analysing forever after Analysing
}

// Job is a job to seed with SeedJob.
type Job struct {
	ID          string
	Params      SubmitParams
	Script      Script
	SubmittedAt time.Time // zero: the injected clock's now
}

// job is the emulator's record of one job.
type job struct {
	id          string
	seq         int
	params      SubmitParams
	script      Script
	submittedAt time.Time
	result      Result // resolved at creation so queries and notifications agree
	notify      *notifyTarget
	notified    bool // delivered, or not to be delivered
	inFlight    bool
}

// stateAt is the job's state at t.
func (j *job) stateAt(t time.Time) string {
	elapsed := t.Sub(j.submittedAt)
	switch {
	case !j.script.Never && elapsed >= j.script.Done:
		return j.finalState()
	case elapsed < j.script.Analysing:
		return StateQueuing
	default:
		return StateAnalysing
	}
}

func (j *job) finalState() string {
	if j.script.Final == StateFail {
		return StateFail
	}
	return StateSuccess
}

// endsAt is when the job ends; ok is false for a job that never does.
func (j *job) endsAt() (time.Time, bool) {
	if j.script.Never {
		return time.Time{}, false
	}
	return j.submittedAt.Add(j.script.Done), true
}

// SeedJob creates a job as if it had been submitted, e.g. one the handler is asked to watch.
// A NotifyURL in the params must be a valid MNS queue URL.
func (s *Server) SeedJob(j Job) error {
	var target *notifyTarget
	if j.Params.NotifyURL != "" {
		t, err := parseNotifyURL(j.Params.NotifyURL)
		if err != nil {
			return fmt.Errorf("mpstest: seed job %s: %w", j.ID, err)
		}
		target = &t
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	at := j.SubmittedAt
	if at.IsZero() {
		at = s.cfg.clock.Now()
	}
	id := j.ID
	if id == "" {
		id = s.newJobID()
	}
	s.addJob(id, j.Params, j.Script, at, target)
	return nil
}

// SetScript replaces the lifecycle of a job (seeded or submitted). Its submit time stays.
func (s *Server) SetScript(id string, sc Script) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownJob, id)
	}
	j.script = sc
	j.result = resolveResult(j.id, j.params, sc, j.submittedAt)
	return nil
}

// JobState reports a job's state at the injected clock's now.
func (s *Server) JobState(id string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	if !ok {
		return "", fmt.Errorf("%w: %s", ErrUnknownJob, id)
	}
	return j.stateAt(s.cfg.clock.Now()), nil
}

// JobIDs lists the jobs in creation order.
func (s *Server) JobIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.jobOrder...)
}

// SetDefaultScript sets the lifecycle given to jobs created through SubmitIProductionJob; nil
// restores DefaultScript.
func (s *Server) SetDefaultScript(fn func(SubmitParams) Script) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fn == nil {
		fn = DefaultScript
	}
	s.defaultScript = fn
}

// addJob stores a job. Called with s.mu held.
func (s *Server) addJob(id string, p SubmitParams, sc Script, at time.Time, target *notifyTarget) *job {
	if p.PipelineID == "" {
		p.PipelineID = s.defaultPipeline
	}
	if _, exists := s.jobs[id]; !exists {
		s.jobOrder = append(s.jobOrder, id)
	}
	s.jobSeq++
	j := &job{id: id, seq: s.jobSeq, params: p, script: sc, submittedAt: at, notify: target}
	j.result = resolveResult(id, p, sc, at)
	s.jobs[id] = j
	if target != nil {
		s.unnotified[id] = j
	} else {
		delete(s.unnotified, id)
	}
	return j
}

// newJobID returns 32 lower-case hex characters from the seeded source. Called with s.mu held.
func (s *Server) newJobID() string {
	for {
		id := fmt.Sprintf("%016x%016x", s.rng.Uint64(), s.rng.Uint64())
		if _, taken := s.jobs[id]; !taken {
			return id
		}
	}
}

func resolveResult(id string, p SubmitParams, sc Script, at time.Time) Result {
	switch {
	case sc.Result != nil:
		return *sc.Result
	case sc.Final == StateFail:
		return DefaultFailure()
	default:
		return DefaultResult(id, p, at)
	}
}
