//go:build !iprodwatch.nodev

package cli

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"iprodwatch/handler"
	"iprodwatch/handler/cloud"
	"iprodwatch/parse"
)

const invokeUsage = `Usage: iprodwatch invoke [-trigger queue|topic|timer|direct] [-job JOBID] [-timeout D] [flags] [PAYLOAD-FILE]

Runs the real function once, in this process, against the configured endpoints (typically those
iprodwatch emulate prints), with a payload shaped as the trigger delivers it, and prints the
function's answer: what it decided for each check. Its log lines go to standard error. So the
function can be watched working end to end on one machine:

  iprodwatch emulate > env.sh &    . env.sh
  JOB=$(iprodwatch submit -function VideoH2V -input oss://b/in.mp4 -output 'oss://b/out/{fileName}')
  iprodwatch invoke -trigger queue -job $JOB    # one check: requeued, with its delay
  iprodwatch invoke -trigger timer              # a pull-mode sweep of the check queue

Without PAYLOAD-FILE the payload is built for -trigger around the first check message of -job, in
the shapes of testdata/triggers/ (queue: eventbridge-single.json, an EventBridge event; topic:
topic-json.json, an MNS topic notification in JSON; timer: timer.json, which needs no job; direct:
the check message itself). With PAYLOAD-FILE ("-" for standard input) that payload is sent as it
is, whatever -trigger says.

Flags:
  -trigger T   queue, topic, timer or direct (default queue)
  -job JOBID   the job the built payload checks (not needed for timer)
  -timeout D   the invocation's deadline, as FC gives it (default 120s, s.yaml's timeout)
` + configUsage + `
Exit codes:
  0  the function answered (its answer is printed)
  1  the function failed (a configuration fault, or a send that kept failing: FC would have the
     trigger deliver the payload again), or the payload could not be read
  2  usage error
`

func invokeCommand() command {
	c := command{name: "invoke", summary: "run the function once in this process with a trigger's payload", usage: invokeUsage}
	c.run = func(ctx context.Context, env Env, args []string) int { return runInvoke(ctx, env, &c, args) }
	return c
}

func runInvoke(ctx context.Context, env Env, c *command, args []string) int {
	fs := newFlagSet(c.name)
	trigger := fs.String("trigger", "queue", "")
	job := fs.String("job", "", "")
	timeout := fs.Duration("timeout", 120*time.Second, "")
	conf := addConfigFlags(fs)
	rest, err := parseArgs(fs, args)
	switch {
	case err != nil:
		return usageError(env, c, err)
	case len(rest) > 1:
		return usageError(env, c, fmt.Errorf("unexpected argument %q", rest[1]))
	case *timeout <= 0 || *timeout > 24*time.Hour:
		return usageError(env, c, fmt.Errorf("-timeout %v: want above 0, at most 24h (FC's longest)", *timeout))
	case !slices.Contains([]string{"queue", "topic", "timer", "direct"}, *trigger):
		return usageError(env, c, fmt.Errorf("-trigger %q: want queue, topic, timer or direct", *trigger))
	}
	getenv := conf.getenv(fs, env)
	cfg, err := handler.LoadConfig(getenv)
	if err != nil {
		return fail(env, c, err)
	}
	var payload []byte
	if len(rest) == 1 {
		if payload, err = readPayload(env, rest[0]); err != nil {
			return fail(env, c, err)
		}
	} else {
		if *job == "" && *trigger != "timer" {
			return usageError(env, c, fmt.Errorf("-trigger %s needs -job JOBID (or a PAYLOAD-FILE)", *trigger))
		}
		if payload, err = buildPayload(cfg, *trigger, *job, env.now()); err != nil {
			return usageError(env, c, err)
		}
	}
	creds := func(ctx context.Context) (cloud.Credentials, error) { return cloud.CredentialsFrom(ctx, getenv) }
	log := slog.New(slog.NewJSONHandler(env.Stderr, nil))
	h := handler.New(cfg, cloud.Connector(cfg, cloud.WithCredentials(creds)), handler.WithLogger(log), handler.WithClock(envClock(env.now)))
	ictx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	answer, err := h.Handle(ictx, payload)
	if err != nil {
		return fail(env, c, fmt.Errorf("the function failed (FC would deliver the payload again): %w", err))
	}
	var pretty strings.Builder
	if err := indentJSON(&pretty, answer); err != nil {
		return fail(env, c, err)
	}
	fmt.Fprintln(env.Stdout, pretty.String())
	return ExitOK
}

