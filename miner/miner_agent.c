/*  =========================================================================
    miner_agent - the miner daemon as an actor

    DESIGN
    One thread owns the connection to the hub, the table of running tasks
    and every timer; each task runs in a miner_runner actor of its own,
    whose pipe this thread polls with the hub's socket, so nothing a task
    does can stall the heartbeats. Conversations are in proto/fogrid.proto.

    The hub answers a heartbeat with nothing when all is well, so silence
    is not a sign of a dead hub. What tells it is the connection: the DEALER
    has ZMTP heartbeats (a peer that stops answering pings is dropped) and a
    socket monitor reports when the link comes up (handshake done) or goes
    down. A link that stays down for three heartbeat intervals, or a hello
    left unanswered as long, makes the miner drop the socket and look for a
    hub again (the locator may now name another address). A hub that
    restarted on the same address is reached again by ZeroMQ itself; it does
    not know the miner, answers the next heartbeat with FG_E_NOT_FOUND, and
    the miner says hello again.

    The seq of each request carries what the request was in its low three
    bits (S_SEQ_HELLO, ...), so an Error reply tells whether it answered a
    heartbeat (say hello again) or a result (the hub refused it: log it)
    without a table of requests in flight.

    Task events: TaskAssign starts a runner and answers TaskStarted (also
    when the program cannot run: the result then follows at once with an
    error). TaskKill, and the `kill` list of a MinerWelcome, SIGKILL the
    task's process group and report nothing: the hub asked, it has already
    decided what becomes of the task, and it would refuse a result for that
    attempt. Every other ending is sent once as a TaskResult; a result that
    finds no hub connection is lost, and the hub requeues the task when it
    sees the miner come back without it.

    Before it works for a hub the miner checks it (miner_trust.h: the hub
    registry, the hub's signed wallet statement, its own rating of the
    hub): when the check is required (miner/require_registry,
    miner/min_stake) the statement is asked before the hello, otherwise
    with it; and again every miner/recheck_s. A hub the check refuses is
    left (the reason logged) and tried again only after the others.

    state      event                          next       action
    -----      -----                          ----       ------
    no-hub     timer (hub known or resolved)  hello      new DEALER, send MinerHello
                                                         (and WalletStatement unless trusted)
    no-hub     same, the check is required    check      new DEALER, send WalletStatement
    check      the statement holds            hello      send MinerHello
    check      it does not, or none in time   no-hub     drop the DEALER, try again in 2 s
    hello, ready   a statement that fails     no-hub     drop the DEALER, try again in 2 s
    ready      recheck timer                  ready      send WalletStatement
    no-hub     timer (no hub found)           no-hub     log why, try again in 1 s
    hello      MinerWelcome                   ready      take its heartbeat_ms, kill its `kill` list
    hello      no welcome in 3 intervals      no-hub     drop the DEALER
    ready      timer                          ready      send MinerHeartbeat
    ready      Error NOT_FOUND to heartbeat   hello      send MinerHello
               or to TaskStarted
    ready      link up again after a loss     hello      send MinerHello
    ready      link down for 3 intervals      no-hub     drop the DEALER
    any        $TERM                          -          kill all tasks, send nothing more
    =========================================================================  */
#include "fogrid.h"
#include "miner_runner.h"
#include "miner_docker.h"
#include "miner_docker_runner.h"
#include "miner_resources.h"
#include "miner_agent.h"
#include "miner_http.h"
#include "fg_expr.h"
#include <pwd.h>
#include "miner_trust.h"
#include <errno.h>
#include <unistd.h>

const fg_cfg_def_t miner_agent_defs [] = {
    { "miner/id", FG_CFG_STR, "", 0, 0,
      "this miner's id; empty = the one kept in DATA_DIR/miner.id (made on first start)" },
    { "miner/name", FG_CFG_STR, "", 0, 0,
      "name shown to people; empty = the host name" },
    { "miner/data_dir", FG_CFG_STR, "./fogrid-miner-data", 0, 0,
      "directory of the miner id, its keys and the tasks' work directories" },
    { "miner/hubs", FG_CFG_STR, "", 0, 0,
      "hub miner endpoints, comma-separated (the first is used, the next after a loss); "
      "empty = find `hub-miner` through the locators" },
    { "miner/hub_key", FG_CFG_STR, "", 0, 0,
      "public key (Z85 or key file) of the hubs in miner/hubs; hubs found through the "
      "locator come with theirs" },
    { "miner/cores", FG_CFG_INT, "0", 0, 65536,
      "cores offered; 0 = every online core" },
    { "miner/mem_mb", FG_CFG_INT, "0", 0, 1099511627776LL,
      "memory offered in MB; 0 = the physical memory" },
    { "miner/disk_mb", FG_CFG_INT, "0", 0, 1099511627776LL,
      "disk offered in MB; 0 = the free space of the data directory" },
    { "miner/http", FG_CFG_STR, "127.0.0.1:7782", 0, 0,
      "HTTP address (HOST:PORT) of /healthz, /readyz and /metrics; empty = no HTTP" },
    { "miner/accept", FG_CFG_STR, "", 0, 0,
      "the tasks this miner takes, as an expression over the task (docs/constraints.md): "
      "e.g. cores <= 2 && timeout_s <= 600 && !service; empty = any" },
    { "miner/task_user", FG_CFG_STR, "nobody", 0, 0,
      "user the process runtime's tasks run as when the miner runs as root (never root, "
      "never with the miner's groups); empty = the miner's own user" },
    { "miner/gpus", FG_CFG_INT, "-1", -1, 1024,
      "GPUs offered; -1 = as many as nvidia-smi lists (none when it is absent)" },
    { "miner/labels", FG_CFG_STR, "", 0, 0,
      "labels tasks may require: key=value,key=value" },
    { "miner/price", FG_CFG_INT, "1", 0, INT64_MAX,
      "price asked per task, in the smallest unit" },
    { "miner/runtime", FG_CFG_STR, "process", 0, 0,
      "how tasks run: process (fork/exec under limits), docker (containers through the "
      "Docker engine), process,docker (both), or auto (docker when the engine answers, "
      "else process); add null for the benchmark-only runtime that runs nothing" },
    { "miner/docker_socket", FG_CFG_STR, MINER_DOCKER_SOCKET, 0, 0,
      "the Docker engine's unix socket (docker runtime)" },
    { "miner/docker_timeout_ms", FG_CFG_INT, "30000", 100, 600000,
      "time limit of each call to the Docker engine but pulls (docker runtime)" },
    { "miner/docker_pull_timeout_s", FG_CFG_INT, "600", 1, 86400,
      "time limit of an image pull (docker runtime)" },
    { "miner/docker_pids_limit", FG_CFG_INT, "512", 0, 4194304,
      "processes a container may hold; 0 = no limit (docker runtime)" },
    { "miner/docker_readonly", FG_CFG_BOOL, "0", 0, 0,
      "containers get a read-only root file system and a 64 MB /tmp (docker runtime)" },
    { "miner/max_output", FG_CFG_INT, "1048576", 1024, 1572864,
      "bytes of stdout and of stderr kept per task (both must fit in the hub's message limit)" },
    { "miner/max_output_files", FG_CFG_INT, "1048576", 4096, 3145728,
      "bytes of output files (submit --output) copied back per task, paths included; "
      "lowered at start when with miner/max_output twice a result would not fit in a "
      "message (4 MiB)" },
    { "miner/stats_interval_ms", FG_CFG_INT, "1000", 100, 600000,
      "how often the figures of a running task (CPU, memory) are read: docker stats, or /proc" },
    { "miner/default_timeout_s", FG_CFG_INT, "3600", 1, 2592000,
      "time limit of tasks that give none" },
    { "miner/default_mem_mb", FG_CFG_INT, "0", 0, 1099511627776LL,
      "memory limit of tasks that give none, in MB (address space for a process, memory "
      "without swap for a container); 0 = no limit" },
    { "miner/heartbeat_ms", FG_CFG_INT, "1000", 50, 60000,
      "heartbeat interval until the hub's welcome names its own" },
    { "miner/advertise_host", FG_CFG_STR, "127.0.0.1", 0, 0,
      "host name or address where buyers reach the services this miner runs (their ports "
      "are published on it when it is an address, else on every address)" },
    { "miner/health_interval_ms", FG_CFG_INT, "2000", 100, 600000,
      "time between two health checks of a service" },
    { "miner/health_failures", FG_CFG_INT, "2", 1, 100,
      "failed health checks in a row that withdraw a service from the locators" },
    MINER_TRUST_DEFS,
    { "locator/endpoints", FG_CFG_STR, "tcp://127.0.0.1:7700", 0, 0,
      "locators to find the hub through and to register services in (comma-separated)" },
    { "locator/timeout_ms", FG_CFG_INT, "1000", 50, 60000,
      "how long to wait for each locator's answer" },
    { "locator/ttl_ms", FG_CFG_INT, "5000", 100, 3600000,
      "lifetime of a service's registration after its last refresh (a dead miner's "
      "services leave the locators after it)" },
    FG_SECURITY_DEFS,
    { NULL, FG_CFG_STR, NULL, 0, 0, NULL }
};

