#!/bin/sh
# Checks that everything a chip image runs while its flash is busy is in SRAM (docs/firmware.md, "On the chips").
#
#   ramfunc_reach.sh [--remove-on-failure] IMAGE.elf ROOT [ROOT...]
#
# Follows, from each ROOT (the flash wait loop's busy step and what the node calls through pointers: the holding port
# handler, the link's write function), every direct branch (bl, b, b.w, cbz, ...) and every code address loaded from
# a literal pool (long calls, function pointers), in `arm-none-eabi-objdump -d`; fails when a function reached is in
# flash (below 0x20000000), or when a function reached loads any flash address from its literal pool (a constant
# table, a string, a veneer back into flash: a read of flash that would stall while an erase runs). Prints what it
# reached and where. OBJDUMP names another objdump. --remove-on-failure deletes IMAGE.elf when the check fails (a
# post-link step: the next build links it again instead of keeping an image that failed).
set -eu
remove=0
if [ "${1:-}" = "--remove-on-failure" ]; then
    remove=1
    shift
fi
[ $# -gt 1 ] || { echo "usage: $0 [--remove-on-failure] IMAGE.elf ROOT [ROOT...]" >&2; exit 2; }
elf=$1
shift
listing=$("${OBJDUMP:-arm-none-eabi-objdump}" -d "$elf") || { echo "ramfunc_reach: cannot disassemble $elf" >&2; exit 2; }
status=0
printf '%s\n' "$listing" | awk -v roots="$*" '
function hex(s,    i, c, v) { v = 0; s = tolower(s); sub(/^0x/, "", s)
    for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)); if (!c) break; v = v * 16 + c - 1 }
    return v }
/^[0-9a-f]+ <[^>]+>:$/ {
    cur = $2; gsub(/[<>:]/, "", cur); addr = hex($1)
    start[cur] = addr; byaddr[addr] = cur; order[++nf] = cur; next }
cur == "" { next }
/^ *[0-9a-f]+:\t/ {
    line = $0
    if (match(line, /\t\.word\t0x[0-9a-f]+/)) {
        lit = substr(line, RSTART + 7, RLENGTH - 7); words[cur] = words[cur] " " lit; next }
    if (match(line, /\t(bl|blx|b|b\.w|b[a-z][a-z]|b[a-z][a-z]\.[nw]|cbz|cbnz)\t.*[0-9a-f]+ <[^>+]+(\+0x[0-9a-f]+)?>/)) {
        t = substr(line, RSTART, RLENGTH); sub(/^.*</, "", t); sub(/[+>].*$/, "", t)
        if (t != cur) calls[cur] = calls[cur] " " t }
}
END {
    n = split(roots, q, " "); head = 1; bad = 0
    for (i = 1; i <= n; i++) { if (!(q[i] in start)) { printf "ramfunc_reach: no function %s in the image\n", q[i]; bad = 1 } seen[q[i]] = 1 }
    while (head <= n) {
        f = q[head++]
        if (!(f in start)) continue
        where = start[f] >= 536870912 ? "SRAM" : "FLASH"
        printf "  %-40s 0x%08x %s\n", f, start[f], where
        if (where == "FLASH") { printf "ramfunc_reach: %s is reached from the busy step but lies in flash\n", f; bad = 1 }
        m = split(calls[f], c, " ")
        for (i = 1; i <= m; i++) if (!(c[i] in seen)) { seen[c[i]] = 1; q[++n] = c[i] }
        m = split(words[f], w, " ")
        for (i = 1; i <= m; i++) {
            v = hex(w[i]); code = v - v % 2
            if (v >= 134217728 && v < 536870912) {
                printf "ramfunc_reach: %s loads the flash address 0x%08x%s\n", f, v, (code in byaddr) ? " (" byaddr[code] ")" : ""; bad = 1 }
            else if (v % 2 == 1 && (code in byaddr) && !(byaddr[code] in seen)) { seen[byaddr[code]] = 1; q[++n] = byaddr[code] }
        }
    }
    printf "ramfunc_reach: %d functions reached from the busy step, %s\n", n, bad ? "NOT all in SRAM" : "all in SRAM"
    exit bad }' || status=$?
if [ "$status" -ne 0 ] && [ "$remove" -eq 1 ]; then
    rm -f "$elf"
fi
exit "$status"
