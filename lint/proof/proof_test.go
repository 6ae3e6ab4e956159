package proof

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rehearse/rehearse/internal/pglock"
	"github.com/rehearse/rehearse/internal/pgtest"
	"github.com/rehearse/rehearse/lint"
	"github.com/rehearse/rehearse/result"
)

var long64 = strings.Repeat("x", 64)

// fixtures prove every rule that claims something a database can show.
var fixtures = []fixture{
	{rule: lint.RuleIndexNotConcurrent,
		hazard: []spec{{sql: "CREATE INDEX t_v ON t (v)"}},
		safe:   []spec{{sql: "CREATE INDEX CONCURRENTLY t_v ON t (v)", noTx: true}}, clean: weakerLock},
	{rule: lint.RuleAlterColumnType,
		hazard: []spec{{sql: "ALTER TABLE t ALTER COLUMN n TYPE bigint"}},
		// The rule's exception: a binary-compatible change rewrites nothing.
		safe: []spec{{sql: "ALTER TABLE t ALTER COLUMN v TYPE text"}}},
	{rule: lint.RuleSetNotNull,
		hazard: []spec{{sql: "ALTER TABLE t ALTER COLUMN v SET NOT NULL"}},
		safe: []spec{{sql: "ALTER TABLE t ADD CONSTRAINT v_nn CHECK (v IS NOT NULL) NOT VALID"},
			{sql: "ALTER TABLE t VALIDATE CONSTRAINT v_nn"}, {sql: "ALTER TABLE t ALTER COLUMN v SET NOT NULL"}}},
	{rule: lint.RuleConstraintNotValid,
		hazard: []spec{{sql: "ALTER TABLE child ADD CONSTRAINT child_t FOREIGN KEY (t_id) REFERENCES t (id)"}},
		safe: []spec{{sql: "ALTER TABLE child ADD CONSTRAINT child_t FOREIGN KEY (t_id) REFERENCES t (id) NOT VALID"},
			{sql: "ALTER TABLE child VALIDATE CONSTRAINT child_t"}}},
	{rule: lint.RuleVolatileDefault,
		hazard: []spec{{sql: "ALTER TABLE t ADD COLUMN token uuid DEFAULT gen_random_uuid()"}},
		safe:   []spec{{sql: "ALTER TABLE t ADD COLUMN score int NOT NULL DEFAULT 0"}}},
	// Sequences and identity: adding either fills every row, a rewrite.
	{rule: lint.RuleVolatileDefault,
		hazard: []spec{{sql: "ALTER TABLE t ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY"}}},
	{rule: lint.RuleVolatileDefault,
		hazard: []spec{{sql: "ALTER TABLE t ADD COLUMN seq bigserial"}}},
	{rule: lint.RuleRequiredColumn,
		hazard: []spec{{sql: "ALTER TABLE t ADD COLUMN plan text NOT NULL"}},
		safe:   []spec{{sql: "ALTER TABLE t ADD COLUMN plan text NOT NULL DEFAULT 'free'"}}, clean: succeeds},
	{rule: lint.RuleRenameInUse, queries: []string{"SELECT v FROM t WHERE id = 1"},
		hazard: []spec{{sql: "ALTER TABLE t RENAME COLUMN v TO label"}},
		safe:   []spec{{sql: "ALTER TABLE t ADD COLUMN label text"}}, clean: succeeds},
	{rule: lint.RuleDropInUse, queries: []string{"SELECT note FROM t WHERE id = 1"},
		hazard: []spec{{sql: "ALTER TABLE t DROP COLUMN note"}},
		safe:   []spec{{sql: "ALTER TABLE t DROP COLUMN v"}}, clean: succeeds},
	{rule: lint.RuleUniqueConstraint,
		hazard: []spec{{sql: "ALTER TABLE t ADD CONSTRAINT t_v_key UNIQUE (v)"}},
		safe: []spec{{sql: "CREATE UNIQUE INDEX CONCURRENTLY t_v_key ON t (v)", noTx: true},
			{sql: "ALTER TABLE t ADD CONSTRAINT t_v_key UNIQUE USING INDEX t_v_key"}}},
	{rule: lint.RuleConcurrentlyInTx,
		hazard: []spec{{sql: "CREATE INDEX CONCURRENTLY t_v ON t (v)"}},
		safe:   []spec{{sql: "CREATE INDEX CONCURRENTLY t_v ON t (v)", noTx: true}}, clean: succeeds},
	{rule: lint.RuleDropIndexNotConcurrent, ddl: baseDDL + "CREATE INDEX t_v ON t (v);", data: baseData,
		hazard: []spec{{sql: "DROP INDEX t_v"}},
		safe:   []spec{{sql: "DROP INDEX CONCURRENTLY t_v", noTx: true}}, clean: weakerLock},
	{rule: lint.RuleDetachNotConcurrent, ddl: partitionDDL, data: partitionData,
		hazard: []spec{{sql: "ALTER TABLE events DETACH PARTITION events_2024"}},
		safe:   []spec{{sql: "ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY", noTx: true}}, clean: weakerLock},
	{rule: lint.RuleAttachScan, ddl: partitionDDL, data: partitionData,
		hazard: []spec{{sql: "ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')"}},
		safe: []spec{{sql: "ALTER TABLE events_2025 ADD CONSTRAINT in_2025 CHECK (at IS NOT NULL AND at >= '2025-01-01' AND at < '2026-01-01') NOT VALID"},
			{sql: "ALTER TABLE events_2025 VALIDATE CONSTRAINT in_2025"},
			{sql: "ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')"}}},
	{rule: lint.RuleRefreshMatview, data: "CREATE MATERIALIZED VIEW totals AS SELECT n % 10 AS k, count(*) AS c FROM t GROUP BY 1; CREATE UNIQUE INDEX totals_k ON totals (k);",
		hazard: []spec{{sql: "REFRESH MATERIALIZED VIEW totals"}},
		// CONCURRENTLY takes EXCLUSIVE: readers of the view go on.
		safe: []spec{{sql: "REFRESH MATERIALIZED VIEW CONCURRENTLY totals"}}, clean: weakerLock},
	{rule: lint.RuleTableRewrite,
		hazard: []spec{{sql: "VACUUM FULL t", noTx: true}},
		safe:   []spec{{sql: "VACUUM t", noTx: true}}, clean: weakerLock},
	{rule: lint.RuleDropPrimaryKey, data: "CREATE PUBLICATION pub FOR TABLE t;", queries: []string{"UPDATE t SET note = 'x' WHERE id = 1"},
		opts:   []lint.Option{lint.WithSchema(baseDDL + "CREATE PUBLICATION pub FOR TABLE t;")},
		hazard: []spec{{sql: "ALTER TABLE t DROP CONSTRAINT t_pkey"}},
		safe: []spec{{sql: "CREATE UNIQUE INDEX CONCURRENTLY t_id_new ON t (id)", noTx: true},
			{sql: "ALTER TABLE t REPLICA IDENTITY USING INDEX t_id_new; ALTER TABLE t DROP CONSTRAINT t_pkey"}}, clean: succeeds},
	{rule: lint.RuleDomainConstraint, ddl: "CREATE DOMAIN label AS text; CREATE TABLE people (id bigint, tag label);",
		data:   "INSERT INTO people SELECT g, 'x' || g FROM generate_series(1, 2000) g;",
		hazard: []spec{{sql: "ALTER DOMAIN label ADD CONSTRAINT short CHECK (length(VALUE) < 100)"}},
		safe:   []spec{{sql: "ALTER DOMAIN label ADD CONSTRAINT short CHECK (length(VALUE) < 100) NOT VALID"}}},
	{rule: lint.RuleTruncateCascade, data: "ALTER TABLE child ADD FOREIGN KEY (t_id) REFERENCES t (id);",
		hazard: []spec{{sql: "TRUNCATE t CASCADE"}},
		safe:   []spec{{sql: "TRUNCATE child, t"}}, clean: succeeds,
		extra: func(t *testing.T, dsn string, _ []result.Step) {
			if n := count(t, dsn, "SELECT count(*) FROM child"); n != 0 {
				t.Errorf("TRUNCATE t CASCADE left %d rows in child, which references t", n)
			}
		}},
	{rule: lint.RuleDropNotNull,
		hazard: []spec{{sql: "ALTER TABLE t ALTER COLUMN n DROP NOT NULL"}}},
	{rule: lint.RuleDuplicateAssignment,
		hazard: []spec{{sql: "UPDATE t SET note = 'a', note = 'b' WHERE id = 1"}},
		safe:   []spec{{sql: "UPDATE t SET note = 'b' WHERE id = 1"}}, clean: succeeds},
	{rule: lint.RuleIdentifierTooLong,
		hazard: []spec{{sql: "CREATE TABLE " + long64 + " (a int)"}},
		safe:   []spec{{sql: "CREATE TABLE " + long64[:63] + " (a int)"}}, clean: succeeds,
		extra: func(t *testing.T, dsn string, _ []result.Step) {
			if n := count(t, dsn, "SELECT count(*) FROM pg_class WHERE relname = '"+long64[:63]+"'"); n != 1 {
				t.Errorf("no table named with the first 63 bytes: PostgreSQL did not truncate")
			}
		}},
	{rule: lint.RuleTransactionNesting,
		hazard: []spec{{sql: "ALTER TABLE t ADD COLUMN a int; COMMIT; SELECT 1 / 0"}},
		safe:   []spec{{sql: "ALTER TABLE t ADD COLUMN a int; SELECT 1 / 0"}}, clean: -1,
		extra: func(t *testing.T, dsn string, steps []result.Step) {
			if n := count(t, dsn, "SELECT count(*) FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'a'"); n != 1 {
				t.Errorf("the step failed and its COMMIT did not keep column a: the nested COMMIT had no effect")
			}
		}},
	{rule: lint.RuleUncommittedTx,
		hazard: []spec{{sql: "BEGIN; ALTER TABLE t ADD COLUMN a int", noTx: true}},
		safe:   []spec{{sql: "BEGIN; ALTER TABLE t ADD COLUMN a int; COMMIT", noTx: true}}, clean: succeeds,
		extra: func(t *testing.T, dsn string, _ []result.Step) {
			if n := count(t, dsn, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'"); n != 1 {
				t.Errorf("%d sessions idle in transaction after the step, want the migration's", n)
			}
		}},
	{rule: lint.RuleLockQueue, holder: "SELECT count(*) FROM t",
		hazard: []spec{{sql: "ALTER TABLE t ADD COLUMN a int"}},
		safe:   []spec{{sql: "ALTER TABLE t ADD COLUMN a int", lockTimeout: 100 * time.Millisecond}}, clean: boundedWait},
	{rule: lint.RuleMissingLockTimeout, holder: "SELECT count(*) FROM t", opts: []lint.Option{lint.Disable(lint.RuleLockQueue)},
		hazard: []spec{{sql: "ALTER TABLE t ADD COLUMN a int"}},
		safe:   []spec{{sql: "ALTER TABLE t ADD COLUMN a int", lockTimeout: 100 * time.Millisecond}}, clean: boundedWait},
	{rule: lint.RuleStrongLockHeld,
		hazard: []spec{{sql: "ALTER TABLE t ADD COLUMN a int; UPDATE t SET a = n"}},
		safe:   []spec{{sql: "ALTER TABLE t ADD COLUMN a int"}, {sql: "UPDATE t SET a = n"}}, clean: noSlowUnderLock},
	{rule: lint.RuleEnumAddValueInTx, ddl: "CREATE TYPE mood AS ENUM ('ok');", opts: []lint.Option{lint.WithVersion(15)},
		// Only the version switch can be measured on this server: on 12+ the
		// statement runs in a transaction, and the rule stays silent.
		safe: []spec{{sql: "ALTER TYPE mood ADD VALUE 'meh'"}}, clean: succeeds},
}

