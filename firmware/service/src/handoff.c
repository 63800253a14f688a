/* The retained RAM words (handoff.h). */
#include "csa_service/handoff.h"

#include <stddef.h>
#include <string.h>

#include "csa/csa_crc32.h"

static uint32_t crc_of(const csa_retained *r)
{
    return csa_crc32((const uint8_t *)r, offsetof(csa_retained, crc));
}

int csa_retained_valid(const csa_retained *r)
{
    return r->magic == CSA_RETAINED_MAGIC && r->crc == crc_of(r);
}

void csa_retained_seal(csa_retained *r)
{
    r->magic = CSA_RETAINED_MAGIC;
    r->crc = crc_of(r);
}

void csa_retained_clear(csa_retained *r)
{
    memset(r, 0, sizeof *r);
}
