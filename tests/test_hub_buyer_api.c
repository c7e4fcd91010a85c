/*  =========================================================================
    test_hub_buyer_api - buyers' requests about their tasks, answered on a
    real ROUTER from a real store: submits and their bounds, retried
    tokens, status and results of one's own tasks only, cancels
    =========================================================================  */
#include "test_hub_rooms.h"
#include "hub_buyer_api.h"

typedef struct {
    th_rooms_t *rooms;          //  the books and the rooms; the buyer "b1" on its socket
    hub_miner_api_t *miner_api;
    hub_buyer_api_t *api;
} s_hub_t;

static void
s_open (s_hub_t *hub, const char *dir)
{
    memset (hub, 0, sizeof *hub);
    hub->rooms = th_rooms_new (dir, true, "hub/queue_max", "3", "hub/tasks_per_buyer", "2",
                               "hub/admin_keys", "dao-key", NULL);
    th_rooms_t *rooms = hub->rooms;
    th_rooms_connect (rooms, "buyer-api", "b1", false);
    hub->miner_api = hub_miner_api_new (rooms->miners, rooms->tasks, rooms->escrow,
                                        rooms->wallet, rooms->th.store, rooms->config,
                                        &rooms->stats, rooms->outbox, NULL);
    hub->api = hub_buyer_api_new (rooms->tasks, rooms->th.store, rooms->escrow, rooms->miners,
                                  hub->miner_api, rooms->config, &rooms->stats, rooms->outbox,
                                  rooms->router);
}

static void
s_close (s_hub_t *hub)
{
    hub_buyer_api_destroy (&hub->api);
    CU_ASSERT_PTR_NULL (hub->api);
    hub_miner_api_destroy (&hub->miner_api);
    th_rooms_destroy (&hub->rooms);
}

