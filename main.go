// Command iprodwatch waits for Alibaba Cloud MPS intelligent-production jobs to finish and
// publishes one normalized completion event per job. main only wires configuration.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "usage: iprodwatch <command> [arguments]")
	os.Exit(2)
}
