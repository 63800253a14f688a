#!/usr/bin/env bash
# Flash and RAM of a whole bootloader copy on the Cortex-M4, per crypto build (docs/performance.md, "Crypto features
# as build options"): the protocol stack, the generated Device / Bootloader / Provisioning bindings, the bootloader
# service, the bootloader core and the cryptography, linked behind tools/size/bootloader_probe.c with --gc-sections
# (arm-none-eabi-gcc -Os -mcpu=cortex-m4 -mthumb, newlib-nano), with and without link-time optimisation:
#   verify    CRC-32 + SHA-256 + ECDSA P-256 verify (CSA_CRYPTO_WITH_SIGN=0, CSA_CRYPTO_WITH_DECRYPT=0)
#   full      + AES-256-CTR decryption while writing, the ECIES unwrap, the identity key made and used on the device,
#             provisioning and authentication (everything on)
# The board (drivers, start-up code, vector table) is not in the probe: issue 16 measures the chip images whole.
# Usage: tools/bootloader_size.sh GENERATED_DIR [--check]   GENERATED_DIR: a firmware build's generated/ folder
#   (the C bindings `csa rpc gen-c` wrote); --check: the LTO builds only, exit 1 when one is over its budget below.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
fw="$(cd "$here/.." && pwd)"
gen="${1:?usage: bootloader_size.sh GENERATED_DIR [--check]}"
check="${2:-}"
if ! command -v arm-none-eabi-gcc >/dev/null; then echo "arm-none-eabi-gcc not installed: no Cortex-M4 figures"; exit 0; fi
out="$(mktemp -d /tmp/csa-bl-size-XXXXXX)"
trap 'rm -rf "$out"' EXIT
# Budgets of the LTO builds (what a chip image links), against regressions: the board (drivers, start-up code, vector
# table: about 3.3 KB on the chips) comes on top of the flash figures; the UART ring, 512 bytes of vector-table copy and
# retained block, and the stack come on top of the static RAM (docs/performance.md, "Crypto features as build options").
BUDGET_VERIFY=32768        # the verify-only copy: it must leave room for the board in a 32 KB copy (issue 16 checks the image)
BUDGET_FULL=49152          # the full copy: well under the 64 KB the issue allows (the product description: 100 KB)
RAM_VERIFY=25600           # 3 receive buffers of 1 KiB, the chips' configuration
RAM_FULL=27136             # 2 receive buffers: the full bootloader's 32 KB-SRAM configuration

core="csa_crc32 csa_cobs csa_frame csa_node csa_routes csa_reassembly csa_link_management csa_groups csa_rpc_packet csa_rpc_cache csa_rpc_server"
boot="flash map image journal state otp_counter trailer preboot bl_session bl_progress bl_start bl_begin bl_write bl_finish bl_missing certificate identity keystore_soft decryptor rng_health"
service="product handoff device_common bl_service bl_device bl_provisioning provisioning_common"
bindings="device bootloader provisioning"
status=0
for build in verify full; do
  if [ $build = verify ]; then
    defs="-DCSA_CRYPTO_WITH_SIGN=0 -DCSA_CRYPTO_WITH_DECRYPT=0"
    crypto="ct sha256 hmac_sha256 p256_api p256_field ecdsa_der soft_sha256 soft_p256_point soft_p256_verify"
    budget=$BUDGET_VERIFY; ram=$RAM_VERIFY; config=bootloader_verify_config.h
  else
    defs="-DCSA_CRYPTO_WITH_SIGN=1 -DCSA_CRYPTO_WITH_DECRYPT=1"
    crypto="ct sha256 hmac_sha256 p256_api p256_field ecdsa_der soft_sha256 soft_p256_point soft_p256_verify rfc6979 p256_sign_api soft_p256_ladder soft_p256_sign hkdf_sha256 aes_ctr p256_ecdh_api ecies soft_aes soft_p256_ecdh"
    budget=$BUDGET_FULL; ram=$RAM_FULL; config=bootloader_full_config.h
  fi
  inc="-I$fw/core/include -I$fw/core/src -I$fw/boot/include -I$fw/boot/src -I$fw/service/include -I$fw/service/src \
       -I$fw/crypto/include -I$fw/crypto/port/soft -I$gen -I$here/size"
  defs="$defs -DCSA_CONFIG_FILE=\"$config\""
  ltos="no yes"
  [ "$check" = "--check" ] && ltos="yes" # CTest checks the budgets of what a chip links; the breakdown needs no LTO
  for lto in $ltos; do
    d="$out/$build-$lto"; mkdir -p "$d"
    flags="-std=c99 -Os -mcpu=cortex-m4 -mthumb -ffunction-sections -fdata-sections"
    [ $lto = yes ] && flags="$flags -flto" || flags="$flags -fstack-usage -fcallgraph-info=su"
    cc() { (cd "$d" && arm-none-eabi-gcc $flags $defs $inc -c "$1" -o "$2"); }
    for s in $core; do cc "$fw/core/src/$s.c" "core_$s.o"; done
    for s in $boot; do cc "$fw/boot/src/$s.c" "boot_$s.o"; done
    for s in $service; do cc "$fw/service/src/$s.c" "service_$s.o"; done
    for s in $bindings; do cc "$gen/$s.rpc.binding.c" "binding_$s.o"; done
    for s in $crypto; do cc "$fw/crypto/src/$s.c" "crypto_$s.o"; done
    cc "$here/size/bootloader_probe.c" probe.o
    (cd "$d" && arm-none-eabi-gcc $flags -specs=nano.specs -specs=nosys.specs -nostartfiles -Wl,--gc-sections \
        -Wl,-e,Reset_Handler -Wl,-Map,probe.map -o probe.elf *.o)
    read -r text data bss <<<"$(arm-none-eabi-size "$d/probe.elf" | awk 'NR==2 {print $1, $2, $3}')"
    echo "$build build, LTO $lto: flash (text + data) $((text + data)) bytes, static RAM (data + bss) $((data + bss)) bytes"
    if [ $lto = no ]; then
      if command -v python3 >/dev/null; then
        echo "  by part (code and constants the link kept):"
        python3 "$here/size/map_parts.py" "$d/probe.map"
      fi
      if command -v python3 >/dev/null; then
        # The service's steps, where the flash work and the cryptography run (the node's receive path recurses
        # through local delivery, so it is not a tree; its frames are small).
        echo "  worst-case stack of the work the service's steps run (own frames summed along the deepest path; the"
        echo "  service's own frames above them and the node's receive path are a few hundred bytes more; the key storage"
        echo "  calls keygen, sign and ECDH through its port, under the identity's frame):"
        roots="csa_bl_start csa_bl_begin_update csa_bl_write csa_bl_finish_update"
        [ $build = full ] && roots="$roots csa_identity_read csa_identity_generate_key csa_identity_install csa_identity_authenticate csa_p256_keygen csa_p256_sign csa_ecies_unwrap_with csa_aes_ctr_crypt"
        python3 "$fw/crypto/tools/stack_depth.py" $roots -- "$d"/*.ci | sed 's/^/    /' || true
      fi
    fi
    if [ $lto = yes ]; then
      if [ $((text + data)) -gt "$budget" ] || [ $((data + bss)) -gt "$ram" ]; then
        echo "  OVER BUDGET (flash $budget, static RAM $ram)"; status=1
      else
        echo "  within budget (flash $budget, static RAM $ram)"
      fi
    fi
  done
done
if [ "$check" = "--check" ]; then exit $status; fi