typedef enum {
    MINER_NO_HUB = 1,
    MINER_HELLO,
    MINER_READY,
    MINER_CHECK                 //  waiting for the hub's wallet statement
} s_state_t;

static const char *s_state_names [] = { "?", "no-hub", "hello", "ready", "check" };

//  What a request was, in the low bits of its seq
#define S_SEQ_HELLO         1
#define S_SEQ_HEARTBEAT     2
#define S_SEQ_STARTED       3
#define S_SEQ_RESULT        4
#define S_SEQ_STATEMENT     5
#define S_SEQ_KIND(seq)     ((seq) & 7)

#define S_RESOLVE_RETRY_MS  1000
#define S_RESULT_SLACK      (64 * 1024)     //  a result's room besides its output and files
#define S_MIN_WAIT_MS       1000    //  least time to wait for a welcome

typedef struct {
    zsock_t *pipe;              //  to the caller
    fg_config_t *config;        //  settings (not ours)
    char id [64];               //  miner id, stable across restarts
    char name [256];            //  for people
    char data_dir [1024];       //  miner/data_dir
    char work_root [1100];      //  DATA_DIR/tasks: the tasks' work dirs
    miner_resources_t *resources;   //  what we offer
    char runtimes [32];         //  offered: "process", "docker" or "docker,process"
    miner_runner_limits_t limits;   //  for every runner
    zlist_t *hubs;              //  configured hub endpoints; empty = locator
    size_t hub_index;           //  the configured hub in use
    char hub_key [64];          //  public key of the configured hubs
    fg_resolver_t *resolver;    //  to find `hub-miner`, when no hubs are set
    char last_failure [700];    //  why the last attempt failed (logged once)
    bool quiet;                 //  the same failure again: log at debug level
    zsock_t *dealer;            //  to the hub; NULL in no-hub
    zsock_t *monitor;           //  PAIR receiving the DEALER's link events
    unsigned monitor_count;     //  to name each monitor's endpoint
    char endpoint [300];        //  the hub's endpoint, "" in no-hub
    s_state_t state;            //  see the table above
    bool link_up;               //  handshake done and not disconnected since
    bool link_was_up;           //  this DEALER's link has been up before
    bool refused_logged;        //  a handshake refusal was logged on this link
    int64_t link_down_ms;       //  when the link was last seen down
    int64_t connect_at;         //  no-hub: when to try again
    int64_t welcome_by;         //  hello: give up on this hub after this
    int64_t heartbeat_at;       //  ready: next heartbeat
    uint32_t heartbeat_ms;      //  from the welcome, else the config
    uint64_t seq;               //  last request number (before the kind bits)
    zhashx_t *runners;          //  "task_id/attempt" -> miner_runner_t
    miner_trust_t *trust;       //  the checks of hubs, their ratings
    int64_t recheck_at;         //  ready: next check of the hub (0 = never)
    fg_http_t *http;            //  probes and metrics, or NULL
    miner_http_context_t http_context;
    miner_stats_t stats;        //  what /metrics shows
    bool terminated;            //  $TERM received
} s_agent_t;

static void
s_set_state (s_agent_t *self, s_state_t next, const char *why)
{
    if (self->state != next && self->quiet)
        fg_debug ("miner %s: %s -> %s (%s)", self->id, s_state_names [self->state],
                  s_state_names [next], why);
    else
    if (self->state != next)
        zsys_info ("miner %s: %s -> %s (%s)", self->id, s_state_names [self->state],
                   s_state_names [next], why);
    self->state = next;
}

static uint64_t
s_next_seq (s_agent_t *self, int kind)
{
    return (++self->seq << 3) | (uint64_t) kind;
}

//  --------------------------------------------------------------------------
//  Setup

//  True when id may name a miner at the hub: 1..63 printable, no spaces.
static bool
s_id_valid (const char *id)
{
    return *id && fg_text_valid (id, 63) && !strchr (id, ' ');
}

//  The configured id, else the one kept in the data dir, else a new one
//  kept there (written to a temp file and renamed, so a crash never leaves
//  half an id).
static int
s_load_id (s_agent_t *self, char *err, size_t err_size)
{
    const char *configured = fg_config_str (self->config, "miner/id");
    if (*configured) {
        snprintf (self->id, sizeof self->id, "%s", configured);
        return 0;
    }
    char path [1100], temp [1110];
    snprintf (path, sizeof path, "%s/miner.id", self->data_dir);
    FILE *file = fopen (path, "r");
    if (file) {
        char line [128] = "";
        if (fgets (line, sizeof line, file))
            line [strcspn (line, "\r\n")] = 0;
        fclose (file);
        if (s_id_valid (line)) {
            snprintf (self->id, sizeof self->id, "%s", line);
            return 0;
        }
        zsys_warning ("miner: %s does not hold a valid id: making a new one", path);
    }
    fg_id_new ("m", self->id, sizeof self->id);
    snprintf (temp, sizeof temp, "%s.tmp", path);
    file = fopen (temp, "w");
    if (!file
    ||  fprintf (file, "%s\n", self->id) < 0
    ||  fclose (file) != 0
    ||  rename (temp, path) != 0) {
        snprintf (err, err_size, "cannot write the miner id to %s: %s", path, strerror (errno));
        return -1;
    }
    zsys_info ("miner %s: new miner id, kept in %s", self->id, path);
    return 0;
}

