#!/bin/sh
# Line and branch coverage of src/ (gcovr, from Debian), from a --coverage
# build in build/host-cov: every unit test plus the integration suites that
# reach what unit tests cannot (real TLS, the CLI's API commands).
#
#   sh tools/coverage.sh [MIN_LINE_PERCENT]     (default 90)
#
# Prints gcovr's per-file table and summary, then one check: lines >= MIN.
# The counters are reset first, so a figure is never left over from a
# previous run.
set -u
min=${1:-90}
b=build/host-cov
find "$b" -name '*.gcda' -delete 2>/dev/null
for t in "$b"/tests/test_*; do
    case $t in *.gc*) continue ;; esac
    "$t" >/dev/null 2>&1 || echo "# (coverage run) $t failed; the test suites report it"
done
python3 tests/integration/test_cli_api.py "$b/bin/crto" >/dev/null 2>&1
python3 tests/integration/test_api_lib.py "$b" >/dev/null 2>&1
python3 tests/integration/test_cli_upload.py "$b/bin/crto" >/dev/null 2>&1
gcovr -r . --filter 'src/' "$b" 2>/dev/null | sed -n '/^File/,$p'
summary=$(gcovr -r . --filter 'src/' --branches --print-summary "$b" 2>/dev/null -o /dev/null)
echo "$summary"
lines=$(echo "$summary" | sed -n 's/^lines: \([0-9.]*\)%.*/\1/p')
if [ -n "$lines" ] && awk -v l="$lines" -v m="$min" 'BEGIN { exit !(l >= m) }'; then
    echo "ok - coverage: src/ lines $lines% >= $min%"
    echo "1 passed, 0 failed"
else
    echo "not ok - coverage: src/ lines ${lines:-?}% < $min%"
    echo "0 passed, 1 failed"
    exit 1
fi
