package triggertest

import (
	"math/rand"
	"time"
)

// RetryStrategy is a push retry strategy: EventBridge's PushRetryStrategy and MNS's
// NotifyStrategy use the same two names.
type RetryStrategy string

const (
	// BackoffRetry retries 3 times, a random 10–20 s apart.
	BackoffRetry RetryStrategy = "BACKOFF_RETRY"
	// ExponentialDecayRetry retries 176 times, 1, 2, 4 … 256 s apart and then 512 s (167
	// times): about one day in all.
	ExponentialDecayRetry RetryStrategy = "EXPONENTIAL_DECAY_RETRY"
)

type retryPolicy struct {
	retries int
	delay   func(retry int, r *rand.Rand) time.Duration
}

// policy returns the documented rule of a strategy; ok is false for an unknown name.
func (s RetryStrategy) policy() (p retryPolicy, ok bool) {
	switch s {
	case BackoffRetry:
		return retryPolicy{retries: 3, delay: backoffDelay}, true
	case ExponentialDecayRetry:
		return retryPolicy{retries: 176, delay: exponentialDelay}, true
	}
	return retryPolicy{}, false
}

// Retries is how many times the strategy retries after the first failed push (0 for an unknown
// name).
func (s RetryStrategy) Retries() int {
	p, _ := s.policy()
	return p.retries
}

// Delay is the wait before retry number retry (1 for the first retry), drawn from r for
// BackoffRetry. Past Retries the last rule continues (a random 10–20 s, or 512 s): a stream that
// does not tolerate errors keeps retrying at that pace.
func (s RetryStrategy) Delay(retry int, r *rand.Rand) time.Duration {
	p, ok := s.policy()
	if !ok {
		return 0
	}
	return p.delay(retry, r)
}

// backoffDelay is uniform over [10 s, 20 s] in whole milliseconds.
func backoffDelay(_ int, r *rand.Rand) time.Duration {
	return 10*time.Second + time.Duration(r.Int63n(10001))*time.Millisecond
}

func exponentialDelay(retry int, _ *rand.Rand) time.Duration {
	if retry < 1 {
		retry = 1
	}
	if retry > 10 {
		return 512 * time.Second
	}
	return time.Duration(1<<(retry-1)) * time.Second
}

// asyncRetryDelay spaces FC's own async retries (timer invocations): 1, 2, 4 … s after each
// failure. FC does not document the interval; only the count (maxAsyncRetryAttempts) is.
func asyncRetryDelay(retry int, _ *rand.Rand) time.Duration {
	if retry > 10 {
		retry = 10
	}
	return time.Duration(1<<(retry-1)) * time.Second
}
