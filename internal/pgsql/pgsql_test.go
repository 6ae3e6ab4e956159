package pgsql

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	fn := `CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  NEW.at := now(); -- not the end
  RETURN NEW;
END
$body$`
	do := "DO $$ BEGIN PERFORM 1; PERFORM 2; END $$"
	atomic := "CREATE FUNCTION one() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END"
	tests := []struct {
		name string
		in   string
		want []Statement
	}{
		{"empty", "", nil},
		{"only comments and semicolons", "-- nothing\n;;\n/* still /* nested */ nothing */;\n", nil},
		{"two", "SELECT 1;SELECT 2;", []Statement{
			{SQL: "SELECT 1", Offset: 0, Line: 1, Col: 1},
			{SQL: "SELECT 2", Offset: 9, Line: 1, Col: 10},
		}},
		{"no final semicolon, trailing comment", "SELECT 1;\n  SELECT 2 -- two\n", []Statement{
			{SQL: "SELECT 1", Offset: 0, Line: 1, Col: 1},
			{SQL: "SELECT 2 -- two", Offset: 12, Line: 2, Col: 3},
		}},
		{"leading comments skipped", "-- add it\n/* really */ ALTER TABLE t ADD c int;\n-- done\n", []Statement{
			{SQL: "ALTER TABLE t ADD c int", Offset: 23, Line: 2, Col: 14},
		}},
		{"dollar-quoted function", fn + ";\nSELECT 3;", []Statement{
			{SQL: fn, Offset: 0, Line: 1, Col: 1},
			{SQL: "SELECT 3", Offset: len(fn) + 2, Line: 7, Col: 1},
		}},
		{"DO block", do + "; " + do, []Statement{
			{SQL: do, Offset: 0, Line: 1, Col: 1},
			{SQL: do, Offset: len(do) + 2, Line: 1, Col: len(do) + 3},
		}},
		{"BEGIN ATOMIC body", atomic + ";\nSELECT 4", []Statement{
			{SQL: atomic, Offset: 0, Line: 1, Col: 1},
			{SQL: "SELECT 4", Offset: len(atomic) + 2, Line: 2, Col: 1},
		}},
		{"multibyte text before", "SELECT 'héllo';  SELECT 2", []Statement{
			{SQL: "SELECT 'héllo'", Offset: 0, Line: 1, Col: 1},
			{SQL: "SELECT 2", Offset: 18, Line: 1, Col: 18},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Split(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d statements %+v, want %d", len(got), got, len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("statement %d:\n got %+v\nwant %+v", i, got[i], tt.want[i])
				}
				if !strings.HasPrefix(tt.in[got[i].Offset:], got[i].SQL) {
					t.Errorf("statement %d: Offset %d does not point at its SQL", i, got[i].Offset)
				}
			}
		})
	}
}

func TestSplitSyntaxError(t *testing.T) {
	_, err := Split("SELECT 'é';\nSELECT 1;\nSELEC 2;")
	var se *SQLError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want *SQLError", err)
	}
	want := SQLError{Msg: `syntax error at or near "SELEC"`, Offset: 23, Line: 3, Col: 1}
	if *se != want {
		t.Errorf("got %+v, want %+v", *se, want)
	}
	eq(t, "message", se.Error(), `3:1: syntax error at or near "SELEC"`)

	_, err = Split("SELECT (1")
	if !errors.As(err, &se) || se.Msg != "syntax error at end of input" || se.Offset != 9 {
		t.Errorf("end of input: got %+v", err)
	}
}

func TestLineCol(t *testing.T) {
	text := "ab\ncdé\n\nxyz"
	tests := []struct {
		offset, line, col int
	}{
		{-5, 1, 1},
		{0, 1, 1},
		{2, 1, 3}, // the newline itself
		{3, 2, 1},
		{5, 2, 3},
		{7, 2, 4}, // after the two-byte é: columns count characters
		{8, 3, 1},
		{9, 4, 1},
		{12, 4, 4},
		{99, 4, 4},
	}
	for _, tt := range tests {
		line, col := LineCol(text, tt.offset)
		if line != tt.line || col != tt.col {
			t.Errorf("LineCol(%d) = %d:%d, want %d:%d", tt.offset, line, col, tt.line, tt.col)
		}
	}
}

func TestByteOffset(t *testing.T) {
	text := "é = $1"
	tests := []struct{ position, want int }{
		{0, 0}, {1, 0}, {2, 2}, {3, 3}, {6, 6}, {7, 7}, {100, 7},
	}
	for _, tt := range tests {
		if got := ByteOffset(text, tt.position); got != tt.want {
			t.Errorf("ByteOffset(%d) = %d, want %d", tt.position, got, tt.want)
		}
	}
}

func TestParamNumbers(t *testing.T) {
	tests := map[string]string{
		"SELECT 1":          "[]",
		"SELECT $2, $1, $2": "[1 2]",
		"UPDATE t SET a = $3 WHERE id IN (SELECT $1 FROM u)":  "[1 3]",
		"INSERT INTO t VALUES ($1, '$2', $$ $3 $$, \"$4\")":   "[1]",
		"SELECT * FROM t WHERE a = ANY($1::int[]) LIMIT $2":   "[1 2]",
		"WITH x AS (SELECT $1 AS v) SELECT v FROM x WHERE $2": "[1 2]",
	}
	for sql, want := range tests {
		tree, err := Parse(sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		if got := fmt.Sprint(ParamNumbers(tree)); got != want {
			t.Errorf("%s: got %s, want %s", sql, got, want)
		}
	}
}

func FuzzSplit(f *testing.F) {
	for _, seed := range []string{
		"SELECT 1; SELECT 2",
		"DO $$ BEGIN PERFORM 1; END $$;",
		"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END; -- x",
		"/* a /* b */ c */ SELECT 'é';;",
		"SELEC 1",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		stmts, err := Split(sql)
		if err != nil {
			var se *SQLError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not *SQLError", err)
			}
			return
		}
		prevEnd := 0
		for _, st := range stmts {
			if st.SQL == "" || st.Offset < prevEnd || st.Offset+len(st.SQL) > len(sql) {
				t.Fatalf("bad statement %+v in %q", st, sql)
			}
			if sql[st.Offset:st.Offset+len(st.SQL)] != st.SQL {
				t.Fatalf("offset %d does not point at %q", st.Offset, st.SQL)
			}
			prevEnd = st.Offset + len(st.SQL)
		}
	})
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}
