/*  =========================================================================
    test_hub_wallet - the hub's wallet: its states, paydays, punishment,
    the hub that cannot pay itself, and signed receipts

    The wallet on its own first (its table, who may drive it, paydays by
    the clock it is given, rows changed in the database), then receipts
    (good, changed, signed by another key), then the hub actor with a fake
    miner (a created wallet pays nobody; tasks waiting for its registration
    go on after it; the receipt comes back with the Ok), then the real
    daemons and the fogrid command line with keys: the DAO's and the
    owner's operations, a miner running with the hub's own key, and
    fogrid receipt / verify-receipt.
    =========================================================================  */
#include "test_hub_support.h"
#include "hub_wallet.h"
#include "hub_server.h"
#include "fg_receipt.h"
#include <sqlite3.h>
#include <stdarg.h>

//  ---------------------------------------------------------------------
//  Books and a wallet in a temp dir, as the hub lays them out

typedef struct {
    th_books_t th;              //  the store and the ledger
    hub_wallet_t *wallet;       //  NULL when it would not open
    char err [400];             //  why not
} s_books_t;

static const hub_wallet_config_t s_config = {
    .hub_id = "h-test",
    .stake = 1000,
    .pay_period_ms = 3600 * 1000,
    .punish_account = "dao",
    .self_register = false
};

static void
s_books_open (s_books_t *books, const char *dir, const hub_wallet_config_t *config)
{
    memset (books, 0, sizeof *books);
    th_books_open (&books->th, dir);
    books->wallet = hub_wallet_new (books->th.store, books->th.ledger, config, books->err,
                                    sizeof books->err);
}

static void
s_books_close (s_books_t *books)
{
    hub_wallet_destroy (&books->wallet);
    th_books_close (&books->th);
}

//  A paid task, as the hub books it: deposit, escrow, payout and fee.
static void
s_paid_task (hub_ledger_t *ledger, const char *task, int64_t price, int64_t fee)
{
    char id [64], escrow [64], pay [64], fee_id [64];
    snprintf (id, sizeof id, "deposit/%s", task);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, id, "world", "buyer:b", price, NULL),
                     HUB_LEDGER_OK);
    snprintf (id, sizeof id, "escrow/%s/1", task);
    snprintf (escrow, sizeof escrow, "escrow:%s", task);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, id, "buyer:b", escrow, price, NULL),
                     HUB_LEDGER_OK);
    snprintf (pay, sizeof pay, "pay/%s", task);
    snprintf (fee_id, sizeof fee_id, "fee/%s", task);
    hub_transfer_t legs [2] = {
        { pay, escrow, "miner:m-1", price - fee, "paid" },
        { fee_id, escrow, "hub:fee", fee, "fee" }
    };
    CU_ASSERT_EQUAL (hub_ledger_apply (ledger, legs, 2), HUB_LEDGER_OK);
}

static fg_error_t
s_act (hub_wallet_t *wallet, hub_wallet_event_t event, unsigned roles, const char *reason,
       int64_t now_ms, char *why)
{
    why [0] = 0;
    return hub_wallet_apply (wallet, event, roles, "KEY", reason, now_ms, why, 400);
}

#define DAO     HUB_WALLET_DAO
#define OWNER   HUB_WALLET_OWNER

//  ---------------------------------------------------------------------
//  The state table and its guards

