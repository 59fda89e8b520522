#!/bin/sh
# fault_check.sh - a fault on the board ends the run with status 99 and a
# message, never a hang: runs each given fault image under QEMU (with a
# timeout) and expects both. Prints "N passed, N failed".
#   sh boards/mps2-an386/fault_check.sh IMAGE.elf...
passed=0
failed=0
for elf in "$@"; do
    out=$(timeout 30 qemu-system-arm -M mps2-an386 -nographic \
        -semihosting-config enable=on,target=native -kernel "$elf" 2>&1)
    rc=$?
    printf '%s\n' "$out" | sed 's/^/  | /'
    if [ "$rc" -eq 99 ] && printf '%s\n' "$out" | grep -q 'HARD FAULT'; then
        echo "ok - $elf: HardFault reported, exit 99"
        passed=$((passed + 1))
    else
        echo "not ok - $elf: exit $rc (expected 99 and a HARD FAULT line; 124 is a hang)"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
