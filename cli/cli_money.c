/*  =========================================================================
    cli_money - the money's commands of the `fogrid` command line
    =========================================================================  */
#include "fogrid.h"
#include "cli_client.h"
#include "cli_money.h"
#include "cli_spec.h"
#include "cli_doc.h"
#include "fg_receipt.h"

//  ---------------------------------------------------------------------
//  deposit, withdraw, wallet

static int
s_cmd_deposit (const cli_opts_t *opts, int argc, char **argv)
{
    bool deposit = streq (argv [0], "deposit");
    const char *token_arg = NULL, *amount_arg = NULL;
    bool bad = false;
    for (int index = 1; index < argc; index++) {
        if (streq (argv [index], "--token") && index + 1 < argc)
            token_arg = argv [++index];
        else
        if (argv [index][0] != '-' && !amount_arg)
            amount_arg = argv [index];
        else
            bad = true;
    }
    uint64_t amount = 0;
    if (cli_wants_help (argc, argv) || bad || !amount_arg
    ||  !cli_parse_uint (amount_arg, INT64_MAX, &amount) || amount == 0) {
        fprintf (stderr, "usage: fogrid %s [--token TOKEN] AMOUNT\n"
                 "  AMOUNT in the smallest unit (1 or more); the same TOKEN never moves money "
                 "twice\n", argv [0]);
        return cli_wants_help (argc, argv)? 0: 2;
    }
    char token [64];
    fg_id_new (deposit? "dep": "wd", token, sizeof token);
    cli_client_t *client = cli_client_connect (opts);
    if (!client)
        return 1;
    fg_env_t *reply = NULL;
    Fogrid__TransferReply *done = deposit
        ? cli_client_deposit (client, amount, token_arg? token_arg: token, &reply)
        : cli_client_withdraw (client, amount, token_arg? token_arg: token, &reply);
    int rc = done? 0: cli_client_failed (client, argv [0]);
    if (done)
        printf ("%s: %s%" PRIu64 ", balance %" PRId64 "%s\n", done->transfer_id,
                deposit? "+": "-", amount, done->balance,
                done->duplicate? " (done before: nothing moved now)": "");
    fg_msg_free (&reply);
    cli_client_destroy (&client);
    return rc;
}

static int
s_cmd_wallet (const cli_opts_t *opts, int argc, char **argv)
{
    const char *account = "";
    uint64_t limit = 20;
    for (int index = 1; index < argc; index++) {
        if (streq (argv [index], "--account") && index + 1 < argc)
            account = argv [++index];
        else
        if (streq (argv [index], "--limit") && index + 1 < argc
        &&  cli_parse_uint (argv [index + 1], 1000, &limit))
            index++;
        else {
            fprintf (stderr, "usage: fogrid wallet [--account ACCOUNT] [--limit N]\n"
                     "  your account (buyer:YOURKEY), the escrow held for your unfinished\n"
                     "  tasks and the latest N entries (default 20, at most 1000); other\n"
                     "  accounts (miner:ID, hub:fee, ...) for keys in the hub's admin_keys\n");
            return cli_wants_help (argc, argv)? 0: 2;
        }
    }
    cli_client_t *client = cli_client_connect (opts);
    if (!client)
        return 1;
    fg_env_t *reply = NULL;
    Fogrid__BalanceReply *wallet = cli_client_balance (client, account, (uint32_t) limit, &reply);
    int rc = wallet? 0: cli_client_failed (client, "wallet");
    if (wallet && wallet->n_accounts) {
        const char *name = wallet->accounts [0]->name;
        printf ("account   %s\n", name);
        printf ("balance   %" PRId64 "\n", wallet->accounts [0]->balance);
        int64_t held = 0;
        for (size_t i = 1; i < wallet->n_accounts; i++)
            held += wallet->accounts [i]->balance;
        if (wallet->n_accounts > 1) {
            printf ("escrow    %" PRId64 " held for %zu unfinished tasks\n", held,
                    wallet->n_accounts - 1);
            for (size_t i = 1; i < wallet->n_accounts; i++)
                printf ("  %-24s %" PRId64 "\n", wallet->accounts [i]->name,
                        wallet->accounts [i]->balance);
        }
        printf ("ledger    signed by %s\n", wallet->ledger_key);
        printf ("history   (newest first)\n");
        for (size_t i = 0; i < wallet->n_entries; i++) {
            Fogrid__LedgerEntry *entry = wallet->entries [i];
            char when [32];
            fg_time_format ((int64_t) entry->at_ms, when, sizeof when);
            bool in = streq (entry->to, name);
            printf ("  %s  #%-5" PRIu64 " %c%-10" PRId64 " %-28s %s %s\n", when, entry->seq,
                    in? '+': '-', entry->amount, entry->id, in? "from": "to",
                    in? entry->from: entry->to);
        }
        if (wallet->n_entries == 0)
            printf ("  (no entries)\n");
    }
    fg_msg_free (&reply);
    cli_client_destroy (&client);
    return rc;
}

