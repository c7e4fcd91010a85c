/*  =========================================================================
    fogrid-miner - the miner daemon: offers this machine's capacity to a hub

    A thin main: flags, config, its checks and security (common/fg_daemon),
    then the agent actor until SIGINT/SIGTERM. Stopping kills every task the
    miner runs: none outlives it.
    =========================================================================  */
#include "fogrid.h"
#include "miner_agent.h"
#include "miner_docker.h"
#include "miner_guardian.h"

//  systemd's STATUS= line (fg_daemon): "ready with tcp://hub:7702, 1 task"
static int
s_status (zactor_t *actor, char *line, size_t size)
{
    zmsg_t *state = fg_daemon_ask (actor, "STATE");
    zmsg_t *hub = state? fg_daemon_ask (actor, "HUB"): NULL;
    zmsg_t *tasks = hub? fg_daemon_ask (actor, "STATUS"): NULL;
    int rc = -1;
    if (tasks) {
        char *state_name = zmsg_popstr (state), *endpoint = zmsg_popstr (hub);
        char *held = zmsg_popstr (tasks);
        int count = held? atoi (held): 0;
        snprintf (line, size, "%s with %s, %d task%s", state_name? state_name: "?",
                  endpoint && *endpoint? endpoint: "no hub", count, count == 1? "": "s");
        zstr_free (&state_name);
        zstr_free (&endpoint);
        zstr_free (&held);
        rc = 0;
    }
    zmsg_destroy (&state);
    zmsg_destroy (&hub);
    zmsg_destroy (&tasks);
    return rc;
}

static const fg_flag_t s_flags [] = {
    { "--hub", "miner/hubs", "ENDPOINT" },
    { "--hub-key", "miner/hub_key", "KEY" },
    { "--locator", "locator/endpoints", "ENDPOINTS" },
    { "--cores", "miner/cores", "N" },
    { "--name", "miner/name", "NAME" },
    { "--data", "miner/data_dir", "DIR" },
    { "--advertise", "miner/advertise_host", "HOST" },
    { NULL, NULL, NULL }
};

static const fg_daemon_info_t s_info = {
    .program = "fogrid-miner",
    .summary = "the fogrid miner: runs a hub's tasks on this machine",
    .defs = miner_agent_defs,
    .flags = s_flags,
    .check = miner_agent_check_config,
    .data_dir_key = "miner/data_dir",
    .key_name = "miner",
    .status = s_status,
};

int
main (int argc, char *argv [])
{
    if (argc > 1 && streq (argv [1], MINER_GUARDIAN_ARG))
        return miner_guardian_main (argc, argv);
    zsys_init ();
    zsys_set_logstream (stderr);
    zsys_set_logident ("fogrid-miner");
    int exit_code = 0;
    fg_config_t *config = fg_daemon_setup (&s_info, argc, argv, &exit_code);
    if (!config)
        return exit_code;
    //  The data directory is ours now (fg_daemon locked it)
    if (*fg_config_str (config, "miner/data_dir")) {
        char err [256];
        if (miner_guardian_start (fg_config_str (config, "miner/data_dir"),
                                  fg_config_str (config, "miner/id"), err, sizeof err) < 0)
            zsys_warning ("fogrid-miner: %s: what a task starts may outlive a killed miner "
                          "until its next start", err);
    }
    miner_docker_global_init ();        //  before the threads, as libcurl asks
    miner_agent_args_t args = { .config = config };
    zactor_t *miner = zactor_new (miner_agent_actor, &args);
    if (args.rc) {
        fprintf (stderr, "fogrid-miner: %s\n", args.error);
        exit_code = 1;
    }
    else {
        //  1 means the actor stopped by itself: a failure
        exit_code = fg_daemon_wait (miner);
        if (exit_code == 0)
            zsys_info ("fogrid-miner: interrupted, stopping");
    }
    zactor_destroy (&miner);
    miner_docker_global_end ();
    fg_daemon_end (&config);
    return exit_code;
}
