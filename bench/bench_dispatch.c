/*  =========================================================================
    bench_dispatch - fogrid's dispatch overhead against a ceiling and a peer

    usage: bench_dispatch [--tasks N] [--backlog K] [--array M] [--durability D] [--bin DIR]

    Dispatches N trivial tasks from one client to 4 workers through:
      1. a bare ZeroMQ ROUTER/DEALER broker (the ceiling: no storage, no
         matching, same message sizes as fogrid's),
      2. Gearman (gearmand from Debian, 4 C workers; the peer),
      3. fogrid: CLI client library -> hub -> 4 miners, once with the
         benchmark-only `null` runtime (the task completes without running:
         what is left is the grid's own cost, every task stored in SQLite,
         matched, assigned, reported and stored again) and once with the
         `process` runtime running /bin/true (fork, exec, output capture).
         Plain-text sockets, as the ceiling and Gearman use.
      4. fogrid again, null runtime, with K tasks (default 20000) queued
         first that no miner can take: what a deep queue costs the hub,
         which orders its queue for every round of placements.
      5. a job array of M null tasks (default 100000) in one request:
         seconds from the submit to the last result;
      6. one null task at a time: p50 submit-to-result latency.
    and prints tasks per second and p50/p99 submit-to-result latency for
    each, side by side, with the ratios to the ceiling; then each fogrid
    figure against its reference from the same run: Gearman and the
    ceiling, the null rate without the backlog, a bare posix_spawn loop
    of /bin/true with as many at once as the grid has slots, and the bare
    DEALER round trip. The hubs run with hub/assign_credit=2 (their miners
    pipeline); --durability full runs them with hub/durability=full (an
    fsync per commit).
    =========================================================================  */
#include "bench.h"
#include <sys/time.h>

#define S_RUNS 5

int64_t
bench_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bench_result_t *
bench_result_new (const char *name, int tasks)
{
    bench_result_t *self = (bench_result_t *) zmalloc (sizeof (bench_result_t));
    self->name = name;
    self->submitted_us = (int64_t *) zmalloc (sizeof (int64_t) * tasks);
    self->completed_us = (int64_t *) zmalloc (sizeof (int64_t) * tasks);
    return self;
}

void
bench_result_destroy (bench_result_t **self_p)
{
    if (*self_p) {
        free ((*self_p)->submitted_us);
        free ((*self_p)->completed_us);
        free (*self_p);
        *self_p = NULL;
    }
}

static int
s_compare (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y? -1: x > y;
}

typedef struct {
    double rate;                //  tasks per second
    double p50_ms, p99_ms;      //  latency
} s_figures_t;

static s_figures_t
s_figures (bench_result_t *result)
{
    s_figures_t figures = { 0, 0, 0 };
    int n = result->done;
    if (n == 0)
        return figures;
    int64_t *latency = (int64_t *) zmalloc (sizeof (int64_t) * n);
    int64_t first = INT64_MAX, last = 0;
    for (int i = 0; i < n; i++) {
        latency [i] = result->completed_us [i] - result->submitted_us [i];
        if (result->submitted_us [i] < first)
            first = result->submitted_us [i];
        if (result->completed_us [i] > last)
            last = result->completed_us [i];
    }
    qsort (latency, n, sizeof (int64_t), s_compare);
    figures.rate = last > first? n * 1e6 / (double) (last - first): 0;
    figures.p50_ms = latency [n / 2] / 1000.0;
    figures.p99_ms = latency [(n * 99) / 100 < n? (n * 99) / 100: n - 1] / 1000.0;
    free (latency);
    return figures;
}

