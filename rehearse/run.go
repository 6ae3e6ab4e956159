// Package rehearse runs one rehearsal: it provisions PostgreSQL, applies the
// baseline schema, loads data, drives old- and new-code traffic, runs the
// migration steps under it and judges the measurements against the
// scenario's thresholds. It measures; it never renders output.
package rehearse

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/datagen"
	"github.com/rehearse/rehearse/internal/dbconn"
	"github.com/rehearse/rehearse/internal/lockmon"
	"github.com/rehearse/rehearse/internal/migrate"
	"github.com/rehearse/rehearse/internal/replication"
	"github.com/rehearse/rehearse/lint"
	"github.com/rehearse/rehearse/loadgen"
	"github.com/rehearse/rehearse/provider"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
	"github.com/rehearse/rehearse/verdict"
)

// cleanupTimeout bounds the work done after the rehearsal ends or is
// interrupted: stopping traffic and the server.
const cleanupTimeout = 30 * time.Second

// rehearsal is the state of one Run.
type rehearsal struct {
	sc    *scenarios.Scenario
	opts  options
	seed  int64
	clock clock

	inst    *provider.Instance
	setup   *pgx.Conn // schema, data checks, key reads
	traffic *traffic
	monitor *lockmon.Monitor
	harness *loadgen.Harness
	// replication samples the standby's lag; nil without postgres.replica.
	replication *replication.Sampler
	// dataset is the dataset cache's part in this run; nil when it has none
	// (dataset_cache.go).
	dataset *datasetCache

	// What the stages found, assembled into the Result by record.
	began     time.Time
	postgres  result.Postgres
	data      result.Data
	lint      []lint.Finding
	migration migrationRecord
	// serverStats are the baseline's statements as the rehearsal server's
	// pg_stat_statements measured them, by text (server_stats.go); nil
	// when it was not loaded.
	serverStats map[string]scenarios.ProfileStatement
}

// migrationRecord is what the migration stage ran and checked, in order.
type migrationRecord struct {
	steps    []result.Step
	rollback []result.Step
	guard    *result.GuardAbort
	compat   []result.Compatibility
}

// trafficRecord is what finish gathers from the traffic and the samplers.
type trafficRecord struct {
	workloads   []result.Workload
	background  []result.BackgroundSession
	lockWaits   result.LockWaits
	held        map[string][]result.StepLock // per step: locks the monitor saw the migration hold
	replication *result.Replication
	phases      []result.Phase
	err         error // the lock monitor lost the server
	diag        diagnostics
}

// Run rehearses sc and returns what it measured.
//
// It returns a nil Result and an error when the rehearsal could not start
// (PostgreSQL did not start, the schema or data failed); a Result with Status
// aborted and an error when it stopped part way (ctx cancelled, the server
// died); and a completed Result with its Verdict otherwise. A failing
// migration step is a finding, not an error: it fails the verdict.
// Everything Run started is stopped before it returns, on every path.
func Run(ctx context.Context, sc *scenarios.Scenario, opts ...Option) (*result.Result, error) {
	o := buildOptions(opts)
	sc = withSessionDefaults(sc, o)
	r := &rehearsal{sc: sc, opts: o, seed: sc.Data.Seed, began: time.Now()}
	if o.seed != nil {
		r.seed = *o.seed
	}
	defer r.cleanup()
	r.lint = lintFindings(sc, o)

	if err := r.prepare(ctx); err != nil {
		return r.aborted(err)
	}
	if err := r.rehearse(ctx); err != nil {
		return r.aborted(err)
	}
	res := r.record(r.finish(context.WithoutCancel(ctx)))
	res.Verdict = verdict.Judge(sc, res)
	res.Hazards = verdict.Hazards(res)
	return res, nil
}

// record assembles the Result from what every stage found.
func (r *rehearsal) record(t trafficRecord) *result.Result {
	res := &result.Result{SchemaVersion: result.SchemaVersion, Scenario: r.sc.Name, StartedAt: r.began,
		DurationMS: time.Since(r.began).Milliseconds(), TrafficStartedAt: r.clock.epoch, Seed: r.seed,
		Postgres: r.postgres, Status: result.StatusCompleted, Data: r.data, Phases: t.phases,
		Steps: withSampledLocks(r.migration.steps, t.held), Guard: r.migration.guard, Rollback: r.migration.rollback,
		LockWaits: t.lockWaits, Workloads: t.workloads, Compatibility: r.migration.compat,
		Background: t.background, Replication: t.replication}
	res.Lint = provenLintFindings(r.lint, res.Steps)
	if t.err != nil {
		res.Error = t.err.Error()
	}
	recordStalls(res, t.diag, r.clock.epoch)
	res.Normalize()
	return res
}

