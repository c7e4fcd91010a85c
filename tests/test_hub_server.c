/*  =========================================================================
    test_hub_server - the hub actor on loopback, driven by a buyer DEALER
    and fake miners (DEALERs speaking the miner protocol), plus the real
    fogrid-hub binary

    The hub runs with short liveness settings (heartbeat 100 ms, disconnect
    300 ms, dead 600 ms), so every wait in these tests pumps the fake
    miners' heartbeats (s_pump) unless a test wants one of them silent.
    =========================================================================  */
#include "test_hub_support.h"
#include "hub_server.h"
#include <sys/mount.h>
#include <sys/statvfs.h>

//  ---------------------------------------------------------------------
//  The hub under test

typedef struct {
    char *dir;                  //  data dir (owned when made here)
    fg_config_t *config;        //  its settings
    zactor_t *actor;            //  the hub
    int buyer_port;
    int miner_port;
    zsock_t *buyer;             //  a buyer's DEALER
} s_hub_t;

static uint64_t s_seq = 0;

//  Settings the next hub starts with (pairs, NULL-ended), for one test
static const char *s_extra [9] = { NULL };

static void
s_hub_start_at (s_hub_t *hub, const char *dir, const char *queue_max, const char *locator)
{
    hub->config = fg_config_new (hub_config_defs);
    fg_config_set (hub->config, "hub/http", "127.0.0.1:0");
    fg_config_set (hub->config, "hub/buyer_endpoint", "tcp://127.0.0.1:*");
    fg_config_set (hub->config, "hub/miner_endpoint", "tcp://127.0.0.1:*");
    fg_config_set (hub->config, "hub/data_dir", dir);
    fg_config_set (hub->config, "locator/endpoints", locator? locator: "");
    fg_config_set (hub->config, "hub/heartbeat_ms", "100");
    fg_config_set (hub->config, "hub/disconnect_ms", "300");
    fg_config_set (hub->config, "hub/dead_ms", "600");
    if (queue_max)
        fg_config_set (hub->config, "hub/queue_max", queue_max);
    for (int index = 0; s_extra [index]; index += 2)
        fg_config_set (hub->config, s_extra [index], s_extra [index + 1]);
    hub_server_args_t args = { .config = hub->config };
    hub->actor = zactor_new (hub_server_actor, &args);
    CU_ASSERT_EQUAL_FATAL (args.rc, 0);
    zstr_send (hub->actor, "PORTS");
    zsock_recv (hub->actor, "ii", &hub->buyer_port, &hub->miner_port);
    CU_ASSERT (hub->buyer_port > 0 && hub->miner_port > 0);
    hub->buyer = zsock_new (ZMQ_DEALER);
    zsock_set_rcvtimeo (hub->buyer, 2000);
    zsock_connect (hub->buyer, "tcp://127.0.0.1:%d", hub->buyer_port);
}

static void
s_hub_start (s_hub_t *hub, const char *dir, const char *queue_max)
{
    s_hub_start_at (hub, dir, queue_max, NULL);
}

static void
s_hub_stop (s_hub_t *hub)
{
    zsock_destroy (&hub->buyer);
    zactor_destroy (&hub->actor);
    fg_config_destroy (&hub->config);
}

//  Sends a request and waits for the reply with its seq.
static fg_env_t *
s_call (zsock_t *sock, fg_env_t *request)
{
    request->seq = ++s_seq;
    return ts_call (sock, request);
}

static fg_env_t *
s_submit (s_hub_t *hub, const char *token, const char *command)
{
    char *argv [] = { "sh", "-c", (char *) command };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.n_argv = 3;
    spec.argv = argv;
    Fogrid__SubmitRequest submit = FOGRID__SUBMIT_REQUEST__INIT;
    submit.spec = &spec;
    submit.client_token = (char *) (token? token: "");
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_SUBMIT;
    env.submit = &submit;
    return s_call (hub->buyer, &env);
}

//  Submits and returns the new task id (caller frees), or NULL.
static char *
s_submit_id (s_hub_t *hub, const char *token, const char *command)
{
    fg_env_t *reply = s_submit (hub, token, command);
    CU_ASSERT_PTR_NOT_NULL (reply);
    char *id = NULL;
    if (reply && reply->body_case == FOGRID__ENVELOPE__BODY_SUBMIT_REPLY)
        id = strdup (reply->submit_reply->task_id);
    else
    if (reply && reply->body_case == FOGRID__ENVELOPE__BODY_ERROR)
        fprintf (stderr, "submit refused: %s\n", reply->error->text);
    fg_msg_free (&reply);
    CU_ASSERT_PTR_NOT_NULL (id);
    return id;
}

static fg_env_t *
s_task_request (s_hub_t *hub, int body_case, const char *task_id)
{
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    Fogrid__StatusRequest status = FOGRID__STATUS_REQUEST__INIT;
    Fogrid__ResultRequest result = FOGRID__RESULT_REQUEST__INIT;
    Fogrid__CancelRequest cancel = FOGRID__CANCEL_REQUEST__INIT;
    env.body_case = body_case;
    if (body_case == FOGRID__ENVELOPE__BODY_STATUS) {
        status.task_id = (char *) task_id;
        env.status = &status;
    }
    else
    if (body_case == FOGRID__ENVELOPE__BODY_RESULT) {
        result.task_id = (char *) task_id;
        env.result = &result;
    }
    else {
        cancel.task_id = (char *) task_id;
        env.cancel = &cancel;
    }
    return s_call (hub->buyer, &env);
}

//  ---------------------------------------------------------------------
//  Fake miners

typedef struct {
    zsock_t *sock;              //  DEALER to the hub's miner socket
    char id [32];               //  its miner id
    uint32_t cores;             //  what it offers
    double load1;               //  what it reports
    uint32_t running;           //  what it reports
    Fogrid__Label **labels;     //  what its hello says, NULL for none
    size_t n_labels;
    bool silent;                //  stopped heartbeating (a dead miner)
    int64_t next_beat;          //  when to heartbeat next
    zlist_t *inbox;             //  fg_env_t * from the hub, oldest first
} s_fake_t;

#define S_FLEET_MAX 4
static s_fake_t *s_fleet [S_FLEET_MAX];

static void
s_fake_send (s_fake_t *fake, fg_env_t *env)
{
    if (!env->seq)
        env->seq = ++s_seq;
    CU_ASSERT_EQUAL (fg_msg_send (fake->sock, NULL, env), 0);
}

static void
s_fake_heartbeat (s_fake_t *fake)
{
    Fogrid__Load load = FOGRID__LOAD__INIT;
    load.running = fake->running;
    load.load1 = fake->load1;
    load.healthy = true;
    Fogrid__MinerHeartbeat heartbeat = FOGRID__MINER_HEARTBEAT__INIT;
    heartbeat.miner_id = fake->id;
    heartbeat.load = &load;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_MINER_HEARTBEAT;
    env.miner_heartbeat = &heartbeat;
    s_fake_send (fake, &env);
}

//  Heartbeats the fleet and collects what the hub sends, for ms.
static void
s_pump (int ms)
{
    int64_t deadline = zclock_mono () + ms;
    do {
        int64_t now = zclock_mono ();
        for (int index = 0; index < S_FLEET_MAX; index++) {
            s_fake_t *fake = s_fleet [index];
            if (!fake)
                continue;
            if (!fake->silent && now >= fake->next_beat) {
                s_fake_heartbeat (fake);
                fake->next_beat = now + 100;
            }
            while (zsock_events (fake->sock) & ZMQ_POLLIN) {
                fg_error_t error;
                fg_env_t *env = fg_msg_recv (fake->sock, NULL, &error, NULL);
                if (env)
                    zlist_append (fake->inbox, env);
            }
        }
        zclock_sleep (5);
    } while (zclock_mono () < deadline);
}

//  The first message of that type from the hub, waiting up to timeout_ms.
static fg_env_t *
s_fake_expect (s_fake_t *fake, int body_case, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (true) {
        for (fg_env_t *env = (fg_env_t *) zlist_first (fake->inbox); env;
             env = (fg_env_t *) zlist_next (fake->inbox))
            if ((int) env->body_case == body_case) {
                zlist_remove (fake->inbox, env);
                return env;
            }
        if (zclock_mono () >= deadline)
            return NULL;
        s_pump (10);
    }
}

//  How many messages of a type wait in the inbox (after a short pump).
static size_t
s_fake_count (s_fake_t *fake, int body_case)
{
    size_t count = 0;
    for (fg_env_t *env = (fg_env_t *) zlist_first (fake->inbox); env;
         env = (fg_env_t *) zlist_next (fake->inbox))
        count += (int) env->body_case == body_case;
    return count;
}

static void
s_fake_hello (s_fake_t *fake, Fogrid__TaskRef **running, size_t n_running)
{
    char *runtimes [] = { "process" };
    Fogrid__Resources res = FOGRID__RESOURCES__INIT;
    res.cores = fake->cores;
    res.mem_mb = 4096;
    res.n_runtimes = 1;
    res.runtimes = runtimes;
    res.labels = fake->labels;
    res.n_labels = fake->n_labels;
    Fogrid__MinerHello hello = FOGRID__MINER_HELLO__INIT;
    hello.miner_id = fake->id;
    hello.name = fake->id;
    hello.version = "test";
    hello.resources = &res;
    hello.n_running = n_running;
    hello.running = running;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_MINER_HELLO;
    env.miner_hello = &hello;
    s_fake_send (fake, &env);
}

static s_fake_t *
s_fake_new (s_hub_t *hub, const char *id, uint32_t cores, double load1, uint32_t running)
{
    s_fake_t *fake = (s_fake_t *) zmalloc (sizeof (s_fake_t));
    fake->sock = zsock_new (ZMQ_DEALER);
    zsock_connect (fake->sock, "tcp://127.0.0.1:%d", hub->miner_port);
    snprintf (fake->id, sizeof fake->id, "%s", id);
    fake->cores = cores;
    fake->load1 = load1;
    fake->running = running;
    fake->inbox = zlist_new ();
    for (int index = 0; index < S_FLEET_MAX; index++)
        if (!s_fleet [index]) {
            s_fleet [index] = fake;
            break;
        }
    return fake;
}

//  A fake miner that said hello and got its welcome.
static s_fake_t *
s_fake_join (s_hub_t *hub, const char *id, uint32_t cores, double load1, uint32_t running)
{
    s_fake_t *fake = s_fake_new (hub, id, cores, load1, running);
    s_fake_hello (fake, NULL, 0);
    fg_env_t *welcome = s_fake_expect (fake, FOGRID__ENVELOPE__BODY_MINER_WELCOME, 2000);
    CU_ASSERT_PTR_NOT_NULL (welcome);
    if (welcome)
        CU_ASSERT_EQUAL (welcome->miner_welcome->heartbeat_ms, 100);
    fg_msg_free (&welcome);
    s_fake_heartbeat (fake);
    return fake;
}

static void
s_fake_destroy (s_fake_t **fake_p)
{
    s_fake_t *fake = *fake_p;
    if (!fake)
        return;
    for (int index = 0; index < S_FLEET_MAX; index++)
        if (s_fleet [index] == fake)
            s_fleet [index] = NULL;
    for (fg_env_t *env = (fg_env_t *) zlist_first (fake->inbox); env;
         env = (fg_env_t *) zlist_next (fake->inbox))
        fg_msg_free (&env);
    zlist_destroy (&fake->inbox);
    zsock_destroy (&fake->sock);
    free (fake);
    *fake_p = NULL;
}

static void
s_fake_started (s_fake_t *fake, const char *task_id, uint32_t attempt)
{
    Fogrid__TaskStarted started = FOGRID__TASK_STARTED__INIT;
    started.task_id = (char *) task_id;
    started.attempt = attempt;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_STARTED;
    env.task_started = &started;
    s_fake_send (fake, &env);
}

//  Sends a result (files: its output files and figures, or NULL) and
//  returns the hub's answer (Ok or Error).
static fg_env_t *
s_fake_result_with (s_fake_t *fake, const char *task_id, uint32_t attempt, int exit_code,
                    const char *out, const Fogrid__TaskResult *files)
{
    Fogrid__TaskResult result = FOGRID__TASK_RESULT__INIT;
    if (files)
        result = *files;
    result.task_id = (char *) task_id;
    result.attempt = attempt;
    result.exit_code = exit_code;
    result.stdout.data = (uint8_t *) out;
    result.stdout.len = strlen (out);
    result.stderr.data = (uint8_t *) "oops\n";
    result.stderr.len = 5;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = ++s_seq;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_RESULT;
    env.task_result = &result;
    s_fake_send (fake, &env);
    int64_t deadline = zclock_mono () + 2000;
    while (zclock_mono () < deadline) {
        s_pump (10);
        for (fg_env_t *got = (fg_env_t *) zlist_first (fake->inbox); got;
             got = (fg_env_t *) zlist_next (fake->inbox))
            if (got->seq == env.seq) {
                zlist_remove (fake->inbox, got);
                return got;
            }
    }
    return NULL;
}