//  Message sizes as fogrid encodes a trivial task, so the ceiling and the
//  peer move the same bytes.
static void
s_measure_sizes (bench_params_t *params)
{
    char *argv [] = { "/bin/true" };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.n_argv = 1;
    spec.argv = argv;
    Fogrid__SubmitRequest submit = FOGRID__SUBMIT_REQUEST__INIT;
    submit.spec = &spec;
    submit.client_token = "tok-0123456789ab";
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.version = FG_PROTO_VERSION;
    env.seq = 123456;
    env.body_case = FOGRID__ENVELOPE__BODY_SUBMIT;
    env.submit = &submit;
    params->request_size = fogrid__envelope__get_packed_size (&env);

    Fogrid__TaskAssign assign = FOGRID__TASK_ASSIGN__INIT;
    assign.task_id = "t-0123456789ab";
    assign.attempt = 1;
    assign.spec = &spec;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_ASSIGN;
    env.task_assign = &assign;
    params->assign_size = fogrid__envelope__get_packed_size (&env);

    Fogrid__TaskResult result = FOGRID__TASK_RESULT__INIT;
    result.task_id = "t-0123456789ab";
    result.attempt = 1;
    result.started_ms = (uint64_t) fg_now_ms ();
    result.ended_ms = result.started_ms + 1;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_RESULT;
    env.task_result = &result;
    params->result_size = fogrid__envelope__get_packed_size (&env);
}

