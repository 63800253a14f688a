/* The device program's command line: links, the chip and its flash file, the product, the factory programming and
 * the power cuts (csa-device --help). */
#ifndef CSA_DEVICE_OPTIONS_H_
#define CSA_DEVICE_OPTIONS_H_

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "csa_flashsim.h"
#include "csa_service/product.h"

typedef struct csa_device_options {
    const char *upstream;
    const char *downstream;
    /* The chip. */
    const char *flash_path;          /* the flash image file; NULL: the flash lives in this process only */
    int has_uid;
    uint8_t uid[CSA_FLASH_UID_SIZE];  /* a new chip's unique id (a flash file keeps its own) */
    csa_flashsim_timing timing;
    int strict_flash;                /* refuse any program over cells that are not erased (the tests' flash) */
    /* The product (the C# DeviceProfile). */
    csa_product product;
    uint8_t address;                 /* a fixed node address, or CSA_ADDR_UNASSIGNED */
    /* The chip's key storage (docs/security.md 10.1): a file of its own, or RAM; a key injected in production. */
    const char *key_storage_path;
    int has_identity_key;
    uint8_t identity_key[32];
    bool telemetry;
    /* Factory programming of a fresh chip (the C# FactoryProgrammer). */
    const char *factory_bootloader;  /* image file for copy A */
    const char *factory_bootloader_b;
    const char *factory_application;
    uint8_t pre_major, pre_minor;    /* the pre-bootloader marker's version */
    uint16_t pre_patch;
    /* Power cuts. */
    int has_cut;
    csa_flashsim_plan cut;           /* --cut-at: operation counted from the program's start */
    int cut_random;
    uint32_t cut_seed;
    uint64_t cut_range;              /* --cut-random SEED:N: an operation in [0, N) */
    int exit_on_cut;                 /* --on-power-cut exit: the process ends (status 99) instead of restarting */
    uint32_t power_off_ms;
    /* --exit-with-stdin: end when standard input reaches its end (the program that started this one is gone). */
    int exit_with_stdin;
    int store_and_forward;           /* forward frames after their delimiter only (not cut-through, protocol.md 6.3.1) */
} csa_device_options;

/* Fills *o from the command line. 0: run; 1: --help was printed; 2: a usage error was printed to stderr. */
int csa_device_parse_options(int argc, char **argv, csa_device_options *o);

void csa_device_usage(FILE *out);

#endif /* CSA_DEVICE_OPTIONS_H_ */
