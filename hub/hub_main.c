/*  =========================================================================
    fogrid-hub - the hub daemon: accepts buyers' tasks and runs them on miners

    A thin main: flags and config (common/fg_daemon), the extra checks of
    -t, security, then the server actor until SIGINT/SIGTERM.
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
    .defs = hub_server_defs,
    .flags = s_flags,
};

//  True when option arg takes a value (so the next word is not a flag).
static bool
s_takes_value (const char *arg)
{
    if (streq (arg, "-f") || streq (arg, "--config") || streq (arg, "-o") || streq (arg, "--set"))
        return true;
    for (const fg_flag_t *flag = s_flags; flag->flag; flag++)
        if (streq (arg, flag->flag))
            return true;
    return false;
}

int
main (int argc, char *argv [])
{
    zsys_init ();
    zsys_set_logstream (stderr);
    zsys_set_logident ("fogrid-hub");

    //  -t is ours to answer: fg_daemon_setup checks each value's type, and
    //  the hub also checks how values fit together (and the data dir)
    bool test_only = false;
    const char *config_file = NULL;
    char **args = (char **) zmalloc (sizeof (char *) * (argc + 1));
    int count = 0;
    for (int index = 0; index < argc; index++) {
        if (index > 0 && (streq (argv [index], "-t") || streq (argv [index], "--test"))) {
            test_only = true;
            continue;
        }
        args [count++] = argv [index];
        if (index > 0 && s_takes_value (argv [index]) && index + 1 < argc) {
            if (streq (argv [index], "-f") || streq (argv [index], "--config"))
                config_file = argv [index + 1];
            args [count++] = argv [++index];
        }
    }
    int exit_code = 0;
    fg_config_t *config = fg_daemon_setup (&s_info, count, args, &exit_code);
    free (args);
    if (!config)
        return exit_code;

    char err [512];
    if (hub_server_check_config (config, err, sizeof err)) {
        fprintf (stderr, "fogrid-hub: configuration error: %s\n", err);
        fg_config_destroy (&config);
        return 1;
    }
    if (test_only) {
        printf ("fogrid-hub: configuration %s is valid\n", config_file? config_file: "(defaults)");
        fg_config_destroy (&config);
        return 0;
    }
    char *keys = zsys_sprintf ("%s/keys/hub.key", fg_config_str (config, "hub/data_dir"));
    int rc = fg_security_init (config, keys, false, err, sizeof err);
    zstr_free (&keys);
    if (rc) {
        fprintf (stderr, "fogrid-hub: security: %s\n", err);
        fg_config_destroy (&config);
        return 1;
    }
    hub_server_args_t server_args = { .config = config };
    zactor_t *hub = zactor_new (hub_server_actor, &server_args);
    if (server_args.rc) {
        fprintf (stderr, "fogrid-hub: %s\n", server_args.error);
        exit_code = 1;
    }
    else {
        //  1 means the actor stopped by itself: a failure
        exit_code = fg_daemon_wait (hub);
        if (exit_code == 0)
            zsys_info ("fogrid-hub: interrupted, stopping");
    }
    zactor_destroy (&hub);
    fg_security_term ();
    fg_config_destroy (&config);
    return exit_code;
}
