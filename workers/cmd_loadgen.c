/* `pravah loadgen`: the synthetic load of Haryana's offices (loadgen.h) against any cluster, or
 * into a JSON-lines file that `pravah publish` reads (the same seed gives the same file).
 *
 * Publish mode sends what `pravah publish` would (binary mode, keyed by case id, idempotent
 * producer), paced by --rate, and reports sent / acknowledged / failed every few seconds on
 * stderr and once at the end on stdout. Event times start at the wall clock unless --start is
 * given. --clock-file PATH keeps a file clock (`pravah advance --clock file:PATH`) just ahead of
 * the events sent, so an advancer on that clock applies each event at (or a little after) its
 * simulated time. Exit status: 0, 1 when an event was not acknowledged, 2 on usage errors. */
#include <arpa/inet.h>
#include <getopt.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "config.h"
#include "kafka.h"
#include "loadgen.h"
#include "pravah/calendar.h"

#define LG_MAX_PROPS 64
#define LG_REPORT_MS 5000
#define LG_CLOCK_STEP_MS 60000 /* the file clock moves in whole simulated minutes */

typedef struct lg_opts_s {
    const char *config, *bootstrap, *addr_file, *topic, *out, *expect, *clock_file, *start;
    const char *follow; /* HOST:PORT of the advancer's /metrics: the clock waits for it */
    double lead_s;      /* how far (simulated seconds) the clock may run ahead of it */
    double rate;        /* events per second, 0: as fast as possible */
    double duration;    /* seconds of publishing, 0: the whole span */
    int timeout_s;
    pv_loadgen_config_t gen;
    char *props[LG_MAX_PROPS];
    size_t nprops;
} lg_opts_t;

typedef struct lg_s {
    lg_opts_t opt;
    pv_config_t *cfg;
    const char *topic;
    pv_producer_t *producer;
    pv_loadgen_t *gen;
    FILE *expect;
    unsigned long sent, acked, failed, unsent;
    int64_t t0_ms, last_report_ms;
    pv_time_t clock_written, at; /* the file clock's value; the time of the last event sent */
    int64_t advancer_ms;         /* the advancer's clock last seen (--follow) */
} lg_t;

static void lg_usage(FILE *out)
{
    fprintf(
        out,
        "usage: pravah loadgen [--out FILE.jsonl | [--bootstrap ADDR | --addr-file PATH]\n"
        "                      [--topic TOPIC] [--rate EVENTS_PER_S] [--duration S]\n"
        "                      [--clock-file PATH [--follow HOST:PORT] [--lead S]]\n"
        "                      [-X PROP=VALUE]...]\n"
        "                      [--days N] [--cases N] [--events-per-day N] [--mix LIST]\n"
        "                      [--ulbs N] [--districts N] [--rejects PERMILLE] [--seed N]\n"
        "                      [--start TIME] [--expect FILE] [--config FILE]\n\n"
        "Generates the synthetic load of Haryana's offices: works in the 88 urban local bodies\n"
        "(amounts in every delegation slab), e-Office files in the 22 DC offices, grievances and\n"
        "appointments, court cases, HRMS transfers, and attempts that must fail (over the money\n"
        "limit, a file closed by another desk, duplicates, malformed events). Deterministic by\n"
        "seed, in time order. Publishes to intake in Kafka binary mode, or writes --out.\n\n"
        "  --out FILE          write JSON lines (the input of `pravah publish`) instead\n"
        "  --expect FILE       write \"ID REASON DOMAIN TYPE\" for every event that must be\n"
        "                      refused (REASON as on the rejected topic)\n"
        "  --bootstrap ADDR    kafka.bootstrap.servers (default: --addr-file, var/broker.addr)\n"
        "  --topic TOPIC       default topics.intake, else pravah.intake\n"
        "  --rate N            events per second (default 0: as fast as possible)\n"
        "  --duration S        stop publishing after S seconds\n"
        "  --clock-file PATH   keep PATH (an advancer's --clock file:PATH) just ahead of the\n"
        "                      events sent, in simulated time\n"
        "  --follow HOST:PORT  with --clock-file: the advancer's metrics address. An event is\n"
        "                      sent once the advancer's pravah_clock_ms has reached its time,\n"
        "                      the clock moving --lead S (default 3600) simulated seconds ahead\n"
        "                      of it at a time: never early, at most about two leads late, and\n"
        "                      every deadline before it fired in an earlier batch. Start the\n"
        "                      load once the advancer owns its partitions\n"
        "  --days N            simulated span (default 90)\n"
        "  --cases N           exactly N cases (default: as many as --events-per-day needs)\n"
        "  --events-per-day N  mean events per simulated day (default 2000)\n"
        "  --mix LIST          works,efile,grievance,appointment,litigation,hrms (default all)\n"
        "  --ulbs N, --districts N  limit the offices with load (default 88, 22)\n"
        "  --rejects PERMILLE  events made to be refused (default 10; 0 for none)\n"
        "  --seed N            default 1\n"
        "  --start TIME        simulated start, RFC 3339 (default: now when publishing,\n"
        "                      2026-04-01T00:00:00+05:30 with --out)\n"
        "  --timeout S         how long to wait for acknowledgements (default 30)\n"
        "  -X PROP=VALUE       a librdkafka producer property; repeatable\n\n"
        "Prints \"N sent, M acknowledged, K failed\" and the mix; every 5 s the same on stderr.\n"
        "Exits 1 if an event was not acknowledged, 2 on usage errors.\n");
}

