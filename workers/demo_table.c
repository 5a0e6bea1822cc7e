/* Aligned tables from SQL rows (demo_table.h). */
#include <stdlib.h>
#include <string.h>

#include "demo_table.h"

#define MAX_COLS 16
#define MAX_WIDTH 40 /* longer values are cut with "~" */

typedef struct table_s {
    int ncols;
    char **cells; /* nrows * ncols, row by row; row 0 is the header */
    size_t nrows, cap;
    int oom;
} table_t;

static int add_cell_row(table_t *t, int ncols, const char *const *values)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 32;
        char **c = realloc(t->cells, cap * (size_t)t->ncols * sizeof *c);
        if (!c)
            return t->oom = 1;
        t->cells = c;
        t->cap = cap;
    }
    for (int i = 0; i < t->ncols; i++)
        t->cells[t->nrows * (size_t)t->ncols + (size_t)i] =
            strdup(i < ncols && values[i] ? values[i] : "-");
    t->nrows++;
    return 0;
}

static int row_cb(void *ctx, int ncols, const char *const *values)
{
    return add_cell_row(ctx, ncols, values);
}

static int is_number(const char *s)
{
    char *end;
    if (strcmp(s, "-") == 0)
        return 1;
    strtod(s, &end);
    return *s && !*end;
}

static void print_table(const table_t *t, FILE *out)
{
    size_t width[MAX_COLS] = {0};
    int numeric[MAX_COLS];
    for (int c = 0; c < t->ncols; c++) {
        numeric[c] = t->nrows > 1;
        for (size_t r = 0; r < t->nrows; r++) {
            const char *s = t->cells[r * (size_t)t->ncols + (size_t)c];
            size_t w = strlen(s) > MAX_WIDTH ? MAX_WIDTH : strlen(s);
            width[c] = w > width[c] ? w : width[c];
            if (r > 0 && !is_number(s))
                numeric[c] = 0;
        }
    }
    for (size_t r = 0; r < t->nrows; r++) {
        fprintf(out, " ");
        for (int c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * (size_t)t->ncols + (size_t)c];
            int w = (int)width[c], cut = strlen(s) > MAX_WIDTH;
            fprintf(out, numeric[c] ? " %*.*s%s" : " %-*.*s%s", cut ? w - 1 : w, cut ? w - 1 : w, s,
                    cut ? "~" : "");
        }
        fprintf(out, "\n");
    }
}

static void split_headers(const char *headers, char **names, int *n)
{
    *n = 0;
    for (const char *p = headers; *n < MAX_COLS; p++) {
        size_t len = strcspn(p, "|");
        names[(*n)++] = strndup(p, len);
        p += len;
        if (!*p)
            break;
    }
}

long pv_demo_table_print(pv_pg_t *pg, FILE *out, const char *title, const char *headers,
                         const char *sql, const char *empty, char *err, size_t errlen)
{
    table_t t = {0};
    char *names[MAX_COLS];
    split_headers(headers, names, &t.ncols);
    add_cell_row(&t, t.ncols, (const char *const *)names);
    for (int i = 0; i < t.ncols; i++)
        free(names[i]);
    long rows = -1;
    if (pv_pg_query(pg, sql, 0, NULL, row_cb, &t, err, errlen) == 0 && !t.oom) {
        rows = (long)t.nrows - 1;
        fprintf(out, "\n%s\n", title);
        if (rows > 0)
            print_table(&t, out);
        else
            fprintf(out, "  %s\n", empty);
    } else if (t.oom) {
        snprintf(err, errlen, "out of memory");
    }
    for (size_t i = 0; i < t.nrows * (size_t)t.ncols; i++)
        free(t.cells[i]);
    free(t.cells);
    return rows;
}
