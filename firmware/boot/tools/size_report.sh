#!/usr/bin/env bash
# Sizes of the bootloader core (docs/firmware.md section 11.2, "The bootloader"):
#  - x86-64: `size` of each object (gcc -O2);
#  - Cortex-M4 (arm-none-eabi-gcc -Os -mcpu=cortex-m4 -mthumb, newlib-nano): per object, and linked with
#    --gc-sections behind a probe that calls every entry point the RPC glue calls (tools/size_main.c), for the ECDSA
#    product (core + CRC-32 + SHA-256 + ECDSA P-256 verify) and the checksum-only product (CSA_BOOT_ECDSA=0);
#  - the RAM of a csa_bootloader (static) and the worst-case stack from -fcallgraph-info.
# Usage: tools/size_report.sh [--check]   (--check: exit 1 when a build exceeds its budget below)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
fw="$(cd "$here/.." && pwd)"
out="$(mktemp -d /tmp/csa-boot-size-XXXXXX)"
trap 'rm -rf "$out"' EXIT
check="${1:-}"
# The core's share of a 32 KB bootloader copy: the rest is the data link, the RPC runtime, the generated bindings,
# the drivers and the start-up code (issue 16 measures the whole copy).
BUDGET_ECDSA=20480
BUDGET_CRC=16384
RAM_BUDGET=12288

boot_src="flash map image journal state otp_counter trailer preboot bl_session bl_progress bl_start bl_begin bl_write bl_finish bl_missing"
crypto_src="ct sha256 p256_api p256_field soft_sha256 soft_p256_point soft_p256_verify"
inc="-I$here/include -I$here/src -I$fw/core/include -I$fw/crypto/include -I$fw/crypto/port/soft"

echo "== x86-64 objects (gcc -O2) =="
mkdir -p "$out/x86"
for s in $boot_src; do gcc -std=c99 -O2 $inc -c "$here/src/$s.c" -o "$out/x86/$s.o"; done
(cd "$out/x86" && size -t $(for s in $boot_src; do echo "$s.o"; done))

if ! command -v arm-none-eabi-gcc >/dev/null; then
  echo "arm-none-eabi-gcc not installed: no Cortex-M4 figures"
  exit 0
fi
CFLAGS="-std=c99 -Os -mcpu=cortex-m4 -mthumb -ffunction-sections -fdata-sections -fstack-usage -fcallgraph-info=su"
status=0
for build in ecdsa crc; do
  d="$out/$build"; mkdir -p "$d"
  if [ $build = ecdsa ]; then defs="-DCSA_CRYPTO_WITH_SIGN=0 -DCSA_CRYPTO_WITH_DECRYPT=0"; csrc=$crypto_src; budget=$BUDGET_ECDSA
  else defs="-DCSA_BOOT_ECDSA=0 -DCSA_CRYPTO_WITH_SIGN=0 -DCSA_CRYPTO_WITH_DECRYPT=0"; csrc="ct sha256 soft_sha256"; budget=$BUDGET_CRC; fi
  for s in $boot_src; do (cd "$d" && arm-none-eabi-gcc $CFLAGS $defs $inc -c "$here/src/$s.c" -o "boot_$s.o"); done
  for s in $csrc; do (cd "$d" && arm-none-eabi-gcc $CFLAGS $defs $inc -c "$fw/crypto/src/$s.c" -o "crypto_$s.o"); done
  (cd "$d" && arm-none-eabi-gcc $CFLAGS $defs $inc -c "$fw/core/src/csa_crc32.c" -o core_csa_crc32.o)
  (cd "$d" && arm-none-eabi-gcc $CFLAGS $defs $inc -c "$here/tools/size_main.c" -o size_main.o)
  echo
  echo "== Cortex-M4 $build build: bootloader core objects =="
  (cd "$d" && arm-none-eabi-size -t boot_*.o)
  (cd "$d" && arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -specs=nano.specs -specs=nosys.specs -nostartfiles \
      -Wl,--gc-sections -Wl,-e,Reset_Handler -Wl,-Map,probe.map -o probe.elf *.o)
  echo "== Cortex-M4 $build build: linked with --gc-sections (core + CRC-32 + crypto, memcpy/memset, libgcc) =="
  arm-none-eabi-size "$d/probe.elf"
  text=$(arm-none-eabi-size "$d/probe.elf" | awk 'NR==2 {print $1 + $2}')
  bss_hex=$(arm-none-eabi-nm -S "$d/probe.elf" | awk '$4 == "bl" {print $2}')
  bss=$((16#${bss_hex:-0}))
  echo "flash (text + data): $text bytes; budget $budget"
  echo "RAM of one csa_bootloader (static): $bss bytes; budget $RAM_BUDGET"
  if [ "$text" -gt "$budget" ] || [ "${bss:-0}" -gt "$RAM_BUDGET" ]; then echo "OVER BUDGET"; status=1; fi
  echo "== Cortex-M4 $build build: worst-case stack (bytes, own frames summed along the deepest path) =="
  if command -v python3 >/dev/null; then
    python3 "$fw/crypto/tools/stack_depth.py" csa_bl_start csa_bl_begin_update csa_bl_write csa_bl_finish_update \
      csa_bl_erase_ahead csa_bl_get_region_hash -- "$d"/*.ci
  else echo "(python3 missing: no stack figures)"; fi
done
if [ "$check" = "--check" ]; then exit $status; fi
