package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/rehearse/rehearse/result"
)

// JSON writes the result as indented JSON, the contract of docs/result.md.
func JSON(w io.Writer, r *result.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// ReadJSON reads a result written by JSON.
func ReadJSON(path string) (*result.Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r result.Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("read result %s: %w", path, err)
	}
	if r.SchemaVersion != result.SchemaVersion {
		return nil, fmt.Errorf("read result %s: schema_version %d, this rehearse reads %d", path, r.SchemaVersion, result.SchemaVersion)
	}
	return &r, nil
}

// WriteFile renders r with render into path.
func WriteFile(path string, r *result.Result, render func(io.Writer, *result.Result) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := render(f, r); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
