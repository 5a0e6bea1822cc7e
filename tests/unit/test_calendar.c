/* SLA calendar (engine/calendar.c), date/time text, and the YAML layer (engine/yamlutil.c) that
 * the calendar loader is the first user of. Expected due dates were worked out by hand against a
 * printed calendar; the naive day-by-day counter cross-checks the fast path. */
#include <stdlib.h>

#include "pravah/calendar.h"
#include "pvtest.h"
#include "yamlutil.h"

#define IST (5 * 60 + 30)

/* 2026: Jan 26 is a Monday, Aug 15 a Saturday, Nov 8 a Sunday. */
static const char test_yaml[] = "calendar: test\n"
                                "utc_offset: \"+05:30\"\n"
                                "weekly_off: [saturday, sunday]\n"
                                "holidays:\n"
                                "  - {date: 2026-01-26, name: Republic Day}\n"
                                "  - {date: 2026-08-15, name: Independence Day}\n"
                                "  - {date: 2026-11-10, name: Vishwakarma Day}\n"
                                "  - {date: 2026-11-08, name: Diwali}\n";

static pv_calendar_t *load_text(const char *yaml)
{
    pv_calendar_t *cal = NULL;
    char err[256] = "";
    int rc = pv_calendar_load(yaml, strlen(yaml), "test.yaml", &cal, err, sizeof err);
    if (rc != 0)
        pv_test_fail(__FILE__, __LINE__, "load failed (%d): %s", rc, err);
    return cal;
}

/* Loads and expects failure; returns the error text in a static buffer. */
static const char *load_error(const char *yaml)
{
    static char err[256];
    pv_calendar_t *cal = NULL;
    err[0] = '\0';
    int rc = pv_calendar_load(yaml, strlen(yaml), "test.yaml", &cal, err, sizeof err);
    if (rc == 0) {
        pv_test_fail(__FILE__, __LINE__, "load unexpectedly succeeded");
        pv_calendar_free(cal);
    }
    if (cal)
        pv_test_fail(__FILE__, __LINE__, "out-param set on failure");
    return err;
}

static pv_calendar_t *load_haryana(void)
{
    size_t len = 0;
    char *text = pv_test_read_file("schemas/calendars/haryana.yaml", &len);
    pv_calendar_t *cal = NULL;
    char err[256] = "";
    PV_CHECK(text != NULL);
    if (text && pv_calendar_load(text, len, "haryana.yaml", &cal, err, sizeof err) != 0)
        pv_test_fail(__FILE__, __LINE__, "haryana.yaml: %s", err);
    free(text);
    return cal;
}

static pv_time_t at(const char *s)
{
    pv_time_t t = 0;
    if (pv_time_parse(s, IST, &t) != 0)
        pv_test_fail(__FILE__, __LINE__, "cannot parse %s", s);
    return t;
}

/* Local day number of a YYYY-MM-DD date (UTC midnight is an exact multiple of a day). */
static int64_t day_of(const char *date)
{
    pv_time_t t = 0;
    if (pv_time_parse(date, 0, &t) != 0)
        pv_test_fail(__FILE__, __LINE__, "cannot parse %s", date);
    return t / 86400000;
}

/* Compares as IST text so that a failure reads as a date. */
#define CHECK_TIME(got, want)                                                                      \
    do {                                                                                           \
        char got_[32];                                                                             \
        pv_time_format((got), IST, got_);                                                          \
        PV_CHECK_EQ_STR(got_, (want));                                                             \
    } while (0)

PV_TEST(calendar, load_minimal)
{
    pv_calendar_t *cal = load_text(test_yaml);
    if (!cal)
        return;
    PV_CHECK_EQ_STR(pv_calendar_name(cal), "test");
    PV_CHECK_EQ_INT(pv_calendar_utc_offset(cal), 330);
    PV_CHECK_EQ_STR(pv_calendar_holiday_name(cal, day_of("2026-11-08")), "Diwali");
    PV_CHECK(pv_calendar_holiday_name(cal, day_of("2026-11-09")) == NULL);
    pv_calendar_free(cal);
}

