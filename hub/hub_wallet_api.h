/*  =========================================================================
    hub_wallet_api - the requests about money: deposits and withdrawals,
    balances, the wallet's admin actions, receipts, signed statements

        hub_wallet_api_t *api = hub_wallet_api_new (ledger, wallet, escrow, tasks,
                                                    config, hub_id, outbox);
        ...a request from a buyer (key: its CurveZMQ key, "" on plain text):
        if (!hub_wallet_api_buyer (api, buyers, peer, seq, key, env))
            ...not a money request: someone else's...
        ...a message on the miner socket:
        if (!hub_wallet_api_miner (api, miner_sock, peer, seq, env)) ...
        hub_wallet_api_destroy (&api);

    Answers wait in the outbox for the burst's commit; the writes (a
    transfer, a wallet transition) go into the store's open transaction.
    =========================================================================  */
#ifndef HUB_WALLET_API_H_INCLUDED
#define HUB_WALLET_API_H_INCLUDED

#include "hub_config.h"
#include "hub_tasks.h"
#include "hub_escrow.h"

typedef struct _hub_wallet_api_t hub_wallet_api_t;

//  hub_id and the rest must outlive it.
hub_wallet_api_t *hub_wallet_api_new (hub_ledger_t *ledger, hub_wallet_t *wallet,
                                      hub_escrow_t *escrow, hub_tasks_t *tasks,
                                      const hub_config_t *config, const char *hub_id,
                                      fg_outbox_t *outbox);
void hub_wallet_api_destroy (hub_wallet_api_t **self_p);

//  Answers a DepositRequest, WithdrawRequest, BalanceRequest, AdminRequest
//  or ReceiptRequest that came from key on router. Returns true when env
//  was one of those.
bool hub_wallet_api_buyer (hub_wallet_api_t *self, zsock_t *router, zframe_t *peer,
                           uint64_t seq, const char *key, fg_env_t *env);

//  Answers a WalletStatement on the miner socket. Returns true when env
//  was one.
bool hub_wallet_api_miner (hub_wallet_api_t *self, zsock_t *router, zframe_t *peer,
                           uint64_t seq, fg_env_t *env);

#endif
