/* `pravah audit verify`: checks the journal (from Kafka or an archive), as an auditor would, with
 * no trust in the workers: every record's seal, every case's sequence and hash chain, every
 * partition's chain, duplicates (the same record twice) and forks (two different records with
 * one case and sequence number), that no event id was journaled twice for a case, and the rules
 * (engine/include/pravah/audit_rules.h): each transition allowed by the definition of the
 * recorded version, by an actor whose post allowed it. From an archive also: every member against
 * DIGEST, the partition heads against DIGEST, and the root digest against --digest. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "journal_archive.h"
#include "audit.h"
#include "cli.h"
#include "config.h"
#include "files.h"
#include "kafka.h"
#include "pravah/audit_rules.h"

#define MAX_PARTITIONS 4096
#define EXIT_UNREADABLE 2

/* One event id of a case: its hash, and where the id is in verify_t.event_ids. Kept per case
 * (a case has few events, scanned linearly while its head is in cache) rather than in one big
 * table whose every probe is a cache miss. */
typedef struct case_event_s {
    uint64_t h;
    size_t off;
} case_event_t;

typedef struct case_head_s {
    char *id;
    uint64_t id_hash; /* FNV-1a of id */
    uint64_t seq;
    uint8_t hash[PV_HASH_LEN];
    int is_partial;              /* resumed after records a filtered export left out */
    int is_indexed;              /* INDEX.jsonl has its line */
    int32_t partition;           /* of its records (-2: more than one) */
    struct case_event_s *events; /* its event records' ids, for "applied twice" */
    size_t nevents, capevents;
    int64_t *offsets; /* of its records, as INDEX.jsonl lists them */
    size_t noffsets, capoffsets;
    struct case_head_s *next; /* hash chain of the table */
} case_head_t;

/* The hashes of chain stubs (records an export's filter left out), open addressing. */
typedef struct hash_set_s {
    uint8_t (*slot)[PV_HASH_LEN];
    size_t cap, n;
} hash_set_t;

typedef struct verify_s {
    case_head_t **table;
    size_t buckets, cases;
    uint64_t records, events, timers, findings, duplicates, stubs, resumed, warnings, notices;
    uint64_t rules_partial; /* records of cases begun before a filtered export's range */
    int rules_failed;       /* a PV_E* code when the rules could not check a record */
    int is_indexing;        /* note each case's offsets, to check INDEX.jsonl */
    pv_chain_t chain;       /* of the partition being read */
    int32_t partition;
    pv_chain_t *ends; /* each partition's chain when its reading ended */
    pv_arena_t arena;
    pv_audit_rules_t *rules;
    hash_set_t stub_hashes;
    FILE *list;         /* --list: one line per record */
    pv_buf_t event_ids; /* every event id, NUL-terminated, back to back (see case_event_t) */
} verify_t;

typedef struct opts_s {
    const char *topic, *list, *archive, *digest, *schemas;
    int32_t partition;
    int is_chains_only; /* --no-rules */
} opts_t;

static void finding_at(verify_t *v, int32_t partition, int64_t offset, const char *case_id,
                       const char *why)
{
    v->findings++;
    printf("FINDING partition %d offset %lld case %s: %s\n", partition, (long long)offset,
           case_id ? case_id : "?", why);
}

static void finding(verify_t *v, const pv_kafka_msg_t *msg, const char *case_id, const char *why)
{
    finding_at(v, msg->partition, msg->offset, case_id, why);
}

static uint64_t hash_slot(const uint8_t h[PV_HASH_LEN], size_t cap)
{
    uint64_t x;
    memcpy(&x, h, sizeof x);
    return x & (cap - 1);
}

static void hash_set_add(hash_set_t *s, const uint8_t h[PV_HASH_LEN])
{
    static const uint8_t zero[PV_HASH_LEN];
    if (2 * (s->n + 1) > s->cap) {
        hash_set_t t = {.cap = s->cap ? 2 * s->cap : 1024};
        t.slot = calloc(t.cap, PV_HASH_LEN);
        if (!t.slot)
            return;
        for (size_t i = 0; i < s->cap; i++)
            if (memcmp(s->slot[i], zero, PV_HASH_LEN) != 0)
                hash_set_add(&t, s->slot[i]);
        free(s->slot);
        *s = t;
    }
    size_t i = hash_slot(h, s->cap);
    while (memcmp(s->slot[i], zero, PV_HASH_LEN) != 0 && memcmp(s->slot[i], h, PV_HASH_LEN) != 0)
        i = (i + 1) & (s->cap - 1);
    if (memcmp(s->slot[i], zero, PV_HASH_LEN) == 0)
        s->n++;
    memcpy(s->slot[i], h, PV_HASH_LEN);
}

