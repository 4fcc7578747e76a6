package triggertest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"
	"github.com/google/go-cmp/cmp"
)

func newTopicPush(t *testing.T, c *cloud, topic string, fn Func, opts ...Option) *TopicPush {
	t.Helper()
	if err := c.srv.CreateTopic(topic); err != nil {
		t.Fatal(err)
	}
	p, err := NewTopicPush(c.srv, topic, fn, append([]Option{WithClock(c.clk)}, opts...)...)
	if err != nil {
		t.Fatalf("NewTopicPush: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

func TestTopicPushFilterTag(t *testing.T) {
	published := []struct{ body, tag string }{
		{`{"JobId":"a"}`, "iprod"},
		{`{"JobId":"b"}`, "other"},
		{`{"JobId":"c"}`, ""},
		{`{"JobId":"d"}`, "iprod"},
	}
	tests := []struct {
		name         string
		filter       string
		want         []string
		wantFiltered int
	}{
		{"no filterTag pushes every message", "", []string{`{"JobId":"a"}`, `{"JobId":"b"}`, `{"JobId":"c"}`, `{"JobId":"d"}`}, 0},
		{"a filterTag pushes only messages with that exact tag", "iprod", []string{`{"JobId":"a"}`, `{"JobId":"d"}`}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCloud(t)
			s := &sink{}
			p := newTopicPush(t, c, "iprod-intake", s.fn, WithFilterTag(tc.filter), WithNotifyContentFormat(FormatStream))
			for _, m := range published {
				publish(t, c, "iprod-intake", m.body, m.tag)
			}
			if n := mustRun(t, p); n != len(tc.want) {
				t.Errorf("RunDue made %d invocations, want %d", n, len(tc.want))
			}
			var got []string
			for _, b := range s.got() {
				got = append(got, string(b))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("pushed bodies (-want +got):\n%s", diff)
			}
			if f := p.Stats().Filtered; f != tc.wantFiltered {
				t.Errorf("Stats.Filtered = %d, want %d", f, tc.wantFiltered)
			}
		})
	}
}

func TestTopicPushJSONCarriesThePublishedMessage(t *testing.T) {
	c := newCloud(t)
	s := &sink{}
	p := newTopicPush(t, c, "iprod-intake", s.fn, WithAccount(testAccount), WithNotifyContentFormat(FormatJSON))
	c.advance(789 * time.Millisecond)
	id := publish(t, c, "iprod-intake", bodyCheck, "")
	mustRun(t, p)
	var got map[string]any
	dec := json.NewDecoder(strings.NewReader(string(only(t, s.got()))))
	dec.UseNumber()
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"TopicOwner": testAccount, "Subscriber": testAccount, "Message": bodyCheck,
		"PublishTime":      json.Number("1777608000789"),
		"SubscriptionName": "topicTrigger", "MessageMD5": "", "TopicName": "iprod-intake", "MessageId": id,
	}
	pub := c.srv.Published("iprod-intake")
	want["MessageMD5"] = pub[0].MessageMD5 // the emulator's own upper-case hex MD5
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notification (-want +got):\n%s", diff)
	}
}

