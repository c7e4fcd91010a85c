/*  =========================================================================
    hub_billing - services billed per second, settled in batches

    DESIGN
    One row per service task: its buyer's account, its miner, the rate
    per second, and billed_ms, the moment it is billed up to. Billing a
    service charges the whole seconds since billed_ms and moves billed_ms
    on by exactly those seconds, so a fraction of a second is carried to
    the next bill, never lost and never charged twice. The charge's ledger
    id is bill/TASK/BILLED_MS (the new billed_ms): unique, and the same on
    a replay.

    The charge goes into settle:MINER, not to the miner: at settlement the
    miner is paid what that account holds, in one transfer, so a miner
    running a hundred services for a hundred buyers gets one payout (and
    one receipt) per period. Money in settle:MINER while the wallet may
    not pay stays there (never lost) until a settlement finds it may.

    service row   event                       next       money
    -----------   -----                       ----       -----
    none          start (rate > 0)            running    -
    running       settle                      running    whole seconds: buyer -> settle:MINER
    running       settle, buyer short         running    the seconds it can pay; the
                                                         caller stops the service
    running       stop (ended, lost, broke)   stopped    whole seconds up to the end
    stopped       start (a new attempt)       running    -
    any           settle (after the bills)    same       settle:MINER -> miner (less fee)
    =========================================================================  */
#include "fogrid.h"
#include "hub_billing.h"
#include "hub_sql.h"
#include <sqlite3.h>

struct _hub_billing_t {
    hub_store_t *store;         //  its savepoints (not owned)
    sqlite3 *db;                //  the store's connection (not owned)
    const char *who;            //  for log lines
    hub_ledger_t *ledger;       //  moves the money
    hub_wallet_t *wallet;       //  may the hub pay; signs receipts
    int64_t fee_percent;        //  the hub's cut of each payout
};

static const char *s_schema =
    "CREATE TABLE IF NOT EXISTS billing_services ("
    "  task_id TEXT PRIMARY KEY,"
    "  buyer TEXT NOT NULL,"
    "  miner_id TEXT NOT NULL,"
    "  rate INTEGER NOT NULL CHECK (rate > 0),"
    "  billed_ms INTEGER NOT NULL,"
    "  billed INTEGER NOT NULL DEFAULT 0,"
    "  seconds INTEGER NOT NULL DEFAULT 0,"
    "  running INTEGER NOT NULL DEFAULT 1);"
    "CREATE INDEX IF NOT EXISTS billing_running ON billing_services (running);";

//  One service as its row has it.
typedef struct {
    char task_id [64];
    char buyer [128];
    char miner_id [64];
    int64_t rate;
    int64_t billed_ms;
} s_row_t;

hub_billing_t *
hub_billing_new (hub_store_t *store, hub_ledger_t *ledger, hub_wallet_t *wallet,
                 int64_t fee_percent, char *err, size_t err_size)
{
    hub_billing_t *self = (hub_billing_t *) zmalloc (sizeof (hub_billing_t));
    self->store = store;
    self->db = hub_store_db (store);
    self->who = "billing";
    self->ledger = ledger;
    self->wallet = wallet;
    self->fee_percent = fee_percent;
    if (hub_sql_exec (self->db, self->who, s_schema)) {
        snprintf (err, err_size, "cannot create the billing table");
        hub_billing_destroy (&self);
    }
    return self;
}

