/* boot.select: the trailer layout of docs/device-model.md 5.1 (golden vectors from the document), the start-up check
 * of a region (Valid / Empty / Invalid, REQ-BOOT-VERIFY), and the pre-bootloader's choice: the valid copy with the
 * highest version, A on a tie, none when no copy (or no pre-bootloader) is valid. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "csa_boot/factory.h"
#include "csa_boot/preboot.h"
#include "csa_flashsim.h"
#include "image_builder.h"

static char *doc;
static csa_trusted_key key;
static const uint8_t uid[12] = {0x3A, 0x00, 0x24, 0x00, 0x0D, 0x51, 0x34, 0x31, 0x38, 0x39, 0x38, 0x36};

static void trailer_golden_vectors(void)
{
    uint8_t golden[64], body[CSA_TRAILER_BODY], commit[8], marker[32], slot[CSA_TRAILER_SLOT];
    const uint8_t *m, *a;
    uint16_t ml, al;
    CHECK_EQ(csa_test_doc_golden(doc, "trailer-slot-start", golden, sizeof golden), 16);
    CHECK_EQ(csa_trailer_encode_body((const uint8_t *)"MANI", 4, (const uint8_t *)"AUTH", 4, body), 0);
    CHECK(memcmp(body, golden, 16) == 0);
    CHECK_EQ(body[16], 0xFF);
    CHECK_EQ(body[567], 0xFF);
    CHECK_EQ(csa_test_doc_golden(doc, "trailer-commit", golden, sizeof golden), 8);
    csa_trailer_encode_commit(body, commit);
    CHECK(memcmp(commit, golden, 8) == 0);
    memcpy(slot, body, CSA_TRAILER_BODY);
    memcpy(slot + CSA_TRAILER_BODY, commit, 8);
    CHECK_EQ(csa_trailer_decode(slot, &m, &ml, &a, &al), 1);
    CHECK_EQ(ml, 4);
    CHECK(memcmp(a, "AUTH", 4) == 0);
    slot[CSA_TRAILER_BODY + 5] ^= 0x10; /* a torn marker: not committed */
    CHECK_EQ(csa_trailer_decode(slot, &m, &ml, &a, &al), 0);
    CHECK_EQ(csa_test_doc_golden(doc, "prebootloader-marker", golden, sizeof golden), 32);
    csa_preboot_marker_encode(1, 0, 0, marker);
    CHECK(memcmp(marker, golden, 32) == 0);
}

static void usable_sizes_of_the_document(void)
{
    /* "the largest payload is 126 976 bytes for a bootloader copy (both maps; 128 KB regions), 651 264 bytes for the F4
     * 1 MB application and 749 568 bytes for the L4 1 MB application (1 699 840 bytes on the F4 2 MB map)" */
    CHECK(strstr(doc, "126 976 bytes for a bootloader copy") != NULL);
    CHECK(strstr(doc, "651 264 bytes for the F4\n1 MB application") != NULL
          || strstr(doc, "651 264 bytes for the F4 1 MB application") != NULL);
    CHECK(strstr(doc, "749 568 bytes for the L4 1 MB application") != NULL);
    CHECK(strstr(doc, "1 699 840 bytes on the F4 2 MB map") != NULL);
    CHECK_EQ(csa_trailer_usable(&csa_map_stm32f4_1m.regions[CSA_REGION_BOOTLOADER_B]), 126976);
    CHECK_EQ(csa_trailer_usable(&csa_map_stm32l4_1m.regions[CSA_REGION_BOOTLOADER_A]), 126976);
    CHECK_EQ(csa_trailer_usable(&csa_map_stm32f4_1m.regions[CSA_REGION_APPLICATION]), 651264);
    CHECK_EQ(csa_trailer_usable(&csa_map_stm32l4_1m.regions[CSA_REGION_APPLICATION]), 749568);
    CHECK_EQ(csa_trailer_usable(&csa_map_stm32f4_2m.regions[CSA_REGION_APPLICATION]), 1699840);
    CHECK(strstr(doc, "The trailer area holds 7 slots of 576 bytes") != NULL);
}

