package loadgen

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Reconnection policy of a worker whose connection broke.
const (
	reconnectAttempts = 5
	reconnectBackoff  = 50 * time.Millisecond // doubled after each failure
	maxBackoff        = time.Second
	connectTimeout    = 5 * time.Second // per attempt
)

// worker executes queued requests on the one connection of the pool it owns.
type worker struct {
	r      *Run
	conn   *pgx.Conn // nil after a failed reconnection
	serial int64     // conn's number among the run's connections
}

// loop runs until the queue is closed and drained, or ctx is cancelled (by
// Stop giving up), then closes the connection.
func (w *worker) loop(ctx context.Context) {
	defer func() {
		if w.conn != nil {
			closeConn(w.conn)
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case j, ok := <-w.r.queue:
			if !ok {
				return
			}
			w.handle(ctx, j)
		}
	}
}

func (w *worker) handle(ctx context.Context, j job) {
	if ctx.Err() != nil { // select picked the job over the cancellation
		w.r.c.unsent.Add(1)
		return
	}
	o := outcome{query: j.query, phase: j.phase, due: w.r.start.Add(j.due), err: j.argErr}
	if o.err == nil {
		o.err = w.ensureConn(ctx)
	}
	if o.err != nil {
		if ctx.Err() != nil {
			w.r.c.unsent.Add(1)
			return
		}
		o.sent = time.Now()
		o.done = o.sent
		w.r.rec.record(o)
		return
	}
	o.sent = time.Now()
	o.conn = w.serial
	o.stmts, o.err = w.exec(ctx, j)
	o.done = time.Now()
	if o.err != nil && ctx.Err() != nil {
		w.r.c.cancelled.Add(1)
		return
	}
	w.r.rec.record(o)
	if o.err != nil && w.conn.IsClosed() {
		// Reconnect now rather than when the next request is already waiting;
		// a failure is retried before that request.
		_ = w.ensureConn(ctx)
	}
}

// ensureConn makes sure the worker has an open connection, reconnecting with
// bounded, growing pauses.
func (w *worker) ensureConn(ctx context.Context) error {
	if w.conn != nil && !w.conn.IsClosed() {
		return nil
	}
	if w.conn != nil {
		closeConn(w.conn)
		w.conn = nil
	}
	var err error
	pause := reconnectBackoff
	for attempt := range reconnectAttempts {
		if attempt > 0 && !sleepCtx(ctx, pause) {
			return ctx.Err()
		}
		pause = min(2*pause, maxBackoff)
		if w.conn, err = w.connect(ctx); err == nil {
			w.serial = w.r.connSerial.Add(1)
			w.r.c.reconnects.Add(1)
			return nil
		}
		w.r.c.connectFailures.Add(1)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return fmt.Errorf("reconnect (%d attempts): %w", reconnectAttempts, err)
}

func (w *worker) connect(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	return pgx.ConnectConfig(ctx, w.r.cfg)
}

// sleepCtx waits d; false if ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
