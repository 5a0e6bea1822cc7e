/* `pravah publish`: validate structured CloudEvents locally, then publish them to intake in Kafka
 * binary mode (ce_* headers, msgpack data, keyed by case id), and wait for every acknowledgement.
 *
 * Input: JSON lines (one event per line, the format of pv_event_decode_json) or a stream of msgpack
 * maps with the same attributes. A bad event is reported as "line N: error: FIELD: MESSAGE" (or
 * "event N: ..." for msgpack) and not sent; the exit status is 1 if any event was invalid or not
 * acknowledged, 2 for usage errors. */
#include <getopt.h>
#include <msgpack.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "kafka.h"
#include "pravah/event.h"

#define PUBLISH_MAX_PROPS 64
#define METADATA_TIMEOUT_MS 10000

typedef struct publish_opts_s {
    const char *config, *bootstrap, *addr_file, *topic, *input;
    int msgpack; /* --format msgpack */
    int timeout_s;
    char *props[PUBLISH_MAX_PROPS]; /* -X PROP=VALUE, borrowed from argv */
    size_t nprops;
} publish_opts_t;

typedef struct publish_s {
    publish_opts_t opt;
    pv_config_t *cfg;  /* kafka.*, topics.intake: file, then environment, then command line */
    const char *topic; /* borrowed from opt or cfg */
    const char *unit;  /* "line" or "event": how errors name their position */
    pv_producer_t *producer;
    pv_arena_t arena;
    unsigned long sent, acked, invalid, unsent;
} publish_t;

static void publish_usage(FILE *out)
{
    fprintf(
        out,
        "usage: pravah publish [--config FILE] [--bootstrap ADDR | --addr-file PATH]\n"
        "                      [--topic TOPIC] [--format json|msgpack] [--timeout SECONDS]\n"
        "                      [-X PROP=VALUE]... [FILE|-]\n\n"
        "Validates structured CloudEvents (JSON lines, or a stream of msgpack maps) and publishes\n"
        "the valid ones to TOPIC in Kafka binary mode: keyed by the subject (case id), ce_*\n"
        "headers, msgpack data. Reads stdin without FILE or with -.\n\n"
        "  --config FILE      the workers' YAML config (kafka.*, topics.intake); environment\n"
        "                     PRAVAH_KAFKA_* and PRAVAH_TOPICS_INTAKE override it\n"
        "  --bootstrap ADDR   kafka.bootstrap.servers (default: the contents of --addr-file,\n"
        "                     var/broker.addr, written by `pravah broker`)\n"
        "  --topic TOPIC      default topics.intake, else pravah.intake\n"
        "  --timeout SECONDS  how long to wait for acknowledgements (default 30)\n"
        "  -X PROP=VALUE      a librdkafka producer property (TLS, SASL, ...); repeatable\n\n"
        "Bad events: \"line N: error: FIELD: MESSAGE\" on stderr, not sent. Prints\n"
        "\"N sent, M acknowledged, K invalid\"; exits 1 if any event was invalid or not\n"
        "acknowledged, 2 on usage errors.\n");
}

static int publish_parse(int argc, char **argv, publish_opts_t *o)
{
    static const struct option longs[] = {{"bootstrap", required_argument, 0, 'b'},
                                          {"addr-file", required_argument, 0, 'a'},
                                          {"topic", required_argument, 0, 't'},
                                          {"format", required_argument, 0, 'f'},
                                          {"timeout", required_argument, 0, 'T'},
                                          {"config", required_argument, 0, 'c'},
                                          {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->addr_file = "var/broker.addr";
    o->timeout_s = 30;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "X:", longs, NULL)) != -1) {
        if (c == 'b')
            o->bootstrap = optarg;
        else if (c == 'a')
            o->addr_file = optarg;
        else if (c == 't')
            o->topic = optarg;
        else if (c == 'T')
            o->timeout_s = atoi(optarg);
        else if (c == 'c')
            o->config = optarg;
        else if (c == 'f' && (strcmp(optarg, "json") == 0 || strcmp(optarg, "msgpack") == 0))
            o->msgpack = optarg[0] == 'm';
        else if (c == 'X' && strchr(optarg, '=') && optarg[0] != '=' &&
                 o->nprops < PUBLISH_MAX_PROPS)
            o->props[o->nprops++] = optarg;
        else
            return -1;
    }
    if (argc - optind > 1 || o->timeout_s < 1 || (o->topic && !*o->topic))
        return -1;
    o->input = optind < argc ? argv[optind] : "-";
    return 0;
}

