package rehearse

import (
	"context"
	"fmt"
	"hash/fnv"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/datagen"
	"github.com/rehearse/rehearse/internal/dbconn"
	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/internal/lockmon"
	"github.com/rehearse/rehearse/loadgen"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

// traffic owns the workloads and background sessions of a rehearsal: built
// before the baseline, started and stopped at their triggers.
type traffic struct {
	dsn       string
	steps     []string // migration step names: the phases merged into Workload.Migration
	clock     *clock
	workloads []plannedWorkload

	mu      sync.Mutex
	running map[string]*loadgen.Run
	done    map[string]result.Workload
	self    map[string]selfRecord // guarded by mu; stalls.go

	background []plannedBackground
	bgRunning  map[string]*loadgen.Session         // guarded by mu
	bgDone     map[string]result.BackgroundSession // guarded by mu
}

// plannedBackground is a background session waiting for its trigger.
type plannedBackground struct {
	kind, trigger string // "start_at" or "start_after", and the phase or step
	spec          loadgen.SessionSpec
}

type plannedWorkload struct {
	name       string
	startAfter string
	stopAfter  string
	spec       loadgen.Workload
}

// planTraffic compiles every workload's argument generators up front, so that
// a bad ref fails before any traffic starts.
func planTraffic(ctx context.Context, conn *pgx.Conn, sc *scenarios.Scenario, seed int64, dsn string, c *clock) (*traffic, error) {
	args := newArgCompiler(ctx, conn, datagen.CachedKeys(ctx, conn))
	t := &traffic{dsn: dsn, clock: c, steps: stepNames(sc), running: map[string]*loadgen.Run{}, done: map[string]result.Workload{},
		bgRunning: map[string]*loadgen.Session{}, bgDone: map[string]result.BackgroundSession{}}
	for _, w := range sc.Traffic.Workloads() {
		spec := loadgen.Workload{Name: w.Name, AppName: dbconn.Workload(w.Name), Rate: w.Rate,
			Connections: w.PoolSize(), Protocol: loadgen.Protocol(w.ClientProtocol()), Seed: seed ^ int64(hashOf(w.Name))}
		for _, q := range w.Queries {
			lq, err := planQuery(q, args)
			if err != nil {
				return nil, fmt.Errorf("traffic.%s %w", w.Name, err)
			}
			spec.Queries = append(spec.Queries, lq)
		}
		t.workloads = append(t.workloads, plannedWorkload{name: w.Name, startAfter: w.StartAfter, stopAfter: w.StopAfter, spec: spec})
	}
	t.background = planBackground(sc)
	return t, nil
}

// planQuery compiles one query entry: its argument generators, and for a
// transaction its statements with their parameters renumbered.
func planQuery(q *scenarios.Query, args *argCompiler) (loadgen.Query, error) {
	lq := loadgen.Query{Name: q.Name, Weight: q.Weight}
	for i, arg := range q.Args {
		f, err := args.compile(arg)
		if err != nil {
			return lq, fmt.Errorf("query %s arg $%d: %w", q.Name, i+1, err)
		}
		lq.Args = append(lq.Args, f)
	}
	if !q.IsTransaction() {
		lq.SQL = q.SQL
		return lq, nil
	}
	stmts, err := q.Statements()
	if err != nil {
		return lq, err
	}
	for _, st := range stmts {
		lq.Statements = append(lq.Statements, loadgen.Statement{Name: st.Name, SQL: st.SQL, Args: st.Args})
	}
	lq.Think = q.Think.D()
	return lq, nil
}

// queryStatements lists what a planned query sends: its SQL, or each
// statement of its transaction (named query.statement), with the SQL the
// server sees.
func queryStatements(q loadgen.Query) []loadgen.Statement {
	if len(q.Statements) == 0 {
		return []loadgen.Statement{{Name: q.Name, SQL: q.SQL}}
	}
	out := make([]loadgen.Statement, len(q.Statements))
	for i, st := range q.Statements {
		out[i] = loadgen.Statement{Name: q.Name + "." + st.Name, SQL: st.SQL, Args: st.Args}
	}
	return out
}

func stepNames(sc *scenarios.Scenario) []string {
	names := make([]string, len(sc.Migration.Steps))
	for i, s := range sc.Migration.Steps {
		names[i] = s.Name
	}
	return names
}

// startTriggered starts the workloads whose start_after equals after ("" for
// those that run from the baseline on, called as the baseline begins), and
// the background sessions that start then: start_after that step, or
// start_at baseline for "".
func (t *traffic) startTriggered(ctx context.Context, after string) error {
	kind, trigger := "start_after", after
	if after == "" {
		kind, trigger = "start_at", scenarios.PhaseBaseline
	}
	if err := t.startBackground(ctx, kind, trigger); err != nil {
		return err
	}
	for _, w := range t.workloads {
		if w.startAfter != after {
			continue
		}
		run, err := loadgen.Start(ctx, t.dsn, w.spec, loadgen.WithPhase(t.clock.Phase), loadgen.WithEpoch(t.clock.epoch))
		if err != nil {
			return fmt.Errorf("start %s traffic: %w", w.name, err)
		}
		t.mu.Lock()
		t.running[w.name] = run
		t.mu.Unlock()
	}
	return nil
}

// stopTriggered stops the workloads whose stop_after equals after.
func (t *traffic) stopTriggered(ctx context.Context, after string) {
	for _, w := range t.workloads {
		if w.stopAfter == after {
			t.stop(ctx, w.name)
		}
	}
}

func (t *traffic) stop(ctx context.Context, name string) {
	t.mu.Lock()
	run := t.running[name]
	delete(t.running, name)
	t.mu.Unlock()
	if run != nil {
		summary := run.Stop(ctx)
		summary.Migration = run.Merged(t.steps...)
		t.mu.Lock()
		t.done[name] = summary
		if t.self == nil {
			t.self = map[string]selfRecord{}
		}
		t.self[name] = selfRecordOf(run)
		t.mu.Unlock()
	}
}

// stopAll stops every background session, then every running workload, and
// returns the workloads' summaries in scenario order; a workload that never
// started appears with its target rate and no queries. The sessions' records
// are then in backgroundResults. Background sessions stop first: a lock they
// hold would otherwise keep traffic queries waiting until Stop cancels them.
func (t *traffic) stopAll(ctx context.Context) []result.Workload {
	t.stopBackground(ctx)
	for _, w := range t.workloads {
		t.stop(ctx, w.name)
	}
	out := make([]result.Workload, 0, len(t.workloads))
	for _, w := range t.workloads {
		summary, ok := t.done[w.name]
		if !ok {
			summary = result.Workload{Name: w.name, TargetRate: w.spec.Rate, Queries: []result.Query{}, Timeline: []result.TimelinePt{}}
		}
		out = append(out, summary)
	}
	return out
}

// classifier names the workload and query of a session seen by the lock
// monitor: a traffic query by its name, a background session by its own,
// anything else by its statement.
func (t *traffic) classifier() lockmon.Classifier {
	workloads := map[string]bool{}
	names := map[string]map[string]string{} // workload → statement text → query name
	for _, w := range t.workloads {
		workloads[w.name] = true
		names[w.name] = map[string]string{}
		for _, q := range w.spec.Queries {
			for _, st := range queryStatements(q) {
				names[w.name][st.SQL] = st.Name
			}
		}
	}
	return func(app, query string) (string, string) {
		a := dbconn.ParseApp(app, workloads)
		switch a.Kind {
		case dbconn.KindMigration:
			return result.WorkloadMigration, human.Clip(query, 300)
		case dbconn.KindBackground:
			return BackgroundWorkload, a.Name
		case dbconn.KindWorkload:
			if name := names[a.Name][query]; name != "" {
				return a.Name, name
			}
			return a.Name, human.Clip(query, 300)
		}
		if app == "" {
			app = "other"
		}
		return app, human.Clip(query, 300)
	}
}

func hashOf(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// selfRecords returns what each stopped workload recorded about itself.
func (t *traffic) selfRecords() map[string]selfRecord {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]selfRecord, len(t.self))
	for k, v := range t.self {
		out[k] = v
	}
	return out
}
