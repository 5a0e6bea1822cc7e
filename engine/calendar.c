/* Working-day calendars and the SLA due-date rule (docs/SLA.md), plus strict date/time parsing.
 *
 * Dates are "local days": days since 1970-01-01 in the calendar's fixed UTC offset. The civil
 * date arithmetic is Howard Hinnant's days_from_civil/civil_from_days, so nothing here touches
 * libc's time zone state (TZ, localtime_r), which is process-global and differs between hosts.
 *
 * pv_calendar_due() is on the engine's hot path (every state entry), so working days are never
 * counted one by one: weekly offs are counted per whole week with small tables, and only the
 * holidays that fall on working weekdays ("closures") are binary-searched. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pravah/calendar.h"
#include "yamlutil.h"

#define DAY_MS 86400000LL
#define NAME_MAX_LEN 63
#define OFFSET_MAX_MIN (23 * 60 + 59)
/* Local days whose end-of-day in ms fits in int64 with room for any offset. */
#define DAY_LIMIT (INT64_MAX / DAY_MS - 2)

typedef struct {
    int64_t day;
    char *name;
    int line; /* in the source file, for duplicate reports */
} holiday_t;

struct pv_calendar_s {
    char *name;
    int utc_offset_min;
    uint8_t off_mask;  /* bit w set: weekday w (0 = Monday) is a weekly off day */
    int work_per_week; /* 1..7 */
    holiday_t *holidays;
    size_t nholidays; /* sorted by day, no duplicates */
    int64_t *closures;
    size_t nclosures; /* holidays on working weekdays, sorted: the only ones that move due dates */
    /* week_count[w][n]: working weekdays among the n days starting on a day of weekday w.
     * week_nth[w][k]: days from a day of weekday w to the k-th working weekday after it;
     * week_back[w][k]: the same, backwards. */
    uint8_t week_count[7][8];
    uint8_t week_nth[7][8];
    uint8_t week_back[7][8];
};

static const char *const day_names[7] = {"monday", "tuesday",  "wednesday", "thursday",
                                         "friday", "saturday", "sunday"};

