/*  =========================================================================
    hub_billing - services billed per second, settled in batches

    A batch task is paid once, from escrow, when it succeeds. A service
    (fogrid run-service) runs until it is stopped, so it is billed for the
    time it runs instead: every settlement period its buyer is charged the
    miner's service price for each whole second it ran, into the miner's
    settlement account, and then each miner is paid what its account holds
    in one transfer (less the hub's fee), with a signed receipt. Many tiny
    charges, one payout per miner per period.

    Each service's row says up to when it is billed; a charge and the row
    move in one savepoint, so a hub killed at any moment bills no second
    twice and forgets none.
    =========================================================================  */
#ifndef HUB_BILLING_H_INCLUDED
#define HUB_BILLING_H_INCLUDED

#include "hub_store.h"
#include "hub_ledger.h"
#include "hub_wallet.h"

typedef struct _hub_billing_t hub_billing_t;

//  The account a miner's bills collect in until its payout.
#define HUB_BILLING_PREFIX "settle:"

//  Opens (creating its table) in the store's database. fee_percent is the
//  hub's cut of each payout. NULL with err on failure.
hub_billing_t *hub_billing_new (hub_store_t *store, hub_ledger_t *ledger, hub_wallet_t *wallet,
                                int64_t fee_percent, char *err, size_t err_size);
void hub_billing_destroy (hub_billing_t **self_p);

//  From now_ms, bills task's service at rate per second to buyer (a
//  ledger account) for miner_id. A service billed before (a new attempt
//  on another miner) goes on from now. Returns 0 or -1.
int hub_billing_start (hub_billing_t *self, const char *task_id, const char *buyer,
                       const char *miner_id, int64_t rate, int64_t now_ms);

//  Bills task's service up to end_ms and stops billing it (no-op for a
//  task that is not billed). Its miner is paid at the next settlement.
//  Returns 0 or -1.
int hub_billing_stop (hub_billing_t *self, const char *task_id, int64_t end_ms);

//  Bills every running service up to now_ms, then pays each miner what its
//  settlement account holds (when the wallet may pay). A service whose
//  buyer cannot pay all its seconds is billed those it can pay, and its
//  task id is appended to broke (strings the caller frees) for the caller
//  to stop. Returns the number of miners paid, or -1.
int hub_billing_settle (hub_billing_t *self, int64_t now_ms, zlist_t *broke);

//  What task's service has been billed so far, and for how many seconds
//  (may be NULL). 0 when it is not billed.
int64_t hub_billing_billed (hub_billing_t *self, const char *task_id, int64_t *seconds_p);

#endif
