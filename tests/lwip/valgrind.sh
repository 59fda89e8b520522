#!/bin/sh
# Run one test program under valgrind (memcheck): any invalid access,
# uninitialised read or leak fails it (exit 9 from valgrind counts as one
# failure, on top of the program's own summary line).
#
#   sh tests/lwip/valgrind.sh build/lwip-host-raw/test_lwip_raw
set -u
if ! command -v valgrind >/dev/null 2>&1; then
    echo "skipped: valgrind is not installed"
    echo "0 passed, 0 failed"
    exit 0
fi
out=$(valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite "$@" 2>&1)
rc=$?
printf '%s\n' "$out" | sed -E 's/^([0-9]+ passed, [0-9]+ failed)/under valgrind: \1/'
if [ "$rc" -eq 0 ]; then
    echo "ok - valgrind: $* is clean"
    echo "1 passed, 0 failed"
else
    echo "not ok - valgrind: $* exited $rc"
    echo "0 passed, 1 failed"
fi
[ "$rc" -eq 0 ]