/* The embedded broker's address, when nothing else names a cluster. */
static int publish_default_bootstrap(publish_t *pb)
{
    char line[4096];
    FILE *f = fopen(pb->opt.addr_file, "r");
    if (!f || !fgets(line, sizeof line, f)) {
        fprintf(stderr,
                "pravah publish: no kafka.bootstrap.servers configured and %s %s (start `pravah "
                "broker`, or pass --bootstrap HOST:PORT)\n",
                pb->opt.addr_file, f ? "is empty" : "cannot be read");
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    return pv_config_set(pb->cfg, "kafka.bootstrap.servers", line) == 0 ? 0 : -1;
}

/* Config file, then environment, then -X and --bootstrap, then the address file as a fallback:
 * the same order of precedence for every worker, so a real cluster needs no code change. */
static int publish_configure(publish_t *pb)
{
    char err[512], key[300];
    if (!(pb->cfg = pv_config_new()))
        return -1;
    pv_config_set(pb->cfg, "topics.intake", "pravah.intake"); /* known, so env can override */
    if (pb->opt.config && pv_config_load_file(pb->cfg, pb->opt.config, err, sizeof err) != 0) {
        fprintf(stderr, "pravah publish: %s\n", err);
        return -1;
    }
    pv_config_apply_env(pb->cfg);
    for (size_t i = 0; i < pb->opt.nprops; i++) {
        const char *eq = strchr(pb->opt.props[i], '=');
        snprintf(key, sizeof key, "kafka.%.*s", (int)(eq - pb->opt.props[i]), pb->opt.props[i]);
        pv_config_set(pb->cfg, key, eq + 1);
    }
    if (pb->opt.bootstrap)
        pv_config_set(pb->cfg, "kafka.bootstrap.servers", pb->opt.bootstrap);
    pb->topic =
        pb->opt.topic ? pb->opt.topic : pv_config_get(pb->cfg, "topics.intake", "pravah.intake");
    if (!pv_config_get(pb->cfg, "kafka.bootstrap.servers", NULL))
        return publish_default_bootstrap(pb);
    return 0;
}

/* ---- the producer ---- */

/* On the main thread, inside pv_producer_poll/flush. opaque is the event's line number. */
static void publish_delivery_cb(void *ctx, void *opaque, int err, const char *errstr,
                                int32_t partition, int64_t offset)
{
    publish_t *pb = ctx;
    (void)partition;
    (void)offset;
    if (err == 0)
        pb->acked++;
    else
        fprintf(stderr, "%s %lu: error: not acknowledged: %s\n", pb->unit,
                (unsigned long)(uintptr_t)opaque, errstr);
}

static int publish_open_producer(publish_t *pb)
{
    char err[512], timeout[32];
    pv_kv_t props[PUBLISH_MAX_PROPS + 1];
    size_t n = 0;
    snprintf(timeout, sizeof timeout, "%d", pb->opt.timeout_s * 1000);
    /* Ours first, so configured properties override it. message.timeout.ms bounds how long an
     * unreachable broker keeps us waiting (librdkafka's default is five minutes). */
    props[n++] = (pv_kv_t){"message.timeout.ms", timeout};
    n += pv_config_kafka(pb->cfg, props + n, PUBLISH_MAX_PROPS);
    pb->producer = pv_producer_new(props, n, publish_delivery_cb, pb, err, sizeof err);
    if (!pb->producer) {
        fprintf(stderr, "pravah publish: %s\n", err);
        return -1;
    }
    /* Fail early and clearly when the broker is not there or the topic is missing, rather than
     * after every message times out. */
    int wait_ms = pb->opt.timeout_s * 1000 < METADATA_TIMEOUT_MS ? pb->opt.timeout_s * 1000
                                                                 : METADATA_TIMEOUT_MS;
    if (pv_producer_partitions(pb->producer, pb->topic, wait_ms) < 1) {
        fprintf(stderr, "pravah publish: cannot find topic %s at %s (is the broker running?)\n",
                pb->topic, pv_config_get(pb->cfg, "kafka.bootstrap.servers", "?"));
        return -1;
    }
    return 0;
}

/* Queues one valid event, waiting while librdkafka's local queue is full. */
static void publish_send(publish_t *pb, const pv_event_t *ev, unsigned long pos)
{
    pv_header_t headers[PV_EVENT_NHEADERS];
    size_t nh = pv_event_headers(ev, headers);
    int rc;
    while ((rc = pv_producer_send(pb->producer, pb->topic, -1, ev->subject, strlen(ev->subject),
                                  ev->data, ev->data_len, headers, nh, (void *)(uintptr_t)pos)) ==
           PV_KAFKA_RETRIABLE)
        pv_producer_poll(pb->producer, 100);
    if (rc != 0) {
        fprintf(stderr, "%s %lu: error: not sent: %s\n", pb->unit, pos,
                rc == PV_KAFKA_FATAL ? "fatal producer error" : "producer error");
        pb->unsent++;
        return;
    }
    pb->sent++;
    pv_producer_poll(pb->producer, 0);
}

static void publish_report_invalid(publish_t *pb, unsigned long pos, const pv_reject_t *rej)
{
    /* msgpack input is decoded in binary mode, whose messages name headers (ce_id ...); the
     * user wrote structured attributes (id ...), so name those. */
    int binary = strncmp(rej->field, "ce_", 3) == 0;
    const char *field = binary ? rej->field + 3 : rej->field;
    size_t flen = strlen(rej->field);
    const char *msg = rej->message;
    if (binary && strncmp(msg, rej->field, flen) == 0)
        fprintf(stderr, "%s %lu: error: %s: %s%s\n", pb->unit, pos, field, field, msg + flen);
    else if (*field)
        fprintf(stderr, "%s %lu: error: %s: %s\n", pb->unit, pos, field, msg);
    else
        fprintf(stderr, "%s %lu: error: %s\n", pb->unit, pos, rej->message);
    pb->invalid++;
}

/* ---- JSON lines ---- */

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

static void publish_json_lines(publish_t *pb, FILE *in)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned long lineno = 0;
    while ((len = getline(&line, &cap, in)) >= 0) {
        pv_event_t ev;
        pv_reject_t rej;
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (is_blank(line, (size_t)len))
            continue;
        if (pv_event_decode_json(line, (size_t)len, NULL, &pb->arena, &ev, &rej) == 0)
            publish_send(pb, &ev, lineno);
        else
            publish_report_invalid(pb, lineno, &rej);
        pv_arena_reset(&pb->arena); /* librdkafka copied key, value and headers */
    }
    free(line);
}

