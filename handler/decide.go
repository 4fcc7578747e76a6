package handler

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"iprodwatch/handler/policy"
	"iprodwatch/parse"
)

// This file answers "is this check re-queued, published or dead-lettered, and why?": Decide is the
// whole answer, a pure function from the check and its query's outcome to a Verdict. No I/O, no
// clock and no logger inside; push.go and pull.go carry verdicts out, and the README's Decisions
// table is decide_test.go's table.

// Rules are what Decide needs of the configuration and the limits in force.
type Rules struct {
	Region, Account string        // the event's source
	Deadline        time.Duration // IPRODWATCH_DEADLINE: the longest a chain runs (Normalize)
	StalledAfter    time.Duration // IPRODWATCH_STALLED_AFTER
	Policy          policy.Policy
	// Salt salts the jitter (WithSalt): copies of a check agree on their delay only when every
	// instance uses the same salt.
	Salt uint64
	// MaxMessage is the largest body the check queue takes, MaxEvent the event topic's.
	MaxMessage, MaxEvent int
}

// RulesOf returns the rules of cfg with the given salt.
func RulesOf(cfg Config, salt uint64) Rules {
	return Rules{Region: cfg.Region, Account: cfg.AccountID, Deadline: cfg.Deadline, StalledAfter: cfg.StalledAfter, Policy: cfg.Policy, Salt: salt, MaxMessage: MaxMessage, MaxEvent: MaxMessage}
}

// MaxMessage is the MNS limit on a message body.
const MaxMessage = 64 << 10

// MaxVisibility is MNS's longest ChangeMessageVisibility, in seconds (12 hours): the longest a pull
// mode check can be deferred at once.
const MaxVisibility = 43200

// LastQueryGrace is how long past the deadline a last query that keeps failing transiently is
// retried before the job is reported timed out: an unreachable or throttling MPS at the deadline
// must not turn a job that ended into a timed-out one.
const LastQueryGrace = 10 * time.Minute

// Input is everything one decision depends on.
type Input struct {
	Check  parse.Check // normalized (Normalize)
	Pull   bool        // pull mode: the message is deferred, never sent again, so its size does not grow
	Answer Answer
	Now    time.Time // when the answer came
	// Invalid is why the request could not be normalized into a check (Normalize's error); no
	// query is made for it.
	Invalid error
}

// Answer is the outcome of one QueryIProductionJob: the raw body, or the adapter's classified error
// (ErrConfig, ErrTransient, ErrThrottled, ErrNoSuchJob; a context error as it is).
type Answer struct {
	Body []byte
	Err  error
}

// Verdict is what one check decided, with every override already applied: what to send and where
// is fully determined by it.
type Verdict struct {
	Decision Decision
	Check    parse.Check  // the check this query made
	Next     *parse.Check // requeued, retried: the check that follows
	Delay    time.Duration
	// Body is what goes out: the fitted event (published), the next check message (requeued and
	// retried in push mode, and pull mode's Replace).
	Body  []byte
	Event *parse.Event // published: the event as built, before fitting
	// Replace is pull mode's way to remember: the received message is replaced by Body (sent
	// with Delay, then the received one deleted) instead of deferred. Only a failed query past
	// the deadline needs it, to count its failures.
	Replace bool
	Reason  string // deadlettered and retried; a timed-out event after failed queries
	Stalled bool
	Fault   error // failed: the configuration fault the invocation fails with
}

// Record is the verdict as the invocation answers, logs and observes it.
func (v Verdict) Record() Record {
	r := Record{JobID: v.Check.JobID, Decision: v.Decision, Attempt: v.Check.Attempt, Reason: v.Reason, Stalled: v.Stalled}
	if v.Event != nil {
		r.EventID, r.Outcome = v.Event.ID, string(v.Event.Outcome)
	}
	if v.Next != nil {
		r.NextAttempt = v.Next.Attempt
		r.DelaySeconds = v.Delay.Round(time.Millisecond).Seconds()
	}
	return r
}

