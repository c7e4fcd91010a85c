/*  =========================================================================
    hub_wallet - the hub's wallet: its lifecycle, paydays and receipts

    DESIGN
    The state machine and who may drive it are in hub_wallet.h. Every
    transition is one row of wallet_events, written by s_transition only,
    in one savepoint with the ledger transfers it makes (their ids are
    wallet/SEQ/WHAT, SEQ the row), so a hub killed at any moment keeps both
    or neither. The state is not stored apart: it is the last row's, and
    opening the wallet replays the rows through the table.

    Each row is signed with the ledger's key over a text that includes the
    previous row's signature, and a signed head names the last row, as the
    ledger does for its entries: a state changed in the database (say, a
    punished hub made registered again) or rows removed are found when the
    hub starts, and it refuses to. The ledger entries the rows name must
    exist, and every wallet/ entry must be named by a row.

    Tables (in the store's hub.db):
        wallet_events (seq, at_ms, event, from_state, to_state, by_key,
                       reason, transfers, signature)
        wallet_receipts (task_id, miner_id, at_ms, receipt)
        meta wallet_head    "SEQ ROW_SIGNATURE HEAD_SIGNATURE"

    Receipts: a payout (pay/TASK) gets a receipt (fg_receipt.h) signed
    with the ledger key, made in the transaction of the payout and kept,
    so asking again returns the same document. The stored receipts are
    checked when the wallet opens, against the key and the ledger entry
    each names, and again for the books (hub_wallet_handle_books): a
    receipt is what a miner holds as proof of its pay, so one changed
    behind the hub's back is as much a fault as a changed entry.
    =========================================================================  */
#include "fogrid.h"
#include "hub_sql.h"
#include "fg_receipt.h"
#include "hub_wallet.h"
#include <sqlite3.h>

#define S_MAX_REASON    200
#define S_SIG_HEX       129

struct _hub_wallet_t {
    sqlite3 *db;                //  the store's connection (not owned)
    const char *who;            //  "wallet", for log lines
    hub_store_t *store;         //  its meta table keeps the head
    hub_ledger_t *ledger;       //  moves the money, signs
    char *hub_id;               //  named in receipts
    int64_t pay_period_ms;      //  between paydays
    char *punish_account;       //  where a punished hub's stake goes
    hub_wallet_state_t state;   //  the last row's; only s_transition writes it
    int64_t since_ms;           //  when the state began
    int64_t last_payday_ms;     //  last payday or registration, 0 = never registered
    int64_t last_seq;           //  the last row, 0 when none
    char last_sig [S_SIG_HEX];  //  its signature, "" when none
    char refusal [256];         //  why it cannot charge, "" when it can
};

static const char *s_schema =
    "CREATE TABLE IF NOT EXISTS wallet_events ("
    "  seq INTEGER PRIMARY KEY,"
    "  at_ms INTEGER NOT NULL,"
    "  event TEXT NOT NULL,"
    "  from_state TEXT NOT NULL,"
    "  to_state TEXT NOT NULL,"
    "  by_key TEXT NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  transfers TEXT NOT NULL,"
    "  signature TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS wallet_receipts ("
    "  task_id TEXT PRIMARY KEY,"
    "  miner_id TEXT NOT NULL,"
    "  at_ms INTEGER NOT NULL,"
    "  receipt TEXT NOT NULL);";

static const char *s_state_names [HUB_WALLET_STATES] = {
    "none", "created", "registered", "suspected", "punished", "closed"
};

static const char *s_event_names [HUB_WALLET_EVENTS] = {
    "none", "create", "register", "suspect", "clear", "punish", "payday", "close"
};

#define Cr HUB_WALLET_CREATED
#define Re HUB_WALLET_REGISTERED
#define Su HUB_WALLET_SUSPECTED
#define Pu HUB_WALLET_PUNISHED
#define Cl HUB_WALLET_CLOSED
//  s_next [state][event]: the table in hub_wallet.h (0: not allowed)
static const hub_wallet_state_t s_next [HUB_WALLET_STATES][HUB_WALLET_EVENTS] = {
    [0]  = { [HUB_WALLET_CREATE] = Cr },
    [Cr] = { [HUB_WALLET_REGISTER] = Re },
    [Re] = { [HUB_WALLET_SUSPECT] = Su, [HUB_WALLET_PUNISH] = Pu, [HUB_WALLET_PAYDAY] = Re,
             [HUB_WALLET_CLOSE] = Cl },
    [Su] = { [HUB_WALLET_CLEAR] = Re, [HUB_WALLET_PUNISH] = Pu },
};
#undef Cr
#undef Re
#undef Su
#undef Pu
#undef Cl

//  Who may ask for each event
static const unsigned s_who [HUB_WALLET_EVENTS] = {
    [HUB_WALLET_REGISTER] = HUB_WALLET_DAO,
    [HUB_WALLET_SUSPECT] = HUB_WALLET_DAO,
    [HUB_WALLET_CLEAR] = HUB_WALLET_DAO,
    [HUB_WALLET_PUNISH] = HUB_WALLET_DAO,
    [HUB_WALLET_PAYDAY] = HUB_WALLET_OWNER,
    [HUB_WALLET_CLOSE] = HUB_WALLET_OWNER,
};

