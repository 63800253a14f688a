#!/usr/bin/env bash
# AFL++ (Debian's afl++ 4.04c) over the fuzz targets through SharpFuzz: the SDK assemblies instrumented, the seed corpora
# written by the project's writers, one afl-fuzz per target for SECONDS each, at the lowest priority (nice 19), then
# each target's execs, crashes and hangs from AFL's fuzzer_stats. docs/security.md 11.
#   apt-get install -y --no-install-recommends afl++
#   fuzz/afl.sh SECONDS [OUT] [TARGET...]      (OUT default: fuzz-results/afl-DATE)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:?seconds per target}"
out="${2:-fuzz-results/afl-$(date -u +%Y%m%dT%H%M%SZ)}"
shift 2 || shift $#
command -v afl-fuzz >/dev/null || { echo "afl-fuzz missing: apt-get install -y --no-install-recommends afl++" >&2; exit 1; }
mkdir -p "$out"
bin="$out/bin"
rm -rf "$bin"
dotnet publish fuzz/Csa.Fuzz -c Release -o "$bin" >/dev/null
dotnet "$bin/Csa.Fuzz.dll" instrument "$bin" > "$out/instrument.txt"
dotnet "$bin/Csa.Fuzz.dll" seeds "$out/seeds" > "$out/seeds.txt"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(dotnet "$bin/Csa.Fuzz.dll" list | awk '{print $1}')
fi
# dotnet itself is not instrumented (SharpFuzz reports the coverage); AFL must not insist on it. No UI, no CPU tuning.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
echo "target execs crashes hangs execs/s" > "$out/summary.txt"
for t in "${targets[@]}"; do
  nice -n 19 afl-fuzz -i "$out/seeds/$t" -o "$out/$t" -V "$seconds" -t 5000 -m none -- dotnet "$bin/Csa.Fuzz.dll" afl "$t" \
    > "$out/$t.log" 2>&1 || true
  stats="$out/$t/default/fuzzer_stats"
  if [ -f "$stats" ]; then
    awk -v t="$t" -F' *: *' '{v[$1]=$2} END {print t, v["execs_done"], v["saved_crashes"], v["saved_hangs"], v["execs_per_sec"]}' "$stats" | tee -a "$out/summary.txt"
  else
    echo "$t no-stats (see $out/$t.log)" | tee -a "$out/summary.txt"
  fi
done
