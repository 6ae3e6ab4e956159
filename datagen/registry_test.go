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