//  ---------------------------------------------------------------------
//  admin wallet, receipt, verify-receipt

static const char *s_admin_help =
    "usage: fogrid admin wallet [ACTION] [--reason TEXT]\n\n"
    "the hub's wallet (hub/hub_wallet.h); ACTION is one of\n"
    "  status     its state, accounts and latest transitions (default; anyone)\n"
    "  register   created -> registered: it may take paid work     (the DAO)\n"
    "  suspect    registered -> suspected: no payday, no close     (the DAO, --reason)\n"
    "  clear      suspected -> registered                          (the DAO)\n"
    "  punish     -> punished: its stake goes to hub/punish_account (the DAO, --reason)\n"
    "  payday     hub:fee and hub:wallet:free -> owner, once per hub/pay_period_s\n"
    "                                                              (the owner)\n"
    "  close      -> closed: every hub account -> owner, when no escrow is held\n"
    "                                                              (the owner)\n"
    "the DAO: a key in the hub's hub/admin_keys; the owner: one in hub/owner_keys\n"
    "(or hub/admin_keys when that is empty)\n\n"
    "fogrid admin registry ACTION HUB_ID ...: the hub registry the locators keep\n"
    "(fogrid admin registry --help)\n\n"
    "fogrid admin books [--json]: every account, their sum, the ledger and the\n"
    "receipts verified (fogrid admin books --help)\n";

static void
s_print_wallet (Fogrid__WalletReply *wallet)
{
    char when [32];
    fg_time_format ((int64_t) wallet->since_ms, when, sizeof when);
    printf ("wallet    %s since %s\n", wallet->state, when);
    printf ("hub       %s\n", wallet->hub_id);
    printf ("ledger    signed by %s\n", wallet->ledger_key);
    printf ("stake     %" PRId64 " (hub:wallet:frozen; to %s if punished)\n", wallet->frozen,
            wallet->punish_account);
    printf ("free      %" PRId64 " (hub:wallet:free)\n", wallet->free_funds);
    printf ("fees      %" PRId64 " (hub:fee, the owner's at payday)\n", wallet->fees);
    printf ("owner     %" PRId64 "\n", wallet->owner);
    if (wallet->next_payday_ms) {
        char last [32], next [32];
        fg_time_format ((int64_t) wallet->last_payday_ms, last, sizeof last);
        fg_time_format ((int64_t) wallet->next_payday_ms, next, sizeof next);
        bool due = (int64_t) wallet->next_payday_ms <= fg_now_ms ();
        printf ("payday    every %" PRIu64 " s; last %s; next %s\n", wallet->pay_period_s, last,
                due? "now": next);
    }
    else
        printf ("payday    none while %s\n", wallet->state);
    printf ("history   (newest first)\n");
    for (size_t i = 0; i < wallet->n_events; i++) {
        Fogrid__WalletEvent *event = wallet->events [i];
        fg_time_format ((int64_t) event->at_ms, when, sizeof when);
        printf ("  %s  #%-3" PRIu64 " %-9s %s -> %s by %.40s%s%s\n", when, event->seq,
                event->event, event->from, event->to, event->by, *event->reason? ": ": "",
                event->reason);
        for (size_t id = 0; id < event->n_transfers; id++)
            printf ("                     ledger %s\n", event->transfers [id]);
    }
}