int
miner_agent_check_config (fg_config_t *config, char *err, size_t err_size)
{
    const char *id = fg_config_str (config, "miner/id");
    if (*id && !s_id_valid (id)) {
        snprintf (err, err_size, "miner/id: '%s' must be 1..63 printable characters, no spaces", id);
        return -1;
    }
    if (!fg_text_valid (fg_config_str (config, "miner/name"), 255)) {
        snprintf (err, err_size, "miner/name: must be printable, at most 255 characters");
        return -1;
    }
    if (!*fg_config_str (config, "miner/data_dir")) {
        snprintf (err, err_size, "miner/data_dir: must not be empty");
        return -1;
    }
    if (miner_resources_check_labels (fg_config_str (config, "miner/labels"), err, err_size))
        return -1;
    char why [256];
    if (fg_expr_check (fg_config_str (config, "miner/accept"), why, sizeof why)) {
        snprintf (err, err_size, "miner/accept: %s", why);
        return -1;
    }
    const char *runtime = fg_config_str (config, "miner/runtime");
    if (!streq (runtime, "auto")) {
        zlist_t *names = fg_split_list (runtime);
        int rc = zlist_size (names)? 0: -1;
        for (char *name = (char *) zlist_first (names); name && !rc;
             name = (char *) zlist_next (names))
            rc = streq (name, "process") || streq (name, "docker") || streq (name, "null")? 0: -1;
        zlist_destroy (&names);
        if (rc) {
            snprintf (err, err_size, "miner/runtime: '%s' is not process, docker, "
                      "process,docker or auto (or null, for benchmarks only)", runtime);
            return -1;
        }
    }
    const char *advertise = fg_config_str (config, "miner/advertise_host");
    if (!*advertise || strlen (advertise) > 253
    ||  strspn (advertise, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:_")
        != strlen (advertise)) {
        snprintf (err, err_size, "miner/advertise_host: '%s' is not a host name or address",
                  advertise);
        return -1;
    }
    if (!*fg_config_str (config, "miner/docker_socket")) {
        snprintf (err, err_size, "miner/docker_socket: must not be empty");
        return -1;
    }
    const char *paths [2] = { "miner/hubs", "locator/endpoints" };
    for (int index = 0; index < 2; index++) {
        zlist_t *endpoints = fg_split_list (fg_config_str (config, paths [index]));
        int rc = 0;
        for (char *endpoint = (char *) zlist_first (endpoints); endpoint && !rc;
             endpoint = (char *) zlist_next (endpoints)) {
            char transport [16], host [256];
            uint16_t port;
            if (fg_endpoint_parse (endpoint, transport, sizeof transport, host, sizeof host, &port)
            ||  !streq (transport, "tcp")) {
                snprintf (err, err_size, "%s: '%s' is not an endpoint like tcp://host:port",
                          paths [index], endpoint);
                rc = -1;
            }
        }
        zlist_destroy (&endpoints);
        if (rc)
            return -1;
    }
    bool have_hubs = *fg_config_str (config, "miner/hubs") != 0;
    if (!have_hubs && !*fg_config_str (config, "locator/endpoints")) {
        snprintf (err, err_size, "neither miner/hubs nor locator/endpoints is set: "
                  "the miner cannot find a hub");
        return -1;
    }
    const char *hub_key = fg_config_str (config, "miner/hub_key");
    char key [64];
    if (*hub_key && fg_security_read_key (hub_key, key)) {
        snprintf (err, err_size, "miner/hub_key: '%s' is neither a public key nor a key file",
                  hub_key);
        return -1;
    }
    if (have_hubs && !*hub_key && !fg_config_bool (config, "security/insecure")) {
        snprintf (err, err_size, "miner/hubs is set but miner/hub_key is not: with security on, "
                  "the miner must know the hub's public key (or use the locator)");
        return -1;
    }
    return miner_trust_check_config (config, err, err_size);
}

static void s_agent_destroy (s_agent_t **self_p);

//  Which runtimes this miner offers: asks the Docker engine when the
//  config wants docker (or auto), and removes the containers a previous
//  run of this miner left (their tasks died with it).
static int
s_resolve_runtimes (s_agent_t *self, char *err, size_t err_size)
{
    const char *wanted = fg_config_str (self->config, "miner/runtime");
    const char *socket = fg_config_str (self->config, "miner/docker_socket");
    bool is_auto = streq (wanted, "auto");
    bool process = is_auto, docker = is_auto, null = false;
    zlist_t *names = fg_split_list (wanted);
    for (char *name = (char *) zlist_first (names); name; name = (char *) zlist_next (names)) {
        process |= streq (name, "process");
        docker |= streq (name, "docker");
        null |= streq (name, "null");
    }
    zlist_destroy (&names);
    int timeout_ms = (int) fg_config_int (self->config, "miner/docker_timeout_ms");
    if (docker) {
        miner_docker_t *client = miner_docker_new (socket, timeout_ms < 5000? timeout_ms: 5000);
        char version [128] = "?";
        int rc = client? miner_docker_version (client, version, sizeof version): -1;
        if (rc && !is_auto) {
            snprintf (err, err_size, "miner/runtime is %s but no Docker engine answers at %s: %s",
                      wanted, socket, client? miner_docker_error (client): "no client");
            miner_docker_destroy (&client);
            return -1;
        }
        if (rc) {
            zsys_notice ("miner %s: no Docker engine at %s (%s): runtime process", self->id,
                         socket, client? miner_docker_error (client): "no client");
            docker = false;
        }
        else {
            zsys_info ("miner %s: Docker engine %s at %s", self->id, version, socket);
            process = !is_auto && process;
        }
        miner_docker_destroy (&client);
    }
    if (docker) {
        char why [512];
        int removed = miner_docker_runner_clean (socket, self->id, timeout_ms, why, sizeof why);
        if (removed < 0) {
            snprintf (err, err_size, "cannot remove the containers a previous run left: %s", why);
            return -1;
        }
        if (removed)
            zsys_notice ("miner %s: removed %d containers a previous run left", self->id, removed);
        self->limits.docker_socket = socket;
        self->limits.docker_timeout_ms = timeout_ms;
        self->limits.docker_pull_timeout_s =
            (uint32_t) fg_config_int (self->config, "miner/docker_pull_timeout_s");
        self->limits.docker_pids_limit = fg_config_int (self->config, "miner/docker_pids_limit");
        self->limits.docker_readonly = fg_config_bool (self->config, "miner/docker_readonly");
    }
    self->limits.no_process = !process;
    self->limits.null_runtime = null;
    if (null)
        zsys_warning ("miner %s: the null runtime is on: its tasks complete without running "
                      "(for benchmarks only)", self->id);
    snprintf (self->runtimes, sizeof self->runtimes, "%s%s%s%s%s", docker? "docker": "",
              docker && process? ",": "", process? "process": "",
              null && (docker || process)? ",": "", null? "null": "");
    miner_resources_set_runtimes (self->resources, self->runtimes);
    return 0;
}

static s_agent_t *
s_agent_new (zsock_t *pipe, fg_config_t *config, char *err, size_t err_size)
{
    if (miner_agent_check_config (config, err, err_size))
        return NULL;
    s_agent_t *self = (s_agent_t *) zmalloc (sizeof (s_agent_t));
    self->pipe = pipe;
    self->config = config;
    self->state = MINER_NO_HUB;
    self->runners = zhashx_new ();
    self->heartbeat_ms = (uint32_t) fg_config_int (config, "miner/heartbeat_ms");
    snprintf (self->data_dir, sizeof self->data_dir, "%s", fg_config_str (config, "miner/data_dir"));
    snprintf (self->work_root, sizeof self->work_root, "%s/tasks", self->data_dir);
    if (zsys_dir_create ("%s", self->work_root)) {
        snprintf (err, err_size, "cannot create %s: %s", self->work_root, strerror (errno));
        goto failed;
    }
    if (s_load_id (self, err, err_size))
        goto failed;
    //  Work dirs left by a previous run: their tasks died with it
    miner_runner_clean (self->work_root);

    const char *name = fg_config_str (config, "miner/name");
    if (*name)
        snprintf (self->name, sizeof self->name, "%s", name);
    else
    if (gethostname (self->name, sizeof self->name) != 0 || !fg_text_valid (self->name, 255))
        snprintf (self->name, sizeof self->name, "%s", self->id);
    self->name [sizeof self->name - 1] = 0;

    self->resources = miner_resources_new (config, self->data_dir, err, err_size);
    if (!self->resources)
        goto failed;
    self->limits.work_root = self->work_root;
    self->limits.max_output = (size_t) fg_config_int (config, "miner/max_output");
    self->limits.max_output_files = (size_t) fg_config_int (config, "miner/max_output_files");
    //  A result must fit in one message with room for its other fields
    size_t room = FG_MSG_MAX_DEFAULT - S_RESULT_SLACK - 2 * self->limits.max_output;
    if (self->limits.max_output_files > room) {
        zsys_notice ("miner: miner/max_output_files lowered from %zu to %zu: with "
                     "miner/max_output (%zu) twice a result must fit in a message (%d bytes)",
                     self->limits.max_output_files, room, self->limits.max_output,
                     FG_MSG_MAX_DEFAULT);
        self->limits.max_output_files = room;
    }
    self->limits.stats_interval_ms = (int) fg_config_int (config, "miner/stats_interval_ms");
    self->limits.default_timeout_s = (uint32_t) fg_config_int (config, "miner/default_timeout_s");
    self->limits.default_mem_mb = (uint64_t) fg_config_int (config, "miner/default_mem_mb");
    self->limits.offered_mem_mb = miner_resources_msg (self->resources)->mem_mb;
    const char *task_user = fg_config_str (config, "miner/task_user");
    if (*task_user && geteuid () == 0) {
        struct passwd *user = getpwnam (task_user);
        if (!user) {
            snprintf (err, err_size, "miner/task_user: no user '%s' on this machine", task_user);
            goto failed;
        }
        self->limits.drop_privileges = true;
        self->limits.task_uid = user->pw_uid;
        self->limits.task_gid = user->pw_gid;
        zsys_info ("miner %s: tasks run as %s (uid %d)", self->id, task_user, (int) user->pw_uid);
    }
    else
    if (geteuid () == 0)
        zsys_warning ("miner %s: miner/task_user is empty: tasks run as root", self->id);
    self->limits.miner_id = self->id;
    self->limits.advertise_host = fg_config_str (config, "miner/advertise_host");
    self->limits.locators = fg_config_str (config, "locator/endpoints");
    self->limits.service_ttl_ms = (uint32_t) fg_config_int (config, "locator/ttl_ms");
    self->limits.health_interval_ms = (int) fg_config_int (config, "miner/health_interval_ms");
    self->limits.health_failures = (int) fg_config_int (config, "miner/health_failures");
    if (s_resolve_runtimes (self, err, err_size))
        goto failed;

    self->hubs = fg_split_list (fg_config_str (config, "miner/hubs"));
    const char *hub_key = fg_config_str (config, "miner/hub_key");
    if (*hub_key)
        fg_security_read_key (hub_key, self->hub_key);     //  checked above
    if (zlist_size (self->hubs) == 0)
        self->resolver = fg_resolver_new (fg_config_str (config, "locator/endpoints"),
                                          (int) fg_config_int (config, "locator/timeout_ms"));
    self->trust = miner_trust_new (config, self->data_dir, self->id, err, err_size);
    if (!self->trust)
        goto failed;
    Fogrid__Resources *res = miner_resources_msg (self->resources);
    zsys_info ("miner %s (%s): %u cores, %" PRIu64 " MB memory, %" PRIu64 " MB disk, "
               "%zu labels, price %" PRIu64 ", runtime %s; hub %s", self->id, self->name,
               res->cores, res->mem_mb, res->disk_mb, res->n_labels, res->price, self->runtimes,
               zlist_size (self->hubs)? fg_config_str (config, "miner/hubs")
                                      : "through the locators");
    return self;

failed:
    s_agent_destroy (&self);
    return NULL;
}

//  --------------------------------------------------------------------------
//  The hub connection

static void
s_disconnect (s_agent_t *self)
{
    if (self->trust)
        miner_trust_end (self->trust);
    if (self->monitor) {
        zmq_socket_monitor (zsock_resolve (self->dealer), NULL, 0);
        zsock_destroy (&self->monitor);
    }
    zsock_destroy (&self->dealer);
    self->endpoint [0] = 0;
    self->link_up = false;
    self->link_was_up = false;
}

//  Logs why we have no hub once, then quietly while it stays the same
//  (a miner may wait for its hub for a long time).
static void
s_log_failure (s_agent_t *self, const char *why)
{
    self->quiet = streq (why, self->last_failure);
    if (self->quiet)
        fg_debug ("miner %s: %s", self->id, why);
    else
        zsys_warning ("miner %s: %s", self->id, why);
    snprintf (self->last_failure, sizeof self->last_failure, "%s", why);
}

static void
s_connect_failed (s_agent_t *self, const char *why)
{
    char text [700];
    snprintf (text, sizeof text, "%s; trying again every %d ms", why, S_RESOLVE_RETRY_MS);
    s_log_failure (self, text);
    self->connect_at = zclock_mono () + S_RESOLVE_RETRY_MS;
}

//  Which hub: the next configured one, or what the locators say now.
static int
s_pick_hub (s_agent_t *self, char *endpoint, size_t size, char *key)
{
    size_t count = zlist_size (self->hubs);
    if (count) {
        const char *hub = (const char *) zlist_first (self->hubs);
        for (size_t index = 0; index < self->hub_index % count; index++)
            hub = (const char *) zlist_next (self->hubs);
        snprintf (endpoint, size, "%s", hub);
        snprintf (key, 64, "%s", self->hub_key);
        return 0;
    }
    fg_resolution_t *res = NULL;
    fg_error_t rc = fg_resolver_resolve (self->resolver, "hub-miner", NULL, &res);
    char why [600];
    if (rc == FG_OK && res->n_endpoints == 0)
        rc = FG_E_NOT_FOUND;
    if (rc == FG_E_NOT_FOUND)
        snprintf (why, sizeof why, "no hub is registered as hub-miner in the locators (%s)",
                  fg_config_str (self->config, "locator/endpoints"));
    else
    if (rc)
        snprintf (why, sizeof why, "cannot find a hub: %s", fg_resolver_error_text (self->resolver));
    else {
        //  A hub the checks refused lately comes after the others
        size_t pick = 0;
        while (pick + 1 < res->n_endpoints
        &&     miner_trust_avoid (self->trust, res->endpoints [pick].uri,
                                  res->endpoints [pick].public_key))
            pick++;
        snprintf (endpoint, size, "%s", res->endpoints [pick].uri);
        snprintf (key, 64, "%s", res->endpoints [pick].public_key);
    }
    fg_resolution_destroy (&res);
    if (rc) {
        s_connect_failed (self, why);
        return -1;
    }
    return 0;
}

static void s_say_hello (s_agent_t *self);
static void s_check_hub (s_agent_t *self, const char *key);

//  no-hub -> hello: a new DEALER, watched by a monitor, and a hello.
static void
s_connect (s_agent_t *self)
{
    char endpoint [300], key [64] = "", why [600];
    if (s_pick_hub (self, endpoint, sizeof endpoint, key))
        return;
    self->dealer = zsock_new (ZMQ_DEALER);
    zsock_set_linger (self->dealer, 0);     //  nothing is owed to a hub we leave
    zsock_set_sndtimeo (self->dealer, 0);   //  never block the loop on a send
    fg_msg_limit (self->dealer, 0);
    //  ZMTP pings: a hub that stops answering is dropped, which the monitor sees
    zsock_set_heartbeat_ivl (self->dealer, (int) self->heartbeat_ms);
    zsock_set_heartbeat_timeout (self->dealer, (int) self->heartbeat_ms * 3);
    if (fg_security_client (self->dealer, key)) {
        snprintf (why, sizeof why, "no valid public key for the hub at %s (security is on)",
                  endpoint);
        zsock_destroy (&self->dealer);
        s_connect_failed (self, why);
        return;
    }
    char monitor [128];
    snprintf (monitor, sizeof monitor, "inproc://miner-monitor-%p-%u", (void *) self,
              ++self->monitor_count);
    if (zmq_socket_monitor (zsock_resolve (self->dealer), monitor,
                            ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED
                            | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                            | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                            | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) == 0) {
        self->monitor = zsock_new (ZMQ_PAIR);
        zsock_connect (self->monitor, "%s", monitor);
    }
    else
        zsys_warning ("miner %s: cannot monitor the hub connection: %s", self->id,
                      zmq_strerror (zmq_errno ()));
    if (zsock_connect (self->dealer, "%s", endpoint)) {
        snprintf (why, sizeof why, "cannot connect to '%s'", endpoint);
        s_disconnect (self);
        s_connect_failed (self, why);
        return;
    }
    snprintf (self->endpoint, sizeof self->endpoint, "%s", endpoint);
    self->link_up = false;
    self->refused_logged = false;
    self->link_down_ms = zclock_mono ();
    if (self->quiet)
        fg_debug ("miner %s: connecting to the hub at %s", self->id, endpoint);
    else
        zsys_info ("miner %s: connecting to the hub at %s", self->id, endpoint);
    s_check_hub (self, key);
}

//  Drops the hub and looks for one again at once (the next configured
//  endpoint, or whatever the locators say now).
static void
s_reconnect (s_agent_t *self, const char *why)
{
    char text [700];
    snprintf (text, sizeof text, "leaving the hub at %s: %s", self->endpoint, why);
    s_log_failure (self, text);
    s_disconnect (self);
    self->hub_index++;
    self->connect_at = zclock_mono ();
    s_set_state (self, MINER_NO_HUB, why);
}

static int
s_send (s_agent_t *self, fg_env_t *env)
{
    if (!self->dealer)
        return -1;
    int rc = fg_msg_send (self->dealer, NULL, env);
    if (rc)
        zsys_warning ("miner %s: cannot send %s to the hub at %s", self->id,
                      fg_msg_body_name (env), self->endpoint);
    return rc;
}

//  The tasks we still run for the hub (not those being killed), as refs
//  pointing into refs_store; the caller frees both arrays.
static size_t
s_running_refs (s_agent_t *self, Fogrid__TaskRef **refs_store, Fogrid__TaskRef ***refs_p)
{
    size_t total = zhashx_size (self->runners), count = 0;
    Fogrid__TaskRef *store = (Fogrid__TaskRef *) zmalloc (sizeof (Fogrid__TaskRef) * (total + 1));
    Fogrid__TaskRef **refs = (Fogrid__TaskRef **) zmalloc (sizeof (Fogrid__TaskRef *) * (total + 1));
    for (miner_runner_t *runner = (miner_runner_t *) zhashx_first (self->runners); runner;
         runner = (miner_runner_t *) zhashx_next (self->runners)) {
        if (miner_runner_killed (runner))
            continue;
        fogrid__task_ref__init (&store [count]);
        store [count].task_id = (char *) miner_runner_task_id (runner);
        store [count].attempt = miner_runner_attempt (runner);
        refs [count] = &store [count];
        count++;
    }
    *refs_store = store;
    *refs_p = refs;
    return count;
}

static void
s_say_hello (s_agent_t *self)
{
    Fogrid__TaskRef *store, **refs;
    Fogrid__MinerHello hello = FOGRID__MINER_HELLO__INIT;
    hello.miner_id = self->id;
    hello.name = self->name;
    hello.resources = miner_resources_msg (self->resources);
    hello.n_running = s_running_refs (self, &store, &refs);
    hello.running = refs;
    hello.version = FG_VERSION_STRING;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = s_next_seq (self, S_SEQ_HELLO);
    env.body_case = FOGRID__ENVELOPE__BODY_MINER_HELLO;
    env.miner_hello = &hello;
    s_send (self, &env);
    free (store);
    free (refs);
    int64_t wait = (int64_t) self->heartbeat_ms * 3;
    self->welcome_by = zclock_mono () + (wait > S_MIN_WAIT_MS? wait: S_MIN_WAIT_MS);
    s_set_state (self, MINER_HELLO, "hello sent");
}

static void
s_send_heartbeat (s_agent_t *self)
{
    Fogrid__TaskRef *store, **refs;
    Fogrid__Load load = FOGRID__LOAD__INIT;
    Fogrid__MinerHeartbeat heartbeat = FOGRID__MINER_HEARTBEAT__INIT;
    heartbeat.miner_id = self->id;
    heartbeat.n_running = s_running_refs (self, &store, &refs);
    heartbeat.running = refs;
    //  What the tasks reserve, and what they were last seen to use
    Fogrid__Usage usage = FOGRID__USAGE__INIT;
    for (miner_runner_t *runner = (miner_runner_t *) zhashx_first (self->runners); runner;
         runner = (miner_runner_t *) zhashx_next (self->runners))
        if (!miner_runner_killed (runner)) {
            load.used_cores += miner_runner_cores (runner);
            load.used_mem_mb += miner_runner_mem_mb (runner);
            uint64_t cpu_ms, mem_bytes;
            miner_runner_usage (runner, &cpu_ms, &mem_bytes);
            usage.cpu_ms += cpu_ms;
            usage.mem_bytes += mem_bytes;
        }
    load.usage = &usage;
    load.running = (uint32_t) heartbeat.n_running;
    double loads [1] = { 0 };
    if (getloadavg (loads, 1) == 1)
        load.load1 = loads [0];
    load.healthy = true;
    heartbeat.load = &load;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = s_next_seq (self, S_SEQ_HEARTBEAT);
    env.body_case = FOGRID__ENVELOPE__BODY_MINER_HEARTBEAT;
    env.miner_heartbeat = &heartbeat;
    s_send (self, &env);
    free (store);
    free (refs);
}

//  --------------------------------------------------------------------------
//  Checking the hub (miner_trust.h)

static void
s_ask_statement (s_agent_t *self)
{
    Fogrid__WalletStatement request = FOGRID__WALLET_STATEMENT__INIT;
    miner_trust_request (self->trust, &request);
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = s_next_seq (self, S_SEQ_STATEMENT);
    env.body_case = FOGRID__ENVELOPE__BODY_WALLET_STATEMENT;
    env.wallet_statement = &request;
    s_send (self, &env);
}

//  Leaves a hub the checks refused: the others are tried first, this one
//  again after a while.
static void
s_refuse_hub (s_agent_t *self, const char *why)
{
    char text [700];
    snprintf (text, sizeof text, "refused: %s", why);
    s_reconnect (self, text);
    self->connect_at = zclock_mono () + miner_trust_retry_ms (self->trust);
}

//  A new connection (key: the hub's CurveZMQ key): check, then hello.
static void
s_check_hub (s_agent_t *self, const char *key)
{
    char why [600] = "";
    self->recheck_at = 0;
    miner_trust_verdict_t verdict = miner_trust_begin (self->trust, self->endpoint, key,
                                                       why, sizeof why);
    if (verdict == MINER_TRUST_REFUSE) {
        s_refuse_hub (self, why);
        return;
    }
    if (verdict != MINER_TRUST_ACCEPT)
        s_ask_statement (self);
    if (verdict == MINER_TRUST_ASK_FIRST) {
        int64_t wait = (int64_t) self->heartbeat_ms * 3;
        self->welcome_by = zclock_mono () + (wait > S_MIN_WAIT_MS? wait: S_MIN_WAIT_MS);
        s_set_state (self, MINER_CHECK, "wallet statement asked");
    }
    else
        s_say_hello (self);
}

static void
s_on_statement (s_agent_t *self, Fogrid__WalletStatementReply *reply)
{
    char why [600] = "";
    if (miner_trust_statement (self->trust, reply, why, sizeof why) == MINER_TRUST_REFUSE)
        s_refuse_hub (self, why);
    else
    if (self->state == MINER_CHECK)
        s_say_hello (self);
}

static void
s_on_statement_failed (s_agent_t *self, const char *text)
{
    char why [600] = "";
    if (miner_trust_statement_failed (self->trust, text, why, sizeof why) == MINER_TRUST_REFUSE)
        s_refuse_hub (self, why);
    else
    if (self->state == MINER_CHECK)
        s_say_hello (self);
}

static void
s_recheck (s_agent_t *self)
{
    char why [600] = "";
    self->recheck_at = zclock_mono () + miner_trust_recheck_ms (self->trust);
    miner_trust_verdict_t verdict = miner_trust_recheck (self->trust, why, sizeof why);
    if (verdict == MINER_TRUST_REFUSE)
        s_refuse_hub (self, why);
    else
    if (verdict != MINER_TRUST_ACCEPT)
        s_ask_statement (self);
}

//  --------------------------------------------------------------------------
//  Tasks

static void
s_task_key (char *key, size_t size, const char *task_id, uint32_t attempt)
{
    snprintf (key, size, "%s/%u", task_id, attempt);
}

static void
s_send_started (s_agent_t *self, const char *task_id, uint32_t attempt)
{
    Fogrid__TaskStarted started = FOGRID__TASK_STARTED__INIT;
    started.task_id = (char *) task_id;
    started.attempt = attempt;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = s_next_seq (self, S_SEQ_STARTED);
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_STARTED;
    env.task_started = &started;
    s_send (self, &env);
}

static void
s_on_assign (s_agent_t *self, Fogrid__TaskAssign *assign)
{
    if (!*assign->task_id || !fg_text_valid (assign->task_id, 63) || !assign->spec) {
        zsys_warning ("miner %s: ignoring a TaskAssign without a valid task id or spec", self->id);
        return;
    }
    char key [100];
    s_task_key (key, sizeof key, assign->task_id, assign->attempt);
    if (zhashx_lookup (self->runners, key)) {
        zsys_info ("miner %s: task %s attempt %u is already running", self->id,
                   assign->task_id, assign->attempt);
        s_send_started (self, assign->task_id, assign->attempt);
        return;
    }
    miner_runner_t *runner = miner_runner_new (assign->task_id, assign->attempt, assign->spec,
                                               &self->limits);
    zhashx_insert (self->runners, key, runner);
    self->stats.started [streq (miner_runner_runtime (assign->spec), "docker")]++;
    if (miner_runner_pid (runner))
        zsys_info ("miner %s: task %s attempt %u: started %s (pid %d)", self->id,
                   assign->task_id, assign->attempt,
                   assign->spec->n_argv? assign->spec->argv [0]: "(nothing)",
                   (int) miner_runner_pid (runner));
    else
        zsys_info ("miner %s: task %s attempt %u: starting %s (%s runtime%s%s)", self->id,
                   assign->task_id, assign->attempt,
                   assign->spec->n_argv? assign->spec->argv [0]: "(the image's command)",
                   miner_runner_runtime (assign->spec), *assign->spec->image? ", image ": "",
                   assign->spec->image);
    s_send_started (self, assign->task_id, assign->attempt);
}

static void
s_kill_task (s_agent_t *self, const char *task_id, uint32_t attempt, const char *why)
{
    char key [100];
    s_task_key (key, sizeof key, task_id, attempt);
    miner_runner_t *runner = (miner_runner_t *) zhashx_lookup (self->runners, key);
    if (!runner) {
        fg_debug ("miner %s: %s: task %.63s attempt %u is not running here", self->id, why,
                  task_id, attempt);
        return;
    }
    if (!miner_runner_killed (runner)) {
        zsys_info ("miner %s: killing task %s attempt %u (%s)", self->id, task_id, attempt, why);
        miner_runner_kill (runner);
    }
}

//  A runner has ended: report it (unless the hub had it killed), forget it.
static void
s_on_runner (s_agent_t *self, miner_runner_t *runner)
{
    Fogrid__TaskResult *result = miner_runner_result (runner, 0);
    if (!result)
        zsys_error ("miner %s: task %s ended without a readable result", self->id,
                    miner_runner_task_id (runner));
    else
    if (miner_runner_killed (runner)) {
        self->stats.killed++;
        zsys_info ("miner %s: task %s attempt %u killed as the hub asked; nothing to report",
                   self->id, result->task_id, result->attempt);
    }
    else {
        if (*result->error)
            self->stats.could_not_run++;
        else
        if (result->exit_code == 0 && !result->timed_out)
            self->stats.succeeded++;
        else
            self->stats.failed++;
        if (result->ended_ms >= result->started_ms && result->started_ms)
            fg_latency_add (&self->stats.task_seconds,
                            (double) (result->ended_ms - result->started_ms) / 1000.0);
        zsys_info ("miner %s: task %s attempt %u ended: exit %d, signal %d%s%s%s", self->id,
                   result->task_id, result->attempt, result->exit_code, result->term_signal,
                   result->timed_out? ", timed out": "", *result->error? ", ": "", result->error);
        if (!self->dealer) {
            self->stats.results_lost++;
            zsys_warning ("miner %s: no hub connection: the result of %s is lost "
                          "(the hub requeues the task)", self->id, result->task_id);
        }
        else {
            fg_env_t env = FOGRID__ENVELOPE__INIT;
            env.seq = s_next_seq (self, S_SEQ_RESULT);
            env.body_case = FOGRID__ENVELOPE__BODY_TASK_RESULT;
            env.task_result = result;
            if (s_send (self, &env) == 0)
                miner_trust_result_sent (self->trust, env.seq, result);
        }
    }
    if (result)
        fogrid__task_result__free_unpacked (result, NULL);
    char key [100];
    s_task_key (key, sizeof key, miner_runner_task_id (runner), miner_runner_attempt (runner));
    zhashx_delete (self->runners, key);
    miner_runner_destroy (&runner);
}

//  --------------------------------------------------------------------------
//  Messages from the hub

static void
s_on_welcome (s_agent_t *self, Fogrid__MinerWelcome *welcome)
{
    if (welcome->heartbeat_ms) {
        uint32_t ms = welcome->heartbeat_ms;
        self->heartbeat_ms = ms < 50? 50: ms > 60000? 60000: ms;
    }
    for (size_t index = 0; index < welcome->n_kill; index++)
        s_kill_task (self, welcome->kill [index]->task_id, welcome->kill [index]->attempt,
                     "the hub's welcome says so");
    self->heartbeat_at = zclock_mono () + self->heartbeat_ms;
    self->quiet = false;
    self->last_failure [0] = 0;
    s_set_state (self, MINER_READY, "welcomed");
    int64_t recheck_ms = miner_trust_recheck_ms (self->trust);
    self->recheck_at = recheck_ms? zclock_mono () + recheck_ms: 0;
    self->stats.hub_changes++;
}

static void
s_on_error (s_agent_t *self, uint64_t seq, Fogrid__Error *error)
{
    int kind = (int) S_SEQ_KIND (seq);
    if (error->code == FG_E_NOT_FOUND && (kind == S_SEQ_HEARTBEAT || kind == S_SEQ_STARTED)) {
        if (self->state == MINER_READY) {
            zsys_info ("miner %s: the hub does not know us (%s): saying hello again",
                       self->id, error->text);
            s_say_hello (self);
        }
    }
    else
    if (kind == S_SEQ_STATEMENT)
        s_on_statement_failed (self, error->text);
    else
    if (kind == S_SEQ_RESULT) {
        miner_trust_result_refused (self->trust, seq);
        zsys_warning ("miner %s: the hub refused a result: %s (%s)", self->id,
                      fg_error_name ((int) error->code), error->text);
    }
    else
        zsys_warning ("miner %s: the hub answered %s: %s (%s)", self->id,
                      kind == S_SEQ_HELLO? "our hello": "with an error",
                      fg_error_name ((int) error->code), error->text);
}

static void
s_on_hub (s_agent_t *self)
{
    fg_error_t error;
    uint64_t seq;
    fg_env_t *env = fg_msg_recv (self->dealer, NULL, &error, &seq);
    if (!env) {
        zsys_warning ("miner %s: ignoring a message from the hub: %s", self->id,
                      fg_strerror (error));
        return;
    }
    self->link_up = true;           //  whatever the monitor said, it talks to us
    switch (env->body_case) {
        case FOGRID__ENVELOPE__BODY_MINER_WELCOME:
            s_on_welcome (self, env->miner_welcome);
            break;
        case FOGRID__ENVELOPE__BODY_TASK_ASSIGN:
            s_on_assign (self, env->task_assign);
            break;
        case FOGRID__ENVELOPE__BODY_TASK_KILL:
            s_kill_task (self, env->task_kill->task_id, env->task_kill->attempt,
                         "the hub says so");
            break;
        case FOGRID__ENVELOPE__BODY_ERROR:
            s_on_error (self, env->seq, env->error);
            break;
        case FOGRID__ENVELOPE__BODY_OK:
            fg_debug ("miner %s: the hub took our result", self->id);
            if (S_SEQ_KIND (env->seq) == S_SEQ_RESULT)
                miner_trust_result_ok (self->trust, env->seq, env->ok->receipt);
            break;
        case FOGRID__ENVELOPE__BODY_WALLET_STATEMENT_REPLY:
            s_on_statement (self, env->wallet_statement_reply);
            break;
        default:
            zsys_warning ("miner %s: ignoring an unexpected %s from the hub", self->id,
                          fg_msg_body_name (env));
            break;
    }
    fg_msg_free (&env);
}

//  One event of the DEALER's monitor: a frame of event (u16) + value (u32),
//  then the endpoint.
static void
s_on_monitor (s_agent_t *self)
{
    zmsg_t *msg = zmsg_recv (self->monitor);
    if (!msg)
        return;
    zframe_t *frame = zmsg_first (msg);
    if (frame && zframe_size (frame) >= 6) {
        uint16_t event;
        uint32_t value;
        memcpy (&event, zframe_data (frame), 2);
        memcpy (&value, zframe_data (frame) + 2, 4);
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            zsys_info ("miner %s: connected to the hub at %s", self->id, self->endpoint);
            self->link_up = true;
            //  The link came back: the peer may be a restarted hub that
            //  does not know us, so say hello now rather than wait for
            //  its NOT_FOUND (a hello to a hub that knows us is harmless).
            if (self->link_was_up && self->state == MINER_READY)
                s_say_hello (self);
            self->link_was_up = true;
        }
        else
        if (event == ZMQ_EVENT_DISCONNECTED) {
            if (self->link_up)
                zsys_warning ("miner %s: the connection to the hub at %s is down", self->id,
                              self->endpoint);
            self->link_up = false;
            self->link_down_ms = zclock_mono ();
        }
        else
        if (!self->refused_logged) {
            zsys_warning ("miner %s: the secure handshake with the hub at %s failed (event "
                          "0x%x, %u): the hub may be restarting, or its key is not the one "
                          "we know, or our key is not admitted there",
                          self->id, self->endpoint, event, value);
            self->refused_logged = true;
        }
    }
    zmsg_destroy (&msg);
}

