package handler_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"iprodwatch/handler"
	"iprodwatch/handler/handlertest"
	"iprodwatch/handler/mpstest"
)

// pendingBatch seeds n running jobs and returns a direct batch that checks them all.
func pendingBatch(e *env, n int) []byte {
	var parts []string
	for i := range n {
		id := fmt.Sprintf("%032x", i+1)
		e.seed(id, "VideoClip", mpstest.Script{Analysing: time.Second, Done: time.Hour}, false)
		parts = append(parts, `{"JobId":"`+id+`"}`)
	}
	return []byte("[" + strings.Join(parts, ",") + "]")
}

func TestTheQueryBudgetHoldsInEverySecondOfTheClock(t *testing.T) {
	e := newEnv(t, handlertest.Options{Env: map[string]string{"IPRODWATCH_QPS": "5", "IPRODWATCH_CONCURRENCY": "16"}})
	if _, err := e.h.Handle(context.Background(), pendingBatch(e, 40)); err != nil {
		t.Fatal(err)
	}
	perSecond := e.w.MPS.CallsPerSecond(mpstest.ActionQuery)
	total := 0
	for sec, n := range perSecond {
		total += n
		if n > 5 {
			t.Errorf("second %d saw %d queries, over the budget of 5", sec, n)
		}
	}
	if total != 40 {
		t.Errorf("%d queries, want one per job (40)", total)
	}
}

func TestThrottlingFromTheAccountQuotaSlowsTheInstanceAndLosesNoJob(t *testing.T) {
	// The account's quota is lower than this instance believes (other instances use it too).
	e := newEnv(t, handlertest.Options{
		Env: map[string]string{"IPRODWATCH_QPS": "20", "IPRODWATCH_CONCURRENCY": "16"},
		MPS: []mpstest.Option{mpstest.WithQPS(mpstest.ActionQuery, 4)},
	})
	out, err := e.h.Handle(context.Background(), pendingBatch(e, 40))
	if err != nil {
		t.Fatal(err)
	}
	s := decodeSummary(t, out)
	if s.Requeued+s.Retried != 40 || s.Throttled == 0 || s.Retried != s.Throttled {
		t.Errorf("summary %+v: want every job re-queued (throttled ones with a backoff)", s)
	}
	// After the first throttled answers the instance slows: the later seconds see fewer refusals.
	if s.Throttled >= 40-4 {
		t.Errorf("%d of 40 queries throttled: the instance did not slow down", s.Throttled)
	}
}

func TestShippedDefaultsStayUnderTheAccountQuota(t *testing.T) {
	cfg, err := handler.LoadConfig(func(k string) string {
		return map[string]string{"IPRODWATCH_REGION": "cn-shanghai", "IPRODWATCH_ACCOUNT_ID": "1", "IPRODWATCH_CHECK_QUEUE": "c",
			"IPRODWATCH_EVENT_TOPIC": "e", "IPRODWATCH_DLQ_QUEUE": "d"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.QPS * handler.DefaultReservedConcurrency; got > handler.QueryQuota {
		t.Errorf("default QPS %v times the default reserved concurrency %d is %v, over the quota of %d",
			cfg.QPS, handler.DefaultReservedConcurrency, got, handler.QueryQuota)
	}
}
