package lint

import "slices"

// Rule identifiers, as they appear in findings.
const (
	RuleIndexNotConcurrent     = "index-not-concurrent"
	RuleAlterColumnType        = "alter-column-type"
	RuleSetNotNull             = "set-not-null"
	RuleConstraintNotValid     = "constraint-not-valid"
	RuleVolatileDefault        = "add-column-volatile-default"
	RuleRequiredColumn         = "add-column-required"
	RuleRenameInUse            = "rename-in-use"
	RuleDropInUse              = "drop-in-use"
	RuleUniqueConstraint       = "unique-constraint"
	RuleConcurrentlyInTx       = "concurrently-in-transaction"
	RuleDropIndexNotConcurrent = "drop-index-not-concurrent"
	RuleDetachNotConcurrent    = "partition-detach-not-concurrent"
	RuleAttachScan             = "partition-attach-scan"
	RuleRefreshMatview         = "refresh-matview-not-concurrent"
	RuleTableRewrite           = "table-rewrite"
	RuleDropPrimaryKey         = "drop-primary-key"
	RuleDomainConstraint       = "alter-domain-add-constraint"
	RuleTruncateCascade        = "truncate-cascade"
	RuleDropDatabase           = "drop-database"
	RuleDropNotNull            = "drop-not-null"
	RuleEnumAddValueInTx       = "enum-add-value-in-transaction"
	RuleDuplicateAssignment    = "duplicate-column-assignment"
	RuleIdentifierTooLong      = "identifier-too-long"
	RuleTransactionNesting     = "transaction-nesting"
	RuleUncommittedTx          = "uncommitted-transaction"
	RuleLockQueue              = "lock-queue"
	RuleMissingLockTimeout     = "missing-lock-timeout"
	RuleStrongLockHeld         = "strong-lock-held"

	// Style rules: info, off unless enabled.
	RulePreferBigint         = "prefer-bigint"
	RulePreferIdentity       = "prefer-identity"
	RulePreferText           = "prefer-text"
	RuleCharType             = "char-type"
	RulePreferTimestamptz    = "prefer-timestamptz"
	RulePreferRobustStmts    = "prefer-robust-stmts"
	RuleTableSchema          = "table-schema"
	RuleEnumValueOrdering    = "enum-value-ordering"
	RuleDomainWithConstraint = "create-domain-with-constraint"
	RuleStatementTimeout     = "missing-statement-timeout"
)

// Rule describes one check.
type Rule struct {
	ID string
	// Severity is the rule's usual severity; a finding may be lower when
	// the linter cannot be sure (an unknown function in a default) or the
	// target version has no safe form.
	Severity Severity
	// Summary says in one line what the rule catches.
	Summary string
	// SquawkEquivalent lists the ids of squawk's rules that catch the same
	// hazard, comma-separated; "" when squawk has none.
	SquawkEquivalent string
	// Off rules run only when enabled (Enable): the style rules.
	Off bool
	// Proof says how the rule is proved on PostgreSQL (package lint/proof):
	// what its fixture measures; "" for rules with nothing to measure.
	Proof string
	// check applies the rule to the statement s holds, adding findings to l.
	check func(l *linter, s *stepState)
}