static int hash_set_has(const hash_set_t *s, const uint8_t h[PV_HASH_LEN])
{
    static const uint8_t zero[PV_HASH_LEN];
    if (!s->cap)
        return 0;
    for (size_t i = hash_slot(h, s->cap); memcmp(s->slot[i], zero, PV_HASH_LEN) != 0;
         i = (i + 1) & (s->cap - 1))
        if (memcmp(s->slot[i], h, PV_HASH_LEN) == 0)
            return 1;
    return 0;
}

static uint64_t fnv1a(const char *p)
{
    uint64_t h = 1469598103934665603ull;
    for (; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h;
}

/* Doubles the case table when it holds more cases than buckets (chains stay short). */
static void case_table_grow(verify_t *v)
{
    size_t buckets = 2 * v->buckets;
    case_head_t **table = calloc(buckets, sizeof *table);
    if (!table)
        return;
    for (size_t i = 0; i < v->buckets; i++)
        for (case_head_t *c = v->table[i], *next; c; c = next) {
            next = c->next;
            c->next = table[c->id_hash & (buckets - 1)];
            table[c->id_hash & (buckets - 1)] = c;
        }
    free(v->table);
    v->table = table;
    v->buckets = buckets;
}

/* The case's head; created when is_new_ok, else NULL for an unknown case. */
static case_head_t *case_find(verify_t *v, const char *id, int is_new_ok)
{
    uint64_t h = fnv1a(id);
    case_head_t **slot = &v->table[h & (v->buckets - 1)];
    for (case_head_t *c = *slot; c; c = c->next)
        if (c->id_hash == h && strcmp(c->id, id) == 0)
            return c;
    if (!is_new_ok)
        return NULL;
    case_head_t *c = calloc(1, sizeof *c);
    c->id = strdup(id);
    c->id_hash = h;
    c->partition = -1;
    c->next = *slot;
    *slot = c;
    if (++v->cases > v->buckets)
        case_table_grow(v);
    return c;
}

static case_head_t *case_head(verify_t *v, const char *id)
{
    return case_find(v, id, 1);
}

/* Where the archive holds the case's records (every frame that decodes, as the writer indexes). */
static void index_note(case_head_t *c, const pv_kafka_msg_t *msg)
{
    if (c->noffsets == c->capoffsets) {
        size_t cap = c->capoffsets ? 2 * c->capoffsets : 8;
        int64_t *o = realloc(c->offsets, cap * sizeof *o);
        if (!o)
            return;
        c->offsets = o;
        c->capoffsets = cap;
    }
    c->offsets[c->noffsets++] = msg->offset;
    c->partition = c->partition == -1 || c->partition == msg->partition ? msg->partition : -2;
}

/* A case whose records before this one were left out by the export's filter: allowed when its
 * prev_hash is the hash of a chain stub of the partition (the omitted predecessor). */
static int resumes_after_stub(verify_t *v, const pv_record_t *rec)
{
    if (!hash_set_has(&v->stub_hashes, rec->prev_hash))
        return 0;
    v->resumed++;
    return 1;
}

/* Rule 5 for one record of case c; returns c. */
static case_head_t *check_case_chain(verify_t *v, case_head_t *c, const pv_kafka_msg_t *msg,
                                     const pv_record_t *rec)
{
    char why[200];
    if (rec->seq <= c->seq) {
        finding(v, msg, rec->case_id,
                rec->seq == c->seq && memcmp(rec->hash, c->hash, PV_HASH_LEN) == 0
                    ? "duplicate record (same case, sequence and hash): ignored by consumers"
                    : "fork or reorder: sequence number already seen with a different record");
        return c;
    }
    if (rec->seq != c->seq + 1 && resumes_after_stub(v, rec)) {
        c->is_partial = 1;
    } else if (rec->seq != c->seq + 1) {
        snprintf(why, sizeof why, "sequence jumps from %llu to %llu: records missing",
                 (unsigned long long)c->seq, (unsigned long long)rec->seq);
        finding(v, msg, rec->case_id, why);
    } else if (rec->seq == c->seq + 1 &&
               memcmp(rec->prev_hash, c->seq ? c->hash : (uint8_t[PV_HASH_LEN]){0}, PV_HASH_LEN) !=
                   0) {
        finding(v, msg, rec->case_id, "prev_hash is not the hash of the case's previous record");
    }
    c->seq = rec->seq;
    memcpy(c->hash, rec->hash, PV_HASH_LEN);
    return c;
}

/* Adds the event id to case c; returns 1 when the case had it already. */
static int case_event_add(verify_t *v, case_head_t *c, const char *event_id)
{
    uint64_t h = fnv1a(event_id);
    for (size_t i = 0; i < c->nevents; i++)
        if (c->events[i].h == h &&
            strcmp((const char *)v->event_ids.data + c->events[i].off, event_id) == 0)
            return 1;
    if (c->nevents == c->capevents) {
        size_t cap = c->capevents ? 2 * c->capevents : 8;
        case_event_t *e = realloc(c->events, cap * sizeof *e);
        if (!e)
            return 0;
        c->events = e;
        c->capevents = cap;
    }
    c->events[c->nevents++] = (case_event_t){h, v->event_ids.len};
    pv_buf_append(&v->event_ids, event_id, strlen(event_id) + 1);
    return 0;
}

static void check_event_once(verify_t *v, case_head_t *c, const pv_kafka_msg_t *msg,
                             const pv_record_t *rec)
{
    char why[400];
    if (case_event_add(v, c, rec->event_id)) {
        snprintf(why, sizeof why, "event %s applied twice (journaled before for this case)",
                 rec->event_id);
        finding(v, msg, rec->case_id, why);
    }
}

/* Partition chain rule 4 for a record or a stub; 1 when it is a duplicate delivery (skip it). */
static int check_partition_chain(verify_t *v, int32_t partition, int64_t offset,
                                 const char *case_id, uint64_t pseq, const uint8_t *pprev,
                                 const uint8_t *phash)
{
    if (pseq == v->chain.pseq && memcmp(phash, v->chain.head, PV_HASH_LEN) == 0) {
        v->duplicates++; /* the same record delivered twice: consumers ignore it */
        return 1;
    }
    if (pseq != v->chain.pseq + 1 || memcmp(pprev, v->chain.head, PV_HASH_LEN) != 0)
        finding_at(v, partition, offset, case_id,
                   "partition chain broken: a record before it was removed, inserted or "
                   "reordered");
    v->chain.pseq = pseq;
    memcpy(v->chain.head, phash, PV_HASH_LEN);
    return 0;
}

static void check_rules(verify_t *v, const pv_kafka_msg_t *msg, const pv_record_t *rec)
{
    char why[512];
    if (!v->rules)
        return; /* --no-rules */
    int verdict = pv_audit_rules_check(v->rules, rec, why, sizeof why);
    if (verdict == PV_AUDIT_FINDING) {
        finding(v, msg, rec->case_id, why);
    } else if (verdict == PV_AUDIT_WARNING || verdict == PV_AUDIT_NOTICE) {
        verdict == PV_AUDIT_WARNING ? v->warnings++ : v->notices++;
        printf("%s partition %d offset %lld case %s: %s\n",
               verdict == PV_AUDIT_WARNING ? "WARNING" : "NOTICE", msg->partition,
               (long long)msg->offset, rec->case_id, why);
    } else if (verdict < 0) {
        v->rules_failed = verdict;
    }
}

static void list_record(verify_t *v, const pv_record_t *rec)
{
    char hex[2 * PV_HASH_LEN + 1];
    pv_hash_hex(rec->hash, hex);
    fprintf(v->list, "%s\t%llu\t%s\t%s\n", rec->case_id, (unsigned long long)rec->seq,
            pv_record_kind_name(rec->kind), hex);
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
    case_head_t *c = case_head(v, rec.case_id);
    if (v->is_indexing)
        index_note(c, msg);
    if (msg->key_len != strlen(rec.case_id) || memcmp(msg->key, rec.case_id, msg->key_len) != 0)
        finding(v, msg, rec.case_id, "the Kafka key is not the record's case id");
    if (pv_record_verify_seal(&rec, err, sizeof err) != 0)
        finding(v, msg, rec.case_id, err);
    if (check_partition_chain(v, msg->partition, msg->offset, rec.case_id, rec.pseq, rec.pprev,
                              rec.phash))
        return 0;
    /* A case whose history the export left out cannot be replayed against the rules. */
    if (check_case_chain(v, c, msg, &rec)->is_partial)
        v->rules_partial++;
    else
        check_rules(v, msg, &rec);
    if (v->list)
        list_record(v, &rec);
    if (rec.kind == PV_KIND_EVENT) {
        v->events++;
        check_event_once(v, c, msg, &rec);
    } else {
        v->timers++;
    }
    if (v->records % 4096 == 0)
        pv_arena_reset(&v->arena);
    return 0;
}

static void audit_usage(FILE *out)
{
    fprintf(out,
            "usage: pravah audit verify [--bootstrap HOST:PORT] [--topic pravah.journal]\n"
            "                           [--archive FILE [--digest HEX]] [--partition N]\n"
            "                           [--schemas DIR | --no-rules] [--list FILE]\n\n"
            "Verifies the journal, from Kafka or from an archive written by `pravah audit\n"
            "export`: seals, case chains, partition chains, duplicates, forks, events applied\n"
            "twice, and that every transition was allowed by its definition to its actor's\n"
            "post (definitions, calendars and directory seed from --schemas, default the\n"
            "installed schemas; --no-rules checks the chains only). From an archive also every\n"
            "member against DIGEST and the partition heads; it prints the archive's root\n"
            "digest, and --digest HEX (the root kept apart at export) proves the archive is the\n"
            "one exported. Prints each finding and a summary; exit status 0 when there is no\n"
            "finding, 1 otherwise, 2 for usage errors or an unreadable source. --list writes\n"
            "one line per record: case id, seq, kind, hash (tab-separated). See docs/AUDIT.md.\n");
}

/* Each partition has its own chain: keep the finished one and start afresh. */
static void switch_partition(verify_t *v, int32_t partition)
{
    if (v->partition == partition)
        return;
    if (v->partition >= 0 && v->partition < MAX_PARTITIONS)
        v->ends[v->partition] = v->chain;
    if (v->partition >= 0 && v->rules)
        pv_audit_rules_end_partition(v->rules); /* a case never spans partitions */
    memset(&v->chain, 0, sizeof v->chain);
    v->partition = partition;
}

static int verify_any_cb(void *ctx, const pv_kafka_msg_t *msg)
{
    verify_t *v = ctx;
    switch_partition(v, msg->partition);
    return verify_cb(ctx, msg);
}

static int verify_stub_cb(void *ctx, const pv_archive_stub_t *s)
{
    verify_t *v = ctx;
    uint8_t phash[PV_HASH_LEN];
    switch_partition(v, s->partition);
    v->stubs++;
    pv_record_partition_hash(s->pprev, s->hash, s->pseq, phash);
    if (memcmp(phash, s->phash, PV_HASH_LEN) != 0)
        finding_at(v, s->partition, s->offset, NULL,
                   "chain stub: phash != SHA-256(pprev || hash || uint64_be(pseq))");
    if (!check_partition_chain(v, s->partition, s->offset, NULL, s->pseq, s->pprev, s->phash))
        hash_set_add(&v->stub_hashes, s->hash);
    return 0;
}

static int verify_kafka(const pv_kv_t *props, size_t nprops, const opts_t *o, verify_t *v)
{
    char err[512];
    pv_audit_source_t src = {
        .props = props, .nprops = nprops, .topic = o->topic, .partition = o->partition};
    int n = pv_audit_read_journal(&src, verify_any_cb, v, err, sizeof err);
    if (n < 0)
        fprintf(stderr, "pravah audit verify: %s: %s\n", o->topic, err);
    return n;
}

/* DIGEST's heads against the chains as read: catches records cut from or added to the end of a
 * partition (the chains alone cannot). */
static void check_heads(verify_t *v, const pv_archive_info_t *info)
{
    char why[400], want[2 * PV_HASH_LEN + 1], got[2 * PV_HASH_LEN + 1];
    for (int i = 0; i < info->partitions; i++) {
        int32_t p = info->partition_ids[i];
        const pv_archive_head_t *h = NULL;
        for (size_t k = 0; k < info->nheads; k++)
            if (info->heads[k].partition == p)
                h = &info->heads[k];
        const pv_chain_t *c = p < MAX_PARTITIONS ? &v->ends[p] : NULL;
        if (!h) {
            finding_at(v, p, -1, NULL, "DIGEST states no head for this partition");
        } else if (c && (c->pseq != h->pseq || memcmp(c->head, h->phash, PV_HASH_LEN) != 0)) {
            pv_hash_hex(c->head, got);
            pv_hash_hex(h->phash, want);
            snprintf(why, sizeof why,
                     "the partition ends at pseq %llu phash %.16s..., DIGEST says pseq %llu "
                     "phash %.16s...: records were cut from or added to its end",
                     (unsigned long long)c->pseq, got, (unsigned long long)h->pseq, want);
            finding_at(v, p, -1, NULL, why);
        }
    }
}

static void index_finding(verify_t *v, const char *archive, const char *case_id, const char *why)
{
    v->findings++;
    printf("FINDING archive %s: INDEX.jsonl: case %s: %s\n", archive, case_id, why);
}

static int index_line_matches(const case_head_t *c, json_t *line)
{
    json_t *offs = json_object_get(line, "offsets");
    if (json_integer_value(json_object_get(line, "partition")) != c->partition ||
        json_integer_value(json_object_get(line, "records")) != (json_int_t)c->noffsets ||
        json_array_size(offs) != c->noffsets)
        return 0;
    for (size_t i = 0; i < c->noffsets; i++)
        if (json_integer_value(json_array_get(offs, i)) != c->offsets[i])
            return 0;
    return 1;
}

/* INDEX.jsonl against the records read: one line per case, its partition and offsets. */
static void check_index(verify_t *v, const pv_archive_info_t *info, const char *archive)
{
    size_t n = 0;
    for (char *line = info->index, *end; line && *line; line = *end ? end + 1 : end) {
        end = strchr(line, '\n');
        if (!end)
            end = line + strlen(line);
        json_t *j = json_loadb(line, (size_t)(end - line), 0, NULL);
        const char *id = json_string_value(json_object_get(j, "case"));
        case_head_t *c = id ? case_find(v, id, 0) : NULL;
        char where[64];
        snprintf(where, sizeof where, "line %zu", ++n);
        if (!id)
            index_finding(v, archive, where, "not an index entry");
        else if (!c || !c->noffsets)
            index_finding(v, archive, id, "indexed, but the archive has no record of it");
        else if (!index_line_matches(c, j))
            index_finding(v, archive, id, "its partition or offsets differ from the records");
        if (c)
            c->is_indexed = 1;
        json_decref(j);
    }
    for (size_t i = 0; i < v->buckets; i++)
        for (case_head_t *c = v->table[i]; c; c = c->next)
            if (c->noffsets && !c->is_indexed)
                index_finding(v, archive, c->id, "has records but no line in the index");
}

static int verify_archive(const opts_t *o, verify_t *v)
{
    char err[512];
    pv_archive_info_t info = {0};
    int rc = pv_archive_scan(o->archive, o->partition, verify_any_cb, verify_stub_cb, v, &info, err,
                             sizeof err);
    if (rc != 0) {
        fprintf(stderr, "pravah audit verify: %s\n", err);
        pv_archive_info_close(&info);
        return -1;
    }
    switch_partition(v, -1); /* keeps the last partition's end */
    for (size_t i = 0; i < info.nproblems; i++) {
        v->findings++;
        printf("FINDING archive %s: %s\n", o->archive, info.problems[i]);
    }
    check_heads(v, &info);
    if (v->is_indexing && info.index)
        check_index(v, &info, o->archive);
    printf("archive root digest: %s\n", info.root[0] ? info.root : "(none: no DIGEST)");
    if (o->digest && strcasecmp(o->digest, info.root) != 0) {
        v->findings++;
        printf("FINDING archive %s: root digest %s is not the one given (--digest %s): this is "
               "not the archive that was exported\n",
               o->archive, info.root[0] ? info.root : "(none)", o->digest);
    } else if (o->digest) {
        printf("root digest matches --digest\n");
    }
    int n = info.partitions;
    pv_archive_info_close(&info);
    return n;
}

/* The rules' first pass: every record of the journal (all partitions: a directory change
 * recorded in one partition governs actors in all of them) before the first check. */
typedef struct learn_s {
    pv_audit_rules_t *rules;
    pv_arena_t arena;
    uint64_t n;
    int rc;
} learn_t;

static int learn_cb(void *ctx, const pv_kafka_msg_t *msg)
{
    learn_t *l = ctx;
    pv_record_t rec;
    char err[256];
    if (pv_record_decode(msg->value, msg->value_len, &l->arena, &rec, err, sizeof err) == 0 &&
        (l->rc = pv_audit_rules_learn(l->rules, &rec)) < 0)
        return 1;
    if (++l->n % 4096 == 0)
        pv_arena_reset(&l->arena);
    return 0;
}

static int learn_pass(const opts_t *o, const pv_kv_t *props, size_t nprops, verify_t *v)
{
    char err[512] = "";
    learn_t l = {.rules = v->rules};
    pv_arena_init(&l.arena, 256 * 1024);
    int rc;
    if (o->archive) {
        pv_archive_info_t info = {.skip_digests = 1}; /* the checking pass compares them */
        rc = pv_archive_scan(o->archive, -1, learn_cb, NULL, &l, &info, err, sizeof err);
        pv_archive_info_close(&info);
    } else {
        pv_audit_source_t src = {
            .props = props, .nprops = nprops, .topic = o->topic, .partition = -1};
        rc = pv_audit_read_journal(&src, learn_cb, &l, err, sizeof err) < 0 ? -1 : 0;
    }
    pv_arena_close(&l.arena);
    if (rc < 0 || l.rc < 0)
        fprintf(stderr, "pravah audit verify: %s: %s\n", o->archive ? o->archive : o->topic,
                l.rc < 0 ? pv_strerror(l.rc) : err);
    return rc < 0 || l.rc < 0 ? -1 : 0;
}

static void free_verify(verify_t *v)
{
    for (size_t i = 0; i < v->buckets; i++)
        for (case_head_t *c = v->table[i], *next; c; c = next) {
            next = c->next;
            free(c->id);
            free(c->offsets);
            free(c->events);
            free(c);
        }
    pv_buf_close(&v->event_ids);
    free(v->table);
    free(v->ends);
    free(v->stub_hashes.slot);
    if (v->rules)
        pv_audit_rules_free(v->rules);
    pv_arena_close(&v->arena);
}

/* Options into cfg and o. Returns 0 or EXIT_UNREADABLE (usage). */
static int parse_args(int argc, char **argv, pv_config_t *cfg, opts_t *o)
{
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--no-rules") == 0) {
            o->is_chains_only = 1;
            i--;
            continue;
        }
        if (!val) {
            fprintf(stderr, "pravah audit verify: %s needs a value (see --help)\n", a);
            return EXIT_UNREADABLE;
        }
        if (strcmp(a, "--bootstrap") == 0)
            pv_config_set(cfg, "kafka.bootstrap.servers", val);
        else if (strcmp(a, "--topic") == 0)
            o->topic = val;
        else if (strcmp(a, "--list") == 0)
            o->list = val;
        else if (strcmp(a, "--archive") == 0)
            o->archive = val;
        else if (strcmp(a, "--digest") == 0)
            o->digest = val;
        else if (strcmp(a, "--schemas") == 0)
            o->schemas = val;
        else if (strcmp(a, "--partition") == 0)
            o->partition = atoi(val);
        else {
            fprintf(stderr, "pravah audit verify: unknown option %s (see --help)\n", a);
            return EXIT_UNREADABLE;
        }
    }
    if (o->digest && !o->archive) {
        fprintf(stderr, "pravah audit verify: --digest checks an archive: give --archive FILE\n");
        return EXIT_UNREADABLE;
    }
    return 0;
}

