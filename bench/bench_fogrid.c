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

void
bench_fogrid (const bench_params_t *params, bench_result_t *result, const char *runtime,
              int backlog)
{
    char dir [] = "/tmp/fogrid-bench-XXXXXX";
    if (!mkdtemp (dir)) {
        result->skipped = true;
        snprintf (result->note, sizeof result->note, "cannot make a temp dir");
        return;
    }
    char hub_bin [1100], miner_bin [1100], buyers [64], miners [64], data [128];
    snprintf (hub_bin, sizeof hub_bin, "%s/fogrid-hub", params->bin_dir);
    snprintf (miner_bin, sizeof miner_bin, "%s/fogrid-miner", params->bin_dir);
    snprintf (buyers, sizeof buyers, "tcp://127.0.0.1:%d", bench_free_port ());
    snprintf (miners, sizeof miners, "tcp://127.0.0.1:%d", bench_free_port ());
    snprintf (data, sizeof data, "%s/hub", dir);
    char queue [64];
    snprintf (queue, sizeof queue, "hub/queue_max=%d", params->tasks + backlog + 10);
    char *hub_argv [] = { hub_bin, "--buyers", buyers, "--miners", miners, "--locator", "",
                          "--data", data, "-o", queue, "-o", "security/insecure=1",
                          "-o", "hub/buyer_rate=0", "-o", "hub/tasks_per_buyer=100000000", NULL };
    pid_t hub = bench_spawn (dir, "hub.log", hub_argv);
    pid_t miner_pids [16];
    char runtime_opt [64];
    snprintf (runtime_opt, sizeof runtime_opt, "miner/runtime=%s", runtime);
    for (int i = 0; i < params->workers; i++) {
        char name [32], mdata [128], log [32], id [64];
        snprintf (name, sizeof name, "bench%d", i);
        snprintf (mdata, sizeof mdata, "%s/%s", dir, name);
        snprintf (log, sizeof log, "%s.log", name);
        snprintf (id, sizeof id, "miner/id=m-bench%d", i);
        char *argv [] = { miner_bin, "--hub", miners, "--name", name, "--data", mdata,
                          "--cores", "4", "-o", runtime_opt, "-o", id,
                          "-o", "security/insecure=1", NULL };
        miner_pids [i] = bench_spawn (dir, log, argv);
    }
    char err [512] = "";
    cli_client_t *client = NULL;
    //  Wait for the miners to say hello
    for (int tries = 0; tries < 100; tries++) {
        zclock_sleep (100);
        if (!client)
            client = cli_client_new (NULL, buyers, NULL, 2000, err, sizeof err);
        fg_env_t *reply = NULL;
        Fogrid__HealthReply *health = client? cli_client_health (client, &reply): NULL;
        uint64_t connected = 0;
        for (size_t i = 0; health && i < health->n_miners_by_state; i++)
            if (streq (health->miners_by_state [i]->name, "connected"))
                connected = health->miners_by_state [i]->value;
        fg_msg_free (&reply);
        if ((int) connected == params->workers)
            break;
    }
    char **ids = (char **) zmalloc (sizeof (char *) * params->tasks);
    char *argv [] = { runtime && streq (runtime, "process")? "/bin/true": "noop" };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.n_argv = 1;
    spec.argv = argv;
    spec.runtime = (char *) runtime;
    //  Submits are pipelined, S_WINDOW in flight, as the ceiling and
    //  Gearman send theirs: the hub's throughput is measured, not one
    //  client's round trips
    zsock_t *pipeline = zsock_new (ZMQ_DEALER);
    zsock_set_rcvtimeo (pipeline, 10000);
    zsock_set_sndhwm (pipeline, 0);
    zsock_set_rcvhwm (pipeline, 0);
    zsock_connect (pipeline, "%s", buyers);
    //  The backlog first, untimed: it waits in the queue the whole run
    int waiting = 0;
    if (client && backlog > 0) {
        Fogrid__TaskSpec stuck = spec;
        stuck.cores = 1000;
        waiting = s_submit_all (pipeline, &stuck, "backlog", backlog, NULL, NULL,
                                result->note, sizeof result->note);
        zsock_destroy (&pipeline);      //  (a new one: its seqs start again)
        pipeline = zsock_new (ZMQ_DEALER);
        zsock_set_rcvtimeo (pipeline, 10000);
        zsock_set_sndhwm (pipeline, 0);
        zsock_set_rcvhwm (pipeline, 0);
        zsock_connect (pipeline, "%s", buyers);
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
    cli_client_destroy (&client);
    for (int i = 0; i < params->workers; i++)
        bench_stop (miner_pids [i]);
    bench_stop (hub);
    char command [128];
    snprintf (command, sizeof command, "rm -rf %s", dir);
    if (system (command)) {}
}
#endif
