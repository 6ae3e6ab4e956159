package scenarios

import _ "embed"

// SchemaJSON is the JSON Schema (draft 2020-12) of a scenario file,
// generated from the types above and their doc comments
// (go test ./scenarios -run TestSchemaIsGenerated -update rewrites it). Editors
// use it for completion and checks through a first line
//
//	# yaml-language-server: $schema=https://raw.githubusercontent.com/rehearse/rehearse/main/scenarios/schema.json
//
// It checks the shape of a file (keys, types, value forms); Load checks
// the rest (references, SQL, what depends on the database).
//
//go:embed schema.json
var SchemaJSON []byte

// SchemaURL is where the schema of the main branch is published.
const SchemaURL = "https://raw.githubusercontent.com/rehearse/rehearse/main/scenarios/schema.json"
