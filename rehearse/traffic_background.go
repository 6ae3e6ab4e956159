package rehearse

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/internal/dbconn"
	"github.com/rehearse/rehearse/loadgen"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

// BackgroundWorkload is the workload name the lock monitor gives a
// background session's waits; the query name is the session's name.
const BackgroundWorkload = "background"

// isolation maps the scenario's isolation levels to pgx's.
var isolation = map[string]pgx.TxIsoLevel{
	scenarios.IsolationReadCommitted:  pgx.ReadCommitted,
	scenarios.IsolationRepeatableRead: pgx.RepeatableRead,
	scenarios.IsolationSerializable:   pgx.Serializable,
}

func planBackground(sc *scenarios.Scenario) []plannedBackground {
	out := make([]plannedBackground, 0, len(sc.Background))
	for _, b := range sc.Background {
		kind, trigger := b.Trigger()
		out = append(out, plannedBackground{kind: kind, trigger: trigger, spec: loadgen.SessionSpec{
			Name: b.Name, SQL: b.SQL, At: b.At.D(), Every: b.Every.D(), Hold: b.Hold.D(),
			Isolation: isolation[b.IsolationLevel()], Trigger: kind + " " + trigger,
		}})
	}
	return out
}

// startAt starts the background sessions with start_at phase. The run loop
// calls it as a phase begins: for a step, before the step runs, so that the
// step meets the session's statement already running (StartBackground waits
// for it when its at is 0).
func (t *traffic) startAt(ctx context.Context, phase string) error {
	return t.startBackground(ctx, "start_at", phase)
}

func (t *traffic) startBackground(ctx context.Context, kind, trigger string) error {
	for _, b := range t.background {
		if b.kind != kind || b.trigger != trigger {
			continue
		}
		s, err := loadgen.StartSession(ctx, t.dsn, b.spec, loadgen.WithSessionEpoch(t.clock.epoch), loadgen.WithSessionPhase(t.clock.Phase))
		if err != nil {
			return fmt.Errorf("start background session: %w", err)
		}
		t.mu.Lock()
		t.bgRunning[b.spec.Name] = s
		t.mu.Unlock()
	}
	return nil
}

// stopBackground stops every running background session and keeps its record.
func (t *traffic) stopBackground(ctx context.Context) {
	t.mu.Lock()
	running := t.bgRunning
	t.bgRunning = map[string]*loadgen.Session{}
	t.mu.Unlock()
	for name, s := range running {
		rec := s.Stop(ctx)
		t.mu.Lock()
		t.bgDone[name] = rec
		t.mu.Unlock()
	}
}

// backgroundResults returns every background session's record in scenario
// order, after stopAll; a session that never started has no runs.
func (t *traffic) backgroundResults() []result.BackgroundSession {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]result.BackgroundSession, 0, len(t.background))
	for _, b := range t.background {
		rec, ok := t.bgDone[b.spec.Name]
		if !ok {
			rec = result.BackgroundSession{Name: b.spec.Name, App: dbconn.Background(b.spec.Name), SQL: b.spec.SQL,
				Trigger: b.spec.Trigger, Runs: []result.BackgroundRun{}}
		}
		out = append(out, rec)
	}
	return out
}
