/* Pravah's clock for a worker: the wall clock in production, a simulated one in tests and demos
 * (the engine itself never reads time; workers pass it in).
 *   wall                      the system clock
 *   fixed:TIME                always TIME (RFC 3339)
 *   scaled:TIME:FACTOR        starts at TIME and runs FACTOR times faster than the wall clock
 *   file:PATH                 the time written in PATH (RFC 3339 or ms since the epoch), read at
 *                             every call; tests and the demo move it step by step. Before the
 *                             file first exists it is the epoch, after a bad write the last value. */
#ifndef PRAVAH_CLOCK_H
#define PRAVAH_CLOCK_H

#include "pravah/common.h"

typedef struct pv_clock_s {
    int kind; /* 0 wall, 1 fixed, 2 scaled, 3 file */
    pv_time_t origin; /* also the last value read, for file clocks */
    char path[512];
    int64_t wall_origin_ms;
    double factor;
} pv_clock_t;

/* Returns 0 or PV_EINVAL for a bad spec. */
int pv_clock_parse(const char *spec, pv_clock_t *clock);
pv_time_t pv_clock_now(pv_clock_t *clock);
/* Milliseconds of the wall clock (for batch timing, not for case time). */
int64_t pv_wall_ms(void);
/* Microseconds of the monotonic clock (for durations in metrics, not for case time). */
int64_t pv_mono_us(void);

#endif
