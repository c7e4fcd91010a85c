/*  =========================================================================
    test_hub_support - what the hub's money suites share
    =========================================================================  */
#include "test_hub_support.h"
#include "hub_server.h"
#include <sqlite3.h>
#include <stdarg.h>

void
th_books_open (th_books_t *books, const char *dir)
{
    memset (books, 0, sizeof *books);
    books->dir = strdup (dir);
    books->store = hub_store_new (dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL (books->store);
    char key [600], err [400];
    snprintf (key, sizeof key, "%s/keys/hub.sign", dir);
    books->ledger = hub_ledger_new (books->store, key, err, sizeof err);
    if (!books->ledger)
        fprintf (stderr, "ledger: %s\n", err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (books->ledger);
}

void
th_books_close (th_books_t *books)
{
    hub_ledger_destroy (&books->ledger);
    hub_store_destroy (&books->store);
    free (books->dir);
    books->dir = NULL;
}

int64_t
th_balance (hub_ledger_t *ledger, const char *account)
{
    int64_t balance = -12345;
    CU_ASSERT_EQUAL (hub_ledger_balance (ledger, account, &balance), 0);
    return balance;
}

void
th_sql (const char *dir, const char *sql)
{
    char path [600];
    snprintf (path, sizeof path, "%s/hub.db", dir);
    sqlite3 *db = NULL;
    CU_ASSERT_EQUAL_FATAL (sqlite3_open (path, &db), SQLITE_OK);
    char *error = NULL;
    int rc = sqlite3_exec (db, sql, NULL, NULL, &error);
    if (rc != SQLITE_OK)
        fprintf (stderr, "%s: %s\n", sql, error);
    CU_ASSERT_EQUAL (rc, SQLITE_OK);
    sqlite3_free (error);
    sqlite3_close (db);
}

//  ---------------------------------------------------------------------

fg_config_t *
th_hub_config (const char *dir)
{
    fg_config_t *config = fg_config_new (hub_config_defs);
    fg_config_set (config, "hub/http", "127.0.0.1:0");
    fg_config_set (config, "hub/buyer_endpoint", "tcp://127.0.0.1:*");
    fg_config_set (config, "hub/miner_endpoint", "tcp://127.0.0.1:*");
    fg_config_set (config, "hub/data_dir", dir);
    fg_config_set (config, "locator/endpoints", "");
    fg_config_set (config, "hub/heartbeat_ms", "2000");
    fg_config_set (config, "hub/disconnect_ms", "20000");
    fg_config_set (config, "hub/dead_ms", "40000");
    fg_config_set (config, "hub/open_deposits", "1");
    return config;
}

//  One sequence for every socket, so no two requests share a seq
static uint64_t s_seq = 0;

fg_env_t *
th_call (zsock_t *sock, fg_env_t *request)
{
    request->seq = ++s_seq;
    return ts_call (sock, request);
}

char *
th_submit (zsock_t *buyer, const char *command, uint32_t retries)
{
    char *argv [] = { "sh", "-c", (char *) command };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.n_argv = 3;
    spec.argv = argv;
    spec.retries = retries;
    Fogrid__SubmitRequest submit = FOGRID__SUBMIT_REQUEST__INIT;
    submit.spec = &spec;
    submit.client_token = "";
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_SUBMIT;
    env.submit = &submit;
    fg_env_t *reply = th_call (buyer, &env);
    char *id = NULL;
    if (reply && reply->body_case == FOGRID__ENVELOPE__BODY_SUBMIT_REPLY)
        id = strdup (reply->submit_reply->task_id);
    else
    if (reply && reply->body_case == FOGRID__ENVELOPE__BODY_ERROR)
        fprintf (stderr, "submit: %s\n", reply->error->text);
    else
        fprintf (stderr, "submit: no answer\n");
    fg_msg_free (&reply);
    return id;
}

fg_env_t *
th_status (zsock_t *buyer, const char *task_id)
{
    Fogrid__StatusRequest status = FOGRID__STATUS_REQUEST__INIT;
    status.task_id = (char *) task_id;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_STATUS;
    env.status = &status;
    fg_env_t *reply = th_call (buyer, &env);
    CU_ASSERT_FATAL (reply && reply->body_case == FOGRID__ENVELOPE__BODY_TASK_INFO);
    return reply;
}

//  ---------------------------------------------------------------------

void
th_fake_connect (th_fake_t *fake, int port, const char *id)
{
    fake->sock = zsock_new (ZMQ_DEALER);
    CU_ASSERT_PTR_NOT_NULL_FATAL (fake->sock);
    zsock_set_rcvtimeo (fake->sock, 3000);
    zsock_connect (fake->sock, "tcp://127.0.0.1:%d", port);
    snprintf (fake->id, sizeof fake->id, "%s", id);
}

void
th_fake_close (th_fake_t *fake)
{
    zsock_destroy (&fake->sock);
}

static void
s_fake_send (th_fake_t *fake, fg_env_t *env)
{
    env->seq = ++s_seq;
    CU_ASSERT_EQUAL (fg_msg_send (fake->sock, NULL, env), 0);
}

void
th_fake_hello (th_fake_t *fake, uint64_t price)
{
    char *runtimes [] = { "process" };
    Fogrid__Resources res = FOGRID__RESOURCES__INIT;
    res.cores = 4;
    res.mem_mb = 4096;
    res.n_runtimes = 1;
    res.runtimes = runtimes;
    res.price = price;
    Fogrid__MinerHello hello = FOGRID__MINER_HELLO__INIT;
    hello.miner_id = fake->id;
    hello.name = fake->id;
    hello.version = "test";
    hello.resources = &res;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_MINER_HELLO;
    env.miner_hello = &hello;
    s_fake_send (fake, &env);
}

fg_env_t *
th_fake_expect (th_fake_t *fake, int body_case)
{
    while (true) {
        fg_error_t error;
        fg_env_t *env = fg_msg_recv (fake->sock, NULL, &error, NULL);
        if (!env || (int) env->body_case == body_case)
            return env;
        fg_msg_free (&env);
    }
}

char *
th_fake_assigned (th_fake_t *fake, uint32_t *attempt)
{
    fg_env_t *assign = th_fake_expect (fake, FOGRID__ENVELOPE__BODY_TASK_ASSIGN);
    CU_ASSERT_PTR_NOT_NULL_FATAL (assign);
    char *id = strdup (assign->task_assign->task_id);
    *attempt = assign->task_assign->attempt;
    fg_msg_free (&assign);
    return id;
}

char *
th_fake_result (th_fake_t *fake, const char *task_id, uint32_t attempt, int exit_code)
{
    return th_fake_result_out (fake, task_id, attempt, exit_code, "");
}

char *
th_fake_result_out (th_fake_t *fake, const char *task_id, uint32_t attempt, int exit_code,
                    const char *out)
{
    Fogrid__TaskResult result = FOGRID__TASK_RESULT__INIT;
    result.task_id = (char *) task_id;
    result.attempt = attempt;
    result.exit_code = exit_code;
    result.stdout.data = (uint8_t *) out;
    result.stdout.len = strlen (out);
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_RESULT;
    env.task_result = &result;
    s_fake_send (fake, &env);
    fg_env_t *ok = th_fake_expect (fake, FOGRID__ENVELOPE__BODY_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL (ok);
    char *receipt = strdup (ok->ok->receipt);
    fg_msg_free (&ok);
    return receipt;
}

//  ---------------------------------------------------------------------

int
th_cli (th_cli_t *cli, char **output, const char *keys, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *command = zsys_vprintf (format, args);
    va_end (args);
    int rc;
    if (cli->secure)
        rc = ts_run (output, "%s -T 5000 -H tcp://127.0.0.1:%d --hub-key %s -k %s %s",
                     ts_bin ("fogrid"), cli->port, cli->hub_key, *keys? keys: cli->keys,
                     command);
    else
        rc = ts_run (output, "%s -T 5000 --insecure -H tcp://127.0.0.1:%d %s",
                     ts_bin ("fogrid"), cli->port, command);
    zstr_free (&command);
    return rc;
}

char *
th_cli_submit (th_cli_t *cli, const char *keys, const char *args)
{
    char *output = NULL;
    int rc = th_cli (cli, &output, keys, "submit %s", args);
    return ts_task_id (rc, output, args);
}

int64_t
th_cli_balance (th_cli_t *cli, const char *keys, const char *account)
{
    char *output = NULL;
    //  (Z85 keys have no quote in their alphabet)
    int rc = *account? th_cli (cli, &output, keys, "wallet --account '%s'", account)
                     : th_cli (cli, &output, keys, "wallet");
    int64_t balance = rc == 0? th_number_after (output, "balance   "): -1;
    if (balance < 0)
        fprintf (stderr, "wallet %s: %s\n", account, output);
    free (output);
    return balance;
}

int64_t
th_number_after (const char *text, const char *label)
{
    const char *at = text? strstr (text, label): NULL;
    return at? strtoll (at + strlen (label), NULL, 10): -1;
}