// Decide decides one check from its query's answer.
func Decide(r Rules, in Input) Verdict {
	c := in.Check
	if in.Invalid != nil {
		return deadLettered(c, in.Invalid.Error())
	}
	job, err := readAnswer(c.JobID, in.Answer)
	switch {
	case err == nil:
	case errors.Is(err, ErrConfig):
		return Verdict{Decision: DecisionFailed, Check: c, Fault: err}
	case errors.Is(err, ErrNoSuchJob) && in.Now.Sub(c.FirstCheckedAt) < NewJobGrace:
		// MPS may not know a job yet right after its submit (the documentation is silent):
		// asked again, with backoff, for NewJobGrace.
		return r.retried(in, err)
	case errors.Is(err, ErrNoSuchJob), errors.Is(err, errUnreadable):
		// Nothing later will make the answer readable: the message goes where an operator sees it.
		return deadLettered(c, err.Error())
	default:
		return r.retried(in, err)
	}
	stalled := in.Now.Sub(c.FirstCheckedAt) >= r.StalledAfter
	if job.State.Final() {
		e, err := parse.NewEvent(job, r.params(c, in.Now))
		if err != nil {
			// No later answer will encode either: failing the invocation would have the trigger
			// deliver the batch again and again.
			return deadLettered(c, "building the event: "+err.Error())
		}
		v := r.published(c, e)
		v.Stalled = stalled && v.Decision == DecisionPublished
		return v
	}
	if !in.Now.Before(c.Deadline) {
		return r.timedOut(c, job, in.Now, "")
	}
	next := c
	next.Attempt++
	next.Failures, next.FailingSince, next.Garbled = 0, time.Time{}, 0
	next.Algorithm = job.FunctionName
	if job.State != c.LastState {
		// Seen at this check's slot, not at this copy's arrival: copies agree (see schedule).
		// Never before the state it follows was seen.
		next.LastState, next.StateSince = job.State, r.slot(in)
		if next.StateSince.Before(c.StateSince) {
			next.StateSince = c.StateSince
		}
	}
	next, delay := r.schedule(in, next)
	v := r.again(in, DecisionRequeued, next, delay, "")
	v.Stalled = stalled && v.Decision == DecisionRequeued
	return v
}

// maxSteps bounds how many slots schedule skips for a copy that comes late; one further behind
// plans from now.
const maxSteps = 1000

// slot is the instant a check is taken to be made at when it plans the next: its own due time in
// push mode (Normalize sets it), now in pull mode.
func (r Rules) slot(in Input) time.Time {
	if in.Pull || in.Check.DueAt.IsZero() {
		return in.Now
	}
	return in.Check.DueAt
}

// schedule plans the check after this one at the first slot of the job's schedule after now, and
// returns it with the delay until then. The slots follow from the check's own due time (DueAt),
// each the policy's delay after the one before, not from when this copy of the check arrived:
// copies of a check that arrive apart (at-least-once delivery, a redelivered batch) plan the same
// slot and arrive together, where Merge keeps one. A copy that arrives after its next slot has
// passed skips to the first slot still ahead (its attempt counts the skipped ones), which is where
// the other copy's chain goes next too; the jitter is drawn per slot (slotDraw), so retries, which
// count as attempts, do not move a chain off the job's slots. Pull mode, which makes no copies,
// plans from now.
func (r Rules) schedule(in Input, next parse.Check) (parse.Check, time.Duration) {
	due := r.slot(in)
	from := due // the slot the next is planned from
	for step := 0; ; step++ {
		from = due
		d := r.Policy.Delay(next, due, r.slotDraw(next.JobID, due))
		if d <= 0 {
			due = next.Deadline
			break
		}
		planned := due.Add(d)
		at := r.snap(next.JobID, planned, d)
		if !at.After(due) {
			at = planned
		}
		if at.After(next.Deadline) {
			at = next.Deadline
		}
		// A slot less than half the policy's floor ahead (a copy that comes just before it)
		// is left to the chain that is due there; this one takes the next.
		if due = at; due.After(in.Now.Add(r.Policy.Floor/2)) || due.Equal(next.Deadline) {
			break // the deadline's slot is always taken: the last query goes there
		}
		if step == maxSteps {
			due = in.Now.Add(r.Policy.Delay(next, in.Now, r.slotDraw(next.JobID, in.Now)))
			break
		}
		next.Attempt++
	}
	next.DueAt = due
	// The job was running at the slot the next is planned from: the query, no earlier, saw it so,
	// except that a slot less than half the floor ahead is skipped too (schedule above), so it may
	// follow the query by that much. A slot, not the query's time, so that every copy of the check
	// that plans the same next slot writes the same message.
	next.LastCheckedAt = from
	return next, due.Sub(in.Now)
}

