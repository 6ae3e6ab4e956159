package scenarios

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Forbid rules: things a migration step must not do, whatever the latencies.
const (
	// ForbidRewrite fails the verdict when a step rewrote a table.
	ForbidRewrite = "rewrite"
	// ForbidWriteBlockingScan fails it when a step scanned a whole table while
	// holding a lock that blocks writes to it.
	ForbidWriteBlockingScan = "scan_under_write_lock"
	// ForbidAccessExclusiveOver fails it when a step held an ACCESS EXCLUSIVE
	// lock longer than the rule's limit.
	ForbidAccessExclusiveOver = "access_exclusive_over"
	// ForbidWriteLockOver fails it when a step held any lock that blocks
	// writes (SHARE or stronger) longer than the rule's limit.
	ForbidWriteLockOver = "write_lock_over"
)

// forbidTakesLimit says which rules take a duration.
var forbidTakesLimit = map[string]bool{
	ForbidRewrite:             false,
	ForbidWriteBlockingScan:   false,
	ForbidAccessExclusiveOver: true,
	ForbidWriteLockOver:       true,
}

// ForbidRule is one entry of thresholds.forbid: a bare name (`rewrite`) or a
// name with a limit (`access_exclusive_over: 1s`).
type ForbidRule struct {
	Rule  string   `json:"rule"`
	Limit Duration `json:"limit,omitempty"`
}

// String writes the rule as in the scenario file.
func (f ForbidRule) String() string {
	if forbidTakesLimit[f.Rule] {
		return fmt.Sprintf("%s: %s", f.Rule, f.Limit)
	}
	return f.Rule
}

// UnmarshalYAML reads `rule` or `{rule: duration}` and checks the rule name.
func (f *ForbidRule) UnmarshalYAML(unmarshal func(any) error) error {
	var raw any
	if err := unmarshal(&raw); err != nil {
		return err
	}
	_, bare := raw.(string)
	switch v := raw.(type) {
	case string:
		f.Rule = v
	case map[string]any:
		if len(v) != 1 {
			return fmt.Errorf("a forbid rule is one name, or one name with a limit like access_exclusive_over: 1s")
		}
		for name, limit := range v {
			f.Rule = name
			d, err := time.ParseDuration(fmt.Sprint(limit))
			if err != nil || d < 0 {
				return fmt.Errorf("forbid %s: invalid duration %v (write it like 500ms or 2s)", name, limit)
			}
			f.Limit = Duration(d)
		}
	default:
		return fmt.Errorf("a forbid rule is a name like rewrite, or a name with a limit like access_exclusive_over: 1s")
	}
	takesLimit, known := forbidTakesLimit[f.Rule]
	switch {
	case !known:
		return fmt.Errorf("unknown forbid rule %q: want one of %s", f.Rule, strings.Join(forbidRuleNames(), ", "))
	case takesLimit && bare:
		return fmt.Errorf("forbid rule %s needs a limit, like %s: 1s", f.Rule, f.Rule)
	case !takesLimit && f.Limit != 0:
		return fmt.Errorf("forbid rule %s takes no limit", f.Rule)
	}
	return nil
}

func forbidRuleNames() []string {
	names := make([]string, 0, len(forbidTakesLimit))
	for n := range forbidTakesLimit {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
