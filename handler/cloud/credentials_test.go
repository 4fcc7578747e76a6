package cloud_test

import (
	"fmt"
	"strings"
	"testing"

	"iprodwatch/handler/cloud"
)

func TestCredentialsLogMaskedWhateverTheVerb(t *testing.T) {
	c := cloud.Credentials{AccessKeyID: "LTAI5tExample", AccessKeySecret: "s3cr3t", SecurityToken: "t0ken"}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %s", c, c, c)} {
		if strings.Contains(s, "s3cr3t") || strings.Contains(s, "t0ken") || strings.Contains(s, "LTAI5tExample") {
			t.Errorf("credentials printed as %q", s)
		}
	}
}
