# The machine this project is developed on looks like a container, so
# testcontainers-go would guess the Docker host as the default gateway: wrong
# there. These two make it use published ports on localhost and no Ryuk
# sidecar (nothing can be pulled). An ordinary Docker setup needs neither.
export TESTCONTAINERS_HOST_OVERRIDE ?= localhost
export TESTCONTAINERS_RYUK_DISABLED ?= true

GO ?= go
PKGS := ./...

.PHONY: build test bench lint fuzz clean

build:
	$(GO) build -o bin/rehearse ./cmd/rehearse

test:
	$(GO) test -race -count=1 -timeout 15m $(PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m $(PKGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 30s ./scenarios/
	$(GO) test -run '^$$' -fuzz FuzzSplitStatements -fuzztime 30s ./scenarios/

clean:
	rm -rf bin
