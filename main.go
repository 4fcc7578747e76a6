// Command iprodwatch waits for Alibaba Cloud MPS intelligent-production jobs to finish and publishes
// one normalized completion event per job. main only wires the process to the command line.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"iprodwatch/handler/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Env{
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Getenv: os.Getenv,
		Now:    time.Now,
	})
	stop()
	os.Exit(code)
}
