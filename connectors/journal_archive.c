/* Audit archives (archive.h, docs/AUDIT.md "The archive"): a pax tar written and read with
 * libarchive. Writing stages each partition's frames in an unlinked file beside the target, then
 * writes MANIFEST.json, the partitions, INDEX.jsonl and DIGEST into a temporary file which is
 * synced and linked at the target path (link(2) refuses an existing file, atomically). Reading
 * streams each member once: frames to the callbacks, bytes to SHA-256, then compares with DIGEST.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "journal_archive.h"
#include "pravah/buf.h"

#define DIGEST_MAGIC "pravah-archive-digest 1\n"
#define NULL_LEN 0xffffffffu
#define STUB_LEN (1 + 8 + 8 + 3 * PV_HASH_LEN)

/* ---- big-endian helpers ---- */

static void put_be(pv_buf_t *b, uint64_t v, int bytes)
{
    uint8_t t[8];
    for (int i = 0; i < bytes; i++)
        t[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
    pv_buf_append(b, t, (size_t)bytes);
}

static uint64_t get_be(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | p[i];
    return v;
}

static void put_bytes(pv_buf_t *b, const void *p, size_t len, int null_ok)
{
    put_be(b, p || !null_ok ? (uint32_t)len : NULL_LEN, 4);
    if (p && len)
        pv_buf_append(b, p, len);
}

static int hex_decode(const char *hex, uint8_t out[PV_HASH_LEN])
{
    if (strlen(hex) != 2 * PV_HASH_LEN)
        return -1;
    for (int i = 0; i < PV_HASH_LEN; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

/* ============================== writer ============================== */

typedef struct part_s {
    int32_t partition;
    FILE *f; /* staged frames (unlinked file) */
    uint64_t size, records, included, stubs, cases, pseq;
    int64_t first_offset, last_offset;
    uint8_t phash[PV_HASH_LEN];
} part_t;

typedef struct case_ent_s {
    char *id;
    int32_t partition;
    int64_t *offsets;
    size_t n, cap;
    struct case_ent_s *next;
} case_ent_t;

struct pv_archive_writer_s {
    char *path, *topic, *filter_json;
    part_t *parts;
    size_t nparts, capparts;
    case_ent_t **cases;
    size_t buckets, ncases;
    pv_buf_t frame;
    time_t created;
};

static FILE *stage_file(const char *path, char *err, size_t errlen)
{
    char *tmpl;
    if (asprintf(&tmpl, "%s.stage-XXXXXX", path) < 0)
        return NULL;
    int fd = mkstemp(tmpl);
    FILE *f = fd >= 0 ? fdopen(fd, "w+") : NULL;
    if (!f)
        snprintf(err, errlen, "%s: cannot create a staging file: %s", tmpl, strerror(errno));
    if (fd >= 0)
        unlink(tmpl); /* anonymous: gone with the process whatever happens */
    if (fd >= 0 && !f)
        close(fd);
    free(tmpl);
    return f;
}

pv_archive_writer_t *pv_archive_writer_new(const char *path, const char *topic,
                                           const char *filter_json, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) == 0) {
        snprintf(err, errlen, "%s exists: an archive is never overwritten (choose a new name)",
                 path);
        return NULL;
    }
    pv_archive_writer_t *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->path = strdup(path);
    w->topic = strdup(topic ? topic : "");
    w->filter_json = strdup(filter_json ? filter_json : "{}");
    w->buckets = 1 << 14;
    w->cases = calloc(w->buckets, sizeof *w->cases);
    w->created = time(NULL);
    pv_buf_init(&w->frame);
    if (!w->path || !w->topic || !w->filter_json || !w->cases) {
        pv_archive_writer_free(w);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    return w;
}

int pv_archive_writer_partition(pv_archive_writer_t *w, int32_t partition, char *err, size_t errlen)
{
    if (w->nparts && w->parts[w->nparts - 1].partition >= partition) {
        snprintf(err, errlen, "partition %d added after partition %d: ascending order only",
                 partition, w->parts[w->nparts - 1].partition);
        return PV_EINVAL;
    }
    if (w->nparts == w->capparts) {
        size_t cap = w->capparts ? 2 * w->capparts : 16;
        part_t *p = realloc(w->parts, cap * sizeof *p);
        if (!p)
            return PV_ENOMEM;
        w->parts = p;
        w->capparts = cap;
    }
    part_t *p = &w->parts[w->nparts];
    *p = (part_t){.partition = partition, .first_offset = -1, .last_offset = -1};
    if (!(p->f = stage_file(w->path, err, errlen)))
        return PV_EINVAL;
    w->nparts++;
    return 0;
}

static case_ent_t *case_ent(pv_archive_writer_t *w, const char *id, int32_t partition)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = id; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    case_ent_t **slot = &w->cases[h % w->buckets];
    for (case_ent_t *c = *slot; c; c = c->next)
        if (strcmp(c->id, id) == 0 && c->partition == partition)
            return c;
    case_ent_t *c = calloc(1, sizeof *c);
    if (!c || !(c->id = strdup(id))) {
        free(c);
        return NULL;
    }
    c->partition = partition;
    c->next = *slot;
    *slot = c;
    w->ncases++;
    w->parts[w->nparts - 1].cases++;
    return c;
}

static int index_add(pv_archive_writer_t *w, const char *case_id, int64_t offset)
{
    case_ent_t *c = case_ent(w, case_id, w->parts[w->nparts - 1].partition);
    if (!c)
        return PV_ENOMEM;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 8;
        int64_t *o = realloc(c->offsets, cap * sizeof *o);
        if (!o)
            return PV_ENOMEM;
        c->offsets = o;
        c->cap = cap;
    }
    c->offsets[c->n++] = offset;
    return 0;
}

