/*  =========================================================================
    test_hub_array_api - job arrays through a hub actor: one request, many
    tasks; retried tokens; a full hub or a wrong element accepts nothing
    (or, partial, the rest); elements addressed as ARRAY[N]; the array's
    summary; the template stored once and the elements' specs made from it
    again after a restart
    =========================================================================  */
#include "test_hub_support.h"
#include "hub_server.h"
#include <sqlite3.h>

typedef struct {
    fg_config_t *config;
    zactor_t *hub;
    zsock_t *buyer;
} s_hub_t;

static void
s_hub_up (s_hub_t *hub, const char *dir)
{
    hub->config = th_hub_config (dir);
    fg_config_set (hub->config, "hub/queue_max", "500");
    fg_config_set (hub->config, "hub/tasks_per_buyer", "1000");
    hub_server_args_t args = { .config = hub->config };
    hub->hub = zactor_new (hub_server_actor, &args);
    CU_ASSERT_EQUAL_FATAL (args.rc, 0);
    int buyer_port, miner_port;
    zstr_send (hub->hub, "PORTS");
    zsock_recv (hub->hub, "ii", &buyer_port, &miner_port);
    hub->buyer = zsock_new (ZMQ_DEALER);
    zsock_set_rcvtimeo (hub->buyer, 10000);
    zsock_connect (hub->buyer, "tcp://127.0.0.1:%d", buyer_port);
}

static void
s_hub_down (s_hub_t *hub)
{
    zsock_destroy (&hub->buyer);
    zactor_destroy (&hub->hub);
    fg_config_destroy (&hub->config);
}

//  Submits `sh -c 'echo {}'` over first..last (or the specs); the reply
static fg_env_t *
s_submit (s_hub_t *hub, uint32_t first, uint32_t last, Fogrid__TaskSpec **specs, size_t n_specs,
          const char *token, bool partial)
{
    char *argv [] = { "sh", "-c", "echo element {} of {}" };
    char *env [] = { "INDEX={}" };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.argv = argv;
    spec.n_argv = 3;
    spec.env = env;
    spec.n_env = 1;
    Fogrid__SubmitArrayRequest request = FOGRID__SUBMIT_ARRAY_REQUEST__INIT;
    if (specs) {
        request.specs = specs;
        request.n_specs = n_specs;
    }
    else {
        request.spec = &spec;
        request.first = first;
        request.last = last;
    }
    request.client_token = (char *) token;
    request.partial = partial;
    fg_env_t env_ = FOGRID__ENVELOPE__INIT;
    env_.body_case = FOGRID__ENVELOPE__BODY_SUBMIT_ARRAY;
    env_.submit_array = &request;
    fg_env_t *reply = th_call (hub->buyer, &env_);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    return reply;
}

static fg_env_t *
s_array_status (s_hub_t *hub, const char *array_id)
{
    Fogrid__ArrayStatusRequest request = FOGRID__ARRAY_STATUS_REQUEST__INIT;
    request.array_id = (char *) array_id;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_ARRAY_STATUS;
    env.array_status = &request;
    fg_env_t *reply = th_call (hub->buyer, &env);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    return reply;
}

static uint64_t
s_state_count (Fogrid__ArrayStatusReply *reply, const char *state)
{
    for (size_t index = 0; index < reply->n_by_state; index++)
        if (streq (reply->by_state [index]->name, state))
            return reply->by_state [index]->value;
    return 0;
}

