/* `pravah audit case ID [--as-of DATE]`: the whole story of one case, from the journal alone
 * (docs/AUDIT.md, "The story of one case"): who did what and when, from which post and role,
 * the state and desk changes, deadlines, SLA alerts, the time spent at each level (state and
 * desk), and, with --as-of, the case as it stood on that date. The case's own chain (seq from 1,
 * prev_hash links, seals) is checked while reading; the partition chain is `audit verify`'s.
 *
 * Where the case is: all records of a case share its key, hence one partition. From Kafka, the
 * partition is computed from the key as the producer placed it (librdkafka's default
 * `consistent_random` partitioner: CRC-32 of the key modulo the partition count; the advancer
 * writes a case's records to the partition of its intake events); when the case is not there
 * (a portal whose client uses another partitioner), every partition is scanned. From an archive,
 * partitions are read in order and reading stops after the partition that held the case.
 *
 * Ownership: every record of the case is decoded into the story's arena and lives until
 * story_close(). Runs on the main thread only. */
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "cli.h"
#include "config.h"
#include "kafka.h"
#include "msgpack_json.h"
#include "pravah/calendar.h"
#include "pravah/record.h"

#define IST_MIN 330 /* times are shown in IST (+05:30), the offset of every Pravah calendar */
#define DAY_MS 86400000LL
#define HOUR_MS 3600000LL
#define MAX_FINDINGS 64

typedef struct entry_s {
    pv_record_t rec;
    int32_t partition;
    int64_t offset;
    const char *data_json; /* the record's data as JSON text (arena) */
    int has_finding;       /* the record broke its seal or the case chain */
} entry_t;

typedef struct story_s {
    const char *id;
    size_t id_len;
    entry_t *v;
    size_t n, cap;
    pv_arena_t arena;
    char *findings[MAX_FINDINGS]; /* chain findings, in journal order */
    size_t nfindings;
    uint64_t duplicates, skipped; /* exact copies ignored; forks and foreign bodies left out */
    int32_t partition;            /* where the case was found, -1 before */
    int error;                    /* PV_ENOMEM while reading */
} story_t;

/* A level: a stretch of time with one state and one desk. */
typedef struct level_s {
    const char *state, *desk;
    pv_time_t from, to; /* to: the next level's start, or the as-of time when open */
    int is_open;        /* the case is still at this level at the as-of time */
    int is_closed;      /* the last level, with no desk and no deadline: nothing pending */
    unsigned alerts;
} level_t;

typedef struct options_s {
    const char *id, *topic, *archive, *as_of_text;
    pv_time_t as_of; /* the given --as-of, or now */
    int has_as_of, json;
} options_t;

/* ---- reading and the case chain ---- */

static void add_finding(story_t *s, const pv_kafka_msg_t *msg, uint64_t seq, const char *why)
{
    if (s->nfindings == MAX_FINDINGS)
        return;
    char *f = NULL;
    if (asprintf(&f, "seq %llu at partition %d offset %lld: %s", (unsigned long long)seq,
                 msg->partition, (long long)msg->offset, why) > 0)
        s->findings[s->nfindings++] = f;
}

static const uint8_t zero_hash[PV_HASH_LEN];

/* Checks rec's seal and rec against the case's previous record (rules 2 and 5 of
 * docs/JOURNAL.md). Returns 0 when rec belongs in the story, 1 when it does but with a finding,
 * -1 when it is left out: an exact copy of the previous record (a duplicate delivery), or a fork.
 */