/* Appends the staged frame to the open partition and notes the record's place. */
static int stage_frame(pv_archive_writer_t *w, const pv_kafka_msg_t *msg, const pv_record_t *rec,
                       char *err, size_t errlen)
{
    part_t *p = &w->parts[w->nparts - 1];
    if (fwrite(w->frame.data, 1, w->frame.len, p->f) != w->frame.len) {
        snprintf(err, errlen, "%s: writing the staging file of partition %d: %s", w->path,
                 p->partition, strerror(errno));
        return PV_EINVAL;
    }
    p->size += w->frame.len;
    p->records++;
    if (p->first_offset < 0)
        p->first_offset = msg->offset;
    p->last_offset = msg->offset;
    if (rec) {
        p->pseq = rec->pseq;
        memcpy(p->phash, rec->phash, PV_HASH_LEN);
    }
    return 0;
}

static int check_open(pv_archive_writer_t *w, const pv_kafka_msg_t *msg, char *err, size_t errlen)
{
    if (!w->nparts || w->parts[w->nparts - 1].partition != msg->partition) {
        snprintf(err, errlen, "record of partition %d offset %lld: that partition is not open",
                 msg->partition, (long long)msg->offset);
        return PV_EINVAL;
    }
    return 0;
}

int pv_archive_writer_add(pv_archive_writer_t *w, const pv_kafka_msg_t *msg, const pv_record_t *rec,
                          char *err, size_t errlen)
{
    int rc = check_open(w, msg, err, errlen);
    if (rc)
        return rc;
    pv_buf_t *b = &w->frame;
    pv_buf_reset(b);
    put_be(b, 0, 4); /* length, set below */
    pv_buf_append(b, "R", 1);
    put_be(b, (uint64_t)msg->offset, 8);
    put_be(b, (uint64_t)msg->timestamp_ms, 8);
    put_bytes(b, msg->key, msg->key_len, 1);
    put_be(b, msg->nheaders, 2);
    for (size_t i = 0; i < msg->nheaders; i++) {
        const pv_header_t *h = &msg->headers[i];
        size_t klen = h->key ? strlen(h->key) : 0;
        put_be(b, klen, 2);
        pv_buf_append(b, h->key, klen);
        put_bytes(b, h->value, h->value_len, 1);
    }
    put_bytes(b, msg->value, msg->value_len, 1);
    if (!b->data)
        return PV_ENOMEM;
    uint32_t len = (uint32_t)(b->len - 4);
    for (int i = 0; i < 4; i++)
        b->data[i] = (uint8_t)(len >> (8 * (3 - i)));
    if ((rc = stage_frame(w, msg, rec, err, errlen)))
        return rc;
    w->parts[w->nparts - 1].included++;
    return rec ? index_add(w, rec->case_id, msg->offset) : 0;
}