PV_TEST(calendar, is_working_day)
{
    pv_calendar_t *cal = load_text(test_yaml);
    if (!cal)
        return;
    PV_CHECK(pv_calendar_is_working_day(cal, day_of("2026-01-23")));  /* Friday */
    PV_CHECK(!pv_calendar_is_working_day(cal, day_of("2026-01-24"))); /* Saturday */
    PV_CHECK(!pv_calendar_is_working_day(cal, day_of("2026-01-25"))); /* Sunday */
    PV_CHECK(!pv_calendar_is_working_day(cal, day_of("2026-01-26"))); /* holiday */
    PV_CHECK(pv_calendar_is_working_day(cal, day_of("2026-01-27")));
    PV_CHECK(!pv_calendar_is_working_day(cal, day_of("1969-12-27"))); /* Saturday before epoch */
    PV_CHECK(pv_calendar_is_working_day(cal, day_of("1969-12-31")));
    pv_calendar_free(cal);
}

PV_TEST(calendar, due_across_weekend)
{
    pv_calendar_t *cal = load_text(test_yaml);
    if (!cal)
        return;
    /* Thursday + 2 working days: Friday, then Monday. */
    CHECK_TIME(pv_calendar_due(cal, at("2026-01-08T10:00:00+05:30"), 2, true),
               "2026-01-12T23:59:59.999+05:30");
    /* Entered on a Saturday: the count starts from the next working day. */
    CHECK_TIME(pv_calendar_due(cal, at("2026-01-10T11:00:00+05:30"), 1, true),
               "2026-01-12T23:59:59.999+05:30");
    pv_calendar_free(cal);
}

PV_TEST(calendar, due_across_holiday)
{
    pv_calendar_t *cal = load_text(test_yaml);
    if (!cal)
        return;
    /* Friday 23 Jan + 1: Sat, Sun, Republic Day Monday are skipped. */
    CHECK_TIME(pv_calendar_due(cal, at("2026-01-23T16:00:00+05:30"), 1, true),
               "2026-01-27T23:59:59.999+05:30");
    /* Friday 6 Nov + 2: Diwali (Sun) changes nothing, Vishwakarma Day (Tue 10th) does. */
    CHECK_TIME(pv_calendar_due(cal, at("2026-11-06T09:00:00+05:30"), 2, true),
               "2026-11-11T23:59:59.999+05:30");
    pv_calendar_free(cal);
}

PV_TEST(calendar, holiday_on_weekend_changes_nothing)
{
    pv_calendar_t *cal = load_text(test_yaml);
    if (!cal)
        return;
    /* Independence Day 2026 is a Saturday. */
    CHECK_TIME(pv_calendar_due(cal, at("2026-08-14T10:00:00+05:30"), 1, true),
               "2026-08-17T23:59:59.999+05:30");
    CHECK_TIME(pv_calendar_due(cal, at("2026-08-10T10:00:00+05:30"), 5, true),
               "2026-08-17T23:59:59.999+05:30");
    pv_calendar_free(cal);
}

PV_TEST(calendar, zero_day_sla_is_end_of_start_date)
{
    pv_calendar_t *cal = load_text(test_yaml);
    if (!cal)
        return;
    /* Even on a holiday or weekend: a 0-day SLA means "today". */
    CHECK_TIME(pv_calendar_due(cal, at("2026-01-26T10:00:00+05:30"), 0, true),
               "2026-01-26T23:59:59.999+05:30");
    CHECK_TIME(pv_calendar_due(cal, at("2026-01-24T00:00:00+05:30"), 0, false),
               "2026-01-24T23:59:59.999+05:30");
    CHECK_TIME(pv_calendar_due(cal, at("2026-01-24T23:59:59.999+05:30"), 0, true),
               "2026-01-24T23:59:59.999+05:30");
    pv_calendar_free(cal);
}

PV_TEST(calendar, calendar_days_21)
{
    pv_calendar_t *cal = load_text(test_yaml);
    if (!cal)
        return;
    /* Calendar days ignore weekends and holidays alike (and the due date may be a Sunday). */
    CHECK_TIME(pv_calendar_due(cal, at("2026-04-01T10:00:00+05:30"), 21, false),
               "2026-04-22T23:59:59.999+05:30");
    CHECK_TIME(pv_calendar_due(cal, at("2026-01-05T10:00:00+05:30"), 21, false),
               "2026-01-26T23:59:59.999+05:30");
    CHECK_TIME(pv_calendar_due(cal, at("2026-12-20T10:00:00+05:30"), 21, false),
               "2027-01-10T23:59:59.999+05:30");
    pv_calendar_free(cal);
}

