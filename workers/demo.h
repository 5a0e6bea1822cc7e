/* `pravah demo` (docs/DEMO.md): the whole pipeline on a simulated clock. Shared by the demo's
 * files: cmd_demo.c (options, start and stop), demo_proc.c (child processes), demo_metrics.c
 * (the advancer's /metrics), demo_source.c (the events), demo_run.c (the simulated days),
 * demo_report.c (the dashboards, alerts and the audit at the end), demo_rejections.c (the
 * rejections by reason), demo_table.c (tables from SQL) and demo_walkthrough.c (the engine
 * walkthrough, `--walkthrough`).
 *
 * Ownership: a pv_demo_t is a stack object of pv_cmd_demo; it owns its children, its producer
 * and its scratch directory, and borrows its option strings from argv. Single-threaded (the
 * producer's delivery callbacks run on the same thread, inside poll and flush). */
#ifndef PRAVAH_DEMO_H
#define PRAVAH_DEMO_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "demo_proc.h"
#include "kafka.h"
#include "pravah/common.h"

#define PV_DEMO_DAY_MS (24LL * 3600 * 1000)

typedef struct pv_demo_opts_s {
    int days, ulbs, districts;
    double events_per_day;
    uint64_t seed;
    int step_min;          /* the widest clock step, in simulated minutes */
    int partitions;        /* of the embedded broker's topics (0: sized by the load) */
    pv_time_t start;       /* simulated start */
    const char *bootstrap; /* a real cluster: no embedded broker */
    const char *pg;        /* a real PostgreSQL: no private server */
    const char *script;    /* events from a walkthrough-format script instead of the generator */
    const char *dir;       /* scratch directory (default: a new one under $TMPDIR or /tmp) */
    int keep;              /* leave broker, PostgreSQL and workers running at the end */
    int progress;          /* 1 bar (terminal), 0 plain lines */
} pv_demo_opts_t;

/* What the run counted, from the advancer's /metrics and from what the demo sent. */
typedef struct pv_demo_counts_s {
    long long published, acked, expected_fail;
    long long consumed, applied, rejected, alerts, lag;
    long long steps; /* clock steps taken */
    pv_time_t clock;
} pv_demo_counts_t;

typedef struct pv_demo_s {
    pv_demo_opts_t opt;
    char work[1024];      /* scratch directory */
    int made_work;        /* created by us: removed at the end unless --keep */
    char bootstrap[1024]; /* the cluster's address */
    char conninfo[1200];  /* PostgreSQL */
    char pgdir[1100];     /* the private server's directory, "" when --pg */
    int pg_started;
    char clock_path[1100]; /* the advancer's clock file */
    char scripts_pg[4096]; /* path of scripts/pg */
    int adv_port;          /* the advancer's /metrics port */
    pv_demo_proc_t broker, advance, project;
    pv_producer_t *producer;
    pv_demo_counts_t n;
    long long consumed_base; /* consumed before the first event (a real cluster may hold more) */
    long long delivery_failed;
    struct pv_demo_expect_s *expect; /* ids of the events expected to fail (demo_report.c) */
    pv_time_t end;                   /* start + days */
    int64_t wall_start_ms;
} pv_demo_t;

/* Set by SIGINT, SIGTERM and SIGHUP: every wait returns early. */
extern volatile sig_atomic_t pv_demo_stop;

/* demo_run.c: plays the events on the simulated clock; 0 or -1 (message printed). */
int pv_demo_run(pv_demo_t *d);
/* demo_run.c: moves the clock file to t and waits until the advancer shows it. */
int pv_demo_clock_to(pv_demo_t *d, pv_time_t t);
/* demo_report.c: waits for the projector, prints the views, rejections, alerts, runs the
 * audit; 0 when everything passed. */
int pv_demo_report(pv_demo_t *d);
/* demo_report.c: remembers that the event (key, ce_id) should be rejected for `why`. */
void pv_demo_expect_add(pv_demo_t *d, const char *key, size_t key_len, const char *id,
                        size_t id_len, const char *why);
void pv_demo_expect_free(pv_demo_t *d);
/* demo_rejections.c: prints the rejected topic by reason next to the generator's expectations;
 * returns the number of mismatches (a marked attempt accepted, refused for another reason, or an
 * unmarked event refused), or -1 when the topic is unreadable. */
long pv_demo_rejections_print(pv_demo_t *d);
/* demo_run.c: the producer of intake events (d->producer); 0 or -1 with err filled. */
int pv_demo_producer_open(pv_demo_t *d, char *err, size_t errlen);
/* demo_walkthrough.c: the engine walkthrough (no broker): `pravah demo --walkthrough`. */
int pv_demo_walkthrough(int argc, char **argv);

/* A timestamp in IST, "2026-04-01 10:00". */
void pv_demo_time_short(pv_time_t t, char out[32]);

#endif
