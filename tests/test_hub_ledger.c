/*  =========================================================================
    test_hub_ledger - the hub's ledger and the money of tasks

    The ledger on its own: transfers and their refusals, thousands of
    random operations checked against a model after each one, rollbacks,
    and rows tampered with in the database. Then the hub: the actor with a
    fake miner (paid, unpaid, refunded, cancelled and requeued tasks), the
    real fogrid-hub with real fogrid-miners and two buyers with keys, and
    a hub killed with SIGKILL while tasks finish, whose books must still
    match what became of every task.
    =========================================================================  */
#include "test_hub_support.h"
#include "hub_wallet.h"
#include "hub_tasks.h"
#include "hub_server.h"
#include "fg_receipt.h"
#include <sqlite3.h>
#include <sodium.h>
#include <stdarg.h>

//  ---------------------------------------------------------------------
//  A ledger in a temp dir, laid out as the hub lays it out

typedef struct {
    int64_t sum;                //  over every account
    int64_t outside;            //  over every account but world
    size_t count;               //  accounts seen
    size_t negative;            //  accounts below zero, world aside
} s_totals_t;

static void
s_totals_add (void *arg, const char *account, int64_t balance)
{
    s_totals_t *totals = (s_totals_t *) arg;
    totals->sum += balance;
    if (!streq (account, "world")) {
        totals->outside += balance;
        if (balance < 0)
            totals->negative++;
    }
    totals->count++;
}

static s_totals_t
s_totals (hub_ledger_t *ledger)
{
    s_totals_t totals = { 0 };
    CU_ASSERT_EQUAL (hub_ledger_accounts (ledger, "", true, s_totals_add, &totals), 0);
    return totals;
}

//  ---------------------------------------------------------------------
//  Transfers