const char *
hub_wallet_state_name (hub_wallet_state_t state)
{
    return state > 0 && state < HUB_WALLET_STATES? s_state_names [state]: "none";
}

static hub_wallet_state_t
s_state_from_name (const char *name)
{
    for (int state = HUB_WALLET_CREATED; state < HUB_WALLET_STATES; state++)
        if (streq (name, s_state_names [state]))
            return (hub_wallet_state_t) state;
    return (hub_wallet_state_t) 0;
}

const char *
hub_wallet_event_name (hub_wallet_event_t event)
{
    return event > 0 && event < HUB_WALLET_EVENTS? s_event_names [event]: "none";
}

static hub_wallet_event_t
s_event_from_name (const char *name)
{
    for (int event = HUB_WALLET_CREATE; event < HUB_WALLET_EVENTS; event++)
        if (streq (name, s_event_names [event]))
            return (hub_wallet_event_t) event;
    return (hub_wallet_event_t) 0;
}

hub_wallet_event_t
hub_wallet_event_from_name (const char *name)
{
    hub_wallet_event_t event = name? s_event_from_name (name): 0;
    return event == HUB_WALLET_CREATE? 0: event;
}

//  --------------------------------------------------------------------------
//  SQLite helpers (errors are translated here, once)

static int
s_exec (hub_wallet_t *self, const char *sql)
{
    return hub_sql_exec (self->db, self->who, sql);
}

static sqlite3_stmt *
s_prepare (hub_wallet_t *self, const char *sql)
{
    return hub_sql_prepare (self->db, self->who, sql);
}



//  --------------------------------------------------------------------------
//  Signed rows and head

static char *
s_row_text (int64_t seq, int64_t at_ms, const char *event, const char *from, const char *to,
            const char *by, const char *reason, const char *transfers, const char *prev_sig)
{
    return zsys_sprintf (
        "fogrid-wallet-event/1\n%" PRId64 "\n%" PRId64 "\n%zu:%s\n%zu:%s\n%zu:%s\n%zu:%s\n"
        "%zu:%s\n%zu:%s\n%zu:%s\n", seq, at_ms, strlen (event), event, strlen (from), from,
        strlen (to), to, strlen (by), by, strlen (reason), reason, strlen (transfers), transfers,
        strlen (prev_sig), prev_sig);
}

static char *
s_head_text (int64_t seq, const char *row_sig)
{
    return zsys_sprintf ("fogrid-wallet-head/1\n%" PRId64 "\n%s\n", seq, row_sig);
}

//  The state's consequences for tasks, for their reasons
static void
s_refusal_update (hub_wallet_t *self)
{
    if (self->state == HUB_WALLET_CREATED)
        snprintf (self->refusal, sizeof self->refusal,
                  "the hub's wallet is created, not registered: it pays no miner until the "
                  "DAO registers it (fogrid admin wallet register)");
    else
    if (self->state == HUB_WALLET_PUNISHED || self->state == HUB_WALLET_CLOSED)
        snprintf (self->refusal, sizeof self->refusal,
                  "the hub's wallet is %s: it takes no paid work", s_state_names [self->state]);
    else
        self->refusal [0] = 0;
}

//  Folds one row into the state in memory.
static void
s_fold (hub_wallet_t *self, hub_wallet_event_t event, hub_wallet_state_t to, int64_t at_ms,
        int64_t seq, const char *sig)
{
    if (to != self->state)
        self->since_ms = at_ms;
    if (event == HUB_WALLET_REGISTER || event == HUB_WALLET_PAYDAY)
        self->last_payday_ms = at_ms;
    self->state = to;
    self->last_seq = seq;
    snprintf (self->last_sig, sizeof self->last_sig, "%s", sig);
    s_refusal_update (self);
}

