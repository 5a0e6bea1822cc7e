/* `pravah broker`: the embedded development broker (librdkafka's mock cluster,
 * connectors/kafka_mock).
 *
 * Start, create Pravah's topics, publish the bootstrap address (file + stdout), then every second
 * check that no partition has dropped data, until SIGTERM/SIGINT. An optional control channel
 * (a FIFO or stdin) takes fault-injection commands from tests. Logs are JSON lines on stderr. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "cli.h"
#include "kafka_mock.h"
#include "pravah/common.h"

#define WATCH_INTERVAL_MS 1000
#define WATCH_QUERY_TIMEOUT_MS 2000
#define CONTROL_LINE_MAX 512

typedef struct broker_opts_s {
    int brokers, partitions;
    const char *addr_file, *prefix, *control;
} broker_opts_t;

typedef struct broker_s {
    broker_opts_t opt;
    pv_kafka_mock_t *mock;
    uv_loop_t *loop;
    uv_signal_t sigterm, sigint;
    uv_timer_t watch_timer;
    uv_work_t watch_work;
    int watch_failed; /* last check failed: log only on changes */
    char watch_err[512];
    int stopping, watch_busy;
    union {
        uv_pipe_t pipe;
        uv_tty_t tty;
    } control;
    int has_control, made_fifo;
    char line[CONTROL_LINE_MAX];
    size_t line_len;
    int line_too_long;
} broker_t;

/* ---- JSON log lines ---- */

/* One JSON object per line on stderr; `extra` (may be NULL) is merged in and released. Any thread:
 * stdio locks the stream per call, so lines from librdkafka's threads do not interleave. */
static void broker_log(const char *level, const char *msg, json_t *extra)
{
    char ts[40];
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof ts - n, ".%03ldZ", now.tv_nsec / 1000000);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "time", ts, "level", level, "component", "broker",
                          "msg", msg);
    if (extra) {
        json_object_update(o, extra);
        json_decref(extra);
    }
    char *text = json_dumps(o, JSON_COMPACT);
    if (text)
        fprintf(stderr, "%s\n", text);
    free(text);
    json_decref(o);
}

/* librdkafka's syslog levels to ours. Runs on librdkafka's threads. */
static void mock_log_cb(void *ctx, int level, const char *facility, const char *message)
{
    (void)ctx;
    const char *lv = level <= 3 ? "error" : level == 4 ? "warn" : level <= 6 ? "info" : "debug";
    broker_log(lv, message, json_pack("{s:s, s:s}", "source", "librdkafka", "facility", facility));
}

/* ---- options ---- */

static void broker_usage(FILE *out)
{
    fprintf(
        out,
        "usage: pravah broker [--brokers N] [--partitions N] [--addr-file PATH]\n"
        "                     [--topics-prefix PREFIX] [--control FIFO|-]\n\n"
        "Hosts the embedded development broker (librdkafka's in-memory mock cluster) until\n"
        "SIGTERM or SIGINT. It is ephemeral: see docs/BROKER.md before relying on it.\n\n"
        "  --brokers N          brokers in the cluster (default 3)\n"
        "  --partitions N       partitions of intake, journal, rejected, snapshots (default 6;\n"
        "                       directory always has 1)\n"
        "  --addr-file PATH     where to write the bootstrap address (default var/broker.addr)\n"
        "  --topics-prefix P    topic name prefix (default \"pravah.\")\n"
        "  --control PATH       read fault-injection commands from a FIFO (created if absent)\n"
        "                       or from stdin (\"-\"), one per line:\n"
        "                         down ID | up ID | rtt ID MS\n"
        "                         errors APIKEY COUNT ERRCODE | clear APIKEY\n"
        "                       APIKEY: Produce, Fetch, ... or a number; ERRCODE: a Kafka\n"
        "                       error name (NOT_LEADER_FOR_PARTITION) or number\n\n"
        "Prints \"bootstrap: HOST:PORT,...\" on stdout once the topics exist.\n");
}

/* A positive int option in [1, max], or -1. */
static int positive_arg(const char *s, int max)
{
    char *end;
    long v = strtol(s, &end, 10);
    return *s && !*end && v >= 1 && v <= max ? (int)v : -1;
}

static int broker_parse(int argc, char **argv, broker_opts_t *o)
{
    static const struct option longs[] = {
        {"brokers", required_argument, 0, 'b'},   {"partitions", required_argument, 0, 'p'},
        {"addr-file", required_argument, 0, 'a'}, {"topics-prefix", required_argument, 0, 't'},
        {"control", required_argument, 0, 'c'},   {0, 0, 0, 0}};
    *o = (broker_opts_t){3, 6, "var/broker.addr", "pravah.", NULL};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 'b':
            o->brokers = positive_arg(optarg, 64);
            break;
        case 'p':
            o->partitions = positive_arg(optarg, 10000);
            break;
        case 'a':
            o->addr_file = optarg;
            break;
        case 't':
            o->prefix = optarg;
            break;
        case 'c':
            o->control = optarg;
            break;
        default:
            return -1;
        }
    }
    if (optind < argc || o->brokers < 1 || o->partitions < 1 || !*o->addr_file) {
        fprintf(stderr, "pravah broker: %s\n",
                optind < argc ? "unexpected argument"
                              : "--brokers and --partitions need a "
                                "positive number");
        return -1;
    }
    return 0;
}