static fg_env_t *
s_fake_result (s_fake_t *fake, const char *task_id, uint32_t attempt, int exit_code,
               const char *out)
{
    return s_fake_result_with (fake, task_id, attempt, exit_code, out, NULL);
}

//  Polls the task's status (pumping the fleet) until it is in state.
static bool
s_wait_state (s_hub_t *hub, const char *task_id, const char *state, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (true) {
        fg_env_t *reply = s_task_request (hub, FOGRID__ENVELOPE__BODY_STATUS, task_id);
        bool there = reply && reply->body_case == FOGRID__ENVELOPE__BODY_TASK_INFO
                  && streq (reply->task_info->state, state);
        fg_msg_free (&reply);
        if (there)
            return true;
        if (zclock_mono () >= deadline)
            return false;
        s_pump (20);
    }
}

//  The state of a miner as MinersReply tells it ("" if unknown; caller frees).
static char *
s_miner_state (s_hub_t *hub, const char *miner_id)
{
    Fogrid__MinersRequest request = FOGRID__MINERS_REQUEST__INIT;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_MINERS;
    env.miners = &request;
    fg_env_t *reply = s_call (hub->buyer, &env);
    char *state = strdup ("");
    for (size_t index = 0; reply && index < reply->miners_reply->n_miners; index++)
        if (streq (reply->miners_reply->miners [index]->miner_id, miner_id)) {
            free (state);
            state = strdup (reply->miners_reply->miners [index]->state);
        }
    fg_msg_free (&reply);
    return state;
}

static bool
s_wait_miner_state (s_hub_t *hub, const char *miner_id, const char *wanted, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (true) {
        char *state = s_miner_state (hub, miner_id);
        bool there = streq (state, wanted);
        free (state);
        if (there)
            return true;
        if (zclock_mono () >= deadline)
            return false;
        s_pump (20);
    }
}

//  ---------------------------------------------------------------------
//  Tests

