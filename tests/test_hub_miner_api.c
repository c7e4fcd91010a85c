/*  =========================================================================
    test_hub_miner_api - the miners' side of the hub on real books and a
    real ROUTER: a hello and its welcome, an id that belongs to another
    key, TaskStarted and results of the current attempt only, goodbyes,
    and miners that fall silent
    =========================================================================  */
#include "test_hub_rooms.h"
#include "hub_miner_api.h"

typedef struct {
    th_rooms_t *rooms;          //  the books and the rooms; the miner "m1" on its socket
    hub_miner_api_t *api;
} s_hub_t;

static void
s_open (s_hub_t *hub, const char *dir)
{
    memset (hub, 0, sizeof *hub);
    hub->rooms = th_rooms_new (dir, true, "hub/heartbeat_ms", "500", "hub/disconnect_ms", "1000",
                               "hub/dead_ms", "2000", NULL);
    th_rooms_t *rooms = hub->rooms;
    th_rooms_connect (rooms, "miner-api", "m1", false);
    hub->api = hub_miner_api_new (rooms->miners, rooms->tasks, rooms->escrow, rooms->wallet,
                                  rooms->th.store, rooms->config, &rooms->stats, rooms->outbox,
                                  rooms->router);
}

static void
s_close (s_hub_t *hub)
{
    hub_miner_api_destroy (&hub->api);
    CU_ASSERT_PTR_NULL (hub->api);
    th_rooms_destroy (&hub->rooms);
}

//  Commits and sends what the API held; returns the next message m1 got
//  of that body (others are dropped), or NULL
static fg_env_t *
s_expect (s_hub_t *hub, int body_case)
{
    hub_store_commit (hub->rooms->th.store);
    fg_outbox_send (hub->rooms->outbox, NULL, NULL);
    zsock_set_rcvtimeo (hub->rooms->dealer, 300);
    fg_env_t *env;
    while ((env = fg_msg_recv (hub->rooms->dealer, NULL, NULL, NULL))) {
        if ((int) env->body_case == body_case)
            return env;
        fg_msg_free (&env);
    }
    return NULL;
}

//  Hands env to the API as the miner's (with the next seq)
static void
s_say (s_hub_t *hub, const char *key, fg_env_t *env)
{
    env->seq = ++hub->rooms->seq;
    CU_ASSERT_TRUE (hub_miner_api_handle (hub->api, hub->rooms->peer, env->seq, key, env));
}

static void
s_hello (s_hub_t *hub, const char *key, const char *id, Fogrid__TaskRef **running, size_t count)
{
    th_hello_t hello;
    th_hello_init (&hello, id, 4, 0);
    hello.hello.running = running;
    hello.hello.n_running = count;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_MINER_HELLO;
    env.miner_hello = &hello.hello;
    s_say (hub, key, &env);
}

//  A task of alice assigned to miner as attempt 1
static hub_task_t *
s_assigned (s_hub_t *hub, const char *id, hub_miner_t *miner)
{
    hub_task_t *task = th_task_new (id, "alice", 1);
    task->spec->timeout_s = 1;
    CU_ASSERT_EQUAL_FATAL (hub_tasks_submit (hub->rooms->tasks, task, NULL), 0);
    hub_tasks_assign (hub->rooms->tasks, task, miner->id, NULL);
    hub_tasks_dequeue (hub->rooms->tasks, task);
    hub_miners_reserve (miner, task->id, 1, 0, 0);
    return task;
}

static void
s_result (s_hub_t *hub, const char *task_id, uint32_t attempt, int exit_code)
{
    Fogrid__TaskResult result = FOGRID__TASK_RESULT__INIT;
    result.task_id = (char *) task_id;
    result.attempt = attempt;
    result.exit_code = exit_code;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_RESULT;
    env.task_result = &result;
    s_say (hub, "", &env);
}

static void
s_welcomed (s_hub_t *hub)
{
    fg_env_t *welcome = s_expect (hub, FOGRID__ENVELOPE__BODY_MINER_WELCOME);
    CU_ASSERT_PTR_NOT_NULL (welcome);
    fg_msg_free (&welcome);
}

static int
s_error_code (fg_env_t *env)
{
    int code = env? (int) env->error->code: 0;
    fg_msg_free (&env);
    return code;
}

