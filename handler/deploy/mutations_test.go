package deploy

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"iprodwatch/handler"
)

// Paths into the parsed s.yaml; a list segment may be a triggerName.
const (
	props   = "resources.iprodwatch.props"
	envPath = props + ".environmentVariables"
	queueT  = props + ".triggers.checkQueue"
	queueC  = queueT + ".triggerConfig"
	timerC  = props + ".triggers.sweep.triggerConfig"
	topicT  = props + ".triggers.intake"
	preDep  = "resources.iprodwatch.actions.pre-deploy"
	async   = props + ".asyncInvokeConfig"
	runOpts = queueC + ".runOptions"
	mnsSrc  = queueC + ".eventSourceConfig.eventSourceParameters.sourceMNSParameters"
)

type edit func(t *testing.T, doc map[string]any)

func setTo(path string, v any) edit {
	return func(t *testing.T, doc map[string]any) { set(t, doc, path, v) }
}

func deleted(path string) edit {
	return func(t *testing.T, doc map[string]any) { del(t, doc, path) }
}

func both(edits ...edit) edit {
	return func(t *testing.T, doc map[string]any) {
		for _, e := range edits {
			e(t, doc)
		}
	}
}

// withoutTrigger removes the trigger of that name.
func withoutTrigger(name string) edit {
	return func(t *testing.T, doc map[string]any) {
		t.Helper()
		c, k, err := locate(doc, props+".triggers")
		if err != nil {
			t.Fatal(err)
		}
		m := c.(map[string]any)
		var kept []any
		for _, e := range m[k].([]any) {
			if e.(map[string]any)["triggerName"] != name {
				kept = append(kept, e)
			}
		}
		if len(kept) == len(m[k].([]any)) {
			t.Fatalf("no trigger %q", name)
		}
		m[k] = kept
	}
}

// movedFirst moves the trigger of that name to the head of the list.
func movedFirst(name string) edit {
	return func(t *testing.T, doc map[string]any) {
		t.Helper()
		c, k, err := locate(doc, props+".triggers")
		if err != nil {
			t.Fatal(err)
		}
		m := c.(map[string]any)
		var first any
		var rest []any
		for _, e := range m[k].([]any) {
			if e.(map[string]any)["triggerName"] == name {
				first = e
			} else {
				rest = append(rest, e)
			}
		}
		if first == nil {
			t.Fatalf("no trigger %q", name)
		}
		m[k] = append([]any{first}, rest...)
	}
}

// withCopy appends a copy of the trigger of that name, renamed.
func withCopy(name, newName string) edit {
	return func(t *testing.T, doc map[string]any) {
		t.Helper()
		c, k, err := locate(doc, props+".triggers")
		if err != nil {
			t.Fatal(err)
		}
		m := c.(map[string]any)
		orig, err := step(m[k], name)
		if err != nil {
			t.Fatal(err)
		}
		cp := deepCopy(orig).(map[string]any)
		cp["triggerName"] = newName
		m[k] = append(m[k].([]any), cp)
	}
}

