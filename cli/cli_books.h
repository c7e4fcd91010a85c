/*  =========================================================================
    cli_books - `fogrid admin books`: the hub's books totalled and checked

    Asks the hub (with an admin key) for its books: every account that
    holds something, the sum over all of them, which must be 0 (money
    only moves between accounts, `world` included), the ledger's hash
    chain walked, and every stored receipt checked against the ledger key
    and the entry it names. Prints them for people, or as one JSON object.

        fogrid admin books            #  exit 0 when everything holds
        fogrid admin books --json     #  the same, for scripts
    =========================================================================  */
#ifndef CLI_BOOKS_H_INCLUDED
#define CLI_BOOKS_H_INCLUDED

#include "cli_client.h"

//  Asks the hub and prints the answer. Returns 0 when the books hold
//  (sum 0, the chain verified, every receipt verified), 1 when they do
//  not or the hub refused (said on stderr).
int cli_books (cli_client_t *client, bool json);

//  `fogrid admin books [--json]`; argv [0] is "books". Connects, then as
//  cli_books; 2 for bad usage.
int cli_books_main (const cli_opts_t *opts, int argc, char **argv);

#endif
