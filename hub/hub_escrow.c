/*  =========================================================================
    hub_escrow - the money that moves with tasks

    DESIGN
    Every task change that moves money does it in the same store
    transaction as the change (hub_tasks calls hub_escrow_task_change
    before it writes the change, and the placer holds the escrow before
    the assignment), so a crash keeps both or neither:

        task change                     transfer (id)
        -----------                     -------------
        pending -> assigned             buyer:KEY -> escrow:TASK, the miner's
                                        ask (escrow/TASK/ATTEMPT)
        -> succeeded, its result        escrow:TASK -> miner:ID, minus the fee
           resolved (hub_court.h)       (pay/TASK), and -> hub:fee (fee/TASK)
        -> succeeded, pending           (held: hub_escrow_resolve pays or
                                        refunds it when the court decides)
        -> failed, cancelled, pending   escrow:TASK -> buyer:KEY
           (lost miner: requeued)       (refund/TASK/ATTEMPT)

    pay/TASK can exist once, so no task is paid twice; what escrow holds is
    always drained by the settlement, and an escrow left over by a failed
    settlement is settled at the next start (hub_escrow_sweep). A task is
    charged its miner's ask, which the scheduler keeps within the task's
    max_price. hub/require_funds decides what happens to a buyer who
    cannot pay it: on, a submit is refused (FG_E_FUNDS) when the buyer's
    balance is below the task's max_price (or, without one, below the
    cheapest connected miner's ask), and the placer only places a task on
    miners whose ask the buyer's balance covers; a task no such miner fits
    stays pending, its reason saying so, until a deposit or a cheaper
    miner comes. Off (the default, for try-out grids), a task whose buyer
    cannot pay runs unpaid: nothing is escrowed and its miner earns
    nothing for it, while buyers who can pay are charged as usual. Buyers
    are their CurveZMQ public keys (buyer:anonymous on a plain-text hub).

    The hub's wallet (hub_wallet.h) decides whether it may take paid work
    at all. A created wallet (not registered by the DAO yet), a punished
    or a closed one holds nothing in escrow: with hub/require_funds off
    the tasks of paying buyers then run unpaid, their reason says why;
    with it on they wait (created) or are refused at submit (punished,
    closed). A task's escrow is paid to its miner in every state but
    created; escrow of a success that finds the wallet created (a database
    from before the wallet) waits there and is settled at registration.
    A miner that says hello with the hub's own key is marked in the
    ledger as the hub's own: the hub never pays itself, so it runs tasks
    unpaid (or, with require_funds, gets no paid ones). Each payout gets
    its signed receipt (fg_receipt.h) from the wallet.

    Services (fogrid run-service) are not paid from escrow: they are
    billed per second while they run (hub_billing.h), from their start to
    their end, or for a miner that was lost, to when it was last heard of.
    =========================================================================  */
#include "fogrid.h"
#include "hub_escrow.h"

struct _hub_escrow_t {
    hub_ledger_t *ledger;       //  the accounts (not owned)
    hub_wallet_t *wallet;       //  may the hub charge, pay (not owned)
    hub_billing_t *billing;     //  services billed per second (owned)
    const hub_config_t *config; //  fee_percent, require_funds
};

hub_escrow_t *
hub_escrow_new (hub_store_t *store, hub_ledger_t *ledger, hub_wallet_t *wallet,
                const hub_config_t *config, char *err, size_t err_size)
{
    hub_billing_t *billing = hub_billing_new (store, ledger, wallet, config->fee_percent,
                                              err, err_size);
    if (!billing)
        return NULL;
    hub_escrow_t *self = (hub_escrow_t *) zmalloc (sizeof (hub_escrow_t));
    self->ledger = ledger;
    self->wallet = wallet;
    self->billing = billing;
    self->config = config;
    return self;
}

void
hub_escrow_destroy (hub_escrow_t **self_p)
{
    if (*self_p) {
        hub_escrow_t *self = *self_p;
        hub_billing_destroy (&self->billing);
        free (self);
        *self_p = NULL;
    }
}

void
hub_escrow_buyer_account (const char *buyer_key, char *account, size_t size)
{
    snprintf (account, size, "buyer:%s", buyer_key && *buyer_key? buyer_key: "anonymous");
}

void
hub_escrow_account (const char *task_id, char *account, size_t size)
{
    snprintf (account, size, "escrow:%s", task_id);
}

