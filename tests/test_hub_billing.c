/*  =========================================================================
    test_hub_billing - services billed per second, settled in batches

    The billing on real books (SQLite store, signed ledger, wallet) with a
    clock the tests move: whole seconds billed and fractions carried, one
    payout per miner per settlement, buyers whose funds run out, a wallet
    that may not pay, reopened books, thousands of random operations
    checked against an independent tally, and a process killed with
    SIGKILL in the middle of settlements.
    =========================================================================  */
#include "test_hub_support.h"
#include "hub_wallet.h"
#include "hub_billing.h"
#include "fg_receipt.h"
#include <sqlite3.h>
#include <signal.h>
#include <sys/wait.h>

typedef struct {
    th_books_t th;              //  the store and the ledger
    hub_wallet_t *wallet;
    hub_billing_t *billing;
} s_books_t;

static void
s_open (s_books_t *books, const char *dir, bool registered)
{
    th_books_open (&books->th, dir);
    char err [400] = "";
    hub_wallet_config_t config = {
        .hub_id = "h-test", .stake = 0, .pay_period_ms = 0, .punish_account = "dao",
        .self_register = registered
    };
    books->wallet = hub_wallet_new (books->th.store, books->th.ledger, &config, err, sizeof err);
    if (!books->wallet)
        fprintf (stderr, "wallet: %s\n", err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (books->wallet);
    books->billing = hub_billing_new (books->th.store, books->th.ledger, books->wallet, 5,
                                      err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (books->billing);
}

static void
s_close (s_books_t *books)
{
    hub_billing_destroy (&books->billing);
    hub_wallet_destroy (&books->wallet);
    th_books_close (&books->th);
}

static void
s_deposit (s_books_t *books, const char *buyer, int64_t amount)
{
    static int token = 0;
    char id [64];
    snprintf (id, sizeof id, "deposit/bill-%d-%d", getpid (), ++token);
    CU_ASSERT_EQUAL (hub_ledger_transfer (books->th.ledger, id, "world", buyer, amount, NULL),
                     HUB_LEDGER_OK);
}

//  Settles at now_ms in a transaction; returns the miners paid.
static int
s_settle (s_books_t *books, int64_t now_ms, zlist_t *broke)
{
    hub_store_begin (books->th.store);
    int paid = hub_billing_settle (books->billing, now_ms, broke);
    CU_ASSERT_EQUAL (hub_store_commit (books->th.store), 0);
    return paid;
}

static void
s_start (s_books_t *books, const char *task, const char *buyer, const char *miner,
         int64_t rate, int64_t now_ms)
{
    hub_store_begin (books->th.store);
    CU_ASSERT_EQUAL (hub_billing_start (books->billing, task, buyer, miner, rate, now_ms), 0);
    CU_ASSERT_EQUAL (hub_store_commit (books->th.store), 0);
}

static void
s_stop (s_books_t *books, const char *task, int64_t end_ms)
{
    hub_store_begin (books->th.store);
    CU_ASSERT_EQUAL (hub_billing_stop (books->billing, task, end_ms), 0);
    CU_ASSERT_EQUAL (hub_store_commit (books->th.store), 0);
}

static void
s_broke_free (zlist_t **broke_p)
{
    while (zlist_size (*broke_p))
        free (zlist_pop (*broke_p));
    zlist_destroy (broke_p);
}

//  ---------------------------------------------------------------------

static void
test_seconds_and_batches (void)
{
    char *dir = ts_tmpdir_new ("billing");
    s_books_t books = { 0 };
    s_open (&books, dir, true);
    s_deposit (&books, "buyer:b1", 10000);
    s_deposit (&books, "buyer:b2", 10000);
    int64_t t0 = 1000000;
    s_start (&books, "t-a", "buyer:b1", "m1", 3, t0);
    s_start (&books, "t-b", "buyer:b2", "m1", 5, t0);
    s_start (&books, "t-c", "buyer:b1", "m2", 2, t0);
    s_start (&books, "t-free", "buyer:b1", "m2", 0, t0);  //  runs unpaid: not billed

    //  10.5 s: 10 s billed, the half carried
    CU_ASSERT_EQUAL (s_settle (&books, t0 + 10500, NULL), 2);
    CU_ASSERT_EQUAL (th_balance (books.th.ledger, "buyer:b1"), 10000 - 30 - 20);
    CU_ASSERT_EQUAL (th_balance (books.th.ledger, "buyer:b2"), 10000 - 50);
    //  m1's 80 in one payout: 76 and a fee of 4; m2's 20: 19 and 1
    CU_ASSERT_EQUAL (th_balance (books.th.ledger, "miner:m1"), 76);
    CU_ASSERT_EQUAL (th_balance (books.th.ledger, "miner:m2"), 19);
    CU_ASSERT_EQUAL (th_balance (books.th.ledger, "hub:fee"), 5);
    CU_ASSERT_EQUAL (th_balance (books.th.ledger, "settle:m1"), 0);
    CU_ASSERT_EQUAL (hub_ledger_count (books.th.ledger, "bill/"), 3);
    CU_ASSERT_EQUAL (hub_ledger_count (books.th.ledger, "pay/s-"), 2);
    //  The payout has a receipt, which checks offline as a task's does
    //  (a settlement has no attempt: 0)
    char *receipt = hub_wallet_receipt (books.wallet, "s-1010500-1");
    CU_ASSERT_PTR_NOT_NULL (receipt);
    CU_ASSERT_PTR_NOT_NULL (receipt? strstr (receipt, "\"m1\""): NULL);
    fg_receipt_t parsed;
    char why [256] = "";
    CU_ASSERT_FATAL (receipt && fg_receipt_parse (&parsed, receipt, why, sizeof why) == 0);
    CU_ASSERT_EQUAL (parsed.attempt, 0);
    CU_ASSERT_EQUAL (fg_receipt_verify (&parsed, hub_ledger_public_key (books.th.ledger),
                                        why, sizeof why), 0);
    zstr_free (&receipt);

    //  At 20.0 s the carried half makes 9.5 + 0.5: 10 s more, not 9
    s_settle (&books, t0 + 20000, NULL);
    int64_t seconds = 0;
    CU_ASSERT_EQUAL (hub_billing_billed (books.billing, "t-a", &seconds), 60);
    CU_ASSERT_EQUAL (seconds, 20);
    CU_ASSERT_EQUAL (hub_billing_billed (books.billing, "t-free", &seconds), 0);

    //  Stopped at 25.9 s: 5 s more, then nothing
    s_stop (&books, "t-b", t0 + 25900);
    CU_ASSERT_EQUAL (hub_billing_billed (books.billing, "t-b", &seconds), 125);
    CU_ASSERT_EQUAL (seconds, 25);
    CU_ASSERT_EQUAL (th_balance (books.th.ledger, "settle:m1"), 25);     //  paid at the next settlement
    s_settle (&books, t0 + 40000, NULL);
    CU_ASSERT_EQUAL (hub_billing_billed (books.billing, "t-b", NULL), 125);
    CU_ASSERT_EQUAL (hub_billing_billed (books.billing, "t-a", NULL), 120);
    CU_ASSERT_EQUAL (th_balance (books.th.ledger, "settle:m1"), 0);
    //  A settlement with nothing new bills nothing and pays nobody
    CU_ASSERT_EQUAL (s_settle (&books, t0 + 40400, NULL), 0);

    //  Reopened books go on from where they were billed
    s_close (&books);
    s_open (&books, dir, true);
    s_settle (&books, t0 + 50000, NULL);
    CU_ASSERT_EQUAL (hub_billing_billed (books.billing, "t-a", &seconds), 150);
    CU_ASSERT_EQUAL (seconds, 50);
    char err [400];
    CU_ASSERT_EQUAL (hub_ledger_verify (books.th.ledger, err, sizeof err), 0);
    s_close (&books);
    ts_tmpdir_remove (&dir);
}

static void
test_funds_run_out (void)
{
    char *dir = ts_tmpdir_new ("billing");
    s_books_t books = { 0 };
    s_open (&books, dir, true);
    s_deposit (&books, "buyer:poor", 7);
    s_start (&books, "t-poor", "buyer:poor", "m1", 2, 0);
    zlist_t *broke = zlist_new ();
    s_settle (&books, 10000, broke);
    //  3 s paid (6), then it is short: named for the hub to stop
    CU_ASSERT_EQUAL (zlist_size (broke), 1);
    CU_ASSERT_STRING_EQUAL (zlist_first (broke), "t-poor");
    int64_t seconds = 0;
    CU_ASSERT_EQUAL (hub_billing_billed (books.billing, "t-poor", &seconds), 6);
    CU_ASSERT_EQUAL (seconds, 3);
    CU_ASSERT_EQUAL (th_balance (books.th.ledger, "buyer:poor"), 1);
    s_stop (&books, "t-poor", 10000);
    CU_ASSERT_EQUAL (hub_billing_billed (books.billing, "t-poor", NULL), 6);
    s_broke_free (&broke);
    s_close (&books);
    ts_tmpdir_remove (&dir);
}

static void
test_wallet_may_not_pay (void)
{
    char *dir = ts_tmpdir_new ("billing");
    s_books_t books = { 0 };
    s_open (&books, dir, false);        //  created, not registered: it may not pay
    s_deposit (&books, "buyer:b1", 1000);
    s_start (&books, "t-a", "buyer:b1", "m1", 4, 0);
    CU_ASSERT_EQUAL (s_settle (&books, 5000, NULL), 0);
    //  Billed, and held for m1 until the wallet may pay
    CU_ASSERT_EQUAL (th_balance (books.th.ledger, "settle:m1"), 20);
    CU_ASSERT_EQUAL (th_balance (books.th.ledger, "miner:m1"), 0);
    hub_store_begin (books.th.store);
    char why [256];
    CU_ASSERT_EQUAL (hub_wallet_apply (books.wallet, HUB_WALLET_REGISTER, HUB_WALLET_DAO, "dao",
                                       "test", 6000, why, sizeof why), 0);
    CU_ASSERT_EQUAL (hub_store_commit (books.th.store), 0);
    CU_ASSERT_EQUAL (s_settle (&books, 7000, NULL), 1);
    CU_ASSERT_EQUAL (th_balance (books.th.ledger, "settle:m1"), 0);
    CU_ASSERT_EQUAL (th_balance (books.th.ledger, "miner:m1") + th_balance (books.th.ledger, "hub:fee"), 28);
    s_close (&books);
    ts_tmpdir_remove (&dir);
}

//  ---------------------------------------------------------------------
//  Random operations against an independent tally

#define S_SERVICES  12
#define S_OPS       3000

typedef struct {
    char task [16];
    char buyer [16];
    char miner [16];
    int64_t rate;
    bool running;
    int64_t started_ms;         //  of the current run
    int64_t seconds;            //  whole seconds of the runs that ended
} s_service_t;

static int64_t
s_sum_prefix (s_books_t *books, const char *prefix)
{
    int64_t sum = 0;
    sqlite3 *db = hub_store_db (books->th.store);
    sqlite3_stmt *stmt;
    char sql [200];
    snprintf (sql, sizeof sql, "SELECT COALESCE (SUM (amount), 0) FROM ledger_entries"
              " WHERE id LIKE '%s%%'", prefix);
    CU_ASSERT_EQUAL_FATAL (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), SQLITE_OK);
    if (sqlite3_step (stmt) == SQLITE_ROW)
        sum = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    return sum;
}

static void
s_sum_accounts (void *arg, const char *account, int64_t balance)
{
    int64_t *sums = (int64_t *) arg;
    sums [0] += balance;
    if (!streq (account, "world") && balance < 0)
        sums [1]++;
}

//  Money is neither made nor lost: the bills are what the buyers paid and
//  what the miners, the fee and the settlement accounts hold of it.
static void
s_check_books (s_books_t *books, int64_t deposited)
{
    int64_t sums [2] = { 0, 0 };
    CU_ASSERT_EQUAL (hub_ledger_accounts (books->th.ledger, "", true, s_sum_accounts, sums), 0);
    CU_ASSERT_EQUAL (sums [0], 0);
    CU_ASSERT_EQUAL (sums [1], 0);
    int64_t billed = s_sum_prefix (books, "bill/");
    int64_t paid = s_sum_prefix (books, "pay/s-") + s_sum_prefix (books, "fee/s-");
    int64_t held = 0;
    sqlite3 *db = hub_store_db (books->th.store);
    sqlite3_stmt *stmt;
    CU_ASSERT_EQUAL_FATAL (sqlite3_prepare_v2 (db, "SELECT COALESCE (SUM (balance), 0) FROM"
                           " ledger_accounts WHERE name LIKE 'settle:%'", -1, &stmt, NULL),
                           SQLITE_OK);
    if (sqlite3_step (stmt) == SQLITE_ROW)
        held = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    CU_ASSERT_EQUAL (billed, paid + held);
    int64_t buyers = 0;
    CU_ASSERT_EQUAL_FATAL (sqlite3_prepare_v2 (db, "SELECT COALESCE (SUM (balance), 0) FROM"
                           " ledger_accounts WHERE name LIKE 'buyer:%'", -1, &stmt, NULL),
                           SQLITE_OK);
    if (sqlite3_step (stmt) == SQLITE_ROW)
        buyers = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    CU_ASSERT_EQUAL (buyers + billed, deposited);
}

static void
test_property (void)
{
    char *dir = ts_tmpdir_new ("billing");
    s_books_t books = { 0 };
    s_open (&books, dir, true);
    const char *seed_text = getenv ("FOGRID_TEST_SEED");
    uint64_t seed = seed_text? strtoull (seed_text, NULL, 10): (uint64_t) zclock_time ();
    uint64_t rng = seed | 1;
    #define S_RAND(n) (rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17, (int64_t) (rng % (n)))
    s_service_t services [S_SERVICES];
    for (int index = 0; index < S_SERVICES; index++) {
        s_service_t *service = &services [index];
        memset (service, 0, sizeof *service);
        snprintf (service->task, sizeof service->task, "t-%d", index);
        snprintf (service->buyer, sizeof service->buyer, "buyer:b%d", index % 4);
        snprintf (service->miner, sizeof service->miner, "m%d", index % 3);
        service->rate = 1 + S_RAND (9);
    }
    //  Buyers rich enough never to run short: the tally is then exact
    int64_t deposited = 0;
    for (int index = 0; index < 4; index++) {
        char buyer [16];
        snprintf (buyer, sizeof buyer, "buyer:b%d", index);
        s_deposit (&books, buyer, 100000000);
        deposited += 100000000;
    }
    int64_t now = 5000;
    unsigned failures = CU_get_number_of_failures ();
    for (int op = 0; op < S_OPS && CU_get_number_of_failures () == failures; op++) {
        s_service_t *service = &services [S_RAND (S_SERVICES)];
        int dice = (int) S_RAND (100);
        now += S_RAND (3000);
        if (dice < 30 && !service->running) {
            s_start (&books, service->task, service->buyer, service->miner, service->rate, now);
            service->running = true;
            service->started_ms = now;
        }
        else
        if (dice < 50 && service->running) {
            s_stop (&books, service->task, now);
            service->running = false;
            service->seconds += (now - service->started_ms) / 1000;
        }
        else
        if (dice < 85)
            s_settle (&books, now, NULL);
        else
        if (dice < 90) {
            //  A settlement rolled back (the hub's commit failed): nothing stays
            int64_t before = hub_ledger_size (books.th.ledger);
            hub_store_begin (books.th.store);
            hub_billing_settle (books.billing, now, NULL);
            hub_store_rollback (books.th.store);
            CU_ASSERT_EQUAL (hub_ledger_size (books.th.ledger), before);
        }
        else
        if (dice < 93) {
            s_close (&books);
            s_open (&books, dir, true);
        }
        else {
            char buyer [16];
            snprintf (buyer, sizeof buyer, "buyer:b%d", (int) S_RAND (4));
            int64_t amount = 1 + S_RAND (1000);
            s_deposit (&books, buyer, amount);
            deposited += amount;
        }
        //  Each stopped service billed exactly its whole seconds; a
        //  running one no more than its seconds so far
        for (int index = 0; index < S_SERVICES; index++) {
            s_service_t *check = &services [index];
            int64_t seconds = 0;
            int64_t billed = hub_billing_billed (books.billing, check->task, &seconds);
            CU_ASSERT_EQUAL (billed, seconds * check->rate);
            if (check->running) {
                CU_ASSERT (seconds >= check->seconds);
                CU_ASSERT (seconds <= check->seconds + (now - check->started_ms) / 1000);
            }
            else
                CU_ASSERT_EQUAL (seconds, check->seconds);
        }
        s_check_books (&books, deposited);
    }
    if (CU_get_number_of_failures () != failures)
        fprintf (stderr, "rerun with FOGRID_TEST_SEED=%" PRIu64 "\n", seed);
    char err [400];
    CU_ASSERT_EQUAL (hub_ledger_verify (books.th.ledger, err, sizeof err), 0);
    s_close (&books);
    ts_tmpdir_remove (&dir);
}

//  ---------------------------------------------------------------------
//  kill -9 in the middle of settlements

//  The child: settles again and again, a second of clock each from where
//  the books are billed, until it is killed.
static void
s_settler (const char *dir)
{
    s_books_t books = { 0 };
    s_open (&books, dir, true);
    sqlite3_stmt *stmt;
    int64_t start_ms = 0;
    if (sqlite3_prepare_v2 (hub_store_db (books.th.store),
                            "SELECT MAX (billed_ms) FROM billing_services", -1, &stmt, NULL)
        == SQLITE_OK) {
        if (sqlite3_step (stmt) == SQLITE_ROW)
            start_ms = sqlite3_column_int64 (stmt, 0);
        sqlite3_finalize (stmt);
    }
    for (int64_t now = start_ms + 1000; ; now += 1000) {
        hub_store_begin (books.th.store);
        hub_billing_settle (books.billing, now, NULL);
        hub_store_commit (books.th.store);
    }
}

static void
test_crash (void)
{
    char *dir = ts_tmpdir_new ("billing");
    s_books_t books = { 0 };
    s_open (&books, dir, true);
    for (int index = 0; index < 6; index++) {
        char task [16], buyer [16], miner [16];
        snprintf (task, sizeof task, "t-%d", index);
        snprintf (buyer, sizeof buyer, "buyer:b%d", index % 2);
        snprintf (miner, sizeof miner, "m%d", index % 3);
        if (index < 2)
            s_deposit (&books, buyer, 1000000000);
        s_start (&books, task, buyer, miner, 1 + index, 0);
    }
    s_close (&books);
    srandom ((unsigned) zclock_time ());
    for (int round = 0; round < 5; round++) {
        fflush (NULL);
        pid_t pid = fork ();
        if (pid == 0) {
            zsys_set_logstream (NULL);
            s_settler (dir);
            _exit (0);
        }
        CU_ASSERT_FATAL (pid > 0);
        zclock_sleep (100 + (int) (random () % 300));
        kill (pid, SIGKILL);
        waitpid (pid, NULL, 0);
        //  What the killed process committed adds up
        s_open (&books, dir, true);
        char err [400];
        CU_ASSERT_EQUAL (hub_ledger_verify (books.th.ledger, err, sizeof err), 0);
        s_check_books (&books, 2000000000);
        for (int index = 0; index < 6; index++) {
            char task [16];
            snprintf (task, sizeof task, "t-%d", index);
            int64_t seconds = 0;
            int64_t billed = hub_billing_billed (books.billing, task, &seconds);
            CU_ASSERT_EQUAL (billed, seconds * (1 + index));
            //  Its bills in the ledger are exactly what its row says
            char prefix [32];
            snprintf (prefix, sizeof prefix, "bill/%s/", task);
            CU_ASSERT_EQUAL (s_sum_prefix (&books, prefix), billed);
            if (round == 4 && index == 0)
                printf ("%" PRId64 " s billed over 5 kills ", seconds);
        }
        s_close (&books);
    }
    ts_tmpdir_remove (&dir);
}

void
test_hub_billing_add (void)
{
    ts_add_suite ("hub_billing",
        "whole seconds, carried fractions, one payout per miner", test_seconds_and_batches,
        "a buyer whose funds run out is billed what it can pay", test_funds_run_out,
        "a wallet that may not pay keeps the bills until it may", test_wallet_may_not_pay,
        "random operations against an independent tally", test_property,
        "kill -9 in the middle of settlements", test_crash,
        NULL);
}