static void
test_hello (void)
{
    char *dir = ts_tmpdir_new ("hub-miner-api");
    s_hub_t hub;
    s_open (&hub, dir);
    s_hello (&hub, "key-a", "m-1", NULL, 0);
    fg_env_t *welcome = s_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_WELCOME);
    CU_ASSERT_PTR_NOT_NULL_FATAL (welcome);
    CU_ASSERT_EQUAL (welcome->miner_welcome->heartbeat_ms, 500);
    fg_msg_free (&welcome);
    hub_miner_t *miner = hub_miners_lookup (hub.rooms->miners, "m-1");
    CU_ASSERT_PTR_NOT_NULL_FATAL (miner);
    CU_ASSERT_EQUAL (miner->state, HUB_MINER_CONNECTED);

    //  The id is key-a's now
    s_hello (&hub, "key-b", "m-1", NULL, 0);
    CU_ASSERT_EQUAL (s_error_code (s_expect (&hub, FOGRID__ENVELOPE__BODY_ERROR)), FG_E_DENIED);
    s_hello (&hub, "key-a", "has space", NULL, 0);
    CU_ASSERT_EQUAL (s_error_code (s_expect (&hub, FOGRID__ENVELOPE__BODY_ERROR)), FG_E_INVALID);

    //  It comes back running t-1 (current) and t-2 (not ours): keep one,
    //  kill the other; t-3, which it no longer runs, is lost and requeued
    hub_task_t *kept = s_assigned (&hub, "t-1", miner);
    hub_task_t *lost = s_assigned (&hub, "t-3", miner);
    Fogrid__TaskRef refs [2], *running [2] = { &refs [0], &refs [1] };
    fogrid__task_ref__init (&refs [0]);
    refs [0].task_id = "t-1";
    refs [0].attempt = 1;
    fogrid__task_ref__init (&refs [1]);
    refs [1].task_id = "t-2";
    refs [1].attempt = 1;
    s_hello (&hub, "key-a", "m-1", running, 2);
    welcome = s_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_WELCOME);
    CU_ASSERT_PTR_NOT_NULL_FATAL (welcome);
    CU_ASSERT_EQUAL (welcome->miner_welcome->n_keep, 1);
    CU_ASSERT_STRING_EQUAL (welcome->miner_welcome->keep [0]->task_id, "t-1");
    CU_ASSERT_EQUAL (welcome->miner_welcome->n_kill, 1);
    CU_ASSERT_STRING_EQUAL (welcome->miner_welcome->kill [0]->task_id, "t-2");
    fg_msg_free (&welcome);
    CU_ASSERT_EQUAL (kept->state, HUB_TASK_RUNNING);
    CU_ASSERT_EQUAL (lost->state, HUB_TASK_PENDING);
    CU_ASSERT_EQUAL (lost->attempt, 2);
    CU_ASSERT_EQUAL (hub.rooms->stats.requeued, 1);
    CU_ASSERT_FALSE (hub_miners_has_task (miner, "t-3"));
    s_close (&hub);
    ts_tmpdir_remove (&dir);
}

