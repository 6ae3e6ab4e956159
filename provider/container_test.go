package provider_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/moby/moby/client"

	"github.com/rehearse/rehearse/internal/testimage"
	"github.com/rehearse/rehearse/provider"
)

func TestMain(m *testing.M) {
	// Before anything touches testcontainers, which reads its settings once.
	testimage.SetEnv()
	os.Exit(m.Run())
}

// containerImage returns the image container tests start (testimage.Require).
func containerImage(t *testing.T) string { return testimage.Require(t) }

func TestImageFor(t *testing.T) {
	for _, tc := range []struct {
		override string
		cfg      provider.Config
		want     string
	}{
		{"", provider.Config{}, provider.DefaultImage},
		{"", provider.Config{Version: "16"}, "postgres:16-alpine"},
		{"", provider.Config{Version: "15.4"}, "postgres:15.4-alpine"},
		{"", provider.Config{Version: "16", Image: "postgres:16.4-bookworm"}, "postgres:16.4-bookworm"},
		{"my/pg:13", provider.Config{Version: "16", Image: "postgres:16"}, "my/pg:13"},
	} {
		got, err := provider.ImageFor(tc.override, tc.cfg)
		if err != nil || got != tc.want {
			t.Errorf("ImageFor(%q, %+v) = %q, %v; want %q", tc.override, tc.cfg, got, err, tc.want)
		}
	}
	if _, err := provider.ImageFor("", provider.Config{Version: "16; rm -rf /"}); err == nil {
		t.Error("a version that is not a number was accepted")
	}
}

func TestContainerFsyncOffWhenAsked(t *testing.T) {
	p := provider.NewContainer(provider.WithImage(containerImage(t)))
	inst, err := p.Start(context.Background(), provider.Config{Settings: map[string]string{"fsync": "off"}})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Stop(context.Background())
	var fsync string
	conn, err := pgx.Connect(context.Background(), inst.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(context.Background(), "SHOW fsync").Scan(&fsync); err != nil {
		t.Fatal(err)
	}
	if fsync != "off" {
		t.Fatalf("fsync = %q, want off as the scenario asked", fsync)
	}
}

func TestContainerBadSettingFailsCleanly(t *testing.T) {
	p := provider.NewContainer(provider.WithImage(containerImage(t)), provider.WithLabels(testLabel(t)))
	_, err := p.Start(context.Background(), provider.Config{Settings: map[string]string{"no_such_setting": "1"}})
	if err == nil {
		t.Fatal("start with an unknown setting succeeded")
	}
	if !strings.Contains(err.Error(), "no_such_setting") {
		t.Fatalf("error does not show the server's complaint about the setting: %v", err)
	}
	assertNoLabelledContainers(t, testLabel(t))
}

func TestContainerStopOnCancelledContextStillRemoves(t *testing.T) {
	inst, err := provider.NewContainer(provider.WithImage(containerImage(t))).Start(context.Background(), provider.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // as after Ctrl-C
	inst.Stop(ctx)
	if left := inst.Leftovers(); len(left) > 0 {
		t.Fatalf("still present: %v", left)
	}
}

// A forced exit (a second Ctrl-C) removes the container at once.
func TestContainerKillRemoves(t *testing.T) {
	inst, err := provider.NewContainer(provider.WithImage(containerImage(t))).Start(context.Background(), provider.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Stop(context.Background())
	inst.Kill()
	if left := inst.Leftovers(); len(left) > 0 {
		t.Fatalf("still present after Kill: %v", left)
	}
}

// Ctrl-C while the container starts, right after it is created and while
// it initialises: Start fails and nothing is left.
func TestContainerInterruptedStartLeavesNothing(t *testing.T) {
	img := containerImage(t)
	engine, err := provider.DetectDocker(context.Background(), provider.DefaultDetectTimeout)
	if err != nil {
		t.Fatal(err)
	}
	for _, status := range []string{"created", "running"} {
		t.Run(status, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() { // interrupt as soon as the container has this status
				filters := client.Filters{}.Add("label", labelFilter(testLabel(t))).Add("status", status)
				for ctx.Err() == nil {
					res, err := engine.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filters})
					if err == nil && len(res.Items) > 0 {
						cancel()
						return
					}
					time.Sleep(10 * time.Millisecond)
				}
			}()
			p := provider.NewContainer(provider.WithImage(img), provider.WithLabels(testLabel(t)))
			inst, err := p.Start(ctx, provider.Config{})
			if err == nil {
				inst.Stop(context.Background())
				t.Fatal("Start returned a server although it was interrupted while the container started")
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want context.Canceled in the chain", err)
			}
			assertNoLabelledContainers(t, testLabel(t))
		})
	}
}

// testLabel is a Docker label unique to this test and this process, so that
// containers of tests running at the same time in other packages do not count.
func testLabel(t *testing.T) map[string]string {
	return map[string]string{"org.rehearse.test": fmt.Sprintf("%d/%s", os.Getpid(), t.Name())}
}

func labelFilter(labels map[string]string) string {
	for k, v := range labels {
		return k + "=" + v
	}
	return ""
}

// assertNoLabelledContainers fails if any container or network with the
// label exists.
func assertNoLabelledContainers(t *testing.T, label map[string]string) {
	t.Helper()
	ctx := context.Background()
	engine, err := provider.DetectDocker(ctx, provider.DefaultDetectTimeout)
	if err != nil {
		t.Fatal(err)
	}
	res, err := engine.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", labelFilter(label))})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Items {
		t.Errorf("container %s (%s) left behind", c.ID[:12], c.Image)
	}
	nets, err := engine.NetworkList(ctx, client.NetworkListOptions{Filters: client.Filters{}.Add("label", labelFilter(label))})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nets.Items {
		t.Errorf("network %s (%s) left behind", n.ID[:12], n.Name)
	}
}
