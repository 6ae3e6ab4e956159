package lint

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/rehearse/rehearse/internal/pgsql"
)

// volatilityClass is what the linter can tell about a default expression
// without a database.
type volatilityClass int

const (
	// notVolatile: constants, casts and functions known to be STABLE or
	// IMMUTABLE (now(), lower(), ...): stored once, no rewrite.
	notVolatile volatilityClass = iota
	// unknown: calls a function the linter does not know.
	unknown
	// volatile: calls a function known to be VOLATILE: every row is rewritten.
	volatile
)

// volatileFuncs are the built-in (and common extension) functions that are
// VOLATILE, so that a default calling them is evaluated for every row.
var volatileFuncs = map[string]bool{
	"random": true, "random_normal": true, "clock_timestamp": true, "timeofday": true,
	"gen_random_uuid": true, "uuidv4": true, "uuidv7": true, "uuid_generate_v1": true,
	"uuid_generate_v1mc": true, "uuid_generate_v4": true, "nextval": true, "setseed": true,
	"txid_current": true, "pg_current_xact_id": true, "gen_random_bytes": true,
}

// stableFuncs are common functions that are STABLE or IMMUTABLE.
var stableFuncs = map[string]bool{
	"now": true, "statement_timestamp": true, "transaction_timestamp": true, "current_setting": true,
	"lower": true, "upper": true, "trim": true, "btrim": true, "concat": true, "concat_ws": true,
	"md5": true, "coalesce": true, "nullif": true, "greatest": true, "least": true, "abs": true,
	"round": true, "length": true, "to_char": true, "to_timestamp": true, "to_date": true,
	"date_trunc": true, "make_interval": true, "make_date": true, "jsonb_build_object": true,
	"json_build_object": true, "jsonb_build_array": true, "json_build_array": true,
	"array_fill": true, "replace": true, "substring": true, "left": true, "right": true,
	"timezone": true, "current_database": true, "current_schema": true, "to_jsonb": true,
}

// volatility classifies a default expression; fn names the function that
// decided it.
func volatility(expr *pg_query.Node) (class volatilityClass, fn string) {
	if expr == nil {
		return notVolatile, ""
	}
	pgsql.Walk(expr.ProtoReflect(), func(m protoreflect.Message) {
		fc, ok := m.Interface().(*pg_query.FuncCall)
		if !ok || class == volatile {
			return
		}
		name := funcName(fc)
		switch {
		case volatileFuncs[name]:
			class, fn = volatile, name
		case !stableFuncs[name] && class == notVolatile:
			class, fn = unknown, name
		}
	})
	return class, fn
}