const (
	partitionDDL = `CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 (id bigint, at date);`
	partitionData = `INSERT INTO events SELECT g, date '2024-01-01' + g % 300 FROM generate_series(1, 2000) g;
INSERT INTO events_2025 SELECT g, date '2025-01-01' + g % 300 FROM generate_series(1, 2000) g;`
)

// unprovable are the rules no fixture measures, and why.
var unprovable = map[string]string{
	lint.RuleDropDatabase: "measured by TestDropDatabaseDestroys",
}

// TestRulesAreProved rehearses each fixture's hazard and safe form on
// PostgreSQL and compares what was measured with what the rule claims.
func TestRulesAreProved(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.rule, func(t *testing.T) {
			t.Parallel() // each form has a database of its own
			var hazard lint.Finding
			if fx.hazard != nil {
				hazard = proveHazard(t, fx)
			}
			if fx.safe != nil {
				proveSafe(t, fx, hazard)
			}
		})
	}
}

// Every rule that is on by default has a fixture (or a reason).
func TestEveryRuleHasAFixture(t *testing.T) {
	have := map[string]bool{}
	for _, fx := range fixtures {
		have[fx.rule] = true
	}
	for _, r := range lint.Rules() {
		if !r.Off && !have[r.ID] && unprovable[r.ID] == "" {
			t.Errorf("rule %s has no proof fixture", r.ID)
		}
	}
}

