#!/bin/sh
# Fetch the third-party sources the firmware builds need from Debian's source
# packages, unpatched (the orig tarballs), and unpack them under a build
# directory. Nothing third-party is committed; nothing comes from elsewhere.
#
#   sh tools/fetch_sources.sh [DIR]     (DIR defaults to build/deb-src)
#
# Leaves DIR/mbedtls-2.28.3/ and DIR/lwip-2.1.3/, and DIR/.done when both are
# there. The tarballs are checked against the sha256 sums below, so a changed
# Debian package stops the build with a message rather than building
# something nobody measured. Idempotent: a second run with DIR/.done does
# nothing. jsmn is not here: `apt-get source jsmn` fails (404 on its debian
# tarball), so builds copy /usr/include/jsmn.h from libjsmn-dev instead.
set -eu

dir=${1:-build/deb-src}
[ -f "$dir/.done" ] && exit 0

MBEDTLS_TGZ=mbedtls_2.28.3.orig.tar.gz
MBEDTLS_SHA=3b4953aa55a681e084d31892d9904cc5328d6b4958ea57b90ae4b4f94ae69a8d
LWIP_TXZ=lwip_2.1.3+dfsg1.orig.tar.xz
LWIP_SHA=0a8276d09fc4e97bbba2f953d74af2388fc2195ea156be9d7589e297a68fde24

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=sudo; fi

# apt-get source needs deb-src lines; Debian 12's default has none.
src_list=/etc/apt/sources.list.d/crto-debian-src.sources
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ &&
   ! grep -qs '^deb-src' /etc/apt/sources.list; then
    echo "fetch_sources: adding Debian deb-src entries ($src_list)"
    printf '%s\n' 'Types: deb-src' 'URIs: http://deb.debian.org/debian' \
        'Suites: bookworm bookworm-updates' 'Components: main' \
        'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' |
        $SUDO tee "$src_list" >/dev/null
    $SUDO apt-get update -qq || { sleep 5; $SUDO apt-get update -qq; } ||
        echo "fetch_sources: apt-get update reported errors; trying anyway" >&2
fi

mkdir -p "$dir"
cd "$dir"
if [ ! -f "$MBEDTLS_TGZ" ] || [ ! -f "$LWIP_TXZ" ]; then
    # dpkg-dev provides dpkg-source, which apt-get source wants even with
    # --download-only on some setups; xz-utils unpacks lwIP.
    for p in dpkg-dev xz-utils; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            $SUDO apt-get install -y -qq --no-install-recommends "$p" >/dev/null
    done
    # As root apt warns that it downloads unsandboxed: expected, not shown.
    apt-get source --download-only -qq mbedtls lwip 2>&1 | grep -v unsandboxed || true
    [ -f "$MBEDTLS_TGZ" ] && [ -f "$LWIP_TXZ" ] || {
        sleep 5; apt-get source --download-only -qq mbedtls lwip 2>&1 | grep -v unsandboxed || true; }
fi

check() {
    got=$(sha256sum "$1" | cut -d' ' -f1)
    if [ "$got" != "$2" ]; then
        echo "fetch_sources: $1 has sha256 $got, expected $2" >&2
        echo "fetch_sources: Debian's package changed; re-measure before updating the sum" >&2
        exit 1
    fi
}
check "$MBEDTLS_TGZ" "$MBEDTLS_SHA"
check "$LWIP_TXZ" "$LWIP_SHA"

# The tarballs' top directories are not named alike (mbedtls unpacks to
# Mbed-TLS-mbedtls-<commit>/), so each goes into a fixed name.
rm -rf mbedtls-2.28.3 lwip-2.1.3 Mbed-TLS-mbedtls-*
mkdir mbedtls-2.28.3 lwip-2.1.3
tar xzf "$MBEDTLS_TGZ" --strip-components=1 -C mbedtls-2.28.3
tar xJf "$LWIP_TXZ" --strip-components=1 -C lwip-2.1.3
[ -f mbedtls-2.28.3/include/mbedtls/ssl.h ] && [ -f lwip-2.1.3/src/core/tcp.c ] || {
    echo "fetch_sources: unpacked trees are not what was expected" >&2; exit 1; }
touch .done
