//go:build !iprodwatch.nodev

package cli

// devCommands are the developer verbs, which run the emulators in this process. The function's own
// build leaves them out (-tags iprodwatch.nodev, as `make build` builds it), so the deployed binary
// carries no emulator, test harness or demo, in the way aws-lambda-go's lambda.norpc keeps its RPC
// mode out.
func devCommands() []command {
	return []command{invokeCommand(), simulateCommand(), demoCommand(), emulateCommand()}
}