static void
test_transfers (void)
{
    char *dir = ts_tmpdir_new ("ledger");
    th_books_t books;
    th_books_open (&books, dir);
    hub_ledger_t *ledger = books.ledger;

    //  The key is made on first open, private
    char key [600];
    snprintf (key, sizeof key, "%s/keys/hub.sign", dir);
    CU_ASSERT_EQUAL (ts_run (NULL, "test \"$(stat -c %%a %s)\" = 600", key), 0);
    CU_ASSERT_EQUAL (strlen (hub_ledger_public_key (ledger)), 64);
    CU_ASSERT_EQUAL (hub_ledger_size (ledger), 0);

    //  Money enters from world; a retry with the same id changes nothing
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "deposit/a", "world", "buyer:alice", 500, "in"),
                     HUB_LEDGER_OK);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "deposit/a", "world", "buyer:alice", 500, "again"),
                     HUB_LEDGER_REPLAY);
    CU_ASSERT_EQUAL (th_balance (ledger, "buyer:alice"), 500);
    CU_ASSERT_EQUAL (th_balance (ledger, "world"), -500);
    CU_ASSERT_EQUAL (hub_ledger_size (ledger), 1);
    //  ... the same id for something else is a conflict
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "deposit/a", "world", "buyer:alice", 501, NULL),
                     HUB_LEDGER_CONFLICT);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "deposit/a", "world", "buyer:bob", 500, NULL),
                     HUB_LEDGER_CONFLICT);

    //  Nobody but world goes below zero
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "escrow/t-1/1", "buyer:alice", "escrow:t-1", 501,
                                          NULL), HUB_LEDGER_FUNDS);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "escrow/t-1/1", "buyer:alice", "escrow:t-1", 500,
                                          NULL), HUB_LEDGER_OK);
    CU_ASSERT_EQUAL (th_balance (ledger, "buyer:alice"), 0);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "withdraw/x", "buyer:alice", "world", 1, NULL),
                     HUB_LEDGER_FUNDS);

    //  A payout in two legs: all or nothing
    hub_transfer_t pay [2] = {
        { "pay/t-1", "escrow:t-1", "miner:m-1", 475, "task t-1" },
        { "fee/t-1", "escrow:t-1", "hub:fee", 26, "task t-1" },     //  one too many
    };
    CU_ASSERT_EQUAL (hub_ledger_apply (ledger, pay, 2), HUB_LEDGER_FUNDS);
    CU_ASSERT_EQUAL (th_balance (ledger, "miner:m-1"), 0);
    CU_ASSERT_EQUAL (th_balance (ledger, "escrow:t-1"), 500);
    CU_ASSERT_EQUAL (hub_ledger_amount (ledger, "pay/t-1"), 0);
    pay [1].amount = 25;
    CU_ASSERT_EQUAL (hub_ledger_apply (ledger, pay, 2), HUB_LEDGER_OK);
    CU_ASSERT_EQUAL (hub_ledger_apply (ledger, pay, 2), HUB_LEDGER_REPLAY);
    CU_ASSERT_EQUAL (th_balance (ledger, "miner:m-1"), 475);
    CU_ASSERT_EQUAL (th_balance (ledger, "hub:fee"), 25);
    CU_ASSERT_EQUAL (th_balance (ledger, "escrow:t-1"), 0);
    CU_ASSERT_EQUAL (hub_ledger_amount (ledger, "pay/t-1"), 475);

    //  Bad names, amounts and ids are refused
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "x/1", "world", "bank:zz", 1, NULL),
                     HUB_LEDGER_INVALID);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "x/2", "world", "buyer:", 1, NULL),
                     HUB_LEDGER_INVALID);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "x/3", "world", "buyer:a b", 1, NULL),
                     HUB_LEDGER_INVALID);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "x/4", "world", "buyer:alice", 0, NULL),
                     HUB_LEDGER_INVALID);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "x/5", "world", "buyer:alice", -5, NULL),
                     HUB_LEDGER_INVALID);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "x/6", "miner:m-1", "miner:m-1", 5, NULL),
                     HUB_LEDGER_INVALID);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "", "world", "buyer:alice", 5, NULL),
                     HUB_LEDGER_INVALID);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "x/\n", "world", "buyer:alice", 5, NULL),
                     HUB_LEDGER_INVALID);
    CU_ASSERT_TRUE (hub_ledger_account_valid ("hub:wallet:frozen"));
    CU_ASSERT_TRUE (hub_ledger_account_valid ("owner"));
    CU_ASSERT_FALSE (hub_ledger_account_valid ("hub:wallet"));

    //  int64 bounds: a balance cannot overflow, and neither can world
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "deposit/big", "world", "buyer:carol",
                                          INT64_MAX - 1000, NULL), HUB_LEDGER_OK);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "deposit/more", "world", "buyer:carol",
                                          1001, NULL), HUB_LEDGER_OVERFLOW);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "deposit/dave", "world", "buyer:dave",
                                          INT64_MAX, NULL), HUB_LEDGER_OVERFLOW);
    CU_ASSERT_EQUAL (th_balance (ledger, "buyer:carol"), INT64_MAX - 1000);

    //  What the entries say, newest first, per account
    s_totals_t totals = s_totals (ledger);
    CU_ASSERT_EQUAL (totals.sum, 0);
    CU_ASSERT_EQUAL (totals.negative, 0);
    CU_ASSERT_EQUAL (hub_ledger_size (ledger), 5);
    char err [400];
    CU_ASSERT_EQUAL (hub_ledger_verify (ledger, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL (hub_ledger_strerror (HUB_LEDGER_FUNDS), "insufficient funds");

    //  Reopened, with the same key: the same books
    th_books_close (&books);
    th_books_open (&books, dir);
    CU_ASSERT_EQUAL (th_balance (books.ledger, "miner:m-1"), 475);
    CU_ASSERT_EQUAL (hub_ledger_verify (books.ledger, err, sizeof err), 0);
    th_books_close (&books);
    ts_tmpdir_remove (&dir);
}

//  ---------------------------------------------------------------------
//  Thousands of random operations against a model

typedef struct {
    char id [64];
    char from [40];
    char to [40];
    int64_t amount;
} s_record_t;

typedef struct {
    char task [24];             //  escrow:TASK is open
    char buyer [40];
    int64_t amount;
    unsigned attempt;
} s_open_t;

#define S_OPS           4000
#define S_BUYERS        5
#define S_MINERS        3
#define S_RECORDS_MAX   (S_OPS * 2 + 16)

typedef struct {
    uint64_t rng;               //  xorshift state
    hub_ledger_t *ledger;
    hub_store_t *store;
    zhashx_t *model;            //  account -> int64_t *
    s_record_t *records;        //  every applied transfer
    size_t n_records;
    s_open_t *open;             //  escrows not settled yet
    size_t n_open;
    int64_t deposited;
    int64_t withdrawn;
    unsigned tasks;             //  tasks made so far
    unsigned tokens;            //  deposit/withdraw ids made so far
    unsigned op;                //  current operation, for messages
} s_prop_t;

static uint64_t
s_rand (s_prop_t *prop)
{
    uint64_t x = prop->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    prop->rng = x;
    return x;
}

static int64_t
s_range (s_prop_t *prop, int64_t low, int64_t high)
{
    return low + (int64_t) (s_rand (prop) % (uint64_t) (high - low + 1));
}

static int64_t *
s_model_slot (s_prop_t *prop, const char *account)
{
    int64_t *slot = (int64_t *) zhashx_lookup (prop->model, account);
    if (!slot) {
        slot = (int64_t *) zmalloc (sizeof (int64_t));
        zhashx_insert (prop->model, account, slot);
    }
    return slot;
}

static void
s_model_free (void **item)
{
    free (*item);
    *item = NULL;
}

//  What the model expects of one transfer, and applies it when it is OK.
static hub_ledger_rc_t
s_model_expect (s_prop_t *prop, const hub_transfer_t *transfer, bool apply)
{
    for (size_t index = 0; index < prop->n_records; index++) {
        s_record_t *record = &prop->records [index];
        if (streq (record->id, transfer->id))
            return streq (record->from, transfer->from) && streq (record->to, transfer->to)
                && record->amount == transfer->amount? HUB_LEDGER_REPLAY: HUB_LEDGER_CONFLICT;
    }
    int64_t *from = s_model_slot (prop, transfer->from);
    if (!streq (transfer->from, "world") && *from < transfer->amount)
        return HUB_LEDGER_FUNDS;
    if (apply) {
        *from -= transfer->amount;
        *s_model_slot (prop, transfer->to) += transfer->amount;
        s_record_t *record = &prop->records [prop->n_records++];
        snprintf (record->id, sizeof record->id, "%s", transfer->id);
        snprintf (record->from, sizeof record->from, "%s", transfer->from);
        snprintf (record->to, sizeof record->to, "%s", transfer->to);
        record->amount = transfer->amount;
        if (streq (transfer->from, "world"))
            prop->deposited += transfer->amount;
        if (streq (transfer->to, "world"))
            prop->withdrawn += transfer->amount;
    }
    return HUB_LEDGER_OK;
}

//  Applies one transfer to the ledger and the model; checks the result.
static hub_ledger_rc_t
s_prop_transfer (s_prop_t *prop, const char *id, const char *from, const char *to, int64_t amount)
{
    hub_transfer_t transfer = { id, from, to, amount, "property test" };
    hub_ledger_rc_t expected = s_model_expect (prop, &transfer, true);
    hub_ledger_rc_t rc = hub_ledger_apply (prop->ledger, &transfer, 1);
    if (rc != expected)
        fprintf (stderr, "op %u: %s %s -> %s %" PRId64 ": got '%s', model says '%s'\n",
                 prop->op, id, from, to, amount, hub_ledger_strerror (rc),
                 hub_ledger_strerror (expected));
    CU_ASSERT_EQUAL (rc, expected);
    return rc;
}

static void
s_prop_check_account (void *arg, const char *account, int64_t balance)
{
    s_prop_t *prop = (s_prop_t *) arg;
    int64_t *slot = (int64_t *) zhashx_lookup (prop->model, account);
    int64_t expected = slot? *slot: 0;
    if (balance != expected)
        fprintf (stderr, "op %u: %s holds %" PRId64 ", the model says %" PRId64 "\n",
                 prop->op, account, balance, expected);
    CU_ASSERT_EQUAL (balance, expected);
}

//  The invariants, after every operation.
static void
s_prop_check (s_prop_t *prop)
{
    s_totals_t totals = s_totals (prop->ledger);
    CU_ASSERT_EQUAL (totals.sum, 0);
    CU_ASSERT_EQUAL (totals.outside, prop->deposited - prop->withdrawn);
    CU_ASSERT_EQUAL (totals.negative, 0);
    CU_ASSERT_EQUAL (hub_ledger_accounts (prop->ledger, "", true, s_prop_check_account, prop), 0);
    //  Every account the model knows with money in it is in the ledger
    size_t nonzero = 0;
    for (int64_t *slot = (int64_t *) zhashx_first (prop->model); slot;
         slot = (int64_t *) zhashx_next (prop->model))
        nonzero += *slot != 0;
    s_totals_t held = { 0 };
    hub_ledger_accounts (prop->ledger, "", false, s_totals_add, &held);
    CU_ASSERT_EQUAL (held.count, nonzero);
    CU_ASSERT_EQUAL ((int64_t) hub_ledger_size (prop->ledger), (int64_t) prop->n_records);
}

static void
s_prop_escrow (s_prop_t *prop, const char *task, const char *buyer, unsigned attempt)
{
    char id [64], escrow [40];
    snprintf (id, sizeof id, "escrow/%s/%u", task, attempt);
    snprintf (escrow, sizeof escrow, "escrow:%s", task);
    int64_t amount = s_range (prop, 1, 400);
    if (s_prop_transfer (prop, id, buyer, escrow, amount) == HUB_LEDGER_OK) {
        s_open_t *open = &prop->open [prop->n_open++];
        snprintf (open->task, sizeof open->task, "%s", task);
        snprintf (open->buyer, sizeof open->buyer, "%s", buyer);
        open->amount = amount;
        open->attempt = attempt;
    }
}

static void
s_prop_step (s_prop_t *prop)
{
    char buyer [40], miner [40], id [64], escrow [40];
    snprintf (buyer, sizeof buyer, "buyer:b%d", (int) s_range (prop, 0, S_BUYERS - 1));
    snprintf (miner, sizeof miner, "miner:m%d", (int) s_range (prop, 0, S_MINERS - 1));
    int dice = (int) s_range (prop, 0, 99);
    if (dice < 20) {
        //  A deposit
        snprintf (id, sizeof id, "deposit/tok-%u", ++prop->tokens);
        s_prop_transfer (prop, id, "world", buyer, s_range (prop, 1, 1000));
    }
    else
    if (dice < 40) {
        //  A task assigned: its price into escrow (refused without funds)
        char task [24];
        snprintf (task, sizeof task, "t-%u", ++prop->tasks);
        s_prop_escrow (prop, task, buyer, 1);
    }
    else
    if (dice < 55 && prop->n_open) {
        //  A task succeeded: escrow to its miner, less the fee
        size_t pick = (size_t) s_range (prop, 0, (int64_t) prop->n_open - 1);
        s_open_t open = prop->open [pick];
        prop->open [pick] = prop->open [--prop->n_open];
        snprintf (escrow, sizeof escrow, "escrow:%s", open.task);
        int64_t fee = open.amount * 5 / 100;
        char pay_id [64], fee_id [64];
        snprintf (pay_id, sizeof pay_id, "pay/%s", open.task);
        snprintf (fee_id, sizeof fee_id, "fee/%s", open.task);
        hub_transfer_t legs [2] = {
            { pay_id, escrow, miner, open.amount - fee, "paid" },
            { fee_id, escrow, "hub:fee", fee, "fee" },
        };
        size_t count = fee > 0? 2: 1;
        for (size_t index = 0; index < count; index++)
            CU_ASSERT_EQUAL (s_model_expect (prop, &legs [index], true), HUB_LEDGER_OK);
        CU_ASSERT_EQUAL (hub_ledger_apply (prop->ledger, legs, count), HUB_LEDGER_OK);
    }
    else
    if (dice < 70 && prop->n_open) {
        //  A task failed, was cancelled or lost its miner: back to the
        //  buyer; a lost miner's task is escrowed again as a new attempt
        size_t pick = (size_t) s_range (prop, 0, (int64_t) prop->n_open - 1);
        s_open_t open = prop->open [pick];
        prop->open [pick] = prop->open [--prop->n_open];
        snprintf (id, sizeof id, "refund/%s/%u", open.task, open.attempt);
        snprintf (escrow, sizeof escrow, "escrow:%s", open.task);
        s_prop_transfer (prop, id, escrow, open.buyer, open.amount);
        if (s_range (prop, 0, 1))
            s_prop_escrow (prop, open.task, open.buyer, open.attempt + 1);
    }
    else
    if (dice < 80) {
        //  A withdrawal by a buyer or a miner, sometimes more than it has
        const char *who = s_range (prop, 0, 1)? buyer: miner;
        int64_t *held = s_model_slot (prop, who);
        snprintf (id, sizeof id, "withdraw/tok-%u", ++prop->tokens);
        s_prop_transfer (prop, id, who, "world", s_range (prop, 1, *held + 100));
    }
    else
    if (dice < 90 && prop->n_records) {
        //  A retry of something done before: nothing moves
        s_record_t record = prop->records [s_range (prop, 0, (int64_t) prop->n_records - 1)];
        s_prop_transfer (prop, record.id, record.from, record.to, record.amount);
    }
    else
    if (dice < 94 && prop->n_records) {
        //  An id used before, for another amount: refused
        s_record_t record = prop->records [s_range (prop, 0, (int64_t) prop->n_records - 1)];
        s_prop_transfer (prop, record.id, record.from, record.to, record.amount + 1);
    }
    else
    if (dice < 97) {
        //  A batch whose second leg cannot be paid: neither happens
        int64_t *held = s_model_slot (prop, buyer);
        char dep [64], wd [64];
        snprintf (dep, sizeof dep, "deposit/tok-%u", ++prop->tokens);
        snprintf (wd, sizeof wd, "withdraw/tok-%u", ++prop->tokens);
        int64_t amount = s_range (prop, 1, 50);
        hub_transfer_t legs [2] = {
            { dep, "world", buyer, amount, "batch" },
            { wd, buyer, "world", *held + amount + 1, "batch" },
        };
        CU_ASSERT_EQUAL (hub_ledger_apply (prop->ledger, legs, 2), HUB_LEDGER_FUNDS);
    }
    else {
        //  A transaction rolled back (a hub event that failed): nothing stays
        CU_ASSERT_EQUAL (hub_store_begin (prop->store), 0);
        snprintf (id, sizeof id, "deposit/tok-%u", ++prop->tokens);
        CU_ASSERT_EQUAL (hub_ledger_transfer (prop->ledger, id, "world", buyer, 77, NULL),
                         HUB_LEDGER_OK);
        hub_store_rollback (prop->store);
        CU_ASSERT_EQUAL (hub_ledger_amount (prop->ledger, id), 0);
    }
}

static void
test_property (void)
{
    char *dir = ts_tmpdir_new ("ledger");
    th_books_t books;
    th_books_open (&books, dir);
    s_prop_t prop = { 0 };
    const char *seed = getenv ("FOGRID_TEST_SEED");
    prop.rng = seed? strtoull (seed, NULL, 10): (uint64_t) zclock_time () | 1;
    uint64_t first = prop.rng;
    prop.ledger = books.ledger;
    prop.store = books.store;
    prop.model = zhashx_new ();
    zhashx_set_destructor (prop.model, s_model_free);
    prop.records = (s_record_t *) zmalloc (sizeof (s_record_t) * S_RECORDS_MAX);
    prop.open = (s_open_t *) zmalloc (sizeof (s_open_t) * S_OPS);
    unsigned failures = CU_get_number_of_failures ();
    char err [400];
    for (prop.op = 1; prop.op <= S_OPS; prop.op++) {
        s_prop_step (&prop);
        s_prop_check (&prop);
        if (prop.op % 1000 == 0) {
            int rc = hub_ledger_verify (prop.ledger, err, sizeof err);
            if (rc)
                fprintf (stderr, "op %u: %s\n", prop.op, err);
            CU_ASSERT_EQUAL (rc, 0);
        }
        if (CU_get_number_of_failures () != failures) {
            fprintf (stderr, "property test failed at op %u; rerun with FOGRID_TEST_SEED=%" PRIu64
                     "\n", prop.op, first);
            break;
        }
    }
    //  The books reopen to the same balances, and verify
    size_t records = prop.n_records;
    th_books_close (&books);
    th_books_open (&books, dir);
    prop.ledger = books.ledger;
    prop.store = books.store;
    s_prop_check (&prop);
    CU_ASSERT_EQUAL (hub_ledger_verify (books.ledger, err, sizeof err), 0);
    CU_ASSERT ((int64_t) records > S_OPS / 2);
    zhashx_destroy (&prop.model);
    free (prop.records);
    free (prop.open);
    th_books_close (&books);
    ts_tmpdir_remove (&dir);
}

//  ---------------------------------------------------------------------
//  Tampering

//  Books of eight entries in a new temp dir (closed again).
static char *
s_make_books (void)
{
    char *dir = ts_tmpdir_new ("ledger");
    th_books_t books;
    th_books_open (&books, dir);
    hub_ledger_t *ledger = books.ledger;
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "deposit/1", "world", "buyer:b1", 1000, "in"), 0);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "deposit/2", "world", "buyer:b2", 500, "in"), 0);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "escrow/t-1/1", "buyer:b1", "escrow:t-1", 100, ""), 0);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "pay/t-1", "escrow:t-1", "miner:m1", 95, ""), 0);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "fee/t-1", "escrow:t-1", "hub:fee", 5, ""), 0);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "escrow/t-2/1", "buyer:b2", "escrow:t-2", 200, ""), 0);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "refund/t-2/1", "escrow:t-2", "buyer:b2", 200, ""), 0);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "withdraw/1", "miner:m1", "world", 50, "out"), 0);
    char err [400];
    CU_ASSERT_EQUAL (hub_ledger_verify (ledger, err, sizeof err), 0);
    th_books_close (&books);
    return dir;
}

