/*  =========================================================================
    cli_service - the services' commands of the `fogrid` command line:
    run-service, stop-service and call

    run-service submits a service task through the hub (a container the
    miner keeps in the locator while it is healthy); stop-service cancels
    it; call is the buyer's path to a service, the seed's five steps:
    connect to a locator, ask it for NAME, receive the endpoints with the
    protocol and the functions, receive its "done", then call the function
    at an endpoint directly.
    =========================================================================  */
#ifndef CLI_SERVICE_H_INCLUDED
#define CLI_SERVICE_H_INCLUDED

#include "cli_client.h"

//  Runs argv [0] (run-service, stop-service or call) with its arguments;
//  returns the exit status: 0 done, 1 the grid or the service refused or
//  failed, 2 bad usage.
int cli_service_main (const cli_opts_t *opts, int argc, char **argv);

#endif