PV_TEST(calendar, thirty_working_days_spanning_diwali)
{
    pv_calendar_t *cal = load_haryana();
    if (!cal)
        return;
    /* From Wed 1 Oct 2025: 30 weekdays would end Wed 12 Nov; five weekday holidays (Gandhi
     * Jayanti/Dussehra 2 Oct, Valmiki Jayanti 7 Oct, Diwali 20 Oct, Vishwakarma Day 22 Oct,
     * Guru Nanak Jayanti 5 Nov) push it to Wed 19 Nov. */
    CHECK_TIME(pv_calendar_due(cal, at("2025-10-01T11:00:00+05:30"), 30, true),
               "2025-11-19T23:59:59.999+05:30");
    /* Fri 17 Oct + 1: Mon 20 Oct is Diwali, so Tue 21; + 3: Wed 22 is a holiday, so Fri 24. */
    CHECK_TIME(pv_calendar_due(cal, at("2025-10-17T11:00:00+05:30"), 1, true),
               "2025-10-21T23:59:59.999+05:30");
    CHECK_TIME(pv_calendar_due(cal, at("2025-10-17T11:00:00+05:30"), 3, true),
               "2025-10-24T23:59:59.999+05:30");
    pv_calendar_free(cal);
}

PV_TEST(calendar, late_night_ist_uses_local_date)
{
    pv_calendar_t *cal = load_text(test_yaml);
    if (!cal)
        return;
    /* 18:00 UTC Thursday is 23:30 IST Thursday: still Thursday, due end of Friday. */
    pv_time_t thu = at("2026-01-08T18:00:00Z");
    PV_CHECK_EQ_INT(pv_calendar_local_day(cal, thu), day_of("2026-01-08"));
    CHECK_TIME(pv_calendar_due(cal, thu, 1, true), "2026-01-09T23:59:59.999+05:30");
    /* 18:45 UTC Thursday is 00:15 IST Friday: the next working day is Monday. */
    pv_time_t fri = at("2026-01-08T18:45:00Z");
    PV_CHECK_EQ_INT(pv_calendar_local_day(cal, fri), day_of("2026-01-09"));
    CHECK_TIME(pv_calendar_due(cal, fri, 1, true), "2026-01-12T23:59:59.999+05:30");
    /* The due instant in UTC. */
    char utc[32];
    pv_time_format(pv_calendar_due(cal, fri, 1, true), 0, utc);
    PV_CHECK_EQ_STR(utc, "2026-01-12T18:29:59.999Z");
    pv_calendar_free(cal);
}

PV_TEST(calendar, days_between)
{
    pv_calendar_t *cal = load_text(test_yaml);
    if (!cal)
        return;
    pv_time_t fri = at("2026-01-23T23:59:59.999+05:30"), tue = at("2026-01-27T00:30:00+05:30");
    PV_CHECK_EQ_INT(pv_calendar_days_between(cal, fri, tue, false), 4);
    PV_CHECK_EQ_INT(pv_calendar_days_between(cal, fri, tue, true), 1); /* Sat, Sun, holiday */
    PV_CHECK_EQ_INT(pv_calendar_days_between(cal, tue, fri, false), -4);
    PV_CHECK_EQ_INT(pv_calendar_days_between(cal, tue, fri, true), -1);
    PV_CHECK_EQ_INT(pv_calendar_days_between(cal, fri, fri + 1000, true), 0);
    /* Across the epoch and a whole year of 2026 (52 weeks + 1 day, a Thursday). */
    PV_CHECK_EQ_INT(pv_calendar_days_between(cal, at("1969-12-25"), at("1970-01-05"), true), 7);
    PV_CHECK_EQ_INT(pv_calendar_days_between(cal, at("2025-12-31"), at("2026-12-31"), true),
                    261 - 2); /* two weekday holidays in the test calendar */
    pv_calendar_free(cal);
}

PV_TEST(calendar, days_between_inverts_due)
{
    pv_calendar_t *cal = load_haryana();
    if (!cal)
        return;
    pv_time_t start = at("2025-09-15T10:00:00+05:30");
    for (int n = 0; n <= 400; n += 7) {
        PV_CHECK_EQ_INT(
            pv_calendar_days_between(cal, start, pv_calendar_due(cal, start, n, true), true), n);
        PV_CHECK_EQ_INT(
            pv_calendar_days_between(cal, start, pv_calendar_due(cal, start, n, false), false), n);
    }
    pv_calendar_free(cal);
}

/* The day-by-day definition, to check the week-table and binary-search path against. */
static int64_t naive_nth_working(const pv_calendar_t *cal, int64_t day, int n)
{
    while (n > 0)
        n -= pv_calendar_is_working_day(cal, ++day);
    return day;
}

