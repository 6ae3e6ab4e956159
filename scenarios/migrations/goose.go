package migrations

import (
	"strings"
)

// goose: <version>_<name>.sql with -- +goose annotations, and
// <version>_<name>.go migrations, which are Go code. goose refuses a .sql
// file without a numeric version, so this does too.
func (r *reader) goose(name string) {
	stem, ext, _ := cutExt(name)
	m := leadingNumber.FindStringSubmatch(stem)
	switch {
	case ext == ".go" && (m == nil || strings.HasSuffix(stem, "_test")):
		return
	case ext == ".go":
		r.add(name, File{Version: m[1], Name: stem, Line: 1, GoMigration: true})
		return
	case ext != ".sql":
		return
	case m == nil && !r.single:
		r.addf(name, 0, "goose needs a numeric version at the start of the file name (20240105093000_create_users.sql)")
		return
	}
	f, problems := parseGoose(r.contents[name])
	for _, p := range problems {
		r.addf(name, p.Line, "%s", p.Msg)
	}
	if len(problems) > 0 {
		return
	}
	f.Name = stem
	if m != nil {
		f.Version = m[1]
	}
	r.add(name, f)
}

func cutExt(name string) (stem, ext string, ok bool) {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return name, "", false
	}
	return name[:i], name[i:], true
}

// parseGoose finds the Up section of a goose SQL file, its StatementBegin /
// StatementEnd blocks and NO TRANSACTION, as goose's parser reads them:
// annotations are whole-line comments, in any letter case.
func parseGoose(text string) (File, []Problem) {
	f := File{Tx: InTransaction}
	var problems []Problem
	bad := func(line int, msg string) { problems = append(problems, Problem{Line: line, Msg: msg}) }
	lines := strings.Split(text, "\n")
	up, down, blockStart := -1, len(lines), -1
	for i, line := range lines {
		a := gooseAnnotation.FindStringSubmatch(line)
		if a == nil {
			if up < 0 && !isBlankOrComment(line) {
				bad(i+1, "SQL before -- +goose Up: goose only runs the Up section")
				return f, problems
			}
			continue
		}
		switch strings.ToUpper(strings.Join(strings.Fields(a[1]), " ")) {
		case "UP":
			if up >= 0 {
				bad(i+1, "a second -- +goose Up")
				return f, problems
			}
			up = i
		case "DOWN":
			if up < 0 {
				bad(i+1, "-- +goose Down before -- +goose Up")
				return f, problems
			}
			down = i
		case "NO TRANSACTION":
			f.Tx = NoTransaction
		case "STATEMENTBEGIN":
			if blockStart >= 0 {
				bad(i+1, "-- +goose StatementBegin inside another StatementBegin block")
				return f, problems
			}
			blockStart = i
		case "STATEMENTEND":
			if blockStart < 0 {
				bad(i+1, "-- +goose StatementEnd without StatementBegin")
				return f, problems
			}
			if up >= 0 && down == len(lines) {
				// Lines relative to the Up section, which starts after line up.
				f.GooseBlocks = append(f.GooseBlocks, LineRange{First: blockStart - up, Last: i - up})
			}
			blockStart = -1
		case "ENVSUB ON":
			bad(i+1, "-- +goose ENVSUB ON substitutes environment variables, which a rehearsal does not do: write the values in the file")
		}
		if down < len(lines) {
			break
		}
	}
	switch {
	case blockStart >= 0:
		bad(blockStart+1, "-- +goose StatementBegin without StatementEnd")
	case up < 0:
		bad(0, "no -- +goose Up annotation: goose refuses a migration without one")
	}
	if len(problems) > 0 {
		return f, problems
	}
	f.SQL, f.Line = strings.Join(lines[up+1:down], "\n"), up+2
	return f, nil
}
