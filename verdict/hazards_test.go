package verdict

import (
	"strings"
	"testing"

	"github.com/rehearse/rehearse/result"
)

// The fix of a write-blocking scan fits the statement that scanned, not
// whatever else the step holds: an UPDATE under an ALTER's lock is batched,
// an index build goes CONCURRENTLY.
func TestScanFixFitsTheScanningStatement(t *testing.T) {
	t.Parallel()
	scan := []result.TableScan{{Relation: "users", Rows: 1000, Mode: "AccessExclusiveLock", BlocksWrites: true}}
	step := func(stmts ...result.StatementTrace) result.Step {
		return result.Step{Name: "s", Statements: stmts}
	}
	cases := []struct {
		step result.Step
		want string
	}{
		{step(result.StatementTrace{SQL: "ALTER TABLE users ADD COLUMN c int"},
			result.StatementTrace{SQL: "  -- fill it\n  UPDATE users SET c = 1", Scans: scan},
			result.StatementTrace{SQL: "CREATE INDEX users_c ON users (c)"}), "batched step"},
		{step(result.StatementTrace{SQL: "UPDATE users SET c = 1 WHERE id = 1"},
			result.StatementTrace{SQL: "CREATE INDEX users_c ON users (c)", Scans: scan}), "CONCURRENTLY"},
	}
	for _, c := range cases {
		if got := scanFix(c.step, "users"); !strings.Contains(got, c.want) {
			t.Errorf("%v: fix %q, want one saying %q", c.step.Statements, got, c.want)
		}
	}
}