static void
test_lifecycle (void)
{
    s_hub_t hub = { .dir = ts_tmpdir_new ("hub") };
    s_hub_start (&hub, hub.dir, NULL);
    s_fake_t *miner = s_fake_join (&hub, "m-one", 2, 0.1, 0);

    char *id = s_submit_id (&hub, NULL, "echo hello; exit 3");
    CU_ASSERT_FATAL (id && strncmp (id, "t-", 2) == 0);
    fg_env_t *assign = s_fake_expect (miner, FOGRID__ENVELOPE__BODY_TASK_ASSIGN, 2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (assign);
    CU_ASSERT_STRING_EQUAL (assign->task_assign->task_id, id);
    CU_ASSERT_EQUAL (assign->task_assign->attempt, 1);
    CU_ASSERT_EQUAL (assign->task_assign->spec->n_argv, 3);
    CU_ASSERT_STRING_EQUAL (assign->task_assign->spec->argv [2], "echo hello; exit 3");
    CU_ASSERT_EQUAL (assign->task_assign->spec->timeout_s, 3600);   //  the default filled in
    fg_msg_free (&assign);
    CU_ASSERT_TRUE (s_wait_state (&hub, id, "assigned", 1000));

    //  Output is empty until the task is done
    fg_env_t *early = s_task_request (&hub, FOGRID__ENVELOPE__BODY_RESULT, id);
    CU_ASSERT_PTR_NOT_NULL_FATAL (early);
    CU_ASSERT_EQUAL (early->body_case, FOGRID__ENVELOPE__BODY_RESULT_REPLY);
    CU_ASSERT_EQUAL (early->result_reply->stdout.len, 0);
    fg_msg_free (&early);

    s_fake_started (miner, id, 1);
    CU_ASSERT_TRUE (s_wait_state (&hub, id, "running", 2000));
    //  With files (one whose path would climb out of a buyer's directory:
    //  only a note of it is kept) and what the task used
    Fogrid__OutputFile good = FOGRID__OUTPUT_FILE__INIT, evil = FOGRID__OUTPUT_FILE__INIT,
                       missing = FOGRID__OUTPUT_FILE__INIT;
    good.path = "out/a.txt";
    good.content.data = (uint8_t *) "A\n";
    good.content.len = good.size = 2;
    good.mode = 0640;
    evil.path = "../../etc/cron.d/evil";
    evil.content.data = (uint8_t *) "pwned";
    evil.content.len = evil.size = 5;
    missing.path = "out/missing";
    missing.error = "no such file or directory in the container";
    Fogrid__OutputFile *files [] = { &good, &evil, &missing };
    Fogrid__Usage usage = FOGRID__USAGE__INIT;
    usage.cpu_ms = 1234;
    usage.mem_peak_bytes = 67108864;
    usage.pids_peak = 3;
    Fogrid__TaskResult extra = FOGRID__TASK_RESULT__INIT;
    extra.files = files;
    extra.n_files = 3;
    extra.usage = &usage;
    fg_env_t *answer = s_fake_result_with (miner, id, 1, 3, "hello\n", &extra);
    CU_ASSERT_PTR_NOT_NULL_FATAL (answer);
    CU_ASSERT_EQUAL (answer->body_case, FOGRID__ENVELOPE__BODY_OK);
    fg_msg_free (&answer);

    fg_env_t *status = s_task_request (&hub, FOGRID__ENVELOPE__BODY_STATUS, id);
    CU_ASSERT_PTR_NOT_NULL_FATAL (status);
    CU_ASSERT_EQUAL_FATAL (status->body_case, FOGRID__ENVELOPE__BODY_TASK_INFO);
    Fogrid__TaskInfo *info = status->task_info;
    CU_ASSERT_STRING_EQUAL (info->state, "failed");
    CU_ASSERT_EQUAL (info->exit_code, 3);
    CU_ASSERT_EQUAL (info->attempt, 1);
    CU_ASSERT_STRING_EQUAL (info->miner_id, "m-one");
    CU_ASSERT_STRING_EQUAL (info->reason, "exit code 3");
    CU_ASSERT_PTR_NOT_NULL (info->spec);
    CU_ASSERT_EQUAL_FATAL (info->n_history, 4);
    CU_ASSERT_STRING_EQUAL (info->history [0]->state, "pending");
    CU_ASSERT_STRING_EQUAL (info->history [1]->state, "assigned");
    CU_ASSERT_STRING_EQUAL (info->history [1]->miner_id, "m-one");
    CU_ASSERT_STRING_EQUAL (info->history [2]->state, "running");
    CU_ASSERT_STRING_EQUAL (info->history [3]->state, "failed");
    CU_ASSERT_PTR_NOT_NULL_FATAL (info->usage);
    CU_ASSERT_EQUAL (info->usage->cpu_ms, 1234);
    CU_ASSERT_EQUAL (info->usage->mem_peak_bytes, 67108864);
    CU_ASSERT_EQUAL (info->usage->pids_peak, 3);
    fg_msg_free (&status);

    fg_env_t *result = s_task_request (&hub, FOGRID__ENVELOPE__BODY_RESULT, id);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_EQUAL_FATAL (result->body_case, FOGRID__ENVELOPE__BODY_RESULT_REPLY);
    CU_ASSERT_EQUAL (result->result_reply->stdout.len, 6);
    CU_ASSERT_EQUAL (memcmp (result->result_reply->stdout.data, "hello\n", 6), 0);
    CU_ASSERT_EQUAL (result->result_reply->stderr.len, 5);
    CU_ASSERT_STRING_EQUAL (result->result_reply->info->state, "failed");
    CU_ASSERT_PTR_NOT_NULL (result->result_reply->info->usage);
    Fogrid__ResultReply *reply_files = result->result_reply;
    CU_ASSERT_EQUAL_FATAL (reply_files->n_files, 3);
    CU_ASSERT_STRING_EQUAL (reply_files->files [0]->path, "out/a.txt");
    CU_ASSERT (reply_files->files [0]->content.len == 2
               && memcmp (reply_files->files [0]->content.data, "A\n", 2) == 0);
    CU_ASSERT_EQUAL (reply_files->files [0]->mode, 0640);
    CU_ASSERT_STRING_EQUAL (reply_files->files [0]->error, "");
    CU_ASSERT_STRING_EQUAL (reply_files->files [1]->path, "../../etc/cron.d/evil");
    CU_ASSERT_EQUAL (reply_files->files [1]->content.len, 0);
    CU_ASSERT_STRING_EQUAL (reply_files->files [1]->error,
                            "not a plain relative path: refused by the hub");
    CU_ASSERT_STRING_EQUAL (reply_files->files [2]->error,
                            "no such file or directory in the container");
    fg_msg_free (&result);

    //  A second result for the same attempt is refused: the task is done
    answer = s_fake_result (miner, id, 1, 0, "again\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL (answer);
    CU_ASSERT_EQUAL (answer->body_case, FOGRID__ENVELOPE__BODY_ERROR);
    CU_ASSERT_EQUAL (answer->error->code, FG_E_STALE);
    fg_msg_free (&answer);

    //  Health and miners
    Fogrid__HealthRequest health = FOGRID__HEALTH_REQUEST__INIT;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_HEALTH;
    env.health = &health;
    fg_env_t *reply = s_call (hub.buyer, &env);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_HEALTH_REPLY);
    CU_ASSERT_EQUAL (strncmp (reply->health_reply->hub_id, "h-", 2), 0);
    CU_ASSERT_EQUAL (reply->health_reply->queue_length, 0);
    bool found_failed = false, found_connected = false;
    for (size_t index = 0; index < reply->health_reply->n_tasks_by_state; index++) {
        Fogrid__Counter *counter = reply->health_reply->tasks_by_state [index];
        if (streq (counter->name, "failed"))
            found_failed = counter->value == 1;
    }
    for (size_t index = 0; index < reply->health_reply->n_miners_by_state; index++) {
        Fogrid__Counter *counter = reply->health_reply->miners_by_state [index];
        if (streq (counter->name, "connected"))
            found_connected = counter->value == 1;
    }
    CU_ASSERT_TRUE (found_failed);
    CU_ASSERT_TRUE (found_connected);
    fg_msg_free (&reply);
    char *state = s_miner_state (&hub, "m-one");
    CU_ASSERT_STRING_EQUAL (state, "connected");
    free (state);

    free (id);
    s_fake_destroy (&miner);
    s_hub_stop (&hub);
    ts_tmpdir_remove (&hub.dir);
}

static void
test_least_loaded (void)
{
    s_hub_t hub = { .dir = ts_tmpdir_new ("hub") };
    s_hub_start (&hub, hub.dir, NULL);
    s_fake_t *busy = s_fake_join (&hub, "m-busy", 4, 3.5, 2);
    s_fake_t *idle = s_fake_join (&hub, "m-idle", 4, 0.2, 0);
    s_pump (150);                   //  both loads are in

    char *id = s_submit_id (&hub, NULL, "true");
    fg_env_t *assign = s_fake_expect (idle, FOGRID__ENVELOPE__BODY_TASK_ASSIGN, 2000);
    CU_ASSERT_PTR_NOT_NULL (assign);
    if (assign)
        CU_ASSERT_STRING_EQUAL (assign->task_assign->task_id, id);
    fg_msg_free (&assign);
    s_pump (100);
    CU_ASSERT_EQUAL (s_fake_count (busy, FOGRID__ENVELOPE__BODY_TASK_ASSIGN), 0);
    free (id);
    s_fake_destroy (&busy);
    s_fake_destroy (&idle);
    s_hub_stop (&hub);
    ts_tmpdir_remove (&hub.dir);
}

//  A hub with two one-core miners, m-first less loaded than m-second,
//  and a task running on m-first (attempt 1); returns its id (caller frees).
static char *
s_running_on_first (s_hub_t *hub, s_fake_t **first, s_fake_t **second)
{
    s_hub_start (hub, hub->dir, NULL);
    *first = s_fake_join (hub, "m-first", 1, 0.1, 0);
    *second = s_fake_join (hub, "m-second", 1, 2.0, 0);
    s_pump (150);
    char *id = s_submit_id (hub, NULL, "sleep 1");
    fg_env_t *assign = s_fake_expect (*first, FOGRID__ENVELOPE__BODY_TASK_ASSIGN, 2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (assign);
    CU_ASSERT_EQUAL (assign->task_assign->attempt, 1);
    fg_msg_free (&assign);
    s_fake_started (*first, id, 1);
    CU_ASSERT_TRUE (s_wait_state (hub, id, "running", 1000));
    return id;
}

static void
test_dead_miner (void)
{
    s_hub_t hub = { .dir = ts_tmpdir_new ("hub") };
    s_fake_t *first, *second;
    char *id = s_running_on_first (&hub, &first, &second);
    fg_env_t *assign;

    //  m-first goes quiet: disconnected, then dead, and the task moves
    first->silent = true;
    CU_ASSERT_TRUE (s_wait_miner_state (&hub, "m-first", "disconnected", 1500));
    CU_ASSERT_TRUE (s_wait_miner_state (&hub, "m-first", "dead", 1500));
    assign = s_fake_expect (second, FOGRID__ENVELOPE__BODY_TASK_ASSIGN, 2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (assign);
    CU_ASSERT_STRING_EQUAL (assign->task_assign->task_id, id);
    CU_ASSERT_EQUAL (assign->task_assign->attempt, 2);
    fg_msg_free (&assign);

    //  Its late result for attempt 1 is refused as stale
    fg_env_t *answer = s_fake_result (first, id, 1, 0, "late\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL (answer);
    CU_ASSERT_EQUAL_FATAL (answer->body_case, FOGRID__ENVELOPE__BODY_ERROR);
    CU_ASSERT_EQUAL (answer->error->code, FG_E_STALE);
    CU_ASSERT_STRING_EQUAL (answer->error->text,
                            "result for attempt 1 refused: current attempt is 2");
    fg_msg_free (&answer);
    //  And so is its heartbeat: a dead miner must say hello again
    s_fake_heartbeat (first);
    fg_env_t *error = s_fake_expect (first, FOGRID__ENVELOPE__BODY_ERROR, 1000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (error);
    CU_ASSERT_EQUAL (error->error->code, FG_E_NOT_FOUND);
    fg_msg_free (&error);

    answer = s_fake_result (second, id, 2, 0, "done\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL (answer);
    CU_ASSERT_EQUAL (answer->body_case, FOGRID__ENVELOPE__BODY_OK);
    fg_msg_free (&answer);
    fg_env_t *status = s_task_request (&hub, FOGRID__ENVELOPE__BODY_STATUS, id);
    CU_ASSERT_PTR_NOT_NULL_FATAL (status);
    CU_ASSERT_STRING_EQUAL (status->task_info->state, "succeeded");
    CU_ASSERT_EQUAL (status->task_info->attempt, 2);
    CU_ASSERT_STRING_EQUAL (status->task_info->miner_id, "m-second");
    fg_msg_free (&status);

    //  The dead miner comes back: its hello still lists the old attempt,
    //  which it is told to kill
    first->silent = false;
    Fogrid__TaskRef ref = FOGRID__TASK_REF__INIT;
    ref.task_id = id;
    ref.attempt = 1;
    Fogrid__TaskRef *refs [1] = { &ref };
    s_fake_hello (first, refs, 1);
    fg_env_t *welcome = s_fake_expect (first, FOGRID__ENVELOPE__BODY_MINER_WELCOME, 2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (welcome);
    CU_ASSERT_EQUAL (welcome->miner_welcome->n_keep, 0);
    CU_ASSERT_EQUAL_FATAL (welcome->miner_welcome->n_kill, 1);
    CU_ASSERT_STRING_EQUAL (welcome->miner_welcome->kill [0]->task_id, id);
    fg_msg_free (&welcome);
    CU_ASSERT_TRUE (s_wait_miner_state (&hub, "m-first", "connected", 1000));

    free (id);
    s_fake_destroy (&first);
    s_fake_destroy (&second);
    s_hub_stop (&hub);
    ts_tmpdir_remove (&hub.dir);
}

static double s_metric (s_hub_t *hub, const char *name);

static void
s_fake_bye (s_fake_t *fake, const char *miner_id, const char *reason)
{
    Fogrid__MinerBye bye = FOGRID__MINER_BYE__INIT;
    bye.miner_id = (char *) miner_id;
    bye.reason = (char *) reason;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_MINER_BYE;
    env.miner_bye = &bye;
    s_fake_send (fake, &env);
}

//  A miner that stops says goodbye: lost at once, its task placed again,
//  without waiting for hub/dead_ms (here the fake even goes on
//  heartbeating, so only the goodbye can make it dead). A goodbye in
//  another miner's name is ignored.
static void
test_goodbye (void)
{
    s_hub_t hub = { .dir = ts_tmpdir_new ("hub") };
    s_fake_t *first, *second;
    char *id = s_running_on_first (&hub, &first, &second);
    fg_env_t *assign;

    s_fake_bye (second, "m-first", "not mine to say");
    s_pump (800);
    CU_ASSERT_TRUE (s_wait_miner_state (&hub, "m-first", "connected", 100));
    CU_ASSERT_TRUE (s_wait_miner_state (&hub, "m-second", "connected", 100));
    CU_ASSERT_TRUE (s_wait_state (&hub, id, "running", 100));

    s_fake_bye (first, "m-first", "stopping");
    CU_ASSERT_TRUE (s_wait_miner_state (&hub, "m-first", "dead", 2000));
    assign = s_fake_expect (second, FOGRID__ENVELOPE__BODY_TASK_ASSIGN, 2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (assign);
    CU_ASSERT_STRING_EQUAL (assign->task_assign->task_id, id);
    CU_ASSERT_EQUAL (assign->task_assign->attempt, 2);
    fg_msg_free (&assign);
    fg_env_t *status = s_task_request (&hub, FOGRID__ENVELOPE__BODY_STATUS, id);
    CU_ASSERT_PTR_NOT_NULL_FATAL (status);
    bool said = false;
    for (size_t index = 0; index < status->task_info->n_history; index++)
        said |= strstr (status->task_info->history [index]->reason,
                        "miner m-first lost: it said goodbye (stopping)") != NULL;
    CU_ASSERT_TRUE (said);
    fg_msg_free (&status);
    //  Counted as a miner that left, not one lost
    CU_ASSERT_EQUAL (s_metric (&hub, "fogrid_hub_miners_left_total"), 1);
    CU_ASSERT_EQUAL (s_metric (&hub, "fogrid_hub_miners_lost_total"), 0);
    free (id);
    s_fake_destroy (&first);
    s_fake_destroy (&second);
    s_hub_stop (&hub);
    ts_tmpdir_remove (&hub.dir);
}

static void
test_no_retries (void)
{
    s_hub_t hub = { .dir = ts_tmpdir_new ("hub") };
    s_hub_start (&hub, hub.dir, NULL);
    fg_config_set (hub.config, "hub/default_retries", "0");     //  read at start: no effect
    s_fake_t *miner = s_fake_join (&hub, "m-only", 1, 0, 0);
    //  A task that allows one retry loses its miner twice
    char *id = th_submit (hub.buyer, "true", 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL (id);
    for (uint32_t attempt = 1; attempt <= 2; attempt++) {
        fg_env_t *assign = s_fake_expect (miner, FOGRID__ENVELOPE__BODY_TASK_ASSIGN, 2000);
        CU_ASSERT_PTR_NOT_NULL_FATAL (assign);
        CU_ASSERT_EQUAL (assign->task_assign->attempt, attempt);
        fg_msg_free (&assign);
        //  The miner dies and comes back under a new connection
        miner->silent = true;
        CU_ASSERT_TRUE (s_wait_miner_state (&hub, "m-only", "dead", 2000));
        s_fake_destroy (&miner);
        miner = s_fake_join (&hub, "m-only", 1, 0, 0);
    }
    CU_ASSERT_TRUE (s_wait_state (&hub, id, "failed", 1000));
    fg_env_t *status = s_task_request (&hub, FOGRID__ENVELOPE__BODY_STATUS, id);
    CU_ASSERT_PTR_NOT_NULL_FATAL (status);
    CU_ASSERT_PTR_NOT_NULL (strstr (status->task_info->reason, "miner lost, no retries left"));
    fg_msg_free (&status);
    free (id);
    s_fake_destroy (&miner);
    s_hub_stop (&hub);
    ts_tmpdir_remove (&hub.dir);
}

static void
test_tokens_and_queue_bound (void)
{
    s_hub_t hub = { .dir = ts_tmpdir_new ("hub") };
    s_hub_start (&hub, hub.dir, "2");
    char *first = s_submit_id (&hub, "tok-1", "true");
    fg_env_t *again = s_submit (&hub, "tok-1", "true");
    CU_ASSERT_PTR_NOT_NULL_FATAL (again);
    CU_ASSERT_EQUAL_FATAL (again->body_case, FOGRID__ENVELOPE__BODY_SUBMIT_REPLY);
    CU_ASSERT_STRING_EQUAL (again->submit_reply->task_id, first);
    CU_ASSERT_TRUE (again->submit_reply->duplicate);
    fg_msg_free (&again);

    char *second = s_submit_id (&hub, "tok-2", "true");
    fg_env_t *full = s_submit (&hub, "tok-3", "true");
    CU_ASSERT_PTR_NOT_NULL_FATAL (full);
    CU_ASSERT_EQUAL_FATAL (full->body_case, FOGRID__ENVELOPE__BODY_ERROR);
    CU_ASSERT_EQUAL (full->error->code, FG_E_HUB_FULL);
    CU_ASSERT_STRING_EQUAL (full->error->text, "hub full: 2 tasks queued (limit 2)");
    fg_msg_free (&full);
    //  A retry of an accepted submit is still answered when full
    again = s_submit (&hub, "tok-2", "true");
    CU_ASSERT_PTR_NOT_NULL_FATAL (again);
    CU_ASSERT_EQUAL (again->body_case, FOGRID__ENVELOPE__BODY_SUBMIT_REPLY);
    fg_msg_free (&again);
    //  Cancelling one makes room
    fg_env_t *cancel = s_task_request (&hub, FOGRID__ENVELOPE__BODY_CANCEL, second);
    CU_ASSERT_PTR_NOT_NULL_FATAL (cancel);
    fg_msg_free (&cancel);
    char *third = s_submit_id (&hub, "tok-3", "true");
    CU_ASSERT_PTR_NOT_NULL (third);
    free (first);
    free (second);
    free (third);
    s_hub_stop (&hub);
    ts_tmpdir_remove (&hub.dir);
}

static void
test_cancel (void)
{
    s_hub_t hub = { .dir = ts_tmpdir_new ("hub") };
    s_hub_start (&hub, hub.dir, NULL);
    //  A pending task (no miners yet)
    char *pending = s_submit_id (&hub, NULL, "true");
    fg_env_t *reply = s_task_request (&hub, FOGRID__ENVELOPE__BODY_CANCEL, pending);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_TASK_INFO);
    CU_ASSERT_STRING_EQUAL (reply->task_info->state, "cancelled");
    fg_msg_free (&reply);
    reply = s_task_request (&hub, FOGRID__ENVELOPE__BODY_CANCEL, pending);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_ERROR);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_STATE);
    fg_msg_free (&reply);
    reply = s_task_request (&hub, FOGRID__ENVELOPE__BODY_CANCEL, "t-000000000000");
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_NOT_FOUND);
    fg_msg_free (&reply);
    reply = s_task_request (&hub, FOGRID__ENVELOPE__BODY_STATUS, "t-000000000000");
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_NOT_FOUND);
    fg_msg_free (&reply);

    //  A running task: its miner is told to kill it, and its result is stale
    s_fake_t *miner = s_fake_join (&hub, "m-cancel", 2, 0, 0);
    char *running = s_submit_id (&hub, NULL, "sleep 100");
    fg_env_t *assign = s_fake_expect (miner, FOGRID__ENVELOPE__BODY_TASK_ASSIGN, 2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (assign);
    fg_msg_free (&assign);
    s_fake_started (miner, running, 1);
    CU_ASSERT_TRUE (s_wait_state (&hub, running, "running", 1000));
    reply = s_task_request (&hub, FOGRID__ENVELOPE__BODY_CANCEL, running);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_STRING_EQUAL (reply->task_info->state, "cancelled");
    fg_msg_free (&reply);
    fg_env_t *kill = s_fake_expect (miner, FOGRID__ENVELOPE__BODY_TASK_KILL, 2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (kill);
    CU_ASSERT_STRING_EQUAL (kill->task_kill->task_id, running);
    CU_ASSERT_EQUAL (kill->task_kill->attempt, 1);
    fg_msg_free (&kill);
    fg_env_t *answer = s_fake_result (miner, running, 1, -1, "");
    CU_ASSERT_PTR_NOT_NULL_FATAL (answer);
    CU_ASSERT_EQUAL (answer->body_case, FOGRID__ENVELOPE__BODY_ERROR);
    CU_ASSERT_EQUAL (answer->error->code, FG_E_STALE);
    fg_msg_free (&answer);
    //  Its core is free again: the next task goes there
    char *next = s_submit_id (&hub, NULL, "true");
    assign = s_fake_expect (miner, FOGRID__ENVELOPE__BODY_TASK_ASSIGN, 2000);
    CU_ASSERT_PTR_NOT_NULL (assign);
    fg_msg_free (&assign);
    free (next);
    free (pending);
    free (running);
    s_fake_destroy (&miner);
    s_hub_stop (&hub);
    ts_tmpdir_remove (&hub.dir);
}

//  Sends raw bytes on sock and returns the Error it gets back (or NULL).
static fg_env_t *
s_raw (zsock_t *sock, const void *data, size_t size)
{
    zframe_t *frame = zframe_new (data, size);
    zframe_send (&frame, sock, 0);
    zsock_set_rcvtimeo (sock, 2000);
    fg_error_t error;
    return fg_msg_recv (sock, NULL, &error, NULL);
}

static void
s_check_garbage (zsock_t *sock)
{
    fg_env_t *reply = s_raw (sock, "\xff\xff\xff\xff garbage", 13);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL (reply->body_case, FOGRID__ENVELOPE__BODY_ERROR);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_MALFORMED);
    fg_msg_free (&reply);

    //  Another protocol version: refused, naming the request
    Fogrid__HealthRequest health = FOGRID__HEALTH_REQUEST__INIT;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.version = FG_PROTO_VERSION + 1;
    env.seq = 77;
    env.body_case = FOGRID__ENVELOPE__BODY_HEALTH;
    env.health = &health;
    byte buffer [64];
    size_t size = fogrid__envelope__pack (&env, buffer);
    reply = s_raw (sock, buffer, size);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL (reply->body_case, FOGRID__ENVELOPE__BODY_ERROR);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_VERSION);
    CU_ASSERT_EQUAL (reply->seq, 77);
    fg_msg_free (&reply);
    //  No version at all: the same, not MALFORMED
    env.version = 0;
    size = fogrid__envelope__pack (&env, buffer);
    reply = s_raw (sock, buffer, size);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_VERSION);
    CU_ASSERT_EQUAL (reply->seq, 77);
    fg_msg_free (&reply);

    //  Over hub/max_message (the default here): answered TOO_BIG and
    //  counted, not a dropped connection that leaves the sender waiting
    uint64_t too_big = fg_msg_refused (FG_E_TOO_BIG);
    char *huge = (char *) malloc (FG_MSG_MAX_DEFAULT + 1);
    memset (huge, 'a', FG_MSG_MAX_DEFAULT);
    huge [FG_MSG_MAX_DEFAULT] = 0;
    Fogrid__StatusRequest status = FOGRID__STATUS_REQUEST__INIT;
    status.task_id = huge;
    fg_env_t big = FOGRID__ENVELOPE__INIT;
    big.seq = 78;
    big.body_case = FOGRID__ENVELOPE__BODY_STATUS;
    big.status = &status;
    CU_ASSERT_EQUAL (fg_msg_send (sock, NULL, &big), 0);
    free (huge);
    fg_error_t error;
    reply = fg_msg_recv (sock, NULL, &error, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL (reply->body_case, FOGRID__ENVELOPE__BODY_ERROR);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_TOO_BIG);
    CU_ASSERT_EQUAL (reply->seq, 78);
    CU_ASSERT_EQUAL (fg_msg_refused (FG_E_TOO_BIG), too_big + 1);
    fg_msg_free (&reply);
}

static void
test_bad_input (void)
{
    s_hub_t hub = { .dir = ts_tmpdir_new ("hub") };
    s_hub_start (&hub, hub.dir, NULL);
    s_check_garbage (hub.buyer);
    zsock_t *miner = zsock_new (ZMQ_DEALER);
    zsock_connect (miner, "tcp://127.0.0.1:%d", hub.miner_port);
    s_check_garbage (miner);

    //  Messages that belong to the other socket
    Fogrid__HealthRequest health = FOGRID__HEALTH_REQUEST__INIT;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_HEALTH;
    env.health = &health;
    zsock_set_rcvtimeo (miner, 2000);
    fg_env_t *reply = s_call (miner, &env);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_UNEXPECTED);
    fg_msg_free (&reply);
    Fogrid__TaskKill kill = FOGRID__TASK_KILL__INIT;
    kill.task_id = "t-x";
    fg_env_t wrong = FOGRID__ENVELOPE__INIT;
    wrong.body_case = FOGRID__ENVELOPE__BODY_TASK_KILL;
    wrong.task_kill = &kill;
    reply = s_call (hub.buyer, &wrong);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_UNEXPECTED);
    fg_msg_free (&reply);

    //  A heartbeat from a miner that never said hello
    Fogrid__MinerHeartbeat heartbeat = FOGRID__MINER_HEARTBEAT__INIT;
    heartbeat.miner_id = "m-stranger";
    fg_env_t beat = FOGRID__ENVELOPE__INIT;
    beat.body_case = FOGRID__ENVELOPE__BODY_MINER_HEARTBEAT;
    beat.miner_heartbeat = &heartbeat;
    reply = s_call (miner, &beat);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_NOT_FOUND);
    fg_msg_free (&reply);
    //  A hello whose resources hold a field number 0 (in two bytes): the
    //  hub copies a miner's resources by packing them, which that field
    //  does not survive; it used to end the hub, it is refused as malformed
    const byte zero_field [] = {
        0x08, 0x01, 0xc2, 0x02, 0x0c,                   //  version 1, miner_hello
        0x0a, 0x03, 'm', '-', 'z',                      //  miner_id
        0x1a, 0x05, 0x08, 0x04, 0x80, 0x00, 0x01 };     //  resources: cores 4, field 0
    reply = s_raw (miner, zero_field, sizeof zero_field);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL (reply->body_case, FOGRID__ENVELOPE__BODY_ERROR);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_MALFORMED);
    fg_msg_free (&reply);
    //  A hello without an id
    Fogrid__MinerHello hello = FOGRID__MINER_HELLO__INIT;
    fg_env_t greet = FOGRID__ENVELOPE__INIT;
    greet.body_case = FOGRID__ENVELOPE__BODY_MINER_HELLO;
    greet.miner_hello = &hello;
    reply = s_call (miner, &greet);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_INVALID);
    fg_msg_free (&reply);

    //  Submits the hub must refuse
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    Fogrid__SubmitRequest submit = FOGRID__SUBMIT_REQUEST__INIT;
    submit.spec = &spec;
    fg_env_t request = FOGRID__ENVELOPE__INIT;
    request.body_case = FOGRID__ENVELOPE__BODY_SUBMIT;
    request.submit = &submit;
    reply = s_call (hub.buyer, &request);         //  empty argv
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_INVALID);
    fg_msg_free (&reply);
    char *many [300];
    for (int index = 0; index < 300; index++)
        many [index] = "x";
    spec.argv = many;
    spec.n_argv = 257;
    reply = s_call (hub.buyer, &request);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_INVALID);
    fg_msg_free (&reply);
    spec.n_argv = 1;
    spec.policy = "quickest";
    reply = s_call (hub.buyer, &request);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_INVALID);
    CU_ASSERT_PTR_NOT_NULL (strstr (reply->error->text, "policy"));
    fg_msg_free (&reply);
    spec.policy = "";
    spec.constraint = "cores >\x01 2";
    reply = s_call (hub.buyer, &request);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_INVALID);
    fg_msg_free (&reply);
    spec.constraint = "(cores > 2";                 //  printable, but not a constraint
    reply = s_call (hub.buyer, &request);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_INVALID);
    CU_ASSERT_PTR_NOT_NULL (strstr (reply->error->text,
                            "constraint: column 11: expected ')' after \"(cores > 2\""));
    fg_msg_free (&reply);
    spec.constraint = "";
    //  Output paths: bounded, never climbing out, relative for a process
    char *outputs [40];
    for (int index = 0; index < 40; index++)
        outputs [index] = "out";
    spec.outputs = outputs;
    spec.n_outputs = 33;
    const char *why [] = { "33 outputs (limit 32)", "output 1: a path of 1..1024 printable",
                           "output 1: a path of 1..1024 printable",
                           "output '/out': the process runtime copies paths relative",
                           "a service leaves no output files" };
    const char *first [] = { "out", "../etc", "/", "/out", "out" };
    for (size_t index = 0; index < 5; index++) {
        spec.n_outputs = index? 1: 33;
        outputs [0] = (char *) first [index];
        if (index == 4) {
            spec.image = "fogrid/busybox";
            spec.service_name = "files";
            spec.service_port = 80;
        }
        reply = s_call (hub.buyer, &request);
        CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
        CU_ASSERT_EQUAL (reply->error->code, FG_E_INVALID);
        CU_ASSERT_PTR_NOT_NULL (strstr (reply->error->text, why [index]));
        fg_msg_free (&reply);
    }
    spec.image = spec.service_name = "";
    spec.service_port = 0;
    spec.n_outputs = 0;
    //  Arguments and env entries must be UTF-8, a process task's as a
    //  container's: they go back out in every TaskInfo
    char *latin1 [] = { "echo", "caf\xe9" }, *latin1_env [] = { "A=\xff" };
    spec.argv = latin1;
    spec.n_argv = 2;
    for (int docker = 0; docker < 2; docker++) {
        spec.image = docker? "fogrid/busybox": "";
        reply = s_call (hub.buyer, &request);
        CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
        CU_ASSERT_EQUAL (reply->error->code, FG_E_INVALID);
        CU_ASSERT_PTR_NOT_NULL (strstr (reply->error->text, "spec.argv[1] is not UTF-8"));
        fg_msg_free (&reply);
    }
    spec.argv = many;
    spec.env = latin1_env;
    spec.n_env = 1;
    reply = s_call (hub.buyer, &request);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_INVALID);
    CU_ASSERT_PTR_NOT_NULL (strstr (reply->error->text, "spec.env[0] is not UTF-8"));
    fg_msg_free (&reply);
    spec.image = "";
    spec.argv = many;
    spec.n_argv = 1;
    spec.n_env = 0;
    char token [200];
    memset (token, 'a', sizeof token - 1);
    token [sizeof token - 1] = 0;
    submit.client_token = token;
    reply = s_call (hub.buyer, &request);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_INVALID);
    fg_msg_free (&reply);

    //  And it still serves
    char *id = s_submit_id (&hub, "fine", "true");
    CU_ASSERT_PTR_NOT_NULL (id);
    free (id);
    zsock_destroy (&miner);
    s_hub_stop (&hub);
    ts_tmpdir_remove (&hub.dir);
}

