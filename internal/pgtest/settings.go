package pgtest

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rehearse/rehearse/provider"
)

// extra holds the clusters started with settings of their own, by
// settings; Main stops them.
var extra struct {
	mu       sync.Mutex
	clusters map[string]*provider.Instance
}

// ServerDSNWith is ServerDSN for a cluster of its own started with
// settings besides pgtest's (such as shared_preload_libraries, which needs
// a start): one per distinct settings for the test binary, stopped by Main.
func ServerDSNWith(t testing.TB, settings map[string]string) string {
	t.Helper()
	all := map[string]string{"max_connections": "200", "fsync": "off"}
	maps.Copy(all, settings)
	var key strings.Builder
	for _, k := range slices.Sorted(maps.Keys(all)) {
		fmt.Fprintf(&key, "%s=%s;", k, all[k])
	}
	extra.mu.Lock()
	defer extra.mu.Unlock()
	if inst := extra.clusters[key.String()]; inst != nil {
		return inst.DSN
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	inst, err := provider.NewLocal().Start(ctx, provider.Config{Settings: all})
	if err != nil {
		t.Fatalf("pgtest: start local PostgreSQL with %s: %v", key.String(), err)
	}
	if extra.clusters == nil {
		extra.clusters = map[string]*provider.Instance{}
	}
	extra.clusters[key.String()] = inst
	return inst.DSN
}

func stopExtra() {
	extra.mu.Lock()
	defer extra.mu.Unlock()
	for _, inst := range extra.clusters {
		if err := inst.Stop(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest: stop:", err)
		}
	}
	extra.clusters = nil
}

// NewDBWith is NewDB on the cluster of ServerDSNWith(settings).
func NewDBWith(t testing.TB, settings map[string]string) string {
	t.Helper()
	return newDBOn(t, ServerDSNWith(t, settings))
}
