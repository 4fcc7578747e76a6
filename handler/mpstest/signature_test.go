package mpstest

import (
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The vectors of wire-formats.md 1.3, captured from the SDK and re-computed in Python.
func TestSignatureMatchesTheCapturedVectors(t *testing.T) {
	query := url.Values{
		"AccessKeyId": {"testid"}, "Action": {"QueryIProductionJob"}, "Format": {"JSON"},
		"JobId": {"39f8e0bc005e4f309379701645f4"}, "RegionId": {"cn-shanghai"},
		"SignatureMethod": {"HMAC-SHA1"}, "SignatureNonce": {"3f0a1b2c4d5e6f708192a3b4c5d6e7f8"},
		"SignatureType": {""}, "SignatureVersion": {"1.0"}, "Timestamp": {"2024-05-06T07:08:09Z"},
		"Version": {"2014-06-18"},
	}
	withoutType := url.Values{}
	for k, v := range query {
		if k != "SignatureType" {
			withoutType[k] = v
		}
	}
	submit, err := url.ParseQuery("AccessKeyId=testid&Action=SubmitIProductionJob&Format=JSON&FunctionName=VideoClassification&Input=%7B%22Bucket%22%3A%22b%22%2C%22Location%22%3A%22oss-cn-shanghai%22%2C%22Object%22%3A%22in+dir%2F%E8%A7%86%E9%A2%91+a%2Ab~c.mp4%22%7D&JobParams=%7B%22k%22%3A%22v%22%7D&ModelId=model-1&NotifyUrl=mns%3A%2F%2F123.mns.cn-shanghai.aliyuncs.com%2Fqueues%2Fq&Output=oss%3A%2F%2Fb%2Fout%2F&OwnerAccount=oa&OwnerId=1&PipelineId=pipe-1&RegionId=cn-shanghai&ResourceOwnerAccount=roa&ResourceOwnerId=2&ScheduleParams=%7B%22Priority%22%3A6%7D&SecurityToken=test%2Ftoken%2Bsts%3D%3D&Signature=vchCMnWSthvdSW3mV57ya99jHCw%3D&SignatureMethod=HMAC-SHA1&SignatureNonce=3f0a1b2c4d5e6f708192a3b4c5d6e7f8&SignatureType=&SignatureVersion=1.0&Timestamp=2024-05-06T07%3A08%3A09Z&UserData=user+data+%26+more&Version=2014-06-18")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		params   url.Values
		wantSTS  string
		wantSign string
	}{
		{
			name:     "the query vector signs as the SDK did",
			params:   query,
			wantSTS:  "POST&%2F&AccessKeyId%3Dtestid%26Action%3DQueryIProductionJob%26Format%3DJSON%26JobId%3D39f8e0bc005e4f309379701645f4%26RegionId%3Dcn-shanghai%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3f0a1b2c4d5e6f708192a3b4c5d6e7f8%26SignatureType%3D%26SignatureVersion%3D1.0%26Timestamp%3D2024-05-06T07%253A08%253A09Z%26Version%3D2014-06-18",
			wantSign: "wrIHe/NcRAevStUCNciPt8DuG8g=",
		},
		{
			name:     "dropping the empty SignatureType changes the signature",
			params:   withoutType,
			wantSign: "t/1/wdB79byWhNUZ/rb0YUB5DY4=",
		},
		{
			name:     "the submit vector with spaces, reserved bytes and UTF-8 signs as the SDK did",
			params:   submit,
			wantSign: "vchCMnWSthvdSW3mV57ya99jHCw=",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sts := StringToSign("POST", tt.params)
			if tt.wantSTS != "" {
				if diff := cmp.Diff(tt.wantSTS, sts); diff != "" {
					t.Errorf("StringToSign (-want +got):\n%s", diff)
				}
			}
			if got := Sign(sts, "testsecret"); got != tt.wantSign {
				t.Errorf("Sign = %q, want %q", got, tt.wantSign)
			}
		})
	}
}
