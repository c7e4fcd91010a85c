/*  =========================================================================
    fuzz_hub_http - libFuzzer target for the hub's HTTP pages

    The real hub: a hub_server actor started once per process on loopback
    (plain text, data in a temporary directory, hub/http on a port of the
    system's choosing), its pages served by its own loop. Before the first
    input a miner says hello over the miner socket (with a label of
    characters HTML and JSON must escape: the hub refuses one that is not
    UTF-8 at its door) and a buyer submits tasks over the buyer socket;
    the miner starts some, finishes one, fails one with a reason that is
    not UTF-8, and one pending task is cancelled. So the dashboard, the
    overview, health and metrics have rows in every state, with the bytes
    a miner or a buyer may put in them.

    Each input is the bytes of one HTTP connection, with the checks of
    fuzz_http_client.h; the good requests are one per route, a HEAD, a
    query string, a pipelined pair, a 404 and a 405. The overview must
    list every miner health counts and the latest tasks (none dropped for
    bytes JSON cannot hold). FUZZ_LOG=1 in the environment keeps the hub's
    log (on stderr), to follow a finding.
    =========================================================================  */
#include "fogrid.h"
#include "hub_server.h"
#include "fuzz_daemon.h"
#include "fuzz_http_client.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define S_WAIT_MS   10000       //  a hub that does not answer in this is hung
#define S_TASKS     6           //  submitted before the first input
#define S_CORES     4           //  the miner's: as many tasks are placed

static char s_root [256];
static fg_config_t *s_config;
static zactor_t *s_hub;
static zsock_t *s_buyer;        //  DEALER to the buyer socket
static zsock_t *s_miner;        //  DEALER to the miner socket
static uint64_t s_seq;
static int s_port;              //  HTTP

//  --------------------------------------------------------------------------
//  Filling the hub

//  Sends request on sock and returns the reply with its seq; other
//  messages (assignments to the miner) go to inbox.
static fg_env_t *
s_call (zsock_t *sock, fg_env_t *request, zlist_t *inbox)
{
    request->seq = ++s_seq;
    if (fg_msg_send (sock, NULL, request))
        fuzz_fail ("cannot send to the hub");
    int64_t deadline = zclock_mono () + S_WAIT_MS;
    while (true) {
        zmq_pollitem_t item = { zsock_resolve (sock), 0, ZMQ_POLLIN, 0 };
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            fuzz_fail ("the hub did not answer %s in %d ms", fg_msg_body_name (request),
                       S_WAIT_MS);
        if (zmq_poll (&item, 1, (long) left) <= 0)
            continue;
        fg_error_t error;
        fg_env_t *env = fg_msg_recv (sock, NULL, &error, NULL);
        if (!env)
            fuzz_fail ("the hub sent a message that does not decode: %s", fg_strerror (error));
        if (env->seq == request->seq)
            return env;
        if (inbox)
            zlist_append (inbox, env);
        else
            fg_msg_free (&env);
    }
}

//  Sends request and wants an answer of that kind
static void
s_expect (zsock_t *sock, fg_env_t *request, int wanted, zlist_t *inbox, char *task_id)
{
    fg_env_t *reply = s_call (sock, request, inbox);
    if ((int) reply->body_case != wanted)
        fuzz_fail ("%s: the hub answered %s (%s)", fg_msg_body_name (request),
                   fg_msg_body_name (reply), reply->body_case == FOGRID__ENVELOPE__BODY_ERROR
                                             ? reply->error->text: "");
    if (task_id)
        snprintf (task_id, 64, "%s", reply->submit_reply->task_id);
    fg_msg_free (&reply);
}

static void
s_hello (void)
{
    char *runtimes [] = { "process" };
    Fogrid__Label zone = FOGRID__LABEL__INIT, gpu = FOGRID__LABEL__INIT;
    zone.key = "zone";
    zone.value = "eu-\xc3\xbc<\"&\u2028>";    //  UTF-8 a page must escape
    gpu.key = "gpu";
    gpu.value = "none";
    Fogrid__Label *labels [] = { &zone, &gpu };
    Fogrid__Resources res = FOGRID__RESOURCES__INIT;
    res.cores = S_CORES;
    res.mem_mb = 4096;
    res.disk_mb = 4096;
    res.n_runtimes = 1;
    res.runtimes = runtimes;
    res.n_labels = 2;
    res.labels = labels;
    Fogrid__MinerHello hello = FOGRID__MINER_HELLO__INIT;
    hello.miner_id = "m-fuzz";
    hello.name = "fuzz miner";
    hello.version = "fuzz";
    hello.resources = &res;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_MINER_HELLO;
    env.miner_hello = &hello;
    s_expect (s_miner, &env, FOGRID__ENVELOPE__BODY_MINER_WELCOME, NULL, NULL);
}

