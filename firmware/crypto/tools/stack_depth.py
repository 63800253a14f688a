#!/usr/bin/env python3
"""Worst-case stack depth of a call tree from GCC's -fcallgraph-info=su output (.ci files).

    stack_depth.py ROOT [ROOT...] -- FILE.ci [FILE.ci...]

Each function's own frame comes from its node label ("N bytes (static)"); edges are the calls. The tree must be
acyclic (the crypto code has no recursion); a function whose frame is not static (dynamic/bounded) is reported."""
import re
import sys

args = sys.argv[1:]
sep = args.index("--")
roots, files = args[:sep], args[sep + 1:]
frame, calls, dynamic = {}, {}, set()
for f in files:
    for line in open(f):
        m = re.match(r'node: \{ title: "([^"]+)" label: "[^"]*\\n(\d+) bytes \((\w+)', line)
        if m:
            frame[m.group(1)] = int(m.group(2))
            if m.group(3) != "static":
                dynamic.add(m.group(1))
            continue
        m = re.match(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"', line)
        if m:
            calls.setdefault(m.group(1), set()).add(m.group(2))


def depth(fn, path):
    if fn in path:
        raise SystemExit("recursion through " + " -> ".join(path + [fn]))
    own = frame.get(fn, 0)
    best, best_path = 0, []
    for callee in calls.get(fn, ()):
        d, p = depth(callee, path + [fn])
        if d > best:
            best, best_path = d, p
    return own + best, [fn] + best_path


for r in roots:
    d, p = depth(r, [])
    print("%-24s %5d bytes  (%s)%s" % (r, d, " > ".join(x.split(":")[-1] for x in p),
                                       "  DYNAMIC FRAMES: " + ",".join(dynamic) if dynamic else ""))