// Merge keeps one check per job of a delivery and merges the others, each with its merged verdict:
// at-least-once delivery and redelivered batches make copies, and copies arrive together (see
// Rules.schedule); the fast path's notification and the polling chain of the same job meet too.
// The check kept is a check message before a notification, then the one with the later deadline,
// then the healthiest (fewest failures running), then the most advanced (the later slot, the higher
// attempt), so one query serves them all. Without this each copy would be a chain of its
// own, and chains would multiply. Checks with different callbacks are all worked (each must be
// reported).
//
// norm is Normalize for the delivery: a message it refuses is never kept over a copy (it will be
// dead-lettered, and the copy would have been acknowledged with it), and the checks are compared
// as Decide will work on them.
func Merge(msgs []parse.Message, norm func(parse.Message) (parse.Check, error)) (kept, copies []parse.Message) {
	type key struct{ job, callback string }
	keyOf := func(m parse.Message) key { return key{m.Request.Check.JobID, string(m.Request.Check.Callback)} }
	checks := make([]parse.Check, len(msgs))
	valid := make([]bool, len(msgs))
	for i, m := range msgs {
		if m.Err == nil {
			c, err := norm(m)
			checks[i], valid[i] = c, err == nil
		}
	}
	// better reports whether msgs[i] is the one to keep rather than msgs[j]: a check message before
	// a notification (which carries no deadline nor history), then the later deadline (a copy
	// that asked for an earlier one would report timed out a job the other goes on watching), then
	// the fewer failures running (a copy that keeps failing past the deadline would time out a job
	// its healthy copy finds ended), then the later slot, then the higher attempt.
	better := func(i, j int) bool {
		a, b := checks[i], checks[j]
		switch na, nb := msgs[i].Request.Origin == parse.OriginNotification, msgs[j].Request.Origin == parse.OriginNotification; {
		case na != nb:
			return nb
		case !a.Deadline.Equal(b.Deadline):
			return a.Deadline.After(b.Deadline)
		case a.Failures != b.Failures:
			return a.Failures < b.Failures
		case !a.DueAt.Equal(b.DueAt):
			return a.DueAt.After(b.DueAt)
		}
		return a.Attempt > b.Attempt
	}
	best := map[key]int{} // the index of the message kept
	for i, m := range msgs {
		if !valid[i] {
			continue
		}
		if j, ok := best[keyOf(m)]; !ok || better(i, j) {
			best[keyOf(m)] = i
		}
	}
	kept = msgs[:0:0]
	for i, m := range msgs {
		if valid[i] && best[keyOf(m)] != i {
			copies = append(copies, m)
			continue
		}
		kept = append(kept, m)
	}
	return kept, copies
}

// Merged is the verdict on a copy Merge set aside.
func Merged(m parse.Message) Verdict {
	c := m.Request.Check
	c.Attempt = attemptOf(c)
	return Verdict{Decision: DecisionMerged, Check: c, Reason: "another check of this job in this delivery"}
}

// AlreadyAdvanced is the verdict on a check whose chain this instance has already taken past its
// slot (advanced.go): a copy delivered apart from the one worked.
func AlreadyAdvanced(m parse.Message) Verdict {
	v := Merged(m)
	v.Reason = "a copy of a check this instance already worked at this slot"
	return v
}

// Overtaken is the verdict on a pull mode check whose message was received again while it ran (its
// query outlasted the visibility timeout): whoever holds the message now goes on with the chain,
// and this check sends nothing.
func Overtaken(v Verdict) Verdict {
	return Verdict{Decision: DecisionMerged, Check: v.Check, Reason: "the message became visible again while this check ran: the chain goes on from there"}
}

// Rejected is the verdict on a message that is not a check request: err says why.
func Rejected(err error) Verdict {
	return Verdict{Decision: DecisionDeadLettered, Reason: err.Error()}
}

// errUnreadable marks an answer in the API's shape (one JSON object) that cannot be read as this
// job's: a field of the wrong type, an unknown state, an answer about another job. It is never
// guessed at; an answer that is not the API's at all is ErrGarbled, and asked again.
var errUnreadable = errors.New("unreadable answer")

// readAnswer turns the answer into a job, or an error in one of the categories Decide branches on:
// MPS's "no such job", whether the adapter read it from an error code or parse from a 200 body,
// is ErrNoSuchJob either way.
func readAnswer(jobID string, a Answer) (*parse.Job, error) {
	if a.Err != nil {
		return nil, a.Err
	}
	job, err := parse.DecodeJob(a.Body)
	var none *parse.NoSuchJobError
	switch {
	case err != nil && !isObject(a.Body):
		// Empty, cut, a proxy's page: nothing MPS said about the job, so it is asked again.
		return nil, fmt.Errorf("%w: QueryIProductionJob: %w", ErrGarbled, err)
	case errors.As(err, &none):
		return nil, categorized(ErrNoSuchJob, fmt.Errorf("QueryIProductionJob: %w", err))
	case err != nil:
		return nil, categorized(errUnreadable, fmt.Errorf("QueryIProductionJob: %w", err))
	case !strings.EqualFold(job.JobID, jobID):
		// An answer about another job would report that job's end as this one's.
		return nil, categorized(errUnreadable, fmt.Errorf("QueryIProductionJob: asked for job %s, answered for job %s", jobID, job.JobID))
	}
	return job, nil
}

