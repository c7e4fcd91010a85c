/*  =========================================================================
    loc_server - the locator daemon as an actor

    One ROUTER socket for the locator conversation (register, heartbeat,
    unregister, resolve, watch), and optionally DNS (UDP and TCP) and an
    HTTP JSON API over the same registry, all driven from one thread.
    main() and the tests start it the same way:

        loc_server_args_t args = { .config = config };
        zactor_t *locator = zactor_new (loc_server_actor, &args);
        if (args.rc) { ...args.error...; zactor_destroy (&locator); }

    Pipe commands: $TERM; PORT -> "i" the ROUTER's port; PORTS -> "iii"
    locator, DNS and HTTP ports (0 when off); STATS -> "iiii" names,
    endpoints, owners, watches.
    =========================================================================  */
#ifndef LOC_SERVER_H_INCLUDED
#define LOC_SERVER_H_INCLUDED

typedef struct {
    fg_config_t *config;        //  settings from loc_server_defs (not changed)
    int rc;                     //  set before the actor signals: 0 = serving
    char error [256];           //  why it is not, when rc != 0
} loc_server_args_t;

extern const fg_cfg_def_t loc_server_defs [];

void loc_server_actor (zsock_t *pipe, void *args);

//  Checks what the table's types cannot. Returns 0, or -1 with the reason
//  in err.
int loc_server_check_config (fg_config_t *config, char *err, size_t err_size);

#endif
