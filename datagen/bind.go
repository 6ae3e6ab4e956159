package datagen

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strings"
	"sync"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/jackc/pgx/v5"
)

// rowGen generates the rows of one table: values for its COPY columns, in
// slots that each fill one column or a group of them.
type rowGen struct {
	names []string
	slots []slotFunc
	seqs  []*seqFill
}

// slotFunc writes one row's values of its columns into vals.
type slotFunc func(f *gofakeit.Faker, row int64, vals []any) error

// keyCache holds the keys of referenced columns for one Load: read once,
// on the connection of the first table that needs them, or computed
// without a query for columns this load filled with a dense range. Safe for
// concurrent use; a second reader of the same keys waits for the first.
type keyCache struct {
	mu      sync.Mutex
	entries map[string]*keyEntry
}

type keyEntry struct {
	done chan struct{}
	keys *Keys
	err  error
}

func newKeyCache() *keyCache { return &keyCache{entries: map[string]*keyEntry{}} }

func cacheKey(t *table, cols []string) string {
	return fmt.Sprintf("%d:%s", t.oid, strings.Join(cols, ","))
}

// put records keys known without reading them.
func (c *keyCache) put(t *table, col string, k *Keys) {
	e := &keyEntry{done: make(chan struct{}), keys: k}
	close(e.done)
	c.mu.Lock()
	c.entries[cacheKey(t, []string{col})] = e
	c.mu.Unlock()
}

