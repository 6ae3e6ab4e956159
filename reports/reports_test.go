package reports_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/rehearse/rehearse/reports"
	"github.com/rehearse/rehearse/result"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reports -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test ./reports -update and review the diff\n--- got:\n%s", name, got)
	}
}

func load(t *testing.T, name string) *result.Result {
	t.Helper()
	r, err := reports.ReadJSON(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestTextGolden(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := reports.Text(&buf, load(t, "unsafe.json")); err != nil {
		t.Fatal(err)
	}
	golden(t, "unsafe.txt", buf.Bytes())
}

func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	r := load(t, "unsafe.json")
	var buf bytes.Buffer
	if err := reports.JSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "r.json")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := reports.ReadJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf2 bytes.Buffer
	reports.JSON(&buf2, again)
	if !bytes.Equal(buf.Bytes(), buf2.Bytes()) {
		t.Error("JSON does not survive a round trip")
	}
}

func TestReadJSONRefusesOtherSchemaVersions(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.json")
	os.WriteFile(path, []byte(`{"schema_version": 99}`), 0o644)
	if _, err := reports.ReadJSON(path); err == nil {
		t.Fatal("read a result of schema_version 99")
	}
}
