/* boot.map: the memory maps in C equal the tables of docs/device-model.md section 2 (read from the document, so the
 * two cannot drift), and every map is consistent with its chip. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "csa_boot/map.h"

static const char *const region_names[CSA_REGION_COUNT] = {"PreBootloader", "BootloaderA",   "BootloaderB",
                                                           "Application",   "StateJournalA", "StateJournalB",
                                                           "Provisioning",  "ApplicationData"};

static int region_by_name(const char *name)
{
    int i;
    for (i = 0; i < CSA_REGION_COUNT; i++)
        if (strcmp(name, region_names[i]) == 0)
            return i;
    return -1;
}

static void trim(char *s)
{
    size_t n = strlen(s), a = 0;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    while (s[a] == ' ')
        a++;
    memmove(s, s + a, n - a + 1);
}

/* Compares the table under `heading` (columns: region | sectors | address | size | ...) with the map. Returns the
 * number of rows compared. */
static int compare_table(const char *doc, const char *heading, const csa_memory_map *m)
{
    const char *p = strstr(doc, heading);
    int rows = 0, seen[CSA_REGION_COUNT] = {0};
    if (p == NULL) {
        CHECK(p != NULL);
        return 0;
    }
    p = strstr(p, "\n|");
    while (p != NULL && p[1] == '|') {
        char line[512], *cells[8];
        const char *eol = strchr(p + 1, '\n');
        size_t n = eol != NULL ? (size_t)(eol - p - 1) : strlen(p + 1);
        int c = 0, id;
        char *q;
        if (n >= sizeof line)
            break;
        memcpy(line, p + 1, n);
        line[n] = '\0';
        for (q = strtok(line + 1, "|"); q != NULL && c < 8; q = strtok(NULL, "|"))
            cells[c++] = q;
        p = eol;
        if (c < 4)
            continue;
        trim(cells[0]);
        id = region_by_name(cells[0]);
        if (id < 0)
            continue; /* the header and separator rows */
        {
            const csa_region *r = &m->regions[id];
            unsigned first = 0, last = 0;
            char *dash;
            trim(cells[1]);
            dash = strchr(cells[1], '-');
            first = (unsigned)strtoul(cells[1], NULL, 10);
            last = dash != NULL ? (unsigned)strtoul(dash + 1, NULL, 10) : first;
            CHECK_EQ(r->first_sector, first);
            CHECK_EQ(r->sector_count, last - first + 1);
            CHECK_EQ(r->address, strtoul(cells[2], NULL, 16));
            CHECK_EQ(r->size, strtoul(cells[3], NULL, 10) * 1024u);
            seen[id] = 1;
            rows++;
        }
    }
    {
        int i;
        for (i = 0; i < CSA_REGION_COUNT; i++)
            CHECK(seen[i]);
    }
    return rows;
}

static char *doc;

static void f4_1m_is_the_document_table(void)
{
    CHECK_EQ(compare_table(doc, "### 2.1 STM32F4 1 MB", &csa_map_stm32f4_1m), CSA_REGION_COUNT);
}

static void l4_1m_is_the_document_table(void)
{
    CHECK_EQ(compare_table(doc, "### 2.3 STM32L4 1 MB", &csa_map_stm32l4_1m), CSA_REGION_COUNT);
}

