#!/bin/sh
# Install the Debian packages crto needs, only those missing; quiet when all
# are present. Needs root (or sudo) only when something is missing.
#
#   sh tools/deps.sh          host build and tests (the default)
#   sh tools/deps.sh cross    adds the ARM Linux gateway toolchains: the arm64
#                             and armhf architectures, Debian's cross gcc,
#                             multiarch libmbedtls-dev and qemu-user
#                             (boards/linux-gateway/)
#   sh tools/deps.sh bench    curl, which make bench (and its check in make
#                             check) compares crto with
#   sh tools/deps.sh m4       the bare-metal Cortex-M4 toolchain (arm-none-eabi-gcc,
#                             newlib) and qemu-system-arm for boards/mps2-an386
#                             and `make size`
# Third-party sources (mbedTLS, lwIP) come from tools/fetch_sources.sh.
set -eu

PKGS="libmbedtls-dev libjsmn-dev openssl ca-certificates python3 clang libclang-rt-14-dev clang-format clang-tidy gcovr
cppcheck binutils valgrind curl"
CROSS_PKGS="gcc-aarch64-linux-gnu libc6-dev-arm64-cross libmbedtls-dev:arm64
gcc-arm-linux-gnueabihf libc6-dev-armhf-cross libmbedtls-dev:armhf qemu-user"
CROSS_ARCHS="arm64 armhf"
M4_PKGS="gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm"

mode=${1:-host}
case "$mode" in
    host) ;;
    cross) PKGS=$CROSS_PKGS ;;
    m4) PKGS=$M4_PKGS ;;
    bench) PKGS="curl valgrind" ;;
    *) echo "usage: sh tools/deps.sh [cross|m4|bench]" >&2; exit 2 ;;
esac

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "make deps: installing$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
        echo "make deps: need root (or sudo) to install:$missing" >&2; exit 1
    fi
fi
if [ "$mode" = cross ]; then
    have=" $(dpkg --print-foreign-architectures | tr '\n' ' ') "
    for a in $CROSS_ARCHS; do
        case "$have" in *" $a "*) ;; *) $SUDO dpkg --add-architecture "$a" ;; esac
    done
fi
export DEBIAN_FRONTEND=noninteractive
# A mirror caught mid-sync fails one index now and then: try again, then go
# on with what was fetched (the install below says if something is missing).
$SUDO apt-get update -qq || { sleep 5; $SUDO apt-get update -qq; } ||
    echo "make deps: apt-get update reported errors; trying the install anyway" >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
