package provider_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rehearse/rehearse/provider"
)

func TestChooseByName(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		req     provider.Request
		want    string // provider type, or "" for an error
		errPart string
	}{
		{provider.Request{Name: "local"}, "*provider.Local", ""},
		{provider.Request{Name: "dsn", DSN: "postgres://u@127.0.0.1/db", Disposable: true}, "provider.DSN", ""},
		{provider.Request{Name: "auto", DSN: "postgres://u@127.0.0.1/db"}, "provider.DSN", ""},
		{provider.Request{Name: "dsn"}, "", "needs --dsn"},
		{provider.Request{Name: "local", DSN: "postgres://u@127.0.0.1/db"}, "", "--dsn is only used with --provider dsn"},
		{provider.Request{Name: "local", Image: "postgres:16"}, "", "--image is only used"},
		{provider.Request{Name: "podman"}, "", `unknown --provider "podman"`},
	} {
		p, err := provider.Choose(ctx, tc.req)
		if tc.want == "" {
			if err == nil || !strings.Contains(err.Error(), tc.errPart) {
				t.Errorf("Choose(%+v) = %T, %v; want an error containing %q", tc.req, p, err, tc.errPart)
			}
			continue
		}
		if err != nil || typeName(p) != tc.want {
			t.Errorf("Choose(%+v) = %T, %v; want %s", tc.req, p, err, tc.want)
		}
	}
}

func typeName(p provider.Provider) string {
	switch p.(type) {
	case *provider.Local:
		return "*provider.Local"
	case *provider.Container:
		return "*provider.Container"
	case provider.DSN:
		return "provider.DSN"
	}
	return "?"
}

// deadDocker points DOCKER_HOST at a socket nobody listens on.
func deadDocker(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "dead.sock"))
}

func TestChooseAutoWithoutDockerUsesLocalAndSaysSo(t *testing.T) {
	deadDocker(t)
	var log bytes.Buffer
	p, err := provider.Choose(context.Background(), provider.Request{Name: "auto", Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.(*provider.Local); !ok {
		t.Fatalf("auto without Docker chose %T, want the local provider", p)
	}
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "; using local PostgreSQL") || !strings.Contains(lines[0], "DOCKER_HOST") {
		t.Fatalf("auto said %q; want one line saying it uses local PostgreSQL because DOCKER_HOST does not answer", log.String())
	}
}

func TestChooseContainerWithoutDockerNamesDocker(t *testing.T) {
	deadDocker(t)
	_, err := provider.Choose(context.Background(), provider.Request{Name: "container"})
	if !errors.Is(err, provider.ErrNoDocker) || !strings.Contains(err.Error(), "start Docker") {
		t.Fatalf("err = %v; want ErrNoDocker saying to start Docker", err)
	}
}

func TestChooseAutoWithNothingSaysHowToGetEither(t *testing.T) {
	deadDocker(t)
	_, err := provider.Choose(context.Background(), provider.Request{Postgres: provider.Config{Version: "3"}})
	if err == nil {
		t.Fatal("auto with no Docker and no PostgreSQL 3 chose a provider")
	}
	for _, part := range []string{"Docker", "PostgreSQL 3 is not installed", "apt-get install -y postgresql"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error lacks %q: %v", part, err)
		}
	}
}

// An engine that accepts connections and never answers must not hang auto.
func TestDetectDockerIsBounded(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "mute.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	t.Setenv("DOCKER_HOST", "unix://"+sock)
	_, err = provider.DetectDocker(context.Background(), 200*time.Millisecond)
	if !errors.Is(err, provider.ErrNoDocker) {
		t.Fatalf("err = %v; want ErrNoDocker", err)
	}
	var log bytes.Buffer
	p, err := provider.Choose(context.Background(), provider.Request{Log: &log}, provider.WithDetectTimeout(200*time.Millisecond))
	if _, ok := p.(*provider.Local); err != nil || !ok {
		t.Fatalf("auto with a mute engine = %T, %v; want the local provider", p, err)
	}
}

func TestChooseAutoPicksContainerWhenImageIsThere(t *testing.T) {
	img := containerImage(t)
	var log bytes.Buffer
	p, err := provider.Choose(context.Background(), provider.Request{Image: img, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.(*provider.Container); !ok {
		t.Fatalf("auto with Docker and image %s chose %T (%s), want the container provider", img, p, log.String())
	}
	p, err = provider.Choose(context.Background(), provider.Request{Name: "container", Postgres: provider.Config{Image: img}})
	if _, ok := p.(*provider.Container); err != nil || !ok {
		t.Fatalf("--provider container with image %s = %T, %v", img, p, err)
	}
}

// An image the engine does not have and cannot pull: auto falls back to
// local in one line, container fails. The registry is a closed port on
// 127.0.0.1, so the pull fails at once and nothing leaves the machine.
func TestChooseImageTheEngineCannotGet(t *testing.T) {
	containerImage(t) // an engine is needed; the image is not
	const absent = "127.0.0.1:1/rehearse-test/absent:0"
	var log bytes.Buffer
	p, err := provider.Choose(context.Background(), provider.Request{Image: absent, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.(*provider.Local); !ok {
		t.Fatalf("auto chose %T for an image that cannot be had, want local", p)
	}
	if !strings.Contains(log.String(), "using local PostgreSQL") || !strings.Contains(log.String(), absent) {
		t.Errorf("auto said %q; want it to name the image and the fallback", log.String())
	}
	_, err = provider.Choose(context.Background(), provider.Request{Name: "container", Image: absent})
	if !errors.Is(err, provider.ErrNoImage) {
		t.Fatalf("--provider container with an image that cannot be had: err = %v, want ErrNoImage", err)
	}
}
