/*  =========================================================================
    fuzz_miner_http - libFuzzer target for the miner's HTTP pages

    The real miner agent (an actor, started once per process, plain text,
    the benchmark's `null` runtime only, miner/http on a port of the
    system's choosing) connected to the fuzzer's hub: a ROUTER on loopback
    that welcomes it and gives it two tasks, which the null runtime ends at
    once. So the probes say ready and the status, hubs and metrics pages
    have a hub, a link and counts in them.

    Each input is the bytes of one HTTP connection, with the checks of
    fuzz_http_client.h; the good requests are one per route, a HEAD, a
    query string, a pipelined set, a 404 and a 405. The status page must
    name the miner, ready with its hub. What the miner sends its hub
    meanwhile (heartbeats) is read and dropped; a hello (it came back) is
    welcomed. FUZZ_LOG=1 in the environment keeps the miner's log (on
    stderr), to follow a finding.
    =========================================================================  */
#include "fogrid.h"
#include "miner_agent.h"
#include "fuzz_daemon.h"
#include "fuzz_http_client.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define S_WAIT_MS   10000       //  a miner that does not answer in this is hung
#define S_MINER_ID  "m-fuzz"

static char s_root [256];
static zsock_t *s_router;       //  the hub's socket
static fg_config_t *s_config;
static zactor_t *s_miner;
static int s_port;              //  HTTP
static int s_results;           //  TaskResults the miner sent
static zframe_t *s_peer;        //  the miner's routing id, from its hello

//  Takes what the miner sent: a hello is welcomed, a result counted
static void
s_drain (void)
{
    while (zsock_events (s_router) & ZMQ_POLLIN) {
        zframe_t *peer = NULL;
        fg_error_t error;
        fg_env_t *env = fg_msg_recv (s_router, &peer, &error, NULL);
        if (!env)
            fuzz_fail ("the miner sent a message that does not decode: %s", fg_strerror (error));
        if (env->body_case == FOGRID__ENVELOPE__BODY_MINER_HELLO) {
            Fogrid__MinerWelcome welcome = FOGRID__MINER_WELCOME__INIT;
            welcome.heartbeat_ms = 1000;
            fg_env_t reply = FOGRID__ENVELOPE__INIT;
            reply.seq = env->seq;
            reply.body_case = FOGRID__ENVELOPE__BODY_MINER_WELCOME;
            reply.miner_welcome = &welcome;
            fg_msg_send (s_router, peer, &reply);
            zframe_destroy (&s_peer);
            s_peer = zframe_dup (peer);
        }
        else
        if (env->body_case == FOGRID__ENVELOPE__BODY_TASK_RESULT)
            s_results++;
        fg_msg_free (&env);
        zframe_destroy (&peer);
    }
}

static char *
s_state (void)
{
    zstr_send (s_miner, "STATE");
    char *state = zstr_recv (s_miner);
    if (!state)
        fuzz_fail ("the miner's actor does not answer");
    return state;
}

//  Runs the fake hub until the miner's state is ready and it sent
//  results results
static void
s_wait (int results)
{
    int64_t deadline = zclock_mono () + S_WAIT_MS;
    while (true) {
        s_drain ();
        char *state = s_state ();
        bool ready = streq (state, "ready");
        zstr_free (&state);
        if (ready && s_results >= results)
            return;
        if (zclock_mono () > deadline)
            fuzz_fail ("the miner is not ready with %d results in %d ms", results, S_WAIT_MS);
        zmq_pollitem_t item = { zsock_resolve (s_router), 0, ZMQ_POLLIN, 0 };
        zmq_poll (&item, 1, 50);
    }
}

