#!/bin/sh
# Print the code size of libcrto, per module, for a target and for the host.
#
#   sh tools/size_table.sh TARGET_SIZE TARGET_OBJDIR HOST_SIZE HOST_OBJDIR BUDGET
#
# TARGET_SIZE / HOST_SIZE are `size` programs (arm-none-eabi-size, size);
# each OBJDIR holds one <module>.o per src/<module>.c. BUDGET is in bytes and
# is compared with the target's .text + .data (what goes to flash). Only
# reports: the exit status is 0 whether or not the budget is met.
#
# Figures are the Berkeley format of `size`: ".text" there is every
# read-only allocated section (code and .rodata), ".data" the initialised
# writable data, ".bss" the zero-initialised data.
set -eu

[ $# -eq 5 ] || {
    echo "usage: sh tools/size_table.sh TARGET_SIZE TARGET_OBJDIR HOST_SIZE HOST_OBJDIR BUDGET" >&2
    exit 2
}
tsize=$1 tdir=$2 hsize=$3 hdir=$4 budget=$5

# "module text data bss" lines for every object of one directory.
sizes() {
    "$1" -B "$2"/*.o | awk 'NR > 1 {
        n = split($6, p, "/"); m = p[n]; sub(/\.o$/, "", m)
        print m, $1, $2, $3 }'
}

tmp=${TMPDIR:-/tmp}/crto-size.$$
trap 'rm -f "$tmp".t "$tmp".h' EXIT
sizes "$tsize" "$tdir" | sort >"$tmp".t
sizes "$hsize" "$hdir" | sort >"$tmp".h

join -a 1 -e - -o 0,1.2,1.3,1.4,2.2,2.3,2.4 "$tmp".t "$tmp".h | awk -v budget="$budget" '
BEGIN {
    printf "%-22s %26s   %26s\n", "", "Cortex-M4 (-Os, Thumb-2)", "host x86-64 (-Os)"
    printf "%-22s %8s %8s %8s   %8s %8s %8s\n", "module", ".text", ".data", ".bss", ".text", ".data", ".bss"
}
{
    printf "%-22s %8d %8d %8d   %8s %8s %8s\n", $1, $2, $3, $4, $5, $6, $7
    for (i = 2; i <= 7; i++) tot[i] += $i
}
END {
    printf "%-22s %8d %8d %8d   %8d %8d %8d\n", "total", tot[2], tot[3], tot[4], tot[5], tot[6], tot[7]
    flash = tot[2] + tot[3]; hflash = tot[5] + tot[6]
    printf "\nCortex-M4 flash (.text + .data): %d B = %.2f KiB\n", flash, flash / 1024
    printf "host flash (.text + .data):      %d B = %.2f KiB", hflash, hflash / 1024
    if (hflash > 0) printf "   (M4 / host = %.2f)", flash / hflash
    printf "\n"
    if (flash > budget)
        printf "budget \"libcrto with every feature <= %d B (%.0f KiB)\": OVER by %d B (%.2f KiB): %.2fx the budget\n", budget, budget / 1024, flash - budget, (flash - budget) / 1024, flash / budget
    else
        printf "budget \"libcrto with every feature <= %d B (%.0f KiB)\": within, %d B to spare\n", budget, budget / 1024, budget - flash
    printf "(per-object sizes, before linking: --gc-sections would drop functions an application does not call)\n"
}'
