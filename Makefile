# daemonlab — build, demo, test, bench.
#   make demo        build, launch the reference daemon, check it, print the report
#   make test        every test: unit, real processes, containers (when an engine answers)
#   make grade-demo  build the systemd image if needed and grade the lab 04 reference
#   make bench       benchmarks and whole-process timings
#   make man         man pages from the commands, into man/man1
#   make install     daemonlab, daemonlab-grade and the man pages under PREFIX (/usr/local)
GO       ?= go
BIN      := bin
DAEMONLAB := $(BIN)/daemonlab
STATICCHECK_VERSION := v0.8.2
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
MANPAGES := man/man1
export CGO_ENABLED := 0

.PHONY: all build references deps demo test unit lint bench grade-demo image clean man install uninstall

all: build references

build: $(DAEMONLAB) $(BIN)/daemonlab-grade

SOURCES := $(shell find cmd checker internal report labs containers -name '*.go' -o -name '*.yaml' -o -name '*.md' -o -name '*.sh' -o -name '*.txt' -o -name 'Dockerfile' 2>/dev/null) go.mod go.sum

# Static binaries: the grader copies daemonlab into systemd containers as
# is. daemonlab-grade carries the container stack, kept out of daemonlab
# so `daemonlab check` starts as fast as ps.
$(BIN)/%: $(SOURCES)
	$(GO) build -trimpath -ldflags "-s -w -X github.com/daemonlab/daemonlab/internal/cmdutil.Version=$(VERSION)" -o $@ ./cmd/$*

references: deps
	$(MAKE) -C reference/c
	$(MAKE) -C reference/go

# What the tests need on a fresh Debian/Ubuntu machine: a C compiler,
# make, python3 (reference daemons) and util-linux (setsid). Installed
# only when missing, and only where apt-get exists and we are root.
deps:
	@scripts/deps.sh

demo: build references
	@scripts/demo.sh

test: build references lint
	$(GO) test -count=1 -timeout 30m ./...

unit:
	$(GO) test -count=1 -short ./...

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt would change:"; gofmt -l .; exit 1; }
	@test -z "$$($(GO) mod tidy -diff 2>&1)" || { echo "go.mod/go.sum are not tidy: run go mod tidy"; $(GO) mod tidy -diff; exit 1; }
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

bench: build references
	$(GO) test -run '^$$' -bench . -benchtime 50x ./...
	@scripts/bench.sh
	DAEMONLAB_BENCH_CLASS=1 $(GO) test -run '^$$' -bench BenchmarkClass30 -benchtime 1x -timeout 60m ./internal/class

# One page per command, generated from the cobra commands themselves.
man:
	rm -rf $(MANPAGES)
	$(GO) run ./internal/manpages/gen $(MANPAGES)

# Puts daemonlab and daemonlab-grade on PATH (both are needed: daemonlab
# hands grade, image and sandbox over to daemonlab-grade next to it), and
# the man pages. PREFIX=$$HOME/.local works without root; DESTDIR stages.
install: build man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(DAEMONLAB) $(BIN)/daemonlab-grade $(DESTDIR)$(BINDIR)/
	install -m 0644 $(MANPAGES)/*.1 $(DESTDIR)$(MANDIR)/man1/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/daemonlab $(DESTDIR)$(BINDIR)/daemonlab-grade $(DESTDIR)$(MANDIR)/man1/daemonlab.1 $(DESTDIR)$(MANDIR)/man1/daemonlab-*.1

image: build
	$(DAEMONLAB) image build

grade-demo: build references
	@scripts/grade-demo.sh

clean:
	rm -rf $(BIN) man
	$(MAKE) -C reference/c clean
	$(MAKE) -C reference/go clean