// isObject reports a body that is one whole JSON object: MPS's shape, however wrong its fields.
func isObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}

// NewJobGrace is how long after a chain's first check MPS's "no such job" is asked again rather
// than dead-lettered: a job queried right after its submit may not be known everywhere yet.
const NewJobGrace = 5 * time.Minute

// MaxGarbled is how many answers running that are not the API's (ErrGarbled) a check takes before
// its message is dead-lettered with the last of them: with the backoff's 1-minute cap, some ten
// minutes (about eight on average) of a proxy or gateway answering in MPS's place.
const MaxGarbled = 20

// retried decides after a failed query: the check comes back after a backoff that grows with
// consecutive failures. Past the deadline and its grace the job is timed out with what was last
// seen only after a run of failures that is both long and old: three or more running, the first of
// them LastQueryGrace ago or more. A check that arrives late (a backlog draining) is therefore never
// timed out by one throttled answer. Pull mode, which otherwise never rewrites a message,
// replaces it after a failure past the deadline so that the count is kept (Verdict.Replace).
func (r Rules) retried(in Input, cause error) Verdict {
	c := in.Check
	late := in.Now.Sub(c.Deadline)
	failing := !c.FailingSince.IsZero() && in.Now.Sub(c.FailingSince) >= LastQueryGrace
	if late >= LastQueryGrace && c.Failures >= 2 && failing {
		return r.timedOut(c, nil, in.Now, "last query failed: "+cause.Error())
	}
	next := c
	next.Attempt++
	next.Failures++
	if next.FailingSince.IsZero() {
		next.FailingSince = in.Now
	}
	next.Garbled = 0
	if errors.Is(cause, ErrGarbled) || errors.Is(cause, ErrUnknownCode) {
		if next.Garbled = c.Garbled + 1; next.Garbled >= MaxGarbled {
			return deadLettered(c, fmt.Sprintf("%d answers running were not MPS's or not known to this build; the last: %v", next.Garbled, cause))
		}
	}
	return r.again(in, DecisionRetried, next, r.Policy.Backoff(next, in.Now, next.Failures, r.draw(next)), cause.Error())
}

// again is a verdict that the check comes back after delay: in push mode as a new message, which
// must fit one; in pull mode by deferring the message, for at most MaxVisibility.
func (r Rules) again(in Input, d Decision, next parse.Check, delay time.Duration, reason string) Verdict {
	v := Verdict{Decision: d, Check: in.Check, Next: &next, Delay: delay, Reason: reason}
	if in.Pull && (d != DecisionRetried || in.Now.Before(in.Check.Deadline)) {
		v.Delay = min(delay, MaxVisibility*time.Second)
		return v
	}
	v.Replace = in.Pull
	body, next, err := fitNext(next, r.MaxMessage)
	v.Next = &next
	switch {
	case err != nil:
		return deadLettered(in.Check, "encoding the next check message: "+err.Error())
	case len(body) > r.MaxMessage:
		// No later try can send it, and failing the invocation would have the trigger deliver
		// it again and again.
		return deadLettered(in.Check, fmt.Sprintf("%v: the next check message of job %s would be %d bytes, over the %d an MNS message holds",
			ErrTooLarge, next.JobID, len(body), r.MaxMessage))
	}
	v.Body = body
	return v
}

// fitNext encodes the next check message within limit if it can. The chain's own fields may grow a
// body that fit when it came, or a queue hold less than was thought; the job outlives its userData:
// the event takes userData from MPS's answer, so the copy here goes first (and is flagged).
func fitNext(next parse.Check, limit int) ([]byte, parse.Check, error) {
	body, err := parse.EncodeCheck(next)
	if err == nil && len(body) > limit && next.UserData != nil {
		next.UserData, next.UserDataOmitted = nil, true
		body, err = parse.EncodeCheck(next)
	}
	return body, next, err
}

// timedOut is the timed-out event, built from the last answer, else (job nil) from what the check
// says was last seen.
func (r Rules) timedOut(c parse.Check, job *parse.Job, now time.Time, reason string) Verdict {
	var e *parse.Event
	var err error
	p := r.params(c, now)
	if job != nil {
		p.Checks.LastRunningAt = now // this query saw it running: the job runs past the deadline
		e, err = parse.NewTimedOutEvent(c.JobID, job, p)
	} else {
		e, err = parse.NewTimedOutEventFromCheck(c, p)
	}
	if err != nil {
		return deadLettered(c, "building the timed-out event: "+err.Error())
	}
	v := r.published(c, e)
	if v.Decision == DecisionPublished {
		v.Reason = reason
	}
	return v
}