/* A number option: false when it is not a number in [lo, hi]. */
static bool lg_number(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool lg_option(lg_opts_t *o, int c, const char *arg)
{
    double v = 0;
    switch (c) {
    case 'b':
        o->bootstrap = arg;
        return true;
    case 'a':
        o->addr_file = arg;
        return true;
    case 't':
        o->topic = arg;
        return *arg != '\0';
    case 'o':
        o->out = arg;
        return true;
    case 'e':
        o->expect = arg;
        return true;
    case 'k':
        o->clock_file = arg;
        return true;
    case 'c':
        o->config = arg;
        return true;
    case 'S':
        o->start = arg;
        return true;
    case 'F':
        o->follow = arg;
        return strchr(arg, ':') != NULL;
    case 'L':
        return lg_number(arg, 1, 1e9, &o->lead_s);
    case 'r':
        return lg_number(arg, 0, 1e9, &o->rate);
    case 'd':
        return lg_number(arg, 0, 1e9, &o->duration);
    case 'T':
        return lg_number(arg, 1, 3600, &v) && (o->timeout_s = (int)v, true);
    case 'D':
        return lg_number(arg, 1, 3650, &v) && (o->gen.days = (int)v, true);
    case 'n':
        return lg_number(arg, 1, 1e8, &v) && (o->gen.cases = (long)v, true);
    case 'p':
        return lg_number(arg, 1, 1e8, &o->gen.events_per_day);
    case 'u':
        return lg_number(arg, 1, 1000, &v) && (o->gen.ulbs = (int)v, true);
    case 'w':
        return lg_number(arg, 1, 100, &v) && (o->gen.districts = (int)v, true);
    case 'R':
        return lg_number(arg, 0, 200, &v) && (o->gen.reject_permille = v ? (int)v : -1, true);
    case 's':
        return lg_number(arg, 0, 1e18, &v) && (o->gen.seed = (uint64_t)v, true);
    case 'm':
        return (o->gen.mix = pv_loadgen_parse_mix(arg)) != 0;
    case 'X':
        if (!strchr(arg, '=') || arg[0] == '=' || o->nprops >= LG_MAX_PROPS)
            return false;
        o->props[o->nprops++] = (char *)arg;
        return true;
    default:
        return false;
    }
}

static int lg_parse(int argc, char **argv, lg_opts_t *o)
{
    static const struct option longs[] = {
        {"bootstrap", required_argument, 0, 'b'}, {"addr-file", required_argument, 0, 'a'},
        {"topic", required_argument, 0, 't'},     {"out", required_argument, 0, 'o'},
        {"expect", required_argument, 0, 'e'},    {"clock-file", required_argument, 0, 'k'},
        {"config", required_argument, 0, 'c'},    {"start", required_argument, 0, 'S'},
        {"rate", required_argument, 0, 'r'},      {"duration", required_argument, 0, 'd'},
        {"timeout", required_argument, 0, 'T'},   {"days", required_argument, 0, 'D'},
        {"cases", required_argument, 0, 'n'},     {"events-per-day", required_argument, 0, 'p'},
        {"ulbs", required_argument, 0, 'u'},      {"districts", required_argument, 0, 'w'},
        {"rejects", required_argument, 0, 'R'},   {"seed", required_argument, 0, 's'},
        {"mix", required_argument, 0, 'm'},       {"follow", required_argument, 0, 'F'},
        {"lead", required_argument, 0, 'L'},      {0, 0, 0, 0}};
    int c;
    memset(o, 0, sizeof *o);
    o->addr_file = "var/broker.addr";
    o->timeout_s = 30;
    o->gen.seed = 1;
    o->lead_s = 3600;
    optind = 1;
    while ((c = getopt_long(argc, argv, "X:", longs, NULL)) != -1)
        if (!lg_option(o, c, optarg)) {
            if (c != '?')
                fprintf(stderr, "pravah loadgen: bad value '%s'\n", optarg ? optarg : "");
            return -1;
        }
    return optind < argc ? -1 : 0;
}

/* ---- generating ---- */

static int64_t lg_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int lg_generate(lg_t *lg)
{
    char err[512];
    pv_loadgen_config_t *c = &lg->opt.gen;
    c->schemas = pv_cli_schemas_dir();
    if (lg->opt.start && pv_time_parse(lg->opt.start, 330, &c->start) != 0) {
        fprintf(stderr, "pravah loadgen: --start %s: not an RFC 3339 time\n", lg->opt.start);
        return -1;
    }
    if (!lg->opt.start && !lg->opt.out)
        c->start = (pv_time_t)time(NULL) * 1000; /* publishing: from now */
    int64_t t0 = lg_now_ms();
    lg->gen = pv_loadgen_new(c, err, sizeof err);
    if (!lg->gen) {
        fprintf(stderr, "pravah loadgen: %s\n", err);
        return -1;
    }
    double s = (double)(lg_now_ms() - t0) / 1000.0;
    size_t n = pv_loadgen_summary(lg->gen)->events;
    fprintf(stderr, "pravah loadgen: generated %zu events in %.2f s (%.0f events/s)\n", n, s,
            s > 0 ? (double)n / s : 0.0);
    return 0;
}

static void lg_print_mix(const pv_loadgen_summary_t *sum, FILE *out)
{
    char first[32], last[32];
    pv_time_format(sum->first, 330, first);
    pv_time_format(sum->last, 330, last);
    fprintf(out, "span %s .. %s; %zu ULBs, %zu districts\n", first, last, sum->ulbs,
            sum->districts);
    for (int d = 0; d < PV_LOADGEN_NDOMAINS; d++)
        fprintf(out, "  %-12s %8zu cases %9zu events\n", pv_loadgen_domain_name(d), sum->cases[d],
                sum->domain_events[d]);
    fprintf(out, "expected: %zu accepted", sum->expected[PV_REJ_NONE]);
    for (int r = 1; r <= PV_REJ_PRECONDITION; r++)
        if (sum->expected[r])
            fprintf(out, ", %zu %s", sum->expected[r], pv_reject_code_name((pv_reject_code_t)r));
    fprintf(out, "\n");
}

/* With --expect: "ID REASON DOMAIN TYPE" for an event that must be refused. */
static void lg_note_expect(lg_t *lg, const pv_loadgen_event_t *ev)
{
    const pv_header_t *id = NULL, *type = NULL;
    if (!lg->expect || !ev->expect)
        return;
    for (size_t i = 0; i < ev->nheaders; i++) {
        if (strcmp(ev->headers[i].key, "ce_id") == 0)
            id = &ev->headers[i];
        else if (strcmp(ev->headers[i].key, "ce_type") == 0)
            type = &ev->headers[i];
    }
    if (id && type)
        fprintf(lg->expect, "%.*s %s %s %.*s\n", (int)id->value_len, (const char *)id->value,
                ev->expect, ev->domain, (int)type->value_len, (const char *)type->value);
}

static int lg_write_file(lg_t *lg)
{
    pv_loadgen_event_t ev;
    pv_buf_t line;
    int rc = 0;
    FILE *f = strcmp(lg->opt.out, "-") == 0 ? stdout : fopen(lg->opt.out, "w");
    if (!f) {
        perror(lg->opt.out);
        return 1;
    }
    pv_buf_init(&line);
    while (rc == 0 && pv_loadgen_next(lg->gen, &ev) == 0) {
        pv_buf_reset(&line);
        rc = pv_loadgen_event_json(&ev, &line);
        if (rc == 0 && fwrite(line.data, 1, line.len, f) != line.len)
            rc = -1;
        lg_note_expect(lg, &ev);
        lg->sent++;
    }
    pv_buf_close(&line);
    if ((f != stdout && fclose(f) != 0) || rc != 0) {
        fprintf(stderr, "pravah loadgen: error writing %s\n", lg->opt.out);
        return 1;
    }
    fprintf(f == stdout ? stderr : stdout, "%lu events written to %s\n", lg->sent, lg->opt.out);
    lg_print_mix(pv_loadgen_summary(lg->gen), f == stdout ? stderr : stdout);
    return 0;
}

/* ---- publishing ---- */

static int lg_configure(lg_t *lg)
{
    char err[512], key[300];
    if (!(lg->cfg = pv_config_new()))
        return -1;
    pv_config_set(lg->cfg, "topics.intake", "pravah.intake");
    if (lg->opt.config && pv_config_load_file(lg->cfg, lg->opt.config, err, sizeof err) != 0) {
        fprintf(stderr, "pravah loadgen: %s\n", err);
        return -1;
    }
    pv_config_apply_env(lg->cfg);
    for (size_t i = 0; i < lg->opt.nprops; i++) {
        const char *eq = strchr(lg->opt.props[i], '=');
        snprintf(key, sizeof key, "kafka.%.*s", (int)(eq - lg->opt.props[i]), lg->opt.props[i]);
        pv_config_set(lg->cfg, key, eq + 1);
    }
    if (lg->opt.bootstrap)
        pv_config_set(lg->cfg, "kafka.bootstrap.servers", lg->opt.bootstrap);
    pv_config_set(lg->cfg, "broker.addr_file", lg->opt.addr_file);
    pv_config_default_bootstrap(lg->cfg);
    lg->topic =
        lg->opt.topic ? lg->opt.topic : pv_config_get(lg->cfg, "topics.intake", "pravah.intake");
    if (!pv_config_get(lg->cfg, "kafka.bootstrap.servers", NULL)) {
        fprintf(stderr,
                "pravah loadgen: no kafka.bootstrap.servers configured and %s cannot be "
                "read (start `pravah broker`, or pass --bootstrap HOST:PORT)\n",
                lg->opt.addr_file);
        return -1;
    }
    return 0;
}

/* On the main thread, inside pv_producer_poll/flush. */
static void lg_delivery_cb(void *ctx, void *opaque, int err, const char *errstr, int32_t partition,
                           int64_t offset)
{
    lg_t *lg = ctx;
    (void)opaque, (void)partition, (void)offset;
    if (err == 0)
        lg->acked++;
    else if (lg->failed++ < 10)
        fprintf(stderr, "pravah loadgen: error: not acknowledged: %s\n", errstr);
}

static int lg_open_producer(lg_t *lg)
{
    char err[512], timeout[32];
    pv_kv_t props[LG_MAX_PROPS + 8];
    size_t n = 0;
    snprintf(timeout, sizeof timeout, "%d", lg->opt.timeout_s * 1000);
    props[n++] = (pv_kv_t){"message.timeout.ms", timeout};
    props[n++] = (pv_kv_t){"linger.ms", "5"};
    n += pv_config_kafka(lg->cfg, props + n, LG_MAX_PROPS);
    lg->producer = pv_producer_new(props, n, lg_delivery_cb, lg, err, sizeof err);
    if (!lg->producer) {
        fprintf(stderr, "pravah loadgen: %s\n", err);
        return -1;
    }
    if (pv_producer_partitions(lg->producer, lg->topic, 10000) < 1) {
        fprintf(stderr, "pravah loadgen: cannot find topic %s at %s (is the broker running?)\n",
                lg->topic, pv_config_get(lg->cfg, "kafka.bootstrap.servers", "?"));
        return -1;
    }
    return 0;
}

static void lg_report(lg_t *lg, FILE *out)
{
    char when[32];
    double s = (double)(lg_now_ms() - lg->t0_ms) / 1000.0;
    pv_time_format(lg->at, 330, when);
    fprintf(out, "%lu sent, %lu acknowledged, %lu failed (%.1f s, %.0f events/s, simulated %s)\n",
            lg->sent, lg->acked, lg->failed + lg->unsent, s, s > 0 ? (double)lg->sent / s : 0.0,
            when);
    fflush(out);
}

/* The advancer's pravah_clock_ms from its /metrics (HTTP/1.0 GET on a fresh connection), or -1. */
static int64_t lg_fetch_clock_ms(const char *hostport)
{
    static const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";
    char host[256], buf[65536];
    const char *colon = strrchr(hostport, ':');
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    int64_t v = -1;
    int fd = -1;
    size_t n = 0;
    ssize_t got;
    snprintf(host, sizeof host, "%.*s", (int)(colon - hostport), hostport);
    if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
        return -1;
    if ((fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol)) < 0 ||
        connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
        write(fd, req, sizeof req - 1) != (ssize_t)(sizeof req - 1))
        goto out;
    while (n < sizeof buf - 1 && (got = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)got;
    buf[n] = '\0';
    const char *m = strstr(buf, "\npravah_clock_ms ");
    if (m)
        v = strtoll(m + 17, NULL, 10);
out:
    if (fd >= 0)
        close(fd);
    freeaddrinfo(ai);
    return v;
}

static int lg_clock_write(lg_t *lg, pv_time_t t)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", lg->opt.clock_file);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%lld\n", (long long)t) < 0 || fclose(f) != 0 ||
        rename(tmp, lg->opt.clock_file) != 0) {
        perror(lg->opt.clock_file);
        return -1;
    }
    lg->clock_written = t;
    return 0;
}

