/* `pravah demo` (what `make demo` runs; docs/DEMO.md): ninety days of Haryana in a few minutes,
 * through the real parts. Starts the embedded broker, a private PostgreSQL (scripts/pg), an
 * advancer on a simulated clock and a projector; plays the synthetic load (workers/loadgen.h)
 * day by day (demo_run.c); prints the dashboards, the rejections, the alerts and the audit
 * (demo_report.c); stops everything it started, Ctrl-C included, unless --keep.
 *
 * `pravah demo --walkthrough` is the engine walkthrough without any of that (demo_walkthrough.c).
 *
 * This file: options, starting and stopping the parts, signals. */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "demo.h"
#include "demo_metrics.h"
#include "pravah/calendar.h"

#define READY_S 60 /* a worker or the broker must be up within this */
/* The embedded broker keeps at most about 5 MiB per partition and silently drops the oldest
 * data beyond (docs/BROKER.md); a journal record is about 500 bytes. Partitions are sized so
 * that each holds at most PARTITION_BYTES of journal, uncompressed (the mock counts lz4-
 * compressed bytes: measured, a partition kept about 8 MB of uncompressed journal). */
#define RECORD_BYTES 500.0
#define RECORDS_PER_EVENT 1.2 /* alerts: about 15% of the events in 90 days */
#define PARTITION_BYTES (4.0 * 1024 * 1024)

volatile sig_atomic_t pv_demo_stop;

static char self_exe[4096]; /* this binary, for the children */

static void on_signal(int sig)
{
    (void)sig;
    pv_demo_stop = 1;
}

static void demo_usage(FILE *out)
{
    fprintf(out,
            "usage: pravah demo [--days N] [--ulbs N] [--districts N] [--events-per-day N]\n"
            "                   [--seed N] [--start DATE] [--step-minutes N]\n"
            "                   [--bootstrap HOST:PORT] [--pg CONNINFO] [--keep] [--script FILE]\n"
            "       pravah demo --walkthrough [SCRIPT.jsonl]\n\n"
            "Runs Haryana's offices for N simulated days (default 90) through the whole pipeline\n"
            "in a few minutes: the embedded broker, a private PostgreSQL, the advancer on a\n"
            "simulated clock and the projector; then prints the dashboards, the rejections by\n"
            "reason, the alerts, and runs `pravah audit verify` on the journal. Stops everything\n"
            "it started on exit (Ctrl-C included). Exit status 0 when the audit passes.\n\n"
            "  --days N            simulated days (default 90)\n"
            "  --ulbs N            urban local bodies with works, 1..88 (default 88)\n"
            "  --districts N       districts with e-Office and CM Window load, 1..22 (default 22)\n"
            "  --events-per-day N  mean events a simulated day (default 2000)\n"
            "  --seed N            the same seed plays the same events (default 1)\n"
            "  --start DATE        first simulated day (default 2026-04-01, IST)\n"
            "  --step-minutes N    widest clock step (default 60): the events of a step are\n"
            "                      accepted at the time of its last one\n"
            "  --partitions N      partitions of the embedded broker's topics (default: sized\n"
            "                      for the load, at most 4 MiB of journal each)\n"
            "  --bootstrap ADDR    a Kafka cluster with Pravah's topics instead of the embedded\n"
            "                      broker (use fresh topics: the demo's cases are its own)\n"
            "  --pg CONNINFO       a PostgreSQL database (libpq string or URI) instead of a\n"
            "                      private server (use an empty database)\n"
            "  --keep              leave the broker, PostgreSQL and the workers running at the\n"
            "                      end, to look further with psql; prints how to stop them\n"
            "  --script FILE       play a script ({\"at\": TIME, \"event\": {...}} lines, as the\n"
            "                      walkthrough's) instead of the generator\n"
            "  --walkthrough       the engine alone: a short story of cases, record by record\n");
}

/* ---- options ---- */

