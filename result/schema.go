package result

import _ "embed"

// JSONSchema is the JSON Schema (draft 2020-12) of a Result as written by
// this version, generated from the types and their doc comments (go test
// ./result -run TestSchemaIsGenerated -update rewrites it). Fields without
// omitempty are required; other properties are allowed, since later
// versions add fields within the same SchemaVersion.
//
//go:embed schema.json
var JSONSchema []byte

// SchemaURL is where the schema of the main branch is published.
const SchemaURL = "https://raw.githubusercontent.com/rehearse/rehearse/main/result/schema.json"