//  Opens the books and expects verify to fail naming what.
static void
s_expect_fault (const char *dir, const char *what, const char *also)
{
    th_books_t books;
    th_books_open (&books, dir);
    char err [400] = "";
    CU_ASSERT_EQUAL (hub_ledger_verify (books.ledger, err, sizeof err), -1);
    bool named = strstr (err, what) && (!also || strstr (err, also));
    if (!named)
        fprintf (stderr, "verify said '%s', expected '%s' and '%s'\n", err, what, also? also: "");
    CU_ASSERT_TRUE (named);
    th_books_close (&books);
}

//  What someone with the database but not the key can do: recompute a
//  row's hash over its new content (the ledger's canonical form).
static void
s_rehash_row (const char *dir, int64_t seq)
{
    char path [600];
    snprintf (path, sizeof path, "%s/hub.db", dir);
    sqlite3 *db = NULL;
    CU_ASSERT_EQUAL_FATAL (sqlite3_open (path, &db), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    sqlite3_prepare_v2 (db, "SELECT e.id, e.at_ms, e.from_account, e.to_account, e.amount, e.memo,"
                            " p.hash FROM ledger_entries e JOIN ledger_entries p"
                            " ON p.seq = e.seq - 1 WHERE e.seq = ?", -1, &stmt, NULL);
    sqlite3_bind_int64 (stmt, 1, seq);
    CU_ASSERT_EQUAL_FATAL (sqlite3_step (stmt), SQLITE_ROW);
    const char *id = (const char *) sqlite3_column_text (stmt, 0);
    const char *from = (const char *) sqlite3_column_text (stmt, 2);
    const char *to = (const char *) sqlite3_column_text (stmt, 3);
    const char *memo = (const char *) sqlite3_column_text (stmt, 5);
    unsigned char prev [32], hash [32];
    sodium_hex2bin (prev, 32, (const char *) sqlite3_column_text (stmt, 6), 64, NULL, NULL, NULL);
    char *content = zsys_sprintf (
        "fogrid-ledger/1\n%" PRId64 "\n%zu:%s\n%" PRId64 "\n%zu:%s\n%zu:%s\n%" PRId64 "\n%zu:%s\n",
        seq, strlen (id), id, (int64_t) sqlite3_column_int64 (stmt, 1), strlen (from), from,
        strlen (to), to, (int64_t) sqlite3_column_int64 (stmt, 4), strlen (memo), memo);
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init (&state);
    crypto_hash_sha256_update (&state, prev, 32);
    crypto_hash_sha256_update (&state, (const unsigned char *) content, strlen (content));
    crypto_hash_sha256_final (&state, hash);
    zstr_free (&content);
    sqlite3_finalize (stmt);
    char hex [65];
    sodium_bin2hex (hex, sizeof hex, hash, 32);
    char *sql = zsys_sprintf ("UPDATE ledger_entries SET hash = '%s' WHERE seq = %" PRId64, hex, seq);
    CU_ASSERT_EQUAL (sqlite3_exec (db, sql, NULL, NULL, NULL), SQLITE_OK);
    zstr_free (&sql);
    sqlite3_close (db);
}

static void
test_tamper (void)
{
    //  An amount changed in place
    char *dir = s_make_books ();
    th_sql (dir, "UPDATE ledger_entries SET amount = 96 WHERE seq = 4");
    s_expect_fault (dir, "ledger row 4 (pay/t-1)", "does not match its hash");
    //  ... changed back, the books are whole again
    th_sql (dir, "UPDATE ledger_entries SET amount = 95 WHERE seq = 4");
    th_books_t books;
    th_books_open (&books, dir);
    char err [400];
    CU_ASSERT_EQUAL (hub_ledger_verify (books.ledger, err, sizeof err), 0);
    th_books_close (&books);

    //  A changed row whose hash was recomputed: its signature gives it away
    th_sql (dir, "UPDATE ledger_entries SET to_account = 'miner:evil' WHERE seq = 4");
    s_rehash_row (dir, 4);
    s_expect_fault (dir, "ledger row 4", "signature");
    ts_tmpdir_remove (&dir);

    //  A balance changed without an entry
    dir = s_make_books ();
    th_sql (dir, "UPDATE ledger_accounts SET balance = balance + 500 WHERE name = 'buyer:b2'");
    s_expect_fault (dir, "account buyer:b2", "500");
    ts_tmpdir_remove (&dir);

    //  A row removed from the middle, and one from the end
    dir = s_make_books ();
    th_sql (dir, "DELETE FROM ledger_entries WHERE seq = 3");
    s_expect_fault (dir, "ledger row 4", "expected row 3");
    ts_tmpdir_remove (&dir);
    dir = s_make_books ();
    th_sql (dir, "DELETE FROM ledger_entries WHERE seq = 8;"
                "UPDATE ledger_accounts SET balance = 95 WHERE name = 'miner:m1';"
                "UPDATE ledger_accounts SET balance = -1500 WHERE name = 'world'");
    s_expect_fault (dir, "ends at row 7", "removed");
    ts_tmpdir_remove (&dir);

    //  Another key file: the books are not opened under it
    dir = s_make_books ();
    CU_ASSERT_EQUAL (ts_run (NULL, "rm %s/keys/hub.sign", dir), 0);
    hub_store_t *store = hub_store_new (dir);
    char key [600];
    snprintf (key, sizeof key, "%s/keys/hub.sign", dir);
    hub_ledger_t *ledger = hub_ledger_new (store, key, err, sizeof err);
    CU_ASSERT_PTR_NULL (ledger);
    CU_ASSERT_PTR_NOT_NULL (strstr (err, "signed with key"));
    hub_ledger_destroy (&ledger);
    hub_store_destroy (&store);
    ts_tmpdir_remove (&dir);
}

static void
test_hub_refuses_tampered (void)
{
    char *dir = s_make_books ();
    th_sql (dir, "UPDATE ledger_entries SET memo = 'nothing to see' WHERE seq = 6");

    //  The actor does not start, and says which row
    fg_config_t *config = th_hub_config (dir);
    fg_config_set (config, "hub/admin_keys", "*");
    hub_server_args_t args = { .config = config };
    zactor_t *actor = zactor_new (hub_server_actor, &args);
    CU_ASSERT_NOT_EQUAL (args.rc, 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (args.error, "ledger row 6 (escrow/t-2/1)"));
    zactor_destroy (&actor);
    fg_config_destroy (&config);

    //  ... nor does the program, which exits 1 with that on stderr
    char *output = NULL;
    char data [600];
    snprintf (data, sizeof data, "%s", dir);
    int rc = ts_run (&output, "timeout 10 %s --buyers tcp://127.0.0.1:%d --miners tcp://127.0.0.1:%d"
                     " --locator '' --data %s -o security/insecure=1", ts_bin ("fogrid-hub"),
                     ts_free_port (), ts_free_port (), data);
    CU_ASSERT_EQUAL (rc, 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "ledger row 6"));
    if (rc != 1 || !strstr (output, "ledger row 6"))
        fprintf (stderr, "%s", output);
    free (output);
    ts_tmpdir_remove (&dir);
}

