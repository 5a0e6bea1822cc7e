/* `pravah audit export`: the journal (all of it, or one partition, case type, office or time
 * range) read from Kafka into a portable archive file (connectors/journal_archive.h, docs/AUDIT.md).
 *
 * Every exported partition is carried whole: a record the filter selects goes in as it is on the
 * topic; a record it leaves out goes in as a chain stub (pseq, hash, pprev, phash, no body), so
 * the partition chain still verifies up to the head and every omission is visible and provable.
 * Records that do not decode are always carried whole: the auditor must see them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "journal_archive.h"
#include "audit.h"
#include "cli.h"
#include "config.h"
#include "pravah/calendar.h"

#define IST_MIN 330 /* a bare --from/--to date is midnight in India */

typedef struct filter_s {
    int32_t partition;
    const char *case_type, *office, *from_text, *to_text;
    pv_time_t from, to; /* accepted_at in [from, to); 0 = open */
} filter_t;

typedef struct export_s {
    pv_archive_writer_t *w;
    filter_t f;
    pv_arena_t arena;
    uint64_t done, total, included, stubs, undecodable;
    int tty;
    time_t last_print;
    char err[512];
} export_t;

static void export_usage(FILE *out)
{
    fprintf(
        out,
        "usage: pravah audit export [--bootstrap HOST:PORT] [--topic pravah.journal]\n"
        "                           [--partition N] [--case-type NAME] [--office ID]\n"
        "                           [--from TIME] [--to TIME] FILE\n\n"
        "Writes the journal to FILE, a portable archive (POSIX tar: MANIFEST.json, one member\n"
        "per partition, INDEX.jsonl, DIGEST), and prints its root digest: keep that apart from\n"
        "the file. Filters select records (--from/--to: accepted_at in [FROM, TO), RFC 3339 or\n"
        "YYYY-MM-DD in IST); records left out are kept as chain stubs so the partition chains\n"
        "still verify. FILE must not exist. See docs/AUDIT.md.\n");
}

static int selected(const filter_t *f, const pv_record_t *rec)
{
    if (f->case_type && strcmp(rec->case_type, f->case_type) != 0)
        return 0;
    if (f->office && strcmp(rec->office, f->office) != 0)
        return 0;
    if (f->from_text && rec->accepted_at < f->from)
        return 0;
    if (f->to_text && rec->accepted_at >= f->to)
        return 0;
    return 1;
}

static void progress(export_t *x, int last)
{
    time_t now = time(NULL);
    if (!last && x->done % 1024 != 0)
        return;
    if (!last && now == x->last_print)
        return;
    if (!last && !x->tty && now - x->last_print < 5)
        return;
    x->last_print = now;
    int pct = x->total ? (int)(100 * x->done / x->total) : 100;
    if (pct > 100)
        pct = 100;
    if (x->tty) {
        char bar[41];
        memset(bar, '#', (size_t)(pct * 40 / 100));
        memset(bar + pct * 40 / 100, '.', (size_t)(40 - pct * 40 / 100));
        bar[40] = 0;
        fprintf(stderr, "\rexport [%s] %3d%% %llu/%llu records%s", bar, pct,
                (unsigned long long)x->done, (unsigned long long)x->total, last ? "\n" : "");
    } else {
        fprintf(stderr, "export: %llu/%llu records (%d%%)\n", (unsigned long long)x->done,
                (unsigned long long)x->total, pct);
    }
}

static int export_cb(void *ctx, const pv_kafka_msg_t *msg)
{
    export_t *x = ctx;
    pv_record_t rec;
    char why[256];
    int rc;
    int decoded =
        pv_record_decode(msg->value, msg->value_len, &x->arena, &rec, why, sizeof why) == 0;
    if (!decoded)
        x->undecodable++;
    if (!decoded || selected(&x->f, &rec)) {
        rc = pv_archive_writer_add(x->w, msg, decoded ? &rec : NULL, x->err, sizeof x->err);
        x->included++;
    } else {
        rc = pv_archive_writer_add_stub(x->w, msg, &rec, x->err, sizeof x->err);
        x->stubs++;
    }
    x->done++;
    if (x->done % 4096 == 0)
        pv_arena_reset(&x->arena);
    progress(x, 0);
    return rc ? -1 : 0;
}

/* The number of partitions and the records to read (for the progress bar). */
static int topic_size(const pv_kv_t *props, size_t nprops, const char *topic, int32_t only,
                      uint64_t *total, char *err, size_t errlen)
{
    pv_producer_t *meta = pv_producer_new(props, nprops, NULL, NULL, err, errlen);
    int n = meta ? pv_producer_partitions(meta, topic, 10000) : -1;
    pv_producer_free(meta);
    if (n <= 0) {
        if (meta)
            snprintf(err, errlen, "cannot read the partitions of %s: no metadata", topic);
        return -1;
    }
    for (int32_t p = only >= 0 ? only : 0; p < (only >= 0 && only < n ? only + 1 : n); p++) {
        int64_t lo, hi;
        if (pv_kafka_watermarks(props, nprops, topic, p, &lo, &hi, err, errlen) == 0)
            *total += (uint64_t)(hi - lo);
    }
    return n;
}

