/*  =========================================================================
    test_miner_agent - the miner against a fake hub (test_miner_support.h): a ROUTER on
    loopback that speaks the miner protocol through fg_msg, as the real hub
    does. Hello, welcome and heartbeats; a task assigned, started and
    reported; a task killed; a hub that forgot the miner; a hub that moved
    (found again through a fake locator); the id kept across restarts; the
    real fogrid-miner program; and one miner serving two hubs at once,
    each offered its share (equal, then 3:1)
    =========================================================================  */
#include "test_support.h"
#include "test_miner_support.h"
#include "miner_agent.h"
#include "miner_resources.h"
#include <signal.h>
#include <errno.h>

static char *s_dir;                     //  the suite's temp dir

//  --------------------------------------------------------------------------
//  The fake hub (test_miner_support.h): what this suite asks of it

//  Waits for the hello and welcomes the miner; returns the hello.
static fg_env_t *
s_hub_accept (tm_hub_t *hub)
{
    fg_env_t *hello = tm_hub_expect (hub, FOGRID__ENVELOPE__BODY_MINER_HELLO, 5000);
    CU_ASSERT_PTR_NOT_NULL (hello);
    if (hello)
        tm_hub_welcome (hub, hello->seq, 100);
    return hello;
}

static void
s_hub_assign_cores (tm_hub_t *hub, const char *task_id, uint32_t attempt, const char *script,
                    uint32_t cores)
{
    char *argv [] = { "sh", "-c", (char *) script };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.argv = argv;
    spec.n_argv = 3;
    spec.timeout_s = 60;
    spec.cores = cores;
    Fogrid__TaskAssign assign = FOGRID__TASK_ASSIGN__INIT;
    assign.task_id = (char *) task_id;
    assign.attempt = attempt;
    assign.spec = &spec;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = 1;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_ASSIGN;
    env.task_assign = &assign;
    tm_hub_send (hub, &env);
}

static void
s_hub_assign (tm_hub_t *hub, const char *task_id, uint32_t attempt, const char *script)
{
    s_hub_assign_cores (hub, task_id, attempt, script, 2);
}

static void
s_hub_kill (tm_hub_t *hub, const char *task_id, uint32_t attempt)
{
    Fogrid__TaskKill kill = FOGRID__TASK_KILL__INIT;
    kill.task_id = (char *) task_id;
    kill.attempt = attempt;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_KILL;
    env.task_kill = &kill;
    tm_hub_send (hub, &env);
}

//  --------------------------------------------------------------------------
//  A fake locator: answers every LocResolve with one endpoint, the port
//  set through its pipe ("SET" + port; 0 = not found)

static void
s_locator_actor (zsock_t *pipe, void *args)
{
    (void) args;
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    int port = zsock_bind (router, "tcp://127.0.0.1:*");
    int hub_port = 0;
    zsock_signal (pipe, 0);
    zsock_send (pipe, "i", port);
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which == pipe) {
            zmsg_t *msg = zmsg_recv (pipe);
            char *command = msg? zmsg_popstr (msg): NULL;
            bool term = !command || streq (command, "$TERM");
            if (command && streq (command, "SET")) {
                char *value = zmsg_popstr (msg);
                hub_port = value? atoi (value): 0;
                zstr_free (&value);
            }
            zstr_free (&command);
            zmsg_destroy (&msg);
            if (term)
                break;
        }
        else
        if (which == router) {
            zframe_t *peer = NULL;
            fg_env_t *env = fg_msg_recv (router, &peer, NULL, NULL);
            if (env && env->body_case == FOGRID__ENVELOPE__BODY_LOC_RESOLVE && hub_port) {
                Fogrid__Endpoint endpoint = FOGRID__ENDPOINT__INIT, *endpoints [1] = { &endpoint };
                endpoint.transport = "tcp";
                endpoint.host = "127.0.0.1";
                endpoint.port = (uint32_t) hub_port;
                Fogrid__LocEndpoints page = FOGRID__LOC_ENDPOINTS__INIT;
                page.name = env->loc_resolve->name;
                page.endpoints = endpoints;
                page.n_endpoints = 1;
                fg_env_t reply = FOGRID__ENVELOPE__INIT;
                reply.seq = env->seq;
                reply.body_case = FOGRID__ENVELOPE__BODY_LOC_ENDPOINTS;
                reply.loc_endpoints = &page;
                fg_msg_send (router, peer, &reply);
                Fogrid__LocDone done = FOGRID__LOC_DONE__INIT;
                done.name = env->loc_resolve->name;
                done.total = 1;
                done.pages = 1;
                reply.body_case = FOGRID__ENVELOPE__BODY_LOC_DONE;
                reply.loc_done = &done;
                fg_msg_send (router, peer, &reply);
            }
            else
            if (env)
                fg_msg_send_error (router, peer, env->seq, FG_E_NOT_FOUND, "no such name");
            fg_msg_free (&env);
            zframe_destroy (&peer);
        }
        else
            break;
    }
    zpoller_destroy (&poller);
    zsock_destroy (&router);
}

static void
s_locator_set (zactor_t *locator, int port)
{
    char text [16];
    snprintf (text, sizeof text, "%d", port);
    zstr_sendx (locator, "SET", text, NULL);
}

//  --------------------------------------------------------------------------
//  The agent

