package mnstest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"iprodwatch/handler/clock"
)

// Issue 15: no request was ever throttled. Over a threshold the service answers 429
// TooManyRequests (throttle.go); the thresholds count per second of the injected clock, batches
// by their messages, management operations apart.
func TestThrottlingAnswersTooManyRequestsPerSecondOfTheClock(t *testing.T) {
	type step struct {
		advance        time.Duration // of the clock, before the request
		method, target string
		body           string
	}
	send := step{method: "POST", target: "/queues/q/messages", body: `<?xml version="1.0" encoding="UTF-8"?><Message xmlns="http://mns.aliyuncs.com/doc/v1/"><MessageBody>x</MessageBody></Message>`}
	batch := func(n int) step {
		return step{method: "POST", target: "/queues/q/messages", body: `<?xml version="1.0" encoding="UTF-8"?><Messages xmlns="http://mns.aliyuncs.com/doc/v1/">` +
			strings.Repeat(`<Message><MessageBody>x</MessageBody></Message>`, n) + `</Messages>`}
	}
	get := step{method: "GET", target: "/queues/q"}
	later := func(s step) step { s.advance = time.Second; return s }
	tests := []struct {
		name     string
		throttle Throttle
		steps    []step
		want     []int
	}{
		{"a queue over its threshold is throttled until the next second", Throttle{QueueTPS: 3},
			[]step{send, send, send, send, later(send)}, []int{201, 201, 201, 429, 201}},
		{"a batch counts its messages", Throttle{AccountTPS: 5},
			[]step{batch(4), batch(2), send, later(batch(5))}, []int{201, 429, 201, 201}},
		{"management counts apart from data", Throttle{MetadataQPS: 2, QueueTPS: 1},
			[]step{get, get, get, send, send}, []int{200, 200, 429, 201, 429}},
		{"a negative threshold is no limit", Throttle{QueueTPS: -1, AccountTPS: -1},
			[]step{batch(16), batch(16), batch(16), batch(16)}, []int{201, 201, 201, 201}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clock.NewManual(t0)
			tt.throttle.Hold = -1
			s := NewServer(WithCredential(testID, testSecret), WithClock(clk), WithThrottle(tt.throttle))
			t.Cleanup(s.Close)
			if err := s.CreateQueue("q", QueueAttributes{}); err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, st := range tt.steps {
				clk.Advance(st.advance)
				status, body := rawDo(t, s, st.method, st.target, st.body, "text/xml")
				if status == 429 && !strings.Contains(body, "<Code>TooManyRequests</Code>") {
					t.Errorf("429 body %s, want the TooManyRequests error", body)
				}
				got = append(got, status)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
		})
	}
}

// The service's own thresholds are the default: 200 management operations a second.
func TestTheDefaultThrottleIsTheServices(t *testing.T) {
	s := NewServer(WithCredential(testID, testSecret), WithClock(clock.NewManual(t0)), WithThrottle(Throttle{Hold: -1}))
	t.Cleanup(s.Close)
	if err := s.CreateQueue("q", QueueAttributes{}); err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for i := range 201 {
		if status, _ := rawDo(t, s, "GET", "/queues/q", "", "text/xml"); status != 200 {
			statuses = append(statuses, fmt.Sprintf("%d:%d", i, status))
		}
	}
	if diff := cmp.Diff([]string{"200:429"}, statuses); diff != "" {
		t.Errorf("refused (-want +got):\n%s", diff)
	}
}
