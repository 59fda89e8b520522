#!/bin/sh
# The fuzz smoke of `make check`: every target of tests/fuzz/ for
# FUZZ_SMOKE_TIME seconds (default 3; six targets take about 20 s) from its
# seeds alone, in build/fuzz/smoke-work. Fails on any crash, sanitizer
# report, leak, timeout or out-of-memory. Ends with "N passed, N failed".
#
#   sh tests/fuzz/smoke.sh [NAME...]
#   FUZZ_SMOKE_TIME=10 sh tests/fuzz/smoke.sh
exec sh "$(dirname "$0")/run.sh" -t "${FUZZ_SMOKE_TIME:-3}" -w build/fuzz/smoke-work "$@"
