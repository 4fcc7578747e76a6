package parse

import (
	"fmt"
	"unicode/utf8"
)

// FitEvent encodes e in at most limit bytes (the MNS message limit, in the handler). An event that
// is larger keeps its envelope and id and loses, in this order, rawData, warnings, the typed result,
// the files, jobParams and userData, then has its error message and its input and output cut to
// 1 KiB; data.truncated says what went and names the command that prints the whole event. e itself
// is not changed. The error says how large the event stays when even that does not fit.
func FitEvent(e *Event, limit int) ([]byte, error) {
	body, err := EncodeEvent(e, "")
	if err != nil || len(body) <= limit {
		return body, err
	}
	small := *e
	if e.Data.Error != nil {
		errCopy := *e.Data.Error
		small.Data.Error = &errCopy
	}
	small.Data.Truncated = &Truncated{
		Reason: fmt.Sprintf("the event was %d bytes; an MNS message holds %d", len(body), limit),
		Fetch:  "iprodwatch check -json " + e.Subject,
	}
	drops := []struct {
		path string
		drop func(*EventData)
	}{
		{"data.rawData", func(d *EventData) { d.RawData = nil }},
		{"data.warnings", func(d *EventData) { d.Warnings = nil }},
		{"data.result", func(d *EventData) { d.Result, d.ResultError = nil, "" }},
		{"data.files", func(d *EventData) { d.Files = []File{} }},
		{"data.jobParams", func(d *EventData) { d.JobParams = nil }},
		{"data.userData", func(d *EventData) { d.UserData = nil }},
		{"data.error.message", func(d *EventData) {
			if d.Error != nil {
				d.Error.Message = Cut(d.Error.Message, 1024)
			}
		}},
		{"data.input", func(d *EventData) { d.Input, d.Output = Cut(d.Input, 1024), Cut(d.Output, 1024) }},
	}
	for _, d := range drops {
		d.drop(&small.Data)
		small.Data.Truncated.Omitted = append(small.Data.Truncated.Omitted, d.path)
		if body, err = EncodeEvent(&small, ""); err != nil || len(body) <= limit {
			return body, err
		}
	}
	return nil, fmt.Errorf("event of job %s is %d bytes even without its data, over the %d a message holds", e.Subject, len(body), limit)
}

// Cut shortens s to at most n bytes on a character boundary, marking the cut with "...".
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
