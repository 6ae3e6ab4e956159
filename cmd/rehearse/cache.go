package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rehearse/rehearse/internal/dscache"
	"github.com/rehearse/rehearse/internal/human"
	"github.com/rehearse/rehearse/provider"
	"github.com/rehearse/rehearse/rehearse"
)

// noCacheEnv set to a non-empty value other than 0 or false does what
// --no-cache does, for CI jobs and scripts.
const noCacheEnv = "REHEARSE_NO_CACHE"

// cacheOption turns the dataset cache on (in dscache.DefaultDir) unless
// --no-cache or $REHEARSE_NO_CACHE says otherwise.
func cacheOption(stderr io.Writer, off bool) rehearse.Option {
	if v := os.Getenv(noCacheEnv); v != "" && v != "0" && v != "false" {
		off = true
	}
	if off {
		return rehearse.WithoutCache()
	}
	dir, err := dscache.DefaultDir()
	if err != nil {
		fmt.Fprintf(stderr, "warning: %v; rehearsing without the dataset cache\n", err)
		return rehearse.WithoutCache()
	}
	return rehearse.WithCache(dir)
}

func newCacheCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "List or prune the dataset cache",
		Long: `A rehearsal saves the dataset it loaded in the dataset cache: the data
directory after the load (local provider), or an image holding it
(container provider: rehearse-dataset:TAG). A later rehearsal of a scenario
with the same schema, data spec, seed and PostgreSQL version (or image)
starts on a copy of it instead of generating the data again. --no-cache (or
$` + noCacheEnv + `=1) skips it. The cache is $` + dscache.DirEnv + `, else
$XDG_CACHE_HOME/rehearse, else ~/.cache/rehearse.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newCacheLsCmd(), newCachePruneCmd())
	return cmd
}

func openCache() (*dscache.Cache, error) {
	dir, err := dscache.DefaultDir()
	if err != nil {
		return nil, err
	}
	return dscache.Open(dir)
}

func newCacheLsCmd() *cobra.Command {
	var asJSON bool
	var format string
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the cached datasets, most recently used first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := openCache()
			if err != nil {
				return cannotRun(err)
			}
			entries, err := c.List()
			if err != nil {
				return cannotRun(err)
			}
			switch {
			case format != "text" && format != "json":
				return cannotRun(fmt.Errorf("unknown --format %q: use text or json", format))
			case asJSON || format == "json":
				return cannotRunIf(printEntriesJSON(cmd.OutOrStdout(), c.Dir(), entries))
			}
			return cannotRunIf(printEntries(cmd.OutOrStdout(), c.Dir(), entries))
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "text", "output: text or json")
	// --json was the spelling before --format; kept for scripts, hidden.
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the entries as JSON (same as --format json)")
	_ = cmd.Flags().MarkDeprecated("json", "use --format json")
	return cmd
}

func cannotRunIf(err error) error {
	if err != nil {
		return cannotRun(err)
	}
	return nil
}

func printEntries(w io.Writer, dir string, entries []dscache.Entry) error {
	if len(entries) == 0 {
		_, err := fmt.Fprintf(w, "no cached datasets in %s\n", dir)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tSCENARIO\tROWS\tSIZE\tSAVED\tLAST USED\tPOSTGRES")
	var total int64
	for _, e := range entries {
		total += e.SizeBytes
		version := e.ServerVersion
		if e.Image != "" {
			version += " (image " + e.Image + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Key[:min(12, len(e.Key))], e.Scenario, human.Count(e.Rows()),
			human.Bytes(e.SizeBytes), localTime(e.Created), localTime(e.LastUsed), version)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%s, %s in %s\n", plural(len(entries), "dataset"), human.Bytes(total), dir)
	return err
}

func localTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

type jsonEntry struct {
	dscache.Meta
	Dir      string    `json:"dir"`
	LastUsed time.Time `json:"last_used"`
}

func printEntriesJSON(w io.Writer, dir string, entries []dscache.Entry) error {
	out := struct {
		Dir     string      `json:"dir"`
		Entries []jsonEntry `json:"entries"`
	}{Dir: dir, Entries: []jsonEntry{}}
	for _, e := range entries {
		out.Entries = append(out.Entries, jsonEntry{Meta: e.Meta, Dir: e.Dir, LastUsed: e.LastUsed})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func newCachePruneCmd() *cobra.Command {
	var olderThan, maxSize string
	var all bool
	cmd := &cobra.Command{
		Use:   "prune [--older-than 7d] [--max-size 10GB] [--all]",
		Short: "Remove cached datasets by age or total size",
		Long: `prune removes the datasets not used for longer than --older-than, then the
