/*  =========================================================================
    cli_money - the money's commands of the `fogrid` command line: deposit,
    withdraw, wallet, receipt, verify-receipt and admin wallet

    Each moves or shows what the hub's ledger holds (hub/hub_wallet.h and
    the ledger behind it): a buyer's account and escrow, the hub's own
    wallet for its DAO and owner, and the signed receipt of a payout,
    which verify-receipt checks offline against the hub's ledger key.

        fogrid deposit 1000                         #  hubs with open deposits
        fogrid receipt -o r.json t-0123456789ab
        fogrid verify-receipt --hub-key KEY r.json  #  exit 0 when it holds
    =========================================================================  */
#ifndef CLI_MONEY_H_INCLUDED
#define CLI_MONEY_H_INCLUDED

#include "cli_client.h"

//  Runs argv [0] (deposit, withdraw, wallet, receipt or verify-receipt)
//  with its arguments. Returns the exit status: 0 done, 1 the hub
//  refused or failed (or the receipt does not hold), 2 bad usage.
int cli_money_main (const cli_opts_t *opts, int argc, char **argv);

//  `fogrid admin wallet [ACTION] [--reason TEXT]`; argv [0] is "admin".
//  Its help also names admin registry and admin books, which are not
//  this file's. Returns as cli_money_main.
int cli_money_admin (const cli_opts_t *opts, int argc, char **argv);

#endif