//  ---------------------------------------------------------------------
//  The hub actor with a fake miner (no security: buyer:anonymous)

//  A Deposit (deposit) or Withdraw; returns the reply (TransferReply or Error).
static fg_env_t *
s_move (zsock_t *buyer, bool deposit, uint64_t amount, const char *token)
{
    Fogrid__DepositRequest dep = FOGRID__DEPOSIT_REQUEST__INIT;
    Fogrid__WithdrawRequest wd = FOGRID__WITHDRAW_REQUEST__INIT;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    if (deposit) {
        dep.amount = amount;
        dep.token = (char *) token;
        env.body_case = FOGRID__ENVELOPE__BODY_DEPOSIT;
        env.deposit = &dep;
    }
    else {
        wd.amount = amount;
        wd.token = (char *) token;
        env.body_case = FOGRID__ENVELOPE__BODY_WITHDRAW;
        env.withdraw = &wd;
    }
    fg_env_t *reply = th_call (buyer, &env);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    return reply;
}

//  An account's balance through BalanceRequest (the hub runs with admin_keys *).
static int64_t
s_balance_of (zsock_t *buyer, const char *account)
{
    Fogrid__BalanceRequest request = FOGRID__BALANCE_REQUEST__INIT;
    request.account = (char *) account;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_BALANCE;
    env.balance = &request;
    fg_env_t *reply = th_call (buyer, &env);
    CU_ASSERT_FATAL (reply && reply->body_case == FOGRID__ENVELOPE__BODY_BALANCE_REPLY);
    CU_ASSERT_FATAL (reply->balance_reply->n_accounts >= 1);
    int64_t balance = reply->balance_reply->accounts [0]->balance;
    fg_msg_free (&reply);
    return balance;
}

