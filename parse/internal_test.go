package parse

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseOSS(t *testing.T) {
	tests := []struct {
		in     string
		want   Location
		wantOK bool
	}{
		{"oss://media.oss-cn-hangzhou.aliyuncs.com/a/b.mp4",
			Location{Bucket: "media", Key: "a/b.mp4", Endpoint: "oss-cn-hangzhou.aliyuncs.com", Region: "cn-hangzhou"}, true},
		{"oss://media.oss-cn-hangzhou-internal.aliyuncs.com/a.mp4",
			Location{Bucket: "media", Key: "a.mp4", Endpoint: "oss-cn-hangzhou-internal.aliyuncs.com", Region: "cn-hangzhou"}, true},
		{"oss://media/a/b.mp4", Location{Bucket: "media", Key: "a/b.mp4"}, true},
		{"OSS://Media/a?b#c.mp4", Location{Bucket: "media", Key: "a?b#c.mp4"}, true},
		{"https://media.oss-cn-beijing.aliyuncs.com/a%20b.jpg?Expires=1&Signature=x",
			Location{Bucket: "media", Key: "a b.jpg", Endpoint: "oss-cn-beijing.aliyuncs.com", Region: "cn-beijing"}, true},
		{"oss://media.oss-accelerate.aliyuncs.com/a", Location{Bucket: "media", Key: "a", Endpoint: "oss-accelerate.aliyuncs.com"}, true},
		{"https://cdn.example.com/a.jpg", Location{}, false},
		{"a/b.mp4", Location{}, false},
		{"ftp://media/a", Location{}, false},
		{"oss:///a", Location{}, false},
	}
	for _, tt := range tests {
		got, ok := parseOSS(tt.in)
		if ok != tt.wantOK {
			t.Errorf("parseOSS(%q) ok = %v, want %v", tt.in, ok, tt.wantOK)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parseOSS(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestResolveFiles(t *testing.T) {
	tests := []struct {
		name, output, value string
		want                File
		wantOK              bool
		wantWarning         bool
	}{
		{"relative key resolves against the Output bucket root", "oss://b.oss-cn-shanghai.aliyuncs.com/out/{source}.mp4", "x/y.mp4",
			File{Role: RoleResult, URI: "oss://b/x/y.mp4", Endpoint: "oss-cn-shanghai.aliyuncs.com", Region: "cn-shanghai"}, true, false},
		{"one leading slash is dropped", "oss://b/out/", "/x.mp4", File{Role: RoleResult, URI: "oss://b/x.mp4"}, true, false},
		{"an absolute OSS URL is normalised", "", "http://c.oss-cn-beijing.aliyuncs.com/k.jpg",
			File{Role: RoleResult, URI: "oss://c/k.jpg", Endpoint: "oss-cn-beijing.aliyuncs.com", Region: "cn-beijing"}, true, false},
		{"another URL is kept", "", "https://cdn.example.com/k.jpg", File{Role: RoleResult, URI: "https://cdn.example.com/k.jpg"}, true, false},
		{"a relative key without an Output bucket keeps the key", "", "k.jpg", File{Role: RoleResult, Key: "k.jpg"}, true, true},
		{"text with spaces is not a file", "oss://b/", "oss fail to save the image", File{}, false, true},
		{"a control character is not a file", "oss://b/", "a\x00b", File{}, false, true},
		{"blank is nothing", "oss://b/", "  ", File{}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newResolver(tt.output)
			got, ok := r.resolve(RoleResult, tt.value)
			if ok != tt.wantOK {
				t.Errorf("ok = %v, want %v", ok, tt.wantOK)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got := len(r.warnings) > 0; got != tt.wantWarning {
				t.Errorf("warnings = %q, want some: %v", r.warnings, tt.wantWarning)
			}
		})
	}
}

func TestNumberAcceptsNumbersAndNumericStrings(t *testing.T) {
	tests := []struct {
		raw     string
		want    float64
		ok, err bool
	}{
		{`1.5`, 1.5, true, false},
		{`"28278.25"`, 28278.25, true, false},
		{`" 4 "`, 4, true, false},
		{`""`, 0, false, false},
		{`null`, 0, false, false},
		{`"NaN"`, 0, false, true},
		{`"Inf"`, 0, false, true},
		{`1e400`, 0, false, true},
		{`"12s"`, 0, false, true},
		{`true`, 0, false, true},
	}
	for _, tt := range tests {
		got, ok, err := number([]byte(tt.raw))
		if got != tt.want || ok != tt.ok || (err != nil) != tt.err {
			t.Errorf("number(%s) = %v, %v, %v; want %v, %v, error %v", tt.raw, got, ok, err, tt.want, tt.ok, tt.err)
		}
	}
	if got := msToSeconds(3300.5); got != 3.3005 {
		t.Errorf("msToSeconds(3300.5) = %v, want 3.3005", got)
	}
}

func TestCaptionLanguage(t *testing.T) {
	for key, want := range map[string]string{
		"subs/ep07-1699123456-zh.srt": "zh",
		"subs/ep07_en.srt":            "en",
		"subs/zh/ep07.srt":            "",
		"subs/zhen-ep07.srt":          "",
	} {
		if got := captionLanguage(key); got != want {
			t.Errorf("captionLanguage(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestEveryListedAlgorithmHasAParserAndASchemaEntry(t *testing.T) {
	for _, a := range Algorithms() {
		if _, ok := parserFor(a); !ok {
			t.Errorf("%s has no parser", a)
		}
		if !containsDef(t, a) {
			t.Errorf("%s has no $defs entry in the schema", a)
		}
	}
	if _, ok := parserFor("FaceBeauty"); ok {
		t.Error("FaceBeauty has a parser; the unknown-algorithm test needs another name")
	}
}

func containsDef(t *testing.T, name string) bool {
	t.Helper()
	var s struct {
		Defs map[string]json.RawMessage `json:"$defs"`
	}
	if err := json.Unmarshal(Schema(), &s); err != nil {
		t.Fatal(err)
	}
	_, ok := s.Defs[name]
	return ok
}