//  Hands env to the API as key's request, commits, sends what it said and
//  returns the reply the buyer got
static fg_env_t *
s_call (s_hub_t *hub, const char *key, fg_env_t *env)
{
    env->seq = ++hub->rooms->seq;
    CU_ASSERT_TRUE (hub_buyer_api_handle (hub->api, hub->rooms->peer, env->seq, key, env));
    CU_ASSERT_EQUAL (hub_store_commit (hub->rooms->th.store), 0);
    fg_outbox_send (hub->rooms->outbox, NULL, NULL);
    fg_env_t *reply = fg_msg_recv (hub->rooms->dealer, NULL, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL (reply->seq, env->seq);
    return reply;
}

static int
s_error (fg_env_t *reply)
{
    int code = reply->body_case == FOGRID__ENVELOPE__BODY_ERROR? (int) reply->error->code: 0;
    fg_msg_free (&reply);
    return code;
}

//  Submits `true` with token as key; the reply
static fg_env_t *
s_submit (s_hub_t *hub, const char *key, const char *token, const char *command)
{
    char *argv [] = { (char *) command };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.argv = argv;
    spec.n_argv = 1;
    Fogrid__SubmitRequest request = FOGRID__SUBMIT_REQUEST__INIT;
    request.client_token = (char *) token;
    //  The request gives its spec to the task: a copy on the heap
    size_t size = fogrid__task_spec__get_packed_size (&spec);
    uint8_t *bytes = (uint8_t *) malloc (size);
    fogrid__task_spec__pack (&spec, bytes);
    request.spec = fogrid__task_spec__unpack (NULL, size, bytes);
    free (bytes);
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_SUBMIT;
    env.submit = &request;
    fg_env_t *reply = s_call (hub, key, &env);
    if (request.spec)
        fogrid__task_spec__free_unpacked (request.spec, NULL);
    return reply;
}

//  A submit's task id (caller frees), or NULL
static char *
s_submitted (s_hub_t *hub, const char *key, const char *token)
{
    fg_env_t *reply = s_submit (hub, key, token, "true");
    char *id = reply->body_case == FOGRID__ENVELOPE__BODY_SUBMIT_REPLY
             ? strdup (reply->submit_reply->task_id): NULL;
    fg_msg_free (&reply);
    return id;
}

static fg_env_t *
s_ask (s_hub_t *hub, const char *key, int body_case, const char *task_id)
{
    Fogrid__StatusRequest status = FOGRID__STATUS_REQUEST__INIT;
    Fogrid__CancelRequest cancel = FOGRID__CANCEL_REQUEST__INIT;
    Fogrid__ResultRequest result = FOGRID__RESULT_REQUEST__INIT;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = body_case;
    status.task_id = cancel.task_id = result.task_id = (char *) task_id;
    env.status = &status;
    if (body_case == FOGRID__ENVELOPE__BODY_CANCEL)
        env.cancel = &cancel;
    if (body_case == FOGRID__ENVELOPE__BODY_RESULT)
        env.result = &result;
    return s_call (hub, key, &env);
}

static void
test_submit (void)
{
    char *dir = ts_tmpdir_new ("hub-buyer-api");
    s_hub_t hub;
    s_open (&hub, dir);
    char *first = s_submitted (&hub, "alice", "tok-1");
    CU_ASSERT_PTR_NOT_NULL_FATAL (first);
    CU_ASSERT_EQUAL (hub_tasks_queued (hub.rooms->tasks), 1);
    hub_task_t *task = hub_tasks_lookup (hub.rooms->tasks, first);
    CU_ASSERT_EQUAL (task->retries_left, 2);            //  hub/default_retries
    CU_ASSERT_EQUAL (task->spec->timeout_s, 3600);      //  hub/default_timeout_s
    //  A retried submit: the same task, taking no room
    fg_env_t *reply = s_submit (&hub, "alice", "tok-1", "true");
    CU_ASSERT_STRING_EQUAL (reply->submit_reply->task_id, first);
    CU_ASSERT_TRUE (reply->submit_reply->duplicate);
    fg_msg_free (&reply);
    CU_ASSERT_EQUAL (hub_tasks_queued (hub.rooms->tasks), 1);
    //  Bad input is refused, and counted
    CU_ASSERT_EQUAL (s_error (s_submit (&hub, "alice", "tok-x", "")), FG_E_INVALID);
    CU_ASSERT_EQUAL (s_error (s_submit (&hub, "alice", "tok\t", "true")), FG_E_INVALID);
    CU_ASSERT_EQUAL (s_error (s_submit (&hub, "alice", "tok-y", "\xff\xfe")), FG_E_INVALID);
    CU_ASSERT_EQUAL (hub.rooms->stats.refused, 3);
    //  The same token with another spec is a mistake, not a retry
    CU_ASSERT_EQUAL (s_error (s_submit (&hub, "alice", "tok-1", "false")), FG_E_CONFLICT);
    //  ...and another buyer's token is not this one's
    char *other = s_submitted (&hub, "bob", "tok-1");
    CU_ASSERT_PTR_NOT_NULL_FATAL (other);
    CU_ASSERT_STRING_NOT_EQUAL (other, first);
    free (other);
    //  hub/tasks_per_buyer (2), then hub/queue_max (3)
    char *second = s_submitted (&hub, "alice", "tok-2");
    CU_ASSERT_PTR_NOT_NULL (second);
    CU_ASSERT_EQUAL (s_error (s_submit (&hub, "alice", "tok-3", "true")), FG_E_LIMIT);
    char *third = s_submitted (&hub, "carol", "tok-4");
    CU_ASSERT_PTR_NULL (third);             //  alice 2 and bob 1: the queue is full
    CU_ASSERT_EQUAL (s_error (s_submit (&hub, "carol", "tok-5", "true")), FG_E_HUB_FULL);
    CU_ASSERT_EQUAL (hub.rooms->stats.submitted, 3);
    free (first);
    free (second);
    free (third);
    s_close (&hub);
    ts_tmpdir_remove (&dir);
}

static void
test_own_tasks (void)
{
    char *dir = ts_tmpdir_new ("hub-buyer-api");
    s_hub_t hub;
    s_open (&hub, dir);
    char *id = s_submitted (&hub, "alice", "tok-1");
    CU_ASSERT_PTR_NOT_NULL_FATAL (id);
    fg_env_t *reply = s_ask (&hub, "alice", FOGRID__ENVELOPE__BODY_STATUS, id);
    CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_TASK_INFO);
    CU_ASSERT_STRING_EQUAL (reply->task_info->state, "pending");
    CU_ASSERT_EQUAL (reply->task_info->n_history, 1);
    fg_msg_free (&reply);
    //  Another buyer may not see it; an admin may
    CU_ASSERT_EQUAL (s_error (s_ask (&hub, "bob", FOGRID__ENVELOPE__BODY_STATUS, id)),
                     FG_E_DENIED);
    CU_ASSERT_EQUAL (s_error (s_ask (&hub, "dao-key", FOGRID__ENVELOPE__BODY_STATUS, id)), 0);
    CU_ASSERT_EQUAL (s_error (s_ask (&hub, "alice", FOGRID__ENVELOPE__BODY_STATUS, "t-none")),
                     FG_E_NOT_FOUND);
    CU_ASSERT_EQUAL (s_error (s_ask (&hub, "bob", FOGRID__ENVELOPE__BODY_CANCEL, id)),
                     FG_E_DENIED);

    //  Cancelled: out of the queue, and cancelled once only
    reply = s_ask (&hub, "alice", FOGRID__ENVELOPE__BODY_CANCEL, id);
    CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_TASK_INFO);
    CU_ASSERT_STRING_EQUAL (reply->task_info->state, "cancelled");
    fg_msg_free (&reply);
    CU_ASSERT_EQUAL (hub_tasks_queued (hub.rooms->tasks), 0);
    //  (the server's watcher counts)
    CU_ASSERT_EQUAL (hub.rooms->stats.finished [HUB_TASK_CANCELLED], 0);
    CU_ASSERT_EQUAL (s_error (s_ask (&hub, "alice", FOGRID__ENVELOPE__BODY_CANCEL, id)),
                     FG_E_STATE);
    //  Its result, from the store
    reply = s_ask (&hub, "alice", FOGRID__ENVELOPE__BODY_RESULT, id);
    CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_RESULT_REPLY);
    CU_ASSERT_STRING_EQUAL (reply->result_reply->info->state, "cancelled");
    CU_ASSERT_EQUAL (reply->result_reply->stdout.len, 0);
    fg_msg_free (&reply);
    //  Not about tasks: someone else's
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    Fogrid__HealthRequest health = FOGRID__HEALTH_REQUEST__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_HEALTH;
    env.health = &health;
    CU_ASSERT_FALSE (hub_buyer_api_handle (hub.api, hub.rooms->peer, 1, "alice", &env));
    free (id);
    s_close (&hub);
    ts_tmpdir_remove (&dir);
}

void
test_hub_buyer_api_add (void)
{
    ts_add_suite ("hub_buyer_api",
        "submits, retried tokens and the limits", test_submit,
        "status, cancel and result of one's own tasks", test_own_tasks,
        NULL);
}
