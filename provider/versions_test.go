package provider_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/rehearse/rehearse/provider"
)

func TestImageForVersionPlaceholder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		override string
		cfg      provider.Config
		want     string
	}{
		{"", provider.Config{Version: "13"}, "postgres:13-alpine"},
		{"", provider.Config{Version: "17"}, "postgres:17-alpine"},
		{"reg/pg:{version}", provider.Config{Version: "14"}, "reg/pg:14"},
		{"", provider.Config{Version: "15", Image: "reg/pg:{version}-bookworm"}, "reg/pg:15-bookworm"},
		{"reg/pg:{version}", provider.Config{Version: "16", Image: "other/pg:{version}"}, "reg/pg:16"},
	} {
		got, err := provider.ImageFor(tc.override, tc.cfg)
		if err != nil || got != tc.want {
			t.Errorf("ImageFor(%q, %+v) = %q, %v; want %q", tc.override, tc.cfg, got, err, tc.want)
		}
	}
	if _, err := provider.ImageFor("reg/pg:{version}", provider.Config{}); err == nil || !strings.Contains(err.Error(), "{version} needs a version") {
		t.Errorf("a placeholder without a version: err = %v", err)
	}
}

func TestLocalCheckVersion(t *testing.T) {
	t.Parallel()
	dirs := provider.FindBinDirs()
	if len(dirs) == 0 {
		t.Fatal("no PostgreSQL binaries")
	}
	have := strconv.Itoa(dirs[0].Major)
	ctx := context.Background()
	if err := provider.NewLocal().CheckVersion(ctx, provider.Config{Version: have}); err != nil {
		t.Errorf("installed version %s: %v", have, err)
	}
	err := provider.NewLocal().CheckVersion(ctx, provider.Config{Version: "3"})
	if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "PostgreSQL 3 is not installed locally") {
		t.Errorf("version 3: err = %v, want ErrUnavailable saying it is not installed", err)
	}
	pinned := provider.NewLocal(provider.WithBinDir(dirs[0].Path))
	if err := pinned.CheckVersion(ctx, provider.Config{Version: "3"}); !errors.Is(err, provider.ErrUnavailable) {
		t.Errorf("WithBinDir(%s) said it can start version 3: %v", dirs[0].Path, err)
	}
	// Start says the same, so that a provider without CheckVersion (a
	// wrapper) still lets a matrix skip the version.
	if _, err := provider.NewLocal().Start(ctx, provider.Config{Version: "3"}); !errors.Is(err, provider.ErrUnavailable) {
		t.Errorf("Start of version 3: err = %v, want ErrUnavailable", err)
	}
}

func TestContainerCheckVersion(t *testing.T) {
	ctx := context.Background()
	img := containerImage(t)
	if err := provider.NewContainer(provider.WithImage(img)).CheckVersion(ctx, provider.Config{Version: "15"}); err != nil {
		t.Errorf("image %s present: %v", img, err)
	}
	err := provider.NewContainer(provider.WithImage("rehearse-test/postgres:{version}")).CheckVersion(ctx, provider.Config{Version: "3"})
	if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "rehearse-test/postgres:3") {
		t.Errorf("missing image: err = %v, want ErrUnavailable naming rehearse-test/postgres:3", err)
	}
	if err := provider.NewContainer(provider.WithImage(img)).CheckVersion(ctx, provider.Config{Replica: true}); err != nil {
		t.Errorf("replica with image %s present: %v", img, err)
	}
}

func TestContainerCheckVersionWithoutDocker(t *testing.T) {
	deadDocker(t)
	err := provider.NewContainer().CheckVersion(context.Background(), provider.Config{Version: "16"})
	if !errors.Is(err, provider.ErrUnavailable) || !errors.Is(err, provider.ErrNoDocker) {
		t.Errorf("err = %v, want ErrUnavailable and ErrNoDocker", err)
	}
}
