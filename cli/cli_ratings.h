/*  =========================================================================
    cli_ratings - `fogrid ratings`: the hubs a miner knows, as it rates them

    Asks a miner's HTTP API (GET /api/v1/hubs, miner/miner_http.h; by
    default the miner on this machine, 127.0.0.1:7782) and prints one row
    per hub: its rating from the miner's own payment history, the
    payments seen, whether the miner trusts it (rated above
    miner/trust_level), and how its last check ended and why.
    =========================================================================  */
#ifndef CLI_RATINGS_H_INCLUDED
#define CLI_RATINGS_H_INCLUDED

//  `fogrid ratings [--miner HOST:PORT|URL] [--json]`; argv [0] is
//  "ratings". Returns the exit status: 0 shown, 1 the miner cannot be
//  asked (or answered something else), 2 bad usage.
int cli_ratings (int timeout_ms, int argc, char **argv);

#endif
