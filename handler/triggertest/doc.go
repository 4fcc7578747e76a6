// Package triggertest emulates what delivers events to the iprodwatch function in the cloud:
// the EventBridge MNS-queue trigger, the MNS topic trigger and the timer trigger. Each bridge
// delivers to a Func (func(ctx, payload []byte) error): the handler itself in handler tests, the
// FC runtime emulator's invoke later. Payloads are byte for byte the shapes of section 3 of
// shared/reference/fc-runtime-and-triggers.md (golden copies in testdata/triggers).
//
// Bridges:
//   - QueueSource (NewQueueSource): consumes an MNS queue through the real aliyun-mns-go-sdk
//     (an ali_mns.AliMNSQueue: on mnstest.Server.NewSDKClient, or on a cloud client), deletes
//     each message as soon as it is received, batches per CountBasedWindow/TimeBasedWindow and
//     pushes a JSON array of CloudEvents (event-streaming) or one object (event-driven), or only
//     the data parts (RawData). IsBase64Decode defaults to true, as in the cloud. A failed push
//     is retried per BACKOFF_RETRY or EXPONENTIAL_DECAY_RETRY; then errorsTolerance ALL sends
//     the batch's events to the dead-letter queue (through the SDK) or drops them, and NONE
//     blocks the stream on that batch, which keeps being retried.
//   - TopicPush (NewTopicPush): hooks mnstest's OnPublish, filters on filterTag, formats JSON
//     (PublishTime an integer of epoch ms, MessageMD5 upper-case hex) or STREAM (the raw body; the
//     default, as in the FC 3.0 API),
//     and delivers from its own loop, never inside the hook; a failed push is retried per the
//     notifyStrategy, then dropped.
//   - Timer (NewTimer): fires {"triggerTime","triggerName","payload"} at an "@every" or
//     six-field cron schedule (UTC, or CRON_TZ=<zone>); a failed invocation is an async one,
//     retried up to maxAsyncRetryAttempts (default 3) times, then dropped.
//
// Driving: RunDue(ctx) does everything due at the injected clock's now and returns how many
// invocations it made: tests move a clock.Manual and call it, with no sleeps. Run(ctx) calls
// RunDue on a short real ticker (WithTick) until ctx ends, for demos on clock.Scaled. NextDue
// tells a test when the next retry or window end falls, so jitter need not be guessed.
// Everything is recorded: Deliveries (payload, RetryCount, error), DroppedEvents, DeadLetters,
// ConsumedMessages, Stats. InvocationFrom gives the function its retry count.
//
// Concurrency: one invocation at a time by default (as reservedConcurrency 1; the queue source
// then keeps messages in order); WithConcurrency(n) runs up to n at once (the queue source then
// has up to n batches in flight). Invocations are synchronous: RunDue waits for the function.
// Records are written in a fixed order, so a seeded run replays exactly.
//
// Proven, from a document or an SDK: the payload shapes (section 3 of the notes, the FC SDK's
// events READMEs); the event's source and aliyuneventbusname, "MNS-<function>-<trigger>", which
// the SDK's event-driven sample shows as "MNS-Function-mnstrigger" (function "Function", trigger
// "mnstrigger": the same form; WithFunctionName and WithTriggerName set the parts, so no
// divergence was found and the form is kept); the batch window bounds, the retry strategies and
// errorsTolerance (the EventBridge pages); the topic trigger's STREAM default (the FC 3.0 API).
// Inferred: the list below of values the documentation does not give.
//
// Simplified compared with the cloud:
//   - Invocation is a Go call: no FC request id, timeout, payload cap on delivery or throttling.
//     EventBridge's asyncInvocationType, MaximumRetryAttempts and MaximumEventAgeInSeconds, and
//     FC's maxAsyncEventAgeInSeconds and async destinations are not modelled.
//   - The queue source deletes a message right after receiving it (the notes infer EventBridge
//     acknowledges once it owns the event; the cloud's timing is not established). A message
//     whose delete fails is not delivered and returns after its visibility timeout. Receives are
//     plain polls (no waitseconds), one per RunDue round or Run tick.
//   - Values the documentation does not give are chosen: data.requestId and the event id are
//     drawn from the seeded source (not the MNS request id); time is the message's enqueue time
//     and aliyunpublishtime the receive time; aliyuneventbusname equals the source; a body that
//     is not base64 with IsBase64Decode on is delivered unchanged (Stats.DecodeFailures); a
//     dead-lettered event is its CloudEvent object whatever the schema; event-driven mode uses
//     the same retry and tolerance settings; a NONE-blocked batch keeps retrying at the
//     strategy's last pace (10–20 s, or 512 s).
//   - Topic push: the subscription is a hook, not an MNS subscription (it does not show in the
//     emulator); no message attributes (so STREAM is always the bare body) and no MessageTag in
//     JSON events; notifyStrategy counts a function error as a failed push (not established);
//     FC's own async retries on top are not added.
//   - Timer async retries come 1, 2, 4 … s after each failure (FC documents only the count);
//     every missed tick fires once when the clock jumps; month and weekday names are not
//     accepted; @every takes whole seconds.
//   - QueueSource.NextDue and Buffered wait for a running RunDue: do not call them from inside
//     the function.
package triggertest