static void
test_actor_money (void)
{
    char *dir = ts_tmpdir_new ("ledger-hub");
    fg_config_t *config = th_hub_config (dir);
    fg_config_set (config, "hub/admin_keys", "*");
    hub_server_args_t args = { .config = config };
    zactor_t *hub = zactor_new (hub_server_actor, &args);
    CU_ASSERT_EQUAL_FATAL (args.rc, 0);
    int buyer_port, miner_port;
    zstr_send (hub, "PORTS");
    zsock_recv (hub, "ii", &buyer_port, &miner_port);
    zsock_t *buyer = zsock_new (ZMQ_DEALER);
    zsock_set_rcvtimeo (buyer, 3000);
    zsock_connect (buyer, "tcp://127.0.0.1:%d", buyer_port);
    th_fake_t fake;
    th_fake_connect (&fake, miner_port, "m-fake");
    th_fake_hello (&fake, 100);
    fg_env_t *welcome = th_fake_expect (&fake, FOGRID__ENVELOPE__BODY_MINER_WELCOME);
    CU_ASSERT_PTR_NOT_NULL_FATAL (welcome);
    fg_msg_free (&welcome);

    //  hub/require_funds is off: a buyer with nothing runs unpaid
    uint32_t attempt;
    char *task = th_submit (buyer, "true", 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL (task);
    char *given = th_fake_assigned (&fake, &attempt);
    CU_ASSERT_STRING_EQUAL (given, task);
    fg_env_t *status = th_status (buyer, task);
    CU_ASSERT_PTR_NOT_NULL (strstr (status->task_info->reason, "runs unpaid"));
    CU_ASSERT_EQUAL (status->task_info->price, 0);
    fg_msg_free (&status);
    free (th_fake_result (&fake, task, attempt, 0));
    CU_ASSERT_EQUAL (s_balance_of (buyer, "miner:m-fake"), 0);
    free (task);
    free (given);

    //  Deposits: a token makes one; the same token again is the same one
    fg_env_t *reply = s_move (buyer, true, 1000, "dep-1");
    CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_TRANSFER_REPLY);
    CU_ASSERT_EQUAL (reply->transfer_reply->balance, 1000);
    CU_ASSERT_FALSE (reply->transfer_reply->duplicate);
    CU_ASSERT_STRING_EQUAL (reply->transfer_reply->transfer_id, "deposit/dep-1");
    CU_ASSERT_STRING_EQUAL (reply->transfer_reply->entry->to, "buyer:anonymous");
    CU_ASSERT_EQUAL (strlen (reply->transfer_reply->entry->signature), 128);
    fg_msg_free (&reply);
    reply = s_move (buyer, true, 1000, "dep-1");
    CU_ASSERT_TRUE (reply->transfer_reply->duplicate);
    CU_ASSERT_EQUAL (reply->transfer_reply->balance, 1000);
    fg_msg_free (&reply);
    reply = s_move (buyer, true, 7, "dep-1");
    CU_ASSERT_EQUAL (reply->body_case, FOGRID__ENVELOPE__BODY_ERROR);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_STATE);
    fg_msg_free (&reply);
    reply = s_move (buyer, true, 7, "");
    CU_ASSERT_EQUAL (reply->error->code, FG_E_INVALID);
    fg_msg_free (&reply);

    //  Success: the price goes to escrow at assignment, to the miner at the end
    task = th_submit (buyer, "true", 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL (task);
    given = th_fake_assigned (&fake, &attempt);
    status = th_status (buyer, task);
    CU_ASSERT_EQUAL (status->task_info->price, 100);
    fg_msg_free (&status);
    CU_ASSERT_EQUAL (s_balance_of (buyer, ""), 900);
    char escrow [64];
    snprintf (escrow, sizeof escrow, "escrow:%s", task);
    CU_ASSERT_EQUAL (s_balance_of (buyer, escrow), 100);
    free (th_fake_result (&fake, task, attempt, 0));
    CU_ASSERT_EQUAL (s_balance_of (buyer, escrow), 0);
    CU_ASSERT_EQUAL (s_balance_of (buyer, "miner:m-fake"), 95);
    CU_ASSERT_EQUAL (s_balance_of (buyer, "hub:fee"), 5);
    CU_ASSERT_EQUAL (s_balance_of (buyer, ""), 900);
    status = th_status (buyer, task);
    CU_ASSERT_STRING_EQUAL (status->task_info->state, "succeeded");
    CU_ASSERT_EQUAL (status->task_info->price, 100);
    fg_msg_free (&status);
    free (task);
    free (given);

    //  Failure: back to the buyer
    task = th_submit (buyer, "exit 3", 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL (task);
    given = th_fake_assigned (&fake, &attempt);
    CU_ASSERT_EQUAL (s_balance_of (buyer, ""), 800);
    free (th_fake_result (&fake, task, attempt, 3));
    CU_ASSERT_EQUAL (s_balance_of (buyer, ""), 900);
    CU_ASSERT_EQUAL (s_balance_of (buyer, "miner:m-fake"), 95);
    free (task);
    free (given);

    //  Cancel: back to the buyer, and the miner is told to stop
    task = th_submit (buyer, "sleep 60", 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL (task);
    given = th_fake_assigned (&fake, &attempt);
    CU_ASSERT_EQUAL (s_balance_of (buyer, ""), 800);
    Fogrid__CancelRequest cancel = FOGRID__CANCEL_REQUEST__INIT;
    cancel.task_id = task;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_CANCEL;
    env.cancel = &cancel;
    reply = th_call (buyer, &env);
    CU_ASSERT_STRING_EQUAL (reply->task_info->state, "cancelled");
    fg_msg_free (&reply);
    fg_env_t *kill = th_fake_expect (&fake, FOGRID__ENVELOPE__BODY_TASK_KILL);
    CU_ASSERT_PTR_NOT_NULL (kill);
    fg_msg_free (&kill);
    CU_ASSERT_EQUAL (s_balance_of (buyer, ""), 900);
    free (task);
    free (given);

    //  Lost miner: refunded, then escrowed again for the next attempt
    task = th_submit (buyer, "true", 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL (task);
    given = th_fake_assigned (&fake, &attempt);
    CU_ASSERT_EQUAL (attempt, 1);
    th_fake_hello (&fake, 100);          //  it came back without the task
    char *again = th_fake_assigned (&fake, &attempt);
    CU_ASSERT_STRING_EQUAL (again, task);
    CU_ASSERT_EQUAL (attempt, 2);
    CU_ASSERT_EQUAL (s_balance_of (buyer, ""), 800);
    free (th_fake_result (&fake, task, attempt, 0));
    CU_ASSERT_EQUAL (s_balance_of (buyer, "miner:m-fake"), 190);
    CU_ASSERT_EQUAL (s_balance_of (buyer, "hub:fee"), 10);
    CU_ASSERT_EQUAL (s_balance_of (buyer, ""), 800);

    //  The buyer's history names every step of it
    Fogrid__BalanceRequest request = FOGRID__BALANCE_REQUEST__INIT;
    request.limit = 3;
    env.body_case = FOGRID__ENVELOPE__BODY_BALANCE;
    env.balance = &request;
    reply = th_call (buyer, &env);
    CU_ASSERT_FATAL (reply && reply->body_case == FOGRID__ENVELOPE__BODY_BALANCE_REPLY);
    Fogrid__BalanceReply *wallet = reply->balance_reply;
    CU_ASSERT_STRING_EQUAL (wallet->accounts [0]->name, "buyer:anonymous");
    CU_ASSERT_EQUAL (wallet->accounts [0]->balance, 800);
    CU_ASSERT_EQUAL_FATAL (wallet->n_entries, 3);
    char expected [3][64];
    snprintf (expected [0], 64, "escrow/%s/2", task);
    snprintf (expected [1], 64, "refund/%s/1", task);
    snprintf (expected [2], 64, "escrow/%s/1", task);
    for (int index = 0; index < 3; index++)
        CU_ASSERT_STRING_EQUAL (wallet->entries [index]->id, expected [index]);
    CU_ASSERT_EQUAL (strlen (wallet->ledger_key), 64);
    fg_msg_free (&reply);
    free (task);
    free (given);
    free (again);

    //  Withdrawals: not more than there is
    reply = s_move (buyer, false, 801, "wd-1");
    CU_ASSERT_EQUAL (reply->error->code, FG_E_FUNDS);
    fg_msg_free (&reply);
    reply = s_move (buyer, false, 300, "wd-1");
    CU_ASSERT_EQUAL (reply->transfer_reply->balance, 500);
    fg_msg_free (&reply);

    th_fake_close (&fake);
    zsock_destroy (&buyer);
    zactor_destroy (&hub);
    fg_config_destroy (&config);

    //  The books the hub left: whole, and adding up
    th_books_t books;
    th_books_open (&books, dir);
    char err [400];
    CU_ASSERT_EQUAL (hub_ledger_verify (books.ledger, err, sizeof err), 0);
    s_totals_t totals = s_totals (books.ledger);
    CU_ASSERT_EQUAL (totals.sum, 0);
    CU_ASSERT_EQUAL (totals.outside, 1000 - 300);
    CU_ASSERT_EQUAL (th_balance (books.ledger, "world"), -700);
    th_books_close (&books);
    ts_tmpdir_remove (&dir);
}

//  A task in the store, taken to state through the table (on miner m-1).
static void
s_stored_task (hub_store_t *store, const char *id, hub_task_state_t state)
{
    Fogrid__TaskSpec proto = FOGRID__TASK_SPEC__INIT;
    char *argv [] = { "true" };
    proto.n_argv = 1;
    proto.argv = argv;
    size_t size = fogrid__task_spec__get_packed_size (&proto);
    byte *buffer = (byte *) zmalloc (size + 1);
    fogrid__task_spec__pack (&proto, buffer);
    Fogrid__TaskSpec *spec = fogrid__task_spec__unpack (NULL, size, buffer);
    free (buffer);
    hub_task_t *task = hub_task_new (id, &spec);
    CU_ASSERT_EQUAL (hub_store_task_add (store, task), 0);
    CU_ASSERT_EQUAL (hub_tasks_set_state (task, HUB_TASK_ASSIGNED, "m-1", NULL, store), 0);
    CU_ASSERT_EQUAL (hub_tasks_set_state (task, state, NULL, NULL, store), 0);
    hub_task_destroy (&task);
}

//  Escrow a settlement could not empty (say, the disk was full) is
//  settled when the hub starts, as the task's state says
static void
test_sweep (void)
{
    char *dir = ts_tmpdir_new ("ledger-sweep");
    th_books_t books;
    th_books_open (&books, dir);
    hub_ledger_t *ledger = books.ledger;
    s_stored_task (books.store, "t-000000000001", HUB_TASK_SUCCEEDED);
    s_stored_task (books.store, "t-000000000002", HUB_TASK_FAILED);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "deposit/s", "world", "buyer:anonymous", 1000, ""), 0);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "escrow/t-000000000001/1", "buyer:anonymous",
                                          "escrow:t-000000000001", 200, ""), 0);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "escrow/t-000000000002/1", "buyer:anonymous",
                                          "escrow:t-000000000002", 300, ""), 0);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "escrow/t-nobody/1", "buyer:anonymous",
                                          "escrow:t-nobody", 50, ""), 0);
    th_books_close (&books);

    fg_config_t *config = th_hub_config (dir);
    fg_config_set (config, "hub/admin_keys", "*");
    fg_config_set (config, "hub/fee_percent", "10");
    hub_server_args_t args = { .config = config };
    zactor_t *hub = zactor_new (hub_server_actor, &args);
    CU_ASSERT_EQUAL (args.rc, 0);
    zactor_destroy (&hub);
    fg_config_destroy (&config);

    th_books_open (&books, dir);
    ledger = books.ledger;
    CU_ASSERT_EQUAL (th_balance (ledger, "escrow:t-000000000001"), 0);
    CU_ASSERT_EQUAL (th_balance (ledger, "miner:m-1"), 180);
    CU_ASSERT_EQUAL (th_balance (ledger, "hub:fee"), 20);
    CU_ASSERT_EQUAL (hub_ledger_amount (ledger, "pay/t-000000000001"), 180);
    CU_ASSERT_EQUAL (th_balance (ledger, "escrow:t-000000000002"), 0);
    CU_ASSERT_EQUAL (th_balance (ledger, "buyer:anonymous"), 1000 - 200 - 50);
    //  ... escrow of a task the hub does not know is left where it is
    CU_ASSERT_EQUAL (th_balance (ledger, "escrow:t-nobody"), 50);
    char err [400];
    CU_ASSERT_EQUAL (hub_ledger_verify (ledger, err, sizeof err), 0);
    th_books_close (&books);
    ts_tmpdir_remove (&dir);
}