static void
s_on_pipe (s_agent_t *self)
{
    zmsg_t *msg = zmsg_recv (self->pipe);
    if (!msg) {
        self->terminated = true;
        return;
    }
    char *command = zmsg_popstr (msg);
    if (!command || streq (command, "$TERM"))
        self->terminated = true;
    else
    if (streq (command, "STATUS"))
        zsock_send (self->pipe, "i", (int) zhashx_size (self->runners));
    else
    if (streq (command, "ID"))
        zstr_send (self->pipe, self->id);
    else
    if (streq (command, "HUB"))
        zstr_send (self->pipe, self->endpoint);
    else
    if (streq (command, "STATE"))
        zstr_send (self->pipe, s_state_names [self->state]);
    else
        zsys_warning ("miner %s: unknown pipe command '%s'", self->id, command);
    zstr_free (&command);
    zmsg_destroy (&msg);
}

//  --------------------------------------------------------------------------
//  The loop

//  Runs what is due; returns how long the loop may sleep.
static int64_t
s_timers (s_agent_t *self)
{
    int64_t now = zclock_mono ();
    int64_t lost_after = (int64_t) self->heartbeat_ms * 3;
    if (self->state == MINER_NO_HUB && now >= self->connect_at)
        s_connect (self);
    else
    if (self->state == MINER_CHECK && now >= self->welcome_by)
        s_refuse_hub (self, "no wallet statement in time");
    else
    if (self->state == MINER_HELLO && now >= self->welcome_by)
        s_reconnect (self, "no welcome in time");
    else
    if (self->state == MINER_READY && !self->link_up && now - self->link_down_ms >= lost_after)
        s_reconnect (self, "the connection stayed down for three heartbeats");
    else
    if (self->state == MINER_READY && now >= self->heartbeat_at) {
        s_send_heartbeat (self);
        self->heartbeat_at = now + self->heartbeat_ms;
    }
    if (self->state == MINER_READY && self->recheck_at && zclock_mono () >= self->recheck_at)
        s_recheck (self);
    now = zclock_mono ();
    int64_t next = now + 1000;
    if (self->state == MINER_NO_HUB)
        next = self->connect_at;
    else
    if (self->state == MINER_HELLO || self->state == MINER_CHECK)
        next = self->welcome_by;
    else {
        next = self->heartbeat_at;
        if (self->recheck_at && self->recheck_at < next)
            next = self->recheck_at;
        if (!self->link_up && self->link_down_ms + lost_after < next)
            next = self->link_down_ms + lost_after;
    }
    return next > now? next - now: 0;
}

