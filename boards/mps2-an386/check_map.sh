#!/bin/sh
# check_map.sh - zero malloc on the mps2-an386 board, proven on the linked
# images, not only on crto's own objects (tools/check_no_malloc.sh does
# those on the host).
#
#   sh boards/mps2-an386/check_map.sh IMAGE.map...
#
# Each IMAGE.map was written by ld with -Map=IMAGE.map --cref next to
# IMAGE.elf. For each image, four checks:
#
#   1. cref: no input file of the link DEFINES a heap symbol. The cross
#      reference table lists every symbol of every file the linker loaded
#      (archive members included), before --gc-sections: so this fails as
#      soon as newlib's malloc (or anything allocating) is pulled into the
#      link at all, and names who referenced it.
#   2. cref: no input file REFERENCES one (crto, the ports, the board,
#      mbedTLS, newlib alike).
#   3. nm -u: no object in any of our archives or objects the link loaded
#      (build/mps2-an386/...: libcrto, the mem port, the lwIP port, lwIP,
#      the board, mbedTLS, the e2e image's server and the tests) has an
#      undefined heap symbol - even members the link did not need.
#   4. nm of the ELF: no heap symbol in the final image, and if mbedTLS's
#      allocator is in it, so is the static arena's
#      (mbedtls_memory_buffer_alloc_init).
#
# Heap symbols: the C allocator and every newlib internal that allocates
# or manages the heap (the _r variants, sbrk, the malloc bookkeeping,
# __smakebuf_r which mallocs stdio buffers, dtoa's _Balloc/_Bfree, strdup,
# asprintf). Prints "N passed, N failed"; exit 1 if anything failed.
set -u

NM=${NM:-arm-none-eabi-nm}
HEAP_RE='^_?_?(malloc|calloc|realloc|reallocf|reallocarray|free|cfree|memalign|aligned_alloc|valloc|pvalloc|posix_memalign|strdup|strndup|sbrk|mallinfo|malloc_trim|malloc_usable_size|malloc_stats|mallopt|malloc_lock|malloc_unlock|malloc_av_|malloc_free_list|malloc_sbrk_start|malloc_sbrk_base|malloc_top_pad|malloc_trim_threshold|malloc_current_mallinfo|malloc_max_sbrked_mem|malloc_max_total_mem|malloc_update_mallinfo|smakebuf|Balloc|Bfree|asprintf|vasprintf)(_r)?$'

passed=0
failed=0
ok() { echo "ok - $*"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $*"; failed=$((failed + 1)); }

if [ $# -eq 0 ]; then
    echo "usage: sh check_map.sh IMAGE.map..." >&2
    echo "0 passed, 1 failed"
    exit 1
fi

for map in "$@"; do
    elf=${map%.map}.elf
    if [ ! -f "$map" ] || [ ! -f "$elf" ] || ! grep -q '^Cross Reference Table' "$map"; then
        not_ok "$map: no map with a cross reference table (link with -Wl,-Map=...,--cref), or no $elf"
        continue
    fi

    # The cref as "symbol<TAB>D|R<TAB>file" lines: the first file under a
    # symbol defines it, the others reference it. A symbol of 50 characters
    # or more has its first file on the next line.
    cref=$(awk '
        /^Cross Reference Table/ { on = 1; next }
        !on || /^Symbol[ \t]+File/ || /^$/ { next }
        /^[^ \t]/ {
            sym = $1; first = 1
            if (NF >= 2) { print sym "\tD\t" $2; first = 0 }
            next
        }
        { print sym "\t" (first ? "D" : "R") "\t" $1; first = 0 }
    ' "$map")
    nsyms=$(printf '%s\n' "$cref" | awk -F '\t' '$2 == "D"' | wc -l)
    if [ "$nsyms" -lt 10 ]; then
        not_ok "$map: cross reference table unreadable ($nsyms symbols)"
        continue
    fi

    # 1 and 2
    defs=$(printf '%s\n' "$cref" | awk -F '\t' -v re="$HEAP_RE" '$2 == "D" && $1 ~ re { print $1 "  " $3 }')
    refs=$(printf '%s\n' "$cref" | awk -F '\t' -v re="$HEAP_RE" '$2 == "R" && $1 ~ re { print $1 "  " $3 }')
    if [ -n "$defs" ]; then
        not_ok "$map: the link loaded an allocator (symbol, defined in):"
        printf '%s\n' "$defs" | sed 's/^/    /'
        [ -n "$refs" ] && { echo "  referenced by:"; printf '%s\n' "$refs" | sed 's/^/    /'; }
    else
        ok "$map: cref of $nsyms symbols: no malloc/calloc/realloc/free, _malloc_r & co., sbrk or stdio buffer allocator loaded"
    fi
    if [ -n "$refs" ]; then
        not_ok "$map: input files reference the heap (symbol, file):"
        printf '%s\n' "$refs" | sed 's/^/    /'
    else
        ok "$map: no input file (crto, ports, lwIP, board, mbedTLS, newlib) references a heap symbol"
    fi

    # 3: every archive and object of ours the link loaded, all members.
    ours=$(awk '/^LOAD /{print $2}' "$map" | grep '^build/' | sort -u)
    if [ -z "$ours" ]; then
        not_ok "$map: no LOAD lines for build/ inputs"
    else
        und=$(for f in $ours; do "$NM" -A -u "$f" 2>/dev/null; done |
            awk -v re="$HEAP_RE" '$NF ~ re { print $NF "  " $1 }')
        if [ -n "$und" ]; then
            not_ok "$map: our objects reference the heap (symbol, object):"
            printf '%s\n' "$und" | sed 's/^/    /'
        else
            ok "$map: $(echo "$ours" | wc -l) of our archives/objects (libcrto, ports, lwIP, board, mbedTLS, tests): no heap reference in any member"
        fi
    fi

    # 4
    syms=$("$NM" "$elf" | awk '{print $NF}')
    inimg=$(printf '%s\n' "$syms" | grep -E "$HEAP_RE" || true)
    if [ -n "$inimg" ]; then
        not_ok "$elf contains heap symbols: $(echo $inimg)"
    elif printf '%s\n' "$syms" | grep -qx 'mbedtls_calloc' &&
        ! printf '%s\n' "$syms" | grep -qx 'mbedtls_memory_buffer_alloc_init'; then
        not_ok "$elf has mbedTLS's allocator but not its static arena (mbedtls_memory_buffer_alloc_init)"
    else
        ok "$elf: no heap symbol in the image; mbedTLS allocates from its static arena only"
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
