/*  =========================================================================
    test_hub_court - whether a result stands, on a real hub actor with fake
    miners: the challenge window and the pay that waits for it, a restart
    in the middle of a window, replicas and their quorum against a miner
    that lies about its output, and a task whose replicas never agree

    The cheating miner is a fake of these suites only (th_fake_result_out
    with made-up stdout): the real miner has no such setting.
    =========================================================================  */
#include "test_hub_support.h"
#include "hub_server.h"
#include "hub_court.h"
#include "hub_output.h"
#include "fg_verdict.h"
#include <sqlite3.h>

#define S_PRICE     100         //  every fake miner's ask

typedef struct {
    char *dir;
    fg_config_t *config;
    zactor_t *actor;
    zsock_t *buyer;
    int buyer_port, miner_port;
} s_hub_t;

static void
s_start (s_hub_t *hub)
{
    hub_server_args_t args = { .config = hub->config };
    hub->actor = zactor_new (hub_server_actor, &args);
    CU_ASSERT_EQUAL_FATAL (args.rc, 0);
    zstr_send (hub->actor, "PORTS");
    zsock_recv (hub->actor, "ii", &hub->buyer_port, &hub->miner_port);
    hub->buyer = zsock_new (ZMQ_DEALER);
    zsock_set_rcvtimeo (hub->buyer, 3000);
    zsock_connect (hub->buyer, "tcp://127.0.0.1:%d", hub->buyer_port);
}

static void
s_stop (s_hub_t *hub)
{
    zsock_destroy (&hub->buyer);
    zactor_destroy (&hub->actor);
}

//  A hub in a new directory with settings name=value, ...; NULL ends them
static void
s_open (s_hub_t *hub, const char *tag, ...)
{
    memset (hub, 0, sizeof *hub);
    hub->dir = ts_tmpdir_new (tag);
    hub->config = th_hub_config (hub->dir);
    fg_config_set (hub->config, "hub/admin_keys", "*");
    fg_config_set (hub->config, "hub/fee_percent", "5");
    va_list args;
    va_start (args, tag);
    const char *name;
    while ((name = va_arg (args, const char *)))
        fg_config_set (hub->config, name, va_arg (args, const char *));
    va_end (args);
    s_start (hub);
}

static void
s_close (s_hub_t *hub)
{
    s_stop (hub);
    fg_config_destroy (&hub->config);
    ts_tmpdir_remove (&hub->dir);
}

static int64_t
s_balance (s_hub_t *hub, const char *account)
{
    Fogrid__BalanceRequest request = FOGRID__BALANCE_REQUEST__INIT;
    request.account = (char *) account;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_BALANCE;
    env.balance = &request;
    fg_env_t *reply = th_call (hub->buyer, &env);
    CU_ASSERT_FATAL (reply && reply->body_case == FOGRID__ENVELOPE__BODY_BALANCE_REPLY);
    int64_t balance = reply->balance_reply->n_accounts?
                      reply->balance_reply->accounts [0]->balance: 0;
    fg_msg_free (&reply);
    return balance;
}

static void
s_deposit (s_hub_t *hub, uint64_t amount, const char *token)
{
    Fogrid__DepositRequest request = FOGRID__DEPOSIT_REQUEST__INIT;
    request.amount = amount;
    request.token = (char *) token;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_DEPOSIT;
    env.deposit = &request;
    fg_env_t *reply = th_call (hub->buyer, &env);
    CU_ASSERT_FATAL (reply && reply->body_case == FOGRID__ENVELOPE__BODY_TRANSFER_REPLY);
    fg_msg_free (&reply);
}