static void cross_check(const char *yaml)
{
    pv_calendar_t *cal = load_text(yaml);
    if (!cal)
        return;
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 3000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        pv_time_t start = at("2025-12-01") + (pv_time_t)(x % (400ull * 86400000));
        int n = (int)(x >> 40) % 70;
        int64_t day = pv_calendar_local_day(cal, start);
        int64_t want = n ? naive_nth_working(cal, day, n) : day;
        int64_t got = pv_calendar_local_day(cal, pv_calendar_due(cal, start, n, true));
        if (got != want) {
            pv_test_fail(__FILE__, __LINE__, "day %lld + %d: got %lld, want %lld", (long long)day,
                         n, (long long)got, (long long)want);
            break;
        }
    }
    pv_calendar_free(cal);
}

PV_TEST(calendar, due_matches_naive_count)
{
    /* Five-day week, a six-day week with a cluster of holidays, a Friday-only weekly off, and
     * a seven-day week where only holidays stop the clock. */
    cross_check(test_yaml);
    cross_check("calendar: six\nutc_offset: \"-03:00\"\nweekly_off: [sunday]\nholidays:\n"
                "  - {date: 2026-03-02, name: a}\n  - {date: 2026-03-03, name: b}\n"
                "  - {date: 2026-03-04, name: c}\n  - {date: 2026-03-05, name: d}\n"
                "  - {date: 2026-03-06, name: e}\n  - {date: 2026-03-07, name: f}\n"
                "  - {date: 2026-03-09, name: g}\n  - {date: 2026-12-31, name: h}\n");
    cross_check("calendar: fri\nutc_offset: \"+03:00\"\nweekly_off: [friday]\nholidays:\n"
                "  - {date: 2026-06-18, name: x}\n  - {date: 2026-06-20, name: y}\n");
    cross_check("calendar: all\nutc_offset: \"+00:00\"\nweekly_off: []\nholidays:\n"
                "  - {date: 2026-01-01, name: x}\n  - {date: 2026-01-02, name: y}\n");
    size_t len = 0;
    char *haryana = pv_test_read_file("schemas/calendars/haryana.yaml", &len);
    if (haryana)
        cross_check(haryana);
    free(haryana);
}

/* The day-by-day definition, backwards. */
static int64_t naive_nth_working_before(const pv_calendar_t *cal, int64_t day, int n)
{
    while (n > 0)
        n -= pv_calendar_is_working_day(cal, --day);
    return day;
}

PV_TEST(calendar, add_days_backwards_matches_naive_count)
{
    size_t len = 0;
    char *text = pv_test_read_file("schemas/calendars/haryana.yaml", &len);
    pv_calendar_t *cal = NULL;
    char err[256];
    PV_CHECK(text && pv_calendar_load(text, len, "haryana.yaml", &cal, err, sizeof err) == 0);
    free(text);
    if (!cal)
        return;
    int64_t first = day_of("2024-12-01");
    for (int64_t day = first; day < first + 1200; day += 3) {
        for (int n = 1; n <= 40; n += 3) {
            int64_t back = pv_calendar_add_days(cal, day, -n, true);
            if (back != naive_nth_working_before(cal, day, n)) {
                pv_test_fail(__FILE__, __LINE__, "day %lld - %d", (long long)day, n);
                goto out;
            }
            /* From a working day, stepping back and forward again returns to it. */
            if (pv_calendar_is_working_day(cal, day))
                PV_CHECK_EQ_INT(pv_calendar_add_days(cal, back, n, true), day);
        }
    }
    PV_CHECK_EQ_INT(pv_calendar_add_days(cal, day_of("2026-01-26"), 0, true), day_of("2026-01-26"));
    PV_CHECK_EQ_INT(pv_calendar_add_days(cal, day_of("2026-01-26"), -30, false),
                    day_of("2025-12-27"));
out:
    pv_calendar_free(cal);
}

PV_TEST(calendar, add_days_and_day_bounds)
{
    /* 7 working days from Thu 22 Jan 2026: Fri 23 (Chhotu Ram Jayanti) and Mon 26 (Republic
     * Day) are holidays, so Tue 27 is the 1st and Wed 4 Feb the 7th. Two working days before
     * Wed 4 Feb is Mon 2 Feb (Tue 3 is one before). */
    pv_calendar_t *cal = load_haryana();
    if (!cal)
        return;
    pv_time_t due = pv_calendar_due(cal, at("2026-01-22T15:00:00+05:30"), 7, true);
    CHECK_TIME(due, "2026-02-04T23:59:59.999+05:30");
    int64_t due_day = pv_calendar_local_day(cal, due);
    CHECK_TIME(pv_calendar_day_start(cal, pv_calendar_add_days(cal, due_day, -2, true)),
               "2026-02-02T00:00:00+05:30");
    CHECK_TIME(pv_calendar_day_start(cal, pv_calendar_add_days(cal, due_day, -0, true)),
               "2026-02-04T00:00:00+05:30");
    CHECK_TIME(pv_calendar_day_end(cal, due_day) + 1, "2026-02-05T00:00:00+05:30");
    pv_calendar_free(cal);
}