/* With --follow: before an event at `at` is sent, the advancer must have published a clock at
 * or after it (every batch from then on reads a clock >= at: the event is never early, and every
 * deadline before it has fired in an earlier batch). Meanwhile the file clock is moved in steps
 * of --lead ahead of the advancer's, so the event is at most about two leads late. */
static int lg_follow(lg_t *lg, pv_time_t at)
{
    int64_t lead = (int64_t)(lg->opt.lead_s * 1000);
    while (lg->advancer_ms < at) {
        pv_time_t target = lg->advancer_ms + lead;
        if (target > lg->clock_written && lg_clock_write(lg, target) != 0)
            return -1;
        pv_producer_poll(lg->producer, 2);
        lg->advancer_ms = lg_fetch_clock_ms(lg->opt.follow);
        if (lg_now_ms() - lg->last_report_ms >= LG_REPORT_MS) {
            fprintf(stderr,
                    "pravah loadgen: waiting for the advancer at %s (its clock %lld ms, "
                    "the next event's %lld ms)\n",
                    lg->opt.follow, (long long)lg->advancer_ms, (long long)at);
            lg->last_report_ms = lg_now_ms();
        }
    }
    return 0;
}

/* Moves the file clock to the end of the event's simulated minute (with --follow, see
 * lg_follow): written to a temporary file, then renamed, so the advancer never reads half a
 * value. */
