/* `pravah demo`: the end of the run (demo.h). Waits until PostgreSQL holds the whole journal,
 * then prints the dashboards as their users would see them on the simulated last day (the
 * views measure ages and delays against pravah.asof, pinned here to the end of the run), the
 * rejections by reason, the alerts, and runs `pravah audit verify` on the journal. The run
 * fails when the audit fails or when the rejections are not exactly those the generator marked
 * (each for its reason, nothing else). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "demo.h"
#include "demo_table.h"
#include "pg.h"
#include "pravah/calendar.h"

#define JOURNAL "pravah.journal"
#define PROJECT_IDLE_S 120 /* no progress for this long: the projector is stuck */
#define AUDIT_OUT_MAX (1 << 20)

typedef struct view_s {
    const char *title, *headers, *sql, *empty;
} view_t;

/* The dashboards (schemas/sql/0003_views.sql). Amounts in lakh (1 lakh = Rs 100,000). */
static const view_t views[] = {
    {"Works by stage (view pravah.works_by_ulb_stage, all ULBs)",
     "stage|works|sanctioned (lakh)|delayed|avg delay (days)",
     "SELECT stage, sum(works), round(sum(sanctioned_value) / 1e5, 1), sum(delayed),"
     " round(sum(delayed * avg_delay_days) / nullif(sum(delayed), 0), 1)"
     " FROM pravah.works_by_ulb_stage GROUP BY stage ORDER BY min(stage_order)",
     "(no works)"},
    {"Works by ULB and stage, the 15 ULBs with the most delayed works (pravah.works_by_ulb_stage)",
     "ULB|kind|works|AA|FS|TS|tender|execution|bills|done|delayed|avg delay",
     "SELECT ulb_name, ulb_kind, sum(works),"
     " coalesce(sum(works) FILTER (WHERE stage = 'aa_pending'), 0),"
     " coalesce(sum(works) FILTER (WHERE stage = 'fs_pending'), 0),"
     " coalesce(sum(works) FILTER (WHERE stage = 'ts_pending'), 0),"
     " coalesce(sum(works) FILTER (WHERE stage = 'tender'), 0),"
     " coalesce(sum(works) FILTER (WHERE stage = 'execution'), 0),"
     " coalesce(sum(works) FILTER (WHERE stage = 'final_payment'), 0),"
     " coalesce(sum(works) FILTER (WHERE stage = 'completed'), 0), sum(delayed),"
     " round(sum(delayed * avg_delay_days) / nullif(sum(delayed), 0), 1)"
     " FROM pravah.works_by_ulb_stage GROUP BY ulb, ulb_name, ulb_kind"
     " ORDER BY sum(delayed) DESC, sum(works) DESC, ulb LIMIT 15",
     "(no works)"},
    {"The ten most delayed works (pravah.works_most_delayed)",
     "#|work|ULB|stuck at|pending with|officer|days late|lakh|escalated to",
     "SELECT rank, case_id, ulb_name, state, pending_with_role, officer_name, delay_days,"
     " round(coalesce(sanctioned_value, estimate_amount) / 1e5, 1), escalated_to"
     " FROM pravah.works_most_delayed ORDER BY rank",
     "(no work is past its deadline)"},
    {"e-Office pendency by desk, the 15 desks with the most files (pravah.eoffice_pendency)",
     "office|desk|officer|0-7 d|8-15 d|16-30 d|>30 d|pending|parked|oldest (d)",
     "SELECT office_name, desk, officer_name, age_0_7, age_8_15, age_16_30, age_over_30,"
     " pending, parked, oldest_days FROM ("
     " (SELECT 0 AS o, * FROM pravah.eoffice_pendency ORDER BY pending DESC, oldest_days DESC"
     "  NULLS LAST, desk LIMIT 15)"
     " UNION ALL SELECT 1, '', 'ALL DESKS', '', count(*)::text || ' desks', '', '', NULL,"
     "  sum(age_0_7), sum(age_8_15), sum(age_16_30), sum(age_over_30), sum(pending), sum(parked),"
     "  max(oldest_days) FROM pravah.eoffice_pendency) x ORDER BY o, pending DESC",
     "(no file pending)"},
    {"Grievances by officer, the 15 with the most breaches (pravah.grievances_by_officer)",
     "post|role|officer|open|breached|disposed|avg days|appeals|auto-appeals",
     "SELECT post, role, officer_name, open, breached, disposed, avg_days_to_dispose, appeals,"
     " auto_appeals FROM pravah.grievances_by_officer"
     " ORDER BY breached DESC, open DESC, post LIMIT 15",
     "(no grievances)"},
    {"Court dates due: replies and compliances overdue or due within 7 days "
     "(pravah.litigation_due)",
     "case|court|due|date|days left|status|with|officer",
     "SELECT case_number, court, due_kind, due_date, days_left, status, with_post, officer_name"
     " FROM pravah.litigation_due ORDER BY due_date, case_id LIMIT 20",
     "(nothing due)"},
    {"Alerts raised by the SLA clock (pravah.alerts)",
     "kind|level|alerts|still open|cases|first raised|last raised",
     "SELECT kind, level, count(*), count(*) FILTER (WHERE closed_at IS NULL),"
     " count(DISTINCT case_id), to_char(min(raised_at) AT TIME ZONE 'Asia/Kolkata', 'YYYY-MM-DD'),"
     " to_char(max(raised_at) AT TIME ZONE 'Asia/Kolkata', 'YYYY-MM-DD')"
     " FROM pravah.alerts GROUP BY kind, level ORDER BY kind, level",
     "(no alerts)"},
};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The journal's end: the sum over partitions of the high watermarks, i.e. what the projector's
 * stored offsets add up to once everything is in PostgreSQL. -1 on failure. */
