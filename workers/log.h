/* JSON log lines on stderr: {"ts":"...","level":"info","proc":"advance","msg":"...", ...}.
 * Extra fields come as key/value string pairs ending with NULL. Thread-safe (one write per line). */
#ifndef PRAVAH_LOG_H
#define PRAVAH_LOG_H

void pv_log_init(const char *proc);
void pv_log(const char *level, const char *msg, ...) __attribute__((sentinel));
/* printf-style message, no extra fields. */
void pv_logf(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