int64_t
hub_escrow_balance (hub_escrow_t *self, const char *account)
{
    int64_t balance = 0;
    hub_ledger_balance (self->ledger, account, &balance);
    return balance;
}

int64_t
hub_escrow_held (hub_escrow_t *self, const char *task_id)
{
    char escrow [64];
    hub_escrow_account (task_id, escrow, sizeof escrow);
    return hub_escrow_balance (self, escrow);
}

static void
s_sum_balance (void *arg, const char *account, int64_t balance)
{
    (void) account;
    *(int64_t *) arg += balance;
}

int64_t
hub_escrow_total (hub_escrow_t *self)
{
    int64_t total = 0;
    hub_ledger_accounts (self->ledger, "escrow:", false, s_sum_balance, &total);
    return total;
}

bool
hub_escrow_payout_id (const char *transfer_id)
{
    return strncmp (transfer_id, "pay/", 4) == 0;
}

int64_t
hub_escrow_ask (const hub_miner_t *miner, const Fogrid__TaskSpec *spec)
{
    //  (a hello asking more than INT64_MAX is refused)
    return (int64_t) hub_sched_ask (miner->resources, spec);
}

int64_t
hub_escrow_cheapest_ask (hub_miners_t *miners, const Fogrid__TaskSpec *spec)
{
    int64_t cheapest = -1;
    for (hub_miner_t *miner = hub_miners_first (miners); miner;
         miner = hub_miners_next (miners))
        if (miner->state == HUB_MINER_CONNECTED
        &&  (cheapest < 0 || hub_escrow_ask (miner, spec) < cheapest))
            cheapest = hub_escrow_ask (miner, spec);
    return cheapest < 0? 0: cheapest;
}

static void
s_miner_account (const char *miner_id, char *account, size_t size)
{
    snprintf (account, size, "miner:%s", miner_id);
}

bool
hub_escrow_own (hub_escrow_t *self, const hub_miner_t *miner)
{
    char account [HUB_ACCOUNT_MAX];
    s_miner_account (miner->id, account, sizeof account);
    return hub_ledger_own (self->ledger, account);
}

bool
hub_escrow_mark_own (hub_escrow_t *self, const hub_miner_t *miner)
{
    char account [HUB_ACCOUNT_MAX];
    s_miner_account (miner->id, account, sizeof account);
    if (hub_ledger_own (self->ledger, account))
        return false;
    hub_ledger_own_add (self->ledger, account);
    return true;
}

bool
hub_escrow_chargeable (hub_escrow_t *self, const hub_miner_t *miner, const hub_task_t *task,
                       int64_t balance)
{
    int64_t price = hub_escrow_ask (miner, task->spec);
    return price == 0
        || (balance >= price && hub_wallet_can_charge (self->wallet)
            && !hub_escrow_own (self, miner));
}

fg_error_t
hub_escrow_admit (hub_escrow_t *self, const char *buyer_key, const Fogrid__TaskSpec *spec,
                  hub_miners_t *miners, char *why, size_t size)
{
    if (!self->config->require_funds)
        return 0;
    if (hub_wallet_state (self->wallet) == HUB_WALLET_PUNISHED
    ||  hub_wallet_state (self->wallet) == HUB_WALLET_CLOSED) {
        snprintf (why, size, "submit refused: %s", hub_wallet_refusal (self->wallet));
        return FG_E_STATE;
    }
    //  The price is known only at assignment; refused now is the buyer
    //  who cannot pay its own ceiling, or the cheapest miner there is
    char account [HUB_ACCOUNT_MAX];
    hub_escrow_buyer_account (buyer_key, account, sizeof account);
    int64_t balance = hub_escrow_balance (self, account);
    uint64_t ceiling = spec->max_price;
    int64_t needed = ceiling? (ceiling > (uint64_t) INT64_MAX? INT64_MAX: (int64_t) ceiling)
                            : hub_escrow_cheapest_ask (miners, spec);
    if (balance < needed) {
        snprintf (why, size, "submit refused: not enough funds: %s holds %" PRId64 ", this "
                  "task needs %" PRId64 " (%s); deposit first", account, balance, needed,
                  ceiling? "its max_price": "the cheapest miner's ask");
        return FG_E_FUNDS;
    }
    return 0;
}

