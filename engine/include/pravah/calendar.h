/* Working-day calendars for SLA clocks: a fixed UTC offset (Pravah's deployments are in India,
 * which has no daylight saving), the weekly off days, and dated holidays.
 *
 * Rule (docs/SLA.md): a state entered at time t with an SLA of N days is due at the end
 * (23:59:59.999 local) of the Nth day after t's local date, counting every day for calendar-day
 * SLAs and only working days (neither weekly off nor holiday) for working-day SLAs.
 *
 * Ownership: pv_calendar_t is a heap object (pv_calendar_free). Lookups are pure. */
#ifndef PRAVAH_CALENDAR_H
#define PRAVAH_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pravah/common.h"

typedef struct pv_calendar_s pv_calendar_t;

/* Parses a calendar YAML document (schemas/calendars/NAME.yaml):
 *   calendar: haryana           # name
 *   utc_offset: "+05:30"
 *   weekly_off: [saturday, sunday]
 *   holidays:
 *     - {date: 2026-01-26, name: Republic Day}
 * Errors are "FILE:LINE: message" in err. */
int pv_calendar_load(const char *yaml, size_t len, const char *filename, pv_calendar_t **out,
                     char *err, size_t errlen);
void pv_calendar_free(pv_calendar_t *cal);
const char *pv_calendar_name(const pv_calendar_t *cal);
/* The fixed offset from UTC in minutes (+330 for IST). */
int pv_calendar_utc_offset(const pv_calendar_t *cal);
/* Name of the holiday on local_day (borrowed from cal), or NULL when it is not a holiday. */
const char *pv_calendar_holiday_name(const pv_calendar_t *cal, int64_t local_day);

/* Days since 1970-01-01 of t's local date. */
int64_t pv_calendar_local_day(const pv_calendar_t *cal, pv_time_t t);
bool pv_calendar_is_working_day(const pv_calendar_t *cal, int64_t local_day);
/* Due time as in the rule above. working=false counts calendar days. days >= 0 (0: end of today). */
pv_time_t pv_calendar_due(const pv_calendar_t *cal, pv_time_t start, int days, bool working);
/* Whole days from `from` to `to` in local dates (negative when to < from), counting only working
 * days when working=true: the "days of delay" of a breach. */
int64_t pv_calendar_days_between(const pv_calendar_t *cal, pv_time_t from, pv_time_t to,
                                 bool working);
/* The local day `days` days after local_day (before it when days < 0), counting only working
 * days when working=true; days == 0 returns local_day unchanged, even if it is not a working day.
 * Reminders use a negative count: docs/SLA.md. */
int64_t pv_calendar_add_days(const pv_calendar_t *cal, int64_t local_day, int days, bool working);
/* First (00:00:00.000) and last (23:59:59.999) millisecond of a local day, as UTC ms
 * (saturating at the ends of pv_time_t). */
pv_time_t pv_calendar_day_start(const pv_calendar_t *cal, int64_t local_day);
pv_time_t pv_calendar_day_end(const pv_calendar_t *cal, int64_t local_day);

/* Parses "YYYY-MM-DD" or an RFC 3339 timestamp ("2026-04-01T10:00:00+05:30", "...Z",
 * fractional seconds allowed) into ms since epoch; a bare date means local midnight at utc_offset
 * minutes. Returns 0 or PV_EINVAL. */
int pv_time_parse(const char *s, int utc_offset_min, pv_time_t *out);
/* Formats t as RFC 3339 with the given offset, e.g. "2026-04-01T10:00:00+05:30", into out[32]. */
void pv_time_format(pv_time_t t, int utc_offset_min, char out[32]);

#endif