static int check_chain(story_t *s, const pv_kafka_msg_t *msg, const pv_record_t *rec)
{
    const pv_record_t *last = s->n ? &s->v[s->n - 1].rec : NULL;
    uint64_t last_seq = last ? last->seq : 0;
    char why[300], seal[256];
    int sealed = pv_record_verify_seal(rec, seal, sizeof seal) == 0;
    if (sealed && last && rec->seq == last_seq && memcmp(rec->hash, last->hash, PV_HASH_LEN) == 0) {
        s->duplicates++; /* the same record delivered twice: ignored, as consumers do */
        return -1;
    }
    if (rec->seq <= last_seq) {
        snprintf(why, sizeof why,
                 "fork or reorder: sequence number %llu was already seen with "
                 "a different record%s (left out of the story)",
                 (unsigned long long)rec->seq, sealed ? "" : ", and this one's seal is broken");
        add_finding(s, msg, rec->seq, why);
        s->skipped++;
        return -1;
    }
    size_t before = s->nfindings;
    if (!sealed)
        add_finding(s, msg, rec->seq, seal);
    if (rec->seq != last_seq + 1) {
        snprintf(why, sizeof why, "sequence jumps from %llu to %llu: records missing",
                 (unsigned long long)last_seq, (unsigned long long)rec->seq);
        add_finding(s, msg, rec->seq, why);
    } else if (memcmp(rec->prev_hash, last ? last->hash : zero_hash, PV_HASH_LEN) != 0) {
        add_finding(s, msg, rec->seq, "prev_hash is not the hash of the case's previous record");
    }
    return s->nfindings > before || !sealed;
}

static int append_entry(story_t *s, const pv_kafka_msg_t *msg, const pv_record_t *rec,
                        int has_finding)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        entry_t *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return PV_ENOMEM;
        s->v = v;
        s->cap = cap;
    }
    pv_buf_t js;
    pv_buf_init(&js);
    int rc = pv_msgpack_to_json(rec->data, rec->data_len, &js);
    const char *text = rc == 0 ? pv_arena_strndup(&s->arena, (const char *)js.data, js.len) : "{}";
    pv_buf_close(&js);
    if (!text)
        return PV_ENOMEM;
    s->v[s->n++] = (entry_t){*rec, msg->partition, msg->offset, text, has_finding};
    return 0;
}

/* Journal callback: keeps the records whose key is the case id. Once the case has been found,
 * the end of its partition ends the reading (a case lives in one partition). */
static int story_cb(void *ctx, const pv_kafka_msg_t *msg)
{
    story_t *s = ctx;
    if (s->partition >= 0 && msg->partition != s->partition)
        return 1;
    if (msg->key_len != s->id_len || memcmp(msg->key, s->id, s->id_len) != 0)
        return 0;
    s->partition = msg->partition;
    pv_record_t rec;
    char err[256];
    if (pv_record_decode(msg->value, msg->value_len, &s->arena, &rec, err, sizeof err) != 0) {
        add_finding(s, msg, 0, err);
        return 0;
    }
    if (strcmp(rec.case_id, s->id) != 0) {
        snprintf(err, sizeof err, "the key names this case but the record is of case %s",
                 rec.case_id);
        add_finding(s, msg, rec.seq, err);
        s->skipped++;
        return 0;
    }
    int checked = check_chain(s, msg, &rec);
    if (checked >= 0 && append_entry(s, msg, &rec, checked) != 0) {
        s->error = PV_ENOMEM;
        return 2;
    }
    return 0;
}

/* The partition librdkafka's consistent / consistent_random partitioner gives the key, or -1
 * when the configuration names another partitioner or the partition count is unknown. */
static int32_t partition_of_key(const pv_kv_t *props, size_t nprops, const char *topic,
                                const char *key)
{
    pv_kv_t meta_props[65];
    size_t n = 0;
    for (size_t i = 0; i < nprops && n < 63; i++) {
        if (strcmp(props[i].key, "partitioner") == 0 &&
            strcmp(props[i].value, "consistent_random") != 0 &&
            strcmp(props[i].value, "consistent") != 0)
            return -1;
        meta_props[n++] = props[i];
    }
    /* Only a metadata request: no idempotent producer (and none of its warnings) needed. */
    meta_props[n++] = (pv_kv_t){"enable.gapless.guarantee", "false"};
    meta_props[n++] = (pv_kv_t){"enable.idempotence", "false"};
    char err[256];
    pv_producer_t *meta = pv_producer_new(meta_props, n, NULL, NULL, err, sizeof err);
    int count = meta ? pv_producer_partitions(meta, topic, 10000) : -1;
    pv_producer_free(meta);
    return count > 0 && key[0] ? pv_kafka_partition_for_key(key, strlen(key), count) : -1;
}

