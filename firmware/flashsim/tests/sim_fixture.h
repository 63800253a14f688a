/* Helpers shared by the flash simulation's tests. */
#ifndef CSA_SIM_FIXTURE_H_
#define CSA_SIM_FIXTURE_H_

#include <string.h>

#include "check.h"
#include "csa_flashsim.h"

static inline csa_flashsim *sim_new(const csa_flash_geometry *g, csa_flashsim_overwrite overwrite)
{
    csa_flashsim_options o;
    memset(&o, 0, sizeof o);
    o.geometry = g;
    o.overwrite = overwrite;
    o.has_uid = 1;
    memcpy(o.uid, "\x3A\x00\x24\x00\x0D\x51\x34\x31\x38\x39\x38\x36", 12);
    return csa_flashsim_create(&o);
}

static inline int all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

#endif
