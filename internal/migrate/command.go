package migrate

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/internal/dbconn"
	"github.com/rehearse/rehearse/result"
	"github.com/rehearse/rehearse/scenarios"
)

// outputTail is how much of a command's output a step keeps.
const outputTail = 2000

// runCommand runs an external migration tool against the rehearsal database.
// The tool's sessions carry application_name rehearse/migration (through
// PGAPPNAME and the URL) so that its locks and waits are attributed to the
// migration.
func (r *Runner) runCommand(ctx context.Context, step *scenarios.Step, out *result.Step) error {
	env, err := commandEnv(r.dsn)
	if err != nil {
		return err
	}
	lookup := func(name string) string { return env[name] }
	args := make([]string, len(step.Command))
	for i, a := range step.Command {
		args[i] = os.Expand(a, lookup)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	err = cmd.Run()
	out.Output = tailString(output.String(), outputTail)
	if err != nil {
		return fmt.Errorf("command %s: %w: %s", args[0], err, tailString(output.String(), 300))
	}
	return nil
}

// commandEnv is the environment a migration tool needs: DATABASE_URL and the
// libpq PG* variables.
func commandEnv(dsn string) (map[string]string, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse dsn: %w", err)
	}
	sslmode := "disable"
	if cfg.TLSConfig != nil {
		sslmode = "require"
	}
	u := &url.URL{Scheme: "postgres", User: url.UserPassword(cfg.User, cfg.Password),
		Host: fmt.Sprintf("%s:%d", cfg.Host, cfg.Port), Path: "/" + cfg.Database,
		RawQuery: url.Values{"sslmode": {sslmode}, "application_name": {dbconn.Migration}}.Encode()}
	return map[string]string{
		"DATABASE_URL": u.String(),
		"PGHOST":       cfg.Host,
		"PGPORT":       fmt.Sprint(cfg.Port),
		"PGUSER":       cfg.User,
		"PGPASSWORD":   cfg.Password,
		"PGDATABASE":   cfg.Database,
		"PGSSLMODE":    sslmode,
		"PGAPPNAME":    dbconn.Migration,
	}, nil
}

func tailString(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