//  The agent's state as miner_http reads it
static const char *
s_http_state (void *agent)
{
    return s_state_names [((s_agent_t *) agent)->state];
}

static const char *
s_http_hub (void *agent)
{
    return ((s_agent_t *) agent)->endpoint;
}

static size_t
s_http_running (void *agent)
{
    return zhashx_size (((s_agent_t *) agent)->runners);
}

static int
s_http_start (s_agent_t *self, char *err, size_t err_size)
{
    const char *address = fg_config_str (self->config, "miner/http");
    if (!*address)
        return 0;
    self->http_context = (miner_http_context_t) {
        .miner_id = self->id, .started_ms = fg_now_ms (), .stats = &self->stats,
        .agent = self, .state = s_http_state, .hub = s_http_hub, .running = s_http_running,
        .runtimes = self->runtimes };
    self->http = miner_http_new (address, &self->http_context, err, err_size);
    if (!self->http)
        return -1;
    zsys_info ("miner %s: probes and metrics on http://%s (port %d)", self->id, address,
               fg_http_port (self->http));
    return 0;
}

static void
s_agent_run (s_agent_t *self)
{
    size_t capacity = 0;
    zmq_pollitem_t *items = NULL;
    miner_runner_t **polled = NULL;
    while (!self->terminated) {
        int64_t wait = s_timers (self);
        size_t count = 0, runners = zhashx_size (self->runners);
        if (runners + 3 + 64 > capacity) {
            capacity = runners + 16 + 64;      //  64 for the HTTP sockets
            items = (zmq_pollitem_t *) realloc (items, sizeof (zmq_pollitem_t) * capacity);
            polled = (miner_runner_t **) realloc (polled, sizeof (miner_runner_t *) * capacity);
        }
        memset (items, 0, sizeof (zmq_pollitem_t) * capacity);
        items [count++].socket = zsock_resolve (self->pipe);
        size_t dealer_at = 0, monitor_at = 0;
        if (self->dealer) {
            dealer_at = count;
            items [count++].socket = zsock_resolve (self->dealer);
        }
        if (self->monitor) {
            monitor_at = count;
            items [count++].socket = zsock_resolve (self->monitor);
        }
        size_t first_runner = count;
        for (miner_runner_t *runner = (miner_runner_t *) zhashx_first (self->runners); runner;
             runner = (miner_runner_t *) zhashx_next (self->runners)) {
            polled [count] = runner;
            items [count++].socket = zsock_resolve (miner_runner_actor (runner));
        }
        size_t runners_polled = count - first_runner;
        for (size_t index = 0; index < count; index++)
            items [index].events = ZMQ_POLLIN;
        if (self->http) {
            count += fg_http_items (self->http, items + count, capacity - count);
            int64_t http_wait = fg_http_timeout (self->http);
            if (http_wait >= 0 && http_wait < wait)
                wait = http_wait;
        }
        if (zmq_poll (items, (int) count, (long) wait) < 0) {
            if (zmq_errno () == ETERM)
                break;
            continue;           //  EINTR: main handles the signal and sends $TERM
        }
        if (items [0].revents & ZMQ_POLLIN)
            s_on_pipe (self);
        if (self->terminated)
            break;
        if (monitor_at && self->monitor && (items [monitor_at].revents & ZMQ_POLLIN))
            s_on_monitor (self);
        if (dealer_at && self->dealer && (items [dealer_at].revents & ZMQ_POLLIN)) {
            zsock_t *dealer = self->dealer;
            while (self->dealer == dealer && (zsock_events (dealer) & ZMQ_POLLIN))
                s_on_hub (self);
        }
        for (size_t index = first_runner; index < first_runner + runners_polled; index++)
            if (items [index].revents & ZMQ_POLLIN)
                s_on_runner (self, polled [index]);
        if (self->http)
            fg_http_handle (self->http);
    }
    free (items);
    free (polled);
}

