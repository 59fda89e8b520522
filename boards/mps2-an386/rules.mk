# boards/mps2-an386/rules.mk - the Cortex-M4 kiosk reference board
# (qemu-system-arm -M mps2-an386), read at the end of the top-level Makefile.
#
#   make m4-check       build and run this board's suites only
#   make m4-images      build the images only
#   make m4-sizes       arm-none-eabi-size of the images and archives
#
# Everything goes to build/mps2-an386/:
#   include/jsmn.h                  copied from /usr/include (never -I/usr/include)
#   mbedtls/<cfg>/*.o, lib/<cfg>/libmbed{crypto,x509,tls}.a   mbedTLS 2.28.3 from $(MBEDTLS_SRC)
#                                   (cfg: client = mbedtls_config.h, e2e = mbedtls_config_e2e.h)
#   lib/libcrto.a, lib/libcrto_mem.a                     src/*.c, port/mem/*.c
#   board/*.o                                            this folder's code
#   unit/*.o, unit_tests.elf, unit_tests.map             image (a): every tests/unit program
#   fault/                                               the two fault images
#   certs/                                               test CA and server credentials (gen_certs.sh)
#   e2e/, lib/e2e/, e2e.elf, e2e.map, e2e.log            image (b): the end-to-end upload over TLS
#                                                        and lwIP loopback, with its test server
#   fw/, lib/fw/, firmware.elf, firmware.map             image (c): the kiosk firmware (budgets)
#
#   make m4-firmware-size   the firmware size table (also printed by `make size`)
#
# An image is: its own objects + $(MPS2_BOARD_OBJ) (or its variant's board
# objects) + libraries, linked by mps2_link (below); every image's map goes
# through check_map.sh.

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
# MPS2_CFLAGS_NOTLS: the same without the mbedTLS configuration, for the
# images built with another one (e2e.elf: mbedtls_config_e2e.h).
MPS2_CFLAGS_NOTLS := $(MPS2_BASE) -std=c11 $(WARN) $(MPS2_INC) -DCRTO_MPS2_INSECURE_EMULATED_ENTROPY
MPS2_CFLAGS  := $(MPS2_CFLAGS_NOTLS) $(MPS2_TLS_CFG)
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
# An optional fourth argument adds linker flags.
mps2_link = $(MPS2_CC) $(MPS2_LDFLAGS) -Wl,--defsym=__stack_size__=$(3) -Wl,-Map=$(1:.elf=.map),--cref $(4) \
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
# The .d of a unit object is named by -MF: gcc would otherwise name it after
# the .tmp output, and make would never read it (a header change would then
# leave the object stale).

$(MPS2_OUT)/unit/test_%.o: tests/unit/test_%.c $(MPS2_DIR)/unit_glue.h $(MPS2_DIR)/mbedtls_config.h \
		| $(MPS2_JSMN) $(DEB_SRC)/.done
	@mkdir -p $(dir $@)
	$(MPS2_CC) $(MPS2_CFLAGS) $(MPS2_UNIT_CFLAGS_$*) -Itests -Isrc -Iport/mem -Dmain=crto_unit_$*_main \
	    -DCRTO_UNIT_COUNTS=crto_unit_$*_counts -include $(MPS2_DIR)/unit_glue.h -MMD -MP -MF $(@:.o=.d) -MT $@ \
	    -c $< -o $@.tmp
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

# ---- lwIP for the board, the raw port, the two network images -------------------
# lwIP 2.1.3 (NO_SYS=1, raw API) with boards/mps2-an386/lwipopts.h and
# arch/cc.h, built twice:
#   fw   the kiosk firmware: Ethernet, ARP, DHCP, DNS, no loopback
#   e2e  the same plus the loopback interface, a larger heap for the second
#        end and statistics (-DCRTO_MPS2_LWIP_E2E)
# lwIP's own files: warnings shown, not fatal (third-party code).
MPS2_LWIP_FILES := $(addprefix core/,init.c def.c dns.c inet_chksum.c ip.c mem.c memp.c netif.c pbuf.c \
	raw.c stats.c sys.c tcp.c tcp_in.c tcp_out.c timeouts.c udp.c) \
	$(addprefix core/ipv4/,autoip.c dhcp.c etharp.c icmp.c igmp.c ip4_frag.c ip4.c ip4_addr.c) \
	netif/ethernet.c
