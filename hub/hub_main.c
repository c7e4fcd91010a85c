/*  =========================================================================
    fogrid-hub - the hub daemon: accepts buyers' tasks and runs them on miners

    A thin main: flags, config, its checks and security (common/fg_daemon),
    then the server actor until SIGINT/SIGTERM.
    =========================================================================  */
#include "fogrid.h"
#include "hub_server.h"
#include <sys/resource.h>

//  systemd's STATUS= line (fg_daemon): "12 miners, 3 pending, 5 running",
//  from the counts the hub keeps as they change (its STATUS pipe command)
static int
s_status (zactor_t *actor, char *line, size_t size)
{
    zmsg_t *counts = fg_daemon_ask (actor, "STATUS");
    if (!counts || zmsg_size (counts) != 3)
        return zmsg_destroy (&counts), -1;
    char *connected = zmsg_popstr (counts), *pending = zmsg_popstr (counts);
    char *running = zmsg_popstr (counts);
    snprintf (line, size, "%s miner%s, %s pending, %s running", connected,
              streq (connected, "1")? "": "s", pending, running);
    zstr_free (&connected);
    zstr_free (&pending);
    zstr_free (&running);
    zmsg_destroy (&counts);
    return 0;
}

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
    .status = s_status,
};

//  Each miner holds a connection, a descriptor: the soft limit (often
//  1024) would cap the grid, so the hub takes what the hard limit allows
static void
s_raise_nofile (void)
{
    struct rlimit limit;
    if (getrlimit (RLIMIT_NOFILE, &limit))
        return;
    rlim_t before = limit.rlim_cur;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        if (setrlimit (RLIMIT_NOFILE, &limit))
            getrlimit (RLIMIT_NOFILE, &limit);
    }
    zsys_info ("fogrid-hub: %llu file descriptors (RLIMIT_NOFILE, was %llu, hard limit %llu): "
               "about that many miners can connect", (unsigned long long) limit.rlim_cur,
               (unsigned long long) before, (unsigned long long) limit.rlim_max);
}

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
    s_raise_nofile ();
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
