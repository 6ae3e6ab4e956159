package lint

import "slices"

// Rule identifiers, as they appear in findings.
const (
	RuleIndexNotConcurrent = "index-not-concurrent"
	RuleAlterColumnType    = "alter-column-type"
	RuleSetNotNull         = "set-not-null"
	RuleConstraintNotValid = "constraint-not-valid"
	RuleVolatileDefault    = "add-column-volatile-default"
	RuleRequiredColumn     = "add-column-required"
	RuleRenameInUse        = "rename-in-use"
	RuleDropInUse          = "drop-in-use"
	RuleUniqueConstraint   = "unique-constraint"
	RuleMissingLockTimeout = "missing-lock-timeout"
	RuleStrongLockHeld     = "strong-lock-held"
)

// Rule describes one check.
type Rule struct {
	ID string
	// Severity is the rule's usual severity; a finding may be lower when
	// the linter cannot be sure (an unknown function in a default).
	Severity Severity
	// Summary says in one line what the rule catches.
	Summary string
	// SquawkEquivalent lists the ids of squawk's rules that catch the same
	// hazard, comma-separated; "" when squawk has none.
	SquawkEquivalent string
	// check applies the rule to the statement s holds, adding findings to l.
	check func(l *linter, s *stepState)
}

// registry is every rule in the order they run on a statement and appear
// in the documentation. The rules about the transaction as a whole
// (missing-lock-timeout, strong-lock-held) come last: they look at what
// the statement rules found.
var registry = []Rule{
	{RuleIndexNotConcurrent, Error, "CREATE INDEX or REINDEX without CONCURRENTLY blocks writes for the whole build",
		"require-concurrent-index-creation, require-concurrent-reindex", checkIndexNotConcurrent},
	{RuleAlterColumnType, Error, "ALTER COLUMN ... TYPE rewrites the table under ACCESS EXCLUSIVE (unless the change is binary compatible)",
		"changing-column-type", checkAlterColumnType},
	{RuleSetNotNull, Error, "SET NOT NULL scans the table under ACCESS EXCLUSIVE unless a validated CHECK (col IS NOT NULL) exists",
		"adding-not-nullable-field", checkSetNotNull},
	{RuleConstraintNotValid, Error, "ADD CONSTRAINT FOREIGN KEY / CHECK without NOT VALID scans the table while blocking writes",
		"constraint-missing-not-valid, adding-foreign-key-constraint", checkConstraintNotValid},
	{RuleVolatileDefault, Error, "ADD COLUMN with a volatile default (or serial, identity, stored generated) rewrites the table under ACCESS EXCLUSIVE",
		"adding-field-with-default, adding-serial-primary-key-field", checkVolatileDefault},
	{RuleRequiredColumn, Error, "ADD COLUMN ... NOT NULL without a default fails on a table that has rows",
		"adding-required-field", checkRequiredColumn},
	{RuleRenameInUse, Error, "renaming a table or column breaks the code that still uses the old name",
		"renaming-column, renaming-table", checkRenameInUse},
	{RuleDropInUse, Error, "dropping a table or column that running code still uses breaks it",
		"ban-drop-column, ban-drop-table", checkDropInUse},
	{RuleUniqueConstraint, Error, "ADD CONSTRAINT UNIQUE / PRIMARY KEY builds its index under ACCESS EXCLUSIVE",
		"disallowed-unique-constraint", checkUniqueConstraint},
	{RuleMissingLockTimeout, Warning, "a step takes a strong lock without lock_timeout: while it waits, every query on the table queues behind it",
		"require-lock-timeout", checkMissingLockTimeout},
	{RuleStrongLockHeld, Warning, "a transaction holding a strong lock goes on to slow work or to lock another table",
		"", checkStrongLockHeld},
}

// Rules lists every rule, in the order of the documentation.
func Rules() []Rule { return slices.Clone(registry) }
