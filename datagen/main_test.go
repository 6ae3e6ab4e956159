package datagen

import (
	"os"
	"testing"

	"github.com/rehearse/rehearse/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
