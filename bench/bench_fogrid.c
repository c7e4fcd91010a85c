/*  =========================================================================
    bench_fogrid - the same dispatch through a real fogrid hub and miners

    Starts fogrid-hub and 4 fogrid-miners as processes on loopback (no
    locator: the client and the miners are given the hub's endpoints), then
    submits every task with the CLI's client library and waits until the
    hub reports them all done. A task's latency runs from the client's
    submit call to the hub's record of its result.
    =========================================================================  */
#include "bench.h"

#ifndef BENCH_HAVE_FOGRID
void
bench_fogrid (const bench_params_t *params, bench_result_t *result, const char *runtime,
              int backlog)
{
    (void) params;
    (void) runtime;
    (void) backlog;
    result->skipped = true;
    snprintf (result->note, sizeof result->note, "built without the cli folder");
}

double
bench_fogrid_array (const bench_params_t *params, int count, char *note, size_t note_size)
{
    (void) params;
    (void) count;
    snprintf (note, note_size, "built without the cli folder");
    return 0;
}

double
bench_fogrid_one (const bench_params_t *params, int rounds, char *note, size_t note_size)
{
    (void) params;
    (void) rounds;
    snprintf (note, note_size, "built without the cli folder");
    return 0;
}
#else
#include "cli_client.h"

#define S_WINDOW 100    //  submits in flight

static uint64_t
s_count (Fogrid__HealthReply *health, const char *state)
{
    for (size_t i = 0; i < health->n_tasks_by_state; i++)
        if (streq (health->tasks_by_state [i]->name, state))
            return health->tasks_by_state [i]->value;
    return 0;
}

//  Submits count tasks of spec through sock, window in flight, tokens
//  PREFIX-N; the ids go into ids (when given) by seq, submit times into
//  submitted_us (when given). Returns how many were accepted; note says
//  why the others were not.
static int
s_submit_all (zsock_t *sock, Fogrid__TaskSpec *spec, const char *prefix, int count,
              char **ids, int64_t *submitted_us, char *note, size_t note_size)
{
    int submitted = 0, sent = 0;
    while (submitted < count) {
        while (sent < count && sent - submitted < S_WINDOW) {
            char token [64];
            snprintf (token, sizeof token, "%s-%d", prefix, sent);
            Fogrid__SubmitRequest submit = FOGRID__SUBMIT_REQUEST__INIT;
            submit.spec = spec;
            submit.client_token = token;
            fg_env_t env = FOGRID__ENVELOPE__INIT;
            env.seq = (uint64_t) sent + 1;
            env.body_case = FOGRID__ENVELOPE__BODY_SUBMIT;
            env.submit = &submit;
            if (submitted_us)
                submitted_us [sent] = bench_now_us ();
            fg_msg_send (sock, NULL, &env);
            sent++;
        }
        fg_error_t error;
        fg_env_t *reply = fg_msg_recv (sock, NULL, &error, NULL);
        if (!reply || reply->body_case != FOGRID__ENVELOPE__BODY_SUBMIT_REPLY
        ||  reply->seq == 0 || reply->seq > (uint64_t) count) {
            snprintf (note, note_size, "submit %d failed: %s", submitted,
                      !reply? "no answer in 10 s"
                    : reply->body_case == FOGRID__ENVELOPE__BODY_ERROR? reply->error->text
                    : "unexpected answer");
            fg_msg_free (&reply);
            break;
        }
        if (ids)
            ids [reply->seq - 1] = strdup (reply->submit_reply->task_id);
        submitted++;
        fg_msg_free (&reply);
    }
    return submitted;
}

//  A hub and params->workers miners of runtime, on loopback, in a temp dir
typedef struct {
    char dir [64];
    char buyers [64];
    pid_t hub;
    pid_t miners [16];
    int count;
    cli_client_t *client;       //  NULL when the hub did not answer
    char err [512];
} s_grid_t;

