// Package simulate replays a workload of MPS jobs against the real check path (handler.Normalize
// and handler.Decide, fed the check messages the handler writes and answers shaped as MPS's) and
// against the pollers people use, in simulated time: no sleeping, no I/O, deterministic for a seed.
// `iprodwatch simulate` prints its table.
package simulate

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Workload is a mix of jobs: per algorithm a share and how long its jobs take.
type Workload struct {
	Name       string
	Algorithms map[string]Mix
}

// Mix is one algorithm's part of a workload: lognormal queue and processing phases, or a list of
// observed total durations (drawn from as they are, all of it processing).
type Mix struct {
	Share      float64
	Queue      Lognormal
	Processing Lognormal
	Durations  []float64 // seconds; when set, Queue and Processing are unused
}

// Lognormal is a duration's distribution: its median in seconds and the standard deviation of its
// logarithm.
type Lognormal struct {
	Median float64 `json:"median"`
	Sigma  float64 `json:"sigma"`
}

// Bounds on a workload file: what it can say drives loops and allocations.
const (
	maxAlgorithms  = 100
	maxDurations   = 1_000_000
	maxDuration    = 7 * 24 * 3600.0 // MNS keeps a message 7 days: no chain is longer
	maxSigma       = 5.0
	maxWorkloadLen = 64 << 20
	maxShare       = 1e6 // shares are relative: any sum of them stays finite
	minDuration    = 0.001
)

//go:embed default.json
var defaultWorkload []byte

// Default is the embedded workload: every algorithm of the built-in priors, in equal shares, its
// phases those priors (default.json; the README's Benchmarks section documents it).
func Default() Workload {
	w, err := Parse("default", defaultWorkload)
	if err != nil {
		panic("simulate: the embedded workload does not parse: " + err.Error())
	}
	return w
}

// wire is the file's form.
type wire struct {
	Algorithms map[string]struct {
		Share             *float64   `json:"share"`
		QueueSeconds      *Lognormal `json:"queueSeconds"`
		ProcessingSeconds *Lognormal `json:"processingSeconds"`
		DurationsSeconds  []float64  `json:"durationsSeconds"`
	} `json:"algorithms"`
}

// Parse reads a workload file. Shares are normalised; an error names the field that is wrong.
func Parse(name string, b []byte) (Workload, error) {
	if len(b) > maxWorkloadLen {
		return Workload{}, fmt.Errorf("workload %s: over %d MiB", name, maxWorkloadLen>>20)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var wf wire
	if err := dec.Decode(&wf); err != nil {
		return Workload{}, fmt.Errorf("workload %s: %w", name, err)
	}
	if dec.More() {
		return Workload{}, fmt.Errorf("workload %s: more than one JSON value", name)
	}
	switch {
	case len(wf.Algorithms) == 0:
		return Workload{}, fmt.Errorf("workload %s: algorithms: want at least one", name)
	case len(wf.Algorithms) > maxAlgorithms:
		return Workload{}, fmt.Errorf("workload %s: algorithms: %d, want at most %d", name, len(wf.Algorithms), maxAlgorithms)
	}
	w := Workload{Name: name, Algorithms: map[string]Mix{}}
	var errs []error
	total := 0.0
	for _, algo := range sortedKeys(wf.Algorithms) {
		a := wf.Algorithms[algo]
		at := "algorithms." + algo
		fail := func(field, format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s.%s: %s", at, field, fmt.Sprintf(format, args...)))
		}
		if !isName(algo) {
			errs = append(errs, fmt.Errorf("%s: want an algorithm name as MPS writes FunctionName: 1 to 128 letters, digits, _ and -", at))
			continue
		}
		m := Mix{}
		switch {
		case a.Share == nil:
			fail("share", "missing")
		case !finite(*a.Share) || *a.Share < 0 || *a.Share > maxShare:
			fail("share", "%v: want a number from 0 to %g", *a.Share, maxShare)
		default:
			m.Share = *a.Share
		}
		phases := a.QueueSeconds != nil || a.ProcessingSeconds != nil
		switch {
		case phases && a.DurationsSeconds != nil:
			fail("durationsSeconds", "given with queueSeconds or processingSeconds: want one form")
		case a.DurationsSeconds != nil:
			if len(a.DurationsSeconds) == 0 || len(a.DurationsSeconds) > maxDurations {
				fail("durationsSeconds", "%d durations, want 1 to %d", len(a.DurationsSeconds), maxDurations)
			}
			for i, d := range a.DurationsSeconds {
				if !finite(d) || d < minDuration || d > maxDuration {
					fail(fmt.Sprintf("durationsSeconds[%d]", i), "%v: want seconds from %v to %v", d, minDuration, maxDuration)
					break
				}
			}
			m.Durations = a.DurationsSeconds
		case a.QueueSeconds == nil || a.ProcessingSeconds == nil:
			fail("processingSeconds", "want queueSeconds and processingSeconds, or durationsSeconds")
		default:
			for field, ph := range map[string]*Lognormal{"queueSeconds": a.QueueSeconds, "processingSeconds": a.ProcessingSeconds} {
				switch {
				case !finite(ph.Median) || ph.Median <= 0 || ph.Median > maxDuration:
					fail(field+".median", "%v: want seconds above 0, at most %v", ph.Median, maxDuration)
				case !finite(ph.Sigma) || ph.Sigma < 0 || ph.Sigma > maxSigma:
					fail(field+".sigma", "%v: want 0 to %v", ph.Sigma, maxSigma)
				}
			}
			m.Queue, m.Processing = *a.QueueSeconds, *a.ProcessingSeconds
		}
		total += m.Share
		w.Algorithms[algo] = m
	}
	if len(errs) == 0 && total <= 0 {
		errs = append(errs, errors.New("algorithms: every share is 0"))
	}
	if len(errs) > 0 {
		return Workload{}, fmt.Errorf("workload %s: %w", name, errors.Join(errs...))
	}
	for k, m := range w.Algorithms {
		m.Share /= total
		w.Algorithms[k] = m
	}
	return w, nil
}

func isName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func sortedKeys[M ~map[string]V, V any](m M) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
