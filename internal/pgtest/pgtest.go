// Package pgtest gives tests a real PostgreSQL: one throwaway local cluster
// per test binary, started by the first test that asks for it (so that a
// package's pure tests run on a machine without server binaries), stopped
// by Main after the last test, and a fresh database per test.
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rehearse/rehearse/provider"
)

var (
	startOnce sync.Once
	shared    *provider.Instance
	startErr  error
	counter   atomic.Int64
)

// Main runs the tests and stops the shared cluster if one of them started
// it. Use it as `func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }`.
func Main(m *testing.M) int {
	code := m.Run()
	stopExtra()
	if shared != nil {
		if err := shared.Stop(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest: stop:", err)
		}
	}
	return code
}

// ServerDSN is the DSN of the shared cluster's postgres database, starting
// the cluster on first use. A machine without PostgreSQL binaries fails the
// test: tests that need a server are not optional.
func ServerDSN(t testing.TB) string {
	t.Helper()
	startOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		shared, startErr = provider.NewLocal().Start(ctx, provider.Config{
			Settings: map[string]string{"max_connections": "200", "fsync": "off"}})
	})
	if startErr != nil {
		t.Fatalf("pgtest: start local PostgreSQL: %v", startErr)
	}
	return shared.DSN
}

// NewDB creates an empty database for this test, dropped when the test ends,
// and returns its DSN.
func NewDB(t testing.TB) string {
	t.Helper()
	return newDBOn(t, ServerDSN(t))
}

func newDBOn(t testing.TB, server string) string {
	t.Helper()
	name := fmt.Sprintf("t%d_%s", counter.Add(1), sanitize(t.Name()))
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() { dropDB(t, server, name) })
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("pgtest: parse dsn: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

func dropDB(t testing.TB, server, name string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Errorf("pgtest: connect to drop %s: %v", name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Errorf("pgtest: drop database %s: %v", name, err)
	}
}

// Connect opens a connection to dsn that is closed when the test ends.
func Connect(t testing.TB, dsn string) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// Exec runs sql on dsn and fails the test on error.
func Exec(t testing.TB, dsn, sql string) {
	t.Helper()
	conn := Connect(t, dsn)
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatalf("pgtest: exec %q: %v", sql, err)
	}
}

func sanitize(name string) string {
	name = strings.ToLower(name)
	var b strings.Builder
	for _, r := range name {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	s := b.String()
	if len(s) > 40 {
		s = s[:40]
	}
	return s
}
