package result

// LintFinding is a hazard the static checks found in a migration statement
// before anything ran (package lint). Step and Statement match
// Step.Name and StatementTrace.SQL, so a report can put the predicted lock
// beside the lock observed for the same statement.
type LintFinding struct {
	// Rule is the check's id, such as "set-not-null".
	Rule string `json:"rule"`
	// Severity is "info", "warning" or "error".
	Severity  string `json:"severity"`
	Step      string `json:"step"`
	Statement string `json:"statement"`
	// File, Line and Column locate the statement in the file the user edits:
	// the scenario, or a migration file.
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	// Relation is the table (or index) concerned; Lock the lock mode the
	// statement is predicted to take on it ("AccessExclusiveLock").
	Relation string `json:"relation,omitempty"`
	Lock     string `json:"lock,omitempty"`
	// Message says what the statement does and why it hurts; Safe is the
	// safe way to the same result.
	Message string `json:"message"`
	Safe    string `json:"safe"`
	// Proof compares the finding with what the rehearsal measured for its
	// statement: "confirmed", "mismatch" (the rule and the measurement
	// disagree: a bug in one of them) or "not exercised"; empty outside a
	// rehearsal (rehearse lint). ProofDetail says what agreed or differed.
	Proof       string `json:"proof,omitempty"`
	ProofDetail string `json:"proof_detail,omitempty"`
	// TableRows and TableBytes are Relation's size when the linter knew it
	// (rehearse lint --profile or --dsn), for a finding about a scan or a
	// rewrite; its severity follows that size.
	TableRows  int64 `json:"table_rows,omitempty"`
	TableBytes int64 `json:"table_bytes,omitempty"`
}
