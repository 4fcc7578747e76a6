package handler_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"iprodwatch/handler/cloud"
	"iprodwatch/handler/handlertest"
	"iprodwatch/handler/mpstest"
)

func TestNoSecretReachesALogLineOrADeadLetter(t *testing.T) {
	const token = "CAIS-secret-sts-token-value"
	e := newEnv(t, handlertest.Options{})
	e.w.MPS.AddSTSCredential("STS.tempid", "sts-secret-value", token, time.Now().Add(48*time.Hour)) // STS expiry is wall time
	e.w.MNS.AddCredential(mnstestCredential("STS.tempid", "sts-secret-value", token))
	e.w.Cred = cloud.Credentials{AccessKeyID: "STS.tempid", AccessKeySecret: "sts-secret-value", SecurityToken: token}
	e.rebuild()
	e.seed(job1, "Cover", mpstest.Script{Done: time.Minute}, false)
	// Dropped connections and 5xx: the SDK's transport errors carry the signed URL, token included.
	e.w.MPS.FailNext(mpstest.ActionQuery, job1, 2, mpstest.Fault{Drop: true})
	e.w.MPS.FailNext(mpstest.ActionQuery, job1, 1, mpstest.Fault{Error: mpstest.ErrServiceUnavailable()})
	e.send(`{"JobId":"` + job1 + `"}`)
	e.send(`not a check`)
	e.drive(func() bool { return len(e.eventsFor(job1)) > 0 }, 200, e.queueTrigger())
	// A configuration fault's error text too.
	e.w.Cred.AccessKeySecret = "wrong-secret-value"
	e.rebuild()
	_, err := e.h.Handle(context.Background(), []byte(`{"JobId":"`+job1+`"}`))
	if err == nil {
		t.Fatal("a wrong secret was accepted")
	}
	everything := e.logs.String() + "\n" + strings.Join(e.w.DeadLetters(), "\n") + "\n" + err.Error()
	if !strings.Contains(everything, "retried") {
		t.Fatalf("the transport faults were not exercised; log:\n%s", e.logs.String())
	}
	for _, secret := range []string{"sts-secret-value", token, "wrong-secret-value", "Signature=", "SecurityToken="} {
		if strings.Contains(everything, secret) {
			t.Errorf("%q appears in the logs, dead letters or errors:\n%s", secret, everything)
		}
	}
}