/* Reads the case's records into s. Returns 0 (s->n may be 0: unknown case) or -1 with err.
 * *how says how the partition was chosen. */
static int read_story(const options_t *o, const pv_kv_t *props, size_t nprops, story_t *s,
                      const char **how, char *err, size_t errlen)
{
    pv_audit_source_t src = {.archive = o->archive,
                             .props = props,
                             .nprops = nprops,
                             .topic = o->topic,
                             .partition = -1};
    *how = o->archive ? "read from the archive, partitions in order" : "found by scanning";
    if (!o->archive && (src.partition = partition_of_key(props, nprops, o->topic, o->id)) >= 0) {
        *how = "computed from the key, as librdkafka's consistent_random partitioner does";
        if (pv_audit_read_journal(&src, story_cb, s, err, errlen) < 0)
            return -1;
        if (s->n || s->nfindings || s->error)
            return s->error ? (snprintf(err, errlen, "out of memory"), -1) : 0;
        *how = "found by scanning: not in the partition computed from the key";
        src.partition = -1;
    }
    int rc = pv_audit_read_journal(&src, story_cb, s, err, errlen);
    if (s->error)
        snprintf(err, errlen, "out of memory");
    return rc < 0 || s->error ? -1 : 0;
}

static void story_close(story_t *s)
{
    for (size_t i = 0; i < s->nfindings; i++)
        free(s->findings[i]);
    free(s->v);
    pv_arena_close(&s->arena);
}

/* ---- deriving levels, alerts and the status at a time ---- */

static int is_timer(const pv_record_t *r)
{
    return r->kind != PV_KIND_EVENT;
}

/* Records accepted at or before t (records are in seq order, accepted_at never decreases). */
static size_t records_until(const story_t *s, pv_time_t t)
{
    size_t n = 0;
    while (n < s->n && s->v[n].rec.accepted_at <= t)
        n++;
    return n;
}

static int same_level(const pv_record_t *a, const pv_record_t *b)
{
    return strcmp(a->new_state, b->new_state) == 0 && strcmp(a->assignee, b->assignee) == 0;
}

/* Splits the first n records into levels (out has room for n). Returns the number of levels. */
static size_t build_levels(const story_t *s, size_t n, pv_time_t as_of, level_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const pv_record_t *r = &s->v[i].rec;
        if (k == 0 || !same_level(&s->v[i - 1].rec, r)) {
            if (k)
                out[k - 1].to = r->accepted_at;
            out[k++] =
                (level_t){.state = r->new_state, .desk = r->assignee, .from = r->accepted_at};
        }
        if (is_timer(r))
            out[k - 1].alerts++;
    }
    if (k) {
        const pv_record_t *last = &s->v[n - 1].rec;
        level_t *l = &out[k - 1];
        l->is_closed = !*last->assignee && last->deadline == 0;
        l->is_open = !l->is_closed;
        l->to = l->is_closed ? l->from : as_of;
    }
    return k;
}

/* Index of the first alert still open after the first n records: alerts since the last record
 * that changed the state, the desk or the deadline. Returns n when none is open. */
static size_t open_alerts_from(const story_t *s, size_t n)
{
    size_t i = n;
    while (i > 0) {
        const pv_record_t *r = &s->v[i - 1].rec, *p = i >= 2 ? &s->v[i - 2].rec : NULL;
        if (!is_timer(r) && (!p || !same_level(p, r) || p->deadline != r->deadline))
            break;
        i--;
    }
    return i;
}

static int64_t local_day(pv_time_t t)
{
    int64_t local = t + (int64_t)IST_MIN * 60000;
    return local / DAY_MS - (local % DAY_MS < 0);
}

/* ---- text output ---- */

static void fmt_time(pv_time_t t, char out[32])
{
    pv_time_format(t, IST_MIN, out);
}