static void
test_states (void)
{
    char *dir = ts_tmpdir_new ("wallet");
    s_books_t books;
    s_books_open (&books, dir, &s_config);
    CU_ASSERT_PTR_NOT_NULL_FATAL (books.wallet);
    hub_wallet_t *wallet = books.wallet;
    hub_ledger_t *ledger = books.th.ledger;
    char why [400];

    //  Created with its stake frozen; it may neither charge nor pay
    CU_ASSERT_EQUAL (hub_wallet_state (wallet), HUB_WALLET_CREATED);
    CU_ASSERT_EQUAL (th_balance (ledger, "hub:wallet:frozen"), 1000);
    CU_ASSERT_EQUAL (th_balance (ledger, "world"), -1000);
    CU_ASSERT_EQUAL (hub_ledger_amount (ledger, "wallet/1/stake"), 1000);
    CU_ASSERT_FALSE (hub_wallet_can_charge (wallet));
    CU_ASSERT_FALSE (hub_wallet_can_pay (wallet));
    CU_ASSERT_PTR_NOT_NULL (strstr (hub_wallet_refusal (wallet), "not registered"));
    CU_ASSERT_EQUAL (hub_wallet_next_payday_ms (wallet), 0);

    //  Only the DAO registers; nothing but register is possible now
    int64_t t0 = fg_now_ms ();
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_REGISTER, 0, "", t0, why), FG_E_DENIED);
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_REGISTER, OWNER, "", t0, why), FG_E_DENIED);
    CU_ASSERT_PTR_NOT_NULL (strstr (why, "only the DAO"));
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_PAYDAY, OWNER, "", t0, why), FG_E_STATE);
    CU_ASSERT_PTR_NOT_NULL (strstr (why, "the wallet is created"));
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_PUNISH, DAO, "fraud", t0, why), FG_E_STATE);
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_CLOSE, OWNER, "", t0, why), FG_E_STATE);
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_CREATE, DAO | OWNER, "", t0, why), FG_E_INVALID);
    CU_ASSERT_EQUAL (hub_wallet_state (wallet), HUB_WALLET_CREATED);
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_REGISTER, DAO, "checked", t0, why), FG_OK);
    CU_ASSERT_EQUAL (hub_wallet_state (wallet), HUB_WALLET_REGISTERED);
    CU_ASSERT_TRUE (hub_wallet_can_charge (wallet));
    CU_ASSERT_TRUE (hub_wallet_can_pay (wallet));
    CU_ASSERT_STRING_EQUAL (hub_wallet_refusal (wallet), "");
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_REGISTER, DAO, "", t0, why), FG_E_STATE);

    //  Payday: the owner's, once a pay period; fees and free funds go to
    //  the owner, the stake stays
    s_paid_task (ledger, "t-1", 200, 10);
    s_paid_task (ledger, "t-2", 100, 5);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "deposit/free", "world", "hub:wallet:free", 50,
                                          NULL), HUB_LEDGER_OK);
    CU_ASSERT_EQUAL (hub_wallet_next_payday_ms (wallet), t0 + 3600 * 1000);
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_PAYDAY, OWNER, "", t0 + 10000, why), FG_E_STATE);
    CU_ASSERT_PTR_NOT_NULL (strstr (why, "hub/pay_period_s"));
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_PAYDAY, DAO, "", t0 + 3600 * 1000, why),
                     FG_E_DENIED);
    CU_ASSERT_PTR_NOT_NULL (strstr (why, "owner"));
    CU_ASSERT_EQUAL (th_balance (ledger, "owner"), 0);
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_PAYDAY, OWNER, "", t0 + 3600 * 1000, why), FG_OK);
    CU_ASSERT_EQUAL (th_balance (ledger, "owner"), 15 + 50);
    CU_ASSERT_EQUAL (th_balance (ledger, "hub:fee"), 0);
    CU_ASSERT_EQUAL (th_balance (ledger, "hub:wallet:free"), 0);
    CU_ASSERT_EQUAL (th_balance (ledger, "hub:wallet:frozen"), 1000);
    CU_ASSERT_EQUAL (hub_ledger_amount (ledger, "wallet/3/fees"), 15);
    CU_ASSERT_EQUAL (hub_ledger_amount (ledger, "wallet/3/free"), 50);
    CU_ASSERT_EQUAL (hub_wallet_state (wallet), HUB_WALLET_REGISTERED);
    //  ... the next one a period after this one
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_PAYDAY, OWNER, "", t0 + 3601 * 1000, why),
                     FG_E_STATE);
    CU_ASSERT_EQUAL (hub_wallet_last_payday_ms (wallet), t0 + 3600 * 1000);

    //  Suspected: a reason is required; no payday and no close until cleared
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_SUSPECT, DAO, "", t0, why), FG_E_INVALID);
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_SUSPECT, OWNER, "late payouts", t0, why),
                     FG_E_DENIED);
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_SUSPECT, DAO, "late payouts", t0 + 7300000, why),
                     FG_OK);
    CU_ASSERT_EQUAL (hub_wallet_state (wallet), HUB_WALLET_SUSPECTED);
    CU_ASSERT_TRUE (hub_wallet_can_charge (wallet));
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_PAYDAY, OWNER, "", t0 + 9000000, why), FG_E_STATE);
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_CLOSE, OWNER, "", t0 + 9000000, why), FG_E_STATE);
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_CLEAR, DAO, "explained", t0 + 9000000, why), FG_OK);
    CU_ASSERT_EQUAL (hub_wallet_state (wallet), HUB_WALLET_REGISTERED);

    //  Close is refused while escrow is held
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "deposit/x", "world", "buyer:b", 30, NULL),
                     HUB_LEDGER_OK);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "escrow/t-3/1", "buyer:b", "escrow:t-3", 30,
                                          NULL), HUB_LEDGER_OK);
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_CLOSE, OWNER, "", t0 + 9000000, why), FG_E_STATE);
    CU_ASSERT_PTR_NOT_NULL (strstr (why, "escrow"));

    //  The hub never pays itself: hub accounts only pay the owner, and a
    //  miner marked as its own is never paid
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "x/1", "hub:wallet:frozen", "hub:fee", 1, NULL),
                     HUB_LEDGER_SELF);
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "x/2", "owner", "hub:wallet:free", 1, NULL),
                     HUB_LEDGER_SELF);
    CU_ASSERT_FALSE (hub_ledger_own (ledger, "miner:m-self"));
    CU_ASSERT_EQUAL (hub_ledger_own_add (ledger, "miner:m-self"), 0);
    CU_ASSERT_TRUE (hub_ledger_own (ledger, "miner:m-self"));
    CU_ASSERT_EQUAL (hub_ledger_transfer (ledger, "pay/t-3", "escrow:t-3", "miner:m-self", 30,
                                          NULL), HUB_LEDGER_SELF);
    CU_ASSERT_EQUAL (th_balance (ledger, "escrow:t-3"), 30);
    CU_ASSERT_STRING_EQUAL (hub_ledger_strerror (HUB_LEDGER_SELF), "refused: a hub cannot pay itself");

    //  Punished: the stake goes to the punish account; nothing after it
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_PUNISH, OWNER, "fraud", t0, why), FG_E_DENIED);
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_PUNISH, DAO, "", t0, why), FG_E_INVALID);
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_PUNISH, DAO, "paid itself", t0 + 9100000, why),
                     FG_OK);
    CU_ASSERT_EQUAL (hub_wallet_state (wallet), HUB_WALLET_PUNISHED);
    CU_ASSERT_EQUAL (th_balance (ledger, "hub:wallet:frozen"), 0);
    CU_ASSERT_EQUAL (th_balance (ledger, "dao"), 1000);
    CU_ASSERT_FALSE (hub_wallet_can_charge (wallet));
    CU_ASSERT_TRUE (hub_wallet_can_pay (wallet));      //  escrow held still reaches miners
    CU_ASSERT_PTR_NOT_NULL (strstr (hub_wallet_refusal (wallet), "punished"));
    for (int event = HUB_WALLET_REGISTER; event < HUB_WALLET_EVENTS; event++)
        CU_ASSERT_EQUAL (s_act (wallet, (hub_wallet_event_t) event, DAO | OWNER, "again",
                                t0 + 9900000, why), FG_E_STATE);
    char err [400];
    CU_ASSERT_EQUAL (hub_ledger_verify (ledger, err, sizeof err), 0);
    s_books_close (&books);

    //  Opened again it is where it was, whatever the config says now
    hub_wallet_config_t other = s_config;
    other.stake = 5;
    other.self_register = true;
    s_books_open (&books, dir, &other);
    CU_ASSERT_PTR_NOT_NULL_FATAL (books.wallet);
    CU_ASSERT_EQUAL (hub_wallet_state (books.wallet), HUB_WALLET_PUNISHED);
    CU_ASSERT_EQUAL (hub_wallet_since_ms (books.wallet), t0 + 9100000);
    CU_ASSERT_EQUAL (th_balance (books.th.ledger, "world"), -1000 - 300 - 50 - 30);
    CU_ASSERT_EQUAL (hub_ledger_own (books.th.ledger, "miner:m-self"), true);
    s_books_close (&books);
    ts_tmpdir_remove (&dir);
}

