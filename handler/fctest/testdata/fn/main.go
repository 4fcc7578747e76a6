// Command fn is the function the fctest tests run through the emulator: a real fc-runtime-go-sdk
// program whose behaviour each invocation chooses with its payload.
//
// A JSON object {"mode": ...} selects:
//
//	echo      return the payload unchanged
//	error     return errors.New(message)
//	panic     panic(message)
//	sleep     ignore the context and sleep sleepMs (default ten minutes) before answering
//	context   return what fccontext, ctx.Deadline and the FC_* variables hold
//	exit      os.Exit(code)
//	hold      sleep holdMs and report how many invocations were running at once
//	failuntil fail while fccontext.RetryCount < retries, then succeed
//	meet      wait (at most holdMs) until `count` invocations have run at once, report the peak
//
// Anything that is not such an object (a raw MNS STREAM body, say) comes back as {"raw": ...}.
// With FNTEST_UNSET_RUNTIME_API=1 the program drops FC_RUNTIME_API before fc.Start, to exercise
// the SDK's own start-up failure.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/fc"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
)

type request struct {
	Mode    string `json:"mode"`
	Message string `json:"message"`
	SleepMs int    `json:"sleepMs"`
	HoldMs  int    `json:"holdMs"`
	Code    int    `json:"code"`
	Retries int    `json:"retries"`
	Count   int    `json:"count"`
}

// contextReport is what mode "context" returns.
type contextReport struct {
	RequestID       string            `json:"requestId"`
	AccessKeyID     string            `json:"accessKeyId"`
	AccessKeySecret string            `json:"accessKeySecret"`
	SecurityToken   string            `json:"securityToken"`
	FunctionName    string            `json:"functionName"`
	Handler         string            `json:"handler"`
	Memory          string            `json:"memory"`
	Timeout         int               `json:"timeout"`
	Region          string            `json:"region"`
	AccountID       string            `json:"accountId"`
	Qualifier       string            `json:"qualifier"`
	RetryCount      int               `json:"retryCount"`
	DeadlineMs      int64             `json:"deadlineMs"`
	Env             map[string]string `json:"env"`
}

// envReported are the variables mode "context" copies out.
var envReported = []string{
	"FC_RUNTIME_API", "FC_REGION", "FC_ACCOUNT_ID", "FC_FUNCTION_NAME", "FC_FUNCTION_MEMORY_SIZE",
	"FC_FUNCTION_HANDLER", "FC_INSTANCE_ID", "ALIBABA_CLOUD_ACCESS_KEY_ID",
	"ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN", "FNTEST_USER",
}

// overlap counts invocations running at once, for modes "hold" and "meet".
type overlap struct {
	mu     sync.Mutex
	active int
	peak   int
}

// meet waits until n invocations have been active at once or limit has passed; the limit is only
// a hang guard.
func (o *overlap) meet(n int, limit time.Duration) {
	end := time.Now().Add(limit)
	for time.Now().Before(end) {
		o.mu.Lock()
		ok := o.peak >= n
		o.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func (o *overlap) enter() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.active++
	o.peak = max(o.peak, o.active)
}

func (o *overlap) leave() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.active--
	return o.peak
}

func main() {
	if os.Getenv("FNTEST_UNSET_RUNTIME_API") == "1" {
		os.Unsetenv("FC_RUNTIME_API")
	}
	o := &overlap{}
	fc.Start(func(ctx context.Context, payload []byte) (json.RawMessage, error) {
		return handle(ctx, o, payload)
	})
}

func handle(ctx context.Context, o *overlap, payload []byte) (json.RawMessage, error) {
	var req request
	if err := json.Unmarshal(payload, &req); err != nil || req.Mode == "" {
		return json.Marshal(map[string]string{"raw": string(payload)})
	}
	switch req.Mode {
	case "echo":
		return json.RawMessage(payload), nil
	case "error":
		return nil, errors.New(req.Message)
	case "panic":
		panic(req.Message)
	case "sleep":
		d := time.Duration(req.SleepMs) * time.Millisecond
		if d == 0 {
			d = 10 * time.Minute
		}
		time.Sleep(d)
		return json.RawMessage(`{"slept":true}`), nil
	case "context":
		return reportContext(ctx)
	case "exit":
		fmt.Println("fn: exiting on request")
		os.Exit(req.Code)
	case "hold":
		o.enter()
		time.Sleep(time.Duration(req.HoldMs) * time.Millisecond)
		return json.Marshal(map[string]int{"peak": o.leave()})
	case "meet":
		o.enter()
		o.meet(req.Count, time.Duration(req.HoldMs)*time.Millisecond)
		return json.Marshal(map[string]int{"peak": o.leave()})
	case "failuntil":
		fctx, _ := fccontext.FromContext(ctx)
		if fctx.RetryCount < req.Retries {
			return nil, fmt.Errorf("attempt %d of %d fails", fctx.RetryCount, req.Retries)
		}
		return json.Marshal(map[string]int{"succeededAt": fctx.RetryCount})
	}
	return nil, fmt.Errorf("unknown mode %q", req.Mode)
}

func reportContext(ctx context.Context) (json.RawMessage, error) {
	fctx, ok := fccontext.FromContext(ctx)
	if !ok {
		return nil, errors.New("no fccontext")
	}
	r := contextReport{
		RequestID:       fctx.RequestID,
		AccessKeyID:     fctx.Credentials.AccessKeyId,
		AccessKeySecret: fctx.Credentials.AccessKeySecret,
		SecurityToken:   fctx.Credentials.SecurityToken,
		FunctionName:    fctx.Function.Name,
		Handler:         fctx.Function.Handler,
		Memory:          fctx.Function.Memory,
		Timeout:         fctx.Function.Timeout,
		Region:          fctx.Region,
		AccountID:       fctx.AccountId,
		Qualifier:       fctx.Service.Qualifier,
		RetryCount:      fctx.RetryCount,
		Env:             map[string]string{},
	}
	if d, ok := ctx.Deadline(); ok {
		r.DeadlineMs = d.UnixMilli()
	}
	for _, k := range envReported {
		if v, ok := os.LookupEnv(k); ok {
			r.Env[k] = v
		}
	}
	return json.Marshal(r)
}