//  ---------------------------------------------------------------------
//  Real processes: fogrid-hub, fogrid-miner, the fogrid command line

typedef struct {
    char *dir;                  //  logs, data, keys
    th_cli_t cli;               //  the buyer port, the hub's key, the CLI's keys
    int miner_port;
    char data [600];            //  the hub's data dir
    char extra [3][128];        //  more -o settings for the hub
    ts_proc_t *hub;
    ts_proc_t *miners [2];
} s_grid_t;

static const int64_t s_prices [2] = { 100, 250 };

//  The grid up now, so that a test stopped by a failed assertion does not
//  leave its daemons running (the suite's cleanup kills them)
static s_grid_t *s_live_grid = NULL;

static void
s_grid_hub (s_grid_t *grid)
{
    char buyers [64], miners [64];
    snprintf (buyers, sizeof buyers, "tcp://127.0.0.1:%d", grid->cli.port);
    snprintf (miners, sizeof miners, "tcp://127.0.0.1:%d", grid->miner_port);
    grid->hub = ts_proc_start (grid->dir, "hub", "fogrid-hub", "--buyers", buyers,
                               "--miners", miners, "--locator", "", "--data", grid->data,
                               "-o", "hub/heartbeat_ms=200", "-o", "hub/disconnect_ms=600",
                               "-o", "hub/dead_ms=1200", "-o", "hub/require_funds=1",
                               "-o", "hub/open_deposits=1",
                               "-o", grid->cli.secure? "security/insecure=0": "security/insecure=1",
                               "-o", grid->extra [0], "-o", grid->extra [1],
                               "-o", grid->extra [2], NULL);
}

static ts_proc_t *
s_grid_miner (s_grid_t *grid, int index, const char *cores)
{
    char name [32], id [32], data [700], price [64], hub [64], hub_key [800];
    snprintf (name, sizeof name, "miner%d", index + 1);
    snprintf (id, sizeof id, "miner/id=m-led%d", index + 1);
    snprintf (data, sizeof data, "%s/%s", grid->dir, name);
    snprintf (price, sizeof price, "miner/price=%" PRId64, s_prices [index]);
    snprintf (hub, sizeof hub, "tcp://127.0.0.1:%d", grid->miner_port);
    snprintf (hub_key, sizeof hub_key, "miner/hub_key=%s", grid->cli.hub_key);
    return ts_proc_start (grid->dir, name, "fogrid-miner", "--hub", hub, "--name", name,
                          "--data", data, "--cores", cores, "-o", id, "-o", price,
                          "-o", "miner/heartbeat_ms=200",
                          "-o", grid->cli.secure? "security/insecure=0": "security/insecure=1",
                          "-o", grid->cli.secure? hub_key: "miner/hub_key=", NULL);
}

static bool
s_miners_connected (void *arg)
{
    s_grid_t *grid = (s_grid_t *) arg;
    char *output = NULL;
    int rc = th_cli (&grid->cli, &output, "", "%s", "miners");
    char *first = rc == 0? strstr (output, " connected "): NULL;
    bool both = first && strstr (first + 1, " connected ");
    free (output);
    return both;
}

static void
s_grid_up (s_grid_t *grid, bool secure, const char *cores)
{
    grid->dir = ts_tmpdir_new (secure? "ledger-grid": "ledger-crash");
    s_live_grid = grid;
    grid->cli.secure = secure;
    grid->cli.port = ts_free_port ();
    grid->miner_port = ts_free_port ();
    snprintf (grid->data, sizeof grid->data, "%s/hub", grid->dir);
    snprintf (grid->cli.hub_key, sizeof grid->cli.hub_key, "%s/keys/hub.key", grid->data);
    for (int index = 0; index < 3; index++)
        if (!*grid->extra [index])
            snprintf (grid->extra [index], sizeof grid->extra [index], "hub/fee_percent=5");
    s_grid_hub (grid);
    //  The miners need the hub's public key, made on its first start
    int64_t deadline = zclock_mono () + 5000;
    while (secure && !zsys_file_exists (grid->cli.hub_key) && zclock_mono () < deadline)
        zclock_sleep (50);
    zclock_sleep (200);
    for (int index = 0; index < 2; index++)
        grid->miners [index] = s_grid_miner (grid, index, cores);
    bool up = ts_wait_for (s_miners_connected, grid, 15000);
    if (!up) {
        ts_proc_dump_log (grid->hub);
        ts_proc_dump_log (grid->miners [0]);
        ts_proc_dump_log (grid->miners [1]);
    }
    CU_ASSERT_FATAL (up);
}