static int
s_grid_up (s_grid_t *grid, const bench_params_t *params, const char *runtime, int queue_max)
{
    memset (grid, 0, sizeof *grid);
    snprintf (grid->dir, sizeof grid->dir, "/tmp/fogrid-bench-XXXXXX");
    if (!mkdtemp (grid->dir)) {
        snprintf (grid->err, sizeof grid->err, "cannot make a temp dir");
        return -1;
    }
    char hub_bin [1100], miner_bin [1100], miners [64], data [128];
    snprintf (hub_bin, sizeof hub_bin, "%s/fogrid-hub", params->bin_dir);
    snprintf (miner_bin, sizeof miner_bin, "%s/fogrid-miner", params->bin_dir);
    snprintf (grid->buyers, sizeof grid->buyers, "tcp://127.0.0.1:%d", bench_free_port ());
    snprintf (miners, sizeof miners, "tcp://127.0.0.1:%d", bench_free_port ());
    snprintf (data, sizeof data, "%s/hub", grid->dir);
    char queue [64], durability [64];
    snprintf (queue, sizeof queue, "hub/queue_max=%d", queue_max);
    snprintf (durability, sizeof durability, "hub/durability=%s",
              params->durability? params->durability: "normal");
    char *hub_argv [] = { hub_bin, "--buyers", grid->buyers, "--miners", miners, "--locator", "",
                          "--data", data, "-o", queue, "-o", "security/insecure=1",
                          "-o", "hub/buyer_rate=0", "-o", "hub/miner_rate=0",
                          "-o", "hub/tasks_per_buyer=100000000", "-o", durability,
                          "-o", "hub/assign_credit=2", NULL };
    grid->hub = bench_spawn (grid->dir, "hub.log", hub_argv);
    char runtime_opt [64];
    snprintf (runtime_opt, sizeof runtime_opt, "miner/runtime=%s", runtime);
    grid->count = params->workers < 16? params->workers: 16;
    for (int i = 0; i < grid->count; i++) {
        char name [32], mdata [128], log [32], id [64];
        snprintf (name, sizeof name, "bench%d", i);
        snprintf (mdata, sizeof mdata, "%s/%s", grid->dir, name);
        snprintf (log, sizeof log, "%s.log", name);
        snprintf (id, sizeof id, "miner/id=m-bench%d", i);
        char *argv [] = { miner_bin, "--hub", miners, "--name", name, "--data", mdata,
                          "--cores", "4", "-o", runtime_opt, "-o", id,
                          "-o", "security/insecure=1", NULL };
        grid->miners [i] = bench_spawn (grid->dir, log, argv);
    }
    //  Wait for the miners to say hello
    for (int tries = 0; tries < 100; tries++) {
        zclock_sleep (100);
        if (!grid->client)
            grid->client = cli_client_new (NULL, grid->buyers, NULL, 10000, grid->err,
                                           sizeof grid->err);
        fg_env_t *reply = NULL;
        Fogrid__HealthReply *health = grid->client? cli_client_health (grid->client, &reply): NULL;
        uint64_t connected = 0;
        for (size_t i = 0; health && i < health->n_miners_by_state; i++)
            if (streq (health->miners_by_state [i]->name, "connected"))
                connected = health->miners_by_state [i]->value;
        fg_msg_free (&reply);
        if ((int) connected == grid->count)
            break;
    }
    return grid->client? 0: -1;
}

static void
s_grid_down (s_grid_t *grid)
{
    cli_client_destroy (&grid->client);
    for (int i = 0; i < grid->count; i++)
        bench_stop (grid->miners [i]);
    bench_stop (grid->hub);
    char command [128];
    snprintf (command, sizeof command, "rm -rf %s", grid->dir);
    if (system (command)) {}
}

