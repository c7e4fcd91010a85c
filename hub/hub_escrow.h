/*  =========================================================================
    hub_escrow - the money that moves with tasks: what a miner asks, the
    hold at assignment, the payout and the fee at success, the refund
    otherwise, the sweep of escrow left over, services billed per second

        hub_escrow_t *escrow = hub_escrow_new (store, ledger, wallet, config, err, size);
        ...placing task on miner:
        hub_escrow_quote_t quote;
        hub_escrow_quote (escrow, task, miner, &quote);
        if (!quote.placeable) ...not on this miner (hub/require_funds)...
        hub_escrow_hold (escrow, task, miner, &quote, reason, sizeof reason);
        ...before each change of the task's state (hub_tasks_watch):
        hub_escrow_task_change (escrow, task, next, its_miner);
        hub_escrow_destroy (&escrow);

    It owns no table of its own: the ledger (hub_ledger.h) holds the
    accounts, and this class is the one place that names them and the
    transfers between them (escrow:TASK, pay/TASK, fee/TASK, ...). Every
    call runs in the store transaction of the change it belongs to.
    =========================================================================  */
#ifndef HUB_ESCROW_H_INCLUDED
#define HUB_ESCROW_H_INCLUDED

#include "hub_config.h"
#include "hub_tasks.h"
#include "hub_miners.h"
#include "hub_ledger.h"
#include "hub_wallet.h"
#include "hub_billing.h"

#define HUB_ACCOUNT_MAX     160     //  ledger account names

typedef struct _hub_escrow_t hub_escrow_t;

//  NULL (why in err) when billing cannot be set up. The store, ledger,
//  wallet and config must outlive it.
hub_escrow_t *hub_escrow_new (hub_store_t *store, hub_ledger_t *ledger, hub_wallet_t *wallet,
                              const hub_config_t *config, char *err, size_t err_size);
void hub_escrow_destroy (hub_escrow_t **self_p);

//  The ledger account of a buyer: buyer:KEY, buyer:anonymous without a key.
void hub_escrow_buyer_account (const char *buyer_key, char *account, size_t size);

//  The escrow account of a task: escrow:TASK.
void hub_escrow_account (const char *task_id, char *account, size_t size);

//  An account's balance (0 when it has none).
int64_t hub_escrow_balance (hub_escrow_t *self, const char *account);

//  What escrow holds for a task; what all escrow accounts hold.
int64_t hub_escrow_held (hub_escrow_t *self, const char *task_id);
int64_t hub_escrow_total (hub_escrow_t *self);

//  True for the id of a payout to a miner (pay/TASK).
bool hub_escrow_payout_id (const char *transfer_id);

//  What the miner asks for spec (hub_sched_ask), as a ledger amount; the
//  lowest ask among connected miners (0 when none is connected).
int64_t hub_escrow_ask (const hub_miner_t *miner, const Fogrid__TaskSpec *spec);
int64_t hub_escrow_cheapest_ask (hub_miners_t *miners, const Fogrid__TaskSpec *spec);

//  True when the miner is the hub's own (it said hello with the hub's key:
//  the ledger refuses to pay it). hub_escrow_mark_own marks it; returns
//  true when it was not marked yet.
bool hub_escrow_own (hub_escrow_t *self, const hub_miner_t *miner);
bool hub_escrow_mark_own (hub_escrow_t *self, const hub_miner_t *miner);

//  True when a task of a buyer holding balance can be charged the miner's
//  ask: it asks nothing, or the buyer can pay it (a service: its first
//  second), the wallet may charge and the miner is not the hub's own.
bool hub_escrow_chargeable (hub_escrow_t *self, const hub_miner_t *miner,
                            const hub_task_t *task, int64_t balance);

//  Whether a submit may be taken on funds: 0, or FG_E_STATE (the wallet
//  is punished or closed) or FG_E_FUNDS (the buyer holds less than the
//  task's max_price, or without one the cheapest connected miner's ask),
//  with why. Always 0 with hub/require_funds off.
fg_error_t hub_escrow_admit (hub_escrow_t *self, const char *buyer_key,
                             const Fogrid__TaskSpec *spec, hub_miners_t *miners,
                             char *why, size_t size);

//  A placement's terms, decided before anything is sent, so the ledger
//  cannot refuse what was checked
typedef struct {
    int64_t price;              //  the miner's ask
    int64_t balance;            //  what the buyer holds (when price > 0)
    bool wallet_ok;             //  the wallet may charge
    bool own;                   //  the miner is the hub's own
    bool charge;                //  the task is paid for
    bool placeable;             //  false: hub/require_funds, and it cannot be
} hub_escrow_quote_t;

void hub_escrow_quote (hub_escrow_t *self, const hub_task_t *task, const hub_miner_t *miner,
                       hub_escrow_quote_t *quote);

