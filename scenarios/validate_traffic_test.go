package scenarios

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestClientTransactionAndBackgroundKeys(t *testing.T) {
	t.Parallel()
	s, err := Load(filepath.Join("testdata", "good", "traffic.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	old, neu := s.Traffic.Old, s.Traffic.New
	eq(t, "old protocol", old.ClientProtocol(), ProtocolPrepared)
	eq(t, "old pool", old.PoolSize(), 3)
	eq(t, "old connections follow the pool", old.Connections, 3)
	eq(t, "new protocol (default)", neu.ClientProtocol(), ProtocolCached)
	eq(t, "new pool (default)", neu.PoolSize(), DefaultConnections)
	eq(t, "max pool wait", s.Thresholds.MaxPoolWait.D(), 250*time.Millisecond)

	pay := old.Queries[0]
	eq(t, "pay is a transaction", pay.IsTransaction(), true)
	eq(t, "think", pay.Think.D(), 20*time.Millisecond)
	stmts, err := pay.Statements()
	if err != nil {
		t.Fatal(err)
	}
	want := []QueryStatement{
		{Name: "lock", SQL: "SELECT balance FROM users WHERE id = $1 FOR UPDATE", Args: []int{0}},
		{Name: "charge", SQL: "UPDATE users SET balance = balance - $2, name = $3 || '$1' WHERE id = $1", Args: []int{0, 1, 2}},
		// Only $2 and $3 of the entry: renumbered so that no parameter is unused.
		{Name: "audit", SQL: "SELECT $2::text, $1::int + $1", Args: []int{1, 2}},
	}
	if !reflect.DeepEqual(stmts, want) {
		t.Errorf("statements\n got %+v\nwant %+v", stmts, want)
	}
	if pos := pay.Transaction[1].SQLPos(0); pos.Line != 17 || pos.Col != 34 {
		t.Errorf("charge SQL starts at %v, want line 17, column 34", pos)
	}
	get, err := neu.Queries[0].Statements()
	if err != nil || len(get) != 1 || get[0].Name != "get" || !reflect.DeepEqual(get[0].Args, []int{0}) {
		t.Errorf("plain query statements %+v, %v", get, err)
	}

	triggers := [][2]string{}
	for _, b := range s.Background {
		kind, name := b.Trigger()
		triggers = append(triggers, [2]string{kind, name})
	}
	if want := [][2]string{{"start_at", "baseline"}, {"start_at", "expand"}, {"start_after", "expand"}}; !reflect.DeepEqual(triggers, want) {
		t.Errorf("triggers %v, want %v", triggers, want)
	}
	eq(t, "report at", s.Background[0].At.D(), 5*time.Second)
	eq(t, "report isolation (default)", s.Background[0].IsolationLevel(), IsolationReadCommitted)
	eq(t, "forgotten hold", s.Background[1].Hold.D(), 20*time.Second)
	eq(t, "forgotten isolation", s.Background[1].IsolationLevel(), IsolationRepeatableRead)
	eq(t, "poller every", s.Background[2].Every.D(), time.Second)
}

func TestRenumberParams(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		sql, want string
		args      []int
	}{
		{"SELECT 1", "SELECT 1", nil},
		{"SELECT $1, $2", "SELECT $1, $2", []int{0, 1}},
		{"SELECT $3 WHERE $3 > $10", "SELECT $1 WHERE $1 > $2", []int{2, 9}},
		{"SELECT $$ $2 $$, $2, '$1'", "SELECT $$ $2 $$, $1, '$1'", []int{1}},
	} {
		got, args, err := renumberParams(tt.sql)
		if err != nil || got != tt.want || !reflect.DeepEqual(args, tt.args) {
			t.Errorf("renumberParams(%q) = %q, %v, %v; want %q, %v", tt.sql, got, args, err, tt.want, tt.args)
		}
	}
}
