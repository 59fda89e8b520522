# boards/mps2-an386/rules.mk - the Cortex-M4 kiosk reference board
# (qemu-system-arm -M mps2-an386), read at the end of the top-level Makefile.
#
#   make m4-check       build and run this board's suites only
#   make m4-images      build the images only
#   make m4-sizes       arm-none-eabi-size of the images and archives
#
# Everything goes to build/mps2-an386/:
#   include/jsmn.h                  copied from /usr/include (never -I/usr/include)
#   mbedtls/<cfg>/*.o, lib/libmbed{crypto,x509,tls}.a   mbedTLS 2.28.3 from $(MBEDTLS_SRC)
#   lib/libcrto.a, lib/libcrto_mem.a                     src/*.c, port/mem/*.c
#   board/*.o                                            this folder's code
#   unit/*.o, unit_tests.elf, unit_tests.map             image (a): every tests/unit program
#
# An image is: its own objects + $(MPS2_BOARD_OBJ) + libraries, linked by
# mps2_link (below) with the map check afterwards. The end-to-end image (b)
# will add its objects (lwIP, port/lwip, the responder) the same way, with
# mbedTLS built from mbedtls_config_e2e.h via $(call mps2_mbedtls,e2e,...).

MPS2_DIR     := boards/mps2-an386
MPS2_OUT     := build/mps2-an386
MPS2_CC      := arm-none-eabi-gcc
MPS2_AR      := arm-none-eabi-ar
MPS2_OBJCOPY := arm-none-eabi-objcopy
MPS2_SIZE    := arm-none-eabi-size
MPS2_HOST_CC := gcc
# 120 s is far above a run (about a second); a hang can never block `make check`.
MPS2_QEMU    := timeout 120 qemu-system-arm -M mps2-an386 -nographic \
	-semihosting-config enable=on,target=native -kernel

# The flags of TOOLCHAIN.md section 3; newlib-nano (only its string, ctype
# and conversion functions end up linked: stdio is board_stdio.c).
MPS2_ARCH    := -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16
MPS2_BASE    := $(MPS2_ARCH) -Os -g -ffunction-sections -fdata-sections --specs=nano.specs
# Third-party headers (jsmn, mbedTLS) are -isystem, as /usr/include is on the
# host build: their own warnings are not crto's.
MPS2_INC     := -Iinclude -I$(MPS2_DIR) -isystem $(MPS2_OUT)/include -isystem $(MBEDTLS_SRC)/include
MPS2_TLS_CFG := '-DMBEDTLS_CONFIG_FILE="mbedtls_config.h"'
# crto code (src/, port/, this board, the tests): the project's warnings, -Werror.
MPS2_CFLAGS  := $(MPS2_BASE) -std=c11 $(WARN) $(MPS2_INC) $(MPS2_TLS_CFG) \
	-DCRTO_MPS2_INSECURE_EMULATED_ENTROPY
# mbedTLS's own files: warnings shown, not fatal (third-party code).
MPS2_TLS_CFLAGS := $(MPS2_BASE) -std=c99 -Wall -Wextra $(MPS2_INC)

# -nostartfiles: startup.c is the whole C runtime (no rdimon crt0, no heap).
# No -lrdimon/-lnosys: a libc function that needs a syscall (sbrk, write)
# fails to link instead of being stubbed.
MPS2_LDFLAGS := $(MPS2_ARCH) --specs=nano.specs -nostartfiles -T $(MPS2_DIR)/mps2.ld -Wl,--gc-sections

MPS2_JSMN    := $(MPS2_OUT)/include/jsmn.h

