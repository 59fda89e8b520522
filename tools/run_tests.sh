#!/bin/sh
# Run each test command given as an argument, show its output, and add up
# the "N passed, N failed" line each one ends with. A program that crashes
# or prints no summary counts as one failure. Last line: the totals.
passed=0
failed=0
for cmd in "$@"; do
    echo "== $cmd"
    out=$( (eval "$cmd") 2>&1 )
    rc=$?
    printf '%s\n' "$out"
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
    if [ -z "$line" ]; then
        echo "!! $cmd printed no summary (exit $rc): counted as 1 failure"
        failed=$((failed + 1))
        continue
    fi
    p=$(echo "$line" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed.*/\1/')
    f=$(echo "$line" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed.*/\2/')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "!! $cmd exited $rc with no failed test: counted as 1 failure"
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