static void fmt_duration(int64_t ms, char *out, size_t len)
{
    int64_t d = ms / DAY_MS, h = ms % DAY_MS / HOUR_MS, m = ms % HOUR_MS / 60000;
    if (m)
        snprintf(out, len, "%lld d %lld h %lld min", (long long)d, (long long)h, (long long)m);
    else
        snprintf(out, len, "%lld d %lld h", (long long)d, (long long)h);
}

static const char *desk_name(const char *desk)
{
    return *desk ? desk : "(no desk)";
}

/* What an event record changed, appended to line: state, desk, deadline. */
static void print_changes(const pv_record_t *prev, const pv_record_t *r)
{
    char t[32];
    if (!prev || strcmp(prev->new_state, r->new_state) != 0)
        printf("; state %s -> %s", prev ? prev->new_state : "(new)", r->new_state);
    if (!prev || strcmp(prev->assignee, r->assignee) != 0)
        printf("; desk %s -> %s", prev ? desk_name(prev->assignee) : "(new)",
               desk_name(r->assignee));
    if (!prev || prev->deadline != r->deadline) {
        if (r->deadline)
            fmt_time(r->deadline, t);
        printf("; %s%s", r->deadline ? "due " : "no deadline", r->deadline ? t : "");
    }
}

static void print_record(const entry_t *e, const pv_record_t *prev)
{
    const pv_record_t *r = &e->rec;
    char at[32], due[32];
    fmt_time(r->accepted_at, at);
    if (is_timer(r)) {
        fmt_time(r->deadline, due);
        printf("  #%-3llu %s  ALERT %s level %u to %s (desk %s, due %s)",
               (unsigned long long)r->seq, at, pv_record_kind_name(r->kind), r->alert_level,
               r->alert_target, desk_name(r->assignee), due);
        if (prev && strcmp(prev->assignee, r->assignee) != 0)
            printf("; desk %s -> %s", desk_name(prev->assignee), desk_name(r->assignee));
        printf("%s\n", e->has_finding ? "  [FINDING: see chain]" : "");
        return;
    }
    if (*r->actor_post)
        printf("  #%-3llu %s  %s by %s (post %s, role %s, office %s)", (unsigned long long)r->seq,
               at, r->event_type, r->actor, r->actor_post, r->actor_role, r->office);
    else
        printf("  #%-3llu %s  %s by %s (%s, office %s)", (unsigned long long)r->seq, at,
               r->event_type, r->actor, *r->actor_role ? r->actor_role : "no post", r->office);
    print_changes(prev, r);
    printf("%s\n", e->has_finding ? "  [FINDING: see chain]" : "");
    if (strcmp(e->data_json, "{}") != 0)
        printf("        data %s\n", e->data_json);
}

static void print_levels(const level_t *lv, size_t k)
{
    char from[32], to[32], dur[64];
    printf("\ntime at each level (state, desk; calendar days and hours):\n");
    for (size_t i = 0; i < k; i++) {
        fmt_time(lv[i].from, from);
        if (lv[i].is_closed) {
            printf("  %-14s %-32s since %s (closed: nothing pending)\n", lv[i].state,
                   desk_name(lv[i].desk), from);
            continue;
        }
        fmt_time(lv[i].to, to);
        fmt_duration(lv[i].to - lv[i].from, dur, sizeof dur);
        printf("  %-14s %-32s %s .. %s  %s%s", lv[i].state, desk_name(lv[i].desk), from, to, dur,
               lv[i].is_open ? " (open)" : "");
        if (lv[i].alerts)
            printf(", %u alert%s", lv[i].alerts, lv[i].alerts == 1 ? "" : "s");
        printf("\n");
    }
}

/* Totals per state (by_desk = 0) or per desk, in first-seen order. */
static void print_totals(const level_t *lv, size_t k, int by_desk)
{
    char dur[64];
    printf("total by %s:", by_desk ? "desk" : "state");
    for (size_t i = 0; i < k; i++) {
        const char *name = by_desk ? desk_name(lv[i].desk) : lv[i].state;
        int seen = 0;
        int64_t ms = 0;
        for (size_t j = 0; j < k; j++) {
            const char *other = by_desk ? desk_name(lv[j].desk) : lv[j].state;
            if (strcmp(name, other) != 0 || lv[j].is_closed)
                continue;
            seen |= j < i;
            ms += lv[j].to - lv[j].from;
        }
        if (seen || (lv[i].is_closed && !ms))
            continue;
        fmt_duration(ms, dur, sizeof dur);
        printf("  %s %s;", name, dur);
    }
    printf("\n");
}

