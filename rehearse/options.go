package rehearse

import (
	"io"
	"time"

	"github.com/rehearse/rehearse/internal/lockmon"
	"github.com/rehearse/rehearse/lint"
	"github.com/rehearse/rehearse/provider"
)

type options struct {
	provider     provider.Provider
	progress     io.Writer
	tty          bool
	lockInterval time.Duration
	seed         *int64
	image        string
	started      func(*provider.Instance)
	// cacheDir is the dataset cache's directory; "" does without it.
	cacheDir string
	// lintPolicy filters the lint findings; nil: suppression comments only.
	lintPolicy *lint.Policy
	// lockTimeout and statementTimeout are the migration role's settings,
	// for steps that set none; zero: none.
	lockTimeout, statementTimeout time.Duration
}

// Option configures Run.
type Option func(*options)

// WithProvider sets where PostgreSQL comes from (default: a local cluster).
func WithProvider(p provider.Provider) Option { return func(o *options) { o.provider = p } }

// WithProgress receives human-readable progress lines; tty says whether lines
// may be redrawn in place.
func WithProgress(w io.Writer, tty bool) Option {
	return func(o *options) { o.progress, o.tty = w, tty }
}

// WithLockInterval sets the lock monitor's sampling interval (default 10ms).
func WithLockInterval(d time.Duration) Option { return func(o *options) { o.lockInterval = d } }

// WithSeed overrides the scenario's data.seed.
func WithSeed(seed int64) Option { return func(o *options) { o.seed = &seed } }

// WithStarted is called with the server as soon as it runs, so that a caller
// can kill it on a forced exit (a second Ctrl-C) while Run is still unwinding.
func WithStarted(f func(*provider.Instance)) Option { return func(o *options) { o.started = f } }

// WithCache keeps loaded datasets in the cache directory dir (see
// rehearse/cache) and starts the server from one when the schema, data
// spec, seed and server version match: the schema and data stages are then
// skipped, and Result.Data says Cached. Only a provider that implements
// provider.Templater (the local one) can; with others Run says so in one
// progress line and loads the data as usual. Without this option Run does
// not use a cache.
func WithCache(dir string) Option { return func(o *options) { o.cacheDir = dir } }

// WithoutCache turns off a cache set by an earlier WithCache.
func WithoutCache() Option { return func(o *options) { o.cacheDir = "" } }

func buildOptions(opts []Option) options {
	o := options{provider: provider.NewLocal(), progress: io.Discard, lockInterval: lockmon.DefaultInterval}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithLintPolicy applies a repository's lint policy (suppression comments,
// excluded rules and paths) to the lint findings of the result. Without it,
// the suppression comments of the scenario's files apply and nothing else.
func WithLintPolicy(p lint.Policy) Option { return func(o *options) { o.lintPolicy = &p } }

// WithMigrationSession gives the settings the migration role has on
// production (.rehearse.yaml's migration_session): every migration and
// rollback step that sets no lock_timeout (statement_timeout) of its own runs
// with lockTimeout (statementTimeout), as it would there. This is how steps
// read from a migration directory, which cannot set them, get them. Zero
// leaves a setting alone.
func WithMigrationSession(lockTimeout, statementTimeout time.Duration) Option {
	return func(o *options) { o.lockTimeout, o.statementTimeout = lockTimeout, statementTimeout }
}
