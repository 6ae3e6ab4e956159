package migrations

import (
	"fmt"
	"strings"
)

// CompareVersions orders two versions as the tools do: by their numeric
// parts separated by dots, so 000041 = 41, 2 < 10 and 1.2 < 1.10. It returns
// -1, 0 or +1.
func CompareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(pa), len(pb)) {
		x, y := "0", "0"
		if i < len(pa) {
			x = trimZeros(pa[i])
		}
		if i < len(pb) {
			y = trimZeros(pb[i])
		}
		// Numbers of any length: the longer one is larger.
		if c := compareInts(len(x), len(y)); c != 0 {
			return c
		}
		if c := strings.Compare(x, y); c != 0 {
			return c
		}
	}
	return 0
}

func compareInts(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func trimZeros(s string) string {
	s = strings.TrimLeft(s, "0")
	if s == "" {
		return "0"
	}
	return s
}

// versionKey is the form of a version under which equal versions collide.
func versionKey(v string) string {
	parts := strings.Split(v, ".")
	for i := range parts {
		parts[i] = trimZeros(parts[i])
	}
	for len(parts) > 1 && parts[len(parts)-1] == "0" {
		parts = parts[:len(parts)-1]
	}
	return strings.Join(parts, ".")
}

// Versions returns the versions of the versioned migrations, in order.
func (d *Dir) Versions() []string {
	out := make([]string, len(d.Files))
	for i, f := range d.Files {
		out[i] = f.Version
	}
	return out
}

// Index returns the position in Files of the migration of version v. v ""
// or 0 means "before the first": -1. An unknown version is an error that
// lists the known ones.
func (d *Dir) Index(v string) (int, error) {
	if v == "" || versionKey(v) == "0" {
		return -1, nil
	}
	for i, f := range d.Files {
		if CompareVersions(f.Version, v) == 0 {
			return i, nil
		}
	}
	return 0, fmt.Errorf("no migration of version %s in %s (versions: %s)", v, d.Path, d.versionList())
}

// Between returns the migrations after version from up to and including
// version to: from "" (or 0) starts at the first, to "" ends at the latest.
func (d *Dir) Between(from, to string) ([]File, error) {
	first, err := d.Index(from)
	if err != nil {
		return nil, err
	}
	last := len(d.Files) - 1
	if to != "" {
		if last, err = d.Index(to); err != nil {
			return nil, err
		}
	}
	if last < first {
		return nil, fmt.Errorf("version %s comes before version %s", to, from)
	}
	return d.Files[first+1 : last+1], nil
}

// versionList abbreviates long lists to their ends.
func (d *Dir) versionList() string {
	vs := d.Versions()
	if len(vs) == 0 {
		return "none"
	}
	if len(vs) > 8 {
		return strings.Join(vs[:3], ", ") + ", …, " + strings.Join(vs[len(vs)-3:], ", ")
	}
	return strings.Join(vs, ", ")
}
