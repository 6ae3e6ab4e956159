package lint

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// parseOne parses a single statement; nil when it does not parse or is
// more than one.
func parseOne(sql string) *pg_query.Node {
	tree, err := pg_query.Parse(sql)
	if err != nil || len(tree.GetStmts()) != 1 {
		return nil
	}
	return tree.GetStmts()[0].GetStmt()
}

// relName names a relation as pg_locks' regclass does for the public
// schema: "users", or "schema.table" elsewhere.
func relName(rv *pg_query.RangeVar) string {
	return qualify(rv.GetSchemaname(), rv.GetRelname())
}

func qualify(schema, rel string) string {
	if schema == "" || schema == "public" {
		return rel
	}
	return schema + "." + rel
}

// dropNames returns the names a DROP statement drops.
func dropNames(ds *pg_query.DropStmt) []string {
	var out []string
	for _, obj := range ds.GetObjects() {
		var parts []string
		for _, item := range obj.GetList().GetItems() {
			parts = append(parts, item.GetString_().GetSval())
		}
		switch len(parts) {
		case 1:
			out = append(out, parts[0])
		case 2:
			out = append(out, qualify(parts[0], parts[1]))
		case 3:
			out = append(out, qualify(parts[1], parts[2]))
		}
	}
	return out
}

func hasOption(opts []*pg_query.Node, name string) bool {
	for _, o := range opts {
		if strings.EqualFold(o.GetDefElem().GetDefname(), name) {
			return true
		}
	}
	return false
}

func funcName(fc *pg_query.FuncCall) string {
	names := fc.GetFuncname()
	if len(names) == 0 {
		return ""
	}
	return strings.ToLower(names[len(names)-1].GetString_().GetSval())
}
