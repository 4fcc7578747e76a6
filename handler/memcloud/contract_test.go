package memcloud_test

import (
	"fmt"
	"testing"
	"time"

	"iprodwatch/handler"
	"iprodwatch/handler/clock"
	"iprodwatch/handler/memcloud"
	"iprodwatch/handler/porttest"
	"iprodwatch/parse"
)

// The fake holds to the same contract as the SDK adapters.

func TestJobsContract(t *testing.T)   { porttest.RunJobsTests(t, fake) }
func TestQueuesContract(t *testing.T) { porttest.RunQueuesTests(t, fake) }
func TestTopicsContract(t *testing.T) { porttest.RunTopicsTests(t, fake) }

type world struct {
	c   *memcloud.Cloud
	clk *clock.Manual
}

func fake(*testing.T) porttest.World {
	clk := clock.NewManual(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	c := memcloud.New(clk)
	c.CreateQueue(porttest.Queue, memcloud.QueueConfig{Retention: porttest.Retention, Visibility: porttest.Visibility})
	c.CreateQueue(porttest.SmallQueue, memcloud.QueueConfig{Retention: porttest.Retention, Visibility: porttest.Visibility, MaxMessage: porttest.SmallMessage})
	c.CreateTopic(porttest.Topic)
	return &world{c: c, clk: clk}
}

func (w *world) Clients(*testing.T) *handler.Clients { return w.c.Clients() }
func (w *world) Refused(*testing.T) *handler.Clients { return w.c.Refused() }

func (w *world) AddJob(_ *testing.T, id, algorithm string, final bool) {
	state := parse.StateAnalysing
	if final {
		state = parse.StateSuccess
	}
	w.c.SetJob(id, algorithm, state)
}

func (w *world) FailNextQuery(_ *testing.T, id string, f porttest.Fault) {
	err := map[porttest.Fault]error{
		porttest.Throttled:        fmt.Errorf("%w: Throttling", handler.ErrThrottled),
		porttest.Unavailable:      fmt.Errorf("%w: 503 ServiceUnavailable", handler.ErrTransient),
		porttest.GatewayPage:      fmt.Errorf("%w: 502 without an API error body", handler.ErrGarbled),
		porttest.GatewayThrottled: fmt.Errorf("%w: 429 without an API error body", handler.ErrThrottled),
		porttest.ThrottledUser:    fmt.Errorf("%w: 400 Throttling.User", handler.ErrThrottled),
	}[f]
	w.c.FailNext(id, err)
}

func (w *world) Advance(d time.Duration) { w.clk.Advance(d) }

func (w *world) Published(_ *testing.T, topic string) []porttest.Published {
	var out []porttest.Published
	for _, m := range w.c.Published(topic) {
		out = append(out, porttest.Published{Body: string(m.Body), Tag: m.Tag})
	}
	return out
}
