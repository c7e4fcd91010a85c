/*  =========================================================================
    cli_books - `fogrid admin books`: the hub's books totalled and checked
    =========================================================================  */
#include "fogrid.h"
#include "cli_books.h"
#include "cli_spec.h"

//  True when the books hold: the sum is 0, the chain and every receipt verified
static bool
s_books_hold (Fogrid__BooksReply *books)
{
    return books->sum == 0 && !books->sum_overflow && books->ledger_ok
        && books->receipt_faults == 0;
}

static void
s_print_json (Fogrid__BooksReply *books)
{
    json_t *accounts = json_array ();
    for (size_t index = 0; index < books->n_accounts; index++)
        json_array_append_new (accounts, json_pack ("{s:s, s:I}",
            "name", books->accounts [index]->name,
            "balance", (json_int_t) books->accounts [index]->balance));
    json_t *faults = json_array ();
    for (size_t index = 0; index < books->n_faults; index++)
        json_array_append_new (faults, json_string (books->faults [index]));
    json_t *root = json_pack ("{s:s, s:s, s:o, s:I, s:I, s:b, s:b, s:I, s:b, s:s, s:I, s:I, s:b, "
                              "s:o, s:b}",
        "hub_id", books->hub_id,
        "ledger_key", books->ledger_key,
        "accounts", accounts,
        "zero_accounts", (json_int_t) books->zero_accounts,
        "sum", (json_int_t) books->sum,
        "sum_overflow", books->sum_overflow,
        "balanced", books->sum == 0 && !books->sum_overflow,
        "entries", (json_int_t) books->entries,
        "ledger_verified", books->ledger_ok,
        "ledger_error", books->ledger_error,
        "receipts", (json_int_t) books->receipts,
        "receipt_faults", (json_int_t) books->receipt_faults,
        "receipts_verified", books->receipt_faults == 0,
        "faults", faults,
        "ok", s_books_hold (books));
    char *text = root? json_dumps (root, JSON_INDENT (2) | JSON_PRESERVE_ORDER): NULL;
    if (text)
        printf ("%s\n", text);
    free (text);
    json_decref (root);
}

static void
s_print_text (Fogrid__BooksReply *books)
{
    printf ("hub       %s\n", books->hub_id);
    printf ("ledger    signed by %s\n", books->ledger_key);
    printf ("accounts  %zu holding something", books->n_accounts);
    if (books->zero_accounts)
        printf (", %" PRIu64 " at 0 (not shown)", books->zero_accounts);
    printf ("\n");
    for (size_t index = 0; index < books->n_accounts; index++)
        printf ("  %-40s %20" PRId64 "\n", books->accounts [index]->name,
                books->accounts [index]->balance);
    if (books->sum_overflow)
        printf ("sum       NOT BALANCED: the sum leaves the int64 range\n");
    else
    if (books->sum)
        printf ("sum       %" PRId64 ": NOT BALANCED (it must be 0)\n", books->sum);
    else
        printf ("sum       0 (balanced)\n");
    if (books->ledger_ok)
        printf ("chain     %" PRIu64 " entries, verified: hashes, signatures, head, "
                "balances\n", books->entries);
    else
        printf ("chain     %" PRIu64 " entries, NOT verified: %s\n", books->entries,
                books->ledger_error);
    if (books->receipt_faults == 0)
        printf ("receipts  %" PRIu64 " stored, verified against the ledger key and their "
                "entries\n", books->receipts);
    else {
        printf ("receipts  %" PRIu64 " stored, %" PRIu64 " do NOT hold:\n", books->receipts,
                books->receipt_faults);
        for (size_t index = 0; index < books->n_faults; index++)
            printf ("  %s\n", books->faults [index]);
        if (books->n_faults < books->receipt_faults)
            printf ("  (and %" PRIu64 " more: see the hub's log)\n",
                    books->receipt_faults - books->n_faults);
    }
    printf ("books     %s\n", s_books_hold (books)? "hold": "DO NOT HOLD");
}

int
cli_books (cli_client_t *client, bool json)
{
    fg_env_t *reply = NULL;
    Fogrid__BooksReply *books = cli_client_books (client, &reply);
    if (!books)
        return cli_client_failed (client, "books");
    if (json)
        s_print_json (books);
    else
        s_print_text (books);
    int rc = s_books_hold (books)? 0: 1;
    fg_msg_free (&reply);
    return rc;
}

static const char *s_books_help =
    "usage: fogrid admin books [--json]\n\n"
    "the hub's books, for a key in its hub/admin_keys: every account that holds\n"
    "something, their sum (it must be 0: money only moves between accounts, world\n"
    "included), the ledger's hash chain walked (hashes, signatures, signed head,\n"
    "balances) and every stored receipt checked against the ledger key and the\n"
    "entry it names. Exits 0 when all of that holds, 1 when not.\n"
    "  --json   one JSON object (\"ok\": true when the books hold)\n";

int
cli_books_main (const cli_opts_t *opts, int argc, char **argv)
{
    bool json = false, bad = false;
    for (int index = 1; index < argc; index++)
        if (streq (argv [index], "--json"))
            json = true;
        else
            bad = true;
    if (cli_wants_help (argc, argv) || bad) {
        fprintf (cli_wants_help (argc, argv)? stdout: stderr, "%s", s_books_help);
        return cli_wants_help (argc, argv)? 0: 2;
    }
    cli_client_t *client = cli_client_connect (opts);
    if (!client)
        return 1;
    int rc = cli_books (client, json);
    cli_client_destroy (&client);
    return rc;
}

