package result

import "strings"

// Names of phases (Phase.Name, the keys of Query.ByPhase), of the
// compatibility checks' after_step and of the migration's own workload.
// A step's phase is the step's name.
const (
	// PhaseBaseline is the traffic before the first step; it is also the
	// after_step of the compatibility check against the baseline schema.
	PhaseBaseline = "baseline"
	// PhaseCooldown is the traffic after the last step.
	PhaseCooldown = "cooldown"
	// RollbackPhasePrefix starts the phase name of each rollback step
	// ("rollback:drop_column").
	RollbackPhasePrefix = "rollback:"
	// AfterRollback is the after_step of the compatibility check that
	// follows the rollback steps.
	AfterRollback = "rollback"
	// WorkloadMigration is LockEvent.Workload of the migration's own waits.
	WorkloadMigration = "migration"
	// WorkloadOld and WorkloadNew are the two traffic workloads: the
	// application version before the migration and the one after it.
	WorkloadOld = "old"
	WorkloadNew = "new"
)

// IsTraffic reports whether a workload name (LockEvent.Workload) is
// application traffic rather than the migration or a background session.
func IsTraffic(workload string) bool { return workload == WorkloadOld || workload == WorkloadNew }

// IsStepPhase reports whether a phase name is a migration step's (neither
// baseline, cooldown nor a rollback step).
func IsStepPhase(name string) bool {
	return name != PhaseBaseline && name != PhaseCooldown && !strings.HasPrefix(name, RollbackPhasePrefix)
}