//  The only writer of the wallet's state: a row and its transfers, in one
//  savepoint. Returns FG_OK or FG_E_INTERNAL with why.
static fg_error_t
s_transition (hub_wallet_t *self, hub_wallet_event_t event, const char *by, const char *reason,
              int64_t now_ms, hub_transfer_t *legs, size_t count, char *why, size_t why_size)
{
    hub_wallet_state_t from = self->state;
    hub_wallet_state_t to = s_next [from][event];
    int64_t seq = self->last_seq + 1;
    char ids [4][64], transfers [300] = "";
    for (size_t index = 0; index < count && index < 4; index++) {
        snprintf (ids [index], sizeof ids [index], "wallet/%" PRId64 "/%s", seq, legs [index].id);
        legs [index].id = ids [index];
        size_t used = strlen (transfers);
        snprintf (transfers + used, sizeof transfers - used, "%s%s", used? ",": "", ids [index]);
    }
    char memo [S_MAX_REASON + 64];
    snprintf (memo, sizeof memo, "wallet %s: %s", s_event_names [event], reason);
    for (size_t index = 0; index < count; index++)
        legs [index].memo = memo;

    if (s_exec (self, "SAVEPOINT hub_wallet")) {
        snprintf (why, why_size, "the hub could not write its wallet");
        return FG_E_INTERNAL;
    }
    int rc = 0;
    if (count) {
        hub_ledger_rc_t moved = hub_ledger_apply (self->ledger, legs, count);
        if (moved != HUB_LEDGER_OK) {
            snprintf (why, why_size, "the ledger refused the wallet's transfers: %s",
                      hub_ledger_strerror (moved));
            rc = -1;
        }
    }
    char sig [S_SIG_HEX] = "", head_sig [S_SIG_HEX] = "";
    if (rc == 0) {
        char *text = s_row_text (seq, now_ms, s_event_names [event], s_state_names [from],
                                 s_state_names [to], by, reason, transfers, self->last_sig);
        rc = hub_ledger_sign (self->ledger, text, sig);
        zstr_free (&text);
        sqlite3_stmt *stmt = rc? NULL: s_prepare (self,
            "INSERT INTO wallet_events (seq, at_ms, event, from_state, to_state, by_key, reason,"
            " transfers, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
        if (stmt) {
            sqlite3_bind_int64 (stmt, 1, seq);
            sqlite3_bind_int64 (stmt, 2, now_ms);
            hub_sql_bind_text (stmt, 3, s_event_names [event]);
            hub_sql_bind_text (stmt, 4, s_state_names [from]);
            hub_sql_bind_text (stmt, 5, s_state_names [to]);
            hub_sql_bind_text (stmt, 6, by);
            hub_sql_bind_text (stmt, 7, reason);
            hub_sql_bind_text (stmt, 8, transfers);
            hub_sql_bind_text (stmt, 9, sig);
            rc = sqlite3_step (stmt) == SQLITE_DONE? 0: -1;
            if (rc)
                zsys_error ("wallet: cannot add row %" PRId64 ": %s", seq, sqlite3_errmsg (self->db));
            sqlite3_finalize (stmt);
        }
        else
            rc = -1;
        if (rc == 0) {
            char *head = s_head_text (seq, sig);
            rc = hub_ledger_sign (self->ledger, head, head_sig);
            zstr_free (&head);
            char *value = zsys_sprintf ("%" PRId64 " %s %s", seq, sig, head_sig);
            rc = rc || hub_store_meta_set (self->store, "wallet_head", value);
            zstr_free (&value);
        }
        if (rc)
            snprintf (why, why_size, "the hub could not write its wallet");
    }
    if (rc == 0 && s_exec (self, "RELEASE hub_wallet")) {
        snprintf (why, why_size, "the hub could not write its wallet");
        rc = -1;
    }
    if (rc) {
        s_exec (self, "ROLLBACK TO hub_wallet");
        s_exec (self, "RELEASE hub_wallet");
        zsys_error ("wallet: %s refused: %s", s_event_names [event], why);
        return FG_E_INTERNAL;
    }
    s_fold (self, event, to, now_ms, seq, sig);
    zsys_notice ("wallet: %s -> %s (%s by %.40s%s%s%s%s)", s_state_names [from],
                 s_state_names [to], s_event_names [event], by, *reason? ": ": "", reason,
                 *transfers? "; ledger ": "", transfers);
    return FG_OK;
}

//  --------------------------------------------------------------------------
//  Opening: replay and check every row

static int
s_load (hub_wallet_t *self, char *err, size_t err_size)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "SELECT seq, at_ms, event, from_state, to_state, by_key, reason, transfers, signature"
        " FROM wallet_events ORDER BY seq");
    if (!stmt) {
        snprintf (err, err_size, "cannot read the wallet");
        return -1;
    }
    int rc = 0, step;
    int64_t named = 0;          //  ledger entries the rows name
    while (rc == 0 && (step = sqlite3_step (stmt)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64 (stmt, 0);
        int64_t at_ms = sqlite3_column_int64 (stmt, 1);
        const char *event_name = hub_sql_column_text (stmt, 2);
        const char *from_name = hub_sql_column_text (stmt, 3);
        const char *to_name = hub_sql_column_text (stmt, 4);
        const char *transfers = hub_sql_column_text (stmt, 7);
        const char *sig = hub_sql_column_text (stmt, 8);
        hub_wallet_event_t event = s_event_from_name (event_name);
        hub_wallet_state_t to = s_state_from_name (to_name);
        char *text = s_row_text (seq, at_ms, event_name, from_name, to_name,
                                 hub_sql_column_text (stmt, 5), hub_sql_column_text (stmt, 6), transfers,
                                 self->last_sig);
        bool signed_ok = hub_ledger_signed (self->ledger, text, sig);
        zstr_free (&text);
        #define S_FAULT(...) do { \
            int used = snprintf (err, err_size, "wallet row %" PRId64 " (%.20s): ", seq, event_name); \
            if (used >= 0 && (size_t) used < err_size) \
                snprintf (err + used, err_size - (size_t) used, __VA_ARGS__); \
            rc = -1; \
        } while (0)
        if (seq != self->last_seq + 1)
            S_FAULT ("expected row %" PRId64 " here: rows were removed or renumbered",
                     self->last_seq + 1);
        else
        if (!signed_ok)
            S_FAULT ("its signature is not the hub's: it was changed or forged");
        else
        if (!event || !streq (from_name, s_state_names [self->state])
        ||  !to || s_next [self->state][event] != to)
            S_FAULT ("%s -> %s by %s does not follow from the rows before it",
                     from_name, to_name, event_name);
        else {
            //  Each transfer it names is in the ledger
            char *list = strdup (transfers), *rest = list, *id;
            while (rc == 0 && (id = strsep (&rest, ",")))
                if (*id) {
                    named++;
                    if (hub_ledger_amount (self->ledger, id) <= 0)
                        S_FAULT ("its ledger transfer %s is missing", id);
                }
            free (list);
        }
        #undef S_FAULT
        if (rc == 0)
            s_fold (self, event, to, at_ms, seq, sig);
    }
    if (rc == 0 && step != SQLITE_DONE) {
        snprintf (err, err_size, "cannot read the wallet: %s", sqlite3_errmsg (self->db));
        rc = -1;
    }
    sqlite3_finalize (stmt);
    if (rc)
        return rc;

    //  The signed head: the rows end where the hub last wrote
    char head [400];
    if (hub_store_meta_get (self->store, "wallet_head", head, sizeof head) == 0) {
        long long head_seq = 0;
        char row_sig [S_SIG_HEX + 1] = "", head_sig [S_SIG_HEX + 1] = "";
        bool parsed = sscanf (head, "%lld %129s %129s", &head_seq, row_sig, head_sig) == 3;
        char *text = parsed? s_head_text ((int64_t) head_seq, row_sig): NULL;
        if (!parsed || !hub_ledger_signed (self->ledger, text, head_sig)) {
            snprintf (err, err_size, "the wallet's head record is not signed by the hub");
            rc = -1;
        }
        else
        if ((int64_t) head_seq != self->last_seq || !streq (row_sig, self->last_sig)) {
            snprintf (err, err_size, "the wallet ends at row %" PRId64 " but its signed head "
                      "names row %lld: rows were removed from its end", self->last_seq, head_seq);
            rc = -1;
        }
        zstr_free (&text);
    }
    else
    if (self->last_seq > 0) {
        snprintf (err, err_size, "the wallet has %" PRId64 " rows but no signed head",
                  self->last_seq);
        rc = -1;
    }
    //  ... and the ledger holds no wallet transfer that no row names
    int64_t in_ledger = hub_ledger_count (self->ledger, "wallet/");
    if (rc == 0 && in_ledger != named) {
        snprintf (err, err_size, "the ledger holds %" PRId64 " wallet transfers but the wallet's "
                  "rows name %" PRId64 ": wallet rows were removed", in_ledger, named);
        rc = -1;
    }
    return rc;
}

