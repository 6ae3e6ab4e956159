# The machine this project is developed on looks like a container, so
# testcontainers-go would guess the Docker host as the default gateway: wrong
# there. These two make it use published ports on localhost and no Ryuk
# sidecar (nothing can be pulled). An ordinary Docker setup needs neither.
export TESTCONTAINERS_HOST_OVERRIDE ?= localhost
export TESTCONTAINERS_RYUK_DISABLED ?= true

GO ?= go
PKGS := ./...

.PHONY: build test test-image bench lint fuzz soak clean

build:
	$(GO) build -o bin/rehearse ./cmd/rehearse

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

# 30 minutes of traffic at 2,000 queries/s, logging RSS every minute (not in CI).
soak:
	$(GO) test -tags soak -run TestSoak -timeout 45m -v ./rehearse/

clean:
	rm -rf bin