static int
s_cmd_receipt (const cli_opts_t *opts, int argc, char **argv)
{
    const char *task, *file;
    if (cli_wants_help (argc, argv) || !cli_doc_fetch_args (argc, argv, &task, &file)) {
        fprintf (cli_wants_help (argc, argv)? stdout: stderr,
                 "usage: fogrid receipt [-o FILE] TASK\n"
                 "  the hub's signed receipt of what it paid the task's miner (JSON), on\n"
                 "  stdout or in FILE; check it with fogrid verify-receipt\n");
        return cli_wants_help (argc, argv)? 0: 2;
    }
    cli_client_t *client = cli_client_connect (opts);
    if (!client)
        return 1;
    fg_env_t *reply = NULL;
    Fogrid__ReceiptReply *receipt = cli_client_receipt (client, task, &reply);
    int rc = receipt? cli_doc_write (receipt->receipt, file): cli_client_failed (client, "receipt");
    if (receipt && file && rc == 0)
        fprintf (stderr, "receipt of %s in %s\n", task, file);
    fg_msg_free (&reply);
    cli_client_destroy (&client);
    return rc;
}

static int
s_cmd_verify_receipt (const cli_opts_t *opts, int argc, char **argv)
{
    (void) opts;
    const char *file, *hub_key;
    if (cli_wants_help (argc, argv) || !cli_doc_verify_args (argc, argv, &file, &hub_key)) {
        fprintf (cli_wants_help (argc, argv)? stdout: stderr,
                 "usage: fogrid verify-receipt --hub-key KEY FILE\n"
                 "  checks a receipt (from fogrid receipt, or the hub's answer to a miner's\n"
                 "  result) offline: its signature by the key it names, and that this key is\n"
                 "  KEY, the hub's ledger key (64 hex digits, as fogrid wallet and fogrid\n"
                 "  admin wallet show it). FILE - reads stdin. Exits 0 when it holds, 1 when\n"
                 "  not\n");
        return cli_wants_help (argc, argv)? 0: 2;
    }
    char *json = cli_doc_read (file, 65536);
    if (!json)
        return 1;
    fg_receipt_t receipt;
    char err [300];
    int rc = fg_receipt_parse (&receipt, json, err, sizeof err) == 0
          && fg_receipt_verify (&receipt, hub_key, err, sizeof err) == 0? 0: 1;
    free (json);
    if (rc) {
        char what [300];
        snprintf (what, sizeof what, "verify-receipt %s", file);
        cli_error (what, err);
        return 1;
    }
    char when [32];
    fg_time_format (receipt.at_ms, when, sizeof when);
    printf ("receipt OK: task %s attempt %u paid %" PRId64 " to miner %s (fee %" PRId64 "), "
            "ledger entry #%" PRId64 " %s at %s, signed by hub %s (key %.16s...)\n",
            receipt.task_id, receipt.attempt, receipt.amount, receipt.miner_id, receipt.fee,
            receipt.entry_seq, receipt.entry_id, when, receipt.hub_id, receipt.hub_key);
    return 0;
}

//  One update of a watch: the pages and LocDone (or an Error) that follow

int
cli_money_admin (const cli_opts_t *opts, int argc, char **argv)
{
    const char *action = NULL, *reason = "";
    bool bad = argc < 2 || !streq (argv [1], "wallet");
    for (int index = 2; index < argc && !bad; index++) {
        if (streq (argv [index], "--reason") && index + 1 < argc)
            reason = argv [++index];
        else
        if (argv [index][0] != '-' && !action)
            action = argv [index];
        else
            bad = true;
    }
    if (!action)
        action = "status";
    if (cli_wants_help (argc, argv) || bad) {
        fprintf (cli_wants_help (argc, argv)? stdout: stderr, "%s", s_admin_help);
        return cli_wants_help (argc, argv)? 0: 2;
    }
    char full [64];
    snprintf (full, sizeof full, "wallet/%s", action);
    cli_client_t *client = cli_client_connect (opts);
    if (!client)
        return 1;
    fg_env_t *reply = NULL;
    Fogrid__WalletReply *wallet = cli_client_admin (client, full, reason, &reply);
    //  The hub's refusals name the action ("wallet punish refused: ...")
    int rc = wallet? 0: cli_client_failed (client, "admin");
    if (wallet)
        s_print_wallet (wallet);
    fg_msg_free (&reply);
    cli_client_destroy (&client);
    return rc;
}


int
cli_money_main (const cli_opts_t *opts, int argc, char **argv)
{
    if (streq (argv [0], "wallet"))
        return s_cmd_wallet (opts, argc, argv);
    if (streq (argv [0], "receipt"))
        return s_cmd_receipt (opts, argc, argv);
    if (streq (argv [0], "verify-receipt"))
        return s_cmd_verify_receipt (opts, argc, argv);
    return s_cmd_deposit (opts, argc, argv);    //  deposit, withdraw
}
