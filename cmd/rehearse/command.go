package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rehearse/rehearse/provider"
)

// commandLine is the command that reproduces a rehearsal of the scenario
// at path: "rehearse", the path, and the flags set on cmd (in name order),
// less those in skip. A password in --dsn is redacted.
func commandLine(cmd *cobra.Command, path string, skip map[string]bool) string {
	parts := []string{"rehearse", shellQuote(path)}
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		if skip[fl.Name] {
			return
		}
		val := fl.Value.String()
		if fl.Name == "dsn" {
			val = provider.Redact(val)
		}
		if fl.Value.Type() == "bool" {
			if val == "true" {
				parts = append(parts, "--"+fl.Name)
			} else {
				parts = append(parts, "--"+fl.Name+"=false")
			}
			return
		}
		parts = append(parts, "--"+fl.Name, shellQuote(val))
	})
	return strings.Join(parts, " ")
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// characters that need no quoting.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