int
hub_wallet_reload (hub_wallet_t *self, char *err, size_t err_size)
{
    self->state = (hub_wallet_state_t) 0;
    self->since_ms = 0;
    self->last_payday_ms = 0;
    self->last_seq = 0;
    self->last_sig [0] = 0;
    self->refusal [0] = 0;
    return s_load (self, err, err_size);
}

//  Keeps the first receipt fault, for the reason the wallet cannot open
typedef struct {
    char *err;
    size_t err_size;
    int64_t count;
} s_first_fault_t;

static void
s_first_fault (void *arg, const char *task_id, const char *why)
{
    s_first_fault_t *first = (s_first_fault_t *) arg;
    if (first->count++ == 0)
        snprintf (first->err, first->err_size, "receipt of %.64s: %s", task_id, why);
}

hub_wallet_t *
hub_wallet_new (hub_store_t *store, hub_ledger_t *ledger, const hub_wallet_config_t *config,
                char *err, size_t err_size)
{
    hub_wallet_t *self = (hub_wallet_t *) zmalloc (sizeof (hub_wallet_t));
    self->db = hub_store_db (store);
    self->who = "wallet";
    self->store = store;
    self->ledger = ledger;
    self->hub_id = strdup (config->hub_id? config->hub_id: "");
    self->pay_period_ms = config->pay_period_ms;
    self->punish_account = strdup (config->punish_account? config->punish_account: "dao");
    if (!hub_ledger_account_valid (self->punish_account)
    ||  hub_ledger_account_hub (self->punish_account)) {
        snprintf (err, err_size, "the punish account '%s' is not an account outside the hub",
                  self->punish_account);
        hub_wallet_destroy (&self);
        return NULL;
    }
    if (s_exec (self, s_schema)) {
        snprintf (err, err_size, "cannot create the wallet tables");
        hub_wallet_destroy (&self);
        return NULL;
    }
    if (s_load (self, err, err_size)) {
        hub_wallet_destroy (&self);
        return NULL;
    }
    s_first_fault_t first = { err, err_size, 0 };
    int64_t faults = 0;
    int64_t receipts = hub_wallet_receipts_verify (self, s_first_fault, &first, &faults);
    if (receipts < 0 || faults) {
        if (receipts < 0)
            snprintf (err, err_size, "cannot read the stored receipts");
        else
        if (faults > 1) {
            size_t used = strlen (err);
            snprintf (err + used, err_size - used, " (and %" PRId64 " more of the %" PRId64
                      " stored receipts)", faults - 1, receipts);
        }
        hub_wallet_destroy (&self);
        return NULL;
    }
    zsys_info ("wallet: %" PRId64 " stored receipts verified", receipts);
    char why [256];
    if (self->last_seq == 0) {
        //  The first start: the stake is frozen now, once
        hub_transfer_t stake = { "stake", "world", "hub:wallet:frozen", config->stake, NULL };
        char reason [128];
        snprintf (reason, sizeof reason, "first start, stake %" PRId64 " (hub/wallet_stake)",
                  config->stake);
        if (s_transition (self, HUB_WALLET_CREATE, "hub", reason, fg_now_ms (), &stake,
                          config->stake > 0? 1: 0, why, sizeof why)) {
            snprintf (err, err_size, "cannot create the wallet: %s", why);
            hub_wallet_destroy (&self);
            return NULL;
        }
    }
    else {
        int64_t staked = hub_ledger_amount (ledger, "wallet/1/stake");
        if (staked != config->stake)
            zsys_notice ("wallet: its stake was fixed at its creation (%" PRId64 "); "
                         "hub/wallet_stake = %" PRId64 " does not change it", staked, config->stake);
    }
    if (self->state == HUB_WALLET_CREATED && config->self_register
    &&  s_transition (self, HUB_WALLET_REGISTER, "hub",
                      "hub/wallet_self_register is on (a grid without a DAO)", fg_now_ms (),
                      NULL, 0, why, sizeof why)) {
        snprintf (err, err_size, "cannot register the wallet: %s", why);
        hub_wallet_destroy (&self);
        return NULL;
    }
    return self;
}