void
hub_escrow_quote (hub_escrow_t *self, const hub_task_t *task, const hub_miner_t *miner,
                  hub_escrow_quote_t *quote)
{
    char buyer [HUB_ACCOUNT_MAX];
    hub_escrow_buyer_account (task->buyer, buyer, sizeof buyer);
    quote->price = hub_escrow_ask (miner, task->spec);
    quote->balance = quote->price > 0? hub_escrow_balance (self, buyer): 0;
    quote->wallet_ok = hub_wallet_can_charge (self->wallet);
    quote->own = quote->price > 0 && hub_escrow_own (self, miner);
    quote->charge = quote->price > 0 && quote->balance >= quote->price && quote->wallet_ok
                 && !quote->own;
    //  A check run is not its buyer's to pay: the loser of its verdict pays it
    if (task->role >= HUB_ROLE_CHECK)
        quote->charge = false;
    //  (the placer offers only miners the buyer can pay: this is the backstop)
    quote->placeable = task->role >= HUB_ROLE_CHECK
                    || !(quote->price > 0 && !quote->charge && self->config->require_funds);
}

int
hub_escrow_hold (hub_escrow_t *self, const hub_task_t *task, const hub_miner_t *miner,
                 hub_escrow_quote_t *quote, char *reason, size_t size)
{
    char buyer [HUB_ACCOUNT_MAX];
    hub_escrow_buyer_account (task->buyer, buyer, sizeof buyer);
    *reason = 0;
    if (quote->charge && !hub_task_is_service (task)) {
        char id [96], escrow [64], memo [160];
        snprintf (id, sizeof id, "escrow/%s/%u", task->id, task->attempt);
        hub_escrow_account (task->id, escrow, sizeof escrow);
        snprintf (memo, sizeof memo, "task %s attempt %u on %s", task->id, task->attempt,
                  miner->id);
        hub_ledger_rc_t rc = hub_ledger_transfer (self->ledger, id, buyer, escrow,
                                                  quote->price, memo);
        if (rc != HUB_LEDGER_OK && rc != HUB_LEDGER_REPLAY) {
            zsys_error ("task %s: cannot hold %" PRId64 " in escrow: %s", task->id,
                        quote->price, hub_ledger_strerror (rc));
            if (self->config->require_funds)
                return 1;
            quote->charge = false;
        }
    }
    if (task->role >= HUB_ROLE_CHECK)
        snprintf (reason, size, "a check run: paid by the loser of its verdict");
    else
    if (quote->price > 0 && !quote->charge) {
        if (!quote->wallet_ok)
            snprintf (reason, size, "runs unpaid: %s (hub/require_funds is off)",
                      hub_wallet_refusal (self->wallet));
        else
        if (quote->own)
            snprintf (reason, size, "runs unpaid: miner %s runs with the hub's own key, "
                      "and a hub cannot pay itself", miner->id);
        else
            snprintf (reason, size, "runs unpaid: %s holds %" PRId64 ", %s asks %" PRId64
                      " (hub/require_funds is off)", buyer, quote->balance, miner->id,
                      quote->price);
    }
    return 0;
}

int
hub_escrow_affordable (hub_escrow_t *self, hub_task_t *task, hub_sched_miner_t *cands,
                       hub_miner_t **owners, size_t count, int chosen)
{
    int64_t price = hub_escrow_ask (owners [chosen], task->spec);
    if (!self->config->require_funds || price == 0 || task->role >= HUB_ROLE_CHECK)
        return chosen;
    char buyer [HUB_ACCOUNT_MAX];
    hub_escrow_buyer_account (task->buyer, buyer, sizeof buyer);
    int64_t balance = hub_escrow_balance (self, buyer);
    if (hub_escrow_chargeable (self, owners [chosen], task, balance))
        return chosen;
    hub_sched_miner_t *within = (hub_sched_miner_t *) zmalloc (sizeof (hub_sched_miner_t) * count);
    memcpy (within, cands, sizeof (hub_sched_miner_t) * count);
    for (size_t index = 0; index < count; index++)
        if (!hub_escrow_chargeable (self, owners [index], task, balance))
            within [index].connected = false;
    int affordable = hub_sched_choose (task->spec, within, count);
    free (within);
    if (affordable < 0) {
        char reason [256];
        if (!hub_wallet_can_charge (self->wallet))
            snprintf (reason, sizeof reason, "waiting: %s, and every miner that fits asks a price",
                      hub_wallet_refusal (self->wallet));
        else
        if (balance >= price)
            snprintf (reason, sizeof reason, "waiting: %s runs with the hub's own key (a hub "
                      "cannot pay itself) and no other miner that fits is free or affordable",
                      owners [chosen]->id);
        else
            snprintf (reason, sizeof reason, "waiting for funds: %s holds %" PRId64
                      ", less than any miner that fits asks (%s asks %" PRId64 ")",
                      buyer, balance, owners [chosen]->id, price);
        if (!streq (task->reason, reason)) {
            zsys_info ("task %s %s", task->id, reason);
            hub_task_set_text (&task->reason, reason);
        }
    }
    return affordable;
}

