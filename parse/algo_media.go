package parse

import (
	"encoding/json"
	"fmt"
)

// VideoResult is the result of VideoH2V, VideoDelogo and VideoDetext: one rewritten video.
type VideoResult struct {
	VideoURI string `json:"videoUri,omitempty"`
}

// ImageResult is the result of ImageH2V and ImageDelogo: one rewritten image.
type ImageResult struct {
	ImageURI string `json:"imageUri,omitempty"`
}

// AudioResult is the result of AudioMixing: one mixed audio file.
type AudioResult struct {
	AudioURI string `json:"audioUri,omitempty"`
}

func parseVideo(data json.RawMessage, r *resolver) (any, []File, error) {
	files, err := mediaFiles(data, r)
	return VideoResult{VideoURI: first(files, RoleResult)}, files, err
}

func parseImage(data json.RawMessage, r *resolver) (any, []File, error) {
	files, err := mediaFiles(data, r)
	return ImageResult{ImageURI: first(files, RoleResult)}, files, err
}

func parseAudio(data json.RawMessage, r *resolver) (any, []File, error) {
	files, err := mediaFiles(data, r)
	return AudioResult{AudioURI: first(files, RoleResult)}, files, err
}

// mediaFiles reads the file envelope of an algorithm that writes media. Empty Data and {} are a
// success with no file named (IMS answers {} for these algorithms); anything else must be the envelope.
func mediaFiles(data json.RawMessage, r *resolver) ([]File, error) {
	if len(data) == 0 || string(data) == "{}" {
		return nil, nil
	}
	if _, ok := envelope(data); !ok {
		return nil, errShape(data, `the file envelope {"result":[{"file":...}]}`)
	}
	return r.envelopeFiles(data, RoleResult), nil
}

// errShape reports Data of a shape the algorithm's parser does not know.
func errShape(data json.RawMessage, want string) error {
	return fmt.Errorf("Data %.80s is not %s", string(data), want)
}
