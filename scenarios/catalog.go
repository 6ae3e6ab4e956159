package scenarios

import (
	"sort"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/rehearse/rehearse/internal/pgsql"
)

// Catalog is what a schema SQL text declares about tables and columns, read
// without a database: enough to check a scenario and to know which columns
// must be generated. Other objects (indexes, functions, views) are ignored.
type Catalog struct {
	// Tables maps a table name to the table. Tables in the public schema are
	// keyed by their bare name ("users"); others as "schema.table".
	Tables map[string]*CatalogTable
}

// CatalogTable is one table of a Catalog.
type CatalogTable struct {
	// Name is the key of the table in Catalog.Tables.
	Name string
	// Columns are in table order.
	Columns []*CatalogColumn
	// Opaque is set when the columns could not be worked out from the SQL
	// (CREATE TABLE AS, LIKE or INHERITS of an unknown table); checks that
	// need the columns skip such a table.
	Opaque bool
}

// CatalogColumn is one column of a CatalogTable.
type CatalogColumn struct {
	Name string
	// Type is the type as the parser reads it: built-in names in their SQL
	// spelling (integer, bigint, varchar(255), text[]), serial types as written.
	Type string
	// NotNull is set by NOT NULL, PRIMARY KEY, identity and serial columns.
	NotNull bool
	// HasDefault is set by DEFAULT and by serial types.
	HasDefault bool
	// Identity is set for GENERATED ... AS IDENTITY and serial columns: the
	// database supplies the value.
	Identity bool
	// Generated is set for GENERATED ALWAYS AS (expr) STORED: the column
	// cannot be written.
	Generated bool
	// PrimaryKey is set when the column is part of the primary key.
	PrimaryKey bool
}

// ParseSchema builds a Catalog from schema SQL. A text that does not parse
// yields a *SQLError.
func ParseSchema(sql string) (*Catalog, error) {
	c := &Catalog{Tables: map[string]*CatalogTable{}}
	if err := c.Apply(sql); err != nil {
		return nil, err
	}
	return c, nil
}

// Apply updates the catalog with the DDL in sql (CREATE/ALTER/DROP TABLE,
// RENAME), as a migration step would. Statements about unknown tables are
// ignored. A text that does not parse yields a *SQLError and changes nothing.
func (c *Catalog) Apply(sql string) error {
	tree, err := pgsql.Parse(sql)
	if err != nil {
		return err
	}
	c.applyTree(tree)
	return nil
}

// Table returns the named table or nil. "public.users" and "users" name the
// same table.
func (c *Catalog) Table(name string) *CatalogTable {
	if c == nil {
		return nil
	}
	return c.Tables[normalizeTable(name)]
}

