/* pravah advance: poll, decide, emit, commit. See advancer.h and docs/ADVANCER.md. */
#include <msgpack.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "advancer.h"
#include "kafka.h"
#include "log.h"
#include "metrics_http.h"
#include "pravah/snapshot.h"
#include "pravah/store.h"
#include "snapshot.h"

#define MAX_PARTITIONS 256
#define MAX_PROPS 64
#define TIMER_SLICE 256 /* timer records per partition per loop: a few ms of work at most */

/* Intake messages of one partition whose writes are in flight (the pipeline, docs/ADVANCER.md
 * "The pipeline"). A partition has two: the open group takes the messages being consumed, the
 * sealed one waits for its acknowledgements. */
typedef struct group_s {
    int64_t last;     /* highest intake offset in the group, -1: empty */
    uint32_t pending; /* its messages sent and not yet acknowledged */
} group_t;

typedef struct partition_s {
    pv_store_t *store;
    int64_t committed;   /* the group's committed offset when the partition was assigned */
    int64_t *done;       /* sorted intake offsets >= committed whose effect is already written */
    size_t ndone, capdone;
    group_t g[2];
    int open;            /* index of the open group in g; the other is sealed */
    int64_t acked;       /* every effect of the offsets below it is acknowledged; -1: none yet */
    int64_t sent;        /* the last offset a commit was requested for */
    int64_t position;    /* next intake offset this process will see (for the lag metric) */
    /* Snapshots (docs/ADVANCER.md "Snapshots"): journal records of this partition sent and
     * acknowledged by this process (acknowledgements come in send order), the journal offset
     * after the last acknowledged (or rebuilt) record, records since the last snapshot. */
    uint64_t journal_sent, journal_acked, since_snap;
    int64_t journal_next;
    pv_buf_t snap;       /* a snapshot taken, waiting for its last record's acknowledgement */
    uint64_t snap_at;    /* journal_sent when it was taken; 0: none waiting */
    int64_t snap_next;   /* its journal_next once known; -1: not yet */
} partition_t;

/* The same two groups for the clock: pravah_clock_ms is published once every write made up to
 * a loop's clock reading is acknowledged. */
typedef struct clock_group_s {
    pv_time_t clock;
    uint32_t pending;
} clock_group_t;

typedef struct metrics_s {
    atomic_llong consumed, applied, redelivered, journaled, alerts, batches, batch_us_sum,
        batch_us_last, cases, timers, lag, clock_ms;
    atomic_llong rejected[PV_REJ_PRECONDITION + 1];
} metrics_t;

struct pv_advancer_s {
    const pv_config_t *cfg;
    pv_engine_t *eng;
    pv_directory_t *dir;
    pv_clock_t *clock;
    pv_kv_t props[MAX_PROPS];
    size_t nprops;
    const char *t_intake, *t_journal, *t_rejected, *t_directory, *t_snapshots, *group;
    int64_t batch_max, batch_ms;
    int64_t snap_every;     /* journal records per partition between snapshots; 0: off */
    int64_t rebuild_threads; /* snapshot decoder threads during a rebuild; 0: none */
    uint64_t snap_serial;
    pv_producer_t *prod;
    pv_consumer_t *cons;
    pv_reader_t *dir_reader;
    partition_t *parts[MAX_PARTITIONS];
    pv_arena_t arena;
    pv_buf_t wire;
    pv_buf_t rejected_copy; /* the payload kept on the rejected topic, identity masked */
    char instance[64];      /* tags this process's directory messages (see poll_directory) */
    int32_t cur_partition;  /* partition of the event being applied (record callback) */
    int64_t cur_offset;
    partition_t *cur;       /* whose open group the next writes count in; NULL: timer records */
    clock_group_t cg[2];
    int copen;              /* index of the open clock group */
    int resend;             /* an asynchronous commit failed: request every partition again */
    int64_t last_tick_ms;   /* wall time of the previous loop end (batch metrics) */
    atomic_int failed;      /* a delivery failed: fatal */
    int fatal;
    metrics_t m;
};

/* ---- the pipeline: which writes are acknowledged ----
 * Every message produced carries in its opaque the groups it counts in: bit 0 the clock group,
 * bit 1 the partition group, bit 2 set if it counts in a partition group at all (not timer
 * records, directory echoes of timers or snapshots), bit 3 set for journal records, bits 4.. the
 * partition + 1 (0: none). */
#define T_GROUP 4u
#define T_JOURNAL 8u

static void *ticket(const pv_advancer_t *adv, const char *topic, int32_t partition)
{
    uintptr_t v = (uintptr_t)adv->copen;
    int32_t id = -1;
    if (adv->cur) {
        v |= (uintptr_t)adv->cur->open << 1 | T_GROUP;
        id = adv->cur_partition;
    }
    if (topic == adv->t_journal) {
        v |= T_JOURNAL;
        id = partition;
    }
    return (void *)(v | (uintptr_t)(id + 1) << 4);
}

static void count_sent(pv_advancer_t *adv, const char *topic, int32_t partition)
{
    adv->cg[adv->copen].pending++;
    if (adv->cur)
        adv->cur->g[adv->cur->open].pending++;
    partition_t *p = partition >= 0 && partition < MAX_PARTITIONS ? adv->parts[partition] : NULL;
    if (topic == adv->t_journal && p) {
        p->journal_sent++;
        p->since_snap++;
    }
}

/* Nothing is committed or published after any failure: the restart rebuilds from the journal. */
static int is_healthy(pv_advancer_t *adv)
{
    return !adv->fatal && !atomic_load(&adv->failed);
}

/* A sealed group whose writes are all acknowledged: its offsets may be committed. */
static void group_done(pv_advancer_t *adv, partition_t *p, int i)
{
    if (i != p->open && p->g[i].pending == 0 && p->g[i].last >= 0 && is_healthy(adv))
        p->acked = p->g[i].last + 1;
}

static void clock_done(pv_advancer_t *adv, int i)
{
    /* Published after the writes made up to this clock are acknowledged: a test that sees this
     * clock knows everything due by then is in the journal. */
    if (i != adv->copen && adv->cg[i].pending == 0 && is_healthy(adv))
        atomic_store(&adv->m.clock_ms, adv->cg[i].clock);
}

/* Delivery report (on this thread, inside pv_producer_poll/flush or a produce that waits). */
static void on_delivery(void *ctx, void *opaque, int err, const char *errstr, int32_t partition,
                        int64_t offset)
{
    (void)offset;
    pv_advancer_t *adv = ctx;
    uintptr_t v = (uintptr_t)opaque;
    if (err) {
        char p[16];
        snprintf(p, sizeof p, "%d", partition);
        pv_log("error", "delivery failed: records not acknowledged", "error", errstr,
               "partition", p, NULL);
        atomic_store(&adv->failed, 1);
    }
    int c = (int)(v & 1), g = (int)(v >> 1 & 1);
    int32_t id = (int32_t)(v >> 4) - 1;
    adv->cg[c].pending--;
    clock_done(adv, c);
    partition_t *p = id >= 0 && id < MAX_PARTITIONS ? adv->parts[id] : NULL;
    if (p && (v & T_GROUP) && p->g[g].pending) {
        p->g[g].pending--;
        group_done(adv, p, g);
    }
    if (p && (v & T_JOURNAL) && !err) {
        p->journal_next = offset + 1;
        if (++p->journal_acked == p->snap_at) /* the snapshot's last record */
            p->snap_next = offset + 1;
    }
}

/* Sends, retrying while librdkafka's local queue is full (back-pressure). The message counts in
 * the open groups (adv->cur) until it is acknowledged. */