MPS2_LWIP_INC   := -isystem $(LWIP_SRC)/src/include
MPS2_LWIP_DEF_fw  :=
MPS2_LWIP_DEF_e2e := -DCRTO_MPS2_LWIP_E2E
# The mbedTLS configuration of each image's crto, board and app objects
# (crto_tls_t holds mbedTLS structs whose layout depends on it).
MPS2_TLSCFG_fw  := $(MPS2_TLS_CFG)
MPS2_TLSCFG_e2e := '-DMBEDTLS_CONFIG_FILE="mbedtls_config_e2e.h"'

# Sizing of the firmware, shared by e2e.elf's client half (so the e2e run
# proves them): the TLS arena and the thread stack. Both from the client
# high-waters e2e.elf measures (docs/size.md), with margin.
MPS2_FW_ARENA := 40960
MPS2_FW_STACK := 10240
MPS2_FW_DEFS  := -DBOARD_TLS_ARENA_SIZE=$(MPS2_FW_ARENA)u

# $(call mps2_net_variant,V): lwIP, the raw port and the board's lwIP glue
# for variant V, in $(MPS2_OUT)/V/.
define mps2_net_variant
$(MPS2_OUT)/$(1)/lwip/%.o: $(LWIP_SRC)/src/%.c $(MPS2_DIR)/lwipopts.h $(MPS2_DIR)/arch/cc.h | $(DEB_SRC)/.done
	@mkdir -p $$(dir $$@)
	@$(MPS2_CC) $(MPS2_BASE) -std=c99 -Wall $(MPS2_LWIP_DEF_$(1)) -I$(MPS2_DIR) $(MPS2_LWIP_INC) -MMD -MP -c $$< -o $$@
$(MPS2_OUT)/lib/$(1)/liblwip.a: $(MPS2_LWIP_FILES:%.c=$(MPS2_OUT)/$(1)/lwip/%.o)
$(MPS2_OUT)/$(1)/port/%.o: port/lwip/%.c $(MPS2_DIR)/lwipopts.h | $(MPS2_JSMN) $(DEB_SRC)/.done
	@mkdir -p $$(dir $$@)
	$(MPS2_CC) $(MPS2_CFLAGS_NOTLS) $(MPS2_TLSCFG_$(1)) $(MPS2_LWIP_DEF_$(1)) -Iport/lwip $(MPS2_LWIP_INC) \
	    -MMD -MP -c $$< -o $$@
$(MPS2_OUT)/lib/$(1)/libcrto_lwip_raw.a: $(MPS2_OUT)/$(1)/port/crto_port_lwip_raw.o
$(MPS2_OUT)/$(1)/board/%.o: $(MPS2_DIR)/%.c $(MPS2_DIR)/lwipopts.h $(MPS2_DIR)/mbedtls_config.h \
		$(MPS2_DIR)/mbedtls_config_e2e.h | $(MPS2_JSMN) $(DEB_SRC)/.done
	@mkdir -p $$(dir $$@)
	$(MPS2_CC) $(MPS2_CFLAGS_NOTLS) $(MPS2_TLSCFG_$(1)) $(MPS2_LWIP_DEF_$(1)) $(MPS2_FW_DEFS) \
	    -DCRTO_MPS2_E2E=$(if $(filter e2e,$(1)),1,0) -Iport/lwip $(MPS2_LWIP_INC) -MMD -MP -c $$< -o $$@
-include $(MPS2_LWIP_FILES:%.c=$(MPS2_OUT)/$(1)/lwip/%.d) $(MPS2_OUT)/$(1)/port/crto_port_lwip_raw.d
endef
$(eval $(call mps2_net_variant,fw))
$(eval $(call mps2_net_variant,e2e))

