/*  =========================================================================
    fogrid-hub - the hub daemon: accepts buyers' tasks and runs them on miners

    A thin main: flags, config, its checks and security (common/fg_daemon),
    then the server actor until SIGINT/SIGTERM.
    =========================================================================  */
#include "fogrid.h"
#include "hub_server.h"

static const fg_flag_t s_flags [] = {
    { "--buyers", "hub/buyer_endpoint", "ENDPOINT" },
    { "--miners", "hub/miner_endpoint", "ENDPOINT" },
    { "--locator", "locator/endpoints", "ENDPOINTS" },
    { "--data", "hub/data_dir", "DIR" },
    { NULL, NULL, NULL }
};

static const fg_daemon_info_t s_info = {
    .program = "fogrid-hub",
    .summary = "the fogrid hub: schedules buyers' tasks onto miners",
    .defs = hub_config_defs,
    .flags = s_flags,
    .check = hub_config_check,
    .data_dir_key = "hub/data_dir",
    .key_name = "hub",
};

int
main (int argc, char *argv [])
{
    zsys_init ();
    zsys_set_logstream (stderr);
    zsys_set_logident ("fogrid-hub");
    int exit_code = 0;
    fg_config_t *config = fg_daemon_setup (&s_info, argc, argv, &exit_code);
    if (!config)
        return exit_code;
    hub_server_args_t args = { .config = config };
    zactor_t *hub = zactor_new (hub_server_actor, &args);
    if (args.rc) {
        fprintf (stderr, "fogrid-hub: %s\n", args.error);
        exit_code = 1;
    }
    else {
        //  1 means the actor stopped by itself: a failure
        exit_code = fg_daemon_wait (hub);
        if (exit_code == 0)
            zsys_info ("fogrid-hub: interrupted, stopping");
    }
    zactor_destroy (&hub);
    fg_daemon_end (&config);
    return exit_code;
}
