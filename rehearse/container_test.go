package rehearse_test

import (
	"context"
	"sync"
	"testing"

	"github.com/rehearse/rehearse/internal/testimage"
	"github.com/rehearse/rehearse/provider"
	"github.com/rehearse/rehearse/rehearse"
	"github.com/rehearse/rehearse/result"
)

// init, not TestMain, so that this file does not claim the package's
// TestMain: it runs before any test, and so before anything reads
// testcontainers' configuration.
func init() { testimage.SetEnv() }

// trackingContainer is the container provider, keeping its instances so that
// a test can check nothing is left behind after Run returns.
type trackingContainer struct {
	p         *provider.Container
	mu        sync.Mutex
	instances []*provider.Instance
}

func (p *trackingContainer) Start(ctx context.Context, cfg provider.Config) (*provider.Instance, error) {
	inst, err := p.p.Start(ctx, cfg)
	if inst != nil {
		p.mu.Lock()
		p.instances = append(p.instances, inst)
		p.mu.Unlock()
	}
	return inst, err
}

// TestRenameColumnExampleInAContainer is the example rehearsal through the
// container provider: the same scenario as the local test, on the image that
// `make test-image` builds (or $REHEARSE_TEST_IMAGE).
func TestRenameColumnExampleInAContainer(t *testing.T) {
	img := testimage.Require(t)
	sc := toleratingNoise(loadExample(t, "rename-column.yaml", 20_000))
	p := &trackingContainer{p: provider.NewContainer(provider.WithImage(img))}
	res, err := rehearse.Run(context.Background(), sc, rehearse.WithProvider(p))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.instances) != 1 {
		t.Fatalf("the provider started %d instances, want 1", len(p.instances))
	}
	if left := p.instances[0].Leftovers(); len(left) > 0 {
		t.Errorf("left behind after Run: %v", left)
	}
	if res.Status != result.StatusCompleted || res.Postgres.Provider != "container" {
		t.Fatalf("status %s (%s), provider %q", res.Status, res.Error, res.Postgres.Provider)
	}
	if want := string(sc.Postgres.Settings["shared_buffers"]); res.Postgres.Version == "" || want == "" || res.Postgres.Settings["shared_buffers"] != want {
		t.Errorf("postgres = %+v, want the server's version and the scenario's shared_buffers", res.Postgres)
	}
	for _, s := range res.Steps {
		if s.Error != "" {
			t.Errorf("step %s failed: %s", s.Name, s.Error)
		}
	}
	if len(res.Steps) != 3 {
		t.Errorf("%d steps ran, want 3", len(res.Steps))
	}
	for _, name := range []string{"old", "new"} {
		w := findWorkload(t, res, name)
		for _, q := range w.Queries {
			if q.Count == 0 || q.Errors != 0 {
				t.Errorf("%s query %s: %d runs, %d errors, want runs and no errors", name, q.Name, q.Count, q.Errors)
			}
		}
	}
	assertBackfilledAll(t, sc, res, 20_000)
	assertPass(t, res)
	t.Logf("PostgreSQL %s in a container, ready in %d ms", res.Postgres.Version, res.Postgres.StartMS)
	for _, s := range res.Steps {
		t.Logf("step %s: %d ms, rewrote %v", s.Name, s.DurationMS, s.Rewrote)
	}
}
