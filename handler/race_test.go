//go:build race

package handler_test

// raceEnabled reports a build with the race detector, which makes the chaos run about six times
// slower: make test runs the full run without it and a smaller one with it.
const raceEnabled = true
