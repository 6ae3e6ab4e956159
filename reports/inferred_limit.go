package reports

import "github.com/rehearse/rehearse/result"

// limitText is a check's limit, marked "(default)" when a zero-config
// rehearsal chose it rather than a flag or a scenario.
func limitText(r *result.Result, c result.Check) string {
	if r.Inferred != nil {
		for _, name := range r.Inferred.DefaultChecks {
			if name == c.Name {
				return c.Limit + " (default)"
			}
		}
	}
	return c.Limit
}
