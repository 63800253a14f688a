#!/usr/bin/env bash
# Sizes and stack depths of the crypto library (docs/firmware.md section 10.8, "Sizes, stack and cost"):
#  - x86-64: `size` of each object of the host build (gcc -O2);
#  - Cortex-M4 (arm-none-eabi-gcc -Os -mcpu=cortex-m4 -mthumb, newlib-nano memcpy/memset): per object, and linked
#    with --gc-sections for the verify-only build (SHA-256 + ECDSA verify) and the full build (+ sign, keygen,
#    ECDH, HKDF, AES-CTR, ECIES);
#  - worst-case stack of verify, sign, keygen, ECIES unwrap and AES-CTR from -fcallgraph-info=su.
# Usage: tools/size_report.sh [--check]   (--check: exit 1 when a build exceeds its budget below)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mktemp -d /tmp/csa-crypto-size-XXXXXX)"
trap 'rm -rf "$out"' EXIT
check="${1:-}"
# Budgets for the crypto share of a bootloader copy (the copy itself: 32 KB with ECDSA, 64 KB full, DESIGN.md §7)
BUDGET_VERIFY=8192
BUDGET_FULL=16384

verify_src="ct sha256 hmac_sha256 p256_api p256_field ecdsa_der soft_sha256 soft_p256_point soft_p256_verify"
full_src="$verify_src rfc6979 p256_sign_api soft_p256_ladder soft_p256_sign hkdf_sha256 aes_ctr p256_ecdh_api ecies soft_aes soft_p256_ecdh"

echo "== x86-64 objects (gcc -O2) =="
mkdir -p "$out/x86"
for s in $full_src; do gcc -std=c99 -O2 -I"$here/include" -I"$here/port/soft" -c "$here/src/$s.c" -o "$out/x86/$s.o"; done
(cd "$out/x86" && size -t $(for s in $full_src; do echo "$s.o"; done))

if ! command -v arm-none-eabi-gcc >/dev/null; then
  echo "arm-none-eabi-gcc not installed: no Cortex-M4 figures"
  exit 0
fi
CFLAGS="-std=c99 -Os -mcpu=cortex-m4 -mthumb -ffunction-sections -fdata-sections -fstack-usage -fcallgraph-info=su"
status=0
for build in verify full; do
  if [ $build = verify ]; then src=$verify_src; defs="-DCSA_CRYPTO_WITH_SIGN=0 -DCSA_CRYPTO_WITH_DECRYPT=0"; budget=$BUDGET_VERIFY
  else src=$full_src; defs=""; budget=$BUDGET_FULL; fi
  d="$out/$build"; mkdir -p "$d"
  for s in $src size_main; do
    f="$here/src/$s.c"; [ $s = size_main ] && f="$here/tools/size_main.c"
    (cd "$d" && arm-none-eabi-gcc $CFLAGS $defs -I"$here/include" -I"$here/port/soft" -c "$f" -o "$s.o")
  done
  echo
  echo "== Cortex-M4 $build build: objects =="
  (cd "$d" && arm-none-eabi-size -t $(for s in $src; do echo "$s.o"; done))
  (cd "$d" && arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -specs=nano.specs -specs=nosys.specs -nostartfiles \
      -Wl,--gc-sections -Wl,-e,Reset_Handler -Wl,-Map,probe.map -o probe.elf *.o)
  echo "== Cortex-M4 $build build: linked with --gc-sections (incl. memcpy/memset, libgcc) =="
  arm-none-eabi-size "$d/probe.elf"
  text=$(arm-none-eabi-size "$d/probe.elf" | awk 'NR==2 {print $1 + $2}')
  echo "flash (text + data): $text bytes; budget $budget"
  if [ "$text" -gt "$budget" ]; then echo "OVER BUDGET"; status=1; fi
  echo "== Cortex-M4 $build build: worst-case stack (bytes, own frames summed along the deepest path) =="
  roots="csa_p256_verify csa_sha256_update"
  [ $build = full ] && roots="$roots csa_p256_sign csa_p256_keygen csa_ecies_unwrap csa_aes_ctr_crypt"
  if command -v python3 >/dev/null; then python3 "$here/tools/stack_depth.py" $roots -- "$d"/*.ci; else echo "(python3 missing: no stack figures)"; fi
done
if [ "$check" = "--check" ]; then exit $status; fi