/* ---- msgpack maps ---- */

#define MSGPACK_EVENT_MAX (1u << 20)

/* The structured attributes and their binary-mode headers (the strings outlive every event). */
static const char *const mp_attrs[][2] = {
    {"specversion", "ce_specversion"},
    {"id", "ce_id"},
    {"source", "ce_source"},
    {"type", "ce_type"},
    {"subject", "ce_subject"},
    {"time", "ce_time"},
    {"actor", "ce_actor"},
};
#define MP_NATTRS (sizeof mp_attrs / sizeof mp_attrs[0])

/* Turns a structured msgpack event into binary-mode headers plus data, then decodes that exactly
 * as the advancer will. */
static int msgpack_event(publish_t *pb, const msgpack_object *o, pv_event_t *ev, pv_reject_t *rej)
{
    pv_header_t h[PV_EVENT_NHEADERS];
    size_t nh = 0;
    unsigned seen = 0;
    const msgpack_object *data = NULL;
    if (o->type != MSGPACK_OBJECT_MAP)
        return pv_reject(rej, PV_REJ_MALFORMED, "", "event must be a msgpack map");
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object *k = &o->via.map.ptr[i].key, *v = &o->via.map.ptr[i].val;
        if (k->type != MSGPACK_OBJECT_STR)
            return pv_reject(rej, PV_REJ_MALFORMED, "", "attribute names must be strings");
        int kl = (int)k->via.str.size;
        const char *kp = k->via.str.ptr;
        if (kl == 4 && memcmp(kp, "data", 4) == 0) {
            data = v;
            continue;
        }
        size_t a = 0;
        while (a < MP_NATTRS && !(strlen(mp_attrs[a][0]) == (size_t)kl &&
                                  memcmp(kp, mp_attrs[a][0], (size_t)kl) == 0))
            a++;
        if (a == MP_NATTRS || (seen & (1u << a)))
            return pv_reject(rej, PV_REJ_MALFORMED, "", "%s attribute '%.*s'",
                             a == MP_NATTRS ? "unknown" : "repeated", kl > 64 ? 64 : kl, kp);
        if (v->type != MSGPACK_OBJECT_STR)
            return pv_reject(rej, PV_REJ_MALFORMED, mp_attrs[a][0], "%s must be a string",
                             mp_attrs[a][0]);
        seen |= 1u << a;
        h[nh++] = (pv_header_t){mp_attrs[a][1], v->via.str.ptr, v->via.str.size};
    }
    if (!(seen & 1u))
        h[nh++] = (pv_header_t){"ce_specversion", "1.0", 3};
    h[nh++] = (pv_header_t){"content-type", "application/msgpack", 19};
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    if (data)
        msgpack_pack_object(&pk, *data);
    else
        msgpack_pack_map(&pk, 0);
    int rc = pv_event_decode(h, nh, sb.data, sb.size, NULL, &pb->arena, ev, rej);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

