// Package fctest emulates the Function Compute 3.0 go1 runtime around a real function binary, in
// the style of net/http/httptest: NewServer starts the runtime API on 127.0.0.1:0 (URL, Addr,
// Close, Handler), Start execs the compiled function with FC_RUNTIME_API pointing at it, and
// Invoke, InvokeAsync and Target play the invoker. What runs is the binary FC would run, with
// github.com/aliyun/fc-runtime-go-sdk v0.3.1 inside it speaking real HTTP.
//
//	srv := fctest.NewServer(fctest.WithFunction(fctest.Function{Timeout: 60 * time.Second}))
//	defer srv.Close()
//	if _, err := srv.Start(ctx, "dist/main", map[string]string{"IPRODWATCH_MPS_ENDPOINT": mps.URL}); err != nil { ... }
//	res, err := srv.Invoke(ctx, []byte(`{"JobId":"j-1"}`), fctest.InvokeOptions{})
//
// Runtime API (the three calls the SDK makes): GET /2020-11-11/runtime/invocation/next parks
// until an invocation may be released (several waiters at once, a waiter dropped when its client
// disconnects, never an error status, because the SDK retries a failed /next at once, forever) and
// answers 200 with the payload and the x-fc-* headers the SDK reads: request id, deadline (epoch
// ms), timeout (s), retry count, the STS credentials of this invocation, function name, handler
// and memory, region, account id, qualifier LATEST. POST .../{id}/response and .../{id}/error
// answer 200 for an id handed out (late posts too) and 404 for any other.
//
// Instances: one process at a time, each with its own runtime API listener on 127.0.0.1 (as
// each FC instance has its own), so a request left in a dead process's socket is never taken for
// its successor's; URL serves callers that run a function themselves while no process is
// managed. A process is started with FC_RUNTIME_API, FC_REGION, FC_ACCOUNT_ID,
// FC_FUNCTION_NAME, FC_FUNCTION_HANDLER, FC_FUNCTION_MEMORY_SIZE, FC_INSTANCE_ID,
// FC_FUNC_CODE_PATH, the ALIBABA_CLOUD_* credentials and the caller's variables (validated as FC
// validates them), and nothing from the test's own environment. Its stdout and stderr are kept
// as lines (Instance.Lines, WithOutput). The emulator enforces the function timeout itself (the
// SDK only cancels the handler's context): an invocation without an answer by its deadline ends
// as OutcomeTimeout and the process is killed and started again. A process that dies during an
// invocation fails it (OutcomeCrashed) and is restarted; one that exits before its first GET
// /next is an init failure (ErrInitFailed). Close kills the process before it closes the
// listeners, as a process outliving its listener would spin in the SDK's retry loop.
//
// Invocation: instance concurrency 1 by default (go1 has no instanceConcurrency), so the next
// invocation is released only after the previous one answered; InvokeOptions and
// WithInstanceConcurrency raise it. InvokeAsync retries a failed attempt (error, panic, timeout,
// crash) up to maxAsyncRetryAttempts (WithMaxAsyncRetryAttempts, default 3) with the same request
// id and x-fc-retry-count one higher. Payloads over 32 MB (sync) or 128 KB (async) are refused
// with ErrEntityTooLarge.
//
// Test API: Records (every attempt with payload, headers sent, outcome, body, retry count,
// release and answer order), Counters, Events (process starts, kills, exits, listener close, in
// order), Instances with ColdStart (exec to first answer), Ready (exec to first /next), PeakRSS
// (VmHWM, Linux only), ExitCode; SetCredentials rotates the role credentials; WaitReady; Wake.
//
// Time: the deadline is enforced on the injected clock (WithClock; a monitor re-reads it on a
// short real ticker, WithPollInterval, and at once on Wake), so a test on clock.Manual times an
// invocation out by advancing the clock. x-fc-function-deadline is stamped from WithWallClock,
// because the SDK turns it into ctx.Deadline against the function's own wall clock.
//
// Simplified compared with FC:
//   - One instance, never scaled out; invocations wait in one FIFO queue with no size limit and
//     no max event age. Async retries are queued at once, without FC's back-off between attempts,
//     and share the request id (inferred); there are no async destinations and no throttling.
//   - No initializer, preFreeze or preStop calls (x-fc-function-type is never sent), no tracing
//     or service headers, no HTTP-trigger params.
//   - The timeout answer (ErrorType "FunctionTimeout", "Function timed out after N seconds") and
//     the FC_INSTANCE_ID format are ours; FC's exact texts are not established.
//   - A crash restarts the instance at once; FC starts a new instance on the next request. A
//     process killed for a timeout takes its other running invocations with it (OutcomeCrashed).
//   - No memory or CPU limits are applied; PeakRSS only measures.
package fctest