// published fits the event into one message; one that cannot fit is dead-lettered with the reason.
func (r Rules) published(c parse.Check, e *parse.Event) Verdict {
	body, err := parse.FitEvent(e, r.MaxEvent)
	if err != nil {
		return deadLettered(c, fmt.Sprintf("%v: %v", ErrTooLarge, err))
	}
	return Verdict{Decision: DecisionPublished, Check: c, Event: e, Body: body}
}

func deadLettered(c parse.Check, reason string) Verdict {
	return Verdict{Decision: DecisionDeadLettered, Check: c, Reason: reason}
}

func (r Rules) params(c parse.Check, now time.Time) parse.Params {
	return parse.Params{
		Region:  r.Region,
		Account: r.Account,
		Time:    now,
		Checks: parse.Checks{Attempts: c.Attempt, FirstCheckedAt: c.FirstCheckedAt, DetectedAt: now, Deadline: c.Deadline,
			LastRunningAt: c.LastCheckedAt},
	}
}

// draw is the jitter of a retry's backoff for check c: uniform in [0, 1), but a function of the
// job, the attempt and the failures, not of a random source, so that copies of one failing check
// back off alike on whichever instance handles them. Different jobs still spread out. (A running
// job's next slot is drawn by slotDraw.)
func (r Rules) draw(c parse.Check) float64 {
	f := fnv.New64a()
	fmt.Fprintf(f, "%d/%s/%d/%d", r.Salt, c.JobID, c.Attempt, c.Failures)
	return float64(f.Sum64()>>11) / (1 << 53)
}

// snap moves t, planned d after the slot before it, to the nearest point of the job's grid: instants
// a power of two seconds apart (the largest at most d/4, so the delay moves by an eighth of it at
// most, either way), offset by the job's phase. The grids of one job nest (every point of a coarser
// one is on each finer one), so two chains of a job whose plans differ by less than the spacing
// (one saw a state change a slot before the other, or planned from a different state) often land
// on the same slot, arrive together and merge; without it such chains would stay apart to the end.
func (r Rules) snap(jobID string, t time.Time, d time.Duration) time.Time {
	g := int64(1)
	for g*2 <= int64(d/time.Second)/4 {
		g *= 2
	}
	f := fnv.New64a()
	fmt.Fprintf(f, "%d/%s/grid", r.Salt, jobID)
	phase := int64(f.Sum64() % (1 << 20)) // the same phase modulo every spacing up to 2^20 s
	x := t.Add(time.Duration(g)*time.Second/2).Unix() - phase
	k := x / g
	if x < 0 && x%g != 0 {
		k-- // floor, for times before 1970 plus the phase
	}
	return time.Unix(k*g+phase, 0).UTC()
}

// slotDraw is the jitter of the slot after the one at due: like draw, a function of the job and
// not of a random source, but of the slot rather than the attempt. Chains of one job that went
// through different numbers of retries (each retry is an attempt) still plan the same slots.
func (r Rules) slotDraw(jobID string, due time.Time) float64 {
	f := fnv.New64a()
	fmt.Fprintf(f, "%d/%s/%d", r.Salt, jobID, due.UnixNano())
	return float64(f.Sum64()>>11) / (1 << 53)
}

// Refitted is the verdict when the check queue or the event topic refused v's body as too large:
// its limit is below what this instance read, or could not be read. The body is fitted again to
// limit (the next check without its userData copy, the compact event), to be sent once more. A
// body that small already, or one that cannot be made so, is dead-lettered with err: no smaller
// limit would take it, and failing the invocation would have the trigger deliver it again and
// again.
func (r Rules) Refitted(v Verdict, err error, limit int) Verdict {
	if len(v.Body) > limit {
		small := r
		small.MaxMessage, small.MaxEvent = limit, limit
		switch {
		case v.Decision == DecisionPublished && v.Event != nil:
			if w := small.published(v.Check, v.Event); w.Decision == DecisionPublished {
				w.Reason, w.Stalled = v.Reason, v.Stalled
				return w
			}
		case v.Next != nil:
			if body, next, ferr := fitNext(*v.Next, limit); ferr == nil && len(body) <= limit {
				v.Body, v.Next = body, &next
				return v
			}
		}
	}
	return deadLettered(v.Check, err.Error())
}
