package reports

import (
	"fmt"
	"sort"

	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/result"
)

// The replication section of a single result (postgres.replica): the
// standby's largest lag and the WAL written per phase. Text calls
// printer.replication and Markdown mdWriter.replication after the lock waits.

// replicationSummary is one line: standbys, the largest lag, the WAL.
func replicationSummary(rep *result.Replication) string {
	if rep.Standbys == 0 {
		return fmt.Sprintf("no standby was streaming; WAL written %s", human.Bytes(rep.WALBytes))
	}
	s := fmt.Sprintf("max replay lag %s", human.MS(rep.MaxReplayLagMS))
	if rep.MaxReplayLagPhase != "" && rep.MaxReplayLagMS > 0 {
		s += " in phase " + rep.MaxReplayLagPhase
	}
	s += fmt.Sprintf(", at most %s behind; WAL written %s (sampled every %s)", human.Bytes(rep.MaxLagBytes),
		human.Bytes(rep.WALBytes), human.MS(rep.IntervalMS))
	if rep.Error != "" {
		s += "; sampling stopped early: " + rep.Error
	}
	return s
}

// walByPhase lists the phases in the order they ran (phases the result
// does not list come last, by name) with the WAL written in each.
func walByPhase(r *result.Result) [][2]string {
	rep := r.Replication
	var rows [][2]string
	seen := map[string]bool{}
	for _, ph := range r.Phases {
		if b, ok := rep.WALBytesByPhase[ph.Name]; ok && !seen[ph.Name] {
			seen[ph.Name] = true
			rows = append(rows, [2]string{ph.Name, human.Bytes(b)})
		}
	}
	var rest []string
	for name := range rep.WALBytesByPhase {
		if !seen[name] {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	for _, name := range rest {
		rows = append(rows, [2]string{name, human.Bytes(rep.WALBytesByPhase[name])})
	}
	return rows
}

func (p *printer) replication(r *result.Result) {
	if r.Replication == nil {
		return
	}
	p.printf("\nStandby: %s\n", replicationSummary(r.Replication))
	rows := walByPhase(r)
	if len(rows) == 0 {
		return
	}
	table := make([][]string, len(rows))
	for i, row := range rows {
		table[i] = []string{row[0], row[1]}
	}
	p.table([]string{"phase", "WAL written"}, table)
}

func (m *mdWriter) replication(r *result.Result) {
	if r.Replication == nil {
		return
	}
	m.printf("#### Standby\n\n%s.\n\n", mdText(replicationSummary(r.Replication), m.lim.cell*2))
	rows := walByPhase(r)
	if len(rows) == 0 {
		return
	}
	shown := rows[:min(len(rows), m.lim.rows)]
	table := make([][]string, len(shown))
	for i, row := range shown {
		table[i] = []string{"`" + mdCode(row[0], 60) + "`", row[1]}
	}
	m.table([]string{"phase", "WAL written"}, "lr", table)
	m.more(len(rows)-len(shown), "phases")
	m.printf("\n")
}