static void print_alerts(const story_t *s, size_t n)
{
    unsigned counts[4] = {0};
    for (size_t i = 0; i < n; i++)
        counts[s->v[i].rec.kind]++;
    printf("alerts: %u (sla.reminder %u, sla.breached %u, sla.escalated %u)\n",
           counts[1] + counts[2] + counts[3], counts[PV_KIND_REMINDER], counts[PV_KIND_BREACHED],
           counts[PV_KIND_ESCALATED]);
}

static void print_status(const story_t *s, size_t n, const level_t *cur, const options_t *o)
{
    const pv_record_t *r = &s->v[n - 1].rec;
    char t[32], dur[64];
    fmt_time(o->as_of, t);
    printf("\n%s %s:\n", o->has_as_of ? "as of" : "now,", t);
    printf("  state %s, desk %s\n", r->new_state, desk_name(r->assignee));
    if (cur->is_closed) {
        fmt_time(cur->from, t);
        printf("  closed at %s: nothing pending\n", t);
        return;
    }
    fmt_duration(o->as_of - cur->from, dur, sizeof dur);
    fmt_time(cur->from, t);
    printf("  pending at this level since %s: %s (%lld days)\n", t, dur,
           (long long)((o->as_of - cur->from) / DAY_MS));
    fmt_duration(o->as_of - s->v[0].rec.accepted_at, dur, sizeof dur);
    printf("  pending since the case was opened: %s (%lld days)\n", dur,
           (long long)((o->as_of - s->v[0].rec.accepted_at) / DAY_MS));
    if (r->deadline) {
        fmt_time(r->deadline, t);
        int64_t late = o->as_of > r->deadline ? local_day(o->as_of) - local_day(r->deadline) : 0;
        printf("  deadline %s: %s", t, late ? "overdue by " : "not passed");
        if (late)
            printf("%lld calendar day%s", (long long)late, late == 1 ? "" : "s");
        printf("\n");
    } else {
        printf("  no deadline\n");
    }
    size_t a = open_alerts_from(s, n), nopen = 0;
    for (size_t i = a; i < n; i++)
        nopen += is_timer(&s->v[i].rec);
    printf("  alerts open: %zu\n", nopen);
    for (; a < n; a++) {
        if (!is_timer(&s->v[a].rec))
            continue;
        fmt_time(s->v[a].rec.accepted_at, t);
        printf("    %s level %u to %s at %s\n", pv_record_kind_name(s->v[a].rec.kind),
               s->v[a].rec.alert_level, s->v[a].rec.alert_target, t);
    }
}

static void print_chain(const story_t *s)
{
    printf("chain: %zu records, %s", s->n, s->nfindings ? "NOT intact" : "intact");
    if (s->duplicates)
        printf(" (%llu duplicate deliveries ignored)", (unsigned long long)s->duplicates);
    printf("\n");
    for (size_t i = 0; i < s->nfindings; i++)
        printf("  FINDING %s\n", s->findings[i]);
}

static void print_text(const story_t *s, size_t n, const level_t *lv, size_t k, const options_t *o,
                       const char *how)
{
    const pv_record_t *first = &s->v[0].rec;
    printf("case %s: %s v%u, office %s\n", s->id, first->case_type, first->def_version,
           first->office);
    printf("journal: %s partition %d, offsets %lld..%lld (partition %s)\n", o->topic, s->partition,
           (long long)s->v[0].offset, (long long)s->v[s->n - 1].offset, how);
    print_chain(s);
    char t[32];
    fmt_time(o->as_of, t);
    if (o->has_as_of)
        printf("story up to %s: %zu of %zu records\n", t, n, s->n);
    printf("\nstory:\n");
    for (size_t i = 0; i < n; i++)
        print_record(&s->v[i], i ? &s->v[i - 1].rec : NULL);
    print_levels(lv, k);
    print_totals(lv, k, 0);
    print_totals(lv, k, 1);
    print_alerts(s, n);
    print_status(s, n, &lv[k - 1], o);
}