/* strict: the device logic never programs over non-erased flash; the damage tests zero cells like an attacker. */
static csa_flashsim *blank_with(const csa_memory_map *map, csa_flashsim_overwrite overwrite)
{
    csa_flashsim_options o;
    memset(&o, 0, sizeof o);
    o.geometry = map->geometry;
    o.overwrite = overwrite;
    o.has_uid = 1;
    memcpy(o.uid, uid, 12);
    return csa_flashsim_create(&o);
}

static csa_flashsim *blank(const csa_memory_map *map)
{
    return blank_with(map, CSA_FLASHSIM_REJECT_ANY_REPROGRAM);
}

static csa_image_policy policy(void)
{
    csa_image_policy p;
    memset(&p, 0, sizeof p);
    p.keys = &key;
    p.key_count = 1;
    p.vendor_id = 0x0000C5A0u;
    p.device_class_id = 0x00000401u;
    p.device_uid = uid;
    return p;
}

static size_t build(const csa_memory_map *map, csa_region_id region, uint8_t kind, uint8_t major, uint32_t size,
                    uint8_t *out, size_t cap)
{
    static uint8_t payload[70000];
    test_image_spec s;
    test_payload(payload, size, major);
    s = test_image_default(map->regions[region].address, payload, size);
    s.kind = kind;
    s.major = major;
    return test_image_build(&s, out, cap);
}

static void install(const csa_flash *f, const csa_memory_map *map, csa_region_id region, uint8_t kind, uint8_t major,
                    uint32_t size)
{
    static uint8_t image[71000];
    size_t n = build(map, region, kind, major, size, image, sizeof image);
    CHECK(n > 0);
    CHECK_EQ(csa_factory_install(f, &map->regions[region], image, n, NULL), CSA_FACTORY_OK);
}

static csa_region_id select_with(const csa_flash *f, const csa_memory_map *map, const csa_state_record *record,
                                 csa_region_check checks[2])
{
    csa_region_id running = CSA_REGION_APPLICATION;
    csa_image_policy p = policy();
    CHECK_EQ(csa_preboot_select(f, map, &p, record, checks, &running), CSA_FLASH_OK);
    return running;
}

static csa_region_id select_copy(const csa_flash *f, const csa_memory_map *map, csa_region_check checks[2])
{
    csa_state_record fresh;
    csa_state_fresh(&fresh);
    return select_with(f, map, &fresh, checks);
}

static void the_valid_copy_with_the_highest_version_runs(void)
{
    static const csa_memory_map *const maps[] = {&csa_map_stm32f4_1m, &csa_map_stm32l4_1m, &csa_map_stm32f4_2m};
    unsigned m;
    for (m = 0; m < 3; m++) {
        const csa_memory_map *map = maps[m];
        csa_flashsim *s = blank(map);
        csa_flash f = csa_flashsim_port(s);
        csa_region_check c[2];
        int present = 0;
        uint8_t maj = 0, min = 0;
        uint16_t patch = 0;
        CHECK_EQ(csa_preboot_marker_read(&f, map, &present, &maj, &min, &patch), CSA_FLASH_OK);
        CHECK_EQ(present, 0);
        CHECK_EQ(select_copy(&f, map, c), CSA_REGION_PRE_BOOTLOADER); /* nothing valid: bricked */
        CHECK_EQ(c[0].state, CSA_REGION_EMPTY);
        CHECK_EQ(c[0].reason, CSA_REASON_ERASED);
        CHECK_EQ(csa_factory_write_marker(&f, map, 1, 2, 3, NULL), CSA_FACTORY_OK);
        CHECK_EQ(csa_preboot_marker_read(&f, map, &present, &maj, &min, &patch), CSA_FLASH_OK);
        CHECK(present && maj == 1 && min == 2 && patch == 3);
        install(&f, map, CSA_REGION_BOOTLOADER_A, CSA_IMAGE_KIND_BOOTLOADER, 3, 20000);
        CHECK_EQ(select_copy(&f, map, c), CSA_REGION_BOOTLOADER_A);
        CHECK_EQ(c[0].state, CSA_REGION_VALID);
        CHECK_EQ(c[0].version_major, 3);
        CHECK_EQ(c[0].payload_size, 20000);
        install(&f, map, CSA_REGION_BOOTLOADER_B, CSA_IMAGE_KIND_BOOTLOADER, 4, 30000);
        CHECK_EQ(select_copy(&f, map, c), CSA_REGION_BOOTLOADER_B);
        install(&f, map, CSA_REGION_BOOTLOADER_A, CSA_IMAGE_KIND_BOOTLOADER, 4, 30000);
        CHECK_EQ(select_copy(&f, map, c), CSA_REGION_BOOTLOADER_A); /* a tie: A */
        install(&f, map, CSA_REGION_BOOTLOADER_A, CSA_IMAGE_KIND_BOOTLOADER, 5, 100);
        CHECK_EQ(select_copy(&f, map, c), CSA_REGION_BOOTLOADER_A);
        csa_flashsim_destroy(s);
    }
}

