package parse_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"iprodwatch/parse"
	"iprodwatch/parse/parsetest"
)

// FuzzDecodeJob: any input gives a job or a typed error, never a panic; a final job always gives an
// event that encodes and follows the schema; a running one always gives a timed-out event that does.
func FuzzDecodeJob(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/mps/*/*.json")
	for _, s := range seeds {
		f.Add(mustRead(f, s))
	}
	v, err := parsetest.NewValidator()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		job, err := parse.DecodeJob(body)
		if err != nil {
			var noSuchJob *parse.NoSuchJobError
			var unknownState *parse.UnknownStateError
			if !errors.Is(err, parse.ErrMalformed) && !errors.Is(err, parse.ErrInvalidJobID) &&
				!errors.As(err, &noSuchJob) && !errors.As(err, &unknownState) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			if job != nil {
				t.Fatalf("job %+v returned with error %v", job, err)
			}
			return
		}
		var e *parse.Event
		if job.State.Final() {
			e, err = parse.NewEvent(job, fixedParams())
		} else {
			e, err = parse.NewTimedOutEvent(job.JobID, job, fixedParams())
		}
		if err != nil {
			t.Fatalf("event for a decoded %s job: %v", job.State, err)
		}
		b, err := parse.EncodeEvent(e, "")
		if err != nil {
			t.Fatalf("EncodeEvent: %v", err)
		}
		if !json.Valid(b) {
			t.Fatalf("event is not JSON: %s", b)
		}
		if err := v.Validate(b); err != nil {
			t.Fatalf("event does not follow the schema: %v\n%s", err, b)
		}
	})
}

// FuzzAlgorithmData feeds any JSON as Data to every algorithm's parser: the event is always built,
// encodes, and follows the schema (a shape a parser cannot read becomes resultError, not a failure).
func FuzzAlgorithmData(f *testing.F) {
	algorithms := append(parse.Algorithms(), "FaceBeauty")
	seeds, _ := filepath.Glob("../testdata/mps/*/*.json")
	for _, s := range seeds {
		if job, err := parse.DecodeJob(mustRead(f, s)); err == nil && job.Result != nil && job.Result.Data != nil {
			for i := range algorithms {
				f.Add(uint8(i), []byte(job.Result.Data))
			}
		}
	}
	v, err := parsetest.NewValidator()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, algorithm uint8, data []byte) {
		if !json.Valid(data) {
			return // DecodeJob only ever hands parsers valid JSON
		}
		job := &parse.Job{
			JobID:        "88c6ca184c0e432bbf5b665e2a15abcd",
			FunctionName: algorithms[int(algorithm)%len(algorithms)],
			State:        parse.StateSuccess,
			Output:       "oss://media.oss-cn-shanghai.aliyuncs.com/out/{source}.mp4",
			Result:       &parse.Result{Code: "Success", Data: data},
		}
		e, err := parse.NewEvent(job, fixedParams())
		if err != nil {
			t.Fatalf("NewEvent(%s): %v", job.FunctionName, err)
		}
		b, err := parse.EncodeEvent(e, "")
		if err != nil {
			t.Fatalf("EncodeEvent: %v", err)
		}
		if err := v.Validate(b); err != nil {
			t.Fatalf("event does not follow the schema: %v\n%s", err, b)
		}
	})
}

// FuzzDecodeTrigger: any payload gives a trigger or ErrUnknownTrigger, never a panic; every message
// either carries a valid job id or an error a dead-letter reason can be written from.
func FuzzDecodeTrigger(f *testing.F) {
	for _, pattern := range []string{"../testdata/triggers/*", "../testdata/checks/*"} {
		seeds, _ := filepath.Glob(pattern)
		for _, s := range seeds {
			f.Add(mustRead(f, s))
		}
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		tr, err := parse.DecodeTrigger(payload)
		if err != nil {
			if !errors.Is(err, parse.ErrUnknownTrigger) || tr != nil {
				t.Fatalf("DecodeTrigger = %+v, %v", tr, err)
			}
			return
		}
		if tr.Kind == parse.TriggerTimer {
			if tr.Timer == nil {
				t.Fatal("timer trigger without its event")
			}
			return
		}
		if len(tr.Messages) == 0 {
			t.Fatalf("%s trigger with no messages", tr.Kind)
		}
		for _, m := range tr.Messages {
			switch {
			case m.Err != nil:
				if !errors.Is(m.Err, parse.ErrBadMessage) && !errors.Is(m.Err, parse.ErrInvalidJobID) {
					t.Fatalf("untyped message error %T: %v", m.Err, m.Err)
				}
			case parse.ValidateJobID(m.Request.Check.JobID) != nil:
				t.Fatalf("accepted message with job id %q", m.Request.Check.JobID)
			case m.Request.Check.Attempt < 1:
				t.Fatalf("accepted message with attempt %d", m.Request.Check.Attempt)
			}
		}
	})
}