static void f4_2m_is_the_document_text(void)
{
    const csa_memory_map *m = &csa_map_stm32f4_2m;
    int i;
    /* "Sectors 0-5 as the 1 MB map; Application sectors 6-22 (0x08040000, 1664 KB ...); BootloaderB sector 23
     * (0x081E0000, 128 KB, bank 2)." */
    CHECK(strstr(doc, "Application sectors 6-22 (0x08040000, 1664 KB") != NULL);
    CHECK(strstr(doc, "BootloaderB sector 23 (0x081E0000, 128 KB, bank 2)") != NULL);
    for (i = 0; i < CSA_REGION_COUNT; i++)
        if (i != CSA_REGION_APPLICATION && i != CSA_REGION_BOOTLOADER_B)
            CHECK(memcmp(&m->regions[i], &csa_map_stm32f4_1m.regions[i], sizeof(csa_region)) == 0);
    CHECK_EQ(m->regions[CSA_REGION_APPLICATION].first_sector, 6);
    CHECK_EQ(m->regions[CSA_REGION_APPLICATION].sector_count, 17);
    CHECK_EQ(m->regions[CSA_REGION_APPLICATION].address, 0x08040000u);
    CHECK_EQ(m->regions[CSA_REGION_APPLICATION].size, 1664u * 1024u);
    CHECK_EQ(m->regions[CSA_REGION_BOOTLOADER_B].first_sector, 23);
    CHECK_EQ(m->regions[CSA_REGION_BOOTLOADER_B].address, 0x081E0000u);
}

static void otp_ranges_are_the_document_table(void)
{
    CHECK(strstr(doc, "| F4 | 0x1FFF7800, 256 bytes (blocks 0-7, locked in production) | 0x1FFF7900, 256 bytes") != NULL);
    CHECK(strstr(doc, "| L4 | 0x1FFF7000, 512 bytes | 0x1FFF7200, 512 bytes, 64 steps of one double word |") != NULL);
    CHECK_EQ(csa_map_stm32f4_1m.identity_otp.address, 0x1FFF7800u);
    CHECK_EQ(csa_map_stm32f4_1m.counter_otp.address, 0x1FFF7900u);
    CHECK_EQ(csa_map_stm32f4_1m.counter_otp.size / 4, 64);
    CHECK_EQ(csa_map_stm32l4_1m.identity_otp.address, 0x1FFF7000u);
    CHECK_EQ(csa_map_stm32l4_1m.counter_otp.address, 0x1FFF7200u);
    CHECK_EQ(csa_map_stm32l4_1m.counter_otp.size / 8, 64);
}

static void every_map_is_consistent_with_its_chip(void)
{
    csa_memory_map broken = csa_map_stm32f4_1m;
    CHECK_EQ(csa_map_check(&csa_map_stm32f4_1m), 0);
    CHECK_EQ(csa_map_check(&csa_map_stm32f4_2m), 0);
    CHECK_EQ(csa_map_check(&csa_map_stm32l4_1m), 0);
    CHECK(csa_map_for(&csa_flash_stm32l4_1m) == &csa_map_stm32l4_1m);
    CHECK(csa_map_for(&csa_flash_stm32l4_256k) == NULL);
    broken.regions[CSA_REGION_JOURNAL_B].first_sector = 1; /* shares journal A's sector */
    broken.regions[CSA_REGION_JOURNAL_B].address = 0x08004000u;
    CHECK_EQ(csa_map_check(&broken), 4);
    broken = csa_map_stm32f4_1m;
    broken.regions[CSA_REGION_APPLICATION].size -= 2048u; /* not whole sectors */
    CHECK_EQ(csa_map_check(&broken), 3);
    CHECK_EQ(csa_map_other_bootloader(CSA_REGION_BOOTLOADER_A), CSA_REGION_BOOTLOADER_B);
    CHECK_EQ(csa_map_other_bootloader(CSA_REGION_BOOTLOADER_B), CSA_REGION_BOOTLOADER_A);
}

int main(int argc, char **argv)
{
    if (argc < 2 || (doc = csa_test_read_file(argv[1], NULL)) == NULL) {
        fprintf(stderr, "usage: test_boot_map docs/device-model.md\n");
        return 2;
    }
    RUN(f4_1m_is_the_document_table);
    RUN(l4_1m_is_the_document_table);
    RUN(f4_2m_is_the_document_text);
    RUN(otp_ranges_are_the_document_table);
    RUN(every_map_is_consistent_with_its_chip);
    free(doc);
    return csa_test_done();
}
