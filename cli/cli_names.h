/*  =========================================================================
    cli_names - the locators' names in the `fogrid` command line: resolve,
    services and watch

    These talk to the locators only, never to a hub: resolve asks for one
    name's endpoints and functions, services lists the names, watch keeps
    a lease on a name and prints each update the locator pushes.

        fogrid resolve --policy least-loaded echo
        fogrid watch --for 60 echo
    =========================================================================  */
#ifndef CLI_NAMES_H_INCLUDED
#define CLI_NAMES_H_INCLUDED

#include "cli_client.h"

//  Runs argv [0] (resolve, services or watch) with its arguments.
//  Returns the exit status: 0 done, 1 not found or no locator answers,
//  2 bad usage.
int cli_names_main (const cli_opts_t *opts, int argc, char **argv);

#endif