static int produce(pv_advancer_t *adv, const char *topic, int32_t partition, const char *key,
                const void *value, size_t len, const pv_header_t *h, size_t nh)
{
    for (;;) {
        int rc = pv_producer_send(adv->prod, topic, partition, key, strlen(key), value, len, h, nh,
                                  ticket(adv, topic, partition));
        if (rc == 0)
            count_sent(adv, topic, partition);
        if (rc != PV_KAFKA_RETRIABLE)
            return rc;
        pv_producer_poll(adv->prod, 10);
    }
}

/* ---- directory: seed + the directory topic ---- */

static void publish_directory_change(pv_advancer_t *adv, const char *officer_id)
{
    const pv_officer_t *o = pv_directory_officer(adv->dir, officer_id);
    if (!o)
        return;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    const char *kv[] = {"officer", o->id, "name", o->name, "post", o->post};
    msgpack_pack_map(&pk, 3);
    for (int i = 0; i < 6; i++) {
        msgpack_pack_str(&pk, strlen(kv[i]));
        msgpack_pack_str_body(&pk, kv[i], strlen(kv[i]));
    }
    pv_header_t h = {"pravah-writer", adv->instance, strlen(adv->instance)};
    if (produce(adv, adv->t_directory, 0, o->id, sb.data, sb.size, &h, 1) != 0) {
        pv_logf("error", "officer %s: cannot publish the directory change", o->id);
        adv->fatal = 1;
    }
    msgpack_sbuffer_destroy(&sb);
}

/* Applies one directory-topic message {officer, name, post}. */
static void apply_directory_msg(pv_advancer_t *adv, const pv_kafka_msg_t *msg)
{
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    char f[3][128] = {"", "", ""};
    static const char *const names[] = {"officer", "name", "post"};
    /* checked first: HRMS writes this topic too, and msgpack-c trusts a map's claimed size */
    int is_map = pv_msgpack_check_map(msg->value, msg->value_len) == 0 &&
                 msgpack_unpack_next(&up, msg->value, msg->value_len, NULL) ==
                     MSGPACK_UNPACK_SUCCESS &&
                 up.data.type == MSGPACK_OBJECT_MAP;
    if (!is_map && msg->value_len > 0) { /* an empty value is a tombstone: nothing to apply */
        char off[24];
        snprintf(off, sizeof off, "%lld", (long long)msg->offset);
        pv_log("warn", "directory message is not a msgpack map: ignored", "offset", off, NULL);
    }
    if (is_map)
        for (uint32_t i = 0; i < up.data.via.map.size; i++) {
            msgpack_object *k = &up.data.via.map.ptr[i].key, *v = &up.data.via.map.ptr[i].val;
            for (int j = 0; j < 3; j++)
                if (k->type == MSGPACK_OBJECT_STR && v->type == MSGPACK_OBJECT_STR &&
                    k->via.str.size == strlen(names[j]) &&
                    memcmp(k->via.str.ptr, names[j], k->via.str.size) == 0)
                    snprintf(f[j], sizeof f[j], "%.*s", (int)v->via.str.size, v->via.str.ptr);
        }
    msgpack_unpacked_destroy(&up);
    if (f[0][0] && pv_directory_put_officer(adv->dir, f[0], f[1], f[2]) != 0)
        pv_log("warn", "directory change not applied", "officer", f[0], "post", f[2], NULL);
}

/* True for a directory message this process wrote: already applied when it was written, and
 * applying it again when it is read back could undo a newer change made since. */
static int is_own(const pv_advancer_t *adv, const pv_kafka_msg_t *msg)
{
    for (size_t i = 0; i < msg->nheaders; i++)
        if (strcmp(msg->headers[i].key, "pravah-writer") == 0)
            return msg->headers[i].value_len == strlen(adv->instance) &&
                   memcmp(msg->headers[i].value, adv->instance, msg->headers[i].value_len) == 0;
    return 0;
}

static void poll_directory(pv_advancer_t *adv, int timeout_ms)
{
    pv_kafka_msg_t msg;
    while (pv_reader_poll(adv->dir_reader, timeout_ms, &msg) == 1) {
        if (!msg.err && !is_own(adv, &msg))
            apply_directory_msg(adv, &msg);
        pv_kafka_msg_release(&msg);
        timeout_ms = 0;
    }
}

/* ---- journal and rejected ---- */

static int on_record(void *ctx, const pv_record_t *rec)
{
    pv_advancer_t *adv = ctx;
    char off[24];
    pv_header_t h[2] = {{"content-type", "application/vnd.pravah.record+msgpack", 37}};
    size_t nh = 1;
    pv_buf_reset(&adv->wire);
    int rc = pv_record_encode(rec, &adv->wire);
    if (rc)
        return rc;
    if (rec->kind == PV_KIND_EVENT) {
        /* Which intake message this record answers: lets a restarted advancer skip it. */
        snprintf(off, sizeof off, "%lld", (long long)adv->cur_offset);
        h[nh++] = (pv_header_t){"pravah-intake-offset", off, strlen(off)};
        atomic_fetch_add(&adv->m.applied, 1);
    } else {
        atomic_fetch_add(&adv->m.alerts, 1);
    }
    rc = produce(adv, adv->t_journal, adv->cur_partition, rec->case_id, adv->wire.data,
              adv->wire.len, h, nh);
    atomic_fetch_add(&adv->m.journaled, 1);
    if (rc == 0 && pv_engine_directory_effect(adv->eng, rec))
        publish_directory_change(adv, rec->case_id);
    return rc ? PV_EINVAL : 0;
}

/* The original message, its headers, and why: nothing is dropped. Identity numbers in its
 * payload are masked as the journal masks them (pv_engine_redact_payload), since the rejected
 * topic is kept for good; `pravah-redacted` says how many values were. */
static int send_rejection(pv_advancer_t *adv, const pv_kafka_msg_t *msg, const pv_reject_t *rej)
{
    pv_header_t h[PV_KAFKA_MAX_HEADERS + 6];
    size_t n = 0, masked = 0;
    char part[16], off[24], redacted[24];
    if (pv_engine_redact_payload(adv->eng, msg->value, msg->value_len, &adv->rejected_copy,
                                 &masked))
        return PV_ENOMEM;
    for (size_t i = 0; i < msg->nheaders && n < PV_KAFKA_MAX_HEADERS; i++)
        h[n++] = msg->headers[i];
    snprintf(part, sizeof part, "%d", msg->partition);
    snprintf(off, sizeof off, "%lld", (long long)msg->offset);
    const char *code = pv_reject_code_name(rej->code);
    h[n++] = (pv_header_t){"pravah-reason-code", code, strlen(code)};
    h[n++] = (pv_header_t){"pravah-reason-field", rej->field, strlen(rej->field)};
    h[n++] = (pv_header_t){"pravah-reason-message", rej->message, strlen(rej->message)};
    h[n++] = (pv_header_t){"pravah-intake-partition", part, strlen(part)};
    h[n++] = (pv_header_t){"pravah-intake-offset", off, strlen(off)};
    snprintf(redacted, sizeof redacted, "%zu", masked);
    h[n++] = (pv_header_t){"pravah-redacted", redacted, strlen(redacted)};
    char key[256];
    snprintf(key, sizeof key, "%.*s", (int)(msg->key_len < 255 ? msg->key_len : 255),
             msg->key ? (const char *)msg->key : "");
    atomic_fetch_add(&adv->m.rejected[rej->code], 1);
    /* a null value stays null, an empty one empty */
    const void *value = adv->rejected_copy.len ? adv->rejected_copy.data : msg->value;
    return produce(adv, adv->t_rejected, msg->partition, key, value, adv->rejected_copy.len, h, n);
}

