package policy_test

import (
	"testing"
	"time"

	"iprodwatch/handler/policy"
	"iprodwatch/parse"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// medianPolicy checks at the conditional median, so expected delays can be read off the priors.
func medianPolicy() policy.Policy {
	p := policy.Default()
	p.StepProbability, p.Cap = 0.5, 10*time.Minute
	return p
}

func TestDelay(t *testing.T) {
	p := medianPolicy()
	check := func(mod func(*parse.Check)) parse.Check {
		c := parse.Check{JobID: "j", Attempt: 1, FirstCheckedAt: t0, Deadline: t0.Add(24 * time.Hour), Algorithm: "VideoH2V"}
		if mod != nil {
			mod(&c)
		}
		return c
	}
	tests := []struct {
		name string
		c    parse.Check
		now  time.Time
		u    float64
		want time.Duration
	}{
		{"a draw of 0 checks at the floor", check(nil), t0, 0, p.Floor},
		{"a hint is checked at its median when the draw is 1", check(func(c *parse.Check) { c.ExpectedSeconds = 300 }), t0, 1, 300 * time.Second},
		{"a half draw checks halfway between floor and plan", check(func(c *parse.Check) { c.ExpectedSeconds = 305 }), t0, 0.5, 155 * time.Second},
		{"the cap bounds a long hint", check(func(c *parse.Check) { c.ExpectedSeconds = 7200 }), t0, 1, p.Cap},
		{"the floor bounds a tiny hint", check(func(c *parse.Check) { c.ExpectedSeconds = 1 }), t0, 1, p.Floor},
		{"never past the deadline", check(func(c *parse.Check) { c.Deadline = t0.Add(40 * time.Second) }), t0.Add(30 * time.Second), 1, 10 * time.Second},
		{"the deadline reached means now", check(func(c *parse.Check) { c.Deadline = t0 }), t0.Add(time.Second), 1, 0},
		{"far in the tail the wait is capped", check(nil), t0.Add(100 * time.Hour), 1, 0},
	}
	// The last case has its deadline behind it; give it one far ahead instead.
	tests[len(tests)-1].c.Deadline = t0.Add(1000 * time.Hour)
	tests[len(tests)-1].want = p.Cap
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.Delay(tt.c, tt.now, tt.u).Round(time.Second)
			if got != tt.want {
				t.Errorf("Delay = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDelayFollowsTheStateAndThePrior(t *testing.T) {
	p := medianPolicy()
	base := parse.Check{JobID: "j", FirstCheckedAt: t0, LastState: parse.StateQueuing}
	now := t0.Add(10 * time.Second)
	image, video := base, base
	image.Algorithm, video.Algorithm = "ImageH2V", "VideoH2V"
	if di, dv := p.Delay(image, now, 1), p.Delay(video, now, 1); di >= dv {
		t.Errorf("an image job waits %v, a video job %v: want the image job checked sooner", di, dv)
	}
	// A video job that has just started Analysing is planned from its processing prior alone:
	// the next check at the processing median, however long it queued.
	started := video
	started.LastState, started.StateSince = parse.StateAnalysing, t0.Add(30*time.Minute)
	want := time.Duration(p.Priors["VideoH2V"].Processing.MedianSeconds) * time.Second
	if d := p.Delay(started, started.StateSince, 1).Round(time.Second); d != want {
		t.Errorf("a job that has just started processing waits %v, want the processing median %v", d, want)
	}
	unknown := base
	unknown.Algorithm = "FaceBeauty"
	if d := p.Delay(unknown, now, 1); d < p.Floor || d > p.Cap {
		t.Errorf("an unknown algorithm waits %v, outside [%v, %v]", d, p.Floor, p.Cap)
	}
}

func TestBackoff(t *testing.T) {
	p := policy.Default()
	c := parse.Check{Deadline: t0.Add(time.Hour)}
	tests := []struct {
		failures int
		u        float64
		now      time.Time
		want     time.Duration
	}{
		{1, 1, t0, 2 * time.Second},
		{2, 1, t0, 4 * time.Second},
		{3, 1, t0, 8 * time.Second},
		{10, 1, t0, time.Minute},
		{1000, 1, t0, time.Minute},
		{3, 0, t0, time.Second},
		{10, 1, t0.Add(time.Hour - 5*time.Second), 5 * time.Second},
		{2, 1, t0.Add(time.Hour + time.Minute), 4 * time.Second}, // past the deadline: backs off, no longer capped
	}
	for _, tt := range tests {
		if got := p.Backoff(c, tt.now, tt.failures, tt.u); got != tt.want {
			t.Errorf("Backoff(failures=%d, u=%v) = %v, want %v", tt.failures, tt.u, got, tt.want)
		}
	}
}

// The priors cover exactly parse's list of algorithms, the one list the registry and the MPS
// emulator also use.
func TestEveryAlgorithmHasAPriorAndEveryPriorAnAlgorithm(t *testing.T) {
	priors := policy.Default().Priors
	for _, a := range parse.Algorithms() {
		if _, ok := priors[a]; !ok {
			t.Errorf("no prior for %s", a)
		}
	}
	if len(priors) != len(parse.Algorithms()) {
		t.Errorf("%d priors for %d algorithms", len(priors), len(parse.Algorithms()))
	}
}

// TestANotifiedJobsChainIsASparseBackstop: a job submitted with a notification is checked at the
// backstop's density, sparser than polling, never past the backstop's cap (issue 17).
func TestANotifiedJobsChainIsASparseBackstop(t *testing.T) {
	p := policy.Default()
	c := parse.Check{JobID: "j", Algorithm: "VideoH2V", FirstCheckedAt: t0, Deadline: t0.Add(24 * time.Hour), LastState: parse.StateAnalysing, StateSince: t0}
	for _, at := range []time.Duration{time.Minute, 10 * time.Minute, time.Hour, 5 * time.Hour} {
		plain := p.Delay(c, t0.Add(at), 0.99)
		n := c
		n.Notified = true
		sparse := p.Delay(n, t0.Add(at), 0.99)
		if sparse <= plain || sparse > p.BackstopCap {
			t.Errorf("at %v: backstop waits %v, polling %v: want longer, at most %v", at, sparse, plain, p.BackstopCap)
		}
	}
}

// TestAHugeHintWaitsTheCapNotTheFloor (found by review): a wait past what a Duration holds wrapped
// negative and became the floor: a job polled every 5 s for its whole deadline.
func TestAHugeHintWaitsTheCapNotTheFloor(t *testing.T) {
	p := policy.Default()
	for _, h := range []float64{1e6, 1e9, 1e11, 1e15} {
		c := parse.Check{JobID: "j", Attempt: 1, FirstCheckedAt: t0, DueAt: t0, Deadline: t0.Add(24 * time.Hour), ExpectedSeconds: h}
		if d := p.Delay(c, t0.Add(time.Hour), 0.99); d < time.Minute {
			t.Errorf("hint %g s: the next check in %v, want near the cap", h, d)
		}
	}
}
