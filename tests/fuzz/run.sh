#!/bin/sh
# Run the libFuzzer targets of tests/fuzz/ (built by `make fuzz-build` into
# build/fuzz/fuzz_<name>), each for a while, on a copy of its seed corpus.
#
#   sh tests/fuzz/run.sh [-t SECONDS] [-w WORKDIR] [-k] [NAME...]
#
#   -t  seconds per target (default 3)
#   -w  where the corpus copies, logs and crash inputs go
#       (default build/fuzz/smoke-work): WORKDIR/<name>/, WORKDIR/<name>.log,
#       WORKDIR/artifacts/<name>/
#   -k  keep the corpus already in WORKDIR/<name> and add the seeds to it
#       (make fuzz: the corpus grows from run to run); without -k each run
#       starts from the seeds alone
#   NAME  targets (default: all six)
#
# The committed corpus (tests/fuzz/corpus/<name>) is only read. Each target
# is one check: passed when libFuzzer exited 0, i.e. no crash, sanitizer
# report, leak, timeout (-timeout=5 per input) or out-of-memory
# (-rss_limit_mb=1024). One line per target with its executions, rate and
# coverage; on a failure the end of its log and the input that caused it.
# Last line: "N passed, N failed"; the exit status is 0 only when none
# failed.
set -u
cd "$(dirname "$0")/../.." || exit 1

time=3
work=build/fuzz/smoke-work
keep=0
while getopts t:w:k opt; do
    case $opt in
        t) time=$OPTARG ;;
        w) work=$OPTARG ;;
        k) keep=1 ;;
        *) echo "usage: sh tests/fuzz/run.sh [-t SECONDS] [-w WORKDIR] [-k] [NAME...]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
case $work in
    build/fuzz/*) ;;
    *) [ "$keep" = 1 ] || { echo "run.sh: without -k the work directory must be under build/fuzz/" >&2; exit 2; } ;;
esac
names=${*:-"http_reader json_reader json_splitter envelope identifier journal"}

# Largest input per target: room for several HTTP windows, a splitter
# element past CRTO_JSON_WINDOW, a journal of a few dozen records.
max_len() {
    case $1 in
        identifier) echo 600 ;;
        http_reader | json_reader) echo 4096 ;;
        *) echo 8192 ;;
    esac
}

# stat::<name> from libFuzzer's final stats, or "?"
stat() {
    v=$(grep -E "^stat::$1:" "$2" | tail -n 1 | awk '{print $2}')
    echo "${v:-?}"
}

passed=0
failed=0
for name in $names; do
    bin=build/fuzz/fuzz_$name
    seeds=tests/fuzz/corpus/$name
    dir=$work/$name
    log=$work/$name.log
    art=$work/artifacts/$name
    if [ ! -x "$bin" ] || [ ! -d "$seeds" ]; then
        echo "not ok - fuzz_$name: $bin or $seeds is missing (make fuzz-build)"
        failed=$((failed + 1))
        continue
    fi
    [ "$keep" = 1 ] || rm -rf "$dir"
    mkdir -p "$dir" "$art"
    cp "$seeds"/* "$dir"/
    before=$(ls "$dir" | wc -l)
    dict=
    [ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
    # shellcheck disable=SC2086
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
        "$bin" -max_total_time="$time" -print_final_stats=1 -timeout=5 -rss_limit_mb=1024 -detect_leaks=1 \
        -max_len="$(max_len "$name")" $dict -artifact_prefix="$art/" "$dir" >"$log" 2>&1
    rc=$?
    runs=$(stat number_of_executed_units "$log")
    rate=$(stat average_exec_per_sec "$log")
    rss=$(stat peak_rss_mb "$log")
    last=$(grep -E '(DONE|INITED|pulse|NEW|REDUCE|RELOAD) +cov:' "$log" | tail -n 1)
    cov=$(echo "$last" | sed -nE 's/.* cov: ([0-9]+).*/\1/p')
    ft=$(echo "$last" | sed -nE 's/.* ft: ([0-9]+).*/\1/p')
    after=$(ls "$dir" | wc -l)
    summary="$runs executions ($rate/s, ${time} s budget), cov ${cov:-?} ft ${ft:-?}, corpus $before -> $after, peak ${rss} MB"
    if [ "$rc" -eq 0 ]; then
        echo "ok - fuzz_$name: $summary"
        passed=$((passed + 1))
    else
        echo "not ok - fuzz_$name: libFuzzer exited $rc after $summary"
        grep -E 'fuzz invariant failed|ERROR: |SUMMARY: |runtime error|Test unit written|libFuzzer: (timeout|out-of-memory)' \
            "$log" | head -n 12 | sed 's/^/    /'
        echo "    (log: $log)"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