PV_TEST(calendar, time_parse_format_round_trip)
{
    static const char *const texts[] = {
        "2026-04-01T10:00:00+05:30", "2026-04-01T10:00:00.250+05:30", "1970-01-01T00:00:00Z",
        "1969-12-31T23:59:59.999Z",  "2024-02-29T12:00:00-03:00",     "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999Z",  "2026-12-31T23:59:59-23:59",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        pv_time_t t;
        char out[32];
        int off = 0;
        const char *z = texts[i] + 19 + (texts[i][19] == '.' ? 4 : 0);
        if (*z != 'Z')
            off = (z[0] == '-' ? -1 : 1) *
                  ((z[1] - '0') * 600 + (z[2] - '0') * 60 + (z[4] - '0') * 10 + (z[5] - '0'));
        PV_CHECK_EQ_INT(pv_time_parse(texts[i], 0, &t), 0);
        pv_time_format(t, off, out);
        PV_CHECK_EQ_STR(out, texts[i]);
    }
}

PV_TEST(calendar, time_parse_values)
{
    pv_time_t t = -1;
    PV_CHECK_EQ_INT(pv_time_parse("1970-01-01T00:00:00Z", 0, &t), 0);
    PV_CHECK_EQ_INT(t, 0);
    PV_CHECK_EQ_INT(pv_time_parse("1970-01-01t05:30:00.5z", 0, &t), 0);
    PV_CHECK_EQ_INT(t, 19800500);
    PV_CHECK_EQ_INT(pv_time_parse("1970-01-01T05:30:00+05:30", 0, &t), 0);
    PV_CHECK_EQ_INT(t, 0);
    /* Digits beyond milliseconds are truncated. */
    PV_CHECK_EQ_INT(pv_time_parse("1970-01-01T00:00:00.123999999Z", 0, &t), 0);
    PV_CHECK_EQ_INT(t, 123);
    /* A bare date is local midnight at the given offset. */
    PV_CHECK_EQ_INT(pv_time_parse("2026-04-01", IST, &t), 0);
    char out[32];
    pv_time_format(t, 0, out);
    PV_CHECK_EQ_STR(out, "2026-03-31T18:30:00Z");
    PV_CHECK_EQ_INT(pv_time_parse("1969-12-31", 0, &t), 0);
    PV_CHECK_EQ_INT(t, -86400000);
}

PV_TEST(calendar, time_parse_rejects_invalid)
{
    static const char *const bad[] = {
        "",
        "2026-02-30",
        "2025-02-29",
        "1900-02-29", /* not a leap year */
        "2026-13-01",
        "2026-00-10",
        "2026-04-00",
        "2026-04-31",
        "2026-4-1",
        "26-04-01",
        "2026/04/01",
        " 2026-04-01",
        "2026-04-01 ",
        "2026-04-01T10:00:00",  /* no offset */
        "2026-04-01 10:00:00Z", /* space separator */
        "2026-04-01T24:00:00Z", /* hour 24 */
        "2026-04-01T10:60:00Z",
        "2026-04-01T10:00:60Z",  /* leap second */
        "2026-04-01T10:00Z",     /* no seconds */
        "2026-04-01T10:00:00.Z", /* empty fraction */
        "2026-04-01T10:00:00+0530",
        "2026-04-01T10:00:00+24:00",
        "2026-04-01T10:00:00+05:60",
        "2026-04-01T10:00:00+05:30x",
        "2026-04-01T10:00:00ZZ",
        "+2026-04-01",
        "2026-04-01T1:00:00Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pv_time_t t = 42;
        if (pv_time_parse(bad[i], 0, &t) != PV_EINVAL)
            pv_test_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
        PV_CHECK_EQ_INT(t, 42); /* out-param untouched */
    }
    pv_time_t t;
    PV_CHECK_EQ_INT(pv_time_parse(NULL, 0, &t), PV_EINVAL);
    PV_CHECK_EQ_INT(pv_time_parse("2024-02-29", 0, &t), 0);
    PV_CHECK_EQ_INT(pv_time_parse("2000-02-29", 0, &t), 0);
}

