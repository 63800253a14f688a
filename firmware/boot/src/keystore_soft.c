/* The software key storage (csa_boot/keystore_soft.h). The private key exists in RAM only on this function's stack
 * while one operation runs, and is wiped before it returns. */
#include "csa_boot/keystore_soft.h"

#include <string.h>

static csa_keystore_status load(csa_keystore_soft *ks, csa_keystore_record *r)
{
    memset(r, 0, sizeof *r);
    return ks->backend.load(ks->backend.ctx, r) == 0 ? CSA_KEYSTORE_OK : CSA_KEYSTORE_STORAGE;
}

static csa_keystore_status info(void *ctx, csa_keystore_info *out)
{
    csa_keystore_record r;
    csa_keystore_status st = load((csa_keystore_soft *)ctx, &r);
    memset(out, 0, sizeof *out);
    if (st == CSA_KEYSTORE_OK && r.has_key) {
        out->has_key = 1;
        out->certified = r.certified;
        memcpy(out->public_key, r.public_key, 64);
        memcpy(out->certified_digest, r.certified_digest, 32);
    }
    csa_ct_wipe(&r, sizeof r);
    return st;
}

#if CSA_CRYPTO_WITH_SIGN
static csa_keystore_status generate(void *ctx, uint8_t public_key[64])
{
    csa_keystore_soft *ks = (csa_keystore_soft *)ctx;
    csa_keystore_record r, fresh;
    csa_keystore_status st = load(ks, &r);
    if (st == CSA_KEYSTORE_OK && r.has_key && r.certified)
        st = CSA_KEYSTORE_CERTIFIED; /* security.md 10.5: a certified key is never replaced */
    csa_ct_wipe(&r, sizeof r);
    if (st != CSA_KEYSTORE_OK)
        return st;
    memset(&fresh, 0, sizeof fresh);
    if (ks->rng == NULL || csa_p256_keygen(ks->rng, ks->rng_ctx, fresh.private_key, fresh.public_key) != CSA_CRYPTO_OK)
        st = CSA_KEYSTORE_RNG;
    else {
        fresh.has_key = 1;
        /* Persisted before the public key is answered: a key the device proves possession of survives a reset. */
        st = ks->backend.save(ks->backend.ctx, &fresh) == 0 ? CSA_KEYSTORE_OK : CSA_KEYSTORE_STORAGE;
        if (st == CSA_KEYSTORE_OK)
            memcpy(public_key, fresh.public_key, 64);
    }
    csa_ct_wipe(&fresh, sizeof fresh);
    return st;
}

static csa_keystore_status sign(void *ctx, const uint8_t digest[32], uint8_t signature[64])
{
    csa_keystore_record r;
    csa_keystore_status st = load((csa_keystore_soft *)ctx, &r);
    if (st == CSA_KEYSTORE_OK && !r.has_key)
        st = CSA_KEYSTORE_NO_KEY;
    if (st == CSA_KEYSTORE_OK && csa_p256_sign(r.private_key, digest, signature) != CSA_CRYPTO_OK)
        st = CSA_KEYSTORE_CRYPTO;
    csa_ct_wipe(&r, sizeof r);
    return st;
}
#endif

#if CSA_CRYPTO_WITH_DECRYPT
static csa_keystore_status ecdh(void *ctx, const uint8_t peer[64], uint8_t z[32])
{
    csa_keystore_record r;
    csa_keystore_status st = load((csa_keystore_soft *)ctx, &r);
    if (st == CSA_KEYSTORE_OK && !r.has_key)
        st = CSA_KEYSTORE_NO_KEY;
    if (st == CSA_KEYSTORE_OK && csa_p256_ecdh(r.private_key, peer, z) != CSA_CRYPTO_OK)
        st = CSA_KEYSTORE_CRYPTO;
    csa_ct_wipe(&r, sizeof r);
    return st;
}
#endif

static csa_keystore_status mark_certified(void *ctx, const uint8_t digest[32])
{
    csa_keystore_soft *ks = (csa_keystore_soft *)ctx;
    csa_keystore_record r;
    csa_keystore_status st = load(ks, &r);
    if (st == CSA_KEYSTORE_OK && !r.has_key)
        st = CSA_KEYSTORE_NO_KEY;
    if (st == CSA_KEYSTORE_OK && !(r.certified && memcmp(r.certified_digest, digest, 32) == 0)) {
        r.certified = 1;
        memcpy(r.certified_digest, digest, 32);
        st = ks->backend.save(ks->backend.ctx, &r) == 0 ? CSA_KEYSTORE_OK : CSA_KEYSTORE_STORAGE;
    }
    csa_ct_wipe(&r, sizeof r);
    return st;
}

static const csa_keystore_ops soft_ops = {
    info,
#if CSA_CRYPTO_WITH_SIGN
    generate, sign,
#else
    NULL, NULL,
#endif
#if CSA_CRYPTO_WITH_DECRYPT
    ecdh,
#else
    NULL,
#endif
    mark_certified};

void csa_keystore_soft_init(csa_keystore_soft *ks, const csa_keystore_backend *backend, csa_keystore_rng rng,
                            void *rng_ctx)
{
    memset(ks, 0, sizeof *ks);
    ks->backend = *backend;
    ks->rng = rng;
    ks->rng_ctx = rng_ctx;
    ks->port.ops = &soft_ops;
    ks->port.ctx = ks;
}

/* ---- the RAM backend ---- */

static int ram_load(void *ctx, csa_keystore_record *r)
{
    memcpy(r, ctx, sizeof *r);
    return 0;
}

static int ram_save(void *ctx, const csa_keystore_record *r)
{
    memcpy(ctx, r, sizeof *r);
    return 0;
}

void csa_keystore_ram_backend(csa_keystore_backend *backend, csa_keystore_record *record)
{
    backend->load = ram_load;
    backend->save = ram_save;
    backend->ctx = record;
}
