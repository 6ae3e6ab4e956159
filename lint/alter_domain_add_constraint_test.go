package lint

import "testing"

func TestAlterDomainAddConstraint(t *testing.T) {
	schema := WithSchema("CREATE DOMAIN email AS text; CREATE TABLE people (id bigint, mail email);")
	runRuleCasesWith(t, RuleDomainConstraint, []Option{schema}, []ruleCase{
		{"add constraint", []step{{sql: "ALTER DOMAIN email ADD CONSTRAINT at CHECK (VALUE LIKE '%@%')"}}, nil, Error, true},
		{"add constraint not valid", []step{{sql: "ALTER DOMAIN email ADD CONSTRAINT at CHECK (VALUE LIKE '%@%') NOT VALID"}}, nil, 0, false},
		{"validate", []step{{sql: "ALTER DOMAIN email VALIDATE CONSTRAINT at"}}, nil, 0, false},
	})
	f := Steps(buildSteps([]step{{sql: "ALTER DOMAIN email ADD CONSTRAINT at CHECK (VALUE LIKE '%@%')"}}), schema)
	if len(f) == 0 || f[0].Relation != "people" || f[0].Lock != "ShareLock" {
		t.Errorf("findings %v, want SHARE on people, the table using the domain", f)
	}
}
