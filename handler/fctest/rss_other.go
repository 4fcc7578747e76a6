//go:build !linux

package fctest

// readPeakRSS is Linux only (/proc/<pid>/status VmHWM); elsewhere the peak is reported as 0.
func readPeakRSS(pid int) int64 { return 0 }
