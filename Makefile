# sgdsweep -- Makefile
#
#   make            build build/sgdsweep
#   make run        install missing packages, build, run the demo
#   make check      install missing packages, build, run every test suite
#   make bench      trainer vs PyTorch speed table, probe cost (bench/)
#                   (BENCH_SCALE=1 adds bench/scale.sh: a million trivial runs, minutes, ~13 GB)
#   make claims     run every small claim sweep (jobs/claims/*-small.yaml), write out/claims/REPORT.md
#   make check SANITIZE=address,undefined   the same under sanitizers
#   make install PREFIX=/opt/sgdsweep   (DESTDIR= for staging; make uninstall with the same)
#
# User settings (CFLAGS, LDFLAGS add to ours) -----------------------------
PREFIX   ?= /usr/local
CC       ?= cc
OPT      ?= -O3 -march=x86-64-v2
SANITIZE ?=
BUILD    ?= build$(if $(SANITIZE),-san)
PYTHON   ?= /usr/bin/python3

# ---------------------------------------------------------------------------
PKGS     := openblas gsl hdf5-serial yaml-0.1 ompi-c
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT      := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# gsl.pc adds GSL's reference CBLAS; OpenBLAS provides the CBLAS symbols.
PKG_LIBS   = $(filter-out -lgslcblas,$(shell pkg-config --libs $(PKGS) 2>/dev/null))
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null)

SAN_FLAGS := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all -g)
ALL_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -DH5_USE_110_API -Wall -Wextra -Wshadow \
  -Wno-unused-parameter -g $(OPT) -ffp-contract=off -Iinclude $(PKG_CFLAGS) $(SAN_FLAGS) \
  -MMD -MP $(CFLAGS)
ALL_LDFLAGS := $(SAN_FLAGS) $(LDFLAGS)
LIBS := $(PKG_LIBS) -lhdf5_hl -lm

