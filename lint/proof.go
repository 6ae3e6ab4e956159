package lint

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rehearse/rehearse/internal/pglock"
)

// Effect is what a finding claims a statement does beside taking its lock,
// in terms a rehearsal measures.
type Effect string

// Effects a finding can claim.
const (
	// EffectNone: the claim is the lock alone.
	EffectNone Effect = ""
	// EffectRewrite: the relation is rewritten (its relfilenode changes).
	EffectRewrite Effect = "rewrite"
	// EffectScan: the relation is read sequentially while the lock is held.
	EffectScan Effect = "scan"
	// EffectFails: the statement fails with the finding's SQLState.
	EffectFails Effect = "fails"
	// EffectBreaks: queries of the running code fail once the statement ran.
	EffectBreaks Effect = "breaks"
	// EffectQueues: the statement waits for a lock another session holds,
	// and queries on the relation queue behind it.
	EffectQueues Effect = "queues"
	// EffectHeld: Lock, taken by an earlier statement of the transaction,
	// is still held while this one runs.
	EffectHeld Effect = "held"
)

// Measured is what a rehearsal or a proof saw one statement do.
type Measured struct {
	// Ran is false when the statement did not run (an earlier one failed,
	// or the rehearsal stopped): nothing can be confirmed.
	Ran bool
	// Locks is the strongest lock the session held on each relation right
	// after the statement, and Before the same right before it; nil when
	// they were not traced. A statement's own lock is hidden when an
	// earlier statement of its transaction took one as strong.
	Locks, Before map[string]pglock.Mode
	// Rewrote and Scanned are the relations rewritten and read
	// sequentially; nil when not traced.
	Rewrote, Scanned []string
	// SQLState is the statement's error code; "" when it succeeded.
	SQLState string
	// Broke says whether queries of the running code failed after the
	// statement; nil when none ran.
	Broke *bool
	// Queued says whether the statement waited for a lock and another
	// session queued behind it; nil when not observed.
	Queued *bool
}

// Proof is how a finding compares with a measurement.
type Proof string

// Proofs.
const (
	// Confirmed: what was measured agrees with every claim that could be
	// measured, and at least one could.
	Confirmed Proof = "confirmed"
	// Mismatch: the rule said one thing and the measurement saw another; a
	// bug in the rule or in the measurement.
	Mismatch Proof = "mismatch"
	// NotExercised: nothing the finding claims was measured.
	NotExercised Proof = "not exercised"
)

// Check compares the finding's claims (Lock on Relation, Effect, SQLState)
// with what was measured, and says what agreed or not.
func (f Finding) Check(m Measured) (Proof, string) {
	if !m.Ran {
		return NotExercised, "the statement did not run"
	}
	var agreed, differed []string
	note := func(ok bool, what string) {
		if ok {
			agreed = append(agreed, what)
		} else {
			differed = append(differed, what)
		}
	}
	if f.Effect == EffectFails {
		note(m.SQLState == f.SQLState, fmt.Sprintf("fails with %s (measured %q)", f.SQLState, m.SQLState))
	} else if m.SQLState != "" {
		return NotExercised, "the statement failed with " + m.SQLState
	}
	if f.Lock != "" && m.Locks != nil && f.Effect != EffectFails {
		got, claim := m.Locks[f.Relation], pglock.Parse(f.Lock)
		if f.Effect == EffectHeld || m.Before[f.Relation] < claim {
			note(got == claim, fmt.Sprintf("%s on %s (measured %s)", f.Lock, f.Relation, orNone(got.String())))
		}
	}
	switch f.Effect {
	case EffectRewrite:
		if m.Rewrote != nil {
			note(slices.Contains(m.Rewrote, f.Relation), "rewrites "+f.Relation)
		}
	case EffectScan:
		if m.Scanned != nil {
			note(slices.Contains(m.Scanned, f.Relation), "scans "+f.Relation)
		}
	case EffectBreaks:
		if m.Broke != nil {
			note(*m.Broke, "breaks running queries")
		}
	case EffectQueues:
		if m.Queued != nil {
			note(*m.Queued, "waits and queues others")
		}
	}
	switch {
	case len(differed) > 0:
		return Mismatch, "claimed " + strings.Join(differed, "; ")
	case len(agreed) > 0:
		return Confirmed, strings.Join(agreed, "; ")
	}
	return NotExercised, "none of its claims was measured"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
