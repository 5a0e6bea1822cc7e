/* Child processes of `pravah demo`: started in their own process group (so a Ctrl-C at the
 * terminal reaches the demo alone, which then stops them in order), asked to die with the demo
 * (PR_SET_PDEATHSIG) unless kept, output to a log file, stopped by pid only.
 *
 * Ownership: a pv_demo_proc_t is embedded by its owner; it borrows nothing after spawn. */
#ifndef PRAVAH_DEMO_PROC_H
#define PRAVAH_DEMO_PROC_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct pv_demo_proc_s {
    char name[32];
    pid_t pid;      /* 0: not running */
    int status;     /* exit status once reaped (-1 before) */
    char log[1100]; /* stdout and stderr */
    int keep;       /* set before spawn: the child outlives the demo (no PR_SET_PDEATHSIG) */
} pv_demo_proc_t;

/* Starts argv[0] (a path) with argv, cwd `dir`, stdout and stderr appended to `log`. Returns 0
 * or -1 with err filled. */
int pv_demo_proc_spawn(pv_demo_proc_t *p, const char *name, char *const argv[], const char *dir,
                       const char *log, char *err, size_t errlen);
/* Non-zero while the child runs (reaps it when it has exited: p->status). */
int pv_demo_proc_alive(pv_demo_proc_t *p);
/* SIGTERM, then up to timeout_ms for it to exit, then SIGKILL. Returns its exit status (128+N
 * for signal N), or 0 when it was not running. */
int pv_demo_proc_stop(pv_demo_proc_t *p, int timeout_ms);
/* Runs argv to completion (own process group, stdin closed), its stdout into out (NUL-ended,
 * truncated to outlen), stderr appended to `log`. When *stop becomes non-zero (a signal
 * interrupted the wait) the child is sent SIGTERM. Returns the exit status, or -1. */
int pv_demo_proc_capture(char *const argv[], const char *log, char *out, size_t outlen,
                         volatile sig_atomic_t *stop);
/* The last `lines` lines of a log file, to stderr, each indented. */
void pv_demo_proc_tail(const char *log, int lines);

#endif
