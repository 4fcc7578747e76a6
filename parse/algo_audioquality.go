package parse

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// AudioQualityResult is the result of AudioQualityAssessment: one assessment per audio channel.
type AudioQualityResult struct {
	Channels []ChannelQuality `json:"channels"`
}

// ChannelQuality is one channel's assessment. Scores run from 0 (worst) to 5 (best).
type ChannelQuality struct {
	Channel int    `json:"channel"` // 0-based position in MPS's list
	Tag     string `json:"tag,omitempty"`
	// Valid is false when Tag says the audio could not be assessed (File too Short, Mute, Voice too
	// Short): the scores are then 0 and mean nothing. A channel without a Tag counts as valid.
	Valid              bool     `json:"valid"`
	MOSScore           *float64 `json:"mosScore,omitempty"`
	DiscontinuityScore *float64 `json:"discontinuityScore,omitempty"`
	ColorationScore    *float64 `json:"colorationScore,omitempty"`
	NoisinessScore     *float64 `json:"noisinessScore,omitempty"`
	LoudnessScore      *float64 `json:"loudnessScore,omitempty"`
	LoudnessDB         *float64 `json:"loudnessDb,omitempty"` // -90 dB to 0 dB
	SpeechRatio        *float64 `json:"speechRatio,omitempty"`
	DoubleTalkPercent  *float64 `json:"doubleTalkPercent,omitempty"`
	BadMutePercent     *float64 `json:"badMutePercent,omitempty"`
	SaturatedPercent   *float64 `json:"saturatedPercent,omitempty"`
	// Other holds every key not listed above (the "Worst ..." scores among them) under MPS's own
	// name, numeric strings converted to numbers.
	Other map[string]any `json:"other,omitempty"`
}

// qualityField maps MPS's key, which carries its range in the name ("MOS(0-5)"), to our field.
func (c *ChannelQuality) qualityField(key string) **float64 {
	norm := strings.ToLower(strings.Join(strings.Fields(key), ""))
	switch norm {
	case "mos(0-5)", "mos":
		return &c.MOSScore
	case "discontinuity(0-5)", "discontinuity":
		return &c.DiscontinuityScore
	case "coloration(0-5)", "coloration":
		return &c.ColorationScore
	case "noisiness(0-5)", "noisiness":
		return &c.NoisinessScore
	case "loudness(0-5)":
		return &c.LoudnessScore
	case "loudness(-90db-0db)", "loudness(db)":
		return &c.LoudnessDB
	case "speechratio":
		return &c.SpeechRatio
	case "doubletalkratio(%)":
		return &c.DoubleTalkPercent
	case "badmuteratio(%)":
		return &c.BadMutePercent
	case "saturatedratio(%)":
		return &c.SaturatedPercent
	}
	return nil
}

// parseAudioQuality accepts an array with one object per channel, bare or under result, and a single
// object for a mono file.
func parseAudioQuality(data json.RawMessage, _ *resolver) (any, []File, error) {
	res := AudioQualityResult{Channels: []ChannelQuality{}}
	if len(data) == 0 {
		return res, nil, nil
	}
	entries, ok := asArray(data)
	if !ok {
		o, isObj := asObject(data)
		entries, ok = asArray(o.get("result", "channels"))
		if !ok && isObj && len(o) > 0 {
			entries, ok = []json.RawMessage{data}, true
		}
	}
	if !ok {
		return res, nil, errShape(data, "an array with one object per channel")
	}
	for i, e := range entries {
		o, ok := asObject(e)
		if !ok {
			return res, nil, fmt.Errorf("channel %d is %s, want an object", i, kind(e))
		}
		c := ChannelQuality{Channel: i, Valid: true}
		// Sorted, so that keys differing only in case resolve the same way every time.
		for _, key := range slices.Sorted(maps.Keys(o)) {
			raw := o[key]
			if strings.EqualFold(key, "Tag") {
				tag, err := optString(raw)
				if err != nil {
					return res, nil, fmt.Errorf("channel %d Tag: %w", i, err)
				}
				c.Tag, c.Valid = tag, tag == "" || strings.EqualFold(tag, "Valid")
				continue
			}
			if dst := c.qualityField(key); dst != nil {
				v, err := optNumber(raw)
				if err != nil {
					return res, nil, fmt.Errorf("channel %d %q: %w", i, key, err)
				}
				*dst = v
				continue
			}
			if c.Other == nil {
				c.Other = map[string]any{}
			}
			c.Other[key] = otherValue(raw)
		}
		res.Channels = append(res.Channels, c)
	}
	return res, nil, nil
}

// otherValue keeps an unlisted value, turning a numeric string into a number.
func otherValue(raw json.RawMessage) any {
	if v, ok, err := number(raw); ok && err == nil {
		return v
	}
	return json.RawMessage(compact(raw))
}
