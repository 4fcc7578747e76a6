// Command iprodwatch waits for Alibaba Cloud MPS intelligent-production jobs to finish and publishes
// one normalized completion event per job. main only wires: in Function Compute (FC_RUNTIME_API set,
// no arguments) the binary is the function; anywhere else it is the command line.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/fc"

	"iprodwatch/handler"
	"iprodwatch/handler/cli"
	"iprodwatch/handler/cloud"
)

func main() {
	if len(os.Args) == 1 && os.Getenv("FC_RUNTIME_API") != "" {
		function()
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Now: time.Now})
	stop()
	os.Exit(code)
}

// function reads and validates the configuration once, then serves invocations; the SDK clients
// are built per invocation from that invocation's credentials.
func function() {
	cfg, err := handler.LoadConfig(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "iprodwatch:", err)
		os.Exit(1)
	}
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h := handler.New(cfg, cloud.Connector(cfg), handler.WithLogger(log))
	fc.Start(h.Handle)
}
