/* Snapshot codec (pravah/snapshot.h). Every field of pv_case_t is written explicitly, so the
 * format does not depend on the struct's layout; version 1 below. */
#include <stdio.h>
#include <string.h>

#include "pravah/snapshot.h"

static const char MAGIC[4] = {'P', 'V', 'S', 'S'};

/* ---- writing ---- */

typedef struct wr_s {
    pv_buf_t *out;
    int rc;
} wr_t;

static void put(wr_t *w, const void *p, size_t n)
{
    if (!w->rc)
        w->rc = pv_buf_append(w->out, p, n);
}

static void put_u64(wr_t *w, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put(w, b, 8);
}

static void put_u32(wr_t *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(w, b, 4);
}

static void put_u16(wr_t *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put(w, b, 2);
}

static void put_u8(wr_t *w, uint8_t v)
{
    put(w, &v, 1);
}

/* u8 length + bytes, without the NUL (every string of a case is under 256 bytes). */
static void put_str(wr_t *w, const char *s)
{
    size_t n = strnlen(s, 255);
    put_u8(w, (uint8_t)n);
    put(w, s, n);
}

/* A case: id, definition name and version, state, esc_level, reminders_sent, seq, actions_done,
 * the six times, assignee, previous, creator_post, office, creator, nfields + fields (raw 64-bit
 * values of the first nfields; the rest are 0), hash, seen_next, nseen + the first nseen seen
 * ids (the rest are 0). */
static void encode_case(wr_t *w, const pv_case_t *c)
{
    put_str(w, c->id);
    put_str(w, pv_def_name(c->def));
    put_u32(w, (uint32_t)pv_def_version(c->def));
    put_u16(w, c->state);
    put_u16(w, c->esc_level);
    put_u32(w, c->reminders_sent);
    put_u64(w, c->seq);
    put_u64(w, c->actions_done);
    const pv_time_t t[6] = {c->created_at, c->entered_at,    c->deadline,
                            c->armed_at,   c->last_alert_at, c->next_timer};
    for (int i = 0; i < 6; i++)
        put_u64(w, (uint64_t)t[i]);
    const char *s[5] = {c->assignee, c->previous, c->creator_post, c->office, c->creator};
    for (int i = 0; i < 5; i++)
        put_str(w, s[i]);
    uint8_t nf = PV_CASE_FIELDS_MAX;
    while (nf && c->fields[nf - 1].i == 0)
        nf--;
    put_u8(w, nf);
    for (int i = 0; i < nf; i++)
        put_u64(w, (uint64_t)c->fields[i].i);
    put(w, c->hash, PV_HASH_LEN);
    uint8_t ns = PV_CASE_SEEN_IDS;
    while (ns && c->seen[ns - 1] == 0)
        ns--;
    put_u8(w, (uint8_t)c->seen_next);
    put_u8(w, ns);
    for (int i = 0; i < ns; i++)
        put_u64(w, c->seen[i]);
}

int pv_snapshot_encode(const pv_store_t *st, const pv_snapshot_info_t *info, pv_buf_t *out)
{
    wr_t w = {out, 0};
    size_t start = out->len, n = pv_store_case_count(st);
    put(&w, MAGIC, 4);
    put_u16(&w, PV_SNAPSHOT_VERSION);
    put_u16(&w, 0);
    put_u32(&w, (uint32_t)info->partition);
    put_u32(&w, (uint32_t)n);
    put_u64(&w, (uint64_t)info->journal_next);
    put_u64(&w, (uint64_t)info->intake_next);
    put_u64(&w, info->chain.pseq);
    put(&w, info->chain.head, PV_HASH_LEN);
    for (size_t i = 0; i < n && !w.rc; i++)
        encode_case(&w, pv_store_case_at(st, i));
    if (w.rc)
        return w.rc;
    uint8_t h[PV_HASH_LEN];
    pv_sha256(out->data + start, out->len - start, h);
    put(&w, h, PV_HASH_LEN);
    return w.rc;
}