static void
s_agent_destroy (s_agent_t **self_p)
{
    if (*self_p) {
        s_agent_t *self = *self_p;
        if (self->runners) {
            //  Kill them all first, then reap each: they die in parallel
            for (miner_runner_t *runner = (miner_runner_t *) zhashx_first (self->runners);
                 runner; runner = (miner_runner_t *) zhashx_next (self->runners))
                miner_runner_kill (runner);
            for (miner_runner_t *runner = (miner_runner_t *) zhashx_first (self->runners);
                 runner; runner = (miner_runner_t *) zhashx_next (self->runners))
                miner_runner_destroy (&runner);
            zhashx_destroy (&self->runners);
        }
        s_disconnect (self);
        fg_http_destroy (&self->http);
        fg_resolver_destroy (&self->resolver);
        miner_trust_destroy (&self->trust);
        zlist_destroy (&self->hubs);
        miner_resources_destroy (&self->resources);
        free (self);
        *self_p = NULL;
    }
}

void
miner_agent_actor (zsock_t *pipe, void *args)
{
    miner_agent_args_t *agent_args = (miner_agent_args_t *) args;
    s_agent_t *self = s_agent_new (pipe, agent_args->config, agent_args->error,
                                   sizeof agent_args->error);
    agent_args->rc = self? 0: -1;
    zsock_signal (pipe, 0);
    if (!self)
        return;
    self->connect_at = zclock_mono ();
    char err [256];
    if (s_http_start (self, err, sizeof err))
        zsys_error ("miner %s: %s (HTTP stays off)", self->id, err);
    s_agent_run (self);
    zsys_info ("miner %s: stopping (%zu tasks killed)", self->id, zhashx_size (self->runners));
    s_agent_destroy (&self);
}
