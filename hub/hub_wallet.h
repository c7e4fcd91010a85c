/*  =========================================================================
    hub_wallet - the hub's wallet: its lifecycle, paydays and receipts

    The wallet is the hub's side of the money: a stake of frozen funds put
    up at its first start (world -> hub:wallet:frozen, hub/wallet_stake),
    the fees it collects (hub:fee) and its owner's account (owner). Its
    state says what the hub may do with money:

        state \ event  register    suspect     clear       punish      payday      close
        created        registered  -           -           -           -           -
        registered     -           suspected   -           punished    registered  closed
        suspected      -           -           registered  punished    -           -
        punished       (final)
        closed         (final)

        event       who may             guard and action
        register    DAO                 -
        suspect     DAO                 a reason is required
        clear       DAO                 -
        punish      DAO                 a reason is required; the stake
                                        hub:wallet:frozen -> hub/punish_account
        payday      owner               hub/pay_period_s since the last payday
                                        (or the registration); hub:fee and
                                        hub:wallet:free -> owner
        close       owner               no escrow is held; hub:fee,
                                        hub:wallet:free, hub:wallet:frozen -> owner

    The DAO is a key in hub/admin_keys, the owner one in hub/owner_keys (or
    in hub/admin_keys when that is empty); the hub itself creates the
    wallet, and registers it at once with hub/wallet_self_register (for
    grids without a DAO). What each state allows:

        new escrow (a paid task)    registered, suspected
        paying escrow to a miner    every state but created
    =========================================================================  */
#ifndef HUB_WALLET_H_INCLUDED
#define HUB_WALLET_H_INCLUDED

#include "hub_store.h"
#include "hub_ledger.h"

typedef struct _hub_wallet_t hub_wallet_t;

typedef enum {
    HUB_WALLET_CREATED = 1,     //  staked, not registered: pays nobody
    HUB_WALLET_REGISTERED,      //  may take paid work, pay and run payday
    HUB_WALLET_SUSPECTED,       //  under the DAO's suspicion: no payday, no close
    HUB_WALLET_PUNISHED,        //  its stake confiscated (final)
    HUB_WALLET_CLOSED,          //  its funds back with the owner (final)
    HUB_WALLET_STATES           //  keep last: 1 + number of states
} hub_wallet_state_t;

typedef enum {
    HUB_WALLET_CREATE = 1,      //  the hub's first start (not a request)
    HUB_WALLET_REGISTER,
    HUB_WALLET_SUSPECT,
    HUB_WALLET_CLEAR,
    HUB_WALLET_PUNISH,
    HUB_WALLET_PAYDAY,
    HUB_WALLET_CLOSE,
    HUB_WALLET_EVENTS           //  keep last
} hub_wallet_event_t;

//  Who is asking (a set: a key may be both)
#define HUB_WALLET_DAO      1
#define HUB_WALLET_OWNER    2

typedef struct {
    const char *hub_id;         //  named in receipts
    int64_t stake;              //  frozen at creation, 0 = none
    int64_t pay_period_ms;      //  between paydays
    const char *punish_account; //  where a punished hub's stake goes
    bool self_register;         //  registered by the hub itself at creation
} hub_wallet_config_t;

//  One transition, as the wallet returns it.
typedef struct {
    int64_t seq;                //  from 1
    int64_t at_ms;
    const char *event;          //  "register", ...
    const char *from;           //  state names ("none" before creation)
    const char *to;
    const char *by;             //  the key that asked, or "hub"
    const char *reason;
    const char *transfers;      //  ledger ids it made, comma-separated
} hub_wallet_row_t;

typedef void (hub_wallet_row_fn) (void *arg, const hub_wallet_row_t *row);

//  Opens the wallet in the store's database, checking every recorded
//  transition (signatures by the ledger key, the chain, its signed head,
//  the ledger entries it names), or creates it on first start. NULL with
//  the reason in err on failure.
hub_wallet_t *hub_wallet_new (hub_store_t *store, hub_ledger_t *ledger,
                              const hub_wallet_config_t *config, char *err, size_t err_size);