static void
test_results (void)
{
    char *dir = ts_tmpdir_new ("hub-miner-api");
    s_hub_t hub;
    s_open (&hub, dir);
    s_hello (&hub, "", "m-1", NULL, 0);
    s_welcomed (&hub);
    hub_miner_t *miner = hub_miners_lookup (hub.rooms->miners, "m-1");
    hub_task_t *task = s_assigned (&hub, "t-1", miner);

    //  Started, for another attempt: told to stop it
    Fogrid__TaskStarted started = FOGRID__TASK_STARTED__INIT;
    started.task_id = "t-1";
    started.attempt = 7;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_STARTED;
    env.task_started = &started;
    s_say (&hub, "", &env);
    fg_env_t *kill = s_expect (&hub, FOGRID__ENVELOPE__BODY_TASK_KILL);
    CU_ASSERT_PTR_NOT_NULL_FATAL (kill);
    CU_ASSERT_EQUAL (kill->task_kill->attempt, 7);
    fg_msg_free (&kill);
    CU_ASSERT_EQUAL (task->state, HUB_TASK_ASSIGNED);
    //  ...for its own: running
    started.attempt = 1;
    s_say (&hub, "", &env);
    CU_ASSERT_EQUAL (task->state, HUB_TASK_RUNNING);

    //  A stale result is refused; the current one finishes the task
    s_result (&hub, "t-1", 2, 0);
    CU_ASSERT_EQUAL (s_error_code (s_expect (&hub, FOGRID__ENVELOPE__BODY_ERROR)), FG_E_STALE);
    s_result (&hub, "t-1", 1, 3);
    fg_env_t *ok = s_expect (&hub, FOGRID__ENVELOPE__BODY_OK);
    CU_ASSERT_PTR_NOT_NULL (ok);
    fg_msg_free (&ok);
    CU_ASSERT_PTR_NULL (hub_tasks_lookup (hub.rooms->tasks, "t-1"));
    CU_ASSERT_EQUAL (miner->used_cores, 0);
    bool owned;
    task = hub_tasks_find (hub.rooms->tasks, "t-1", &owned);
    CU_ASSERT_EQUAL (task->state, HUB_TASK_FAILED);
    CU_ASSERT_STRING_EQUAL (task->reason, "exit code 3");
    hub_task_destroy (&task);
    //  ...and once only
    s_result (&hub, "t-1", 1, 0);
    CU_ASSERT_EQUAL (s_error_code (s_expect (&hub, FOGRID__ENVELOPE__BODY_ERROR)), FG_E_STALE);
    s_result (&hub, "t-none", 1, 0);
    CU_ASSERT_EQUAL (s_error_code (s_expect (&hub, FOGRID__ENVELOPE__BODY_ERROR)), FG_E_NOT_FOUND);

    //  Not a miner message: someone else's
    Fogrid__StatusRequest status = FOGRID__STATUS_REQUEST__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_STATUS;
    env.status = &status;
    CU_ASSERT_FALSE (hub_miner_api_handle (hub.api, hub.rooms->peer, 1, "", &env));
    s_close (&hub);
    ts_tmpdir_remove (&dir);
}

static void
test_loss (void)
{
    char *dir = ts_tmpdir_new ("hub-miner-api");
    s_hub_t hub;
    s_open (&hub, dir);
    s_hello (&hub, "", "m-1", NULL, 0);
    s_welcomed (&hub);
    hub_miner_t *miner = hub_miners_lookup (hub.rooms->miners, "m-1");
    hub_task_t *task = s_assigned (&hub, "t-1", miner);

    //  Silent past hub/dead_ms: lost, its task back in the queue
    hub_miner_api_tick (hub.api, fg_now_ms () + 500);
    CU_ASSERT_EQUAL (miner->state, HUB_MINER_CONNECTED);
    hub_miner_api_tick (hub.api, fg_now_ms () + 1500);
    CU_ASSERT_EQUAL (miner->state, HUB_MINER_DISCONNECTED);
    CU_ASSERT_EQUAL (hub.rooms->stats.heartbeats_missed, 1);
    hub_miner_api_tick (hub.api, fg_now_ms () + 2500);
    CU_ASSERT_EQUAL (miner->state, HUB_MINER_DEAD);
    CU_ASSERT_EQUAL (hub.rooms->stats.miners_lost, 1);
    CU_ASSERT_EQUAL (task->state, HUB_TASK_PENDING);
    CU_ASSERT_EQUAL (hub_tasks_queued (hub.rooms->tasks), 1);

    //  A heartbeat from the dead: say hello first
    Fogrid__MinerHeartbeat heartbeat = FOGRID__MINER_HEARTBEAT__INIT;
    heartbeat.miner_id = "m-1";
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_MINER_HEARTBEAT;
    env.miner_heartbeat = &heartbeat;
    s_say (&hub, "", &env);
    CU_ASSERT_NOT_EQUAL (s_error_code (s_expect (&hub, FOGRID__ENVELOPE__BODY_ERROR)), 0);

    //  Back, placed again, then it says goodbye: left, not lost, and its
    //  task fails (no retries left)
    s_hello (&hub, "", "m-1", NULL, 0);
    s_welcomed (&hub);
    hub_tasks_assign (hub.rooms->tasks, task, "m-1", NULL);
    hub_tasks_dequeue (hub.rooms->tasks, task);
    hub_miners_reserve (miner, task->id, 1, 0, 0);
    Fogrid__MinerBye bye = FOGRID__MINER_BYE__INIT;
    bye.miner_id = "m-1";
    bye.reason = "restart";
    env.body_case = FOGRID__ENVELOPE__BODY_MINER_BYE;
    env.miner_bye = &bye;
    s_say (&hub, "", &env);
    CU_ASSERT_EQUAL (miner->state, HUB_MINER_DEAD);
    CU_ASSERT_EQUAL (hub.rooms->stats.miners_left, 1);
    CU_ASSERT_EQUAL (hub.rooms->stats.miners_lost, 1);
    CU_ASSERT_PTR_NULL (hub_tasks_lookup (hub.rooms->tasks, "t-1"));
    s_close (&hub);
    ts_tmpdir_remove (&dir);
}

