/* Worker clocks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "pravah/calendar.h"

int64_t pv_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t pv_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int pv_clock_parse(const char *spec, pv_clock_t *clock)
{
    char buf[96];
    memset(clock, 0, sizeof *clock);
    clock->wall_origin_ms = pv_wall_ms();
    if (strcmp(spec, "wall") == 0)
        return 0;
    if (strncmp(spec, "fixed:", 6) == 0) {
        clock->kind = 1;
        return pv_time_parse(spec + 6, 330, &clock->origin);
    }
    if (strncmp(spec, "scaled:", 7) == 0) {
        const char *colon = strrchr(spec, ':');
        size_t len = (size_t)(colon - (spec + 7));
        if (colon <= spec + 7 || len >= sizeof buf)
            return PV_EINVAL;
        memcpy(buf, spec + 7, len);
        buf[len] = '\0';
        char *end;
        clock->kind = 2;
        clock->factor = strtod(colon + 1, &end);
        if (*end || clock->factor <= 0)
            return PV_EINVAL;
        return pv_time_parse(buf, 330, &clock->origin);
    }
    if (strncmp(spec, "file:", 5) == 0 && spec[5] && strlen(spec + 5) < sizeof clock->path) {
        clock->kind = 3;
        strcpy(clock->path, spec + 5);
        return 0;
    }
    return PV_EINVAL;
}

static pv_time_t read_clock_file(pv_clock_t *clock)
{
    char buf[64];
    FILE *f = fopen(clock->path, "r");
    if (!f)
        return clock->origin;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    char *end;
    long long ms = strtoll(buf, &end, 10);
    pv_time_t t;
    if (*buf && !*end)
        clock->origin = ms;
    else if (pv_time_parse(buf, 330, &t) == 0)
        clock->origin = t;
    return clock->origin;
}

pv_time_t pv_clock_now(pv_clock_t *clock)
{
    switch (clock->kind) {
    case 3: return read_clock_file(clock);
    case 1: return clock->origin;
    case 2: return clock->origin + (pv_time_t)((double)(pv_wall_ms() - clock->wall_origin_ms) *
                                               clock->factor);
    default: return pv_wall_ms();
    }
}
