# tests/fuzz/rules.mk - libFuzzer targets for every parser crto runs on
# bytes from the network or from storage. Read at the end of the top
# Makefile (it uses LIB_SRC, MEM_SRC, WARN and LDLIBS).
#
#   make fuzz                    builds, then runs each target FUZZ_TIME (60) s
#   make fuzz FUZZ_TIME=600      longer; FUZZ_TARGETS="json_reader journal" a subset
#   make fuzz-build              the binaries only (build/fuzz/fuzz_<name>)
#   make fuzz-corpus             regenerates the seed corpora in tests/fuzz/corpus/
#   sh tests/fuzz/smoke.sh       every target ~3 s (make check runs it)
#
# Each target is tests/fuzz/fuzz_<name>.c, built with clang, libFuzzer,
# AddressSanitizer and UndefinedBehaviorSanitizer (-fno-sanitize-recover:
# undefined behaviour aborts) over the library's sources compiled the same
# way into build/fuzz/. Its seeds are tests/fuzz/corpus/<name>/ and its
# dictionary tests/fuzz/<name>.dict. Runs work on a copy of the seeds
# (build/fuzz/corpus-work/<name>, kept between `make fuzz` runs so the
# corpus grows; smoke runs start from a fresh copy in build/fuzz/smoke-work);
# the committed corpus is never written. A crash leaves its input in
# <work dir>/artifacts/<name>/ and its log in <work dir>/<name>.log.
#
# Needs clang and its runtime libraries: Debian's libclang-rt-14-dev (only
# a Recommends of clang, so --no-install-recommends leaves it out).

FUZZ_DIR     := build/fuzz
FUZZ_CC      ?= clang
FUZZ_AR      ?= ar
FUZZ_TIME    ?= 60
FUZZ_NAMES   := http_reader json_reader json_splitter envelope identifier journal
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS  := -g -O1 -fno-omit-frame-pointer -std=c11 $(WARN) -Iinclude -Iport/mem -Isrc $(FUZZ_SAN)
FUZZ_LIB_OBJ := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(LIB_SRC) $(MEM_SRC))
FUZZ_LIB     := $(FUZZ_DIR)/libcrto_fuzz.a
FUZZ_BIN     := $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)
FUZZ_GEN     := $(FUZZ_DIR)/gen_journal_seeds

.PHONY: fuzz fuzz-build fuzz-corpus

# Library objects: coverage-instrumented, without libFuzzer's main.
$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	$(FUZZ_AR) rcs $@ $^

$(FUZZ_BIN): $(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_LIB) $(LDLIBS) -o $@

fuzz-build: $(FUZZ_BIN)
	@:

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@sh tests/fuzz/run.sh -t $(FUZZ_TIME) -w $(FUZZ_DIR)/corpus-work -k $(FUZZ_TARGETS)

# Journal images written by the library itself (a plain build: it only
# writes files), and the text seeds of tests/fuzz/gen_corpus.py.
$(FUZZ_GEN): tests/fuzz/gen_journal_seeds.c $(LIB_SRC) $(MEM_SRC)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -O1 -g -std=c11 $(WARN) -Iinclude -Iport/mem $< $(LIB_SRC) $(MEM_SRC) $(LDLIBS) -o $@

fuzz-corpus: $(FUZZ_GEN)
	$(PYTHON) tests/fuzz/gen_corpus.py tests/fuzz/corpus
	$(FUZZ_GEN) tests/fuzz/corpus/journal

CHECK_BUILD += $(FUZZ_BIN)
CHECK_TESTS += "sh tests/fuzz/smoke.sh"

-include $(FUZZ_LIB_OBJ:.o=.d)