//  A config for an agent in DIR/NAME talking to endpoint (as miner/hubs),
//  or through locators when endpoint starts with "locator:".
static fg_config_t *
s_config (const char *name, const char *endpoint)
{
    fg_config_t *config = fg_config_new (miner_agent_defs);
    char *data = zsys_sprintf ("%s/%s", s_dir, name);
    CU_ASSERT_EQUAL (fg_config_set (config, "miner/data_dir", data), 0);
    zstr_free (&data);
    if (strncmp (endpoint, "locator:", 8) == 0) {
        CU_ASSERT_EQUAL (fg_config_set (config, "locator/endpoints", endpoint + 8), 0);
    }
    else {
        CU_ASSERT_EQUAL (fg_config_set (config, "miner/hubs", endpoint), 0);
    }
    CU_ASSERT_EQUAL (fg_config_set (config, "security/insecure", "1"), 0);
    //  These tests' tasks write pid files into the suite's private dir
    CU_ASSERT_EQUAL (fg_config_set (config, "miner/task_user", ""), 0);
    CU_ASSERT_EQUAL (fg_config_set (config, "miner/heartbeat_ms", "100"), 0);
    CU_ASSERT_EQUAL (fg_config_set (config, "locator/timeout_ms", "200"), 0);
    //  Room for the tasks these fake hubs give at once, whatever the
    //  machine: the miner refuses what its hub's share cannot hold
    CU_ASSERT_EQUAL (fg_config_set (config, "miner/cores", "4"), 0);
    return config;
}

static zactor_t *
s_agent_start (fg_config_t *config)
{
    miner_agent_args_t args = { .config = config };
    zactor_t *agent = zactor_new (miner_agent_actor, &args);
    CU_ASSERT_EQUAL (args.rc, 0);
    if (args.rc)
        printf ("agent: %s\n", args.error);
    return agent;
}

static int
s_agent_status (zactor_t *agent)
{
    int running = -1;
    zstr_send (agent, "STATUS");
    zsock_recv (agent, "i", &running);
    return running;
}

static char *
s_agent_ask (zactor_t *agent, const char *command)
{
    zstr_send (agent, command);
    return zstr_recv (agent);
}

static bool
s_agent_idle (void *agent)
{
    return s_agent_status ((zactor_t *) agent) == 0;
}

//  True when no process of the group (pid in arg) is left.
static bool
s_group_gone (void *arg)
{
    pid_t pgid = *(pid_t *) arg;
    return kill (-pgid, 0) == -1 && errno == ESRCH;
}

//  Reads a pid the task wrote into a file; 0 if it did not in time.
static pid_t
s_read_pid (const char *path, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        FILE *file = fopen (path, "r");
        int pid = 0;
        if (file) {
            if (fscanf (file, "%d", &pid) != 1)
                pid = 0;
            fclose (file);
        }
        if (pid > 0)
            return (pid_t) pid;
        zclock_sleep (20);
    }
    return 0;
}

static int
s_suite_init (void)
{
    s_dir = ts_tmpdir_new ("miner");
    return s_dir? 0: -1;
}

static int
s_suite_clean (void)
{
    ts_tmpdir_remove (&s_dir);
    return 0;
}

//  --------------------------------------------------------------------------
//  Tests

static void
test_hello_and_heartbeats (void)
{
    tm_hub_t hub;
    tm_hub_open (&hub);
    fg_config_t *config = s_config ("hello", hub.endpoint);
    fg_config_set (config, "miner/cores", "3");
    fg_config_set (config, "miner/labels", "zone=eu,arch=x86_64");
    fg_config_set (config, "miner/price", "5");
    fg_config_set (config, "miner/name", "test-miner");
    zactor_t *agent = s_agent_start (config);

    fg_env_t *hello = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_HELLO, 5000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (hello);
    Fogrid__MinerHello *h = hello->miner_hello;
    CU_ASSERT (strncmp (h->miner_id, "m-", 2) == 0);
    CU_ASSERT_STRING_EQUAL (h->name, "test-miner");
    CU_ASSERT_STRING_EQUAL (h->version, FG_VERSION_STRING);
    CU_ASSERT_EQUAL (h->n_running, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL (h->resources);
    CU_ASSERT_EQUAL (h->resources->cores, 3);
    CU_ASSERT (h->resources->mem_mb > 0);
    CU_ASSERT (h->resources->disk_mb > 0);
    CU_ASSERT_EQUAL (h->resources->price, 5);
    CU_ASSERT_EQUAL_FATAL (h->resources->n_labels, 2);
    CU_ASSERT_STRING_EQUAL (h->resources->labels [0]->key, "zone");
    CU_ASSERT_STRING_EQUAL (h->resources->labels [0]->value, "eu");
    CU_ASSERT_STRING_EQUAL (h->resources->labels [1]->key, "arch");
    CU_ASSERT_EQUAL_FATAL (h->resources->n_runtimes, 1);
    CU_ASSERT_STRING_EQUAL (h->resources->runtimes [0], "process");
    char *state = s_agent_ask (agent, "STATE");
    CU_ASSERT_STRING_EQUAL (state, "hello");
    zstr_free (&state);

    //  No heartbeat before the welcome; then one every heartbeat_ms
    tm_hub_welcome (&hub, hello->seq, 100);
    int64_t start = zclock_mono ();
    for (int count = 0; count < 3; count++) {
        fg_env_t *heartbeat = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_HEARTBEAT, 2000);
        CU_ASSERT_PTR_NOT_NULL_FATAL (heartbeat);
        CU_ASSERT_STRING_EQUAL (heartbeat->miner_heartbeat->miner_id, h->miner_id);
        CU_ASSERT_PTR_NOT_NULL_FATAL (heartbeat->miner_heartbeat->load);
        CU_ASSERT_TRUE (heartbeat->miner_heartbeat->load->healthy);
        CU_ASSERT_EQUAL (heartbeat->miner_heartbeat->load->running, 0);
        fg_msg_free (&heartbeat);
    }
    int64_t took = zclock_mono () - start;
    CU_ASSERT (took >= 250 && took < 1500);
    state = s_agent_ask (agent, "STATE");
    CU_ASSERT_STRING_EQUAL (state, "ready");
    zstr_free (&state);
    char *id = s_agent_ask (agent, "ID");
    CU_ASSERT_STRING_EQUAL (id, h->miner_id);
    zstr_free (&id);
    char *endpoint = s_agent_ask (agent, "HUB");
    CU_ASSERT_STRING_EQUAL (endpoint, hub.endpoint);
    zstr_free (&endpoint);

    //  Garbage and messages that are not for a miner are ignored
    zframe_t *copy = zframe_dup (hub.peer);
    zframe_send (&copy, hub.router, ZFRAME_MORE);
    zstr_send (hub.router, "\xff\xfe garbage");
    Fogrid__SubmitReply reply = FOGRID__SUBMIT_REPLY__INIT;
    fg_env_t odd = FOGRID__ENVELOPE__INIT;
    odd.body_case = FOGRID__ENVELOPE__BODY_SUBMIT_REPLY;
    odd.submit_reply = &reply;
    tm_hub_send (&hub, &odd);
    fg_env_t *heartbeat = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_HEARTBEAT, 2000);
    CU_ASSERT_PTR_NOT_NULL (heartbeat);
    fg_msg_free (&heartbeat);
    fg_msg_free (&hello);

    zactor_destroy (&agent);
    fg_config_destroy (&config);
    tm_hub_close (&hub);
}

