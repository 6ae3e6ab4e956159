package lint

import (
	"fmt"
	"testing"
)

// benchStatements are the kinds of statement a migration directory holds,
// a hazard or a safe form of most rules.
var benchStatements = []string{
	"CREATE TABLE t%d (id bigint PRIMARY KEY, name varchar(50), at timestamp)",
	"ALTER TABLE users ADD COLUMN c%d text DEFAULT 'x'",
	"CREATE INDEX CONCURRENTLY i%d ON users (email)",
	"ALTER TABLE orders ADD CONSTRAINT f%d FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID",
	"ALTER TABLE users ALTER COLUMN balance TYPE bigint",
	"UPDATE users SET note = 'n%d' WHERE id < 1000",
	"ALTER TABLE users RENAME COLUMN note TO note%d",
}

// BenchmarkSteps300 lints 300 migration files of three statements each,
// with every rule enabled: the size of a long-lived service's directory.
func BenchmarkSteps300(b *testing.B) {
	var specs []step
	for i := 0; i < 300; i++ {
		sql := ""
		for j := 0; j < 3; j++ {
			sql += fmt.Sprintf(benchStatements[(i*3+j)%len(benchStatements)], i*3+j) + ";\n"
		}
		specs = append(specs, step{sql: sql, noTx: i%5 == 0})
	}
	steps := buildSteps(specs)
	var all []string
	for _, r := range Rules() {
		all = append(all, r.ID)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(Steps(steps, WithSchema(testSchema), Enable(all...))) == 0 {
			b.Fatal("no findings")
		}
	}
}
