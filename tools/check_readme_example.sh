#!/bin/sh
# The README's library example must compile and link as it is written: take
# the first ```c block of README.md and build it against the libraries.
# Usage: check_readme_example.sh CC BUILD_DIR
cc=${1:-cc}
build=${2:-build/host}
out="$build/readme_example"
mkdir -p "$out"
awk '/^```c$/ {on=1; next} /^```$/ && on {exit} on {print}' README.md > "$out/example.c"
if [ ! -s "$out/example.c" ]; then
    echo "not ok - README.md has no C example"
    echo "0 passed, 1 failed"
    exit 1
fi
if $cc -std=c11 -Wall -Wextra -Werror -Iinclude -Iport/posix "$out/example.c" \
        "$build/lib/libcrto_posix.a" "$build/lib/libcrto.a" -lmbedtls -lmbedx509 -lmbedcrypto \
        -o "$out/example" 2> "$out/errors.txt"; then
    echo "ok - the README's library example compiles and links"
    echo "1 passed, 0 failed"
else
    cat "$out/errors.txt"
    echo "not ok - the README's library example does not build"
    echo "0 passed, 1 failed"
    exit 1
fi