int pv_archive_writer_add_stub(pv_archive_writer_t *w, const pv_kafka_msg_t *msg,
                               const pv_record_t *rec, char *err, size_t errlen)
{
    int rc = check_open(w, msg, err, errlen);
    if (rc)
        return rc;
    pv_buf_t *b = &w->frame;
    pv_buf_reset(b);
    put_be(b, STUB_LEN, 4);
    pv_buf_append(b, "S", 1);
    put_be(b, (uint64_t)msg->offset, 8);
    put_be(b, rec->pseq, 8);
    pv_buf_append(b, rec->hash, PV_HASH_LEN);
    pv_buf_append(b, rec->pprev, PV_HASH_LEN);
    pv_buf_append(b, rec->phash, PV_HASH_LEN);
    if (!b->data)
        return PV_ENOMEM;
    if ((rc = stage_frame(w, msg, rec, err, errlen)))
        return rc;
    w->parts[w->nparts - 1].stubs++;
    return 0;
}

/* ---- finishing: the tar ---- */

typedef struct tar_s {
    struct archive *a;
    time_t mtime;
    pv_buf_t digest; /* the DIGEST text being built */
    const char *path;
    char *err;
    size_t errlen;
} tar_t;

static int tar_fail(tar_t *t, const char *what)
{
    snprintf(t->err, t->errlen, "%s: writing %s: %s", t->path, what, archive_error_string(t->a));
    return PV_EINVAL;
}

static int tar_header(tar_t *t, const char *name, uint64_t size)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_size(e, (la_int64_t)size);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0444);
    archive_entry_set_mtime(e, t->mtime, 0);
    int rc = archive_write_header(t->a, e);
    archive_entry_free(e);
    return rc == ARCHIVE_OK ? 0 : tar_fail(t, name);
}

static void digest_line(tar_t *t, const char *name, EVP_MD_CTX *md)
{
    uint8_t h[PV_HASH_LEN];
    char hex[2 * PV_HASH_LEN + 1], line[4200];
    EVP_DigestFinal_ex(md, h, NULL);
    pv_hash_hex(h, hex);
    int n = snprintf(line, sizeof line, "sha256 %s %s\n", hex, name);
    pv_buf_append(&t->digest, line, (size_t)n);
}

static int tar_member(tar_t *t, const char *name, const void *data, size_t len)
{
    int rc = tar_header(t, name, len);
    if (rc)
        return rc;
    if (len && archive_write_data(t->a, data, len) != (la_ssize_t)len)
        return tar_fail(t, name);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    EVP_DigestUpdate(md, data, len);
    digest_line(t, name, md);
    EVP_MD_CTX_free(md);
    return 0;
}

static int tar_partition(tar_t *t, part_t *p)
{
    char name[64], buf[1 << 16];
    snprintf(name, sizeof name, "partitions/%05d.rec", p->partition);
    int rc = tar_header(t, name, p->size);
    if (rc || fflush(p->f) != 0 || fseek(p->f, 0, SEEK_SET) != 0)
        return rc ? rc : tar_fail(t, name);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    size_t n, total = 0;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, p->f)) > 0) {
        EVP_DigestUpdate(md, buf, n);
        total += n;
        if (archive_write_data(t->a, buf, n) != (la_ssize_t)n)
            rc = tar_fail(t, name);
    }
    if (rc == 0 && total != p->size) {
        snprintf(t->err, t->errlen, "%s: staging file of partition %d is short", t->path,
                 p->partition);
        rc = PV_EINVAL;
    }
    if (rc == 0)
        digest_line(t, name, md);
    EVP_MD_CTX_free(md);
    return rc;
}

static char *iso_time(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return out;
}

static json_t *manifest_partition(const part_t *p)
{
    char hex[2 * PV_HASH_LEN + 1], name[64];
    pv_hash_hex(p->phash, hex);
    snprintf(name, sizeof name, "partitions/%05d.rec", p->partition);
    return json_pack("{s:i, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:s}}", "partition",
                     (int)p->partition, "member", name, "first_offset", (json_int_t)p->first_offset,
                     "last_offset", (json_int_t)p->last_offset, "records", (json_int_t)p->records,
                     "included", (json_int_t)p->included, "stubs", (json_int_t)p->stubs, "cases",
                     (json_int_t)p->cases, "head", "pseq", (json_int_t)p->pseq, "phash", hex);
}