static long long journal_end(pv_demo_t *d)
{
    char err[256];
    pv_kv_t props[] = {{"bootstrap.servers", d->bootstrap}, {"log_level", "3"}};
    int n = pv_producer_partitions(d->producer, JOURNAL, 10000);
    long long sum = 0;
    for (int p = 0; p < n; p++) {
        int64_t lo, hi;
        if (pv_kafka_watermarks(props, 2, JOURNAL, p, &lo, &hi, err, sizeof err) != 0) {
            fprintf(stderr, "pravah demo: %s partition %d: %s\n", JOURNAL, p, err);
            return -1;
        }
        sum += hi;
    }
    return n > 0 ? sum : -1;
}

static int one_value_cb(void *ctx, int ncols, const char *const *v)
{
    if (ncols > 0 && v[0])
        *(long long *)ctx = atoll(v[0]);
    return 0;
}

static long long stored_next(pv_pg_t *pg)
{
    char err[256];
    long long n = -1;
    if (!pv_pg_is_connected(pg) && pv_pg_connect(pg, err, sizeof err) != 0)
        return -1;
    pv_pg_query(pg,
                "SELECT coalesce(sum(next_offset), 0) FROM pravah.projector_offsets "
                "WHERE consumer_group = 'pravah-project' AND topic = 'pravah.journal'",
                0, NULL, one_value_cb, &n, err, sizeof err);
    return n;
}

/* Until PostgreSQL holds every journal record (the projector's offsets reach the journal's
 * end), showing how far it is. */
static int wait_projected(pv_demo_t *d, pv_pg_t *pg)
{
    long long end = journal_end(d), at = -1, last = -2;
    int64_t moved = pv_wall_ms();
    while (end >= 0 && !pv_demo_stop) {
        at = stored_next(pg);
        if (at != last)
            moved = pv_wall_ms();
        if (at != last && (d->opt.progress || at == end))
            printf("%sPostgreSQL: %lld of %lld journal records projected%s",
                   d->opt.progress ? "\r" : "", at < 0 ? 0 : at, end,
                   at == end || !d->opt.progress ? "\n" : "  ");
        fflush(stdout);
        last = at;
        if (at >= end)
            return 0;
        if (!pv_demo_proc_alive(&d->project)) {
            fprintf(stderr, "\npravah demo: the projector exited (status %d); its log ends:\n",
                    d->project.status);
            pv_demo_proc_tail(d->project.log, 10);
            return -1;
        }
        if (pv_wall_ms() - moved > PROJECT_IDLE_S * 1000) {
            fprintf(stderr, "\npravah demo: the projector made no progress for %d s (log: %s)\n",
                    PROJECT_IDLE_S, d->project.log);
            return -1;
        }
        sleep_ms(200);
    }
    return -1;
}

