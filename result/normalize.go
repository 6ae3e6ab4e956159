package result

// Normalize replaces the nil lists of r with empty ones, so that the JSON
// contract has [] where there is nothing (scripts index into these arrays
// without checking for null). It changes r in place.
func (r *Result) Normalize() {
	empty(&r.Phases)
	empty(&r.Steps)
	empty(&r.Workloads)
	empty(&r.Data.Tables)
	empty(&r.LockWaits.Events)
	empty(&r.Verdict.Reasons)
	empty(&r.Verdict.Checks)
	for i := range r.Steps {
		r.Steps[i].normalize()
	}
	for i := range r.Rollback {
		r.Rollback[i].normalize()
	}
	for i := range r.Workloads {
		empty(&r.Workloads[i].Queries)
		empty(&r.Workloads[i].Timeline)
	}
	for i := range r.Background {
		empty(&r.Background[i].Runs)
	}
}

func (s *Step) normalize() {
	empty(&s.Locks)
	empty(&s.Rewrote)
	empty(&s.Scans)
}

func empty[T any](list *[]T) {
	if *list == nil {
		*list = []T{}
	}
}