// registry is every rule in the order they run on a statement and appear
// in the documentation. The rules about the transaction as a whole
// (missing-lock-timeout, strong-lock-held) come last: they look at what
// the statement rules found.
var registry = []Rule{
	{ID: RuleIndexNotConcurrent, Severity: Error, Summary: "CREATE INDEX or REINDEX without CONCURRENTLY blocks writes for the whole build",
		SquawkEquivalent: "require-concurrent-index-creation, require-concurrent-reindex", Proof: "measured: SHARE on the table and a scan of it; CONCURRENTLY waits for SHARE UPDATE EXCLUSIVE only", check: checkIndexNotConcurrent},
	{ID: RuleAlterColumnType, Severity: Error, Summary: "ALTER COLUMN ... TYPE rewrites the table under ACCESS EXCLUSIVE (unless the change is binary compatible)",
		SquawkEquivalent: "changing-column-type", Proof: "measured: ACCESS EXCLUSIVE and a rewrite; varchar to text rewrites nothing", check: checkAlterColumnType},
	{ID: RuleSetNotNull, Severity: Error, Summary: "SET NOT NULL scans the table under ACCESS EXCLUSIVE unless a validated CHECK (col IS NOT NULL) exists (PostgreSQL 12+)",
		SquawkEquivalent: "adding-not-nullable-field", Proof: "measured: ACCESS EXCLUSIVE and a scan; after a validated CHECK, no scan under a write-blocking lock", check: checkSetNotNull},
	{ID: RuleConstraintNotValid, Severity: Error, Summary: "ADD CONSTRAINT FOREIGN KEY / CHECK without NOT VALID scans the table while blocking writes",
		SquawkEquivalent: "constraint-missing-not-valid, adding-foreign-key-constraint", Proof: "measured: SHARE ROW EXCLUSIVE and a scan (foreign key); NOT VALID + VALIDATE scans under SHARE UPDATE EXCLUSIVE only", check: checkConstraintNotValid},
	{ID: RuleVolatileDefault, Severity: Error, Summary: "ADD COLUMN with a volatile default (or serial, identity, stored generated; any default before PostgreSQL 11) rewrites the table under ACCESS EXCLUSIVE",
		SquawkEquivalent: "adding-field-with-default, adding-serial-primary-key-field", Proof: "measured: ACCESS EXCLUSIVE and a rewrite; a constant default rewrites nothing", check: checkVolatileDefault},
	{ID: RuleRequiredColumn, Severity: Error, Summary: "ADD COLUMN ... NOT NULL without a default fails on a table that has rows",
		SquawkEquivalent: "adding-required-field", Proof: "measured: fails with 23502 on a table with rows; with a default it succeeds", check: checkRequiredColumn},
	{ID: RuleRenameInUse, Severity: Error, Summary: "renaming a table or column breaks the code that still uses the old name",
		SquawkEquivalent: "renaming-column, renaming-table", Proof: "measured: the old query fails after the rename; adding a column breaks nothing", check: checkRenameInUse},
	{ID: RuleDropInUse, Severity: Error, Summary: "dropping a table or column that running code still uses breaks it",
		SquawkEquivalent: "ban-drop-column, ban-drop-table", Proof: "measured: the query using the column fails after the drop; dropping an unused one breaks nothing", check: checkDropInUse},
	{ID: RuleUniqueConstraint, Severity: Error, Summary: "ADD CONSTRAINT UNIQUE / PRIMARY KEY builds its index under ACCESS EXCLUSIVE",
		SquawkEquivalent: "disallowed-unique-constraint, adding-serial-primary-key-field", Proof: "measured: ACCESS EXCLUSIVE and a scan; CREATE UNIQUE INDEX CONCURRENTLY + USING INDEX scans nothing under a write-blocking lock", check: checkUniqueConstraint},
	{ID: RuleConcurrentlyInTx, Severity: Error, Summary: "a CONCURRENTLY command in a step that runs in a transaction fails (25001)",
		SquawkEquivalent: "ban-concurrent-index-creation-in-transaction", Proof: "measured: fails with 25001 in a transaction; succeeds outside one", check: checkConcurrentlyInTx},
	{ID: RuleDropIndexNotConcurrent, Severity: Warning, Summary: "DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the index's table",
		SquawkEquivalent: "require-concurrent-index-deletion", Proof: "measured: ACCESS EXCLUSIVE on the table; CONCURRENTLY waits for SHARE UPDATE EXCLUSIVE only", check: checkDropIndexNotConcurrent},
	{ID: RuleDetachNotConcurrent, Severity: Error, Summary: "DETACH PARTITION without CONCURRENTLY takes ACCESS EXCLUSIVE on the partitioned table (CONCURRENTLY from PostgreSQL 14)",
		SquawkEquivalent: "require-concurrent-partition-detach", Proof: "measured: ACCESS EXCLUSIVE on the parent; CONCURRENTLY waits for SHARE UPDATE EXCLUSIVE only (PostgreSQL 14+)", check: checkDetachNotConcurrent},
	{ID: RuleAttachScan, Severity: Warning, Summary: "ATTACH PARTITION scans the partition under ACCESS EXCLUSIVE unless a CHECK constraint implies its bound",
		Proof: "measured: ACCESS EXCLUSIVE on the partition and a scan of it; after a validated CHECK implying the bound, no scan", check: checkAttachScan},
	{ID: RuleRefreshMatview, Severity: Error, Summary: "REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks reads of the view for the whole refresh",
		Proof: "measured: ACCESS EXCLUSIVE and a rewrite of the view; CONCURRENTLY takes EXCLUSIVE (reads go on)", check: checkRefreshMatview},
	{ID: RuleTableRewrite, Severity: Error, Summary: "VACUUM FULL, CLUSTER, SET LOGGED/UNLOGGED, SET ACCESS METHOD and SET TABLESPACE rewrite the table under ACCESS EXCLUSIVE",
		Proof: "measured: VACUUM FULL waits for ACCESS EXCLUSIVE and rewrites; VACUUM takes SHARE UPDATE EXCLUSIVE, no rewrite", check: checkTableRewrite},
	{ID: RuleDropPrimaryKey, Severity: Warning, Summary: "dropping a primary key leaves the table without replica identity: UPDATE and DELETE on a published table fail",
		Proof: "measured: UPDATE on the published table fails after the drop; with REPLICA IDENTITY USING INDEX first, it succeeds", check: checkDropPrimaryKey},
	{ID: RuleDomainConstraint, Severity: Error, Summary: "ALTER DOMAIN ... ADD CONSTRAINT without NOT VALID scans every table using the domain while blocking writes",
		SquawkEquivalent: "ban-alter-domain-with-add-constraint", Proof: "measured: SHARE on the table using the domain and a scan; NOT VALID scans nothing (and a domain VALIDATE scans under SHARE)", check: checkDomainConstraint},
	{ID: RuleTruncateCascade, Severity: Error, Summary: "TRUNCATE ... CASCADE also empties every table that references it",
		SquawkEquivalent: "ban-truncate-cascade", Proof: "measured: ACCESS EXCLUSIVE, and the referencing table is emptied", check: checkTruncateCascade},
	{ID: RuleDropDatabase, Severity: Error, Summary: "DROP DATABASE in a migration destroys everything in it",
		SquawkEquivalent: "ban-drop-database", Proof: "measured: the database is gone", check: checkDropDatabase},
	{ID: RuleDropNotNull, Severity: Info, Summary: "DROP NOT NULL lets NULLs in that running code may not expect",
		SquawkEquivalent: "ban-drop-not-null", Proof: "measured: ACCESS EXCLUSIVE (the hazard itself, NULLs in running code, is not measured)", check: checkDropNotNull},
	{ID: RuleEnumAddValueInTx, Severity: Error, Summary: "ALTER TYPE ... ADD VALUE in a transaction fails before PostgreSQL 12 (25001)",
		Proof: "version switch only: on PostgreSQL 12+ the statement runs in a transaction and the rule is silent (no older server here)", check: checkEnumAddValueInTx},
	{ID: RuleDuplicateAssignment, Severity: Error, Summary: "UPDATE ... SET assigning one column twice fails (42601)",
		SquawkEquivalent: "ban-duplicate-column-assignments", Proof: "measured: fails with 42601", check: checkDuplicateAssignment},
	{ID: RuleIdentifierTooLong, Severity: Warning, Summary: "an identifier longer than 63 bytes is silently truncated",
		SquawkEquivalent: "identifier-too-long", Proof: "measured: the table gets the first 63 bytes of the name", check: checkIdentifierTooLong},
	{ID: RuleTransactionNesting, Severity: Warning, Summary: "BEGIN, COMMIT or ROLLBACK in a step that already runs in a transaction",
		SquawkEquivalent: "transaction-nesting", Proof: "measured: after a nested COMMIT, a failing step keeps the changes before it", check: checkTransactionNesting},
	{ID: RuleUncommittedTx, Severity: Error, Summary: "a step opens a transaction with BEGIN and never commits it",
		SquawkEquivalent: "ban-uncommitted-transaction", Proof: "measured: the migration session stays idle in transaction after the step", check: checkUncommittedTx},
	{ID: RuleLockQueue, Severity: Error, Summary: "a lock that conflicts with one a background session holds: the statement waits for the session, and the traffic queues behind it",
		Proof: "measured: the statement waits for the session and a reader queues behind it; with lock_timeout it fails with 55P03 instead", check: checkLockQueue},
	{ID: RuleMissingLockTimeout, Severity: Warning, Summary: "a step takes a strong lock without lock_timeout: while it waits, every query on the table queues behind it",
		SquawkEquivalent: "require-lock-timeout, require-timeout-settings", Proof: "measured: the statement waits for an open transaction and a reader queues behind it; with lock_timeout it fails with 55P03 instead", check: checkMissingLockTimeout},
	{ID: RuleStrongLockHeld, Severity: Warning, Summary: "a transaction holding a strong lock goes on to slow work or to lock another table",
		Proof: "measured: the first statement's ACCESS EXCLUSIVE is held while the UPDATE runs; in two steps it is not", check: checkStrongLockHeld},

	{ID: RulePreferBigint, Severity: Info, Off: true, Summary: "integer and smallint keys run out: prefer bigint",
		SquawkEquivalent: "prefer-bigint-over-int, prefer-bigint-over-smallint, prefer-big-int", check: checkPreferBigint},
	{ID: RulePreferIdentity, Severity: Info, Off: true, Summary: "serial columns: prefer GENERATED ... AS IDENTITY",
		SquawkEquivalent: "prefer-identity", check: checkPreferIdentity},
	{ID: RulePreferText, Severity: Info, Off: true, Summary: "varchar(n): raising n later takes ACCESS EXCLUSIVE; prefer text with a CHECK",
		SquawkEquivalent: "prefer-text-field", check: checkPreferText},
	{ID: RuleCharType, Severity: Info, Off: true, Summary: "char(n) pads with spaces: prefer text or varchar",
		SquawkEquivalent: "ban-char-field", check: checkCharType},
	{ID: RulePreferTimestamptz, Severity: Info, Off: true, Summary: "timestamp without time zone: prefer timestamptz",
		SquawkEquivalent: "prefer-timestamptz", check: checkPreferTimestamptz},
	{ID: RulePreferRobustStmts, Severity: Info, Off: true, Summary: "outside a transaction, CREATE without IF NOT EXISTS and DROP without IF EXISTS fail when the step is run again",
		SquawkEquivalent: "prefer-robust-stmts", check: checkPreferRobustStmts},
	{ID: RuleTableSchema, Severity: Info, Off: true, Summary: "a table named without its schema depends on search_path",
		SquawkEquivalent: "require-table-schema", check: checkTableSchema},
	{ID: RuleEnumValueOrdering, Severity: Info, Off: true, Summary: "ALTER TYPE ... ADD VALUE without BEFORE or AFTER appends the value, which changes comparisons",
		SquawkEquivalent: "require-enum-value-ordering", check: checkEnumValueOrdering},
	{ID: RuleDomainWithConstraint, Severity: Info, Off: true, Summary: "CREATE DOMAIN with a constraint: changing it later scans every table using the domain",
		SquawkEquivalent: "ban-create-domain-with-constraint", check: checkDomainWithConstraint},
	{ID: RuleStatementTimeout, Severity: Info, Off: true, Summary: "a step that takes a strong lock sets no statement_timeout",
		SquawkEquivalent: "require-statement-timeout, require-timeout-settings", check: checkStatementTimeout},
}

// Rules lists every rule, in the order of the documentation.
func Rules() []Rule { return slices.Clone(registry) }
