# crto - the one Makefile.
#
#   make            libcrto.a, the POSIX port and the crto command for the host
#   make test       fast host unit tests
#   make check      everything CI runs (ends with "N passed, N failed")
#   make demo       the main job against the bundled fake Criteo server
#   make deps       installs missing Debian packages (idempotent, quiet)
#   make gateway-check  the ARM Linux gateway targets: cross-built, unit tests
#                   and an end-to-end upload under qemu-user
#   make clean
#
#   make TARGET=aarch64-linux all unit-tests   (or armhf-linux) cross-builds;
#   make TARGET=aarch64-linux check            runs that target's suite.
#
# Outputs go to build/<target>/: lib/libcrto.a, lib/libcrto_posix.a, bin/crto,
# tests/.

TARGET   ?= host
BUILD    := build/$(TARGET)
CC       ?= gcc
AR       ?= ar
PYTHON   ?= python3
# Prefix that runs a $(TARGET) program on this machine (an emulator); empty
# for the host.
RUN      :=

# Boards: each boards/<board>/<target>.mk adds its target to GATEWAY_TARGETS
# and sets <target>_CC, <target>_AR and <target>_RUN. All are read so that
# `make check` can build and run every one of them.
GATEWAY_TARGETS :=
include $(sort $(wildcard boards/*/*.mk))
ifneq ($(filter $(TARGET),$(GATEWAY_TARGETS)),)
CC       := $($(TARGET)_CC)
AR       := $($(TARGET)_AR)
RUN      := $($(TARGET)_RUN)
endif

WARN     := -Wall -Wextra -Werror -Wconversion -Wshadow -pedantic
OPT      ?= -O2 -g
# CFLAGS stays the user's to add to; the flags crto needs are always there.
ALL_CFLAGS = $(OPT) $(CFLAGS) -std=c11 $(WARN) -Iinclude -Iport/posix -Iport/mem
LDLIBS   := -lmbedtls -lmbedx509 -lmbedcrypto

LIB_SRC   := $(sort $(wildcard src/*.c))
POSIX_SRC := $(sort $(wildcard port/posix/*.c))
MEM_SRC   := $(sort $(wildcard port/mem/*.c))
CLI_SRC   := $(sort $(wildcard tools/crto/*.c))
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))

LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
POSIX_OBJ := $(POSIX_SRC:%.c=$(BUILD)/obj/%.o)
MEM_OBJ   := $(MEM_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ   := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)

LIB       := $(BUILD)/lib/libcrto.a
POSIX_LIB := $(BUILD)/lib/libcrto_posix.a
MEM_LIB   := $(BUILD)/lib/libcrto_mem.a
CLI       := $(BUILD)/bin/crto
ITEST_SRC := $(sort $(wildcard tests/integration/itest_*.c))
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
ITEST_BIN := $(ITEST_SRC:tests/integration/%.c=$(BUILD)/tests/%)
CLANG_UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/host-clang/tests/%)

# `make demo`, `make test` and `make check` install what they need first;
# `make all` alone assumes the packages are there.
.PHONY: all lib test check demo deps deps-cross clean unit-tests integration-tests clang-build fleet-sim \
	gateway-check
KIOSK     := $(BUILD)/bin/kiosk
all: $(LIB) $(POSIX_LIB) $(CLI) $(KIOSK)
lib: $(LIB)

deps:
	@sh tools/deps.sh

# Cross compilers, multiarch libmbedtls-dev and qemu-user for the gateways.
deps-cross: deps
	@sh tools/deps.sh cross

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	$(AR) rcs $@ $^

$(POSIX_LIB): $(POSIX_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	$(AR) rcs $@ $^

$(MEM_LIB): $(MEM_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	$(AR) rcs $@ $^

$(CLI): $(CLI_OBJ) $(POSIX_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CLI_OBJ) $(POSIX_LIB) $(LIB) $(LDLIBS) -o $@

# The kiosk example is built like an integrator's firmware application.
$(KIOSK): examples/kiosk/kiosk.c $(POSIX_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(POSIX_LIB) $(LIB) $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(LIB) $(MEM_LIB) $(POSIX_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -Isrc $< $(MEM_LIB) $(POSIX_LIB) $(LIB) $(LDLIBS) -o $@

# Integration programs drive the library against the fake server; the
# Python wrappers in tests/integration/ start the server and run them.
$(BUILD)/tests/itest_%: tests/integration/itest_%.c $(LIB) $(POSIX_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -Isrc $< $(POSIX_LIB) $(LIB) $(LDLIBS) -o $@

unit-tests: $(UNIT_BIN) $(ITEST_BIN)

FLEET_SIM := $(BUILD)/bin/fleet_sim

# 10,000 devices on one credential running the real crto_flush_plan and
# crto_rate_budget; exits 1 when a UTC minute goes over 250 calls.
$(FLEET_SIM): tools/fleet_sim.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(LIB) -o $@

fleet-sim: $(FLEET_SIM)
	$(FLEET_SIM)
	$(FLEET_SIM) --tz-min 1 --tz-max 1

# Each test program prints "N passed, N failed"; tools/run_tests.sh runs
# them all and adds the lines up.
test: deps
	@$(MAKE) --no-print-directory all unit-tests
	@sh tools/run_tests.sh $(UNIT_BIN)

# The same library and tests must build warning-free with clang (-gdwarf-4
# so valgrind 3.19 can read the debug info).
clang-build:
	@$(MAKE) --no-print-directory TARGET=host-clang CC=clang OPT="-O2 -gdwarf-4" all unit-tests >/dev/null

# The test commands of one gateway target $(1): the cross build (one check,
# so a failed build still lets everything else run and report), every unit
# test under its emulator, then the end-to-end upload of the emulated crto to
# the fake server. Each prints its own "N passed, N failed".
gateway_tests = "MAKE=$(MAKE) sh boards/linux-gateway/build.sh $(1)" \
	$(foreach t,$(UNIT_SRC:tests/unit/%.c=%),"$($(1)_RUN) build/$(1)/tests/$(t)") \
	"$(PYTHON) tests/integration/test_gateway.py $($(1)_RUN) build/$(1)/bin/crto"

# One total per target.
gateway-check: deps-cross
	@st=0; $(foreach t,$(GATEWAY_TARGETS),echo "=== $(t)"; \
	    sh tools/run_tests.sh $(call gateway_tests,$(t)) || st=1;) exit $$st

ifeq ($(filter $(TARGET),$(GATEWAY_TARGETS)),)
check: deps-cross
	@$(MAKE) --no-print-directory all unit-tests $(FLEET_SIM)
	@$(MAKE) --no-print-directory clang-build
	@sh tools/run_tests.sh $(UNIT_BIN) $(CLANG_UNIT_BIN) \
	    "sh tools/check_no_malloc.sh $(LIB) $(POSIX_LIB) build/host-clang/lib/libcrto.a" \
	    "sh tools/check_readme_example.sh $(CC) $(BUILD)" \
	    "$(FLEET_SIM)" "$(FLEET_SIM) --tz-min 1 --tz-max 1" \
	    "$(PYTHON) tests/fake_criteo/selftest.py" \
	    "$(PYTHON) tests/conformance/selftest_validate.py" \
	    "$(PYTHON) tests/integration/test_cli_upload.py $(CLI)" \
	    "$(PYTHON) tests/integration/test_cli_api.py $(CLI)" \
	    "$(PYTHON) tests/integration/test_api_lib.py $(BUILD)" \
	    "$(PYTHON) tests/integration/test_queue.py $(CLI) $(KIOSK)" \
	    $(foreach t,$(GATEWAY_TARGETS),$(call gateway_tests,$(t)))
else
# make check TARGET=<gateway>: that target's suite alone.
check: deps-cross
	@sh tools/run_tests.sh $(call gateway_tests,$(TARGET))
endif

demo: deps
	@$(MAKE) --no-print-directory all
	@$(PYTHON) tools/demo.py $(CLI)

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(POSIX_OBJ:.o=.d) $(MEM_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