static int lg_clock_advance(lg_t *lg, pv_time_t at)
{
    pv_time_t want = (at / LG_CLOCK_STEP_MS + 1) * LG_CLOCK_STEP_MS;
    if (!lg->opt.clock_file)
        return 0;
    if (lg->opt.follow)
        return lg_follow(lg, at);
    return want > lg->clock_written ? lg_clock_write(lg, want) : 0;
}

/* Waits until the rate allows the next event. */
static void lg_pace(lg_t *lg)
{
    if (lg->opt.rate <= 0)
        return;
    for (;;) {
        int64_t due = lg->t0_ms + (int64_t)((double)lg->sent * 1000.0 / lg->opt.rate);
        int64_t now = lg_now_ms();
        if (now >= due)
            return;
        pv_producer_poll(lg->producer, (int)(due - now > 100 ? 100 : due - now));
    }
}

static int lg_send(lg_t *lg, const pv_loadgen_event_t *ev)
{
    int rc;
    while ((rc = pv_producer_send(lg->producer, lg->topic, -1, ev->key, ev->key_len, ev->value,
                                  ev->value_len, ev->headers, ev->nheaders, NULL)) ==
           PV_KAFKA_RETRIABLE)
        pv_producer_poll(lg->producer, 50);
    if (rc != 0) {
        fprintf(stderr, "pravah loadgen: error: not sent: %s\n",
                rc == PV_KAFKA_FATAL ? "fatal producer error" : "producer error");
        lg->unsent++;
        return -1;
    }
    lg->sent++;
    lg->at = ev->at;
    pv_producer_poll(lg->producer, 0);
    return 0;
}

