package datagen

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
)

// column is one column of a table as the catalog describes it.
type column struct {
	name string
	// typ is format_type's spelling, for messages: "character varying(5)".
	typ string
	// base is the type name (typname) after looking through a domain:
	// "varchar"; for an array, the element's ("int4" for integer[]).
	base string
	// array is set for array types; base, enum and labels describe the element.
	array bool
	// enum is set for enum types, whose values COPY accepts as text; labels
	// are its values in their sort order.
	enum   bool
	labels []string
	// typmod is the base type's modifier: length, precision and scale; -1 if none.
	typmod     int32
	notNull    bool
	hasDefault bool
	// computedDefault is set when the default calls a function (now(),
	// gen_random_uuid(), ...): such a default differs from run to run.
	computedDefault bool
	identity        bool
	generated       bool
	// sequence is the sequence owned by the column (serial or identity),
	// qualified and quoted as PostgreSQL spells it; "" if none.
	sequence string
	// domainChecks are the CHECK expressions of the column's domain, with
	// VALUE standing for the column.
	domainChecks []string
	// typeName is the column's type as schema.typname, unquoted: how
	// pgx's LoadTypes names the enum arrays it registers.
	typeName string
}

// table is a table's columns in catalog order, with its constraints and
// indexes.
type table struct {
	name  string
	ident pgx.Identifier
	oid   uint32
	// plain is set for an ordinary table that is not a partition: the only
	// kind whose indexes and constraints Load drops and re-creates.
	plain       bool
	columns     []*column
	byName      map[string]*column
	constraints []*constraint
	indexes     []*index
}

// constraint is a PRIMARY KEY (p), UNIQUE (u), CHECK (c), FOREIGN KEY (f)
// or EXCLUDE (x) constraint of a table.
type constraint struct {
	oid  uint32
	name string
	kind byte
	// def is pg_get_constraintdef: "FOREIGN KEY (user_id) REFERENCES users(id)".
	def       string
	validated bool
	// inherited constraints belong to a parent table and are left alone.
	inherited bool
	cols      []string
	// refOID, refIdent and refCols are the referenced table and columns of
	// a foreign key.
	refOID   uint32
	refIdent pgx.Identifier
	refCols  []string
	// index is the index of a p, u or x constraint: pg_get_indexdef.
	index     string
	indexName string
	comment   string
}

// index is an index that no constraint owns.
type index struct {
	name    string
	def     string
	unique  bool
	valid   bool
	cols    []string // key columns; expression indexes list the columns their text names
	comment string
	// clustered and replIdent record CLUSTER ON and REPLICA IDENTITY USING INDEX.
	clustered, replIdent bool
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

// identName is how messages and refs name a table: "users" in the public
// schema, "app.users" elsewhere.
func identName(id pgx.Identifier) string {
	if len(id) == 2 && id[0] == "public" {
		return id[1]
	}
	return strings.Join(id, ".")
}

const tableSQL = `
SELECT n.nspname, c.relname, c.oid, c.relkind = 'r' AND NOT c.relispartition
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = to_regclass($1)`

const columnsSQL = `
SELECT a.attname,
       format_type(a.atttypid, a.atttypmod),
       coalesce(et.typname, bt.typname),
       et.oid IS NOT NULL,
       coalesce(et.typtype, bt.typtype) = 'e',
       ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = coalesce(et.oid, bt.oid) ORDER BY e.enumsortorder),
       CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END,
       a.attnotnull OR t.typnotnull,
       a.atthasdef,
       coalesce(pg_get_expr(d.adbin, d.adrelid), ''),
       a.attidentity <> '',
       a.attgenerated <> '',
       coalesce(pg_get_serial_sequence($2, a.attname), ''),
       ARRAY(SELECT pg_get_constraintdef(dc.oid) FROM pg_constraint dc WHERE dc.contypid = t.oid AND dc.contype = 'c' ORDER BY dc.conname),
       tn.nspname || '.' || t.typname
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_namespace tn ON tn.oid = t.typnamespace
JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
LEFT JOIN pg_type et ON bt.typcategory = 'A' AND et.oid = bt.typelem AND bt.typelem <> 0
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`

// constraintsSQL lists a table's constraints other than NOT NULL.
const constraintsSQL = `
SELECT c.oid, c.conname, c.contype::text, pg_get_constraintdef(c.oid), c.convalidated, NOT c.conislocal,
       ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i),
       coalesce(c.confrelid, 0), coalesce(rn.nspname, ''), coalesce(r.relname, ''),
       ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i),
       CASE WHEN c.contype IN ('p', 'u', 'x') AND c.conindid <> 0 THEN pg_get_indexdef(c.conindid) ELSE '' END,
       coalesce((SELECT relname::text FROM pg_class WHERE oid = c.conindid AND c.contype IN ('p', 'u', 'x')), ''),
       coalesce(obj_description(c.oid, 'pg_constraint'), '')
FROM pg_constraint c
LEFT JOIN pg_class r ON r.oid = c.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace
WHERE c.conrelid = $1 AND c.contype IN ('p', 'u', 'c', 'f', 'x')
ORDER BY c.conname`

// indexesSQL lists the indexes that no constraint of the table owns.
const indexesSQL = `
SELECT ci.relname, pg_get_indexdef(i.indexrelid), i.indisunique, i.indisvalid,
       ARRAY(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY k(n, o)
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n
             WHERE k.o <= i.indnkeyatts ORDER BY k.o),
       i.indexprs IS NOT NULL,
       coalesce(obj_description(i.indexrelid, 'pg_class'), ''),
       i.indisclustered, i.indisreplident
FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid
WHERE i.indrelid = $1
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
ORDER BY ci.relname`

// readTable reads a table's columns, constraints and indexes from the catalog.
func readTable(ctx context.Context, conn *pgx.Conn, name string) (*table, error) {
	t := &table{name: name, byName: map[string]*column{}}
	var nsp, rel string
	err := conn.QueryRow(ctx, tableSQL, tableIdent(name).Sanitize()).Scan(&nsp, &rel, &t.oid, &t.plain)
	if err == pgx.ErrNoRows {
		return nil, fmt.Errorf("table %q does not exist", name)
	}
	if err != nil {
		return nil, fmt.Errorf("look up table %q: %w", name, err)
	}
	t.ident = pgx.Identifier{nsp, rel}
	if err := readColumns(ctx, conn, t); err != nil {
		return nil, fmt.Errorf("read columns of %q: %w", name, err)
	}
	if err := readConstraints(ctx, conn, t); err != nil {
		return nil, fmt.Errorf("read constraints of %q: %w", name, err)
	}
	if err := readIndexes(ctx, conn, t); err != nil {
		return nil, fmt.Errorf("read indexes of %q: %w", name, err)
	}
	return t, nil
}

func readColumns(ctx context.Context, conn *pgx.Conn, t *table) error {
	rows, err := conn.Query(ctx, columnsSQL, t.oid, t.ident.Sanitize())
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		c := &column{}
		var def string
		if err := rows.Scan(&c.name, &c.typ, &c.base, &c.array, &c.enum, &c.labels, &c.typmod, &c.notNull,
			&c.hasDefault, &def, &c.identity, &c.generated, &c.sequence, &c.domainChecks, &c.typeName); err != nil {
			return err
		}
		c.computedDefault = c.hasDefault && !c.generated && computedDefault(def)
		if m := nextvalRe.FindStringSubmatch(def); c.sequence == "" && m != nil {
			c.sequence = strings.ReplaceAll(m[1], "''", "'") // a sequence the column uses without owning it
		}
		t.columns = append(t.columns, c)
		t.byName[c.name] = c
	}
	return rows.Err()
}