/* ---- JSON output ---- */

static json_t *time_json(pv_time_t t)
{
    char buf[32];
    if (!t)
        return json_null();
    fmt_time(t, buf);
    return json_string(buf);
}

static json_t *duration_json(int64_t ms)
{
    char text[64];
    fmt_duration(ms, text, sizeof text);
    return json_pack("{s:I, s:I, s:I, s:s}", "ms", (json_int_t)ms, "days",
                     (json_int_t)(ms / DAY_MS), "hours", (json_int_t)(ms % DAY_MS / HOUR_MS),
                     "text", text);
}

static json_t *record_json(const entry_t *e)
{
    const pv_record_t *r = &e->rec;
    json_t *data = json_loads(e->data_json, 0, NULL);
    json_t *o = json_pack(
        "{s:I, s:s, s:s, s:s, s:o, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}",
        "seq", (json_int_t)r->seq, "kind", pv_record_kind_name(r->kind), "event_type",
        r->event_type, "event_id", r->event_id, "at", time_json(r->accepted_at), "accepted_at_ms",
        (json_int_t)r->accepted_at, "offset", (json_int_t)e->offset, "source", r->source, "actor",
        r->actor, "actor_post", r->actor_post, "actor_role", r->actor_role, "office", r->office,
        "prev_state", r->prev_state, "new_state", r->new_state, "desk", r->assignee, "deadline",
        time_json(r->deadline), "data", data ? data : json_object());
    if (o && is_timer(r))
        json_object_update_new(o, json_pack("{s:i, s:s}", "alert_level", (int)r->alert_level,
                                            "alert_target", r->alert_target));
    if (o && e->has_finding)
        json_object_set_new(o, "finding", json_true());
    if (o && *r->event_time)
        json_object_set_new(o, "event_time_claimed", json_string(r->event_time));
    return o;
}

static json_t *levels_json(const level_t *lv, size_t k)
{
    json_t *a = json_array();
    for (size_t i = 0; i < k; i++) {
        json_t *l = json_pack("{s:s, s:s, s:o, s:b, s:b, s:i}", "state", lv[i].state, "desk",
                              lv[i].desk, "from", time_json(lv[i].from), "open", lv[i].is_open,
                              "closed", lv[i].is_closed, "alerts", (int)lv[i].alerts);
        if (!lv[i].is_closed) {
            json_object_set_new(l, "to", time_json(lv[i].to));
            json_object_set_new(l, "duration", duration_json(lv[i].to - lv[i].from));
        }
        json_array_append_new(a, l);
    }
    return a;
}

/* {name: duration} per state or desk ("" for no desk), open levels counted up to as-of. */
static json_t *totals_json(const level_t *lv, size_t k, int by_desk)
{
    json_t *o = json_object();
    for (size_t i = 0; i < k; i++) {
        if (lv[i].is_closed)
            continue;
        const char *name = by_desk ? lv[i].desk : lv[i].state;
        json_t *old = json_object_get(o, name);
        int64_t ms =
            (old ? json_integer_value(json_object_get(old, "ms")) : 0) + lv[i].to - lv[i].from;
        json_object_set_new(o, name, duration_json(ms));
    }
    return o;
}

