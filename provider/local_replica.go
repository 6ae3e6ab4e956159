package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/internal/dbconn"
)

// StandbySlot is the physical replication slot the local standby streams
// through: the primary keeps the WAL a lagging standby has not yet received,
// as production setups with slots do, instead of breaking replication when
// a large migration writes more WAL than max_wal_size.
const StandbySlot = "rehearse_standby"

// servers is what one local Instance stops: the primary and, when asked
// for, its standby. The standby goes first, so that the primary's shutdown
// does not wait to send it the final WAL.
type servers struct {
	primary *cluster
	standby *cluster // nil without Config.Replica
}

func (s servers) stop(ctx context.Context) error {
	var errs []error
	if s.standby != nil {
		if err := s.standby.stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("standby: %w", err))
		}
	}
	errs = append(errs, s.primary.stop(ctx))
	return errors.Join(errs...)
}

func (s servers) kill() {
	for _, c := range []*cluster{s.standby, s.primary} {
		if c != nil {
			c.kill()
			c.remove()
		}
	}
}

func (s servers) leftovers() []string {
	left := s.primary.leftovers()
	if s.standby != nil {
		left = append(left, s.standby.leftovers()...)
	}
	return left
}

// startStandby makes a streaming standby of c: pg_basebackup -R into a
// temp dir of its own (owned by the server user), the same settings (a hot
// standby needs max_connections and the like at least as high as the
// primary's) on another free port, and returns once the primary reports it
// streaming. On error nothing of the standby is left.
func (c *cluster) startStandby(ctx context.Context, settings map[string]string) (_ *cluster, err error) {
	dir, err := os.MkdirTemp("", "rehearse-pg-standby-")
	if err != nil {
		return nil, fmt.Errorf("standby: create temp dir: %w", err)
	}
	s := &cluster{bin: c.bin, dir: dir, owner: c.owner, log: c.log, password: c.password}
	defer func() {
		if err != nil {
			if s.proc != nil {
				s.kill()
			}
			os.RemoveAll(dir)
		}
	}()
	if err := s.chown(dir); err != nil {
		return nil, err
	}
	if err := s.basebackup(ctx, c.port); err != nil {
		return nil, err
	}
	if err := s.start(ctx, standbySettings(settings)); err != nil {
		return nil, fmt.Errorf("standby: %w", err)
	}
	if err := c.waitStreaming(ctx, s); err != nil {
		return nil, err
	}
	fmt.Fprintf(c.log, "standby streaming on 127.0.0.1:%d\n", s.port)
	return s, nil
}

// StandbyStatusInterval is the standby's wal_receiver_status_interval unless
// the scenario sets one. The primary learns how far the standby has replayed
// only from its status replies: with the default 10s, pg_stat_replication
// would show a standby that has caught up as lagging, and replay_lag
// inflated, for up to 10 s after WAL goes quiet.
const StandbyStatusInterval = "1s"

func standbySettings(primary map[string]string) map[string]string {
	out := copySettings(primary)
	if _, ok := out["wal_receiver_status_interval"]; !ok {
		out["wal_receiver_status_interval"] = StandbyStatusInterval
	}
	return out
}

// basebackup copies the primary on port into s's data dir and configures it
// as a standby (standby.signal, primary_conninfo and the slot).
func (s *cluster) basebackup(ctx context.Context, port int) error {
	tool := filepath.Join(s.bin, "pg_basebackup")
	if _, err := os.Stat(tool); err != nil {
		return fmt.Errorf("standby: %s not found: postgres.replica needs pg_basebackup beside initdb", tool)
	}
	fmt.Fprintf(s.log, "pg_basebackup into %s\n", s.dataDir())
	cmd := exec.CommandContext(ctx, tool, "-D", s.dataDir(), "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", localUser,
		"--write-recovery-conf", "--wal-method=stream", "--checkpoint=fast", "--no-sync",
		"--create-slot", "--slot="+StandbySlot)
	// primary_conninfo keeps what the connection used: the password (the
	// file is the server user's, in its own temp dir) and the name.
	cmd.Env = append(os.Environ(), "PGPASSWORD="+s.password, "PGAPPNAME="+dbconn.Standby, "PGCONNECT_TIMEOUT=10")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.owner, Setpgid: true}
	cmd.Dir = s.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("standby: pg_basebackup: %w: %s", err, tail(out, 5))
	}
	return nil
}

// waitStreaming polls the primary until the standby's walsender streams
// through the slot, the standby exits, or readyTimeout passes.
func (c *cluster) waitStreaming(ctx context.Context, s *cluster) error {
	conn, err := pgx.Connect(ctx, c.dsn())
	if err != nil {
		return fmt.Errorf("standby: connect to primary: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	deadline := time.Now().Add(readyTimeout)
	for {
		state, err := standbyState(ctx, conn)
		switch {
		case err != nil:
			return err
		case state == "streaming":
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("standby exited: %s", s.logTail())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("standby did not stream within %s (state %q): %s", readyTimeout, state, s.logTail())
		}
	}
}

// standbyState reads, on the primary, the state of the walsender serving the
// standby's slot ("streaming" once it has caught up); "" while none is.
func standbyState(ctx context.Context, primary *pgx.Conn) (string, error) {
	var state string
	err := primary.QueryRow(ctx, `SELECT r.state FROM pg_replication_slots s
		JOIN pg_stat_replication r ON r.pid = s.active_pid WHERE s.slot_name = $1`, StandbySlot).Scan(&state)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("standby: read pg_stat_replication: %w", err)
	}
	return state, nil
}
