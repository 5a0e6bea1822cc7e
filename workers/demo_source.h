/* The events `pravah demo` plays: the synthetic load of workers/loadgen.h, or a script in the
 * walkthrough's format ({"at": TIME, "event": CLOUDEVENT} lines, --script) for a small,
 * hand-written story. Either way, events in time order, ready to produce (key, binary-mode
 * headers, msgpack data).
 *
 * Ownership: a heap object freed by pv_demo_source_free; an event returned by
 * pv_demo_source_next points into the source and is valid until the next call. */
#ifndef PRAVAH_DEMO_SOURCE_H
#define PRAVAH_DEMO_SOURCE_H

#include <stddef.h>

#include "demo.h"
#include "loadgen.h"

typedef struct pv_demo_source_s pv_demo_source_t;

/* NULL with err filled on failure (a script that cannot be read, a generator refusing the
 * options). */
pv_demo_source_t *pv_demo_source_new(const pv_demo_opts_t *opt, char *err, size_t errlen);
/* The next event: 0, 1 when there are no more, -1 on a bad script line (err filled). */
int pv_demo_source_next(pv_demo_source_t *s, pv_loadgen_event_t *ev, char *err, size_t errlen);
void pv_demo_source_free(pv_demo_source_t *s);

#endif
