package lint

import "testing"

func TestUniqueConstraint(t *testing.T) {
	runRuleCases(t, RuleUniqueConstraint, []ruleCase{
		{"unique constraint", []step{{sql: "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email)"}}, nil, Error, true},
		{"unique using index", []step{
			{sql: "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email)", noTx: true},
			{sql: "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key"}}, nil, 0, false},
		{"primary key", []step{{sql: "ALTER TABLE orders ADD PRIMARY KEY (id, user_id)"}}, nil, Error, true},
		{"unique column", []step{{sql: "ALTER TABLE users ADD COLUMN handle text UNIQUE"}}, nil, Error, true},
	})
}