static char *manifest_text(const pv_archive_writer_t *w)
{
    char when[32];
    json_t *filter = json_loads(w->filter_json, 0, NULL);
    json_t *parts = json_array();
    uint64_t records = 0, included = 0, stubs = 0;
    for (size_t i = 0; i < w->nparts; i++) {
        json_array_append_new(parts, manifest_partition(&w->parts[i]));
        records += w->parts[i].records;
        included += w->parts[i].included;
        stubs += w->parts[i].stubs;
    }
    json_t *m = json_pack(
        "{s:s, s:i, s:s, s:s, s:s, s:i, s:o, s:o, s:{s:I, s:I, s:I, s:I}}", "format",
        "pravah-audit-archive", "version", PV_ARCHIVE_VERSION, "created_at",
        iso_time(w->created, when), "created_by", "pravah audit export", "topic", w->topic,
        "record_format", PV_RECORD_FORMAT, "filter", filter ? filter : json_object(), "partitions",
        parts, "totals", "records", (json_int_t)records, "included", (json_int_t)included, "stubs",
        (json_int_t)stubs, "cases", (json_int_t)w->ncases);
    char *text = m ? json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(m);
    return text;
}

static int cmp_case(const void *a, const void *b)
{
    const case_ent_t *x = *(case_ent_t *const *)a, *y = *(case_ent_t *const *)b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

/* INDEX.jsonl: one line per case (sorted by id): {"case","partition","records","offsets"}. */
static int index_text(const pv_archive_writer_t *w, pv_buf_t *out)
{
    case_ent_t **all = malloc((w->ncases + 1) * sizeof *all);
    if (!all)
        return PV_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < w->buckets; i++)
        for (case_ent_t *c = w->cases[i]; c; c = c->next)
            all[n++] = c;
    qsort(all, n, sizeof *all, cmp_case);
    for (size_t i = 0; i < n; i++) {
        json_t *offs = json_array();
        for (size_t k = 0; k < all[i]->n; k++)
            json_array_append_new(offs, json_integer(all[i]->offsets[k]));
        json_t *line =
            json_pack("{s:s, s:i, s:I, s:o}", "case", all[i]->id, "partition",
                      (int)all[i]->partition, "records", (json_int_t)all[i]->n, "offsets", offs);
        char *s = line ? json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        if (s) {
            pv_buf_append(out, s, strlen(s));
            pv_buf_append(out, "\n", 1);
        }
        free(s);
        json_decref(line);
    }
    free(all);
    return 0;
}

static void digest_heads(tar_t *t, const pv_archive_writer_t *w)
{
    pv_buf_append(&t->digest, DIGEST_MAGIC, strlen(DIGEST_MAGIC));
    for (size_t i = 0; i < w->nparts; i++) {
        char hex[2 * PV_HASH_LEN + 1], line[128];
        pv_hash_hex(w->parts[i].phash, hex);
        int n = snprintf(line, sizeof line, "head %d %llu %s\n", w->parts[i].partition,
                         (unsigned long long)w->parts[i].pseq, hex);
        pv_buf_append(&t->digest, line, (size_t)n);
    }
}

/* The members in order; the DIGEST text accumulates their digests, then closes with the root. */
static int write_members(tar_t *t, const pv_archive_writer_t *w, char root[2 * PV_HASH_LEN + 1])
{
    char *manifest = manifest_text(w);
    pv_buf_t index;
    pv_buf_init(&index);
    int rc = manifest ? index_text(w, &index) : PV_ENOMEM;
    digest_heads(t, w);
    if (rc == 0)
        rc = tar_member(t, "MANIFEST.json", manifest, strlen(manifest));
    for (size_t i = 0; rc == 0 && i < w->nparts; i++)
        rc = tar_partition(t, &w->parts[i]);
    if (rc == 0)
        rc = tar_member(t, "INDEX.jsonl", index.data ? (void *)index.data : "", index.len);
    if (rc == 0) {
        uint8_t h[PV_HASH_LEN];
        char line[80];
        pv_sha256(t->digest.data, t->digest.len, h);
        pv_hash_hex(h, root);
        int n = snprintf(line, sizeof line, "root %s\n", root);
        pv_buf_append(&t->digest, line, (size_t)n);
        rc = tar_header(t, "DIGEST", t->digest.len);
        if (rc == 0 &&
            archive_write_data(t->a, t->digest.data, t->digest.len) != (la_ssize_t)t->digest.len)
            rc = tar_fail(t, "DIGEST");
    }
    free(manifest);
    pv_buf_close(&index);
    return rc;
}

/* Links the finished temporary file at w->path: atomic, and never over an existing file. */
static int publish(const pv_archive_writer_t *w, const char *tmp, int fd, char *err, size_t errlen)
{
    if (fsync(fd) != 0) {
        snprintf(err, errlen, "%s: fsync: %s", tmp, strerror(errno));
        return PV_EINVAL;
    }
    if (link(tmp, w->path) != 0) {
        snprintf(err, errlen, "%s: %s", w->path,
                 errno == EEXIST ? "appeared while exporting: an archive is never overwritten"
                                 : strerror(errno));
        return PV_EEXIST;
    }
    return 0;
}