//  Drains what escrow holds for the task: to its miner (less the hub's
//  fee) when it succeeded, else back to its buyer. A settlement the ledger
//  refuses leaves the money in escrow (never lost; logged) for the next
//  start's sweep. tag: "" for a settlement at the change, else the sweep's
//  mark for the refund's id.
static void
s_settle (hub_escrow_t *self, hub_task_t *task, bool success, const char *tag)
{
    char escrow [64];
    hub_escrow_account (task->id, escrow, sizeof escrow);
    int64_t held = hub_escrow_balance (self, escrow);
    if (held <= 0)
        return;
    char buyer [HUB_ACCOUNT_MAX], miner [HUB_ACCOUNT_MAX], pay_id [96], fee_id [96], memo [200];
    hub_escrow_buyer_account (task->buyer, buyer, sizeof buyer);
    s_miner_account (task->miner_id, miner, sizeof miner);
    bool pay = success && *task->miner_id;
    bool own = pay && hub_ledger_own (self->ledger, miner);
    if (pay && !own && !hub_wallet_can_pay (self->wallet)) {
        zsys_warning ("task %s: its escrow of %" PRId64 " stays in %s until the wallet is "
                      "registered: %s", task->id, held, escrow, hub_wallet_refusal (self->wallet));
        return;
    }
    hub_transfer_t legs [2];
    size_t count = 0;
    if (pay && !own) {
        int64_t fee = hub_ledger_fee (held, self->config->fee_percent);
        snprintf (pay_id, sizeof pay_id, "pay/%s", task->id);
        snprintf (fee_id, sizeof fee_id, "fee/%s", task->id);
        snprintf (memo, sizeof memo, "task %s succeeded on %s (attempt %u), price %" PRId64,
                  task->id, task->miner_id, task->attempt, held);
        if (held - fee > 0)
            legs [count++] = (hub_transfer_t) { pay_id, escrow, miner, held - fee, memo };
        if (fee > 0)
            legs [count++] = (hub_transfer_t) { fee_id, escrow, "hub:fee", fee, memo };
    }
    else {
        if (*tag)
            snprintf (pay_id, sizeof pay_id, "refund/%s/%s", task->id, tag);
        else
            snprintf (pay_id, sizeof pay_id, "refund/%s/%u", task->id, task->attempt);
        snprintf (memo, sizeof memo, "task %s attempt %u %s: refund", task->id, task->attempt,
                  own? "succeeded on the hub's own miner (a hub cannot pay itself)"
                  : success? "succeeded without a miner": "did not succeed");
        legs [count++] = (hub_transfer_t) { pay_id, escrow, buyer, held, memo };
    }
    hub_ledger_rc_t rc = hub_ledger_apply (self->ledger, legs, count);
    if (rc != HUB_LEDGER_OK && rc != HUB_LEDGER_REPLAY)
        zsys_error ("task %s: cannot settle its escrow of %" PRId64 " (%s): it stays in %s",
                    task->id, held, hub_ledger_strerror (rc), escrow);
    else
    if (pay && !own) {
        zsys_info ("task %s: paid %" PRId64 " to miner:%s, fee %" PRId64, task->id,
                   count? legs [0].amount: 0, task->miner_id, held - (count? legs [0].amount: 0));
        if (hub_ledger_amount (self->ledger, pay_id) > 0)
            hub_wallet_receipt_make (self->wallet, task->id, task->attempt, task->miner_id);
    }
    else
        zsys_info ("task %s: refunded %" PRId64 " to %s", task->id, held, buyer);
}

//  What a service costs its buyer per second on miner: its ask, or 0 when
//  it runs unpaid (the buyer cannot pay a second, the wallet may not
//  charge, or the miner is the hub's own).
static int64_t
s_service_rate (hub_escrow_t *self, hub_task_t *task, hub_miner_t *miner)
{
    char buyer [HUB_ACCOUNT_MAX];
    hub_escrow_buyer_account (task->buyer, buyer, sizeof buyer);
    int64_t rate = hub_escrow_ask (miner, task->spec);
    return rate > 0 && hub_escrow_chargeable (self, miner, task, hub_escrow_balance (self, buyer))
         ? rate: 0;
}