PV_TEST(calendar, time_format_clamps_out_of_range)
{
    char out[32];
    pv_time_format(INT64_MAX, IST, out);
    PV_CHECK_EQ_STR(out, "9999-12-31T23:59:59.999+05:30");
    pv_time_format(INT64_MIN, 0, out);
    PV_CHECK_EQ_STR(out, "0000-01-01T00:00:00Z");
}

PV_TEST(calendar, extreme_times_do_not_overflow)
{
    pv_calendar_t *cal = load_text(test_yaml);
    if (!cal)
        return;
    PV_CHECK_EQ_INT(pv_calendar_due(cal, INT64_MAX, 5, true), INT64_MAX);
    PV_CHECK_EQ_INT(pv_calendar_due(cal, INT64_MAX - 1, 0, false), INT64_MAX);
    PV_CHECK(pv_calendar_due(cal, INT64_MIN, 3, true) < 0);
    PV_CHECK(pv_calendar_days_between(cal, INT64_MIN, INT64_MAX, true) > 0);
    PV_CHECK(pv_calendar_due(cal, 0, 2000000000, true) > 0);
    pv_calendar_free(cal);
}

PV_TEST(calendar, haryana_file)
{
    pv_calendar_t *cal = load_haryana();
    if (!cal)
        return;
    PV_CHECK_EQ_STR(pv_calendar_name(cal), "haryana");
    PV_CHECK_EQ_INT(pv_calendar_utc_offset(cal), 330);
    static const char *const fixed[] = {"01-26", "04-14", "08-15", "10-02", "11-01", "12-25"};
    for (int y = 2025; y <= 2027; y++) {
        for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
            char date[16];
            snprintf(date, sizeof date, "%d-%s", y, fixed[i]);
            if (!pv_calendar_holiday_name(cal, day_of(date)))
                pv_test_fail(__FILE__, __LINE__, "%s is not a holiday", date);
        }
    }
    PV_CHECK_EQ_STR(pv_calendar_holiday_name(cal, day_of("2025-10-20")), "Diwali");
    PV_CHECK_EQ_STR(pv_calendar_holiday_name(cal, day_of("2026-11-01")), "Haryana Day");
    PV_CHECK(!pv_calendar_is_working_day(cal, day_of("2026-03-04"))); /* Holi */
    PV_CHECK(!pv_calendar_is_working_day(cal, day_of("2026-01-31"))); /* Saturday */
    PV_CHECK(pv_calendar_is_working_day(cal, day_of("2026-01-27")));
    /* Working days in 2026: 261 weekdays less the 20 weekday holidays. */
    PV_CHECK_EQ_INT(pv_calendar_days_between(cal, at("2025-12-31"), at("2026-12-31"), true), 241);
    pv_calendar_free(cal);
}

PV_TEST(calendar, yaml_unknown_key)
{
    PV_CHECK_EQ_STR(load_error("calendar: x\nutc_offset: \"+05:30\"\nweekly_offs: []\n"),
                    "test.yaml:3: unknown key 'weekly_offs' (expected one of: calendar, "
                    "utc_offset, weekly_off, holidays)");
    PV_CHECK_EQ_STR(load_error("calendar: x\nutc_offset: \"+05:30\"\nweekly_off: []\nholidays:\n"
                               "  - {date: 2026-01-26, name: R, type: gazetted}\n"),
                    "test.yaml:5: unknown key 'type' (expected one of: date, name)");
}

