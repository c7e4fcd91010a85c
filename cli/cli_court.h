/*  =========================================================================
    cli_court - the court's commands: challenge a result, fetch and check a
    verdict, put down or take back a miner's stake

        fogrid challenge TASK                       #  deposit held, checks queued
        fogrid verdict [-o FILE] TASK               #  the signed verdict (JSON)
        fogrid verify-verdict --hub-key KEY FILE    #  offline: exit 0 when it holds
        fogrid stake deposit|withdraw [--token T] MINER AMOUNT
    =========================================================================  */
#ifndef CLI_COURT_H_INCLUDED
#define CLI_COURT_H_INCLUDED

#include "cli_client.h"

//  True for a command of this file (argv [0]); verify-verdict needs no hub.
bool cli_court_command (const char *name);
bool cli_court_offline (const char *name);

//  Runs it (client NULL for an offline one). Returns the exit status: 0
//  done, 1 refused or failed (said on stderr), 2 bad usage.
int cli_court (cli_client_t *client, int argc, char **argv);

#endif