//  A service is billed while it runs: from its start, to its end; for a
//  miner that was lost, to when it was last heard of.
static void
s_service_billing (hub_escrow_t *self, hub_task_t *task, hub_task_state_t next,
                   hub_miner_t *miner)
{
    int64_t now = fg_now_ms ();
    if (next == HUB_TASK_RUNNING && miner) {
        char buyer [HUB_ACCOUNT_MAX];
        hub_escrow_buyer_account (task->buyer, buyer, sizeof buyer);
        int64_t rate = s_service_rate (self, task, miner);
        if (hub_billing_start (self->billing, task->id, buyer, miner->id, rate, now))
            zsys_error ("task %s: cannot start billing its service", task->id);
        else
        if (rate > 0)
            zsys_info ("task %s: service billed %" PRId64 " per second to %s", task->id, rate,
                       buyer);
    }
    else
    if (task->state == HUB_TASK_RUNNING) {
        int64_t end = miner && miner->state != HUB_MINER_CONNECTED && miner->last_seen_ms < now?
                      miner->last_seen_ms: now;
        if (hub_billing_stop (self->billing, task->id, end))
            zsys_error ("task %s: cannot bill the end of its service", task->id);
    }
}

void
hub_escrow_task_change (hub_escrow_t *self, hub_task_t *task, hub_task_state_t next,
                        hub_miner_t *miner)
{
    if (!hub_task_transition_valid (task->state, next))
        return;
    //  A result that does not stand yet keeps its pay in escrow: the
    //  court pays it (hub_escrow_resolve) once it does
    if (next == HUB_TASK_SUCCEEDED && task->resolution == HUB_RESOLUTION_PENDING)
        zsys_info ("task %s: its pay stays in escrow until its result is resolved", task->id);
    else
    if (next != HUB_TASK_ASSIGNED && next != HUB_TASK_RUNNING)
        s_settle (self, task, next == HUB_TASK_SUCCEEDED, "");
    if (hub_task_is_service (task))
        s_service_billing (self, task, next, miner);
}

void
hub_escrow_resolve (hub_escrow_t *self, hub_task_t *task, bool pay)
{
    s_settle (self, task, pay, "");
}

fg_error_t
hub_escrow_challenge_hold (hub_escrow_t *self, const char *task_id, const char *challenger,
                           int64_t amount, char *why, size_t size)
{
    if (amount <= 0)
        return 0;
    char buyer [HUB_ACCOUNT_MAX], court [HUB_ACCOUNT_MAX], id [96], memo [160];
    hub_escrow_buyer_account (challenger, buyer, sizeof buyer);
    snprintf (court, sizeof court, "court:%s", task_id);
    snprintf (id, sizeof id, "challenge/%s", task_id);
    snprintf (memo, sizeof memo, "deposit for the challenge of task %s", task_id);
    hub_ledger_rc_t rc = hub_ledger_transfer (self->ledger, id, buyer, court, amount, memo);
    if (rc == HUB_LEDGER_OK || rc == HUB_LEDGER_REPLAY)
        return 0;
    snprintf (why, size, "challenge refused: %s cannot put down the deposit of %" PRId64
              " (hub/challenge_deposit): %s", buyer, amount, hub_ledger_strerror (rc));
    return FG_E_FUNDS;
}

void
hub_escrow_stake_account (const char *miner_id, char *account, size_t size)
{
    snprintf (account, size, "stake:%s", miner_id);
}