// TableNames returns the table names, sorted.
func (c *Catalog) TableNames() []string {
	names := make([]string, 0, len(c.Tables))
	for n := range c.Tables {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Clone returns a deep copy, so that a copy can follow migration steps.
func (c *Catalog) Clone() *Catalog {
	out := &Catalog{Tables: make(map[string]*CatalogTable, len(c.Tables))}
	for name, t := range c.Tables {
		out.Tables[name] = t.clone()
	}
	return out
}

// Column returns the named column or nil.
func (t *CatalogTable) Column(name string) *CatalogColumn {
	if t == nil {
		return nil
	}
	for _, col := range t.Columns {
		if col.Name == name {
			return col
		}
	}
	return nil
}

// ColumnNames returns the column names in table order.
func (t *CatalogTable) ColumnNames() []string {
	names := make([]string, len(t.Columns))
	for i, col := range t.Columns {
		names[i] = col.Name
	}
	return names
}

// PrimaryKey returns the primary key columns in table order.
func (t *CatalogTable) PrimaryKey() []string {
	var names []string
	for _, col := range t.Columns {
		if col.PrimaryKey {
			names = append(names, col.Name)
		}
	}
	return names
}

func (t *CatalogTable) clone() *CatalogTable {
	out := &CatalogTable{Name: t.Name, Opaque: t.Opaque, Columns: make([]*CatalogColumn, len(t.Columns))}
	for i, col := range t.Columns {
		cp := *col
		out.Columns[i] = &cp
	}
	return out
}

func (t *CatalogTable) dropColumn(name string) {
	for i, col := range t.Columns {
		if col.Name == name {
			t.Columns = append(t.Columns[:i], t.Columns[i+1:]...)
			return
		}
	}
}

// normalizeTable strips the default "public." schema so that both spellings
// name the same table.
func normalizeTable(name string) string {
	return strings.TrimPrefix(name, "public.")
}

func qualify(schema, rel string) string {
	if schema == "" || schema == "public" {
		return rel
	}
	return schema + "." + rel
}

func rangeVarName(rv *pg_query.RangeVar) string {
	return qualify(rv.GetSchemaname(), rv.GetRelname())
}

func (c *Catalog) applyTree(tree *pg_query.ParseResult) {
	for _, raw := range tree.GetStmts() {
		n := raw.GetStmt()
		switch {
		case n.GetCreateStmt() != nil:
			c.createTable(n.GetCreateStmt())
		case n.GetCreateTableAsStmt() != nil:
			c.createTableAs(n.GetCreateTableAsStmt())
		case n.GetAlterTableStmt() != nil:
			c.alterTable(n.GetAlterTableStmt())
		case n.GetRenameStmt() != nil:
			c.rename(n.GetRenameStmt())
		case n.GetAlterObjectSchemaStmt() != nil:
			c.setSchema(n.GetAlterObjectSchemaStmt())
		case n.GetDropStmt() != nil:
			c.drop(n.GetDropStmt())
		}
	}
}

func (c *Catalog) createTable(cs *pg_query.CreateStmt) {
	name := rangeVarName(cs.GetRelation())
	if c.Tables[name] != nil && cs.GetIfNotExists() {
		return
	}
	t := &CatalogTable{Name: name}
	for _, parent := range cs.GetInhRelations() {
		c.inherit(t, c.Tables[rangeVarName(parent.GetRangeVar())], likeAll)
	}
	if cs.GetOfTypename() != nil {
		t.Opaque = true
	}
	for _, elt := range cs.GetTableElts() {
		switch {
		case elt.GetColumnDef() != nil:
			t.addColumn(columnFromDef(elt.GetColumnDef()))
		case elt.GetTableLikeClause() != nil:
			like := elt.GetTableLikeClause()
			c.inherit(t, c.Tables[rangeVarName(like.GetRelation())], like.GetOptions())
		case elt.GetConstraint() != nil:
			t.applyConstraint(elt.GetConstraint())
		}
	}
	for _, con := range cs.GetConstraints() {
		t.applyConstraint(con.GetConstraint())
	}
	c.Tables[name] = t
}

// addColumn adds col, or merges it into an inherited column of the same name.
func (t *CatalogTable) addColumn(col *CatalogColumn) {
	if old := t.Column(col.Name); old != nil {
		old.NotNull = old.NotNull || col.NotNull
		old.HasDefault = old.HasDefault || col.HasDefault
		old.Identity = old.Identity || col.Identity
		old.Generated = old.Generated || col.Generated
		old.PrimaryKey = old.PrimaryKey || col.PrimaryKey
		return
	}
	t.Columns = append(t.Columns, col)
}

// LIKE options, as in PostgreSQL's CreateStmtLikeOption.
const (
	likeDefaults  = 1 << 3
	likeGenerated = 1 << 4
	likeIdentity  = 1 << 5
	likeIndexes   = 1 << 6
	likeAll       = 1<<31 - 1
)

// inherit copies the columns of src (LIKE, INHERITS, PARTITION OF); an
// unknown src makes t opaque.
func (c *Catalog) inherit(t *CatalogTable, src *CatalogTable, opts uint32) {
	if src == nil {
		t.Opaque = true
		return
	}
	t.Opaque = t.Opaque || src.Opaque
	for _, col := range src.Columns {
		cp := *col
		cp.HasDefault = col.HasDefault && opts&likeDefaults != 0
		cp.Generated = col.Generated && opts&likeGenerated != 0
		cp.Identity = col.Identity && opts&likeIdentity != 0
		cp.PrimaryKey = col.PrimaryKey && opts&likeIndexes != 0
		t.addColumn(&cp)
	}
}

func (c *Catalog) createTableAs(cs *pg_query.CreateTableAsStmt) {
	if cs.GetObjtype() != pg_query.ObjectType_OBJECT_TABLE {
		return
	}
	name := rangeVarName(cs.GetInto().GetRel())
	if c.Tables[name] != nil && cs.GetIfNotExists() {
		return
	}
	t := &CatalogTable{Name: name, Opaque: true}
	for _, n := range cs.GetInto().GetColNames() {
		t.Columns = append(t.Columns, &CatalogColumn{Name: n.GetString_().GetSval()})
	}
	c.Tables[name] = t
}

var serialTypes = map[string]bool{
	"serial": true, "serial4": true, "bigserial": true, "serial8": true, "smallserial": true, "serial2": true,
}

func columnFromDef(cd *pg_query.ColumnDef) *CatalogColumn {
	col := &CatalogColumn{Name: cd.GetColname(), Type: typeName(cd.GetTypeName())}
	if serialTypes[col.Type] {
		col.NotNull, col.HasDefault, col.Identity = true, true, true
	}
	col.NotNull = col.NotNull || cd.GetIsNotNull()
	col.HasDefault = col.HasDefault || cd.GetRawDefault() != nil
	col.Identity = col.Identity || cd.GetIdentity() != ""
	col.Generated = cd.GetGenerated() != ""
	for _, con := range cd.GetConstraints() {
		col.applyConstraint(con.GetConstraint())
	}
	return col
}

func (col *CatalogColumn) applyConstraint(con *pg_query.Constraint) {
	switch con.GetContype() {
	case pg_query.ConstrType_CONSTR_NOTNULL:
		col.NotNull = true
	case pg_query.ConstrType_CONSTR_NULL:
		col.NotNull = false
	case pg_query.ConstrType_CONSTR_DEFAULT:
		col.HasDefault = true
	case pg_query.ConstrType_CONSTR_IDENTITY:
		col.Identity, col.NotNull = true, true
	case pg_query.ConstrType_CONSTR_GENERATED:
		col.Generated = true
	case pg_query.ConstrType_CONSTR_PRIMARY:
		col.PrimaryKey, col.NotNull = true, true
	}
}

// applyConstraint handles table constraints; only PRIMARY KEY (cols) matters.
func (t *CatalogTable) applyConstraint(con *pg_query.Constraint) {
	if con.GetContype() != pg_query.ConstrType_CONSTR_PRIMARY {
		return
	}
	for _, k := range con.GetKeys() {
		if col := t.Column(k.GetString_().GetSval()); col != nil {
			col.PrimaryKey, col.NotNull = true, true
		}
	}
}

func (c *Catalog) alterTable(as *pg_query.AlterTableStmt) {
	if as.GetObjtype() != pg_query.ObjectType_OBJECT_TABLE {
		return
	}
	t := c.Tables[rangeVarName(as.GetRelation())]
	if t == nil {
		return
	}
	for _, n := range as.GetCmds() {
		t.alter(n.GetAlterTableCmd())
	}
}

func (t *CatalogTable) alter(cmd *pg_query.AlterTableCmd) {
	col := t.Column(cmd.GetName())
	switch cmd.GetSubtype() {
	case pg_query.AlterTableType_AT_AddColumn:
		if def := cmd.GetDef().GetColumnDef(); def != nil && t.Column(def.GetColname()) == nil {
			t.Columns = append(t.Columns, columnFromDef(def))
		}
	case pg_query.AlterTableType_AT_DropColumn:
		t.dropColumn(cmd.GetName())
	case pg_query.AlterTableType_AT_AddConstraint:
		t.applyConstraint(cmd.GetDef().GetConstraint())
	}
	if col != nil {
		col.alter(cmd)
	}
}

// alter applies the column-level ALTER TABLE commands.
func (col *CatalogColumn) alter(cmd *pg_query.AlterTableCmd) {
	switch cmd.GetSubtype() {
	case pg_query.AlterTableType_AT_ColumnDefault:
		col.HasDefault = cmd.GetDef() != nil
	case pg_query.AlterTableType_AT_SetNotNull:
		col.NotNull = true
	case pg_query.AlterTableType_AT_DropNotNull:
		col.NotNull = false
	case pg_query.AlterTableType_AT_AddIdentity:
		col.Identity, col.NotNull = true, true
	case pg_query.AlterTableType_AT_DropIdentity:
		col.Identity = false
	case pg_query.AlterTableType_AT_DropExpression:
		col.Generated = false
	case pg_query.AlterTableType_AT_AlterColumnType:
		if tn := cmd.GetDef().GetColumnDef().GetTypeName(); tn != nil {
			col.Type = typeName(tn)
		}
	}
}

func (c *Catalog) rename(rs *pg_query.RenameStmt) {
	t := c.Tables[rangeVarName(rs.GetRelation())]
	if t == nil {
		return
	}
	switch {
	case rs.GetRenameType() == pg_query.ObjectType_OBJECT_TABLE:
		c.moveTable(t, qualify(rs.GetRelation().GetSchemaname(), rs.GetNewname()))
	case rs.GetRenameType() == pg_query.ObjectType_OBJECT_COLUMN && rs.GetRelationType() == pg_query.ObjectType_OBJECT_TABLE:
		if col := t.Column(rs.GetSubname()); col != nil {
			col.Name = rs.GetNewname()
		}
	}
}

func (c *Catalog) setSchema(s *pg_query.AlterObjectSchemaStmt) {
	if s.GetObjectType() != pg_query.ObjectType_OBJECT_TABLE {
		return
	}
	if t := c.Tables[rangeVarName(s.GetRelation())]; t != nil {
		c.moveTable(t, qualify(s.GetNewschema(), s.GetRelation().GetRelname()))
	}
}

func (c *Catalog) moveTable(t *CatalogTable, name string) {
	delete(c.Tables, t.Name)
	t.Name = name
	c.Tables[name] = t
}

func (c *Catalog) drop(ds *pg_query.DropStmt) {
	if ds.GetRemoveType() != pg_query.ObjectType_OBJECT_TABLE {
		return
	}
	for _, obj := range ds.GetObjects() {
		names := stringList(obj.GetList().GetItems())
		switch len(names) {
		case 1:
			delete(c.Tables, names[0])
		case 2:
			delete(c.Tables, qualify(names[0], names[1]))
		}
	}
}

func stringList(nodes []*pg_query.Node) []string {
	out := make([]string, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, n.GetString_().GetSval())
	}
	return out
}

// builtinTypes maps the parser's internal names back to their SQL spelling.
var builtinTypes = map[string]string{
	"int2": "smallint", "int4": "integer", "int8": "bigint",
	"float4": "real", "float8": "double precision", "bool": "boolean",
	"bpchar": "char", "varchar": "varchar", "numeric": "numeric",
	"timestamp": "timestamp", "timestamptz": "timestamptz",
	"time": "time", "timetz": "timetz", "interval": "interval",
	"bit": "bit", "varbit": "varbit",
}

func typeName(tn *pg_query.TypeName) string {
	names := stringList(tn.GetNames())
	name := strings.Join(names, ".")
	if len(names) == 2 && names[0] == "pg_catalog" {
		name = names[1]
		if sqlName, ok := builtinTypes[names[1]]; ok {
			name = sqlName
		}
	}
	if mods := typeMods(tn.GetTypmods()); mods != "" {
		name += "(" + mods + ")"
	}
	for range tn.GetArrayBounds() {
		name += "[]"
	}
	return name
}

func typeMods(nodes []*pg_query.Node) string {
	var mods []string
	for _, n := range nodes {
		switch {
		case n.GetAConst().GetIval() != nil:
			mods = append(mods, strconv.Itoa(int(n.GetAConst().GetIval().GetIval())))
		case n.GetAConst().GetSval() != nil:
			mods = append(mods, n.GetAConst().GetSval().GetSval())
		}
	}
	return strings.Join(mods, ",")
}