PV_TEST(calendar, yaml_bad_values)
{
    PV_CHECK_EQ_STR(load_error("calendar: x\nutc_offset: \"+05:30\"\nweekly_off: []\nholidays:\n"
                               "  - {date: 2026-01-26, name: R}\n"
                               "  - date: 2026-02-30\n    name: Q\n"),
                    "test.yaml:6: '2026-02-30' is not a valid YYYY-MM-DD date");
    PV_CHECK_EQ_STR(
        load_error("calendar: x\nutc_offset: \"+5:30\"\nweekly_off: []\nholidays: []\n"),
        "test.yaml:2: utc_offset '+5:30' is not \"+HH:MM\" or \"-HH:MM\"");
    PV_CHECK_EQ_STR(load_error("calendar: x\nutc_offset: \"+05:30\"\nweekly_off: [sat]\n"
                               "holidays: []\n"),
                    "test.yaml:3: 'sat' is not a day name (monday, tuesday, wednesday, thursday, "
                    "friday, saturday, sunday)");
    PV_CHECK_EQ_STR(load_error("calendar: x\nutc_offset: \"+05:30\"\nweekly_off: [sunday, sunday]\n"
                               "holidays: []\n"),
                    "test.yaml:3: 'sunday' is listed twice");
    PV_CHECK_EQ_STR(load_error("calendar: x\nutc_offset: \"+05:30\"\nweekly_off: []\nholidays:\n"
                               "  - {date: 2026-01-26}\n"),
                    "test.yaml:5: missing key 'name'");
    PV_CHECK_EQ_STR(load_error("calendar: x\nutc_offset: \"+05:30\"\nweekly_off: []\nholidays:\n"
                               "  - {date: 2026-01-26, name: \"\"}\n"),
                    "test.yaml:5: holiday name is empty");
    PV_CHECK_EQ_STR(load_error("utc_offset: \"+05:30\"\nweekly_off: []\nholidays: []\n"),
                    "test.yaml:1: missing key 'calendar'");
    PV_CHECK_EQ_STR(load_error("calendar: [x]\n"), "test.yaml:1: calendar must be a string");
    PV_CHECK_EQ_STR(load_error("calendar: Has Space\n"),
                    "test.yaml:1: calendar name 'Has Space' must be 1-63 characters of a-z, 0-9, "
                    "_ and -");
    PV_CHECK_EQ_STR(load_error("- a\n"), "test.yaml:1: a calendar must be a mapping");
    PV_CHECK_EQ_STR(load_error("calendar: x\nutc_offset: \"+05:30\"\nweekly_off: [monday, tuesday,"
                               " wednesday, thursday, friday, saturday, sunday]\nholidays: []\n"),
                    "test.yaml:3: weekly_off leaves no working day");
}

PV_TEST(calendar, yaml_duplicate_holiday)
{
    PV_CHECK_EQ_STR(load_error("calendar: x\nutc_offset: \"+05:30\"\nweekly_off: []\nholidays:\n"
                               "  - {date: 2026-10-20, name: Dussehra}\n"
                               "  - {date: 2026-01-26, name: Republic Day}\n"
                               "  - {date: 2026-10-20, name: Diwali}\n"),
                    "test.yaml:7: duplicate holiday 2026-10-20 (first at line 5)");
}

PV_TEST(calendar, yaml_syntax_errors_carry_line)
{
    const char *e = load_error("calendar: x\nutc_offset: \"+05:30\"\n  bad: indent\n");
    PV_CHECK(strncmp(e, "test.yaml:3: ", 13) == 0);
    e = load_error("calendar: x\nholidays: [\n");
    PV_CHECK(strncmp(e, "test.yaml:3: ", 13) == 0);
    PV_CHECK_EQ_STR(load_error(""), "test.yaml: empty document");
    PV_CHECK_EQ_STR(load_error("# only a comment\n"), "test.yaml: empty document");
    e = load_error("calendar: x\n\xff\xfe: y\n");
    PV_CHECK(strncmp(e, "test.yaml:2: ", 13) == 0);
    PV_CHECK_EQ_STR(load_error("calendar: x\n---\ncalendar: y\n"),
                    "test.yaml:3: more than one YAML document in the file");
    PV_CHECK_EQ_STR(load_error("calendar: x\ncalendar: y\n"),
                    "test.yaml:2: duplicate key 'calendar' (first at line 1)");
}

PV_TEST(calendar, yaml_rejects_aliases)
{
    /* A cycle (an alias inside its own anchor) and a "billion laughs" fan-out. */
    PV_CHECK_EQ_STR(load_error("&a [*a]\n"), "test.yaml:1: aliases are not supported (anchor at "
                                             "line 1)");
    PV_CHECK_EQ_STR(load_error("a: &x [1, 2]\nb: [*x, *x]\n"),
                    "test.yaml:2: aliases are not supported (anchor at line 1)");
    const char *e = load_error("a: *nope\n");
    PV_CHECK(strncmp(e, "test.yaml:1: ", 13) == 0 && strstr(e, "alias"));
}