int pv_archive_writer_finish(pv_archive_writer_t *w, char root[2 * PV_HASH_LEN + 1], char *err,
                             size_t errlen)
{
    char *tmp;
    if (asprintf(&tmp, "%s.partial-XXXXXX", w->path) < 0)
        return PV_ENOMEM;
    int fd = mkstemp(tmp), rc = PV_EINVAL;
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
        free(tmp);
        return PV_EINVAL;
    }
    fchmod(fd, 0444);
    tar_t t = {.a = archive_write_new(),
               .mtime = w->created,
               .path = w->path,
               .err = err,
               .errlen = errlen};
    pv_buf_init(&t.digest);
    archive_write_set_format_pax_restricted(t.a);
    archive_write_set_bytes_in_last_block(t.a, 1);
    if (archive_write_open_fd(t.a, fd) != ARCHIVE_OK)
        rc = tar_fail(&t, "the archive");
    else if ((rc = write_members(&t, w, root)) == 0 && archive_write_close(t.a) != ARCHIVE_OK)
        rc = tar_fail(&t, "the end of the archive");
    archive_write_free(t.a);
    if (rc == 0)
        rc = publish(w, tmp, fd, err, errlen);
    close(fd);
    unlink(tmp);
    free(tmp);
    pv_buf_close(&t.digest);
    return rc;
}

void pv_archive_writer_free(pv_archive_writer_t *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->nparts; i++)
        fclose(w->parts[i].f);
    for (size_t i = 0; w->cases && i < w->buckets; i++)
        for (case_ent_t *c = w->cases[i], *next; c; c = next) {
            next = c->next;
            free(c->id);
            free(c->offsets);
            free(c);
        }
    free(w->cases);
    free(w->parts);
    pv_buf_close(&w->frame);
    free(w->path);
    free(w->topic);
    free(w->filter_json);
    free(w);
}

/* ============================== reader ============================== */

typedef struct member_s {
    char *name;
    char hex[2 * PV_HASH_LEN + 1];
} member_t;

typedef struct reader_s {
    int32_t want; /* partition asked for, -1 all */
    pv_partition_cb record_cb;
    pv_archive_stub_cb stub_cb;
    void *ctx;
    pv_archive_info_t *info;
    member_t *members;
    size_t nmembers, capmembers;
    pv_buf_t digest; /* DIGEST member as read */
    char topic[256];
} reader_t;

