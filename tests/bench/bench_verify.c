/* Audit verify benchmark (issue 5): records per second of `pravah audit verify --archive` on an
 * archive of a realistic journal, against two baselines measured in the same run over the same
 * file: SHA-256 of the archive's bytes (reading it), and reading + decoding every record
 * (pv_archive_read + pv_record_decode, no checks). Target: >= 100,000 records/s.
 *
 *   pv_bench_verify [--events N] [--cases N] [--seed S] [--schemas DIR] [--keep FILE]
 *
 * Untimed set-up: the benchmarks' workload generator (workload.c.inc: every domain, 2% refused
 * events) is applied by the engine (pv_store_apply, timers fired on the stream's clock) as the
 * advancer would; every journaled record, timer records included, is written to one partition of
 * an archive with the archive writer (the same code as `pravah audit export`). Then, timed: the
 * two baselines, and the pravah binary verifying the archive (a child process, wall clock: its
 * start-up, schema loading, the rules' learning pass and the checking pass included).
 *
 * Exit status 1 when verify does not pass or counts differ from what was written (the smoke run
 * `bench.verify` relies on it); missing the throughput target is reported, not an error. */
#include <inttypes.h>
#include <msgpack.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "journal_archive.h"
#include "files.h"
#include "pravah/arena.h"
#include "pravah/buf.h"
#include "pravah/calendar.h"
#include "pravah/engine.h"
#include "pravah/event.h"
#include "pravah/record.h"
#include "pravah/store.h"

#define PV_BENCH_NAME "pv_bench_verify"
#include "workload.c.inc"

#ifndef PV_PRAVAH_BIN
#define PV_PRAVAH_BIN "pravah"
#endif
#define TARGET_RPS 100000.0

typedef struct sink_s {
    pv_archive_writer_t *w;
    pv_buf_t out;
    uint64_t records, offset;
    char err[512];
} sink_t;

/* Every record the store journals goes to the archive as the advancer would write it. */
static int on_record(void *ctx, const pv_record_t *rec)
{
    sink_t *s = ctx;
    pv_buf_reset(&s->out);
    int rc = pv_record_encode(rec, &s->out);
    if (rc)
        return rc;
    pv_kafka_msg_t msg = {.partition = 0,
                          .offset = (int64_t)s->offset++,
                          .timestamp_ms = rec->accepted_at,
                          .key = rec->case_id,
                          .key_len = strlen(rec->case_id),
                          .value = s->out.data,
                          .value_len = s->out.len};
    if (pv_archive_writer_add(s->w, &msg, rec, s->err, sizeof s->err) != 0)
        die("%s", s->err);
    s->records++;
    return 0;
}

static void make_journal(const workload_t *wl, pv_store_t *st, sink_t *s)
{
    pv_arena_t arena;
    pv_limits_t lim;
    pv_limits_default(&lim);
    pv_arena_init(&arena, 0);
    for (size_t i = 0, batch = 0; i < wl->n; i++) {
        const sev_t *e = &wl->ev[i];
        pv_header_t h[8];
        const uint8_t *payload;
        size_t nh = event_headers(wl, e, h, &payload);
        while (pv_store_fire_due(st, e->t, FIRE_SLICE, &arena, on_record, s) == FIRE_SLICE)
            ;
        pv_event_t ev;
        pv_reject_t rej;
        if (pv_event_decode(h, nh, payload, e->len[H_PAYLOAD], &lim, &arena, &ev, &rej) == 0)
            pv_store_apply(st, &ev, e->t, &arena, on_record, s, &rej);
        if (++batch == BATCH) {
            pv_arena_reset(&arena);
            batch = 0;
        }
    }
    pv_arena_close(&arena);
}

/* ---- baselines ---- */

/* SHA-256 of the archive file, read in 1 MiB blocks (what `sha256sum FILE` does). */
static double run_sha256(const char *path, uint64_t *bytes, double *cpu)
{
    double cpu0 = cpu_seconds();
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    FILE *f = fopen(path, "rb");
    if (!f)
        die("%s: cannot open", path);
    static uint8_t buf[1 << 20];
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    size_t n;
    *bytes = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        EVP_DigestUpdate(md, buf, n);
        *bytes += n;
    }
    fclose(f);
    uint8_t h[PV_HASH_LEN];
    EVP_DigestFinal_ex(md, h, NULL);
    EVP_MD_CTX_free(md);
    *cpu = cpu_seconds() - cpu0;
    return seconds_since(&t0);
}

typedef struct decode_s {
    pv_arena_t arena;
    uint64_t records, failed;
} decode_t;