# The numeric core is compiled twice, for float (f32) and double (f64).
CORE   := mlp optim train_core
PLAIN  := $(filter-out main $(CORE),$(basename $(notdir $(wildcard src/*.c))))
OBJS   := $(PLAIN:%=$(BUILD)/%.o) $(CORE:%=$(BUILD)/f32/%.o) $(CORE:%=$(BUILD)/f64/%.o)
LIB    := $(BUILD)/libsgdsweep.a
BIN    := $(BUILD)/sgdsweep
TESTS  := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_*.c))

.PHONY: all deps run claims check test bench install uninstall clean FORCE
all: $(BIN)

$(BUILD)/%.o: src/%.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) -c $< -o $@
# gitversion.h is rewritten only when the version or commit changes
$(BUILD)/version.o: $(BUILD)/gitversion.h
$(BUILD)/version.o: ALL_CFLAGS += -I$(BUILD)
$(BUILD)/gitversion.h: FORCE | $(BUILD)
	@printf '#define SGD_VERSION "%s"\n#define SGD_GIT "%s"\n' '$(VERSION)' '$(GIT)' > $@.new
	@cmp -s $@.new $@ && rm -f $@.new || mv $@.new $@
FORCE:
$(BUILD)/f32/%.o: src/%.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) -c $< -o $@
$(BUILD)/f64/%.o: src/%.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) -DSGD_F64 -c $< -o $@
$(LIB): $(OBJS)
	rm -f $@ && ar rcs $@ $^
$(BIN): $(BUILD)/main.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
# tests see the numeric core in double precision (-DSGD_F64)
$(BUILD)/tests/%: tests/%.c tests/testutil.h $(LIB) | $(BUILD)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -DSGD_F64 -Itests $< -o $@ $(ALL_LDFLAGS) $(LIB) $(LIBS) $(CHECK_LIBS)
# test_alloc counts every allocation our code makes
$(BUILD)/tests/test_alloc: ALL_LDFLAGS += -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc
$(BUILD):
	mkdir -p $(BUILD)/f32 $(BUILD)/f64 $(BUILD)/tests

deps:
	@scripts/deps.sh build test

# make run: the quickstart sweep on every local core, then its report.
# An existing result is continued (--resume), never overwritten.
RUN_SPEC ?= jobs/quickstart.yaml
RUN_OUT  ?= out/$(basename $(notdir $(RUN_SPEC))).h5
NP       ?= $(shell nproc)
# -q: a failing sweep prints its one line, not Open MPI's abort banner too. It
# also silences mpirun's own errors (no slots, no binary): the binary is built
# first, and NP above the core count asks for --oversubscribe itself.
MPIRUN   := $(if $(filter 0,$(shell id -u)),OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1) mpirun -q
run: deps
	@$(MAKE) --no-print-directory $(BIN)
	@mkdir -p $(dir $(RUN_OUT))
	$(MPIRUN) $(if $(shell [ $(NP) -gt $$(nproc) ] && echo y),--oversubscribe) -np $(NP) $(BIN) run $(RUN_SPEC) -o $(RUN_OUT) $(if $(wildcard $(RUN_OUT).journal),--resume)
	@$(PYTHON) analysis/report.py $(RUN_OUT)
	@echo "result file: $(RUN_OUT)"

# make claims: each small claim spec on every local core into out/claims/<spec>.h5
# (continued with --resume when its journal exists, like make run; a complete
# result without failed runs is left as it is, so that its wall time stays the
# sweep's: remove out/claims/<spec>.h5* to run it again), then the
# report of every claim, out/claims/REPORT.md (docs/CLAIMS.md).
CLAIM_SPECS := $(sort $(wildcard jobs/claims/*-small.yaml))
CLAIM_OUTS  := $(CLAIM_SPECS:jobs/claims/%.yaml=out/claims/%.h5)
claims: deps
	@$(MAKE) --no-print-directory $(BIN)
	@mkdir -p out/claims
	@set -e; for spec in $(CLAIM_SPECS); do \
	    out=out/claims/$$(basename $$spec .yaml).h5; \
	    if [ -f $$out ] && $(PYTHON) -c 'import h5py, sys; a = h5py.File(sys.argv[1], "r").attrs; sys.exit(0 if a.get("completed") and a.get("n_failed") == 0 else 1)' $$out 2>/dev/null; then \
	        echo "== $$spec: $$out is complete"; continue; fi; \
	    echo "== $$spec -> $$out"; \
	    $(MPIRUN) $(if $(shell [ $(NP) -gt $$(nproc) ] && echo y),--oversubscribe) -np $(NP) $(BIN) run $$spec -o $$out \
	        $$([ -f $$out.journal ] && echo --resume); \
	done
	$(PYTHON) analysis/claims/report.py out/claims $(CLAIM_OUTS)
	@echo "report: out/claims/REPORT.md"

# make check also runs every suite again under the sanitizers in CHECK_SAN
# (empty: skip); with SANITIZE set, only that build is tested.
CHECK_SAN ?= address,undefined
SAN_BUILD := $(if $(SANITIZE),,$(if $(CHECK_SAN),build-san))
check test: deps
	@$(MAKE) --no-print-directory $(BIN) $(TESTS)
	@$(if $(SAN_BUILD),$(MAKE) --no-print-directory SANITIZE=$(CHECK_SAN) BUILD=$(SAN_BUILD) \
	    $(SAN_BUILD)/sgdsweep $(TESTS:$(BUILD)/%=$(SAN_BUILD)/%))
	@BUILDS="$(BUILD) $(SAN_BUILD)" PYTHON=$(PYTHON) tests/run.sh

bench:
	@scripts/deps.sh build bench
	@$(MAKE) --no-print-directory $(BIN) $(BUILD)/bench_step
	@BUILD=$(BUILD) PYTHON=$(PYTHON) bench/run.sh
	@echo && BUILD=$(BUILD) bench/probe.sh
	@BUILD=$(BUILD) bench/scaling.sh
	@if [ "$(BENCH_SCALE)" = 1 ]; then echo && BUILD=$(BUILD) PYTHON=$(PYTHON) bench/scale.sh; fi

$(BUILD)/bench_step: bench/bench_step.c $(LIB) | $(BUILD)
	$(CC) $(ALL_CFLAGS) $< -o $@ $(ALL_LDFLAGS) $(LIB) $(LIBS)

# make install: under $(DESTDIR)$(PREFIX) (README.md, Installing)
#   bin/sgdsweep                     the program
#   bin/sgdsweep-{report,compare,claims-report}   the analysis scripts, from anywhere
#   share/sgdsweep/slurm/sweep.sbatch  the batch script, told where bin/sgdsweep is
#   share/sgdsweep/analysis/, jobs/  the analysis scripts and modules, the specs
#   share/doc/sgdsweep/              README.md and docs/
#   share/man/man1/sgdsweep.1        the man page (docs/sgdsweep.1)
# and share/sgdsweep/MANIFEST, every file it installed there (with those of an
# earlier install into the same place). make uninstall removes the files the
# MANIFEST lists (without one: the files this Makefile would install), then
# share/sgdsweep and share/doc/sgdsweep if nothing else is left in them.
TOOLS      := sgdsweep-report sgdsweep-compare sgdsweep-claims-report
DATA_FILES := $(sort $(wildcard analysis/*.py analysis/claims/*.py jobs/*.yaml jobs/claims/*.yaml))
DOC_FILES  := README.md $(sort $(wildcard docs/*.md docs/claims/*.png))
MANIFEST   := share/sgdsweep/MANIFEST
INSTALLED  := bin/sgdsweep $(TOOLS:%=bin/%) share/sgdsweep/slurm/sweep.sbatch \
  $(DATA_FILES:%=share/sgdsweep/%) $(DOC_FILES:%=share/doc/sgdsweep/%) share/man/man1/sgdsweep.1 $(MANIFEST)

install: $(BIN)
	@set -e; p='$(PREFIX)' d='$(DESTDIR)$(PREFIX)'; \
	case $$p in /*) ;; *) echo "make install: PREFIX must be an absolute path, not '$$p'" >&2; exit 2 ;; esac; \
	t=$$(mktemp -d); trap 'rm -rf "$$t"' EXIT; \
	put() { install -D -m "$$1" "$$2" "$$d/$$3"; echo "$$3" >>"$$t/list"; }; \
	put 755 $(BIN) bin/sgdsweep; \
	sed '1s|^#!.*|#!$(PYTHON)|' scripts/tool-wrapper.py >"$$t/wrapper"; \
	for n in $(TOOLS); do put 755 "$$t/wrapper" bin/$$n; done; \
	sed "s|^installed_bin=\$$|installed_bin='$$p/bin/sgdsweep'|" slurm/sweep.sbatch >"$$t/sweep.sbatch"; \
	grep -q "^installed_bin='" "$$t/sweep.sbatch"; \
	put 755 "$$t/sweep.sbatch" share/sgdsweep/slurm/sweep.sbatch; \
	for f in $(DATA_FILES); do put $$([ -x $$f ] && echo 755 || echo 644) $$f share/sgdsweep/$$f; done; \
	for f in $(DOC_FILES); do put 644 $$f share/doc/sgdsweep/$$f; done; \
	put 644 docs/sgdsweep.1 share/man/man1/sgdsweep.1; \
	echo $(MANIFEST) >>"$$t/list"; \
	[ ! -f "$$d/$(MANIFEST)" ] || cat "$$d/$(MANIFEST)" >>"$$t/list"; \
	sort -u "$$t/list" >"$$t/MANIFEST"; \
	install -D -m 644 "$$t/MANIFEST" "$$d/$(MANIFEST)"; \
	echo "installed under $$d: bin/sgdsweep, $(TOOLS:%=bin/%,) share/sgdsweep, share/doc/sgdsweep, share/man/man1/sgdsweep.1 (every file: $$d/$(MANIFEST))"

uninstall:
	@set -e; d='$(DESTDIR)$(PREFIX)'; \
	if [ -f "$$d/$(MANIFEST)" ]; then files=$$(cat "$$d/$(MANIFEST)"); \
	else echo "make uninstall: no $$d/$(MANIFEST); removing the files this Makefile installs"; files='$(INSTALLED)'; fi; \
	n=0; for f in $$files; do \
	    case /$$f/ in //|*/../*|*/./*) echo "make uninstall: skipping '$$f' (not a path inside PREFIX)" >&2; continue ;; esac; \
	    case $$f in /*) echo "make uninstall: skipping '$$f' (not a path inside PREFIX)" >&2; continue ;; esac; \
	    if [ -f "$$d/$$f" ] || [ -L "$$d/$$f" ]; then rm -f "$$d/$$f"; n=$$((n + 1)); fi; \
	done; \
	for g in share/sgdsweep share/doc/sgdsweep; do \
	    [ ! -d "$$d/$$g" ] || find "$$d/$$g" -depth -type d -empty -delete; done; \
	echo "removed $$n files under $$d"

clean:
	rm -rf build build-san

-include $(wildcard $(BUILD)/*.d $(BUILD)/*/*.d)