static void
test_task_runs_and_reports (void)
{
    tm_hub_t hub;
    tm_hub_open (&hub);
    fg_config_t *config = s_config ("task", hub.endpoint);
    zactor_t *agent = s_agent_start (config);
    fg_env_t *hello = s_hub_accept (&hub);
    fg_msg_free (&hello);

    s_hub_assign (&hub, "t-1", 2, "echo out; echo err >&2; sleep 0.5; exit 4");
    fg_env_t *started = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_TASK_STARTED, 3000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (started);
    CU_ASSERT_STRING_EQUAL (started->task_started->task_id, "t-1");
    CU_ASSERT_EQUAL (started->task_started->attempt, 2);
    fg_msg_free (&started);

    //  While it runs, heartbeats carry it and its cores
    fg_env_t *heartbeat = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_HEARTBEAT, 2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (heartbeat);
    Fogrid__MinerHeartbeat *beat = heartbeat->miner_heartbeat;
    CU_ASSERT_EQUAL (beat->load->running, 1);
    CU_ASSERT_EQUAL (beat->load->used_cores, 2);
    CU_ASSERT_EQUAL_FATAL (beat->n_running, 1);
    CU_ASSERT_STRING_EQUAL (beat->running [0]->task_id, "t-1");
    CU_ASSERT_EQUAL (beat->running [0]->attempt, 2);
    fg_msg_free (&heartbeat);

    fg_env_t *result = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_TASK_RESULT, 5000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    Fogrid__TaskResult *r = result->task_result;
    CU_ASSERT_STRING_EQUAL (r->task_id, "t-1");
    CU_ASSERT_EQUAL (r->attempt, 2);
    CU_ASSERT_EQUAL (r->exit_code, 4);
    CU_ASSERT (r->stdout.len == 4 && memcmp (r->stdout.data, "out\n", 4) == 0);
    CU_ASSERT (r->stderr.len == 4 && memcmp (r->stderr.data, "err\n", 4) == 0);
    CU_ASSERT_STRING_EQUAL (r->error, "");
    CU_ASSERT (r->ended_ms >= r->started_ms + 400);
    fg_msg_send_ok (hub.router, hub.peer, result->seq, "");
    //  A refusal of a result is only logged
    fg_msg_send_error (hub.router, hub.peer, result->seq, FG_E_STALE, "stale");
    fg_msg_free (&result);
    CU_ASSERT (ts_wait_for (s_agent_idle, agent, 2000));

    //  A program that is not there: started, then a result saying why
    s_hub_assign (&hub, "t-2", 1, "");
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    char *argv [] = { "no-such-program-fogrid" };
    spec.argv = argv;
    spec.n_argv = 1;
    Fogrid__TaskAssign assign = FOGRID__TASK_ASSIGN__INIT;
    assign.task_id = "t-3";
    assign.attempt = 1;
    assign.spec = &spec;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_ASSIGN;
    env.task_assign = &assign;
    tm_hub_send (&hub, &env);
    bool seen [2] = { false, false };
    for (int count = 0; count < 2; count++) {
        result = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_TASK_RESULT, 5000);
        CU_ASSERT_PTR_NOT_NULL_FATAL (result);
        if (streq (result->task_result->task_id, "t-2")) {
            seen [0] = true;        //  sh -c "" does nothing, successfully
            CU_ASSERT_EQUAL (result->task_result->exit_code, 0);
        }
        else {
            seen [1] = true;
            CU_ASSERT_EQUAL (result->task_result->exit_code, 127);
            CU_ASSERT_PTR_NOT_NULL (strstr (result->task_result->error, "no such program"));
        }
        fg_msg_free (&result);
    }
    CU_ASSERT (seen [0] && seen [1]);

    zactor_destroy (&agent);
    fg_config_destroy (&config);
    tm_hub_close (&hub);
}

