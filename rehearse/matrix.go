package rehearse

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rehearse/rehearse/provider"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
	"github.com/rehearse/rehearse/verdict"
)

// RunMatrix rehearses sc once per version, one after another (runs side by
// side would disturb each other's latencies), with the options of Run, and
// lists what differs between the versions (result.Differences).
//
// Each run asks the provider for that version: the local provider for its
// installed binaries, the container provider for postgres:VERSION-alpine or
// the image with provider.VersionPlaceholder in it. A version this machine
// cannot start (provider.ErrUnavailable: not installed, no image) is listed
// in Skipped with the reason, never dropped; a run whose server would not
// start for another reason is an aborted run. RunMatrix returns an error only
// when it cannot rehearse versions at all, or when ctx ends, in which case
// the matrix holds the runs made so far.
func RunMatrix(ctx context.Context, sc *scenarios.Scenario, versions []string, opts ...Option) (*result.Matrix, error) {
	o := buildOptions(opts)
	if len(versions) == 0 {
		return nil, errors.New("version matrix: no versions given")
	}
	if _, ok := o.provider.(provider.DSN); ok {
		return nil, errors.New("version matrix: the dsn provider rehearses on one existing database; use the local or container provider")
	}
	m := &result.Matrix{SchemaVersion: result.SchemaVersion, Kind: result.KindMatrix, Scenario: sc.Name, StartedAt: time.Now(),
		Versions: append([]string(nil), versions...), Runs: []result.VersionRun{}, Skipped: []result.SkippedVersion{}}
	defer func() {
		m.Differences = verdict.Differences(m.Runs)
		m.DurationMS = time.Since(m.StartedAt).Milliseconds()
	}()
	for _, v := range versions {
		if err := ctx.Err(); err != nil {
			return m, err
		}
		fmt.Fprintf(o.progress, "== PostgreSQL %s ==\n", v)
		run, skip := rehearseVersion(ctx, sc, v, o, opts)
		if skip != nil {
			fmt.Fprintf(o.progress, "PostgreSQL %s skipped: %s\n", v, skip.Reason)
			m.Skipped = append(m.Skipped, *skip)
			continue
		}
		m.Runs = append(m.Runs, *run)
	}
	return m, ctx.Err()
}

// rehearseVersion runs sc on version v, or says why v is skipped.
func rehearseVersion(ctx context.Context, sc *scenarios.Scenario, v string, o options, opts []Option) (*result.VersionRun, *result.SkippedVersion) {
	vsc := *sc
	vsc.Postgres.Version, vsc.Postgres.Versions = v, nil
	if checker, ok := o.provider.(provider.VersionChecker); ok {
		cfg := provider.Config{Version: v, Image: sc.Postgres.Image, Replica: sc.Postgres.Replica, Log: o.progress}
		if err := checker.CheckVersion(ctx, cfg); err != nil {
			if errors.Is(err, provider.ErrUnavailable) {
				return nil, &result.SkippedVersion{Version: v, Reason: err.Error()}
			}
			return &result.VersionRun{Version: v, Result: notStarted(sc, err)}, nil
		}
	}
	res, err := Run(ctx, &vsc, opts...)
	if res == nil {
		if errors.Is(err, provider.ErrUnavailable) {
			return nil, &result.SkippedVersion{Version: v, Reason: err.Error()}
		}
		return &result.VersionRun{Version: v, Result: notStarted(sc, err)}, nil
	}
	return &result.VersionRun{Version: v, Result: *res}, nil
}

// notStarted is the aborted result of a run whose server did not start,
// shaped as Run's partial results are, so that every run renders alike.
func notStarted(sc *scenarios.Scenario, err error) result.Result {
	msg := err.Error()
	if errors.Is(err, context.Canceled) {
		msg = "interrupted"
	}
	const stage = "provision"
	r := result.Result{SchemaVersion: result.SchemaVersion, Scenario: sc.Name, StartedAt: time.Now(),
		Status: result.StatusAborted, AbortedIn: stage, Error: msg,
		Verdict: result.Verdict{Reasons: []string{"rehearsal aborted in " + stage + ": " + msg}}}
	r.Normalize()
	return r
}
