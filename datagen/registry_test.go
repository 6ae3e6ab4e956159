package datagen

import (
	"slices"
	"testing"

	"github.com/rehearse/rehearse/scenarios"
)

// The scenario validator keeps its own list of generator names because it
// must not import this package (and pgx with it); the two lists must agree.
func TestValidatorKnowsExactlyOurGenerators(t *testing.T) {
	t.Parallel()
	if got, want := scenarios.GeneratorNames, GeneratorNames(); !slices.Equal(got, want) {
		t.Errorf("scenarios.GeneratorNames = %v\ndatagen.GeneratorNames() = %v", got, want)
	}
}

func TestValidatorKnowsExactlyOurDistributionsAndVacuumModes(t *testing.T) {
	t.Parallel()
	dists := []string{DistUniform, DistZipf, DistNormal, DistSequential, DistHot, DistRecent, DistStats}
	if !slices.Equal(scenarios.DistNames, dists) {
		t.Errorf("scenarios.DistNames = %v, datagen has %v", scenarios.DistNames, dists)
	}
	for _, d := range dists {
		if _, err := distOf(&scenarios.ValueSpec{Dist: d}); err != nil {
			t.Errorf("dist %s: %v", d, err)
		}
	}
	if modes := []string{VacuumFreeze, VacuumPlain, VacuumNone}; !slices.Equal(scenarios.VacuumModes, modes) {
		t.Errorf("scenarios.VacuumModes = %v, datagen has %v", scenarios.VacuumModes, modes)
	}
}