static void
test_task_kill (void)
{
    tm_hub_t hub;
    tm_hub_open (&hub);
    fg_config_t *config = s_config ("kill", hub.endpoint);
    zactor_t *agent = s_agent_start (config);
    fg_env_t *hello = s_hub_accept (&hub);
    fg_msg_free (&hello);

    char *pidfile = zsys_sprintf ("%s/kill.pid", s_dir);
    char *script = zsys_sprintf ("echo $$ > %s; sleep 30 & sleep 30", pidfile);
    s_hub_assign (&hub, "t-long", 1, script);
    fg_env_t *started = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_TASK_STARTED, 3000);
    CU_ASSERT_PTR_NOT_NULL (started);
    fg_msg_free (&started);
    pid_t pgid = s_read_pid (pidfile, 3000);
    CU_ASSERT_FATAL (pgid > 0);
    CU_ASSERT_FALSE (s_group_gone (&pgid));
    CU_ASSERT_EQUAL (s_agent_status (agent), 1);

    //  A kill for another attempt changes nothing
    s_hub_kill (&hub, "t-long", 9);
    zclock_sleep (200);
    CU_ASSERT_FALSE (s_group_gone (&pgid));

    s_hub_kill (&hub, "t-long", 1);
    CU_ASSERT (ts_wait_for (s_agent_idle, agent, 3000));
    CU_ASSERT (ts_wait_for (s_group_gone, &pgid, 3000));
    //  Nothing is reported for a task the hub killed
    fg_env_t *result = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_TASK_RESULT, 500);
    CU_ASSERT_PTR_NULL (result);
    fg_msg_free (&result);
    fg_env_t *heartbeat = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_HEARTBEAT, 2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (heartbeat);
    CU_ASSERT_EQUAL (heartbeat->miner_heartbeat->load->running, 0);
    fg_msg_free (&heartbeat);

    //  Stopping the agent kills what it runs
    remove (pidfile);
    s_hub_assign (&hub, "t-long-2", 1, script);
    pgid = s_read_pid (pidfile, 3000);
    CU_ASSERT_FATAL (pgid > 0);
    zactor_destroy (&agent);
    CU_ASSERT (ts_wait_for (s_group_gone, &pgid, 3000));

    zstr_free (&script);
    zstr_free (&pidfile);
    fg_config_destroy (&config);
    tm_hub_close (&hub);
}

static void
test_forgotten_miner_says_hello (void)
{
    tm_hub_t hub;
    tm_hub_open (&hub);
    fg_config_t *config = s_config ("forgotten", hub.endpoint);
    zactor_t *agent = s_agent_start (config);
    fg_env_t *hello = s_hub_accept (&hub);
    fg_msg_free (&hello);
    s_hub_assign (&hub, "t-held", 3, "sleep 30");
    fg_env_t *started = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_TASK_STARTED, 3000);
    fg_msg_free (&started);

    //  The hub restarted and does not know the miner
    fg_env_t *heartbeat = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_HEARTBEAT, 2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (heartbeat);
    fg_msg_send_error (hub.router, hub.peer, heartbeat->seq, FG_E_NOT_FOUND, "unknown miner");
    fg_msg_free (&heartbeat);
    hello = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_HELLO, 2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (hello);
    //  The new hello lists what it runs; the hub says to kill it
    CU_ASSERT_EQUAL_FATAL (hello->miner_hello->n_running, 1);
    CU_ASSERT_STRING_EQUAL (hello->miner_hello->running [0]->task_id, "t-held");
    CU_ASSERT_EQUAL (hello->miner_hello->running [0]->attempt, 3);
    Fogrid__TaskRef ref = FOGRID__TASK_REF__INIT, *refs [1] = { &ref };
    ref.task_id = "t-held";
    ref.attempt = 3;
    Fogrid__MinerWelcome welcome = FOGRID__MINER_WELCOME__INIT;
    welcome.heartbeat_ms = 100;
    welcome.kill = refs;
    welcome.n_kill = 1;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = hello->seq;
    env.body_case = FOGRID__ENVELOPE__BODY_MINER_WELCOME;
    env.miner_welcome = &welcome;
    tm_hub_send (&hub, &env);
    fg_msg_free (&hello);
    CU_ASSERT (ts_wait_for (s_agent_idle, agent, 3000));
    //  And it heartbeats again
    heartbeat = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_HEARTBEAT, 2000);
    CU_ASSERT_PTR_NOT_NULL (heartbeat);
    fg_msg_free (&heartbeat);

    zactor_destroy (&agent);
    fg_config_destroy (&config);
    tm_hub_close (&hub);
}

static void
test_hub_moves (void)
{
    zactor_t *locator = zactor_new (s_locator_actor, NULL);
    int locator_port = 0;
    zsock_recv (locator, "i", &locator_port);
    tm_hub_t hub;
    tm_hub_open (&hub);
    char *locators = zsys_sprintf ("locator:tcp://127.0.0.1:%d", locator_port);
    fg_config_t *config = s_config ("moves", locators);
    zactor_t *agent = s_agent_start (config);

    //  Not registered yet: the miner keeps asking
    zclock_sleep (300);
    char *state = s_agent_ask (agent, "STATE");
    CU_ASSERT_STRING_EQUAL (state, "no-hub");
    zstr_free (&state);
    s_locator_set (locator, hub.port);
    fg_env_t *hello = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_HELLO, 3000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (hello);
    tm_hub_welcome (&hub, hello->seq, 100);
    fg_msg_free (&hello);
    fg_env_t *heartbeat = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_HEARTBEAT, 2000);
    CU_ASSERT_PTR_NOT_NULL (heartbeat);
    fg_msg_free (&heartbeat);

    //  The hub goes away and comes back on another port
    tm_hub_close (&hub);
    tm_hub_t moved;
    tm_hub_open (&moved);
    s_locator_set (locator, moved.port);
    hello = tm_hub_expect (&moved, FOGRID__ENVELOPE__BODY_MINER_HELLO, 5000);
    CU_ASSERT_PTR_NOT_NULL (hello);
    fg_msg_free (&hello);
    char *endpoint = s_agent_ask (agent, "HUB");
    CU_ASSERT_STRING_EQUAL (endpoint, moved.endpoint);
    zstr_free (&endpoint);

    zactor_destroy (&agent);
    fg_config_destroy (&config);
    zstr_free (&locators);
    tm_hub_close (&moved);
    zactor_destroy (&locator);
}

