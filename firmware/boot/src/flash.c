/* The chips' flash geometries (docs/device-model.md 1.1, RM0090 tables 5-6, RM0351 section 3.3.1) and the helpers
 * over the flash port. */
#include "csa_boot/flash.h"

/* RM0090: per 1 MB bank, 4 x 16 KB, 1 x 64 KB, 7 x 128 KB; smaller parts stop earlier. */
static const csa_flash_run f4_512k_runs[] = {{4, 16384u}, {1, 65536u}, {3, 131072u}};
static const csa_flash_run f4_1m_runs[] = {{4, 16384u}, {1, 65536u}, {7, 131072u}};
static const csa_flash_run f4_2m_runs[] = {{4, 16384u}, {1, 65536u}, {7, 131072u},
                                           {4, 16384u}, {1, 65536u}, {7, 131072u}};
/* RM0351: two banks of equal size, 2 KB pages. */
static const csa_flash_run l4_256k_runs[] = {{128, 2048u}};
static const csa_flash_run l4_512k_runs[] = {{256, 2048u}};
static const csa_flash_run l4_1m_runs[] = {{512, 2048u}};

#define F4_SYSTEM 0x1FFF7800u, 528u, 32u, 0x1FFF7A10u, 0x1FFF7A22u
#define L4_SYSTEM 0x1FFF7000u, 1024u, 0u, 0x1FFF7590u, 0x1FFF75E0u

const csa_flash_geometry csa_flash_stm32f4_512k = {"STM32F4-512K", CSA_FLASH_F4, 0x08000000u, 512u * 1024u, 1,
                                                    f4_512k_runs, 3, 8, F4_SYSTEM};
const csa_flash_geometry csa_flash_stm32f4_1m = {"STM32F4-1M", CSA_FLASH_F4, 0x08000000u, 1024u * 1024u, 1,
                                                  f4_1m_runs, 3, 12, F4_SYSTEM};
const csa_flash_geometry csa_flash_stm32f4_2m = {"STM32F4-2M", CSA_FLASH_F4, 0x08000000u, 2048u * 1024u, 2,
                                                  f4_2m_runs, 6, 24, F4_SYSTEM};
const csa_flash_geometry csa_flash_stm32l4_256k = {"STM32L4-256K", CSA_FLASH_L4, 0x08000000u, 256u * 1024u, 2,
                                                    l4_256k_runs, 1, 128, L4_SYSTEM};
const csa_flash_geometry csa_flash_stm32l4_512k = {"STM32L4-512K", CSA_FLASH_L4, 0x08000000u, 512u * 1024u, 2,
                                                    l4_512k_runs, 1, 256, L4_SYSTEM};
const csa_flash_geometry csa_flash_stm32l4_1m = {"STM32L4-1M", CSA_FLASH_L4, 0x08000000u, 1024u * 1024u, 2,
                                                  l4_1m_runs, 1, 512, L4_SYSTEM};

int csa_flash_sector_info(const csa_flash_geometry *g, uint16_t index, csa_flash_sector *out)
{
    uint32_t address = g->base;
    uint16_t first = 0;
    uint8_t r;
    uint32_t bank_size = g->size / g->bank_count;
    for (r = 0; r < g->run_count; r++) {
        const csa_flash_run *run = &g->runs[r];
        if (index < first + run->count) {
            uint16_t sectors_per_bank = (uint16_t)(g->sector_count / g->bank_count);
            out->index = index;
            out->address = address + (uint32_t)(index - first) * run->size;
            out->size = run->size;
            out->bank = (uint8_t)((out->address - g->base) / bank_size);
            out->index_in_bank = (uint16_t)(index - out->bank * sectors_per_bank);
            return 0;
        }
        address += (uint32_t)run->count * run->size;
        first = (uint16_t)(first + run->count);
    }
    return -1;
}

int32_t csa_flash_sector_at(const csa_flash_geometry *g, uint32_t address)
{
    uint32_t start = g->base;
    int32_t first = 0;
    uint8_t r;
    if (address < g->base || address - g->base >= g->size)
        return -1;
    for (r = 0; r < g->run_count; r++) {
        const csa_flash_run *run = &g->runs[r];
        uint32_t span = (uint32_t)run->count * run->size;
        if (address - start < span)
            return first + (int32_t)((address - start) / run->size);
        start += span;
        first += run->count;
    }
    return -1;
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

const csa_flash_geometry *csa_flash_geometry_by_name(const char *name, size_t len)
{
    static const csa_flash_geometry *const known[] = {&csa_flash_stm32f4_512k, &csa_flash_stm32f4_1m,
                                                      &csa_flash_stm32f4_2m,   &csa_flash_stm32l4_256k,
                                                      &csa_flash_stm32l4_512k, &csa_flash_stm32l4_1m};
    size_t k, i;
    for (k = 0; k < sizeof known / sizeof known[0]; k++) {
        const char *n = known[k]->name;
        for (i = 0; i < len && n[i] != '\0' && lower(n[i]) == lower(name[i]); i++) {
        }
        if (i == len && n[i] == '\0')
            return known[k];
    }
    return NULL;
}

uint32_t csa_flash_erase_ms_max(const csa_flash_geometry *g, uint32_t sector_size)
{
    if (g->family == CSA_FLASH_L4)
        return 25u; /* DS10198: 24.47 ms per 2 KB page */
    /* DS8626 worst case at x32 parallelism: 16 KB 800 ms, 64 KB 2400 ms, 128 KB 4000 ms */
    return sector_size <= 16384u ? 800u : sector_size <= 65536u ? 2400u : 4000u;
}

csa_flash_status csa_flash_is_blank(const csa_flash *f, uint32_t address, uint32_t len, int *blank)
{
    uint8_t chunk[64];
    *blank = 0;
    while (len > 0) {
        uint32_t n = len < sizeof chunk ? len : (uint32_t)sizeof chunk;
        uint32_t i;
        csa_flash_status st = csa_flash_read(f, address, chunk, n);
        if (st == CSA_FLASH_ERR_ECC)
            return CSA_FLASH_OK;
        if (st != CSA_FLASH_OK)
            return st;
        for (i = 0; i < n; i++)
            if (chunk[i] != CSA_FLASH_ERASED)
                return CSA_FLASH_OK;
        address += n;
        len -= n;
    }
    *blank = 1;
    return CSA_FLASH_OK;
}

const char *csa_flash_status_name(csa_flash_status status)
{
    static const char *const names[] = {"Ok",         "ProgrammingSequence", "Alignment",         "ProgramSize",
                                        "NotErased",  "WriteProtected",      "AddressOutOfRange", "ReadOnlyArea",
                                        "OtpLocked",  "EccDoubleError",      "ReadProtected",     "OptionBytesLocked",
                                        "InvalidOptionBytes", "Busy",        "EnduranceExceeded", "PowerLost"};
    return (unsigned)status < sizeof names / sizeof names[0] ? names[status] : "Unknown";
}
