/*  =========================================================================
    cli_client - the buyer's client library: talks to one hub
    =========================================================================  */
#include "fogrid.h"
#include "cli_client.h"
#include "cli_spec.h"

struct _cli_client_t {
    fg_rpc_t *rpc;              //  channel to the hub's buyer socket
    int timeout_ms;             //  per call
    fg_error_t error;           //  of the last call
    char error_text [512];      //  its description
};

//  A hub that was just restarted may be missing from the locators for a
//  moment: the killed instance's registration expired, the new one's is
//  on its way. One more ask after this pause bridges that gap; a grid
//  with no hub at all costs the buyer only the pause.
#define S_HUB_RETRY_MS  400

fg_error_t
cli_client_resolve_hub (fg_resolver_t *resolver, const char *policy, fg_resolution_t **result_p)
{
    fg_error_t rc = fg_resolver_resolve (resolver, "hub", policy, result_p);
    if (rc == FG_OK && (*result_p)->n_endpoints == 0) {
        fg_resolution_destroy (result_p);
        rc = FG_E_NOT_FOUND;
    }
    if (rc == FG_E_NOT_FOUND) {
        zclock_sleep (S_HUB_RETRY_MS);
        rc = fg_resolver_resolve (resolver, "hub", policy, result_p);
        if (rc == FG_OK && (*result_p)->n_endpoints == 0) {
            fg_resolution_destroy (result_p);
            rc = FG_E_NOT_FOUND;
        }
    }
    return rc;
}

cli_client_t *
cli_client_new (const char *locators, const char *hub, const char *hub_key,
                int timeout_ms, char *err, size_t err_size)
{
    char endpoint [300], key [64] = "";
    if (hub && *hub) {
        snprintf (endpoint, sizeof endpoint, "%s", hub);
        if (hub_key && *hub_key && fg_security_read_key (hub_key, key)) {
            snprintf (err, err_size, "'%s' is neither a public key nor a key file", hub_key);
            return NULL;
        }
    }
    else {
        fg_resolver_t *resolver = fg_resolver_new (locators, timeout_ms);
        fg_resolution_t *res = NULL;
        fg_error_t rc = cli_client_resolve_hub (resolver, "least-loaded", &res);
        if (rc == FG_E_NOT_FOUND)
            snprintf (err, err_size, "no hub is registered in the locator (%s)", locators);
        else
        if (rc)
            snprintf (err, err_size, "%s", fg_resolver_error_text (resolver));
        else {
            snprintf (endpoint, sizeof endpoint, "%s", res->endpoints [0].uri);
            snprintf (key, sizeof key, "%s", res->endpoints [0].public_key);
        }
        fg_resolution_destroy (&res);
        fg_resolver_destroy (&resolver);
        if (rc)
            return NULL;
    }
    char why [300];
    fg_rpc_t *rpc = fg_rpc_new_keyed (endpoint, key, why, sizeof why);
    if (!rpc) {
        snprintf (err, err_size, "hub: %s", why);
        return NULL;
    }
    cli_client_t *self = (cli_client_t *) zmalloc (sizeof (cli_client_t));
    self->rpc = rpc;
    self->timeout_ms = timeout_ms > 0? timeout_ms: 5000;
    return self;
}

void
cli_client_destroy (cli_client_t **self_p)
{
    if (*self_p) {
        fg_rpc_destroy (&(*self_p)->rpc);
        free (*self_p);
        *self_p = NULL;
    }
}

cli_client_t *
cli_client_connect (const cli_opts_t *opts)
{
    char err [512];
    cli_client_t *client = cli_client_new (opts->locators, opts->hub, opts->hub_key,
                                           opts->timeout_ms, err, sizeof err);
    if (!client)
        cli_error ("cannot reach a hub", err);
    return client;
}

//  Sends one request; returns the reply if its body is the expected one.
static fg_env_t *
s_call (cli_client_t *self, fg_env_t *req, Fogrid__Envelope__BodyCase expected)
{
    fg_env_t *reply = fg_rpc_call (self->rpc, req, self->timeout_ms);
    if (!reply) {
        self->error = fg_rpc_error (self->rpc);
        if (self->error == FG_E_TIMEOUT || self->error == FG_E_UNREACHABLE)
            snprintf (self->error_text, sizeof self->error_text, "hub %s: %s",
                      fg_rpc_endpoint (self->rpc), fg_rpc_error_text (self->rpc));
        else
            snprintf (self->error_text, sizeof self->error_text, "%s", fg_rpc_error_text (self->rpc));
        return NULL;
    }
    if (reply->body_case != expected) {
        self->error = FG_E_UNEXPECTED;
        snprintf (self->error_text, sizeof self->error_text,
                  "hub answered '%s', which this client does not expect", fg_msg_body_name (reply));
        fg_msg_free (&reply);
        return NULL;
    }
    self->error = FG_OK;
    return reply;
}