/* On a chip the pre-bootloader's vector table owns the reset vector and its build puts the record in the region's last
 * 32 bytes (device-model.md 5.1): found there on every map, code at the region's start notwithstanding; a torn record
 * there is no pre-bootloader. */
static void the_pre_bootloader_record_at_the_region_end_is_found(void)
{
    static const csa_memory_map *const maps[] = {&csa_map_stm32f4_1m, &csa_map_stm32l4_1m, &csa_map_stm32f4_2m};
    static const uint8_t code[8] = {0x00, 0x10, 0x00, 0x20, 0xC1, 0x01, 0x00, 0x08}; /* initial SP, reset vector */
    unsigned m;
    for (m = 0; m < 3; m++) {
        const csa_memory_map *map = maps[m];
        const csa_region *r = &map->regions[CSA_REGION_PRE_BOOTLOADER];
        csa_flashsim *s = blank(map), *t = blank(map);
        csa_flash f = csa_flashsim_port(s), g = csa_flashsim_port(t);
        uint8_t marker[CSA_PREBOOT_MARKER_SIZE], maj = 0, min = 0;
        uint16_t patch = 0;
        int present = 1;
        csa_preboot_marker_encode(2, 7, 300, marker);
        CHECK_EQ(csa_flash_program(&f, r->address, code, sizeof code), CSA_FLASH_OK);
        CHECK_EQ(csa_flash_program(&f, r->address + r->size - CSA_PREBOOT_MARKER_SIZE, marker, sizeof marker), CSA_FLASH_OK);
        CHECK_EQ(csa_preboot_marker_read(&f, map, &present, &maj, &min, &patch), CSA_FLASH_OK);
        CHECK(present && maj == 2 && min == 7 && patch == 300);
        marker[8] ^= 0x01; /* the patch byte, so the CRC no longer holds */
        CHECK_EQ(csa_flash_program(&g, r->address, code, sizeof code), CSA_FLASH_OK);
        CHECK_EQ(csa_flash_program(&g, r->address + r->size - CSA_PREBOOT_MARKER_SIZE, marker, sizeof marker), CSA_FLASH_OK);
        CHECK_EQ(csa_preboot_marker_read(&g, map, &present, &maj, &min, &patch), CSA_FLASH_OK);
        CHECK_EQ(present, 0);
        csa_flashsim_destroy(s);
        csa_flashsim_destroy(t);
    }
}

