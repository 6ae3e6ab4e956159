package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/internal/human"
)

// CloneDSNEnv names the environment variable that gives the destroy command
// the DSN the create command printed.
const CloneDSNEnv = "REHEARSE_CLONE_DSN"

// Command gets a disposable clone from a clone engine (DBLab Engine, Neon,
// Aurora, a script of one's own) through two shell commands. Create prints
// the clone's DSN on stdout: the first line that is not empty, or a JSON
// object with a "dsn" field. Destroy removes the clone; it gets the DSN in
// $REHEARSE_CLONE_DSN and Create's whole stdout on stdin, and runs on every
// exit path (Stop and Kill). A clone this run created is the one kind of
// existing database treated as disposable without --disposable: nothing
// else can be connected to it, and it has the tables of what it clones.
type Command struct {
	// Create and Destroy are run with `sh -c`.
	Create, Destroy string
	// DestroyTimeout bounds Destroy (default 5 minutes): an engine that
	// hangs must not keep the rehearsal from exiting.
	DestroyTimeout time.Duration
}

var _ Provider = Command{}

// CreateError is a create command that failed or printed no DSN.
type CreateError struct {
	Command string
	Reason  string
	Stderr  string
}

func (e *CreateError) Error() string {
	msg := fmt.Sprintf("clone create command %q %s", e.Command, e.Reason)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += ": " + lastLines(s, 3)
	}
	return msg
}

// Start runs Create, connects to the DSN it printed and returns an
// instance whose Stop and Kill run Destroy. When the clone does not answer,
// Destroy runs before Start returns.
func (c Command) Start(ctx context.Context, cfg Config) (*Instance, error) {
	if c.Create == "" || c.Destroy == "" {
		return nil, errors.New("--provider command needs both --clone-create and --clone-destroy (postgres.clone.create and destroy)")
	}
	log := logWriter(cfg.Log)
	fmt.Fprintf(log, "creating a clone: %s\n", c.Create)
	began := time.Now()
	out, err := c.create(ctx)
	if err != nil {
		return nil, err
	}
	dsn, err := parseCloneDSN(out)
	if err != nil {
		return nil, &CreateError{Command: c.Create, Reason: err.Error()}
	}
	destroy := c.destroyer(dsn, out, log)
	fmt.Fprintf(log, "clone ready in %s: %s\n", time.Since(began).Round(time.Millisecond), Redact(dsn))
	if err := pingDSN(ctx, dsn); err != nil {
		return nil, errors.Join(fmt.Errorf("connect to the clone %s: %w", Redact(dsn), err), destroy(context.WithoutCancel(ctx)))
	}
	inst := NewInstance(dsn, "command", map[string]string{}, destroy)
	inst.SetKill(func() { _ = inst.Stop(context.Background()) })
	if len(cfg.Settings) > 0 {
		inst.Warnings = append(inst.Warnings, "settings not applied to a clone (set them in the clone engine): "+strings.Join(slices.Sorted(maps.Keys(cfg.Settings)), ", "))
	}
	return inst, nil
}

func (c Command) create(ctx context.Context) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "sh", "-c", c.Create)
	groupKill(cmd)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("clone create command: %w", ctx.Err())
		}
		return nil, &CreateError{Command: c.Create, Reason: "failed (" + err.Error() + ")", Stderr: stderr.String()}
	}
	return stdout.Bytes(), nil
}

// destroyer returns the Stop of a clone: run Destroy once, with a context
// of its own (it also runs after ctx was cancelled, on Ctrl-C).
func (c Command) destroyer(dsn string, created []byte, log io.Writer) func(context.Context) error {
	timeout := c.DestroyTimeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		defer cancel()
		fmt.Fprintf(log, "destroying the clone: %s\n", c.Destroy)
		cmd := exec.CommandContext(ctx, "sh", "-c", c.Destroy)
		groupKill(cmd)
		cmd.Env = append(os.Environ(), CloneDSNEnv+"="+dsn)
		cmd.Stdin = bytes.NewReader(created)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = log, &stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("clone destroy command %q failed (%v): %s; the clone %s may still exist",
				c.Destroy, err, lastLines(strings.TrimSpace(stderr.String()), 3), Redact(dsn))
		}
		return nil
	}
}

// groupKill makes cancelling cmd end the engine's CLI too, not only the
// shell that started it: cmd gets a process group of its own, and a
// cancel sends SIGTERM to the group (SIGKILL 10 s later).
func groupKill(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
}

// parseCloneDSN reads a create command's stdout: a JSON object with a
// "dsn" field, or else the first line that is not empty.
func parseCloneDSN(out []byte) (string, error) {
	text := strings.TrimSpace(string(out))
	if text == "" {
		return "", errors.New("printed no DSN (want a postgres:// URL or key=value DSN on stdout, or JSON with \"dsn\")")
	}
	if strings.HasPrefix(text, "{") {
		var v struct {
			DSN string `json:"dsn"`
		}
		if err := json.Unmarshal([]byte(text), &v); err != nil {
			return "", fmt.Errorf("printed JSON that does not parse: %v", err)
		}
		if v.DSN == "" {
			return "", errors.New(`printed JSON without a "dsn" field`)
		}
		return v.DSN, nil
	}
	line, _, _ := strings.Cut(text, "\n")
	line = strings.TrimSpace(line)
	if _, err := pgx.ParseConfig(line); err != nil {
		return "", fmt.Errorf("printed %q, which is not a DSN: %v", human.Clip(line, 80), err)
	}
	return line, nil
}

// pingDSN connects once: the clone must answer before the rehearsal starts.
func pingDSN(ctx context.Context, dsn string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " / ")
}
