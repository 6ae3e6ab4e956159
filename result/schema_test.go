package result_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/invopop/jsonschema"
	validator "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rehearse/rehearse/result"
)

var update = flag.Bool("update", false, "rewrite schema.json")

func generate(t *testing.T) []byte {
	t.Helper()
	r := &jsonschema.Reflector{AllowAdditionalProperties: true}
	if err := r.AddGoComments("github.com/rehearse/rehearse/result", "./"); err != nil {
		t.Fatal(err)
	}
	s := r.Reflect(&result.Result{})
	s.ID = result.SchemaURL
	s.Title = "rehearse result"
	// Go writes a nil slice or map as null: the schema says so.
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var tree map[string]any
	if err := json.Unmarshal(raw, &tree); err != nil {
		t.Fatal(err)
	}
	nullable(tree)
	raw, err = json.MarshalIndent(tree, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(raw, '\n')
}

// nullable lets every array, and every object that is a map (it has
// additionalProperties of its own), also be null.
func nullable(v any) {
	switch n := v.(type) {
	case map[string]any:
		_, isMap := n["additionalProperties"].(map[string]any)
		if n["type"] == "array" || n["type"] == "object" && isMap && n["properties"] == nil {
			n["type"] = []any{n["type"], "null"}
		}
		for _, c := range n {
			nullable(c)
		}
	case []any:
		for _, c := range n {
			nullable(c)
		}
	}
}

func TestSchemaIsGenerated(t *testing.T) {
	got := generate(t)
	if *update {
		if err := os.WriteFile("schema.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, result.JSONSchema) {
		t.Fatal("schema.json is not what the types generate: go test ./result -run TestSchemaIsGenerated -update")
	}
}

// The results the reports are tested with, written by rehearsals, match
// the schema; one without a required field does not.
func TestSchemaAcceptsResults(t *testing.T) {
	doc, err := validator.UnmarshalJSON(bytes.NewReader(result.JSONSchema))
	if err != nil {
		t.Fatal(err)
	}
	c := validator.NewCompiler()
	if err := c.AddResource(result.SchemaURL, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(result.SchemaURL)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../reports/testdata/*.json")
	n := 0
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var probe map[string]any
		if err := json.Unmarshal(raw, &probe); err != nil || probe["scenario"] == nil || probe["runs"] != nil {
			continue // a matrix result or the SARIF schema
		}
		v, _ := validator.UnmarshalJSON(bytes.NewReader(raw))
		if err := s.Validate(v); err != nil {
			t.Errorf("%s: %v", path, err)
		}
		n++
		delete(probe, "verdict")
		if s.Validate(probe) == nil {
			t.Errorf("%s without verdict matches the schema", path)
		}
	}
	if n == 0 {
		t.Fatal("no result files found")
	}
}
