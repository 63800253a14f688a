#!/usr/bin/env python3
"""Flash bytes per part of a GNU ld map file: the .text/.rodata/.data input sections the link kept, grouped by the
prefix of the object they came from (core_, boot_, service_, binding_, crypto_, probe) or the library (libc, libgcc).

    map_parts.py probe.map"""
import re
import sys

sizes = {}
pending = None
in_discarded = False
for line in open(sys.argv[1]):
    if line.startswith("Discarded input sections"):
        in_discarded = True
    elif line.startswith("Memory Configuration") or line.startswith("Linker script and memory map"):
        in_discarded = False
    if in_discarded:
        continue
    m = re.match(r"^ (\.(?:text|rodata|data)\S*)\s*$", line)
    if m:
        pending = m.group(1)
        continue
    m = re.match(r"^ (\.(?:text|rodata|data)\S*)?\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+)", line)
    if m and (m.group(1) or pending):
        obj = m.group(3)
        base = obj.rsplit("/", 1)[-1]
        if "libc" in obj or "libg" in obj:
            part = "libc/libgcc"
        else:
            part = base.split("_", 1)[0] if "_" in base else base.replace(".o", "")
        sizes[part] = sizes.get(part, 0) + int(m.group(2), 16)
    pending = None
for part in ("core", "binding", "service", "boot", "crypto", "probe", "libc/libgcc"):
    print(f"    {part}: {sizes.pop(part, 0)}")
for part, n in sorted(sizes.items()):
    print(f"    {part}: {n}")