func readConstraints(ctx context.Context, conn *pgx.Conn, t *table) error {
	rows, err := conn.Query(ctx, constraintsSQL, t.oid)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		c := &constraint{}
		var kind, refNsp, refRel string
		if err := rows.Scan(&c.oid, &c.name, &kind, &c.def, &c.validated, &c.inherited, &c.cols,
			&c.refOID, &refNsp, &refRel, &c.refCols, &c.index, &c.indexName, &c.comment); err != nil {
			return err
		}
		c.kind = kind[0]
		if c.refOID != 0 {
			c.refIdent = pgx.Identifier{refNsp, refRel}
		}
		t.constraints = append(t.constraints, c)
	}
	return rows.Err()
}

func readIndexes(ctx context.Context, conn *pgx.Conn, t *table) error {
	rows, err := conn.Query(ctx, indexesSQL, t.oid)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		ix := &index{}
		var exprs bool
		if err := rows.Scan(&ix.name, &ix.def, &ix.unique, &ix.valid, &ix.cols, &exprs, &ix.comment,
			&ix.clustered, &ix.replIdent); err != nil {
			return err
		}
		if exprs {
			ix.cols = t.columnsNamedIn(ix.def)
		}
		t.indexes = append(t.indexes, ix)
	}
	return rows.Err()
}

// columnsNamedIn returns the columns whose name appears as a word in text:
// the columns an expression index may use, erring on the side of more.
func (t *table) columnsNamedIn(text string) []string {
	if i := strings.Index(text, " USING "); i >= 0 {
		text = text[i:]
	}
	var out []string
	for _, c := range t.columns {
		if containsWord(text, c.name) {
			out = append(out, c.name)
		}
	}
	return out
}

func containsWord(text, word string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], word)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(word)
		if (start == 0 || !isIdentByte(text[start-1])) && (end == len(text) || !isIdentByte(text[end])) {
			return true
		}
		i = start + 1
	}
}

func isIdentByte(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

var nextvalRe = regexp.MustCompile(`^nextval\('((?:[^']|'')+)'::regclass\)$`)

// computedDefault reports whether a default expression calls a function or
// reads the clock: `'active'::text` and `(0)::numeric` are constants,
// `now()` and `CURRENT_TIMESTAMP` are not.
func computedDefault(expr string) bool {
	upper := strings.ToUpper(expr)
	for _, kw := range []string{"CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME", "LOCALTIMESTAMP", "LOCALTIME"} {
		if containsWord(upper, kw) {
			return true
		}
	}
	inString := false
	for i := 0; i < len(expr); i++ {
		switch b := expr[i]; {
		case b == '\'':
			inString = !inString
		case !inString && b == '(' && i > 0 && isIdentByte(expr[i-1]):
			return true
		}
	}
	return false
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
	catBytea
)

var categories = map[string]category{
	"int2": catInt, "int4": catInt, "int8": catInt,
	"numeric": catNumeric, "float4": catFloat, "float8": catFloat,
	"text": catText, "varchar": catText, "bpchar": catText, "name": catText, "citext": catText,
	"uuid": catUUID, "date": catTime, "timestamp": catTime, "timestamptz": catTime,
	"bool": catBool, "inet": catInet, "cidr": catInet, "json": catJSON, "jsonb": catJSON,
	"bytea": catBytea,
}

// category is the category of the column's values (of its elements, for
// an array).
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
