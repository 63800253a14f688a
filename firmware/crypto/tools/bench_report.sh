#!/usr/bin/env bash
# Instruction counts per operation (x86-64, gcc -O2, callgrind), the number of P-256 field/scalar
# multiplications (csa_mod_mul calls) per operation. Each op runs once after the setup; the same program with
# zero repetitions (the setup alone) is subtracted.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mktemp -d /tmp/csa-crypto-bench-XXXXXX)"
trap 'rm -rf "$out"' EXIT
gcc -std=c99 -O2 -g -fno-inline-functions-called-once -I"$here/include" -I"$here/port/soft" "$here"/src/*.c "$here/tools/bench.c" -o "$out/bench"
count() { # op repeat -> "Ir mod_mul_calls pair_calls"
  valgrind -q --tool=callgrind --callgrind-out-file="$out/cg" "$out/bench" "$1" "$2" >/dev/null 2>&1 || true
  python3 - "$out/cg" <<'PY'
import re, sys
ir = 0; calls = {}; names = {}; cfn = None
for line in open(sys.argv[1]):
    if line.startswith("summary:"): ir = int(line.split()[1])
    m = re.match(r"(c?)fn=\((\d+)\)(?: (.*))?", line)
    if m:
        if m.group(3): names[m.group(2)] = m.group(3).strip()
        cfn = names.get(m.group(2)) if m.group(1) else None; continue
    m = re.match(r"calls=(\d+)", line)
    if m and cfn: calls[cfn] = calls.get(cfn, 0) + int(m.group(1))
print(ir, calls.get("csa_mod_mul", 0))
PY
}
printf "%-12s %14s %12s\n" op "x86-64 instr" "mod_mul"
for op in sha256_1k verify sign keygen ecdh ecies aes_ctr_1k; do
  read ir mm < <(count $op 1)
  read ir0 mm0 < <(count $op 0)
  printf "%-12s %14d %12d\n" $op $((ir - ir0)) $((mm - mm0))
done
