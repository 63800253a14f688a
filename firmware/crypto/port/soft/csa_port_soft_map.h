/* The default crypto port: the software engine of this directory (csa_soft_*). */
#ifndef CSA_PORT_SOFT_MAP_H
#define CSA_PORT_SOFT_MAP_H

#include "csa_port_soft.h"

#define csa_port_sha256_ctx csa_soft_sha256_ctx
#define csa_port_sha256_init csa_soft_sha256_init
#define csa_port_sha256_update csa_soft_sha256_update
#define csa_port_sha256_final csa_soft_sha256_final
#define csa_port_aes_ctx csa_soft_aes_ctx
#define csa_port_aes_setkey csa_soft_aes_setkey
#define csa_port_aes_encrypt csa_soft_aes_encrypt
#define csa_port_aes_clear csa_soft_aes_clear
#define csa_port_p256_verify csa_soft_p256_verify
#define csa_port_p256_sign csa_soft_p256_sign
#define csa_port_p256_ecdh csa_soft_p256_ecdh
#define csa_port_p256_public_key csa_soft_p256_public_key

#endif