# The test credentials, made at build time (gen_certs.sh; nothing committed).
MPS2_CERTS := $(MPS2_OUT)/certs
$(MPS2_CERTS)/.done: $(MPS2_DIR)/gen_certs.sh
	sh $(MPS2_DIR)/gen_certs.sh $(MPS2_CERTS)
	@touch $@
$(MPS2_CERTS)/e2e_ca.c $(MPS2_CERTS)/e2e_srv_cred.c: $(MPS2_CERTS)/.done ;
$(MPS2_CERTS)/%.o: $(MPS2_CERTS)/%.c
	$(MPS2_CC) $(MPS2_CFLAGS) -c $< -o $@

# libcrto for e2e.elf: the same sources, with the e2e mbedTLS configuration.
MPS2_E2E_LIB_OBJ := $(LIB_SRC:%.c=$(MPS2_OUT)/e2e/obj/%.o)
MPS2_E2E_LIB     := $(MPS2_OUT)/lib/e2e/libcrto.a
$(MPS2_E2E_LIB): $(MPS2_E2E_LIB_OBJ)
$(MPS2_OUT)/e2e/obj/%.o: %.c $(MPS2_DIR)/mbedtls_config.h $(MPS2_DIR)/mbedtls_config_e2e.h \
		| $(MPS2_JSMN) $(DEB_SRC)/.done
	@mkdir -p $(dir $@)
	$(MPS2_CC) $(MPS2_CFLAGS_NOTLS) $(MPS2_TLSCFG_e2e) -MMD -MP -c $< -o $@
-include $(MPS2_E2E_LIB_OBJ:.o=.d)

# The server's arena: a second copy of mbedTLS's memory_buffer_alloc.c with
# its symbols renamed, so it keeps heap state of its own (e2e_responder.c).
MPS2_SRV_MBA_RENAME := $(foreach f,init free verify status max_get max_reset cur_get self_test, \
	-Dmbedtls_memory_buffer_alloc_$(f)=e2e_srv_mba_$(f)) \
	-Dmbedtls_memory_buffer_set_verify=e2e_srv_mba_set_verify \
	-Dmbedtls_platform_set_calloc_free=e2e_srv_mba_capture
$(MPS2_OUT)/e2e/srv_mba.o: $(MBEDTLS_SRC)/library/memory_buffer_alloc.c $(MPS2_DIR)/mbedtls_config_e2e.h \
		| $(DEB_SRC)/.done
	@mkdir -p $(dir $@)
	$(MPS2_CC) $(MPS2_TLS_CFLAGS) $(MPS2_TLSCFG_e2e) $(MPS2_SRV_MBA_RENAME) -c $< -o $@

# ---- image (b): e2e.elf, client and in-image TLS server over lwIP loopback ---
MPS2_E2E_ELF := $(MPS2_OUT)/e2e.elf
MPS2_E2E_LOG := $(MPS2_OUT)/e2e.log
# e2e_responder.c splits mbedTLS's allocator between two arenas.
MPS2_E2E_LDFLAGS := -Wl,--wrap=mbedtls_platform_set_calloc_free
MPS2_E2E_OBJ := $(addprefix $(MPS2_OUT)/e2e/board/,startup.o board.o board_stdio.o board_lwip.o e2e_main.o \
	e2e_responder.o) $(MPS2_CERTS)/e2e_ca.o $(MPS2_CERTS)/e2e_srv_cred.o $(MPS2_OUT)/e2e/srv_mba.o
$(MPS2_E2E_ELF): $(MPS2_E2E_OBJ) $(MPS2_OUT)/lib/e2e/libcrto_lwip_raw.a $(MPS2_E2E_LIB) \
		$(MPS2_OUT)/lib/e2e/liblwip.a $(MPS2_TLS_LIBS_e2e) $(MPS2_DIR)/mps2.ld
	$(call mps2_link,$@,$(filter %.o %.a,$^),$(MPS2_FW_STACK),$(MPS2_E2E_LDFLAGS))