/* Redelivered after a crash: its record or rejection was written, its offset not committed.
 * The journal and rejected topics are written independently, so this is a set, not a maximum. */
static int is_done(const partition_t *p, int64_t offset)
{
    size_t lo = 0, hi = p->ndone;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p->done[mid] == offset)
            return 1;
        if (p->done[mid] < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

static void process_message(pv_advancer_t *adv, const pv_kafka_msg_t *msg, pv_time_t now)
{
    partition_t *p = msg->partition < MAX_PARTITIONS ? adv->parts[msg->partition] : NULL;
    pv_event_t ev;
    pv_reject_t rej = {0};
    pv_limits_t lim;
    atomic_fetch_add(&adv->m.consumed, 1);
    if (!p)
        return; /* not ours any more: the new owner will read it */
    p->g[p->open].last = msg->offset; /* committed once the group's writes are acknowledged */
    p->position = msg->offset + 1;
    if (is_done(p, msg->offset)) {
        atomic_fetch_add(&adv->m.redelivered, 1);
        return;
    }
    pv_limits_default(&lim);
    adv->cur = p;
    adv->cur_partition = msg->partition;
    adv->cur_offset = msg->offset;
    int rc = pv_event_decode(msg->headers, msg->nheaders, msg->value, msg->value_len, &lim,
                             &adv->arena, &ev, &rej);
    if (rc == 0)
        rc = pv_store_apply(p->store, &ev, now, &adv->arena, on_record, adv, &rej);
    if (rc == PV_EREJECTED)
        rc = send_rejection(adv, msg, &rej);
    adv->cur = NULL;
    if (rc) {
        pv_logf("error", "partition %d offset %lld: cannot journal: %s", msg->partition,
                (long long)msg->offset, pv_strerror(rc));
        adv->fatal = 1;
    }
}

/* ---- rebuild on assignment ---- */

static int64_t header_int(const pv_kafka_msg_t *msg, const char *key, int64_t dflt)
{
    for (size_t i = 0; i < msg->nheaders; i++)
        if (strcmp(msg->headers[i].key, key) == 0 && msg->headers[i].value_len < 24) {
            char buf[24];
            memcpy(buf, msg->headers[i].value, msg->headers[i].value_len);
            buf[msg->headers[i].value_len] = '\0';
            return strtoll(buf, NULL, 10);
        }
    return dflt;
}

/* Remembers an intake offset whose effect is in the journal or rejected topic, if it is at or
 * after the committed offset (everything before it will not be delivered again). */
static void note_done(partition_t *p, int64_t offset)
{
    if (offset < 0 || offset < p->committed)
        return;
    if (p->ndone == p->capdone) {
        size_t cap = p->capdone ? p->capdone * 2 : 1024;
        int64_t *d = realloc(p->done, cap * sizeof *d);
        if (!d)
            return; /* the engine's event-id check still stands behind this */
        p->done = d;
        p->capdone = cap;
    }
    p->done[p->ndone++] = offset;
}

/* One assignment's rebuild, shared by its partitions: the arena's reset count and timings. */
typedef struct rebuild_set_s {
    pv_advancer_t *adv;
    uint64_t folded;       /* records decoded since the arena's last reset */
    int64_t t0_us, t1_us, t2_us; /* start; committed offsets read; first read done */
    struct decoders_s *decoders; /* snapshots read go to them; NULL: decoded on this thread */
    size_t nthreads;             /* decoding threads, this one included */
} rebuild_set_t;

typedef struct rebuild_s {
    pv_advancer_t *adv;
    rebuild_set_t *set;
    partition_t *p;
    int32_t id;
    int64_t records;
    pv_buf_t snap_bytes;              /* the latest complete snapshot read */
    pv_snapshot_assembly_t assembly;
    pv_snapshot_info_t si;
    pv_store_t *snap_store;           /* decoded from it, not yet checked against the journal */
    const pv_snapshot_info_t *snap;   /* the snapshot the tail continues; NULL: the whole journal */
    int verified;                     /* its last record was found in the journal */
    size_t ndone_rejected;            /* entries of p->done that came from the rejected topic */
    uint64_t snap_len;                /* bytes of the snapshot read */
    int64_t decode_us;                /* CPU time spent decoding it */
    char why[300];                    /* why the snapshot is not used; "": there was none */
    char err[300];
} rebuild_t;

static int64_t clock_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int rebuild_journal_cb(void *ctx, const pv_kafka_msg_t *msg)
{
    rebuild_t *rb = ctx;
    pv_record_t rec;
    char err[256];
    int rc = pv_record_decode(msg->value, msg->value_len, &rb->adv->arena, &rec, err, sizeof err);
    if (rc == 0)
        rc = pv_store_fold(rb->p->store, &rec, &rb->adv->arena, err, sizeof err);
    if (rc) {
        snprintf(rb->err, sizeof rb->err, "journal offset %lld: %s", (long long)msg->offset, err);
        return -1;
    }
    note_done(rb->p, header_int(msg, "pravah-intake-offset", -1));
    rb->p->journal_next = msg->offset + 1;
    rb->records++;
    /* One arena for every partition of the read: records of different partitions interleave,
     * and each is folded before the next is decoded. */
    if (++rb->set->folded % 4096 == 0)
        pv_arena_reset(&rb->adv->arena);
    return 0;
}

static int rebuild_rejected_cb(void *ctx, const pv_kafka_msg_t *msg)
{
    rebuild_t *rb = ctx;
    note_done(rb->p, header_int(msg, "pravah-intake-offset", -1));
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void free_partition(partition_t *p)
{
    if (!p)
        return;
    pv_store_free(p->store);
    pv_buf_close(&p->snap);
    free(p->done);
    free(p);
}

/* The first record the tail read returns must be the snapshot's last one, at the offset it
 * names, with its pseq and phash: otherwise the snapshot is not of this journal. */
static int check_snapshot_record(rebuild_t *rb, const pv_kafka_msg_t *msg)
{
    pv_record_t rec;
    char err[256];
    const pv_snapshot_info_t *si = rb->snap;
    if (msg->offset != si->journal_next - 1) {
        snprintf(rb->err, sizeof rb->err, "journal offset %lld is gone (the journal starts at %lld)",
                 (long long)si->journal_next - 1, (long long)msg->offset);
        return -1;
    }
    if (pv_record_decode(msg->value, msg->value_len, &rb->adv->arena, &rec, err, sizeof err) != 0 ||
        rec.pseq != si->chain.pseq || memcmp(rec.phash, si->chain.head, PV_HASH_LEN) != 0) {
        snprintf(rb->err, sizeof rb->err, "journal offset %lld is not partition record %llu with "
                 "the snapshot's chain head", (long long)msg->offset,
                 (unsigned long long)si->chain.pseq);
        return -1;
    }
    rb->verified = 1;
    rb->p->journal_next = msg->offset + 1;
    return 0;
}

static int rebuild_tail_cb(void *ctx, const pv_kafka_msg_t *msg)
{
    rebuild_t *rb = ctx;
    return rb->verified ? rebuild_journal_cb(ctx, msg) : check_snapshot_record(rb, msg);
}

/* Why a snapshot cannot be used before its cases are even decoded; NULL if it can. */
static const char *snapshot_unusable(const partition_t *p, int32_t id, const pv_snapshot_info_t *si)
{
    if (si->partition != id)
        return "it is of another partition";
    if (si->chain.pseq == 0 || si->journal_next < 1)
        return "it has no journal position";
    /* Intake offsets answered by covered records are below intake_next; they must all be
     * committed, since the covered records are not read to find them (rebuild's handled set). */
    if (p->committed < si->intake_next)
        return "the committed intake offset is behind it";
    return NULL;
}

static int snapshot_chunk_cb(void *ctx, const pv_kafka_msg_t *msg)
{
    rebuild_t *rb = ctx;
    return pv_snapshot_assembly_cb(&rb->assembly, msg);
}

/* Decodes the latest complete snapshot read for the partition into a store of its own (kept in
 * rb->snap_store until the journal confirms it), or says in rb->why why not; frees its bytes.
 * Touches only rb and its store, and reads the engine and the partition's committed offset: runs
 * on a decoder thread while the polling thread reads on. */
static void decode_snapshot(rebuild_t *rb)
{
    char err[300] = "";
    const char *why = NULL;
    pv_store_t *st = NULL;
    int64_t t0 = clock_us(CLOCK_THREAD_CPUTIME_ID);
    if (rb->snap_bytes.len &&
        (pv_snapshot_info(rb->snap_bytes.data, rb->snap_bytes.len, &rb->si, err, sizeof err) != 0 ||
         (why = snapshot_unusable(rb->p, rb->id, &rb->si)) ||
         !(st = pv_store_new(rb->adv->eng, rb->adv->dir)) ||
         pv_snapshot_decode(rb->snap_bytes.data, rb->snap_bytes.len, rb->adv->eng, st, &rb->si, err,
                            sizeof err) != 0)) {
        snprintf(rb->why, sizeof rb->why, "%s", why ? why : err[0] ? err : "out of memory");
        pv_store_free(st);
        st = NULL;
    }
    rb->snap_store = st;
    rb->snap_len = rb->snap_bytes.len;
    pv_buf_close(&rb->snap_bytes);
    rb->decode_us = clock_us(CLOCK_THREAD_CPUTIME_ID) - t0;
}

/* ---- decoder threads: snapshots decoded while the reads go on ---- */

typedef struct decoders_s {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    rebuild_t **queue; /* snapshots read and not yet decoded: queue[head..tail) */
    size_t head, tail;
    int closed;        /* no more will come */
    pthread_t *threads;
    size_t nthreads;
} decoders_t;

/* The next snapshot to decode; NULL once the queue is closed and empty. */
static rebuild_t *next_job(decoders_t *d, int wait)
{
    pthread_mutex_lock(&d->mu);
    while (wait && d->head == d->tail && !d->closed)
        pthread_cond_wait(&d->cv, &d->mu);
    rebuild_t *rb = d->head < d->tail ? d->queue[d->head++] : NULL;
    pthread_mutex_unlock(&d->mu);
    return rb;
}

static void *decoder_main(void *arg)
{
    decoders_t *d = arg;
    rebuild_t *rb;
    while ((rb = next_job(d, 1)))
        decode_snapshot(rb);
    return NULL;
}

/* Starts up to `want` decoder threads for at most `jobs` snapshots. Returns NULL (decode on the
 * polling thread) if want is 0 or nothing could be started. */
static decoders_t *decoders_start(size_t want, size_t jobs)
{
    decoders_t *d = calloc(1, sizeof *d);
    if (!d || want == 0 || jobs == 0 || !(d->queue = calloc(jobs, sizeof *d->queue)) ||
        !(d->threads = calloc(want, sizeof *d->threads)))
        goto fail;
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    while (d->nthreads < want && pthread_create(&d->threads[d->nthreads], NULL, decoder_main, d) == 0)
        d->nthreads++;
    if (d->nthreads)
        return d;
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
fail:
    if (d) {
        free(d->queue);
        free(d->threads);
    }
    free(d);
    return NULL;
}

static void decoders_push(decoders_t *d, rebuild_t *rb)
{
    pthread_mutex_lock(&d->mu);
    d->queue[d->tail++] = rb;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

/* Closes the queue, decodes what is left on this thread too, and joins the threads: afterwards
 * every snapshot pushed is decoded. */
static void decoders_finish(decoders_t *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    d->closed = 1;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    rebuild_t *rb;
    while ((rb = next_job(d, 0)))
        decode_snapshot(rb);
    for (size_t i = 0; i < d->nthreads; i++)
        pthread_join(d->threads[i], NULL);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    free(d->queue);
    free(d->threads);
    free(d);
}

/* A snapshots partition read to its end: its snapshot goes to a decoder thread (or is decoded
 * here), while librdkafka goes on fetching the other partitions. */
static void snapshot_read_done(void *ctx, pv_range_t *range)
{
    rebuild_t *rb = ctx;
    if (range->rc) {
        snprintf(rb->why, sizeof rb->why, "out of memory assembling it");
        pv_buf_close(&rb->snap_bytes);
    } else if (rb->snap_bytes.len == 0) {
        return; /* none: nothing to say */
    } else if (rb->set->decoders) {
        decoders_push(rb->set->decoders, rb);
    } else {
        decode_snapshot(rb);
    }
}

/* Back to nothing after a snapshot turned out unusable: an empty store, the handled offsets of
 * the rejected topic only. The caller then reads the whole journal. */
static int drop_snapshot(rebuild_t *rb)
{
    pv_store_t *st = pv_store_new(rb->adv->eng, rb->adv->dir);
    if (!st)
        return -1;
    pv_store_free(rb->p->store);
    rb->p->store = st;
    rb->p->ndone = rb->ndone_rejected;
    rb->p->journal_next = -1;
    rb->snap_len = 0;
    rb->records = 0;
    rb->verified = 0;
    rb->err[0] = '\0';
    rb->snap = NULL;
    return 0;
}

static partition_t *new_partition(pv_advancer_t *adv, int64_t committed)
{
    partition_t *p = calloc(1, sizeof *p);
    if (!p || !(p->store = pv_store_new(adv->eng, adv->dir))) {
        free(p);
        return NULL;
    }
    pv_buf_init(&p->snap);
    p->committed = committed;
    p->position = committed > 0 ? committed : 0;
    p->g[0].last = p->g[1].last = -1;
    p->acked = -1;
    p->sent = committed;
    p->journal_next = p->snap_next = -1;
    return p;
}

/* The group's committed offsets of the assigned partitions, in one request. */
static void committed_offsets(pv_advancer_t *adv, const int32_t *ids, size_t n, int64_t *offs)
{
    for (size_t i = 0; i < n; i++)
        offs[i] = -1;
    int rc = pv_consumer_committed_many(adv->cons, adv->t_intake, ids, n, offs);
    if (rc) /* -1 is safe: every journaled offset counts as handled, no snapshot is used */
        pv_logf("warn", "committed offsets of %zu partitions not read: %s (rebuilding as if none "
                "were committed)", n, pv_kafka_err2str(rc));
}

/* First read, one client: the snapshots partitions (each decoded as soon as it is read) and the
 * rejected partitions, whose intake offsets go into the handled sets. */
static int read_snapshots_and_rejected(pv_advancer_t *adv, rebuild_t *rb, size_t n, int snapshots,
                                       char *err, size_t errlen)
{
    pv_range_t *r = calloc(2 * n + 1, sizeof *r);
    size_t k = 0;
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (snapshots) {
            pv_snapshot_assembly_init(&rb[i].assembly, &rb[i].snap_bytes);
            r[k++] = (pv_range_t){.topic = adv->t_snapshots, .partition = rb[i].id,
                                  .cb = snapshot_chunk_cb, .done = snapshot_read_done,
                                  .ctx = &rb[i]};
        }
        r[k++] = (pv_range_t){.topic = adv->t_rejected, .partition = rb[i].id,
                              .cb = rebuild_rejected_cb, .ctx = &rb[i]};
    }
    int rc = pv_ranges_read(adv->props, adv->nprops, r, k, err, errlen);
    for (size_t i = 0; i < n; i++) {
        rb[i].ndone_rejected = rb[i].p->ndone;
        if (snapshots)
            pv_snapshot_assembly_close(&rb[i].assembly);
    }
    free(r);
    return rc;
}

/* Journal reads: from the snapshot's last record (checked, then the tail folded into the
 * snapshot's store) or from the start. Only the partitions marked in `which`. Returns 0, or -1
 * with err filled when the read itself failed; each partition's own result is in r[i].rc. */
static int read_journals(pv_advancer_t *adv, rebuild_t *rb, size_t n, const char *which,
                         pv_range_t *r, char *err, size_t errlen)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!which[i])
            continue;
        int tail = rb[i].snap != NULL;
        r[k++] = (pv_range_t){.topic = adv->t_journal, .partition = rb[i].id,
                              .from = tail ? rb[i].si.journal_next - 1 : 0,
                              .cb = tail ? rebuild_tail_cb : rebuild_journal_cb, .ctx = &rb[i]};
    }
    return pv_ranges_read(adv->props, adv->nprops, r, k, err, errlen);
}

