package autoscenario

import (
	"maps"
	"slices"
	"sort"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/rehearse/rehearse/internal/pgsql"
	"github.com/rehearse/rehearse/scenarios"
)

// analysis is the schema before and after the pending files, and what each
// of them touched and created.
type analysis struct {
	base       *scenarios.Catalog
	baseFacts  *facts
	after      *scenarios.Catalog
	afterFacts *facts
	touched    map[string]bool
	// created maps "table" and "table.column" of what the pending files
	// add to the step that adds it.
	created map[string]string
	steps   []string
}

// step follows one pending file: the baseline tables it names are
// touched, and what it adds is recorded against it.
func (a *analysis) step(name, sql string) {
	a.steps = append(a.steps, name)
	if a.touched == nil {
		a.touched = map[string]bool{}
	}
	if tree, err := pgsql.Parse(sql); err == nil {
		pgsql.Walk(tree.ProtoReflect(), func(m protoreflect.Message) {
			if rv, ok := m.Interface().(*pg_query.RangeVar); ok {
				if t := a.base.Table(relName(rv)); t != nil {
					a.touched[t.Name] = true
				}
			}
		})
	}
	_ = a.after.Apply(sql) // a file that does not parse is reported by validation
	a.afterFacts.apply(sql)
	for _, t := range a.after.Tables {
		if a.created[t.Name] == "" && a.base.Table(t.Name) == nil {
			a.created[t.Name] = name
		}
		for _, col := range t.Columns {
			key := t.Name + "." + col.Name
			if a.created[key] == "" && a.base.Table(t.Name).Column(col.Name) == nil {
				a.created[key] = name
			}
		}
	}
}

func (a *analysis) touchedTables() []string {
	out := slices.Sorted(maps.Keys(a.touched))
	sort.Strings(out)
	return out
}

// inBase reports whether table.column exists before the migration, so that
// traffic may draw its values from the loaded rows.
func (a *analysis) inBase(table, column string) bool {
	return a.base.Table(table).Column(column) != nil
}
