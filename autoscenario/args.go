package autoscenario

import (
	"math"
	"strconv"
	"strings"

	"github.com/rehearse/rehearse/scenarios"
)

// argSource chooses the value of a traffic argument for a column. Values of
// columns that exist before the migration can come from the loaded rows
// (ref), which datagen made satisfy every constraint; columns the migration
// adds have no rows yet when traffic is planned, so their values come from
// a generator for the type.
type argSource struct {
	a   *analysis
	cat *scenarios.Catalog
	f   *facts
}

// forKey is a value to look a row up by: an existing key when the column
// has loaded rows, else a value of the type (a lookup that finds nothing,
// as a new table's first reads do).
func (s argSource) forKey(table string, col *scenarios.CatalogColumn) *scenarios.ValueSpec {
	if s.a.inBase(table, col.Name) {
		return &scenarios.ValueSpec{Ref: table + "." + col.Name}
	}
	return typeArg(col, false, s.f)
}

// forReference is a value of a foreign key column: a key of the parent.
func (s argSource) forReference(k fk) *scenarios.ValueSpec {
	pcol := ""
	if len(k.parentCols) == 1 {
		pcol = k.parentCols[0]
	} else if pk := s.cat.Table(k.parent).PrimaryKey(); len(pk) == 1 {
		pcol = pk[0]
	}
	if pcol == "" || !s.a.inBase(k.parent, pcol) {
		return nil
	}
	return &scenarios.ValueSpec{Ref: k.parent + "." + pcol}
}

// forWrite is a value to insert or set: fresh when the column is unique
// (it must not collide with a loaded row). nil when no value is known to
// be valid.
func (s argSource) forWrite(table string, col *scenarios.CatalogColumn, tf *tableFacts, fresh bool) *scenarios.ValueSpec {
	for _, k := range tf.fks {
		if len(k.cols) == 1 && k.cols[0] == col.Name {
			if fresh {
				return nil
			}
			return s.forReference(k)
		}
	}
	if tf.checked[col.Name] {
		// A CHECK's allowed values are known to datagen, which read them
		// from the catalog: reuse the loaded ones.
		if fresh || !s.a.inBase(table, col.Name) {
			return nil
		}
		return &scenarios.ValueSpec{Ref: table + "." + col.Name}
	}
	return typeArg(col, fresh, s.f)
}

// typeArg is a generator for the column's type; nil for types it does not
// know (arrays, geometry, ranges, domains).
func typeArg(col *scenarios.CatalogColumn, fresh bool, f *facts) *scenarios.ValueSpec {
	typ := strings.ToLower(col.Type)
	base, mods := typ, ""
	if i := strings.IndexByte(typ, '('); i >= 0 && strings.HasSuffix(typ, ")") {
		base, mods = typ[:i], typ[i+1:len(typ)-1]
	}
	gen := func(name string) *scenarios.ValueSpec { return &scenarios.ValueSpec{Gen: name} }
	num := func(lo, hi float64) *scenarios.ValueSpec {
		return &scenarios.ValueSpec{Gen: "number", Min: &lo, Max: &hi}
	}
	switch base {
	case "smallint", "int2", "smallserial":
		if fresh {
			return nil
		}
		return num(1, 1000)
	case "integer", "int", "int4", "serial":
		if fresh {
			return num(1_500_000_000, 2_147_483_647)
		}
		return num(1, 1000)
	case "bigint", "int8", "bigserial":
		if fresh {
			return num(1e12, 9e15)
		}
		return num(1, 1000)
	case "numeric", "decimal":
		if fresh {
			return nil
		}
		lo, hi := 0.0, 1000.0
		if p, sc, ok := precision(mods); ok {
			hi = min(hi, math.Pow(10, float64(p-sc))-1)
		}
		if hi < 1 {
			return &scenarios.ValueSpec{Value: 0}
		}
		return &scenarios.ValueSpec{Gen: "price", Min: &lo, Max: &hi}
	case "real", "float4", "double precision", "float8", "float":
		if fresh {
			return nil
		}
		return num(0, 1000)
	case "text", "varchar", "character varying", "citext", "char", "character", "bpchar":
		return textArg(col.Name, mods, fresh)
	case "uuid":
		return gen("uuid")
	case "boolean", "bool":
		if fresh {
			return nil
		}
		return gen("bool")
	case "timestamp", "timestamptz", "timestamp with time zone", "timestamp without time zone", "date":
		if fresh {
			return nil
		}
		return gen("date")
	case "json", "jsonb":
		if fresh {
			return nil
		}
		return &scenarios.ValueSpec{Value: "{}"}
	case "inet", "cidr":
		if fresh {
			return nil
		}
		return gen("ipv4address")
	}
	if labels := f.enums[col.Type]; len(labels) > 0 && !fresh {
		return &scenarios.ValueSpec{Value: labels[0]}
	}
	return nil
}

// textArg picks a generator that fits the column's length and name.
func textArg(name, mods string, fresh bool) *scenarios.ValueSpec {
	limit := math.MaxInt
	if n, err := strconv.Atoi(mods); err == nil {
		limit = n
	}
	gen := func(g string) *scenarios.ValueSpec { return &scenarios.ValueSpec{Gen: g} }
	switch {
	case fresh && limit >= 36:
		return gen("uuid")
	case fresh:
		return nil
	case limit < 8:
		return &scenarios.ValueSpec{Value: "x"}
	case strings.Contains(name, "email") && limit >= 64:
		return gen("email")
	case strings.HasSuffix(name, "name") && limit >= 40:
		return gen("name")
	case limit >= 20:
		return gen("word")
	}
	return &scenarios.ValueSpec{Value: "x"}
}

// precision reads "p,s" or "p" of numeric(p,s).
func precision(mods string) (int, int, bool) {
	parts := strings.Split(mods, ",")
	p, err := strconv.Atoi(strings.TrimSpace(parts[0]))
	if err != nil {
		return 0, 0, false
	}
	s := 0
	if len(parts) > 1 {
		if s, err = strconv.Atoi(strings.TrimSpace(parts[1])); err != nil {
			return 0, 0, false
		}
	}
	return p, s, true
}