static void
test_restart (void)
{
    char *dir = ts_tmpdir_new ("hub");
    s_hub_t hub = { .dir = dir };
    s_hub_start (&hub, dir, NULL);
    s_fake_t *miner = s_fake_join (&hub, "m-stays", 1, 0, 0);
    char *running = s_submit_id (&hub, "restart-1", "sleep 5");
    fg_env_t *assign = s_fake_expect (miner, FOGRID__ENVELOPE__BODY_TASK_ASSIGN, 2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (assign);
    fg_msg_free (&assign);
    s_fake_started (miner, running, 1);
    CU_ASSERT_TRUE (s_wait_state (&hub, running, "running", 1000));
    char *pending = s_submit_id (&hub, "restart-2", "true");     //  no room left
    s_pump (50);
    s_hub_stop (&hub);
    s_fake_destroy (&miner);

    //  A new hub on the same data: both tasks are still there
    s_hub_t again = { .dir = dir };
    s_hub_start (&again, dir, NULL);
    CU_ASSERT_TRUE (s_wait_state (&again, running, "running", 500));
    CU_ASSERT_TRUE (s_wait_state (&again, pending, "pending", 500));
    fg_env_t *dup = s_submit (&again, "restart-2", "true");
    CU_ASSERT_PTR_NOT_NULL_FATAL (dup);
    CU_ASSERT_STRING_EQUAL (dup->submit_reply->task_id, pending);
    CU_ASSERT_TRUE (dup->submit_reply->duplicate);
    fg_msg_free (&dup);

    //  The miner reconnects, still running the first: it keeps it
    miner = s_fake_new (&again, "m-stays", 1, 0, 0);
    Fogrid__TaskRef ref = FOGRID__TASK_REF__INIT;
    ref.task_id = running;
    ref.attempt = 1;
    Fogrid__TaskRef *refs [1] = { &ref };
    s_fake_hello (miner, refs, 1);
    fg_env_t *welcome = s_fake_expect (miner, FOGRID__ENVELOPE__BODY_MINER_WELCOME, 2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (welcome);
    CU_ASSERT_EQUAL_FATAL (welcome->miner_welcome->n_keep, 1);
    CU_ASSERT_STRING_EQUAL (welcome->miner_welcome->keep [0]->task_id, running);
    CU_ASSERT_EQUAL (welcome->miner_welcome->n_kill, 0);
    fg_msg_free (&welcome);
    //  It finishes; then the pending task gets its core
    fg_env_t *answer = s_fake_result (miner, running, 1, 0, "ok\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL (answer);
    CU_ASSERT_EQUAL (answer->body_case, FOGRID__ENVELOPE__BODY_OK);
    fg_msg_free (&answer);
    assign = s_fake_expect (miner, FOGRID__ENVELOPE__BODY_TASK_ASSIGN, 2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (assign);
    CU_ASSERT_STRING_EQUAL (assign->task_assign->task_id, pending);
    fg_msg_free (&assign);
    CU_ASSERT_TRUE (s_wait_state (&again, running, "succeeded", 500));

    free (running);
    free (pending);
    s_fake_destroy (&miner);
    s_hub_stop (&again);
    ts_tmpdir_remove (&dir);
}

static void
test_registration (void)
{
    //  A fake locator: the hub registers its two endpoints there
    zsock_t *locator = zsock_new (ZMQ_ROUTER);
    int port = zsock_bind (locator, "tcp://127.0.0.1:*");
    CU_ASSERT_FATAL (port > 0);
    zsock_set_rcvtimeo (locator, 3000);
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    s_hub_t hub = { .dir = ts_tmpdir_new ("hub") };
    s_hub_start_at (&hub, hub.dir, NULL, endpoint);

    zframe_t *peer = NULL;
    fg_error_t error;
    fg_env_t *env = fg_msg_recv (locator, &peer, &error, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL (env);
    CU_ASSERT_EQUAL_FATAL (env->body_case, FOGRID__ENVELOPE__BODY_LOC_REGISTER);
    Fogrid__LocRegister *reg = env->loc_register;
    CU_ASSERT_EQUAL (strncmp (reg->owner, "h-", 2), 0);
    CU_ASSERT_EQUAL_FATAL (reg->n_regs, 2);
    CU_ASSERT_STRING_EQUAL (reg->regs [0]->name, "hub");
    CU_ASSERT_EQUAL (reg->regs [0]->endpoint->port, (uint32_t) hub.buyer_port);
    CU_ASSERT_STRING_EQUAL (reg->regs [0]->endpoint->host, "127.0.0.1");
    CU_ASSERT_STRING_EQUAL (reg->regs [0]->endpoint->owner, reg->owner);
    CU_ASSERT_STRING_EQUAL (reg->regs [1]->name, "hub-miner");
    CU_ASSERT_EQUAL (reg->regs [1]->endpoint->port, (uint32_t) hub.miner_port);

    //  The owner is the hub id, the same after a restart (kept in the store)
    Fogrid__HealthRequest health = FOGRID__HEALTH_REQUEST__INIT;
    fg_env_t request = FOGRID__ENVELOPE__INIT;
    request.body_case = FOGRID__ENVELOPE__BODY_HEALTH;
    request.health = &health;
    fg_env_t *reply = s_call (hub.buyer, &request);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_STRING_EQUAL (reply->health_reply->hub_id, reg->owner);
    char *owner = strdup (reg->owner);
    fg_msg_free (&reply);
    fg_msg_free (&env);
    zframe_destroy (&peer);
    s_hub_stop (&hub);
    //  A clean stop withdraws the registrations
    bool withdrawn = false;
    while ((env = fg_msg_recv (locator, &peer, &error, NULL))) {
        withdrawn |= env->body_case == FOGRID__ENVELOPE__BODY_LOC_UNREGISTER
                  && streq (env->loc_unregister->owner, owner);
        fg_msg_free (&env);
        zframe_destroy (&peer);
        if (withdrawn)
            break;
    }
    CU_ASSERT_TRUE (withdrawn);

    s_hub_start_at (&hub, hub.dir, NULL, endpoint);
    env = fg_msg_recv (locator, &peer, &error, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL (env);
    CU_ASSERT_EQUAL_FATAL (env->body_case, FOGRID__ENVELOPE__BODY_LOC_REGISTER);
    CU_ASSERT_STRING_EQUAL (env->loc_register->owner, owner);
    fg_msg_free (&env);
    zframe_destroy (&peer);
    free (owner);
    s_hub_stop (&hub);
    zsock_destroy (&locator);
    ts_tmpdir_remove (&hub.dir);
}

static bool
s_hub_answers (void *arg)
{
    int port = *(int *) arg;
    zsock_t *buyer = zsock_new (ZMQ_DEALER);
    zsock_set_rcvtimeo (buyer, 200);
    zsock_connect (buyer, "tcp://127.0.0.1:%d", port);
    Fogrid__HealthRequest health = FOGRID__HEALTH_REQUEST__INIT;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_HEALTH;
    env.health = &health;
    fg_env_t *reply = s_call (buyer, &env);
    bool ok = reply && reply->body_case == FOGRID__ENVELOPE__BODY_HEALTH_REPLY;
    fg_msg_free (&reply);
    zsock_destroy (&buyer);
    return ok;
}

static void
test_binary (void)
{
    char *dir = ts_tmpdir_new ("hubbin");
    char *output = NULL;
    CU_ASSERT_EQUAL (ts_run (&output, "%s --help", ts_bin ("fogrid-hub")), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "--buyers"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "hub/dead_ms"));
    zstr_free (&output);
    CU_ASSERT_EQUAL (ts_run (&output, "%s --version", ts_bin ("fogrid-hub")), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "fogrid-hub"));
    zstr_free (&output);

    //  -t: good, then bad in each of the ways the hub checks itself
    CU_ASSERT_EQUAL (ts_run (&output, "%s -t --locator '' --data %s/data",
                             ts_bin ("fogrid-hub"), dir), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "valid"));
    zstr_free (&output);
    CU_ASSERT_EQUAL (ts_run (&output, "%s -t --data %s -o hub/heartbeat_ms=5000",
                             ts_bin ("fogrid-hub"), dir), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "hub/disconnect_ms (2000) must be greater than "
                                            "hub/heartbeat_ms (5000)"));
    zstr_free (&output);
    CU_ASSERT_EQUAL (ts_run (&output, "%s -t --data %s --buyers localhost:7701",
                             ts_bin ("fogrid-hub"), dir), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "hub/buyer_endpoint: 'localhost:7701'"));
    zstr_free (&output);
    CU_ASSERT_EQUAL (ts_run (NULL, "touch %s/file", dir), 0);
    CU_ASSERT_EQUAL (ts_run (&output, "%s -t --data %s/file/data", ts_bin ("fogrid-hub"), dir), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "hub/data_dir"));
    zstr_free (&output);
    CU_ASSERT_EQUAL (ts_run (&output, "%s -t -o hub/dead_ms=nope", ts_bin ("fogrid-hub")), 1);
    zstr_free (&output);

    //  It runs, answers, and stops on SIGTERM with status 0
    int buyer_port = ts_free_port (), miner_port = ts_free_port ();
    char buyers [64], miners [64], data [600];
    snprintf (buyers, sizeof buyers, "tcp://127.0.0.1:%d", buyer_port);
    snprintf (miners, sizeof miners, "tcp://127.0.0.1:%d", miner_port);
    snprintf (data, sizeof data, "%s/data", dir);
    ts_proc_t *proc = ts_proc_start (dir, "hub", "fogrid-hub", "--buyers", buyers,
                                     "--miners", miners, "--locator", "", "--data", data,
                                     "-o", "security/insecure=1", NULL);
    bool up = ts_wait_for (s_hub_answers, &buyer_port, 5000);
    if (!up)
        ts_proc_dump_log (proc);
    CU_ASSERT_TRUE (up);
    int64_t start = zclock_mono ();
    CU_ASSERT_EQUAL (ts_proc_stop (&proc, 2000), 0);
    CU_ASSERT (zclock_mono () - start < 2000);

    //  Secure by default: it makes its key pair in the data dir
    proc = ts_proc_start (dir, "hub-secure", "fogrid-hub", "--buyers", buyers,
                          "--miners", miners, "--locator", "", "--data", data, NULL);
    char key [700];
    snprintf (key, sizeof key, "%s/keys/hub.key", data);
    int64_t deadline = zclock_mono () + 3000;
    while (!zsys_file_exists (key) && zclock_mono () < deadline)
        zclock_sleep (50);
    CU_ASSERT_TRUE (zsys_file_exists (key));
    zclock_sleep (200);
    CU_ASSERT_TRUE (ts_proc_alive (proc));
    CU_ASSERT_EQUAL (ts_proc_stop (&proc, 2000), 0);

    //  A port that is taken: a clear error and a non-zero exit
    zsock_t *squatter = zsock_new (ZMQ_ROUTER);
    CU_ASSERT (zsock_bind (squatter, "%s", buyers) > 0);
    CU_ASSERT_EQUAL (ts_run (&output, "%s --buyers %s --miners %s --locator '' --data %s "
                             "-o security/insecure=1", ts_bin ("fogrid-hub"),
                             buyers, miners, data), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "cannot bind hub/buyer_endpoint"));
    zstr_free (&output);
    zsock_destroy (&squatter);
    ts_tmpdir_remove (&dir);
}

