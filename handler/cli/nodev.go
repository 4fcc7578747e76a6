//go:build iprodwatch.nodev

package cli

// devCommands: none in the function's build (see dev.go).
func devCommands() []command { return nil }
