/*  =========================================================================
    cli_monitor - the command line's live views

    `fogrid top` (the hub's miners, queue and rates, redrawn in place),
    `fogrid wait` for several tasks (progress until all end), and
    `fogrid health --all` (every hub the locators know).
    =========================================================================  */
#ifndef CLI_MONITOR_H_INCLUDED
#define CLI_MONITOR_H_INCLUDED

#include "cli_client.h"

//  Redraws every interval_ms, rounds times (0 = until interrupted).
//  Returns 0, or 1 when the hub cannot be asked.
int cli_monitor_top (cli_client_t *client, int interval_ms, int rounds);

//  Waits for every task, showing how many are done; returns 0 when all
//  succeeded, 1 when some failed or were cancelled (or cannot be asked).
int cli_monitor_wait (cli_client_t *client, char **task_ids, int count);

//  One line per hub registered as `hub` in the locators. Returns 0 when
//  every hub answered, 1 otherwise.
int cli_monitor_hubs (const char *locators, int timeout_ms);

#endif
