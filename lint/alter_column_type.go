package lint

import (
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// checkAlterColumnType flags ALTER COLUMN TYPE, except the changes
// PostgreSQL makes without a rewrite (varchar to text, a longer varchar).
func checkAlterColumnType(l *linter, s *stepState) {
	rel, mode, cmds, ok := s.alterTable()
	if !ok {
		return
	}
	for _, cmd := range cmds {
		if cmd.GetSubtype() != pg_query.AlterTableType_AT_AlterColumnType {
			continue
		}
		col, def := cmd.GetName(), cmd.GetDef().GetColumnDef()
		newType := typeText(def.GetTypeName())
		if c := l.cat.Table(rel).Column(col); c != nil && def.GetRawDefault() == nil && binaryCompatible(c.Type, newType) {
			continue
		}
		l.add(s, RuleAlterColumnType, Error, rel, mode,
			fmt.Sprintf("ALTER COLUMN %s TYPE %s rewrites %s and its indexes under an ACCESS EXCLUSIVE lock: reads and writes wait for the whole rewrite, and cached plans of running code fail once.", col, newType, rel),
			fmt.Sprintf("add a new column of type %s, keep it in sync with a trigger, backfill it in batches, switch the code to it, then drop the old column (expand/contract).", newType)).Effect = EffectRewrite
	}
}

// typeText spells a type as scenarios.Catalog does: integer, varchar(20), text[].
func typeText(tn *pg_query.TypeName) string {
	var names []string
	for _, n := range tn.GetNames() {
		names = append(names, n.GetString_().GetSval())
	}
	name := strings.Join(names, ".")
	if len(names) == 2 && names[0] == "pg_catalog" {
		name = names[1]
		if sqlName, ok := builtinTypes[name]; ok {
			name = sqlName
		}
	}
	var mods []string
	for _, m := range tn.GetTypmods() {
		if iv := m.GetAConst().GetIval(); iv != nil {
			mods = append(mods, fmt.Sprint(iv.GetIval()))
		}
	}
	if len(mods) > 0 {
		name += "(" + strings.Join(mods, ",") + ")"
	}
	for range tn.GetArrayBounds() {
		name += "[]"
	}
	return name
}

var builtinTypes = map[string]string{
	"int2": "smallint", "int4": "integer", "int8": "bigint",
	"float4": "real", "float8": "double precision", "bool": "boolean", "bpchar": "char",
}

// binaryCompatible reports whether changing a column from old to new needs
// no rewrite: varchar(n) to text, to varchar or to a longer varchar; text
// to varchar; numeric(p,s) to numeric or to a larger precision, same scale.
func binaryCompatible(old, new string) bool {
	oldBase, oldMods := splitMods(old)
	newBase, newMods := splitMods(new)
	switch {
	case old == new:
		return true
	case oldBase == "varchar" || oldBase == "text":
		switch {
		case new == "text" || new == "varchar":
			return true
		case newBase == "varchar" && oldBase == "varchar" && len(oldMods) == 1 && len(newMods) == 1:
			return newMods[0] >= oldMods[0]
		}
	case oldBase == "numeric" && newBase == "numeric":
		return numericWidens(oldMods, newMods)
	}
	return false
}

// numericWidens reports whether numeric(newMods) holds every numeric(oldMods)
// value with the same scale, so that no row is rewritten.
func numericWidens(oldMods, newMods []int) bool {
	if len(newMods) == 0 {
		return true
	}
	if len(oldMods) == 0 {
		return false
	}
	oldScale, newScale := 0, 0
	if len(oldMods) > 1 {
		oldScale = oldMods[1]
	}
	if len(newMods) > 1 {
		newScale = newMods[1]
	}
	return newMods[0] >= oldMods[0] && newScale == oldScale
}

// splitMods splits "varchar(20)" into "varchar" and [20].
func splitMods(t string) (string, []int) {
	base, rest, ok := strings.Cut(t, "(")
	if !ok {
		return t, nil
	}
	var mods []int
	for _, part := range strings.Split(strings.TrimSuffix(rest, ")"), ",") {
		var n int
		if _, err := fmt.Sscan(strings.TrimSpace(part), &n); err == nil {
			mods = append(mods, n)
		}
	}
	return base, mods
}
