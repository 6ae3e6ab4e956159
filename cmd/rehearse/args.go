package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// rootArgs checks the root command's arguments: none (usage is printed),
// or one scenario file or directory. A first argument that is no file but
// looks like a misspelled subcommand gets the subcommand suggested, not
// "no such file".
func rootArgs(cmd *cobra.Command, args []string) error {
	if len(args) >= 1 {
		if err := unknownCommand(cmd, args[0]); err != nil {
			return err
		}
	}
	if len(args) > 1 {
		return fmt.Errorf("rehearse takes one scenario file, got %d arguments (%s); rehearse several with `rehearse suite %s --out DIR`",
			len(args), strings.Join(args, " "), strings.Join(args, " "))
	}
	return nil
}

// unknownCommand returns an error suggesting a subcommand when word is
// not a path that exists and a subcommand is spelled like it.
func unknownCommand(cmd *cobra.Command, word string) error {
	if _, err := os.Stat(word); err == nil || strings.ContainsAny(word, "./\\") {
		return nil
	}
	suggestions := cmd.SuggestionsFor(word)
	if len(suggestions) == 0 {
		return fmt.Errorf("unknown command %q (and no such scenario file); see rehearse --help", word)
	}
	return fmt.Errorf("unknown command %q; did you mean %s?", word, orList(suggestions))
}

// exactArgs is cobra.ExactArgs with a message that names what is expected:
// "lint needs a FILE or DIR argument", "report takes one RESULT.json, got 2: a b".
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) == n:
			return nil
		case len(args) == 0:
			return fmt.Errorf("%s needs %s; see rehearse %s --help", cmd.Name(), what, cmd.Name())
		}
		return fmt.Errorf("%s takes %s, got %d arguments: %s", cmd.Name(), what, len(args), strings.Join(args, " "))
	}
}

// minArgs is cobra.MinimumNArgs(1) with a message naming what is expected.
func minArgs(what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return fmt.Errorf("%s needs %s; see rehearse %s --help", cmd.Name(), what, cmd.Name())
		}
		return nil
	}
}

func orList(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = "`rehearse " + w + "`"
	}
	if len(quoted) == 1 {
		return quoted[0]
	}
	return strings.Join(quoted[:len(quoted)-1], ", ") + " or " + quoted[len(quoted)-1]
}
