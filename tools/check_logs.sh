#!/bin/sh
# After suites ran under tools/wrap_build.sh: one check per checker log
# directory, passed when no process left a finding (valgrind writes an empty
# file per clean process with -q; the sanitizers write a file only on a
# finding). Prints the findings and "N passed, N failed".
#   sh tools/check_logs.sh NAME DIR
name=$1 dir=$2
n=$(ls "$dir" 2>/dev/null | wc -l)
bad=$(find "$dir" -type f -size +0 2>/dev/null)
if [ -n "$bad" ]; then
    for f in $bad; do echo "--- $f"; head -n 60 "$f"; done
    echo "not ok - $name: findings in $(echo "$bad" | wc -l) of $n process logs"
    echo "0 passed, 1 failed"
    exit 1
fi
echo "ok - $name: no findings ($n log files, all empty)"
echo "1 passed, 0 failed"
