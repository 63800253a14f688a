#!/usr/bin/env bash
# Code size and RAM of the core (docs/firmware.md section 11.1, "Sizes"): every core object compiled with -Os for x86-64 (gcc) and,
# when arm-none-eabi-gcc is installed, for a Cortex-M4 (Thumb-2, -Os, -ffunction-sections); then the RAM of the
# node, the RPC server and the client in each configuration. Run from anywhere: firmware/tools/size-report.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
core="$here/../core"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

sources=(csa_crc32 csa_cobs csa_frame csa_node csa_routes csa_reassembly csa_link_management csa_groups csa_rpc_packet csa_rpc_cache csa_rpc_server csa_rpc_client)

code_size() { # compiler size-tool flags...
  local cc="$1" size="$2"; shift 2
  local objs=()
  for s in "${sources[@]}"; do
    "$cc" -std=c99 -Os -ffunction-sections -fdata-sections "$@" -I"$core/include" -I"$core/src" -c "$core/src/$s.c" -o "$work/$s.o"
    objs+=("$work/$s.o")
  done
  "$size" -t "${objs[@]}" | sed "s|$work/||"
}

echo "== core, x86-64, gcc -Os (default configuration)"
code_size gcc size
if command -v arm-none-eabi-gcc >/dev/null 2>&1; then
  echo
  echo "== core, Cortex-M4, arm-none-eabi-gcc -Os -mthumb (default configuration)"
  code_size arm-none-eabi-gcc arm-none-eabi-size -mcpu=cortex-m4 -mthumb -mfloat-abi=soft
fi

ram() { # label config-dir config-file
  local label="$1" flags=()
  [ -n "$2" ] && flags=(-I"$2" "-DCSA_CONFIG_FILE=\"$3\"")
  echo
  echo "== RAM, $label configuration (bytes; x86-64 / Cortex-M4)"
  gcc -std=c99 "${flags[@]}" -I"$core/include" -c "$here/ram_report.c" -o "$work/ram.o"
  local arm=""
  if command -v arm-none-eabi-gcc >/dev/null 2>&1; then
    arm-none-eabi-gcc -std=c99 -mcpu=cortex-m4 -mthumb "${flags[@]}" -I"$core/include" -S "$here/ram_report.c" -o "$work/ram.s"
    arm="$work/ram.s"
  fi
  for name in node link_rx reassembly server cache client; do
    local host m4="-"
    host="$(gdb_free_value "$work/ram.o" "csa_ram_$name")"
    [ -n "$arm" ] && m4="$(awk -v sym="csa_ram_$name:" '$1==sym {getline; print $2; exit}' "$arm")"
    printf '  %-11s %8s / %s\n' "$name" "$host" "$m4"
  done
}

# The value of a `const unsigned long` in a host object, read from its .rodata (no debugger needed).
gdb_free_value() {
  local obj="$1" sym="$2" line offset
  line="$(nm -S "$obj" | awk -v s="$sym" '$4==s')"
  offset="$((16#$(echo "$line" | awk '{print $1}')))"
  objcopy -O binary --only-section=.rodata "$obj" "$work/rodata.bin" 2>/dev/null || objcopy -O binary --only-section=.rodata.$sym "$obj" "$work/rodata.bin"
  od -An -t u8 -j "$offset" -N 8 "$work/rodata.bin" | tr -d ' '
}

ram "default" "" ""
ram "unit test" "$here/../tests/config" "csa_test_config.h"
ram "POSIX device program" "$here/../apps/csa-device/config" "csa_device_config.h"
