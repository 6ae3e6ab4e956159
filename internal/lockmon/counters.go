package lockmon

import (
	"context"
	"fmt"

	"github.com/rehearse/rehearse/result"
)

// counterSQL builds the query of the server's cumulative counters for a
// server version: checkpoints and buffers (pg_stat_bgwriter, from 17
// pg_stat_checkpointer), WAL (pg_stat_wal, 14+; its sync count ends in 18),
// I/O totals (pg_stat_io, 16+) and temporary files of this database.
func counterSQL(versionNum int) string {
	ckpt := "SELECT checkpoints_timed, checkpoints_req, buffers_checkpoint, buffers_backend FROM pg_stat_bgwriter"
	if versionNum >= 170000 {
		ckpt = "SELECT num_timed, num_requested, buffers_written, NULL::bigint FROM pg_stat_checkpointer"
	}
	wal := "SELECT NULL::bigint, NULL::bigint"
	switch {
	case versionNum >= 180000:
		wal = "SELECT wal_bytes::bigint, NULL::bigint FROM pg_stat_wal"
	case versionNum >= 140000:
		wal = "SELECT wal_bytes::bigint, wal_sync FROM pg_stat_wal"
	}
	io := "SELECT NULL::bigint, NULL::bigint, NULL::bigint"
	if versionNum >= 160000 {
		io = "SELECT sum(reads)::bigint, sum(writes)::bigint, sum(fsyncs)::bigint FROM pg_stat_io"
	}
	return fmt.Sprintf(`SELECT c.*, w.*, i.*, d.temp_files, d.temp_bytes
FROM (%s) c(a, b, c2, d2), (%s) w(a, b), (%s) i(a, b, c),
     (SELECT temp_files, temp_bytes FROM pg_stat_database WHERE datname = current_database()) d`, ckpt, wal, io)
}

// counters is one reading of the server's counters.
type counters struct {
	ckptTimed, ckptReq, bufCkpt, bufBackend *int64
	walBytes, walSync                       *int64
	ioReads, ioWrites, ioFsyncs             *int64
	tempFiles, tempBytes                    int64
}

func (m *Monitor) readCounters(ctx context.Context) (counters, error) {
	var c counters
	err := m.conn.QueryRow(ctx, m.counterQuery).Scan(&c.ckptTimed, &c.ckptReq, &c.bufCkpt, &c.bufBackend,
		&c.walBytes, &c.walSync, &c.ioReads, &c.ioWrites, &c.ioFsyncs, &c.tempFiles, &c.tempBytes)
	if err != nil {
		return c, fmt.Errorf("read server counters: %w", err)
	}
	return c, nil
}

// phaseCounters are the readings at phase boundaries.
type phaseCounters struct {
	phases   []string
	readings []counters // readings[i] at the start of phases[i]; one more at the end
}

// markPhase reads the counters when the phase changed since the last
// reading. A failed reading is skipped: counters are not worth a sample.
func (m *Monitor) markPhase(ctx context.Context, phase string) {
	pc := &m.counters
	if len(pc.phases) > 0 && pc.phases[len(pc.phases)-1] == phase {
		return
	}
	c, err := m.readCounters(ctx)
	if err != nil {
		return
	}
	pc.phases = append(pc.phases, phase)
	pc.readings = append(pc.readings, c)
}

// endCounters takes the final reading, on a connection still open.
func (m *Monitor) endCounters(ctx context.Context) {
	if len(m.counters.phases) == 0 {
		return
	}
	if c, err := m.readCounters(ctx); err == nil {
		m.counters.readings = append(m.counters.readings, c)
	}
}

// report is the difference of the counters over each phase. A phase
// entered twice (it does not happen in a rehearsal) is summed.
func (pc *phaseCounters) report() []result.ServerCounters {
	var out []result.ServerCounters
	for i, phase := range pc.phases {
		if i+1 >= len(pc.readings) {
			break
		}
		a, b := pc.readings[i], pc.readings[i+1]
		out = append(out, result.ServerCounters{Phase: phase,
			CheckpointsTimed: diff(a.ckptTimed, b.ckptTimed), CheckpointsRequested: diff(a.ckptReq, b.ckptReq),
			BuffersCheckpoint: diff(a.bufCkpt, b.bufCkpt), BuffersBackend: diff(a.bufBackend, b.bufBackend),
			WALBytes: diff(a.walBytes, b.walBytes), WALSync: diff(a.walSync, b.walSync),
			IOReads: diff(a.ioReads, b.ioReads), IOWrites: diff(a.ioWrites, b.ioWrites), IOFsyncs: diff(a.ioFsyncs, b.ioFsyncs),
			TempFiles: b.tempFiles - a.tempFiles, TempBytes: b.tempBytes - a.tempBytes})
	}
	return out
}

func diff(a, b *int64) *int64 {
	if a == nil || b == nil {
		return nil
	}
	d := *b - *a
	return &d
}
