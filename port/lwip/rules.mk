# port/lwip/rules.mk - the lwIP port's host builds and tests (read by the
# top-level Makefile, after its variables).
#
#   make lwip-check     fetches lwIP (make sources), builds lwIP 2.1.3 three
#                       times for the host and runs the lwIP suites; the last
#                       line is "N passed, N failed"
#
# lwIP is compiled from $(LWIP_SRC) (Debian's orig tarball, unpatched) with
# the project's own options (port/lwip/host/):
#   build/lwip-host-raw/      NO_SYS=1, raw API, loopif  (raw/lwipopts.h)
#   build/lwip-host-sockets/  NO_SYS=0, sockets, loopif  (lwipopts.h)
#   build/lwip-host-tap/      NO_SYS=0, sockets, TAP     (tap/lwipopts.h)
# lwIP's own .c files are built with warnings off (-w); everything of ours
# (port, sys_arch, tapif, tests) gets the project's -Werror flags, with
# lwIP's headers included as system headers.

.PHONY: lwip-check lwip-build

# LWIP_PREFIX names the three build directories; the sanitizer build of
# `make check` uses another prefix (and TARGET=host-asan, CC=clang).
LWIP_PREFIX   ?= build/lwip-host
LWIP_RAW_DIR  := $(LWIP_PREFIX)-raw
LWIP_SOCK_DIR := $(LWIP_PREFIX)-sockets
LWIP_TAP_DIR  := $(LWIP_PREFIX)-tap
# -gdwarf-4: valgrind 3.19 reads it with either compiler. lwIP itself gets
# OPT's sanitizer flags too, so a sanitizer build instruments all of it.
LWIP_OPT      := -O2 -gdwarf-4 $(filter -fsanitize%,$(OPT))

# lwIP 2.1.3's src/Filelists.mk, written out: the tree may not be fetched
# yet when make reads this file.
LWIP_CORE_FILES := $(addprefix core/,init.c def.c dns.c inet_chksum.c ip.c mem.c memp.c netif.c pbuf.c \
	raw.c stats.c sys.c tcp.c tcp_in.c tcp_out.c timeouts.c udp.c) \
	$(addprefix core/ipv4/,autoip.c dhcp.c etharp.c icmp.c igmp.c ip4_frag.c ip4.c ip4_addr.c) \
	netif/ethernet.c
LWIP_API_FILES := $(addprefix api/,api_lib.c api_msg.c err.c if_api.c netbuf.c netdb.c netifapi.c \
	sockets.c tcpip.c)

# The sources appear once `make sources` has unpacked the tarball.
$(addprefix $(LWIP_SRC)/src/,$(LWIP_CORE_FILES) $(LWIP_API_FILES)): | $(DEB_SRC)/.done ;

LWIP_INC_RAW  := -isystem port/lwip/host/raw -isystem port/lwip/host -isystem $(LWIP_SRC)/src/include
LWIP_INC_SOCK := -isystem port/lwip/host -isystem $(LWIP_SRC)/src/include
LWIP_INC_TAP  := -isystem port/lwip/host/tap -isystem port/lwip/host -isystem $(LWIP_SRC)/src/include

# One host configuration: $(1) build dir, $(2) include flags, $(3) lwIP
# files. Gives $(1)/liblwip.a (lwIP + sys_arch) and the pattern rules for
# our own objects under $(1)/obj/.
# -MD, not -MMD: lwipopts.h and arch/ come in through -isystem, and -MMD
# leaves system headers out of the dependencies, so a changed option would
# not rebuild anything.
define lwip_host_config
$(1)/lwip/%.o: $(LWIP_SRC)/src/%.c
	@mkdir -p $$(dir $$@)
	$$(CC) $(LWIP_OPT) -w $(2) -MD -MP -c $$< -o $$@

$(1)/obj/%.o: %.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_CFLAGS) -gdwarf-4 -Iport/lwip -Itests -Isrc $(2) -MD -MP -c $$< -o $$@

$(1)/liblwip.a: $(addprefix $(1)/lwip/,$(3:.c=.o)) $(1)/obj/port/lwip/host/sys_arch.o
	@rm -f $$@
	$$(AR) rcs $$@ $$^

-include $(addprefix $(1)/lwip/,$(3:.c=.d))
endef

$(eval $(call lwip_host_config,$(LWIP_RAW_DIR),$(LWIP_INC_RAW),$(LWIP_CORE_FILES)))
$(eval $(call lwip_host_config,$(LWIP_SOCK_DIR),$(LWIP_INC_SOCK),$(LWIP_CORE_FILES) $(LWIP_API_FILES)))
$(eval $(call lwip_host_config,$(LWIP_TAP_DIR),$(LWIP_INC_TAP),$(LWIP_CORE_FILES) $(LWIP_API_FILES)))

# The port archives (what an integrator links, and what check_no_malloc reads).
LWIP_RAW_PORT  := $(LWIP_RAW_DIR)/libcrto_lwip_raw.a
LWIP_SOCK_PORT := $(LWIP_SOCK_DIR)/libcrto_lwip_sockets.a
LWIP_TAP_PORT  := $(LWIP_TAP_DIR)/libcrto_lwip_sockets.a

$(LWIP_RAW_PORT): $(LWIP_RAW_DIR)/obj/port/lwip/crto_port_lwip_raw.o
	@rm -f $@
	$(AR) rcs $@ $^

$(LWIP_SOCK_PORT): $(LWIP_SOCK_DIR)/obj/port/lwip/crto_port_lwip_sockets.o
	@rm -f $@
	$(AR) rcs $@ $^

