package mpstest

import (
	"errors"
	"net"
	"net/url"
	"testing"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/mts"
	"github.com/google/go-cmp/cmp"
)

// codeOf is the ServerError code of err, "" for nil, "transport" for a non-server error.
func codeOf(err error) string {
	var se *sdkerrors.ServerError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &se):
		return se.ErrorCode()
	default:
		return "transport"
	}
}

func TestScriptedFaultsHitOnlyTheNamedJobAndRunOut(t *testing.T) {
	tg := newEmulator(t)
	tg.srv.FailNext(ActionQuery, "jobX", 2, Fault{Error: ErrInternalError()})
	c := tg.defaultClient(t)
	var got []string
	for _, id := range []string{"jobX", "jobY", "jobX", "jobX", "jobY"} {
		_, err := queryJob(c, id)
		got = append(got, id+":"+codeOf(err))
	}
	want := []string{"jobX:InternalError", "jobY:", "jobX:InternalError", "jobX:", "jobY:"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	if n := tg.srv.CallCount(ActionQuery, "jobX"); n != 3 {
		t.Errorf("CallCount(jobX) = %d, want 3", n)
	}
}

func TestProbabilisticFaultsAreReproducibleFromTheSeed(t *testing.T) {
	run := func() []string {
		tg := newEmulator(t, WithSeed(42))
		tg.srv.AddFault(FaultRule{Action: ActionQuery, Probability: 0.5, Fault: Fault{Error: ErrServiceUnavailable()}})
		c := tg.defaultClient(t)
		var codes []string
		for range 40 {
			_, err := queryJob(c, "j")
			codes = append(codes, codeOf(err))
		}
		return codes
	}
	first, second := run(), run()
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("two runs with one seed differ (-first +second):\n%s", diff)
	}
	failed := 0
	for _, c := range first {
		if c == CodeServiceUnavailable {
			failed++
		}
	}
	if failed == 0 || failed == len(first) {
		t.Errorf("%d of %d calls failed, want some but not all", failed, len(first))
	}
}

func TestADroppedConnectionIsATransportErrorNotAServerError(t *testing.T) {
	tg := newEmulator(t)
	tg.srv.FailNext(ActionQuery, "", 1, Fault{Drop: true})
	_, err := queryJob(tg.defaultClient(t), "j")
	var ue *url.Error
	var se *sdkerrors.ServerError
	if !errors.As(err, &ue) || errors.As(err, &se) {
		t.Fatalf("error = %v, want a *url.Error", err)
	}
	if calls := tg.srv.Calls(); len(calls) != 1 || !calls[0].Dropped {
		t.Errorf("calls = %+v, want one dropped", calls)
	}
}

// A slow answer outlasts the client's read timeout (a one-minute delay against a 200 ms
// timeout: no race between the two to lose on a loaded machine).
func TestASlowAnswerTripsTheClientTimeout(t *testing.T) {
	tg := newEmulator(t)
	tg.srv.FailNext(ActionQuery, "", 1, Fault{Delay: time.Minute})
	c := tg.defaultClient(t)
	c.SetReadTimeout(200 * time.Millisecond)
	_, err := queryJob(c, "j")
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("error = %v, want a timeout", err)
	}
}

func TestTheQuotaCountsSecondsOfTheInjectedClock(t *testing.T) {
	tg := newEmulator(t, WithQPS(ActionQuery, 3))
	c := tg.defaultClient(t)
	var got []string
	for _, step := range []time.Duration{0, 0, 0, 0, 999 * time.Millisecond, time.Millisecond, 0, 0, 0} {
		tg.clk.Advance(step)
		_, err := queryJob(c, "j")
		got = append(got, codeOf(err))
	}
	want := []string{"", "", "", CodeThrottlingUser, CodeThrottlingUser, "", "", "", CodeThrottlingUser}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	perSecond := tg.srv.CallsPerSecond(ActionQuery)
	wantPer := map[int64]int{epoch.Unix(): 5, epoch.Unix() + 1: 4}
	if diff := cmp.Diff(wantPer, perSecond); diff != "" {
		t.Errorf("CallsPerSecond (-want +got):\n%s", diff)
	}
}

func TestTheDefaultQuotaIsAHundredQueriesPerSecond(t *testing.T) {
	tg := newEmulator(t)
	c := tg.defaultClient(t)
	for i := range 100 {
		if _, err := queryJob(c, "j"); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	if _, err := queryJob(c, "j"); codeOf(err) != CodeThrottlingUser {
		t.Errorf("call 101: %v, want %s", err, CodeThrottlingUser)
	}
}

func TestARawBodyFaultIsAnsweredAsIs(t *testing.T) {
	tg := newEmulator(t)
	tg.srv.FailNext(ActionQuery, "", 1, Fault{RawStatus: 502, RawBody: []byte("<html>bad gateway</html>")})
	r := mts.CreateQueryIProductionJobRequest()
	r.JobId = "j"
	_, err := tg.defaultClient(t).QueryIProductionJob(r)
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) || se.HttpStatus() != 502 || se.Message() != "<html>bad gateway</html>" {
		t.Errorf("err = %v, want a 502 ServerError whose message is the raw body", err)
	}
}