int pv_snapshot_set_journal_next(uint8_t *p, size_t len, int64_t journal_next)
{
    if (len < PV_SNAPSHOT_HEADER_LEN + PV_HASH_LEN || memcmp(p, MAGIC, 4) != 0)
        return PV_EFORMAT;
    for (int i = 0; i < 8; i++)
        p[16 + i] = (uint8_t)((uint64_t)journal_next >> (8 * i));
    pv_sha256(p, len - PV_HASH_LEN, p + len - PV_HASH_LEN);
    return 0;
}

/* ---- reading ---- */

typedef struct rd_s {
    const uint8_t *p, *end;
    int bad;
} rd_t;

static const uint8_t *take(rd_t *r, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *q = r->p;
    r->p += n;
    return q;
}

static uint64_t get_u64(rd_t *r)
{
    const uint8_t *b = take(r, 8);
    uint64_t v = 0;
    for (int i = 7; b && i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

static uint32_t get_u32(rd_t *r)
{
    const uint8_t *b = take(r, 4);
    return b ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24
             : 0;
}

static uint16_t get_u16(rd_t *r)
{
    const uint8_t *b = take(r, 2);
    return b ? (uint16_t)(b[0] | b[1] << 8) : 0;
}

static uint8_t get_u8(rd_t *r)
{
    const uint8_t *b = take(r, 1);
    return b ? b[0] : 0;
}

/* Into a NUL-terminated field of size cap; too long is a format error. */
static void get_str(rd_t *r, char *dst, size_t cap)
{
    size_t n = get_u8(r);
    const uint8_t *b = take(r, n);
    if (!b || n >= cap || memchr(b, '\0', n)) {
        r->bad = 1;
        dst[0] = '\0';
        return;
    }
    memcpy(dst, b, n);
    dst[n] = '\0';
}

static int fail(char *err, size_t errlen, int rc, const char *fmt, unsigned long long a)
{
    snprintf(err, errlen, fmt, a);
    return rc;
}

static void read_header(rd_t *r, pv_snapshot_info_t *info)
{
    info->partition = (int32_t)get_u32(r);
    info->ncases = get_u32(r);
    info->journal_next = (int64_t)get_u64(r);
    info->intake_next = (int64_t)get_u64(r);
    info->chain.pseq = get_u64(r);
    const uint8_t *h = take(r, PV_HASH_LEN);
    if (h)
        memcpy(info->chain.head, h, PV_HASH_LEN);
}

int pv_snapshot_info(const void *p, size_t len, pv_snapshot_info_t *info, char *err,
                     size_t errlen)
{
    rd_t r = {p, (const uint8_t *)p + len, 0};
    pv_snapshot_info_t out;
    if (len < PV_SNAPSHOT_HEADER_LEN + PV_HASH_LEN || memcmp(p, MAGIC, 4) != 0)
        return fail(err, errlen, PV_EFORMAT, "not a Pravah snapshot (%llu bytes, no PVSS magic)",
                    (unsigned long long)len);
    take(&r, 4);
    uint16_t version = get_u16(&r);
    if (version != PV_SNAPSHOT_VERSION)
        return fail(err, errlen, PV_EFORMAT, "snapshot format version %llu is not supported",
                    version);
    get_u16(&r);
    read_header(&r, &out);
    *info = out;
    return 0;
}

/* One case; 0, or PV_EFORMAT / PV_EINTEGRITY with err filled. */
static int decode_case(rd_t *r, const pv_engine_t *eng, pv_case_t *c, char *err, size_t errlen)
{
    char def_name[128];
    memset(c, 0, sizeof *c);
    get_str(r, c->id, sizeof c->id);
    get_str(r, def_name, sizeof def_name);
    int version = (int)get_u32(r);
    c->state = get_u16(r);
    c->esc_level = get_u16(r);
    c->reminders_sent = get_u32(r);
    c->seq = get_u64(r);
    c->actions_done = get_u64(r);
    pv_time_t *t[6] = {&c->created_at, &c->entered_at,    &c->deadline,
                       &c->armed_at,   &c->last_alert_at, &c->next_timer};
    for (int i = 0; i < 6; i++)
        *t[i] = (pv_time_t)get_u64(r);
    char *s[5] = {c->assignee, c->previous, c->creator_post, c->office, c->creator};
    size_t cap[5] = {sizeof c->assignee, sizeof c->previous, sizeof c->creator_post,
                     sizeof c->office, sizeof c->creator};
    for (int i = 0; i < 5; i++)
        get_str(r, s[i], cap[i]);
    uint8_t nf = get_u8(r);
    for (int i = 0; i < nf && i < PV_CASE_FIELDS_MAX; i++)
        c->fields[i].i = (int64_t)get_u64(r);
    const uint8_t *h = take(r, PV_HASH_LEN);
    if (h)
        memcpy(c->hash, h, PV_HASH_LEN);
    c->seen_next = get_u8(r);
    uint8_t ns = get_u8(r);
    for (int i = 0; i < ns && i < PV_CASE_SEEN_IDS; i++)
        c->seen[i] = get_u64(r);
    if (r->bad || nf > PV_CASE_FIELDS_MAX || ns > PV_CASE_SEEN_IDS ||
        c->seen_next >= PV_CASE_SEEN_IDS || !c->id[0] || c->seq == 0)
        return fail(err, errlen, PV_EFORMAT, "case %llu of the snapshot does not decode",
                    (unsigned long long)c->seq);
    c->def = pv_engine_definition(eng, def_name, version);
    if (!c->def || c->state >= pv_def_state_count(c->def)) {
        snprintf(err, errlen, "case %s: definition %s version %d (state %u) is not loaded", c->id,
                 def_name, version, c->state);
        return PV_EINTEGRITY;
    }
    return 0;
}

int pv_snapshot_decode(const void *p, size_t len, const pv_engine_t *eng, pv_store_t *st,
                       pv_snapshot_info_t *info, char *err, size_t errlen)
{
    pv_snapshot_info_t hdr;
    int rc = pv_snapshot_info(p, len, &hdr, err, errlen);
    if (rc)
        return rc;
    uint8_t h[PV_HASH_LEN];
    pv_sha256(p, len - PV_HASH_LEN, h);
    if (memcmp(h, (const uint8_t *)p + len - PV_HASH_LEN, PV_HASH_LEN) != 0)
        return fail(err, errlen, PV_EINTEGRITY,
                    "snapshot of %llu bytes: the trailer hash does not match (damaged)",
                    (unsigned long long)len);
    if (pv_store_case_count(st) || pv_store_chain(st)->pseq)
        return fail(err, errlen, PV_EINVAL, "snapshot decoded into a store that holds %llu cases",
                    (unsigned long long)pv_store_case_count(st));
    rd_t r = {(const uint8_t *)p + PV_SNAPSHOT_HEADER_LEN, (const uint8_t *)p + len - PV_HASH_LEN,
              0};
    /* A case takes at least 60 bytes: a count beyond that is a lie, not a reason to allocate. */
    if (hdr.ncases > (len - PV_SNAPSHOT_HEADER_LEN) / 60 || pv_store_reserve(st, hdr.ncases))
        return fail(err, errlen, PV_EFORMAT, "snapshot claims %llu cases", hdr.ncases);
    for (uint32_t i = 0; i < hdr.ncases; i++) {
        pv_case_t c;
        if ((rc = decode_case(&r, eng, &c, err, errlen)))
            return rc;
        if ((rc = pv_store_restore(st, &c)))
            return fail(err, errlen, rc, "case %llu of the snapshot cannot be restored (a "
                        "repeated case id, or out of memory)", (unsigned long long)i);
    }
    if (r.p != r.end)
        return fail(err, errlen, PV_EFORMAT, "%llu bytes after the last case of the snapshot",
                    (unsigned long long)(r.end - r.p));
    pv_store_set_chain(st, &hdr.chain);
    *info = hdr;
    return 0;
}