//  Per-peer rate limits and the bound on a buyer's unfinished tasks
static void
test_limits (void)
{
    s_extra [0] = "hub/buyer_rate";
    s_extra [1] = "5";
    s_extra [2] = "hub/tasks_per_buyer";
    s_extra [3] = "2";
    s_extra [4] = NULL;
    s_hub_t hub = { .dir = ts_tmpdir_new ("hub") };
    s_hub_start (&hub, hub.dir, NULL);
    s_extra [0] = NULL;
    //  A burst of 30 requests: 10 (twice the rate) pass, most others are
    //  refused with RATE_LIMIT, not dropped
    Fogrid__HealthRequest health = FOGRID__HEALTH_REQUEST__INIT;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_HEALTH;
    env.health = &health;
    int served = 0, limited = 0;
    for (int index = 0; index < 30; index++) {
        env.seq = ++s_seq;
        fg_msg_send (hub.buyer, NULL, &env);
    }
    for (int index = 0; index < 30; index++) {
        fg_error_t error;
        fg_env_t *reply = fg_msg_recv (hub.buyer, NULL, &error, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
        served += reply->body_case == FOGRID__ENVELOPE__BODY_HEALTH_REPLY;
        limited += reply->body_case == FOGRID__ENVELOPE__BODY_ERROR
                && reply->error->code == FG_E_RATE_LIMIT;
        fg_msg_free (&reply);
    }
    CU_ASSERT (served >= 10 && served <= 12);
    CU_ASSERT_EQUAL (served + limited, 30);
    //  A second later the bucket has refilled enough for a few more
    zclock_sleep (1100);
    fg_env_t *reply = s_call (hub.buyer, &env);
    CU_ASSERT (reply && reply->body_case == FOGRID__ENVELOPE__BODY_HEALTH_REPLY);
    fg_msg_free (&reply);

    //  Two unfinished tasks at most (no miner: they stay pending)
    char *first = s_submit_id (&hub, NULL, "true");
    char *second = s_submit_id (&hub, NULL, "true");
    CU_ASSERT (first && second);
    reply = s_submit (&hub, NULL, "true");
    CU_ASSERT (reply && reply->body_case == FOGRID__ENVELOPE__BODY_ERROR
               && reply->error->code == FG_E_LIMIT
               && strstr (reply->error->text, "hub/tasks_per_buyer"));
    fg_msg_free (&reply);
    free (first);
    free (second);
    s_hub_stop (&hub);
    ts_tmpdir_remove (&hub.dir);
}

//  A miner that refuses an assignment (it does not fit what it gives this
//  hub): the task goes back to the queue as its next attempt, on its
//  retry budget, and runs elsewhere.
static void
test_refused_assignment (void)
{
    s_hub_t hub = { .dir = ts_tmpdir_new ("hub") };
    s_hub_start (&hub, hub.dir, NULL);
    s_fake_t *picky = s_fake_join (&hub, "m-picky", 2, 0, 0);
    char *id = s_submit_id (&hub, "refused-1", "true");
    CU_ASSERT_PTR_NOT_NULL_FATAL (id);
    fg_env_t *assign = s_fake_expect (picky, FOGRID__ENVELOPE__BODY_TASK_ASSIGN, 2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (assign);
    CU_ASSERT_EQUAL (assign->task_assign->attempt, 1);
    fg_msg_free (&assign);
    //  The picky one refuses (and sends no heartbeat, which would make it
    //  a candidate again), then leaves
    picky->silent = true;
    Fogrid__TaskResult refusal = FOGRID__TASK_RESULT__INIT;
    refusal.error = "refused by the miner: it needs 1 cores and 0 of this hub's share are free";
    refusal.refused = true;
    fg_env_t *reply = s_fake_result_with (picky, id, 1, -1, "", &refusal);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL (reply->body_case, FOGRID__ENVELOPE__BODY_OK);
    fg_msg_free (&reply);
    s_fake_destroy (&picky);
    fg_env_t *status = s_task_request (&hub, FOGRID__ENVELOPE__BODY_STATUS, id);
    CU_ASSERT_PTR_NOT_NULL_FATAL (status);
    CU_ASSERT_EQUAL (status->task_info->attempt, 2);
    CU_ASSERT_PTR_NOT_NULL (strstr (status->task_info->reason, "m-picky refused it"));
    fg_msg_free (&status);
    //  Another miner gets attempt 2, and its success counts
    s_fake_t *other = s_fake_join (&hub, "m-other", 2, 0, 0);
    assign = s_fake_expect (other, FOGRID__ENVELOPE__BODY_TASK_ASSIGN, 3000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (assign);
    CU_ASSERT_EQUAL (assign->task_assign->attempt, 2);
    fg_msg_free (&assign);
    reply = s_fake_result (other, id, 2, 0, "done\n");
    CU_ASSERT_PTR_NOT_NULL (reply);
    fg_msg_free (&reply);
    CU_ASSERT_TRUE (s_wait_state (&hub, id, "succeeded", 2000));
    s_fake_destroy (&other);
    free (id);
    s_hub_stop (&hub);
    ts_tmpdir_remove (&hub.dir);
}

//  The dashboard's overview lists every miner and task whatever bytes
//  they hold: a label, a command or a miner's error that is not UTF-8, or
//  a command the overview cuts inside a character, shows with '?' for
//  those bytes (JSON strings are UTF-8; such a row used to be left out)
static void
test_overview_any_bytes (void)
{
    s_hub_t hub = { .dir = ts_tmpdir_new ("hub") };
    s_hub_start (&hub, hub.dir, NULL);
    //  Labels that are not UTF-8 are refused at the door (MinersReply
    //  carries them); UTF-8 ones are shown as they are
    Fogrid__Label zone = FOGRID__LABEL__INIT, *labels [] = { &zone };
    zone.key = "zone\xff";
    zone.value = "eu-\xc3";
    s_fake_t *fake = s_fake_new (&hub, "m-bytes", 2, 0, 0);
    fake->labels = labels;
    fake->n_labels = 1;
    s_fake_hello (fake, NULL, 0);
    fg_env_t *refusal = s_fake_expect (fake, FOGRID__ENVELOPE__BODY_ERROR, 2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (refusal);
    CU_ASSERT_EQUAL (refusal->error->code, FG_E_INVALID);
    CU_ASSERT_PTR_NOT_NULL (strstr (refusal->error->text, "resources.labels[0].key is not UTF-8"));
    fg_msg_free (&refusal);
    zone.key = "zone";
    zone.value = "eu-\xc3\xa9";
    s_fake_hello (fake, NULL, 0);
    fg_env_t *welcome = s_fake_expect (fake, FOGRID__ENVELOPE__BODY_MINER_WELCOME, 2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (welcome);
    fg_msg_free (&welcome);
    char long_one [400] = "echo x";
    for (int index = 0; index < 150; index++)
        strcat (long_one, "\xc3\xa9");
    char *failed = s_submit_id (&hub, NULL, "printf x");
    char *running = s_submit_id (&hub, NULL, long_one);
    CU_ASSERT_PTR_NOT_NULL_FATAL (failed);
    CU_ASSERT_PTR_NOT_NULL_FATAL (running);
    for (int index = 0; index < 2; index++) {
        fg_env_t *assign = s_fake_expect (fake, FOGRID__ENVELOPE__BODY_TASK_ASSIGN, 3000);
        CU_ASSERT_PTR_NOT_NULL_FATAL (assign);
        s_fake_started (fake, assign->task_assign->task_id, assign->task_assign->attempt);
        fg_msg_free (&assign);
    }
    Fogrid__TaskResult result = FOGRID__TASK_RESULT__INIT;
    result.error = "cannot start: \xed\xa0\x80";
    fg_env_t *reply = s_fake_result_with (fake, failed, 1, -1, "", &result);
    CU_ASSERT_PTR_NOT_NULL (reply);
    fg_msg_free (&reply);
    CU_ASSERT_TRUE (s_wait_state (&hub, failed, "failed", 2000));
    CU_ASSERT_TRUE (s_wait_state (&hub, running, "running", 2000));

    zstr_send (hub.actor, "HTTP");
    int port = 0;
    zsock_recv (hub.actor, "i", &port);
    char url [100], err [300];
    snprintf (url, sizeof url, "http://127.0.0.1:%d/api/v1/overview", port);
    zchunk_t *body = NULL;
    CU_ASSERT_EQUAL_FATAL (fg_http_get (url, 2000, "test", &body, err, sizeof err), 0);
    json_t *overview = json_loadb ((const char *) zchunk_data (body), zchunk_size (body), 0, NULL);
    zchunk_destroy (&body);
    CU_ASSERT_PTR_NOT_NULL_FATAL (overview);
    json_t *miners = json_object_get (overview, "miners");
    CU_ASSERT_EQUAL_FATAL (json_array_size (miners), 1);
    json_t *shown = json_object_get (json_array_get (miners, 0), "labels");
    const char *label = json_string_value (json_object_get (shown, "zone"));
    CU_ASSERT (label && streq (label, "eu-\xc3\xa9"));
    json_t *recent = json_object_get (overview, "recent");
    CU_ASSERT_EQUAL_FATAL (json_array_size (recent), 2);
    for (size_t index = 0; index < 2; index++) {
        json_t *task = json_array_get (recent, index);
        const char *id = json_string_value (json_object_get (task, "id"));
        const char *command = json_string_value (json_object_get (task, "command"));
        const char *reason = json_string_value (json_object_get (task, "reason"));
        CU_ASSERT_PTR_NOT_NULL_FATAL (id);
        CU_ASSERT_PTR_NOT_NULL_FATAL (command);
        if (streq (id, failed)) {
            CU_ASSERT_STRING_EQUAL (command, "sh -c printf x");
            CU_ASSERT (reason && streq (reason, "could not run: cannot start: ???"));
        }
        else {
            //  159 bytes: "sh -c echo x", 73 whole characters and a cut one
            CU_ASSERT_STRING_EQUAL (id, running);
            CU_ASSERT_EQUAL (strlen (command), 12 + 73 * 2 + 1);
            CU_ASSERT_EQUAL (command [strlen (command) - 1], '?');
        }
    }
    json_decref (overview);
    free (failed);
    free (running);
    s_fake_destroy (&fake);
    s_hub_stop (&hub);
    ts_tmpdir_remove (&hub.dir);
}

//  Reads one counter from the hub's /metrics (-1 when absent).
static double
s_metric (s_hub_t *hub, const char *name)
{
    zstr_send (hub->actor, "HTTP");
    int port = 0;
    zsock_recv (hub->actor, "i", &port);
    char *output = NULL;
    double value = -1;
    if (ts_run (&output, "curl -sf http://127.0.0.1:%d/metrics | grep '^%s '", port, name) == 0)
        value = atof (output + strlen (name) + 1);
    zstr_free (&output);
    return value;
}

//  Group commit: 300 submits sent without waiting are all answered, each
//  with its own task, and they took fewer commits than requests.
static void
test_group_commit (void)
{
    s_extra [0] = "hub/tasks_per_buyer"; s_extra [1] = "100000";
    s_extra [2] = "hub/buyer_rate"; s_extra [3] = "0"; s_extra [4] = NULL;
    s_hub_t hub = { .dir = ts_tmpdir_new ("hub") };
    s_hub_start (&hub, hub.dir, "100000");
    s_extra [0] = NULL;
    #define S_PIPELINED 300
    char *argv [] = { "true" };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.n_argv = 1;
    spec.argv = argv;
    Fogrid__SubmitRequest submit = FOGRID__SUBMIT_REQUEST__INIT;
    submit.spec = &spec;
    char token [32];
    submit.client_token = token;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_SUBMIT;
    env.submit = &submit;
    uint64_t first_seq = s_seq + 1;
    for (int index = 0; index < S_PIPELINED; index++) {
        snprintf (token, sizeof token, "group-%d", index);
        env.seq = ++s_seq;
        CU_ASSERT_EQUAL (fg_msg_send (hub.buyer, NULL, &env), 0);
    }
    zhashx_t *ids = zhashx_new ();
    bool answered [S_PIPELINED] = { false };
    for (int index = 0; index < S_PIPELINED; index++) {
        fg_error_t error;
        uint64_t seq;
        fg_env_t *reply = fg_msg_recv (hub.buyer, NULL, &error, &seq);
        CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
        CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_SUBMIT_REPLY);
        CU_ASSERT_FATAL (reply->seq >= first_seq && reply->seq < first_seq + S_PIPELINED);
        answered [reply->seq - first_seq] = true;
        zhashx_insert (ids, reply->submit_reply->task_id, "");
        fg_msg_free (&reply);
    }
    CU_ASSERT_EQUAL (zhashx_size (ids), S_PIPELINED);
    for (int index = 0; index < S_PIPELINED; index++)
        CU_ASSERT_TRUE (answered [index]);
    zhashx_destroy (&ids);
    double commits = s_metric (&hub, "fogrid_hub_commits_total");
    double requests = s_metric (&hub, "fogrid_hub_commit_requests_total");
    printf ("%.0f requests in %.0f commits ", requests, commits);
    CU_ASSERT (requests >= S_PIPELINED);
    CU_ASSERT (commits >= 1 && commits < requests);
    s_hub_stop (&hub);
    ts_tmpdir_remove (&hub.dir);
}

//  A full disk: the hub's data on a small tmpfs, filled up. Submits then
//  fail with a clear error, the hub keeps serving, and once there is room
//  the refused ones go through; after a restart exactly the accepted
//  tasks are there. (Group commit: a failed commit answers the burst's
//  requests with errors and reads the state back from the store.)
static void
test_full_disk (void)
{
    char *dir = ts_tmpdir_new ("hub-full");
    if (geteuid () != 0 || mount ("fogrid-test", dir, "tmpfs", 0, "size=4m,mode=0700")) {
        printf ("SKIPPED: needs root to mount a tmpfs (%s) ", strerror (errno));
        ts_tmpdir_remove (&dir);
        return;
    }
    s_extra [0] = "hub/tasks_per_buyer"; s_extra [1] = "100000"; s_extra [2] = NULL;
    s_hub_t hub = { .dir = dir };
    s_hub_start (&hub, dir, "100000");
    s_extra [0] = NULL;

    //  Leave about 256 KiB
    struct statvfs fs;
    CU_ASSERT_EQUAL_FATAL (statvfs (dir, &fs), 0);
    int64_t room = (int64_t) fs.f_bavail * (int64_t) fs.f_frsize - 256 * 1024;
    char *filler = zsys_sprintf ("%s/filler", dir);
    FILE *file = fopen (filler, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL (file);
    char block [4096];
    memset (block, 'x', sizeof block);
    for (int64_t written = 0; written + (int64_t) sizeof block <= room; written += sizeof block)
        if (fwrite (block, sizeof block, 1, file) != 1)
            break;
    fclose (file);

    //  Each task carries 4 KiB of command: the disk is full within a
    //  few dozen submits
    char *command = (char *) zmalloc (4097);
    memset (command, 'e', 4096);
    memcpy (command, "echo ", 5);
    char *accepted [400] = { NULL };
    int refused_at = -1;
    char token [32];
    for (int index = 0; index < 400 && refused_at < 0; index++) {
        snprintf (token, sizeof token, "full-%d", index);
        fg_env_t *reply = s_submit (&hub, token, command);
        CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
        if (reply->body_case == FOGRID__ENVELOPE__BODY_SUBMIT_REPLY)
            accepted [index] = strdup (reply->submit_reply->task_id);
        else {
            CU_ASSERT_EQUAL (reply->body_case, FOGRID__ENVELOPE__BODY_ERROR);
            if (reply->body_case == FOGRID__ENVELOPE__BODY_ERROR) {
                printf ("refused after %d: %s ", index, reply->error->text);
                CU_ASSERT_EQUAL (reply->error->code, FG_E_INTERNAL);
                CU_ASSERT_PTR_NOT_NULL (strstr (reply->error->text, "could not store"));
            }
            refused_at = index;
        }
        fg_msg_free (&reply);
    }
    CU_ASSERT_FATAL (refused_at > 0);
    //  Still serving: a status of an accepted task is answered
    fg_env_t *status = s_task_request (&hub, FOGRID__ENVELOPE__BODY_STATUS, accepted [0]);
    CU_ASSERT_PTR_NOT_NULL_FATAL (status);
    CU_ASSERT_EQUAL (status->body_case, FOGRID__ENVELOPE__BODY_TASK_INFO);
    fg_msg_free (&status);

    //  Room again: the refused submit, retried with its token, is accepted
    //  as a new task; an accepted one retried is the same task
    CU_ASSERT_EQUAL (unlink (filler), 0);
    snprintf (token, sizeof token, "full-%d", refused_at);
    char *late = s_submit_id (&hub, token, command);
    CU_ASSERT_PTR_NOT_NULL_FATAL (late);
    fg_env_t *again = s_submit (&hub, "full-0", command);
    CU_ASSERT_PTR_NOT_NULL_FATAL (again);
    CU_ASSERT_EQUAL_FATAL (again->body_case, FOGRID__ENVELOPE__BODY_SUBMIT_REPLY);
    CU_ASSERT_STRING_EQUAL (again->submit_reply->task_id, accepted [0]);
    CU_ASSERT_TRUE (again->submit_reply->duplicate);
    fg_msg_free (&again);

    //  After a restart: every accepted task, and only those
    s_hub_stop (&hub);
    s_hub_start (&hub, dir, "100000");
    for (int index = 0; index < refused_at; index++) {
        status = s_task_request (&hub, FOGRID__ENVELOPE__BODY_STATUS, accepted [index]);
        CU_ASSERT_PTR_NOT_NULL_FATAL (status);
        CU_ASSERT_EQUAL (status->body_case, FOGRID__ENVELOPE__BODY_TASK_INFO);
        fg_msg_free (&status);
        free (accepted [index]);
    }
    status = s_task_request (&hub, FOGRID__ENVELOPE__BODY_STATUS, late);
    CU_ASSERT_PTR_NOT_NULL_FATAL (status);
    CU_ASSERT_EQUAL (status->body_case, FOGRID__ENVELOPE__BODY_TASK_INFO);
    fg_msg_free (&status);
    fg_env_t health_request = FOGRID__ENVELOPE__INIT;
    Fogrid__HealthRequest health = FOGRID__HEALTH_REQUEST__INIT;
    health_request.body_case = FOGRID__ENVELOPE__BODY_HEALTH;
    health_request.health = &health;
    fg_env_t *reply = s_call (hub.buyer, &health_request);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_HEALTH_REPLY);
    CU_ASSERT_EQUAL (reply->health_reply->queue_length, (uint32_t) refused_at + 1);
    fg_msg_free (&reply);
    s_hub_stop (&hub);

    free (late);
    free (command);
    zstr_free (&filler);
    CU_ASSERT_EQUAL (umount (dir), 0);
    ts_tmpdir_remove (&dir);
}

//  ---------------------------------------------------------------------
//  A restarted hub and the result of the current attempt

//  A hub actor on dir with the money suites' settings (slow liveness, so
//  a loaded machine loses no fake miner; admin_keys * to read balances).
static zactor_t *
s_money_hub (const char *dir, fg_config_t **config_p, int *buyer_port, int *miner_port)
{
    *config_p = th_hub_config (dir);
    fg_config_set (*config_p, "hub/admin_keys", "*");
    hub_server_args_t args = { .config = *config_p };
    zactor_t *hub = zactor_new (hub_server_actor, &args);
    CU_ASSERT_EQUAL_FATAL (args.rc, 0);
    zstr_send (hub, "PORTS");
    zsock_recv (hub, "ii", buyer_port, miner_port);
    return hub;
}

static int64_t
s_balance_of (zsock_t *buyer, const char *account)
{
    Fogrid__BalanceRequest request = FOGRID__BALANCE_REQUEST__INIT;
    request.account = (char *) account;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_BALANCE;
    env.balance = &request;
    fg_env_t *reply = th_call (buyer, &env);
    CU_ASSERT_FATAL (reply && reply->body_case == FOGRID__ENVELOPE__BODY_BALANCE_REPLY);
    CU_ASSERT_FATAL (reply->balance_reply->n_accounts >= 1);
    int64_t balance = reply->balance_reply->accounts [0]->balance;
    fg_msg_free (&reply);
    return balance;
}

//  Sends a fake miner's message with seq and returns the hub's answer to
//  it (the next Ok or Error), or NULL.
static fg_env_t *
s_fake_ask (th_fake_t *fake, fg_env_t *env, uint64_t seq)
{
    env->seq = seq;
    CU_ASSERT_EQUAL (fg_msg_send (fake->sock, NULL, env), 0);
    while (true) {
        fg_error_t error;
        fg_env_t *reply = fg_msg_recv (fake->sock, NULL, &error, NULL);
        if (!reply || reply->seq == seq)
            return reply;
        fg_msg_free (&reply);
    }
}

static void
test_result_after_restart (void)
{
    char *dir = ts_tmpdir_new ("hub");
    fg_config_t *config;
    int buyer_port, miner_port;
    zactor_t *hub = s_money_hub (dir, &config, &buyer_port, &miner_port);
    zsock_t *buyer = zsock_new (ZMQ_DEALER);
    zsock_set_rcvtimeo (buyer, 3000);
    zsock_connect (buyer, "tcp://127.0.0.1:%d", buyer_port);
    Fogrid__DepositRequest deposit = FOGRID__DEPOSIT_REQUEST__INIT;
    deposit.amount = 1000;
    deposit.token = "dep-restart";
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_DEPOSIT;
    env.deposit = &deposit;
    fg_env_t *reply = th_call (buyer, &env);
    CU_ASSERT_FATAL (reply && reply->body_case == FOGRID__ENVELOPE__BODY_TRANSFER_REPLY);
    fg_msg_free (&reply);
    th_fake_t fake;
    th_fake_connect (&fake, miner_port, "m-keeps");
    th_fake_hello (&fake, 100);
    reply = th_fake_expect (&fake, FOGRID__ENVELOPE__BODY_MINER_WELCOME);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    fg_msg_free (&reply);
    char *task = th_submit (buyer, "sleep 5", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL (task);
    uint32_t attempt;
    char *given = th_fake_assigned (&fake, &attempt);
    CU_ASSERT_STRING_EQUAL (given, task);
    CU_ASSERT_EQUAL (attempt, 1);
    free (given);
    th_fake_close (&fake);
    zsock_destroy (&buyer);
    zactor_destroy (&hub);
    fg_config_destroy (&config);

    //  The hub comes back on its data; the miner, still holding the
    //  result, reconnects and sends it before its hello
    hub = s_money_hub (dir, &config, &buyer_port, &miner_port);
    buyer = zsock_new (ZMQ_DEALER);
    zsock_set_rcvtimeo (buyer, 3000);
    zsock_connect (buyer, "tcp://127.0.0.1:%d", buyer_port);
    char escrow [80];
    snprintf (escrow, sizeof escrow, "escrow:%s", task);
    CU_ASSERT_EQUAL (s_balance_of (buyer, escrow), 100);
    th_fake_connect (&fake, miner_port, "m-keeps");
    Fogrid__TaskResult result = FOGRID__TASK_RESULT__INIT;
    result.task_id = task;
    result.attempt = 1;
    fg_env_t report = FOGRID__ENVELOPE__INIT;
    report.body_case = FOGRID__ENVELOPE__BODY_TASK_RESULT;
    report.task_result = &result;
    Fogrid__TaskStarted started = FOGRID__TASK_STARTED__INIT;
    started.task_id = task;
    started.attempt = 1;
    fg_env_t start = FOGRID__ENVELOPE__INIT;
    start.body_case = FOGRID__ENVELOPE__BODY_TASK_STARTED;
    start.task_started = &started;
    for (int round = 0; round < 2; round++) {
        reply = s_fake_ask (&fake, round? &start: &report, 9001 + round);
        CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
        CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_ERROR);
        CU_ASSERT_EQUAL (reply->error->code, FG_E_HELLO);
        CU_ASSERT_PTR_NOT_NULL (strstr (reply->error->text, "say hello first"));
        fg_msg_free (&reply);
    }
    //  Nothing changed: still assigned, attempt 1, the price in escrow
    reply = th_status (buyer, task);
    CU_ASSERT_STRING_EQUAL (reply->task_info->state, "assigned");
    CU_ASSERT_EQUAL (reply->task_info->attempt, 1);
    fg_msg_free (&reply);
    CU_ASSERT_EQUAL (s_balance_of (buyer, escrow), 100);
    CU_ASSERT_EQUAL (s_balance_of (buyer, "miner:m-keeps"), 0);

    //  Its hello lists the task it holds: the hub keeps it
    char *runtimes [] = { "process" };
    Fogrid__Resources res = FOGRID__RESOURCES__INIT;
    res.cores = 4;
    res.mem_mb = 4096;
    res.n_runtimes = 1;
    res.runtimes = runtimes;
    res.price = 100;
    Fogrid__TaskRef ref = FOGRID__TASK_REF__INIT, *refs [] = { &ref };
    ref.task_id = task;
    ref.attempt = 1;
    Fogrid__MinerHello hello = FOGRID__MINER_HELLO__INIT;
    hello.miner_id = "m-keeps";
    hello.name = "m-keeps";
    hello.version = "test";
    hello.resources = &res;
    hello.n_running = 1;
    hello.running = refs;
    fg_env_t greet = FOGRID__ENVELOPE__INIT;
    greet.body_case = FOGRID__ENVELOPE__BODY_MINER_HELLO;
    greet.miner_hello = &hello;
    reply = s_fake_ask (&fake, &greet, 9003);
    CU_ASSERT_FATAL (reply && reply->body_case == FOGRID__ENVELOPE__BODY_MINER_WELCOME);
    CU_ASSERT_EQUAL (reply->miner_welcome->n_keep, 1);
    CU_ASSERT_EQUAL (reply->miner_welcome->n_kill, 0);
    fg_msg_free (&reply);

    //  The same result again: taken, and paid
    reply = s_fake_ask (&fake, &report, 9004);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    if (reply->body_case == FOGRID__ENVELOPE__BODY_ERROR)
        fprintf (stderr, "result refused: %s\n", reply->error->text);
    CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_OK);
    CU_ASSERT_STRING_EQUAL (reply->ok->text, "paid");
    CU_ASSERT (strlen (reply->ok->receipt) > 0);
    fg_msg_free (&reply);
    reply = th_status (buyer, task);
    CU_ASSERT_STRING_EQUAL (reply->task_info->state, "succeeded");
    CU_ASSERT_EQUAL (reply->task_info->attempt, 1);
    CU_ASSERT_STRING_EQUAL (reply->task_info->miner_id, "m-keeps");
    fg_msg_free (&reply);
    CU_ASSERT_EQUAL (s_balance_of (buyer, "miner:m-keeps"), 95);
    CU_ASSERT_EQUAL (s_balance_of (buyer, escrow), 0);
    //  Once: a third copy is stale, and pays nothing more
    reply = s_fake_ask (&fake, &report, 9005);
    CU_ASSERT_FATAL (reply && reply->body_case == FOGRID__ENVELOPE__BODY_ERROR);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_STALE);
    fg_msg_free (&reply);
    CU_ASSERT_EQUAL (s_balance_of (buyer, "miner:m-keeps"), 95);
    CU_ASSERT_EQUAL (s_balance_of (buyer, ""), 900);

    free (task);
    th_fake_close (&fake);
    zsock_destroy (&buyer);
    zactor_destroy (&hub);
    fg_config_destroy (&config);
    ts_tmpdir_remove (&dir);
}

//  ---------------------------------------------------------------------
//  Client tokens are per buyer

//  A buyer's DEALER with a key pair of its own, to a CurveZMQ hub.
static zsock_t *
s_keyed_buyer (s_hub_t *hub, zcert_t *cert)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    zsock_set_rcvtimeo (sock, 3000);
    zcert_apply (cert, sock);
    zsock_set_curve_serverkey (sock, fg_security_public_key ());
    zsock_connect (sock, "tcp://127.0.0.1:%d", hub->buyer_port);
    return sock;
}

static fg_env_t *
s_submit_on (zsock_t *sock, const char *token, const char *command)
{
    char *argv [] = { "sh", "-c", (char *) command };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.n_argv = 3;
    spec.argv = argv;
    Fogrid__SubmitRequest submit = FOGRID__SUBMIT_REQUEST__INIT;
    submit.spec = &spec;
    submit.client_token = (char *) token;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_SUBMIT;
    env.submit = &submit;
    fg_env_t *reply = s_call (sock, &env);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    return reply;
}

//  The task id of a SubmitReply (caller frees), checking whether it says
//  duplicate.
static char *
s_submitted (fg_env_t **reply_p, bool duplicate)
{
    fg_env_t *reply = *reply_p;
    if (reply->body_case == FOGRID__ENVELOPE__BODY_ERROR)
        fprintf (stderr, "submit refused: %s\n", reply->error->text);
    CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_SUBMIT_REPLY);
    CU_ASSERT_EQUAL (reply->submit_reply->duplicate, duplicate);
    char *id = strdup (reply->submit_reply->task_id);
    fg_msg_free (reply_p);
    return id;
}

