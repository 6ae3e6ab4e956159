package scenarios

import (
	"maps"
	"slices"
	"sort"
	"strings"
)

// LoadOrder returns the keys of data.tables in an order where every table a
// column refs comes before the table holding the ref, ties broken by name.
// Tables of a reference cycle (which validation rejects) come last, by name.
func (s *Scenario) LoadOrder() []string {
	g := s.refGraph()
	names := slices.Sorted(maps.Keys(g.keys))
	done := make(map[string]bool, len(names))
	order := make([]string, 0, len(names))
	for len(order) < len(names) {
		next := g.firstReady(names, done)
		if next == "" {
			for _, n := range names {
				if !done[n] {
					done[n] = true
					order = append(order, g.keys[n])
				}
			}
			break
		}
		done[next] = true
		order = append(order, g.keys[next])
	}
	return order
}

// refGraph links data.tables by the refs of their columns. Names are
// normalized ("public." stripped).
type refGraph struct {
	keys  map[string]string            // table → key as written in data.tables
	edges map[string]map[string]string // table → referenced table → first column (by name) holding the ref
}

func (s *Scenario) refGraph() refGraph {
	g := refGraph{keys: map[string]string{}, edges: map[string]map[string]string{}}
	for _, key := range slices.Sorted(maps.Keys(s.Data.Tables)) {
		if n := normalizeTable(key); g.keys[n] == "" {
			g.keys[n] = key
		}
	}
	for from, key := range g.keys {
		if t := s.Data.Tables[key]; t != nil {
			g.addEdges(from, t)
		}
	}
	return g
}

func (g refGraph) addEdges(from string, t *Table) {
	for _, col := range slices.Sorted(maps.Keys(t.Columns)) {
		v := t.Columns[col]
		if v == nil || v.Ref == "" {
			continue
		}
		table, _, ok := SplitRef(v.Ref)
		to := normalizeTable(table)
		if _, loaded := g.keys[to]; !ok || !loaded {
			continue
		}
		if g.edges[from] == nil {
			g.edges[from] = map[string]string{}
		}
		if _, seen := g.edges[from][to]; !seen {
			g.edges[from][to] = col
		}
	}
}

func (g refGraph) edge(from, to string) string { return g.edges[from][to] }

// firstReady returns the first name, in order, not done whose referenced
// tables are all done; a self-reference does not hold a table back.
func (g refGraph) firstReady(names []string, done map[string]bool) string {
	for _, n := range names {
		if done[n] {
			continue
		}
		ready := true
		for to := range g.edges[n] {
			if to != n && !done[to] {
				ready = false
				break
			}
		}
		if ready {
			return n
		}
	}
	return ""
}

// cycles returns reference cycles as paths [a, b, ..., a], each set of
// tables once, found by depth-first search in name order.
func (g refGraph) cycles() [][]string {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	seen := map[string]bool{}
	var out [][]string
	var stack []string
	var visit func(n string)
	visit = func(n string) {
		color[n] = grey
		stack = append(stack, n)
		for _, to := range slices.Sorted(maps.Keys(g.edges[n])) {
			switch color[to] {
			case white:
				visit(to)
			case grey:
				cycle := cycleFrom(stack, to)
				if id := cycleID(cycle); !seen[id] {
					seen[id] = true
					out = append(out, cycle)
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
	}
	for _, n := range slices.Sorted(maps.Keys(g.keys)) {
		if color[n] == white {
			visit(n)
		}
	}
	return out
}

// cycleFrom cuts the cycle that starts at to out of the DFS stack.
func cycleFrom(stack []string, to string) []string {
	for i, n := range stack {
		if n == to {
			cycle := append([]string(nil), stack[i:]...)
			return append(cycle, to)
		}
	}
	return []string{to, to}
}

func cycleID(cycle []string) string {
	set := append([]string(nil), cycle[:len(cycle)-1]...)
	sort.Strings(set)
	return strings.Join(set, "\x00")
}
