/*  =========================================================================
    bench_gearman - the same dispatch through Gearman, the peer

    A gearmand process on a loopback port, 4 worker threads with the C
    library, one client that adds every task and runs them concurrently.
    =========================================================================  */
#include "bench.h"

#ifndef BENCH_HAVE_GEARMAN
void
bench_gearman (const bench_params_t *params, bench_result_t *result)
{
    (void) params;
    result->skipped = true;
    snprintf (result->note, sizeof result->note,
              "built without libgearman (apt-get install libgearman-dev gearman-job-server)");
}
#else
#include <libgearman-1.0/gearman.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

typedef struct {
    int port;
    size_t result_size;
    volatile bool stop;
} s_shared_t;

static void *
s_job (gearman_job_st *job, void *context, size_t *result_size, gearman_return_t *ret_ptr)
{
    s_shared_t *shared = (s_shared_t *) context;
    byte *reply = (byte *) calloc (1, shared->result_size);
    const void *workload = gearman_job_workload (job);
    if (gearman_job_workload_size (job) >= sizeof (int))
        memcpy (reply, workload, sizeof (int));
    *result_size = shared->result_size;
    *ret_ptr = GEARMAN_SUCCESS;
    return reply;
}

static void *
s_worker (void *args)
{
    s_shared_t *shared = (s_shared_t *) args;
    gearman_worker_st *worker = gearman_worker_create (NULL);
    gearman_worker_add_server (worker, "127.0.0.1", (in_port_t) shared->port);
    gearman_worker_add_function (worker, "task", 0, s_job, shared);
    gearman_worker_set_timeout (worker, 100);
    while (!shared->stop)
        gearman_worker_work (worker);
    gearman_worker_free (worker);
    return NULL;
}

static bench_result_t *s_result;
static int s_tasks;

static gearman_return_t
s_complete (gearman_task_st *task)
{
    int index = -1;
    const void *data = gearman_task_data (task);
    if (data && gearman_task_data_size (task) >= sizeof (int))
        memcpy (&index, data, sizeof (int));
    if (index >= 0 && index < s_tasks) {
        s_result->completed_us [index] = bench_now_us ();
        s_result->done++;
    }
    return GEARMAN_SUCCESS;
}

void
bench_gearman (const bench_params_t *params, bench_result_t *result)
{
    const char *gearmand = "/usr/sbin/gearmand";
    if (access (gearmand, X_OK)) {
        result->skipped = true;
        snprintf (result->note, sizeof result->note,
                  "no %s (apt-get install gearman-job-server)", gearmand);
        return;
    }
    s_shared_t shared = { .port = 0, .result_size = params->result_size };
    //  A port nothing listens on
    zsock_t *probe = zsock_new (ZMQ_ROUTER);
    shared.port = zsock_bind (probe, "tcp://127.0.0.1:*");
    zsock_destroy (&probe);

    char port [16];
    snprintf (port, sizeof port, "%d", shared.port);
    pid_t pid = fork ();
    if (pid == 0) {
        execl (gearmand, gearmand, "--listen", "127.0.0.1", "--port", port, "--threads", "1",
               "--log-file", "none", "--verbose", "ERROR", "--round-robin", (char *) NULL);
        _exit (127);
    }
    zclock_sleep (500);

    pthread_t workers [16];
    for (int i = 0; i < params->workers; i++)
        pthread_create (&workers [i], NULL, s_worker, &shared);
    zclock_sleep (300);

    gearman_client_st *client = gearman_client_create (NULL);
    gearman_client_add_server (client, "127.0.0.1", (in_port_t) shared.port);
    gearman_client_set_complete_fn (client, s_complete);
    s_result = result;
    s_tasks = params->tasks;
    byte *request = (byte *) zmalloc (params->request_size);
    gearman_return_t rc = GEARMAN_SUCCESS;
    for (int i = 0; i < params->tasks && rc == GEARMAN_SUCCESS; i++) {
        memcpy (request, &i, sizeof i);
        gearman_client_add_task (client, NULL, NULL, "task", NULL,
                                 request, params->request_size, &rc);
    }
    //  Tasks leave when run_tasks starts; that is their submission time
    int64_t start = bench_now_us ();
    for (int i = 0; i < params->tasks; i++)
        result->submitted_us [i] = start;
    if (rc == GEARMAN_SUCCESS)
        rc = gearman_client_run_tasks (client);
    if (rc != GEARMAN_SUCCESS)
        snprintf (result->note, sizeof result->note, "gearman: %s", gearman_client_error (client));
    else
        snprintf (result->note, sizeof result->note,
                  "gearmand on loopback, 4 worker threads, all tasks added then run "
                  "(latency counted from the start of the run)");
    free (request);
    gearman_client_free (client);
    shared.stop = true;
    for (int i = 0; i < params->workers; i++)
        pthread_join (workers [i], NULL);
    kill (pid, SIGTERM);
    waitpid (pid, NULL, 0);
}
#endif