void
hub_wallet_destroy (hub_wallet_t **self_p)
{
    if (*self_p) {
        hub_wallet_t *self = *self_p;
        free (self->hub_id);
        free (self->punish_account);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Events

typedef struct {
    int64_t sum;
    size_t count;
} s_held_t;

static void
s_add_held (void *arg, const char *account, int64_t balance)
{
    (void) account;
    s_held_t *held = (s_held_t *) arg;
    held->sum += balance;
    held->count++;
}

static int64_t
s_balance (hub_wallet_t *self, const char *account)
{
    int64_t balance = 0;
    hub_ledger_balance (self->ledger, account, &balance);
    return balance;
}

fg_error_t
hub_wallet_apply (hub_wallet_t *self, hub_wallet_event_t event, unsigned roles, const char *by,
                  const char *reason, int64_t now_ms, char *why, size_t why_size)
{
    if (event <= HUB_WALLET_CREATE || event >= HUB_WALLET_EVENTS) {
        snprintf (why, why_size, "unknown wallet event (want register, suspect, clear, punish, "
                  "payday or close)");
        return FG_E_INVALID;
    }
    const char *name = s_event_names [event];
    if (!(roles & s_who [event])) {
        snprintf (why, why_size, "wallet %s refused: only %s may ask for it", name,
                  s_who [event] == HUB_WALLET_DAO
                  ? "the DAO (a key in hub/admin_keys)"
                  : "the hub's owner (a key in hub/owner_keys, or in hub/admin_keys when that "
                    "is empty)");
        return FG_E_DENIED;
    }
    reason = reason? reason: "";
    if (!fg_text_valid (reason, S_MAX_REASON)) {
        snprintf (why, why_size, "wallet %s refused: the reason must be printable, at most %d "
                  "bytes", name, S_MAX_REASON);
        return FG_E_INVALID;
    }
    if ((event == HUB_WALLET_SUSPECT || event == HUB_WALLET_PUNISH) && !*reason) {
        snprintf (why, why_size, "wallet %s refused: the DAO must give a reason", name);
        return FG_E_INVALID;
    }
    if (!s_next [self->state][event]) {
        char from [128] = "";
        for (int state = HUB_WALLET_CREATED; state < HUB_WALLET_STATES; state++)
            if (s_next [state][event]) {
                size_t used = strlen (from);
                snprintf (from + used, sizeof from - used, "%s%s", used? " or ": "",
                          s_state_names [state]);
            }
        snprintf (why, why_size, "wallet %s refused: the wallet is %s; %s needs it %s", name,
                  s_state_names [self->state], name, from);
        return FG_E_STATE;
    }
    hub_transfer_t legs [3];
    size_t count = 0;
    int64_t fees = s_balance (self, "hub:fee");
    int64_t free_funds = s_balance (self, "hub:wallet:free");
    int64_t frozen = s_balance (self, "hub:wallet:frozen");
    if (event == HUB_WALLET_PAYDAY) {
        int64_t next = self->last_payday_ms + self->pay_period_ms;
        if (now_ms < next) {
            char last [32], at [32];
            fg_time_format (self->last_payday_ms, last, sizeof last);
            fg_time_format (next, at, sizeof at);
            snprintf (why, why_size, "payday refused: the last payday (or the registration) was "
                      "at %s; hub/pay_period_s = %" PRId64 " allows the next in %" PRId64
                      " s (at %s)", last, self->pay_period_ms / 1000,
                      (next - now_ms + 999) / 1000, at);
            return FG_E_STATE;
        }
    }
    if (event == HUB_WALLET_CLOSE) {
        s_held_t held = { 0, 0 };
        hub_ledger_accounts (self->ledger, "escrow:", false, s_add_held, &held);
        if (held.count) {
            snprintf (why, why_size, "close refused: %zu tasks hold %" PRId64 " in escrow; "
                      "close once they are settled", held.count, held.sum);
            return FG_E_STATE;
        }
    }
    if ((event == HUB_WALLET_PAYDAY || event == HUB_WALLET_CLOSE) && fees > 0)
        legs [count++] = (hub_transfer_t) { "fees", "hub:fee", "owner", fees, NULL };
    if ((event == HUB_WALLET_PAYDAY || event == HUB_WALLET_CLOSE) && free_funds > 0)
        legs [count++] = (hub_transfer_t) { "free", "hub:wallet:free", "owner", free_funds, NULL };
    if (event == HUB_WALLET_CLOSE && frozen > 0)
        legs [count++] = (hub_transfer_t) { "stake", "hub:wallet:frozen", "owner", frozen, NULL };
    if (event == HUB_WALLET_PUNISH && frozen > 0)
        legs [count++] = (hub_transfer_t) { "punish", "hub:wallet:frozen", self->punish_account,
                                            frozen, NULL };
    return s_transition (self, event, by && *by? by: "anonymous", reason, now_ms, legs, count,
                         why, why_size);
}

hub_wallet_state_t
hub_wallet_state (hub_wallet_t *self)
{
    return self->state;
}

bool
hub_wallet_can_charge (hub_wallet_t *self)
{
    return self->state == HUB_WALLET_REGISTERED || self->state == HUB_WALLET_SUSPECTED;
}

bool
hub_wallet_can_pay (hub_wallet_t *self)
{
    return self->state != HUB_WALLET_CREATED;
}

const char *
hub_wallet_refusal (hub_wallet_t *self)
{
    return self->refusal;
}

int64_t
hub_wallet_since_ms (hub_wallet_t *self)
{
    return self->since_ms;
}

int64_t
hub_wallet_last_payday_ms (hub_wallet_t *self)
{
    return self->last_payday_ms;
}

int64_t
hub_wallet_next_payday_ms (hub_wallet_t *self)
{
    return s_next [self->state][HUB_WALLET_PAYDAY]? self->last_payday_ms + self->pay_period_ms: 0;
}

int64_t
hub_wallet_pay_period_ms (hub_wallet_t *self)
{
    return self->pay_period_ms;
}

const char *
hub_wallet_punish_account (hub_wallet_t *self)
{
    return self->punish_account;
}

int
hub_wallet_rows (hub_wallet_t *self, size_t limit, hub_wallet_row_fn *fn, void *arg)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "SELECT seq, at_ms, event, from_state, to_state, by_key, reason, transfers"
        " FROM wallet_events ORDER BY seq DESC LIMIT ?");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, limit? (int64_t) limit: -1);
    int step;
    while ((step = sqlite3_step (stmt)) == SQLITE_ROW) {
        hub_wallet_row_t row = {
            .seq = sqlite3_column_int64 (stmt, 0),
            .at_ms = sqlite3_column_int64 (stmt, 1),
            .event = hub_sql_column_text (stmt, 2),
            .from = hub_sql_column_text (stmt, 3),
            .to = hub_sql_column_text (stmt, 4),
            .by = hub_sql_column_text (stmt, 5),
            .reason = hub_sql_column_text (stmt, 6),
            .transfers = hub_sql_column_text (stmt, 7)
        };
        fn (arg, &row);
    }
    sqlite3_finalize (stmt);
    return step == SQLITE_DONE? 0: -1;
}