//  Self-registration, a closed wallet, names and the other punish account
static void
test_close (void)
{
    char *dir = ts_tmpdir_new ("wallet");
    hub_wallet_config_t config = s_config;
    config.self_register = true;
    config.pay_period_ms = 0;
    s_books_t books;
    s_books_open (&books, dir, &config);
    CU_ASSERT_PTR_NOT_NULL_FATAL (books.wallet);
    hub_wallet_t *wallet = books.wallet;
    CU_ASSERT_EQUAL (hub_wallet_state (wallet), HUB_WALLET_REGISTERED);
    char why [400];
    s_paid_task (books.th.ledger, "t-1", 100, 5);
    int64_t now = fg_now_ms ();
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_PAYDAY, OWNER, "", now, why), FG_OK);
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_PAYDAY, OWNER, "", now, why), FG_OK);
    s_paid_task (books.th.ledger, "t-2", 100, 5);
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_CLOSE, DAO, "", now, why), FG_E_DENIED);
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_CLOSE, OWNER, "retiring", now, why), FG_OK);
    CU_ASSERT_EQUAL (hub_wallet_state (wallet), HUB_WALLET_CLOSED);
    CU_ASSERT_EQUAL (th_balance (books.th.ledger, "owner"), 1000 + 10);
    CU_ASSERT_EQUAL (th_balance (books.th.ledger, "hub:wallet:frozen"), 0);
    CU_ASSERT_FALSE (hub_wallet_can_charge (wallet));
    CU_ASSERT_EQUAL (s_act (wallet, HUB_WALLET_PUNISH, DAO, "too late", now, why), FG_E_STATE);
    CU_ASSERT_EQUAL (hub_wallet_event_from_name ("payday"), HUB_WALLET_PAYDAY);
    CU_ASSERT_EQUAL (hub_wallet_event_from_name ("create"), 0);
    CU_ASSERT_EQUAL (hub_wallet_event_from_name ("steal"), 0);
    CU_ASSERT_STRING_EQUAL (hub_wallet_state_name (HUB_WALLET_SUSPECTED), "suspected");
    s_books_close (&books);
    ts_tmpdir_remove (&dir);

    //  A punish account inside the hub is refused
    dir = ts_tmpdir_new ("wallet");
    config.punish_account = "owner";
    s_books_open (&books, dir, &config);
    CU_ASSERT_PTR_NULL (books.wallet);
    CU_ASSERT_PTR_NOT_NULL (strstr (books.err, "punish account"));
    s_books_close (&books);
    ts_tmpdir_remove (&dir);
}

//  Rows changed behind the hub's back are found
static void
test_tamper (void)
{
    const char *changes [] = {
        //  a punished hub made registered again, its row re-signed by no one
        "UPDATE wallet_events SET to_state = 'registered' WHERE event = 'punish'",
        //  the punishment cut off the end
        "DELETE FROM wallet_events WHERE event = 'punish'",
        //  every row and the head wiped, to start afresh: the ledger still
        //  holds their transfers
        "DELETE FROM wallet_events; DELETE FROM meta WHERE key = 'wallet_head'",
        //  a suspicion taken out of the middle
        "DELETE FROM wallet_events WHERE event = 'suspect'",
        //  the reason of a row rewritten
        "UPDATE wallet_events SET reason = 'nothing' WHERE event = 'suspect'",
        NULL
    };
    const char *expected [] = {
        "row 5 (punish): its signature", "signed head", "wallet transfers",
        "expected row 3", "row 3 (suspect): its signature"
    };
    for (int index = 0; changes [index]; index++) {
        char *dir = ts_tmpdir_new ("wallet");
        s_books_t books;
        s_books_open (&books, dir, &s_config);
        CU_ASSERT_PTR_NOT_NULL_FATAL (books.wallet);
        char why [400];
        int64_t now = fg_now_ms ();
        CU_ASSERT_EQUAL (s_act (books.wallet, HUB_WALLET_REGISTER, DAO, "ok", now, why), FG_OK);
        CU_ASSERT_EQUAL (s_act (books.wallet, HUB_WALLET_SUSPECT, DAO, "hmm", now, why), FG_OK);
        CU_ASSERT_EQUAL (s_act (books.wallet, HUB_WALLET_CLEAR, DAO, "fine", now, why), FG_OK);
        CU_ASSERT_EQUAL (s_act (books.wallet, HUB_WALLET_PUNISH, DAO, "no", now, why), FG_OK);
        s_books_close (&books);
        //  Untouched, it opens
        s_books_open (&books, dir, &s_config);
        CU_ASSERT_PTR_NOT_NULL (books.wallet);
        s_books_close (&books);
        th_sql (dir, changes [index]);
        s_books_open (&books, dir, &s_config);
        CU_ASSERT_PTR_NULL (books.wallet);
        if (!strstr (books.err, expected [index]))
            fprintf (stderr, "change %d: %s\n", index, books.err);
        CU_ASSERT_PTR_NOT_NULL (strstr (books.err, expected [index]));
        s_books_close (&books);
        ts_tmpdir_remove (&dir);
    }
}

//  ---------------------------------------------------------------------
//  Receipts

