// Package parsetest helps tests that check events: it validates an encoded event against the embedded
// JSON Schema, with formats asserted, as any consumer validating our events would.
package parsetest

import (
	"bytes"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"iprodwatch/parse"
)

// Validator checks events against parse.Schema. Compile it once and share it; it is safe for
// concurrent use.
type Validator struct {
	schema *jsonschema.Schema
}

// NewValidator compiles the embedded schema.
func NewValidator() (*Validator, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(parse.Schema()))
	if err != nil {
		return nil, fmt.Errorf("schema is not JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(parse.DataSchema, doc); err != nil {
		return nil, err
	}
	s, err := c.Compile(parse.DataSchema)
	if err != nil {
		return nil, fmt.Errorf("compiling the event schema: %w", err)
	}
	return &Validator{schema: s}, nil
}

// Validate reports whether event (JSON) follows the schema; the error lists every violation.
func (v *Validator) Validate(event []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(event))
	if err != nil {
		return fmt.Errorf("event is not JSON: %w", err)
	}
	return v.schema.Validate(inst)
}