/* The engine the rules check against: every definition, the calendars, the directory seed. */
static pv_engine_t *load_engine(const char *schemas, pv_directory_t *dir)
{
    char err[1024];
    pv_engine_config_t ecfg = {NULL};
    pv_engine_t *eng = pv_engine_new(&ecfg);
    if (eng && pv_load_schemas(eng, dir, schemas, err, sizeof err) == 0)
        return eng;
    fprintf(stderr, "pravah audit verify: loading %s: %s\n", schemas, eng ? err : "out of memory");
    pv_engine_free(eng);
    return NULL;
}

/* The summary line, then the rules' figures on a line of their own (after it, so that a
 * script joining a finding with its continuation lines stops at the summary). */
static void summary(const opts_t *o, const verify_t *v, int n)
{
    printf("%s: %d partitions, %llu records (%llu events, %llu alerts), %zu cases, "
           "%llu chain stubs, %llu duplicates ignored, %llu findings: %s\n",
           o->archive ? o->archive : o->topic, n, (unsigned long long)v->records,
           (unsigned long long)v->events, (unsigned long long)v->timers, v->cases,
           (unsigned long long)v->stubs, (unsigned long long)v->duplicates,
           (unsigned long long)v->findings, v->findings ? "FAIL" : "PASS");
    if (!v->rules) {
        printf("rules: not checked (--no-rules)\n");
        return;
    }
    pv_audit_rules_stats_t st;
    pv_audit_rules_stats(v->rules, &st);
    printf("rules: %llu records checked, %llu structurally only, %llu unchecked (broken "
           "history), %llu of cases begun outside the export, %llu warnings, %llu notices\n",
           (unsigned long long)st.checked, (unsigned long long)st.structural,
           (unsigned long long)st.unchecked, (unsigned long long)v->rules_partial,
           (unsigned long long)v->warnings, (unsigned long long)v->notices);
}