// bigPriors is a valid IPRODWATCH_PRIORS that alone passes FC's 4 KB environment limit.
func bigPriors() string {
	var parts []string
	for i := range 60 {
		parts = append(parts, fmt.Sprintf(`"Algo%02d":{"queue":{"median":5,"spread":1},"processing":{"median":60,"spread":1}}`, i))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func TestTheChecksRejectACopyWithOneRuleBroken(t *testing.T) {
	tests := []struct {
		name     string
		edit     edit
		wantPath string
		wantRule error
	}{
		// Serverless Devs and vars.
		{"an edition other than 3.0.0 is refused", setTo("edition", "2.0.0"), "edition", errEnum},
		{"an unquoted var is a number, not text", setTo("vars.checkQueue", 1234), "resources.iprodwatch", errVarNotString},
		{"an account id written into an ARN is refused", setTo(props+".role", "acs:ram::1234567890123456:role/${vars.roleName}"), props + ".role", errAccountID},
		{"an account id written into a var is refused", setTo("vars.logProject", "iprodwatch-1234567890123456"), "vars.logProject", errAccountID},
		{"an account id written as a number is refused", setTo("vars.owner", 1234567890123456), "vars.owner", errAccountID},
		{"an account id in a trigger is refused", setTo(topicT+".sourceArn", "acs:mns:${vars.region}:1234567890123456:/topics/${vars.intakeTopic}"), topicT + ".sourceArn", errAccountID},
		{"the AccessKey secret from config() is refused", setTo(envPath+".IPRODWATCH_PRIORS", "${config('AccessKeySecret')}"), "resources.iprodwatch", errConfigSecret},
		{"a config() key the access lacks fails", setTo(props+".role", "acs:ram::${config('AccountId')}:role/${vars.roleName}"), "resources.iprodwatch", errVarNotFound},
		{"a reference to a missing var fails like s deploy", setTo(props+".functionName", "${vars.nope}"), "resources.iprodwatch", errVarNotFound},
		{"an empty var fails like s deploy", setTo("vars.dlq", ""), "resources.iprodwatch", errVarNotFound},
		{"an env() reference is not implemented here", setTo(props+".description", "${env('STAGE')}"), "resources.iprodwatch", errVarUnsupported},

		// The function's props.
		{"a function name starting with a digit is refused", setTo("vars.functionName", "1iprodwatch"), props + ".functionName", errFormat},
		{"a region other than IPRODWATCH_REGION is refused", setTo(props+".region", "cn-hangzhou"), props + ".region", errMismatch},
		{"a runtime other than go1 cannot run the SDK", setTo(props+".runtime", "custom.debian10"), props + ".runtime", errUnsuited},
		{"a handler other than main is not the binary", setTo(props+".handler", "index.handler"), props + ".handler", errUnsuited},
		{"code pointing at a directory would zip the repository", setTo(props+".code", "./"), props + ".code", errUnsuited},
		{"memory under 128 MB is refused", setTo(props+".memorySize", 64), props + ".memorySize", errRange},
		{"memory that is not a multiple of 64 is refused", setTo(props+".memorySize", 130), props + ".memorySize", errRange},
		{"cpu that is not a multiple of 0.05 is refused", setTo(props+".cpu", 0.07), props + ".cpu", errRange},
		{"more vCPU than GB of memory is refused", setTo(props+".cpu", 0.2), props + ".cpu", errRange},
		{"a disk size other than 512 or 10240 is refused", setTo(props+".diskSize", 1024), props + ".diskSize", errEnum},
		{"a timeout of 0 is refused", setTo(props+".timeout", 0), props + ".timeout", errRange},
		{"a timeout near the pull budget is too tight", setTo(props+".timeout", 60), props + ".timeout", errUnsuited},
		{"instanceConcurrency is for custom runtimes only", setTo(props+".instanceConcurrency", 4), props + ".instanceConcurrency", errUnsuited},
		{"a bare role name is not an ARN", setTo(props+".role", "iprodwatch-fc"), props + ".role", errFormat},
		{"a role of another account is refused", setTo(props+".role", "acs:ram::999:role/iprodwatch-fc"), props + ".role", errMismatch},
		{"logConfig auto would glue JSON lines", setTo(props+".logConfig", "auto"), props + ".logConfig", errUnsuited},
		{"logConfig without a log store is refused", deleted(props + ".logConfig.logstore"), props + ".logConfig.logstore", errMissing},
		{"logBeginRule DefaultRegex would glue JSON lines", setTo(props+".logConfig.logBeginRule", "DefaultRegex"), props + ".logConfig.logBeginRule", errUnsuited},
		{"11 instances at 10 queries/s exceed the quota", setTo(props+".concurrencyConfig.reservedConcurrency", 11), props + ".concurrencyConfig.reservedConcurrency", errQuota},
		{"a higher QPS with 8 instances exceeds the quota", setTo(envPath+".IPRODWATCH_QPS", "20"), props + ".concurrencyConfig.reservedConcurrency", errQuota},
		{"a reserved concurrency of 0 would stop the function", setTo(props+".concurrencyConfig.reservedConcurrency", 0), props + ".concurrencyConfig.reservedConcurrency", errRange},
		{"a reserved concurrency other than the handler's default is refused", setTo(props+".concurrencyConfig.reservedConcurrency", 5), props + ".concurrencyConfig.reservedConcurrency", errMismatch},
		{"more than 8 async retries are refused", setTo(async+".maxAsyncRetryAttempts", 9), async + ".maxAsyncRetryAttempts", errRange},
		{"an event age FC's API refuses is refused though fc3 allows it", setTo(async+".maxAsyncEventAgeInSeconds", 2592000), async + ".maxAsyncEventAgeInSeconds", errRange},
		{"async failures without a destination vanish", deleted(async + ".destinationConfig.onFailure"), async + ".destinationConfig.onFailure", errNoDLQ},
		{"async failures sent to a topic miss the dead-letter queue", setTo(async+".destinationConfig.onFailure.destination", "acs:mns:${vars.region}:${config('AccountID')}:/topics/${vars.eventTopic}/messages"), async + ".destinationConfig.onFailure.destination", errMismatch},
		{"a destination without /messages is malformed", setTo(async+".destinationConfig.onFailure.destination", "acs:mns:${vars.region}:${config('AccountID')}:/queues/${vars.dlq}"), async + ".destinationConfig.onFailure.destination", errFormat},

		// The environment.
		{"credentials in the environment are refused", setTo(envPath+".ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI"), envPath + ".ALIBABA_CLOUD_ACCESS_KEY_ID", errReserved},
		{"an FC_ variable is refused", setTo(envPath+".FC_FUNC_CODE_PATH", "/code"), envPath + ".FC_FUNC_CODE_PATH", errReserved},
		{"a variable the function does not read is refused", setTo(envPath+".IPRODWATCH_VERBOSE", "1"), envPath + ".IPRODWATCH_VERBOSE", errUnknownVar},
		{"another program's variable is refused", setTo(envPath+".GODEBUG", "http2debug=1"), envPath + ".GODEBUG", errUnknownVar},
		{"a variable the function reads must be listed", deleted(envPath + ".IPRODWATCH_STALLED_AFTER"), envPath + ".IPRODWATCH_STALLED_AFTER", errMissingVar},
		{"a required variable must not be empty", setTo(envPath+".IPRODWATCH_CHECK_QUEUE", ""), envPath + ".IPRODWATCH_CHECK_QUEUE", errMissingVar},
		{"an unquoted number is not a string", setTo(envPath+".IPRODWATCH_CONCURRENCY", 8), envPath + ".IPRODWATCH_CONCURRENCY", errType},
		{"priors the handler cannot load are refused", setTo(envPath+".IPRODWATCH_PRIORS", `{"VideoH2V":{"queue":{"median":-1,"spread":1},"processing":{"median":60,"spread":1}}}`), envPath, handler.ErrConfig},
		{"priors that are not JSON are refused", setTo(envPath+".IPRODWATCH_PRIORS", `VideoH2V=60`), envPath, errConfig},
		{"an environment over 4 KB is refused", setTo(envPath+".IPRODWATCH_PRIORS", bigPriors()), envPath, errSize},
		// handler.LoadConfig refuses it: pull mode needs the retention to exceed the deadline by 1.5 h.
		{"a deadline as long as the queue's retention is refused", setTo(envPath+".IPRODWATCH_DEADLINE", "168h"), envPath, errConfig},

		// The queue trigger.
		{"base64 decoding of plain-text bodies is refused", setTo(mnsSrc+".IsBase64Decode", true), mnsSrc + ".IsBase64Decode", errUnsuited},
		{"leaving IsBase64Decode to its default true is refused", deleted(mnsSrc + ".IsBase64Decode"), mnsSrc + ".IsBase64Decode", errUnsuited},
		{"a queue other than the check queue is refused", setTo(mnsSrc+".QueueName", "other-queue"), mnsSrc + ".QueueName", errMismatch},
		{"a source region other than the function's is refused", setTo(mnsSrc+".RegionId", "cn-beijing"), mnsSrc + ".RegionId", errMismatch},
		{"a Kafka source is not the check queue", setTo(queueC+".eventSourceConfig.eventSourceType", "Kafka"), queueC + ".eventSourceConfig.eventSourceType", errUnsuited},
		{"an unknown source type is refused", setTo(queueC+".eventSourceConfig.eventSourceType", "SQS"), queueC + ".eventSourceConfig.eventSourceType", errEnum},
		{"a filter pattern that is not JSON is refused", setTo(queueC+".eventRuleFilterPattern", "{"), queueC + ".eventRuleFilterPattern", errFormat},
		{"triggerEnable is required", deleted(queueC + ".triggerEnable"), queueC + ".triggerEnable", errMissing},
		{"the sink's mode is not where the mode goes", setTo(queueC+".eventSinkConfig.deliveryOption.mode", "event-streaming"), queueC + ".eventSinkConfig.deliveryOption.mode", errUnsuited},
		{"an unknown event schema is refused", setTo(queueC+".eventSinkConfig.deliveryOption.eventSchema", "Avro"), queueC + ".eventSinkConfig.deliveryOption.eventSchema", errEnum},
		{"event-driven mode ignores the run options", setTo(runOpts+".mode", "event-driven"), runOpts + ".mode", errUnsuited},
		{"a count window of 0 is refused", setTo(runOpts+".batchWindow.CountBasedWindow", 0), runOpts + ".batchWindow.CountBasedWindow", errRange},
		{"a count window over 10000 is refused", setTo(runOpts+".batchWindow.CountBasedWindow", 10001), runOpts + ".batchWindow.CountBasedWindow", errRange},
		{"a time window over 15 s is refused", setTo(runOpts+".batchWindow.TimeBasedWindow", 16), runOpts + ".batchWindow.TimeBasedWindow", errRange},
		{"a time window that is not a number is refused", setTo(runOpts+".batchWindow.TimeBasedWindow", "2s"), runOpts + ".batchWindow.TimeBasedWindow", errType},
		{"an unknown retry strategy is refused", setTo(runOpts+".retryStrategy.PushRetryStrategy", "LINEAR"), runOpts + ".retryStrategy.PushRetryStrategy", errEnum},
		{"an unknown errorsTolerance is refused", setTo(runOpts+".errorsTolerance", "SOME"), runOpts + ".errorsTolerance", errEnum},
		{"tolerating errors without a dead-letter queue is refused", deleted(runOpts + ".deadLetterQueue"), runOpts + ".deadLetterQueue", errNoDLQ},
		{"a dead-letter queue that is the check queue is refused", setTo(runOpts+".deadLetterQueue.Arn", "acs:mns:${vars.region}:${config('AccountID')}:/queues/${vars.checkQueue}"), runOpts + ".deadLetterQueue.Arn", errMismatch},
		{"a dead-letter ARN without the slash is malformed", setTo(runOpts+".deadLetterQueue.Arn", "acs:mns:${vars.region}:${config('AccountID')}:queues/${vars.dlq}"), runOpts + ".deadLetterQueue.Arn", errFormat},
		{"maximumTasks is for Kafka only", setTo(runOpts+".maximumTasks", 4), runOpts + ".maximumTasks", errUnsuited},

		// The timer, and the two modes.
		{"the timer enabled beside the queue trigger is refused", setTo(timerC+".enable", true), props + ".triggers", errModes},
		{"neither the queue trigger nor the timer enabled is refused", setTo(queueC+".triggerEnable", false), props + ".triggers", errModes},
		{"a five-field cron expression is refused", setTo(timerC+".cronExpression", "0 */5 * * *"), timerC + ".cronExpression", errFormat},
		{"an hour of 25 is refused", setTo(timerC+".cronExpression", "0 0 25 * * *"), timerC + ".cronExpression", errFormat},
		{"? in the hour field is refused", setTo(timerC+".cronExpression", "0 0 ? * * *"), timerC + ".cronExpression", errFormat},
		{"an interval under a minute is refused", setTo(timerC+".cronExpression", "@every 30s"), timerC + ".cronExpression", errFormat},
		{"an unknown time zone is refused", setTo(timerC+".cronExpression", "CRON_TZ=Mars/Olympus 0 0 4 * * *"), timerC + ".cronExpression", errFormat},
		{"the timer's enable is required", deleted(timerC + ".enable"), timerC + ".enable", errMissing},

		// The topic trigger.
		{"the topic trigger on the event topic is refused", setTo(topicT+".sourceArn", "acs:mns:${vars.region}:${config('AccountID')}:/topics/${vars.eventTopic}"), topicT + ".sourceArn", errEventTopic},
		{"a topic other than the intake topic is refused", setTo(topicT+".sourceArn", "acs:mns:${vars.region}:${config('AccountID')}:/topics/elsewhere"), topicT + ".sourceArn", errMismatch},
		{"a topic in another region is refused", setTo(topicT+".sourceArn", "acs:mns:cn-beijing:${config('AccountID')}:/topics/${vars.intakeTopic}"), topicT + ".sourceArn", errMismatch},
		{"a queue ARN is not a topic source", setTo(topicT+".sourceArn", "acs:mns:${vars.region}:${config('AccountID')}:/queues/${vars.intakeTopic}"), topicT + ".sourceArn", errFormat},
		{"a filterTag over 16 characters is refused", setTo(topicT+".triggerConfig.filterTag", "iprodwatch-intake"), topicT + ".triggerConfig.filterTag", errSize},
		{"an unknown notify format is refused", setTo(topicT+".triggerConfig.notifyContentFormat", "XML"), topicT + ".triggerConfig.notifyContentFormat", errEnum},
		{"notifyStrategy is required", deleted(topicT + ".triggerConfig.notifyStrategy"), topicT + ".triggerConfig.notifyStrategy", errMissing},
		{"an invocation role that is not an ARN is refused", setTo(topicT+".invocationRole", "AliyunMNSNotificationRole"), topicT + ".invocationRole", errFormat},
		{"an HTTP trigger is not an event the function reads", setTo(topicT+".triggerType", "http"), topicT + ".triggerType", errUnsuited},
		{"a trigger after the EventBridge trigger is refused", movedFirst("checkQueue"), props + ".triggers.checkQueue", errOrder},
		{"a second EventBridge trigger is refused", withCopy("checkQueue", "checkQueue2"), props + ".triggers.checkQueue", errOrder},
		{"two triggers with one name are refused", setTo(props+".triggers.sweep.triggerName", "checkQueue"), props + ".triggers.checkQueue.triggerName", errFormat},

		// The build.
		{"a build without the exact flags is refused", setTo(preDep+".0.run", "go build -o main ."), preDep, errBuildAction},
		{"a build that never packs code.zip is refused", setTo(preDep, []any{map[string]any{"run": buildLine, "path": "./"}}), preDep, errBuildAction},
		{"a build run outside the module root is refused", setTo(preDep+".0.path", "./handler"), preDep + ".0.path", errBuildAction},
	}
	base := loadSpec(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := deepCopy(base).(map[string]any)
			tt.edit(t, doc)
			problems := validate(doc)
			for _, p := range problems {
				if p.Path == tt.wantPath && errors.Is(p, tt.wantRule) {
					return
				}
			}
			t.Errorf("want %s to break %q; the checks found:\n%s", tt.wantPath, tt.wantRule, list(problems))
		})
	}
}

