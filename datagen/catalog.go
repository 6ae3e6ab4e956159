package datagen

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// column is one column of a table as the catalog describes it.
type column struct {
	name string
	// typ is format_type's spelling, for messages: "character varying(5)".
	typ string
	// base is the type name (typname) after looking through a domain: "varchar".
	base string
	// enum is set for enum types, whose values COPY accepts as text.
	enum bool
	// typmod is the base type's modifier: length, precision and scale; -1 if none.
	typmod     int32
	notNull    bool
	hasDefault bool
	identity   bool
	generated  bool
	// sequence is the sequence owned by the column (serial or identity),
	// qualified and quoted as PostgreSQL spells it; "" if none.
	sequence string
}

// table is a table's columns in catalog order.
type table struct {
	name    string
	ident   pgx.Identifier
	columns []*column
	byName  map[string]*column
}

// tableIdent splits "schema.table" into an identifier; names are taken as
// written (case-sensitive), as a quoted SQL identifier would be.
func tableIdent(name string) pgx.Identifier { return pgx.Identifier(strings.Split(name, ".")) }

// splitRef splits "table.column" (or "schema.table.column") at its last dot.
func splitRef(ref string) (tableName, columnName string, err error) {
	i := strings.LastIndexByte(ref, '.')
	if i <= 0 || i == len(ref)-1 {
		return "", "", fmt.Errorf("ref %q: write it as table.column", ref)
	}
	return ref[:i], ref[i+1:], nil
}

const columnsSQL = `
SELECT a.attname,
       format_type(a.atttypid, a.atttypmod),
       bt.typname,
       bt.typtype = 'e',
       CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END,
       a.attnotnull,
       a.atthasdef,
       a.attidentity <> '',
       a.attgenerated <> '',
       coalesce(pg_get_serial_sequence($2, a.attname), '')
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`

// readTable reads a table's columns from the catalog.
func readTable(ctx context.Context, conn *pgx.Conn, name string) (*table, error) {
	ident := tableIdent(name)
	var oid *uint32
	if err := conn.QueryRow(ctx, "SELECT to_regclass($1)::oid", ident.Sanitize()).Scan(&oid); err != nil {
		return nil, fmt.Errorf("look up table %q: %w", name, err)
	}
	if oid == nil {
		return nil, fmt.Errorf("table %q does not exist", name)
	}
	rows, err := conn.Query(ctx, columnsSQL, *oid, ident.Sanitize())
	if err != nil {
		return nil, fmt.Errorf("read columns of %q: %w", name, err)
	}
	t := &table{name: name, ident: ident, byName: map[string]*column{}}
	for rows.Next() {
		c := &column{}
		if err := rows.Scan(&c.name, &c.typ, &c.base, &c.enum, &c.typmod, &c.notNull,
			&c.hasDefault, &c.identity, &c.generated, &c.sequence); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read columns of %q: %w", name, err)
		}
		t.columns = append(t.columns, c)
		t.byName[c.name] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read columns of %q: %w", name, err)
	}
	return t, nil
}

// catalog caches readTable for one Load; not safe for concurrent use.
type catalog struct {
	conn   *pgx.Conn
	tables map[string]*table
	errs   map[string]error
}

func newCatalog(conn *pgx.Conn) *catalog {
	return &catalog{conn: conn, tables: map[string]*table{}, errs: map[string]error{}}
}

func (c *catalog) table(ctx context.Context, name string) (*table, error) {
	if t, ok := c.tables[name]; ok {
		return t, nil
	}
	if err, ok := c.errs[name]; ok {
		return nil, err
	}
	t, err := readTable(ctx, c.conn, name)
	if err != nil {
		c.errs[name] = err
		return nil, err
	}
	c.tables[name] = t
	return t, nil
}

// category is how datagen converts values for a column type.
type category int

const (
	catUnsupported category = iota
	catInt
	catNumeric
	catFloat
	catText
	catUUID
	catTime // date, timestamp, timestamptz
	catBool
	catInet
	catJSON
	catEnum
)

var categories = map[string]category{
	"int2": catInt, "int4": catInt, "int8": catInt,
	"numeric": catNumeric, "float4": catFloat, "float8": catFloat,
	"text": catText, "varchar": catText, "bpchar": catText, "name": catText,
	"uuid": catUUID, "date": catTime, "timestamp": catTime, "timestamptz": catTime,
	"bool": catBool, "inet": catInet, "cidr": catInet, "json": catJSON, "jsonb": catJSON,
}

func (c *column) category() category {
	if c.enum {
		return catEnum
	}
	return categories[c.base]
}

// intRange is the range of an integer type.
func intRange(base string) (lo, hi float64) {
	switch base {
	case "int2":
		return -1 << 15, 1<<15 - 1
	case "int4":
		return -1 << 31, 1<<31 - 1
	}
	return -1 << 63, 1<<63 - 1
}

// maxLength is the character limit of varchar(n) and char(n); 0 if none.
func (c *column) maxLength() int {
	if (c.base == "varchar" || c.base == "bpchar") && c.typmod >= 4 {
		return int(c.typmod - 4)
	}
	return 0
}

// numericPrecision decodes numeric(p,s); ok is false for a bare numeric.
func (c *column) numericPrecision() (precision, scale int, ok bool) {
	if c.base != "numeric" || c.typmod < 4 {
		return 0, 0, false
	}
	m := int(c.typmod - 4)
	// The scale is an 11-bit signed field since PostgreSQL 15 (negative scales).
	return (m >> 16) & 0xffff, ((m & 0x7ff) ^ 1024) - 1024, true
}