//  The double-entry books add up to 0 (world holds what came in)
static int64_t
s_books_sum (s_hub_t *hub)
{
    char path [1024];
    snprintf (path, sizeof path, "%s/hub.db", hub->dir);
    sqlite3 *db = NULL;
    CU_ASSERT_FATAL (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    sqlite3_busy_timeout (db, 5000);
    sqlite3_stmt *stmt = NULL;
    sqlite3_prepare_v2 (db, "SELECT coalesce (sum (balance), 0) FROM ledger_accounts", -1,
                        &stmt, NULL);
    int64_t sum = -1;
    if (stmt && sqlite3_step (stmt) == SQLITE_ROW)
        sum = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    return sum;
}

static char *
s_submit (s_hub_t *hub, const char *command, uint32_t replicas, uint32_t quorum,
          uint32_t window_s)
{
    char *argv [] = { "sh", "-c", (char *) command };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.n_argv = 3;
    spec.argv = argv;
    spec.replicas = replicas;
    spec.quorum = quorum;
    spec.challenge_window_s = window_s;
    Fogrid__SubmitRequest submit = FOGRID__SUBMIT_REQUEST__INIT;
    submit.spec = &spec;
    submit.client_token = "";
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_SUBMIT;
    env.submit = &submit;
    fg_env_t *reply = th_call (hub->buyer, &env);
    CU_ASSERT_FATAL (reply && reply->body_case == FOGRID__ENVELOPE__BODY_SUBMIT_REPLY);
    char *id = strdup (reply->submit_reply->task_id);
    fg_msg_free (&reply);
    return id;
}

static void
s_miner (th_fake_t *fake, s_hub_t *hub, const char *id)
{
    th_fake_connect (fake, hub->miner_port, id);
    th_fake_hello (fake, S_PRICE);
    fg_env_t *welcome = th_fake_expect (fake, FOGRID__ENVELOPE__BODY_MINER_WELCOME);
    CU_ASSERT_PTR_NOT_NULL_FATAL (welcome);
    fg_msg_free (&welcome);
}

//  The task's resolution, state and output hash, as a buyer sees them
typedef struct {
    char state [16];
    char resolution [16];
    char hash [65];
    uint64_t price;
    size_t runs;
} s_seen_t;

static s_seen_t
s_seen (s_hub_t *hub, const char *task_id)
{
    s_seen_t seen;
    fg_env_t *status = th_status (hub->buyer, task_id);
    Fogrid__TaskInfo *info = status->task_info;
    snprintf (seen.state, sizeof seen.state, "%s", info->state);
    snprintf (seen.resolution, sizeof seen.resolution, "%s", info->resolution);
    snprintf (seen.hash, sizeof seen.hash, "%s", info->output_hash);
    seen.price = info->price;
    seen.runs = info->n_runs;
    fg_msg_free (&status);
    return seen;
}

typedef struct {
    s_hub_t *hub;
    const char *task_id;
    const char *resolution;
} s_wait_t;

static bool
s_resolved (void *arg)
{
    s_wait_t *wait = (s_wait_t *) arg;
    return streq (s_seen (wait->hub, wait->task_id).resolution, wait->resolution);
}

static void s_stake (s_hub_t *hub, const char *miner_id, int64_t amount, bool withdraw,
                     const char *token, int expect_error);

//  --------------------------------------------------------------------------

static void
test_output_hash (void)
{
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    Fogrid__TaskResult one = FOGRID__TASK_RESULT__INIT, two = FOGRID__TASK_RESULT__INIT;
    one.stdout.data = (uint8_t *) "42\n";
    one.stdout.len = 3;
    two = one;
    char hash1 [65], hash2 [65];
    hub_output_hash (&spec, &one, hash1);
    hub_output_hash (&spec, &two, hash2);
    CU_ASSERT_EQUAL (strlen (hash1), 64);
    CU_ASSERT_STRING_EQUAL (hash1, hash2);
    //  The miner's SHA-256 of all stdout stands for the bytes it carries
    two.stdout_sha256 = "1b5e1a0c08a1c1a80d5b1a7e7b4bb3c0b5f5d1c1a6a5b1fa4e3e6f0a2b0c9d8e";
    hub_output_hash (&spec, &two, hash2);
    CU_ASSERT_STRING_NOT_EQUAL (hash1, hash2);
    two = one;
    two.exit_code = 1;
    hub_output_hash (&spec, &two, hash2);
    CU_ASSERT_STRING_NOT_EQUAL (hash1, hash2);
    two = one;
    two.stderr.data = (uint8_t *) "x";
    two.stderr.len = 1;
    hub_output_hash (&spec, &two, hash2);
    CU_ASSERT_STRING_NOT_EQUAL (hash1, hash2);
    //  Files: in path order whatever order the miner lists them; compare
    //  leaves out what it does not name
    Fogrid__OutputFile a = FOGRID__OUTPUT_FILE__INIT, b = FOGRID__OUTPUT_FILE__INIT;
    a.path = "out/a";
    a.content.data = (uint8_t *) "A";
    a.content.len = 1;
    a.size = 1;
    b.path = "log/when";
    b.content.data = (uint8_t *) "12:00";
    b.content.len = 5;
    b.size = 5;
    Fogrid__OutputFile *ab [] = { &a, &b }, *ba [] = { &b, &a };
    one.n_files = 2;
    one.files = ab;
    two = one;
    two.files = ba;
    hub_output_hash (&spec, &one, hash1);
    hub_output_hash (&spec, &two, hash2);
    CU_ASSERT_STRING_EQUAL (hash1, hash2);
    b.content.data = (uint8_t *) "12:01";
    hub_output_hash (&spec, &two, hash2);
    CU_ASSERT_STRING_NOT_EQUAL (hash1, hash2);
    char *compare [] = { "/out/" };
    spec.n_compare = 1;
    spec.compare = compare;
    hub_output_hash (&spec, &one, hash1);
    b.content.data = (uint8_t *) "12:02";
    hub_output_hash (&spec, &two, hash2);
    CU_ASSERT_STRING_EQUAL (hash1, hash2);
    //  No result, no hash
    two = one;
    two.error = "no such image";
    hub_output_hash (&spec, &two, hash2);
    CU_ASSERT_STRING_EQUAL (hash2, "");
}

//  Without a window a result is soft at once and paid (today's behaviour);
//  with one, the pay waits in escrow until the window passes, also across
//  a restart of the hub
static void
test_window (void)
{
    s_hub_t hub;
    s_open (&hub, "court-window", "hub/spot_check_permille", "0", NULL);
    th_fake_t fake;
    s_miner (&fake, &hub, "m-honest");
    s_deposit (&hub, 1000, "dep-1");

    uint32_t attempt;
    char *task = s_submit (&hub, "echo 42", 0, 0, 0);
    char *given = th_fake_assigned (&fake, &attempt);
    char *receipt = th_fake_result_out (&fake, task, attempt, 0, "42\n");
    CU_ASSERT_NOT_EQUAL (strlen (receipt), 0);
    free (receipt);
    s_seen_t seen = s_seen (&hub, task);
    CU_ASSERT_STRING_EQUAL (seen.state, "succeeded");
    CU_ASSERT_STRING_EQUAL (seen.resolution, "soft");
    CU_ASSERT_EQUAL (strlen (seen.hash), 64);
    CU_ASSERT_EQUAL (s_balance (&hub, "miner:m-honest"), 95);
    free (task);
    free (given);

    //  A window of 3 s: pending, paid nothing, the price held
    task = s_submit (&hub, "echo 42", 0, 0, 3);
    given = th_fake_assigned (&fake, &attempt);
    receipt = th_fake_result_out (&fake, task, attempt, 0, "42\n");
    CU_ASSERT_STRING_EQUAL (receipt, "");
    free (receipt);
    seen = s_seen (&hub, task);
    CU_ASSERT_STRING_EQUAL (seen.state, "succeeded");
    CU_ASSERT_STRING_EQUAL (seen.resolution, "pending");
    CU_ASSERT_EQUAL (seen.price, S_PRICE);
    CU_ASSERT_EQUAL (s_balance (&hub, "miner:m-honest"), 95);
    char escrow [64];
    snprintf (escrow, sizeof escrow, "escrow:%s", task);
    CU_ASSERT_EQUAL (s_balance (&hub, escrow), S_PRICE);
    //  The JSON API and /metrics show it
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
    json_t *recent = json_object_get (overview, "recent");
    bool shown = false;
    for (size_t index = 0; index < json_array_size (recent); index++) {
        json_t *entry = json_array_get (recent, index);
        if (streq (json_string_value (json_object_get (entry, "id")), task)) {
            shown = streq (json_string_value (json_object_get (entry, "resolution")), "pending")
                 && json_integer_value (json_object_get (entry, "resolve_at_ms")) > 0;
        }
    }
    CU_ASSERT_TRUE (shown);
    json_decref (overview);
    snprintf (url, sizeof url, "http://127.0.0.1:%d/metrics", port);
    CU_ASSERT_EQUAL_FATAL (fg_http_get (url, 2000, "test", &body, err, sizeof err), 0);
    char *metrics = zchunk_strdup (body);
    zchunk_destroy (&body);
    CU_ASSERT_PTR_NOT_NULL (strstr (metrics, "fogrid_hub_tasks_resolution{resolution=\"pending\"} 1"));
    CU_ASSERT_PTR_NOT_NULL (strstr (metrics, "fogrid_hub_tasks_resolution{resolution=\"soft\"} 1"));
    free (metrics);

    //  The hub stops inside the window and starts again: the window is
    //  still watched, and the miner is paid once
    th_fake_close (&fake);
    s_stop (&hub);
    s_start (&hub);
    CU_ASSERT_STRING_EQUAL (s_seen (&hub, task).resolution, "pending");
    s_wait_t wait = { &hub, task, "soft" };
    CU_ASSERT_TRUE (ts_wait_for (s_resolved, &wait, 8000));
    CU_ASSERT_EQUAL (s_balance (&hub, "miner:m-honest"), 190);
    CU_ASSERT_EQUAL (s_balance (&hub, escrow), 0);
    CU_ASSERT_EQUAL (s_balance (&hub, "buyer:anonymous"), 800);
    CU_ASSERT_EQUAL (s_books_sum (&hub), 0);
    s_stop (&hub);
    s_start (&hub);
    zclock_sleep (300);
    CU_ASSERT_EQUAL (s_balance (&hub, "miner:m-honest"), 190);
    free (task);
    free (given);
    s_close (&hub);
}

//  Each of three miners gets one run; answers the runs it gets with out
static char *
s_run_answer (th_fake_t *fake, const char *out)
{
    uint32_t attempt;
    char *run = th_fake_assigned (fake, &attempt);
    free (th_fake_result_out (fake, run, attempt, 0, out));
    return run;
}

//  3 replicas, quorum 2: two honest miners outvote a third that makes up
//  its stdout; only the two are paid, the buyer gets the third's share back
static void
test_quorum (void)
{
    s_hub_t hub;
    s_open (&hub, "court-quorum", NULL);
    th_fake_t honest1, honest2, cheat;
    s_miner (&honest1, &hub, "m-honest-1");
    s_miner (&honest2, &hub, "m-honest-2");
    s_miner (&cheat, &hub, "m-cheat");
    s_deposit (&hub, 1000, "dep-1");
    s_stake (&hub, "m-cheat", 200, false, "stake-1", 0);

    char *task = s_submit (&hub, "echo 42", 3, 2, 0);
    s_seen_t seen = s_seen (&hub, task);
    CU_ASSERT_STRING_EQUAL (seen.state, "pending");
    CU_ASSERT_EQUAL (seen.runs, 3);
    //  One run each: distinct owners
    char *run1 = s_run_answer (&cheat, "made up\n");
    char *run2 = s_run_answer (&honest1, "42\n");
    char *run3 = s_run_answer (&honest2, "42\n");
    CU_ASSERT_STRING_NOT_EQUAL (run1, run2);
    CU_ASSERT_STRING_NOT_EQUAL (run2, run3);
    s_wait_t wait = { &hub, task, "soft" };
    CU_ASSERT_TRUE (ts_wait_for (s_resolved, &wait, 5000));
    seen = s_seen (&hub, task);
    CU_ASSERT_STRING_EQUAL (seen.state, "succeeded");
    //  The task's result is the quorum's
    Fogrid__ResultRequest request = FOGRID__RESULT_REQUEST__INIT;
    request.task_id = task;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_RESULT;
    env.result = &request;
    fg_env_t *reply = th_call (hub.buyer, &env);
    CU_ASSERT_FATAL (reply && reply->body_case == FOGRID__ENVELOPE__BODY_RESULT_REPLY);
    CU_ASSERT_EQUAL (reply->result_reply->stdout.len, 3);
    CU_ASSERT_EQUAL (memcmp (reply->result_reply->stdout.data, "42\n", 3), 0);
    fg_msg_free (&reply);
    CU_ASSERT_EQUAL (s_balance (&hub, "miner:m-honest-1"), 95);
    CU_ASSERT_EQUAL (s_balance (&hub, "miner:m-honest-2"), 95);
    CU_ASSERT_EQUAL (s_balance (&hub, "miner:m-cheat"), 0);
    //  The cheat's run is refunded, and half its stake goes to the buyer
    CU_ASSERT_EQUAL (s_balance (&hub, "stake:m-cheat"), 100);
    CU_ASSERT_EQUAL (s_balance (&hub, "buyer:anonymous"), 1000 - 200 - 2 * S_PRICE + 100);
    CU_ASSERT_STRING_EQUAL (s_seen (&hub, run1).resolution, "hard");
    CU_ASSERT_EQUAL (s_books_sum (&hub), 0);
    free (run1);
    free (run2);
    free (run3);
    free (task);

    //  Three answers, none agreeing: the task fails, saying so, and no
    //  run is paid
    task = s_submit (&hub, "date", 3, 2, 0);
    free (s_run_answer (&honest1, "a\n"));
    free (s_run_answer (&honest2, "b\n"));
    free (s_run_answer (&cheat, "c\n"));
    zclock_sleep (300);
    fg_env_t *status = th_status (hub.buyer, task);
    CU_ASSERT_STRING_EQUAL (status->task_info->state, "failed");
    CU_ASSERT_PTR_NOT_NULL (strstr (status->task_info->reason, "no quorum"));
    CU_ASSERT_EQUAL (status->task_info->n_runs, 3);
    fg_msg_free (&status);
    CU_ASSERT_EQUAL (s_balance (&hub, "buyer:anonymous"), 1000 - 200 - 2 * S_PRICE + 100);
    CU_ASSERT_EQUAL (s_balance (&hub, "miner:m-honest-1"), 95);
    CU_ASSERT_EQUAL (s_books_sum (&hub), 0);
    free (task);

    //  A replicated task cancelled before its runs are placed: they go too
    th_fake_close (&honest1);
    th_fake_close (&honest2);
    th_fake_close (&cheat);
    s_stop (&hub);
    s_start (&hub);
    task = s_submit (&hub, "echo 42", 3, 2, 0);
    Fogrid__CancelRequest cancel = FOGRID__CANCEL_REQUEST__INIT;
    cancel.task_id = task;
    env.body_case = FOGRID__ENVELOPE__BODY_CANCEL;
    env.cancel = &cancel;
    reply = th_call (hub.buyer, &env);
    CU_ASSERT_FATAL (reply && reply->body_case == FOGRID__ENVELOPE__BODY_TASK_INFO);
    fg_msg_free (&reply);
    char run [64];
    snprintf (run, sizeof run, "%s-r2", task);
    zclock_sleep (200);
    CU_ASSERT_STRING_EQUAL (s_seen (&hub, run).state, "cancelled");
    free (task);
    s_close (&hub);
}

//  A fake miner saying hello with a label region=VALUE
static void
s_miner_in (th_fake_t *fake, s_hub_t *hub, const char *id, const char *region)
{
    th_fake_connect (fake, hub->miner_port, id);
    char *runtimes [] = { "process" };
    Fogrid__Label label = FOGRID__LABEL__INIT;
    label.key = "region";
    label.value = (char *) region;
    Fogrid__Label *labels [] = { &label };
    Fogrid__Resources res = FOGRID__RESOURCES__INIT;
    res.cores = 4;
    res.mem_mb = 4096;
    res.n_runtimes = 1;
    res.runtimes = runtimes;
    res.n_labels = 1;
    res.labels = labels;
    res.price = S_PRICE;
    Fogrid__MinerHello hello = FOGRID__MINER_HELLO__INIT;
    hello.miner_id = fake->id;
    hello.name = fake->id;
    hello.version = "test";
    hello.resources = &res;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_MINER_HELLO;
    env.miner_hello = &hello;
    env.seq = 1;
    CU_ASSERT_EQUAL (fg_msg_send (fake->sock, NULL, &env), 0);
    fg_env_t *welcome = th_fake_expect (fake, FOGRID__ENVELOPE__BODY_MINER_WELCOME);
    CU_ASSERT_PTR_NOT_NULL_FATAL (welcome);
    fg_msg_free (&welcome);
}

//  hub/replica_label: replicas go to miners of distinct owners and regions
static void
test_replica_label (void)
{
    s_hub_t hub;
    s_open (&hub, "court-label", "hub/replica_label", "region", NULL);
    th_fake_t eu1, eu2, us;
    s_miner_in (&eu1, &hub, "m-eu-1", "eu");
    s_miner_in (&eu2, &hub, "m-eu-2", "eu");
    s_miner_in (&us, &hub, "m-us", "us");
    char *task = s_submit (&hub, "echo 42", 2, 2, 0);
    //  One run in the US, one in Europe: never both on the two in Europe
    free (s_run_answer (&us, "42\n"));
    zpoller_t *poller = zpoller_new (eu1.sock, eu2.sock, NULL);
    zsock_t *which = (zsock_t *) zpoller_wait (poller, 3000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (which);
    th_fake_t *europe = which == eu1.sock? &eu1: &eu2, *other = which == eu1.sock? &eu2: &eu1;
    free (s_run_answer (europe, "42\n"));
    zsock_set_rcvtimeo (other->sock, 500);
    fg_env_t *nothing = th_fake_expect (other, FOGRID__ENVELOPE__BODY_TASK_ASSIGN);
    CU_ASSERT_PTR_NULL (nothing);
    fg_msg_free (&nothing);
    s_wait_t wait = { &hub, task, "soft" };
    CU_ASSERT_TRUE (ts_wait_for (s_resolved, &wait, 5000));
    zpoller_destroy (&poller);
    free (task);
    th_fake_close (&eu1);
    th_fake_close (&eu2);
    th_fake_close (&us);
    s_close (&hub);
}

//  Puts down a stake for a miner (a plain-text hub: any caller may)
static void
s_stake (s_hub_t *hub, const char *miner_id, int64_t amount, bool withdraw, const char *token,
         int expect_error)
{
    Fogrid__StakeRequest request = FOGRID__STAKE_REQUEST__INIT;
    request.miner_id = (char *) miner_id;
    request.amount = amount;
    request.withdraw = withdraw;
    request.token = (char *) token;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_STAKE;
    env.stake = &request;
    fg_env_t *reply = th_call (hub->buyer, &env);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    if (expect_error) {
        CU_ASSERT_EQUAL (reply->body_case, FOGRID__ENVELOPE__BODY_ERROR);
        if (reply->body_case == FOGRID__ENVELOPE__BODY_ERROR)
            CU_ASSERT_EQUAL ((int) reply->error->code, expect_error);
    }
    else
        CU_ASSERT_EQUAL (reply->body_case, FOGRID__ENVELOPE__BODY_TRANSFER_REPLY);
    fg_msg_free (&reply);
}

//  Challenges a task; returns the hub's error code (0: taken)
static int
s_challenge (s_hub_t *hub, const char *task_id)
{
    Fogrid__ChallengeRequest request = FOGRID__CHALLENGE_REQUEST__INIT;
    request.task_id = (char *) task_id;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_CHALLENGE;
    env.challenge = &request;
    fg_env_t *reply = th_call (hub->buyer, &env);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    int code = reply->body_case == FOGRID__ENVELOPE__BODY_OK? 0
             : reply->body_case == FOGRID__ENVELOPE__BODY_ERROR? (int) reply->error->code: -1;
    fg_msg_free (&reply);
    return code;
}

//  The signed verdict on a task (caller frees), NULL when none
static char *
s_verdict (s_hub_t *hub, const char *task_id)
{
    Fogrid__VerdictRequest request = FOGRID__VERDICT_REQUEST__INIT;
    request.task_id = (char *) task_id;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_VERDICT;
    env.verdict = &request;
    fg_env_t *reply = th_call (hub->buyer, &env);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    char *json = reply->body_case == FOGRID__ENVELOPE__BODY_VERDICT_REPLY?
                 strdup (reply->verdict_reply->verdict): NULL;
    fg_msg_free (&reply);
    return json;
}

//  The verdict verifies offline, and does not once anything in it changed
static void
s_check_verdict (const char *json, const char *decision, size_t runs)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL (json);
    fg_verdict_t verdict;
    char err [300] = "";
    CU_ASSERT_EQUAL_FATAL (fg_verdict_parse (&verdict, json, err, sizeof err), 0);
    CU_ASSERT_EQUAL (fg_verdict_verify (&verdict, verdict.hub_key, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL (verdict.decision, decision);
    CU_ASSERT_EQUAL (verdict.n_runs, runs);
    fg_verdict_t changed = verdict;
    snprintf (changed.decision, sizeof changed.decision, "%s",
              streq (decision, "upheld")? "overturned": "upheld");
    CU_ASSERT_NOT_EQUAL (fg_verdict_verify (&changed, NULL, err, sizeof err), 0);
    changed = verdict;
    changed.runs [0].hash [0] = changed.runs [0].hash [0] == 'a'? 'b': 'a';
    CU_ASSERT_NOT_EQUAL (fg_verdict_verify (&changed, NULL, err, sizeof err), 0);
    CU_ASSERT_NOT_EQUAL (fg_verdict_verify (&verdict, "00", err, sizeof err), 0);
}

static void
s_stdout_is (s_hub_t *hub, const char *task_id, const char *text)
{
    Fogrid__ResultRequest request = FOGRID__RESULT_REQUEST__INIT;
    request.task_id = (char *) task_id;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_RESULT;
    env.result = &request;
    fg_env_t *reply = th_call (hub->buyer, &env);
    CU_ASSERT_FATAL (reply && reply->body_case == FOGRID__ENVELOPE__BODY_RESULT_REPLY);
    CU_ASSERT_EQUAL (reply->result_reply->stdout.len, strlen (text));
    if (reply->result_reply->stdout.len == strlen (text))
        CU_ASSERT_EQUAL (memcmp (reply->result_reply->stdout.data, text, strlen (text)), 0);
    fg_msg_free (&reply);
}

//  A made-up stdout is challenged and overturned: the cheat is not paid,
//  its stake pays the checks and rewards the challenger, the buyer is
//  refunded and gets the checks' output; a hub stopped in the middle of
//  the verification finishes it after its restart and pays once
static void
test_challenge (void)
{
    s_hub_t hub;
    s_open (&hub, "court-challenge", "hub/spot_check_permille", "0",
            "hub/challenge_deposit", "100", "hub/slash_percent", "50", NULL);
    s_deposit (&hub, 2000, "dep-1");
    th_fake_t cheat, check1, check2;
    s_miner (&cheat, &hub, "m-cheat");
    s_stake (&hub, "m-cheat", 1000, false, "stake-1", 0);
    CU_ASSERT_EQUAL (s_balance (&hub, "stake:m-cheat"), 1000);

    uint32_t attempt;
    char *task = s_submit (&hub, "echo 42", 0, 0, 60);
    char *given = th_fake_assigned (&cheat, &attempt);
    free (th_fake_result_out (&cheat, task, attempt, 0, "made up\n"));
    CU_ASSERT_STRING_EQUAL (s_seen (&hub, task).resolution, "pending");
    //  A stake is not taken back while its miner holds an unresolved task
    s_stake (&hub, "m-cheat", 10, true, "unstake-1", FG_E_STATE);
    CU_ASSERT_PTR_NULL (s_verdict (&hub, task));

    CU_ASSERT_EQUAL (s_challenge (&hub, task), 0);
    CU_ASSERT_EQUAL (s_challenge (&hub, task), FG_E_STATE);
    CU_ASSERT_STRING_EQUAL (s_seen (&hub, task).resolution, "challenged");
    CU_ASSERT_EQUAL (s_balance (&hub, "buyer:anonymous"), 2000 - 1000 - S_PRICE - 100);
    //  The checks go to miners not involved so far
    s_miner (&check1, &hub, "m-check-1");
    s_miner (&check2, &hub, "m-check-2");
    free (s_run_answer (&check1, "42\n"));

    //  Stopped in the middle of the verification, started again
    th_fake_close (&cheat);
    th_fake_close (&check1);
    th_fake_close (&check2);
    s_stop (&hub);
    s_start (&hub);
    s_miner (&check1, &hub, "m-check-1");
    s_miner (&check2, &hub, "m-check-2");
    CU_ASSERT_STRING_EQUAL (s_seen (&hub, task).resolution, "challenged");
    free (s_run_answer (&check2, "42\n"));
    s_wait_t wait = { &hub, task, "hard" };
    CU_ASSERT_TRUE (ts_wait_for (s_resolved, &wait, 5000));
    s_stdout_is (&hub, task, "42\n");
    CU_ASSERT_EQUAL (s_balance (&hub, "miner:m-cheat"), 0);
    CU_ASSERT_EQUAL (s_balance (&hub, "stake:m-cheat"), 500);
    CU_ASSERT_EQUAL (s_balance (&hub, "miner:m-check-1"), S_PRICE);
    CU_ASSERT_EQUAL (s_balance (&hub, "miner:m-check-2"), S_PRICE);
    //  Refunded, the deposit back, and the rest of the slash as a reward
    CU_ASSERT_EQUAL (s_balance (&hub, "buyer:anonymous"), 2000 - 1000 + 500 - 2 * S_PRICE);
    CU_ASSERT_EQUAL (s_books_sum (&hub), 0);
    char *json = s_verdict (&hub, task);
    s_check_verdict (json, "overturned", 3);
    free (json);
    //  Once: a restart pays nothing again
    s_stop (&hub);
    s_start (&hub);
    zclock_sleep (300);
    CU_ASSERT_EQUAL (s_balance (&hub, "miner:m-check-1"), S_PRICE);
    CU_ASSERT_EQUAL (s_balance (&hub, "buyer:anonymous"), 2000 - 1000 + 500 - 2 * S_PRICE);
    //  Its record shows it
    Fogrid__MinersRequest miners = FOGRID__MINERS_REQUEST__INIT;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_MINERS;
    env.miners = &miners;
    fg_env_t *reply = th_call (hub.buyer, &env);
    CU_ASSERT_FATAL (reply && reply->body_case == FOGRID__ENVELOPE__BODY_MINERS_REPLY);
    for (size_t index = 0; index < reply->miners_reply->n_miners; index++) {
        Fogrid__MinerInfo *info = reply->miners_reply->miners [index];
        if (streq (info->miner_id, "m-cheat")) {
            CU_ASSERT_EQUAL (info->verdicts_lost, 1);
            CU_ASSERT_TRUE (info->reputation < 0.1);
            CU_ASSERT_EQUAL (info->stake, 500);
        }
        if (streq (info->miner_id, "m-check-1"))
            CU_ASSERT_EQUAL (info->reputation, 1.0);
    }
    fg_msg_free (&reply);
    free (task);
    free (given);
    th_fake_close (&check1);
    th_fake_close (&check2);

    //  A challenge of a right result loses its deposit: it pays the checks,
    //  the rest goes to the miner that was right
    th_fake_t honest;
    s_miner (&honest, &hub, "m-honest");
    s_miner (&check1, &hub, "m-check-1");
    s_miner (&check2, &hub, "m-check-2");
    task = s_submit (&hub, "echo 42", 0, 0, 60);
    //  Whoever gets it answers right
    th_fake_t *fakes [] = { &honest, &check1, &check2 };
    zpoller_t *poller = zpoller_new (honest.sock, check1.sock, check2.sock, NULL);
    zsock_t *which = (zsock_t *) zpoller_wait (poller, 3000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (which);
    th_fake_t *runner = which == honest.sock? &honest: which == check1.sock? &check1: &check2;
    free (s_run_answer (runner, "42\n"));
    int64_t before = s_balance (&hub, "buyer:anonymous");
    CU_ASSERT_EQUAL (s_challenge (&hub, task), 0);
    for (size_t index = 0; index < 3; index++)
        if (fakes [index] != runner)
            free (s_run_answer (fakes [index], "42\n"));
    wait.task_id = task;
    CU_ASSERT_TRUE (ts_wait_for (s_resolved, &wait, 5000));
    CU_ASSERT_EQUAL (s_balance (&hub, "buyer:anonymous"), before - 100);
    json = s_verdict (&hub, task);
    s_check_verdict (json, "upheld", 3);
    free (json);
    CU_ASSERT_EQUAL (s_books_sum (&hub), 0);
    //  Nothing unresolved: the cheat's stake comes back
    s_stake (&hub, "m-cheat", 500, true, "unstake-2", 0);
    CU_ASSERT_EQUAL (s_balance (&hub, "stake:m-cheat"), 0);
    CU_ASSERT_EQUAL (s_books_sum (&hub), 0);
    zpoller_destroy (&poller);
    free (task);
    th_fake_close (&honest);
    th_fake_close (&check1);
    th_fake_close (&check2);
    s_close (&hub);
}

//  A challenge no independent miner can check in time (as long again as
//  the window) ends undecided: the deposit back, the miner paid
static void
test_unchecked (void)
{
    s_hub_t hub;
    s_open (&hub, "court-unchecked", "hub/spot_check_permille", "0",
            "hub/heartbeat_ms", "200", NULL);
    s_deposit (&hub, 1000, "dep-1");
    th_fake_t alone;
    s_miner (&alone, &hub, "m-alone");
    uint32_t attempt;
    char *task = s_submit (&hub, "echo 42", 0, 0, 2);
    char *given = th_fake_assigned (&alone, &attempt);
    free (th_fake_result_out (&alone, task, attempt, 0, "42\n"));
    CU_ASSERT_EQUAL (s_challenge (&hub, task), 0);
    CU_ASSERT_EQUAL (s_balance (&hub, "buyer:anonymous"), 1000 - S_PRICE - 100);
    s_wait_t wait = { &hub, task, "hard" };
    CU_ASSERT_TRUE (ts_wait_for (s_resolved, &wait, 8000));
    char *json = s_verdict (&hub, task);
    s_check_verdict (json, "undecided", 1);
    free (json);
    CU_ASSERT_EQUAL (s_balance (&hub, "buyer:anonymous"), 1000 - S_PRICE);
    CU_ASSERT_EQUAL (s_balance (&hub, "miner:m-alone"), 95);
    char run [64];
    snprintf (run, sizeof run, "%s-v1", task);
    CU_ASSERT_STRING_EQUAL (s_seen (&hub, run).state, "cancelled");
    CU_ASSERT_EQUAL (s_books_sum (&hub), 0);
    free (task);
    free (given);
    th_fake_close (&alone);
    s_close (&hub);
}

//  A spot check catches a miner nobody challenged: its checks go to the
//  court, which slashes it and refunds the buyer
static void
test_spot_check (void)
{
    s_hub_t hub;
    s_open (&hub, "court-spot", "hub/spot_check_permille", "1000", NULL);
    s_deposit (&hub, 2000, "dep-1");
    th_fake_t cheat, spot, check1, check2;
    s_miner (&cheat, &hub, "m-cheat");
    s_stake (&hub, "m-cheat", 400, false, "stake-1", 0);
    uint32_t attempt;
    char *task = s_submit (&hub, "echo 42", 0, 0, 60);
    char *given = th_fake_assigned (&cheat, &attempt);
    s_miner (&spot, &hub, "m-spot");
    free (th_fake_result_out (&cheat, task, attempt, 0, "made up\n"));
    free (s_run_answer (&spot, "42\n"));
    s_wait_t wait = { &hub, task, "challenged" };
    CU_ASSERT_TRUE (ts_wait_for (s_resolved, &wait, 5000));
    s_miner (&check1, &hub, "m-check-1");
    s_miner (&check2, &hub, "m-check-2");
    free (s_run_answer (&check1, "42\n"));
    free (s_run_answer (&check2, "42\n"));
    wait.resolution = "hard";
    CU_ASSERT_TRUE (ts_wait_for (s_resolved, &wait, 5000));
    s_stdout_is (&hub, task, "42\n");
    CU_ASSERT_EQUAL (s_balance (&hub, "miner:m-cheat"), 0);
    CU_ASSERT_EQUAL (s_balance (&hub, "stake:m-cheat"), 200);
    //  The slash paid the spot check and the checks
    CU_ASSERT_EQUAL (s_balance (&hub, "miner:m-spot") + s_balance (&hub, "miner:m-check-1")
                     + s_balance (&hub, "miner:m-check-2"), 200);
    CU_ASSERT_EQUAL (s_balance (&hub, "buyer:anonymous"), 2000 - 400);
    char *json = s_verdict (&hub, task);
    s_check_verdict (json, "overturned", 4);
    free (json);
    CU_ASSERT_EQUAL (s_books_sum (&hub), 0);
    free (task);
    free (given);
    th_fake_close (&cheat);
    th_fake_close (&spot);
    th_fake_close (&check1);
    th_fake_close (&check2);
    s_close (&hub);
}

//  hub/min_stake keeps unstaked miners off paid work; a constraint on
//  reputation keeps a miner that lost a verdict off a task
static void
test_stake_and_reputation (void)
{
    s_hub_t hub;
    s_open (&hub, "court-stake", "hub/min_stake", "50", "hub/min_stake_price", "10", NULL);
    s_deposit (&hub, 1000, "dep-1");
    th_fake_t fake;
    s_miner (&fake, &hub, "m-1");
    char *task = s_submit (&hub, "true", 0, 0, 0);
    zclock_sleep (300);
    CU_ASSERT_STRING_EQUAL (s_seen (&hub, task).state, "pending");
    s_stake (&hub, "m-1", 50, false, "stake-1", 0);
    //  Placed at the next round (a heartbeat's tick at the latest)
    uint32_t attempt;
    char *given = th_fake_assigned (&fake, &attempt);
    CU_ASSERT_STRING_EQUAL (given, task);
    free (th_fake_result (&fake, task, attempt, 0));
    CU_ASSERT_EQUAL (s_balance (&hub, "miner:m-1"), 95);
    //  Resolved, nothing held: the stake comes back, and the miner is
    //  off paid work again
    s_stake (&hub, "m-1", 50, true, "unstake-1", 0);
    s_stake (&hub, "m-1", 50, true, "unstake-2", FG_E_FUNDS);
    CU_ASSERT_EQUAL (s_books_sum (&hub), 0);
    free (task);
    free (given);
    th_fake_close (&fake);
    s_close (&hub);

    //  A constraint on reputation: a miner with a lost verdict gets nothing
    //  that asks for 0.9
    s_open (&hub, "court-reputation", NULL);
    th_fake_t bad, good;
    s_miner (&bad, &hub, "m-bad");
    char path [1024];
    snprintf (path, sizeof path, "%s/hub.db", hub.dir);
    s_stop (&hub);
    th_sql (hub.dir, "INSERT INTO miner_reputation (miner_id, verdicts_lost) VALUES ('m-bad', 1)");
    s_start (&hub);
    th_fake_close (&bad);
    s_miner (&bad, &hub, "m-bad");
    char *argv [] = { "true" };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.n_argv = 1;
    spec.argv = argv;
    spec.constraint = "reputation >= 0.9";
    Fogrid__SubmitRequest submit = FOGRID__SUBMIT_REQUEST__INIT;
    submit.spec = &spec;
    submit.client_token = "";
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_SUBMIT;
    env.submit = &submit;
    fg_env_t *reply = th_call (hub.buyer, &env);
    CU_ASSERT_FATAL (reply && reply->body_case == FOGRID__ENVELOPE__BODY_SUBMIT_REPLY);
    task = strdup (reply->submit_reply->task_id);
    fg_msg_free (&reply);
    zclock_sleep (300);
    CU_ASSERT_STRING_EQUAL (s_seen (&hub, task).state, "pending");
    s_miner (&good, &hub, "m-good");
    given = th_fake_assigned (&good, &attempt);
    CU_ASSERT_STRING_EQUAL (given, task);
    free (given);
    free (task);
    th_fake_close (&bad);
    th_fake_close (&good);
    s_close (&hub);
}

//  --------------------------------------------------------------------------
//  The court from the command line, on a hub process killed -9 in the
//  middle of a verification

static ts_proc_t *
s_hub_process (const char *dir, const char *name, int buyer_port, int miner_port)
{
    char buyers [64], miners [64], data [700];
    snprintf (buyers, sizeof buyers, "tcp://127.0.0.1:%d", buyer_port);
    snprintf (miners, sizeof miners, "tcp://127.0.0.1:%d", miner_port);
    snprintf (data, sizeof data, "%s/hub", dir);
    return ts_proc_start (dir, name, "fogrid-hub", "--buyers", buyers, "--miners", miners,
                          "--locator", "", "--data", data, "-o", "security/insecure=1",
                          "-o", "hub/http=", "-o", "hub/heartbeat_ms=2000",
                          "-o", "hub/disconnect_ms=20000", "-o", "hub/dead_ms=40000",
                          "-o", "hub/open_deposits=1", "-o", "hub/admin_keys=*",
                          "-o", "hub/spot_check_permille=0", "-o", "hub/fee_percent=5", NULL);
}

typedef struct {
    th_cli_t *cli;
    const char *task;
    const char *want;
} s_cli_wait_t;

static bool
s_cli_shows (void *arg)
{
    s_cli_wait_t *wait = (s_cli_wait_t *) arg;
    char *output = NULL;
    th_cli (wait->cli, &output, "", "status %s", wait->task);
    bool shows = output && strstr (output, wait->want);
    free (output);
    return shows;
}

static void
test_cli_kill (void)
{
    char *dir = ts_tmpdir_new ("court-cli");
    th_cli_t cli = { .port = ts_free_port (), .secure = false };
    int miner_port = ts_free_port ();
    ts_proc_t *hub = s_hub_process (dir, "hub", cli.port, miner_port);
    char *output = NULL;
    int64_t deadline = zclock_mono () + 10000;
    while (th_cli (&cli, NULL, "", "health") != 0 && zclock_mono () < deadline)
        zclock_sleep (100);
    CU_ASSERT_EQUAL_FATAL (th_cli (&cli, NULL, "", "deposit 3000"), 0);
    CU_ASSERT_EQUAL (th_cli (&cli, &output, "", "stake deposit m-cheat 1000"), 0);
    free (output);
    th_fake_t cheat, check1, check2;
    th_fake_connect (&cheat, miner_port, "m-cheat");
    th_fake_hello (&cheat, S_PRICE);
    char *task = th_cli_submit (&cli, "", "--challenge-window 120 -- sh -c 'echo 42'");
    CU_ASSERT_PTR_NOT_NULL_FATAL (task);
    uint32_t attempt;
    char *given = th_fake_assigned (&cheat, &attempt);
    free (th_fake_result_out (&cheat, task, attempt, 0, "made up\n"));
    s_cli_wait_t wait = { &cli, task, "resolution pending (challenge window until" };
    CU_ASSERT_TRUE (ts_wait_for (s_cli_shows, &wait, 5000));
    CU_ASSERT_EQUAL (th_cli (&cli, &output, "", "challenge %s", task), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "challenged"));
    free (output);
    CU_ASSERT_NOT_EQUAL (th_cli (&cli, &output, "", "challenge %s", task), 0);
    free (output);
    th_fake_connect (&check1, miner_port, "m-check-1");
    th_fake_hello (&check1, S_PRICE);
    th_fake_connect (&check2, miner_port, "m-check-2");
    th_fake_hello (&check2, S_PRICE);
    free (s_run_answer (&check1, "42\n"));
    //  The second check was sent; the hub is killed before its result
    fg_env_t *assign = th_fake_expect (&check2, FOGRID__ENVELOPE__BODY_TASK_ASSIGN);
    CU_ASSERT_PTR_NOT_NULL (assign);
    fg_msg_free (&assign);
    ts_proc_kill (&hub);
    th_fake_close (&cheat);
    th_fake_close (&check1);
    th_fake_close (&check2);
    hub = s_hub_process (dir, "hub-again", cli.port, miner_port);
    deadline = zclock_mono () + 10000;
    while (th_cli (&cli, NULL, "", "health") != 0 && zclock_mono () < deadline)
        zclock_sleep (100);
    wait.want = "resolution challenged";
    CU_ASSERT_TRUE (ts_wait_for (s_cli_shows, &wait, 5000));
    th_fake_connect (&check1, miner_port, "m-check-1");
    th_fake_hello (&check1, S_PRICE);
    th_fake_connect (&check2, miner_port, "m-check-2");
    th_fake_hello (&check2, S_PRICE);
    //  Its check is given again (its miner no longer runs it), to it alone
    free (s_run_answer (&check2, "42\n"));
    wait.want = "resolution hard";
    CU_ASSERT_TRUE (ts_wait_for (s_cli_shows, &wait, 8000));
    CU_ASSERT_EQUAL (th_cli_balance (&cli, "", "miner:m-check-1"), S_PRICE);
    CU_ASSERT_EQUAL (th_cli_balance (&cli, "", "miner:m-check-2"), S_PRICE);
    CU_ASSERT_EQUAL (th_cli_balance (&cli, "", "stake:m-cheat"), 500);
    CU_ASSERT_EQUAL (th_cli_balance (&cli, "", "miner:m-cheat"), 0);
    CU_ASSERT_EQUAL (th_cli (&cli, &output, "", "result %s", task), 0);
    CU_ASSERT_PTR_NOT_NULL (output && strstr (output, "42"));
    CU_ASSERT_PTR_NULL (output && strstr (output, "made up"));
    free (output);

    //  The verdict, checked offline against the hub's ledger key
    char file [700], key [80] = "";
    snprintf (file, sizeof file, "%s/verdict.json", dir);
    CU_ASSERT_EQUAL (th_cli (&cli, NULL, "", "verdict -o %s %s", file, task), 0);
    char *text = ts_read_text (dir, "verdict.json");
    CU_ASSERT_PTR_NOT_NULL_FATAL (text);
    fg_verdict_t verdict;
    char err [300];
    CU_ASSERT_EQUAL_FATAL (fg_verdict_parse (&verdict, text, err, sizeof err), 0);
    snprintf (key, sizeof key, "%s", verdict.hub_key);
    free (text);
    CU_ASSERT_EQUAL (ts_run (&output, "%s verify-verdict --hub-key %s %s", ts_bin ("fogrid"), key,
                             file), 0);
    CU_ASSERT_PTR_NOT_NULL (output && strstr (output, "overturned"));
    free (output);
    CU_ASSERT_EQUAL (ts_run (NULL, "sed -i 's/overturned/upheld/' %s", file), 0);
    CU_ASSERT_NOT_EQUAL (ts_run (&output, "%s verify-verdict --hub-key %s %s", ts_bin ("fogrid"),
                                 key, file), 0);
    CU_ASSERT_PTR_NOT_NULL (output && strstr (output, "bad signature"));
    free (output);
    //  The books hold: sum 0, chain and receipts checked
    CU_ASSERT_EQUAL (th_cli (&cli, &output, "", "admin books"), 0);
    free (output);
    CU_ASSERT_EQUAL (th_cli (&cli, &output, "", "miners"), 0);
    CU_ASSERT_PTR_NOT_NULL (output && strstr (output, "REP"));
    free (output);
    free (task);
    free (given);
    th_fake_close (&check1);
    th_fake_close (&check2);
    CU_ASSERT_EQUAL (ts_proc_stop (&hub, 5000), 0);
    ts_tmpdir_remove (&dir);
}

void
test_hub_court_add (void)
{
    ts_add_suite ("hub_court",
        "the output hash: canonical, what it covers", test_output_hash,
        "the challenge window holds the pay, across a restart", test_window,
        "replicas: a quorum outvotes a lying miner; no quorum fails", test_quorum,
        "replicas in distinct regions (hub/replica_label)", test_replica_label,
        "a challenge overturns a lie, across a restart; a wrong one loses its deposit",
        test_challenge,
        "a spot check sends a lie to the court", test_spot_check,
        "a challenge nobody independent can check ends undecided", test_unchecked,
        "stakes before paid work; reputation in constraints", test_stake_and_reputation,
        "from the command line; a hub killed -9 mid-verification pays once", test_cli_kill,
        NULL);
}
