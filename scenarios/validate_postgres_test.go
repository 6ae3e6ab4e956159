package scenarios

import (
	"strings"
	"testing"
	"time"
)

const matrixReplicaScenario = `name: matrix with a replica
postgres:
  versions: [14, "15", "16"]
  image: registry.example/postgres:{version}-alpine
  replica: true
  settings: {wal_level: logical}
schema:
  sql: CREATE TABLE users (id bigserial PRIMARY KEY, name text)
traffic:
  old:
    rate: 10
    queries:
      - {name: get, sql: "SELECT 1"}
migration:
  steps:
    - name: backfill
      batch:
        table: users
        key: id
        sql: UPDATE users SET name = '' WHERE id >= $1 AND id < $2
        throttle: {max_replication_lag: 500ms}
thresholds: {max_replication_lag: 2s}
`

func TestVersionsAndReplicaKeys(t *testing.T) {
	t.Parallel()
	s, err := Parse([]byte(matrixReplicaScenario), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "versions", strings.Join(s.Postgres.Versions, ","), "14,15,16")
	eq(t, "replica", s.Postgres.Replica, true)
	eq(t, "threshold", s.Thresholds.MaxReplicationLag.D(), 2*time.Second)
	th := s.Migration.Steps[0].Batch.Throttle
	eq(t, "throttle lag", th.MaxReplicationLag.D(), 500*time.Millisecond)
	eq(t, "throttle p99 (not watched)", th.MaxP99.D(), time.Duration(0))
}

func TestVersionsAndReplicaProblems(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, from, to string
		want           string // "" when the change is fine
	}{
		{"empty versions", `versions: [14, "15", "16"]`, `versions: []`, "postgres.versions: empty"},
		{"one image for all", `{version}-alpine`, `16-alpine`, "names one image for 3 versions"},
		{"one version, one image", "versions: [14, \"15\", \"16\"]\n  image: registry.example/postgres:{version}-alpine", "versions: [\"15\"]\n  image: my/pg:15", ""},
		{"placeholder without version", "  versions: [14, \"15\", \"16\"]\n", "", "uses {version} but neither"},
		{"threshold without replica", "replica: true", "replica: false", "thresholds.max_replication_lag: needs postgres.replica: true"},
		{"throttle without replica", "replica: true", "replica: false", "throttle.max_replication_lag: needs postgres.replica"},
		{"zero throttle", "max_replication_lag: 500ms", "max_replication_lag: 0s", "max_replication_lag: must be > 0"},
		{"negative threshold", "max_replication_lag: 2s", "max_replication_lag: -2s", "must be >= 0"},
		{"hot standby off", "wal_level: logical", "hot_standby: off", "hot_standby: off"},
		{"both throttles", "throttle: {max_replication_lag: 500ms}", "throttle: {max_replication_lag: 500ms, max_p99: 50ms}", ""},
		{"neither throttle", "throttle: {max_replication_lag: 500ms}", "throttle: {}", "throttle.max_p99: must be > 0"},
	} {
		src := strings.Replace(matrixReplicaScenario, tc.from, tc.to, 1)
		if src == matrixReplicaScenario {
			t.Fatalf("%s: %q not found", tc.name, tc.from)
		}
		_, err := Parse([]byte(src), "m.yaml")
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: unexpected problems: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got %v, want a problem containing %q", tc.name, err, tc.want)
		}
	}
}
