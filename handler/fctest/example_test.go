package fctest_test

import (
	"context"
	"fmt"

	"iprodwatch/handler/fctest"
)

// The function binary (here the tests' testdata/fn) runs as FC would run it; the test plays the
// invoker.
func ExampleServer_Invoke() {
	srv := fctest.NewServer()
	defer srv.Close() // kills the process first, then closes the listener

	ctx := context.Background()
	if _, err := srv.Start(ctx, fnBinary, map[string]string{"FNTEST_USER": "demo"}); err != nil {
		fmt.Println(err)
		return
	}
	res, err := srv.Invoke(ctx, []byte("hello topic"), fctest.InvokeOptions{})
	fmt.Println(res.Outcome, string(res.Body), err)

	res, _ = srv.Invoke(ctx, []byte(`{"mode":"error","message":"job not found"}`), fctest.InvokeOptions{})
	fmt.Println(res.Outcome, res.ErrorType, res.ErrorMessage)
	// Output:
	// Success {"raw":"hello topic"} <nil>
	// Error errorString job not found
}