func TestTopicPushRetriesThenDrops(t *testing.T) {
	tests := []struct {
		name        string
		strategy    RetryStrategy
		fail        func(int) error
		wantRetries []int
		wantDropped int
		checkGaps   func(t *testing.T, g []time.Duration)
	}{
		{
			name: "BACKOFF_RETRY retries 3 times 10-20s apart, then drops", strategy: BackoffRetry, fail: alwaysFail,
			wantRetries: []int{0, 1, 2, 3}, wantDropped: 1,
			checkGaps: func(t *testing.T, g []time.Duration) {
				for _, d := range g {
					if d < 10*time.Second || d > 20*time.Second {
						t.Errorf("gap %v outside 10-20s", d)
					}
				}
			},
		},
		{
			name: "EXPONENTIAL_DECAY_RETRY retries 176 times, then drops", strategy: ExponentialDecayRetry, fail: alwaysFail,
			wantRetries: seq(0, 176), wantDropped: 1,
			checkGaps: func(t *testing.T, g []time.Duration) {
				var total time.Duration
				for _, d := range g {
					total += d
				}
				if want := 86015 * time.Second; total != want {
					t.Errorf("retries span %v, want %v (about a day)", total, want)
				}
			},
		},
		{
			name: "a push that succeeds on retry is not dropped", strategy: BackoffRetry, fail: failFirst(1),
			wantRetries: []int{0, 1}, checkGaps: func(*testing.T, []time.Duration) {},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCloud(t)
			s := &sink{fail: tc.fail}
			p := newTopicPush(t, c, "iprod-intake", s.fn, WithRetryStrategy(tc.strategy))
			id := publish(t, c, "iprod-intake", bodyJob, "")
			mustRun(t, p)
			drainRetries(t, c, p, 500)
			ds := p.Deliveries()
			if diff := cmp.Diff(tc.wantRetries, retryCounts(ds)); diff != "" {
				t.Errorf("RetryCount per delivery (-want +got):\n%s", diff)
			}
			tc.checkGaps(t, gaps(ds))
			dropped := p.DroppedEvents()
			if len(dropped) != tc.wantDropped {
				t.Fatalf("dropped %d, want %d", len(dropped), tc.wantDropped)
			}
			if tc.wantDropped > 0 {
				d := dropped[0]
				if d.Attempts != len(tc.wantRetries) || !errors.Is(d.Err, errHandler) || d.MessageIDs[0] != id {
					t.Errorf("dropped record = %+v, want %d attempts of message %s ending in errHandler", d, len(tc.wantRetries), id)
				}
			}
			if n := p.Pending(); n != 0 {
				t.Errorf("%d events still pending", n)
			}
		})
	}
}

func TestTopicPushDeliversOutsideThePublishCall(t *testing.T) {
	// The function publishes to the very topic that triggers it, through the SDK: delivering
	// inside the OnPublish hook would make PublishMessage wait on itself.
	c := newCloud(t)
	topic := ali_mns.NewMNSTopic("iprod-intake", c.client)
	fn := func(_ context.Context, payload []byte) error {
		if string(payload) == bodyJob {
			_, err := topic.PublishMessage(ali_mns.MessagePublishRequest{MessageBody: bodyCheck})
			return err
		}
		return nil
	}
	p := newTopicPush(t, c, "iprod-intake", fn, WithNotifyContentFormat(FormatStream))
	publish(t, c, "iprod-intake", bodyJob, "")
	if got := p.Pending(); got != 1 {
		t.Fatalf("after PublishMessage returned, %d pushes pending, want 1 (queued, not delivered in the hook)", got)
	}
	if n := mustRun(t, p); n != 2 {
		t.Errorf("RunDue made %d invocations, want 2 (the message and the one the function published)", n)
	}
}

func TestNewTopicPushRefusesWhatTheCloudRefuses(t *testing.T) {
	tests := []struct {
		name string
		opt  Option
	}{
		{"a filterTag of 17 characters", WithFilterTag(strings.Repeat("x", 17))},
		{"an unknown format", WithNotifyContentFormat("XML")},
		{"an unknown notifyStrategy", WithRetryStrategy("NONE")},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			_, err := NewTopicPush(newCloud(t).srv, "t", (&sink{}).fn, tc.opt)
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("err = %v, want ErrInvalidConfig", err)
			}
		})
	}
}

// Without a notifyContentFormat the topic trigger pushes STREAM, the bare body, as the FC 3.0 API
// documents ("The default format is STREAM", MNSTopicTriggerConfig).
func TestTopicPushDefaultsToStream(t *testing.T) {
	c := newCloud(t)
	s := &sink{}
	p := newTopicPush(t, c, "iprod-intake", s.fn, WithAccount(testAccount))
	publish(t, c, "iprod-intake", bodyCheck, "")
	mustRun(t, p)
	if got := string(only(t, s.got())); got != bodyCheck {
		t.Errorf("pushed %s, want the bare body %s", got, bodyCheck)
	}
}