// prepare provisions the server and loads schema and data: nothing is
// measured yet, so a failure here returns no result.
func (r *rehearsal) prepare(ctx context.Context) error {
	r.clock.setStage("provision")
	if err := r.provision(ctx); err != nil {
		return err
	}
	if r.sc.Data.FromExisting() { // a clone of production has its schema and rows
		r.logf("data.from: existing: using the schema and rows the database has\n")
	}
	if !r.dataset.hit() && !r.sc.Data.FromExisting() { // a copy of a cached dataset has its schema and data
		r.clock.setStage("schema")
		r.logf("applying baseline schema\n")
		if err := applySchema(ctx, r.setup, r.sc); err != nil {
			return err
		}
		r.clock.setStage("data")
		data, err := r.loadData(ctx)
		r.data = data
		if err != nil {
			return err
		}
		if err := r.settle(ctx); err != nil {
			return err
		}
		if err := r.saveDataset(ctx); err != nil {
			return err
		}
	}
	tr, err := planTraffic(ctx, r.setup, r.sc, r.seed, r.inst.DSN, &r.clock)
	if err != nil {
		return err
	}
	r.traffic = tr
	return nil
}

func (r *rehearsal) provision(ctx context.Context) error {
	pg, err := r.startAndConnect(ctx)
	r.postgres = pg
	return err
}

// startAndConnect starts the server and opens the setup connection.
func (r *rehearsal) startAndConnect(ctx context.Context) (result.Postgres, error) {
	began := time.Now()
	settings := map[string]string{}
	for k, v := range r.sc.Postgres.Settings {
		settings[k] = string(v)
	}
	inst, err := r.startServer(ctx, provider.Config{Settings: settings, Version: r.sc.Postgres.Version,
		Image: r.sc.Postgres.Image, Replica: r.sc.Postgres.Replica, Log: r.opts.progress})
	if err != nil {
		return result.Postgres{}, fmt.Errorf("start postgres: %w", err)
	}
	r.inst = inst
	if r.opts.started != nil {
		r.opts.started(inst)
	}
	for _, w := range inst.Warnings {
		r.logf("warning: %s\n", w)
	}
	pg := result.Postgres{Provider: inst.Provider, Settings: inst.Settings}
	conn, err := dbconn.Connect(ctx, inst.DSN, dbconn.Setup)
	if err != nil {
		return pg, err
	}
	r.setup = conn
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&pg.Version); err != nil {
		return pg, fmt.Errorf("read server version: %w", err)
	}
	pg.StartMS = time.Since(began).Milliseconds()
	r.logf("PostgreSQL %s ready (%s provider, %s)\n", pg.Version, inst.Provider, time.Since(began).Round(time.Millisecond))
	return pg, nil
}

// loadData generates the scenario's rows.
func (r *rehearsal) loadData(ctx context.Context) (result.Data, error) {
	if len(r.sc.Data.Tables) == 0 {
		return result.Data{}, nil
	}
	data := r.sc.Data
	data.Seed = r.seed
	loaded, err := datagen.Load(ctx, r.inst.DSN, data, r.sc.LoadOrder(), datagen.WithProgress(r.opts.progress, r.opts.tty))
	if err != nil {
		return dataResult(loaded), fmt.Errorf("load data: %w", err)
	}
	return dataResult(loaded), nil
}

// settle flushes the load to disk, so that the load's checkpoint does not run
// during the baseline and distort it. (datagen has vacuumed and analysed the
// tables, as data.vacuum and data.analyze say.)
func (r *rehearsal) settle(ctx context.Context) error {
	began := time.Now()
	if _, err := r.setup.Exec(ctx, "CHECKPOINT"); err != nil {
		r.logf("warning: CHECKPOINT after the load failed (%v); the baseline may include its I/O\n", err)
		return nil
	}
	r.logf("checkpointed in %s\n", time.Since(began).Round(time.Millisecond))
	return nil
}

