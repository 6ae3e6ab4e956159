package scenarios

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/rehearse/rehearse/internal/pgsql"
)

// Client protocols: how a workload's driver sends statements.
const (
	// ProtocolCached prepares each statement once per connection and reuses
	// it (pgx's default, JDBC after its prepare threshold, Rails, asyncpg).
	ProtocolCached = "cached"
	// ProtocolPrepared prepares each statement explicitly once per
	// connection and never prepares it again.
	ProtocolPrepared = "prepared"
	// ProtocolSimple sends statements as text (pgbouncer transaction mode).
	ProtocolSimple = "simple"
)

// Protocols lists the valid client protocols.
var Protocols = []string{ProtocolCached, ProtocolPrepared, ProtocolSimple}

// Isolation levels of a background session's transaction.
const (
	IsolationReadCommitted  = "read_committed"
	IsolationRepeatableRead = "repeatable_read"
	IsolationSerializable   = "serializable"
)

// Isolations lists the valid isolation levels.
var Isolations = []string{IsolationReadCommitted, IsolationRepeatableRead, IsolationSerializable}

// Phase names a background session's start_at may use besides step names.
const (
	PhaseBaseline = "baseline"
	PhaseCooldown = "cooldown"
)

// Client is how a workload's application talks to the database.
type Client struct {
	// Protocol is cached (default), prepared or simple.
	Protocol string `yaml:"protocol" json:"protocol,omitempty"`
	// Pool is the size of the connection pool requests queue for; it is
	// the same setting as the workload's connections (give one of them).
	Pool int `yaml:"pool" json:"pool,omitempty"`
}

// ClientProtocol is the workload's protocol, ProtocolCached when unset.
func (w *Workload) ClientProtocol() string {
	if w.Client == nil || w.Client.Protocol == "" {
		return ProtocolCached
	}
	return w.Client.Protocol
}

// PoolSize is the number of connections of the workload's pool:
// client.pool, or connections.
func (w *Workload) PoolSize() int {
	if w.Client != nil && w.Client.Pool > 0 {
		return w.Client.Pool
	}
	return w.Connections
}

// TxStatement is one named statement of a transaction entry of a workload.
type TxStatement struct {
	Name string `yaml:"name" json:"name"`
	// SQL is one statement; its $N are the entry's args.
	SQL string `yaml:"sql" json:"sql"`

	src textSource // maps offsets in SQL to the scenario file
}

// SQLPos maps a byte offset in the statement's SQL to the scenario file.
func (s *TxStatement) SQLPos(offset int) Pos { return s.src.pos(s.SQL, offset) }

// IsTransaction reports whether q is a transaction of several statements
// rather than one sql statement.
func (q *Query) IsTransaction() bool { return q.Transaction != nil }

// QueryStatement is one statement a workload query runs, ready to execute:
// SQL has its parameters numbered $1..$k, bound to the query's arguments
// Args[0]..Args[k-1] (0-based indexes into Query.Args).
type QueryStatement struct {
	Name string
	SQL  string
	Args []int
}

// Statements returns what q runs: its sql with all its args, or each
// statement of its transaction with the parameters it uses renumbered from
// $1 (a statement using only $2 and $3 of the entry runs as $1 and $2), so
// that PostgreSQL can infer every parameter's type. A plain query's
// statement is named after the query. It fails only on SQL that does not
// parse, which validation reports first.
func (q *Query) Statements() ([]QueryStatement, error) {
	if !q.IsTransaction() {
		args := make([]int, len(q.Args))
		for i := range args {
			args[i] = i
		}
		return []QueryStatement{{Name: q.Name, SQL: q.SQL, Args: args}}, nil
	}
	out := make([]QueryStatement, 0, len(q.Transaction))
	for _, st := range q.Transaction {
		if st == nil {
			continue
		}
		sql, args, err := renumberParams(st.SQL)
		if err != nil {
			return nil, fmt.Errorf("query %s statement %s: %w", q.Name, st.Name, err)
		}
		out = append(out, QueryStatement{Name: st.Name, SQL: sql, Args: args})
	}
	return out, nil
}

// paramRef is one $N in a SQL text.
type paramRef struct {
	offset, number int
}