func proveHazard(t *testing.T, fx fixture) lint.Finding {
	t.Helper()
	fx.hazardRun = true
	t.Helper()
	steps := buildSteps(fx.hazard)
	found := ruleFindings(lint.Steps(steps, fx.lintOpts()...), fx.rule)
	if len(found) == 0 {
		t.Fatalf("the hazard form is not flagged")
	}
	f := found[0]
	dsn := fx.newDB(t)
	r := fx.runSteps(t, dsn, steps, f.Relation)
	proof, why := f.Check(fx.measuredWith(r, f))
	t.Logf("hazard: %s: %s", proof, why)
	if fx.extra == nil && proof != lint.Confirmed {
		t.Errorf("hazard form %s: %s\nfinding: %s", proof, why, f)
	}
	return f
}

func proveSafe(t *testing.T, fx fixture, hazard lint.Finding) {
	t.Helper()
	steps := buildSteps(fx.safe)
	for _, f := range ruleFindings(lint.Steps(steps, fx.lintOpts()...), fx.rule) {
		if hazard.Rule == "" || f.Severity >= hazard.Severity {
			t.Errorf("the safe form is flagged: %s", f)
		}
	}
	if fx.clean < 0 {
		return // the fixture's extra check covers the safe form's meaning
	}
	dsn := fx.newDB(t)
	r := fx.runSteps(t, dsn, steps, hazard.Relation)
	if fx.clean == boundedWait {
		if last := r.steps[len(r.steps)-1]; last.SQLState != "55P03" || r.queued {
			t.Errorf("safe form: SQLSTATE %q, queued %v; want 55P03 on lock_timeout and no queue", last.SQLState, r.queued)
		}
		return
	}
	for _, s := range r.steps {
		if s.SQLState != "" {
			t.Fatalf("safe form: step %s failed: %s (%s)", s.Name, s.Error, s.SQLState)
		}
	}
	if r.broke {
		t.Errorf("safe form broke a query of the running code")
	}
	switch fx.clean {
	case noSlowWork:
		for _, s := range r.steps {
			for _, st := range s.Statements {
				for _, sc := range st.Scans {
					if sc.Relation == hazard.Relation && sc.BlocksWrites {
						t.Errorf("safe form: %q scans %s under %s", st.SQL, sc.Relation, sc.Mode)
					}
				}
			}
			for _, rw := range s.Rewrote {
				if rw == hazard.Relation {
					t.Errorf("safe form: step %s rewrote %s", s.Name, rw)
				}
			}
		}
	case noSlowUnderLock:
		for _, s := range r.steps {
			for _, st := range s.Statements {
				m := Measure(s, st.SQL)
				slow := len(st.Scans) > 0 || strings.HasPrefix(strings.ToUpper(st.SQL), "UPDATE")
				if slow && m.Before[hazard.Relation].BlocksWrites() {
					t.Errorf("safe form: %q does slow work while %s is held %s", st.SQL, hazard.Relation, m.Before[hazard.Relation])
				}
			}
		}
	case weakerLock:
		claim := pglock.Parse(hazard.Lock)
		for _, s := range r.steps {
			got := r.probed[s.Name]
			for _, l := range s.Locks {
				if l.Relation == hazard.Relation {
					got = max(got, pglock.Parse(l.Mode))
				}
			}
			if got == pglock.None || got >= claim {
				t.Errorf("safe form: step %s takes %s on %s, want weaker than the hazard's %s", s.Name, got, hazard.Relation, claim)
			}
			t.Logf("safe: step %s takes %s on %s", s.Name, got, hazard.Relation)
		}
	}
}

