// Package autoscenario builds a rehearsal from a migration directory alone,
// with nothing written by hand: the pending files (changed since a git ref,
// after a version, or the last file) are the migration and everything before
// them the baseline; every baseline table gets rows; the old code's traffic
// is the statements applications and ORMs send to the tables the pending
// files touch, inferred from the baseline schema, and the new code's the same
// against the schema after the migration. The result is an ordinary
// scenarios.Scenario, so rehearse.Run runs it as it runs a scenario file,
// and Plan.YAML writes it as one (rehearse init).
//
// It reads files and the git binary only; it never talks to a database.
// What it infers is read from the SQL as written (scenarios.Catalog and the
// constraints and indexes of the statements); datagen still fills each
// column from the live catalog.
package autoscenario
