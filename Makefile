# crto - the one Makefile.
#
#   make            libcrto.a, the POSIX port and the crto command for the host
#   make test       fast host unit tests
#   make check      everything CI runs (ends with "N passed, N failed")
#   make demo       the main job against the bundled fake Criteo server
#   make deps       installs missing Debian packages (idempotent, quiet)
#   make gateway-check  the ARM Linux gateway targets: cross-built, unit tests
#                   and an end-to-end upload under qemu-user
#   make size       libcrto's code size for a Cortex-M4 kiosk vs the host (report only)
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

# Gateways: each boards/linux-gateway/<target>.mk adds its target to
# GATEWAY_TARGETS and sets <target>_CC, <target>_AR and <target>_RUN. All are
# read so that `make check` can build and run every one of them.
GATEWAY_TARGETS :=
include $(sort $(wildcard boards/linux-gateway/*.mk))

# Ports, firmware boards and test kinds bring their own rules in
# port/<port>/rules.mk, boards/<board>/rules.mk and tests/<kind>/rules.mk
# (read at the end of this file, after the variables
# they use). Each adds to these: what `make check` builds first, and the
# test commands it runs (each prints "N passed, N failed").
CHECK_BUILD :=
CHECK_TESTS :=
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
.PHONY: all lib test check demo deps deps-cross deps-m4 sources clean unit-tests integration-tests clang-build fleet-sim \
	gateway-check sanitize-build format format-check coverage coverage-build lint lint-cppcheck lint-clang-tidy
KIOSK     := $(BUILD)/bin/kiosk
all: $(LIB) $(POSIX_LIB) $(CLI) $(KIOSK)
lib: $(LIB)

deps:
	@sh tools/deps.sh

# Cross compilers, multiarch libmbedtls-dev and qemu-user for the gateways.
deps-cross: deps
	@sh tools/deps.sh cross

# The bare-metal Cortex-M4 toolchain and qemu-system-arm (boards/mps2-an386).
deps-m4: deps
	@sh tools/deps.sh m4

# mbedTLS and lwIP sources from Debian's source packages (orig tarballs,
# sha256-checked), unpacked into $(DEB_SRC); see tools/fetch_sources.sh.
DEB_SRC := build/deb-src
MBEDTLS_SRC := $(DEB_SRC)/mbedtls-2.28.3
LWIP_SRC := $(DEB_SRC)/lwip-2.1.3
$(DEB_SRC)/.done:
	@sh tools/fetch_sources.sh $(DEB_SRC)
sources: $(DEB_SRC)/.done

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

# Every host test again, built with ASan+UBSan (clang; UB aborts), and the
# integration suites once more under each checker: their programs are
# wrapped (tools/wrap_build.sh) so findings land in per-process logs that
# tools/check_logs.sh reads afterwards.
SAN_OPT := -O1 -g -gdwarf-4 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
SAN_UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/host-asan/tests/%)
sanitize-build:
	@$(MAKE) --no-print-directory TARGET=host-asan CC=clang OPT="$(SAN_OPT)" all unit-tests >/dev/null
	@sh tools/wrap_build.sh sanitizers build/host-asan build/host-asan-run
	@sh tools/wrap_build.sh valgrind build/host-clang build/host-valgrind

# The integration suites of one build directory $(1).
integration_tests = "$(PYTHON) tests/integration/test_cli_upload.py $(1)/bin/crto" \
	"$(PYTHON) tests/integration/test_cli_api.py $(1)/bin/crto" \
	"$(PYTHON) tests/integration/test_api_lib.py $(1)" \
	"$(PYTHON) tests/integration/test_queue.py $(1)/bin/crto $(1)/bin/kiosk" \
	"$(PYTHON) tests/integration/test_faults.py $(1)/bin/crto"

# `make coverage`: line and branch coverage of src/ (gcovr) from a
# --coverage build running the unit tests and the integration suites that
# reach TLS and the API commands; fails below COVERAGE_MIN % of lines.
COVERAGE_MIN ?= 90
coverage-build:
	@$(MAKE) --no-print-directory TARGET=host-cov OPT="-O0 -g --coverage" all unit-tests >/dev/null
coverage: deps coverage-build
	@sh tools/coverage.sh $(COVERAGE_MIN)

# Source layout is .clang-format's (clang-format 14); `make format` applies
# it, `make format-check` (in make check) fails on any difference.
FORMAT_FILES = $(sort $(wildcard src/*.[ch] include/crto/*.h port/*/*.[ch]))
format:
	@clang-format -i $(FORMAT_FILES)
