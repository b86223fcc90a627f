# Gatehouse — the two commands are `make run` and `make test`.
GO       ?= go
BIN      := bin/gatehouse
PKGS     := ./pkg/... ./services/... ./wasm-sdk/go/... ./wasm-sdk/examples/... ./migrations/...
export GOFLAGS := -buildvcs=false

.PHONY: all build run test vet bench clean check-tools browser oathtool

all: build

check-tools:
	@command -v $(GO) >/dev/null || { echo "Go 1.26+ is required: https://go.dev/dl"; exit 1; }
	@command -v initdb >/dev/null && command -v pg_ctl >/dev/null || { \
	  echo "PostgreSQL 15 server binaries (initdb, pg_ctl, postgres) must be on the PATH"; \
	  echo "  Debian/Ubuntu: apt-get install postgresql-15 and add /usr/lib/postgresql/15/bin to PATH"; exit 1; }

# The browser tests (services/e2e) drive headless Chromium: $GATEHOUSE_CHROMIUM,
# or the first of these on the PATH (the same list as the tests').
CHROMIUM_NAMES := chromium chromium-browser google-chrome-stable google-chrome

## browser: Chromium for the browser tests, installed from Debian's packages when missing
browser:
	@if [ -n "$$GATEHOUSE_CHROMIUM" ]; then \
	  command -v "$$GATEHOUSE_CHROMIUM" >/dev/null || { \
	    echo "GATEHOUSE_CHROMIUM=$$GATEHOUSE_CHROMIUM is not an executable browser"; exit 1; }; \
	  exit 0; \
	fi; \
	for b in $(CHROMIUM_NAMES); do command -v $$b >/dev/null && exit 0; done; \
	echo "Chromium is missing (the browser tests need it): installing Debian's chromium package"; \
	command -v apt-get >/dev/null || { \
	  echo "Cannot install Chromium: apt-get is not available. Install Chromium or Chrome,"; \
	  echo "  then put it on the PATH or set GATEHOUSE_CHROMIUM to its binary"; exit 1; }; \
	if [ "$$(id -u)" -eq 0 ]; then sudo=; \
	elif command -v sudo >/dev/null; then sudo=sudo; \
	else echo "Cannot install Chromium: not root and no sudo. As root: apt-get install chromium"; exit 1; fi; \
	log=$$(mktemp); \
	{ $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$$log" 2>&1 && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    chromium fonts-liberation >>"$$log" 2>&1; } || { cat "$$log"; rm -f "$$log"; \
	  echo "Cannot install Chromium: apt-get install chromium failed (its output is above). Install it"; \
	  echo "  by hand, or set GATEHOUSE_CHROMIUM to a Chromium or Chrome binary"; exit 1; }; \
	rm -f "$$log"; \
	command -v chromium >/dev/null || { echo "apt-get installed chromium, but it is not on the PATH"; exit 1; }; \
	echo "Installed $$(chromium --version 2>/dev/null)"

## oathtool: Debian's oathtool, which computes the TOTP codes the MFA tests check, installed when missing
oathtool:
	@command -v oathtool >/dev/null && exit 0; \
	echo "oathtool is missing (the MFA tests need it): installing Debian's oathtool package"; \
	command -v apt-get >/dev/null || { \
	  echo "Cannot install oathtool: apt-get is not available. Install oathtool (oath-toolkit) and put it on the PATH"; exit 1; }; \
	if [ "$$(id -u)" -eq 0 ]; then sudo=; \
	elif command -v sudo >/dev/null; then sudo=sudo; \
	else echo "Cannot install oathtool: not root and no sudo. As root: apt-get install oathtool"; exit 1; fi; \
	log=$$(mktemp); \
	{ $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$$log" 2>&1 && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    oathtool >>"$$log" 2>&1; } || { cat "$$log"; rm -f "$$log"; \
	  echo "Cannot install oathtool: apt-get install oathtool failed (its output is above). Install it by hand"; exit 1; }; \
	rm -f "$$log"; \
	command -v oathtool >/dev/null || { echo "apt-get installed oathtool, but it is not on the PATH"; exit 1; }; \
	echo "Installed $$(oathtool --version | head -n1)"

build:
	$(GO) build -o $(BIN) ./services/cmd/gatehouse

## run: start the whole platform (embedded NATS, development PostgreSQL under .gatehouse/)
run: check-tools build
	./$(BIN) serve -target=all

## test: every test, against a real PostgreSQL (started from the local binaries), a real embedded NATS
## and, for the browser tests, headless Chromium (and oathtool for the MFA tests)
test: check-tools browser oathtool vet
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
