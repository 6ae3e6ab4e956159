package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/rehearse/rehearse/provider"
)

// interrupts turns the first Ctrl-C or SIGTERM into a cancelled context, so
// the rehearsal stops traffic, writes its partial result and removes the
// server in order. A second one kills the servers at once and exits 2: the
// user asked twice, and must not be left with a running PostgreSQL either way.
type interrupts struct {
	mu        sync.Mutex
	instances []*provider.Instance
	stderr    io.Writer
	exit      func(code int)
}

type interruptsKey struct{}

// withInterrupts returns a context cancelled by the first signal; stop
// releases the signal handler.
func withInterrupts(parent context.Context, stderr io.Writer) (ctx context.Context, stop func()) {
	in := &interrupts{stderr: stderr, exit: os.Exit}
	ctx, cancel := context.WithCancel(context.WithValue(parent, interruptsKey{}, in))
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go in.watch(signals, cancel, done)
	return ctx, func() {
		signal.Stop(signals)
		close(done)
		cancel()
	}
}

func (in *interrupts) watch(signals <-chan os.Signal, cancel context.CancelFunc, done <-chan struct{}) {
	select {
	case sig := <-signals:
		fmt.Fprintf(in.stderr, "\nrehearse: %v: stopping traffic and removing the server (again to force)\n", sig)
		cancel()
	case <-done:
		return
	}
	select {
	case <-signals:
		fmt.Fprintln(in.stderr, "rehearse: forced exit: killing the server")
		in.killAll()
		in.exit(exitCannotRun)
	case <-done:
	}
}

// track remembers a started server so that a forced exit can kill it.
func (in *interrupts) track(inst *provider.Instance) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.instances = append(in.instances, inst)
}

func (in *interrupts) killAll() {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, inst := range in.instances {
		inst.Kill()
	}
}

// trackStarted returns the callback for rehearse.WithStarted, or a no-op
// when ctx carries no interrupt handler (tests).
func trackStarted(ctx context.Context) func(*provider.Instance) {
	if in, ok := ctx.Value(interruptsKey{}).(*interrupts); ok {
		return in.track
	}
	return func(*provider.Instance) {}
}