// get returns the distinct values of t's cols (tuples for several columns).
func (c *keyCache) get(ctx context.Context, conn *pgx.Conn, t *table, cols []string) (*Keys, error) {
	id := cacheKey(t, cols)
	c.mu.Lock()
	e, ok := c.entries[id]
	if !ok {
		e = &keyEntry{done: make(chan struct{})}
		c.entries[id] = e
	}
	c.mu.Unlock()
	if ok {
		select {
		case <-e.done:
			return e.keys, e.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	defer close(e.done)
	if len(cols) == 1 {
		col := t.byName[cols[0]]
		if col == nil {
			e.err = fmt.Errorf("keys of %s.%s: column does not exist", identName(t.ident), cols[0])
			return nil, e.err
		}
		e.keys, e.err = loadKeys(ctx, conn, t, col, t.uniqueColumn(cols[0]))
	} else {
		e.keys, e.err = loadTupleKeys(ctx, conn, t, cols)
	}
	return e.keys, e.err
}

// uniqueColumn reports whether a single-column PRIMARY KEY or UNIQUE
// constraint (or unique index) covers col.
func (t *table) uniqueColumn(col string) bool {
	for _, c := range t.constraints {
		if (c.kind == 'p' || c.kind == 'u') && len(c.cols) == 1 && c.cols[0] == col {
			return true
		}
	}
	for _, ix := range t.indexes {
		if ix.unique && len(ix.cols) == 1 && ix.cols[0] == col && !strings.Contains(ix.def, " WHERE ") {
			return true
		}
	}
	return false
}

// loadTupleKeys reads the distinct non-NULL combinations of cols in
// ascending order, as []any each.
func loadTupleKeys(ctx context.Context, conn *pgx.Conn, t *table, cols []string) (*Keys, error) {
	ids := make([]string, len(cols))
	notNull := make([]string, len(cols))
	for i, c := range cols {
		ids[i] = pgx.Identifier{c}.Sanitize()
		notNull[i] = ids[i] + " IS NOT NULL"
	}
	list := strings.Join(ids, ", ")
	q := fmt.Sprintf("SELECT DISTINCT %s FROM %s WHERE %s ORDER BY %s", list, t.ident.Sanitize(), strings.Join(notNull, " AND "), list)
	rows, err := conn.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("keys of %s (%s): %w", identName(t.ident), strings.Join(cols, ", "), err)
	}
	defer rows.Close()
	var vals []any
	for rows.Next() {
		if len(vals) == MaxKeys {
			return nil, fmt.Errorf("keys of %s: more than %d distinct values, the most datagen holds in memory", identName(t.ident), MaxKeys)
		}
		v, err := rows.Values()
		if err != nil {
			return nil, fmt.Errorf("keys of %s: %w", identName(t.ident), err)
		}
		vals = append(vals, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("keys of %s: %w", identName(t.ident), err)
	}
	return NewKeys(vals), nil
}

// bind makes a table's plan ready to generate rows: it reads the state of
// its sequences and the keys it references, on conn.
func bind(ctx context.Context, conn *pgx.Conn, p *tablePlan, keys *keyCache) (*rowGen, error) {
	rg := &rowGen{}
	for _, cp := range p.cols {
		if cp.kind != colSeq && !(cp.kind == colSpec && cp.col.sequence != "" && cp.col.category() == catInt) {
			continue
		}
		if cp.kind == colSpec {
			rg.seqs = append(rg.seqs, &seqFill{col: cp.col, written: true})
			continue
		}
		s, err := newSeqFill(ctx, conn, cp.col, p.rows)
		if err != nil {
			return nil, err
		}
		if s != nil && !p.empty {
			if err := s.skipExisting(ctx, conn, p.t); err != nil {
				return nil, err
			}
		}
		cp.seq = s
		rg.seqs = append(rg.seqs, s)
	}
	index := map[*colPlan]int{}
	for _, cp := range p.cols {
		if cp.kind == colSeq && cp.seq == nil {
			continue // a descending sequence: left to the database
		}
		index[cp] = len(rg.names)
		rg.names = append(rg.names, cp.col.name)
	}
	bound := map[*groupPlan]bool{}
	for _, cp := range p.cols {
		i, ok := index[cp]
		if !ok {
			continue
		}
		if cp.kind == colGroup {
			if bound[cp.group] {
				continue
			}
			bound[cp.group] = true
			slot, err := bindGroup(ctx, conn, p, cp.group, index, keys)
			if err != nil {
				return nil, err
			}
			rg.slots = append(rg.slots, slot)
			continue
		}
		fn, err := bindColumn(ctx, conn, p, cp, keys)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", cp.col.name, err)
		}
		rg.slots = append(rg.slots, columnSlot(i, cp.col.name, fn, cp.conv))
	}
	return rg, nil
}

func columnSlot(i int, name string, fn RowFunc, conv converter) slotFunc {
	return func(f *gofakeit.Faker, row int64, vals []any) error {
		v := fn(f, row)
		if v != nil && conv != nil {
			var err error
			if v, err = conv(v); err != nil {
				return fmt.Errorf("column %q: %w", name, err)
			}
		}
		vals[i] = v
		return nil
	}
}

func bindColumn(ctx context.Context, conn *pgx.Conn, p *tablePlan, cp *colPlan, keys *keyCache) (RowFunc, error) {
	switch cp.kind {
	case colSeq:
		return cp.seq.value, nil
	case colNull:
		return func(*gofakeit.Faker, int64) any { return nil }, nil
	case colSelf:
		return bindSelf(cp)
	case colFK:
		return bindFK(ctx, conn, cp, keys)
	case colSpec:
		if cp.fn != nil {
			return cp.fn, nil
		}
		return bindRef(ctx, conn, cp, keys)
	}
	return cp.fn, nil
}

func bindRef(ctx context.Context, conn *pgx.Conn, cp *colPlan, keys *keyCache) (RowFunc, error) {
	_, parentCol, _ := splitRef(cp.spec.Ref)
	k, err := keys.get(ctx, conn, cp.fk.parent, []string{parentCol})
	if err != nil {
		return nil, err
	}
	d, err := distOf(cp.spec)
	if err != nil {
		return nil, err
	}
	pick, err := k.picker(d, cp.g)
	if err != nil {
		return nil, fmt.Errorf("ref %s: %w", cp.spec.Ref, err)
	}
	return withNulls(pick, cp.spec.NullRatio), nil
}

func bindFK(ctx context.Context, conn *pgx.Conn, cp *colPlan, keys *keyCache) (RowFunc, error) {
	con := cp.fk.con
	k, err := keys.get(ctx, conn, cp.fk.parent, con.refCols)
	if errors.Is(err, ErrNoKeys) && cp.fk.nullable {
		return func(*gofakeit.Faker, int64) any { return nil }, nil
	}
	if err != nil {
		return nil, fmt.Errorf("foreign key %s: %w", con.name, err)
	}
	pick, err := k.picker(fkDist(cp.shape, k.Len()), cp.g)
	if err != nil {
		return nil, fmt.Errorf("foreign key %s to %s: %w", con.name, identName(cp.fk.parent.ident), err)
	}
	if cp.shape != nil {
		pick = withNulls(pick, cp.shape.nullFrac)
	}
	return pick, nil
}

// bindSelf draws, for row r, the key of a row in [0, r]: a tree, whose
// roots (about one row in ten, when the column is nullable) are NULL.
func bindSelf(cp *colPlan) (RowFunc, error) {
	key, ok := cp.self.rowBased()
	if !ok {
		return nil, fmt.Errorf("foreign key %s: the key column %s is not filled by row", cp.fk.con.name, cp.self.col.name)
	}
	nullable := cp.fk.nullable
	return func(f *gofakeit.Faker, row int64) any {
		if nullable && (row == 0 || f.Float64() < 0.1) {
			return nil
		}
		return key(uniformInt(f, 0, row))
	}, nil
}

func bindGroup(ctx context.Context, conn *pgx.Conn, p *tablePlan, g *groupPlan, index map[*colPlan]int, keys *keyCache) (slotFunc, error) {
	if len(g.members) == 0 {
		return func(*gofakeit.Faker, int64, []any) error { return nil }, nil
	}
	if g.kind == groupTuple {
		return bindTuple(ctx, conn, p, g, index, keys)
	}
	doms := make([]*domain, len(g.members))
	total := uint64(1)
	capped := false
	for i, m := range g.members {
		if m.fk != nil {
			k, err := keys.get(ctx, conn, m.fk.parent, m.fk.con.refCols)
			if err != nil {
				return nil, fmt.Errorf("foreign key %s: %w", m.fk.con.name, err)
			}
			doms[i] = &domain{n: uint64(k.Len()), at: k.at}
		} else {
			doms[i] = m.auto.dom
		}
		hi, lo := bits.Mul64(total, doms[i].n)
		if hi != 0 || lo > math.MaxInt64 {
			capped, total = true, math.MaxInt64
		} else if !capped {
			total = lo
		}
	}
	if uint64(p.rows) > total {
		return nil, fmt.Errorf("unique (%s): %d rows, but only %d distinct combinations", memberNames(g), p.rows, total)
	}
	s := newScatter(total, g.key)
	return func(_ *gofakeit.Faker, row int64, vals []any) error {
		c := s.at(uint64(row))
		for i, m := range g.members {
			v := doms[i].at(c % doms[i].n)
			c /= doms[i].n
			if err := m.put(vals, index, v); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// put converts v to what the column's type takes and stores it in the
// column's slot of vals.
func (m *colPlan) put(vals []any, index map[*colPlan]int, v any) error {
	if m.conv != nil && v != nil {
		var err error
		if v, err = m.conv(v); err != nil {
			return fmt.Errorf("column %q: %w", m.col.name, err)
		}
	}
	vals[index[m]] = v
	return nil
}

func memberNames(g *groupPlan) string {
	names := make([]string, len(g.members))
	for i, m := range g.members {
		names[i] = m.col.name
	}
	return strings.Join(names, ", ")
}

// bindTuple fills the columns of a multi-column foreign key from one parent
// row's key per row.
func bindTuple(ctx context.Context, conn *pgx.Conn, p *tablePlan, g *groupPlan, index map[*colPlan]int, keys *keyCache) (slotFunc, error) {
	con := g.fk.con
	k, err := keys.get(ctx, conn, g.fk.parent, con.refCols)
	if err == nil && k.Len() == 0 {
		err = ErrNoKeys
	}
	if err != nil && !(errors.Is(err, ErrNoKeys) && g.fk.nullable) {
		return nil, fmt.Errorf("foreign key %s: %w", con.name, err)
	}
	if err != nil { // no parent rows, nullable columns
		return func(_ *gofakeit.Faker, _ int64, vals []any) error {
			for _, m := range g.members {
				vals[index[m]] = nil
			}
			return nil
		}, nil
	}
	pick, err := k.picker(distSpec{name: DistUniform}, genContext{rows: p.rows, unique: g.unique, key: g.key})
	if err != nil {
		return nil, fmt.Errorf("foreign key %s to %s: %w", con.name, identName(g.fk.parent.ident), err)
	}
	pos := make([]int, len(g.members))
	for i, m := range g.members {
		pos[i] = indexOf(con.cols, m.col.name)
	}
	return func(f *gofakeit.Faker, row int64, vals []any) error {
		tuple := pick(f, row).([]any)
		for i, m := range g.members {
			if err := m.put(vals, index, tuple[pos[i]]); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// computedKeys records the keys of p's dense integer columns, known
// without reading them once p is loaded: what its children draw from.
func computedKeys(p *tablePlan, keys *keyCache) {
	if !p.empty || p.rows == 0 {
		return
	}
	for _, cp := range p.cols {
		if cp.kind == colSeq && cp.seq != nil && cp.seq.inc != 1 {
			continue
		}
		if key, ok := cp.rowBased(); ok {
			keys.put(p.t, cp.col.name, NewKeyRange(key(0), key(p.rows-1)))
		}
	}
}