/* Puts each decoded snapshot in place, for the tail read to continue, and says why the others
 * are not used. */
static void use_snapshots(rebuild_t *rb, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (rb[i].snap_store) {
            pv_store_free(rb[i].p->store);
            rb[i].p->store = rb[i].snap_store;
            rb[i].snap_store = NULL;
            rb[i].snap = &rb[i].si;
        } else if (rb[i].why[0]) {
            pv_logf("warn", "partition %d: snapshot not used, rebuilding from the journal alone: "
                    "%s", rb[i].id, rb[i].why);
        }
    }
}

/* After a journal read of the partitions marked in `which` (r in the same order): a snapshot
 * whose last record is not in the journal, or whose tail does not fold, is dropped and its
 * partition marked in `again` for a whole-journal read; any other failure fails the rebuild
 * (logged). Returns the number marked, or -1. */
static int settle_journal_reads(rebuild_t *rb, size_t n, const char *which, const pv_range_t *r,
                                char *again)
{
    int nagain = 0;
    for (size_t i = 0, k = 0; i < n; i++) {
        again[i] = 0;
        if (!which[i])
            continue;
        const pv_range_t *ri = &r[k++];
        if (rb[i].snap && (ri->rc || !rb[i].verified)) {
            pv_logf("warn", "partition %d: snapshot not used, rebuilding from the journal alone: "
                    "%s", rb[i].id, rb[i].err[0] ? rb[i].err : "the journal ends before it");
            if (drop_snapshot(&rb[i]) != 0) {
                pv_logf("error", "partition %d: rebuild failed: out of memory", rb[i].id);
                return -1;
            }
            again[i] = 1;
            nagain++;
        } else if (ri->rc) {
            pv_logf("error", "partition %d: rebuild failed: %s", rb[i].id, rb[i].err);
            return -1;
        } else if (rb[i].snap) {
            pv_logf("info", "partition %d: snapshot of %u cases at journal offset %lld (record "
                    "%llu) verified against the journal", rb[i].id, rb[i].si.ncases,
                    (long long)rb[i].si.journal_next - 1,
                    (unsigned long long)rb[i].si.chain.pseq);
        }
    }
    return nagain;
}