PV_TEST(calendar, yaml_limits)
{
    /* Nesting deeper than PV_YAML_MAX_DEPTH, and input over PV_YAML_MAX_INPUT. */
    char deep[2 * PV_YAML_MAX_DEPTH + 8];
    size_t n = 0;
    for (int i = 0; i <= PV_YAML_MAX_DEPTH; i++)
        deep[n++] = '[';
    for (int i = 0; i <= PV_YAML_MAX_DEPTH; i++)
        deep[n++] = ']';
    deep[n] = '\0';
    PV_CHECK(strstr(load_error(deep), "nesting deeper than 64 levels") != NULL);
    pv_yaml_t y;
    char err[128];
    PV_CHECK_EQ_INT(pv_yaml_open(&y, "a: 1", PV_YAML_MAX_INPUT + 1, "big.yaml", err, sizeof err),
                    PV_ERANGE);
    PV_CHECK(strncmp(err, "big.yaml: ", 10) == 0);
    pv_yaml_close(&y);
}

PV_TEST(calendar, yaml_helpers)
{
    static const char text[] = "n: 42\nneg: -9223372036854775808\nbig: 9223372036854775808\n"
                               "hex: 0x10\nyes: true\nno: off\nnull1:\nnull2: ~\nq: \"~\"\n"
                               "seq: [a, b]\nmap: {k: v}\n";
    pv_yaml_t y;
    char err[256];
    int64_t v;
    bool b;
    PV_CHECK_EQ_INT(pv_yaml_open(&y, text, sizeof text - 1, "h.yaml", err, sizeof err), 0);
    yaml_node_t *root = pv_yaml_root(&y);
    PV_CHECK_EQ_INT(pv_yaml_int(&y, pv_yaml_get(&y, root, "n"), 0, 100, &v, err, sizeof err), 0);
    PV_CHECK_EQ_INT(v, 42);
    PV_CHECK_EQ_INT(pv_yaml_int(&y, pv_yaml_get(&y, root, "n"), 0, 10, &v, err, sizeof err),
                    PV_EINVAL);
    PV_CHECK_EQ_STR(err, "h.yaml:1: '42' is out of range [0, 10]");
    PV_CHECK_EQ_INT(
        pv_yaml_int(&y, pv_yaml_get(&y, root, "neg"), INT64_MIN, INT64_MAX, &v, err, sizeof err),
        0);
    PV_CHECK(v == INT64_MIN);
    PV_CHECK_EQ_INT(
        pv_yaml_int(&y, pv_yaml_get(&y, root, "big"), INT64_MIN, INT64_MAX, &v, err, sizeof err),
        PV_EINVAL);
    PV_CHECK_EQ_INT(pv_yaml_int(&y, pv_yaml_get(&y, root, "hex"), 0, 99, &v, err, sizeof err),
                    PV_EINVAL);
    PV_CHECK_EQ_STR(err, "h.yaml:4: '0x10' is not an integer");
    PV_CHECK_EQ_INT(pv_yaml_bool(&y, pv_yaml_get(&y, root, "yes"), &b, err, sizeof err), 0);
    PV_CHECK(b);
    PV_CHECK_EQ_INT(pv_yaml_bool(&y, pv_yaml_get(&y, root, "no"), &b, err, sizeof err), PV_EINVAL);
    PV_CHECK(pv_yaml_is_null(pv_yaml_get(&y, root, "null1")));
    PV_CHECK(pv_yaml_is_null(pv_yaml_get(&y, root, "null2")));
    PV_CHECK(!pv_yaml_is_null(pv_yaml_get(&y, root, "q")));
    PV_CHECK(pv_yaml_get(&y, root, "absent") == NULL);
    yaml_node_t *seq = pv_yaml_get(&y, root, "seq");
    PV_CHECK_EQ_INT(pv_yaml_len(seq), 2);
    PV_CHECK_EQ_STR(pv_yaml_str(pv_yaml_seq_at(&y, seq, 1)), "b");
    PV_CHECK(pv_yaml_seq_at(&y, seq, 2) == NULL);
    yaml_node_t *map = pv_yaml_get(&y, root, "map"), *val = NULL;
    PV_CHECK_EQ_STR(pv_yaml_map_at(&y, map, 0, NULL, &val), "k");
    PV_CHECK_EQ_STR(pv_yaml_str(val), "v");
    PV_CHECK_EQ_INT(pv_yaml_line(val), 11);
    PV_CHECK_EQ_INT(pv_yaml_expect(&y, map, YAML_SEQUENCE_NODE, "map", err, sizeof err), PV_EINVAL);
    PV_CHECK_EQ_STR(err, "h.yaml:11: map must be a sequence");
    pv_yaml_close(&y);
    pv_yaml_close(&y); /* idempotent */
}
