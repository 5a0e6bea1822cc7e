/* The advancer's /metrics as `pravah demo` reads them: one HTTP GET on loopback, the few values
 * the demo waits on.
 *
 * Ownership: plain values, nothing allocated. Blocking, any thread. */
#ifndef PRAVAH_DEMO_METRICS_H
#define PRAVAH_DEMO_METRICS_H

#include <stdint.h>

typedef struct pv_demo_metrics_s {
    long long clock_ms; /* pravah_clock_ms */
    long long consumed; /* pravah_events_consumed_total */
    long long applied;  /* pravah_events_applied_total */
    long long rejected; /* sum of pravah_events_rejected_total{reason} */
    long long alerts;   /* pravah_alerts_raised_total */
    long long lag;      /* pravah_consumer_lag */
} pv_demo_metrics_t;

/* GET http://127.0.0.1:port/metrics. Returns 0, or -1 when nothing answered in time. */
int pv_demo_metrics_get(int port, pv_demo_metrics_t *m);
/* A loopback TCP port nobody listens on, below the ephemeral range (32768-60999) so that an
 * outgoing connection cannot take it before the worker binds it (as tests/kafka/lib.sh). */
int pv_demo_free_port(void);

#endif