static void a_damaged_or_foreign_copy_does_not_run(void)
{
    const csa_memory_map *map = &csa_map_stm32l4_1m;
    csa_flashsim *s = blank_with(map, CSA_FLASHSIM_AND_LIKE_SILICON), *t;
    csa_flash f = csa_flashsim_port(s), g;
    csa_region_check c[2];
    uint8_t zero[8] = {0};
    const csa_region *a = &map->regions[CSA_REGION_BOOTLOADER_A], *b = &map->regions[CSA_REGION_BOOTLOADER_B];
    CHECK_EQ(csa_factory_write_marker(&f, map, 1, 0, 0, NULL), CSA_FACTORY_OK);
    install(&f, map, CSA_REGION_BOOTLOADER_A, CSA_IMAGE_KIND_BOOTLOADER, 1, 20000);
    install(&f, map, CSA_REGION_BOOTLOADER_B, CSA_IMAGE_KIND_BOOTLOADER, 2, 20000);

    /* One changed payload double word in B: its hash fails; A runs. */
    t = csa_flashsim_clone(s);
    g = csa_flashsim_port(t);
    CHECK_EQ(csa_flash_program(&g, b->address + 4096, zero, 8), CSA_FLASH_OK);
    CHECK_EQ(select_copy(&g, map, c), CSA_REGION_BOOTLOADER_A);
    CHECK_EQ(c[1].state, CSA_REGION_INVALID);
    CHECK_EQ(c[1].reason, CSA_REASON_PAYLOAD_HASH);
    csa_flashsim_destroy(t);

    /* B's commit marker torn: not committed. */
    t = csa_flashsim_clone(s);
    g = csa_flashsim_port(t);
    CHECK_EQ(csa_flash_program(&g, csa_trailer_slot_address(b, 0) + CSA_TRAILER_BODY, zero, 8), CSA_FLASH_OK);
    CHECK_EQ(select_copy(&g, map, c), CSA_REGION_BOOTLOADER_A);
    CHECK_EQ(c[1].reason, CSA_REASON_NO_COMMITTED_SLOT);
    csa_flashsim_destroy(t);

    /* An application image in a bootloader copy (it would be started as a bootloader): refused by kind. */
    t = csa_flashsim_clone(s);
    g = csa_flashsim_port(t);
    install(&g, map, CSA_REGION_BOOTLOADER_B, CSA_IMAGE_KIND_APPLICATION, 9, 20000);
    CHECK_EQ(select_copy(&g, map, c), CSA_REGION_BOOTLOADER_A);
    CHECK_EQ(c[1].reason, CSA_REASON_IMAGE_REFUSED);
    CHECK_EQ(c[1].verdict.rejection, CSA_REJECT_WRONG_IMAGE_KIND);
    csa_flashsim_destroy(t);

    /* A's image copied into B: linked for A's address (THREAT.IMG.LOCATION). */
    t = csa_flashsim_clone(s);
    g = csa_flashsim_port(t);
    {
        static uint8_t image[71000];
        size_t n = build(map, CSA_REGION_BOOTLOADER_A, CSA_IMAGE_KIND_BOOTLOADER, 7, 20000, image, sizeof image);
        CHECK_EQ(csa_factory_install(&g, b, image, n, NULL), CSA_FACTORY_OK);
    }
    CHECK_EQ(select_copy(&g, map, c), CSA_REGION_BOOTLOADER_A);
    CHECK_EQ(c[1].verdict.rejection, CSA_REJECT_WRONG_LOAD_ADDRESS);
    csa_flashsim_destroy(t);

    /* A torn program inside A's payload (an ECC error) and B erased: nothing runs. */
    t = csa_flashsim_clone(s);
    g = csa_flashsim_port(t);
    {
        csa_flashsim_plan plan;
        uint8_t d[16];
        memset(&plan, 0, sizeof plan);
        memset(d, 0, sizeof d);
        CHECK_EQ(csa_map_erase_region(&g, b), CSA_FLASH_OK);
        CHECK_EQ(csa_map_erase_region(&g, a), CSA_FLASH_OK);
        install(&g, map, CSA_REGION_BOOTLOADER_A, CSA_IMAGE_KIND_BOOTLOADER, 1, 20000);
        CHECK_EQ(csa_flash_erase(&g, a->first_sector), CSA_FLASH_OK);
        plan.during = 1;
        plan.fraction = 0.6;
        plan.seed = 4;
        csa_flashsim_arm(t, &plan);
        CHECK_EQ(csa_flash_program(&g, a->address, d, 16), CSA_FLASH_POWER_LOST);
        csa_flashsim_power_on(t);
    }
    CHECK_EQ(select_copy(&g, map, c), CSA_REGION_PRE_BOOTLOADER);
    CHECK_EQ(c[0].reason, CSA_REASON_ECC);
    CHECK_EQ(c[1].state, CSA_REGION_EMPTY);
    csa_flashsim_destroy(t);

    /* Signed by another key: not trusted. */
    t = csa_flashsim_clone(s);
    g = csa_flashsim_port(t);
    {
        static uint8_t image[40000], payload[20000];
        test_image_spec spec;
        size_t n;
        test_payload(payload, sizeof payload, 1);
        spec = test_image_default(b->address, payload, sizeof payload);
        spec.kind = CSA_IMAGE_KIND_BOOTLOADER;
        spec.major = 9;
        spec.private_key = test_other_private;
        n = test_image_build(&spec, image, sizeof image);
        CHECK_EQ(csa_factory_install(&g, b, image, n, NULL), CSA_FACTORY_OK);
    }
    CHECK_EQ(select_copy(&g, map, c), CSA_REGION_BOOTLOADER_A);
    CHECK_EQ(c[1].verdict.rejection, CSA_REJECT_UNKNOWN_KEY);
    csa_flashsim_destroy(t);
    csa_flashsim_destroy(s);
}