/* A rebuilt partition, ready to serve. */
static void finish_partition(pv_advancer_t *adv, rebuild_t *rb, int64_t ms)
{
    partition_t *p = rb->p;
    /* Records not in a snapshot yet: the next snapshot comes after snapshot_records more. */
    p->since_snap = (uint64_t)rb->records;
    if (p->ndone) /* qsort with a NULL base is undefined even for 0 elements */
        qsort(p->done, p->ndone, sizeof *p->done, cmp_i64);
    pv_logf("info", "partition %d: rebuilt %zu cases from %s%lld journal records in %lld ms; "
            "committed offset %lld, %zu later intake messages already handled", rb->id,
            pv_store_case_count(p->store), rb->snap ? "a snapshot and " : "",
            (long long)rb->records, (long long)ms, (long long)p->committed, p->ndone);
    adv->parts[rb->id] = p;
    rb->p = NULL;
}

/* The first read, snapshots decoded on decoder threads as they come in. If that read fails,
 * the rejected partitions are read again alone and no snapshot is used (a snapshot is only a
 * speed-up). Returns 0, or -1 with err filled. */
static int first_read(pv_advancer_t *adv, rebuild_set_t *set, rebuild_t *rb, size_t n, char *err,
                      size_t errlen)
{
    int snapshots = adv->snap_every > 0;
    set->decoders = snapshots ? decoders_start((size_t)adv->rebuild_threads, n) : NULL;
    set->nthreads = set->decoders ? set->decoders->nthreads + 1 : 1;
    int rc = read_snapshots_and_rejected(adv, rb, n, snapshots, err, errlen);
    decoders_finish(set->decoders);
    set->decoders = NULL;
    if (rc == 0 || !snapshots)
        return rc;
    pv_logf("warn", "snapshots not used, rebuilding %zu partitions from the journal alone: %s", n,
            err);
    for (size_t i = 0; i < n; i++) {
        pv_store_free(rb[i].snap_store);
        rb[i].snap_store = NULL;
        rb[i].why[0] = '\0';
        rb[i].snap_len = 0;
        rb[i].p->ndone = 0;
    }
    return read_snapshots_and_rejected(adv, rb, n, 0, err, errlen);
}

/* The journal reads: every partition from its snapshot's last record or from the start, then
 * once more from the start for those whose snapshot the journal did not confirm. Returns 0, -1
 * with err filled (a read failed), or -2 (a partition failed, logged). */
static int journal_reads(pv_advancer_t *adv, rebuild_t *rb, size_t n, char *err, size_t errlen)
{
    pv_range_t *r = calloc(n, sizeof *r);
    char *which = calloc(n, 2); /* which[0..n): read now; which[n..2n): read again */
    int rc = -1, again = 0;
    if (!r || !which) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    memset(which, 1, n);
    if (read_journals(adv, rb, n, which, r, err, errlen) != 0)
        goto out;
    rc = -2;
    if ((again = settle_journal_reads(rb, n, which, r, which + n)) < 0)
        goto out;
    rc = -1;
    if (again > 0 && read_journals(adv, rb, n, which + n, r, err, errlen) != 0)
        goto out;
    rc = again > 0 && settle_journal_reads(rb, n, which + n, r, which) < 0 ? -2 : 0;
out:
    free(r);
    free(which);
    return rc;
}

/* Every partition rebuilt: each is handed to the advancer, and one line says where the time
 * went. */
static void finish_rebuild(pv_advancer_t *adv, rebuild_set_t *set, rebuild_t *rb, size_t n)
{
    int64_t records = 0, decode_us = 0, t3 = pv_mono_us();
    size_t cases = 0, from_snap = 0;
    uint64_t snap_bytes = 0;
    for (size_t i = 0; i < n; i++) {
        records += rb[i].records;
        decode_us += rb[i].decode_us;
        snap_bytes += rb[i].snap_len;
        from_snap += rb[i].snap != NULL;
        cases += pv_store_case_count(rb[i].p->store);
        finish_partition(adv, &rb[i], (t3 - set->t0_us) / 1000);
    }
    pv_logf("info", "rebuild of %zu partitions done in %lld ms: %zu cases, %zu partitions from a "
            "snapshot (%llu bytes), %lld journal records; committed offsets %lld ms, snapshots "
            "and rejected read and decoded %lld ms (decoding: %lld ms of CPU, %zu threads), "
            "journal read and fold %lld ms", n, (long long)(t3 - set->t0_us) / 1000, cases,
            from_snap, (unsigned long long)snap_bytes, (long long)records,
            (long long)(set->t1_us - set->t0_us) / 1000,
            (long long)(set->t2_us - set->t1_us) / 1000, (long long)decode_us / 1000,
            set->nthreads, (long long)(t3 - set->t2_us) / 1000);
}