static int run_verify(const opts_t *o, pv_config_t *cfg, verify_t *v)
{
    pv_kv_t props[64];
    size_t nprops = pv_config_kafka(cfg, props, 64);
    if (o->list && !(v->list = fopen(o->list, "w"))) {
        perror(o->list);
        return EXIT_UNREADABLE;
    }
    if (v->rules && learn_pass(o, props, nprops, v) != 0)
        return EXIT_UNREADABLE;
    int n = o->archive ? verify_archive(o, v) : verify_kafka(props, nprops, o, v);
    if (v->list)
        fclose(v->list);
    if (n < 0)
        return EXIT_UNREADABLE;
    if (v->rules_failed) {
        fprintf(stderr, "pravah audit verify: the rules check failed: %s\n",
                pv_strerror(v->rules_failed));
        return EXIT_UNREADABLE;
    }
    summary(o, v, n);
    return v->findings ? 1 : 0;
}

int pv_audit_verify_main(int argc, char **argv)
{
    if (pv_cli_wants_help(argc, argv)) {
        audit_usage(stdout);
        return 0;
    }
    pv_config_t *cfg = pv_config_new();
    opts_t o = {.topic = "pravah.journal", .partition = -1};
    verify_t v = {.buckets = 1 << 16, .partition = -1};
    pv_directory_t *dir = pv_directory_new();
    pv_engine_t *eng = NULL;
    int rc = parse_args(argc, argv, cfg, &o);
    if (rc == 0 && !o.is_chains_only &&
        !(eng = load_engine(o.schemas ? o.schemas : pv_cli_schemas_dir(), dir)))
        rc = EXIT_UNREADABLE;
    if (rc == 0) {
        pv_config_apply_env(cfg);
        pv_config_default_bootstrap(cfg);
        v.table = calloc(v.buckets, sizeof *v.table);
        v.ends = calloc(MAX_PARTITIONS, sizeof *v.ends);
        v.is_indexing = o.archive && o.partition < 0; /* the index covers every partition */
        v.rules = eng ? pv_audit_rules_new(eng) : NULL;
        pv_arena_init(&v.arena, 256 * 1024);
        rc = (v.rules || !eng) && v.table && v.ends ? run_verify(&o, cfg, &v) : EXIT_UNREADABLE;
        free_verify(&v);
    }
    pv_engine_free(eng);
    pv_directory_free(dir);
    pv_config_free(cfg);
    return rc;
}