# ---- image (c): firmware.elf, the kiosk firmware (linked for its size) ------------
# e2e.elf minus the test server: the same e2e_main.c built with
# CRTO_MPS2_E2E=0, lwIP on an Ethernet netif (placeholder MAC driver),
# mbedTLS in the client configuration, the firmware's arena and stack.
MPS2_FW_ELF := $(MPS2_OUT)/firmware.elf
MPS2_FW_OBJ := $(addprefix $(MPS2_OUT)/fw/board/,startup.o board.o board_stdio.o board_lwip.o board_eth_null.o \
	e2e_main.o) $(MPS2_CERTS)/e2e_ca.o
$(MPS2_FW_ELF): $(MPS2_FW_OBJ) $(MPS2_OUT)/lib/fw/libcrto_lwip_raw.a $(MPS2_LIB) $(MPS2_OUT)/lib/fw/liblwip.a \
		$(MPS2_TLS_LIBS_client) $(MPS2_DIR)/mps2.ld
	$(call mps2_link,$@,$(filter %.o %.a,$^),$(MPS2_FW_STACK))

$(MPS2_OUT)/e2e/board/e2e_main.o $(MPS2_OUT)/fw/board/e2e_main.o: | $(MPS2_CERTS)/.done
-include $(wildcard $(MPS2_OUT)/e2e/board/*.d $(MPS2_OUT)/fw/board/*.d)

# Budgets of the firmware (issue 5): flash = .text + .rodata + .data of
# firmware.elf; RAM = .data + .bss (TLS arena included) + both stacks.
MPS2_FW_FLASH_BUDGET := 163840
MPS2_FW_RAM_BUDGET   := 131072
MPS2_SIZE_REPORT := $(PYTHON) $(MPS2_DIR)/size_report.py --map $(MPS2_FW_ELF:.elf=.map) \
	--e2e-log $(MPS2_E2E_LOG) --flash-budget $(MPS2_FW_FLASH_BUDGET) --ram-budget $(MPS2_FW_RAM_BUDGET) \
	--libcrto $(MPS2_LIB) --size $(MPS2_SIZE)

# ---- check ---------------------------------------------------------------------
MPS2_IMAGES := $(MPS2_UNIT_ELF) $(MPS2_FAULT_ELF) $(MPS2_E2E_ELF) $(MPS2_FW_ELF)
# Each prints "N passed, N failed": the unit image under QEMU; the two fault
# images (exit 99 with a message, no hang); the end-to-end image under QEMU
# (at most 300 s; its log feeds the size report); the map proof of every
# image (no malloc/free linked, nothing of ours references them: crto, lwIP,
# the lwIP port, mbedTLS with the e2e server); the firmware's flash and RAM
# budgets; the host-side test of the board's printf against glibc's.
MPS2_TESTS := "$(MPS2_QEMU) $(MPS2_UNIT_ELF)" \
	"sh $(MPS2_DIR)/fault_check.sh $(MPS2_FAULT_ELF)" \
	"sh $(MPS2_DIR)/run_e2e.sh $(MPS2_E2E_ELF) $(MPS2_E2E_LOG)" \
	"sh $(MPS2_DIR)/check_map.sh $(MPS2_IMAGES:.elf=.map)" \
	"$(MPS2_SIZE_REPORT) --check" \
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

# The firmware table (docs/size.md): `make m4-firmware-size`, and `make size`
# prints it too. The RAM high-waters come from the last e2e run's log,
# rerun here when e2e.elf is newer.
.PHONY: m4-firmware-size
$(MPS2_E2E_LOG): $(MPS2_E2E_ELF)
	-@sh $(MPS2_DIR)/run_e2e.sh $< $@ >/dev/null
m4-firmware-size: deps-m4 sources
	@$(MAKE) --no-print-directory $(MPS2_FW_ELF) $(MPS2_E2E_LOG)
	@$(MPS2_SIZE_REPORT)
size: m4-firmware-size

check: deps-m4 sources
CHECK_BUILD += m4-images
CHECK_TESTS += $(MPS2_TESTS)