static void
s_grid_down (s_grid_t *grid)
{
    for (int index = 0; index < 2; index++)
        if (grid->miners [index])
            CU_ASSERT_EQUAL (ts_proc_stop (&grid->miners [index], 5000), 0);
    if (grid->hub)
        CU_ASSERT_EQUAL (ts_proc_stop (&grid->hub, 5000), 0);
    s_live_grid = NULL;
}

//  The CLI's status text of a task (caller frees).
static char *
s_cli_status (s_grid_t *grid, const char *keys, const char *task)
{
    char *output = NULL;
    th_cli (&grid->cli, &output, keys, "status %s", task);
    return output;
}

static void
test_grid_money (void)
{
    //  Two buyers and the operator, whose key may read every account
    static s_grid_t grid;               //  static: s_suite_clean may need it
    memset (&grid, 0, sizeof grid);
    char alice [700], bob [700], ops [700], ops_public [64];
    char *dir = ts_tmpdir_new ("ledger-keys");
    snprintf (alice, sizeof alice, "%s/alice.key", dir);
    snprintf (bob, sizeof bob, "%s/bob.key", dir);
    snprintf (ops, sizeof ops, "%s/ops.key", dir);
    CU_ASSERT_EQUAL (ts_run (NULL, "for k in %s %s %s; do %s keygen $k >/dev/null 2>&1 || exit 1; "
                             "done", alice, bob, ops, ts_bin ("fogrid")), 0);
    CU_ASSERT_EQUAL_FATAL (fg_security_read_key (ops, ops_public), 0);
    snprintf (grid.extra [0], sizeof grid.extra [0], "hub/admin_keys=%s", ops_public);
    snprintf (grid.cli.keys, sizeof grid.cli.keys, "%s", ops);
    s_grid_up (&grid, true, "1");
    char *output = NULL;

    //  No funds: refused before anything runs
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, alice, "submit -- true"), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "not enough funds"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "deposit first"));
    free (output);

    //  Alice deposits, then runs a task that succeeds, one that fails and
    //  one she cancels
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, alice, "deposit --token a-1 1000"), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "deposit/a-1: +1000, balance 1000"));
    free (output);
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, alice, "deposit --token a-1 1000"), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "balance 1000 (done before"));
    free (output);
    char *good = th_cli_submit (&grid.cli, alice, "--wait -- true");
    CU_ASSERT_PTR_NOT_NULL_FATAL (good);
    char *bad = th_cli_submit (&grid.cli, alice, "-- sh -c 'exit 3'");
    CU_ASSERT_PTR_NOT_NULL_FATAL (bad);
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, alice, "wait %s", bad), 3);
    free (output);
    char *doomed = th_cli_submit (&grid.cli, alice, "-- sleep 30");
    CU_ASSERT_PTR_NOT_NULL_FATAL (doomed);
    bool running = false;
    for (int tries = 0; tries < 100 && !running; tries++) {
        char *text = s_cli_status (&grid, alice, doomed);
        running = strstr (text, "state     running") != NULL;
        if (running)
            CU_ASSERT_PTR_NOT_NULL (strstr (text, "(held in escrow)"));
        free (text);
        if (!running)
            zclock_sleep (100);
    }
    CU_ASSERT_TRUE (running);
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, alice, "cancel %s", doomed), 0);
    free (output);

    //  Which miner ran the good one decides its price
    char *text = s_cli_status (&grid, alice, good);
    int which = strstr (text, "miner     m-led1")? 0: 1;
    int64_t price = s_prices [which];
    int64_t fee = price * 5 / 100;
    char price_line [64];
    snprintf (price_line, sizeof price_line, "price     %" PRId64 " (paid)", price);
    CU_ASSERT_PTR_NOT_NULL (strstr (text, price_line));
    free (text);
    CU_ASSERT_EQUAL (th_cli_balance (&grid.cli, alice, ""), 1000 - price);
    char miner [32];
    snprintf (miner, sizeof miner, "miner:m-led%d", which + 1);
    CU_ASSERT_EQUAL (th_cli_balance (&grid.cli, ops, miner), price - fee);
    snprintf (miner, sizeof miner, "miner:m-led%d", 2 - which);
    CU_ASSERT_EQUAL (th_cli_balance (&grid.cli, ops, miner), 0);
    CU_ASSERT_EQUAL (th_cli_balance (&grid.cli, ops, "hub:fee"), fee);
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, alice, "wallet"), 0);
    char pay_id [64];
    snprintf (pay_id, sizeof pay_id, "refund/%s/1", bad);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, pay_id));
    snprintf (pay_id, sizeof pay_id, "refund/%s/1", doomed);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, pay_id));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "deposit/a-1"));
    free (output);

    //  Bob is another account: his own is empty, and Alice's is not his to read
    CU_ASSERT_EQUAL (th_cli_balance (&grid.cli, bob, ""), 0);
    char alice_public [64], alice_account [80];
    CU_ASSERT_EQUAL (fg_security_read_key (alice, alice_public), 0);
    snprintf (alice_account, sizeof alice_account, "buyer:%s", alice_public);
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, bob, "wallet --account '%s'", alice_account), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "not your account"));
    free (output);
    CU_ASSERT_EQUAL (th_cli_balance (&grid.cli, ops, alice_account), 1000 - price);

    //  Bob can pay the cheap miner once: a second task waits for it rather
    //  than go to the dear one, and a ceiling he cannot cover is refused
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, bob, "deposit 200"), 0);
    free (output);
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, bob, "submit --max-price 500 -- true"), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "its max_price"));
    free (output);
    char *first = th_cli_submit (&grid.cli, bob, "--policy cheapest -- sleep 2");
    CU_ASSERT_PTR_NOT_NULL_FATAL (first);
    zclock_sleep (300);
    char *second = th_cli_submit (&grid.cli, bob, "-- true");
    CU_ASSERT_PTR_NOT_NULL_FATAL (second);
    bool waiting = false;
    for (int tries = 0; tries < 20 && !waiting; tries++) {
        text = s_cli_status (&grid, bob, second);
        waiting = strstr (text, "waiting for funds") && strstr (text, "state     pending");
        free (text);
        if (!waiting)
            zclock_sleep (100);
    }
    CU_ASSERT_TRUE (waiting);
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, bob, "wait %s", second), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "m-led1"));
    free (output);
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, bob, "wait %s", first), 0);
    free (output);
    CU_ASSERT_EQUAL (th_cli_balance (&grid.cli, bob, ""), 0);
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, bob, "withdraw 1"), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "withdraw refused"));
    free (output);

    s_grid_down (&grid);
    //  The books it left
    th_books_t books;
    th_books_open (&books, grid.data);
    char err [400];
    CU_ASSERT_EQUAL (hub_ledger_verify (books.ledger, err, sizeof err), 0);
    s_totals_t totals = s_totals (books.ledger);
    CU_ASSERT_EQUAL (totals.sum, 0);
    CU_ASSERT_EQUAL (totals.outside, 1200);
    CU_ASSERT_EQUAL (th_balance (books.ledger, "miner:m-led1"), (which == 0? price - fee: 0) + 190);
    th_books_close (&books);
    free (good);
    free (bad);
    free (doomed);
    free (first);
    free (second);
    ts_tmpdir_remove (&grid.dir);
    ts_tmpdir_remove (&dir);
}

//  ---------------------------------------------------------------------
//  kill -9 while tasks finish

#define S_CRASH_TASKS 24

static bool
s_all_final (void *arg)
{
    s_grid_t *grid = (s_grid_t *) arg;
    char *output = NULL;
    int rc = th_cli (&grid->cli, &output, "", "%s", "health");
    bool done = rc == 0 && strstr (output, "pending=0") && strstr (output, "assigned=0")
             && strstr (output, "running=0");
    free (output);
    return done;
}