static zsock_t *
s_pipeline (const char *buyers)
{
    zsock_t *pipeline = zsock_new (ZMQ_DEALER);
    zsock_set_rcvtimeo (pipeline, 60000);
    zsock_set_sndhwm (pipeline, 0);
    zsock_set_rcvhwm (pipeline, 0);
    zsock_connect (pipeline, "%s", buyers);
    return pipeline;
}

void
bench_fogrid (const bench_params_t *params, bench_result_t *result, const char *runtime,
              int backlog)
{
    s_grid_t grid;
    s_grid_up (&grid, params, runtime, params->tasks + backlog + 10);
    cli_client_t *client = grid.client;
    char *dir = grid.dir;
    const char *buyers = grid.buyers;
    char *err = grid.err;
    char **ids = (char **) zmalloc (sizeof (char *) * params->tasks);
    char *argv [] = { runtime && streq (runtime, "process")? "/bin/true": "noop" };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.n_argv = 1;
    spec.argv = argv;
    spec.runtime = (char *) runtime;
    //  Submits are pipelined, S_WINDOW in flight, as the ceiling and
    //  Gearman send theirs: the hub's throughput is measured, not one
    //  client's round trips
    zsock_t *pipeline = s_pipeline (buyers);
    //  The backlog first, untimed: it waits in the queue the whole run
    int waiting = 0;
    if (client && backlog > 0) {
        Fogrid__TaskSpec stuck = spec;
        stuck.cores = 1000;
        waiting = s_submit_all (pipeline, &stuck, "backlog", backlog, NULL, NULL,
                                result->note, sizeof result->note);
        zsock_destroy (&pipeline);      //  (a new one: its seqs start again)
        pipeline = s_pipeline (buyers);
    }
    char prefix [64];
    snprintf (prefix, sizeof prefix, "bench-%s", runtime);
    int submitted = client && waiting == backlog
                  ? s_submit_all (pipeline, &spec, prefix, params->tasks, ids,
                                  result->submitted_us, result->note, sizeof result->note)
                  : 0;
    zsock_destroy (&pipeline);
    //  Done when the hub counts every task finished
    int64_t deadline = zclock_mono () + 120000;
    while (client && submitted && zclock_mono () < deadline) {
        fg_env_t *reply = NULL;
        Fogrid__HealthReply *health = cli_client_health (client, &reply);
        uint64_t finished = health? s_count (health, "succeeded") + s_count (health, "failed"): 0;
        fg_msg_free (&reply);
        if ((int) finished >= submitted)
            break;
        zclock_sleep (20);
    }
    //  Each task's completion time, as the hub recorded it
    for (int i = 0; i < submitted; i++) {
        fg_env_t *reply = NULL;
        Fogrid__TaskInfo *info = ids [i]? cli_client_status (client, ids [i], &reply): NULL;
        if (info && streq (info->state, "succeeded")) {
            result->completed_us [i] = (int64_t) info->updated_ms * 1000;
            if (result->completed_us [i] < result->submitted_us [i])
                result->completed_us [i] = result->submitted_us [i];
            result->done++;
        }
        fg_msg_free (&reply);
        free (ids [i]);
    }
    free (ids);
    if (!*result->note) {
        if (!client)
            snprintf (result->note, sizeof result->note, "no hub: %s", err);
        else
            snprintf (result->note, sizeof result->note,
                      "hub + %d miner processes, SQLite on %s, %d submits in flight%s",
                      params->workers, dir, S_WINDOW,
                      backlog? ", behind a queue of tasks no miner can take": "");
    }
    s_grid_down (&grid);
}

