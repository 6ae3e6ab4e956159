package lint

import (
	"slices"

	"github.com/rehearse/rehearse/scenarios"
)

// Policy is what a repository says about findings beyond the rules
// themselves: the suppression comments in its files, and its
// configuration (.rehearse.yaml). The zero Policy applies the comments only.
type Policy struct {
	// ExcludeRules are rule ids never reported.
	ExcludeRules []string
	// ExcludePath reports files whose findings are not reported; nil excludes none.
	ExcludePath func(file string) bool
	// LockTimeoutSet says the migration role already has a lock_timeout
	// (migration_session.lock_timeout): missing-lock-timeout does not apply.
	LockTimeoutSet bool
	// Read reads a file for its suppression comments; nil skips comments.
	Read func(file string) ([]byte, error)
}

// Apply applies the suppression comments (see Suppress), then drops the
// findings the configuration excludes: their rule, their file, or
// missing-lock-timeout when the role sets lock_timeout. A suppression of
// an excluded rule is not reported as unused.
func (p Policy) Apply(findings []Finding, steps []*scenarios.Step) (kept []Finding, suppressed []Suppressed) {
	kept = findings
	if p.Read != nil {
		kept, suppressed = Suppress(findings, steps, p.Read)
	}
	out := kept[:0:0]
	for _, f := range kept {
		if !p.excluded(f) {
			out = append(out, f)
		}
	}
	return out, suppressed
}

func (p Policy) excluded(f Finding) bool {
	switch {
	case slices.Contains(p.ExcludeRules, f.Rule):
		return true
	case f.Rule == RuleMissingLockTimeout && p.LockTimeoutSet:
		return true
	case p.ExcludePath != nil && p.ExcludePath(f.File):
		return true
	}
	return false
}