/* ---- topics and the address file ---- */

static int create_topics(broker_t *b)
{
    static const char *names[] = {"intake", "journal", "rejected", "directory", "snapshots"};
    char topic[256], err[512];
    json_t *list = json_object();
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        /* The directory is read in full by every advancer: one partition keeps it ordered. */
        int parts = strcmp(names[i], "directory") == 0 ? 1 : b->opt.partitions;
        snprintf(topic, sizeof topic, "%s%s", b->opt.prefix, names[i]);
        if (pv_kafka_mock_topic_create(b->mock, topic, parts, err, sizeof err) != 0) {
            broker_log("error", err, NULL);
            json_decref(list);
            return -1;
        }
        json_object_set_new(list, topic, json_integer(parts));
    }
    broker_log("info", "topics created", json_pack("{s:o}", "topics", list));
    return 0;
}

/* Creates the file's parent directory (one level: var/ by default) when missing. */
static void make_parent_dir(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        mkdir(dir, 0755);
    }
}

/* Write-then-rename, so a script polling for the file never reads half an address. */
static int write_addr_file(const char *path, const char *addr)
{
    char tmp[4200];
    make_parent_dir(path);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    int bad = fprintf(f, "%s\n", addr) < 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* ---- the low-watermark watch ---- */

/* Runs on the threadpool thread of the check (logging is thread-safe). */
static void dropped_cb(void *ctx, const char *topic, int32_t partition, int64_t low, int64_t high)
{
    broker_t *b = ctx;
    char msg[512], snapshots[256];
    /* Snapshots are a cache: only the newest matters, and a rebuild that finds none falls back to
     * the journal. Old ones pushed out by new ones are expected, not data loss. */
    snprintf(snapshots, sizeof snapshots, "%ssnapshots", b->opt.prefix);
    if (strcmp(topic, snapshots) == 0) {
        broker_log("info", "old snapshots dropped by the embedded broker's size limit (harmless)",
                   json_pack("{s:s, s:i, s:I}", "topic", topic, "partition", (int)partition,
                             "low_watermark", (json_int_t)low));
        return;
    }
    snprintf(msg, sizeof msg,
             "partition %d of topic %s dropped data: low watermark %lld > 0; the embedded broker "
             "is ephemeral \xe2\x80\x94 use a real Kafka cluster",
             (int)partition, topic, (long long)low);
    broker_log("error", msg,
               json_pack("{s:s, s:i, s:I, s:I}", "topic", topic, "partition", (int)partition,
                         "low_watermark", (json_int_t)low, "high_watermark", (json_int_t)high));
}

/* Runs on the threadpool thread of the check. */
static void adopted_cb(void *ctx, const char *topic, int partitions)
{
    (void)ctx;
    char msg[512];
    snprintf(msg, sizeof msg,
             "topic %s was created on first use with %d partitions: the embedded broker creates "
             "any topic a client names; check the topic names in your configuration",
             topic, partitions);
    broker_log("warn", msg, json_pack("{s:s, s:i}", "topic", topic, "partitions", partitions));
}

/* Off the loop thread: with a broker taken down by a fault test, queries wait for their timeout,
 * and the control channel must stay responsive meanwhile (to bring it back up). */
static void watch_work_cb(uv_work_t *req)
{
    broker_t *b = req->data;
    int rc = pv_kafka_mock_adopt_topics(b->mock, WATCH_QUERY_TIMEOUT_MS, adopted_cb, b,
                                        b->watch_err, sizeof b->watch_err);
    if (rc >= 0)
        rc = pv_kafka_mock_check_watermarks(b->mock, WATCH_QUERY_TIMEOUT_MS, dropped_cb, b,
                                            b->watch_err, sizeof b->watch_err);
    if (rc < 0 && !b->watch_failed)
        broker_log("warn", "low-watermark check failed", json_pack("{s:s}", "error", b->watch_err));
    else if (rc >= 0 && b->watch_failed)
        broker_log("info", "low-watermark check works again", NULL);
    b->watch_failed = rc < 0;
}

static void watch_timer_cb(uv_timer_t *t);

static void watch_after_cb(uv_work_t *req, int status)
{
    broker_t *b = req->data;
    (void)status;
    b->watch_busy = 0;
    if (!b->stopping)
        uv_timer_start(&b->watch_timer, watch_timer_cb, WATCH_INTERVAL_MS, 0);
}

static void watch_timer_cb(uv_timer_t *t)
{
    broker_t *b = t->data;
    if (b->stopping || b->watch_busy)
        return;
    b->watch_busy = 1;
    b->watch_work.data = b;
    uv_queue_work(b->loop, &b->watch_work, watch_work_cb, watch_after_cb);
}

/* ---- the control channel ---- */

/* The number after a command word, or -1. */
static long control_number(const char *s)
{
    char *end;
    if (!s)
        return -1;
    long v = strtol(s, &end, 10);
    return *s && !*end && v >= 0 ? v : -1;
}

/* Applies one command; returns 0 or a PV_E* code with why filled. */
static int control_apply(broker_t *b, char **w, int nw, char *why, size_t whylen)
{
    int rc = PV_EINVAL;
    if ((strcmp(w[0], "down") == 0 || strcmp(w[0], "up") == 0) && nw == 2) {
        long id = control_number(w[1]);
        rc = w[0][0] == 'd' ? pv_kafka_mock_broker_down(b->mock, (int32_t)id)
                            : pv_kafka_mock_broker_up(b->mock, (int32_t)id);
    } else if (strcmp(w[0], "rtt") == 0 && nw == 3) {
        rc = pv_kafka_mock_broker_rtt(b->mock, (int32_t)control_number(w[1]),
                                      (int)control_number(w[2]));
    } else if (strcmp(w[0], "errors") == 0 && nw == 4) {
        int api = pv_kafka_mock_api_key(w[1]), code = pv_kafka_mock_error_code(w[3]);
        long count = control_number(w[2]);
        if (api < 0 || code < 0 || count < 1) {
            snprintf(why, whylen, "unknown api key, count or error code");
            return PV_EINVAL;
        }
        rc = pv_kafka_mock_push_errors(b->mock, (int16_t)api, (size_t)count, code);
    } else if (strcmp(w[0], "clear") == 0 && nw == 2) {
        int api = pv_kafka_mock_api_key(w[1]);
        rc = api < 0 ? PV_EINVAL : pv_kafka_mock_clear_errors(b->mock, (int16_t)api);
    } else {
        snprintf(why, whylen,
                 "unknown command (down ID, up ID, rtt ID MS, "
                 "errors APIKEY COUNT ERRCODE, clear APIKEY)");
        return PV_EINVAL;
    }
    if (rc != 0)
        snprintf(why, whylen, "%s", pv_strerror(rc));
    return rc;
}

static void control_line(broker_t *b, char *line)
{
    char *w[8], *save = NULL, why[256] = "", copy[CONTROL_LINE_MAX];
    int nw = 0;
    snprintf(copy, sizeof copy, "%s", line);
    for (char *t = strtok_r(line, " \t\r", &save); t && nw < 8; t = strtok_r(NULL, " \t\r", &save))
        w[nw++] = t;
    if (nw == 0 || w[0][0] == '#')
        return;
    if (control_apply(b, w, nw, why, sizeof why) == 0)
        broker_log("info", "control command applied", json_pack("{s:s}", "command", copy));
    else
        broker_log("error", "control command failed",
                   json_pack("{s:s, s:s}", "command", copy, "error", why));
}

static void control_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    static char chunk[4096];
    (void)h;
    (void)suggested;
    *buf = uv_buf_init(chunk, sizeof chunk);
}

