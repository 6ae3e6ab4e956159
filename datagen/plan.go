package datagen

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/scenarios"
)

// tablePlan is one table's load, checked against the catalog before anything
// is written.
type tablePlan struct {
	name string
	t    *table
	rows int64
	// empty is set when the table had no rows before the load.
	empty bool
	// ordered loads the chunks one after the other, so that the rows lie
	// in the table in row order (profile.go).
	ordered bool
	// deps are the tables of this load whose keys this one references:
	// they load first.
	deps []*tablePlan
	// cols are the COPY columns in catalog order, which is also the order in
	// which a row draws from its Faker.
	cols   []*colPlan
	groups []*groupPlan
	// checks are the CHECK constraints datagen only partly understands:
	// named in messages when a sample of rows fails them.
	checks []string
}

// colKind says where a COPY column's values come from.
type colKind int

const (
	colSpec  colKind = iota // the scenario describes it
	colSeq                  // an integer column owning a sequence: the values a serial load gets
	colAuto                 // generated from its type, name and CHECK constraints
	colFK                   // a one-column foreign key: the parent's keys
	colSelf                 // a foreign key to a row-computed key of the same table
	colGroup                // filled with other columns by a group
	colNull                 // NULL: a nullable foreign key that would close a cycle
)

// colPlan says where one COPY column's values come from.
type colPlan struct {
	col  *column
	kind colKind
	spec *scenarios.ValueSpec
	g    genContext
	conv converter
	auto *autoGen
	fk   *fkPlan
	// self is the referenced column of a colSelf.
	self *colPlan
	// group fills a colGroup column.
	group *groupPlan
	// fn is set for generated columns at planning, for the others at bind.
	fn  RowFunc
	seq *seqFill
	// shape is the profile's statistics of a foreign key column (profile.go).
	shape *shape
}

// unique reports whether the column's values are distinct by construction.
func (c *colPlan) unique() bool {
	switch c.kind {
	case colSeq:
		return true
	case colAuto, colFK, colSpec:
		return c.g.unique || c.kind == colSpec && strings.EqualFold(c.spec.Gen, "sequential")
	case colGroup:
		return c.group.unique && len(c.group.members) == 1
	}
	return false
}

// rowBased returns the integer a row gets when the column's values are a
// pure function of the row (sequence, sequential, dense unique integers):
// what a self-reference and a computed key range need. Valid after bind.
func (c *colPlan) rowBased() (func(row int64) int64, bool) {
	switch {
	case c.kind == colSeq && c.seq != nil:
		return func(row int64) int64 { return c.seq.next + row*c.seq.inc }, true
	case c.kind == colSpec && strings.EqualFold(c.spec.Gen, "sequential") && c.spec.NullRatio == 0:
		return func(row int64) int64 { return row + 1 }, true
	case c.kind == colAuto && c.auto.rowBased:
		first := c.auto.first
		return func(row int64) int64 { return first + row }, true
	}
	return nil, false
}

// fkPlan is a foreign key whose columns datagen fills from the parent's keys.
type fkPlan struct {
	con    *constraint
	parent *table
	// parentPlan is the parent's load, nil when this load does not fill it.
	parentPlan *tablePlan
	nullable   bool
}

// groupKind is how a group fills its columns.
type groupKind int

const (
	groupTuple groupKind = iota // a multi-column foreign key: one parent row's key per row
	groupRadix                  // a composite unique key: a different combination per row
)

// groupPlan fills several columns together.
type groupPlan struct {
	kind    groupKind
	members []*colPlan
	fk      *fkPlan
	unique  bool
	key     uint64
}

// keyFor varies unique values and their scatter with the seed, table and
// column, so that two columns do not get the same sequence of values.
func keyFor(seed int64, tableName, column string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(tableName))
	h.Write([]byte{0})
	h.Write([]byte(column))
	return mix(uint64(seed) ^ mix(h.Sum64()))
}

// planner holds what planning needs across tables.
type planner struct {
	ctx   context.Context
	cat   *catalog
	data  scenarios.Data
	now   time.Time
	plans []*tablePlan
	byOID map[uint32]*tablePlan
	// hard are the edges that must hold: child → parents.
	errs []error
}

