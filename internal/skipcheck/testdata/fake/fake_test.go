// Package fake is what skipcheck's tests run go test -json on: a pass, two
// skips, a subtest skip, and a failure when FAKE_FAIL is set.
package fake

import (
	"os"
	"testing"
)

func TestPasses(t *testing.T) { t.Log("log of a passing test") }

func TestNeedsPostgres17(t *testing.T) { t.Skip("PostgreSQL 17 is not installed") }

func TestNeedsDocker(t *testing.T) { t.Skipf("container provider not tested: %s", "no Docker") }

func TestParent(t *testing.T) {
	t.Run("sub", func(t *testing.T) { t.SkipNow() })
}

func TestFailsWhenAsked(t *testing.T) {
	if os.Getenv("FAKE_FAIL") != "" {
		t.Error("failed as asked")
	}
}
