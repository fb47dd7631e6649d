# SPDX-License-Identifier: Apache-2.0
# mxdba: build, demo, test, bench, install.  `make help` lists the targets.
PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
PKGS     = libpq sqlite3 libsodium inih libxcrypt jansson yaml-0.1 libcurl libutf8proc
VERSION  = 0.2.0

CFLAGS  ?= -O2 -g
WARN     = -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
CPPFLAGS += -Isrc -Ibuild -D_GNU_SOURCE -DMXDBA_VERSION='"$(VERSION)"'
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libcurl and libpq are compiled against but loaded with dlopen (src/net/http.c,
# src/db/pg.c): their start-up cost is paid only by commands that use them
PKG_LIBS   = $(shell pkg-config --libs $(filter-out libcurl libpq,$(PKGS)) 2>/dev/null) -ldl

SRC  = $(wildcard src/*.c src/cli/*.c src/core/*.c src/db/*.c src/store/*.c src/hs/*.c src/hs/*/*.c src/net/*.c)
HDR  = $(wildcard src/*/*.h src/*/*/*.h)
LIB_SRC = $(filter-out src/main.c,$(SRC))
SQL  = $(wildcard sql/*/postgres/*.sql sql/*/sqlite/*.sql)
OBJ  = $(patsubst src/%.c,build/obj/%.o,$(SRC)) build/obj/sql_embed.o
SAN_OBJ = $(patsubst src/%.c,build/san/%.o,$(SRC)) build/san/sql_embed.o
SANFLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: test-steps pytest-env deb test-deb test-fresh all deps demo test test-unit test-integration test-e2e test-bench-tiny test-fuzz-smoke fuzz fuzz-plateau bench install uninstall clean help
all: mxdba

help:
	@echo "make            build ./mxdba"
	@echo "make demo       build, make a demo SQLite homeserver database, walk through the commands"
	@echo "make test       everything: unit, integration (SQLite + throwaway PostgreSQL), sanitizers, e2e"
	@echo "make install    install binary, man page, bash completion, example config into \$$(DESTDIR)\$$(PREFIX) (PREFIX=$(PREFIX))"
	@echo "make uninstall  remove what make install put there"
	@echo "make deb        build build/mxdba_VERSION_ARCH.deb with dpkg-deb"
	@echo "make test-deb   install that package on a clean Debian (debootstrap) and run it"
	@echo "make test-fresh install-deps, build, unit tests, fuzz smoke and demo on a bare Debian (debootstrap)"
	@echo "make bench      the benchmark suite (BENCHMARKS.md, bench.png); make fuzz: libFuzzer runs"

deps:
	@scripts/install-deps

build/sql_embed.c: $(SQL) $(wildcard migrations/*/*.sql) scripts/embed-sql
	@mkdir -p build
	scripts/embed-sql $@

build/obj/%.o: src/%.c $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<
build/obj/sql_embed.o: build/sql_embed.c
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

mxdba: $(OBJ)
	$(CC) $(CFLAGS) -o $@ $(OBJ) $(PKG_LIBS) -lpthread $(LDFLAGS)

# sanitizer build used by the tests
build/san/%.o: src/%.c $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(SANFLAGS) $(WARN) -c -o $@ $<
build/san/sql_embed.o: build/sql_embed.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(SANFLAGS) $(WARN) -c -o $@ $<
build/mxdba-san: $(SAN_OBJ)
	$(CC) $(SANFLAGS) -o $@ $(SAN_OBJ) $(PKG_LIBS) -lpthread

UNIT = $(patsubst tests/unit/%.c,build/unit/%,$(wildcard tests/unit/test_*.c))
# unit tests link the library layers, not the command-line front end (src/main.c, src/cli/)
UNIT_OBJ = $(filter-out build/san/main.o build/san/cli/%,$(SAN_OBJ))
build/unit/%: tests/unit/%.c tests/unit/unit.h $(UNIT_OBJ)
	@mkdir -p build/unit
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(SANFLAGS) $(WARN) -Itests/unit -o $@ $< $(UNIT_OBJ) $(PKG_LIBS) -lpthread

test-unit: $(UNIT)
	@tests/unit/run $(UNIT)

# pinned pytest and pytest-timeout in .cache/pytest-env (scripts/pytest-env)
PYTEST = $(CURDIR)/.cache/pytest-env/bin/python -m pytest
pytest-env:
	@scripts/pytest-env >/dev/null

# two workers (pytest-xdist; a whole file to one worker, so a file's fixtures
# stay shared; each worker its own PostgreSQL cluster); the slowest listed
test-integration: mxdba build/mxdba-san pytest-env
	scripts/synapse build-all
	MXDBA_BIN=$(CURDIR)/build/mxdba-san $(PYTEST) -q -n 2 --dist loadfile --durations=15 tests/integration

# the real Dendrite v0.13.8 and the real Synapse 1.163.2 (each built or
# installed into .cache/ once), and every release of tests/releases; the
# release matrix, the Synapse-killed-mid-deletion case (minutes of waiting
# for Synapse's scheduler), Synapse's doctor and port suites run beside the
# main suites (about 20 minutes each on 2 cores), their output after theirs:
# two processes fill two cores; the slowest tests of each are listed
# (--durations); a hang fails the run instead of eating CI
E2E_BESIDE = tests/e2e/dendrite/test_dendrite_releases.py tests/e2e/synapse/test_synapse_releases.py \
	tests/e2e/synapse/test_synapse_room_kill.py tests/e2e/synapse/test_synapse_doctor.py \
	tests/e2e/synapse/test_synapse_port.py tests/e2e/synapse/test_synapse_deactivation.py
test-e2e: mxdba pytest-env
	scripts/dendrite build-all
	scripts/synapse build-all
	scripts/synapse synadm >/dev/null
	@mkdir -p build
	@echo "e2e: the release matrix and the slow kill case run beside the main suites (their output: build/e2e-beside.log, shown at the end)"
	@MXDBA_BIN=$(CURDIR)/mxdba timeout 2400 $(PYTEST) -q --durations=8 $(E2E_BESIDE) >build/e2e-beside.log 2>&1 & rel=$$!; \
	 MXDBA_BIN=$(CURDIR)/mxdba timeout 2400 $(PYTEST) -q --durations=15 tests/e2e/dendrite tests/e2e/synapse \
	   $(patsubst %,--ignore=%,$(E2E_BESIDE)); main=$$?; \
	 wait $$rel; beside=$$?; echo "e2e: the release matrix and the kill case:"; cat build/e2e-beside.log; \
	 test $$main -eq 0 && test $$beside -eq 0

# every step under one temp folder of its own, checked empty at the end (scripts/tmp-root)
test: deps
	scripts/tmp-root $(MAKE) test-steps

test-steps:
	$(MAKE) mxdba build/mxdba-san
	$(MAKE) test-unit
	$(MAKE) test-integration
	$(MAKE) test-fuzz-smoke
	$(MAKE) test-bench-tiny
	$(MAKE) test-deb
	$(MAKE) test-fresh
	@if [ -n "$$MXDBA_SKIP_E2E" ] && [ -z "$$CI" ]; then echo "MXDBA_SKIP_E2E set: skipping the real-Dendrite and real-Synapse e2e suites"; \
	 else $(MAKE) test-e2e; fi

# libFuzzer harnesses (config, IDs, batch words): a short smoke run in make test;
# `make fuzz FUZZ_SECONDS=600` for a long one
FUZZ_SECONDS ?= 300
test-fuzz-smoke:
	tests/fuzz/run 10
fuzz:
	tests/fuzz/run $(FUZZ_SECONDS)
# every harness until its coverage stops growing (tests/fuzz/plateau; figures in tests/fuzz/PLATEAU.md)
fuzz-plateau:
	JOBS=2 tests/fuzz/plateau

# the benchmark suite (BENCHMARKS.md, bench.png); see scripts/bench
bench: deps mxdba
	scripts/dendrite build >/dev/null
	scripts/synapse build >/dev/null
	scripts/bench

# a tiny run of every benchmark: proves it still runs (timings are not checked)
test-bench-tiny: mxdba
	scripts/dendrite build >/dev/null
	scripts/synapse build >/dev/null
	scripts/bench --tiny --out build/BENCHMARKS-tiny.md
	@test -s build/BENCHMARKS-tiny.md && grep -q "queue apply" build/BENCHMARKS-tiny.md && grep -q "synapse-postgres" build/BENCHMARKS-tiny.md && echo "bench: tiny run ok"

demo: deps mxdba
	scripts/demo

# an example config: what `mxdba config init` writes (every key, commented)
build/mxdba.ini.example: mxdba
	@mkdir -p build
	rm -f $@
	./mxdba -q -c $@ config init >/dev/null
	chmod 0644 $@

MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DOCDIR      ?= $(PREFIX)/share/doc/mxdba
INSTALLED    = $(PREFIX)/bin/mxdba $(MANDIR)/man8/mxdba.8 $(BASHCOMPDIR)/mxdba $(DOCDIR)/mxdba.ini.example

install: mxdba build/mxdba.ini.example
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 mxdba $(DESTDIR)$(PREFIX)/bin/mxdba
	install -m 0644 man/mxdba.8 $(DESTDIR)$(MANDIR)/man8/mxdba.8
	install -m 0644 completion/mxdba.bash $(DESTDIR)$(BASHCOMPDIR)/mxdba
	install -m 0644 build/mxdba.ini.example $(DESTDIR)$(DOCDIR)/mxdba.ini.example

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null

# a Debian package (dpkg-deb), Depends from the libraries really used
deb: mxdba
	scripts/mkdeb build

# the package on a clean Debian (debootstrap into build/): install, --version, check
test-deb: deb
	scripts/test-deb build/mxdba_$(VERSION)_$$(dpkg --print-architecture).deb

# the README's steps on a bare Debian (debootstrap): install-deps, build, unit
# tests, fuzz smoke, demo; fails when install-deps misses a package
test-fresh:
	scripts/test-fresh

clean:
	rm -rf build mxdba