//  --------------------------------------------------------------------------
//  Receipts

typedef struct {
    bool found;
    fg_receipt_t *receipt;
} s_pay_entry_t;

static void
s_pay_entry (void *arg, const hub_entry_t *entry)
{
    s_pay_entry_t *pay = (s_pay_entry_t *) arg;
    pay->found = true;
    snprintf (pay->receipt->entry_id, sizeof pay->receipt->entry_id, "%s", entry->id);
    snprintf (pay->receipt->entry_hash, sizeof pay->receipt->entry_hash, "%s", entry->hash);
    pay->receipt->entry_seq = entry->seq;
    pay->receipt->at_ms = entry->at_ms;
    pay->receipt->amount = entry->amount;
}

int
hub_wallet_receipt_make (hub_wallet_t *self, const char *task_id, uint32_t attempt,
                         const char *miner_id)
{
    sqlite3_stmt *stmt = s_prepare (self, "SELECT 1 FROM wallet_receipts WHERE task_id = ?");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, task_id);
    bool made = sqlite3_step (stmt) == SQLITE_ROW;
    sqlite3_finalize (stmt);
    if (made)
        return 0;

    fg_receipt_t receipt;
    memset (&receipt, 0, sizeof receipt);
    s_pay_entry_t pay = { false, &receipt };
    char id [96];
    snprintf (id, sizeof id, "pay/%s", task_id);
    if (hub_ledger_entry (self->ledger, id, s_pay_entry, &pay) || !pay.found)
        return -1;
    snprintf (receipt.task_id, sizeof receipt.task_id, "%s", task_id);
    receipt.attempt = attempt;
    snprintf (receipt.miner_id, sizeof receipt.miner_id, "%s", miner_id);
    snprintf (id, sizeof id, "fee/%s", task_id);
    receipt.fee = hub_ledger_amount (self->ledger, id);
    snprintf (receipt.hub_id, sizeof receipt.hub_id, "%s", self->hub_id);
    snprintf (receipt.hub_key, sizeof receipt.hub_key, "%s", hub_ledger_public_key (self->ledger));
    char *text = fg_receipt_text (&receipt);
    int rc = hub_ledger_sign (self->ledger, text, receipt.signature);
    zstr_free (&text);
    char *json = rc? NULL: fg_receipt_json (&receipt);
    stmt = json? s_prepare (self,
        "INSERT INTO wallet_receipts (task_id, miner_id, at_ms, receipt) VALUES (?, ?, ?, ?)"): NULL;
    rc = -1;
    if (stmt) {
        hub_sql_bind_text (stmt, 1, task_id);
        hub_sql_bind_text (stmt, 2, miner_id);
        sqlite3_bind_int64 (stmt, 3, receipt.at_ms);
        hub_sql_bind_text (stmt, 4, json);
        rc = sqlite3_step (stmt) == SQLITE_DONE? 0: -1;
        sqlite3_finalize (stmt);
    }
    if (rc)
        zsys_error ("wallet: cannot keep the receipt of task %s: %s", task_id,
                    sqlite3_errmsg (self->db));
    free (json);
    return rc;
}

