#!/bin/sh
# Make a build directory whose programs run under a checker, so the
# integration suites (which take program paths) run unchanged under it.
#
#   sh tools/wrap_build.sh valgrind|sanitizers FROM TO
#
# For each of FROM/bin/crto, FROM/bin/kiosk and FROM/tests/itest_*, writes
# an executable TO/<same path> that execs the real program. Findings go to
# files in TO/logs/ (one per process), which tools/check_logs.sh reads after
# the suites: a suite that expects a non-zero exit could not tell a checker's
# exit code from the program's, the logs can.
#   valgrind    memcheck, leaks included (FROM must have DWARF 4 debug info)
#   sanitizers  FROM is an ASan+UBSan build; the wrapper points their logs
#               at TO/logs/
set -eu
kind=$1 from=$(cd "$2" && pwd) to=$3
mkdir -p "$to/bin" "$to/tests" "$to/logs"
rm -f "$to/logs/"*
logs=$(cd "$to/logs" && pwd)
for p in "$from"/bin/crto "$from"/bin/kiosk "$from"/tests/itest_*; do
    [ -x "$p" ] || continue
    rel=${p#"$from"/}
    case $kind in
    valgrind)
        run="exec valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
--errors-for-leak-kinds=definite,indirect --log-file=$logs/valgrind.%p \"$p\" \"\$@\"" ;;
    sanitizers)
        run="ASAN_OPTIONS=detect_leaks=1:log_path=$logs/asan UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan \
exec \"$p\" \"\$@\"" ;;
    *) echo "wrap_build: unknown kind $kind" >&2; exit 2 ;;
    esac
    printf '#!/bin/sh\n%s\n' "$run" >"$to/$rel"
    chmod +x "$to/$rel"
done