static int export_topic(export_t *x, const pv_kv_t *props, size_t nprops, const char *topic)
{
    int n = topic_size(props, nprops, topic, x->f.partition, &x->total, x->err, sizeof x->err);
    if (n < 0)
        return -1;
    if (x->f.partition >= n) {
        snprintf(x->err, sizeof x->err, "%s has %d partitions: there is no partition %d", topic, n,
                 x->f.partition);
        return -1;
    }
    int32_t lo = x->f.partition >= 0 ? x->f.partition : 0;
    int32_t hi = x->f.partition >= 0 ? x->f.partition : n - 1;
    for (int32_t p = lo; p <= hi; p++) {
        if (pv_archive_writer_partition(x->w, p, x->err, sizeof x->err) != 0)
            return -1;
        char err[512];
        int rc = pv_partition_read(props, nprops, topic, p, export_cb, x, err, sizeof err);
        if (rc < 0 && !x->err[0])
            snprintf(x->err, sizeof x->err, "%s", err);
        if (rc != 0)
            return -1;
    }
    progress(x, 1);
    return hi - lo + 1;
}

static char *filter_json(const filter_t *f)
{
    json_t *j = json_object();
    json_object_set_new(j, "partition",
                        f->partition >= 0 ? json_integer(f->partition) : json_null());
    json_object_set_new(j, "case_type", f->case_type ? json_string(f->case_type) : json_null());
    json_object_set_new(j, "office", f->office ? json_string(f->office) : json_null());
    json_object_set_new(j, "from", f->from_text ? json_string(f->from_text) : json_null());
    json_object_set_new(j, "to", f->to_text ? json_string(f->to_text) : json_null());
    json_object_set_new(j, "from_ms", f->from_text ? json_integer(f->from) : json_null());
    json_object_set_new(j, "to_ms", f->to_text ? json_integer(f->to) : json_null());
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    return s;
}

static int parse_time(const char *opt, const char *text, pv_time_t *out)
{
    if (pv_time_parse(text, IST_MIN, out) == 0)
        return 0;
    fprintf(stderr, "pravah audit export: %s '%s': expected YYYY-MM-DD or an RFC 3339 time\n", opt,
            text);
    return -1;
}

/* Options into cfg and f; the output path into *path. Returns 0, or 2 (usage). */
static int parse_args(int argc, char **argv, pv_config_t *cfg, filter_t *f, const char **topic,
                      const char **path)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-' && !*path) {
            *path = a;
            continue;
        }
        if (!v || a[0] != '-') {
            fprintf(stderr, "pravah audit export: %s: %s\n", a,
                    v ? "one output file only" : "needs a value");
            return 2;
        }
        i++;
        if (strcmp(a, "--bootstrap") == 0)
            pv_config_set(cfg, "kafka.bootstrap.servers", v);
        else if (strcmp(a, "--topic") == 0)
            *topic = v;
        else if (strcmp(a, "--partition") == 0)
            f->partition = atoi(v);
        else if (strcmp(a, "--case-type") == 0)
            f->case_type = v;
        else if (strcmp(a, "--office") == 0)
            f->office = v;
        else if (strcmp(a, "--from") == 0 && parse_time(a, v, &f->from) == 0)
            f->from_text = v;
        else if (strcmp(a, "--to") == 0 && parse_time(a, v, &f->to) == 0)
            f->to_text = v;
        else {
            fprintf(stderr, "pravah audit export: unknown or bad option %s\n", a);
            return 2;
        }
    }
    if (!*path) {
        export_usage(stderr);
        return 2;
    }
    return 0;
}

static int run_export(export_t *x, pv_config_t *cfg, const char *topic, const char *path)
{
    pv_kv_t props[64];
    size_t nprops = pv_config_kafka(cfg, props, 64);
    char *fj = filter_json(&x->f), root[2 * PV_HASH_LEN + 1];
    x->w = pv_archive_writer_new(path, topic, fj, x->err, sizeof x->err);
    free(fj);
    if (!x->w || export_topic(x, props, nprops, topic) < 0 ||
        pv_archive_writer_finish(x->w, root, x->err, sizeof x->err) != 0) {
        if (x->tty)
            fputc('\n', stderr);
        fprintf(stderr, "pravah audit export: %s\n", x->err[0] ? x->err : "failed");
        return 1;
    }
    printf("%s: %llu records (%llu exported, %llu as chain stubs, %llu undecodable kept)\n", path,
           (unsigned long long)x->done, (unsigned long long)x->included,
           (unsigned long long)x->stubs, (unsigned long long)x->undecodable);
    printf("root digest: %s\n", root);
    return 0;
}

int pv_audit_export_main(int argc, char **argv)
{
    if (pv_cli_wants_help(argc, argv)) {
        export_usage(stdout);
        return 0;
    }
    pv_config_t *cfg = pv_config_new();
    export_t x = {.f = {.partition = -1}, .tty = isatty(2)};
    const char *topic = "pravah.journal", *path = NULL;
    int rc = parse_args(argc, argv, cfg, &x.f, &topic, &path);
    if (rc == 0) {
        pv_config_apply_env(cfg);
        pv_config_default_bootstrap(cfg);
        pv_arena_init(&x.arena, 256 * 1024);
        rc = run_export(&x, cfg, topic, path);
        pv_arena_close(&x.arena);
    }
    pv_archive_writer_free(x.w);
    pv_config_free(cfg);
    return rc;
}