//  Batches: TaskStartedBatch starts each; TaskResultBatch is answered
//  in one ResultAcks, each ack what the result alone would have got
static void
test_batches (void)
{
    char *dir = ts_tmpdir_new ("hub-miner-api");
    s_hub_t hub;
    s_open (&hub, dir);
    s_hello (&hub, "", "m-1", NULL, 0);
    s_welcomed (&hub);
    hub_miner_t *miner = hub_miners_lookup (hub.rooms->miners, "m-1");
    hub_task_t *one = s_assigned (&hub, "t-1", miner);
    hub_task_t *two = s_assigned (&hub, "t-2", miner);

    Fogrid__TaskStarted started [2] = { FOGRID__TASK_STARTED__INIT, FOGRID__TASK_STARTED__INIT };
    Fogrid__TaskStarted *list [2] = { &started [0], &started [1] };
    started [0].task_id = "t-1";
    started [0].attempt = 1;
    started [1].task_id = "t-2";
    started [1].attempt = 1;
    Fogrid__TaskStartedBatch starts = FOGRID__TASK_STARTED_BATCH__INIT;
    starts.started = list;
    starts.n_started = 2;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_STARTED_BATCH;
    env.task_started_batch = &starts;
    s_say (&hub, "", &env);
    CU_ASSERT_EQUAL (one->state, HUB_TASK_RUNNING);
    CU_ASSERT_EQUAL (two->state, HUB_TASK_RUNNING);

    Fogrid__TaskResult results [3] = { FOGRID__TASK_RESULT__INIT, FOGRID__TASK_RESULT__INIT,
                                       FOGRID__TASK_RESULT__INIT };
    Fogrid__TaskResult *rlist [3] = { &results [0], &results [1], &results [2] };
    results [0].task_id = "t-1";
    results [0].attempt = 1;
    results [1].task_id = "t-2";
    results [1].attempt = 5;            //  stale
    results [2].task_id = "t-2";
    results [2].attempt = 1;
    results [2].exit_code = 2;
    Fogrid__TaskResultBatch batch = FOGRID__TASK_RESULT_BATCH__INIT;
    batch.results = rlist;
    batch.n_results = 3;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_RESULT_BATCH;
    env.task_result_batch = &batch;
    s_say (&hub, "", &env);
    fg_env_t *acks = s_expect (&hub, FOGRID__ENVELOPE__BODY_RESULT_ACKS);
    CU_ASSERT_PTR_NOT_NULL_FATAL (acks);
    CU_ASSERT_EQUAL_FATAL (acks->result_acks->n_acks, 3);
    CU_ASSERT_STRING_EQUAL (acks->result_acks->acks [0]->task_id, "t-1");
    CU_ASSERT_EQUAL (acks->result_acks->acks [0]->code, 0);
    CU_ASSERT_EQUAL (acks->result_acks->acks [1]->code, FG_E_STALE);
    CU_ASSERT_EQUAL (acks->result_acks->acks [2]->code, 0);
    fg_msg_free (&acks);
    CU_ASSERT_PTR_NULL (hub_tasks_lookup (hub.rooms->tasks, "t-1"));
    CU_ASSERT_PTR_NULL (hub_tasks_lookup (hub.rooms->tasks, "t-2"));
    CU_ASSERT_EQUAL (miner->used_cores, 0);
    bool owned;
    hub_task_t *task = hub_tasks_find (hub.rooms->tasks, "t-2", &owned);
    CU_ASSERT_EQUAL (task->state, HUB_TASK_FAILED);
    hub_task_destroy (&task);
    s_close (&hub);
    ts_tmpdir_remove (&dir);
}

void
test_hub_miner_api_add (void)
{
    ts_add_suite ("hub_miner_api",
        "hello: the welcome, the id's key, what it still runs", test_hello,
        "TaskStarted and results count for the current attempt only", test_results,
        "silent miners are lost, goodbyes counted apart", test_loss,
        "batches of started tasks and of results, acks in one reply", test_batches,
        NULL);
}