static void
test_tokens_per_buyer (void)
{
    char *dir = ts_tmpdir_new ("hub");
    char keys [600], err [300];
    snprintf (keys, sizeof keys, "%s/keys/hub.key", dir);
    fg_config_t *security = fg_config_new (hub_config_defs);
    fg_config_set (security, "security/insecure", "0");
    CU_ASSERT_EQUAL_FATAL (fg_security_init (security, keys, true, err, sizeof err), 0);
    zcert_t *alice = zcert_new (), *bob = zcert_new ();

    s_hub_t hub = { .dir = dir };
    s_hub_start (&hub, dir, NULL);
    zsock_t *as_alice = s_keyed_buyer (&hub, alice), *as_bob = s_keyed_buyer (&hub, bob);
    //  One token, two buyers: two tasks
    fg_env_t *reply = s_submit_on (as_alice, "nightly", "echo alice");
    char *first = s_submitted (&reply, false);
    reply = s_submit_on (as_bob, "nightly", "echo alice");
    char *second = s_submitted (&reply, false);
    CU_ASSERT_STRING_NOT_EQUAL (first, second);
    //  Alice again with the same spec: her first task, a duplicate
    reply = s_submit_on (as_alice, "nightly", "echo alice");
    char *again = s_submitted (&reply, true);
    CU_ASSERT_STRING_EQUAL (again, first);
    free (again);
    //  Alice with another spec under that token: a conflict, said so
    reply = s_submit_on (as_alice, "nightly", "echo changed");
    CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_ERROR);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_CONFLICT);
    CU_ASSERT_PTR_NOT_NULL (strstr (reply->error->text, "client_token nightly was used for task"));
    CU_ASSERT_PTR_NOT_NULL (strstr (reply->error->text, first));
    CU_ASSERT_PTR_NOT_NULL (strstr (reply->error->text, "another spec"));
    fg_msg_free (&reply);
    zsock_destroy (&as_alice);
    zsock_destroy (&as_bob);
    s_hub_stop (&hub);

    //  All of it holds after a restart
    s_hub_start (&hub, dir, NULL);
    as_alice = s_keyed_buyer (&hub, alice);
    as_bob = s_keyed_buyer (&hub, bob);
    reply = s_submit_on (as_bob, "nightly", "echo alice");
    again = s_submitted (&reply, true);
    CU_ASSERT_STRING_EQUAL (again, second);
    free (again);
    reply = s_submit_on (as_alice, "nightly", "echo alice");
    again = s_submitted (&reply, true);
    CU_ASSERT_STRING_EQUAL (again, first);
    free (again);
    reply = s_submit_on (as_bob, "nightly", "echo bob");
    CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_ERROR);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_CONFLICT);
    fg_msg_free (&reply);
    //  A new token is a new task
    reply = s_submit_on (as_bob, "weekly", "echo bob");
    again = s_submitted (&reply, false);
    CU_ASSERT_STRING_NOT_EQUAL (again, first);
    CU_ASSERT_STRING_NOT_EQUAL (again, second);
    free (again);

    free (first);
    free (second);
    zsock_destroy (&as_alice);
    zsock_destroy (&as_bob);
    s_hub_stop (&hub);
    zcert_destroy (&alice);
    zcert_destroy (&bob);
    fg_security_term ();
    fg_config_destroy (&security);
    ts_tmpdir_remove (&dir);
}

