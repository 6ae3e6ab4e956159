package autoscenario

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/scenarios"
)

// data gives every baseline table its rows: the profile's count for the
// tables a profile lists, Rows for the tables the pending files touch, and
// OtherRows for the rest, raised where a reference needs more parent rows
// (a one-to-one key, a unique combination of references).
func (p *Plan) data(sc *scenarios.Scenario, a *analysis, o Options) error {
	profiled := map[string]bool{}
	if o.Profile != "" {
		rel, prof, err := readProfile(o.Profile, sc.Path)
		if err != nil {
			return err
		}
		sc.Data.Profile = rel
		p.prof = prof
		for _, t := range prof.Tables {
			profiled[t.Name] = true
		}
		names := profiled
		p.Notes = append(p.Notes, fmt.Sprintf("rows and column statistics of %d tables from the profile %s", len(names), o.Profile))
	}
	neighbour, rest := min(max(o.Rows/10, 1), DefaultNeighbourMax), min(max(o.Rows/100, 1), DefaultRestMax)
	if o.OtherRows > 0 {
		neighbour, rest = o.OtherRows, o.OtherRows
	}
	near := a.neighbours()
	rows := map[string]int64{}
	for _, name := range a.base.TableNames() {
		switch {
		case profiled[name]:
		case a.touched[name]:
			rows[name] = o.Rows
		case near[name]:
			rows[name] = neighbour
		default:
			rows[name] = rest
		}
	}
	raiseParents(rows, a.baseFacts)
	sc.Data.Tables = map[string]*scenarios.Table{}
	for name, n := range rows {
		sc.Data.Tables[name] = &scenarios.Table{Rows: scenarios.Count(n)}
	}
	p.rows = rows
	if len(rows) > 0 && o.Profile == "" {
		p.Notes = append(p.Notes, fmt.Sprintf("rows: %s for each table the pending files touch (--rows), %s for the tables they reference or are referenced by, %s for the rest, more where a reference needs more parents",
			human.Count(o.Rows), human.Count(neighbour), human.Count(rest)))
	}
	return nil
}

// raiseParents gives a parent at least as many rows as a child whose
// reference to it is unique (one row per parent), and enough rows that a
// unique combination of references has as many combinations as the child
// has rows.
func raiseParents(rows map[string]int64, f *facts) {
	for range 4 { // a chain of one-to-one keys settles in a few rounds
		for child, t := range f.tables {
			n, ok := rows[child]
			if !ok {
				continue
			}
			for _, u := range t.uniques {
				parents := fkParents(t, u)
				if parents == nil {
					continue
				}
				combos := int64(1)
				for _, par := range parents {
					combos = satMul(combos, rows[par])
				}
				if combos >= n {
					continue
				}
				for _, par := range parents {
					if _, ok := rows[par]; ok && rows[par] < n {
						rows[par] = n
					}
				}
			}
		}
	}
}

// fkParents returns the parent of each column of cols when every one of
// them is a single-column reference; nil otherwise.
func fkParents(t *tableFacts, cols []string) []string {
	var out []string
	for _, c := range cols {
		found := ""
		for _, k := range t.fks {
			if len(k.cols) == 1 && k.cols[0] == c {
				found = k.parent
			}
		}
		if found == "" {
			return nil
		}
		out = append(out, found)
	}
	return out
}

func satMul(a, b int64) int64 {
	if a != 0 && b > (1<<62)/a {
		return 1 << 62
	}
	return a * b
}

// readProfile checks the profile and returns its path relative to the
// scenario, and the profile.
func readProfile(path, scenarioPath string) (string, *scenarios.Profile, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", nil, fmt.Errorf("--profile: %w", err)
	}
	defer f.Close()
	prof, err := scenarios.ReadProfile(f)
	if err != nil {
		return "", nil, fmt.Errorf("--profile %s: %w", path, err)
	}
	absProf, err := filepath.Abs(path)
	if err != nil {
		return "", nil, err
	}
	absSc, err := filepath.Abs(scenarioPath)
	if err != nil {
		return "", nil, err
	}
	rel, err := filepath.Rel(filepath.Dir(absSc), absProf)
	if err != nil {
		return "", nil, err
	}
	return rel, prof, nil
}