// rehearse runs the measured part: baseline, steps, cooldown.
func (r *rehearsal) rehearse(ctx context.Context) error {
	runner, err := migrate.Connect(ctx, r.inst.DSN, migrate.WithProgress(r.opts.progress), migrate.WithLiveP99(r.liveP99),
		migrate.WithReplicaLag(r.replicaLag))
	if err != nil {
		return err
	}
	defer runner.Close(context.WithoutCancel(ctx))

	r.clock.startTraffic(time.Now())
	r.harness = loadgen.StartHarness(r.clock.epoch)
	r.monitor, err = lockmon.Start(ctx, r.inst.DSN, lockmon.WithInterval(r.opts.lockInterval),
		lockmon.WithEpoch(r.clock.epoch), lockmon.WithPhase(r.clock.Phase), lockmon.WithClassifier(r.traffic.classifier()))
	if err != nil {
		return err
	}
	if r.inst.ReplicaDSN != "" {
		r.replication, err = replication.Start(ctx, r.inst.DSN, replication.WithEpoch(r.clock.epoch))
		if err != nil {
			return err
		}
	}
	r.enter(ctx, result.PhaseBaseline)
	if err := r.traffic.startTriggered(ctx, ""); err != nil {
		return err
	}
	r.logf("baseline: traffic for %s\n", r.sc.Phases.Baseline)
	if err := r.baseline(ctx); err != nil { // server_stats.go
		return err
	}
	if err := r.migrate(ctx, runner); err != nil {
		return err
	}
	r.enter(ctx, result.PhaseCooldown)
	if err := r.traffic.startAt(ctx, scenarios.PhaseCooldown); err != nil {
		return err
	}
	r.logf("cooldown: traffic for %s\n", r.sc.Phases.Cooldown)
	return r.wait(ctx, r.sc.Phases.Cooldown.D())
}

// migrate runs the steps in order until one fails, starting and stopping
// workloads at their triggers, and checks after each step that every query
// still prepares.
func (r *rehearsal) migrate(ctx context.Context, runner *migrate.Runner) error {
	if err := r.checkCompatibility(ctx, result.PhaseBaseline); err != nil {
		return err
	}
	for _, step := range r.sc.Migration.Steps {
		r.enter(ctx, step.Name)
		if err := r.traffic.startAt(ctx, step.Name); err != nil {
			return err
		}
		cached, err := prepareCached(ctx, r.setup, r.traffic)
		if err != nil {
			return err
		}
		r.logf("step %s: running\n", step.Name)
		stepCtx, endGuard := r.guardStep(ctx)
		out := runner.Run(stepCtx, step)
		endGuard()
		r.migration.steps = append(r.migration.steps, out)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if b, stopped := guardStopped(stepCtx); stopped {
			r.migration.guard = &result.GuardAbort{Step: step.Name, Reason: b.reason}
			r.logf("step %s: stopped by abort_on: %s\n", step.Name, b.reason)
			return r.rollback(ctx, runner)
		}
		if err := r.monitor.Err(); err != nil {
			return fmt.Errorf("lost the server: %w", err)
		}
		if out.Error != "" {
			r.logf("step %s: FAILED after %dms: %s\n", step.Name, out.DurationMS, verdict.StepError(out))
			if err := r.checkCompatibilityAfter(ctx, step.Name, cached); err != nil {
				return err
			}
			return r.rollback(ctx, runner)
		}
		r.logf("step %s: done in %dms\n", step.Name, out.DurationMS)
		r.traffic.stopTriggered(ctx, step.Name)
		if err := r.traffic.startTriggered(ctx, step.Name); err != nil {
			return err
		}
		if err := r.checkCompatibilityAfter(ctx, step.Name, cached); err != nil {
			return err
		}
	}
	return nil
}

// checkCompatibilityAfter checks the schema a step left: every query
// prepared fresh, and the statements prepared before the step executed.
func (r *rehearsal) checkCompatibilityAfter(ctx context.Context, step string, cached *cachedStatements) error {
	outcomes, err := cached.execute(ctx, r.setup)
	if err != nil {
		return fmt.Errorf("cached-statement check after %s: %w", step, err)
	}
	return r.checkCompatibility(ctx, step, outcomes...)
}

// enter starts a phase on the clock and, with a standby, in the WAL count.
func (r *rehearsal) enter(ctx context.Context, phase string) {
	r.clock.enter(phase)
	if r.replication != nil {
		r.replication.Mark(ctx, phase)
	}
}

// replicaLag is the standby's current replay lag, for throttled batch steps.
func (r *rehearsal) replicaLag() time.Duration {
	if r.replication == nil {
		return 0
	}
	return r.replication.Lag()
}

// liveP99 is the traffic's current p99, for throttled batch steps.
func (r *rehearsal) liveP99() time.Duration { return r.traffic.liveP99() }

// rollback runs migration.rollback after a failed step and checks that every
// query prepares again afterwards.
func (r *rehearsal) rollback(ctx context.Context, runner *migrate.Runner) error {
	if len(r.sc.Migration.Rollback) == 0 {
		return nil
	}
	for _, step := range r.sc.Migration.Rollback {
		r.enter(ctx, result.RollbackPhasePrefix+step.Name)
		r.logf("rollback %s: running\n", step.Name)
		out := runner.Run(ctx, step)
		r.migration.rollback = append(r.migration.rollback, out)
		if err := ctx.Err(); err != nil {
			return err
		}
		if out.Error != "" {
			r.logf("rollback %s: FAILED: %s\n", step.Name, verdict.StepError(out))
			break
		}
	}
	return r.checkCompatibility(ctx, result.AfterRollback)
}