/* The journal's word (device-model.md 6.2): a copy whose revoked bit the newest record sets is not valid for the
 * pre-bootloader either, unless it holds exactly the image that record installs; a record written before byte 18 had
 * a meaning (0) revokes nothing. REQ-BOOT-VERIFY, REQ-RECOVER. */
static void a_copy_the_journal_marks_as_being_rewritten_is_not_valid(void)
{
    const csa_memory_map *map = &csa_map_stm32f4_1m;
    csa_flashsim *s = blank(map);
    csa_flash f = csa_flashsim_port(s);
    csa_region_check c[2];
    csa_state_record r;
    csa_journal j;
    uint8_t b_digest[32];
    CHECK_EQ(csa_factory_write_marker(&f, map, 1, 0, 0, NULL), CSA_FACTORY_OK);
    install(&f, map, CSA_REGION_BOOTLOADER_A, CSA_IMAGE_KIND_BOOTLOADER, 1, 20000);
    install(&f, map, CSA_REGION_BOOTLOADER_B, CSA_IMAGE_KIND_BOOTLOADER, 2, 20000);
    CHECK_EQ(select_copy(&f, map, c), CSA_REGION_BOOTLOADER_B);
    memcpy(b_digest, c[1].manifest_digest, 32);

    /* Receiving another image into B, B's bit set: B's flash still holds a valid v2, but it is being rewritten. */
    csa_state_fresh(&r);
    r.phase = CSA_PHASE_RECEIVING;
    r.region = CSA_REGION_BOOTLOADER_B;
    r.revoked = CSA_STATE_REVOKED_BIT(CSA_REGION_BOOTLOADER_B);
    memset(r.digest, 0x5A, 32);
    CHECK_EQ(select_with(&f, map, &r, c), CSA_REGION_BOOTLOADER_A);
    CHECK_EQ(c[1].state, CSA_REGION_INVALID);
    CHECK_EQ(c[1].reason, CSA_REASON_REVOKED);
    CHECK_EQ(c[0].state, CSA_REGION_VALID);
    /* The same through the journal, as the pre-bootloader reads it; an Idle record (an abort) keeps the bit. */
    csa_state_journal(&j, &f, map);
    r.phase = CSA_PHASE_IDLE;
    r.region = CSA_STATE_NO_REGION;
    CHECK_EQ(csa_state_append(&j, &r), CSA_FLASH_OK);
    CHECK_EQ(csa_state_read(&j, &r), CSA_FLASH_OK);
    CHECK_EQ(r.revoked, CSA_STATE_REVOKED_BIT(CSA_REGION_BOOTLOADER_B));
    CHECK_EQ(select_with(&f, map, &r, c), CSA_REGION_BOOTLOADER_A);
    CHECK_EQ(c[1].reason, CSA_REASON_REVOKED);
    /* The record installs exactly B's image (a commit whose Complete record was cut): valid, and chosen. */
    r.phase = CSA_PHASE_RECEIVING;
    r.region = CSA_REGION_BOOTLOADER_B;
    memcpy(r.digest, b_digest, 32);
    CHECK_EQ(select_with(&f, map, &r, c), CSA_REGION_BOOTLOADER_B);
    CHECK_EQ(c[1].state, CSA_REGION_VALID);
    /* Bits that name no image region are ignored; a bit for A says nothing about B. */
    memset(r.digest, 0x5A, 32);
    r.revoked = (uint8_t)(CSA_STATE_REVOKED_BIT(CSA_REGION_BOOTLOADER_A) | 0x01u | 0xF0u);
    CHECK_EQ(select_with(&f, map, &r, c), CSA_REGION_BOOTLOADER_B);
    CHECK_EQ(c[0].reason, CSA_REASON_REVOKED);
    /* An erased copy stays Empty whatever the journal says. */
    CHECK_EQ(csa_map_erase_region(&f, &map->regions[CSA_REGION_BOOTLOADER_A]), CSA_FLASH_OK);
    CHECK_EQ(select_with(&f, map, &r, c), CSA_REGION_BOOTLOADER_B);
    CHECK_EQ(c[0].state, CSA_REGION_EMPTY);
    csa_flashsim_destroy(s);
}