//  s_call, asked once more after a timeout: only for a request whose
//  token makes a second ask return what the first did (the answer may
//  have been lost, not the request).
static fg_env_t *
s_call_tokened (cli_client_t *self, fg_env_t *req, Fogrid__Envelope__BodyCase expected)
{
    fg_env_t *reply = s_call (self, req, expected);
    if (!reply && self->error == FG_E_TIMEOUT)
        reply = s_call (self, req, expected);
    return reply;
}

Fogrid__SubmitReply *
cli_client_submit (cli_client_t *self, Fogrid__TaskSpec *spec, const char *token, fg_env_t **env_p)
{
    Fogrid__SubmitRequest submit = FOGRID__SUBMIT_REQUEST__INIT;
    submit.spec = spec;
    submit.client_token = (char *) token;
    fg_env_t req = FOGRID__ENVELOPE__INIT;
    req.body_case = FOGRID__ENVELOPE__BODY_SUBMIT;
    req.submit = &submit;
    //  The token makes the retry return the task the first attempt created
    *env_p = s_call_tokened (self, &req, FOGRID__ENVELOPE__BODY_SUBMIT_REPLY);
    return *env_p? (*env_p)->submit_reply: NULL;
}

Fogrid__SubmitArrayReply *
cli_client_submit_array (cli_client_t *self, Fogrid__SubmitArrayRequest *request,
                         fg_env_t **env_p)
{
    fg_env_t req = FOGRID__ENVELOPE__INIT;
    req.body_case = FOGRID__ENVELOPE__BODY_SUBMIT_ARRAY;
    req.submit_array = request;
    *env_p = s_call_tokened (self, &req, FOGRID__ENVELOPE__BODY_SUBMIT_ARRAY_REPLY);
    return *env_p? (*env_p)->submit_array_reply: NULL;
}

Fogrid__ArrayStatusReply *
cli_client_array_status (cli_client_t *self, const char *array_id, fg_env_t **env_p)
{
    Fogrid__ArrayStatusRequest status = FOGRID__ARRAY_STATUS_REQUEST__INIT;
    status.array_id = (char *) array_id;
    fg_env_t req = FOGRID__ENVELOPE__INIT;
    req.body_case = FOGRID__ENVELOPE__BODY_ARRAY_STATUS;
    req.array_status = &status;
    *env_p = s_call (self, &req, FOGRID__ENVELOPE__BODY_ARRAY_STATUS_REPLY);
    return *env_p? (*env_p)->array_status_reply: NULL;
}

Fogrid__TaskInfo *
cli_client_status (cli_client_t *self, const char *task_id, fg_env_t **env_p)
{
    Fogrid__StatusRequest status = FOGRID__STATUS_REQUEST__INIT;
    status.task_id = (char *) task_id;
    fg_env_t req = FOGRID__ENVELOPE__INIT;
    req.body_case = FOGRID__ENVELOPE__BODY_STATUS;
    req.status = &status;
    *env_p = s_call (self, &req, FOGRID__ENVELOPE__BODY_TASK_INFO);
    return *env_p? (*env_p)->task_info: NULL;
}

Fogrid__LogsReply *
cli_client_logs (cli_client_t *self, const char *task_id, uint64_t offset, fg_env_t **env_p)
{
    Fogrid__LogsRequest logs = FOGRID__LOGS_REQUEST__INIT;
    logs.task_id = (char *) task_id;
    logs.offset = offset;
    fg_env_t req = FOGRID__ENVELOPE__INIT;
    req.body_case = FOGRID__ENVELOPE__BODY_LOGS;
    req.logs = &logs;
    *env_p = s_call (self, &req, FOGRID__ENVELOPE__BODY_LOGS_REPLY);
    return *env_p? (*env_p)->logs_reply: NULL;
}

Fogrid__ResultReply *
cli_client_result (cli_client_t *self, const char *task_id, fg_env_t **env_p)
{
    Fogrid__ResultRequest result = FOGRID__RESULT_REQUEST__INIT;
    result.task_id = (char *) task_id;
    fg_env_t req = FOGRID__ENVELOPE__INIT;
    req.body_case = FOGRID__ENVELOPE__BODY_RESULT;
    req.result = &result;
    *env_p = s_call (self, &req, FOGRID__ENVELOPE__BODY_RESULT_REPLY);
    return *env_p? (*env_p)->result_reply: NULL;
}