format-check:
	@if clang-format --dry-run --Werror $(FORMAT_FILES) 2>/tmp/crto-format.$$$$; then \
	    echo "ok - format: $(words $(FORMAT_FILES)) files as .clang-format lays them out"; echo "1 passed, 0 failed"; \
	else head -n 40 /tmp/crto-format.$$$$; echo "not ok - format: run make format"; echo "0 passed, 1 failed"; fi; \
	rm -f /tmp/crto-format.$$$$

# Static analysis of crto's own C (src/ and port/): cppcheck and
# clang-tidy (checks and reasons in .clang-tidy, tools/lint/README.md).
# Each prints its own "N passed, N failed"; any finding fails.
LINT_SRC   = $(sort $(wildcard src/*.c port/posix/*.c port/mem/*.c))
LINT_INC   = -Iinclude -Isrc -Iport/posix -Iport/mem
LINT_FLAGS = -std=c11 $(LINT_INC)
# The lwIP port is analysed against lwIP's headers and the host lwipopts
# (the raw variant with its own NO_SYS=1 options).
LINT_LWIP_INC = -Iport/lwip -isystem port/lwip/host -isystem $(LWIP_SRC)/src/include
LINT_LWIP_RAW = port/lwip/crto_port_lwip_raw.c
LINT_LWIP_SOCK = port/lwip/crto_port_lwip_sockets.c port/lwip/host/sys_arch.c port/lwip/host/tapif.c
CPPCHECK = cppcheck -q --inline-suppr --suppressions-list=tools/lint/cppcheck.supp --error-exitcode=1 \
	--enable=warning,style,performance,portability --std=c11 -UCRTO_CONFIG_FILE
LINT_N = $(words $(LINT_SRC) $(LINT_LWIP_RAW) $(LINT_LWIP_SOCK))
lint: lint-cppcheck lint-clang-tidy
lint-cppcheck: $(DEB_SRC)/.done
	@if $(CPPCHECK) $(LINT_INC) $(LINT_SRC) && \
	    $(CPPCHECK) -Iinclude -Iport/lwip -Iport/lwip/host/raw -Iport/lwip/host $(LINT_LWIP_RAW) && \
	    $(CPPCHECK) -Iinclude -Iport/lwip -Iport/lwip/host $(LINT_LWIP_SOCK); then \
	    echo "ok - cppcheck: $(LINT_N) files, no finding"; echo "1 passed, 0 failed"; \
	else echo "not ok - cppcheck"; echo "0 passed, 1 failed"; fi
lint-clang-tidy: $(DEB_SRC)/.done
	@if clang-tidy --quiet $(LINT_SRC) -- $(LINT_FLAGS) 2>/dev/null && \
	    clang-tidy --quiet $(LINT_LWIP_RAW) -- -std=c11 -Iinclude -isystem port/lwip/host/raw $(LINT_LWIP_INC) 2>/dev/null && \
	    clang-tidy --quiet $(LINT_LWIP_SOCK) -- -std=c11 -Iinclude $(LINT_LWIP_INC) 2>/dev/null; then \
	    echo "ok - clang-tidy: $(LINT_N) files, no finding"; echo "1 passed, 0 failed"; \
	else echo "not ok - clang-tidy"; echo "0 passed, 1 failed"; fi

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
	@$(MAKE) --no-print-directory all unit-tests $(FLEET_SIM) $(CHECK_BUILD)
	@$(MAKE) --no-print-directory clang-build
	@$(MAKE) --no-print-directory sanitize-build coverage-build
	@sh tools/run_tests.sh $(UNIT_BIN) $(CLANG_UNIT_BIN) $(SAN_UNIT_BIN) \
	    "sh tools/check_no_malloc.sh $(LIB) $(POSIX_LIB) build/host-clang/lib/libcrto.a" \
	    "$(MAKE) --no-print-directory format-check" "sh tools/coverage.sh $(COVERAGE_MIN)" \
	    "$(MAKE) --no-print-directory lint-cppcheck" "$(MAKE) --no-print-directory lint-clang-tidy" \
	    "sh tools/check_readme_example.sh $(CC) $(BUILD)" \
	    "$(FLEET_SIM)" "$(FLEET_SIM) --tz-min 1 --tz-max 1" \
	    "$(PYTHON) tests/fake_criteo/selftest.py" \
	    "$(PYTHON) tests/conformance/selftest_validate.py" \
	    $(call integration_tests,$(BUILD)) \
	    $(call integration_tests,build/host-asan-run) \
	    "sh tools/check_logs.sh sanitizers build/host-asan-run/logs" \
	    $(call integration_tests,build/host-valgrind) \
	    "sh tools/check_logs.sh valgrind build/host-valgrind/logs" \
	    $(foreach t,$(GATEWAY_TARGETS),$(call gateway_tests,$(t))) \
	    $(CHECK_TESTS)
else
# make check TARGET=<gateway>: that target's suite alone.
check: deps-cross
	@sh tools/run_tests.sh $(call gateway_tests,$(TARGET))
endif

demo: deps
	@$(MAKE) --no-print-directory all
	@$(PYTHON) tools/demo.py $(CLI)

# `make size`: libcrto's code size for a Cortex-M4 kiosk (the flags of
# FreeRTOS's published size tables), per module, against issue 5's budget
# "libcrto with every feature <= 16 KiB" of .text + .data, next to the same
# sources built -Os for the host. It only reports; nothing fails over budget.
# Installs arm-none-eabi-gcc and newlib first (sh tools/deps.sh m4).
# jsmn.h and the mbedtls headers are copied into build/m4-size/include/ so
# the cross compiler never searches /usr/include.
SIZE_DIR    := build/m4-size
SIZE_BUDGET := 16384
M4_CC       := arm-none-eabi-gcc
M4_SIZE     := arm-none-eabi-size
M4_CFLAGS   := -Os -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 \
	-ffunction-sections -fdata-sections -std=c11 -Wall -Wextra -Werror
SIZE_HOST_CC     := gcc
SIZE_HOST_CFLAGS := -Os -ffunction-sections -fdata-sections -std=c11 -Wall -Wextra -Werror
M4_SIZE_OBJ   := $(LIB_SRC:src/%.c=$(SIZE_DIR)/obj/%.o)
HOST_SIZE_OBJ := $(LIB_SRC:src/%.c=$(SIZE_DIR)/host/%.o)
SIZE_HEADERS  := $(SIZE_DIR)/include/.copied

.PHONY: size size-build
size: deps
	@sh tools/deps.sh m4
	@$(MAKE) --no-print-directory size-build
	@sh tools/size_table.sh $(M4_SIZE) $(SIZE_DIR)/obj size $(SIZE_DIR)/host $(SIZE_BUDGET)

size-build: $(M4_SIZE_OBJ) $(HOST_SIZE_OBJ)
	@echo "$$($(M4_CC) --version | head -n 1)"

# Debian's mbedtls/config.h asks for pthreads, sockets and files, which newlib
# on a bare Cortex-M4 lacks; the M4 build gets the configuration of
# /work/shared/TOOLCHAIN.md section 3 instead, written here at build time.
define M4_MBEDTLS_CONFIG
/* Generated by `make size`: mbedTLS 2.28 for a Cortex-M4 kiosk. */
#ifndef CRTO_M4_MBEDTLS_CONFIG_H
#define CRTO_M4_MBEDTLS_CONFIG_H
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_ENTROPY_HARDWARE_ALT
#define MBEDTLS_DEPRECATED_REMOVED
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_GCM_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_CTR_DRBG_C
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_WINDOW_SIZE 2
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_MPI_MAX_SIZE 512
#define MBEDTLS_MPI_WINDOW_SIZE 2
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH
#define MBEDTLS_SSL_IN_CONTENT_LEN 16384
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096
#define MBEDTLS_SSL_CIPHERSUITES MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, \
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
#include "mbedtls/check_config.h"
#endif
endef

$(SIZE_HEADERS): /usr/include/jsmn.h /usr/include/mbedtls/version.h
	@rm -rf $(dir $@) && mkdir -p $(dir $@)
	cp /usr/include/jsmn.h $(dir $@)
	cp -R /usr/include/mbedtls $(dir $@)
	@touch $@

# (A recipe is expanded just before it runs, so $(SIZE_DIR) exists by then.)
$(SIZE_DIR)/mbedtls_config_m4.h: Makefile | $(SIZE_HEADERS)
	$(file >$@,$(M4_MBEDTLS_CONFIG))
	@echo "wrote $@"

$(SIZE_DIR)/obj/%.o: src/%.c $(SIZE_DIR)/mbedtls_config_m4.h | $(SIZE_HEADERS)
	@mkdir -p $(dir $@)
	$(M4_CC) $(M4_CFLAGS) -Iinclude -I$(SIZE_DIR)/include -I$(SIZE_DIR) \
	    '-DMBEDTLS_CONFIG_FILE="mbedtls_config_m4.h"' -MMD -MP -c $< -o $@

$(SIZE_DIR)/host/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(SIZE_HOST_CC) $(SIZE_HOST_CFLAGS) -Iinclude -MMD -MP -c $< -o $@

-include $(M4_SIZE_OBJ:.o=.d) $(HOST_SIZE_OBJ:.o=.d)

clean:
	rm -rf build

include $(sort $(wildcard port/*/rules.mk boards/*/rules.mk tests/*/rules.mk)) tools/bench/rules.mk

-include $(LIB_OBJ:.o=.d) $(POSIX_OBJ:.o=.d) $(MEM_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