char *
hub_wallet_receipt (hub_wallet_t *self, const char *task_id)
{
    sqlite3_stmt *stmt = s_prepare (self, "SELECT receipt FROM wallet_receipts WHERE task_id = ?");
    if (!stmt)
        return NULL;
    hub_sql_bind_text (stmt, 1, task_id);
    char *json = sqlite3_step (stmt) == SQLITE_ROW? strdup (hub_sql_column_text (stmt, 0)): NULL;
    sqlite3_finalize (stmt);
    return json;
}

//  --------------------------------------------------------------------------
//  Checking receipts

//  The payout entry a receipt names, as the ledger holds it
typedef struct {
    bool found;
    int64_t seq;
    int64_t amount;
    char hash [65];
    char to [128];
} s_named_entry_t;

static void
s_named_entry (void *arg, const hub_entry_t *entry)
{
    s_named_entry_t *named = (s_named_entry_t *) arg;
    named->found = true;
    named->seq = entry->seq;
    named->amount = entry->amount;
    snprintf (named->hash, sizeof named->hash, "%s", entry->hash);
    snprintf (named->to, sizeof named->to, "%s", entry->to);
}

//  Checks one stored receipt. Returns 0, or -1 with why.
static int
s_receipt_check (hub_wallet_t *self, const char *task_id, const char *miner_id,
                 const char *json, char *why, size_t why_size)
{
    fg_receipt_t receipt;
    char err [300];
    if (fg_receipt_parse (&receipt, json, err, sizeof err)) {
        snprintf (why, why_size, "it is not a receipt: %s", err);
        return -1;
    }
    if (fg_receipt_verify (&receipt, hub_ledger_public_key (self->ledger), err, sizeof err)) {
        snprintf (why, why_size, "it was changed or forged: %s", err);
        return -1;
    }
    if (!streq (receipt.task_id, task_id) || !streq (receipt.miner_id, miner_id)) {
        snprintf (why, why_size, "it is the receipt of %.64s to miner %.64s, kept as %.64s's "
                  "to miner %.64s", receipt.task_id, receipt.miner_id, task_id, miner_id);
        return -1;
    }
    char id [96], account [96];
    snprintf (id, sizeof id, "pay/%s", task_id);
    snprintf (account, sizeof account, "miner:%s", miner_id);
    s_named_entry_t named = { false };
    if (!streq (receipt.entry_id, id)
    ||  hub_ledger_entry (self->ledger, id, s_named_entry, &named) || !named.found) {
        snprintf (why, why_size, "the ledger holds no payout %s for it", id);
        return -1;
    }
    if (named.seq != receipt.entry_seq || !streq (named.hash, receipt.entry_hash)
    ||  named.amount != receipt.amount || !streq (named.to, account)) {
        snprintf (why, why_size, "it says %" PRId64 " to %s at ledger row %" PRId64 ", the "
                  "ledger's %s is %" PRId64 " to %s at row %" PRId64, receipt.amount, account,
                  receipt.entry_seq, id, named.amount, named.to, named.seq);
        return -1;
    }
    snprintf (id, sizeof id, "fee/%s", task_id);
    int64_t fee = hub_ledger_amount (self->ledger, id);
    if (fee != receipt.fee) {
        snprintf (why, why_size, "it says the fee was %" PRId64 ", the ledger's %s is %" PRId64,
                  receipt.fee, id, fee);
        return -1;
    }
    return 0;
}