Fogrid__TaskInfo *
cli_client_cancel (cli_client_t *self, const char *task_id, fg_env_t **env_p)
{
    Fogrid__CancelRequest cancel = FOGRID__CANCEL_REQUEST__INIT;
    cancel.task_id = (char *) task_id;
    fg_env_t req = FOGRID__ENVELOPE__INIT;
    req.body_case = FOGRID__ENVELOPE__BODY_CANCEL;
    req.cancel = &cancel;
    *env_p = s_call (self, &req, FOGRID__ENVELOPE__BODY_TASK_INFO);
    return *env_p? (*env_p)->task_info: NULL;
}

Fogrid__MinersReply *
cli_client_miners (cli_client_t *self, fg_env_t **env_p)
{
    Fogrid__MinersRequest miners = FOGRID__MINERS_REQUEST__INIT;
    fg_env_t req = FOGRID__ENVELOPE__INIT;
    req.body_case = FOGRID__ENVELOPE__BODY_MINERS;
    req.miners = &miners;
    *env_p = s_call (self, &req, FOGRID__ENVELOPE__BODY_MINERS_REPLY);
    return *env_p? (*env_p)->miners_reply: NULL;
}

Fogrid__HealthReply *
cli_client_health (cli_client_t *self, fg_env_t **env_p)
{
    Fogrid__HealthRequest health = FOGRID__HEALTH_REQUEST__INIT;
    fg_env_t req = FOGRID__ENVELOPE__INIT;
    req.body_case = FOGRID__ENVELOPE__BODY_HEALTH;
    req.health = &health;
    *env_p = s_call (self, &req, FOGRID__ENVELOPE__BODY_HEALTH_REPLY);
    return *env_p? (*env_p)->health_reply: NULL;
}

static Fogrid__TransferReply *
s_transfer (cli_client_t *self, bool deposit, uint64_t amount, const char *token, fg_env_t **env_p)
{
    Fogrid__DepositRequest dep = FOGRID__DEPOSIT_REQUEST__INIT;
    Fogrid__WithdrawRequest wd = FOGRID__WITHDRAW_REQUEST__INIT;
    fg_env_t req = FOGRID__ENVELOPE__INIT;
    if (deposit) {
        dep.amount = amount;
        dep.token = (char *) token;
        req.body_case = FOGRID__ENVELOPE__BODY_DEPOSIT;
        req.deposit = &dep;
    }
    else {
        wd.amount = amount;
        wd.token = (char *) token;
        req.body_case = FOGRID__ENVELOPE__BODY_WITHDRAW;
        req.withdraw = &wd;
    }
    *env_p = s_call_tokened (self, &req, FOGRID__ENVELOPE__BODY_TRANSFER_REPLY);
    return *env_p? (*env_p)->transfer_reply: NULL;
}

Fogrid__TransferReply *
cli_client_deposit (cli_client_t *self, uint64_t amount, const char *token, fg_env_t **env_p)
{
    return s_transfer (self, true, amount, token, env_p);
}

Fogrid__TransferReply *
cli_client_withdraw (cli_client_t *self, uint64_t amount, const char *token, fg_env_t **env_p)
{
    return s_transfer (self, false, amount, token, env_p);
}

Fogrid__BalanceReply *
cli_client_balance (cli_client_t *self, const char *account, uint32_t limit, fg_env_t **env_p)
{
    Fogrid__BalanceRequest balance = FOGRID__BALANCE_REQUEST__INIT;
    balance.account = (char *) (account? account: "");
    balance.limit = limit;
    fg_env_t req = FOGRID__ENVELOPE__INIT;
    req.body_case = FOGRID__ENVELOPE__BODY_BALANCE;
    req.balance = &balance;
    *env_p = s_call (self, &req, FOGRID__ENVELOPE__BODY_BALANCE_REPLY);
    return *env_p? (*env_p)->balance_reply: NULL;
}

Fogrid__WalletReply *
cli_client_admin (cli_client_t *self, const char *action, const char *reason, fg_env_t **env_p)
{
    Fogrid__AdminRequest admin = FOGRID__ADMIN_REQUEST__INIT;
    admin.action = (char *) action;
    admin.reason = (char *) (reason? reason: "");
    fg_env_t req = FOGRID__ENVELOPE__INIT;
    req.body_case = FOGRID__ENVELOPE__BODY_ADMIN;
    req.admin = &admin;
    *env_p = s_call (self, &req, FOGRID__ENVELOPE__BODY_WALLET_REPLY);
    return *env_p? (*env_p)->wallet_reply: NULL;
}