/* Splits the stream into lines; a line longer than CONTROL_LINE_MAX is dropped whole. */
static void control_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    broker_t *b = s->data;
    if (n < 0) {
        /* stdin closed: the broker keeps running, just without a control channel. */
        broker_log("info", "control channel closed", NULL);
        uv_read_stop(s);
        return;
    }
    for (ssize_t i = 0; i < n; i++) {
        char ch = buf->base[i];
        if (ch == '\n') {
            b->line[b->line_len] = '\0';
            if (b->line_too_long)
                broker_log("error", "control command too long", NULL);
            else
                control_line(b, b->line);
            b->line_len = 0;
            b->line_too_long = 0;
        } else if (b->line_len + 1 < sizeof b->line) {
            b->line[b->line_len++] = ch;
        } else {
            b->line_too_long = 1;
        }
    }
}

/* Opens PATH (a FIFO, created when missing) or stdin ("-"). A FIFO is opened read-write so that
 * writers may come and go (`echo down 1 > FIFO`) without the reader ever seeing end-of-file. */
static int control_open(broker_t *b, char *err, size_t errlen)
{
    int fd = 0;
    if (strcmp(b->opt.control, "-") != 0) {
        if (mkfifo(b->opt.control, 0600) == 0)
            b->made_fifo = 1;
        else if (errno != EEXIST)
            return snprintf(err, errlen, "%s: %s", b->opt.control, strerror(errno)), -1;
        fd = open(b->opt.control, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            return snprintf(err, errlen, "%s: %s", b->opt.control, strerror(errno)), -1;
    }
    uv_handle_type type = uv_guess_handle(fd);
    int rc = type == UV_TTY          ? uv_tty_init(b->loop, &b->control.tty, fd, 1)
             : type == UV_NAMED_PIPE ? uv_pipe_init(b->loop, &b->control.pipe, 0)
                                     : UV_EINVAL;
    b->has_control = rc == 0;
    b->control.pipe.data = b;
    if (rc == 0 && type == UV_NAMED_PIPE)
        rc = uv_pipe_open(&b->control.pipe, fd);
    if (rc == 0)
        rc = uv_read_start((uv_stream_t *)&b->control, control_alloc_cb, control_read_cb);
    if (rc != 0)
        snprintf(err, errlen, "%s: not usable as a control channel (a FIFO, pipe or terminal): %s",
                 b->opt.control, uv_strerror(rc));
    return rc == 0 ? 0 : -1;
}

/* ---- start and stop ---- */

/* Closes every handle; uv_run returns once they are closed and a check in flight is done. */
static void broker_close_handles(broker_t *b)
{
    b->stopping = 1;
    uv_close((uv_handle_t *)&b->sigterm, NULL);
    uv_close((uv_handle_t *)&b->sigint, NULL);
    uv_close((uv_handle_t *)&b->watch_timer, NULL);
    if (b->has_control)
        uv_close((uv_handle_t *)&b->control, NULL);
}

static void signal_cb(uv_signal_t *sig, int signum)
{
    broker_t *b = sig->data;
    broker_log("info", "stopping", json_pack("{s:s}", "signal", strsignal(signum)));
    broker_close_handles(b);
}

static int broker_start_loop(broker_t *b, char *err, size_t errlen)
{
    b->loop = uv_default_loop();
    uv_signal_init(b->loop, &b->sigterm);
    uv_signal_init(b->loop, &b->sigint);
    b->sigterm.data = b->sigint.data = b;
    uv_signal_start(&b->sigterm, signal_cb, SIGTERM);
    uv_signal_start(&b->sigint, signal_cb, SIGINT);
    uv_timer_init(b->loop, &b->watch_timer);
    b->watch_timer.data = b;
    /* One-shot, re-armed when a check completes, so checks never overlap. */
    uv_timer_start(&b->watch_timer, watch_timer_cb, WATCH_INTERVAL_MS, 0);
    return b->opt.control ? control_open(b, err, errlen) : 0;
}

static int broker_run(broker_t *b)
{
    char err[512];
    const char *addr = pv_kafka_mock_bootstraps(b->mock);
    if (create_topics(b) != 0)
        return 1;
    if (write_addr_file(b->opt.addr_file, addr) != 0) {
        snprintf(err, sizeof err, "%s: %s", b->opt.addr_file, strerror(errno));
        broker_log("error", "cannot write the address file", json_pack("{s:s}", "error", err));
        return 1;
    }
    if (broker_start_loop(b, err, sizeof err) != 0) {
        broker_log("error", err, NULL);
        broker_close_handles(b);
        unlink(b->opt.addr_file);
        return 1;
    }
    broker_log("info", "broker ready",
               json_pack("{s:s, s:i, s:s}", "bootstrap", addr, "brokers", b->opt.brokers,
                         "addr_file", b->opt.addr_file));
    printf("bootstrap: %s\n", addr);
    fflush(stdout);
    uv_run(b->loop, UV_RUN_DEFAULT);
    unlink(b->opt.addr_file);
    return 0;
}

int pv_cmd_broker(int argc, char **argv)
{
    broker_t b = {0};
    char err[512];
    /* A test harness that stops reading stdout must not kill the broker mid-run. */
    signal(SIGPIPE, SIG_IGN);
    if (pv_cli_wants_help(argc, argv)) {
        broker_usage(stdout);
        return 0;
    }
    if (broker_parse(argc, argv, &b.opt) != 0) {
        broker_usage(stderr);
        return 2;
    }
    b.mock = pv_kafka_mock_new(b.opt.brokers, mock_log_cb, &b, err, sizeof err);
    if (!b.mock) {
        broker_log("error", "cannot start the mock cluster", json_pack("{s:s}", "error", err));
        return 1;
    }
    int status = broker_run(&b);
    if (b.loop) {
        uv_run(b.loop, UV_RUN_DEFAULT); /* closes handles, waits for a check in flight */
        uv_loop_close(b.loop);
    }
    if (b.made_fifo)
        unlink(b.opt.control);
    pv_kafka_mock_free(b.mock);
    broker_log("info", "stopped", NULL);
    return status;
}
