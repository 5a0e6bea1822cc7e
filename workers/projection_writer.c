/* The projection transaction and its writer thread; see projection_writer.h. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "projection_writer.h"

static int batch_tables(pv_pg_t *pg, uint64_t *session, char *err, size_t errlen)
{
    if (*session == pv_pg_session(pg))
        return 0;
    int rc = pv_pg_exec(pg, "SELECT pravah.create_batch_tables()", err, errlen);
    if (rc == 0)
        *session = pv_pg_session(pg);
    return rc;
}

int pv_proj_txn(pv_pg_t *pg, const pv_proj_job_t *job, uint64_t *session, char *err,
                size_t errlen)
{
    int rc = batch_tables(pg, session, err, errlen);
    rc = rc ? rc : pv_pg_exec(pg, "BEGIN", err, errlen);
    rc = rc ? rc : pv_proj_apply_copy(job->apply, job->dom, pg, err, errlen);
    if (rc == 0 && job->errors->len)
        rc = pv_pg_copy(pg,
                        "COPY pravah.projection_errors (topic_partition, kafka_offset, reason, "
                        "bytes) FROM STDIN",
                        job->errors->data, job->errors->len, err, errlen);
    rc = rc ? rc : pv_pg_exec(pg, job->sql, err, errlen);
    return pv_proj_txn_end(pg, rc);
}

int pv_proj_txn_end(pv_pg_t *pg, int rc)
{
    if (rc != 0 && strcmp(pv_pg_sqlstate(pg), "PVF01") == 0)
        rc = PV_PROJECTION_FENCED;
    if (rc != 0 && pv_pg_is_connected(pg)) {
        char e2[256];
        pv_pg_exec(pg, "ROLLBACK", e2, sizeof e2);
    }
    return rc;
}

struct pv_proj_writer_s {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int busy, stop;
    pv_proj_job_t job;
    pv_pg_t *pg;
    uint64_t session;
    int rc;
    char err[1024];
    int64_t busy_us, waited_us; /* under mu: jobs' run time; callers' time blocked in waits */
};

/* One job on the writer's own connection, connecting first when it is down. */
static void run_job(pv_proj_writer_t *w)
{
    w->err[0] = '\0';
    w->rc = pv_pg_is_connected(w->pg) ? 0 : pv_pg_connect(w->pg, w->err, sizeof w->err);
    if (w->rc == 0)
        w->rc = pv_proj_txn(w->pg, &w->job, &w->session, w->err, sizeof w->err);
}

/* Before the first job: connect and prepare the session (the batch tables, apply_batch's
 * plan and plpgsql compiled, in a transaction rolled back), which otherwise adds ~100 ms to the
 * first batch. Failures are left to the first job, which connects again and reports them. */
static void warm_up(pv_proj_writer_t *w)
{
    char err[512];
    if (pv_pg_connect(w->pg, err, sizeof err) != 0 ||
        batch_tables(w->pg, &w->session, err, sizeof err) != 0)
        return;
    if (pv_pg_exec(w->pg, "BEGIN; SELECT pravah.apply_batch(); ROLLBACK", err, sizeof err) != 0 &&
        pv_pg_is_connected(w->pg))
        pv_pg_exec(w->pg, "ROLLBACK", err, sizeof err);
}

static void *writer_main(void *arg)
{
    pv_proj_writer_t *w = arg;
    warm_up(w);
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->busy && !w->stop)
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->busy)
            break;
        pthread_mutex_unlock(&w->mu);
        int64_t t0 = pv_mono_us();
        run_job(w);
        pthread_mutex_lock(&w->mu);
        w->busy_us += pv_mono_us() - t0;
        w->busy = 0;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

pv_proj_writer_t *pv_proj_writer_new(const char *conninfo)
{
    pv_proj_writer_t *w = calloc(1, sizeof *w);
    if (!w || !(w->pg = pv_pg_new(conninfo))) {
        free(w);
        return NULL;
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        pv_pg_free(w->pg);
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        free(w);
        return NULL;
    }
    return w;
}

void pv_proj_writer_free(pv_proj_writer_t *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    pv_pg_free(w->pg);
    free(w);
}

void pv_proj_writer_start(pv_proj_writer_t *w, const pv_proj_job_t *job)
{
    pthread_mutex_lock(&w->mu);
    w->job = *job;
    w->busy = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

int pv_proj_writer_busy(const pv_proj_writer_t *w)
{
    pv_proj_writer_t *m = (pv_proj_writer_t *)w; /* the lock, not the state, changes */
    pthread_mutex_lock(&m->mu);
    int busy = m->busy;
    pthread_mutex_unlock(&m->mu);
    return busy;
}

/* Under mu: blocks until no job is in flight, counting the time blocked. */
static void until_idle(pv_proj_writer_t *w)
{
    if (!w->busy)
        return;
    int64_t t0 = pv_mono_us();
    while (w->busy)
        pthread_cond_wait(&w->cv, &w->mu);
    w->waited_us += pv_mono_us() - t0;
}

void pv_proj_writer_idle(pv_proj_writer_t *w)
{
    pthread_mutex_lock(&w->mu);
    until_idle(w);
    pthread_mutex_unlock(&w->mu);
}

int pv_proj_writer_wait(pv_proj_writer_t *w, char *err, size_t errlen)
{
    pthread_mutex_lock(&w->mu);
    until_idle(w);
    int rc = w->rc;
    if (rc)
        snprintf(err, errlen, "%s", w->err);
    w->rc = 0;
    pthread_mutex_unlock(&w->mu);
    return rc;
}

void pv_proj_writer_times(const pv_proj_writer_t *w, int64_t *busy_us, int64_t *waited_us)
{
    pv_proj_writer_t *m = (pv_proj_writer_t *)w; /* the lock, not the state, changes */
    pthread_mutex_lock(&m->mu);
    *busy_us += m->busy_us;
    *waited_us += m->waited_us;
    pthread_mutex_unlock(&m->mu);
}
