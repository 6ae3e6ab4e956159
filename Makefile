# The machine this project is developed on looks like a container, so
# testcontainers-go would guess the Docker host as the default gateway: wrong
# there. These two make it use published ports on localhost and no Ryuk
# sidecar (nothing can be pulled). An ordinary Docker setup needs neither.
export TESTCONTAINERS_HOST_OVERRIDE ?= localhost
export TESTCONTAINERS_RYUK_DISABLED ?= true

GO ?= go
PKGS := ./...
# The version stamped into bin/rehearse: the tag, or the commit with -dirty.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)

.PHONY: build test test-image bench lint fuzz soak stability clean prove-rules release-snapshot image

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/rehearse ./cmd/rehearse

# Release binaries for all platforms into dist/, without publishing
# (needs goreleaser and zig; see .goreleaser.yaml).
release-snapshot:
	goreleaser release --snapshot --clean

# The image with rehearse and the PostgreSQL server (Dockerfile); BASE
# defaults to the official postgres image.
image: build
	docker build -t rehearse:$(VERSION) $(if $(BASE),--build-arg BASE=$(BASE)) --build-arg REHEARSE=bin/rehearse .

TESTFLAGS := -race -count=1 -timeout 15m

# make test CHECK_SKIPS=1 (what .ci/run does) also fails when a test skips
# that is not in .ci/allowed-skips: a skip is green in go test's output.
test: test-image
ifdef CHECK_SKIPS
	$(GO) run ./internal/skipcheck -allow .ci/allowed-skips -- $(GO) test -json $(TESTFLAGS) $(PKGS)
else
	$(GO) test $(TESTFLAGS) $(PKGS)
endif

# The PostgreSQL image the container provider's tests start, built from the
# installed server binaries: no registry needed. Where no Docker engine
# answers it is skipped (and so are those tests), except in CI (CI set), where
# the container tests are meant to run: there it fails.
test-image:
	@if timeout 10 docker info >/dev/null 2>&1; then bash internal/testimage/build.sh; \
	elif [ -n "$$CI" ]; then echo "test-image: no Docker engine answers, and CI is set: the container tests must run here" >&2; exit 1; \
	else echo "test-image: no Docker engine answers; skipping (container tests skip too, except in CI)"; fi

bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m $(PKGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 30s ./scenarios/
	$(GO) test -run '^$$' -fuzz FuzzSplit -fuzztime 30s ./internal/pgsql/

# Every lint rule rehearsed on PostgreSQL, hazard and safe form, with what
# each fixture measured (the same tests run in `make test`, here verbose).
prove-rules:
	$(GO) test -count=1 -v ./lint/proof/

# 30 minutes of traffic at 2,000 queries/s, logging RSS every minute (not in CI).
soak:
	$(GO) test -tags soak -run TestSoak -timeout 45m -v ./rehearse/

# Every example scenario N times (default 10): verdicts and the spread of
# each judged p99 ratio (docs/stalls.md; not in CI).
N ?= 10
STABILITY_FLAGS ?= --provider local --retry-invalid 2
stability: build
	sh scripts/stability.sh $(N) bin/rehearse $(STABILITY_FLAGS)

clean:
	rm -rf bin
