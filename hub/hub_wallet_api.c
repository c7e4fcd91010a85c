/*  =========================================================================
    hub_wallet_api - the requests about money: deposits and withdrawals,
    balances, the wallet's admin actions, receipts, signed statements

    DESIGN
    Buyers are their CurveZMQ public keys (buyer:anonymous on a plain-text
    hub); deposits come from `world`, only with hub/open_deposits on (a
    stand-in for a payment gateway), withdrawals go back to it. A
    transfer's reply leaves after the burst's commit, like a submit's: it
    is the promise that the money moved, and its token makes a retry
    harmless. A buyer reads its own account and the escrow held for its
    unfinished tasks; the DAO's keys (hub/admin_keys) read any.

    AdminRequest drives the wallet (hub_wallet.h): the DAO's keys and the
    owner's (hub/owner_keys) are checked against the caller's CurveZMQ
    key; each transition is committed before its reply leaves, and a
    registration settles the escrow of successes that waited for it. Each
    payout's signed receipt (fg_receipt.h) goes to anyone who asks
    (ReceiptRequest). A miner may ask for a WalletStatement (before its
    hello too): the wallet's state, balances and latest payouts signed
    with the ledger key over the miner's nonce (fg_statement.h), which it
    checks against the registry (miner_trust.h). The hub's word on its own
    books; the registry's ledger key is what makes it worth anything.
    =========================================================================  */
#include "fogrid.h"
#include "fg_statement.h"
#include "hub_wallet_api.h"

#define S_MAX_TOKEN         128     //  a transfer's token
#define S_ENTRIES_DEFAULT   20      //  ledger entries in a BalanceReply
#define S_ENTRIES_MAX       1000

struct _hub_wallet_api_t {
    hub_ledger_t *ledger;       //  the accounts (not owned)
    hub_wallet_t *wallet;       //  its state and transitions (not owned)
    hub_escrow_t *escrow;       //  balances, escrow, the sweep (not owned)
    hub_tasks_t *tasks;         //  for a buyer's escrow and receipts (not owned)
    const hub_config_t *config; //  open_deposits, the admin and owner keys
    const char *hub_id;         //  named in replies
    fg_outbox_t *outbox;        //  where answers wait for the commit (not owned)
};

hub_wallet_api_t *
hub_wallet_api_new (hub_ledger_t *ledger, hub_wallet_t *wallet, hub_escrow_t *escrow,
                    hub_tasks_t *tasks, const hub_config_t *config, const char *hub_id,
                    fg_outbox_t *outbox)
{
    hub_wallet_api_t *self = (hub_wallet_api_t *) zmalloc (sizeof (hub_wallet_api_t));
    self->ledger = ledger;
    self->wallet = wallet;
    self->escrow = escrow;
    self->tasks = tasks;
    self->config = config;
    self->hub_id = hub_id;
    self->outbox = outbox;
    return self;
}