//  ---------------------------------------------------------------------
//  Every reply is one a strict protobuf runtime reads

//  A strict reader's view (written apart from fg_msg's): true when every
//  string field of msg, at any depth, is UTF-8, as Python's, Go's and
//  Java's runtimes insist before they hand a message over.
static bool
s_strict (const ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    for (unsigned index = 0; index < desc->n_fields; index++) {
        const ProtobufCFieldDescriptor *field = &desc->fields [index];
        const char *at = (const char *) msg + field->offset;
        if ((field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        &&  *(const uint32_t *) ((const char *) msg + field->quantifier_offset) != field->id)
            continue;
        //  Only strings and messages are pointers: a number's field may sit
        //  where no pointer could be read (two uint32 side by side)
        if (field->type != PROTOBUF_C_TYPE_STRING && field->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        size_t count = 1;
        void *const *items = (void *const *) at;
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            count = *(const size_t *) ((const char *) msg + field->quantifier_offset);
            items = *(void *const *const *) at;
        }
        for (size_t item = 0; item < count; item++) {
            if (!items [item])
                continue;
            if (field->type == PROTOBUF_C_TYPE_STRING && !fg_utf8_valid ((const char *) items [item]))
                return false;
            if (field->type == PROTOBUF_C_TYPE_MESSAGE && !s_strict ((const ProtobufCMessage *) items [item]))
                return false;
        }
    }
    return true;
}

//  Checks reply is there, strictly readable, and (code not 0) the Error
//  code whose text names field; frees it.
static void
s_strict_reply (fg_env_t **reply_p, int code, const char *field)
{
    fg_env_t *reply = *reply_p;
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_TRUE (s_strict (&reply->base));
    if (code) {
        CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_ERROR);
        CU_ASSERT_EQUAL (reply->error->code, code);
        if (field) {
            char said [160];
            snprintf (said, sizeof said, "%s is not UTF-8", field);
            if (!strstr (reply->error->text, said))
                fprintf (stderr, "wanted '%s' in '%s'\n", said, reply->error->text);
            CU_ASSERT_PTR_NOT_NULL (strstr (reply->error->text, said));
        }
    }
    fg_msg_free (reply_p);
}