void
hub_billing_destroy (hub_billing_t **self_p)
{
    if (*self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

int
hub_billing_start (hub_billing_t *self, const char *task_id, const char *buyer,
                   const char *miner_id, int64_t rate, int64_t now_ms)
{
    if (rate <= 0)
        return 0;
    sqlite3_stmt *stmt = hub_sql_prepare (self->db, self->who,
        "INSERT INTO billing_services (task_id, buyer, miner_id, rate, billed_ms)"
        " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (task_id) DO UPDATE SET"
        " miner_id = ?3, rate = ?4, billed_ms = ?5, running = 1");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, task_id);
    hub_sql_bind_text (stmt, 2, buyer);
    hub_sql_bind_text (stmt, 3, miner_id);
    sqlite3_bind_int64 (stmt, 4, rate);
    sqlite3_bind_int64 (stmt, 5, now_ms);
    return hub_sql_run (self->db, self->who, stmt, "start");
}

static void
s_row_read (sqlite3_stmt *stmt, s_row_t *row)
{
    snprintf (row->task_id, sizeof row->task_id, "%s", hub_sql_column_text (stmt, 0));
    snprintf (row->buyer, sizeof row->buyer, "%s", hub_sql_column_text (stmt, 1));
    snprintf (row->miner_id, sizeof row->miner_id, "%s", hub_sql_column_text (stmt, 2));
    row->rate = sqlite3_column_int64 (stmt, 3);
    row->billed_ms = sqlite3_column_int64 (stmt, 4);
}

static void
s_row_free (void **item)
{
    free (*item);
    *item = NULL;
}

//  Charges row's whole seconds up to until_ms that its buyer can pay, and
//  moves its billed_ms on by them, in one savepoint. *short_p is set when
//  the buyer could not pay them all. Returns 0 or -1.
static int
s_bill (hub_billing_t *self, const s_row_t *row, int64_t until_ms, bool *short_p)
{
    int64_t seconds = (until_ms - row->billed_ms) / 1000;
    if (seconds <= 0)
        return 0;
    int64_t balance = 0;
    hub_ledger_balance (self->ledger, row->buyer, &balance);
    int64_t affordable = balance / row->rate;
    if (affordable < seconds) {
        seconds = affordable;
        *short_p = true;
        if (seconds == 0)
            return 0;
    }
    int64_t amount = seconds * row->rate;       //  <= balance: no overflow
    int64_t billed_ms = row->billed_ms + seconds * 1000;
    char id [128], account [96], memo [160];
    snprintf (id, sizeof id, "bill/%s/%" PRId64, row->task_id, billed_ms);
    snprintf (account, sizeof account, HUB_BILLING_PREFIX "%s", row->miner_id);
    snprintf (memo, sizeof memo, "service %s on %s: %" PRId64 " s at %" PRId64 " per s",
              row->task_id, row->miner_id, seconds, row->rate);
    if (hub_store_savepoint (self->store))
        return -1;
    hub_ledger_rc_t rc = hub_ledger_transfer (self->ledger, id, row->buyer, account, amount, memo);
    sqlite3_stmt *stmt = rc == HUB_LEDGER_OK || rc == HUB_LEDGER_REPLAY?
        hub_sql_prepare (self->db, self->who,
            "UPDATE billing_services SET billed_ms = ?, billed = billed + ?,"
            " seconds = seconds + ? WHERE task_id = ?"): NULL;
    if (stmt) {
        sqlite3_bind_int64 (stmt, 1, billed_ms);
        sqlite3_bind_int64 (stmt, 2, amount);
        sqlite3_bind_int64 (stmt, 3, seconds);
        hub_sql_bind_text (stmt, 4, row->task_id);
    }
    if (!stmt || hub_sql_run (self->db, self->who, stmt, "bill")) {
        zsys_error ("billing: cannot bill service %s %" PRId64 " (%s)", row->task_id, amount,
                    rc == HUB_LEDGER_OK || rc == HUB_LEDGER_REPLAY? "its row"
                    : hub_ledger_strerror (rc));
        hub_store_rollback_savepoint (self->store);
        return -1;
    }
    hub_store_release_savepoint (self->store);
    return 0;
}

int
hub_billing_stop (hub_billing_t *self, const char *task_id, int64_t end_ms)
{
    sqlite3_stmt *stmt = hub_sql_prepare (self->db, self->who,
        "SELECT task_id, buyer, miner_id, rate, billed_ms FROM billing_services"
        " WHERE task_id = ? AND running = 1");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, task_id);
    s_row_t row;
    bool found = sqlite3_step (stmt) == SQLITE_ROW;
    if (found)
        s_row_read (stmt, &row);
    sqlite3_finalize (stmt);
    if (!found)
        return 0;
    bool short_of_funds = false;
    int rc = s_bill (self, &row, end_ms, &short_of_funds);
    stmt = hub_sql_prepare (self->db, self->who,
        "UPDATE billing_services SET running = 0 WHERE task_id = ?");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, task_id);
    return hub_sql_run (self->db, self->who, stmt, "stop") || rc? -1: 0;
}

