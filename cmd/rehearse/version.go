package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// version is set by release builds (-ldflags "-X main.version=v1.2.3");
// otherwise the module version from the build info is used, which is the
// tag for `go install ...@vX` and "(devel)" for a checkout.
var version = ""

// buildVersion is what a binary knows about itself.
type buildVersion struct {
	Version  string // v1.2.3, or (devel)
	Commit   string // VCS revision, "" when unknown; "+dirty" when modified
	Date     string // commit time, RFC 3339
	Go       string // Go version that built it
	Platform string // GOOS/GOARCH
}

func readBuildVersion() buildVersion {
	v := buildVersion{Version: version}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		if v.Version == "" {
			v.Version = "(unknown)"
		}
		return v
	}
	if v.Version == "" {
		v.Version = info.Main.Version
	}
	v.Go = info.GoVersion
	var goos, goarch string
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.time":
			v.Date = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		}
	}
	if modified && v.Commit != "" {
		v.Commit += "+dirty"
	}
	if goos != "" {
		v.Platform = goos + "/" + goarch
	}
	return v
}

// versionString is the one-line version: "rehearse v1.2.3 (commit 1a2b3c4d5e6f, go1.26.8)".
func versionString() string {
	v := readBuildVersion()
	var extra []string
	if v.Commit != "" {
		extra = append(extra, "commit "+shortCommit(v.Commit))
	}
	if v.Go != "" {
		extra = append(extra, v.Go)
	}
	if len(extra) == 0 {
		return "rehearse " + v.Version
	}
	return fmt.Sprintf("rehearse %s (%s)", v.Version, strings.Join(extra, ", "))
}

// toolVersion is the version recorded in results: "v1.2.3" or "(devel) 1a2b3c4d5e6f".
func toolVersion() string {
	v := readBuildVersion()
	if v.Commit == "" {
		return v.Version
	}
	return v.Version + " " + shortCommit(v.Commit)
}

// shortCommit keeps 12 hex digits and a "+dirty" mark.
func shortCommit(c string) string {
	hash, dirty, _ := strings.Cut(c, "+")
	out := hash[:min(12, len(hash))]
	if dirty != "" {
		out += "+" + dirty
	}
	return out
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and Go version of this binary",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := readBuildVersion()
			w := cmd.OutOrStdout()
			fmt.Fprintln(w, "rehearse", v.Version)
			for _, kv := range [][2]string{{"commit", v.Commit}, {"date", v.Date}, {"go", v.Go}, {"platform", v.Platform}} {
				if kv[1] != "" {
					fmt.Fprintf(w, "  %-9s %s\n", kv[0]+":", kv[1])
				}
			}
			return nil
		},
	}
}