// paramRefs returns the $N placeholders of a parse tree by position.
func paramRefs(tree *pg_query.ParseResult) []paramRef {
	var refs []paramRef
	pgsql.Walk(tree.ProtoReflect(), func(m protoreflect.Message) {
		if p, ok := m.Interface().(*pg_query.ParamRef); ok {
			refs = append(refs, paramRef{offset: int(p.GetLocation()), number: int(p.GetNumber())})
		}
	})
	sort.Slice(refs, func(i, j int) bool { return refs[i].offset < refs[j].offset })
	return refs
}

// renumberParams rewrites sql so that the distinct parameters it uses are
// $1..$k in ascending order of their original numbers, and returns which
// original parameter (0-based) each new one stands for.
func renumberParams(sql string) (string, []int, error) {
	tree, err := pgsql.Parse(sql)
	if err != nil {
		return "", nil, err
	}
	refs := paramRefs(tree)
	used := pgsql.ParamNumbers(tree)
	if len(used) == 0 {
		return sql, nil, nil
	}
	renum := make(map[int]int, len(used))
	args := make([]int, len(used))
	for i, n := range used {
		renum[n] = i + 1
		args[i] = n - 1
	}
	var b strings.Builder
	last := 0
	for _, r := range refs {
		end := paramEnd(sql, r.offset)
		if end < 0 {
			return "", nil, fmt.Errorf("cannot locate parameter $%d in the SQL", r.number)
		}
		b.WriteString(sql[last:r.offset])
		b.WriteString("$" + strconv.Itoa(renum[r.number]))
		last = end
	}
	b.WriteString(sql[last:])
	return b.String(), args, nil
}

// paramEnd returns the end of the "$digits" token at off, or -1.
func paramEnd(sql string, off int) int {
	if off < 0 || off >= len(sql) || sql[off] != '$' {
		return -1
	}
	i := off + 1
	for i < len(sql) && sql[i] >= '0' && sql[i] <= '9' {
		i++
	}
	if i == off+1 {
		return -1
	}
	return i
}

// Background is a session that runs beside the traffic, started at a phase
// or step trigger: a long report query, a transaction left idle after a
// statement (Hold), an open REPEATABLE READ snapshot (Isolation and Hold).
type Background struct {
	// Name labels the session in results; its application_name is
	// rehearse/background/<name>.
	Name string `yaml:"name" json:"name"`
	// StartAt starts the session when a phase begins: baseline, a step name
	// (before the step runs) or cooldown. StartAfter starts it when a step
	// has finished. Neither: start_at baseline.
	StartAt    string `yaml:"start_at" json:"start_at,omitempty"`
	StartAfter string `yaml:"start_after" json:"start_after,omitempty"`
	// At delays the first run after the trigger.
	At Duration `yaml:"at" json:"at,omitempty"`
	// Every repeats the run at this period (measured from run start to run
	// start; a run that overruns is followed at once) until the rehearsal
	// ends; 0 runs once.
	Every Duration `yaml:"every" json:"every,omitempty"`
	// SQL is one statement, without parameters.
	SQL string `yaml:"sql" json:"sql"`
	// Hold keeps the transaction open, idle, this long after the statement,
	// then commits; 0 runs the statement on its own.
	Hold Duration `yaml:"hold" json:"hold,omitempty"`
	// Isolation is the held transaction's isolation level: read_committed
	// (default), repeatable_read (an open snapshot) or serializable.
	Isolation string `yaml:"isolation" json:"isolation,omitempty"`

	src textSource // maps offsets in SQL to the scenario file
}

// SQLPos maps a byte offset in the session's SQL to the scenario file.
func (b *Background) SQLPos(offset int) Pos { return b.src.pos(b.SQL, offset) }

// Trigger returns when the session starts: ("start_at", phase or step) or
// ("start_after", step); start_at baseline when neither is set.
func (b *Background) Trigger() (kind, name string) {
	switch {
	case b.StartAfter != "":
		return "start_after", b.StartAfter
	case b.StartAt != "":
		return "start_at", b.StartAt
	}
	return "start_at", PhaseBaseline
}

// IsolationLevel is the isolation level, IsolationReadCommitted when unset.
func (b *Background) IsolationLevel() string {
	if b.Isolation == "" {
		return IsolationReadCommitted
	}
	return b.Isolation
}
