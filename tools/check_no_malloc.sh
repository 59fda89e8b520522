#!/bin/sh
# Zero malloc, proven on the objects: no archive given may reference the
# heap. One test per archive.
passed=0
failed=0
for a in "$@"; do
    hits=$(nm -A "$a" 2>/dev/null | grep -E ' U (malloc|calloc|realloc|free|strdup|strndup|reallocarray)$')
    if [ -n "$hits" ]; then
        echo "not ok - $a references the heap:"
        echo "$hits"
        failed=$((failed + 1))
    elif ! nm "$a" >/dev/null 2>&1; then
        echo "not ok - $a cannot be read by nm"
        failed=$((failed + 1))
    else
        echo "ok - $a has no malloc, calloc, realloc, free or strdup"
        passed=$((passed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