static void
test_id_persists (void)
{
    tm_hub_t hub;
    tm_hub_open (&hub);
    char *ids [2] = { NULL, NULL };
    for (int run = 0; run < 2; run++) {
        fg_config_t *config = s_config ("persist", hub.endpoint);
        zactor_t *agent = s_agent_start (config);
        ids [run] = s_agent_ask (agent, "ID");
        fg_env_t *hello = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_HELLO, 5000);
        CU_ASSERT_PTR_NOT_NULL_FATAL (hello);
        CU_ASSERT_STRING_EQUAL (hello->miner_hello->miner_id, ids [run]);
        fg_msg_free (&hello);
        zactor_destroy (&agent);
        fg_config_destroy (&config);
    }
    CU_ASSERT (strncmp (ids [0], "m-", 2) == 0);
    CU_ASSERT_STRING_EQUAL (ids [0], ids [1]);
    char *output = NULL;
    ts_run (&output, "cat '%s/persist/miner.id'", s_dir);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, ids [0]));
    free (output);

    //  A configured id wins; a bad config is refused before anything starts
    fg_config_t *config = s_config ("persist", hub.endpoint);
    fg_config_set (config, "miner/id", "m-fixed");
    zactor_t *agent = s_agent_start (config);
    char *id = s_agent_ask (agent, "ID");
    CU_ASSERT_STRING_EQUAL (id, "m-fixed");
    zstr_free (&id);
    zactor_destroy (&agent);
    fg_config_set (config, "miner/labels", "no-equals-sign");
    miner_agent_args_t args = { .config = config };
    agent = zactor_new (miner_agent_actor, &args);
    CU_ASSERT_EQUAL (args.rc, -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (args.error, "miner/labels"));
    zactor_destroy (&agent);
    fg_config_destroy (&config);

    zstr_free (&ids [0]);
    zstr_free (&ids [1]);
    tm_hub_close (&hub);
}

static void
test_program (void)
{
    //  --help, --version, -t
    char *output = NULL;
    CU_ASSERT_EQUAL (ts_run (&output, "%s --help", ts_bin ("fogrid-miner")), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "miner/hubs"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "--hub"));
    free (output);
    CU_ASSERT_EQUAL (ts_run (&output, "%s --version", ts_bin ("fogrid-miner")), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, FG_VERSION_STRING));
    free (output);
    CU_ASSERT_EQUAL (ts_run (&output, "%s -t -o miner/labels=zone", ts_bin ("fogrid-miner")), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "miner/labels: 'zone' is not key=value"));
    free (output);
    CU_ASSERT_EQUAL (ts_run (&output, "%s -t --hub localhost -o security/insecure=1",
                             ts_bin ("fogrid-miner")), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "miner/hubs: 'localhost' is not an endpoint"));
    free (output);
    CU_ASSERT_EQUAL (ts_run (&output, "%s -t --cores lots", ts_bin ("fogrid-miner")), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "miner/cores"));
    free (output);
    CU_ASSERT_EQUAL (ts_run (&output, "%s -t --hub tcp://127.0.0.1:1 -o security/insecure=1",
                             ts_bin ("fogrid-miner")), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "is valid"));
    free (output);

    //  The real daemon against the fake hub: hello, a task, SIGTERM
    tm_hub_t hub;
    tm_hub_open (&hub);
    char *data = zsys_sprintf ("%s/program", s_dir);
    ts_proc_t *miner = ts_proc_start (s_dir, "miner", "fogrid-miner", "--hub", hub.endpoint,
                                      "--data", data, "--cores", "2", "--name", "real",
                                      "-o", "security/insecure=1", "-o", "miner/task_user=",
                                      NULL);
    fg_env_t *hello = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_HELLO, 5000);
    CU_ASSERT_PTR_NOT_NULL (hello);
    if (!hello)
        ts_proc_dump_log (miner);
    else {
        CU_ASSERT_STRING_EQUAL (hello->miner_hello->name, "real");
        CU_ASSERT_EQUAL (hello->miner_hello->resources->cores, 2);
        tm_hub_welcome (&hub, hello->seq, 100);
        fg_msg_free (&hello);
        char *pidfile = zsys_sprintf ("%s/program.pid", s_dir);
        char *script = zsys_sprintf ("echo $$ > %s; sleep 30 & sleep 30", pidfile);
        s_hub_assign (&hub, "t-real", 1, script);
        pid_t pgid = s_read_pid (pidfile, 3000);
        CU_ASSERT (pgid > 0);
        int64_t start = zclock_mono ();
        CU_ASSERT_EQUAL (ts_proc_stop (&miner, 3000), 0);
        CU_ASSERT (zclock_mono () - start < 2000);
        if (pgid > 0)
            CU_ASSERT (ts_wait_for (s_group_gone, &pgid, 3000));
        //  ... having told the hub it stops, so the hub need not wait
        //  for its heartbeats to run out to place the task again
        fg_env_t *bye = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_BYE, 2000);
        CU_ASSERT_PTR_NOT_NULL (bye);
        if (bye)
            CU_ASSERT_STRING_EQUAL (bye->miner_bye->reason, "stopping");
        fg_msg_free (&bye);
        zstr_free (&script);
        zstr_free (&pidfile);
    }
    if (miner)
        ts_proc_kill (&miner);
    zstr_free (&data);
    tm_hub_close (&hub);
}