int
main (int argc, char *argv [])
{
    bench_params_t params = { .tasks = 2000, .workers = 4, .bin_dir = NULL, .backlog = 20000,
                              .array = 100000, .durability = "normal" };
    for (int index = 1; index < argc; index++) {
        if (streq (argv [index], "--tasks") && index + 1 < argc)
            params.tasks = atoi (argv [++index]);
        else
        if (streq (argv [index], "--backlog") && index + 1 < argc)
            params.backlog = atoi (argv [++index]);
        else
        if (streq (argv [index], "--bin") && index + 1 < argc)
            params.bin_dir = argv [++index];
        else
        if (streq (argv [index], "--array") && index + 1 < argc)
            params.array = atoi (argv [++index]);
        else
        if (streq (argv [index], "--durability") && index + 1 < argc)
            params.durability = argv [++index];
        else {
            fprintf (stderr, "usage: bench_dispatch [--tasks N] [--backlog K] [--array M] "
                     "[--durability normal|full] [--bin DIR]\n");
            return 2;
        }
    }
    if (params.tasks < 10 || params.tasks > 1000000) {
        fprintf (stderr, "bench_dispatch: --tasks must be 10..1000000\n");
        return 2;
    }
    if (params.backlog < 0 || params.backlog > 1000000) {
        fprintf (stderr, "bench_dispatch: --backlog must be 0..1000000 (0: no such run)\n");
        return 2;
    }
    if (params.array < 0 || params.array > 1000000
    ||  (!streq (params.durability, "normal") && !streq (params.durability, "full"))) {
        fprintf (stderr, "bench_dispatch: --array must be 0..1000000, --durability normal "
                 "or full\n");
        return 2;
    }
    static char bin [1024];
    if (!params.bin_dir) {
        //  The programs sit next to this one
        ssize_t len = readlink ("/proc/self/exe", bin, sizeof bin - 1);
        bin [len > 0? len: 0] = 0;
        char *slash = strrchr (bin, '/');
        if (slash)
            *slash = 0;
        params.bin_dir = bin;
    }
    zsys_init ();
    zsys_set_logstream (NULL);
    s_measure_sizes (&params);
    printf ("dispatching %d trivial tasks to %d workers; messages of %zu/%zu/%zu bytes "
            "(submit/assign/result)\n\n", params.tasks, params.workers,
            params.request_size, params.assign_size, params.result_size);

    char backlog_name [64];
    snprintf (backlog_name, sizeof backlog_name, "fogrid, null, %dk queued", params.backlog / 1000);
    bench_result_t *results [S_RUNS] = {
        bench_result_new ("zeromq broker (ceiling)", params.tasks),
        bench_result_new ("gearman (peer)", params.tasks),
        bench_result_new ("fogrid, null runtime", params.tasks),
        bench_result_new ("fogrid, /bin/true", params.tasks),
        bench_result_new (backlog_name, params.tasks)
    };
    bench_ceiling (&params, results [0]);
    bench_gearman (&params, results [1]);
    bench_fogrid (&params, results [2], "null", 0);
    bench_fogrid (&params, results [3], "process", 0);
    if (params.backlog)
        bench_fogrid (&params, results [4], "null", params.backlog);
    else {
        results [4]->skipped = true;
        snprintf (results [4]->note, sizeof results [4]->note, "--backlog 0");
    }

    s_figures_t ceiling = s_figures (results [0]);
    printf ("%-26s %10s %10s %10s %12s\n", "", "tasks/s", "p50 ms", "p99 ms", "vs ceiling");
    for (int i = 0; i < S_RUNS; i++) {
        bench_result_t *result = results [i];
        if (result->skipped || result->done == 0) {
            printf ("%-26s %10s   (skipped: %s)\n", result->name, "-", result->note);
            continue;
        }
        s_figures_t figures = s_figures (result);
        printf ("%-26s %10.0f %10.2f %10.2f %11.1f%%", result->name, figures.rate,
                figures.p50_ms, figures.p99_ms,
                ceiling.rate > 0? 100.0 * figures.rate / ceiling.rate: 0.0);
        if (result->done < params.tasks)
            printf ("  (only %d of %d done)", result->done, params.tasks);
        printf ("\n");
    }
    printf ("\n");
    for (int i = 0; i < S_RUNS; i++)
        if (*results [i]->note && !results [i]->skipped)
            printf ("%s: %s\n", results [i]->name, results [i]->note);

    //  Each fogrid figure against its reference, from this run
    char array_note [256] = "", one_note [256] = "";
    double array_s = params.array? bench_fogrid_array (&params, params.array, array_note,
                                                       sizeof array_note): 0;
    double one_ms = bench_fogrid_one (&params, 200, one_note, sizeof one_note);
    double rtt_ms = bench_dealer_rtt_ms (params.assign_size, 2000);
    int slots = params.workers * 4;
    double spawn_rate = bench_spawn_rate (params.tasks, slots);
    s_figures_t gearman = s_figures (results [1]), null = s_figures (results [2]);
    s_figures_t process = s_figures (results [3]), queued = s_figures (results [4]);
    printf ("\nagainst references from this run (hub/durability=%s)\n%-50s %10s %11s %7s  %s\n",
            params.durability, "", "figure", "reference", "ratio", "target");
    printf ("%-50s %10.0f %11.0f %6.2fx  >= 1.0x\n", "null runtime vs gearman, tasks/s",
            null.rate, gearman.rate, gearman.rate > 0? null.rate / gearman.rate: 0);
    printf ("%-50s %10.0f %11.0f %6.1f%%  >= 30%%\n", "null runtime vs the ceiling, tasks/s",
            null.rate, ceiling.rate, ceiling.rate > 0? 100 * null.rate / ceiling.rate: 0);
    char label [64];
    snprintf (label, sizeof label, "null behind %dk queued vs without, tasks/s", params.backlog / 1000);
    printf ("%-50s %10.0f %11.0f %6.1f%%  cost <= 20%%\n", label, queued.rate, null.rate,
            null.rate > 0? 100 * (1 - queued.rate / null.rate): 0);
    snprintf (label, sizeof label, "/bin/true vs bare posix_spawn (%d at once), /s", slots);
    printf ("%-50s %10.0f %11.0f %6.1f%%\n", label, process.rate, spawn_rate,
            spawn_rate > 0? 100 * process.rate / spawn_rate: 0);
    if (params.array) {
        snprintf (label, sizeof label, "array of %d null tasks, submit to last, s", params.array);
        printf ("%-50s %10.2f %11s %7s  <= 10 s\n", label, array_s, "-", "");
    }
    printf ("%-50s %10.2f %11.3f %6.1fx  <= 3x\n", "p50 one in flight vs bare DEALER trip, ms",
            one_ms, rtt_ms, rtt_ms > 0? one_ms / rtt_ms: 0);
    if (*array_note)
        printf ("\narray: %s\n", array_note);
    printf ("one in flight: %s\n", one_note);
    for (int i = 0; i < S_RUNS; i++)
        bench_result_destroy (&results [i]);
    return 0;
}
