#!/bin/sh
# run_e2e.sh - run the end-to-end image under QEMU (at most 300 s), show its
# output and keep it in LOG, where size_report.py reads the measured TLS
# arena and stack high-waters.
#
#   sh boards/mps2-an386/run_e2e.sh build/mps2-an386/e2e.elf build/mps2-an386/e2e.log
#
# The image prints "N passed, N failed" and exits 0 only if all passed; a
# timeout or a fault (exit 99) is reported as one more failure.
set -u
elf=$1
log=$2
timeout 300 qemu-system-arm -M mps2-an386 -nographic -semihosting-config enable=on,target=native \
    -kernel "$elf" >"$log.tmp" 2>&1 </dev/null
rc=$?
mv -f "$log.tmp" "$log"
cat "$log"
if [ "$rc" -ne 0 ] && ! grep -Eq '^[0-9]+ passed, [1-9][0-9]* failed' "$log"; then
    case $rc in
        124) echo "not ok - $elf: no result within 300 s (timeout)" ;;
        99) echo "not ok - $elf: HardFault" ;;
        *) echo "not ok - $elf: exit status $rc" ;;
    esac
    p=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 | sed -E 's/ passed.*//')
    echo "${p:-0} passed, 1 failed"
fi
exit "$rc"