func TestTheChecksAcceptTheOtherValidForms(t *testing.T) {
	tests := []struct {
		name string
		edit edit
	}{
		{"pull mode: the timer enabled and the queue trigger disabled", both(setTo(timerC+".enable", true), setTo(queueC+".triggerEnable", false))},
		{"a six-field cron in another time zone", setTo(timerC+".cronExpression", "CRON_TZ=Asia/Shanghai 0 */2 8-20 ? JAN-DEC MON-FRI")},
		{"batch windows written as strings, as fc3's docs type them", both(setTo(runOpts+".batchWindow.CountBasedWindow", "16"), setTo(runOpts+".batchWindow.TimeBasedWindow", "0"))},
		{"make build as the pre-deploy action", setTo(preDep, []any{map[string]any{"run": "make build", "path": "./"}})},
		{"a filterTag of 16 characters", setTo(topicT+".triggerConfig.filterTag", "iprodwatch-check")},
		{"STREAM topic notifications", setTo(topicT+".triggerConfig.notifyContentFormat", "STREAM")},
		{"BACKOFF_RETRY on the queue trigger", setTo(runOpts+".retryStrategy.PushRetryStrategy", "BACKOFF_RETRY")},
		{"errors not tolerated and no dead-letter queue", both(setTo(runOpts+".errorsTolerance", "NONE"), deleted(runOpts+".deadLetterQueue"))},
		{"no topic trigger", withoutTrigger("intake")},
		{"config() with double quotes", setTo(props+".role", `acs:ram::${config("AccountID")}:role/${vars.roleName}`)},
		{"the other triggers in another order, the EventBridge trigger still last", movedFirst("intake")},
	}
	base := loadSpec(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := deepCopy(base).(map[string]any)
			tt.edit(t, doc)
			if problems := validate(doc); len(problems) > 0 {
				t.Errorf("want no problems, have:\n%s", list(problems))
			}
		})
	}
}

func list(problems []problem) string {
	var b strings.Builder
	for _, p := range problems {
		b.WriteString("  " + p.Error() + "\n")
	}
	if b.Len() == 0 {
		return "  (nothing)\n"
	}
	return b.String()
}
