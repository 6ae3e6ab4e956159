package provider

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"testing"
)

func TestWALFileName(t *testing.T) {
	// pg_controldata of a fresh PostgreSQL 15 cluster: REDO 0/1500718, file 000000010000000000000001.
	for _, tc := range []struct {
		tli     uint32
		lsn     uint64
		segSize int64
		want    string
	}{
		{1, 0x1500718, 16 << 20, "000000010000000000000001"},
		{1, 0x2_0300_0000, 16 << 20, "000000010000000200000003"},
		{3, 0x2_0300_0000, 1 << 30, "000000030000000200000000"},
	} {
		if got := walFileName(tc.tli, tc.lsn, tc.segSize); got != tc.want {
			t.Errorf("walFileName(%d, %x, %d) = %s, want %s", tc.tli, tc.lsn, tc.segSize, got, tc.want)
		}
	}
}

type tarEntry struct {
	name, link string
	uid        int
	body       []byte
}

func pgControl(state int32, redo uint64, tli uint32) []byte {
	data := make([]byte, 8192)
	binary.LittleEndian.PutUint32(data[16:], uint32(state))
	binary.LittleEndian.PutUint64(data[40:], redo)
	binary.LittleEndian.PutUint32(data[48:], tli)
	return data
}

func writeTar(t *testing.T, entries []tarEntry) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Uid: e.uid, Gid: e.uid, Uname: "host-name", Mode: 0o600, Typeflag: tar.TypeReg, Size: int64(len(e.body))}
		switch {
		case e.name[len(e.name)-1] == '/':
			h.Typeflag, h.Mode = tar.TypeDir, 0o700
		case e.link != "":
			h.Typeflag, h.Linkname, h.Size = tar.TypeLink, e.link, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write(e.body)
		}
	}
	tw.Close()
	return &buf
}

func readTar(t *testing.T, r io.Reader) []tarEntry {
	t.Helper()
	var out []tarEntry
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uname != "" {
			t.Errorf("%s keeps the owner name %q", h.Name, h.Uname)
		}
		body, _ := io.ReadAll(tr)
		switch {
		case len(body) == 0:
			body = nil
		case len(body) > 8:
			body = body[:8]
		}
		out = append(out, tarEntry{name: h.Name, link: h.Linkname, uid: h.Uid, body: body})
	}
}

// TestRebaseTar renames docker cp's archive of a data directory to the
// dataset path, adds its parents with the directory's owner, and leaves out
// the slots, the pid file and every WAL segment but the redo record's.
func TestRebaseTar(t *testing.T) {
	const segSize = 16 << 20
	redo := uint64(3*segSize + 100)
	control := pgControl(1, redo, 1)
	in := writeTar(t, []tarEntry{
		{name: "data/", uid: 70},
		{name: "data/PG_VERSION", uid: 70, body: []byte("15\n")},
		{name: "data/global/", uid: 70},
		{name: "data/global/pg_control", uid: 70, body: control},
		{name: "data/pg_replslot/", uid: 70},
		{name: "data/pg_replslot/standby/", uid: 70},
		{name: "data/pg_replslot/standby/state", uid: 70, body: []byte("slot")},
		{name: "data/pg_wal/", uid: 70},
		{name: "data/pg_wal/000000010000000000000002", uid: 70, body: []byte("old")},
		{name: "data/pg_wal/000000010000000000000003", uid: 70, body: []byte("redo")},
		{name: "data/pg_wal/000000010000000000000004", uid: 70, body: []byte("recycled")},
		{name: "data/pg_wal/archive_status/", uid: 70},
		{name: "data/postmaster.opts", uid: 70, body: []byte("opts")},
		{name: "data/base/1/1259_vm", uid: 70, link: "data/PG_VERSION"},
	})
	var out bytes.Buffer
	if err := rebaseTar(in, &out, "rehearse-dataset/pgdata", &snapshotFilter{segSize: segSize}); err != nil {
		t.Fatal(err)
	}
	want := []tarEntry{
		{name: "rehearse-dataset/", uid: 70},
		{name: "rehearse-dataset/pgdata/", uid: 70},
		{name: "rehearse-dataset/pgdata/PG_VERSION", uid: 70, body: []byte("15\n")},
		{name: "rehearse-dataset/pgdata/global/", uid: 70},
		{name: "rehearse-dataset/pgdata/global/pg_control", uid: 70, body: control[:8]},
		{name: "rehearse-dataset/pgdata/pg_replslot/", uid: 70},
		{name: "rehearse-dataset/pgdata/pg_wal/", uid: 70},
		{name: "rehearse-dataset/pgdata/pg_wal/000000010000000000000003", uid: 70, body: []byte("redo")},
		{name: "rehearse-dataset/pgdata/pg_wal/archive_status/", uid: 70},
		{name: "rehearse-dataset/pgdata/base/1/1259_vm", link: "rehearse-dataset/pgdata/PG_VERSION", uid: 70},
	}
	if got := readTar(t, &out); !reflect.DeepEqual(got, want) {
		t.Errorf("rebased archive:\n got %v\nwant %v", got, want)
	}
}

// A server that did not shut down cleanly (or an unknown segment size)
// keeps every WAL segment: the redo record's segment is then unknown.
func TestRebaseTarKeepsWALWhenUnsure(t *testing.T) {
	for name, f := range map[string]*snapshotFilter{
		"in production":   {segSize: 16 << 20},
		"no segment size": {},
	} {
		state := int32(6) // DB_IN_PRODUCTION
		if f.segSize == 0 {
			state = 1
		}
		in := writeTar(t, []tarEntry{
			{name: "data/"}, {name: "data/global/pg_control", body: pgControl(state, 100, 1)},
			{name: "data/pg_wal/000000010000000000000000", body: []byte("a")},
			{name: "data/pg_wal/000000010000000000000009", body: []byte("b")},
		})
		var out bytes.Buffer
		if err := rebaseTar(in, &out, "x/pgdata", f); err != nil {
			t.Fatal(err)
		}
		if got := readTar(t, &out); len(got) != 5 {
			t.Errorf("%s: %d entries, want both segments kept: %v", name, len(got), got)
		}
	}
	if err := rebaseTar(writeTar(t, []tarEntry{{name: "PG_VERSION"}}), io.Discard, "x", &snapshotFilter{}); err == nil {
		t.Error("an archive that does not start with the directory was accepted")
	}
}