static void
test_receipts (void)
{
    char *dir = ts_tmpdir_new ("wallet");
    hub_wallet_config_t config = s_config;
    config.self_register = true;
    s_books_t books;
    s_books_open (&books, dir, &config);
    CU_ASSERT_PTR_NOT_NULL_FATAL (books.wallet);
    s_paid_task (books.th.ledger, "t-000000000001", 200, 10);
    CU_ASSERT_EQUAL (hub_wallet_receipt_make (books.wallet, "t-000000000001", 2, "m-1"), 0);
    //  No payout, no receipt
    CU_ASSERT_EQUAL (hub_wallet_receipt_make (books.wallet, "t-none", 1, "m-1"), -1);
    CU_ASSERT_PTR_NULL (hub_wallet_receipt (books.wallet, "t-none"));
    char *json = hub_wallet_receipt (books.wallet, "t-000000000001");
    CU_ASSERT_PTR_NOT_NULL_FATAL (json);
    //  Made once: asked again, the same document
    CU_ASSERT_EQUAL (hub_wallet_receipt_make (books.wallet, "t-000000000001", 2, "m-1"), 0);
    char *again = hub_wallet_receipt (books.wallet, "t-000000000001");
    CU_ASSERT_STRING_EQUAL (json, again);
    free (again);

    //  A good receipt verifies, against its own key and the hub's
    char hub_key [65];
    snprintf (hub_key, sizeof hub_key, "%s", hub_ledger_public_key (books.th.ledger));
    fg_receipt_t receipt;
    char err [300];
    CU_ASSERT_EQUAL_FATAL (fg_receipt_parse (&receipt, json, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL (receipt.task_id, "t-000000000001");
    CU_ASSERT_EQUAL (receipt.attempt, 2);
    CU_ASSERT_STRING_EQUAL (receipt.miner_id, "m-1");
    CU_ASSERT_EQUAL (receipt.amount, 190);
    CU_ASSERT_EQUAL (receipt.fee, 10);
    CU_ASSERT_STRING_EQUAL (receipt.entry_id, "pay/t-000000000001");
    CU_ASSERT_EQUAL (receipt.entry_seq, 4);          //  after the stake, deposit, escrow
    CU_ASSERT_STRING_EQUAL (receipt.hub_id, "h-test");
    CU_ASSERT_STRING_EQUAL (receipt.hub_key, hub_key);
    CU_ASSERT_EQUAL (fg_receipt_verify (&receipt, NULL, err, sizeof err), 0);
    CU_ASSERT_EQUAL (fg_receipt_verify (&receipt, hub_key, err, sizeof err), 0);
    //  The signature covers the fields, not the JSON's layout
    char *rewritten = fg_receipt_json (&receipt);
    fg_receipt_t copy;
    CU_ASSERT_EQUAL (fg_receipt_parse (&copy, rewritten, err, sizeof err), 0);
    CU_ASSERT_EQUAL (fg_receipt_verify (&copy, hub_key, err, sizeof err), 0);
    free (rewritten);

    //  A changed amount (or anything else) fails
    copy = receipt;
    copy.amount = 1900;
    CU_ASSERT_EQUAL (fg_receipt_verify (&copy, hub_key, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (err, "bad signature"));
    copy = receipt;
    copy.attempt = 1;
    CU_ASSERT_EQUAL (fg_receipt_verify (&copy, hub_key, err, sizeof err), -1);
    copy = receipt;
    snprintf (copy.miner_id, sizeof copy.miner_id, "m-2");
    CU_ASSERT_EQUAL (fg_receipt_verify (&copy, hub_key, err, sizeof err), -1);

    //  Signed by another key: valid on its own, not the hub's
    char *other_dir = ts_tmpdir_new ("wallet-other");
    s_books_t other;
    s_books_open (&other, other_dir, &config);
    CU_ASSERT_PTR_NOT_NULL_FATAL (other.wallet);
    copy = receipt;
    snprintf (copy.hub_key, sizeof copy.hub_key, "%s", hub_ledger_public_key (other.th.ledger));
    char *text = fg_receipt_text (&copy);
    CU_ASSERT_EQUAL (hub_ledger_sign (other.th.ledger, text, copy.signature), 0);
    zstr_free (&text);
    CU_ASSERT_EQUAL (fg_receipt_verify (&copy, NULL, err, sizeof err), 0);
    CU_ASSERT_EQUAL (fg_receipt_verify (&copy, hub_key, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (err, "not by the hub's key"));
    //  ... or naming the hub's key with another's signature
    snprintf (copy.hub_key, sizeof copy.hub_key, "%s", hub_key);
    CU_ASSERT_EQUAL (fg_receipt_verify (&copy, hub_key, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (err, "bad signature"));
    //  The ledger key signs no text that could pass for an entry or a head
    char sig [129];
    CU_ASSERT_EQUAL (hub_ledger_sign (other.th.ledger, "fogrid-ledger-head/1\n1\nabc\n", sig), -1);
    CU_ASSERT_EQUAL (hub_ledger_sign (other.th.ledger, "short", sig), -1);
    s_books_close (&other);
    ts_tmpdir_remove (&other_dir);

    //  Malformed documents are refused with the field
    CU_ASSERT_EQUAL (fg_receipt_parse (&copy, "[]", err, sizeof err), -1);
    CU_ASSERT_EQUAL (fg_receipt_parse (&copy, "{\"receipt\": \"fogrid-receipt/1\"}", err,
                                       sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (err, "task_id"));

    //  The command line, offline
    char path [600];
    snprintf (path, sizeof path, "%s/receipt.json", dir);
    FILE *file = fopen (path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL (file);
    fputs (json, file);
    fclose (file);
    char *output = NULL;
    CU_ASSERT_EQUAL (ts_run (&output, "%s verify-receipt --hub-key %s %s", ts_bin ("fogrid"),
                             hub_key, path), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "receipt OK: task t-000000000001 attempt 2 paid 190"));
    free (output);
    CU_ASSERT_EQUAL (ts_run (&output, "%s verify-receipt --hub-key %s - < %s", ts_bin ("fogrid"),
                             hub_key, path), 0);
    free (output);
    CU_ASSERT_EQUAL (ts_run (&output, "%s verify-receipt %s", ts_bin ("fogrid"), path), 2);
    free (output);
    //  ... another hub's key
    char wrong [65];
    snprintf (wrong, sizeof wrong, "%s", hub_key);
    wrong [0] = wrong [0] == 'a'? 'b': 'a';
    CU_ASSERT_EQUAL (ts_run (&output, "%s verify-receipt --hub-key %s %s", ts_bin ("fogrid"),
                             wrong, path), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "not by the hub's key"));
    free (output);
    //  ... a changed amount
    CU_ASSERT_EQUAL (ts_run (NULL, "sed -i 's/\"amount\": 190/\"amount\": 1900/' %s", path), 0);
    CU_ASSERT_EQUAL (ts_run (&output, "%s verify-receipt --hub-key %s %s", ts_bin ("fogrid"),
                             hub_key, path), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "bad signature"));
    free (output);
    free (json);

    //  The stored receipts are checked against the key and the ledger
    int64_t faults = -1;
    CU_ASSERT_EQUAL (hub_wallet_receipts_verify (books.wallet, NULL, NULL, &faults), 1);
    CU_ASSERT_EQUAL (faults, 0);
    s_books_close (&books);
    //  ... when the wallet opens: a changed receipt stops it, named
    th_sql (dir, "UPDATE wallet_receipts SET receipt = replace (receipt, '\"amount\": 190', "
                 "'\"amount\": 1900')");
    s_books_open (&books, dir, &config);
    CU_ASSERT_PTR_NULL (books.wallet);
    CU_ASSERT_PTR_NOT_NULL (strstr (books.err, "receipt of t-000000000001: it was changed or "
                                    "forged"));
    s_books_close (&books);
    //  ... a good receipt kept as another task's
    th_sql (dir, "UPDATE wallet_receipts SET receipt = replace (receipt, '\"amount\": 1900', "
                 "'\"amount\": 190');"
                 "INSERT INTO wallet_receipts SELECT 't-000000000009', miner_id, at_ms, receipt "
                 "FROM wallet_receipts WHERE task_id = 't-000000000001'");
    s_books_open (&books, dir, &config);
    CU_ASSERT_PTR_NULL (books.wallet);
    CU_ASSERT_PTR_NOT_NULL (strstr (books.err, "receipt of t-000000000009: it is the receipt of "
                                    "t-000000000001"));
    s_books_close (&books);
    //  ... a good receipt whose payout row no longer says what it did
    //  (the ledger's own check finds that too; the receipt says so apart)
    th_sql (dir, "DELETE FROM wallet_receipts WHERE task_id = 't-000000000009';"
                 "UPDATE ledger_entries SET amount = 191 WHERE id = 'pay/t-000000000001'");
    s_books_open (&books, dir, &config);
    CU_ASSERT_PTR_NULL (books.wallet);
    CU_ASSERT_PTR_NOT_NULL (strstr (books.err, "the ledger's pay/t-000000000001 is 191"));
    s_books_close (&books);
    //  ... and all is well again when the books are
    th_sql (dir, "UPDATE ledger_entries SET amount = 190 WHERE id = 'pay/t-000000000001'");
    s_books_open (&books, dir, &config);
    CU_ASSERT_PTR_NOT_NULL (books.wallet);
    CU_ASSERT_EQUAL (hub_wallet_receipts_verify (books.wallet, NULL, NULL, &faults), 1);
    CU_ASSERT_EQUAL (faults, 0);
    s_books_close (&books);
    ts_tmpdir_remove (&dir);
}

//  ---------------------------------------------------------------------
//  The hub actor with a fake miner (no security: buyer:anonymous)

static fg_env_t *
s_admin (zsock_t *buyer, const char *action, const char *reason)
{
    Fogrid__AdminRequest admin = FOGRID__ADMIN_REQUEST__INIT;
    admin.action = (char *) action;
    admin.reason = (char *) reason;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_ADMIN;
    env.admin = &admin;
    fg_env_t *reply = th_call (buyer, &env);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    return reply;
}

static fg_env_t *
s_receipt (zsock_t *buyer, const char *task_id)
{
    Fogrid__ReceiptRequest request = FOGRID__RECEIPT_REQUEST__INIT;
    request.task_id = (char *) task_id;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_RECEIPT;
    env.receipt = &request;
    fg_env_t *reply = th_call (buyer, &env);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    return reply;
}

static void
s_deposit (zsock_t *buyer, uint64_t amount, const char *token)
{
    Fogrid__DepositRequest deposit = FOGRID__DEPOSIT_REQUEST__INIT;
    deposit.amount = amount;
    deposit.token = (char *) token;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_DEPOSIT;
    env.deposit = &deposit;
    fg_env_t *reply = th_call (buyer, &env);
    CU_ASSERT (reply && reply->body_case == FOGRID__ENVELOPE__BODY_TRANSFER_REPLY);
    fg_msg_free (&reply);
}

typedef struct {
    zactor_t *hub;
    zsock_t *buyer;
    th_fake_t fake;
    fg_config_t *config;
} s_hub_t;

static void
s_hub_up (s_hub_t *hub, const char *dir, const char *admin_keys, bool require_funds)
{
    hub->config = th_hub_config (dir);
    fg_config_set (hub->config, "hub/id", "h-actor");
    fg_config_set (hub->config, "hub/wallet_self_register", "0");
    fg_config_set (hub->config, "hub/wallet_stake", "5000");
    fg_config_set (hub->config, "hub/fee_percent", "10");
    fg_config_set (hub->config, "hub/admin_keys", admin_keys);
    fg_config_set (hub->config, "hub/require_funds", require_funds? "1": "0");
    hub_server_args_t args = { .config = hub->config };
    hub->hub = zactor_new (hub_server_actor, &args);
    CU_ASSERT_EQUAL_FATAL (args.rc, 0);
    int buyer_port, miner_port;
    zstr_send (hub->hub, "PORTS");
    zsock_recv (hub->hub, "ii", &buyer_port, &miner_port);
    hub->buyer = zsock_new (ZMQ_DEALER);
    zsock_set_rcvtimeo (hub->buyer, 3000);
    zsock_connect (hub->buyer, "tcp://127.0.0.1:%d", buyer_port);
    th_fake_connect (&hub->fake, miner_port, "m-fake");
    th_fake_hello (&hub->fake, 100);
    fg_env_t *welcome = th_fake_expect (&hub->fake, FOGRID__ENVELOPE__BODY_MINER_WELCOME);
    CU_ASSERT_PTR_NOT_NULL_FATAL (welcome);
    fg_msg_free (&welcome);
}

static void
s_hub_down (s_hub_t *hub)
{
    th_fake_close (&hub->fake);
    zsock_destroy (&hub->buyer);
    zactor_destroy (&hub->hub);
    fg_config_destroy (&hub->config);
}

static void
test_actor (void)
{
    char *dir = ts_tmpdir_new ("wallet-hub");
    s_hub_t hub;
    //  First run: a created wallet, and no admin key is the caller's
    s_hub_up (&hub, dir, "not-this-caller", false);
    fg_env_t *reply = s_admin (hub.buyer, "wallet/status", "");
    CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_WALLET_REPLY);
    Fogrid__WalletReply *wallet = reply->wallet_reply;
    CU_ASSERT_STRING_EQUAL (wallet->state, "created");
    CU_ASSERT_STRING_EQUAL (wallet->hub_id, "h-actor");
    CU_ASSERT_EQUAL (wallet->frozen, 5000);
    CU_ASSERT_EQUAL (wallet->n_events, 1);
    CU_ASSERT_STRING_EQUAL (wallet->events [0]->event, "create");
    CU_ASSERT_EQUAL (wallet->events [0]->n_transfers, 1);
    CU_ASSERT_STRING_EQUAL (wallet->events [0]->transfers [0], "wallet/1/stake");
    CU_ASSERT_EQUAL (strlen (wallet->ledger_key), 64);
    fg_msg_free (&reply);
    //  ... a key that is not the DAO's is refused
    reply = s_admin (hub.buyer, "wallet/register", "let me in");
    CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_ERROR);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_DENIED);
    CU_ASSERT_PTR_NOT_NULL (strstr (reply->error->text, "only the DAO"));
    fg_msg_free (&reply);
    reply = s_admin (hub.buyer, "wallet/steal", "");
    CU_ASSERT_EQUAL (reply->error->code, FG_E_INVALID);
    fg_msg_free (&reply);
    //  ... and a buyer who can pay has its task run unpaid: the wallet
    //  cannot pay miners (hub/require_funds off)
    s_deposit (hub.buyer, 1000, "dep-1");
    char *task = th_submit (hub.buyer, "true", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL (task);
    uint32_t attempt;
    char *given = th_fake_assigned (&hub.fake, &attempt);
    fg_env_t *status = th_status (hub.buyer, task);
    CU_ASSERT_PTR_NOT_NULL (strstr (status->task_info->reason, "runs unpaid: the hub's wallet is "
                                    "created, not registered"));
    fg_msg_free (&status);
    char *receipt = th_fake_result (&hub.fake, given, attempt, 0);
    CU_ASSERT_STRING_EQUAL (receipt, "");
    free (receipt);
    reply = s_receipt (hub.buyer, task);
    CU_ASSERT_EQUAL (reply->body_case, FOGRID__ENVELOPE__BODY_ERROR);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_NOT_FOUND);
    CU_ASSERT_PTR_NOT_NULL (strstr (reply->error->text, "no receipt"));
    fg_msg_free (&reply);
    free (task);
    free (given);
    s_hub_down (&hub);

    //  Second run, paid work required: a task waits for the registration
    s_hub_up (&hub, dir, "*", true);
    task = th_submit (hub.buyer, "true", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL (task);
    status = th_status (hub.buyer, task);
    CU_ASSERT_STRING_EQUAL (status->task_info->state, "pending");
    CU_ASSERT_PTR_NOT_NULL (strstr (status->task_info->reason, "waiting: the hub's wallet is "
                                    "created"));
    fg_msg_free (&status);
    reply = s_admin (hub.buyer, "wallet/register", "audited");
    CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_WALLET_REPLY);
    CU_ASSERT_STRING_EQUAL (reply->wallet_reply->state, "registered");
    CU_ASSERT_STRING_EQUAL (reply->wallet_reply->events [0]->reason, "audited");
    fg_msg_free (&reply);
    //  ... then it is placed, charged and paid; the miner gets the receipt
    given = th_fake_assigned (&hub.fake, &attempt);
    CU_ASSERT_STRING_EQUAL (given, task);
    receipt = th_fake_result (&hub.fake, given, attempt, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL (strstr (receipt, "fogrid-receipt/1"));
    fg_receipt_t parsed;
    char err [300];
    CU_ASSERT_EQUAL_FATAL (fg_receipt_parse (&parsed, receipt, err, sizeof err), 0);
    reply = s_admin (hub.buyer, "wallet/status", "");
    char ledger_key [65];
    snprintf (ledger_key, sizeof ledger_key, "%s", reply->wallet_reply->ledger_key);
    CU_ASSERT_EQUAL (reply->wallet_reply->fees, 10);
    fg_msg_free (&reply);
    CU_ASSERT_EQUAL (fg_receipt_verify (&parsed, ledger_key, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL (parsed.task_id, task);
    CU_ASSERT_STRING_EQUAL (parsed.miner_id, "m-fake");
    CU_ASSERT_EQUAL (parsed.amount, 90);
    CU_ASSERT_EQUAL (parsed.fee, 10);
    CU_ASSERT_STRING_EQUAL (parsed.hub_id, "h-actor");
    //  ... and the buyer's API gives the same document
    reply = s_receipt (hub.buyer, task);
    CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_RECEIPT_REPLY);
    CU_ASSERT_STRING_EQUAL (reply->receipt_reply->receipt, receipt);
    fg_msg_free (&reply);
    free (receipt);
    free (task);
    free (given);

    //  Payday too early; then the DAO punishes: the stake goes to dao, and
    //  paid work is refused from then on
    reply = s_admin (hub.buyer, "wallet/payday", "");
    CU_ASSERT_EQUAL (reply->error->code, FG_E_STATE);
    CU_ASSERT_PTR_NOT_NULL (strstr (reply->error->text, "hub/pay_period_s"));
    fg_msg_free (&reply);
    reply = s_admin (hub.buyer, "wallet/punish", "");
    CU_ASSERT_EQUAL (reply->error->code, FG_E_INVALID);
    fg_msg_free (&reply);
    reply = s_admin (hub.buyer, "wallet/punish", "kept a miner's pay");
    CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_WALLET_REPLY);
    CU_ASSERT_STRING_EQUAL (reply->wallet_reply->state, "punished");
    CU_ASSERT_EQUAL (reply->wallet_reply->frozen, 0);
    CU_ASSERT_EQUAL (reply->wallet_reply->next_payday_ms, 0);
    fg_msg_free (&reply);
    char *refused = th_submit (hub.buyer, "true", 0);
    CU_ASSERT_PTR_NULL (refused);
    s_hub_down (&hub);

    //  The books: whole, adding up, the stake with the DAO
    s_books_t books;
    hub_wallet_config_t config = s_config;
    s_books_open (&books, dir, &config);
    CU_ASSERT_PTR_NOT_NULL (books.wallet);
    CU_ASSERT_EQUAL (hub_ledger_verify (books.th.ledger, err, sizeof err), 0);
    CU_ASSERT_EQUAL (th_balance (books.th.ledger, "dao"), 5000);
    CU_ASSERT_EQUAL (th_balance (books.th.ledger, "miner:m-fake"), 90);
    CU_ASSERT_EQUAL (th_balance (books.th.ledger, "buyer:anonymous"), 900);
    CU_ASSERT_EQUAL (th_balance (books.th.ledger, "world"), -6000);
    s_books_close (&books);
    ts_tmpdir_remove (&dir);
}

//  ---------------------------------------------------------------------
//  Real daemons and the command line with keys

typedef struct {
    char *dir;
    char data [600];            //  the hub's data dir
    th_cli_t cli;               //  its buyer port and CurveZMQ key (public file)
    int miner_port;
    ts_proc_t *hub;
    ts_proc_t *miners [2];
} s_grid_t;

static s_grid_t *s_live_grid = NULL;

static ts_proc_t *
s_grid_miner (s_grid_t *grid, const char *name, const char *keys)
{
    char id [64], data [700], hub [64], hub_key [800], labels [64], key_opt [800];
    snprintf (id, sizeof id, "miner/id=m-%s", name);
    snprintf (data, sizeof data, "%s/%s", grid->dir, name);
    snprintf (hub, sizeof hub, "tcp://127.0.0.1:%d", grid->miner_port);
    snprintf (hub_key, sizeof hub_key, "miner/hub_key=%s", grid->cli.hub_key);
    snprintf (labels, sizeof labels, "miner/labels=who=%s", name);
    snprintf (key_opt, sizeof key_opt, "security/keys=%s", keys);
    return ts_proc_start (grid->dir, name, "fogrid-miner", "--hub", hub, "--name", name,
                          "--data", data, "--cores", "1", "-o", id, "-o", "miner/price=100",
                          "-o", "miner/heartbeat_ms=200", "-o", labels, "-o", hub_key,
                          "-o", key_opt, NULL);
}

static bool
s_both_connected (void *arg)
{
    s_grid_t *grid = (s_grid_t *) arg;
    char keys [700];
    snprintf (keys, sizeof keys, "%s/alice.key", grid->dir);
    char *output = NULL;
    int rc = th_cli (&grid->cli, &output, keys, "miners");
    char *first = rc == 0? strstr (output, " connected "): NULL;
    bool both = first && strstr (first + 1, " connected ");
    free (output);
    return both;
}

//  Runs SQL on the database of a hub that is running, as someone with the
//  file could (waiting out the hub's own writes).
static void
s_sql_live (const char *dir, const char *sql)
{
    char path [700];
    snprintf (path, sizeof path, "%s/hub.db", dir);
    sqlite3 *db = NULL;
    CU_ASSERT_EQUAL_FATAL (sqlite3_open (path, &db), SQLITE_OK);
    sqlite3_busy_timeout (db, 5000);
    CU_ASSERT_EQUAL (sqlite3_exec (db, sql, NULL, NULL, NULL), SQLITE_OK);
    CU_ASSERT_EQUAL (sqlite3_changes (db), 1);
    sqlite3_close (db);
}

static void
test_grid (void)
{
    static s_grid_t grid;               //  static: s_suite_clean may need it
    memset (&grid, 0, sizeof grid);
    grid.dir = ts_tmpdir_new ("wallet-grid");
    s_live_grid = &grid;
    char alice [700], ops [700], ops_public [64];
    snprintf (alice, sizeof alice, "%s/alice.key", grid.dir);
    snprintf (ops, sizeof ops, "%s/ops.key", grid.dir);
    CU_ASSERT_EQUAL (ts_run (NULL, "for k in %s %s; do %s keygen $k >/dev/null 2>&1 || exit 1; "
                             "done", alice, ops, ts_bin ("fogrid")), 0);
    CU_ASSERT_EQUAL_FATAL (fg_security_read_key (ops, ops_public), 0);
    snprintf (grid.data, sizeof grid.data, "%s/hub", grid.dir);
    snprintf (grid.cli.hub_key, sizeof grid.cli.hub_key, "%s/keys/hub.key", grid.data);
    grid.cli.port = ts_free_port ();
    grid.cli.secure = true;
    grid.miner_port = ts_free_port ();
    char buyers [64], miners [64], admin [128];
    snprintf (buyers, sizeof buyers, "tcp://127.0.0.1:%d", grid.cli.port);
    snprintf (miners, sizeof miners, "tcp://127.0.0.1:%d", grid.miner_port);
    snprintf (admin, sizeof admin, "hub/admin_keys=%s", ops_public);
    grid.hub = ts_proc_start (grid.dir, "hub", "fogrid-hub", "--buyers", buyers,
                              "--miners", miners, "--locator", "", "--data", grid.data,
                              "-o", "hub/heartbeat_ms=200", "-o", "hub/disconnect_ms=600",
                              "-o", "hub/dead_ms=1200", "-o", "hub/open_deposits=1",
                              "-o", "hub/wallet_self_register=0", "-o", "hub/wallet_stake=5000",
                              "-o", "hub/pay_period_s=0", "-o", "hub/fee_percent=5",
                              "-o", admin, NULL);
    int64_t deadline = zclock_mono () + 5000;
    while (!zsys_file_exists (grid.cli.hub_key) && zclock_mono () < deadline)
        zclock_sleep (50);
    zclock_sleep (200);
    //  One miner of its own, one that runs with the hub's key
    char own_keys [700], self_keys [700];
    snprintf (own_keys, sizeof own_keys, "%s/other.key", grid.dir);
    grid.miners [0] = s_grid_miner (&grid, "other", own_keys);
    snprintf (self_keys, sizeof self_keys, "%s", grid.cli.hub_key);
    grid.miners [1] = s_grid_miner (&grid, "self", self_keys);
    bool up = ts_wait_for (s_both_connected, &grid, 15000);
    if (!up) {
        ts_proc_dump_log (grid.hub);
        ts_proc_dump_log (grid.miners [0]);
        ts_proc_dump_log (grid.miners [1]);
    }
    CU_ASSERT_FATAL (up);
    char *output = NULL;

    //  The wallet waits for the DAO: Alice's key is not it
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, alice, "admin wallet"), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "wallet    created"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "stake     5000"));
    free (output);
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, alice, "admin wallet register"), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "only the DAO"));
    free (output);
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, ops, "admin wallet register --reason 'stake seen'"), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "wallet    registered"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "register  created -> registered"));
    free (output);

    //  Alice pays the other miner; on the hub's own it runs unpaid
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, alice, "deposit 1000"), 0);
    free (output);
    char *paid = th_cli_submit (&grid.cli, alice, "--label who=other --wait -- true");
    CU_ASSERT_PTR_NOT_NULL_FATAL (paid);
    char *unpaid = th_cli_submit (&grid.cli, alice, "--label who=self --wait -- true");
    CU_ASSERT_PTR_NOT_NULL_FATAL (unpaid);
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, alice, "status %s", unpaid), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "runs with the hub's own key"));
    free (output);
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, alice, "receipt %s", unpaid), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "no receipt"));
    free (output);
    CU_ASSERT_EQUAL (th_cli_balance (&grid.cli, ops, "miner:m-self"), 0);
    CU_ASSERT_EQUAL (th_cli_balance (&grid.cli, ops, "miner:m-other"), 95);

    //  The receipt of the paid one, checked offline against the hub's key
    char path [700];
    snprintf (path, sizeof path, "%s/receipt.json", grid.dir);
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, alice, "receipt -o %s %s", path, paid), 0);
    free (output);
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, ops, "admin wallet"), 0);
    char ledger_key [65] = "";
    const char *at = strstr (output, "ledger    signed by ");
    if (at)
        snprintf (ledger_key, sizeof ledger_key, "%.64s", at + strlen ("ledger    signed by "));
    free (output);
    CU_ASSERT_EQUAL_FATAL (strlen (ledger_key), 64);
    CU_ASSERT_EQUAL (ts_run (&output, "%s verify-receipt --hub-key %s %s", ts_bin ("fogrid"),
                             ledger_key, path), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "paid 95 to miner m-other (fee 5)"));
    free (output);

    //  The owner (here the DAO's key: hub/owner_keys is empty) takes the
    //  fees; the DAO punishes; the stake goes to dao
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, alice, "admin wallet payday"), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "owner"));
    free (output);
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, ops, "admin wallet payday"), 0);
    free (output);
    CU_ASSERT_EQUAL (th_cli_balance (&grid.cli, ops, "owner"), 5);
    CU_ASSERT_EQUAL (th_cli_balance (&grid.cli, ops, "hub:fee"), 0);

    //  The books: only for the DAO; every account, summing to 0, the
    //  chain and the one receipt verified
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, alice, "admin books"), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "fogrid: books refused: reading the books needs a "
                                    "key in hub/admin_keys"));
    free (output);
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, ops, "admin books"), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "sum       0 (balanced)"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "entries, verified"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "receipts  1 stored, verified"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "books     hold"));
    CU_ASSERT_EQUAL (th_number_after (output, "  owner"), 5);
    CU_ASSERT_EQUAL (th_number_after (output, "  miner:m-other"), 95);
    CU_ASSERT_EQUAL (th_number_after (output, "  hub:wallet:frozen"), 5000);
    free (output);
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, ops, "admin books --json"), 0);
    json_error_t json_error;
    json_t *root = output? json_loads (output, 0, &json_error): NULL;
    CU_ASSERT_PTR_NOT_NULL (root);
    if (root) {
        CU_ASSERT_TRUE (json_is_true (json_object_get (root, "ok")));
        CU_ASSERT_EQUAL (json_integer_value (json_object_get (root, "sum")), 0);
        CU_ASSERT_EQUAL (json_integer_value (json_object_get (root, "receipts")), 1);
        CU_ASSERT_TRUE (json_is_true (json_object_get (root, "ledger_verified")));
        //  Its accounts add up to 0 here too
        int64_t sum = 0;
        size_t index;
        json_t *account;
        json_array_foreach (json_object_get (root, "accounts"), index, account)
            sum += json_integer_value (json_object_get (account, "balance"));
        CU_ASSERT_EQUAL (sum, 0);
        CU_ASSERT (index >= 5);
        json_decref (root);
    }
    free (output);
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, ops, "admin wallet punish"), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "reason"));
    free (output);
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, ops, "admin wallet punish --reason 'test'"), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "wallet    punished"));
    free (output);
    CU_ASSERT_EQUAL (th_cli_balance (&grid.cli, ops, "dao"), 5000);
    CU_ASSERT_EQUAL (th_cli_balance (&grid.cli, ops, "hub:wallet:frozen"), 0);

    for (int index = 0; index < 2; index++)
        CU_ASSERT_EQUAL (ts_proc_stop (&grid.miners [index], 5000), 0);

    //  A receipt changed in the database behind the running hub: the books
    //  say so, and the hub does not start again
    s_sql_live (grid.data, "UPDATE wallet_receipts SET receipt = replace (receipt, "
                           "'\"amount\": 95', '\"amount\": 950')");
    CU_ASSERT_EQUAL (th_cli (&grid.cli, &output, ops, "admin books"), 1);
    char fault [128];
    snprintf (fault, sizeof fault, "receipt of %s: it was changed or forged", paid);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, fault));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "1 do NOT hold"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "sum       0 (balanced)"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "books     DO NOT HOLD"));
    free (output);
    CU_ASSERT_EQUAL (ts_proc_stop (&grid.hub, 5000), 0);
    ts_proc_t *again = ts_proc_start (grid.dir, "hub-again", "fogrid-hub", "--buyers", buyers,
                                      "--miners", miners, "--locator", "", "--data", grid.data,
                                      "-o", admin, NULL);
    int64_t until = zclock_mono () + 10000;
    while (ts_proc_alive (again) && zclock_mono () < until)
        zclock_sleep (50);
    CU_ASSERT_FALSE (ts_proc_alive (again));
    char *log = ts_read_text (grid.dir, "hub-again.log");
    CU_ASSERT_PTR_NOT_NULL (log && strstr (log, "wallet check failed, not starting"));
    CU_ASSERT_PTR_NOT_NULL (log && strstr (log, fault));
    free (log);
    ts_proc_kill (&again);
    s_live_grid = NULL;
    CU_ASSERT_EQUAL (ts_run (NULL, "grep -q 'miner m-self runs with the hub.s own key' %s/hub.log",
                             grid.dir), 0);
    free (paid);
    free (unpaid);
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
test_hub_wallet_add (void)
{
    CU_pSuite suite = CU_add_suite ("hub_wallet", NULL, s_suite_clean);
    CU_add_test (suite, "the state table, who may drive it, paydays, punishment", test_states);
    CU_add_test (suite, "self-registration, closing, the punish account", test_close);
    CU_add_test (suite, "wallet rows changed in the database are found", test_tamper);
    CU_add_test (suite, "receipts: good, changed, signed by another key", test_receipts);
    CU_add_test (suite, "the hub actor: created pays nobody, registered pays with receipts",
                 test_actor);
    CU_add_test (suite, "real daemons: the DAO, the owner, the hub's own miner, receipts",
                 test_grid);
}
