/* The product's trust anchors and image policy (csa_product.h). */
#include "csa_product.h"

#include <string.h>

static const uint8_t key_bytes[CSA_PRODUCT_KEY_COUNT > 0 ? CSA_PRODUCT_KEY_COUNT : 1][64] = CSA_PRODUCT_KEYS;
static csa_trusted_key keys[CSA_PRODUCT_KEY_COUNT > 0 ? CSA_PRODUCT_KEY_COUNT : 1];
static uint8_t keys_ready;

const csa_trusted_key *csa_product_keys(uint8_t *count)
{
    unsigned i;
    if (!keys_ready) {
        for (i = 0; i < CSA_PRODUCT_KEY_COUNT; i++)
            csa_trusted_key_init(&keys[i], key_bytes[i]);
        keys_ready = 1;
    }
    *count = CSA_PRODUCT_KEY_COUNT;
    return keys;
}

void csa_product_policy(csa_image_policy *policy, const uint8_t *uid)
{
    memset(policy, 0, sizeof *policy);
    policy->keys = csa_product_keys(&policy->key_count);
    policy->accept_crc = CSA_PRODUCT_ACCEPT_CRC;
    policy->require_low_s = CSA_PRODUCT_REQUIRE_LOW_S;
    policy->vendor_id = CSA_PRODUCT_VENDOR_ID;
    policy->device_class_id = CSA_PRODUCT_DEVICE_CLASS;
    policy->device_uid = uid;
    policy->require_binding = CSA_PRODUCT_REQUIRE_BINDING;
}