static void publish_msgpack_object(publish_t *pb, const msgpack_object *o, unsigned long n)
{
    pv_event_t ev;
    pv_reject_t rej;
    if (msgpack_event(pb, o, &ev, &rej) == 0)
        publish_send(pb, &ev, n);
    else
        publish_report_invalid(pb, n, &rej);
    pv_arena_reset(&pb->arena);
}

/* Feeds the unpacker; stops at a parse error or an oversized event (the rest cannot be framed). */
static void publish_msgpack_stream(publish_t *pb, FILE *in)
{
    msgpack_unpacker up;
    msgpack_unpacked res;
    unsigned long n = 0;
    int bad = 0;
    msgpack_unpacker_init(&up, 65536);
    msgpack_unpacked_init(&res);
    for (;;) {
        msgpack_unpacker_reserve_buffer(&up, 65536);
        size_t got =
            fread(msgpack_unpacker_buffer(&up), 1, msgpack_unpacker_buffer_capacity(&up), in);
        if (got == 0)
            break;
        msgpack_unpacker_buffer_consumed(&up, got);
        msgpack_unpack_return r;
        while ((r = msgpack_unpacker_next(&up, &res)) == MSGPACK_UNPACK_SUCCESS)
            publish_msgpack_object(pb, &res.data, ++n);
        if (r == MSGPACK_UNPACK_PARSE_ERROR ||
            msgpack_unpacker_message_size(&up) > MSGPACK_EVENT_MAX) {
            bad = 1;
            break;
        }
    }
    if (bad || msgpack_unpacker_message_size(&up) > 0) {
        fprintf(stderr, "event %lu: error: %s; the rest of the input is skipped\n", n + 1,
                bad ? "not valid msgpack or larger than 1 MiB" : "truncated msgpack");
        pb->invalid++;
    }
    msgpack_unpacked_destroy(&res);
    msgpack_unpacker_destroy(&up);
}

/* ---- the command ---- */

/* Waits for the outstanding acknowledgements, then releases the producer (its delivery callbacks
 * need pb alive until then). */
static void publish_finish(publish_t *pb)
{
    if (!pb->producer)
        return;
    if (pv_producer_flush(pb->producer, pb->opt.timeout_s * 1000 + 5000) != 0)
        fprintf(stderr, "pravah publish: error: %lu events still unacknowledged after %d s\n",
                pb->sent - pb->acked, pb->opt.timeout_s);
    pv_producer_free(pb->producer);
    pb->producer = NULL;
}

static int publish_run(publish_t *pb)
{
    FILE *in = strcmp(pb->opt.input, "-") == 0 ? stdin : fopen(pb->opt.input, "r");
    if (!in) {
        perror(pb->opt.input);
        return 1;
    }
    pb->unit = pb->opt.msgpack ? "event" : "line";
    if (publish_configure(pb) != 0 || publish_open_producer(pb) != 0) {
        if (in != stdin)
            fclose(in);
        return 1;
    }
    if (pb->opt.msgpack)
        publish_msgpack_stream(pb, in);
    else
        publish_json_lines(pb, in);
    if (ferror(in))
        fprintf(stderr, "pravah publish: error reading %s\n", pb->opt.input);
    int read_failed = ferror(in) != 0;
    if (in != stdin)
        fclose(in);
    publish_finish(pb);
    printf("%lu sent, %lu acknowledged, %lu invalid\n", pb->sent, pb->acked, pb->invalid);
    fflush(stdout);
    return read_failed || pb->invalid || pb->unsent || pb->acked < pb->sent;
}

int pv_cmd_publish(int argc, char **argv)
{
    publish_t pb;
    memset(&pb, 0, sizeof pb);
    if (pv_cli_wants_help(argc, argv)) {
        publish_usage(stdout);
        return 0;
    }
    if (publish_parse(argc, argv, &pb.opt) != 0) {
        publish_usage(stderr);
        return 2;
    }
    pv_arena_init(&pb.arena, 0);
    int status = publish_run(&pb);
    if (pb.producer)
        pv_producer_free(pb.producer);
    pv_arena_close(&pb.arena);
    pv_config_free(pb.cfg);
    return status;
}