//  Submit to last result of an array of count null tasks, in seconds
//  (0 when it did not finish; note says why)
double
bench_fogrid_array (const bench_params_t *params, int count, char *note, size_t note_size)
{
    s_grid_t grid;
    double seconds = 0;
    if (s_grid_up (&grid, params, "null", count + 10)) {
        snprintf (note, note_size, "no hub: %s", grid.err);
        s_grid_down (&grid);
        return 0;
    }
    char *argv [] = { "noop", "{}" };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.n_argv = 2;
    spec.argv = argv;
    spec.runtime = "null";
    Fogrid__SubmitArrayRequest request = FOGRID__SUBMIT_ARRAY_REQUEST__INIT;
    request.spec = &spec;
    request.first = 1;
    request.last = (uint32_t) count;
    request.client_token = "bench-array";
    int64_t start = bench_now_us ();
    fg_env_t *reply = NULL;
    Fogrid__SubmitArrayReply *submitted = cli_client_submit_array (grid.client, &request, &reply);
    if (!submitted) {
        snprintf (note, note_size, "array refused: %s", cli_client_error_text (grid.client));
        s_grid_down (&grid);
        return 0;
    }
    char array_id [32];
    snprintf (array_id, sizeof array_id, "%s", submitted->array_id);
    double submit_s = (double) (bench_now_us () - start) / 1e6;
    fg_msg_free (&reply);
    int64_t deadline = zclock_mono () + 300000;
    while (zclock_mono () < deadline) {
        Fogrid__ArrayStatusReply *status = cli_client_array_status (grid.client, array_id, &reply);
        uint64_t done = 0;
        for (size_t i = 0; status && i < status->n_by_state; i++)
            if (streq (status->by_state [i]->name, "succeeded")
            ||  streq (status->by_state [i]->name, "failed"))
                done += status->by_state [i]->value;
        fg_msg_free (&reply);
        if ((int) done >= count) {
            seconds = (double) (bench_now_us () - start) / 1e6;
            break;
        }
        //  (a summary counts every element: asked as often as fogrid wait does)
        zclock_sleep (count > 1000? 500: 20);
    }
    snprintf (note, note_size, "one SubmitArrayRequest (accepted in %.2f s), then polled "
              "until every element ended%s", submit_s, seconds? "": "; not done in 300 s");
    s_grid_down (&grid);
    return seconds;
}

//  Submit-to-result latency with one task in flight, as the hub recorded
//  its end: p50 in ms over rounds null tasks (0 on failure)
double
bench_fogrid_one (const bench_params_t *params, int rounds, char *note, size_t note_size)
{
    s_grid_t grid;
    if (s_grid_up (&grid, params, "null", rounds + 10)) {
        snprintf (note, note_size, "no hub: %s", grid.err);
        s_grid_down (&grid);
        return 0;
    }
    char *argv [] = { "noop" };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.n_argv = 1;
    spec.argv = argv;
    spec.runtime = "null";
    int64_t *latency = (int64_t *) zmalloc (sizeof (int64_t) * rounds);
    int done = 0;
    for (int round = 0; round < rounds; round++) {
        char token [32];
        snprintf (token, sizeof token, "one-%d", round);
        fg_env_t *reply = NULL;
        int64_t submitted_us = bench_now_us ();
        Fogrid__SubmitReply *submit = cli_client_submit (grid.client, &spec, token, &reply);
        if (!submit) {
            fg_msg_free (&reply);
            break;
        }
        char id [64];
        snprintf (id, sizeof id, "%s", submit->task_id);
        fg_msg_free (&reply);
        //  The next goes when this one ended: polled closely, its end
        //  taken from the hub's record
        while (true) {
            Fogrid__TaskInfo *info = cli_client_status (grid.client, id, &reply);
            if (info && cli_task_state_final (info->state)) {
                int64_t ended_us = (int64_t) info->updated_ms * 1000;
                latency [done++] = ended_us > submitted_us? ended_us - submitted_us: 0;
                fg_msg_free (&reply);
                break;
            }
            fg_msg_free (&reply);
            if (!info)
                break;
            zclock_sleep (1);
        }
    }
    double p50 = done? bench_percentile (latency, (size_t) done, 50) / 1000.0: 0;
    snprintf (note, note_size, "%d tasks one after another, the end as the hub recorded it "
              "(ms resolution)", done);
    free (latency);
    s_grid_down (&grid);
    return p50;
}

#endif