static void
s_submit (const char *command, char *task_id)
{
    char *argv [] = { "sh", "-c", (char *) command };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.argv = argv;
    spec.n_argv = 3;
    Fogrid__SubmitRequest submit = FOGRID__SUBMIT_REQUEST__INIT;
    submit.spec = &spec;
    submit.client_token = "";
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_SUBMIT;
    env.submit = &submit;
    s_expect (s_buyer, &env, FOGRID__ENVELOPE__BODY_SUBMIT_REPLY, NULL, task_id);
}

//  The miner's part: each assignment started; the first succeeds, the
//  second fails with an error that is not UTF-8
static void
s_work (zlist_t *inbox)
{
    int64_t deadline = zclock_mono () + S_WAIT_MS;
    size_t placed = 0;
    while (placed < S_CORES) {
        fg_env_t *env = (fg_env_t *) zlist_pop (inbox);
        if (!env) {
            if (zclock_mono () > deadline)
                fuzz_fail ("the hub placed %zu tasks in %d ms, not %d", placed, S_WAIT_MS,
                           S_CORES);
            zmq_pollitem_t item = { zsock_resolve (s_miner), 0, ZMQ_POLLIN, 0 };
            if (zmq_poll (&item, 1, 100) > 0) {
                fg_error_t error;
                env = fg_msg_recv (s_miner, NULL, &error, NULL);
            }
            if (!env)
                continue;
        }
        if (env->body_case == FOGRID__ENVELOPE__BODY_TASK_ASSIGN) {
            Fogrid__TaskStarted started = FOGRID__TASK_STARTED__INIT;
            started.task_id = env->task_assign->task_id;
            started.attempt = env->task_assign->attempt;
            fg_env_t message = FOGRID__ENVELOPE__INIT;
            message.seq = ++s_seq;
            message.body_case = FOGRID__ENVELOPE__BODY_TASK_STARTED;
            message.task_started = &started;
            fg_msg_send (s_miner, NULL, &message);
            if (placed < 2) {
                Fogrid__TaskResult result = FOGRID__TASK_RESULT__INIT;
                result.task_id = env->task_assign->task_id;
                result.attempt = env->task_assign->attempt;
                result.exit_code = placed? -1: 0;
                result.error = placed? "cannot start: \xc3\x28 \xed\xa0\x80 \xf8\x88": "";
                result.stdout.data = (uint8_t *) "ok\n";
                result.stdout.len = placed? 0: 3;
                message.body_case = FOGRID__ENVELOPE__BODY_TASK_RESULT;
                message.task_result = &result;
                s_expect (s_miner, &message, FOGRID__ENVELOPE__BODY_OK, inbox, NULL);
            }
            placed++;
        }
        fg_msg_free (&env);
    }
}

static void
s_fill (void)
{
    s_hello ();
    char ids [S_TASKS][64];
    //  Commands the overview shortens to 160 bytes: one with bytes that
    //  are not UTF-8, one cut in the middle of a two-byte character
    char long_one [400] = "echo x";
    for (int index = 0; index < 150; index++)
        strcat (long_one, "\xc3\xa9");
    const char *commands [S_TASKS] = {
        "echo hello", "printf '\xc3\xa9\\t'", long_one, "sleep 60", "true", "echo pending"
    };
    for (int index = 0; index < S_TASKS; index++)
        s_submit (commands [index], ids [index]);
    zlist_t *inbox = zlist_new ();
    s_work (inbox);
    for (fg_env_t *env = (fg_env_t *) zlist_pop (inbox); env; env = (fg_env_t *) zlist_pop (inbox))
        fg_msg_free (&env);
    zlist_destroy (&inbox);
    //  One of the two still pending is cancelled
    Fogrid__CancelRequest cancel = FOGRID__CANCEL_REQUEST__INIT;
    cancel.task_id = ids [S_TASKS - 1];
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_CANCEL;
    env.cancel = &cancel;
    fg_env_t *reply = s_call (s_buyer, &env, NULL);
    fg_msg_free (&reply);
}

//  --------------------------------------------------------------------------
//  What the pages must say

static json_int_t
s_sum (json_t *counts)
{
    json_int_t sum = 0;
    const char *key;
    json_t *value;
    json_object_foreach (counts, key, value)
        sum += json_integer_value (value);
    return sum;
}