// A domain's VALIDATE CONSTRAINT, unlike a table's, scans under SHARE:
// writes wait. The rule's safe text says so because of this measurement.
func TestDomainValidateBlocksWrites(t *testing.T) {
	fx := fixture{rule: lint.RuleDomainConstraint, ddl: "CREATE DOMAIN label AS text; CREATE TABLE people (id bigint, tag label);",
		data: "INSERT INTO people SELECT g, 'x' || g FROM generate_series(1, 2000) g;"}
	dsn := fx.newDB(t)
	r := fx.runSteps(t, dsn, buildSteps([]spec{{sql: "ALTER DOMAIN label ADD CONSTRAINT short CHECK (length(VALUE) < 100) NOT VALID"},
		{sql: "ALTER DOMAIN label VALIDATE CONSTRAINT short"}}), "people")
	var blocking bool
	for _, st := range r.steps[1].Statements {
		for _, sc := range st.Scans {
			blocking = blocking || (sc.Relation == "people" && sc.Mode == "ShareLock")
		}
	}
	if !blocking {
		t.Errorf("VALIDATE CONSTRAINT of a domain did not scan people under SHARE: %+v", r.steps[1].Statements)
	}
}

// DROP DATABASE destroys the database: what the rule says, measured.
func TestDropDatabaseDestroys(t *testing.T) {
	server := pgtest.ServerDSN(t)
	conn := pgtest.Connect(t, server)
	mustExec(t, conn, "DROP DATABASE IF EXISTS victim")
	mustExec(t, conn, "CREATE DATABASE victim")
	steps := buildSteps([]spec{{sql: "DROP DATABASE victim", noTx: true}})
	if len(ruleFindings(lint.Steps(steps), lint.RuleDropDatabase)) == 0 {
		t.Fatal("DROP DATABASE is not flagged")
	}
	fx := fixture{rule: lint.RuleDropDatabase}
	r := fx.runSteps(t, server, steps, "")
	if r.steps[0].SQLState != "" {
		t.Fatalf("DROP DATABASE failed: %s", r.steps[0].Error)
	}
	if n := count(t, server, "SELECT count(*) FROM pg_database WHERE datname = 'victim'"); n != 0 {
		t.Error("the database is still there")
	}
}

func count(t *testing.T, dsn, sql string) int {
	t.Helper()
	var n int
	if err := pgtest.Connect(t, dsn).QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}
