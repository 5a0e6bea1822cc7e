/* The projector's string map (workers/strmap.c): every key found after many grows, absent keys
 * not found, replacement, clearing, and the fill bound that keeps probes short. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvtest.h"
#include "strmap.h"

#define NKEYS 20000

/* NKEYS case ids as the projector meets them, each in its own buffer (the map keeps pointers). */
static char (*make_keys(void))[32]
{
    char(*keys)[32] = malloc(NKEYS * sizeof *keys);
    for (int i = 0; keys && i < NKEYS; i++)
        snprintf(keys[i], sizeof keys[i], "EF/GGN/2026/%07d", i * 7 + 3);
    return keys;
}

PV_TEST(strmap, every_key_after_growing)
{
    char(*keys)[32] = make_keys();
    PV_CHECK(keys != NULL);
    pv_strmap_t m;
    pv_strmap_init(&m);
    PV_CHECK(pv_strmap_get(&m, keys[0]) == NULL); /* empty, no slots yet */
    for (int i = 0; i < NKEYS; i++)
        PV_CHECK_EQ_INT(pv_strmap_put(&m, keys[i], keys[i]), 0);
    PV_CHECK_EQ_INT(m.len, NKEYS);
    PV_CHECK(m.len * 2 <= m.cap);          /* at most half full */
    PV_CHECK((m.cap & (m.cap - 1)) == 0); /* a power of two */
    for (int i = 0; i < NKEYS; i++)
        PV_CHECK(pv_strmap_get(&m, keys[i]) == keys[i]);
    /* the same text at another address finds the entry; other texts find nothing */
    char probe[32];
    snprintf(probe, sizeof probe, "EF/GGN/2026/%07d", 5 * 7 + 3);
    PV_CHECK(pv_strmap_get(&m, probe) == keys[5]);
    for (int i = 0; i < 1000; i++) {
        snprintf(probe, sizeof probe, "EF/GGN/2026/%07d", i * 7 + 4);
        PV_CHECK(pv_strmap_get(&m, probe) == NULL);
    }
    PV_CHECK(pv_strmap_get(&m, "") == NULL);
    pv_strmap_close(&m);
    free(keys);
}

PV_TEST(strmap, replace_and_clear)
{
    char(*keys)[32] = make_keys();
    PV_CHECK(keys != NULL);
    pv_strmap_t m;
    pv_strmap_init(&m);
    int values[3] = {1, 2, 3};
    PV_CHECK_EQ_INT(pv_strmap_put(&m, keys[0], &values[0]), 0);
    PV_CHECK_EQ_INT(pv_strmap_put(&m, keys[1], &values[1]), 0);
    PV_CHECK_EQ_INT(pv_strmap_put(&m, keys[0], &values[2]), 0); /* replaces */
    PV_CHECK_EQ_INT(m.len, 2);
    PV_CHECK(pv_strmap_get(&m, keys[0]) == &values[2]);
    PV_CHECK(pv_strmap_get(&m, keys[1]) == &values[1]);
    size_t cap = m.cap;
    pv_strmap_clear(&m);
    PV_CHECK_EQ_INT(m.len, 0);
    PV_CHECK_EQ_INT(m.cap, cap); /* keeps its memory */
    PV_CHECK(pv_strmap_get(&m, keys[0]) == NULL);
    PV_CHECK(pv_strmap_get(&m, keys[1]) == NULL);
    PV_CHECK_EQ_INT(pv_strmap_put(&m, keys[1], &values[0]), 0);
    PV_CHECK(pv_strmap_get(&m, keys[1]) == &values[0]);
    pv_strmap_close(&m);
    free(keys);
}