static void
test_utf8_replies (void)
{
    s_hub_t hub = { .dir = ts_tmpdir_new ("hub") };
    s_hub_start (&hub, hub.dir, NULL);
    //  A submit with one bad string, in each place a spec has one
    const char *fields [] = { "spec.argv[1]", "spec.env[0]", "spec.runtime", "spec.image",
                              "spec.labels[0].key", "spec.labels[0].value", "spec.constraint",
                              "spec.policy", "spec.service_name", "spec.health",
                              "spec.service_functions[0]", "spec.outputs[0]", "client_token",
                              "spec.argv[1]" };
    size_t cases = sizeof fields / sizeof fields [0];
    for (size_t index = 0; index < cases; index++) {
        char *bad = "bad-\xff-\xc3";
        char *argv [] = { "echo", index == 0 || index == cases - 1? bad: "ok" };
        char *env [] = { index == 1? "A=\xfe": "A=1" };
        char *outputs [] = { index == 11? "out\xe9": "out" };
        char *functions [] = { index == 10? "f\xe9": "f" };
        Fogrid__Label label = FOGRID__LABEL__INIT, *labels [] = { &label };
        label.key = index == 4? bad: "zone";
        label.value = index == 5? bad: "eu";
        Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
        spec.argv = argv;
        spec.n_argv = 2;
        spec.env = env;
        spec.n_env = 1;
        spec.labels = labels;
        spec.n_labels = 1;
        spec.outputs = outputs;
        spec.n_outputs = 1;
        spec.runtime = index == 2? bad: "";
        spec.image = index == 3? bad: index == cases - 1? "fogrid/busybox": "";
        spec.constraint = index == 6? bad: "";
        spec.policy = index == 7? bad: "";
        spec.service_name = index == 8? bad: "";
        spec.health = index == 9? bad: "";
        spec.service_functions = functions;
        spec.n_service_functions = index == 10;
        Fogrid__SubmitRequest submit = FOGRID__SUBMIT_REQUEST__INIT;
        submit.spec = &spec;
        submit.client_token = index == 12? bad: "";
        fg_env_t env_ = FOGRID__ENVELOPE__INIT;
        env_.body_case = FOGRID__ENVELOPE__BODY_SUBMIT;
        env_.submit = &submit;
        fg_env_t *reply = s_call (hub.buyer, &env_);
        s_strict_reply (&reply, FG_E_INVALID, fields [index]);
    }
    //  None of them became a task
    Fogrid__HealthRequest health = FOGRID__HEALTH_REQUEST__INIT;
    fg_env_t ask = FOGRID__ENVELOPE__INIT;
    ask.body_case = FOGRID__ENVELOPE__BODY_HEALTH;
    ask.health = &health;
    fg_env_t *reply = s_call (hub.buyer, &ask);
    CU_ASSERT_FATAL (reply && reply->body_case == FOGRID__ENVELOPE__BODY_HEALTH_REPLY);
    CU_ASSERT_EQUAL (reply->health_reply->queue_length, 0);
    s_strict_reply (&reply, 0, NULL);

    //  Errors that quote what they were given: a task id, an account
    const char *bad_id = "t-\xff\xfe\xc3";
    reply = s_task_request (&hub, FOGRID__ENVELOPE__BODY_STATUS, bad_id);
    s_strict_reply (&reply, FG_E_NOT_FOUND, NULL);
    reply = s_task_request (&hub, FOGRID__ENVELOPE__BODY_CANCEL, bad_id);
    s_strict_reply (&reply, FG_E_NOT_FOUND, NULL);
    reply = s_task_request (&hub, FOGRID__ENVELOPE__BODY_RESULT, bad_id);
    s_strict_reply (&reply, FG_E_NOT_FOUND, NULL);
    char long_id [700] = "t-";          //  an error's text is cut inside a character
    for (int index = 0; index < 300; index++)
        strcat (long_id, "\xc3\xa9");
    reply = s_task_request (&hub, FOGRID__ENVELOPE__BODY_STATUS, long_id);
    s_strict_reply (&reply, FG_E_NOT_FOUND, NULL);
    Fogrid__BalanceRequest balance = FOGRID__BALANCE_REQUEST__INIT;
    balance.account = "buyer:\xff";
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_BALANCE;
    env.balance = &balance;
    reply = s_call (hub.buyer, &env);
    s_strict_reply (&reply, 0, NULL);

    //  A miner's hello: every text of it checked at the door
    s_fake_t *fake = s_fake_new (&hub, "m-utf8", 2, 0, 0);
    Fogrid__MinerHeartbeat beat = FOGRID__MINER_HEARTBEAT__INIT;
    beat.miner_id = "m-\xff";
    fg_env_t beat_env = FOGRID__ENVELOPE__INIT;
    beat_env.body_case = FOGRID__ENVELOPE__BODY_MINER_HEARTBEAT;
    beat_env.miner_heartbeat = &beat;
    fake->silent = true;
    s_fake_send (fake, &beat_env);
    reply = s_fake_expect (fake, FOGRID__ENVELOPE__BODY_ERROR, 2000);
    s_strict_reply (&reply, FG_E_NOT_FOUND, NULL);
    char *runtimes [] = { "process", "doc\xe9r" };
    const char *hello_fields [] = { "name", "version", "resources.runtimes[1]" };
    for (int index = 0; index < 3; index++) {
        Fogrid__Resources res = FOGRID__RESOURCES__INIT;
        res.cores = 2;
        res.mem_mb = 1024;
        res.n_runtimes = index == 2? 2: 1;
        res.runtimes = runtimes;
        Fogrid__MinerHello hello = FOGRID__MINER_HELLO__INIT;
        hello.miner_id = "m-utf8";
        hello.name = index == 0? "host-\xe9": "host";
        hello.version = index == 1? "1.0-\xff": "1.0";
        hello.resources = &res;
        fg_env_t greet = FOGRID__ENVELOPE__INIT;
        greet.body_case = FOGRID__ENVELOPE__BODY_MINER_HELLO;
        greet.miner_hello = &hello;
        s_fake_send (fake, &greet);
        reply = s_fake_expect (fake, FOGRID__ENVELOPE__BODY_ERROR, 2000);
        s_strict_reply (&reply, FG_E_INVALID, hello_fields [index]);
    }
    char *state = s_miner_state (&hub, "m-utf8");
    CU_ASSERT_STRING_EQUAL (state, "");                 //  none of them got in
    free (state);
    fake->silent = false;
    s_fake_hello (fake, NULL, 0);
    reply = s_fake_expect (fake, FOGRID__ENVELOPE__BODY_MINER_WELCOME, 2000);
    s_strict_reply (&reply, 0, NULL);

    //  Its result quotes a runtime's error that is not UTF-8: taken, and
    //  every reply that shows it is readable
    char *id = s_submit_id (&hub, NULL, "true");
    CU_ASSERT_PTR_NOT_NULL_FATAL (id);
    fg_env_t *assign = s_fake_expect (fake, FOGRID__ENVELOPE__BODY_TASK_ASSIGN, 2000);
    s_strict_reply (&assign, 0, NULL);
    Fogrid__TaskResult result = FOGRID__TASK_RESULT__INIT;
    result.error = "cannot start: \xed\xa0\x80 \xff";
    reply = s_fake_result_with (fake, id, 1, -1, "", &result);
    s_strict_reply (&reply, 0, NULL);
    reply = s_task_request (&hub, FOGRID__ENVELOPE__BODY_STATUS, id);
    CU_ASSERT_FATAL (reply && reply->body_case == FOGRID__ENVELOPE__BODY_TASK_INFO);
    CU_ASSERT_STRING_EQUAL (reply->task_info->state, "failed");
    CU_ASSERT_STRING_EQUAL (reply->task_info->reason, "could not run: cannot start: ??? ?");
    s_strict_reply (&reply, 0, NULL);
    reply = s_task_request (&hub, FOGRID__ENVELOPE__BODY_RESULT, id);
    s_strict_reply (&reply, 0, NULL);
    //  ... and one for a task id that is not UTF-8, and a TaskStarted for one
    reply = s_fake_result (fake, bad_id, 1, 0, "");
    s_strict_reply (&reply, FG_E_NOT_FOUND, NULL);
    s_fake_started (fake, bad_id, 1);
    fg_env_t *kill = s_fake_expect (fake, FOGRID__ENVELOPE__BODY_TASK_KILL, 2000);
    s_strict_reply (&kill, 0, NULL);
    //  The miners' view
    Fogrid__MinersRequest miners = FOGRID__MINERS_REQUEST__INIT;
    fg_env_t list = FOGRID__ENVELOPE__INIT;
    list.body_case = FOGRID__ENVELOPE__BODY_MINERS;
    list.miners = &miners;
    reply = s_call (hub.buyer, &list);
    s_strict_reply (&reply, 0, NULL);

    free (id);
    s_fake_destroy (&fake);
    s_hub_stop (&hub);
    ts_tmpdir_remove (&hub.dir);
}

void
test_hub_server_add (void)
{
    ts_add_suite ("hub_server",
        "submit, assign, start, fail with exit 3, status, result", test_lifecycle,
        "the less loaded miner gets the task", test_least_loaded,
        "a silent miner dies, its task moves, its late result is stale", test_dead_miner,
        "a miner that says goodbye is lost at once, its task moves", test_goodbye,
        "a task whose miners keep dying fails when its retries run out", test_no_retries,
        "client tokens and the queue bound", test_tokens_and_queue_bound,
        "cancel pending, running, finished and unknown tasks", test_cancel,
        "bad input on both sockets is answered and survived", test_bad_input,
        "a restarted hub keeps its tasks and reconciles its miners", test_restart,
        "it registers hub and hub-miner in the locator", test_registration,
        "the fogrid-hub program", test_binary,
        "rate limits and tasks per buyer", test_limits,
        "group commit: pipelined submits share commits, each answered", test_group_commit,
        "a refused assignment is placed again", test_refused_assignment,
        "the overview shows every row, whatever bytes it holds", test_overview_any_bytes,
        "a full disk: clear errors, nothing lost, work again once there is room",
        test_full_disk,
        "a restarted hub takes the current attempt's result after the miner's hello",
        test_result_after_restart,
        "client tokens are each buyer's own; another spec under one is a conflict",
        test_tokens_per_buyer,
        "every reply holds UTF-8 strings, whatever bytes came in", test_utf8_replies,
        NULL);
}