int64_t
hub_wallet_receipts_verify (hub_wallet_t *self, hub_wallet_fault_fn *fn, void *arg,
                            int64_t *faults)
{
    *faults = 0;
    sqlite3_stmt *stmt = s_prepare (self,
        "SELECT task_id, miner_id, receipt FROM wallet_receipts ORDER BY task_id");
    if (!stmt)
        return -1;
    int64_t checked = 0;
    int step;
    while ((step = sqlite3_step (stmt)) == SQLITE_ROW) {
        const char *task_id = hub_sql_column_text (stmt, 0);
        char why [600];
        checked++;
        if (s_receipt_check (self, task_id, hub_sql_column_text (stmt, 1),
                             hub_sql_column_text (stmt, 2), why, sizeof why)) {
            (*faults)++;
            zsys_error ("wallet: the stored receipt of %.64s does not hold: %s", task_id, why);
            if (fn)
                fn (arg, task_id, why);
        }
    }
    sqlite3_finalize (stmt);
    if (step != SQLITE_DONE) {
        zsys_error ("wallet: cannot read the stored receipts: %s", sqlite3_errmsg (self->db));
        return -1;
    }
    return checked;
}

//  --------------------------------------------------------------------------
//  The books

#define S_BOOKS_FAULTS  100     //  receipt faults listed in a BooksReply

typedef struct {
    Fogrid__BooksReply *reply;
    size_t capacity;            //  of reply->accounts
    int64_t sum;
    bool overflow;
} s_books_t;

static void
s_books_account (void *arg, const char *account, int64_t balance)
{
    s_books_t *books = (s_books_t *) arg;
    Fogrid__BooksReply *reply = books->reply;
    if (__builtin_add_overflow (books->sum, balance, &books->sum))
        books->overflow = true;
    if (balance == 0) {
        reply->zero_accounts++;
        return;
    }
    if (reply->n_accounts == books->capacity) {
        books->capacity = books->capacity? books->capacity * 2: 64;
        reply->accounts = (Fogrid__Account **) realloc (reply->accounts,
                                                        sizeof (Fogrid__Account *) * books->capacity);
    }
    Fogrid__Account *item = (Fogrid__Account *) zmalloc (sizeof (Fogrid__Account));
    fogrid__account__init (item);
    item->name = strdup (account);
    item->balance = balance;
    reply->accounts [reply->n_accounts++] = item;
}

static void
s_books_fault (void *arg, const char *task_id, const char *why)
{
    Fogrid__BooksReply *reply = (Fogrid__BooksReply *) arg;
    if (reply->n_faults < S_BOOKS_FAULTS)
        reply->faults [reply->n_faults++] = zsys_sprintf ("receipt of %.64s: %s", task_id, why);
}

void
hub_wallet_handle_books (hub_wallet_t *self, fg_outbox_t *outbox, zsock_t *sock, zframe_t *peer,
                         uint64_t seq, bool admin)
{
    if (!admin) {
        fg_outbox_refuse (outbox, sock, peer, seq, FG_E_DENIED,
                          "books refused: reading the books needs a key in hub/admin_keys");
        return;
    }
    Fogrid__BooksReply reply = FOGRID__BOOKS_REPLY__INIT;
    reply.hub_id = self->hub_id;
    reply.ledger_key = (char *) hub_ledger_public_key (self->ledger);
    s_books_t books = { &reply, 0, 0, false };
    int listed = hub_ledger_accounts (self->ledger, "", true, s_books_account, &books);
    reply.sum = books.sum;
    reply.sum_overflow = books.overflow;
    reply.entries = (uint64_t) hub_ledger_size (self->ledger);
    char err [512] = "";
    reply.ledger_ok = listed == 0 && hub_ledger_verify (self->ledger, err, sizeof err) == 0;
    if (listed)
        snprintf (err, sizeof err, "cannot read the ledger's accounts");
    reply.ledger_error = err;
    reply.faults = (char **) zmalloc (sizeof (char *) * S_BOOKS_FAULTS);
    int64_t faults = 0;
    int64_t receipts = hub_wallet_receipts_verify (self, s_books_fault, &reply, &faults);
    if (receipts < 0) {
        reply.faults [reply.n_faults++] = strdup ("cannot read the stored receipts");
        faults = 1;
        receipts = 0;
    }
    reply.receipts = (uint64_t) receipts;
    reply.receipt_faults = (uint64_t) faults;
    zsys_notice ("wallet: books read: %zu accounts, sum %" PRId64 "%s, %" PRIu64 " entries %s, "
                 "%" PRId64 " receipts (%" PRId64 " faults)", reply.n_accounts, reply.sum,
                 reply.sum_overflow? " (overflow)": "", reply.entries,
                 reply.ledger_ok? "verified": "NOT verified", receipts, faults);

    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_BOOKS_REPLY;
    env.books_reply = &reply;
    fg_outbox_answer (outbox, sock, peer, &env);

    for (size_t index = 0; index < reply.n_accounts; index++) {
        free (reply.accounts [index]->name);
        free (reply.accounts [index]);
    }
    free (reply.accounts);
    for (size_t index = 0; index < reply.n_faults; index++)
        free (reply.faults [index]);
    free (reply.faults);
}
