package result

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestNormalizeLeavesNoNullLists(t *testing.T) {
	t.Parallel()
	r := Result{Steps: []Step{{Name: "s"}}, Workloads: []Workload{{Name: "old"}}, Rollback: []Step{{Name: "r"}}}
	r.Normalize()
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"phases"`, `"steps"`, `"tables"`, `"events"`, `"checks"`, `"locks"`, `"rewrote"`, `"scans"`, `"queries"`, `"timeline"`} {
		if strings.Contains(string(data), key+":null") {
			t.Errorf("%s is null in %s", key, data)
		}
	}
}