//  GPUs come from nvidia-smi: a stand-in on the PATH plays the driver
//  (this machine has no GPU), and its absence or failure means none
static void
test_gpus (void)
{
    char *dir = ts_tmpdir_new ("gpus");
    char *old_path = strdup (getenv ("PATH")? getenv ("PATH"): "/usr/bin:/bin");
    char *path = zsys_sprintf ("%s:%s", dir, old_path);
    setenv ("PATH", path, 1);
    CU_ASSERT_EQUAL (ts_run (NULL, "printf '#!/bin/sh\\n[ \"$1\" = -L ] || exit 2\\n"
                             "echo \"GPU 0: Tesla T4 (UUID: GPU-1)\"\\n"
                             "echo \"GPU 1: Tesla T4 (UUID: GPU-2)\"\\n' > %s/nvidia-smi && "
                             "chmod +x %s/nvidia-smi", dir, dir), 0);
    CU_ASSERT_EQUAL (miner_resources_count_gpus (), 2);
    //  A driver that fails counts as none
    CU_ASSERT_EQUAL (ts_run (NULL, "printf '#!/bin/sh\\necho \"GPU 0: x\"\\nexit 9\\n' > "
                             "%s/nvidia-smi", dir), 0);
    CU_ASSERT_EQUAL (miner_resources_count_gpus (), 0);
    setenv ("PATH", old_path, 1);
    if (ts_run (NULL, "command -v nvidia-smi >/dev/null 2>&1") != 0)
        CU_ASSERT_EQUAL (miner_resources_count_gpus (), 0);
    //  The config wins over the count
    fg_config_t *config = fg_config_new (miner_agent_defs);
    fg_config_set (config, "miner/gpus", "3");
    char err [256];
    miner_resources_t *resources = miner_resources_new (config, dir, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (resources);
    CU_ASSERT_EQUAL (miner_resources_msg (resources)->gpus, 3);
    miner_resources_destroy (&resources);
    fg_config_destroy (&config);
    zstr_free (&path);
    free (old_path);
    ts_tmpdir_remove (&dir);
}

typedef struct {
    zactor_t *agent;
    const char *command;
    const char *answer;
} s_ask_t;

//  True when the agent answers the command as expected.
static bool
s_agent_says (void *arg)
{
    s_ask_t *ask = (s_ask_t *) arg;
    char *answer = s_agent_ask (ask->agent, ask->command);
    bool same = answer && streq (answer, ask->answer);
    zstr_free (&answer);
    return same;
}

//  Two fake hubs, and the config (data in DIR/NAME) of a miner serving
//  both at once, with 4 cores, 1001 MB and 3 GPUs to divide;
//  *endpoints_p gets both endpoints (the caller frees it).
static fg_config_t *
s_two_hubs_config (const char *name, tm_hub_t *hubs, char **endpoints_p)
{
    tm_hub_open (&hubs [0]);
    tm_hub_open (&hubs [1]);
    *endpoints_p = zsys_sprintf ("%s,%s", hubs [0].endpoint, hubs [1].endpoint);
    fg_config_t *config = s_config (name, *endpoints_p);
    fg_config_set (config, "miner/hub_count", "2");
    fg_config_set (config, "miner/mem_mb", "1001");
    fg_config_set (config, "miner/gpus", "3");
    return config;
}

//  Waits for the hello on each hub and welcomes it.
static void
s_hubs_accept (tm_hub_t *hubs, fg_env_t **hellos, size_t count)
{
    for (size_t index = 0; index < count; index++) {
        hellos [index] = tm_hub_expect (&hubs [index], FOGRID__ENVELOPE__BODY_MINER_HELLO, 5000);
        CU_ASSERT_PTR_NOT_NULL_FATAL (hellos [index]);
        tm_hub_welcome (&hubs [index], hellos [index]->seq, 100);
    }
}

//  The result of task_id from hub, skipping other messages; NULL if none.
static fg_env_t *
s_hub_result (tm_hub_t *hub, const char *task_id, int timeout_ms)
{
    fg_env_t *result = tm_hub_expect (hub, FOGRID__ENVELOPE__BODY_TASK_RESULT, timeout_ms);
    CU_ASSERT_PTR_NOT_NULL (result);
    if (result)
        CU_ASSERT_STRING_EQUAL (result->task_result->task_id, task_id);
    return result;
}

//  One miner, two (fake) hubs at once with equal shares: each hello
//  offers half the machine (a GPU whole, to one of them); each hub's
//  tasks, heartbeats and results are its own; an assignment beyond the
//  free share, or of a task the other hub holds, is refused at once with a
//  result that says why; a hub that goes away leaves the other's task
//  running to its end; the HTTP status lists both links
static void
test_two_hubs_at_once (void)
{
    tm_hub_t hubs [2];
    char *endpoints;
    fg_config_t *config = s_two_hubs_config ("two", hubs, &endpoints);
    fg_config_set (config, "miner/disk_mb", "3000");
    fg_config_set (config, "miner/http", "127.0.0.1:0");
    zactor_t *agent = s_agent_start (config);
    //  The port the system chose, from the actor
    int port = 0;
    zstr_send (agent, "HTTP");
    zsock_recv (agent, "i", &port);
    CU_ASSERT (port > 0);
    char *http = zsys_sprintf ("127.0.0.1:%d", port);

    fg_env_t *hellos [2];
    s_hubs_accept (hubs, hellos, 2);
    Fogrid__Resources *a = hellos [0]->miner_hello->resources;
    Fogrid__Resources *b = hellos [1]->miner_hello->resources;
    CU_ASSERT_STRING_EQUAL (hellos [0]->miner_hello->miner_id, hellos [1]->miner_hello->miner_id);
    CU_ASSERT (a->cores == 2 && b->cores == 2);
    CU_ASSERT (a->mem_mb == 501 && b->mem_mb == 500);      //  all of it, the odd MB once
    CU_ASSERT (a->disk_mb == 1500 && b->disk_mb == 1500);
    CU_ASSERT (a->gpus == 2 && b->gpus == 1);
    CU_ASSERT_EQUAL (a->n_runtimes, 1);                     //  the rest is the same for both

    //  A task on each, at once, each filling its share
    s_hub_assign_cores (&hubs [0], "t-a", 1, "sleep 1; echo a", 2);
    s_hub_assign_cores (&hubs [1], "t-b", 1, "sleep 2.5; echo b", 2);
    for (int index = 0; index < 2; index++) {
        fg_env_t *started = tm_hub_expect (&hubs [index], FOGRID__ENVELOPE__BODY_TASK_STARTED, 3000);
        CU_ASSERT_PTR_NOT_NULL_FATAL (started);
        CU_ASSERT_STRING_EQUAL (started->task_started->task_id, index? "t-b": "t-a");
        fg_msg_free (&started);
    }
    CU_ASSERT_EQUAL (s_agent_status (agent), 2);

    //  Hub A has no core left: one more is refused, with why
    s_hub_assign_cores (&hubs [0], "t-a2", 1, "echo never", 1);
    fg_env_t *result = s_hub_result (&hubs [0], "t-a2", 2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_EQUAL (result->task_result->exit_code, -1);
    CU_ASSERT_TRUE (result->task_result->refused);
    CU_ASSERT_PTR_NOT_NULL (strstr (result->task_result->error, "refused by the miner: it needs "
                                    "1 cores and 0 of this hub's share of 2 are free"));
    fg_msg_free (&result);
    //  Hub B may not start what A's link holds, whatever its room
    s_hub_assign_cores (&hubs [1], "t-a", 1, "echo twice", 1);
    result = s_hub_result (&hubs [1], "t-a", 2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_PTR_NOT_NULL (strstr (result->task_result->error, "already runs on this miner "
                                    "for another hub"));
    fg_msg_free (&result);
    CU_ASSERT_EQUAL (s_agent_status (agent), 2);

    //  Each hub's heartbeats carry its own task only
    for (int index = 0; index < 2; index++) {
        fg_env_t *heartbeat = tm_hub_expect (&hubs [index], FOGRID__ENVELOPE__BODY_MINER_HEARTBEAT,
                                            2000);
        CU_ASSERT_PTR_NOT_NULL_FATAL (heartbeat);
        Fogrid__MinerHeartbeat *beat = heartbeat->miner_heartbeat;
        CU_ASSERT_EQUAL (beat->load->running, 1);
        CU_ASSERT_EQUAL (beat->load->used_cores, 2);
        CU_ASSERT_EQUAL_FATAL (beat->n_running, 1);
        CU_ASSERT_STRING_EQUAL (beat->running [0]->task_id, index? "t-b": "t-a");
        fg_msg_free (&heartbeat);
    }

    //  A's result goes to A
    result = s_hub_result (&hubs [0], "t-a", 5000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT (result->task_result->stdout.len == 2
            && memcmp (result->task_result->stdout.data, "a\n", 2) == 0);
    fg_msg_send_ok (hubs [0].router, hubs [0].peer, result->seq, "");
    fg_msg_free (&result);

    //  Hub A goes away; B's task runs on, and its result goes to B
    tm_hub_close (&hubs [0]);
    result = s_hub_result (&hubs [1], "t-b", 5000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_EQUAL (result->task_result->exit_code, 0);
    CU_ASSERT (result->task_result->stdout.len == 2
            && memcmp (result->task_result->stdout.data, "b\n", 2) == 0);
    fg_msg_free (&result);
    CU_ASSERT (ts_wait_for (s_agent_idle, agent, 2000));
    //  The link to A gives it up after three heartbeats; the miner, ready
    //  all along with B, then speaks of B
    char *state = s_agent_ask (agent, "STATE");
    CU_ASSERT_STRING_EQUAL (state, "ready");
    zstr_free (&state);
    s_ask_t ask = { agent, "HUB", hubs [1].endpoint };
    CU_ASSERT (ts_wait_for (s_agent_says, &ask, 2000));

    //  The HTTP status lists both links: B ready with its share, A not
    char *output = NULL;
    CU_ASSERT_EQUAL (ts_run (&output, "curl -sf http://%s/api/v1/status", http), 0);
    json_t *status = output? json_loads (output, 0, NULL): NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL (status);
    json_t *links = json_object_get (status, "links");
    CU_ASSERT_EQUAL_FATAL (json_array_size (links), 2);
    json_t *first = json_array_get (links, 0), *second = json_array_get (links, 1);
    CU_ASSERT_STRING_NOT_EQUAL (json_string_value (json_object_get (first, "state")), "ready");
    CU_ASSERT_STRING_EQUAL (json_string_value (json_object_get (second, "state")), "ready");
    CU_ASSERT_STRING_EQUAL (json_string_value (json_object_get (second, "hub")), hubs [1].endpoint);
    CU_ASSERT_EQUAL (json_integer_value (json_object_get (json_object_get (second, "share"),
                                                          "cores")), 2);
    CU_ASSERT_STRING_EQUAL (json_string_value (json_object_get (status, "state")), "ready");
    json_decref (status);
    free (output);
    CU_ASSERT_EQUAL (ts_run (&output, "curl -sf http://%s/metrics", http), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "fogrid_miner_tasks_refused_total 2\n"));
    free (output);

    fg_msg_free (&hellos [0]);
    fg_msg_free (&hellos [1]);
    zactor_destroy (&agent);
    fg_config_destroy (&config);
    zstr_free (&http);
    zstr_free (&endpoints);
    tm_hub_close (&hubs [1]);
}

//  Shares 3:1 in the order of miner/hubs; what the settings refuse
static void
test_hub_shares (void)
{
    tm_hub_t hubs [2];
    char *endpoints;
    fg_config_t *config = s_two_hubs_config ("shares", hubs, &endpoints);
    fg_config_set (config, "miner/hub_shares", "3,1");
    zactor_t *agent = s_agent_start (config);
    fg_env_t *hellos [2];
    s_hubs_accept (hubs, hellos, 2);
    Fogrid__Resources *a = hellos [0]->miner_hello->resources;
    Fogrid__Resources *b = hellos [1]->miner_hello->resources;
    CU_ASSERT (a->cores == 3 && b->cores == 1);
    CU_ASSERT (a->mem_mb == 751 && b->mem_mb == 250);
    CU_ASSERT (a->gpus == 2 && b->gpus == 1);               //  2.25 and 0.75, whole
    //  The small share takes one core, not two
    s_hub_assign_cores (&hubs [1], "t-small", 1, "echo never", 2);
    fg_env_t *result = s_hub_result (&hubs [1], "t-small", 2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_PTR_NOT_NULL (strstr (result->task_result->error, "share of 1 are free"));
    fg_msg_free (&result);
    fg_msg_free (&hellos [0]);
    fg_msg_free (&hellos [1]);
    zactor_destroy (&agent);

    //  Too few cores for the hubs: the miner does not start, and says why
    fg_config_set (config, "miner/cores", "1");
    fg_config_set (config, "miner/hub_shares", "");
    miner_agent_args_t args = { .config = config };
    agent = zactor_new (miner_agent_actor, &args);
    CU_ASSERT_EQUAL (args.rc, -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (args.error, "the 1 cores offered cannot be divided among 2 "
                                    "hubs: hub 2 would get none"));
    zactor_destroy (&agent);
    fg_config_destroy (&config);

    //  Settings that cannot work
    struct { const char *path, *value, *error; } bad [] = {
        { "miner/hub_count", "3", "miner/hub_count is 3 but miner/hubs lists 2 hubs" },
        { "miner/hub_shares", "1", "miner/hub_shares: '1' gives 1 weights for the 2 hubs" },
        { "miner/hub_shares", "2,0", "miner/hub_shares: '0' is not a weight from 1 to 1000" },
        { "miner/hub_shares", "2,x", "miner/hub_shares: 'x' is not a weight" },
        { "miner/hub_shares", "1,1001", "'1001' is not a weight" },
        { "miner/hub_key", "", "miner/hubs is set but miner/hub_key is not" },
        { "miner/hub_key", "KEYS3", "miner/hub_key: 3 keys for 2 hubs" },
    };
    zcert_t *certs [3] = { zcert_new (), zcert_new (), zcert_new () };
    char *keys3 = zsys_sprintf ("%s,%s,%s", zcert_public_txt (certs [0]),
                                zcert_public_txt (certs [1]), zcert_public_txt (certs [2]));
    char *keys2 = zsys_sprintf ("%s,%s", zcert_public_txt (certs [0]), zcert_public_txt (certs [1]));
    char err [300];
    for (size_t index = 0; index < sizeof bad / sizeof bad [0]; index++) {
        config = fg_config_new (miner_agent_defs);
        fg_config_set (config, "miner/hubs", endpoints);
        fg_config_set (config, "miner/hub_count", "2");
        fg_config_set (config, "miner/hub_key", keys2);
        CU_ASSERT_EQUAL (miner_agent_check_config (config, err, sizeof err), 0);
        const char *value = streq (bad [index].value, "KEYS3")? keys3: bad [index].value;
        CU_ASSERT_EQUAL (fg_config_set (config, bad [index].path, value), 0);
        CU_ASSERT_EQUAL (miner_agent_check_config (config, err, sizeof err), -1);
        CU_ASSERT_PTR_NOT_NULL (strstr (err, bad [index].error));
        if (!strstr (err, bad [index].error))
            printf ("\n%s=%s said: %s\n", bad [index].path, value, err);
        fg_config_destroy (&config);
    }
    //  One key for every hub, or from the locators as many hubs as asked
    config = fg_config_new (miner_agent_defs);
    fg_config_set (config, "miner/hubs", endpoints);
    fg_config_set (config, "miner/hub_key", zcert_public_txt (certs [2]));
    fg_config_set (config, "miner/hub_count", "2");
    CU_ASSERT_EQUAL (miner_agent_check_config (config, err, sizeof err), 0);
    fg_config_set (config, "miner/hubs", "");
    fg_config_set (config, "miner/hub_count", "16");
    CU_ASSERT_EQUAL (miner_agent_check_config (config, err, sizeof err), 0);
    CU_ASSERT_NOT_EQUAL (fg_config_set (config, "miner/hub_count", "0"), 0);
    CU_ASSERT_NOT_EQUAL (fg_config_set (config, "miner/hub_count", "17"), 0);
    fg_config_destroy (&config);
    for (int index = 0; index < 3; index++)
        zcert_destroy (&certs [index]);
    zstr_free (&keys2);
    zstr_free (&keys3);
    zstr_free (&endpoints);
    tm_hub_close (&hubs [0]);
    tm_hub_close (&hubs [1]);
}

void
test_miner_agent_add (void)
{
    CU_pSuite suite = CU_add_suite ("miner_agent", s_suite_init, s_suite_clean);
    CU_add_test (suite, "hello with resources, welcome, heartbeats", test_hello_and_heartbeats);
    CU_add_test (suite, "a task is started and reported", test_task_runs_and_reports);
    CU_add_test (suite, "a killed task leaves nothing behind", test_task_kill);
    CU_add_test (suite, "a hub that forgot the miner gets a new hello", test_forgotten_miner_says_hello);
    CU_add_test (suite, "a hub that moved is found again", test_hub_moves);
    CU_add_test (suite, "the miner id persists across runs", test_id_persists);
    CU_add_test (suite, "the fogrid-miner program", test_program);
    CU_add_test (suite, "GPUs from nvidia-smi", test_gpus);
    CU_add_test (suite, "one miner, two hubs at once, each its share", test_two_hubs_at_once);
    CU_add_test (suite, "hub shares 3:1, and the settings they refuse", test_hub_shares);
}
