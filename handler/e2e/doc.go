// Package e2e runs the compiled function end to end: the binary built as it is deployed, started by
// the FC runtime emulator, fed by the trigger bridges, and talking to the MPS and MNS emulators
// through the real SDKs. It holds tests only.
package e2e
