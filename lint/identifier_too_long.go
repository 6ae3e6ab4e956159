package lint

import (
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// maxIdentifier is NAMEDATALEN-1: PostgreSQL truncates longer names.
const maxIdentifier = 63

// checkIdentifierTooLong flags identifiers longer than 63 bytes in a
// schema change: PostgreSQL truncates them with only a NOTICE, so the
// object gets another name than the one written, and two long names that
// start alike collide. The parser truncates too, so the statement's
// tokens are read instead of its tree.
func checkIdentifierTooLong(l *linter, s *stepState) {
	if isDML(s.node) {
		return
	}
	for _, name := range longIdentifiers(s.stmt.SQL) {
		l.note(s, RuleIdentifierTooLong, Warning, name[:maxIdentifier],
			fmt.Sprintf("the name %q is %d bytes long: PostgreSQL truncates it to %q, which is the name the object gets.", name, len(name), name[:maxIdentifier]),
			"choose a name of at most 63 bytes.")
	}
}

func isDML(n *pg_query.Node) bool {
	return n.GetSelectStmt() != nil || n.GetInsertStmt() != nil || n.GetUpdateStmt() != nil || n.GetDeleteStmt() != nil
}

// longIdentifiers returns the identifiers of sql longer than 63 bytes, as
// PostgreSQL reads them (unquoted ones folded to lower case).
func longIdentifiers(sql string) []string {
	res, err := pg_query.Scan(sql)
	if err != nil {
		return nil
	}
	var out []string
	for _, tok := range res.GetTokens() {
		if tok.GetToken() != pg_query.Token_IDENT {
			continue
		}
		text := sql[tok.GetStart():tok.GetEnd()]
		if strings.HasPrefix(text, `"`) {
			text = strings.ReplaceAll(strings.Trim(text, `"`), `""`, `"`)
		} else {
			text = strings.ToLower(text)
		}
		if len(text) > maxIdentifier {
			out = append(out, text)
		}
	}
	return out
}