static int decode_cb(void *ctx, const pv_kafka_msg_t *msg)
{
    decode_t *d = ctx;
    pv_record_t rec;
    char err[256];
    if (pv_record_decode(msg->value, msg->value_len, &d->arena, &rec, err, sizeof err) != 0)
        d->failed++;
    if (++d->records % 4096 == 0)
        pv_arena_reset(&d->arena);
    return 0;
}

static double run_decode(const char *path, uint64_t *records, double *cpu)
{
    double cpu0 = cpu_seconds();
    char err[512];
    decode_t d = {0};
    pv_arena_init(&d.arena, 256 * 1024);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (pv_archive_read(path, -1, decode_cb, &d, err, sizeof err) < 0)
        die("reading %s: %s", path, err);
    double s = seconds_since(&t0);
    *cpu = cpu_seconds() - cpu0;
    pv_arena_close(&d.arena);
    if (d.failed)
        die("%" PRIu64 " records do not decode", d.failed);
    *records = d.records;
    return s;
}

/* `pravah audit verify --archive` as a child; its summary line in out. Returns wall seconds. */
static double child_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
           ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

static double run_verify(const char *path, const char *schemas, const char *extra, char *summary,
                         size_t len, int *status, double *cpu)
{
    char cmd[16384], log[4200], line[1024];
    snprintf(log, sizeof log, "%s.verify.log", path);
    snprintf(cmd, sizeof cmd, "'%s' audit verify --archive '%s' --schemas '%s' %s >'%s' 2>&1",
             PV_PRAVAH_BIN, path, schemas, extra, log);
    struct timespec t0;
    double cpu0 = child_cpu();
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = system(cmd);
    double s = seconds_since(&t0);
    *cpu = child_cpu() - cpu0;
    *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
    summary[0] = 0;
    FILE *f = fopen(log, "r");
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, " findings: ") || strncmp(line, "rules:", 6) == 0)
            snprintf(summary + strlen(summary), len - strlen(summary), "%s", line);
    if (f)
        fclose(f);
    if (*status == 0)
        unlink(log);
    else
        fprintf(stderr, "verify exited %d: see %s\n", *status, log);
    return s;
}

/* ---- main ---- */

typedef struct opts_s {
    size_t events, cases;
    uint64_t seed;
    const char *schemas, *keep;
} opts_t;

static void usage(void)
{
    fprintf(stderr, "usage: pv_bench_verify [--events N] [--cases N] [--seed S] [--schemas DIR] "
                    "[--keep FILE]\n");
    exit(2);
}

static void parse_opts(int argc, char **argv, opts_t *o)
{
    *o = (opts_t){320000, 32000, 1, PV_SOURCE_DIR "/schemas", NULL};
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc)
            usage();
        char *end;
        unsigned long long v = strtoull(argv[i + 1], &end, 10);
        if (strcmp(argv[i], "--schemas") == 0)
            o->schemas = argv[i + 1];
        else if (strcmp(argv[i], "--keep") == 0)
            o->keep = argv[i + 1];
        else if (*end || end == argv[i + 1])
            usage();
        else if (strcmp(argv[i], "--events") == 0)
            o->events = (size_t)v;
        else if (strcmp(argv[i], "--cases") == 0)
            o->cases = (size_t)v;
        else if (strcmp(argv[i], "--seed") == 0)
            o->seed = v;
        else
            usage();
    }
    if (o->cases == 0 || o->events < o->cases)
        die("need --cases >= 1 and --events >= --cases");
}

/* The archive of the generated journal at path. Returns the records written. */
static uint64_t write_archive(const opts_t *o, const char *path)
{
    char err[1024], root[2 * PV_HASH_LEN + 1];
    pv_engine_config_t cfg = {"bench-salt"};
    pv_engine_t *eng = pv_engine_new(&cfg);
    pv_directory_t *dir = pv_directory_new();
    if (!eng || !dir || pv_load_schemas(eng, dir, o->schemas, err, sizeof err) != 0)
        die("%s", eng && dir ? err : "out of memory");
    world_t w;
    world_init(&w, dir);
    workload_t wl = {0};
    gen_t g = {.rng = {o->seed}, .w = &w, .wl = &wl};
    pv_buf_init(&g.pack);
    pv_time_t t0;
    pv_time_parse("2026-04-01T09:00:00+05:30", IST_MIN, &t0);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    workload_generate(&g, o->events, o->cases, t0);
    workload_order(&wl);
    pv_buf_close(&g.pack);
    sink_t s = {0};
    pv_buf_init(&s.out);
    if (!(s.w = pv_archive_writer_new(path, "pravah.journal", "{}", err, sizeof err)) ||
        pv_archive_writer_partition(s.w, 0, err, sizeof err) != 0)
        die("%s", err);
    pv_store_t *st = pv_store_new(eng, dir);
    make_journal(&wl, st, &s);
    if (pv_archive_writer_finish(s.w, root, err, sizeof err) != 0)
        die("%s", err);
    printf("%-18s %zu events on %zu cases -> %" PRIu64 " records, archived in %.1f s "
           "(RSS %.0f MB)\n",
           "journal", wl.n, o->cases, s.records, seconds_since(&ts), rss_mb());
    printf("%-18s %s (root %.16s...)\n", "archive", path, root);
    pv_archive_writer_free(s.w);
    pv_buf_close(&s.out);
    pv_store_free(st);
    workload_free(&wl);
    free(w.districts);
    free(w.ulbs);
    pv_engine_free(eng);
    pv_directory_free(dir);
    return s.records;
}

