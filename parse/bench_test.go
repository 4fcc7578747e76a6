package parse_test

import (
	"os"
	"testing"

	"iprodwatch/parse"
)

// BenchmarkDecodeAndNormalize measures what one check of a final job costs in parse: decoding the
// response body, building the event, and encoding it for publishing. One sub-benchmark per algorithm.
func BenchmarkDecodeAndNormalize(b *testing.B) {
	for _, algorithm := range append(parse.Algorithms(), "FaceBeauty") {
		body, err := os.ReadFile("../testdata/mps/" + algorithm + "/success.json")
		if err != nil {
			b.Fatal(err)
		}
		p := fixedParams()
		b.Run(algorithm, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				job, err := parse.DecodeJob(body)
				if err != nil {
					b.Fatal(err)
				}
				e, err := parse.NewEvent(job, p)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := parse.EncodeEvent(e, ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