static json_t *status_json(const story_t *s, size_t n, const level_t *cur, const options_t *o)
{
    const pv_record_t *r = &s->v[n - 1].rec;
    json_t *alerts = json_array();
    for (size_t a = cur->is_closed ? n : open_alerts_from(s, n); a < n; a++)
        if (is_timer(&s->v[a].rec))
            json_array_append_new(alerts, json_pack("{s:s, s:i, s:s, s:o}", "kind",
                                                    pv_record_kind_name(s->v[a].rec.kind), "level",
                                                    (int)s->v[a].rec.alert_level, "target",
                                                    s->v[a].rec.alert_target, "at",
                                                    time_json(s->v[a].rec.accepted_at)));
    int64_t late = r->deadline && o->as_of > r->deadline && !cur->is_closed
                       ? local_day(o->as_of) - local_day(r->deadline)
                       : 0;
    json_t *st =
        json_pack("{s:o, s:s, s:s, s:o, s:b, s:I, s:o}", "as_of", time_json(o->as_of), "state",
                  r->new_state, "desk", r->assignee, "deadline", time_json(r->deadline), "closed",
                  cur->is_closed, "days_overdue", (json_int_t)late, "alerts_open", alerts);
    if (!cur->is_closed) {
        json_object_set_new(st, "since", time_json(cur->from));
        json_object_set_new(st, "pending_at_level", duration_json(o->as_of - cur->from));
        json_object_set_new(st, "days_pending", json_integer((o->as_of - cur->from) / DAY_MS));
        json_object_set_new(st, "pending_since_opened",
                            duration_json(o->as_of - s->v[0].rec.accepted_at));
    }
    return st;
}

static json_t *chain_json(const story_t *s)
{
    json_t *f = json_array();
    for (size_t i = 0; i < s->nfindings; i++)
        json_array_append_new(f, json_string(s->findings[i]));
    return json_pack("{s:I, s:b, s:I, s:o}", "records", (json_int_t)s->n, "intact",
                     s->nfindings == 0, "duplicates_ignored", (json_int_t)s->duplicates, "findings",
                     f);
}

static int print_json(const story_t *s, size_t n, const level_t *lv, size_t k, const options_t *o,
                      const char *how)
{
    const pv_record_t *first = &s->v[0].rec;
    json_t *story = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(story, record_json(&s->v[i]));
    json_t *root = json_pack(
        "{s:s, s:s, s:i, s:s, s:{s:s, s:i, s:s, s:I, s:I}, s:o, s:b, s:o, s:o, s:o, s:o, s:o}",
        "case", s->id, "case_type", first->case_type, "def_version", (int)first->def_version,
        "office", first->office, "journal", "topic", o->topic, "partition", (int)s->partition,
        "partition_found", how, "first_offset", (json_int_t)s->v[0].offset, "last_offset",
        (json_int_t)s->v[s->n - 1].offset, "chain", chain_json(s), "as_of_given", o->has_as_of,
        "story", story, "levels", levels_json(lv, k), "total_by_state", totals_json(lv, k, 0),
        "total_by_desk", totals_json(lv, k, 1), "status", status_json(s, n, &lv[k - 1], o));
    if (!root || json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
        fprintf(stderr, "pravah audit case: %s: cannot write the JSON form\n", s->id);
        json_decref(root);
        return 2;
    }
    printf("\n");
    json_decref(root);
    return 0;
}

/* ---- command line ---- */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: pravah audit case ID [--as-of DATE] [--json]\n"
            "                            [--bootstrap HOST:PORT] [--topic pravah.journal]\n"
            "                            [--archive FILE]\n\n"
            "The whole story of one case from the journal: who did what and when, from which\n"
            "post and role, state and desk changes, deadlines, SLA alerts (level and target),\n"
            "and the time spent at each level (state and desk) in calendar days and hours.\n"
            "The case's own chain (seq from 1, prev_hash links, seals) is checked on the way.\n\n"
            "  --as-of DATE   the case as it stood then, and only the story up to then: an RFC\n"
            "                 3339 time, or a date (YYYY-MM-DD: the end of that day in IST)\n"
            "  --json         a machine-readable form\n"
            "  --archive FILE read an archive written by `pravah audit export` instead of Kafka\n\n"
            "Times are shown in IST (+05:30). Exit status: 0 the story was told and the chain is\n"
            "intact; 1 unknown case (or not yet opened at --as-of), or the chain is not intact;\n"
            "2 usage error or the journal could not be read.\n");
}

/* --as-of: a bare date is the last millisecond of that day in IST. */
static int parse_as_of(const char *text, pv_time_t *out)
{
    pv_time_t t;
    if (pv_time_parse(text, IST_MIN, &t) != 0)
        return -1;
    *out = strlen(text) == 10 ? t + DAY_MS - 1 : t;
    return 0;
}

