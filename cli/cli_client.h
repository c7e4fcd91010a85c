/*  =========================================================================
    cli_client - the buyer's client library: talks to one hub

    Finds the hub through the locators (name `hub`) unless an endpoint is
    given, then offers one call per buyer request. Every call has a
    timeout; submit retries once with the same client token, so a submit
    whose answer was lost cannot create a second task.
    =========================================================================  */
#ifndef CLI_CLIENT_H_INCLUDED
#define CLI_CLIENT_H_INCLUDED

typedef struct _cli_client_t cli_client_t;

//  The command line's global options that say how to reach the grid.
typedef struct {
    const char *locators;       //  -l
    const char *hub;            //  -H, or NULL: resolve `hub`
    const char *hub_key;        //  --hub-key
    int timeout_ms;             //  -T, per request
} cli_opts_t;

//  hub: an endpoint, or NULL/"" to resolve `hub` through locators (whose
//  answer carries the hub's public key). hub_key: the hub's public key
//  when hub is given and security is on. Returns NULL with a reason in err
//  when no hub can be found.
cli_client_t *cli_client_new (const char *locators, const char *hub, const char *hub_key,
                              int timeout_ms, char *err, size_t err_size);
void cli_client_destroy (cli_client_t **self_p);

//  cli_client_new with the global options; says why on stderr ("fogrid:
//  cannot reach a hub: ...") when no hub can be found.
cli_client_t *cli_client_connect (const cli_opts_t *opts);

//  Resolves `hub` with policy; a "not found" (or no live endpoint) is
//  asked once more after a short pause, for a hub that is restarting.
//  Returns as fg_resolver_resolve, FG_E_NOT_FOUND for no endpoint.
fg_error_t cli_client_resolve_hub (fg_resolver_t *resolver, const char *policy,
                                   fg_resolution_t **result_p);

//  Each call returns the reply body (free with fg_msg_free on the
//  envelope given back in *env_p) or NULL; then cli_client_error() and
//  cli_client_error_text() say why.
Fogrid__SubmitReply *cli_client_submit (cli_client_t *self, Fogrid__TaskSpec *spec,
                                        const char *token, fg_env_t **env_p);
//  A job array (SubmitArrayRequest, filled by the caller but for its token);
//  an array's counts by state.
Fogrid__SubmitArrayReply *cli_client_submit_array (cli_client_t *self,
                                                   Fogrid__SubmitArrayRequest *request,
                                                   fg_env_t **env_p);
Fogrid__ArrayStatusReply *cli_client_array_status (cli_client_t *self, const char *array_id,
                                                   fg_env_t **env_p);
Fogrid__TaskInfo *cli_client_status (cli_client_t *self, const char *task_id, fg_env_t **env_p);
//  A task's output from offset on, as the hub keeps it (LogsRequest).
Fogrid__LogsReply *cli_client_logs (cli_client_t *self, const char *task_id, uint64_t offset,
                                    fg_env_t **env_p);
Fogrid__ResultReply *cli_client_result (cli_client_t *self, const char *task_id, fg_env_t **env_p);
Fogrid__TaskInfo *cli_client_cancel (cli_client_t *self, const char *task_id, fg_env_t **env_p);
Fogrid__MinersReply *cli_client_miners (cli_client_t *self, fg_env_t **env_p);
Fogrid__HealthReply *cli_client_health (cli_client_t *self, fg_env_t **env_p);
//  Money: deposit (only on hubs with hub/open_deposits) and withdraw move
//  amount between the world and the caller's account; the token makes a
//  retry safe (both retry once, with it, after a timeout). account "" is
//  the caller's own; limit 0 = the hub's default number of entries.
Fogrid__TransferReply *cli_client_deposit (cli_client_t *self, uint64_t amount, const char *token,
                                           fg_env_t **env_p);
Fogrid__TransferReply *cli_client_withdraw (cli_client_t *self, uint64_t amount, const char *token,
                                            fg_env_t **env_p);
Fogrid__BalanceReply *cli_client_balance (cli_client_t *self, const char *account, uint32_t limit,
                                          fg_env_t **env_p);
//  The hub's wallet: action wallet/status, or a transition for the DAO's
//  or the owner's key (wallet/register, ...), with a reason for the record.
Fogrid__WalletReply *cli_client_admin (cli_client_t *self, const char *action, const char *reason,
                                       fg_env_t **env_p);
//  The hub's books: every account, their sum, the chain and the receipts
//  verified (AdminRequest "books"; keys in hub/admin_keys).
Fogrid__BooksReply *cli_client_books (cli_client_t *self, fg_env_t **env_p);
//  The signed receipt of a task's payout to its miner.
Fogrid__ReceiptReply *cli_client_receipt (cli_client_t *self, const char *task_id,
                                          fg_env_t **env_p);

//  The court (hub/hub_court.h): a challenge (the hub's Ok text), a
//  task's signed verdict, a miner's stake moved.
Fogrid__Ok *cli_client_challenge (cli_client_t *self, const char *task_id, fg_env_t **env_p);
Fogrid__VerdictReply *cli_client_verdict (cli_client_t *self, const char *task_id,
                                          fg_env_t **env_p);
Fogrid__TransferReply *cli_client_stake (cli_client_t *self, const char *miner_id,
                                         int64_t amount, bool withdraw, const char *token,
                                         fg_env_t **env_p);

fg_error_t cli_client_error (cli_client_t *self);
const char *cli_client_error_text (cli_client_t *self);
//  Says why the last call failed ("fogrid: WHAT: WHY", cli_error) and
//  returns 1, the exit status for it.
int cli_client_failed (cli_client_t *self, const char *what);
//  After a failed call in a loop that follows a task or an array to its
//  end: true when it is worth asking again (the hub did not answer: it
//  may be restarting, and it keeps every accepted task; fewer than 10
//  asks in a row failed), having said so on stderr and paused. *failures
//  counts the asks in a row; set it to 0 after one that worked.
bool cli_client_retry (cli_client_t *self, int *failures);
//  The hub's endpoint in use.
const char *cli_client_endpoint (cli_client_t *self);

//  True for states a task never leaves.
bool cli_task_state_final (const char *state);

#endif
