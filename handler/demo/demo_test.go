package demo_test

import (
	"bufio"
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"iprodwatch/handler/demo"
	"iprodwatch/parse"
	"iprodwatch/parse/parsetest"
)

func TestTheDemoFollowsEveryAlgorithmToItsOutcome(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	rep, err := demo.Run(ctx, demo.Options{Out: &out, Speed: 3000})
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	want := map[string]parse.Outcome{"VideoDelogo": parse.OutcomeFailed, "AudioMixing": parse.OutcomeFailed,
		"VideoGreenScreenMatting": parse.OutcomeTimedOut}
	if len(rep.Jobs) != len(parse.Algorithms()) {
		t.Fatalf("%d jobs, want one per algorithm", len(rep.Jobs))
	}
	fast := 0
	for _, j := range rep.Jobs {
		w, ok := want[j.Algorithm]
		if !ok {
			w = parse.OutcomeSucceeded
		}
		if j.Outcome != w || j.EventID != parse.EventID(j.ID, w) {
			t.Errorf("%s: outcome %s event %s, want %s with its deterministic id", j.Algorithm, j.Outcome, j.EventID, w)
		}
		if j.FastPath {
			fast++
		}
	}
	if fast == 0 || fast == len(rep.Jobs) {
		t.Errorf("%d of %d jobs on the fast path, want some and not all", fast, len(rep.Jobs))
	}
	if rep.Checks >= rep.FixedChecks {
		t.Errorf("%d checks, a 30-second poller %d: the policy should cost less", rep.Checks, rep.FixedChecks)
	}
	// Issue 16: when stdout is not a terminal the header came after the first decisions.
	if !strings.HasPrefix(out.String(), "iprodwatch demo: ") {
		t.Errorf("the output does not start with the header:\n%.300s", out.String())
	}
	for _, s := range []string{"published succeeded", "requeued, next check in", "TOTAL", "FIXED 30s"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("the output does not show %q:\n%s", s, out.String())
		}
	}
}

func TestTheDemoPrintsOnlyEventsWithJSON(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	rep, err := demo.Run(ctx, demo.Options{Out: &out, JSON: true, Speed: 3000})
	if err != nil {
		t.Fatal(err)
	}
	v, err := parsetest.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines++
		if err := v.Validate(sc.Bytes()); err != nil {
			t.Errorf("line %d is not a schema-valid event: %v\n%s", lines, err, sc.Text())
		}
	}
	if lines != len(rep.Jobs)+rep.Duplicates {
		t.Errorf("%d lines, want one per published event (%d)", lines, len(rep.Jobs)+rep.Duplicates)
	}
}
