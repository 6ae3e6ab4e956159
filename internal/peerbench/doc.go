// Package peerbench holds no code: its benchmarks check rehearse's load
// generator and lock monitor against pgbench, PostgreSQL's own load tool, on
// the same query, rate, connections and machine. They run in `make bench`;
// docs/benchmarks.md records their figures and the commands.
package peerbench