//  Two tasks for the null runtime, which ends them at once
static void
s_assign (void)
{
    char *argv [] = { "true" };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.argv = argv;
    spec.n_argv = 1;
    spec.runtime = "null";
    for (int index = 0; index < 2; index++) {
        char task_id [32];
        snprintf (task_id, sizeof task_id, "t-fuzz-%d", index);
        Fogrid__TaskAssign assign = FOGRID__TASK_ASSIGN__INIT;
        assign.task_id = task_id;
        assign.attempt = 1;
        assign.spec = &spec;
        fg_env_t env = FOGRID__ENVELOPE__INIT;
        env.body_case = FOGRID__ENVELOPE__BODY_TASK_ASSIGN;
        env.task_assign = &assign;
        fg_msg_send (s_router, s_peer, &env);
    }
}

//  The status page names this miner, ready, with its one hub link
static void
s_check (void *arg, const char *request, unsigned status, const char *body, size_t size)
{
    (void) arg;
    if (status != 200 || strncmp (request, "GET /api/v1/status", 18))
        return;
    json_t *page = json_loadb (body, size, 0, NULL);
    const char *miner_id = json_string_value (json_object_get (page, "miner_id"));
    const char *state = json_string_value (json_object_get (page, "state"));
    size_t links = json_array_size (json_object_get (page, "links"));
    bool right = miner_id && streq (miner_id, S_MINER_ID) && state && streq (state, "ready")
              && links == 1;
    json_decref (page);
    if (!right)
        fuzz_fail ("the status page says: '%.*s'", (int) (size < 400? size: 400), body);
}

//  --------------------------------------------------------------------------

static void
s_cleanup (void)
{
    zactor_destroy (&s_miner);
    fg_config_destroy (&s_config);
    zframe_destroy (&s_peer);
    zsock_destroy (&s_router);
    fuzz_remove (s_root);
}

static void
s_setup (void)
{
    fuzz_start ("fuzz_miner_http");
    fuzz_tmpdir (s_root, sizeof s_root);
    char hubs [64], data [300];
    s_router = fuzz_hub_router (hubs, sizeof hubs);
    snprintf (data, sizeof data, "%s/miner", s_root);
    s_config = fuzz_miner_config (miner_agent_defs, hubs, data, S_MINER_ID, "127.0.0.1:0");
    miner_agent_args_t args = { .config = s_config };
    s_miner = zactor_new (miner_agent_actor, &args);
    if (args.rc)
        fuzz_fail ("the miner does not start: %s", args.error);
    zstr_send (s_miner, "HTTP");
    zsock_recv (s_miner, "i", &s_port);
    if (s_port <= 0)
        fuzz_fail ("the miner serves no HTTP");
    //  Its hello, welcomed; then two tasks, ended
    s_wait (0);
    s_assign ();
    s_wait (2);
    atexit (s_cleanup);
}

static const fuzz_http_good_t s_goods [] = {
    { "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", { 200 } },
    { "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n", { 200 } },        //  welcomed by its hub
    { "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\n\r\n", { 200 } },
    { "HEAD /metrics HTTP/1.0\r\n\r\n", { 200 } },
    { "GET /api/v1/status HTTP/1.1\r\nHost: x\r\n\r\n", { 200 } },
    { "GET /api/v1/status?pretty=1&a=%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      { 200 } },
    { "GET /api/v1/hubs HTTP/1.1\r\nHost: x\r\n\r\n", { 200 } },
    { "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v1/hubs HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /api/v1/%c3%28 HTTP/1.1\r\nHost: x\r\n\r\n", { 200, 200, 404 } },
    { "GET /api/v1/status/more HTTP/1.1\r\nHost: x\r\n\r\n", { 404 } },
    { "DELETE /api/v1/hubs HTTP/1.1\r\nHost: x\r\n\r\n", { 405 } },
    { NULL, { 0 } }
};

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_root [0])
        s_setup ();
    s_drain ();
    fuzz_http_server_t server = {
        .port = s_port, .timeout_ms = S_WAIT_MS, .goods = s_goods, .check = s_check
    };
    fuzz_http_input (&server, data, size);
    return 0;
}