static int int_arg(const char *s, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

static int set_opt(pv_demo_opts_t *o, int c, const char *v)
{
    char *end;
    switch (c) {
    case 'd':
        return int_arg(v, 1, 366, &o->days);
    case 'u':
        return int_arg(v, 1, 88, &o->ulbs);
    case 'D':
        return int_arg(v, 1, 22, &o->districts);
    case 'm':
        return int_arg(v, 1, 24 * 60, &o->step_min);
    case 'P':
        return int_arg(v, 1, 256, &o->partitions);
    case 'e':
        o->events_per_day = strtod(v, &end);
        return *v && !*end && o->events_per_day > 0 ? 0 : -1;
    case 's':
        o->seed = strtoull(v, &end, 10);
        return *v && !*end ? 0 : -1;
    case 'S':
        return pv_time_parse(v, 330, &o->start) == 0 ? 0 : -1;
    case 'b':
        o->bootstrap = v;
        return *v ? 0 : -1;
    case 'p':
        o->pg = v;
        return 0;
    case 'f':
        o->script = v;
        return 0;
    case 'k':
        o->keep = 1;
        return 0;
    default:
        return -1;
    }
}

static int parse_opts(int argc, char **argv, pv_demo_opts_t *o)
{
    static const struct option longs[] = {{"days", required_argument, 0, 'd'},
                                          {"ulbs", required_argument, 0, 'u'},
                                          {"districts", required_argument, 0, 'D'},
                                          {"events-per-day", required_argument, 0, 'e'},
                                          {"seed", required_argument, 0, 's'},
                                          {"start", required_argument, 0, 'S'},
                                          {"step-minutes", required_argument, 0, 'm'},
                                          {"bootstrap", required_argument, 0, 'b'},
                                          {"pg", required_argument, 0, 'p'},
                                          {"script", required_argument, 0, 'f'},
                                          {"keep", no_argument, 0, 'k'},
                                          {"partitions", required_argument, 0, 'P'},
                                          {0, 0, 0, 0}};
    *o = (pv_demo_opts_t){.days = 90,
                          .ulbs = 88,
                          .districts = 22,
                          .events_per_day = 2000,
                          .seed = 1,
                          .step_min = 60,
                          .progress = isatty(1)};
    pv_time_parse("2026-04-01T00:00:00+05:30", 330, &o->start);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1)
        if (c == '?' || set_opt(o, c, optarg) != 0) {
            if (c != '?')
                fprintf(stderr, "pravah demo: bad value '%s' for %s\n", optarg, argv[optind - 1]);
            return -1;
        }
    if (optind < argc) {
        fprintf(stderr, "pravah demo: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (!o->partitions) {
        double bytes = o->days * o->events_per_day * RECORDS_PER_EVENT * RECORD_BYTES;
        o->partitions = (int)(bytes / PARTITION_BYTES) + 1;
        o->partitions = o->partitions < 6 ? 6 : o->partitions > 256 ? 256 : o->partitions;
    }
    return 0;
}

/* ---- the scratch directory ---- */

static int make_work(pv_demo_t *d)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(d->work, sizeof d->work, "%s/pravah-demo.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(d->work)) {
        fprintf(stderr, "pravah demo: cannot create a directory in %s: %s\n",
                tmp && *tmp ? tmp : "/tmp", strerror(errno));
        return -1;
    }
    d->made_work = 1;
    chmod(d->work, 0755); /* as root, the PostgreSQL server runs as `postgres` inside it */
    snprintf(d->clock_path, sizeof d->clock_path, "%s/clock", d->work);
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

/* ---- the parts ---- */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int spawn(pv_demo_t *d, pv_demo_proc_t *p, const char *name, char **argv)
{
    char log[1200], err[512];
    snprintf(log, sizeof log, "%s/%s.log", d->work, name);
    p->keep = d->opt.keep;
    if (pv_demo_proc_spawn(p, name, argv, d->work, log, err, sizeof err) != 0) {
        fprintf(stderr, "pravah demo: %s\n", err);
        return -1;
    }
    return 0;
}

/* Waits for a non-empty file while the process lives. */
static int wait_file(pv_demo_proc_t *p, const char *path, char *out, size_t outlen)
{
    for (int i = 0; i < READY_S * 20 && !pv_demo_stop && pv_demo_proc_alive(p); i++) {
        FILE *f = fopen(path, "r");
        int got = f && fgets(out, (int)outlen, f);
        if (f)
            fclose(f);
        if (got && out[0] && out[0] != '\n') {
            out[strcspn(out, "\r\n")] = '\0';
            return 0;
        }
        sleep_ms(50);
    }
    if (!pv_demo_stop) {
        fprintf(stderr, "pravah demo: %s did not start; its log (%s) ends:\n", p->name, p->log);
        pv_demo_proc_tail(p->log, 10);
    }
    return -1;
}

static int start_broker(pv_demo_t *d)
{
    char addr_file[1200], parts[16];
    snprintf(addr_file, sizeof addr_file, "%s/broker.addr", d->work);
    snprintf(parts, sizeof parts, "%d", d->opt.partitions);
    char *argv[] = {self_exe, "broker", "--addr-file", addr_file, "--partitions", parts, NULL};
    if (spawn(d, &d->broker, "broker", argv) != 0)
        return -1;
    return wait_file(&d->broker, addr_file, d->bootstrap, sizeof d->bootstrap);
}

/* "export PGHOST=DIR PGPORT=N PGDATABASE=pravah PGUSER=postgres" -> a libpq string. */
static int pg_conninfo(pv_demo_t *d, const char *env)
{
    char host[1100] = "", port[16] = "";
    const char *h = strstr(env, "PGHOST="), *p = strstr(env, "PGPORT=");
    if (!h || !p)
        return -1;
    snprintf(host, sizeof host, "%.*s", (int)strcspn(h + 7, " \n"), h + 7);
    snprintf(port, sizeof port, "%.*s", (int)strcspn(p + 7, " \n"), p + 7);
    snprintf(d->conninfo, sizeof d->conninfo, "host=%s port=%s dbname=pravah user=postgres", host,
             port);
    return 0;
}

static int start_pg(pv_demo_t *d)
{
    char env[2048], log[1200];
    snprintf(d->scripts_pg, sizeof d->scripts_pg, "%s/../scripts/pg", pv_cli_schemas_dir());
    if (access(d->scripts_pg, X_OK) != 0) {
        fprintf(stderr,
                "pravah demo: %s not found (it comes with the source tree); or pass --pg "
                "CONNINFO\n",
                d->scripts_pg);
        return -1;
    }
    snprintf(d->pgdir, sizeof d->pgdir, "%s/pg", d->work);
    snprintf(log, sizeof log, "%s/pg.log", d->work);
    char *argv[] = {d->scripts_pg, "start", d->pgdir, NULL};
    int st = pv_demo_proc_capture(argv, log, env, sizeof env, NULL);
    d->pg_started = 1; /* even half-started: `scripts/pg stop` is harmless */
    if (st != 0 || pg_conninfo(d, env) != 0) {
        fprintf(stderr, "pravah demo: scripts/pg start %s failed (status %d); %s ends:\n", d->pgdir,
                st, log);
        pv_demo_proc_tail(log, 10);
        return -1;
    }
    return 0;
}

static int start_project(pv_demo_t *d)
{
    char *argv[] = {self_exe,    "project",   "--bootstrap",    d->bootstrap, "--pg",
                    d->conninfo, "--migrate", "--metrics-port", "0",          NULL};
    return spawn(d, &d->project, "project", argv);
}

/* The advancer on the file clock, at the start; ready when its /metrics show that clock and no
 * lag. A port someone took meanwhile (metrics never answer) is retried with another. */
static int start_advance(pv_demo_t *d)
{
    char clock[1200], port[16];
    snprintf(clock, sizeof clock, "file:%s", d->clock_path);
    for (int attempt = 0; attempt < 3 && !pv_demo_stop; attempt++) {
        d->adv_port = pv_demo_free_port();
        snprintf(port, sizeof port, "%d", d->adv_port);
        /* Short idle batches and fetch waits: each clock step waits for a batch at the new
         * clock and for the step's events to be fetched (measured: 10 ms -> 35 ms a step) */
        char *argv[] = {self_exe,
                        "advance",
                        "--bootstrap",
                        d->bootstrap,
                        "--clock",
                        clock,
                        "--metrics-port",
                        port,
                        "--set",
                        "advance.batch_ms=5",
                        "--set",
                        "kafka.fetch.wait.max.ms=5",
                        NULL};
        if (spawn(d, &d->advance, "advance", argv) != 0)
            return -1;
        pv_demo_metrics_t m;
        for (int i = 0; i < 100 && pv_demo_proc_alive(&d->advance); i++) {
            if (pv_demo_metrics_get(d->adv_port, &m) == 0)
                return 0;
            sleep_ms(50);
        }
        pv_demo_proc_stop(&d->advance, 5000);
    }
    fprintf(stderr, "pravah demo: the advancer's /metrics did not answer; its log (%s) ends:\n",
            d->advance.log);
    pv_demo_proc_tail(d->advance.log, 10);
    return -1;
}

/* Lag 0 at the start clock: every intake partition is assigned, rebuilt and caught up. */
static int wait_advance_ready(pv_demo_t *d)
{
    pv_demo_metrics_t m = {0};
    if (pv_demo_clock_to(d, d->opt.start) != 0)
        return -1;
    for (int i = 0; i < READY_S * 20 && !pv_demo_stop; i++) {
        if (pv_demo_metrics_get(d->adv_port, &m) == 0 && m.lag == 0) {
            d->consumed_base = m.consumed;
            return 0;
        }
        sleep_ms(50);
    }
    fprintf(stderr, "pravah demo: the advancer did not catch up with intake (lag %lld)\n", m.lag);
    return -1;
}

static void print_parts(pv_demo_t *d)
{
    char start[32];
    pv_demo_time_short(d->opt.start, start);
    printf("Pravah demo: %d days of Haryana from %.10s on a simulated clock", d->opt.days, start);
    if (d->opt.script)
        printf(" (script %s)\n", d->opt.script);
    else
        printf(": %d ULBs, %d districts, about %.0f events a day, seed %llu\n", d->opt.ulbs,
               d->opt.districts, d->opt.events_per_day, (unsigned long long)d->opt.seed);
    if (d->opt.bootstrap)
        printf("  broker      %s\n", d->bootstrap);
    else
        printf("  broker      embedded, %d partitions a topic, %s\n", d->opt.partitions,
               d->bootstrap);
    printf("  PostgreSQL  %s\n", d->conninfo);
    printf("  advancer    clock file %s, metrics http://127.0.0.1:%d/metrics\n", d->clock_path,
           d->adv_port);
    printf("  projector   journal -> PostgreSQL\n  logs        %s/*.log\n", d->work);
    fflush(stdout);
}

static int start_all(pv_demo_t *d)
{
    if (make_work(d) != 0)
        return -1;
    if (d->opt.bootstrap)
        snprintf(d->bootstrap, sizeof d->bootstrap, "%s", d->opt.bootstrap);
    else if (start_broker(d) != 0)
        return -1;
    if (d->opt.pg)
        snprintf(d->conninfo, sizeof d->conninfo, "%s", d->opt.pg);
    else if (start_pg(d) != 0)
        return -1;
    char err[512];
    if (pv_demo_producer_open(d, err, sizeof err) != 0) {
        fprintf(stderr, "pravah demo: %s\n", err);
        return -1;
    }
    if (start_project(d) != 0 || start_advance(d) != 0)
        return -1;
    print_parts(d);
    return wait_advance_ready(d);
}

/* Workers first (they flush and commit), then the broker, then PostgreSQL. */
static void stop_all(pv_demo_t *d)
{
    pv_demo_proc_stop(&d->advance, 10000);
    pv_demo_proc_stop(&d->project, 10000);
    pv_demo_proc_stop(&d->broker, 10000);
    int pg_stopped = 1;
    if (d->pg_started) {
        char log[1200], out[256];
        char *argv[] = {d->scripts_pg, "stop", d->pgdir, NULL};
        snprintf(log, sizeof log, "%s/pg.log", d->work);
        pg_stopped = pv_demo_proc_capture(argv, log, out, sizeof out, NULL) == 0;
    }
    if (!pg_stopped) /* never pull the data directory from under a running server */
        fprintf(stderr, "pravah demo: `%s stop %s` failed; %s is left as it is (logs there)\n",
                d->scripts_pg, d->pgdir, d->work);
    else if (d->made_work)
        nftw(d->work, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* --keep: what is still running and how to stop it, workers first (they flush and commit;
 * an advancer whose broker is gone waits for it instead of exiting). */
static void print_keep(const pv_demo_t *d)
{
    int a = (int)d->advance.pid, p = (int)d->project.pid, b = (int)d->broker.pid;
    printf("\nStill running (--keep): advancer pid %d, projector pid %d", a, p);
    if (b)
        printf(", broker pid %d", b);
    if (d->pgdir[0])
        printf(", PostgreSQL in %s", d->pgdir);
    printf(".\nTo stop them:\n  kill %d %d; while kill -0 %d %d 2>/dev/null; do sleep 0.2; done\n",
           a, p, a, p);
    if (b)
        printf("  kill %d\n", b);
    if (d->pgdir[0])
        printf("  %s stop %s\n", d->scripts_pg, d->pgdir);
}

static void print_psql(const pv_demo_t *d)
{
    char asof[32];
    pv_time_format(d->end, 330, asof);
    printf("\n==== Look further ====\n");
    printf("  psql \"%s\"\n", d->conninfo);
    printf("    SET pravah.asof = '%s';  -- the views' \"today\": the simulated last day\n", asof);
    printf("    SELECT * FROM pravah.works_most_delayed;   -- also eoffice_pendency, "
           "grievances_by_officer,\n    -- litigation_due, alerts_open, case_status, case_levels "
           "(docs/PROJECTIONS.md)\n");
    printf("    SET ROLE pravah_dashboard;   -- what a dashboard may read: the views only\n");
    if (!d->opt.keep) {
        printf("  (everything is stopped now: run `pravah demo --keep` to leave it running)\n");
        return;
    }
    print_keep(d);
    printf("  rm -rf %s\n", d->work);
}

static int demo_main(pv_demo_t *d)
{
    int rc = start_all(d);
    if (rc == 0)
        rc = pv_demo_run(d);
    if (rc == 0) {
        int64_t secs = (pv_wall_ms() - d->wall_start_ms) / 1000;
        printf("\nRan %d simulated days in %lldm%02llds (%lld clock steps): %lld events sent (%lld "
               "meant to fail), %lld accepted, %lld rejected, %lld alerts raised by the clock.\n",
               d->opt.days, (long long)secs / 60, (long long)secs % 60, d->n.steps, d->n.published,
               d->n.expected_fail, d->n.applied, d->n.rejected, d->n.alerts);
        rc = pv_demo_report(d);
    }
    if (pv_demo_stop)
        fprintf(stderr, "\npravah demo: interrupted; stopping everything it started\n");
    else if (rc == 0)
        print_psql(d);
    return rc;
}

int pv_cmd_demo(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--walkthrough") == 0) {
            memmove(argv + i, argv + i + 1, (size_t)(argc - i) * sizeof *argv);
            return pv_demo_walkthrough(argc - 1, argv);
        }
    if (pv_cli_wants_help(argc, argv)) {
        demo_usage(stdout);
        return 0;
    }
    static pv_demo_t d; /* large; static keeps it off the stack */
    memset(&d, 0, sizeof d);
    if (parse_opts(argc, argv, &d.opt) != 0) {
        demo_usage(stderr);
        return 2;
    }
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    self_exe[n > 0 ? n : 0] = '\0';
    d.end = d.opt.start + (pv_time_t)d.opt.days * PV_DEMO_DAY_MS;
    d.wall_start_ms = pv_wall_ms();
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    int rc = demo_main(&d);
    if (d.producer)
        pv_producer_free(d.producer);
    if (!d.opt.keep || pv_demo_stop || rc != 0)
        stop_all(&d);
    pv_demo_expect_free(&d);
    return pv_demo_stop ? 130 : rc == 0 ? 0 : 1;
}
