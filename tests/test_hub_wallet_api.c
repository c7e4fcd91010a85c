/*  =========================================================================
    test_hub_wallet_api - the requests about money, answered on a real
    ROUTER from real books: deposits and withdrawals with their tokens,
    who may read which balance, the wallet's admin actions, receipts, and
    a statement a miner can check against the ledger key
    =========================================================================  */
#include "test_hub_rooms.h"
#include "hub_wallet_api.h"
#include "fg_statement.h"

typedef struct {
    th_rooms_t *rooms;          //  the books and the rooms; the caller "b1" on its socket
    hub_wallet_api_t *api;
} s_hub_t;

static void
s_open (s_hub_t *hub, const char *dir, bool open_deposits)
{
    memset (hub, 0, sizeof *hub);
    hub->rooms = th_rooms_new (dir, false, "hub/open_deposits", open_deposits? "1": "0",
                               "hub/admin_keys", "dao-key", NULL);
    th_rooms_t *rooms = hub->rooms;
    th_rooms_connect (rooms, "wallet-api", "b1", false);
    hub->api = hub_wallet_api_new (rooms->th.ledger, rooms->wallet, rooms->escrow, rooms->tasks,
                                   rooms->config, "h-test", rooms->outbox);
}

static void
s_close (s_hub_t *hub)
{
    hub_wallet_api_destroy (&hub->api);
    CU_ASSERT_PTR_NULL (hub->api);
    th_rooms_destroy (&hub->rooms);
}

//  Hands env to the API as key's request, commits, sends what it said and
//  returns the reply the caller got (NULL when none). handled: what the
//  API answered.
static fg_env_t *
s_call (s_hub_t *hub, const char *key, fg_env_t *env, bool miner)
{
    th_rooms_t *rooms = hub->rooms;
    env->seq = ++rooms->seq;
    bool handled = miner? hub_wallet_api_miner (hub->api, rooms->router, rooms->peer, env->seq, env)
                        : hub_wallet_api_buyer (hub->api, rooms->router, rooms->peer, env->seq,
                                                key, env);
    CU_ASSERT_TRUE (handled);
    CU_ASSERT_EQUAL (hub_store_commit (hub->rooms->th.store), 0);
    fg_outbox_send (hub->rooms->outbox, NULL, NULL);
    fg_env_t *reply = fg_msg_recv (hub->rooms->dealer, NULL, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL (reply);
    if (reply)
        CU_ASSERT_EQUAL (reply->seq, env->seq);
    return reply;
}

//  The error code of reply (0 when it is no error); frees it
static int
s_error (fg_env_t *reply)
{
    int code = reply && reply->body_case == FOGRID__ENVELOPE__BODY_ERROR? reply->error->code: 0;
    fg_msg_free (&reply);
    return code;
}

static fg_env_t *
s_transfer (s_hub_t *hub, const char *key, bool deposit, uint64_t amount, const char *token)
{
    Fogrid__DepositRequest deposit_request = FOGRID__DEPOSIT_REQUEST__INIT;
    Fogrid__WithdrawRequest withdraw_request = FOGRID__WITHDRAW_REQUEST__INIT;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    if (deposit) {
        deposit_request.amount = amount;
        deposit_request.token = (char *) token;
        env.body_case = FOGRID__ENVELOPE__BODY_DEPOSIT;
        env.deposit = &deposit_request;
    }
    else {
        withdraw_request.amount = amount;
        withdraw_request.token = (char *) token;
        env.body_case = FOGRID__ENVELOPE__BODY_WITHDRAW;
        env.withdraw = &withdraw_request;
    }
    return s_call (hub, key, &env, false);
}

static void
test_transfers (void)
{
    char *dir = ts_tmpdir_new ("hub-wallet-api");
    s_hub_t hub;
    //  No deposits without hub/open_deposits
    s_open (&hub, dir, false);
    CU_ASSERT_EQUAL (s_error (s_transfer (&hub, "alice", true, 100, "d-1")), FG_E_DENIED);
    s_close (&hub);

    s_open (&hub, dir, true);
    fg_env_t *reply = s_transfer (&hub, "alice", true, 100, "d-1");
    CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_TRANSFER_REPLY);
    CU_ASSERT_EQUAL (reply->transfer_reply->balance, 100);
    CU_ASSERT_FALSE (reply->transfer_reply->duplicate);
    CU_ASSERT_STRING_EQUAL (reply->transfer_reply->entry->to, "buyer:alice");
    fg_msg_free (&reply);
    //  The same token again moves nothing
    reply = s_transfer (&hub, "alice", true, 100, "d-1");
    CU_ASSERT_TRUE (reply->transfer_reply->duplicate);
    CU_ASSERT_EQUAL (reply->transfer_reply->balance, 100);
    fg_msg_free (&reply);
    //  ...nor for something else
    CU_ASSERT_EQUAL (s_error (s_transfer (&hub, "alice", true, 5, "d-1")), FG_E_STATE);
    CU_ASSERT_EQUAL (s_error (s_transfer (&hub, "alice", true, 0, "d-2")), FG_E_INVALID);
    CU_ASSERT_EQUAL (s_error (s_transfer (&hub, "alice", true, 5, "")), FG_E_INVALID);
    CU_ASSERT_EQUAL (s_error (s_transfer (&hub, "alice", false, 500, "w-1")), FG_E_FUNDS);
    reply = s_transfer (&hub, "alice", false, 30, "w-2");
    CU_ASSERT_EQUAL (reply->transfer_reply->balance, 70);
    fg_msg_free (&reply);
    //  A plain-text caller is buyer:anonymous
    reply = s_transfer (&hub, "", true, 7, "d-3");
    CU_ASSERT_STRING_EQUAL (reply->transfer_reply->entry->to, "buyer:anonymous");
    fg_msg_free (&reply);
    CU_ASSERT_EQUAL (th_balance (hub.rooms->th.ledger, "world"), -77);
    s_close (&hub);
    ts_tmpdir_remove (&dir);
}