# ---- mbedTLS ---------------------------------------------------------------
# The library lists are upstream's (library/Makefile): X.509 and TLS objects
# by name, the rest is crypto. The source list is read when make starts, so
# the targets below that need it run in a sub-make after `make sources`.
MPS2_TLS_ALL    := $(notdir $(basename $(wildcard $(MBEDTLS_SRC)/library/*.c)))
MPS2_TLS_X509   := certs pkcs11 x509 x509_create x509_crl x509_crt x509_csr x509write_crt x509write_csr
MPS2_TLS_TLS    := debug net_sockets ssl_cache ssl_ciphersuites ssl_cli ssl_cookie ssl_msg ssl_srv \
	ssl_ticket ssl_tls ssl_tls13_keys
MPS2_TLS_CRYPTO := $(filter-out $(MPS2_TLS_X509) $(MPS2_TLS_TLS),$(MPS2_TLS_ALL))

# $(call mps2_mbedtls,VARIANT,CONFIG_HEADER): rules for the three archives of
# one configuration in $(MPS2_OUT)/lib/VARIANT/.
define mps2_mbedtls
$(MPS2_OUT)/mbedtls/$(1)/%.o: $(MBEDTLS_SRC)/library/%.c $(MPS2_DIR)/$(2) | $(DEB_SRC)/.done
	@mkdir -p $$(dir $$@)
	@$(MPS2_CC) $(MPS2_TLS_CFLAGS) '-DMBEDTLS_CONFIG_FILE="$(2)"' -MMD -MP -c $$< -o $$@
$(MPS2_OUT)/lib/$(1)/libmbedcrypto.a: $(MPS2_TLS_CRYPTO:%=$(MPS2_OUT)/mbedtls/$(1)/%.o)
$(MPS2_OUT)/lib/$(1)/libmbedx509.a: $(MPS2_TLS_X509:%=$(MPS2_OUT)/mbedtls/$(1)/%.o)
$(MPS2_OUT)/lib/$(1)/libmbedtls.a: $(MPS2_TLS_TLS:%=$(MPS2_OUT)/mbedtls/$(1)/%.o)
MPS2_TLS_LIBS_$(1) := $(MPS2_OUT)/lib/$(1)/libmbedtls.a $(MPS2_OUT)/lib/$(1)/libmbedx509.a \
	$(MPS2_OUT)/lib/$(1)/libmbedcrypto.a
-include $(MPS2_TLS_ALL:%=$(MPS2_OUT)/mbedtls/$(1)/%.d)
endef
$(eval $(call mps2_mbedtls,client,mbedtls_config.h))
$(eval $(call mps2_mbedtls,e2e,mbedtls_config_e2e.h))

$(MPS2_OUT)/lib/%.a:
	@test -n "$^" || { echo "$@: no objects (run 'make sources' first)" >&2; exit 1; }
	@mkdir -p $(dir $@)
	@rm -f $@
	$(MPS2_AR) rcs $@ $^

# ---- crto: libcrto, the mem port, the board ----------------------------------
MPS2_LIB_OBJ   := $(LIB_SRC:%.c=$(MPS2_OUT)/obj/%.o)
MPS2_MEM_OBJ   := $(MEM_SRC:%.c=$(MPS2_OUT)/obj/%.o)
MPS2_LIB       := $(MPS2_OUT)/lib/libcrto.a
MPS2_MEM_LIB   := $(MPS2_OUT)/lib/libcrto_mem.a
# Shared by every image on this board.
MPS2_BOARD_SRC := $(MPS2_DIR)/startup.c $(MPS2_DIR)/board.c $(MPS2_DIR)/board_stdio.c
MPS2_BOARD_OBJ := $(MPS2_BOARD_SRC:$(MPS2_DIR)/%.c=$(MPS2_OUT)/board/%.o)

$(MPS2_LIB): $(MPS2_LIB_OBJ)
$(MPS2_MEM_LIB): $(MPS2_MEM_OBJ)

$(MPS2_JSMN): /usr/include/jsmn.h
	@mkdir -p $(dir $@)
	cp $< $@

$(MPS2_OUT)/obj/%.o: %.c $(MPS2_DIR)/mbedtls_config.h | $(MPS2_JSMN) $(DEB_SRC)/.done
	@mkdir -p $(dir $@)
	$(MPS2_CC) $(MPS2_CFLAGS) -Iport/mem -MMD -MP -c $< -o $@

$(MPS2_OUT)/board/%.o: $(MPS2_DIR)/%.c $(MPS2_DIR)/mbedtls_config.h | $(MPS2_JSMN) $(DEB_SRC)/.done
	@mkdir -p $(dir $@)
	$(MPS2_CC) $(MPS2_CFLAGS) -MMD -MP -c $< -o $@

# $(call mps2_link,ELF,OBJECTS AND LIBRARIES,STACK BYTES): link with a map
# and its cross reference table (check_map.sh reads both). The thread stack
# is sized per image (mps2.ld; the image prints its high-water mark).
mps2_link = $(MPS2_CC) $(MPS2_LDFLAGS) -Wl,--defsym=__stack_size__=$(3) -Wl,-Map=$(1:.elf=.map),--cref \
	-o $(1) -Wl,--start-group $(2) -lc_nano -lgcc -Wl,--end-group

# ---- image (a): every unit-test program in one ELF ---------------------------
# Each tests/unit/test_X.c is compiled unchanged with main renamed to
# crto_unit_X_main, and unit_glue.h force-included to export its pass/fail
# counters as crto_unit_X_counts(). objcopy then keeps only those two global,
# so helpers with the same name in two test programs cannot collide.
# unit_list.h (generated from $(UNIT_SRC)) is the runner's table: a new test
# program is picked up without editing anything here.
MPS2_UNIT_NAMES := $(UNIT_SRC:tests/unit/test_%.c=%)
MPS2_UNIT_OBJ   := $(MPS2_UNIT_NAMES:%=$(MPS2_OUT)/unit/test_%.o)
MPS2_UNIT_ELF   := $(MPS2_OUT)/unit_tests.elf
MPS2_UNIT_LIST  := $(MPS2_OUT)/unit/unit_list.h
# Measured high-water: 4,136 B (test_api_call); 16 KiB leaves 4x. An
# overflow is a HardFault (exit 99), never silent (mps2.ld).
MPS2_UNIT_STACK := 16384
# Rewritten only when the list of programs changes.
$(MPS2_UNIT_LIST): FORCE_MPS2
	@mkdir -p $(dir $@)
	@for n in $(MPS2_UNIT_NAMES); do echo "CRTO_UNIT($$n)"; done > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi
.PHONY: FORCE_MPS2
FORCE_MPS2:

# Per-program extra flags, MPS2_UNIT_CFLAGS_<name> (none needed today).

$(MPS2_OUT)/unit/test_%.o: tests/unit/test_%.c $(MPS2_DIR)/unit_glue.h $(MPS2_DIR)/mbedtls_config.h \
		| $(MPS2_JSMN) $(DEB_SRC)/.done
	@mkdir -p $(dir $@)
	$(MPS2_CC) $(MPS2_CFLAGS) $(MPS2_UNIT_CFLAGS_$*) -Itests -Isrc -Iport/mem -Dmain=crto_unit_$*_main \
	    -DCRTO_UNIT_COUNTS=crto_unit_$*_counts -include $(MPS2_DIR)/unit_glue.h -MMD -MP -c $< -o $@.tmp
	$(MPS2_OBJCOPY) --keep-global-symbol=crto_unit_$*_main --keep-global-symbol=crto_unit_$*_counts \
	    $@.tmp $@
	@rm -f $@.tmp

$(MPS2_OUT)/unit/unit_main.o: $(MPS2_DIR)/unit_main.c $(MPS2_UNIT_LIST) | $(MPS2_JSMN) $(DEB_SRC)/.done
	@mkdir -p $(dir $@)
	$(MPS2_CC) $(MPS2_CFLAGS) -I$(MPS2_OUT)/unit -MMD -MP -c $< -o $@

$(MPS2_UNIT_ELF): $(MPS2_OUT)/unit/unit_main.o $(MPS2_UNIT_OBJ) $(MPS2_BOARD_OBJ) $(MPS2_MEM_LIB) \
		$(MPS2_LIB) $(MPS2_TLS_LIBS_client) $(MPS2_DIR)/mps2.ld
	$(call mps2_link,$@,$(filter %.o %.a,$^),$(MPS2_UNIT_STACK))

-include $(MPS2_LIB_OBJ:.o=.d) $(MPS2_MEM_OBJ:.o=.d) $(MPS2_BOARD_OBJ:.o=.d) $(MPS2_UNIT_OBJ:.o=.d) \
	$(MPS2_OUT)/unit/unit_main.d

# ---- fault images: a fault ends a run (exit 99), never hangs it ----------------
MPS2_FAULT_ELF := $(MPS2_OUT)/fault/fault_read.elf $(MPS2_OUT)/fault/fault_overflow.elf

$(MPS2_OUT)/fault/fault_read.o: $(MPS2_DIR)/fault_test.c | $(MPS2_JSMN) $(DEB_SRC)/.done
	@mkdir -p $(dir $@)
	$(MPS2_CC) $(MPS2_CFLAGS) '-DFAULT_WHAT="read from unmapped memory"' -MMD -MP -c $< -o $@
$(MPS2_OUT)/fault/fault_overflow.o: $(MPS2_DIR)/fault_test.c | $(MPS2_JSMN) $(DEB_SRC)/.done
	@mkdir -p $(dir $@)
	$(MPS2_CC) $(MPS2_CFLAGS) -DFAULT_OVERFLOW '-DFAULT_WHAT="thread stack overflow"' -Wno-infinite-recursion \
	    -MMD -MP -c $< -o $@
-include $(MPS2_FAULT_ELF:.elf=.d)
$(MPS2_OUT)/fault/%.elf: $(MPS2_OUT)/fault/%.o $(MPS2_BOARD_OBJ) $(MPS2_TLS_LIBS_client) $(MPS2_DIR)/mps2.ld
	$(call mps2_link,$@,$(filter %.o %.a,$^),4096)

# ---- check ---------------------------------------------------------------------
MPS2_IMAGES := $(MPS2_UNIT_ELF) $(MPS2_FAULT_ELF)
# Each prints "N passed, N failed": the unit image under QEMU; the two fault
# images (exit 99 with a message, no hang); the map proof of every image (no
# malloc/free linked, nothing of ours references them); the host-side test
# of the board's printf against glibc's.
MPS2_TESTS := "$(MPS2_QEMU) $(MPS2_UNIT_ELF)" \
	"sh $(MPS2_DIR)/fault_check.sh $(MPS2_FAULT_ELF)" \
	"sh $(MPS2_DIR)/check_map.sh $(MPS2_IMAGES:.elf=.map)" \
	"$(MPS2_OUT)/host/board_stdio_test"

# The host test of the formatter (its output, byte for byte, against glibc).
$(MPS2_OUT)/host/board_stdio_test: $(MPS2_DIR)/board_stdio_test.c $(MPS2_DIR)/board_stdio.c
	@mkdir -p $(dir $@)
	$(MPS2_HOST_CC) -O2 -g -std=c11 $(WARN) -I$(MPS2_DIR) -o $@ $(MPS2_DIR)/board_stdio_test.c

.PHONY: m4-check m4-images m4-sizes
m4-images: $(MPS2_IMAGES) $(MPS2_OUT)/host/board_stdio_test

m4-check: deps-m4 sources
	@$(MAKE) --no-print-directory m4-images
	@sh tools/run_tests.sh $(MPS2_TESTS)

m4-sizes: m4-images
	@$(MPS2_SIZE) $(MPS2_IMAGES)
	@for a in $(MPS2_TLS_LIBS_client) $(MPS2_LIB) $(MPS2_MEM_LIB); do \
	    printf '%-44s %s\n' $$a "$$($(MPS2_SIZE) -t $$a | tail -n 1)"; done

check: deps-m4 sources
CHECK_BUILD += m4-images
CHECK_TESTS += $(MPS2_TESTS)
