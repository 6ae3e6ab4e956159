package reports

import (
	"strings"
	"testing"

	"github.com/rehearse/rehearse/result"
)

func TestReplicationSection(t *testing.T) {
	t.Parallel()
	r := &result.Result{Phases: []result.Phase{{Name: "baseline"}, {Name: "backfill"}, {Name: "cooldown"}},
		Replication: &result.Replication{IntervalMS: 250, Standbys: 1, MaxReplayLagMS: 2300, MaxReplayLagPhase: "backfill",
			MaxLagBytes: 96 << 20, WALBytes: 400 << 20,
			WALBytesByPhase: map[string]int64{"cooldown": 1 << 20, "backfill": 395 << 20, "baseline": 4 << 20, "rollback:x": 10}}}
	var text strings.Builder
	p := &printer{w: &text}
	p.replication(r)
	for _, want := range []string{"Standby: max replay lag 2.30s in phase backfill, at most 96 MiB behind; WAL written 400 MiB (sampled every 250ms)",
		"│ backfill   │ 395 MiB     │"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	if order := []string{"baseline", "backfill", "cooldown", "rollback:x"}; !inOrder(text.String(), order) {
		t.Errorf("phases not in the order they ran %v:\n%s", order, text.String())
	}
	m := &mdWriter{lim: mdLevels[0]}
	m.replication(r)
	if !strings.Contains(m.b.String(), "| `backfill` | 395 MiB |") {
		t.Errorf("Markdown:\n%s", m.b.String())
	}
	m = &mdWriter{lim: mdLevels[0]}
	m.replication(&result.Result{})
	if m.b.Len() != 0 {
		t.Errorf("a result without a standby got a section: %q", m.b.String())
	}
}

func inOrder(s string, parts []string) bool {
	at := 0
	for _, p := range parts {
		i := strings.Index(s[at:], p)
		if i < 0 {
			return false
		}
		at += i + len(p)
	}
	return true
}
