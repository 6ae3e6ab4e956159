package scenarios

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/invopop/jsonschema"
	validator "github.com/santhosh-tekuri/jsonschema/v6"
)

// generateSchema reflects the scenario types, with their doc comments as
// descriptions. Types that read more than one YAML form get their schema
// here, from what their UnmarshalYAML accepts.
func generateSchema(t *testing.T) []byte {
	t.Helper()
	// Each use gets its own copy: the reflector sets the field's description on it.
	duration := func() *jsonschema.Schema {
		return &jsonschema.Schema{OneOf: []*jsonschema.Schema{
			{Type: "string", Pattern: `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`, Description: "a duration with a unit: 500ms, 2s, 1m30s"},
			{Type: "integer", Enum: []any{0}},
		}}
	}
	scalar := func() *jsonschema.Schema {
		return &jsonschema.Schema{OneOf: []*jsonschema.Schema{{Type: "string"}, {Type: "number"}, {Type: "boolean"}}}
	}
	r := &jsonschema.Reflector{
		FieldNameTag:               "yaml",
		RequiredFromJSONSchemaTags: true, // nothing is required by shape: Load says what is missing, and why
		AllowAdditionalProperties:  false,
		DoNotReference:             false,
		Mapper: func(t reflect.Type) *jsonschema.Schema {
			switch t {
			case reflect.TypeFor[Duration]():
				return duration()
			case reflect.TypeFor[Setting](), reflect.TypeFor[MigrationVersion]():
				return scalar()
			case reflect.TypeFor[Count]():
				return &jsonschema.Schema{OneOf: []*jsonschema.Schema{{Type: "integer", Minimum: "0"}, {Type: "string", Pattern: `^[0-9][0-9_]*(\.[0-9]+)?[kKMGB]?$`, Description: "2_000_000, 250k, 2.5M or 1G"}}}
			case reflect.TypeFor[ForbidRule]():
				return &jsonschema.Schema{OneOf: []*jsonschema.Schema{{Type: "string"},
					{Type: "object", MinProperties: ptr(uint64(1)), MaxProperties: ptr(uint64(1)), AdditionalProperties: duration()}}}
			}
			return nil
		},
	}
	if err := r.AddGoComments("github.com/rehearse/rehearse/scenarios", "./"); err != nil {
		t.Fatal(err)
	}
	s := r.Reflect(&Scenario{})
	s.ID = SchemaURL
	s.Title = "rehearse scenario"
	raw, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(raw, '\n')
}

func ptr[T any](v T) *T { return &v }

func TestSchemaIsGenerated(t *testing.T) {
	got := generateSchema(t)
	if *update {
		if err := os.WriteFile("schema.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, SchemaJSON) {
		t.Fatal("schema.json is not what the types generate: go test ./scenarios -run TestSchemaIsGenerated -update")
	}
}

func compileSchema(t *testing.T) *validator.Schema {
	t.Helper()
	doc, err := validator.UnmarshalJSON(bytes.NewReader(SchemaJSON))
	if err != nil {
		t.Fatal(err)
	}
	c := validator.NewCompiler()
	if err := c.AddResource(SchemaURL, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SchemaURL)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// yamlAsJSON reads a scenario file as the JSON value a YAML language server validates.
func yamlAsJSON(t *testing.T, path string) any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	j, err := yaml.YAMLToJSON(raw)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	v, err := validator.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// Every example and good fixture matches the schema, and each example
// names it on its first line.
func TestSchemaAcceptsExamples(t *testing.T) {
	s := compileSchema(t)
	files, _ := filepath.Glob("examples/*.yaml")
	good, _ := filepath.Glob("testdata/good/*.yaml")
	if len(files) < 3 {
		t.Fatalf("found %d examples", len(files))
	}
	for _, path := range append(files, good...) {
		if err := s.Validate(yamlAsJSON(t, path)); err != nil {
			t.Errorf("%s does not match the schema: %v", path, err)
		}
		if strings.HasPrefix(path, "examples/") {
			raw, _ := os.ReadFile(path)
			if !strings.HasPrefix(string(raw), "# yaml-language-server: $schema=") {
				t.Errorf("%s does not start with the yaml-language-server line", path)
			}
		}
	}
}

// shapeErrors are the bad fixtures whose problem is the shape of the file
// (an unknown key, a value of the wrong type or form): the schema rejects
// them. The other bad fixtures are wrong in ways only Load can see
// (references, SQL, conflicts between sections); the schema lets them pass.
var shapeErrors = map[string]bool{
	"alias_type": true, "background_problems": true, "bad_duration": true, "batch_problems": true, "empty": true,
	"forbid_unknown": true, "many_problems": true, "shape_errors": true, "traffic_client_problems": true,
	"typo_key": true, "wrong_type": true, "wrong_types": true,
}

func TestSchemaRejectsShapeErrors(t *testing.T) {
	s := compileSchema(t)
	bad, _ := filepath.Glob("testdata/bad/*.yaml")
	for _, path := range bad {
		if strings.HasSuffix(path, "yaml_syntax.yaml") {
			continue // not YAML: nothing to validate
		}
		err := s.Validate(yamlAsJSON(t, path))
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		switch {
		case shapeErrors[name] && err == nil:
			t.Errorf("%s has a shape error, yet matches the schema", path)
		case !shapeErrors[name] && err != nil:
			t.Errorf("%s matches no shape error yet the schema rejects it: %s", path, schemaProblems(err))
		}
	}
}

// schemaProblems lists where and why a document failed the schema.
func schemaProblems(err error) string {
	ve, ok := err.(*validator.ValidationError)
	if !ok {
		return err.Error()
	}
	var out []string
	for _, u := range ve.BasicOutput().Errors {
		if u.Error != nil && u.InstanceLocation != "" {
			out = append(out, u.InstanceLocation+": "+u.Error.String())
		}
	}
	return strings.Join(out, "; ")
}
