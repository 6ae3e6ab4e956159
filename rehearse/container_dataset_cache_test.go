package rehearse_test

import (
	"context"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/rehearse/rehearse/internal/dscache"
	"github.com/rehearse/rehearse/internal/testimage"
	"github.com/rehearse/rehearse/provider"
	"github.com/rehearse/rehearse/rehearse"
)

// TestDatasetCacheInAContainer rehearses a scenario twice on the container
// provider with the cache: the first run loads the data and commits it into
// a dataset image, the second starts a container of that image (no schema,
// no load) and sees the same rows. An entry whose image was removed is
// replaced; pruning the cache removes the image.
func TestDatasetCacheInAContainer(t *testing.T) {
	img := testimage.Require(t)
	dir := t.TempDir()
	p := &trackingTemplater{Templater: provider.NewContainer(provider.WithImage(img))}
	rehearseOnce := func() (string, *cacheRun) { return rehearseCached(t, p, rehearse.WithCache(dir)) }
	out, first := rehearseOnce()
	if first.cached || first.key == "" || first.rows != 60000 || !strings.Contains(out, "dataset cache: saved") {
		t.Fatalf("first run: %+v\n%s", first, out)
	}
	c, _ := dscache.Open(dir)
	entries, _ := c.List()
	if len(entries) != 1 || !strings.HasPrefix(entries[0].Image, provider.DatasetRepo+":") || entries[0].SizeBytes <= 0 {
		t.Fatalf("cache entries after the first run: %+v", entries)
	}
	out, second := rehearseOnce()
	if !second.cached || second.key != first.key || second.rows != 60000 || p.fromCache != 1 {
		t.Fatalf("second run: %+v, %d servers from the cache\n%s", second, p.fromCache, out)
	}
	for _, loadLine := range []string{"applying baseline schema", "dataset cache: saved"} {
		if strings.Contains(out, loadLine) {
			t.Errorf("second run printed %q: it loaded or saved again\n%s", loadLine, out)
		}
	}
	// An image removed outside rehearse (docker image prune -a): the entry
	// is dropped and the dataset saved again.
	if err := provider.RemoveDatasetImage(context.Background(), entries[0].Image); err != nil {
		t.Fatal(err)
	}
	out, third := rehearseOnce()
	if third.cached || !strings.Contains(out, "entry removed") || !strings.Contains(out, "dataset cache: saved") {
		t.Fatalf("third run, its image gone: %+v\n%s", third, out)
	}
	entries, _ = c.List()
	if len(entries) != 1 || entries[0].Image == "" {
		t.Fatalf("cache entries after the image was saved again: %+v", entries)
	}
	p.assertNothingLeft(t)
	res, err := c.Prune(dscache.PruneOptions{All: true, Release: func(dataDir string) error {
		return provider.RemoveDatasetImage(context.Background(), provider.DatasetImageTag(dataDir))
	}})
	if err != nil || len(res.Removed) != 1 {
		t.Fatalf("prune: %+v, %v", res, err)
	}
	engine, err := provider.DetectDocker(context.Background(), provider.DefaultDetectTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine.ImageInspect(context.Background(), entries[0].Image); !cerrdefs.IsNotFound(err) {
		t.Errorf("image %s after the prune: %v, want it gone", entries[0].Image, err)
	}
}
