package scenarios

import "testing"

const cloneScenario = `name: on a clone
postgres:
  clone: {create: "dblab clone create --id r1 --username u --password p", destroy: "dblab clone destroy r1"}
schema:
  sql: CREATE TABLE users (id bigint PRIMARY KEY, name text)
data: {from: existing}
traffic:
  old:
    rate: 10
    queries: [{name: get, sql: "SELECT name FROM users WHERE id = $1", args: [{ref: users.id}]}]
migration:
  steps: [{name: add, sql: "ALTER TABLE users ADD COLUMN email text"}]
`

func TestCloneKeys(t *testing.T) {
	t.Parallel()
	s, err := Parse([]byte(cloneScenario), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "create", s.Postgres.Clone.Create, "dblab clone create --id r1 --username u --password p")
	eq(t, "destroy", s.Postgres.Clone.Destroy, "dblab clone destroy r1")
	eq(t, "from existing", s.Data.FromExisting(), true)
}

func TestCloneProblems(t *testing.T) {
	t.Parallel()
	checkProblems(t, cloneScenario, []problemCase{
		{"no destroy", `, destroy: "dblab clone destroy r1"`, "", "postgres.clone.destroy: missing"},
		{"unknown from", "data: {from: existing}", "data: {from: prod}", `data.from: must be "existing"`},
		{"rows with existing", "data: {from: existing}", "data: {from: existing, tables: {users: {rows: 10}}}", "leave out data.tables"},
		{"ref without rows", "data: {from: existing}", "", "users gets no rows"},
		{"replica", "postgres:\n", "postgres:\n  replica: true\n", "cannot start a standby beside a clone"},
	})
}