static void problem(pv_archive_info_t *info, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void problem(pv_archive_info_t *info, const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    char **p = n >= 0 ? realloc(info->problems, (info->nproblems + 1) * sizeof *p) : NULL;
    if (!p) {
        free(s);
        return;
    }
    info->problems = p;
    info->problems[info->nproblems++] = s;
}

/* Decodes the 'R' frame at p (len bytes after the length) into msg. Returns 0 or -1 (why). */
static int decode_record(const uint8_t *p, size_t len, pv_kafka_msg_t *msg, const char **why)
{
    const uint8_t *end = p + len;
    *why = "frame too short";
    if (len < 1 + 8 + 8 + 4)
        return -1;
    msg->offset = (int64_t)get_be(p + 1, 8);
    msg->timestamp_ms = (int64_t)get_be(p + 9, 8);
    p += 17;
    uint32_t klen = (uint32_t)get_be(p, 4);
    p += 4;
    if (klen != NULL_LEN && (size_t)(end - p) < (size_t)klen + 2)
        return -1;
    msg->key = klen == NULL_LEN ? NULL : p;
    msg->key_len = klen == NULL_LEN ? 0 : klen;
    p += msg->key_len;
    if (end - p < 2)
        return -1;
    msg->nheaders = (size_t)get_be(p, 2);
    p += 2;
    if (msg->nheaders > PV_KAFKA_MAX_HEADERS) {
        *why = "more headers than a Kafka message carries here";
        return -1;
    }
    static __thread char names[PV_KAFKA_MAX_HEADERS][256];
    for (size_t i = 0; i < msg->nheaders; i++) {
        size_t nlen = end - p >= 2 ? (size_t)get_be(p, 2) : SIZE_MAX;
        if (nlen >= sizeof names[i] || (size_t)(end - p) < 2 + nlen + 4)
            return -1;
        memcpy(names[i], p + 2, nlen);
        names[i][nlen] = 0;
        p += 2 + nlen;
        uint32_t vlen = (uint32_t)get_be(p, 4);
        p += 4;
        if (vlen != NULL_LEN && (size_t)(end - p) < vlen)
            return -1;
        msg->headers[i] =
            (pv_header_t){names[i], vlen == NULL_LEN ? NULL : p, vlen == NULL_LEN ? 0 : vlen};
        p += vlen == NULL_LEN ? 0 : vlen;
    }
    if (end - p < 4)
        return -1;
    uint32_t vlen = (uint32_t)get_be(p, 4);
    p += 4;
    if (vlen == NULL_LEN ? p != end : (size_t)(end - p) != vlen) {
        *why = "value length does not match the frame";
        return -1;
    }
    msg->value = vlen == NULL_LEN ? NULL : p;
    msg->value_len = vlen == NULL_LEN ? 0 : vlen;
    return 0;
}

static int deliver_frame(reader_t *r, int32_t partition, const uint8_t *p, size_t len,
                         const char **why)
{
    if (len == STUB_LEN && p[0] == 'S') {
        pv_archive_stub_t s = {
            .partition = partition, .offset = (int64_t)get_be(p + 1, 8), .pseq = get_be(p + 9, 8)};
        memcpy(s.hash, p + 17, PV_HASH_LEN);
        memcpy(s.pprev, p + 17 + PV_HASH_LEN, PV_HASH_LEN);
        memcpy(s.phash, p + 17 + 2 * PV_HASH_LEN, PV_HASH_LEN);
        r->info->stubs++;
        return r->stub_cb ? r->stub_cb(r->ctx, &s) : 0;
    }
    if (p[0] != 'R') {
        *why = "unknown frame type (neither 'R' nor a 'S' of 113 bytes)";
        return -1;
    }
    pv_kafka_msg_t msg = {.topic = r->topic, .partition = partition};
    if (decode_record(p, len, &msg, why) != 0)
        return -1;
    r->info->records++;
    return r->record_cb ? r->record_cb(r->ctx, &msg) : 0;
}

/* Parses the complete frames at the front of buf; keeps the remainder. Returns a callback's
 * non-zero value or 0; a bad frame is noted as a problem and sets *bad (the rest of the member
 * is then only hashed). */
static int parse_frames(reader_t *r, const char *name, int32_t partition, pv_buf_t *buf,
                        uint64_t *consumed, uint64_t *frame_no, int *bad)
{
    size_t off = 0;
    int rc = 0;
    while (rc == 0 && buf->len - off >= 4) {
        uint32_t len = (uint32_t)get_be(buf->data + off, 4);
        if (buf->len - off - 4 < len)
            break;
        const char *why = NULL;
        ++*frame_no;
        if (len == 0 || (rc = deliver_frame(r, partition, buf->data + off + 4, len, &why)) < 0) {
            if (len && !why)
                return rc; /* a callback's own negative value: stop */
            problem(r->info, "%s: frame %llu at byte %llu: %s", name, (unsigned long long)*frame_no,
                    (unsigned long long)(*consumed + off), why ? why : "empty frame");
            *bad = 1;
            return 0;
        }
        off += 4 + (size_t)len;
    }
    memmove(buf->data, buf->data + off, buf->len - off);
    buf->len -= off;
    *consumed += off;
    return rc;
}

static int add_member(reader_t *r, const char *name, EVP_MD_CTX *md)
{
    if (r->nmembers == r->capmembers) {
        size_t cap = r->capmembers ? 2 * r->capmembers : 16;
        member_t *m = realloc(r->members, cap * sizeof *m);
        if (!m)
            return PV_ENOMEM;
        r->members = m;
        r->capmembers = cap;
    }
    member_t *m = &r->members[r->nmembers++];
    uint8_t h[PV_HASH_LEN];
    EVP_DigestFinal_ex(md, h, NULL);
    pv_hash_hex(h, m->hex);
    m->name = strdup(name);
    return 0;
}

static int32_t partition_of(const char *name)
{
    int p, n = 0;
    if (sscanf(name, "partitions/%d.rec%n", &p, &n) == 1 && name[n] == 0 && p >= 0)
        return p;
    return -1;
}

static void note_partition(reader_t *r, int32_t p)
{
    int32_t *ids = realloc(r->info->partition_ids, (r->info->partitions + 1) * sizeof *ids);
    if (!ids)
        return;
    ids[r->info->partitions++] = p;
    r->info->partition_ids = ids;
}

static void keep_topic(reader_t *r, const pv_buf_t *manifest)
{
    json_t *m = json_loadb((const char *)manifest->data, manifest->len, 0, NULL);
    const char *t = json_string_value(json_object_get(m, "topic"));
    if (t)
        snprintf(r->topic, sizeof r->topic, "%s", t);
    else
        problem(r->info, "MANIFEST.json: not a JSON object naming the topic");
    json_decref(m);
}

static void keep_index(pv_archive_info_t *info, const pv_buf_t *index)
{
    if (!(info->index = malloc(index->len + 1)))
        return;
    if (index->len)
        memcpy(info->index, index->data, index->len);
    info->index[index->len] = 0;
    info->index_len = index->len;
}

/* Streams one member: its bytes to SHA-256 and, for a partition asked for, its frames to the
 * callbacks; keeps MANIFEST.json and DIGEST whole. Returns a callback's value, 0, or -1. */
static int read_member(reader_t *r, struct archive *a, const char *name, char *err, size_t errlen)
{
    int32_t partition = partition_of(name);
    int parse = partition >= 0 && (r->want < 0 || r->want == partition);
    int keep = strcmp(name, "DIGEST") == 0 || strcmp(name, "MANIFEST.json") == 0 ||
               strcmp(name, "INDEX.jsonl") == 0;
    pv_buf_t buf;
    pv_buf_init(&buf);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    uint64_t consumed = 0, frames = 0;
    int rc = 0, bad = 0;
    if (parse)
        note_partition(r, partition);
    for (;;) {
        const void *block;
        size_t size;
        la_int64_t at;
        int s = archive_read_data_block(a, &block, &size, &at);
        if (s == ARCHIVE_EOF)
            break;
        if (s != ARCHIVE_OK) {
            snprintf(err, errlen, "%s: %s", name, archive_error_string(a));
            rc = -1;
            break;
        }
        if (!r->info->skip_digests)
            EVP_DigestUpdate(md, block, size);
        if ((parse && !bad) || keep)
            pv_buf_append(&buf, block, size);
        if (parse && !bad)
            rc = parse_frames(r, name, partition, &buf, &consumed, &frames, &bad);
        if (rc)
            break;
    }
    if (rc == 0 && parse && !bad && buf.len)
        problem(r->info, "%s: ends inside a frame (%zu bytes left over)", name, buf.len);
    if (rc == 0 && strcmp(name, "MANIFEST.json") == 0)
        keep_topic(r, &buf);
    if (rc == 0 && strcmp(name, "INDEX.jsonl") == 0 && !r->info->index)
        keep_index(r->info, &buf);
    if (rc == 0 && strcmp(name, "DIGEST") == 0) {
        pv_buf_reset(&r->digest);
        pv_buf_append(&r->digest, buf.data, buf.len);
    } else if (rc == 0 && add_member(r, name, md) != 0) {
        rc = -1;
    }
    EVP_MD_CTX_free(md);
    pv_buf_close(&buf);
    return rc;
}

static int add_head(pv_archive_info_t *info, const char *line)
{
    int p;
    unsigned long long pseq;
    char hex[80];
    pv_archive_head_t h;
    if (sscanf(line, "head %d %llu %79s", &p, &pseq, hex) != 3 || hex_decode(hex, h.phash) != 0)
        return -1;
    pv_archive_head_t *hs = realloc(info->heads, (info->nheads + 1) * sizeof *hs);
    if (!hs)
        return -1;
    h.partition = p;
    h.pseq = pseq;
    hs[info->nheads++] = h;
    info->heads = hs;
    return 0;
}

static void check_member_line(reader_t *r, const char *line, int *seen)
{
    char hex[80], name[4096];
    if (sscanf(line, "sha256 %79s %4095[^\n]", hex, name) != 2) {
        problem(r->info, "DIGEST: cannot read line '%.80s'", line);
        return;
    }
    for (size_t i = 0; i < r->nmembers; i++)
        if (strcmp(r->members[i].name, name) == 0) {
            seen[i] = 1;
            if (strcmp(r->members[i].hex, hex) != 0)
                problem(r->info,
                        "member %s: its SHA-256 is %s, DIGEST says %s: the member was "
                        "changed after the export",
                        name, r->members[i].hex, hex);
            return;
        }
    problem(r->info, "member %s is listed in DIGEST but missing from the archive", name);
}

/* Checks DIGEST's lines against the members read and computes the root. */
static void check_digest(reader_t *r)
{
    pv_archive_info_t *info = r->info;
    pv_buf_append(&r->digest, "", 1); /* NUL-terminate */
    char *text = (char *)r->digest.data, *root_line = strstr(text, "\nroot ");
    if (strncmp(text, DIGEST_MAGIC, strlen(DIGEST_MAGIC)) != 0 || !root_line) {
        problem(info, "DIGEST: not a pravah archive digest (first line '%s', then a root line)",
                "pravah-archive-digest 1");
        return;
    }
    uint8_t h[PV_HASH_LEN];
    pv_sha256(text, (size_t)(root_line + 1 - text), h);
    pv_hash_hex(h, info->root);
    if (strncmp(root_line + 6, info->root, 2 * PV_HASH_LEN) != 0)
        problem(info, "DIGEST: its root line is not the SHA-256 of the lines before it");
    int *seen = calloc(r->nmembers + 1, sizeof *seen);
    for (char *line = text + strlen(DIGEST_MAGIC), *nl; line < root_line + 1; line = nl + 1) {
        nl = strchr(line, '\n');
        *nl = 0;
        if (strncmp(line, "head ", 5) == 0 && add_head(info, line) != 0)
            problem(info, "DIGEST: cannot read head line '%.80s'", line);
        else if (strncmp(line, "head ", 5) != 0 && seen)
            check_member_line(r, line, seen);
    }
    for (size_t i = 0; seen && i < r->nmembers; i++)
        if (!seen[i])
            problem(info, "member %s is not listed in DIGEST: added after the export",
                    r->members[i].name);
    free(seen);
}

static int scan_members(reader_t *r, struct archive *a, char *err, size_t errlen)
{
    struct archive_entry *e;
    int s, rc = 0, after_digest = 0;
    while (rc == 0 && (s = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname(e);
        if (after_digest)
            problem(r->info, "member %s follows DIGEST, which must be the last member", name);
        if (strcmp(name, "DIGEST") == 0) {
            after_digest = 1;
            r->info->has_digest = 1;
        } else if (strcmp(name, "MANIFEST.json") != 0 && strcmp(name, "INDEX.jsonl") != 0 &&
                   partition_of(name) < 0) {
            problem(r->info, "member %s: not a member of a pravah archive", name);
        }
        rc = read_member(r, a, name, err, errlen);
    }
    if (rc == 0 && s != ARCHIVE_EOF) {
        snprintf(err, errlen, "not a readable tar: %s", archive_error_string(a));
        rc = -1;
    }
    return rc;
}

int pv_archive_scan(const char *path, int32_t partition, pv_partition_cb record_cb,
                    pv_archive_stub_cb stub_cb, void *ctx, pv_archive_info_t *info, char *err,
                    size_t errlen)
{
    reader_t r = {
        .want = partition, .record_cb = record_cb, .stub_cb = stub_cb, .ctx = ctx, .info = info};
    pv_buf_init(&r.digest);
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    int rc = 0;
    if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
        snprintf(err, errlen, "%s: %s", path, archive_error_string(a));
        rc = -1;
    } else if ((rc = scan_members(&r, a, err, errlen)) == 0) {
        if (info->skip_digests)
            ; /* the caller only wants the records */
        else if (!info->has_digest)
            problem(info, "no DIGEST member: the archive is incomplete or was cut short");
        else
            check_digest(&r);
        if (partition >= 0 && info->partitions == 0)
            problem(info, "the archive has no partition %d", partition);
    }
    archive_read_free(a);
    for (size_t i = 0; i < r.nmembers; i++)
        free(r.members[i].name);
    free(r.members);
    pv_buf_close(&r.digest);
    return rc;
}

void pv_archive_info_close(pv_archive_info_t *info)
{
    for (size_t i = 0; i < info->nproblems; i++)
        free(info->problems[i]);
    free(info->problems);
    free(info->heads);
    free(info->partition_ids);
    free(info->index);
    memset(info, 0, sizeof *info);
}

int pv_archive_read(const char *path, int32_t partition, pv_partition_cb cb, void *ctx, char *err,
                    size_t errlen)
{
    pv_archive_info_t info = {0};
    int rc = pv_archive_scan(path, partition, cb, NULL, ctx, &info, err, errlen);
    if (rc == 0 && info.nproblems) {
        snprintf(err, errlen, "%s: %s%s", path, info.problems[0],
                 info.nproblems > 1 ? " (and more: run pravah audit verify)" : "");
        rc = -1;
    } else if (rc == 0) {
        rc = info.partitions;
    }
    pv_archive_info_close(&info);
    return rc;
}
