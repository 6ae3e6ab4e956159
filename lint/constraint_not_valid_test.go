package lint

import "testing"

func TestConstraintNotValid(t *testing.T) {
	runRuleCases(t, RuleConstraintNotValid, []ruleCase{
		{"foreign key", []step{{sql: "ALTER TABLE orders ADD CONSTRAINT orders_user FOREIGN KEY (user_id) REFERENCES users (id)"}}, nil, Error, true},
		{"foreign key not valid", []step{{sql: "ALTER TABLE orders ADD CONSTRAINT orders_user FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID"}}, nil, 0, false},
		{"check", []step{{sql: "ALTER TABLE orders ADD CONSTRAINT positive CHECK (total > 0)"}}, nil, Error, true},
		{"check not valid", []step{{sql: "ALTER TABLE orders ADD CONSTRAINT positive CHECK (total > 0) NOT VALID"}}, nil, 0, false},
		{"column with references", []step{{sql: "ALTER TABLE orders ADD COLUMN buyer bigint REFERENCES users (id)"}}, nil, Error, true},
	})
}
