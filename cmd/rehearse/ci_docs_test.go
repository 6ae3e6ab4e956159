package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// docsBlock returns the fenced yaml block of docs/ci.md whose first line is
// the comment "# name".
func docsBlock(t *testing.T, name string) string {
	t.Helper()
	doc := readFile(t, "../../docs/ci.md")
	for _, block := range strings.Split(doc, "```yaml\n")[1:] {
		body, _, _ := strings.Cut(block, "```")
		if strings.HasPrefix(body, "# "+name+"\n") {
			return body
		}
	}
	t.Fatalf("docs/ci.md has no yaml block starting with # %s", name)
	return ""
}

var shardArg = regexp.MustCompile(`--shard (\$\{\{ [^}]* \}\}/\d+|\S+)`)

// TestDocsShardedWorkflow keeps the sharded GitHub Actions workflow of
// docs/ci.md valid: it parses, the fields it relies on are where GitHub
// reads them, and the matrix has as many shards as --shard says.
func TestDocsShardedWorkflow(t *testing.T) {
	t.Parallel()
	var wf struct {
		Name string         `yaml:"name"`
		On   map[string]any `yaml:"on"`
		Jobs map[string]struct {
			RunsOn   string `yaml:"runs-on"`
			Needs    any    `yaml:"needs"`
			If       string `yaml:"if"`
			Timeout  int    `yaml:"timeout-minutes"`
			Strategy struct {
				FailFast *bool            `yaml:"fail-fast"`
				Matrix   map[string][]int `yaml:"matrix"`
			} `yaml:"strategy"`
			Steps []struct {
				Name string         `yaml:"name"`
				Uses string         `yaml:"uses"`
				Run  string         `yaml:"run"`
				With map[string]any `yaml:"with"`
				If   string         `yaml:"if"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.UnmarshalWithOptions([]byte(docsBlock(t, ".github/workflows/rehearse-sharded.yml")), &wf, yaml.Strict()); err != nil {
		t.Fatalf("workflow: %v", err)
	}
	shard, merge := wf.Jobs["shard"], wf.Jobs["merge"]
	if wf.On["schedule"] == nil || shard.RunsOn == "" || merge.RunsOn == "" || fmt.Sprint(merge.Needs) != "shard" {
		t.Errorf("workflow lacks a schedule, runs-on, or merge needs: shard: %+v", wf)
	}
	shards := shard.Strategy.Matrix["shard"]
	var runs []string
	for _, s := range shard.Steps {
		if s.Uses == "" && s.Run == "" {
			t.Errorf("step %q neither uses nor runs", s.Name)
		}
		if m := shardArg.FindStringSubmatch(s.Run); m != nil {
			runs = append(runs, m[1])
		}
	}
	if want := fmt.Sprintf("${{ matrix.shard }}/%d", len(shards)); len(runs) != 1 || runs[0] != want {
		t.Errorf("--shard %v, want %s (the matrix lists %v)", runs, want, shards)
	}
	for i, s := range shards {
		if s != i+1 {
			t.Errorf("matrix shards %v, want 1..%d", shards, len(shards))
		}
	}
	if shard.Strategy.FailFast == nil || *shard.Strategy.FailFast {
		t.Error("fail-fast must be false: one failing shard must not cancel the others")
	}
}

// TestDocsIndexedJob keeps the Kubernetes Indexed Job of docs/ci.md
// valid: it parses (strictly, against the fields of batch/v1 Job it
// uses), is Indexed, and completions, parallelism and --shard agree.
func TestDocsIndexedJob(t *testing.T) {
	t.Parallel()
	type container struct {
		Name      string   `yaml:"name"`
		Image     string   `yaml:"image"`
		Command   []string `yaml:"command"`
		Args      []string `yaml:"args"`
		Resources struct {
			Requests map[string]string `yaml:"requests"`
		} `yaml:"resources"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
		} `yaml:"volumeMounts"`
	}
	var job struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
		Spec struct {
			CompletionMode       string `yaml:"completionMode"`
			Completions          int    `yaml:"completions"`
			Parallelism          int    `yaml:"parallelism"`
			BackoffLimitPerIndex *int   `yaml:"backoffLimitPerIndex"`
			MaxFailedIndexes     int    `yaml:"maxFailedIndexes"`
			Template             struct {
				Spec struct {
					RestartPolicy string      `yaml:"restartPolicy"`
					Containers    []container `yaml:"containers"`
					Volumes       []struct {
						Name                  string `yaml:"name"`
						PersistentVolumeClaim struct {
							ClaimName string `yaml:"claimName"`
						} `yaml:"persistentVolumeClaim"`
					} `yaml:"volumes"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	if err := yaml.UnmarshalWithOptions([]byte(docsBlock(t, "k8s/rehearse-nightly.yaml")), &job, yaml.Strict()); err != nil {
		t.Fatalf("job: %v", err)
	}
	s := job.Spec
	if job.APIVersion != "batch/v1" || job.Kind != "Job" || job.Metadata.Name == "" || s.CompletionMode != "Indexed" {
		t.Errorf("not an Indexed batch/v1 Job: %+v", job)
	}
	if rp := s.Template.Spec.RestartPolicy; rp != "Never" {
		t.Errorf("restartPolicy %q: a Job with backoffLimitPerIndex needs Never", rp)
	}
	if len(s.Template.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(s.Template.Spec.Containers))
	}
	c := s.Template.Spec.Containers[0]
	m := shardArg.FindStringSubmatch(strings.Join(c.Args, " "))
	if m == nil || m[1] != fmt.Sprint(s.Completions) || s.Parallelism != s.Completions || c.Image == "" {
		t.Errorf("--shard %v, completions %d, parallelism %d, image %q: want one N", m, s.Completions, s.Parallelism, c.Image)
	}
	if len(c.VolumeMounts) != 1 || len(s.Template.Spec.Volumes) != 1 || c.VolumeMounts[0].Name != s.Template.Spec.Volumes[0].Name {
		t.Error("the results volume is not mounted")
	}
}
