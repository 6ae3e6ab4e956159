package dbconn

import "testing"

func TestParseApp(t *testing.T) {
	t.Parallel()
	workloads := map[string]bool{"old": true, "new": true}
	cases := map[string]App{
		Workload("old"):       {KindWorkload, "old"},
		Background("nightly"): {KindBackground, "nightly"},
		Migration:             {KindMigration, Migration},
		Monitor:               {KindInternal, Monitor},
		Workload("unknown"):   {KindInternal, "rehearse/unknown"},
		"psql":                {Other, "psql"},
		"":                    {Other, ""},
	}
	for app, want := range cases {
		if got := ParseApp(app, workloads); got != want {
			t.Errorf("ParseApp(%q) = %+v, want %+v", app, got, want)
		}
	}
}

func TestConfigSetsTheApplicationNameLast(t *testing.T) {
	t.Parallel()
	cfg, err := Config("postgres://u@127.0.0.1:1/db?application_name=other", Setup,
		WithParams(map[string]string{"application_name": "nope", "statement_timeout": "5s"}))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.RuntimeParams["application_name"]; got != Setup {
		t.Errorf("application_name = %q, want %q", got, Setup)
	}
	if got := cfg.RuntimeParams["statement_timeout"]; got != "5s" {
		t.Errorf("statement_timeout = %q", got)
	}
	if _, err := Config("postgres://%zz", Setup); err == nil {
		t.Error("a malformed DSN must be an error")
	}
}

func TestTraceCommentRoundTrip(t *testing.T) {
	t.Parallel()
	query := TraceComment("ALTER TABLE users\n  ADD COLUMN c int /* why */") + "SELECT 1"
	stmt, ok := TracedStatement(query)
	if !ok || stmt != "ALTER TABLE users ADD COLUMN c int / * why * /" {
		t.Errorf("TracedStatement(%q) = %q, %v", query, stmt, ok)
	}
	if _, ok := TracedStatement("SELECT 1"); ok {
		t.Error("an ordinary query read as a trace query")
	}
}
