#!/bin/sh
# Compile every C file of the lwIP port and its tests with clang and the
# project's warning flags (gcc builds them in `make lwip-build`): one check
# per file, each against the lwIP configuration it is built with. Also the
# raw variant for a Cortex-M4, which is what bare-metal boards build, when
# arm-none-eabi-gcc is installed.
#
#   sh tests/lwip/clang_build.sh "WARNING FLAGS" LWIP_SRC
set -u
warn=$1
lwip=$2
passed=0
failed=0
common="-O2 -std=c11 $warn -Iinclude -Iport/posix -Iport/mem -Iport/lwip -Itests -Isrc"
raw="-isystem port/lwip/host/raw -isystem port/lwip/host -isystem $lwip/src/include"
sock="-isystem port/lwip/host -isystem $lwip/src/include"
tap="-isystem port/lwip/host/tap -isystem port/lwip/host -isystem $lwip/src/include"
m4="-Os -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# one COMPILER LABEL "FLAGS" FILE
one() {
    if out=$($1 $common $3 -c "$4" -o "$tmp/x.o" 2>&1); then
        echo "ok - $2: $4"
        passed=$((passed + 1))
    else
        echo "not ok - $2: $4"
        printf '%s\n' "$out" | sed 's/^/  /'
        failed=$((failed + 1))
    fi
}

if command -v clang >/dev/null 2>&1; then
    for f in port/lwip/crto_port_lwip_raw.c port/lwip/host/sys_arch.c tests/lwip/test_lwip_raw.c \
             tests/lwip/test_lwip_raw_client.c tests/lwip/http_responder.c; do
        one clang "clang (raw)" "$raw" "$f"
    done
    for f in port/lwip/crto_port_lwip_sockets.c port/lwip/host/sys_arch.c tests/lwip/test_lwip_sockets.c \
             tests/lwip/test_lwip_sockets_client.c; do
        one clang "clang (sockets)" "$sock" "$f"
    done
    for f in port/lwip/host/tapif.c tests/lwip/e2e_tap.c; do
        one clang "clang (tap)" "$tap" "$f"
    done
else
    echo "skipped: clang is not installed"
fi
if command -v arm-none-eabi-gcc >/dev/null 2>&1; then
    one arm-none-eabi-gcc "arm-none-eabi-gcc (raw, cortex-m4)" "$m4 $raw" port/lwip/crto_port_lwip_raw.c
else
    echo "skipped: arm-none-eabi-gcc is not installed (no Cortex-M4 compile of the raw variant)"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
