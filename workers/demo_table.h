/* Tables for `pravah demo`: the rows of one SQL query printed with aligned columns (numbers to
 * the right), for a terminal or a log.
 *
 * Ownership: borrows the connection; the rows are held only while printing. */
#ifndef PRAVAH_DEMO_TABLE_H
#define PRAVAH_DEMO_TABLE_H

#include <stddef.h>
#include <stdio.h>

#include "pg.h"

/* Runs `sql` and prints `title`, then a header line from `headers` ("a|b|c", one name per
 * column the query returns), then the rows ("-" for NULL), or `empty` when there are none.
 * Returns the number of rows, or -1 with err filled. */
long pv_demo_table_print(pv_pg_t *pg, FILE *out, const char *title, const char *headers,
                         const char *sql, const char *empty, char *err, size_t errlen);

#endif
