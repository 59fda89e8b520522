# tools/bench/rules.mk - `make bench` (issue 7): crto beside curl and
# SHA-256 alone, and the instruction counts. Read at the end of the top
# Makefile (it uses CC, LIB, CLI, LDLIBS and WARN).
#
#   make bench                    1,000,000 e-mails, 5 timed runs each; prints
#                                 the tables and writes them to docs/bench.md
#   make bench BENCH_COUNT=200000 BENCH_RUNS=3
#
# A benchmark, never a timed test. make check runs two checks that do not
# depend on time: the instruction budget (instr.py --check; callgrind counts
# are the same on every run) and a 120,000-identifier bench run that checks
# requests, handshakes, peak RSS and the exact identifiers (bench.py --check).

BENCH_DIR   := build/bench
BENCH_COUNT ?= 1000000
BENCH_RUNS  ?= 5
BENCH_CFLAGS := -O2 -g -std=c11 $(WARN) -Iinclude
BENCH_TOOLS := $(BENCH_DIR)/sha_only $(BENCH_DIR)/rusage $(BENCH_DIR)/instr
BENCH_ARGS  := --crto $(CLI) --sha-only $(BENCH_DIR)/sha_only --rusage $(BENCH_DIR)/rusage

.PHONY: bench bench-build
bench: deps
	@sh tools/deps.sh bench
	@$(MAKE) --no-print-directory all bench-build
	@$(PYTHON) tools/bench/instr.py --instr $(BENCH_DIR)/instr --suites aes256,aes128,chacha20 \
	    --out $(BENCH_DIR)/instr.md
	@$(PYTHON) tools/bench/bench.py $(BENCH_ARGS) --count $(BENCH_COUNT) --runs $(BENCH_RUNS) \
	    --instr $(BENCH_DIR)/instr.md --write docs/bench.md

bench-build: $(BENCH_TOOLS)

$(BENCH_DIR)/sha_only: tools/bench/sha_only.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $< -lmbedcrypto -o $@

$(BENCH_DIR)/rusage: tools/bench/rusage.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $< -o $@

# The in-process server answers with the lwIP tests' transport-agnostic
# HTTP responder.
$(BENCH_DIR)/instr: tools/bench/instr.c tests/lwip/http_responder.c tests/lwip/http_responder.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -Itests/lwip tools/bench/instr.c tests/lwip/http_responder.c $(LIB) $(LDLIBS) -o $@

CHECK_BUILD += $(BENCH_TOOLS)
CHECK_TESTS += "$(PYTHON) tools/bench/instr.py --instr $(BENCH_DIR)/instr --check" \
	"$(PYTHON) tools/bench/bench.py $(BENCH_ARGS) --count 120000 --runs 1 --check --work $(BENCH_DIR)/check"
