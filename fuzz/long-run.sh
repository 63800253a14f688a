#!/usr/bin/env bash
# The long fuzz run of docs/security.md 11: every target in process, coverage-guided (the SDK assemblies instrumented by
# SharpFuzz), 10^7 inputs per fast target, 10^6 per slow one (files, elliptic-curve points), 2*10^5 for the 256 KiB
# flash state file; an input slower than 1 s counts as a hang. Runs at the lowest priority (nice 19): the machine is shared.
#   fuzz/long-run.sh [OUT] [TARGET...]      (OUT default: fuzz-results/long-run-DATE)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-fuzz-results/long-run-$(date -u +%Y%m%dT%H%M%SZ)}"
shift || true
mkdir -p "$out"
bin="$out/bin"
rm -rf "$bin"
dotnet publish fuzz/Csa.Fuzz -c Release -o "$bin" >/dev/null
dotnet "$bin/Csa.Fuzz.dll" instrument "$bin" > "$out/instrument.txt"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(dotnet "$bin/Csa.Fuzz.dll" list | awk '{print $1}')
fi
for t in "${targets[@]}"; do
  speed="$(dotnet "$bin/Csa.Fuzz.dll" list | awk -v t="$t" '$1 == t {print $2}')"
  inputs=10000000
  [ "$speed" = "Slow" ] && inputs=1000000
  [ "$t" = "flash-state" ] && inputs=200000
  echo "== $t ($speed): $inputs inputs, started $(date -u +%H:%M:%S)" | tee -a "$out/summary.txt"
  nice -n 19 dotnet "$bin/Csa.Fuzz.dll" run "$t" --inputs "$inputs" --seed 1 --hang-ms 1000 --failures "$out/failures" \
    --progress 1000000 > "$out/$t.log" 2>&1 || true
  tail -n +1 "$out/$t.log" | grep -v "inputs, corpus" | tee -a "$out/summary.txt"
done
echo "done $(date -u +%H:%M:%S)" | tee -a "$out/summary.txt"