static void
test_crash (void)
{
    static s_grid_t grid;               //  static: s_suite_clean may need it
    memset (&grid, 0, sizeof grid);
    s_grid_up (&grid, false, "2");
    char *output = NULL;
    const int64_t deposit = 1000000;
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, "", "deposit --token crash %" PRId64, deposit), 0);
    free (output);

    //  Tasks that finish while the hub is killed and restarted, three times
    char *tasks [S_CRASH_TASKS + 2] = { NULL };
    for (int index = 0; index < S_CRASH_TASKS; index++) {
        char args [128];
        snprintf (args, sizeof args, "--retries 30 -- sh -c 'sleep 0.%d; exit %d'",
                  3 + 2 * (index % 4), index % 5 == 4);
        tasks [index] = th_cli_submit (&grid.cli, "", args);
        CU_ASSERT_PTR_NOT_NULL_FATAL (tasks [index]);
    }
    //  Two that will be cancelled after the crashes
    tasks [S_CRASH_TASKS] = th_cli_submit (&grid.cli, "", "--retries 30 -- sleep 60");
    tasks [S_CRASH_TASKS + 1] = th_cli_submit (&grid.cli, "", "--retries 30 -- sleep 60");
    int pauses [] = { 700, 900, 900 };
    for (int round = 0; round < 3; round++) {
        zclock_sleep (pauses [round]);
        ts_proc_kill (&grid.hub);
        s_grid_hub (&grid);
    }
    for (int index = S_CRASH_TASKS; index < S_CRASH_TASKS + 2; index++) {
        CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, "", "cancel %s", tasks [index]), 0);
        free (output);
    }
    bool done = ts_wait_for (s_all_final, &grid, 60000);
    if (!done)
        ts_proc_dump_log (grid.hub);
    CU_ASSERT_TRUE (done);
    s_grid_down (&grid);
    //  The kills came while the hub had work out on its miners
    CU_ASSERT_EQUAL (ts_run (NULL, "grep -q 'and [1-9][0-9]* assigned or running' %s/hub.log",
                             grid.dir), 0);

    //  An independent tally from what became of each task
    th_books_t books;
    th_books_open (&books, grid.data);
    hub_ledger_t *ledger = books.ledger;
    char err [400];
    int rc = hub_ledger_verify (ledger, err, sizeof err);
    if (rc)
        fprintf (stderr, "%s\n", err);
    CU_ASSERT_EQUAL (rc, 0);
    hub_wallet_config_t config = { .hub_id = "", .punish_account = "dao" };
    hub_wallet_t *wallet = hub_wallet_new (books.store, ledger, &config, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (wallet);
    int64_t spent = 0, earned [2] = { 0, 0 }, fees = 0;
    int succeeded = 0, failed = 0, cancelled = 0;
    for (int index = 0; index < S_CRASH_TASKS + 2; index++) {
        hub_task_t *task = hub_store_task_load (books.store, tasks [index]);
        CU_ASSERT_PTR_NOT_NULL_FATAL (task);
        CU_ASSERT_TRUE (hub_task_state_terminal (task->state));
        char id [96], account [64];
        snprintf (account, sizeof account, "escrow:%s", task->id);
        CU_ASSERT_EQUAL (th_balance (ledger, account), 0);
        //  What went into escrow and came back, over all its attempts
        int64_t escrowed = 0, refunded = 0;
        for (uint32_t attempt = 1; attempt <= task->attempt; attempt++) {
            snprintf (id, sizeof id, "escrow/%s/%u", task->id, attempt);
            escrowed += hub_ledger_amount (ledger, id);
            snprintf (id, sizeof id, "refund/%s/%u", task->id, attempt);
            refunded += hub_ledger_amount (ledger, id);
        }
        snprintf (id, sizeof id, "pay/%s", task->id);
        int64_t paid = hub_ledger_amount (ledger, id);
        snprintf (id, sizeof id, "fee/%s", task->id);
        int64_t fee = hub_ledger_amount (ledger, id);
        if (task->state == HUB_TASK_SUCCEEDED) {
            succeeded++;
            int which = streq (task->miner_id, "m-led1")? 0: 1;
            int64_t price = s_prices [which];
            CU_ASSERT_EQUAL (paid, price - price * 5 / 100);
            //  Every payout has its receipt, made with it, whatever the kills
            char *json = hub_wallet_receipt (wallet, task->id);
            fg_receipt_t receipt;
            CU_ASSERT_FATAL (json && fg_receipt_parse (&receipt, json, err, sizeof err) == 0);
            CU_ASSERT_EQUAL (fg_receipt_verify (&receipt, hub_ledger_public_key (ledger), err,
                                                sizeof err), 0);
            CU_ASSERT_EQUAL (receipt.amount, paid);
            CU_ASSERT_EQUAL (receipt.attempt, task->attempt);
            CU_ASSERT_STRING_EQUAL (receipt.miner_id, task->miner_id);
            free (json);
            CU_ASSERT_EQUAL (fee, price * 5 / 100);
            CU_ASSERT_EQUAL (escrowed - refunded, price);
            spent += price;
            earned [which] += paid;
            fees += fee;
        }
        else {
            failed += task->state == HUB_TASK_FAILED;
            cancelled += task->state == HUB_TASK_CANCELLED;
            CU_ASSERT_EQUAL (paid, 0);
            CU_ASSERT_EQUAL (fee, 0);
            CU_ASSERT_EQUAL (escrowed, refunded);
        }
        hub_task_destroy (&task);
    }
    zsys_info ("crash test: %d succeeded, %d failed, %d cancelled; buyer spent %" PRId64,
               succeeded, failed, cancelled, spent);
    CU_ASSERT_EQUAL (succeeded + failed + cancelled, S_CRASH_TASKS + 2);
    CU_ASSERT_EQUAL (cancelled, 2);
    CU_ASSERT (succeeded >= S_CRASH_TASKS * 3 / 4);
    CU_ASSERT_EQUAL (th_balance (ledger, "buyer:anonymous"), deposit - spent);
    CU_ASSERT_EQUAL (th_balance (ledger, "miner:m-led1"), earned [0]);
    CU_ASSERT_EQUAL (th_balance (ledger, "miner:m-led2"), earned [1]);
    CU_ASSERT_EQUAL (th_balance (ledger, "hub:fee"), fees);
    CU_ASSERT_EQUAL (th_balance (ledger, "world"), -deposit);
    s_totals_t totals = s_totals (ledger);
    CU_ASSERT_EQUAL (totals.sum, 0);
    CU_ASSERT_EQUAL (totals.negative, 0);
    hub_wallet_destroy (&wallet);
    th_books_close (&books);
    for (int index = 0; index < S_CRASH_TASKS + 2; index++)
        free (tasks [index]);
    ts_tmpdir_remove (&grid.dir);
}

static int
s_suite_clean (void)
{
    if (s_live_grid) {
        for (int index = 0; index < 2; index++)
            ts_proc_kill (&s_live_grid->miners [index]);
        ts_proc_kill (&s_live_grid->hub);
        ts_tmpdir_remove (&s_live_grid->dir);
        s_live_grid = NULL;
    }
    return 0;
}

void
test_hub_ledger_add (void)
{
    CU_pSuite suite = CU_add_suite ("hub_ledger", NULL, s_suite_clean);
    CU_add_test (suite, "transfers, retries, refusals and bounds", test_transfers);
    CU_add_test (suite, "thousands of random operations keep the books whole", test_property);
    CU_add_test (suite, "tampered rows, balances and keys are found", test_tamper);
    CU_add_test (suite, "the hub does not start on a tampered ledger", test_hub_refuses_tampered);
    CU_add_test (suite, "the hub actor charges, pays, refunds and requeues", test_actor_money);
    CU_add_test (suite, "escrow left over is settled at start", test_sweep);
    CU_add_test (suite, "a real hub and miners with two buyers' keys", test_grid_money);
    CU_add_test (suite, "kill -9 of the hub while tasks finish loses nothing", test_crash);
}