Fogrid__BooksReply *
cli_client_books (cli_client_t *self, fg_env_t **env_p)
{
    Fogrid__AdminRequest admin = FOGRID__ADMIN_REQUEST__INIT;
    admin.action = "books";
    fg_env_t req = FOGRID__ENVELOPE__INIT;
    req.body_case = FOGRID__ENVELOPE__BODY_ADMIN;
    req.admin = &admin;
    *env_p = s_call (self, &req, FOGRID__ENVELOPE__BODY_BOOKS_REPLY);
    return *env_p? (*env_p)->books_reply: NULL;
}

Fogrid__ReceiptReply *
cli_client_receipt (cli_client_t *self, const char *task_id, fg_env_t **env_p)
{
    Fogrid__ReceiptRequest receipt = FOGRID__RECEIPT_REQUEST__INIT;
    receipt.task_id = (char *) task_id;
    fg_env_t req = FOGRID__ENVELOPE__INIT;
    req.body_case = FOGRID__ENVELOPE__BODY_RECEIPT;
    req.receipt = &receipt;
    *env_p = s_call (self, &req, FOGRID__ENVELOPE__BODY_RECEIPT_REPLY);
    return *env_p? (*env_p)->receipt_reply: NULL;
}

Fogrid__Ok *
cli_client_challenge (cli_client_t *self, const char *task_id, fg_env_t **env_p)
{
    Fogrid__ChallengeRequest challenge = FOGRID__CHALLENGE_REQUEST__INIT;
    challenge.task_id = (char *) task_id;
    fg_env_t req = FOGRID__ENVELOPE__INIT;
    req.body_case = FOGRID__ENVELOPE__BODY_CHALLENGE;
    req.challenge = &challenge;
    *env_p = s_call (self, &req, FOGRID__ENVELOPE__BODY_OK);
    return *env_p? (*env_p)->ok: NULL;
}

Fogrid__VerdictReply *
cli_client_verdict (cli_client_t *self, const char *task_id, fg_env_t **env_p)
{
    Fogrid__VerdictRequest verdict = FOGRID__VERDICT_REQUEST__INIT;
    verdict.task_id = (char *) task_id;
    fg_env_t req = FOGRID__ENVELOPE__INIT;
    req.body_case = FOGRID__ENVELOPE__BODY_VERDICT;
    req.verdict = &verdict;
    *env_p = s_call (self, &req, FOGRID__ENVELOPE__BODY_VERDICT_REPLY);
    return *env_p? (*env_p)->verdict_reply: NULL;
}

Fogrid__TransferReply *
cli_client_stake (cli_client_t *self, const char *miner_id, int64_t amount, bool withdraw,
                  const char *token, fg_env_t **env_p)
{
    Fogrid__StakeRequest stake = FOGRID__STAKE_REQUEST__INIT;
    stake.miner_id = (char *) miner_id;
    stake.amount = amount;
    stake.withdraw = withdraw;
    stake.token = (char *) token;
    fg_env_t req = FOGRID__ENVELOPE__INIT;
    req.body_case = FOGRID__ENVELOPE__BODY_STAKE;
    req.stake = &stake;
    *env_p = s_call (self, &req, FOGRID__ENVELOPE__BODY_TRANSFER_REPLY);
    return *env_p? (*env_p)->transfer_reply: NULL;
}

fg_error_t
cli_client_error (cli_client_t *self)
{
    return self->error;
}

const char *
cli_client_error_text (cli_client_t *self)
{
    return self->error_text;
}

int
cli_client_failed (cli_client_t *self, const char *what)
{
    cli_error (what, self->error_text);
    return 1;
}

bool
cli_client_retry (cli_client_t *self, int *failures)
{
    if ((self->error == FG_E_TIMEOUT || self->error == FG_E_UNREACHABLE) && ++*failures < 10) {
        fprintf (stderr, "fogrid: %s (retrying)\n", self->error_text);
        zclock_sleep (500);
        return true;
    }
    return false;
}

const char *
cli_client_endpoint (cli_client_t *self)
{
    return fg_rpc_endpoint (self->rpc);
}

bool
cli_task_state_final (const char *state)
{
    return streq (state, "succeeded") || streq (state, "failed") || streq (state, "cancelled");
}
