#!/bin/sh
# Cross-build libcrto, crto and every unit test for one gateway target, as one
# check in tools/run_tests.sh's terms: a build that fails (with -Werror on)
# shows the compiler's errors and counts as 1 failure, so the host suites and
# the other target still run and report.
#
#   sh boards/linux-gateway/build.sh aarch64-linux
target=$1
out=$(${MAKE:-make} --no-print-directory TARGET="$target" all unit-tests 2>&1)
rc=$?
if [ "$rc" -eq 0 ]; then
    echo "ok - $target: libcrto, crto and the unit tests cross-built warning-free"
    echo "1 passed, 0 failed"
else
    printf '%s\n' "$out" | grep -v -E '^[^ ]*(gcc|ar) ' | tail -n 40
    echo "not ok - $target: cross build failed (exit $rc)"
    echo "0 passed, 1 failed"
fi
[ "$rc" -eq 0 ]
