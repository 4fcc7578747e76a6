package cloud

// classified is an adapter's error: the handler's category, a text fit for logs and dead letters
// (redacted: an SDK's own text can carry a signed URL or the string to sign), and the SDK's error as
// its cause, so that errors.Is reaches the category and errors.As the SDK's error.
type classified struct {
	cat   error
	text  string
	cause error
}

func classify(cat error, text string, cause error) error {
	return &classified{cat: cat, text: text, cause: cause}
}

func (e *classified) Error() string   { return e.cat.Error() + ": " + e.text }
func (e *classified) Unwrap() []error { return []error{e.cat, e.cause} }
