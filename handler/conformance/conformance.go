// Package conformance is how the emulators' conformance suites find the real cloud: one switch
// and the credential names the function itself reads, so anyone with an account can check the
// emulators with one command (make conformance):
//
//	CONFORMANCE=cloud                      run against the cloud too (the emulator always)
//	ALIBABA_CLOUD_ACCESS_KEY_ID            the key pair, as the function and the commands read it
//	ALIBABA_CLOUD_ACCESS_KEY_SECRET
//	ALIBABA_CLOUD_SECURITY_TOKEN           with an STS pair
//	IPRODWATCH_REGION, IPRODWATCH_ACCOUNT_ID
//	IPRODWATCH_MNS_ENDPOINT                optional: default http://<account>.mns.<region>.aliyuncs.com
//	CONFORMANCE_MPS_JOB_ID                 optional: a finished job of the account, for the read-only query
//	CONFORMANCE_BILLABLE=1                 optional: also the cases that cost money (MNS topics, an MPS
//	CONFORMANCE_MPS_INPUT, CONFORMANCE_MPS_OUTPUT  Cover job submitted between these OSS URIs)
//
// Without CONFORMANCE=cloud the cloud cases are skipped; with it, a missing variable fails the
// run rather than skipping it silently.
package conformance

import (
	"os"
	"sort"
	"strings"
	"testing"
)

// Cloud is the account the suites run against.
type Cloud struct {
	Region, Account     string
	AccessKeyID, Secret string
	SecurityToken       string
	MNSEndpoint         string
	MPSJobID            string
	Billable            bool
	MPSInput, MPSOutput string
}

// Enabled reports whether CONFORMANCE=cloud asks for the cloud run.
func Enabled() bool { return os.Getenv("CONFORMANCE") == "cloud" }

// FromEnv returns the cloud to run against, false when the cloud run is not asked for; it fails
// tb when it is asked for and a required variable is missing.
func FromEnv(tb testing.TB) (Cloud, bool) {
	tb.Helper()
	if !Enabled() {
		return Cloud{}, false
	}
	c := Cloud{
		Region: os.Getenv("IPRODWATCH_REGION"), Account: os.Getenv("IPRODWATCH_ACCOUNT_ID"),
		AccessKeyID: os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"), Secret: os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
		SecurityToken: os.Getenv("ALIBABA_CLOUD_SECURITY_TOKEN"), MNSEndpoint: os.Getenv("IPRODWATCH_MNS_ENDPOINT"),
		MPSJobID: os.Getenv("CONFORMANCE_MPS_JOB_ID"), Billable: os.Getenv("CONFORMANCE_BILLABLE") == "1",
		MPSInput: os.Getenv("CONFORMANCE_MPS_INPUT"), MPSOutput: os.Getenv("CONFORMANCE_MPS_OUTPUT"),
	}
	var missing []string
	for name, v := range map[string]string{"IPRODWATCH_REGION": c.Region, "IPRODWATCH_ACCOUNT_ID": c.Account,
		"ALIBABA_CLOUD_ACCESS_KEY_ID": c.AccessKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": c.Secret} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		tb.Fatalf("CONFORMANCE=cloud needs %s", strings.Join(missing, ", "))
	}
	if c.MNSEndpoint == "" {
		c.MNSEndpoint = "http://" + c.Account + ".mns." + c.Region + ".aliyuncs.com"
	}
	return c, true
}
