/* `pravah audit verify`: checks the journal (from Kafka or an archive), as an auditor would, with
 * no trust in the workers: every record's seal, every case's sequence and hash chain, every
 * partition's chain, duplicates (the same record twice) and forks (two different records with
 * one case and sequence number), and that no event id was journaled twice for a case. */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cli.h"
#include "config.h"
#include "files.h"
#include "kafka.h"

#define MAX_PARTITIONS 256

typedef struct case_head_s {
    char *id;
    uint64_t seq;
    uint8_t hash[PV_HASH_LEN];
    struct case_head_s *next; /* hash chain of the table */
} case_head_t;

typedef struct verify_s {
    case_head_t **table;
    size_t buckets, cases;
    uint64_t records, events, timers, findings, duplicates;
    pv_chain_t chain; /* of the partition being read */
    int32_t partition;
    pv_arena_t arena;
    FILE *list; /* --list: one line per record */
    char **event_keys; /* "case\nevent_id" of every event record, for the duplicate check */
    size_t nkeys, capkeys;
} verify_t;

static void finding(verify_t *v, const pv_kafka_msg_t *msg, const char *case_id, const char *why)
{
    v->findings++;
    printf("FINDING partition %d offset %lld case %s: %s\n", msg->partition,
           (long long)msg->offset, case_id ? case_id : "?", why);
}

static case_head_t *case_head(verify_t *v, const char *id)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = id; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    case_head_t **slot = &v->table[h % v->buckets];
    for (case_head_t *c = *slot; c; c = c->next)
        if (strcmp(c->id, id) == 0)
            return c;
    case_head_t *c = calloc(1, sizeof *c);
    c->id = strdup(id);
    c->next = *slot;
    *slot = c;
    v->cases++;
    return c;
}

static void check_case_chain(verify_t *v, const pv_kafka_msg_t *msg, const pv_record_t *rec)
{
    case_head_t *c = case_head(v, rec->case_id);
    char why[200];
    if (rec->seq <= c->seq) {
        finding(v, msg, rec->case_id,
                rec->seq == c->seq && memcmp(rec->hash, c->hash, PV_HASH_LEN) == 0
                    ? "duplicate record (same case, sequence and hash): ignored by consumers"
                    : "fork or reorder: sequence number already seen with a different record");
        return;
    }
    if (rec->seq != c->seq + 1) {
        snprintf(why, sizeof why, "sequence jumps from %llu to %llu: records missing",
                 (unsigned long long)c->seq, (unsigned long long)rec->seq);
        finding(v, msg, rec->case_id, why);
    } else if (memcmp(rec->prev_hash, c->seq ? c->hash : (uint8_t[PV_HASH_LEN]){0},
                      PV_HASH_LEN) != 0) {
        finding(v, msg, rec->case_id, "prev_hash is not the hash of the case's previous record");
    }
    c->seq = rec->seq;
    memcpy(c->hash, rec->hash, PV_HASH_LEN);
}

static void check_event_once(verify_t *v, const pv_kafka_msg_t *msg, const pv_record_t *rec)
{
    if (v->nkeys == v->capkeys) {
        v->capkeys = v->capkeys ? v->capkeys * 2 : 4096;
        v->event_keys = realloc(v->event_keys, v->capkeys * sizeof *v->event_keys);
    }
    if (asprintf(&v->event_keys[v->nkeys], "case %s event %s", rec->case_id, rec->event_id) > 0)
        v->nkeys++;
    (void)msg;
}