/* Rebuilds the assigned partitions ids[0..n) together (docs/ADVANCER.md "Rebuild on
 * assignment"): their committed offsets in one request; one read of their snapshots (each
 * decoded on a decoder thread as soon as it is in) and rejected partitions; one read of their
 * journals from each snapshot's last record, or from the start; one more for the partitions
 * whose snapshot the journal did not confirm. Returns 0 with adv->parts[ids[i]] set, or -1
 * (logged) with none set. On the polling thread, inside the rebalance callback. */
static int rebuild_partitions(pv_advancer_t *adv, const int32_t *ids, size_t n)
{
    rebuild_set_t set = {.adv = adv, .t0_us = pv_mono_us()};
    rebuild_t *rb = calloc(n, sizeof *rb);
    int64_t *committed = calloc(n, sizeof *committed);
    char err[300] = "out of memory";
    int rc = -1;
    if (!rb || !committed)
        goto failed;
    committed_offsets(adv, ids, n, committed);
    for (size_t i = 0; i < n; i++) {
        rb[i] = (rebuild_t){.adv = adv, .set = &set, .id = ids[i]};
        pv_buf_init(&rb[i].snap_bytes);
        if (!(rb[i].p = new_partition(adv, committed[i])))
            goto failed;
    }
    set.t1_us = pv_mono_us();
    if (first_read(adv, &set, rb, n, err, sizeof err) != 0)
        goto failed;
    set.t2_us = pv_mono_us();
    use_snapshots(rb, n);
    if ((rc = journal_reads(adv, rb, n, err, sizeof err)) == -2)
        goto out;
    if (rc != 0)
        goto failed;
    finish_rebuild(adv, &set, rb, n);
    goto out;
failed:
    rc = -1;
    pv_logf("error", "rebuild failed for %zu partitions: %s", n, err);
out:
    for (size_t i = 0; rb && i < n; i++) {
        free_partition(rb[i].p);
        pv_store_free(rb[i].snap_store);
        pv_buf_close(&rb[i].snap_bytes);
    }
    pv_arena_reset(&adv->arena);
    free(rb);
    free(committed);
    return rc ? -1 : 0;
}

/* ---- writing snapshots ---- */

static int send_chunk(void *ctx, const char *key, const void *value, size_t len,
                      const pv_header_t *h, size_t nh)
{
    pv_advancer_t *adv = ctx;
    return produce(adv, adv->t_snapshots, (int32_t)strtol(key, NULL, 10), key, value, len, h, nh);
}

/* Sends the snapshot waiting in p once its last record's journal offset is known. A snapshot
 * that cannot be sent is only logged: it is a speed-up, never needed for correctness. */
static void send_snapshot(pv_advancer_t *adv, int32_t id, partition_t *p)
{
    char sid[96];
    snprintf(sid, sizeof sid, "%s-%llu", adv->instance, (unsigned long long)++adv->snap_serial);
    pv_snapshot_set_journal_next(p->snap.data, p->snap.len, p->snap_next);
    adv->cur = NULL;
    if (pv_snapshot_topic_send(sid, id, p->snap.data, p->snap.len, send_chunk, adv) != 0)
        pv_logf("warn", "partition %d: snapshot not sent", id);
    else
        pv_logf("info", "partition %d: snapshot %s of %zu cases (%zu bytes) at journal offset "
                "%lld", id, sid, pv_store_case_count(p->store), p->snap.len,
                (long long)p->snap_next - 1);
    pv_buf_close(&p->snap);
    pv_buf_init(&p->snap);
    p->snap_at = 0;
    p->snap_next = -1;
}

/* Takes a snapshot of the partition as it is now. Its journal position is the offset after
 * the journal_sent-th record this process sent for the partition (or after the rebuild's last
 * record), known once that record is acknowledged. */
static void take_snapshot(int32_t id, partition_t *p)
{
    const pv_chain_t *chain = pv_store_chain(p->store);
    pv_snapshot_info_t si = {id, 0, -1, p->position, *chain};
    if (chain->pseq == 0 || (p->journal_sent == 0 && p->journal_next < 0))
        return;
    pv_buf_reset(&p->snap);
    if (pv_snapshot_encode(p->store, &si, &p->snap) != 0) {
        pv_logf("warn", "partition %d: snapshot not taken: out of memory", id);
        return;
    }
    p->since_snap = 0;
    p->snap_at = p->journal_sent;
    p->snap_next = p->journal_acked == p->journal_sent ? p->journal_next : -1;
    if (p->snap_at == 0)
        p->snap_at = UINT64_MAX; /* nothing sent by this process: the rebuild's position */
}

/* At the end of a loop: sends a snapshot whose position is known, or takes a new one after
 * snapshot_records journal records. Never while anything failed. */
static void maybe_snapshot(pv_advancer_t *adv, int32_t id, partition_t *p, int now)
{
    if (adv->snap_every <= 0 || !is_healthy(adv))
        return;
    if (now && p->since_snap > 0)
        p->snap.len = 0; /* a newer one replaces the one waiting */
    if (!p->snap.len && (now ? p->since_snap > 0 : p->since_snap >= (uint64_t)adv->snap_every))
        take_snapshot(id, p);
    if (p->snap.len && p->snap_next >= 0)
        send_snapshot(adv, id, p);
}

/* Offsets to commit: every partition whose acknowledged offset moved since the last request
 * (or every partition with one, after a failed request). */
static size_t commit_list(pv_advancer_t *adv, int32_t *ids, int64_t *offs)
{
    size_t n = 0;
    for (int32_t i = 0; i < MAX_PARTITIONS; i++) {
        partition_t *p = adv->parts[i];
        if (p && p->acked >= 0 && (p->acked > p->sent || adv->resend)) {
            ids[n] = i;
            offs[n++] = p->acked;
        }
    }
    return n;
}

/* One commit request for every partition with progress, synchronous or not. A failed request is
 * not fatal: the next one carries the offsets again, and after a restart the set of handled
 * offsets covers them. */
static void commit_all(pv_advancer_t *adv, int async)
{
    int32_t ids[MAX_PARTITIONS];
    int64_t offs[MAX_PARTITIONS];
    if (!is_healthy(adv))
        return;
    size_t n = commit_list(adv, ids, offs);
    int rc = async ? pv_consumer_commit_async(adv->cons, adv->t_intake, ids, offs, n)
                   : pv_consumer_commit_many(adv->cons, adv->t_intake, ids, offs, n);
    if (rc) {
        pv_logf("warn", "commit of %zu partitions failed: %s (they are committed with the next "
                "request, or skipped as handled after a restart)", n, pv_kafka_err2str(rc));
        adv->resend = 1;
        return;
    }
    adv->resend = 0;
    for (size_t i = 0; i < n; i++)
        adv->parts[ids[i]]->sent = offs[i];
}

/* Result of an asynchronous commit (inside pv_consumer_poll). */
static void on_commit(void *ctx, int err)
{
    pv_advancer_t *adv = ctx;
    if (!err)
        return;
    pv_logf("warn", "commit failed: %s (the offsets are requested again)", pv_kafka_err2str(err));
    adv->resend = 1;
}

/* After a flush nothing is in flight: every consumed offset of the partition is acknowledged. */
static void settle(pv_advancer_t *adv, partition_t *p)
{
    int64_t last = p->g[0].last > p->g[1].last ? p->g[0].last : p->g[1].last;
    if (last >= 0 && is_healthy(adv) && p->g[0].pending == 0 && p->g[1].pending == 0)
        p->acked = last + 1;
}