static fg_env_t *
s_balance (s_hub_t *hub, const char *key, const char *account)
{
    Fogrid__BalanceRequest request = FOGRID__BALANCE_REQUEST__INIT;
    request.account = (char *) account;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_BALANCE;
    env.balance = &request;
    return s_call (hub, key, &env, false);
}

static fg_env_t *
s_admin (s_hub_t *hub, const char *key, const char *action)
{
    Fogrid__AdminRequest request = FOGRID__ADMIN_REQUEST__INIT;
    request.action = (char *) action;
    request.reason = "test";
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_ADMIN;
    env.admin = &request;
    return s_call (hub, key, &env, false);
}

static void
test_balance_and_admin (void)
{
    char *dir = ts_tmpdir_new ("hub-wallet-api");
    s_hub_t hub;
    s_open (&hub, dir, true);
    CU_ASSERT_EQUAL (s_error (s_transfer (&hub, "alice", true, 100, "d-1")), 0);

    //  Its own account, by default
    fg_env_t *reply = s_balance (&hub, "alice", "");
    CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_BALANCE_REPLY);
    CU_ASSERT_STRING_EQUAL (reply->balance_reply->accounts [0]->name, "buyer:alice");
    CU_ASSERT_EQUAL (reply->balance_reply->accounts [0]->balance, 100);
    CU_ASSERT_EQUAL (reply->balance_reply->n_entries, 1);
    fg_msg_free (&reply);
    //  Another's: only for the DAO
    CU_ASSERT_EQUAL (s_error (s_balance (&hub, "bob", "buyer:alice")), FG_E_DENIED);
    CU_ASSERT_EQUAL (s_error (s_balance (&hub, "bob", "no such")), FG_E_INVALID);
    reply = s_balance (&hub, "dao-key", "buyer:alice");
    CU_ASSERT_EQUAL (reply->balance_reply->accounts [0]->balance, 100);
    fg_msg_free (&reply);

    //  The wallet: anyone reads it; only the DAO registers it
    reply = s_admin (&hub, "bob", "wallet/status");
    CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_WALLET_REPLY);
    CU_ASSERT_STRING_EQUAL (reply->wallet_reply->state, "created");
    CU_ASSERT_STRING_EQUAL (reply->wallet_reply->hub_id, "h-test");
    fg_msg_free (&reply);
    CU_ASSERT_EQUAL (s_error (s_admin (&hub, "bob", "wallet/register")), FG_E_DENIED);
    CU_ASSERT_EQUAL (s_error (s_admin (&hub, "bob", "wallet/fly")), FG_E_INVALID);
    reply = s_admin (&hub, "dao-key", "wallet/register");
    CU_ASSERT_STRING_EQUAL (reply->wallet_reply->state, "registered");
    fg_msg_free (&reply);
    CU_ASSERT_EQUAL (hub_wallet_state (hub.rooms->wallet), HUB_WALLET_REGISTERED);

    //  The books, whole: the DAO's only
    CU_ASSERT_EQUAL (s_error (s_admin (&hub, "bob", "books")), FG_E_DENIED);
    reply = s_admin (&hub, "dao-key", "books");
    CU_ASSERT_EQUAL (reply->body_case, FOGRID__ENVELOPE__BODY_BOOKS_REPLY);
    fg_msg_free (&reply);

    //  No receipt for a task nobody knows
    Fogrid__ReceiptRequest receipt = FOGRID__RECEIPT_REQUEST__INIT;
    receipt.task_id = "t-none";
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_RECEIPT;
    env.receipt = &receipt;
    CU_ASSERT_EQUAL (s_error (s_call (&hub, "alice", &env, false)), FG_E_NOT_FOUND);

    //  Not a request about money: someone else's
    Fogrid__StatusRequest status = FOGRID__STATUS_REQUEST__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_STATUS;
    env.status = &status;
    CU_ASSERT_FALSE (hub_wallet_api_buyer (hub.api, hub.rooms->router, hub.rooms->peer, 1, "alice",
                                           &env));
    CU_ASSERT_FALSE (hub_wallet_api_miner (hub.api, hub.rooms->router, hub.rooms->peer, 1, &env));
    CU_ASSERT_EQUAL (fg_outbox_size (hub.rooms->outbox), 0);
    s_close (&hub);
    ts_tmpdir_remove (&dir);
}

