package autoscenario

import (
	"encoding/json"
	"testing"

	"github.com/rehearse/rehearse/scenarios"
)

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func stepNames(sc *scenarios.Scenario) []string {
	var out []string
	for _, st := range sc.Migration.Steps {
		out = append(out, st.Name)
	}
	return out
}
