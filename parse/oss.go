package parse

import (
	"net/url"
	"strings"
)

// Location is where an OSS object lives: the bucket, and the endpoint and region when the URI named them
// (oss://<bucket>.oss-<region>.aliyuncs.com/<key>). Bare oss://<bucket>/<key> names neither.
type Location struct {
	Bucket   string
	Key      string
	Endpoint string // e.g. oss-cn-hangzhou.aliyuncs.com
	Region   string // e.g. cn-hangzhou
}

// URI is the location as ossutil writes it: oss://<bucket>/<key>.
func (l Location) URI() string { return "oss://" + l.Bucket + "/" + l.Key }

// parseOSS reads an OSS location from oss://, http:// or https:// forms. ok is false when the value is
// not such a URI, or when an http(s) host is not an OSS endpoint (a CDN, say).
func parseOSS(s string) (loc Location, ok bool) {
	scheme, rest, found := strings.Cut(s, "://")
	if !found {
		return Location{}, false
	}
	scheme = strings.ToLower(scheme)
	host, key, _ := strings.Cut(rest, "/")
	switch scheme {
	case "oss":
		// An OSS key may contain '?' and '#': for oss:// everything after the host is the key.
	case "http", "https":
		u, err := url.Parse(s)
		if err != nil {
			return Location{}, false
		}
		host, key = u.Host, strings.TrimPrefix(u.Path, "/")
		if !strings.Contains(host, ".oss-") {
			return Location{}, false
		}
	default:
		return Location{}, false
	}
	host = strings.ToLower(host)
	if host == "" {
		return Location{}, false
	}
	loc.Key = key
	// Bucket names hold no dots, so the first dot ends the name and the rest is the endpoint.
	bucket, endpoint, dotted := strings.Cut(host, ".")
	loc.Bucket = bucket
	if dotted {
		loc.Endpoint = endpoint
		loc.Region = regionOf(endpoint)
	}
	return loc, true
}

// regionOf reads the region out of an endpoint such as oss-cn-hangzhou.aliyuncs.com or
// oss-cn-hangzhou-internal.aliyuncs.com; "" when it names none (oss-accelerate, a custom domain).
func regionOf(endpoint string) string {
	first, _, _ := strings.Cut(endpoint, ".")
	r, ok := strings.CutPrefix(first, "oss-")
	if !ok {
		return ""
	}
	r = strings.TrimSuffix(r, "-internal")
	if r == "accelerate" || r == "accelerate-overseas" || r == "" {
		return ""
	}
	return r
}