static void
test_statement (void)
{
    char *dir = ts_tmpdir_new ("hub-wallet-api");
    s_hub_t hub;
    s_open (&hub, dir, true);
    Fogrid__WalletStatement request = FOGRID__WALLET_STATEMENT__INIT;
    request.nonce = "n-42";
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_WALLET_STATEMENT;
    env.wallet_statement = &request;
    fg_env_t *reply = s_call (&hub, "", &env, true);
    CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_WALLET_STATEMENT_REPLY);
    Fogrid__WalletStatementReply *statement = reply->wallet_statement_reply;
    CU_ASSERT_STRING_EQUAL (statement->nonce, "n-42");
    CU_ASSERT_STRING_EQUAL (statement->ledger_key, hub_ledger_public_key (hub.rooms->th.ledger));
    //  Signed over what it says: the ledger key checks it
    char *text = fg_statement_text (statement);
    CU_ASSERT_TRUE (hub_ledger_signed (hub.rooms->th.ledger, text, statement->signature));
    free (text);
    statement->escrow_total = 12345;
    text = fg_statement_text (statement);
    CU_ASSERT_FALSE (hub_ledger_signed (hub.rooms->th.ledger, text, statement->signature));
    free (text);
    fg_msg_free (&reply);
    request.nonce = "bad\tnonce";
    CU_ASSERT_EQUAL (s_error (s_call (&hub, "", &env, true)), FG_E_INVALID);
    s_close (&hub);
    ts_tmpdir_remove (&dir);
}

void
test_hub_wallet_api_add (void)
{
    ts_add_suite ("hub_wallet_api",
        "deposits and withdrawals, with their tokens", test_transfers,
        "balances, and the wallet's admin actions", test_balance_and_admin,
        "a signed statement for miners", test_statement,
        NULL);
}
