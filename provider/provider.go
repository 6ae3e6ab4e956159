// Package provider starts and stops the disposable PostgreSQL a rehearsal runs
// on. Every implementation hands back an Instance whose Stop removes everything
// the provider created.
package provider

import (
	"context"
	"io"
	"sync"
)

// Config is what a rehearsal asks of a provider.
type Config struct {
	// Settings are server settings (`-c key=value`); providers that cannot apply
	// them (dsn) say so in Instance.Warnings.
	Settings map[string]string
	// Version is the wanted major version ("15"); "" takes what is available.
	Version string
	// Image is the container image (container provider only).
	Image string
	// Replica asks for a streaming standby beside the server
	// (Instance.ReplicaDSN); providers that cannot start one return an error.
	Replica bool
	// Log receives one-line progress messages; nil discards them.
	Log io.Writer
}

// Instance is a running server. Stop must be called exactly once on every
// exit path; it is safe to call from another goroutine than Start's.
type Instance struct {
	// DSN connects as a superuser to a database the rehearsal may change.
	DSN string
	// ReplicaDSN connects to the streaming standby (read-only) when
	// Config.Replica asked for one; "" otherwise. Stop, Kill and Leftovers
	// cover the standby too.
	ReplicaDSN string
	// Provider names the implementation: "local", "container" or "dsn".
	Provider string
	// Settings are the settings actually passed to the server.
	Settings map[string]string
	// Warnings are things the user should know, such as settings not applied.
	Warnings []string
	// Leftovers, when set, lists what of this instance still exists (processes,
	// directories, containers); after Stop it must return nothing.
	Leftovers func() []string

	stop     func(ctx context.Context) error
	stopOnce sync.Once
	stopErr  error
	// kill, when set, ends the server at once; see Kill.
	kill func()
	// snapshot, when set, copies the server's data directory; see Snapshot.
	snapshot func(ctx context.Context, dst string) (int64, error)
}

// NewInstance returns an Instance whose Stop calls stop (nil: nothing to stop).
func NewInstance(dsn, providerName string, settings map[string]string, stop func(ctx context.Context) error) *Instance {
	return &Instance{DSN: dsn, Provider: providerName, Settings: settings, stop: stop}
}

// Stop shuts the server down and removes what the provider created. Later
// calls return the first call's error without doing anything.
func (i *Instance) Stop(ctx context.Context) error {
	if i == nil || i.stop == nil {
		return nil
	}
	i.stopOnce.Do(func() { i.stopErr = i.stop(ctx) })
	return i.stopErr
}

// SetKill sets what Kill does; providers call it before returning the instance.
func (i *Instance) SetKill(kill func()) { i.kill = kill }

// Kill ends the server at once and removes what the provider created, without
// a clean shutdown: for a forced exit. It is safe to call while Stop runs.
func (i *Instance) Kill() {
	if i != nil && i.kill != nil {
		i.kill()
	}
}

// Provider starts a PostgreSQL server for one rehearsal.
type Provider interface {
	// Start returns a ready server. On error nothing is left running.
	Start(ctx context.Context, cfg Config) (*Instance, error)
}

// Func adapts a function to the Provider interface.
type Func func(ctx context.Context, cfg Config) (*Instance, error)

// Start calls f.
func (f Func) Start(ctx context.Context, cfg Config) (*Instance, error) { return f(ctx, cfg) }