static double load_average(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f && fscanf(f, "%lf", &l) != 1)
        l = -1;
    if (f)
        fclose(f);
    return l;
}

int main(int argc, char **argv)
{
    opts_t o;
    parse_opts(argc, argv, &o);
    char path[4096];
    if (o.keep)
        snprintf(path, sizeof path, "%s", o.keep);
    else
        snprintf(path, sizeof path, "%s/pv_bench_verify.%d.tar",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
    printf("Pravah audit verify benchmark (seed %" PRIu64 ", load average %.2f on %ld cores)\n",
           o.seed, load_average(), sysconf(_SC_NPROCESSORS_ONLN));
    uint64_t written = write_archive(&o, path), bytes, decoded;
    double sha_cpu, sha_s = run_sha256(path, &bytes, &sha_cpu);
    double dec_cpu, ver_cpu;
    double dec_s = run_decode(path, &decoded, &dec_cpu);
    char summary[2048];
    int status;
    char chains[2048];
    int chains_status;
    double ch_cpu, ch_s = run_verify(path, o.schemas, "--no-rules", chains, sizeof chains,
                                     &chains_status, &ch_cpu);
    double ver_s = run_verify(path, o.schemas, "", summary, sizeof summary, &status, &ver_cpu);
    double dec_rps = (double)decoded / dec_s, ver_rps = (double)written / ver_s;
    printf("%-18s %.1f MB in %.3f s (%.3f s CPU): %.0f MB/s (%.0f records/s)\n",
           "sha256 of the file", (double)bytes / 1048576.0, sha_s, sha_cpu,
           (double)bytes / 1048576.0 / sha_s, (double)written / sha_s);
    printf("%-18s %" PRIu64 " records in %.3f s (%.3f s CPU): %.0f records/s\n", "read + decode",
           decoded, dec_s, dec_cpu, dec_rps);
    printf("%-18s %" PRIu64 " records in %.3f s (%.3f s CPU): %.0f records/s (%.2fx read + "
           "decode), %.0f records per CPU second\n",
           "pravah verify", written, ver_s, ver_cpu, ver_rps, ver_rps / dec_rps,
           (double)written / ver_cpu);
    printf("%-18s %" PRIu64 " records in %.3f s (%.3f s CPU): %.0f records/s, %.0f per CPU "
           "second\n",
           "  chains only", written, ch_s, ch_cpu, (double)written / ch_s,
           (double)written / ch_cpu);
    printf("%s", summary);
    printf("target %.0f records/s: %s\n", TARGET_RPS, ver_rps >= TARGET_RPS ? "PASS" : "FAIL");
    /* Keys as tests/bench/table.py reads them (records_per_s, baseline_per_s, ratio, target). */
    printf("BENCH name=verify records=%" PRIu64 " seconds=%.3f records_per_s=%.0f "
           "cpu_records_per_s=%.0f chains_only_per_s=%.0f baseline_per_s=%.0f ratio=%.3f "
           "sha256_mb_per_s=%.0f target=%s\n",
           written, ver_s, ver_rps, (double)written / ver_cpu, (double)written / ch_s, dec_rps,
           ver_rps / dec_rps, (double)bytes / 1048576.0 / sha_s,
           ver_rps >= TARGET_RPS ? "PASS" : "FAIL");
    char want[64];
    snprintf(want, sizeof want, " %" PRIu64 " records (", written);
    int bad = status > 1 || chains_status != 0 || decoded != written || !strstr(summary, want) ||
              !strstr(chains, want);
    if (bad)
        fprintf(stderr, "verify exit %d, %" PRIu64 " decoded, %" PRIu64 " written: %s\n", status,
                decoded, written, summary);
    if (!o.keep)
        unlink(path);
    return bad;
}
