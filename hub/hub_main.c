/*  =========================================================================
    fogrid-hub - the hub daemon: accepts buyers' tasks and runs them on miners

    A thin main: flags, config, its checks and security (common/fg_daemon),
    then the server actor until SIGINT/SIGTERM.
    =========================================================================  */
#include "fogrid.h"
#include "hub_server.h"
#include <sys/resource.h>

//  The value of a sample line "NAME VALUE" in a metrics page, or 0
static long
s_sample (const char *page, const char *name)
{
    for (const char *at = strstr (page, name); at; at = strstr (at + 1, name))
        if ((at == page || at [-1] == '\n') && at [strlen (name)] == ' ')
            return atol (at + strlen (name) + 1);
    return 0;
}

//  systemd's STATUS= line (fg_daemon): "12 miners, 3 pending, 5 running",
//  from the hub's own /metrics on loopback (answered by its loop); the
//  ports it serves on when that page cannot be had
static int
s_status (zactor_t *actor, char *line, size_t size)
{
    zmsg_t *http = fg_daemon_ask (actor, "HTTP");
    zmsg_t *ports = http? fg_daemon_ask (actor, "PORTS"): NULL;
    if (!ports || zmsg_size (ports) != 2) {
        zmsg_destroy (&http);
        zmsg_destroy (&ports);
        return -1;
    }
    char *port = zmsg_popstr (http);
    char *buyers = zmsg_popstr (ports), *miners = zmsg_popstr (ports);
    zchunk_t *page = NULL;
    char url [64], err [256];
    snprintf (url, sizeof url, "http://127.0.0.1:%s/metrics", port? port: "0");
    if (port && atoi (port) > 0
    &&  fg_http_get (url, 1000, "fogrid-hub", &page, err, sizeof err) == 0) {
        char *text = zchunk_strdup (page);
        long connected = s_sample (text, "fogrid_hub_miners{state=\"connected\"}");
        snprintf (line, size, "%ld miner%s, %ld pending, %ld running",
                  connected, connected == 1? "": "s",
                  s_sample (text, "fogrid_hub_tasks{state=\"pending\"}"),
                  s_sample (text, "fogrid_hub_tasks{state=\"running\"}"));
        zstr_free (&text);
    }
    else
        snprintf (line, size, "serving buyers on port %s, miners on port %s", buyers, miners);
    zchunk_destroy (&page);
    zstr_free (&port);
    zstr_free (&buyers);
    zstr_free (&miners);
    zmsg_destroy (&http);
    zmsg_destroy (&ports);
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