static int verify_cb(void *ctx, const pv_kafka_msg_t *msg)
{
    verify_t *v = ctx;
    pv_record_t rec;
    char err[256];
    v->records++;
    if (pv_record_decode(msg->value, msg->value_len, &v->arena, &rec, err, sizeof err) != 0) {
        finding(v, msg, NULL, err);
        return 0;
    }
    if (rec.pseq == v->chain.pseq && memcmp(rec.phash, v->chain.head, PV_HASH_LEN) == 0) {
        v->duplicates++; /* the same record delivered twice: consumers ignore it */
        return 0;
    }
    if (pv_record_verify_seal(&rec, err, sizeof err) != 0)
        finding(v, msg, rec.case_id, err);
    if (rec.pseq != v->chain.pseq + 1 || memcmp(rec.pprev, v->chain.head, PV_HASH_LEN) != 0)
        finding(v, msg, rec.case_id, "partition chain broken: a record before it was removed, "
                                     "inserted or reordered");
    v->chain.pseq = rec.pseq;
    memcpy(v->chain.head, rec.phash, PV_HASH_LEN);
    check_case_chain(v, msg, &rec);
    if (v->list) {
        char hex[2 * PV_HASH_LEN + 1];
        pv_hash_hex(rec.hash, hex);
        fprintf(v->list, "%s\t%llu\t%s\t%s\n", rec.case_id, (unsigned long long)rec.seq,
                pv_record_kind_name(rec.kind), hex);
    }
    if (rec.kind == PV_KIND_EVENT) {
        v->events++;
        check_event_once(v, msg, &rec);
    } else {
        v->timers++;
    }
    if (v->records % 4096 == 0)
        pv_arena_reset(&v->arena);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void check_duplicate_events(verify_t *v)
{
    qsort(v->event_keys, v->nkeys, sizeof *v->event_keys, cmp_str);
    for (size_t i = 1; i < v->nkeys; i++)
        if (strcmp(v->event_keys[i], v->event_keys[i - 1]) == 0) {
            v->findings++;
            printf("FINDING event applied twice: %s\n", v->event_keys[i]);
        }
}

static void audit_usage(FILE *out)
{
    fprintf(out, "usage: pravah audit verify [--bootstrap HOST:PORT] [--topic pravah.journal]\n"
                 "                           [--list FILE]\n\n"
                 "Verifies every partition of the journal: seals, case chains, partition chains,\n"
                 "duplicates, forks, events applied twice. Prints each finding and a summary;\n"
                 "exit status 0 when there is no finding, 1 otherwise. --list writes one line\n"
                 "per record: case id, seq, kind, hash (tab-separated).\n");
}

/* Each partition has its own chain: start afresh when the partition changes. */
static int verify_any_cb(void *ctx, const pv_kafka_msg_t *msg)
{
    verify_t *v = ctx;
    if (msg->partition != v->partition) {
        memset(&v->chain, 0, sizeof v->chain);
        v->partition = msg->partition;
    }
    return verify_cb(ctx, msg);
}

static int verify_topic(const pv_kv_t *props, size_t nprops, const char *topic, verify_t *v)
{
    char err[512];
    pv_audit_source_t src = {.props = props, .nprops = nprops, .topic = topic, .partition = -1};
    v->partition = -1;
    int n = pv_audit_read_journal(&src, verify_any_cb, v, err, sizeof err);
    if (n < 0)
        fprintf(stderr, "pravah audit: %s: %s\n", topic, err);
    return n;
}

static void free_verify(verify_t *v)
{
    for (size_t i = 0; i < v->buckets; i++)
        for (case_head_t *c = v->table[i], *next; c; c = next) {
            next = c->next;
            free(c->id);
            free(c);
        }
    for (size_t i = 0; i < v->nkeys; i++)
        free(v->event_keys[i]);
    free(v->event_keys);
    free(v->table);
    pv_arena_close(&v->arena);
}

int pv_audit_verify_main(int argc, char **argv)
{
    if (pv_cli_wants_help(argc, argv)) {
        audit_usage(stdout);
        return 0;
    }
    pv_config_t *cfg = pv_config_new();
    const char *topic = "pravah.journal", *list = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--bootstrap") == 0)
            pv_config_set(cfg, "kafka.bootstrap.servers", argv[i + 1]);
        else if (strcmp(argv[i], "--topic") == 0)
            topic = argv[i + 1];
        else if (strcmp(argv[i], "--list") == 0)
            list = argv[i + 1];
    }
    pv_config_apply_env(cfg);
    pv_config_default_bootstrap(cfg);
    pv_kv_t props[64];
    size_t nprops = pv_config_kafka(cfg, props, 64);
    verify_t v = {.buckets = 1 << 16};
    v.table = calloc(v.buckets, sizeof *v.table);
    pv_arena_init(&v.arena, 256 * 1024);
    if (list && !(v.list = fopen(list, "w")))
        perror(list);
    int n = verify_topic(props, nprops, topic, &v);
    if (v.list)
        fclose(v.list);
    if (n > 0)
        check_duplicate_events(&v);
    if (n > 0)
        printf("%s: %d partitions, %llu records (%llu events, %llu alerts), %zu cases, "
               "%llu duplicates ignored, %llu findings: %s\n",
               topic, n, (unsigned long long)v.records, (unsigned long long)v.events,
               (unsigned long long)v.timers, v.cases, (unsigned long long)v.duplicates,
               (unsigned long long)v.findings, v.findings ? "FAIL" : "PASS");
    int rc = n > 0 && v.findings == 0 ? 0 : 1;
    free_verify(&v);
    pv_config_free(cfg);
    return rc;
}