void hub_wallet_destroy (hub_wallet_t **self_p);

//  Reads the wallet's state again from its rows, as at start (checking
//  them): for a caller whose transaction was rolled back. Returns 0, or
//  -1 with err.
int hub_wallet_reload (hub_wallet_t *self, char *err, size_t err_size);

hub_wallet_state_t hub_wallet_state (hub_wallet_t *self);
const char *hub_wallet_state_name (hub_wallet_state_t state);
const char *hub_wallet_event_name (hub_wallet_event_t event);
//  A request's event by name; 0 for an unknown one (and for "create").
hub_wallet_event_t hub_wallet_event_from_name (const char *name);

//  Applies a requested event for a caller holding roles (HUB_WALLET_DAO,
//  HUB_WALLET_OWNER), named by (its key). The transition and its
//  transfers are one savepoint: inside the store's open transaction when
//  there is one. Returns FG_OK, or FG_E_DENIED (not the caller's to ask),
//  FG_E_STATE (not in this state, not yet, escrow held), FG_E_INVALID (a
//  reason is missing or bad), FG_E_INTERNAL, with why.
fg_error_t hub_wallet_apply (hub_wallet_t *self, hub_wallet_event_t event, unsigned roles,
                             const char *by, const char *reason, int64_t now_ms,
                             char *why, size_t why_size);

//  May the hub hold a new task's price in escrow? Pay a miner from escrow?
bool hub_wallet_can_charge (hub_wallet_t *self);
bool hub_wallet_can_pay (hub_wallet_t *self);

//  Why it cannot charge, for a task's reason; "" when it can.
const char *hub_wallet_refusal (hub_wallet_t *self);

//  When the state began; the last payday (or the registration, 0 when
//  never registered); when the next payday is allowed (0: not in this
//  state); the pay period.
int64_t hub_wallet_since_ms (hub_wallet_t *self);
int64_t hub_wallet_last_payday_ms (hub_wallet_t *self);
int64_t hub_wallet_next_payday_ms (hub_wallet_t *self);
int64_t hub_wallet_pay_period_ms (hub_wallet_t *self);
const char *hub_wallet_punish_account (hub_wallet_t *self);

//  Calls fn for the latest limit transitions (0 = all), newest first.
//  Returns 0 or -1.
int hub_wallet_rows (hub_wallet_t *self, size_t limit, hub_wallet_row_fn *fn, void *arg);

//  Makes the signed receipt of a task's payout (the pay/TASK entry, with
//  fee/TASK), in the open transaction, once: a receipt made before is
//  kept. Returns 0, or -1 when there is no payout or on a failure (logged).
int hub_wallet_receipt_make (hub_wallet_t *self, const char *task_id, uint32_t attempt,
                             const char *miner_id);

//  A task's receipt (JSON, caller frees), or NULL when it has none.
char *hub_wallet_receipt (hub_wallet_t *self, const char *task_id);

//  Called for each stored receipt that does not hold, with the task it
//  is for and why.
typedef void (hub_wallet_fault_fn) (void *arg, const char *task_id, const char *why);

//  Checks every stored receipt: signed by the ledger key, for the task and
//  miner of its row, and naming its payout as the ledger holds it (entry
//  id, position, hash, amount, the miner's account, the fee). fn (may be
//  NULL) hears of each that does not hold. Returns how many were checked
//  (*faults how many did not hold), or -1 when they cannot be read. The
//  wallet runs it when it opens: a receipt changed in the database stops
//  the hub at start, as a changed ledger row does.
int64_t hub_wallet_receipts_verify (hub_wallet_t *self, hub_wallet_fault_fn *fn, void *arg,
                                    int64_t *faults);

//  Answers AdminRequest "books" on sock to peer (fogrid admin books): for
//  an admin, a BooksReply with every account, their sum, the ledger's
//  chain walked and every receipt checked (all of it now, so a large
//  ledger takes as long as at start); for anyone else a refusal.
void hub_wallet_handle_books (hub_wallet_t *self, fg_outbox_t *outbox, zsock_t *sock,
                              zframe_t *peer, uint64_t seq, bool admin);

#endif
