package parse

import "encoding/json"

// CartoonizeResult is the result of ImageCartoonize: the stylised image, and the copy of the source
// MPS writes beside it.
type CartoonizeResult struct {
	ImageURI  string `json:"imageUri,omitempty"`
	OriginURI string `json:"originUri,omitempty"`
}

func parseCartoonize(data json.RawMessage, r *resolver) (any, []File, error) {
	files, err := mediaFiles(data, r)
	return CartoonizeResult{ImageURI: first(files, RoleResult), OriginURI: first(files, RoleOrigin)}, files, err
}
