package triggertest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"
	"github.com/google/go-cmp/cmp"
)

// TestGoldenPayloads pins every payload shape byte for byte; handler tests decode the same files.
func TestGoldenPayloads(t *testing.T) {
	queueOpts := []Option{WithFunctionName("iprodwatch"), WithTriggerName("queueTrigger"), WithRegion(testRegion), WithAccount(testAccount), WithSeed(7)}
	tests := []struct {
		name string
		file string
		run  func(t *testing.T, c *cloud) []byte // returns the one payload delivered
	}{
		{
			name: "event-streaming batch is an array of CloudEvents",
			file: "eventbridge-batch.json",
			run: func(t *testing.T, c *cloud) []byte {
				q := c.queue(t, "iprod-check")
				c.send(t, q, bodyJob, bodyCheck, bodyCheckB)
				c.advance(333 * time.Millisecond)
				return runQueueOnce(t, c, q, append(queueOpts, WithBase64Decode(false), WithBatchWindow(3, 5*time.Second)))
			},
		},
		{
			name: "event-driven delivers one CloudEvent with the body base64-decoded",
			file: "eventbridge-single.json",
			run: func(t *testing.T, c *cloud) []byte {
				q := c.queue(t, "iprod-check")
				c.send(t, q, base64.StdEncoding.EncodeToString([]byte(bodyJob)))
				c.advance(333 * time.Millisecond)
				return runQueueOnce(t, c, q, append(queueOpts, WithMode(EventDriven)))
			},
		},
		{
			name: "RawData delivers an array of data objects",
			file: "eventbridge-rawdata.json",
			run: func(t *testing.T, c *cloud) []byte {
				q := c.queue(t, "iprod-check")
				c.send(t, q, bodyCheck, bodyCheckB)
				return runQueueOnce(t, c, q, append(queueOpts, WithBase64Decode(false), WithEventSchema(RawData), WithBatchWindow(2, 0)))
			},
		},
		{
			name: "topic JSON notification has integer PublishTime and upper-case MD5",
			file: "topic-json.json",
			run: func(t *testing.T, c *cloud) []byte {
				return runTopicOnce(t, c, bodyJob, "iprod", WithNotifyContentFormat(FormatJSON), WithFilterTag("iprod"), WithSubscriptionName("iprodwatch-sub"), WithAccount(testAccount))
			},
		},
		{
			name: "topic STREAM notification is the raw body",
			file: "topic-stream.txt",
			run: func(t *testing.T, c *cloud) []byte {
				return runTopicOnce(t, c, bodyCheck, "", WithNotifyContentFormat(FormatStream))
			},
		},
		{
			name: "timer event carries triggerTime in RFC 3339 UTC seconds",
			file: "timer.json",
			run: func(t *testing.T, c *cloud) []byte {
				s := &sink{}
				tm, err := NewTimer("0 */5 * * * *", sweepConfig, s.fn, WithClock(c.clk), WithTriggerName("iprodwatch-sweep"))
				if err != nil {
					t.Fatal(err)
				}
				c.advance(5 * time.Minute)
				mustRun(t, tm)
				return only(t, s.got())
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, tc.file, tc.run(t, newCloud(t)))
		})
	}
}

func runQueueOnce(t *testing.T, c *cloud, q ali_mns.AliMNSQueue, opts []Option) []byte {
	t.Helper()
	s := &sink{}
	src, err := NewQueueSource(q, s.fn, append(opts, WithClock(c.clk))...)
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, src)
	return only(t, s.got())
}

func runTopicOnce(t *testing.T, c *cloud, body, tag string, opts ...Option) []byte {
	t.Helper()
	if err := c.srv.CreateTopic("iprod-intake"); err != nil {
		t.Fatal(err)
	}
	s := &sink{}
	p, err := NewTopicPush(c.srv, "iprod-intake", s.fn, append(opts, WithClock(c.clk))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	c.advance(456 * time.Millisecond)
	publish(t, c, "iprod-intake", body, tag)
	mustRun(t, p)
	return only(t, s.got())
}

func only(t *testing.T, got [][]byte) []byte {
	t.Helper()
	if len(got) != 1 {
		t.Fatalf("got %d payloads, want 1: %q", len(got), got)
	}
	return got[0]
}

// TestGoldenFilesFollowTheDocumentedShape checks the fixtures themselves against section 3 of the
// trigger notes: keys, their order, and value types.
func TestGoldenFilesFollowTheDocumentedShape(t *testing.T) {
	cloudEventKeys := []string{"id", "source", "specversion", "type", "datacontenttype", "subject", "time",
		"aliyunaccountid", "aliyunpublishtime", "aliyunoriginalaccountid", "aliyuneventbusname", "aliyunregionid",
		"aliyunpublishaddr", "data"}
	dataKeys := []string{"requestId", "messageId", "messageBody"}
	topicKeys := []string{"TopicOwner", "Message", "Subscriber", "PublishTime", "SubscriptionName", "MessageMD5", "TopicName", "MessageId"}
	timerKeys := []string{"triggerTime", "triggerName", "payload"}
	tests := []struct {
		file  string
		array bool
		keys  []string
	}{
		{"eventbridge-batch.json", true, cloudEventKeys},
		{"eventbridge-single.json", false, cloudEventKeys},
		{"eventbridge-rawdata.json", true, dataKeys},
		{"topic-json.json", false, topicKeys},
		{"timer.json", false, timerKeys},
	}
	for _, tc := range tests {
		t.Run(tc.file+" has the documented keys in order", func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "triggers", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			var objs []json.RawMessage
			if tc.array {
				if err := json.Unmarshal(raw, &objs); err != nil {
					t.Fatalf("not a JSON array: %v", err)
				}
			} else {
				objs = []json.RawMessage{raw}
			}
			for i, o := range objs {
				if diff := cmp.Diff(tc.keys, topLevelKeys(t, o)); diff != "" {
					t.Errorf("object %d keys (-want +got):\n%s", i, diff)
				}
			}
		})
	}
	t.Run("topic PublishTime is an integer of epoch milliseconds", func(t *testing.T) {
		raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "triggers", "topic-json.json"))
		if err != nil {
			t.Fatal(err)
		}
		var ev struct{ PublishTime json.Number }
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&ev); err != nil {
			t.Fatal(err)
		}
		if _, err := ev.PublishTime.Int64(); err != nil {
			t.Errorf("PublishTime %q is not an integer: %v", ev.PublishTime, err)
		}
	})
}

// topLevelKeys lists an object's keys in document order.
func topLevelKeys(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", raw)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}