func indentJSON(w io.Writer, b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

// maxPayload is FC's limit on a synchronous invocation's payload.
const maxPayload = 32 << 20

func readPayload(env Env, name string) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		r = env.Stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	if r == nil {
		return nil, errors.New("no standard input")
	}
	b, err := io.ReadAll(io.LimitReader(r, maxPayload+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("reading the payload: %w", err)
	case len(b) > maxPayload:
		return nil, fmt.Errorf("the payload is over %d MiB, FC's limit for a synchronous invocation", maxPayload>>20)
	}
	return b, nil
}

// The names the built payloads carry: s.yaml's function and trigger names.
const (
	invokeFunction     = "iprodwatch"
	invokeQueueTrigger = "queueTrigger"
	invokeTimer        = "iprodwatch-sweep"
	invokeSubscription = "iprodwatch-sub"
)

// buildPayload is the payload a trigger delivers for the first check of job at now.
func buildPayload(cfg handler.Config, trigger, job string, now time.Time) ([]byte, error) {
	if trigger == "timer" {
		return json.Marshal(timerPayload{TriggerTime: now.UTC().Truncate(time.Second), TriggerName: invokeTimer, Payload: `{"mode":"sweep"}`})
	}
	if err := parse.ValidateJobID(job); err != nil {
		return nil, err
	}
	body, err := parse.EncodeCheck(parse.Check{JobID: job, Attempt: 1})
	if err != nil {
		return nil, err
	}
	id := strings.ToUpper(randomHex(16))
	switch trigger {
	case "direct":
		return body, nil
	case "queue":
		bus := "MNS-" + invokeFunction + "-" + invokeQueueTrigger
		t := now.UTC().Format("2006-01-02T15:04:05.000Z")
		return json.Marshal(queueEvent{
			ID: randomUUID(), Source: bus, SpecVersion: "1.0", Type: "mns:Queue:SendMessage",
			DataContentType: "application/json; charset=utf-8",
			Subject:         "acs:mns:" + cfg.Region + ":" + cfg.AccountID + ":queues/" + cfg.CheckQueue,
			Time:            t, AccountID: cfg.AccountID, PublishTime: t, OriginalAccountID: cfg.AccountID,
			EventBusName: bus, RegionID: cfg.Region, PublishAddr: "127.0.0.1",
			Data: queueEventData{RequestID: strings.ToUpper(randomHex(12)), MessageID: id, MessageBody: string(body)},
		})
	case "topic":
		topic := cfg.IntakeTopic
		if topic == "" {
			topic = "iprod-intake"
		}
		sum := md5.Sum(body)
		return json.Marshal(topicNotification{
			TopicOwner: cfg.AccountID, Message: string(body), Subscriber: cfg.AccountID, PublishTime: now.UnixMilli(),
			SubscriptionName: invokeSubscription, MessageMD5: strings.ToUpper(hex.EncodeToString(sum[:])), TopicName: topic, MessageID: id,
		})
	}
	return nil, fmt.Errorf("-trigger %q: want queue, topic, timer or direct", trigger)
}

// The payload shapes, field for field as testdata/triggers/ has them (a test holds them together).
type (
	queueEvent struct {
		ID                string         `json:"id"`
		Source            string         `json:"source"`
		SpecVersion       string         `json:"specversion"`
		Type              string         `json:"type"`
		DataContentType   string         `json:"datacontenttype"`
		Subject           string         `json:"subject"`
		Time              string         `json:"time"`
		AccountID         string         `json:"aliyunaccountid"`
		PublishTime       string         `json:"aliyunpublishtime"`
		OriginalAccountID string         `json:"aliyunoriginalaccountid"`
		EventBusName      string         `json:"aliyuneventbusname"`
		RegionID          string         `json:"aliyunregionid"`
		PublishAddr       string         `json:"aliyunpublishaddr"`
		Data              queueEventData `json:"data"`
	}
	queueEventData struct {
		RequestID   string `json:"requestId"`
		MessageID   string `json:"messageId"`
		MessageBody string `json:"messageBody"`
	}
	topicNotification struct {
		TopicOwner       string `json:"TopicOwner"`
		Message          string `json:"Message"`
		Subscriber       string `json:"Subscriber"`
		PublishTime      int64  `json:"PublishTime"`
		SubscriptionName string `json:"SubscriptionName"`
		MessageMD5       string `json:"MessageMD5"`
		TopicName        string `json:"TopicName"`
		MessageID        string `json:"MessageId"`
	}
	timerPayload struct {
		TriggerTime time.Time `json:"triggerTime"`
		TriggerName string    `json:"triggerName"`
		Payload     string    `json:"payload"`
	}
)

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24)
	return hex.EncodeToString(b)
}

func randomUUID() string {
	h := randomHex(16)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// envClock is the command's clock as the handler's.
type envClock func() time.Time

func (c envClock) Now() time.Time { return c() }