$(LWIP_TAP_PORT): $(LWIP_TAP_DIR)/obj/port/lwip/crto_port_lwip_sockets.o $(LWIP_TAP_DIR)/obj/port/lwip/host/tapif.o
	@rm -f $@
	$(AR) rcs $@ $^

# Test programs. The client-level ones link the real libcrto.
LWIP_RAW_TESTS  := $(LWIP_RAW_DIR)/test_lwip_raw $(LWIP_RAW_DIR)/test_lwip_raw_client
LWIP_SOCK_TESTS := $(LWIP_SOCK_DIR)/test_lwip_sockets $(LWIP_SOCK_DIR)/test_lwip_sockets_client
LWIP_E2E        := $(LWIP_TAP_DIR)/e2e_tap

$(LWIP_RAW_DIR)/test_lwip_raw: $(LWIP_RAW_DIR)/obj/tests/lwip/test_lwip_raw.o $(LWIP_RAW_PORT) $(LIB) \
		$(LWIP_RAW_DIR)/liblwip.a
	$(CC) $(ALL_CFLAGS) $^ $(LDLIBS) -o $@

$(LWIP_RAW_DIR)/test_lwip_raw_client: $(LWIP_RAW_DIR)/obj/tests/lwip/test_lwip_raw_client.o \
		$(LWIP_RAW_DIR)/obj/tests/lwip/http_responder.o $(LWIP_RAW_PORT) $(LIB) $(LWIP_RAW_DIR)/liblwip.a
	$(CC) $(ALL_CFLAGS) $^ $(LDLIBS) -o $@

$(LWIP_SOCK_DIR)/test_lwip_sockets: $(LWIP_SOCK_DIR)/obj/tests/lwip/test_lwip_sockets.o $(LWIP_SOCK_PORT) \
		$(LIB) $(LWIP_SOCK_DIR)/liblwip.a
	$(CC) $(ALL_CFLAGS) $^ $(LDLIBS) -lpthread -o $@

$(LWIP_SOCK_DIR)/test_lwip_sockets_client: $(LWIP_SOCK_DIR)/obj/tests/lwip/test_lwip_sockets_client.o \
		$(LWIP_SOCK_DIR)/obj/tests/lwip/http_responder.o $(LWIP_SOCK_PORT) $(LIB) $(LWIP_SOCK_DIR)/liblwip.a
	$(CC) $(ALL_CFLAGS) $^ $(LDLIBS) -lpthread -o $@

$(LWIP_E2E): $(LWIP_TAP_DIR)/obj/tests/lwip/e2e_tap.o $(LWIP_TAP_PORT) $(LIB) $(LWIP_TAP_DIR)/liblwip.a
	$(CC) $(ALL_CFLAGS) $^ $(LDLIBS) -lpthread -o $@

-include $(shell find $(LWIP_RAW_DIR)/obj $(LWIP_SOCK_DIR)/obj $(LWIP_TAP_DIR)/obj -name '*.d' 2>/dev/null)

LWIP_CHECK_BUILD := $(LWIP_RAW_TESTS) $(LWIP_SOCK_TESTS) $(LWIP_E2E)
LWIP_CHECK_TESTS := \
	"sh tests/lwip/clang_build.sh '$(WARN)' $(LWIP_SRC)" \
	"$(LWIP_RAW_DIR)/test_lwip_raw" \
	"sh tests/lwip/valgrind.sh $(LWIP_RAW_DIR)/test_lwip_raw" \
	"$(LWIP_RAW_DIR)/test_lwip_raw_client" \
	"sh tests/lwip/valgrind.sh $(LWIP_RAW_DIR)/test_lwip_raw_client" \
	"$(LWIP_SOCK_DIR)/test_lwip_sockets" \
	"$(LWIP_SOCK_DIR)/test_lwip_sockets_client" \
	"$(PYTHON) tests/lwip/test_lwip_e2e.py $(LWIP_E2E)" \
	"sh tools/check_no_malloc.sh $(LWIP_RAW_PORT) $(LWIP_SOCK_PORT) $(LWIP_TAP_PORT) \
	    $(LWIP_RAW_DIR)/liblwip.a $(LWIP_SOCK_DIR)/liblwip.a"

lwip-build: $(LWIP_CHECK_BUILD)

lwip-check: deps sources
	@$(MAKE) --no-print-directory $(LIB) lwip-build
	@sh tools/run_tests.sh $(LWIP_CHECK_TESTS)

# The loopback suites again with ASan+UBSan: libcrto, the ports and lwIP
# all instrumented (the TAP end-to-end needs root and runs once, above).
LWIP_SAN_PREFIX := build/lwip-asan
LWIP_SAN_TESTS := $(LWIP_SAN_PREFIX)-raw/test_lwip_raw $(LWIP_SAN_PREFIX)-raw/test_lwip_raw_client \
	$(LWIP_SAN_PREFIX)-sockets/test_lwip_sockets $(LWIP_SAN_PREFIX)-sockets/test_lwip_sockets_client
lwip-sanitize-build: sources
	@$(MAKE) --no-print-directory TARGET=host-asan CC=clang OPT="$(SAN_OPT)" LWIP_PREFIX=$(LWIP_SAN_PREFIX) \
	    $(LWIP_SAN_TESTS) >/dev/null
.PHONY: lwip-sanitize-build

# `make check` builds and runs the lwIP suites on the host only (a gateway
# TARGET has its own check).
ifeq ($(TARGET),host)
check: sources
CHECK_BUILD += $(LWIP_CHECK_BUILD) lwip-sanitize-build
CHECK_TESTS += $(LWIP_CHECK_TESTS) $(LWIP_SAN_TESTS)
endif