static int lg_publish(lg_t *lg)
{
    pv_loadgen_event_t ev;
    if (lg_configure(lg) != 0 || lg_open_producer(lg) != 0)
        return 1;
    lg->t0_ms = lg->last_report_ms = lg_now_ms();
    if (lg->opt.clock_file && lg->opt.follow &&
        (lg->clock_written = lg->advancer_ms = lg_fetch_clock_ms(lg->opt.follow)) < 0) {
        fprintf(stderr,
                "pravah loadgen: no pravah_clock_ms at http://%s/metrics (is the advancer "
                "running?)\n",
                lg->opt.follow);
        return 1;
    }
    while (pv_loadgen_next(lg->gen, &ev) == 0) {
        int64_t now = lg_now_ms();
        if (lg->opt.duration > 0 && now - lg->t0_ms >= (int64_t)(lg->opt.duration * 1000))
            break;
        if (now - lg->last_report_ms >= LG_REPORT_MS) {
            lg_report(lg, stderr);
            lg->last_report_ms = now;
        }
        lg_pace(lg);
        if (lg_clock_advance(lg, ev.at) != 0 || lg_send(lg, &ev) != 0)
            break;
        lg_note_expect(lg, &ev);
    }
    if (pv_producer_flush(lg->producer, lg->opt.timeout_s * 1000 + 5000) != 0)
        fprintf(stderr, "pravah loadgen: error: %lu events still unacknowledged after %d s\n",
                lg->sent - lg->acked - lg->failed, lg->opt.timeout_s);
    lg_report(lg, stdout);
    lg_print_mix(pv_loadgen_summary(lg->gen), stdout);
    return lg->failed || lg->unsent || lg->acked < lg->sent;
}

static int lg_run(lg_t *lg)
{
    if (lg_generate(lg) != 0)
        return 1;
    if (lg->opt.expect && !(lg->expect = fopen(lg->opt.expect, "w"))) {
        perror(lg->opt.expect);
        return 1;
    }
    int status = lg->opt.out ? lg_write_file(lg) : lg_publish(lg);
    if (lg->expect && fclose(lg->expect) != 0) {
        perror(lg->opt.expect);
        status = 1;
    }
    lg->expect = NULL;
    return status;
}

int pv_cmd_loadgen(int argc, char **argv)
{
    lg_t lg;
    memset(&lg, 0, sizeof lg);
    if (pv_cli_wants_help(argc, argv)) {
        lg_usage(stdout);
        return 0;
    }
    if (lg_parse(argc, argv, &lg.opt) != 0) {
        lg_usage(stderr);
        return 2;
    }
    int status = lg_run(&lg);
    if (lg.producer)
        pv_producer_free(lg.producer);
    pv_loadgen_free(lg.gen);
    pv_config_free(lg.cfg);
    return status;
}
