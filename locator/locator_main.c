/*  =========================================================================
    fogrid-locator - the locator daemon: where everything finds everything

    A thin main: flags, config, its checks and security (common/fg_daemon),
    then the server actor until SIGINT/SIGTERM.
    =========================================================================  */
#include "fogrid.h"
#include "loc_server.h"

//  The locator keeps its key pair (unless security/keys names one) and its
//  hub registry (with admin keys, or one kept from before) in its data
//  directory; with neither it does not touch the directory, so it makes
//  and locks none: several may run from one working directory
static bool
s_uses_data_dir (fg_config_t *config)
{
    char registry [PATH_MAX];
    snprintf (registry, sizeof registry, "%s/registry.db",
              fg_config_str (config, "locator/data_dir"));
    return zsys_file_exists (registry) || *fg_config_str (config, "locator/admin_keys")
        || (!fg_config_bool (config, "security/insecure")
            && !*fg_config_str (config, "security/keys"));
}

//  systemd's STATUS= line (fg_daemon): "12 names, 30 endpoints"
static int
s_status (zactor_t *actor, char *line, size_t size)
{
    zmsg_t *answer = fg_daemon_ask (actor, "STATS");
    if (!answer || zmsg_size (answer) != 4)
        return zmsg_destroy (&answer), -1;
    int stats [4];
    for (int index = 0; index < 4; index++) {
        char *value = zmsg_popstr (answer);
        stats [index] = value? atoi (value): 0;
        zstr_free (&value);
    }
    snprintf (line, size, "%d names, %d endpoints, %d owners, %d watches",
              stats [0], stats [1], stats [2], stats [3]);
    zmsg_destroy (&answer);
    return 0;
}

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
    .uses_data_dir = s_uses_data_dir,
    .status = s_status,
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