fg_error_t
hub_escrow_stake_move (hub_escrow_t *self, const char *miner_id, const char *key,
                       int64_t amount, bool withdraw, const char *token, char *transfer_id,
                       int64_t *balance, bool *duplicate, char *why, size_t size)
{
    char buyer [HUB_ACCOUNT_MAX], stake [HUB_ACCOUNT_MAX], memo [160];
    hub_escrow_buyer_account (key, buyer, sizeof buyer);
    hub_escrow_stake_account (miner_id, stake, sizeof stake);
    snprintf (transfer_id, 200, "%s/%s", withdraw? "unstake": "stake", token);
    snprintf (memo, sizeof memo, "stake of miner %s %s", miner_id,
              withdraw? "taken back": "put down");
    hub_ledger_rc_t rc = hub_ledger_transfer (self->ledger, transfer_id,
                                              withdraw? stake: buyer, withdraw? buyer: stake,
                                              amount, memo);
    *duplicate = rc == HUB_LEDGER_REPLAY;
    *balance = hub_escrow_balance (self, stake);
    if (rc == HUB_LEDGER_OK || rc == HUB_LEDGER_REPLAY)
        return 0;
    snprintf (why, size, "stake refused: %s -> %s of %" PRId64 ": %s", withdraw? stake: buyer,
              withdraw? buyer: stake, amount, hub_ledger_strerror (rc));
    return rc == HUB_LEDGER_FUNDS? FG_E_FUNDS: rc == HUB_LEDGER_CONFLICT? FG_E_CONFLICT
                                 : FG_E_INVALID;
}

int
hub_escrow_verdict (hub_escrow_t *self, const hub_escrow_verdict_t *verdict,
                    int64_t *slashed, int64_t *rest)
{
    size_t max = verdict->n_wrong + verdict->n_payees + 3;
    hub_transfer_t *legs = (hub_transfer_t *) zmalloc (sizeof (hub_transfer_t) * max);
    char (*ids) [200] = (char (*) [200]) zmalloc (200 * max);
    char (*accounts) [HUB_ACCOUNT_MAX] = (char (*) [HUB_ACCOUNT_MAX]) zmalloc (HUB_ACCOUNT_MAX * 2 * max);
    char court [HUB_ACCOUNT_MAX], memo [160];
    snprintf (court, sizeof court, "court:%s", verdict->task_id);
    snprintf (memo, sizeof memo, "verdict on task %s", verdict->task_id);
    size_t count = 0, slot = 0;
    int64_t pot = hub_escrow_balance (self, court);
    *slashed = *rest = 0;
    for (size_t index = 0; index < verdict->n_wrong; index++) {
        char *stake = accounts [slot++];
        hub_escrow_stake_account (verdict->wrong [index], stake, HUB_ACCOUNT_MAX);
        int64_t cut = hub_escrow_balance (self, stake) / 100 * self->config->slash_percent
                    + hub_escrow_balance (self, stake) % 100 * self->config->slash_percent / 100;
        if (cut <= 0)
            continue;
        snprintf (ids [count], 200, "verdict/%s/slash/%s", verdict->task_id, verdict->wrong [index]);
        legs [count] = (hub_transfer_t) { ids [count], stake, court, cut, memo };
        count++;
        *slashed += cut;
        pot += cut;
    }
    char buyer [HUB_ACCOUNT_MAX];
    if (verdict->challenger && verdict->challenger_right) {
        //  Its deposit back: only what was slashed pays the checks
        hub_escrow_buyer_account (verdict->challenger, buyer, sizeof buyer);
        char deposit_id [96];
        snprintf (deposit_id, sizeof deposit_id, "challenge/%s", verdict->task_id);
        int64_t deposit = hub_ledger_amount (self->ledger, deposit_id);
        if (deposit > 0 && deposit <= pot) {
            snprintf (ids [count], 200, "verdict/%s/deposit", verdict->task_id);
            legs [count] = (hub_transfer_t) { ids [count], court, buyer, deposit, memo };
            count++;
            pot -= deposit;
        }
    }
    for (size_t index = 0; index < verdict->n_payees && pot > 0; index++) {
        int64_t pay = verdict->price < pot? verdict->price: pot;
        if (pay <= 0)
            break;
        char *miner = accounts [slot++];
        s_miner_account (verdict->payees [index], miner, HUB_ACCOUNT_MAX);
        snprintf (ids [count], 200, "verdict/%s/check/%s", verdict->task_id,
                  verdict->payee_runs [index]);
        legs [count] = (hub_transfer_t) { ids [count], court, miner, pay, memo };
        count++;
        pot -= pay;
    }
    if (pot > 0 && verdict->beneficiary && *verdict->beneficiary) {
        snprintf (ids [count], 200, "verdict/%s/rest", verdict->task_id);
        legs [count] = (hub_transfer_t) { ids [count], court, verdict->beneficiary, pot, memo };
        count++;
        *rest = pot;
    }
    int rc = 0;
    if (count) {
        hub_ledger_rc_t result = hub_ledger_apply (self->ledger, legs, count);
        if (result != HUB_LEDGER_OK && result != HUB_LEDGER_REPLAY) {
            zsys_error ("task %s: the verdict's transfers were refused: %s", verdict->task_id,
                        hub_ledger_strerror (result));
            rc = -1;
            *slashed = *rest = 0;
        }
    }
    free (legs);
    free (ids);
    free (accounts);
    return rc;
}

