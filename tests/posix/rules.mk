# tests/posix/rules.mk - tests of the POSIX port's own pieces (port/posix/),
# host only: they use stdio files, which the Cortex-M4 unit image (every
# tests/unit program) has no use for. Read at the end of the top Makefile.

POSIX_TEST_SRC := $(sort $(wildcard tests/posix/test_*.c))
POSIX_TEST_BIN := $(POSIX_TEST_SRC:tests/posix/%.c=$(BUILD)/tests/posix/%)

$(BUILD)/tests/posix/%: tests/posix/%.c $(LIB) $(POSIX_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -Isrc $< $(POSIX_LIB) $(LIB) $(LDLIBS) -o $@

CHECK_BUILD += $(POSIX_TEST_BIN)
CHECK_TESTS += $(POSIX_TEST_BIN)