/* ---- civil dates ---------------------------------------------------------------------------- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool is_leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && is_leap ? 29 : len[m - 1];
}

/* 0 = Monday; 1970-01-01 was a Thursday. */
static int weekday(int64_t day)
{
    int64_t w = (day + 3) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

/* ---- strict text parsing -------------------------------------------------------------------- */

static bool take_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool take_char(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

/* "YYYY-MM-DD" with a real day of a real month. */
static bool parse_date(const char **p, int64_t *day)
{
    int y, m, d;
    if (!take_digits(p, 4, &y) || !take_char(p, '-') || !take_digits(p, 2, &m) ||
        !take_char(p, '-') || !take_digits(p, 2, &d))
        return false;
    if (m < 1 || m > 12 || d < 1 || (unsigned)d > days_in_month(y, (unsigned)m))
        return false;
    *day = days_from_civil(y, (unsigned)m, (unsigned)d);
    return true;
}

/* "+HH:MM" / "-HH:MM" into minutes east of UTC. */
static bool parse_offset(const char **p, int *minutes)
{
    char sign = **p;
    int hh, mm;
    if (sign != '+' && sign != '-')
        return false;
    (*p)++;
    if (!take_digits(p, 2, &hh) || !take_char(p, ':') || !take_digits(p, 2, &mm) || hh > 23 ||
        mm > 59)
        return false;
    *minutes = (sign == '-' ? -1 : 1) * (hh * 60 + mm);
    return true;
}

/* "HH:MM:SS[.frac]" into ms of the day. Leap seconds (:60) are refused: Unix time has none. */
static bool parse_clock(const char **p, int64_t *ms)
{
    int hh, mm, ss, frac = 0, scale = 100;
    if (!take_digits(p, 2, &hh) || !take_char(p, ':') || !take_digits(p, 2, &mm) ||
        !take_char(p, ':') || !take_digits(p, 2, &ss) || hh > 23 || mm > 59 || ss > 59)
        return false;
    if (take_char(p, '.')) {
        if (**p < '0' || **p > '9')
            return false;
        /* Digits past milliseconds are truncated, not rounded, so a time never moves later. */
        for (; **p >= '0' && **p <= '9'; (*p)++, scale /= 10)
            frac += (**p - '0') * scale;
    }
    *ms = ((int64_t)hh * 3600 + mm * 60 + ss) * 1000 + frac;
    return true;
}

int pv_time_parse(const char *s, int utc_offset_min, pv_time_t *out)
{
    const char *p = s;
    int64_t day, ms;
    int off;
    if (!s || !parse_date(&p, &day))
        return PV_EINVAL;
    if (*p == '\0') {
        *out = day * DAY_MS - (int64_t)utc_offset_min * 60000;
        return 0;
    }
    /* RFC 3339 5.6 allows lower-case 't' and 'z'; it does not require accepting a space. */
    if ((!take_char(&p, 'T') && !take_char(&p, 't')) || !parse_clock(&p, &ms))
        return PV_EINVAL;
    if (take_char(&p, 'Z') || take_char(&p, 'z'))
        off = 0;
    else if (!parse_offset(&p, &off))
        return PV_EINVAL;
    if (*p != '\0')
        return PV_EINVAL;
    *out = day * DAY_MS + ms - (int64_t)off * 60000;
    return 0;
}

void pv_time_format(pv_time_t t, int utc_offset_min, char out[32])
{
    /* Clamp to years 0000..9999 (what pv_time_parse accepts) so the text always fits. */
    static const int64_t lo = -719528 * DAY_MS, hi = 2932897 * DAY_MS - 1;
    int off = utc_offset_min < -OFFSET_MAX_MIN  ? -OFFSET_MAX_MIN
              : utc_offset_min > OFFSET_MAX_MIN ? OFFSET_MAX_MIN
                                                : utc_offset_min;
    int64_t local = (t < lo - DAY_MS ? lo - DAY_MS : t > hi + DAY_MS ? hi + DAY_MS : t);
    local += (int64_t)off * 60000;
    local = local < lo ? lo : local > hi ? hi : local;
    int64_t day = local / DAY_MS - (local % DAY_MS < 0), y;
    int ms = (int)(local - day * DAY_MS);
    unsigned m, d;
    civil_from_days(day, &y, &m, &d);
    /* A roomy buffer: gcc cannot prove the pieces fit 32 bytes, they do (at most 29). */
    char buf[64];
    size_t n = (size_t)snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", (int)(y % 10000),
                                m % 13, d % 32, ms / 3600000 % 24, ms / 60000 % 60, ms / 1000 % 60);
    if (ms % 1000)
        n += (size_t)snprintf(buf + n, sizeof buf - n, ".%03d", ms % 1000);
    if (off == 0)
        snprintf(buf + n, sizeof buf - n, "Z");
    else
        snprintf(buf + n, sizeof buf - n, "%c%02d:%02d", off < 0 ? '-' : '+', abs(off) / 60,
                 abs(off) % 60);
    n = strnlen(buf, 31);
    memcpy(out, buf, n);
    out[n] = '\0';
}

/* ---- working-day arithmetic ----------------------------------------------------------------- */

static bool is_off_weekday(const pv_calendar_t *cal, int64_t day)
{
    return cal->off_mask >> weekday(day) & 1;
}

/* Index of the first closure >= day. */
static size_t closure_lower_bound(const pv_calendar_t *cal, int64_t day)
{
    size_t lo = 0, hi = cal->nclosures;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cal->closures[mid] < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Working days in [a, b), a <= b. */
static int64_t working_in(const pv_calendar_t *cal, int64_t a, int64_t b)
{
    int64_t n = b - a;
    int64_t weekdays = n / 7 * cal->work_per_week + cal->week_count[weekday(a)][n % 7];
    return weekdays - (int64_t)(closure_lower_bound(cal, b) - closure_lower_bound(cal, a));
}

/* The k-th (k >= 1) working weekday after `day`, ignoring holidays. */
static int64_t nth_weekday_after(const pv_calendar_t *cal, int64_t day, int64_t k)
{
    int64_t weeks = (k - 1) / cal->work_per_week;
    int64_t rest = k - weeks * cal->work_per_week;
    return day + weeks * 7 + cal->week_nth[weekday(day)][rest];
}

/* The n-th (n >= 1) working day after `day`. Each round steps over the closures the previous
 * round landed on or crossed; with real calendars this is one or two rounds. */
static int64_t nth_working_after(const pv_calendar_t *cal, int64_t day, int64_t n)
{
    for (;;) {
        int64_t end = nth_weekday_after(cal, day, n);
        int64_t crossed =
            (int64_t)(closure_lower_bound(cal, end + 1) - closure_lower_bound(cal, day + 1));
        if (crossed == 0)
            return end;
        day = end;
        n = crossed;
    }
}

/* The k-th (k >= 1) working weekday before `day`, ignoring holidays. */
static int64_t nth_weekday_before(const pv_calendar_t *cal, int64_t day, int64_t k)
{
    int64_t weeks = (k - 1) / cal->work_per_week;
    int64_t rest = k - weeks * cal->work_per_week;
    return day - weeks * 7 - cal->week_back[weekday(day)][rest];
}

/* The n-th (n >= 1) working day before `day`: nth_working_after() mirrored. */
static int64_t nth_working_before(const pv_calendar_t *cal, int64_t day, int64_t n)
{
    for (;;) {
        int64_t start = nth_weekday_before(cal, day, n);
        int64_t crossed =
            (int64_t)(closure_lower_bound(cal, day) - closure_lower_bound(cal, start));
        if (crossed == 0)
            return start;
        day = start;
        n = crossed;
    }
}

int64_t pv_calendar_local_day(const pv_calendar_t *cal, pv_time_t t)
{
    /* Truncating division first, so that no intermediate value can overflow. */
    int64_t q = t / DAY_MS, r = t % DAY_MS + (int64_t)cal->utc_offset_min * 60000;
    while (r < 0) {
        r += DAY_MS;
        q--;
    }
    while (r >= DAY_MS) {
        r -= DAY_MS;
        q++;
    }
    return q;
}

pv_time_t pv_calendar_day_start(const pv_calendar_t *cal, int64_t local_day)
{
    if (local_day > DAY_LIMIT)
        return INT64_MAX;
    if (local_day < -DAY_LIMIT)
        return INT64_MIN;
    return local_day * DAY_MS - (int64_t)cal->utc_offset_min * 60000;
}

pv_time_t pv_calendar_day_end(const pv_calendar_t *cal, int64_t local_day)
{
    if (local_day >= DAY_LIMIT)
        return INT64_MAX;
    return pv_calendar_day_start(cal, local_day + 1) - 1;
}

bool pv_calendar_is_working_day(const pv_calendar_t *cal, int64_t local_day)
{
    if (is_off_weekday(cal, local_day))
        return false;
    size_t i = closure_lower_bound(cal, local_day);
    return i == cal->nclosures || cal->closures[i] != local_day;
}

int64_t pv_calendar_add_days(const pv_calendar_t *cal, int64_t local_day, int days, bool working)
{
    /* Past DAY_LIMIT every result saturates anyway; clamping keeps the arithmetic in range. */
    int64_t day = local_day > DAY_LIMIT    ? DAY_LIMIT
                  : local_day < -DAY_LIMIT ? -DAY_LIMIT
                                           : local_day;
    if (days == 0)
        return local_day;
    if (!working)
        return day + days;
    return days > 0 ? nth_working_after(cal, day, days)
                    : nth_working_before(cal, day, -(int64_t)days);
}

pv_time_t pv_calendar_due(const pv_calendar_t *cal, pv_time_t start, int days, bool working)
{
    int64_t day = pv_calendar_local_day(cal, start);
    return pv_calendar_day_end(cal,
                               days <= 0 ? day : pv_calendar_add_days(cal, day, days, working));
}

int64_t pv_calendar_days_between(const pv_calendar_t *cal, pv_time_t from, pv_time_t to,
                                 bool working)
{
    int64_t a = pv_calendar_local_day(cal, from), b = pv_calendar_local_day(cal, to);
    if (!working)
        return b - a;
    /* Days after from's date up to and including to's date, so that
     * days_between(start, due(start, n)) == n. */
    return b >= a ? working_in(cal, a + 1, b + 1) : -working_in(cal, b + 1, a + 1);
}

const char *pv_calendar_name(const pv_calendar_t *cal)
{
    return cal->name;
}

int pv_calendar_utc_offset(const pv_calendar_t *cal)
{
    return cal->utc_offset_min;
}

const char *pv_calendar_holiday_name(const pv_calendar_t *cal, int64_t local_day)
{
    size_t lo = 0, hi = cal->nholidays;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cal->holidays[mid].day < local_day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < cal->nholidays && cal->holidays[lo].day == local_day ? cal->holidays[lo].name
                                                                     : NULL;
}

void pv_calendar_free(pv_calendar_t *cal)
{
    if (!cal)
        return;
    for (size_t i = 0; i < cal->nholidays; i++)
        free(cal->holidays[i].name);
    free(cal->holidays);
    free(cal->closures);
    free(cal->name);
    free(cal);
}

/* ---- loading -------------------------------------------------------------------------------- */

static void build_week_tables(pv_calendar_t *cal)
{
    cal->work_per_week = 0;
    for (int w = 0; w < 7; w++)
        cal->work_per_week += !(cal->off_mask >> w & 1);
    for (int w = 0; w < 7; w++) {
        int count = 0;
        for (int n = 0; n < 7; n++) {
            cal->week_count[w][n] = (uint8_t)count;
            count += !(cal->off_mask >> ((w + n) % 7) & 1);
        }
        cal->week_count[w][7] = (uint8_t)count;
        for (int step = 1, k = 0; step <= 7; step++)
            if (!(cal->off_mask >> ((w + step) % 7) & 1))
                cal->week_nth[w][++k] = (uint8_t)step;
        for (int step = 1, k = 0; step <= 7; step++)
            if (!(cal->off_mask >> ((w - step + 7) % 7) & 1))
                cal->week_back[w][++k] = (uint8_t)step;
    }
}

static int build_closures(pv_calendar_t *cal)
{
    cal->closures = malloc((cal->nholidays ? cal->nholidays : 1) * sizeof *cal->closures);
    if (!cal->closures)
        return PV_ENOMEM;
    for (size_t i = 0; i < cal->nholidays; i++)
        if (!is_off_weekday(cal, cal->holidays[i].day))
            cal->closures[cal->nclosures++] = cal->holidays[i].day;
    return 0;
}

/* Gets a required key of the given type. */
static int need(pv_yaml_t *y, yaml_node_t *map, const char *key, yaml_node_type_t type,
                yaml_node_t **out, char *err, size_t errlen)
{
    yaml_node_t *n = pv_yaml_get(y, map, key);
    if (!n)
        return pv_yaml_error(y, map, err, errlen, "missing key '%s'", key);
    *out = n;
    return pv_yaml_expect(y, n, type, key, err, errlen);
}

static int load_name(pv_yaml_t *y, yaml_node_t *root, pv_calendar_t *cal, char *err, size_t errlen)
{
    yaml_node_t *n = NULL;
    int rc = need(y, root, "calendar", YAML_SCALAR_NODE, &n, err, errlen);
    if (rc)
        return rc;
    const char *s = pv_yaml_str(n);
    size_t len = strlen(s);
    if (len == 0 || len > NAME_MAX_LEN ||
        strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") != len)
        return pv_yaml_error(y, n, err, errlen,
                             "calendar name '%.64s' must be 1-%d characters of a-z, 0-9, _ and -",
                             s, NAME_MAX_LEN);
    cal->name = strdup(s);
    return cal->name ? 0 : PV_ENOMEM;
}

static int load_offset(pv_yaml_t *y, yaml_node_t *root, pv_calendar_t *cal, char *err,
                       size_t errlen)
{
    yaml_node_t *n = NULL;
    int rc = need(y, root, "utc_offset", YAML_SCALAR_NODE, &n, err, errlen);
    if (rc)
        return rc;
    const char *p = pv_yaml_str(n);
    if (!parse_offset(&p, &cal->utc_offset_min) || *p != '\0')
        return pv_yaml_error(y, n, err, errlen,
                             "utc_offset '%.32s' is not \"+HH:MM\" or \"-HH:MM\"", pv_yaml_str(n));
    return 0;
}

static int load_weekly_off(pv_yaml_t *y, yaml_node_t *root, pv_calendar_t *cal, char *err,
                           size_t errlen)
{
    yaml_node_t *seq = NULL;
    int rc = need(y, root, "weekly_off", YAML_SEQUENCE_NODE, &seq, err, errlen);
    for (size_t i = 0; rc == 0 && i < pv_yaml_len(seq); i++) {
        yaml_node_t *n = pv_yaml_seq_at(y, seq, i);
        const char *s = pv_yaml_str(n);
        int w = 0;
        while (w < 7 && (!s || strcmp(s, day_names[w]) != 0))
            w++;
        if (w == 7)
            return pv_yaml_error(y, n, err, errlen,
                                 "'%.32s' is not a day name (monday, tuesday, wednesday, "
                                 "thursday, friday, saturday, sunday)",
                                 s ? s : "?");
        if (cal->off_mask >> w & 1)
            return pv_yaml_error(y, n, err, errlen, "'%s' is listed twice", s);
        cal->off_mask |= (uint8_t)(1u << w);
    }
    if (rc == 0 && cal->off_mask == 0x7f)
        return pv_yaml_error(y, seq, err, errlen, "weekly_off leaves no working day");
    return rc;
}

static int load_holiday(pv_yaml_t *y, yaml_node_t *n, holiday_t *h, char *err, size_t errlen)
{
    static const char *const keys[] = {"date", "name", NULL};
    yaml_node_t *date = NULL, *name = NULL;
    int rc;
    if ((rc = pv_yaml_expect(y, n, YAML_MAPPING_NODE, "a holiday", err, errlen)) ||
        (rc = pv_yaml_check_keys(y, n, keys, err, errlen)) ||
        (rc = need(y, n, "date", YAML_SCALAR_NODE, &date, err, errlen)) ||
        (rc = need(y, n, "name", YAML_SCALAR_NODE, &name, err, errlen)))
        return rc;
    const char *p = pv_yaml_str(date);
    if (!parse_date(&p, &h->day) || *p != '\0')
        return pv_yaml_error(y, date, err, errlen, "'%.32s' is not a valid YYYY-MM-DD date",
                             pv_yaml_str(date));
    if (pv_yaml_str(name)[0] == '\0')
        return pv_yaml_error(y, name, err, errlen, "holiday name is empty");
    h->line = pv_yaml_line(date);
    h->name = strdup(pv_yaml_str(name));
    return h->name ? 0 : PV_ENOMEM;
}

static int holiday_cmp(const void *a, const void *b)
{
    const holiday_t *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

static int load_holidays(pv_yaml_t *y, yaml_node_t *root, pv_calendar_t *cal, char *err,
                         size_t errlen)
{
    yaml_node_t *seq = NULL;
    int rc = need(y, root, "holidays", YAML_SEQUENCE_NODE, &seq, err, errlen);
    size_t n = pv_yaml_len(seq);
    if (rc)
        return rc;
    cal->holidays = calloc(n ? n : 1, sizeof *cal->holidays);
    if (!cal->holidays)
        return PV_ENOMEM;
    for (size_t i = 0; i < n; i++, cal->nholidays++)
        if ((rc = load_holiday(y, pv_yaml_seq_at(y, seq, i), &cal->holidays[i], err, errlen)))
            return rc;
    qsort(cal->holidays, n, sizeof *cal->holidays, holiday_cmp);
    for (size_t i = 1; i < n; i++) {
        if (cal->holidays[i].day != cal->holidays[i - 1].day)
            continue;
        char date[32];
        pv_time_format(cal->holidays[i].day * DAY_MS, 0, date);
        date[10] = '\0';
        snprintf(err, errlen, "%s:%d: duplicate holiday %s (first at line %d)", y->filename,
                 cal->holidays[i].line, date, cal->holidays[i - 1].line);
        return PV_EINVAL;
    }
    return 0;
}

int pv_calendar_load(const char *yaml, size_t len, const char *filename, pv_calendar_t **out,
                     char *err, size_t errlen)
{
    static const char *const keys[] = {"calendar", "utc_offset", "weekly_off", "holidays", NULL};
    pv_yaml_t y;
    pv_calendar_t *cal = NULL;
    int rc = pv_yaml_open(&y, yaml, len, filename, err, errlen);
    if (rc)
        return rc;
    yaml_node_t *root = pv_yaml_root(&y);
    if (!(cal = calloc(1, sizeof *cal))) {
        rc = PV_ENOMEM;
        goto out;
    }
    if ((rc = pv_yaml_expect(&y, root, YAML_MAPPING_NODE, "a calendar", err, errlen)) ||
        (rc = pv_yaml_check_keys(&y, root, keys, err, errlen)) ||
        (rc = load_name(&y, root, cal, err, errlen)) ||
        (rc = load_offset(&y, root, cal, err, errlen)) ||
        (rc = load_weekly_off(&y, root, cal, err, errlen)) ||
        (rc = load_holidays(&y, root, cal, err, errlen)))
        goto out;
    build_week_tables(cal);
    if ((rc = build_closures(cal)))
        goto out;
    *out = cal;
    cal = NULL;
out:
    if (rc == PV_ENOMEM)
        pv_yaml_error(&y, NULL, err, errlen, "out of memory");
    pv_calendar_free(cal);
    pv_yaml_close(&y);
    return rc;
}
