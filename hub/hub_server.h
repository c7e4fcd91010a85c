/*  =========================================================================
    hub_server - the hub daemon as an actor

    Two ROUTER sockets, one for buyers and one for miners, a task store, a
    miner table and a scheduler, all driven from one thread. main() (and
    the tests) start it with zactor_new (hub_server_actor, &args); the
    actor fills args.rc (and args.error) before it signals, so the caller
    learns at once whether the sockets bound and the store opened:

        hub_server_args_t args = { .config = config };
        zactor_t *hub = zactor_new (hub_server_actor, &args);
        if (args.rc) { ...args.error...; zactor_destroy (&hub); }

    Pipe commands: $TERM; PORTS -> "ii" buyer port, miner port; HTTP -> "i"
    the port hub/http serves on (0 when off); STATUS -> "sss" connected
    miners, pending tasks, running tasks (for systemd's STATUS= line).
    =========================================================================  */
#ifndef HUB_SERVER_H_INCLUDED
#define HUB_SERVER_H_INCLUDED

typedef struct {
    fg_config_t *config;        //  settings from hub_config_defs (not changed)
    int rc;                     //  set before the actor signals: 0 = serving
    char error [512];           //  why it is not, when rc != 0
} hub_server_args_t;

#include "hub_config.h"

//  (the settings table and its checks are hub_config's: hub_config_defs,
//  hub_config_check)

void hub_server_actor (zsock_t *pipe, void *args);

#endif