void
hub_escrow_spot_pay (hub_escrow_t *self, const char *run_id, const char *miner_id,
                     int64_t price)
{
    int64_t fees = hub_escrow_balance (self, "hub:fee");
    int64_t pay = price < fees? price: fees;
    if (pay <= 0)
        return;
    char miner [HUB_ACCOUNT_MAX], id [96], memo [160];
    s_miner_account (miner_id, miner, sizeof miner);
    snprintf (id, sizeof id, "spot/%s", run_id);
    snprintf (memo, sizeof memo, "spot check %s, at the hub's cost", run_id);
    hub_ledger_rc_t rc = hub_ledger_transfer (self->ledger, id, "hub:fee", miner, pay, memo);
    if (rc != HUB_LEDGER_OK && rc != HUB_LEDGER_REPLAY)
        zsys_warning ("spot check %s: not paid: %s", run_id, hub_ledger_strerror (rc));
}

static void
s_collect_name (void *arg, const char *account, int64_t balance)
{
    (void) balance;
    zlist_append ((zlist_t *) arg, (void *) account);
}

void
hub_escrow_sweep (hub_escrow_t *self, hub_tasks_t *tasks)
{
    zlist_t *names = zlist_new ();
    zlist_autofree (names);
    hub_ledger_accounts (self->ledger, "escrow:", false, s_collect_name, names);
    char tag [32];
    snprintf (tag, sizeof tag, "sweep-%" PRId64, hub_ledger_size (self->ledger));
    for (char *name = (char *) zlist_first (names); name; name = (char *) zlist_next (names)) {
        const char *task_id = name + strlen ("escrow:");
        bool owned;
        hub_task_t *task = hub_tasks_find (tasks, task_id, &owned);
        if (!task)
            zsys_error ("ledger: %s holds %" PRId64 " for a task this hub does not know: left there",
                        name, hub_escrow_balance (self, name));
        else
        if (task->resolution == HUB_RESOLUTION_PENDING
        ||  task->resolution == HUB_RESOLUTION_CHALLENGED)
            ;           //  the court's: paid or refunded when it is resolved
        else
        if (task->state != HUB_TASK_ASSIGNED && task->state != HUB_TASK_RUNNING) {
            zsys_warning ("ledger: %s still holds %" PRId64 " for a %s task: settling it",
                          name, hub_escrow_balance (self, name), hub_task_state_name (task->state));
            s_settle (self, task, task->state == HUB_TASK_SUCCEEDED, tag);
        }
        if (owned)
            hub_task_destroy (&task);
    }
    zlist_destroy (&names);
}

void
hub_escrow_charged (hub_escrow_t *self, const hub_task_t *task, uint64_t *price,
                    uint64_t *billed, uint64_t *billed_seconds)
{
    char id [96];
    *price = *billed = *billed_seconds = 0;
    if (hub_task_is_service (task)) {
        int64_t seconds = 0;
        *billed = (uint64_t) hub_billing_billed (self->billing, task->id, &seconds);
        *billed_seconds = (uint64_t) seconds;
    }
    else
    if (task->state == HUB_TASK_ASSIGNED || task->state == HUB_TASK_RUNNING
    ||  (task->state == HUB_TASK_SUCCEEDED && hub_escrow_held (self, task->id) > 0))
        *price = (uint64_t) hub_escrow_held (self, task->id);
    else
    if (task->state == HUB_TASK_SUCCEEDED) {
        snprintf (id, sizeof id, "pay/%s", task->id);
        int64_t paid = hub_ledger_amount (self->ledger, id);
        snprintf (id, sizeof id, "fee/%s", task->id);
        *price = (uint64_t) (paid + hub_ledger_amount (self->ledger, id));
    }
}

int
hub_escrow_settle_services (hub_escrow_t *self, int64_t now, zlist_t *broke)
{
    return hub_billing_settle (self->billing, now, broke) < 0? -1: 0;
}

int64_t
hub_escrow_billed (hub_escrow_t *self, const char *task_id, int64_t *seconds)
{
    return hub_billing_billed (self->billing, task_id, seconds);
}
