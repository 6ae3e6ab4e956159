package scenarios

import "github.com/rehearse/rehearse/internal/problem"

// Pos is a position in a file the user edits. Line and Col are 1-based; Col
// counts characters (runes), as editors do. Zero values mean unknown.
type Pos = problem.Pos

// Problem is one thing wrong with a scenario (or a migration file it reads),
// located in the file the user edits.
type Problem = problem.Problem

// Error is returned by Load and Parse when a scenario is invalid. It holds
// every problem found, so that a user can fix them all in one go.
type Error = problem.Error

// newError builds an *Error from problems, or returns nil when there are none.
func newError(problems []Problem, mainFile string) error { return problem.New(problems, mainFile) }