/* Everything produced so far acknowledged, then offsets committed synchronously (revocation and
 * exit). A failed delivery is fatal: the process restarts and rebuilds from the journal. */
static int flush_and_commit(pv_advancer_t *adv)
{
    while (pv_producer_flush(adv->prod, 1000) != 0)
        pv_log("warn", "waiting for the broker to acknowledge journal records", NULL);
    /* After any failure (a delivery, or a message that could not even be queued) nothing is
     * committed: the restart rebuilds from the journal and sees those events again. */
    if (!is_healthy(adv))
        return -1;
    for (int32_t i = 0; i < MAX_PARTITIONS; i++)
        if (adv->parts[i])
            settle(adv, adv->parts[i]);
    commit_all(adv, 0);
    return 0;
}

/* Assignment: rebuilds the partitions not held yet, all together. */
static void on_assigned(pv_advancer_t *adv, const int32_t *ids, size_t n)
{
    int32_t todo[MAX_PARTITIONS];
    size_t k = 0;
    for (size_t i = 0; i < n && k < MAX_PARTITIONS; i++)
        if (ids[i] >= 0 && ids[i] < MAX_PARTITIONS && !adv->parts[ids[i]])
            todo[k++] = ids[i];
    if (k && rebuild_partitions(adv, todo, k) != 0)
        adv->fatal = 1;
}

/* Revocation: everything acknowledged and committed, a snapshot of each partition for the next
 * owner, then the stores freed. */
static void on_revoked(pv_advancer_t *adv, const int32_t *ids, size_t n)
{
    if (flush_and_commit(adv) != 0)
        adv->fatal = 1;
    for (size_t i = 0; i < n; i++)
        if (ids[i] >= 0 && ids[i] < MAX_PARTITIONS && adv->parts[ids[i]])
            maybe_snapshot(adv, ids[i], adv->parts[ids[i]], 1);
    while (pv_producer_flush(adv->prod, 1000) != 0)
        pv_log("warn", "waiting for the broker to acknowledge snapshots", NULL);
    for (size_t i = 0; i < n; i++) {
        int32_t id = ids[i];
        if (id >= 0 && id < MAX_PARTITIONS && adv->parts[id]) {
            free_partition(adv->parts[id]);
            adv->parts[id] = NULL;
            pv_logf("info", "partition %d: revoked", id);
        }
    }
}

/* Rebalance callback (on the polling thread, inside pv_consumer_poll or pv_consumer_close). */
static void on_rebalance(void *ctx, pv_consumer_t *c, int assigned, const char *topic,
                         const int32_t *ids, size_t n)
{
    (void)c, (void)topic;
    if (assigned)
        on_assigned(ctx, ids, n);
    else
        on_revoked(ctx, ids, n);
}

/* ---- the loop ---- */

static void fire_timers(pv_advancer_t *adv, pv_time_t now)
{
    int64_t cases = 0, timers = 0;
    for (int32_t id = 0; id < MAX_PARTITIONS; id++) {
        partition_t *p = adv->parts[id];
        if (!p)
            continue;
        adv->cur_partition = id;
        if (pv_store_fire_due(p->store, now, TIMER_SLICE, &adv->arena, on_record, adv) < 0)
            adv->fatal = 1;
        cases += (int64_t)pv_store_case_count(p->store);
        timers += (int64_t)pv_store_open_timers(p->store);
    }
    atomic_store(&adv->m.cases, cases);
    atomic_store(&adv->m.timers, timers);
}

static void update_lag(pv_advancer_t *adv)
{
    int64_t lag = 0;
    for (int32_t id = 0; id < MAX_PARTITIONS; id++) {
        if (!adv->parts[id])
            continue;
        int64_t high = pv_consumer_high_watermark(adv->cons, adv->t_intake, id);
        /* Unknown before the first fetch answers: count it as lagging, not as caught up. */
        lag += high < 0 ? 1 : high > adv->parts[id]->position ? high - adv->parts[id]->position : 0;
    }
    atomic_store(&adv->m.lag, lag);
}

/* Seals the open group of a partition once the sealed one is acknowledged: the groups move
 * along at most once per loop, so a commit covers a loop's worth of messages at least. */
static void rotate_partition(pv_advancer_t *adv, partition_t *p)
{
    int sealed = p->open ^ 1;
    if (p->g[sealed].pending || p->g[p->open].last < 0)
        return;
    p->open = sealed;
    p->g[p->open] = (group_t){.last = -1, .pending = 0};
    group_done(adv, p, p->open ^ 1);
}

/* The same for the clock: the open group takes this loop's clock (it holds every write made up
 * to it). */
static void rotate_clock(pv_advancer_t *adv, pv_time_t now)
{
    adv->cg[adv->copen].clock = now;
    if (adv->cg[adv->copen ^ 1].pending)
        return;
    adv->copen ^= 1;
    adv->cg[adv->copen] = (clock_group_t){0, 0};
    clock_done(adv, adv->copen ^ 1);
}

static void note_batch(pv_advancer_t *adv, int64_t n)
{
    int64_t now = pv_wall_ms();
    if (n) {
        int64_t us = (now - adv->last_tick_ms) * 1000;
        atomic_fetch_add(&adv->m.batches, 1);
        atomic_fetch_add(&adv->m.batch_us_sum, us);
        atomic_store(&adv->m.batch_us_last, us);
    }
    adv->last_tick_ms = now;
}

/* One loop of the pipeline: consume up to batch_max events or for batch_ms of wall time, each
 * applied and its writes sent at once; then timers, the directory tail, the delivery reports,
 * and an asynchronous commit of what is acknowledged. Nothing waits for the broker here. */
static void run_batch(pv_advancer_t *adv)
{
    int64_t start = pv_wall_ms(), n = 0;
    pv_time_t now = pv_clock_now(adv->clock);
    pv_kafka_msg_t msg;
    while (n < adv->batch_max && !adv->fatal) {
        int64_t left = adv->batch_ms - (pv_wall_ms() - start);
        if (left <= 0 || pv_consumer_poll(adv->cons, (int)left, &msg) == 0)
            break;
        if (msg.err) {
            if (pv_kafka_error_class(msg.err) == PV_KAFKA_FATAL) {
                pv_logf("error", "consumer: %s", msg.errstr);
                adv->fatal = 1;
            }
        } else {
            process_message(adv, &msg, now);
            n++;
        }
        pv_kafka_msg_release(&msg);
        if (n % 256 == 0)
            pv_producer_poll(adv->prod, 0);
    }
    fire_timers(adv, now);
    poll_directory(adv, 0);
    pv_producer_poll(adv->prod, 0);
    for (int32_t i = 0; i < MAX_PARTITIONS; i++)
        if (adv->parts[i]) {
            rotate_partition(adv, adv->parts[i]);
            maybe_snapshot(adv, i, adv->parts[i], 0);
        }
    rotate_clock(adv, now);
    commit_all(adv, 1);
    pv_arena_reset(&adv->arena);
    note_batch(adv, n);
}

int pv_advancer_run(pv_advancer_t *adv, volatile int *stop)
{
    int64_t last_lag = 0;
    while (!*stop && !adv->fatal) {
        run_batch(adv);
        if (pv_wall_ms() - last_lag > 1000) {
            update_lag(adv);
            last_lag = pv_wall_ms();
        }
    }
    if (!adv->fatal && flush_and_commit(adv) != 0)
        adv->fatal = 1;
    pv_log("info", adv->fatal ? "stopping after a fatal error" : "draining and leaving the group",
           NULL);
    pv_consumer_close(adv->cons); /* revokes: flushes and commits again */
    return adv->fatal ? 1 : 0;
}