void
hub_wallet_api_destroy (hub_wallet_api_t **self_p)
{
    if (*self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Buyer requests

//  A ledger entry as a message; its strings are copies (s_entry_reset).
static void
s_entry_fill (Fogrid__LedgerEntry *msg, const hub_entry_t *entry)
{
    fogrid__ledger_entry__init (msg);
    msg->seq = (uint64_t) entry->seq;
    msg->id = strdup (entry->id);
    msg->at_ms = (uint64_t) entry->at_ms;
    msg->from = strdup (entry->from);
    msg->to = strdup (entry->to);
    msg->amount = entry->amount;
    msg->memo = strdup (entry->memo);
    msg->hash = strdup (entry->hash);
    msg->signature = strdup (entry->signature);
}

static void
s_entry_reset (Fogrid__LedgerEntry *msg)
{
    free (msg->id);
    free (msg->from);
    free (msg->to);
    free (msg->memo);
    free (msg->hash);
    free (msg->signature);
    fogrid__ledger_entry__init (msg);
}

static void
s_entry_copy (void *arg, const hub_entry_t *entry)
{
    s_entry_fill ((Fogrid__LedgerEntry *) arg, entry);
}

//  DepositRequest (deposit true) and WithdrawRequest: world <-> the
//  caller's account. The reply leaves after the commit, like a submit's:
//  it is the promise that the money moved.
static void
s_handle_transfer (hub_wallet_api_t *self, zsock_t *router, zframe_t *peer, uint64_t seq,
                   const char *buyer_key, bool deposit, uint64_t amount, const char *token)
{
    const char *what = deposit? "deposit": "withdraw";
    if (deposit && !self->config->open_deposits) {
        fg_outbox_refuse (self->outbox, router, peer, seq, FG_E_DENIED,
                          "deposit refused: this hub takes no deposits from buyers "
                          "(hub/open_deposits is off: funds come through its operator)");
        return;
    }
    if (amount == 0 || amount > (uint64_t) INT64_MAX) {
        fg_outbox_refuse (self->outbox, router, peer, seq, FG_E_INVALID,
                          "%s refused: the amount must be 1 to %" PRId64, what, INT64_MAX);
        return;
    }
    if (!*token || !fg_text_valid (token, S_MAX_TOKEN)) {
        fg_outbox_refuse (self->outbox, router, peer, seq, FG_E_INVALID,
                          "%s refused: a token (printable, 1 to %d bytes) is required, so that "
                          "a retry cannot move the money twice", what, S_MAX_TOKEN);
        return;
    }
    char account [HUB_ACCOUNT_MAX], id [256], memo [64];
    hub_escrow_buyer_account (buyer_key, account, sizeof account);
    snprintf (id, sizeof id, "%s/%s", what, token);
    snprintf (memo, sizeof memo, "%s by the buyer", what);
    hub_ledger_rc_t rc = hub_ledger_transfer (self->ledger, id, deposit? "world": account,
                                              deposit? account: "world", (int64_t) amount, memo);
    if (rc == HUB_LEDGER_FUNDS) {
        fg_outbox_refuse (self->outbox, router, peer, seq, FG_E_FUNDS,
                          "withdraw refused: %s holds %" PRId64 ", less than %" PRIu64,
                          account, hub_escrow_balance (self->escrow, account), amount);
        return;
    }
    if (rc == HUB_LEDGER_CONFLICT) {
        fg_outbox_refuse (self->outbox, router, peer, seq, FG_E_STATE,
                          "%s refused: token %s was used for another transfer", what, token);
        return;
    }
    if (rc == HUB_LEDGER_OVERFLOW || rc == HUB_LEDGER_INVALID) {
        fg_outbox_refuse (self->outbox, router, peer, seq, FG_E_INVALID, "%s refused: %s", what,
                          hub_ledger_strerror (rc));
        return;
    }
    if (rc != HUB_LEDGER_OK && rc != HUB_LEDGER_REPLAY) {
        fg_outbox_refuse (self->outbox, router, peer, seq, FG_E_INTERNAL,
                          "%s failed: the hub could not write its ledger", what);
        return;
    }
    if (rc == HUB_LEDGER_OK)
        zsys_info ("ledger: %s of %" PRIu64 " for %s (%s)", what, amount, account, id);
    Fogrid__LedgerEntry entry = FOGRID__LEDGER_ENTRY__INIT;
    hub_ledger_entry (self->ledger, id, s_entry_copy, &entry);
    Fogrid__TransferReply reply = FOGRID__TRANSFER_REPLY__INIT;
    reply.transfer_id = id;
    reply.duplicate = rc == HUB_LEDGER_REPLAY;
    reply.balance = hub_escrow_balance (self->escrow, account);
    reply.entry = &entry;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_TRANSFER_REPLY;
    env.transfer_reply = &reply;
    fg_outbox_answer (self->outbox, router, peer, &env);
    s_entry_reset (&entry);
}

typedef struct {
    Fogrid__LedgerEntry *items;         //  the entries (strings owned)
    Fogrid__LedgerEntry **list;         //  pointers to them, for the message
    size_t count;
    size_t capacity;
} s_entries_t;

static void
s_entries_add (void *arg, const hub_entry_t *entry)
{
    s_entries_t *self = (s_entries_t *) arg;
    if (self->count < self->capacity)
        s_entry_fill (&self->items [self->count++], entry);
}

static void
s_handle_balance (hub_wallet_api_t *self, zsock_t *router, zframe_t *peer, uint64_t seq,
                  const char *buyer_key, Fogrid__BalanceRequest *request)
{
    char own [HUB_ACCOUNT_MAX], account [HUB_ACCOUNT_MAX];
    hub_escrow_buyer_account (buyer_key, own, sizeof own);
    snprintf (account, sizeof account, "%s", *request->account? request->account: own);
    if (!hub_ledger_account_valid (request->account) && *request->account) {
        fg_outbox_refuse (self->outbox, router, peer, seq, FG_E_INVALID,
                          "balance refused: '%.64s' is not an account name (buyer:KEY, miner:ID, "
                          "escrow:TASK, hub:fee, hub:wallet:free, hub:wallet:frozen, owner, world)",
                          request->account);
        return;
    }
    if (!streq (account, own) && !hub_config_admin (self->config, buyer_key)) {
        fg_outbox_refuse (self->outbox, router, peer, seq, FG_E_DENIED,
                          "balance refused: %s is not your account (yours is %s); reading "
                          "others' needs a key in hub/admin_keys", account, own);
        return;
    }
    //  The account, then the escrow held for its unfinished tasks
    size_t capacity = 1;
    const char *key = strncmp (account, "buyer:", 6) == 0? account + 6: NULL;
    if (key && streq (key, "anonymous"))
        key = "";
    if (key)
        capacity += hub_tasks_of_buyer (self->tasks, key);
    Fogrid__Account *accounts = (Fogrid__Account *) zmalloc (sizeof (Fogrid__Account) * capacity);
    Fogrid__Account **account_list = (Fogrid__Account **) zmalloc (sizeof (Fogrid__Account *) * capacity);
    char **names = (char **) zmalloc (sizeof (char *) * capacity);
    size_t count = 0;
    fogrid__account__init (&accounts [0]);
    names [0] = strdup (account);
    accounts [0].name = names [0];
    accounts [0].balance = hub_escrow_balance (self->escrow, account);
    account_list [count++] = &accounts [0];
    for (hub_task_t *task = key? hub_tasks_buyer_first (self->tasks, key): NULL; task;
         task = hub_tasks_buyer_next (self->tasks)) {
        if (count >= capacity)
            continue;
        char escrow [64];
        hub_escrow_account (task->id, escrow, sizeof escrow);
        int64_t held = hub_escrow_balance (self->escrow, escrow);
        if (held == 0)
            continue;
        fogrid__account__init (&accounts [count]);
        names [count] = strdup (escrow);
        accounts [count].name = names [count];
        accounts [count].balance = held;
        account_list [count] = &accounts [count];
        count++;
    }
    s_entries_t entries = { 0 };
    entries.capacity = request->limit? request->limit: S_ENTRIES_DEFAULT;
    if (entries.capacity > S_ENTRIES_MAX)
        entries.capacity = S_ENTRIES_MAX;
    entries.items = (Fogrid__LedgerEntry *) zmalloc (sizeof (Fogrid__LedgerEntry) * entries.capacity);
    hub_ledger_entries (self->ledger, account, entries.capacity, s_entries_add, &entries);
    entries.list = (Fogrid__LedgerEntry **) zmalloc (sizeof (Fogrid__LedgerEntry *) * (entries.count + 1));
    for (size_t index = 0; index < entries.count; index++)
        entries.list [index] = &entries.items [index];

    Fogrid__BalanceReply reply = FOGRID__BALANCE_REPLY__INIT;
    reply.n_accounts = count;
    reply.accounts = account_list;
    reply.n_entries = entries.count;
    reply.entries = entries.list;
    reply.ledger_key = (char *) hub_ledger_public_key (self->ledger);
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_BALANCE_REPLY;
    env.balance_reply = &reply;
    fg_outbox_answer (self->outbox, router, peer, &env);

    for (size_t index = 0; index < entries.count; index++)
        s_entry_reset (&entries.items [index]);
    free (entries.items);
    free (entries.list);
    for (size_t index = 0; index < count; index++)
        free (names [index]);
    free (names);
    free (accounts);
    free (account_list);
}

typedef struct {
    Fogrid__WalletEvent *items;         //  the events (strings owned)
    Fogrid__WalletEvent **list;         //  pointers to them, for the message
    size_t count;
    size_t capacity;
} s_events_t;

static void
s_events_add (void *arg, const hub_wallet_row_t *row)
{
    s_events_t *self = (s_events_t *) arg;
    if (self->count >= self->capacity)
        return;
    Fogrid__WalletEvent *event = &self->items [self->count];
    self->list [self->count++] = event;
    fogrid__wallet_event__init (event);
    event->seq = (uint64_t) row->seq;
    event->at_ms = (uint64_t) row->at_ms;
    event->event = strdup (row->event);
    event->from = strdup (row->from);
    event->to = strdup (row->to);
    event->by = strdup (row->by);
    event->reason = strdup (row->reason);
    zlist_t *ids = fg_split_list (row->transfers);
    event->n_transfers = zlist_size (ids);
    event->transfers = (char **) zmalloc (sizeof (char *) * (event->n_transfers + 1));
    size_t index = 0;
    for (char *id = (char *) zlist_first (ids); id; id = (char *) zlist_next (ids))
        event->transfers [index++] = strdup (id);
    zlist_destroy (&ids);
}

static void
s_reply_wallet (hub_wallet_api_t *self, zsock_t *router, zframe_t *peer, uint64_t seq)
{
    s_events_t events = { 0 };
    events.capacity = S_ENTRIES_DEFAULT;
    events.items = (Fogrid__WalletEvent *) zmalloc (sizeof (Fogrid__WalletEvent) * events.capacity);
    events.list = (Fogrid__WalletEvent **) zmalloc (sizeof (Fogrid__WalletEvent *) * events.capacity);
    hub_wallet_rows (self->wallet, events.capacity, s_events_add, &events);

    Fogrid__WalletReply reply = FOGRID__WALLET_REPLY__INIT;
    reply.hub_id = (char *) self->hub_id;
    reply.state = (char *) hub_wallet_state_name (hub_wallet_state (self->wallet));
    reply.since_ms = (uint64_t) hub_wallet_since_ms (self->wallet);
    reply.frozen = hub_escrow_balance (self->escrow, "hub:wallet:frozen");
    reply.free_funds = hub_escrow_balance (self->escrow, "hub:wallet:free");
    reply.fees = hub_escrow_balance (self->escrow, "hub:fee");
    reply.owner = hub_escrow_balance (self->escrow, "owner");
    reply.pay_period_s = (uint64_t) hub_wallet_pay_period_ms (self->wallet) / 1000;
    reply.last_payday_ms = (uint64_t) hub_wallet_last_payday_ms (self->wallet);
    reply.next_payday_ms = (uint64_t) hub_wallet_next_payday_ms (self->wallet);
    reply.punish_account = (char *) hub_wallet_punish_account (self->wallet);
    reply.ledger_key = (char *) hub_ledger_public_key (self->ledger);
    reply.n_events = events.count;
    reply.events = events.list;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_WALLET_REPLY;
    env.wallet_reply = &reply;
    fg_outbox_answer (self->outbox, router, peer, &env);

    for (size_t index = 0; index < events.count; index++) {
        Fogrid__WalletEvent *event = &events.items [index];
        free (event->event);
        free (event->from);
        free (event->to);
        free (event->by);
        free (event->reason);
        for (size_t id = 0; id < event->n_transfers; id++)
            free (event->transfers [id]);
        free (event->transfers);
    }
    free (events.items);
    free (events.list);
}

//  AdminRequest: wallet/status for anyone; the wallet's transitions for
//  the DAO's and the owner's keys (hub_wallet decides who may do what).
//  A transition is committed before its reply leaves, like a deposit.
static void
s_handle_admin (hub_wallet_api_t *self, zsock_t *router, zframe_t *peer, uint64_t seq,
                const char *key, Fogrid__AdminRequest *request)
{
    const char *action = request->action;
    if (streq (action, "books")) {
        hub_wallet_handle_books (self->wallet, self->outbox, router, peer, seq,
                                 hub_config_admin (self->config, key));
        return;
    }
    hub_wallet_event_t event = strncmp (action, "wallet/", 7) == 0
                             ? hub_wallet_event_from_name (action + 7): 0;
    if (!event && !streq (action, "wallet/status")) {
        fg_outbox_refuse (self->outbox, router, peer, seq, FG_E_INVALID,
                          "unknown admin action '%.64s' (want wallet/status, wallet/register, "
                          "wallet/suspect, wallet/clear, wallet/punish, wallet/payday, "
                          "wallet/close or books)", action);
        return;
    }
    if (event) {
        unsigned roles = (hub_config_admin (self->config, key)? HUB_WALLET_DAO: 0)
                       | (hub_config_owner (self->config, key)? HUB_WALLET_OWNER: 0);
        char why [512];
        fg_error_t rc = hub_wallet_apply (self->wallet, event, roles, *key? key: "anonymous",
                                          request->reason, fg_now_ms (), why, sizeof why);
        if (rc) {
            zsys_warning ("admin: %s asked for %s: %s", *key? key: "anonymous", action, why);
            fg_outbox_refuse (self->outbox, router, peer, seq, rc, "%s", why);
            return;
        }
        //  Escrow of successes that waited for the registration is paid now
        if (event == HUB_WALLET_REGISTER)
            hub_escrow_sweep (self->escrow, self->tasks);
    }
    s_reply_wallet (self, router, peer, seq);
}

//  ReceiptRequest: the signed receipt of a task's payout to its miner.
static void
s_handle_receipt (hub_wallet_api_t *self, zsock_t *router, zframe_t *peer, uint64_t seq,
                  const char *task_id)
{
    char *receipt = fg_text_valid (task_id, 63)? hub_wallet_receipt (self->wallet, task_id): NULL;
    if (!receipt) {
        bool owned;
        hub_task_t *task = hub_tasks_find (self->tasks, task_id, &owned);
        if (task)
            fg_outbox_refuse (self->outbox, router, peer, seq, FG_E_NOT_FOUND,
                              "task %s has no receipt: its miner was not paid for it "
                              "(it is %s%s)", task->id, hub_task_state_name (task->state),
                              task->state == HUB_TASK_SUCCEEDED? ", unpaid or free": "");
        else
            fg_outbox_refuse (self->outbox, router, peer, seq, FG_E_NOT_FOUND,
                              "task %.64s not found on this hub", task_id);
        if (owned)
            hub_task_destroy (&task);
        return;
    }
    Fogrid__ReceiptReply reply = FOGRID__RECEIPT_REPLY__INIT;
    reply.receipt = receipt;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_RECEIPT_REPLY;
    env.receipt_reply = &reply;
    fg_outbox_answer (self->outbox, router, peer, &env);
    free (receipt);
}

//  --------------------------------------------------------------------------
//  WalletStatement: the wallet's state, balances and latest payouts,
//  signed with the ledger key over the miner's nonce (fg_statement.h), so
//  a miner can check the hub before it works for it (also before its
//  hello: miner_trust.h). The hub's word on its own books; the registry's
//  ledger key is what makes it worth anything.

#define S_STATEMENT_PAYOUTS     10      //  latest pay/TASK entries in a statement
#define S_STATEMENT_SCAN        500     //  latest entries searched for them

static void
s_payouts_add (void *arg, const hub_entry_t *entry)
{
    s_entries_t *self = (s_entries_t *) arg;
    if (self->count < self->capacity && hub_escrow_payout_id (entry->id))
        s_entry_fill (&self->items [self->count++], entry);
}

static void
s_handle_statement (hub_wallet_api_t *self, zsock_t *router, zframe_t *peer, uint64_t seq,
                    Fogrid__WalletStatement *request)
{
    if (!fg_text_valid (request->nonce, 128)) {
        fg_outbox_refuse (self->outbox, router, peer, seq, FG_E_INVALID,
                          "statement refused: the nonce must be at most 128 printable characters");
        return;
    }
    Fogrid__LedgerEntry items [S_STATEMENT_PAYOUTS], *list [S_STATEMENT_PAYOUTS];
    s_entries_t payouts = { .items = items, .list = list, .capacity = S_STATEMENT_PAYOUTS };
    hub_ledger_entries (self->ledger, NULL, S_STATEMENT_SCAN, s_payouts_add, &payouts);
    for (size_t index = 0; index < payouts.count; index++)
        list [index] = &items [index];
    int64_t escrow = hub_escrow_total (self->escrow);

    Fogrid__WalletStatementReply reply = FOGRID__WALLET_STATEMENT_REPLY__INIT;
    reply.hub_id = (char *) self->hub_id;
    reply.state = (char *) hub_wallet_state_name (hub_wallet_state (self->wallet));
    reply.frozen = hub_escrow_balance (self->escrow, "hub:wallet:frozen");
    reply.free_funds = hub_escrow_balance (self->escrow, "hub:wallet:free");
    reply.fees = hub_escrow_balance (self->escrow, "hub:fee");
    reply.escrow_total = escrow;
    reply.n_recent_payouts = payouts.count;
    reply.recent_payouts = list;
    reply.at_ms = (uint64_t) fg_now_ms ();
    reply.ledger_key = (char *) hub_ledger_public_key (self->ledger);
    reply.nonce = request->nonce;
    char signature [129] = "";
    char *text = fg_statement_text (&reply);
    if (!text || hub_ledger_sign (self->ledger, text, signature))
        fg_outbox_refuse (self->outbox, router, peer, seq, FG_E_INTERNAL,
                          "statement refused: the hub cannot sign it");
    else {
        reply.signature = signature;
        fg_env_t env = FOGRID__ENVELOPE__INIT;
        env.seq = seq;
        env.body_case = FOGRID__ENVELOPE__BODY_WALLET_STATEMENT_REPLY;
        env.wallet_statement_reply = &reply;
        fg_outbox_answer (self->outbox, router, peer, &env);
    }
    zstr_free (&text);
    for (size_t index = 0; index < payouts.count; index++)
        s_entry_reset (&items [index]);
}


bool
hub_wallet_api_buyer (hub_wallet_api_t *self, zsock_t *router, zframe_t *peer, uint64_t seq,
                      const char *key, fg_env_t *env)
{
    switch (env->body_case) {
        case FOGRID__ENVELOPE__BODY_DEPOSIT:
            s_handle_transfer (self, router, peer, seq, key, true, env->deposit->amount,
                               env->deposit->token);
            return true;
        case FOGRID__ENVELOPE__BODY_WITHDRAW:
            s_handle_transfer (self, router, peer, seq, key, false, env->withdraw->amount,
                               env->withdraw->token);
            return true;
        case FOGRID__ENVELOPE__BODY_BALANCE:
            s_handle_balance (self, router, peer, seq, key, env->balance);
            return true;
        case FOGRID__ENVELOPE__BODY_ADMIN:
            s_handle_admin (self, router, peer, seq, key, env->admin);
            return true;
        case FOGRID__ENVELOPE__BODY_RECEIPT:
            s_handle_receipt (self, router, peer, seq, env->receipt->task_id);
            return true;
        default:
            return false;
    }
}

bool
hub_wallet_api_miner (hub_wallet_api_t *self, zsock_t *router, zframe_t *peer, uint64_t seq,
                      fg_env_t *env)
{
    if (env->body_case != FOGRID__ENVELOPE__BODY_WALLET_STATEMENT)
        return false;
    s_handle_statement (self, router, peer, seq, env->wallet_statement);
    return true;
}
