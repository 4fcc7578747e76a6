package handlertest

import (
	"context"
	"slices"
	"sync"
	"time"

	"iprodwatch/handler"
	"iprodwatch/handler/clock"
)

// virtual lets the handler wait on a manual clock. On a wall clock time passes for everyone at
// once; on a manual one, a waiter must move the clock itself, and moving it carelessly would carry
// queries granted earlier past their instant (crowding them into a later second of the emulator's
// quota). So waiters wake in the order of their instants, and the clock moves only when no granted
// query is still on its way.
type virtual struct {
	clock   *clock.Manual
	mu      sync.Mutex
	cond    *sync.Cond
	waiting []time.Time // instants waited for, one per waiter
	busy    int         // queries granted and not yet answered
}

func newVirtual(m *clock.Manual) *virtual {
	v := &virtual{clock: m}
	v.cond = sync.NewCond(&v.mu)
	return v
}

// sleep takes the query's turn and waits until the clock reads it, moving the clock there when this
// waiter is the earliest and nothing is in flight. The turn is taken under the scheduler's lock, so
// no other waiter moves time between reading now and reserving the turn. Every wait precedes exactly
// one query (the handler waits only for its query budget), which virtualJobs reports done.
func (v *virtual) sleep(ctx context.Context, grant func(now time.Time) time.Time) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	until := grant(v.clock.Now())
	v.waiting = append(v.waiting, until)
	defer func() {
		v.waiting = slices.Delete(v.waiting, slices.Index(v.waiting, until), slices.Index(v.waiting, until)+1)
		v.cond.Broadcast()
	}()
	for v.clock.Now().Before(until) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if v.busy == 0 && !slices.ContainsFunc(v.waiting, func(t time.Time) bool { return t.Before(until) }) {
			v.clock.AdvanceTo(until)
			break
		}
		v.cond.Wait()
	}
	v.busy++
	return nil
}

func (v *virtual) done() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.busy--
	v.cond.Broadcast()
}

// virtualJobs reports each query's answer to the scheduler.
type virtualJobs struct {
	handler.Jobs
	v *virtual
}

func (j virtualJobs) QueryJob(ctx context.Context, id string) ([]byte, error) {
	defer j.v.done()
	return j.Jobs.QueryJob(ctx, id)
}