//  The overview lists every miner and the latest tasks: none is left out
//  for what it holds
static void
s_check (void *arg, const char *request, unsigned status, const char *body, size_t size)
{
    (void) arg;
    if (status != 200 || strncmp (request, "GET /api/v1/overview", 20))
        return;
    json_t *overview = json_loadb (body, size, 0, NULL);
    json_int_t miners = s_sum (json_object_get (overview, "miners_by_state"));
    json_int_t tasks = s_sum (json_object_get (overview, "tasks_by_state"));
    size_t listed = json_array_size (json_object_get (overview, "miners"));
    size_t recent = json_array_size (json_object_get (overview, "recent"));
    json_decref (overview);
    if (miners != 1 || listed != 1)
        fuzz_fail ("the overview lists %zu miners of %" JSON_INTEGER_FORMAT ", not 1 of 1",
                   listed, miners);
    if (tasks != S_TASKS || recent != S_TASKS)
        fuzz_fail ("the overview lists %zu tasks of %" JSON_INTEGER_FORMAT ", not %d of %d",
                   recent, tasks, S_TASKS, S_TASKS);
}

//  --------------------------------------------------------------------------

static void
s_cleanup (void)
{
    zsock_destroy (&s_buyer);
    zsock_destroy (&s_miner);
    zactor_destroy (&s_hub);
    fg_config_destroy (&s_config);
    fuzz_remove (s_root);
}

static void
s_setup (void)
{
    fuzz_start ("fuzz_hub_http");
    fuzz_tmpdir (s_root, sizeof s_root);
    char data [300];
    snprintf (data, sizeof data, "%s/hub", s_root);
    s_config = fuzz_hub_config (hub_config_defs, data, "127.0.0.1:0");
    fg_config_set (s_config, "hub/wallet_stake", "1000");
    //  The miner stays connected without heartbeats for the run
    fg_config_set (s_config, "hub/heartbeat_ms", "3600000");
    fg_config_set (s_config, "hub/disconnect_ms", "3600000");
    fg_config_set (s_config, "hub/dead_ms", "86400000");
    hub_server_args_t args = { .config = s_config };
    s_hub = zactor_new (hub_server_actor, &args);
    if (args.rc)
        fuzz_fail ("the hub does not start: %s", args.error);
    int ports [2];
    zstr_send (s_hub, "PORTS");
    zsock_recv (s_hub, "ii", &ports [0], &ports [1]);
    zstr_send (s_hub, "HTTP");
    zsock_recv (s_hub, "i", &s_port);
    if (s_port <= 0)
        fuzz_fail ("the hub serves no HTTP");
    s_buyer = zsock_new (ZMQ_DEALER);
    s_miner = zsock_new (ZMQ_DEALER);
    zsock_set_linger (s_buyer, 0);
    zsock_set_linger (s_miner, 0);
    zsock_connect (s_buyer, "tcp://127.0.0.1:%d", ports [0]);
    zsock_connect (s_miner, "tcp://127.0.0.1:%d", ports [1]);
    s_fill ();
    atexit (s_cleanup);
}

static const fuzz_http_good_t s_goods [] = {
    { "GET / HTTP/1.1\r\nHost: x\r\n\r\n", { 200 } },
    { "GET /index.html HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n\r\n", { 200 } },
    { "GET /api/v1/overview HTTP/1.1\r\nHost: x\r\n\r\n", { 200 } },
    { "GET /api/v1/overview?since=0&x=%ff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      { 200 } },
    { "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n", { 200 } },
    { "GET /healthz HTTP/1.0\r\n\r\n", { 200 } },
    { "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n", { 200 } },        //  no locator to wait for
    { "GET /metrics HTTP/1.1\r\nHost: x\r\nUser-Agent: Prometheus/2.0\r\n\r\n", { 200 } },
    { "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n", { 200 } },
    { "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /nowhere/%ff HTTP/1.1\r\nHost: x\r\n\r\n", { 200, 200, 404 } },
    { "GET /api/v1/nothing HTTP/1.1\r\nHost: x\r\n\r\n", { 404 } },
    { "POST /api/v1/overview HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd", { 405 } },
    { NULL, { 0 } }
};

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_root [0])
        s_setup ();
    fuzz_http_server_t server = {
        .port = s_port, .timeout_ms = S_WAIT_MS, .goods = s_goods, .check = s_check
    };
    fuzz_http_input (&server, data, size);
    return 0;
}