least recently used until the rest fit in --max-size (sizes in KB, MB, GB,
TB: powers of 1000; KiB, MiB, GiB, TiB: powers of 1024), or with --all every
one. A dataset a running rehearsal is copying is kept. The container
provider's image of a dataset is removed with it, unless a container still
uses it (then both stay). What rehearsals that died while saving left behind
is removed too.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := pruneOptions(olderThan, maxSize, all)
			if err != nil {
				return cannotRun(err)
			}
			c, err := openCache()
			if err != nil {
				return cannotRun(err)
			}
			opts.Release = releaseImage(cmd.Context())
			res, err := c.Prune(opts)
			printPruned(cmd.OutOrStdout(), c.Dir(), res)
			return cannotRunIf(err)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&olderThan, "older-than", "", "remove datasets not used for this long (`AGE`: 7d, 36h, 90m)")
	fl.StringVar(&maxSize, "max-size", "", "then remove the least recently used until the rest total at most `SIZE` (10GB, 500MB)")
	fl.BoolVar(&all, "all", false, "remove every dataset")
	return cmd
}

func pruneOptions(olderThan, maxSize string, all bool) (dscache.PruneOptions, error) {
	o := dscache.PruneOptions{All: all}
	if olderThan == "" && maxSize == "" && !all {
		return o, errors.New("cache prune: give --older-than, --max-size or --all")
	}
	var err error
	if olderThan != "" {
		if o.OlderThan, err = dscache.ParseAge(olderThan); err != nil {
			return o, fmt.Errorf("--older-than: %w", err)
		}
	}
	if maxSize != "" {
		if o.MaxSize, err = dscache.ParseSize(maxSize); err != nil {
			return o, fmt.Errorf("--max-size: %w", err)
		}
		if o.MaxSize == 0 {
			return o, errors.New("--max-size: 0 would remove everything; use --all")
		}
	}
	return o, nil
}

// releaseImage removes the image of an entry the container provider saved
// before prune removes the entry; a container still using it keeps both.
func releaseImage(ctx context.Context) func(dataDir string) error {
	return func(dataDir string) error {
		err := provider.RemoveDatasetImage(ctx, provider.DatasetImageTag(dataDir))
		if errors.Is(err, provider.ErrDatasetImageInUse) {
			return fmt.Errorf("%w: %w", dscache.ErrInUse, err)
		}
		return err
	}
}

func printPruned(w io.Writer, dir string, res dscache.Pruned) {
	size := func(es []dscache.Entry) string {
		var n int64
		for _, e := range es {
			n += e.SizeBytes
		}
		return human.Bytes(n)
	}
	fmt.Fprintf(w, "removed %s (%s), kept %d (%s) in %s\n", plural(len(res.Removed), "dataset"), size(res.Removed),
		len(res.Kept)+len(res.InUse), size(append(res.Kept, res.InUse...)), dir)
	if len(res.InUse) > 0 {
		verb := "were"
		if len(res.InUse) == 1 {
			verb = "was"
		}
		fmt.Fprintf(w, "%s %s in use by a running rehearsal and kept\n", plural(len(res.InUse), "dataset"), verb)
	}
	if res.Leftovers > 0 {
		fmt.Fprintf(w, "removed %d unfinished saves of rehearsals that stopped\n", res.Leftovers)
	}
}
