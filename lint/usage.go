package lint

import (
	"fmt"
	"sort"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/rehearse/rehearse/internal/pgsql"
)

// usage is what one application query refers to.
type usage struct {
	Query
	stopAfter int // index of the step after which the query stops; -1: never
	tables    map[string]bool
	// columns maps a table to the columns the query names on it; "*" for
	// SELECT * or t.*.
	columns map[string]map[string]bool
	// bare are columns named without a table, which may belong to any
	// table of the query; "*" for a bare SELECT *.
	bare map[string]bool
}

// parseUsage reads the tables and columns a query names. Column references
// qualified by an alias are resolved to the alias's table; unqualified ones
// are counted for every table of the query, which errs on the side of
// reporting.
func parseUsage(q Query) (*usage, bool) {
	tree, err := pg_query.Parse(q.SQL)
	if err != nil {
		return nil, false
	}
	u := &usage{Query: q, tables: map[string]bool{}, columns: map[string]map[string]bool{}, bare: map[string]bool{}}
	aliases := map[string]string{}
	var refs [][]*pg_query.Node
	pgsql.Walk(tree.ProtoReflect(), func(m protoreflect.Message) {
		switch n := m.Interface().(type) {
		case *pg_query.RangeVar:
			name := relName(n)
			u.tables[name] = true
			aliases[n.GetRelname()] = name
			aliases[name] = name
			if a := n.GetAlias().GetAliasname(); a != "" {
				aliases[a] = name
			}
		case *pg_query.ColumnRef:
			refs = append(refs, n.GetFields())
		case *pg_query.InsertStmt:
			for _, c := range n.GetCols() {
				u.column(relName(n.GetRelation()), c.GetResTarget().GetName())
			}
		case *pg_query.UpdateStmt:
			for _, c := range n.GetTargetList() {
				u.column(relName(n.GetRelation()), c.GetResTarget().GetName())
			}
		}
	})
	for _, fields := range refs {
		u.ref(fields, aliases)
	}
	return u, true
}

func (u *usage) column(table, col string) {
	if u.columns[table] == nil {
		u.columns[table] = map[string]bool{}
	}
	u.columns[table][col] = true
}

// ref records a column reference: col, t.col, schema.t.col, * or t.*.
func (u *usage) ref(fields []*pg_query.Node, aliases map[string]string) {
	names := make([]string, len(fields))
	for i, f := range fields {
		if f.GetAStar() != nil {
			names[i] = "*"
		} else {
			names[i] = f.GetString_().GetSval()
		}
	}
	switch len(names) {
	case 0:
	case 1:
		u.bare[names[0]] = true
	default:
		qualifier := names[len(names)-2]
		if len(names) > 2 {
			qualifier = qualify(names[len(names)-3], qualifier)
		}
		table, ok := aliases[qualifier]
		if !ok {
			table = qualifier
		}
		u.column(table, names[len(names)-1])
	}
}

// usesTable reports whether the query reads or writes table.
func (u *usage) usesTable(table string) bool { return u.tables[table] }

// usesColumn reports whether the query names col of table, or selects all
// of table's columns.
func (u *usage) usesColumn(table, col string) bool {
	if !u.tables[table] {
		return false
	}
	cols := u.columns[table]
	return cols[col] || cols["*"] || u.bare[col] || u.bare["*"]
}

// runsAfter reports whether the query still runs once step i has started.
func (u *usage) runsAfter(i int) bool { return u.stopAfter < 0 || u.stopAfter >= i }

// users names the queries that still run at step i and match.
func (l *linter) users(i int, match func(*usage) bool) []string {
	var out []string
	for _, u := range l.queries {
		if u.runsAfter(i) && match(u) {
			out = append(out, u.Workload+" query "+u.Name)
		}
	}
	sort.Strings(out)
	return out
}

// list names up to three users and counts the rest.
func list(names []string) string {
	if len(names) > 3 {
		return strings.Join(names[:3], ", ") + fmt.Sprintf(" and %d more", len(names)-3)
	}
	return strings.Join(names, ", ")
}
