/*  =========================================================================
    fogrid-locator - the locator daemon: where everything finds everything

    A thin main: flags, config, its checks and security (common/fg_daemon),
    then the server actor until SIGINT/SIGTERM.
    =========================================================================  */
#include "fogrid.h"
#include "loc_server.h"

static const fg_flag_t s_flags [] = {
    { "--bind", "locator/endpoint", "ENDPOINT" },
    { "--dns", "locator/dns", "HOST:PORT" },
    { "--http", "locator/http", "HOST:PORT" },
    { "--data", "locator/data_dir", "DIR" },
    { NULL, NULL, NULL }
};

static const fg_daemon_info_t s_info = {
    .program = "fogrid-locator",
    .summary = "the fogrid locator: resolves service names to live endpoints",
    .defs = loc_server_defs,
    .flags = s_flags,
    .check = loc_server_check_config,
    .data_dir_key = "locator/data_dir",
    .key_name = "locator",
};

int
main (int argc, char *argv [])
{
    zsys_init ();
    zsys_set_logstream (stderr);
    zsys_set_logident ("fogrid-locator");
    int exit_code = 0;
    fg_config_t *config = fg_daemon_setup (&s_info, argc, argv, &exit_code);
    if (!config)
        return exit_code;
    loc_server_args_t args = { .config = config };
    zactor_t *locator = zactor_new (loc_server_actor, &args);
    if (args.rc) {
        fprintf (stderr, "fogrid-locator: %s\n", args.error);
        exit_code = 1;
    }
    else {
        //  1 means the actor stopped by itself: a failure
        exit_code = fg_daemon_wait (locator);
        if (exit_code == 0)
            zsys_info ("fogrid-locator: interrupted, stopping");
    }
    zactor_destroy (&locator);
    fg_daemon_end (&config);
    return exit_code;
}
