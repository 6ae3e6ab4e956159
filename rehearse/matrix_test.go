package rehearse_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rehearse/rehearse/internal/testimage"
	"github.com/rehearse/rehearse/provider"
	"github.com/rehearse/rehearse/rehearse"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

// matrixScenario is a small rehearsal with a table rewrite to compare.
const matrixScenario = `name: widen a column on every version
schema:
  sql: CREATE TABLE accounts (id bigserial PRIMARY KEY, n int NOT NULL)
data:
  tables:
    accounts: {rows: 2000, columns: {n: {gen: number, min: 1, max: 100}}}
traffic:
  old:
    rate: 20
    connections: 2
    queries:
      - {name: get, sql: "SELECT n FROM accounts WHERE id = $1", args: [{ref: accounts.id}]}
migration:
  steps:
    - {name: widen, sql: "ALTER TABLE accounts ALTER COLUMN n TYPE bigint"}
phases: {baseline: 1s, cooldown: 1s}
`

// installedAndMissing returns the newest installed major version and one
// that is not installed.
func installedAndMissing(t *testing.T) (string, string) {
	t.Helper()
	dirs := provider.FindBinDirs()
	if len(dirs) == 0 || dirs[0].Major == 0 {
		t.Fatal("no PostgreSQL binaries of a known version")
	}
	have := map[int]bool{}
	for _, d := range dirs {
		have[d.Major] = true
	}
	for v := 17; v >= 10; v-- {
		if !have[v] {
			return strconv.Itoa(dirs[0].Major), strconv.Itoa(v)
		}
	}
	t.Fatal("every version from 10 to 17 is installed: no missing one to test with")
	return "", ""
}

func loadMatrixScenario(t *testing.T) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Parse([]byte(matrixScenario), "")
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// checkMatrix asserts that have ran (completed, on its own version) and
// missing was skipped with the reason.
func checkMatrix(t *testing.T, m *result.Matrix, have, missing, reason string) {
	t.Helper()
	if m.Kind != result.KindMatrix || strings.Join(m.Versions, ",") != have+","+missing {
		t.Errorf("kind %q, versions %v", m.Kind, m.Versions)
	}
	if len(m.Runs) != 1 || m.Runs[0].Version != have {
		t.Fatalf("runs %+v, want one of version %s", m.Runs, have)
	}
	run := m.Runs[0]
	if run.Status != result.StatusCompleted || !strings.HasPrefix(run.Postgres.Version, have+".") {
		t.Errorf("run of %s: status %s (%s), server version %q", have, run.Status, run.Error, run.Postgres.Version)
	}
	if len(run.Steps) != 1 || len(run.Steps[0].Rewrote) != 1 {
		t.Errorf("steps %+v, want widen rewriting accounts", run.Steps)
	}
	if len(m.Skipped) != 1 || m.Skipped[0].Version != missing || !strings.Contains(m.Skipped[0].Reason, reason) {
		t.Errorf("skipped %+v, want %s skipped because %q", m.Skipped, missing, reason)
	}
	if len(m.Differences) != 0 {
		t.Errorf("differences %v with one run", m.Differences)
	}
}

func TestMatrixLocalSkipsVersionsNotInstalled(t *testing.T) {
	have, missing := installedAndMissing(t)
	var progress strings.Builder
	p := &trackingLocal{}
	m, err := rehearse.RunMatrix(context.Background(), loadMatrixScenario(t), []string{have, missing},
		rehearse.WithProvider(p), rehearse.WithProgress(&progress, false))
	if err != nil {
		t.Fatal(err)
	}
	p.assertNothingLeft(t)
	checkMatrix(t, m, have, missing, fmt.Sprintf("PostgreSQL %s is not installed locally", missing))
	if !strings.Contains(progress.String(), "PostgreSQL "+missing+" skipped: ") {
		t.Errorf("progress does not say %s was skipped:\n%s", missing, progress.String())
	}
}

// Through the container provider, the version goes into the image name:
// the locally built rehearse-test/postgres:MAJOR runs, the other version's
// image cannot be pulled (no registry here; where one is reachable the test
// still holds, as rehearse-test/postgres is not published).
func TestMatrixContainerSkipsImagesNotAvailable(t *testing.T) {
	img := testimage.Require(t)
	if img != testimage.Ref {
		t.Skipf("%s is set: this test needs the locally built rehearse-test/postgres:MAJOR", testimage.RefEnv)
	}
	have, missing := installedAndMissing(t)
	p := &trackingContainer{p: provider.NewContainer(provider.WithImage("rehearse-test/postgres:" + provider.VersionPlaceholder))}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	m, err := rehearse.RunMatrix(ctx, loadMatrixScenario(t), []string{have, missing}, rehearse.WithProvider(p))
	if err != nil {
		t.Fatal(err)
	}
	for _, inst := range p.instances {
		if left := inst.Leftovers(); len(left) > 0 {
			t.Errorf("left behind: %v", left)
		}
	}
	checkMatrix(t, m, have, missing, "rehearse-test/postgres:"+missing)
	if m.Runs[0].Postgres.Provider != "container" {
		t.Errorf("provider %q, want container", m.Runs[0].Postgres.Provider)
	}
}

func TestMatrixRefusesTheDSNProvider(t *testing.T) {
	t.Parallel()
	_, err := rehearse.RunMatrix(context.Background(), loadMatrixScenario(t), []string{"15"},
		rehearse.WithProvider(provider.DSN{URL: "postgres://u@127.0.0.1:1/db", Disposable: true}))
	if err == nil || !strings.Contains(err.Error(), "dsn provider") {
		t.Fatalf("err = %v, want a refusal of the dsn provider", err)
	}
}