static int print_views(pv_demo_t *d, pv_pg_t *pg)
{
    char err[512], asof[32], sql[96];
    pv_time_format(d->end, 330, asof);
    snprintf(sql, sizeof sql, "SET pravah.asof = '%s'", asof);
    if (pv_pg_exec(pg, sql, err, sizeof err) != 0) {
        fprintf(stderr, "pravah demo: %s\n", err);
        return -1;
    }
    printf("\n==== The dashboards on %.10s, the simulated last day (times in IST) ====\n", asof);
    for (size_t i = 0; i < sizeof views / sizeof views[0]; i++)
        if (pv_demo_table_print(pg, stdout, views[i].title, views[i].headers, views[i].sql,
                                views[i].empty, err, sizeof err) < 0) {
            fprintf(stderr, "pravah demo: %s: %s\n", views[i].title, err);
            return -1;
        }
    return 0;
}

/* The audit's output: its summary lines, and the first few findings (there may be many). */
static void print_audit_lines(const char *out)
{
    int findings = 0, others = 0;
    for (const char *p = out; *p; p += strcspn(p, "\n"), p += *p == '\n') {
        int len = (int)strcspn(p, "\n");
        int is_finding = strncmp(p, "FINDING", 7) == 0;
        if (len && (is_finding ? findings++ < 5 : others++ < 20))
            printf("  %.*s\n", len, p);
    }
    if (findings > 5)
        printf("  ... %d findings in all\n", findings);
}

/* `pravah audit verify` on the journal, run as a separate process of this very binary. */
static int run_audit(pv_demo_t *d)
{
    char log[1200];
    char *out = malloc(AUDIT_OUT_MAX);
    char *argv[] = {"/proc/self/exe", "audit", "verify", "--bootstrap", d->bootstrap, NULL};
    snprintf(log, sizeof log, "%s/audit.log", d->work);
    int status = out ? pv_demo_proc_capture(argv, log, out, AUDIT_OUT_MAX, &pv_demo_stop) : -1;
    printf("\n==== Audit: pravah audit verify --bootstrap %s ====\n", d->bootstrap);
    if (out)
        print_audit_lines(out);
    printf("  %s\n",
           status == 0 ? "PASSED: every seal, case chain and partition chain verifies" : "FAILED");
    if (status != 0)
        pv_demo_proc_tail(log, 5);
    free(out);
    return status == 0 ? 0 : -1;
}

/* The embedded broker logs (once per partition) when it dropped the oldest data of a partition:
 * then the journal is incomplete and the audit cannot pass. Returns the number of such lines. */
static int broker_dropped(const pv_demo_t *d)
{
    FILE *f = d->broker.log[0] ? fopen(d->broker.log, "r") : NULL;
    char line[2048];
    int n = 0;
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "dropped data") && n++ == 0)
            fprintf(stderr,
                    "pravah demo: the embedded broker dropped data (%s): run with more "
                    "--partitions or against a real cluster (--bootstrap)\n  %s",
                    d->broker.log, line);
    if (f)
        fclose(f);
    return n;
}

int pv_demo_report(pv_demo_t *d)
{
    pv_pg_t *pg = pv_pg_new(d->conninfo);
    char err[512];
    int rc = -1;
    long mismatches = 0;
    if (!pg || pv_pg_connect(pg, err, sizeof err) != 0) {
        fprintf(stderr, "pravah demo: PostgreSQL: %s\n", pg ? err : "out of memory");
        goto out;
    }
    if (wait_projected(d, pg) != 0 || print_views(d, pg) != 0)
        goto out;
    mismatches = pv_demo_rejections_print(d);
    rc = run_audit(d) == 0 && mismatches == 0 && broker_dropped(d) == 0 ? 0 : -1;
    if (mismatches != 0)
        fprintf(stderr,
                "pravah demo: FAILED: %s (the generator marks exactly the events that must be "
                "refused, and why; see MISMATCH above)\n",
                mismatches < 0 ? "the rejected topic could not be read"
                               : "the rejections differ from the generator's expectations");
out:
    pv_pg_free(pg);
    return rc;
}
