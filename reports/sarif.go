package reports

import (
	"encoding/json"
	"io"
	"path/filepath"
	"strings"

	"github.com/rehearse/rehearse/result"
)

// SARIFSchema is the schema a SARIF 2.1.0 log names.
const SARIFSchema = "https://json.schemastore.org/sarif-2.1.0.json"

// LintRule describes a rule for the SARIF log's rule table.
type LintRule struct {
	ID, Summary string
	// Severity is the rule's usual severity: info, warning or error.
	Severity string
	// HelpURI is the rule's documentation page.
	HelpURI string
}

// LintSARIF writes findings as a SARIF 2.1.0 log with one run, the form
// GitHub code scanning uploads (github/codeql-action/upload-sarif). rules
// become the tool's rule table; a finding whose rule is not among them
// still gets a result. File paths are written as relative URIs with
// forward slashes, as code scanning resolves them from the repository root.
func LintSARIF(w io.Writer, findings []result.LintFinding, rules []LintRule, version string) error {
	index := map[string]int{}
	descs := make([]sarifRule, 0, len(rules))
	for i, r := range rules {
		index[r.ID] = i
		descs = append(descs, sarifRule{ID: r.ID, ShortDescription: sarifText{Text: r.Summary},
			HelpURI: r.HelpURI, Help: &sarifText{Text: r.Summary + " See " + r.HelpURI},
			DefaultConfiguration: sarifConfig{Level: sarifLevel(r.Severity)}})
	}
	results := make([]sarifResult, 0, len(findings))
	for _, f := range findings {
		msg := f.Message
		if f.Safe != "" {
			msg += " Instead: " + f.Safe
		}
		r := sarifResult{RuleID: f.Rule, Level: sarifLevel(f.Severity), Message: sarifText{Text: msg}}
		if i, ok := index[f.Rule]; ok {
			r.RuleIndex = &i
		}
		if f.File != "" {
			loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: sarifURI(f.File)}}}
			if f.Line > 0 {
				loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.Line, StartColumn: f.Column}
			}
			r.Locations = []sarifLocation{loc}
		}
		results = append(results, r)
	}
	log := sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{{
		Tool:    sarifTool{Driver: sarifDriver{Name: "rehearse", InformationURI: "https://github.com/rehearse/rehearse", Version: version, Rules: descs}},
		Results: results,
	}}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

func sarifLevel(severity string) string {
	switch severity {
	case "error":
		return "error"
	case "warning":
		return "warning"
	}
	return "note"
}

func sarifURI(file string) string {
	return strings.TrimPrefix(filepath.ToSlash(filepath.Clean(file)), "./")
}

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string      `json:"id"`
	ShortDescription     sarifText   `json:"shortDescription"`
	HelpURI              string      `json:"helpUri,omitempty"`
	Help                 *sarifText  `json:"help,omitempty"`
	DefaultConfiguration sarifConfig `json:"defaultConfiguration"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex *int            `json:"ruleIndex,omitempty"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}