static void
test_arrays (void)
{
    char *dir = ts_tmpdir_new ("arrays");
    s_hub_t hub;
    s_hub_up (&hub, dir);

    //  One request, 300 tasks, one reply with the range
    fg_env_t *reply = s_submit (&hub, 1, 300, NULL, 0, "tok-array", false);
    CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_SUBMIT_ARRAY_REPLY);
    Fogrid__SubmitArrayReply *submitted = reply->submit_array_reply;
    CU_ASSERT_EQUAL (submitted->first, 1);
    CU_ASSERT_EQUAL (submitted->last, 300);
    CU_ASSERT_EQUAL (submitted->accepted, 300);
    CU_ASSERT_FALSE (submitted->duplicate);
    char array_id [32];
    snprintf (array_id, sizeof array_id, "%s", submitted->array_id);
    CU_ASSERT (strncmp (array_id, "a-", 2) == 0);
    fg_msg_free (&reply);

    //  The same token: the same array, no new tasks
    reply = s_submit (&hub, 1, 300, NULL, 0, "tok-array", false);
    CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_SUBMIT_ARRAY_REPLY);
    CU_ASSERT_STRING_EQUAL (reply->submit_array_reply->array_id, array_id);
    CU_ASSERT_TRUE (reply->submit_array_reply->duplicate);
    fg_msg_free (&reply);

    //  Element 7 is a task like any other, its {} replaced by 7
    char element [48];
    snprintf (element, sizeof element, "%s[7]", array_id);
    reply = th_status (hub.buyer, element);
    Fogrid__TaskInfo *info = reply->task_info;
    CU_ASSERT_STRING_EQUAL (info->state, "pending");
    CU_ASSERT_PTR_NOT_NULL_FATAL (info->spec);
    CU_ASSERT_STRING_EQUAL (info->spec->argv [2], "echo element 7 of 7");
    CU_ASSERT_STRING_EQUAL (info->spec->env [0], "INDEX=7");
    fg_msg_free (&reply);

    //  Cancel one element; the summary counts by state
    Fogrid__CancelRequest cancel = FOGRID__CANCEL_REQUEST__INIT;
    cancel.task_id = element;
    fg_env_t request = FOGRID__ENVELOPE__INIT;
    request.body_case = FOGRID__ENVELOPE__BODY_CANCEL;
    request.cancel = &cancel;
    reply = th_call (hub.buyer, &request);
    CU_ASSERT_EQUAL (reply->body_case, FOGRID__ENVELOPE__BODY_TASK_INFO);
    fg_msg_free (&reply);
    reply = s_array_status (&hub, array_id);
    CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_ARRAY_STATUS_REPLY);
    CU_ASSERT_EQUAL (reply->array_status_reply->count, 300);
    CU_ASSERT_EQUAL (s_state_count (reply->array_status_reply, "pending"), 299);
    CU_ASSERT_EQUAL (s_state_count (reply->array_status_reply, "cancelled"), 1);
    fg_msg_free (&reply);
    reply = s_array_status (&hub, "a-nosuch");
    CU_ASSERT_EQUAL (reply->body_case, FOGRID__ENVELOPE__BODY_ERROR);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_NOT_FOUND);
    fg_msg_free (&reply);

    //  A full hub accepts nothing of an array: 299 queued, 300 more pass 500
    reply = s_submit (&hub, 1, 300, NULL, 0, "tok-full", false);
    CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_ERROR);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_HUB_FULL);
    CU_ASSERT_PTR_NOT_NULL (strstr (reply->error->text, "nothing"));
    fg_msg_free (&reply);

    //  A list of specs with a wrong one (no argv, no image): refused whole,
    //  naming it; partial: the others are taken and it is listed
    char *ok_argv [] = { "true" };
    Fogrid__TaskSpec good = FOGRID__TASK_SPEC__INIT, bad = FOGRID__TASK_SPEC__INIT;
    good.argv = ok_argv;
    good.n_argv = 1;
    bad.policy = "no-such-policy";
    bad.argv = ok_argv;
    bad.n_argv = 1;
    //  (the hub takes the specs over: each call gets its own copies)
    for (int partial = 0; partial < 2; partial++) {
        Fogrid__TaskSpec *specs [3];
        for (int index = 0; index < 3; index++) {
            Fogrid__TaskSpec *one = index == 1? &bad: &good;
            size_t size = fogrid__task_spec__get_packed_size (one);
            uint8_t *buffer = (uint8_t *) zmalloc (size + 1);
            fogrid__task_spec__pack (one, buffer);
            specs [index] = fogrid__task_spec__unpack (NULL, size, buffer);
            free (buffer);
        }
        reply = s_submit (&hub, 0, 0, specs, 3, partial? "tok-partial": "tok-whole", partial);
        for (int index = 0; index < 3; index++)
            fogrid__task_spec__free_unpacked (specs [index], NULL);
        if (!partial) {
            CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_ERROR);
            CU_ASSERT_EQUAL (reply->error->code, FG_E_INVALID);
            CU_ASSERT_PTR_NOT_NULL (strstr (reply->error->text, "element 2"));
        }
        else {
            CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_SUBMIT_ARRAY_REPLY);
            Fogrid__SubmitArrayReply *some = reply->submit_array_reply;
            CU_ASSERT_EQUAL (some->accepted, 2);
            CU_ASSERT_EQUAL (some->first, 1);
            CU_ASSERT_EQUAL (some->last, 3);
            CU_ASSERT_EQUAL_FATAL (some->n_failed, 1);
            CU_ASSERT_EQUAL (some->failed [0]->index, 2);
            CU_ASSERT (strlen (some->failed [0]->error) > 0);
        }
        fg_msg_free (&reply);
    }
    s_hub_down (&hub);

    //  The template is stored once: the elements' rows keep no spec
    char *db = zsys_sprintf ("%s/hub.db", dir);
    sqlite3 *handle = NULL;
    CU_ASSERT_EQUAL_FATAL (sqlite3_open (db, &handle), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    sqlite3_prepare_v2 (handle, "SELECT count(*), sum(length(spec)) FROM tasks WHERE array_id = ?",
                        -1, &stmt, NULL);
    sqlite3_bind_text (stmt, 1, array_id, -1, SQLITE_TRANSIENT);
    CU_ASSERT_EQUAL (sqlite3_step (stmt), SQLITE_ROW);
    CU_ASSERT_EQUAL (sqlite3_column_int (stmt, 0), 300);
    CU_ASSERT_EQUAL (sqlite3_column_int (stmt, 1), 0);
    sqlite3_finalize (stmt);
    sqlite3_close (handle);
    zstr_free (&db);

    //  After a restart the elements are back, their specs made again
    s_hub_up (&hub, dir);
    snprintf (element, sizeof element, "%s[300]", array_id);
    reply = th_status (hub.buyer, element);
    CU_ASSERT_STRING_EQUAL (reply->task_info->state, "pending");
    CU_ASSERT_STRING_EQUAL (reply->task_info->spec->argv [2], "echo element 300 of 300");
    fg_msg_free (&reply);
    reply = s_array_status (&hub, array_id);
    CU_ASSERT_EQUAL (s_state_count (reply->array_status_reply, "pending"), 299);
    fg_msg_free (&reply);
    s_hub_down (&hub);
    ts_tmpdir_remove (&dir);
}

void
test_hub_array_api_add (void)
{
    ts_add_suite ("hub_array_api",
        "job arrays: range, token, full hub, wrong elements, summary, restart", test_arrays,
        NULL);
}