//  Pays a miner what its settlement account holds (held); settlement
//  names the payout (pay/SETTLEMENT, fee/SETTLEMENT) and its receipt.
//  Returns 1 when it paid, 0 when it may not, -1.
static int
s_payout (hub_billing_t *self, const char *account, int64_t held, const char *settlement)
{
    const char *miner_id = account + strlen (HUB_BILLING_PREFIX);
    char miner [96], pay_id [96], fee_id [96], memo [160];
    if (!hub_wallet_can_pay (self->wallet)) {
        zsys_warning ("billing: %" PRId64 " stays in %s until the wallet may pay: %s", held,
                      account, hub_wallet_refusal (self->wallet));
        return 0;
    }
    snprintf (miner, sizeof miner, "miner:%s", miner_id);
    snprintf (pay_id, sizeof pay_id, "pay/%s", settlement);
    snprintf (fee_id, sizeof fee_id, "fee/%s", settlement);
    snprintf (memo, sizeof memo, "settlement %s: services run on %s", settlement, miner_id);
    int64_t fee = hub_ledger_fee (held, self->fee_percent);
    hub_transfer_t legs [2];
    size_t count = 0;
    if (held - fee > 0)
        legs [count++] = (hub_transfer_t) { pay_id, account, miner, held - fee, memo };
    if (fee > 0)
        legs [count++] = (hub_transfer_t) { fee_id, account, "hub:fee", fee, memo };
    hub_ledger_rc_t rc = hub_ledger_apply (self->ledger, legs, count);
    if (rc != HUB_LEDGER_OK) {
        zsys_error ("billing: cannot pay %s its %" PRId64 " (%s): it stays in %s", miner_id,
                    held, hub_ledger_strerror (rc), account);
        return -1;
    }
    zsys_info ("billing: settlement %s paid %" PRId64 " to %s, fee %" PRId64, settlement,
               held - fee, miner, fee);
    if (held - fee > 0 && hub_wallet_receipt_make (self->wallet, settlement, 0, miner_id))
        zsys_error ("billing: settlement %s: cannot make its receipt", settlement);
    return 1;
}

//  A settlement account with money in it.
typedef struct {
    char account [96];
    int64_t held;
} s_waiting_t;

static void
s_waiting_add (void *arg, const char *account, int64_t balance)
{
    if (balance <= 0)
        return;
    s_waiting_t *item = (s_waiting_t *) zmalloc (sizeof (s_waiting_t));
    snprintf (item->account, sizeof item->account, "%s", account);
    item->held = balance;
    zlistx_add_end ((zlistx_t *) arg, item);
}

int
hub_billing_settle (hub_billing_t *self, int64_t now_ms, zlist_t *broke)
{
    //  The bills first, read into memory: billing writes the rows
    zlistx_t *rows = zlistx_new ();
    zlistx_set_destructor (rows, s_row_free);
    sqlite3_stmt *stmt = hub_sql_prepare (self->db, self->who,
        "SELECT task_id, buyer, miner_id, rate, billed_ms FROM billing_services"
        " WHERE running = 1 ORDER BY task_id");
    if (!stmt) {
        zlistx_destroy (&rows);
        return -1;
    }
    while (sqlite3_step (stmt) == SQLITE_ROW) {
        s_row_t *row = (s_row_t *) zmalloc (sizeof (s_row_t));
        s_row_read (stmt, row);
        zlistx_add_end (rows, row);
    }
    sqlite3_finalize (stmt);
    int rc = 0;
    for (s_row_t *row = (s_row_t *) zlistx_first (rows); row;
         row = (s_row_t *) zlistx_next (rows)) {
        bool short_of_funds = false;
        if (s_bill (self, row, now_ms, &short_of_funds))
            rc = -1;
        if (short_of_funds && broke)
            zlist_append (broke, strdup (row->task_id));
    }
    zlistx_destroy (&rows);

    //  Then one payout per miner with money waiting (the ledger knows
    //  which: read first, paid after, not while its rows are read)
    zlistx_t *waiting = zlistx_new ();
    zlistx_set_destructor (waiting, s_row_free);
    if (hub_ledger_accounts (self->ledger, HUB_BILLING_PREFIX, false, s_waiting_add, waiting))
        rc = -1;
    int paid = 0, index = 0;
    for (s_waiting_t *item = (s_waiting_t *) zlistx_first (waiting); item;
         item = (s_waiting_t *) zlistx_next (waiting)) {
        char settlement [64];
        snprintf (settlement, sizeof settlement, "s-%" PRId64 "-%d", now_ms, ++index);
        int done = s_payout (self, item->account, item->held, settlement);
        if (done < 0)
            rc = -1;
        else
            paid += done;
    }
    zlistx_destroy (&waiting);
    return rc? -1: paid;
}

int64_t
hub_billing_billed (hub_billing_t *self, const char *task_id, int64_t *seconds_p)
{
    sqlite3_stmt *stmt = hub_sql_prepare (self->db, self->who,
        "SELECT billed, seconds FROM billing_services WHERE task_id = ?");
    int64_t billed = 0, seconds = 0;
    if (stmt) {
        hub_sql_bind_text (stmt, 1, task_id);
        if (sqlite3_step (stmt) == SQLITE_ROW) {
            billed = sqlite3_column_int64 (stmt, 0);
            seconds = sqlite3_column_int64 (stmt, 1);
        }
        sqlite3_finalize (stmt);
    }
    if (seconds_p)
        *seconds_p = seconds;
    return billed;
}
