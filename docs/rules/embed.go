// Package rules holds the documentation page of each lint rule, as
// Markdown, for `rehearse explain RULE`; the same files are docs/rules/ in
// the repository, where findings link to them.
package rules

import (
	"embed"
	"io/fs"
	"strings"
)

//go:embed *.md
var pages embed.FS

// Suppression findings share one page.
var aliases = map[string]string{
	"unused-suppression":    "suppressions",
	"misplaced-suppression": "suppressions",
	"invalid-suppression":   "suppressions",
}

// BaseURL is where the pages are published; a finding's rule links to
// BaseURL + RULE + ".md".
const BaseURL = "https://github.com/rehearse/rehearse/blob/main/docs/rules/"

// Page returns the Markdown page of rule id; ok is false when there is none.
func Page(id string) (page string, ok bool) {
	id = strings.ToLower(id)
	if a, found := aliases[id]; found {
		id = a
	}
	raw, err := fs.ReadFile(pages, id+".md")
	if err != nil {
		return "", false
	}
	return string(raw), true
}

// URL is the address of rule id's page; the index of rules when it has
// no page of its own yet.
func URL(id string) string {
	if a, found := aliases[id]; found {
		id = a
	}
	if _, ok := Page(id); !ok {
		return BaseURL + "README.md"
	}
	return BaseURL + id + ".md"
}