/* ---- setup ---- */

static int read_directory_topic(pv_advancer_t *adv, char *err, size_t errlen);

/* Journal and rejected partition N hold the effects of intake partition N: the three topics must
 * exist with one partition count (a mistyped topic name would otherwise be auto-created). */
static int check_partitions(pv_advancer_t *adv, char *err, size_t errlen)
{
    int n = pv_producer_partitions(adv->prod, adv->t_intake, 10000);
    int j = pv_producer_partitions(adv->prod, adv->t_journal, 10000);
    int r = pv_producer_partitions(adv->prod, adv->t_rejected, 10000);
    if (n > 0 && n == j && n == r && n <= MAX_PARTITIONS) {
        int sn = adv->snap_every > 0 ? pv_producer_partitions(adv->prod, adv->t_snapshots, 10000)
                                     : n;
        if (sn != n) {
            pv_logf("warn", "snapshots off: topic %s has %d partitions, %s has %d",
                    adv->t_snapshots, sn, adv->t_intake, n);
            adv->snap_every = 0;
        }
        return 0;
    }
    snprintf(err, errlen, "topics %s, %s and %s must exist with the same partition count "
             "(at most %d); found %d, %d and %d", adv->t_intake, adv->t_journal, adv->t_rejected,
             MAX_PARTITIONS, n, j, r);
    return -1;
}

/* Snapshot decoder threads by default: one per online CPU, at most 8. */
static int64_t default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 8 ? 8 : n;
}

pv_advancer_t *pv_advancer_new(const pv_config_t *cfg, pv_engine_t *eng, pv_directory_t *dir,
                               pv_clock_t *clock, char *err, size_t errlen)
{
    pv_advancer_t *adv = calloc(1, sizeof *adv);
    if (!adv) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    adv->cfg = cfg;
    snprintf(adv->instance, sizeof adv->instance, "advance-%ld-%lld", (long)getpid(),
             (long long)pv_wall_ms());
    adv->eng = eng;
    adv->dir = dir;
    adv->clock = clock;
    adv->nprops = pv_config_kafka(cfg, adv->props, MAX_PROPS);
    adv->t_intake = pv_config_get(cfg, "topics.intake", "pravah.intake");
    adv->t_journal = pv_config_get(cfg, "topics.journal", "pravah.journal");
    adv->t_rejected = pv_config_get(cfg, "topics.rejected", "pravah.rejected");
    adv->t_directory = pv_config_get(cfg, "topics.directory", "pravah.directory");
    adv->t_snapshots = pv_config_get(cfg, "topics.snapshots", "pravah.snapshots");
    adv->snap_every = pv_config_int(cfg, "advance.snapshot_records", 50000);
    adv->group = pv_config_get(cfg, "advance.group", "pravah-advance");
    adv->rebuild_threads = pv_config_int(cfg, "advance.rebuild_threads", default_threads());
    adv->batch_max = pv_config_int(cfg, "advance.batch_max", 2000);
    adv->batch_ms = pv_config_int(cfg, "advance.batch_ms", 20);
    pv_arena_init(&adv->arena, 256 * 1024);
    pv_buf_init(&adv->wire);
    pv_buf_init(&adv->rejected_copy);
    if (!(adv->prod = pv_producer_new(adv->props, adv->nprops, on_delivery, adv, err, errlen)) ||
        check_partitions(adv, err, errlen) != 0 || read_directory_topic(adv, err, errlen) != 0 ||
        !(adv->cons = pv_consumer_new(adv->props, adv->nprops, adv->group, adv->t_intake,
                                      on_rebalance, adv, err, errlen))) {
        pv_advancer_free(adv);
        return NULL;
    }
    pv_consumer_on_commit(adv->cons, on_commit, adv);
    adv->last_tick_ms = pv_wall_ms();
    return adv;
}

typedef struct dir_read_s {
    pv_advancer_t *adv;
    int64_t next;
} dir_read_t;

static int dir_read_cb(void *ctx, const pv_kafka_msg_t *msg)
{
    dir_read_t *d = ctx;
    apply_directory_msg(d->adv, msg);
    d->next = msg->offset + 1;
    return 0;
}

/* The directory's history, in full, before any partition is served; then a tail reader. */
static int read_directory_topic(pv_advancer_t *adv, char *err, size_t errlen)
{
    dir_read_t d = {adv, -2};
    if (pv_partition_read(adv->props, adv->nprops, adv->t_directory, 0, dir_read_cb, &d, err,
                          errlen) != 0)
        return -1;
    adv->dir_reader = pv_reader_new(adv->props, adv->nprops, adv->t_directory, 0,
                                    d.next >= 0 ? d.next : -2, err, errlen);
    return adv->dir_reader ? 0 : -1;
}

void pv_advancer_free(pv_advancer_t *adv)
{
    if (!adv)
        return;
    pv_consumer_free(adv->cons);
    pv_reader_free(adv->dir_reader);
    pv_producer_free(adv->prod);
    for (int i = 0; i < MAX_PARTITIONS; i++)
        free_partition(adv->parts[i]);
    pv_arena_close(&adv->arena);
    pv_buf_close(&adv->wire);
    pv_buf_close(&adv->rejected_copy);
    free(adv);
}

/* ---- metrics (HTTP thread: atomics only) ---- */

void pv_advancer_render_metrics(void *ctx, FILE *out)
{
    pv_advancer_t *adv = ctx;
    metrics_t *m = &adv->m;
    pv_metrics_write(out, "pravah_events_consumed_total", "counter", "Intake messages consumed.",
           atomic_load(&m->consumed));
    pv_metrics_write(out, "pravah_events_applied_total", "counter", "Events accepted and journaled.",
           atomic_load(&m->applied));
    pv_metrics_write(out, "pravah_events_redelivered_total", "counter",
           "Intake messages skipped because their effect was already journaled.",
           atomic_load(&m->redelivered));
    fprintf(out, "# HELP pravah_events_rejected_total Events rejected, by reason.\n"
                 "# TYPE pravah_events_rejected_total counter\n");
    for (int r = PV_REJ_MALFORMED; r <= PV_REJ_PRECONDITION; r++)
        fprintf(out, "pravah_events_rejected_total{reason=\"%s\"} %lld\n",
                pv_reject_code_name((pv_reject_code_t)r), atomic_load(&m->rejected[r]));
    pv_metrics_write(out, "pravah_alerts_raised_total", "counter", "Reminders, breaches and escalations.",
           atomic_load(&m->alerts));
    pv_metrics_write(out, "pravah_journal_records_total", "counter", "Records written to the journal.",
           atomic_load(&m->journaled));
    pv_metrics_write(out, "pravah_consumer_lag", "gauge", "Intake messages not yet consumed.",
           atomic_load(&m->lag));
    pv_metrics_write(out, "pravah_batches_total", "counter", "Batches committed.", atomic_load(&m->batches));
    pv_metrics_write(out, "pravah_batch_latency_us_sum", "counter", "Sum of batch wall times (us).",
           atomic_load(&m->batch_us_sum));
    pv_metrics_write(out, "pravah_batch_latency_us_last", "gauge", "Wall time of the last batch (us).",
           atomic_load(&m->batch_us_last));
    pv_metrics_write(out, "pravah_cases_in_memory", "gauge", "Cases held for the assigned partitions.",
           atomic_load(&m->cases));
    pv_metrics_write(out, "pravah_open_deadlines", "gauge", "Cases with a pending timer.",
           atomic_load(&m->timers));
    pv_metrics_write(out, "pravah_clock_ms", "gauge",
           "Pravah's clock at the last committed batch (ms since the epoch).",
           atomic_load(&m->clock_ms));
}
