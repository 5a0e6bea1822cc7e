/* Child processes of `pravah demo` (demo_proc.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "demo_proc.h"

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* In the child, before exec: own process group, die with the parent, stdin from /dev/null,
 * stdout to out_fd, stderr to the log. Only async-signal-safe calls. */
static void child_setup(const char *dir, int log_fd, int out_fd, int keep)
{
    setpgid(0, 0);
    if (!keep)
        prctl(PR_SET_PDEATHSIG, SIGTERM);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0)
        dup2(null_fd, 0);
    dup2(out_fd, 1);
    dup2(log_fd, 2);
    if (dir && chdir(dir) != 0)
        _exit(126);
}

static int open_log(const char *log, char *err, size_t errlen)
{
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        snprintf(err, errlen, "%s: cannot open the log: %s", log, strerror(errno));
    return fd;
}

int pv_demo_proc_spawn(pv_demo_proc_t *p, const char *name, char *const argv[], const char *dir,
                       const char *log, char *err, size_t errlen)
{
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->log, sizeof p->log, "%s", log);
    p->status = -1;
    int fd = open_log(log, err, errlen);
    if (fd < 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        child_setup(dir, fd, fd, p->keep);
        execv(argv[0], argv);
        dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fd);
    if (pid < 0) {
        snprintf(err, errlen, "cannot start %s: fork: %s", name, strerror(errno));
        return -1;
    }
    p->pid = pid;
    return 0;
}

static int exit_status(int ws)
{
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : -1;
}

int pv_demo_proc_alive(pv_demo_proc_t *p)
{
    int ws;
    if (p->pid <= 0)
        return 0;
    pid_t r = waitpid(p->pid, &ws, WNOHANG);
    if (r == 0)
        return 1;
    p->status = r == p->pid ? exit_status(ws) : -1;
    p->pid = 0;
    return 0;
}

int pv_demo_proc_stop(pv_demo_proc_t *p, int timeout_ms)
{
    if (!pv_demo_proc_alive(p))
        return p->status < 0 ? 0 : p->status;
    kill(p->pid, SIGTERM);
    for (int waited = 0; waited < timeout_ms && pv_demo_proc_alive(p); waited += 20)
        sleep_ms(20);
    if (pv_demo_proc_alive(p)) {
        kill(p->pid, SIGKILL);
        int ws;
        if (waitpid(p->pid, &ws, 0) == p->pid)
            p->status = exit_status(ws);
        p->pid = 0;
    }
    return p->status;
}

static void read_all(int fd, char *out, size_t outlen, pid_t pid, volatile sig_atomic_t *stop)
{
    size_t n = 0;
    char sink[4096];
    int killed = 0;
    for (;;) {
        ssize_t r =
            n + 1 < outlen ? read(fd, out + n, outlen - 1 - n) : read(fd, sink, sizeof sink);
        if (r < 0 && errno == EINTR) {
            if (stop && *stop && !killed++)
                kill(pid, SIGTERM);
            continue;
        }
        if (r <= 0)
            break;
        if (n + 1 < outlen)
            n += (size_t)r;
    }
    if (outlen)
        out[n] = '\0';
}

int pv_demo_proc_capture(char *const argv[], const char *log, char *out, size_t outlen,
                         volatile sig_atomic_t *stop)
{
    char err[256];
    int pipefd[2], ws;
    int log_fd = open_log(log, err, sizeof err);
    if (log_fd < 0 || pipe2(pipefd, O_CLOEXEC) != 0) {
        fprintf(stderr, "pravah demo: %s\n", log_fd < 0 ? err : strerror(errno));
        if (log_fd >= 0)
            close(log_fd);
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        child_setup(NULL, log_fd, pipefd[1], 1);
        execv(argv[0], argv);
        dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(pipefd[1]);
    close(log_fd);
    if (pid > 0)
        read_all(pipefd[0], out, outlen, pid, stop);
    close(pipefd[0]);
    if (pid < 0)
        return -1;
    while (waitpid(pid, &ws, 0) < 0)
        if (errno != EINTR)
            return -1;
    return exit_status(ws);
}

void pv_demo_proc_tail(const char *log, int lines)
{
    FILE *f = fopen(log, "r");
    if (!f)
        return;
    char **ring = calloc((size_t)lines, sizeof *ring), *line = NULL;
    size_t cap = 0, n = 0;
    while (ring && getline(&line, &cap, f) >= 0) {
        free(ring[n % (size_t)lines]);
        ring[n++ % (size_t)lines] = strdup(line);
    }
    for (size_t i = n > (size_t)lines ? n - (size_t)lines : 0; ring && i < n; i++) {
        fprintf(stderr, "    %s", ring[i % (size_t)lines]);
        free(ring[i % (size_t)lines]);
    }
    free(ring);
    free(line);
    fclose(f);
}
