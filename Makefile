# Gatehouse — the two commands are `make run` and `make test`.
GO       ?= go
BIN      := bin/gatehouse
PKGS     := ./pkg/... ./services/... ./wasm-sdk/go/... ./wasm-sdk/examples/... ./migrations/...
export GOFLAGS := -buildvcs=false

.PHONY: all build run test vet bench clean check-tools

all: build

check-tools:
	@command -v $(GO) >/dev/null || { echo "Go 1.26+ is required: https://go.dev/dl"; exit 1; }
	@command -v initdb >/dev/null && command -v pg_ctl >/dev/null || { \
	  echo "PostgreSQL 15 server binaries (initdb, pg_ctl, postgres) must be on the PATH"; \
	  echo "  Debian/Ubuntu: apt-get install postgresql-15 and add /usr/lib/postgresql/15/bin to PATH"; exit 1; }

build:
	$(GO) build -o $(BIN) ./services/cmd/gatehouse

## run: start the whole platform (embedded NATS, development PostgreSQL under .gatehouse/)
run: check-tools build
	./$(BIN) serve -target=all

## test: every test, against a real PostgreSQL (started from the local binaries) and a real embedded NATS
test: check-tools vet
	$(GO) test -count=1 -timeout 14m $(PKGS)

vet:
	@unformatted=$$(gofmt -l pkg services wasm-sdk migrations); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)

## bench: the trigger round-trip benchmark table (docs/performance.md)
bench:
	$(GO) run ./services/bench/cmd/gatehouse-bench

clean:
	rm -rf bin .gatehouse
