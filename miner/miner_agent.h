/*  =========================================================================
    miner_agent - the miner daemon as an actor

    Finds a hub (configured, or `hub-miner` through the locators), says
    hello with this machine's resources, heartbeats its load, runs the
    tasks it is assigned (one miner_runner each) and reports their results;
    with miner/hub_count N, does so for N hubs at once, each offered its
    share of the machine (miner_link.h).
    main() (and the tests) start it with zactor_new; the actor fills
    args.rc (and args.error) before it signals, so the caller learns at once
    whether it could start:

        miner_agent_args_t args = { .config = config };
        zactor_t *miner = zactor_new (miner_agent_actor, &args);
        if (args.rc) { ...args.error...; }
        ...
        zactor_destroy (&miner);    //  kills every running task, reaps it

    Pipe commands (for tests and main):
        $TERM               kill every task, send nothing more, stop
        STATUS  -> "i"      tasks held (running, or killed and not reaped yet),
                            for every hub
        ID      -> "s"      the miner id
        HUB     -> "s"      endpoint of the current hub, "" when none
        STATE   -> "s"      "no-hub", "check", "hello" or "ready"
        HTTP    -> "i"      the port miner/http serves on (its :0 made real),
                            0 when off
    With several hubs, HUB and STATE speak of the hub link furthest along
    (ready, else hello, else check).
    =========================================================================  */
#ifndef MINER_AGENT_H_INCLUDED
#define MINER_AGENT_H_INCLUDED

typedef struct {
    fg_config_t *config;        //  settings from miner_agent_defs (not changed)
    int rc;                     //  set before the actor signals: 0 = running
    char error [256];           //  why it is not, when rc != 0
} miner_agent_args_t;

//  Every setting the miner reads, with defaults: main() builds its config
//  from this table, and so do the tests.
extern const fg_cfg_def_t miner_agent_defs [];

void miner_agent_actor (zsock_t *pipe, void *args);

//  Checks what the table's types cannot: label syntax, endpoint syntax,
//  the id and name, the runtime, a hub key when security is on. Returns 0,
//  or -1 with the reason in err.
int miner_agent_check_config (fg_config_t *config, char *err, size_t err_size);

#endif