func (r *rehearsal) checkCompatibility(ctx context.Context, afterStep string, cached ...cachedOutcome) error {
	compat, err := checkCompatibility(ctx, r.setup, r.traffic, afterStep)
	mergeCached(compat, cached)
	r.migration.compat = append(r.migration.compat, compat...)
	if err != nil {
		return fmt.Errorf("compatibility check after %s: %w", afterStep, err)
	}
	for _, c := range compat {
		if !c.OK && c.Running {
			r.logf("step %s: %s query %s no longer prepares: %s (SQLSTATE %s)\n", afterStep, c.Workload, c.Query, c.Error, c.SQLState)
		}
	}
	return nil
}

// finish stops traffic and the samplers and gathers their measurements.
func (r *rehearsal) finish(ctx context.Context) trafficRecord {
	ctx, cancel := context.WithTimeout(ctx, cleanupTimeout)
	defer cancel()
	r.clock.finish()
	var t trafficRecord
	if r.traffic != nil {
		t.workloads = r.traffic.stopAll(ctx)
		t.diag.self = r.traffic.selfRecords()
		t.background = r.traffic.backgroundResults()
		for i := range t.workloads {
			t.workloads[i].Warnings = fidelityWarnings(t.workloads[i])
		}
	}
	if r.monitor != nil {
		rep := r.monitor.Stop(ctx)
		t.lockWaits, t.held, t.err = rep.Waits, rep.Held, rep.Err
		t.diag.fromMonitor(rep)
	}
	if r.harness != nil {
		sum := r.harness.Stop()
		t.diag.harness = &sum
	}
	if r.replication != nil {
		t.replication = r.replication.Stop(ctx)
	}
	t.phases = r.clock.snapshot()
	withProduction(r.sc, t.workloads, t.phases, r.serverStats) // fidelity.go
	return t
}

// fidelityWarnings says where a workload did not get the traffic it asked
// for, instead of letting a lower rate pass silently.
func fidelityWarnings(w result.Workload) []string {
	var warnings []string
	if w.Dropped > 0 {
		warnings = append(warnings, fmt.Sprintf("%d requests dropped: more than a minute of requests was queued waiting for a connection", w.Dropped))
	}
	if len(w.Queries) > 0 && w.AchievedRate < 0.95*w.TargetRate {
		warnings = append(warnings, fmt.Sprintf("achieved %.1f/s of the %.0f/s asked: the database or the generator did not keep up (more connections may help)", w.AchievedRate, w.TargetRate))
	}
	return warnings
}

// withSampledLocks fills the locks of steps that ran outside a transaction
// (their own backend could not be asked before commit) from the monitor's
// samples. It returns steps, changed in place.
func withSampledLocks(steps []result.Step, held map[string][]result.StepLock) []result.Step {
	for i := range steps {
		if len(steps[i].Locks) == 0 && len(held[steps[i].Name]) > 0 {
			steps[i].Locks = held[steps[i].Name]
			steps[i].LocksSampled = true
		}
	}
	return steps
}

// aborted turns an error into the result to return: none when no server
// was started, else an aborted result with what was measured so far and the
// stage it stopped in.
func (r *rehearsal) aborted(err error) (*result.Result, error) {
	if r.inst == nil {
		return nil, err
	}
	stage := r.clock.Stage()
	res := r.record(r.finish(context.Background()))
	res.Status, res.AbortedIn, res.Error = result.StatusAborted, stage, err.Error()
	if errors.Is(err, context.Canceled) {
		res.Error = "interrupted"
	}
	res.Verdict = result.Verdict{Pass: false, Reasons: []string{"rehearsal aborted in " + stage + ": " + res.Error}, Checks: []result.Check{}}
	res.Hazards = verdict.Hazards(res)
	return res, err
}

// cleanup releases everything, whatever happened.
func (r *rehearsal) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	if r.traffic != nil {
		r.traffic.stopAll(ctx)
	}
	if r.monitor != nil {
		r.monitor.Stop(ctx)
	}
	if r.harness != nil {
		r.harness.Stop()
	}
	if r.replication != nil {
		r.replication.Stop(ctx)
	}
	if r.setup != nil {
		r.setup.Close(ctx)
	}
	if r.inst != nil {
		if err := r.inst.Stop(ctx); err != nil {
			r.logf("warning: stop postgres: %v\n", err)
		}
	}
}

func (r *rehearsal) logf(format string, args ...any) {
	fmt.Fprintf(r.opts.progress, format, args...)
}

// wait lets traffic run for d, returning early when ctx ends or the lock
// monitor loses the server.
func (r *rehearsal) wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-r.monitor.Done():
		return fmt.Errorf("lost the server: %w", r.monitor.Err())
	case <-t.C:
		return nil
	}
}