static int parse_options(int argc, char **argv, pv_config_t *cfg, options_t *o)
{
    static const struct option longs[] = {{"bootstrap", required_argument, 0, 'b'},
                                          {"topic", required_argument, 0, 't'},
                                          {"archive", required_argument, 0, 'a'},
                                          {"as-of", required_argument, 0, 'd'},
                                          {"json", no_argument, 0, 'j'},
                                          {0, 0, 0, 0}};
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        if (c == 'b')
            pv_config_set(cfg, "kafka.bootstrap.servers", optarg);
        else if (c == 't')
            o->topic = optarg;
        else if (c == 'a')
            o->archive = optarg;
        else if (c == 'd')
            o->as_of_text = optarg;
        else if (c == 'j')
            o->json = 1;
        else
            return -1;
    }
    if (optind != argc - 1 || !*argv[optind]) {
        fprintf(stderr, "pravah audit case: give exactly one case id\n");
        return -1;
    }
    o->id = argv[optind];
    if (o->as_of_text && parse_as_of(o->as_of_text, &o->as_of) != 0) {
        fprintf(stderr,
                "pravah audit case: --as-of '%s': expected YYYY-MM-DD or an RFC 3339 "
                "time such as 2026-04-12T18:00:00+05:30\n",
                o->as_of_text);
        return -1;
    }
    o->has_as_of = o->as_of_text != NULL;
    return 0;
}

/* Tells the story of the records read; returns the exit status. */
static int tell(const story_t *s, options_t *o, const char *how)
{
    if (!o->has_as_of) {
        pv_time_t last = s->v[s->n - 1].rec.accepted_at;
        o->as_of = (pv_time_t)time(NULL) * 1000;
        o->as_of = o->as_of > last ? o->as_of : last; /* a simulated clock may run ahead */
    }
    size_t n = records_until(s, o->as_of);
    if (n == 0) {
        char t[32], c[32];
        fmt_time(o->as_of, t);
        fmt_time(s->v[0].rec.accepted_at, c);
        fprintf(stderr, "pravah audit case: %s did not exist yet at %s: it was opened at %s\n",
                s->id, t, c);
        return 1;
    }
    level_t *lv = calloc(n, sizeof *lv);
    if (!lv) {
        fprintf(stderr, "pravah audit case: out of memory\n");
        return 2;
    }
    size_t k = build_levels(s, n, o->as_of, lv);
    int rc = o->json ? print_json(s, n, lv, k, o, how) : (print_text(s, n, lv, k, o, how), 0);
    free(lv);
    return rc ? rc : s->nfindings ? 1 : 0;
}

/* No readable record of the case: unknown, or every record of it was refused by the checks. */
static int unknown_case(const story_t *s, const options_t *o)
{
    if (s->nfindings)
        print_chain(s);
    else
        fprintf(stderr, "pravah audit case: no case %s in %s (no record with that key)\n", s->id,
                o->archive ? o->archive : o->topic);
    return 1;
}

int pv_audit_case_main(int argc, char **argv)
{
    if (pv_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    pv_config_t *cfg = pv_config_new();
    options_t o = {.topic = "pravah.journal"};
    int rc = 2;
    if (parse_options(argc, argv, cfg, &o) != 0) {
        usage(stderr);
        goto out;
    }
    pv_config_apply_env(cfg);
    pv_config_default_bootstrap(cfg);
    pv_kv_t props[64];
    size_t nprops = pv_config_kafka(cfg, props, 64);
    story_t s = {.id = o.id, .id_len = strlen(o.id), .partition = -1};
    pv_arena_init(&s.arena, 64 * 1024);
    char err[512];
    const char *how = "";
    if (read_story(&o, props, nprops, &s, &how, err, sizeof err) != 0)
        fprintf(stderr, "pravah audit case: %s: %s\n", o.archive ? o.archive : o.topic, err);
    else if (s.n == 0)
        rc = unknown_case(&s, &o);
    else
        rc = tell(&s, &o, how);
    story_close(&s);
out:
    pv_config_free(cfg);
    return rc;
}
