package parse

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// number decodes a JSON number or a numeric string ("28278.25"), as MPS and IMS write times and scores
// either way. Absent and null give ok=false. NaN and infinities are refused: JSON cannot carry them.
func number(raw json.RawMessage) (v float64, ok bool, err error) {
	if isNull(raw) {
		return 0, false, nil
	}
	text := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return 0, false, err
		}
		text = strings.TrimSpace(text)
		if text == "" {
			return 0, false, nil
		}
	}
	v, err = strconv.ParseFloat(text, 64)
	if err != nil {
		return 0, false, fmt.Errorf("want a number or a numeric string, got %.40s", string(raw))
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false, fmt.Errorf("number out of range: %.40s", string(raw))
	}
	return v, true, nil
}

// seconds rounds to the microsecond so that converted values print as people write them
// (3300.5 ms -> 3.3005, not 3.3004999999999995).
func seconds(v float64) float64 {
	if math.Abs(v) > 1e15 {
		return v // beyond microseconds anyway, and v*1e6 could overflow to an infinity JSON cannot carry
	}
	return math.Round(v*1e6) / 1e6
}

// msToSeconds converts milliseconds to seconds.
func msToSeconds(ms float64) float64 { return seconds(ms / 1000) }

// optNumber is number as a pointer, nil when absent.
func optNumber(raw json.RawMessage) (*float64, error) {
	v, ok, err := number(raw)
	if !ok || err != nil {
		return nil, err
	}
	return &v, nil
}

// offset reads a time offset into the media (seconds or milliseconds, as the caller knows): a number
// that may not be negative.
func offset(raw json.RawMessage) (v float64, ok bool, err error) {
	v, ok, err = number(raw)
	if ok && v < 0 {
		return 0, false, fmt.Errorf("negative time %.40s", string(raw))
	}
	return v, ok, err
}