// plan checks every table against the catalog and reports all problems at
// once. The plans come in load order: parents before children, otherwise
// as order (then by name).
func plan(ctx context.Context, cat *catalog, data scenarios.Data, order []string) ([]*tablePlan, error) {
	pl := &planner{ctx: ctx, cat: cat, data: data, now: time.Now().UTC(), byOID: map[uint32]*tablePlan{}}
	names, errs := tableOrder(data, order)
	pl.errs = errs
	for _, name := range names {
		pl.readTable(name)
	}
	for _, p := range pl.plans {
		for _, err := range pl.planTable(p) {
			pl.errs = append(pl.errs, fmt.Errorf("load table %s: %w", p.name, err))
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := errors.Join(pl.errs...); err != nil {
		return nil, err
	}
	return pl.sorted()
}

// tableOrder lists data's tables: those of order first, in order, then the
// others by name.
func tableOrder(data scenarios.Data, order []string) ([]string, []error) {
	var errs []error
	seen := map[string]bool{}
	var names []string
	for _, name := range order {
		switch _, ok := data.Tables[name]; {
		case seen[name]:
			errs = append(errs, fmt.Errorf("load order: table %s is listed twice", name))
		case !ok:
			errs = append(errs, fmt.Errorf("load order: table %s has no description in data.tables", name))
		default:
			names = append(names, name)
		}
		seen[name] = true
	}
	for _, name := range slices.Sorted(maps.Keys(data.Tables)) {
		if !seen[name] {
			names = append(names, name)
		}
	}
	return names, errs
}

func (pl *planner) readTable(name string) {
	spec := pl.data.Tables[name]
	fail := func(err error) { pl.errs = append(pl.errs, fmt.Errorf("load table %s: %w", name, err)) }
	switch {
	case spec == nil:
		fail(errors.New("no rows or columns given"))
		return
	case spec.Rows < 0:
		fail(fmt.Errorf("rows %d is negative", spec.Rows))
		return
	}
	t, err := pl.cat.table(pl.ctx, name)
	if err != nil {
		fail(err)
		return
	}
	if prev, dup := pl.byOID[t.oid]; dup {
		fail(fmt.Errorf("same table as %s", prev.name))
		return
	}
	p := &tablePlan{name: name, t: t, rows: int64(spec.Rows)}
	if p.rows > 0 {
		if err := pl.cat.conn.QueryRow(pl.ctx, "SELECT NOT EXISTS (SELECT FROM "+t.ident.Sanitize()+")").Scan(&p.empty); err != nil {
			fail(fmt.Errorf("count rows: %w", err))
			return
		}
	}
	pl.plans = append(pl.plans, p)
	pl.byOID[t.oid] = p
}

// tableFacts are a table's constraints, arranged for planning.
type tableFacts struct {
	rules      map[string]*rule
	unique     map[string]bool
	composites [][]string
	fkOf       map[string]*constraint
}

func (pl *planner) facts(p *tablePlan) tableFacts {
	t := p.t
	f := tableFacts{rules: map[string]*rule{}, unique: map[string]bool{}, fkOf: map[string]*constraint{}}
	isTime := func(name string) bool {
		c := t.byName[name]
		return c != nil && c.category() == catTime && !c.array
	}
	addUnique := func(cols []string) {
		switch {
		case len(cols) == 1:
			f.unique[cols[0]] = true
		case len(cols) > 1:
			f.composites = append(f.composites, cols)
		}
	}
	for _, c := range t.constraints {
		switch c.kind {
		case 'c':
			if !parseCheck(c.def, "", isTime, f.rules, pl.now) {
				p.checks = append(p.checks, fmt.Sprintf("%s %s", c.name, c.def))
			}
		case 'p', 'u':
			addUnique(c.cols)
		case 'f':
			for _, col := range c.cols {
				f.fkOf[col] = c
			}
		}
	}
	for _, ix := range t.indexes {
		if ix.unique && ix.valid {
			addUnique(ix.cols)
		}
	}
	for _, col := range t.columns {
		for _, def := range col.domainChecks {
			parseCheck(def, col.name, isTime, f.rules, pl.now)
		}
		if r := f.rules[col.name]; r != nil && r.notNull {
			col.notNull = true
		}
	}
	return f
}

func (pl *planner) planTable(p *tablePlan) []error {
	spec := pl.data.Tables[p.name]
	t := p.t
	p.ordered = pl.profileOrdered(p)
	var errs []error
	for _, colName := range slices.Sorted(maps.Keys(spec.Columns)) {
		if _, ok := t.byName[colName]; !ok {
			errs = append(errs, fmt.Errorf("column %q does not exist", colName))
		}
	}
	f := pl.facts(p)
	for _, col := range t.columns {
		cp, err := pl.planColumn(p, f, col, spec)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("column %q (%s): %w", col.name, col.typ, err))
		case cp != nil:
			p.cols = append(p.cols, cp)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	errs = append(errs, pl.planGroups(p, f)...)
	for _, cp := range p.cols {
		if cp.kind == colSelf {
			if err := resolveSelf(p, cp); err != nil {
				errs = append(errs, fmt.Errorf("column %q: %w", cp.col.name, err))
			}
		}
	}
	return errs
}

// planColumn plans one catalog column; nil, nil leaves it to the database.
func (pl *planner) planColumn(p *tablePlan, f tableFacts, col *column, spec *scenarios.Table) (*colPlan, error) {
	vs, described := spec.Columns[col.name]
	g := genContext{rows: p.rows, unique: f.unique[col.name], key: keyFor(pl.data.Seed, p.name, col.name),
		days: col.base == "date" && !col.array, maxLen: col.maxLength()}
	switch {
	case described && col.generated:
		return nil, errors.New("generated by the database; leave it out")
	case described && vs == nil:
		return nil, errors.New("give gen, ref or value")
	case described:
		g.unique = g.unique || vs.Unique
		return pl.planSpec(p, col, vs, g)
	case col.generated:
		return nil, nil
	case f.fkOf[col.name] != nil:
		cp, err := pl.planFK(p, col, f.fkOf[col.name], g)
		return pl.shapeFK(p, col, cp), err
	case col.sequence != "" && col.category() == catInt && !col.array:
		return &colPlan{col: col, kind: colSeq}, nil
	case !g.unique && pl.profileColumn(p, col) != nil: // data.profile: profile.go
		return pl.planProfiled(p, f, col, g, pl.profileColumn(p, col))
	case col.hasDefault && !col.computedDefault && !g.unique:
		return nil, nil // a constant default: the database fills it
	}
	if g.unique && !p.empty && col.category() == catInt && !col.array {
		above, err := pl.maxValue(p, col)
		if err != nil {
			return nil, err
		}
		g.above = above
	}
	return pl.planAuto(p, f, col, g)
}

// maxValue is the largest value of an integer column in the rows already
// there (nil when all are NULL), so that unique values are generated after it.
func (pl *planner) maxValue(p *tablePlan, col *column) (*int64, error) {
	var v *int64
	q := fmt.Sprintf("SELECT max(%s)::bigint FROM %s", pgx.Identifier{col.name}.Sanitize(), p.t.ident.Sanitize())
	if err := pl.cat.conn.QueryRow(pl.ctx, q).Scan(&v); err != nil {
		return nil, fmt.Errorf("read the largest %s already there: %w", col.name, err)
	}
	return v, nil
}

func (pl *planner) planAuto(p *tablePlan, f tableFacts, col *column, g genContext) (*colPlan, error) {
	a, ok, err := autoColumn(p.name, col, f.rules[col.name], g)
	switch {
	case err != nil:
		return nil, err
	case !ok && (!col.notNull || col.hasDefault):
		return nil, nil // NULL or the default
	case !ok:
		return nil, fmt.Errorf("datagen cannot generate %s values: give the column a default, or describe it under data.tables.%s.columns (value: ...)", col.typ, p.name)
	}
	return &colPlan{col: col, kind: colAuto, g: g, auto: a, fn: withNulls(a.fn, a.nullRatio)}, nil
}

func (pl *planner) planSpec(p *tablePlan, col *column, vs *scenarios.ValueSpec, g genContext) (*colPlan, error) {
	if err := checkShape(vs); err != nil {
		return nil, err
	}
	cp := &colPlan{col: col, kind: colSpec, spec: vs, g: g}
	if vs.Ref != "" {
		return cp, pl.planRef(p, cp)
	}
	if vs.Value != nil {
		return cp, pl.planConst(cp)
	}
	fn, out, err := compileLocal(vs, g)
	if err != nil {
		return nil, err
	}
	if out.perRow && strings.EqualFold(vs.Gen, "sequential") { // 1..rows
		out.hi, out.bounded = float64(max(p.rows, 1)), true
	}
	if cp.conv, err = converterFor(col, out); err != nil {
		return nil, err
	}
	cp.fn = fn
	return cp, nil
}

func (pl *planner) planConst(cp *colPlan) error {
	if _, _, err := compileConst(cp.spec, cp.g); err != nil {
		return err
	}
	value, out, err := normaliseConst(cp.spec.Value)
	if err != nil {
		return err
	}
	out.source = fmt.Sprintf("value %v", value)
	converted, err := constantFor(cp.col, value, out)
	if err != nil {
		return err
	}
	cp.fn = withNulls(func(_ *gofakeit.Faker, _ int64) any { return converted }, cp.spec.NullRatio)
	return nil
}

// planRef checks a ref against the referenced column's type; its keys are
// read at bind, once the referenced table is loaded.
func (pl *planner) planRef(p *tablePlan, cp *colPlan) error {
	ref := cp.spec.Ref
	parentName, parentCol, err := splitRef(ref)
	if err != nil {
		return err
	}
	parent, err := pl.cat.table(pl.ctx, parentName)
	if err != nil {
		return fmt.Errorf("ref %s: %w", ref, err)
	}
	if parent.oid == p.t.oid {
		return fmt.Errorf("ref %s: a table cannot reference its own rows while they are generated; leave the column out (a foreign key to the table itself is filled automatically) or fill it in a migration step", ref)
	}
	pc, ok := parent.byName[parentCol]
	if !ok {
		return fmt.Errorf("ref %s: column %q does not exist", ref, parentCol)
	}
	if _, err := distOf(cp.spec); err != nil {
		return fmt.Errorf("ref %s: %w", ref, err)
	}
	cp.fk = &fkPlan{parent: parent, parentPlan: pl.byOID[parent.oid], nullable: true}
	cp.conv, err = refConverter(cp.col, pc, "ref "+ref)
	return err
}

// refConverter converts keys read from parent column pc for column col.
func refConverter(col, pc *column, source string) (converter, error) {
	if pc.base == col.base && pc.enum == col.enum && pc.array == col.array {
		return nil, nil // same type: keys go back as pgx read them
	}
	return converterFor(col, output{kind: refKind(pc), source: source})
}

func (pl *planner) planFK(p *tablePlan, col *column, con *constraint, g genContext) (*colPlan, error) {
	spec := pl.data.Tables[p.name]
	for _, other := range con.cols {
		if _, described := spec.Columns[other]; described {
			return nil, fmt.Errorf("foreign key %s: describe all of its columns (%s) or none", con.name, strings.Join(con.cols, ", "))
		}
	}
	fk := &fkPlan{con: con, nullable: !col.notNull}
	for _, c := range con.cols {
		if cc := p.t.byName[c]; cc != nil && cc.notNull {
			fk.nullable = false
		}
	}
	if con.refOID == p.t.oid {
		if len(con.cols) > 1 {
			if fk.nullable {
				return &colPlan{col: col, kind: colNull}, nil
			}
			return nil, fmt.Errorf("foreign key %s refers to the table itself over several NOT NULL columns, which datagen cannot fill; describe them", con.name)
		}
		return &colPlan{col: col, kind: colSelf, fk: fk, g: g}, nil
	}
	parent, err := pl.cat.table(pl.ctx, identName(con.refIdent))
	if err != nil {
		return nil, fmt.Errorf("foreign key %s: %w", con.name, err)
	}
	fk.parent, fk.parentPlan = parent, pl.byOID[parent.oid]
	if err := pl.checkParentRows(p, fk); err != nil {
		return nil, err
	}
	i := slices.Index(con.cols, col.name)
	pc := parent.byName[con.refCols[i]]
	if pc == nil {
		return nil, fmt.Errorf("foreign key %s: parent column %q not found", con.name, con.refCols[i])
	}
	conv, err := refConverter(col, pc, "foreign key "+con.name)
	if err != nil {
		return nil, err
	}
	if len(con.cols) == 1 {
		return &colPlan{col: col, kind: colFK, fk: fk, g: g, conv: conv}, nil
	}
	return &colPlan{col: col, kind: colGroup, fk: fk, g: g, conv: conv}, nil
}

// checkParentRows refuses a NOT NULL foreign key to a table that neither
// has rows nor gets any.
func (pl *planner) checkParentRows(p *tablePlan, fk *fkPlan) error {
	if fk.parentPlan != nil && fk.parentPlan.rows > 0 {
		return nil
	}
	var empty bool
	if err := pl.cat.conn.QueryRow(pl.ctx, "SELECT NOT EXISTS (SELECT FROM "+fk.parent.ident.Sanitize()+")").Scan(&empty); err != nil {
		return fmt.Errorf("foreign key %s: count rows of %s: %w", fk.con.name, identName(fk.parent.ident), err)
	}
	if empty && !fk.nullable {
		return fmt.Errorf("foreign key %s needs rows in %s, which is empty and not loaded: add it under data.tables with rows > 0",
			fk.con.name, identName(fk.parent.ident))
	}
	return nil
}

// resolveSelf finds the key column a self-referencing foreign key points at,
// which must be computable from the row index.
func resolveSelf(p *tablePlan, cp *colPlan) error {
	target := cp.fk.con.refCols[0]
	for _, other := range p.cols {
		if other.col.name == target {
			if _, ok := other.rowBased(); ok || other.kind == colSeq {
				cp.self = other
				return nil
			}
		}
	}
	if cp.fk.nullable {
		cp.kind = colNull
		return nil
	}
	return fmt.Errorf("foreign key %s refers to %s of the same table, whose values datagen cannot compute ahead; make %s an identity column or describe it with gen: sequential",
		cp.fk.con.name, target, target)
}

// planGroups turns multi-column foreign keys into tuple groups and makes
// composite unique keys hold.
func (pl *planner) planGroups(p *tablePlan, f tableFacts) []error {
	byName := map[string]*colPlan{}
	for _, cp := range p.cols {
		byName[cp.col.name] = cp
	}
	for _, cp := range p.cols {
		if cp.kind != colGroup || cp.group != nil {
			continue
		}
		g := &groupPlan{kind: groupTuple, fk: cp.fk, key: keyFor(pl.data.Seed, p.name, cp.fk.con.name)}
		for _, name := range cp.fk.con.cols {
			if m := byName[name]; m != nil {
				m.group = g
				g.members = append(g.members, m)
			}
		}
		p.groups = append(p.groups, g)
	}
	var errs []error
	for _, cols := range f.composites {
		if err := pl.planComposite(p, cols, byName); err != nil {
			errs = append(errs, fmt.Errorf("unique (%s): %w", strings.Join(cols, ", "), err))
		}
	}
	return errs
}

func (pl *planner) planComposite(p *tablePlan, cols []string, byName map[string]*colPlan) error {
	var members []*colPlan
	for _, name := range cols {
		cp := byName[name]
		if cp == nil {
			// Left to the database: a constant default (the same in every
			// row) or a generated column. The other members must then be
			// distinct by themselves.
			continue
		}
		if cp.unique() {
			return nil
		}
		members = append(members, cp)
	}
	if len(members) == 0 {
		return nil
	}
	if g := members[0].group; g != nil && g.kind == groupTuple && len(g.members) == len(members) && sameColumns(g.members, members) {
		g.unique = true
		return nil
	}
	if rankable(members) {
		g := &groupPlan{kind: groupRadix, members: members, unique: true, key: keyFor(pl.data.Seed, p.name, strings.Join(cols, ","))}
		for _, m := range members {
			m.kind, m.group = colGroup, g
		}
		p.groups = append(p.groups, g)
		return nil
	}
	// One member made unique makes every combination distinct; a member
	// that cannot hold that many values (a char(1) code) leaves it to the
	// next one.
	var lastErr error
	for i := len(members) - 1; i >= 0; i-- {
		if m := members[i]; m.kind == colAuto && canBeUnique(m.col) {
			g := m.g
			g.unique = true
			a, _, err := autoColumn(p.name, m.col, nil, g)
			if err != nil {
				lastErr = err
				continue
			}
			m.g, m.auto, m.fn = g, a, a.fn
			return nil
		}
	}
	if lastErr != nil {
		return lastErr
	}
	return errors.New("datagen cannot make these columns' combinations distinct; give one of them unique: true")
}

func sameColumns(a, b []*colPlan) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// rankable reports whether every member has a finite ordered domain (or
// parent keys), so that a group can give each row its own combination.
func rankable(members []*colPlan) bool {
	for _, m := range members {
		switch {
		case m.kind == colFK:
		case m.kind == colAuto && m.auto.dom != nil:
		default:
			return false
		}
	}
	return true
}

func canBeUnique(c *column) bool {
	switch c.category() {
	case catText, catUUID, catBytea, catJSON, catInet, catInt, catNumeric, catFloat, catTime:
		return !c.array
	}
	return false
}

// sorted orders the plans so that every table comes after the tables it
// takes keys from, breaking ties by the given order. A nullable foreign key
// that would close a cycle is left NULL; other cycles are errors.
func (pl *planner) sorted() ([]*tablePlan, error) {
	for _, p := range pl.plans {
		for _, cp := range p.cols {
			if dep := cp.dependency(); dep != nil && dep != p && dep.rows > 0 && !cp.fkNullable() {
				addDep(p, dep)
			}
		}
	}
	var errs []error
	if cycle := findCycle(pl.plans); cycle != nil {
		errs = append(errs, fmt.Errorf("tables %s reference each other through NOT NULL foreign keys or refs: no order loads their parents first; make one foreign key column nullable or describe it", strings.Join(cycle, " → ")))
	}
	for _, p := range pl.plans {
		for _, cp := range p.cols {
			dep := cp.dependency()
			if dep == nil || dep == p || dep.rows == 0 || slices.Contains(p.deps, dep) {
				continue
			}
			switch {
			case !reaches(dep, p):
				addDep(p, dep)
			case cp.fkNullable() && (cp.group == nil || cp.group.kind == groupTuple):
				nullify(cp) // the parent waits for this table: NULL keeps the order possible
			default:
				errs = append(errs, fmt.Errorf("load table %s: column %q: its keys come from %s, which waits for %s", p.name, cp.col.name, dep.name, p.name))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []*tablePlan
	done := map[*tablePlan]bool{}
	for len(out) < len(pl.plans) {
		for _, p := range pl.plans {
			if !done[p] && allDone(p.deps, done) {
				done[p] = true
				out = append(out, p)
				break
			}
		}
	}
	return out, nil
}

// nullify makes a foreign key NULL, with all the columns of its group.
func nullify(cp *colPlan) {
	if cp.group == nil {
		cp.kind = colNull
		return
	}
	for _, m := range cp.group.members {
		m.kind = colNull
	}
	cp.group.members = nil
}

// dependency is the loaded table a column takes keys from, if any.
func (c *colPlan) dependency() *tablePlan {
	if (c.kind == colFK || c.kind == colGroup || c.kind == colSpec) && c.fk != nil {
		return c.fk.parentPlan
	}
	return nil
}

func (c *colPlan) fkNullable() bool { return c.kind != colSpec && c.fk != nil && c.fk.nullable }

func addDep(p, dep *tablePlan) {
	if !slices.Contains(p.deps, dep) {
		p.deps = append(p.deps, dep)
	}
}

func allDone(deps []*tablePlan, done map[*tablePlan]bool) bool {
	for _, d := range deps {
		if !done[d] {
			return false
		}
	}
	return true
}

// reaches reports whether from depends on to, directly or not.
func reaches(from, to *tablePlan) bool {
	seen := map[*tablePlan]bool{}
	var walk func(p *tablePlan) bool
	walk = func(p *tablePlan) bool {
		if p == to {
			return true
		}
		if seen[p] {
			return false
		}
		seen[p] = true
		for _, d := range p.deps {
			if walk(d) {
				return true
			}
		}
		return false
	}
	return walk(from)
}

func findCycle(plans []*tablePlan) []string {
	for _, p := range plans {
		for _, d := range p.deps {
			if reaches(d, p) {
				return []string{p.name, d.name, p.name}
			}
		}
	}
	return nil
}

// refKind is the kind of the values LoadKeys reads from a column.
func refKind(c *column) kind {
	switch c.category() {
	case catInt:
		return kindInt
	case catNumeric:
		return kindNumeric
	case catFloat:
		return kindFloat
	case catText, catEnum:
		return kindString
	case catUUID:
		return kindUUID
	case catTime:
		return kindTime
	case catBool:
		return kindBool
	}
	return kindOther
}