static void factory_refuses_what_does_not_fit(void)
{
    const csa_memory_map *map = &csa_map_stm32f4_1m;
    csa_flashsim *s = blank(map);
    csa_flash f = csa_flashsim_port(s);
    static uint8_t image[200000], payload[126977];
    test_image_spec spec;
    size_t n;
    test_payload(payload, sizeof payload, 3);
    spec = test_image_default(map->regions[CSA_REGION_BOOTLOADER_A].address, payload, sizeof payload);
    n = test_image_build(&spec, image, sizeof image);
    CHECK_EQ(csa_factory_install(&f, &map->regions[CSA_REGION_BOOTLOADER_A], image, n, NULL),
             CSA_FACTORY_DOES_NOT_FIT);
    CHECK_EQ(csa_factory_install(&f, &map->regions[CSA_REGION_BOOTLOADER_A], image, n - 1, NULL),
             CSA_FACTORY_MALFORMED);
    CHECK_EQ(csa_flashsim_get_stats(s)->operations, 0);
    csa_flashsim_destroy(s);
}

int main(int argc, char **argv)
{
    if (argc < 2 || (doc = csa_test_read_file(argv[1], NULL)) == NULL) {
        fprintf(stderr, "usage: test_boot_select docs/device-model.md\n");
        return 2;
    }
    csa_trusted_key_init(&key, test_rfc6979_public);
    RUN(trailer_golden_vectors);
    RUN(usable_sizes_of_the_document);
    RUN(the_valid_copy_with_the_highest_version_runs);
    RUN(the_pre_bootloader_record_at_the_region_end_is_found);
    RUN(a_damaged_or_foreign_copy_does_not_run);
    RUN(a_copy_the_journal_marks_as_being_rewritten_is_not_valid);
    RUN(factory_refuses_what_does_not_fit);
    free(doc);
    return csa_test_done();
}