//  Holds the quoted price in escrow (a service is billed from when it runs
//  instead). Returns 0, or 1 when the ledger refused and hub/require_funds
//  says the task must then not run. reason says why it runs unpaid ("" when
//  it is paid or free).
int hub_escrow_hold (hub_escrow_t *self, const hub_task_t *task, const hub_miner_t *miner,
                     hub_escrow_quote_t *quote, char *reason, size_t size);

//  With hub/require_funds, the index among owners of a miner the task
//  can be paid on: chosen when it is one, else the policy's choice among
//  those that are (hub_sched_choose), or -1 with the task's reason saying
//  why it waits.
int hub_escrow_affordable (hub_escrow_t *self, hub_task_t *task, hub_sched_miner_t *cands,
                           hub_miner_t **owners, size_t count, int chosen);

//  Before a task's state changes to next (miner: its miner, NULL when
//  unknown): drains escrow at a final state or a requeue (pay and fee on
//  success, else refund), starts and stops the billing of a service.
void hub_escrow_task_change (hub_escrow_t *self, hub_task_t *task, hub_task_state_t next,
                             hub_miner_t *miner);

//  When the court (hub_court.h) resolved a finished task: pays what its
//  escrow holds to its miner (pay true: its result stands), else refunds
//  it to its buyer. Once: a second call finds nothing held.
void hub_escrow_resolve (hub_escrow_t *self, hub_task_t *task, bool pay);

//  The court's money (hub_court.h). A challenge's deposit: buyer:KEY ->
//  court:TASK (challenge/TASK). 0, or FG_E_FUNDS with why.
fg_error_t hub_escrow_challenge_hold (hub_escrow_t *self, const char *task_id,
                                      const char *challenger, int64_t amount,
                                      char *why, size_t size);

//  What a verdict moves, in one ledger transaction: each wrong miner's
//  stake loses slash_percent of it to court:TASK; a right challenger gets
//  its deposit back; each right check run is paid price from what the
//  court holds, as far as it goes; the rest goes to beneficiary (the
//  right challenger's reward, or the wronged party). Fills what was
//  slashed and what the beneficiary got. 0, or -1 (logged: the ledger
//  refused; nothing moved).
typedef struct {
    const char *task_id;
    const char *challenger;         //  its key, NULL for a spot check
    bool challenger_right;
    const char **wrong;             //  miner ids whose stakes are slashed
    size_t n_wrong;
    const char **payees;            //  miner ids of the right check runs
    const char **payee_runs;        //  ...and their run ids
    size_t n_payees;
    int64_t price;                  //  what one check run is paid
    const char *beneficiary;        //  account of what is left
} hub_escrow_verdict_t;

int hub_escrow_verdict (hub_escrow_t *self, const hub_escrow_verdict_t *verdict,
                        int64_t *slashed, int64_t *rest);

//  A spot check run that agreed is paid price from hub:fee, as far as it
//  holds (the hub checks at its own cost).
void hub_escrow_spot_pay (hub_escrow_t *self, const char *run_id, const char *miner_id,
                          int64_t price);

//  Moves a miner's stake: buyer:KEY -> stake:ID (stake/TOKEN), or back
//  (unstake/TOKEN) when withdraw. Fills the transfer's id, what the stake
//  holds afterwards and whether the token was used before. 0, or
//  FG_E_FUNDS / FG_E_CONFLICT with why.
fg_error_t hub_escrow_stake_move (hub_escrow_t *self, const char *miner_id, const char *key,
                                  int64_t amount, bool withdraw, const char *token,
                                  char *transfer_id, int64_t *balance, bool *duplicate,
                                  char *why, size_t size);

//  A miner's stake account: stake:ID.
void hub_escrow_stake_account (const char *miner_id, char *account, size_t size);

//  Settles escrow left over from an earlier run (a settlement the ledger
//  refused): finished tasks are paid or refunded as their state says,
//  pending ones refunded; assigned and running ones keep theirs.
void hub_escrow_sweep (hub_escrow_t *self, hub_tasks_t *tasks);

//  What the buyer was charged for a task: a service's bill and seconds,
//  else what escrow holds (assigned, running) or was paid (succeeded).
void hub_escrow_charged (hub_escrow_t *self, const hub_task_t *task, uint64_t *price,
                         uint64_t *billed, uint64_t *billed_seconds);

//  Bills the services their seconds and pays their miners (hub_billing);
//  appends the task ids of services whose buyers' funds ran out to broke.
//  Returns 0, or -1 when the settlement failed (billed at the next one).
int hub_escrow_settle_services (hub_escrow_t *self, int64_t now, zlist_t *broke);

//  A service's bill so far.
int64_t hub_escrow_billed (hub_escrow_t *self, const char *task_id, int64_t *seconds);

#endif
