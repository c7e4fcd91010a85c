/*  =========================================================================
    miner_agent - the miner daemon as an actor

    DESIGN
    One thread owns the hub links (miner_link.h: a DEALER, a state machine,
    a check of the hub, heartbeats and the tasks of one hub each), every
    task's runner and every timer; each task runs in a miner_runner actor
    of its own, whose pipe this thread polls with the hubs' sockets, so
    nothing a task does can stall the heartbeats.

    Several hubs at once. miner/hub_count links each serve one hub at a
    time, never the same hub as another link (the same endpoint, or from
    the locators the same CurveZMQ key). The machine is divided among them
    once, at start (miner_resources_split): by miner/hub_shares, one weight
    per link, or equally; cores, memory and disk in proportion, GPUs
    whole. Each link tells its hub its share only, so each hub's own
    accounting never puts more on the machine than its share, and the
    link refuses an assignment that does not fit what its share has free
    (miner_link.c). A link that loses its hub keeps its share (the others'
    hubs were told theirs, and a share that changes under a hub would let
    it over-commit): it looks for a hub again, and its tasks go on, as do
    every other link's. With hub_count 1 (the default) the one link has the
    whole machine and fails over from hub to hub as the miner always did.

    Which hub a link in no-hub takes (s_pick_hub): with miner/hubs, link i
    starts at the i-th hub and after a loss tries the next one no other
    link serves; without, it asks the locators for `hub-miner` and takes
    the first hub of the answer no other link serves (the answer is kept a
    moment, so links that look at once ask once). Hubs the checks refused
    lately come last (miner_trust_avoid).

    Pipe commands, HTTP probes and metrics speak for the miner as a whole:
    STATE and HUB name the link furthest along (ready, else hello, else
    check), /readyz is ready when a hub has welcomed one link, and
    /api/v1/status lists every link with its state, its hub and its share.
    =========================================================================  */
#include "fogrid.h"
#include "miner_runner.h"
#include "miner_docker.h"
#include "miner_docker_runner.h"
#include "miner_resources.h"
#include "miner_agent.h"
#include "miner_http.h"
#include "miner_link.h"
#include "miner_groups.h"
#include "miner_cgroup.h"
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
      "hub miner endpoints, comma-separated (the first is used, the next after a loss; with "
      "miner/hub_count N, the first N at once); empty = find `hub-miner` through the locators" },
    { "miner/hub_key", FG_CFG_STR, "", 0, 0,
      "public key (Z85 or key file) of the hubs in miner/hubs: one for all, or one per hub in "
      "the same order; hubs found through the locator come with theirs" },
    { "miner/hub_count", FG_CFG_INT, "1", 1, 16,
      "how many hubs this miner serves at once, each with its share of the machine "
      "(miner/hub_shares); 1 = one hub, the next after a loss" },
    { "miner/hub_shares", FG_CFG_STR, "", 0, 0,
      "how the machine is divided among those hubs: one weight each, comma-separated, in the "
      "order of miner/hubs (e.g. 3,1: three quarters of the cores, memory and disk to the "
      "first; GPUs go whole); empty = equal shares" },
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
    { "miner/service_price", FG_CFG_INT, "1", 0, INT64_MAX,
      "price asked per second of a running service (fogrid run-service)" },
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
    { "miner/task_pids_max", FG_CFG_INT, "1024", 0, 4194304,
      "processes a process task may hold at once, enforced by its cgroup; 0 = no limit" },
    { "miner/docker_readonly", FG_CFG_BOOL, "0", 0, 0,
      "containers get a read-only root file system and a 64 MB /tmp (docker runtime)" },
    { "miner/max_output", FG_CFG_INT, "1048576", 1024, 1572864,
      "bytes of stdout and of stderr kept per task (both must fit in the hub's message limit)" },
    { "miner/max_input_url", FG_CFG_INT, "268435456", 1, 68719476736LL,
      "most bytes a task's input given by URL (submit --input-url) may have" },
    { "miner/input_url_timeout_s", FG_CFG_INT, "120", 1, 86400,
      "time to fetch one input given by URL, in seconds" },
    { "miner/max_output_files", FG_CFG_INT, "1048576", 4096, 3145728,
      "bytes of output files (submit --output) copied back per task, paths included; "
      "lowered at start when with miner/max_output twice a result would not fit in a "
      "message (4 MiB)" },
    { "miner/stats_interval_ms", FG_CFG_INT, "1000", 100, 600000,
      "how often the figures of a running task (CPU, memory) are read: docker stats, or /proc" },
    { "miner/default_timeout_s", FG_CFG_INT, "3600", 1, 2592000,
      "time limit of tasks that give none" },
    { "miner/default_mem_mb", FG_CFG_INT, "0", 0, 1099511627776LL,
      "memory limit of tasks that give none, in MB (memory without swap for a container "
      "and for a process in its cgroup, address space for a process without one); 0 = "
      "what the miner offers (no limit for a process without a cgroup)" },
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

#define S_RESOLVE_KEEP_MS   500     //  a locator's answer serves the links asking meanwhile

//  A configured hub
typedef struct {
    char endpoint [300];
    char key [64];              //  its public key, "" when none is configured
} s_hub_t;

#define S_RESULT_SLACK      (64 * 1024)     //  a result's room besides its output and files

typedef struct {
    zsock_t *pipe;              //  to the caller
    fg_config_t *config;        //  settings (not ours)
    char id [64];               //  miner id, stable across restarts
    char name [256];            //  for people
    char data_dir [1024];       //  miner/data_dir
    char work_root [1100];      //  DATA_DIR/tasks: the tasks' work dirs
    char groups_dir [1100];     //  DATA_DIR/groups: their process groups (miner_groups.h)
    miner_cgroup_t *cgroups;    //  the process tasks' cgroups (or why none)
    char isolation [PATH_MAX + 300];    //  how tasks are held, for /readyz and /api
    miner_resources_t *resources;   //  what we offer
    Fogrid__Resources *shares;  //  each link's part of it (pointing into resources)
    char runtimes [32];         //  offered: "process", "docker" or "docker,process"
    miner_runner_limits_t limits;   //  for every runner
    s_hub_t *hubs;              //  configured hubs (miner/hubs); none = locator
    size_t hub_total;           //  how many
    fg_resolver_t *resolver;    //  to find `hub-miner`, when no hubs are set
    fg_resolution_t *resolution;    //  its last answer, or NULL
    int64_t resolved_at;        //  when it came
    miner_link_t **links;       //  miner/hub_count of them
    size_t link_count;
    zmq_pollitem_t *items;      //  the poll set, rebuilt each turn
    size_t items_capacity;
    size_t *link_at;            //  where each link's items start
    miner_trust_t *trust;       //  the checks of hubs: the links' share its book
    fg_http_t *http;            //  probes and metrics, or NULL
    miner_http_context_t http_context;
    miner_stats_t stats;        //  what /metrics shows
    bool terminated;            //  $TERM received
} s_agent_t;

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

//  Reads miner/hub_shares ("3,1") into count weights (or only checks it,
//  when weights is NULL). Returns 0, or -1 with the reason in err.
static int
s_parse_shares (const char *text, size_t count, uint32_t *weights, char *err, size_t err_size)
{
    zlist_t *items = fg_split_list (text);
    int rc = 0;
    if (zlist_size (items) != count) {
        snprintf (err, err_size, "miner/hub_shares: '%s' gives %zu weights for the %zu hubs of "
                  "miner/hub_count (one each, or empty for equal shares)", text,
                  zlist_size (items), count);
        rc = -1;
    }
    size_t index = 0;
    for (char *item = (char *) zlist_first (items); item && !rc;
         item = (char *) zlist_next (items), index++) {
        char *end = NULL;
        errno = 0;
        long value = strtol (item, &end, 10);
        if (errno || end == item || *end || value < 1 || value > MINER_RESOURCES_MAX_WEIGHT) {
            snprintf (err, err_size, "miner/hub_shares: '%s' is not a weight from 1 to %d",
                      item, MINER_RESOURCES_MAX_WEIGHT);
            rc = -1;
        }
        else
        if (weights)
            weights [index] = (uint32_t) value;
    }
    zlist_destroy (&items);
    return rc;
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
    zlist_t *hubs = fg_split_list (fg_config_str (config, "miner/hubs"));
    zlist_t *keys = fg_split_list (fg_config_str (config, "miner/hub_key"));
    size_t hub_total = zlist_size (hubs), key_total = zlist_size (keys);
    zlist_destroy (&hubs);
    int rc = 0;
    for (char *hub_key = (char *) zlist_first (keys); hub_key && !rc;
         hub_key = (char *) zlist_next (keys)) {
        char key [64];
        if (fg_security_read_key (hub_key, key)) {
            snprintf (err, err_size, "miner/hub_key: '%s' is neither a public key nor a key file",
                      hub_key);
            rc = -1;
        }
    }
    zlist_destroy (&keys);
    if (rc)
        return -1;
    if (key_total > 1 && key_total != hub_total) {
        snprintf (err, err_size, "miner/hub_key: %zu keys for %zu hubs in miner/hubs (give one "
                  "key for all, or one per hub in the same order)", key_total, hub_total);
        return -1;
    }
    if (have_hubs && !key_total && !fg_config_bool (config, "security/insecure")) {
        snprintf (err, err_size, "miner/hubs is set but miner/hub_key is not: with security on, "
                  "the miner must know the hub's public key (or use the locator)");
        return -1;
    }
    size_t hub_count = (size_t) fg_config_int (config, "miner/hub_count");
    if (have_hubs && hub_count > hub_total) {
        snprintf (err, err_size, "miner/hub_count is %zu but miner/hubs lists %zu hub%s: a miner "
                  "serves each hub once", hub_count, hub_total, hub_total == 1? "": "s");
        return -1;
    }
    const char *shares = fg_config_str (config, "miner/hub_shares");
    if (*shares && s_parse_shares (shares, hub_count, NULL, err, err_size))
        return -1;
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

//  --------------------------------------------------------------------------
//  The hub links

//  The hubs of miner/hubs with their keys (one for all, or one each).
static void
s_hubs_load (s_agent_t *self)
{
    zlist_t *hubs = fg_split_list (fg_config_str (self->config, "miner/hubs"));
    zlist_t *keys = fg_split_list (fg_config_str (self->config, "miner/hub_key"));
    self->hub_total = zlist_size (hubs);
    self->hubs = (s_hub_t *) zmalloc (sizeof (s_hub_t) * (self->hub_total + 1));
    const char *key = (const char *) zlist_first (keys);
    size_t index = 0;
    for (const char *hub = (const char *) zlist_first (hubs); hub;
         hub = (const char *) zlist_next (hubs), index++) {
        snprintf (self->hubs [index].endpoint, sizeof self->hubs [index].endpoint, "%s", hub);
        if (key)
            fg_security_read_key (key, self->hubs [index].key);    //  checked before
        if (zlist_size (keys) > 1)
            key = (const char *) zlist_next (keys);
    }
    zlist_destroy (&hubs);
    zlist_destroy (&keys);
    if (self->hub_total == 0)
        self->resolver = fg_resolver_new (fg_config_str (self->config, "locator/endpoints"),
                                          (int) fg_config_int (self->config, "locator/timeout_ms"));
}

//  True when a link other than this one serves the hub at endpoint (or,
//  from the locators, with this key: the same hub at another address).
static bool
s_hub_taken (s_agent_t *self, miner_link_t *link, const char *endpoint, const char *key)
{
    for (size_t index = 0; index < self->link_count; index++) {
        miner_link_t *other = self->links [index];
        if (!other || other == link || !*miner_link_endpoint (other))
            continue;
        if (streq (miner_link_endpoint (other), endpoint))
            return true;
        if (self->hub_total == 0 && *key && streq (miner_link_hub_key (other), key))
            return true;
    }
    return false;
}

//  Which of count hubs a link takes, looking from start on: the first no
//  other link serves, those the checks refused lately last; -1 if none.
static int
s_pick_among (s_agent_t *self, miner_link_t *link, const char **endpoints, const char **keys,
              size_t count, size_t start)
{
    int avoided = -1;
    for (size_t step = 0; step < count; step++) {
        size_t index = (start + step) % count;
        if (s_hub_taken (self, link, endpoints [index], keys [index]))
            continue;
        if (!miner_trust_avoid (self->trust, endpoints [index], keys [index]))
            return (int) index;
        if (avoided < 0)
            avoided = (int) index;
    }
    return avoided;
}

//  What the locators say now, or said a moment ago (to another link).
//  Returns 0, or -1 with why.
static int
s_resolve (s_agent_t *self, char *why, size_t why_size)
{
    if (self->resolution && zclock_mono () - self->resolved_at <= S_RESOLVE_KEEP_MS)
        return 0;
    fg_resolution_destroy (&self->resolution);
    fg_error_t rc = fg_resolver_resolve (self->resolver, "hub-miner", NULL, &self->resolution);
    if (rc == FG_OK && self->resolution->n_endpoints == 0)
        rc = FG_E_NOT_FOUND;
    if (rc == FG_E_NOT_FOUND)
        snprintf (why, why_size, "no hub is registered as hub-miner in the locators (%s)",
                  fg_config_str (self->config, "locator/endpoints"));
    else
    if (rc)
        snprintf (why, why_size, "cannot find a hub: %s", fg_resolver_error_text (self->resolver));
    if (rc) {
        fg_resolution_destroy (&self->resolution);
        return -1;
    }
    self->resolved_at = zclock_mono ();
    return 0;
}

//  miner_link_pick_fn: one of miner/hubs from the link's place on, or of
//  the locators' answer from its start.
static int
s_pick_hub (void *arg, miner_link_t *link, size_t *cursor, char *endpoint, size_t endpoint_size,
            char *key, char *why, size_t why_size)
{
    s_agent_t *self = (s_agent_t *) arg;
    if (!self->hub_total && s_resolve (self, why, why_size))
        return -1;
    size_t count = self->hub_total? self->hub_total: self->resolution->n_endpoints;
    const char **endpoints = (const char **) zmalloc (sizeof (char *) * count);
    const char **keys = (const char **) zmalloc (sizeof (char *) * count);
    for (size_t index = 0; index < count; index++) {
        endpoints [index] = self->hub_total? self->hubs [index].endpoint
                                           : self->resolution->endpoints [index].uri;
        keys [index] = self->hub_total? self->hubs [index].key
                                      : self->resolution->endpoints [index].public_key;
    }
    int chosen = s_pick_among (self, link, endpoints, keys, count,
                               self->hub_total? *cursor % count: 0);
    if (chosen >= 0) {
        snprintf (endpoint, endpoint_size, "%s", endpoints [chosen]);
        snprintf (key, 64, "%s", keys [chosen]);
        if (self->hub_total)
            *cursor = (size_t) chosen;
    }
    else
    if (self->hub_total)
        snprintf (why, why_size, "every hub in miner/hubs is served by another link");
    else
        snprintf (why, why_size, "the locators name %zu hub%s as hub-miner, all served by "
                  "other links", count, count == 1? "": "s");
    free (endpoints);
    free (keys);
    return chosen >= 0? 0: -1;
}

//  miner_link_held_fn
static bool
s_held (void *arg, miner_link_t *link, const char *task_id, uint32_t attempt)
{
    s_agent_t *self = (s_agent_t *) arg;
    for (size_t index = 0; index < self->link_count; index++)
        if (self->links [index] != link && miner_link_holds (self->links [index], task_id, attempt))
            return true;
    return false;
}

//  miner/hub_count links, the machine divided among them.
static int
s_links_new (s_agent_t *self, char *err, size_t err_size)
{
    size_t count = (size_t) fg_config_int (self->config, "miner/hub_count");
    uint32_t *weights = NULL;
    const char *shares = fg_config_str (self->config, "miner/hub_shares");
    if (*shares) {
        weights = (uint32_t *) zmalloc (sizeof (uint32_t) * count);
        s_parse_shares (shares, count, weights, err, err_size);     //  checked before
    }
    self->shares = (Fogrid__Resources *) zmalloc (sizeof (Fogrid__Resources) * count);
    int rc = miner_resources_split (self->resources, weights, count, self->shares, err, err_size);
    free (weights);
    if (rc)
        return -1;
    miner_link_context_t context = {
        .miner_id = self->id, .name = self->name, .links = count, .stats = &self->stats,
        .heartbeat_ms = (uint32_t) fg_config_int (self->config, "miner/heartbeat_ms"),
        .pick = s_pick_hub, .held = s_held, .arg = self };
    self->links = (miner_link_t **) zmalloc (sizeof (miner_link_t *) * count);
    self->link_at = (size_t *) zmalloc (sizeof (size_t) * count);
    self->link_count = count;
    for (size_t index = 0; index < count; index++) {
        miner_trust_t *trust = miner_trust_share (self->trust);
        self->links [index] = miner_link_new (index, &context, &self->shares [index],
                                              &self->limits, &trust);
    }
    return 0;
}

//  The link furthest along (ready, else hello, else check, else no-hub):
//  the one the pipe's STATE and HUB and the probes speak of.
static miner_link_t *
s_best_link (s_agent_t *self)
{
    static const int rank [] = { 0, 0, 2, 3, 1 };       //  by miner_link_state_t
    miner_link_t *best = self->links [0];
    for (size_t index = 1; index < self->link_count; index++) {
        miner_link_t *link = self->links [index];
        if (rank [miner_link_state (link)] > rank [miner_link_state (best)])
            best = link;
    }
    return best;
}

static size_t
s_tasks_held (s_agent_t *self)
{
    size_t total = 0;
    for (size_t index = 0; index < self->link_count; index++)
        total += miner_link_tasks (self->links [index]);
    return total;
}

static s_agent_t *
s_agent_new (zsock_t *pipe, fg_config_t *config, char *err, size_t err_size)
{
    if (miner_agent_check_config (config, err, err_size))
        return NULL;
    s_agent_t *self = (s_agent_t *) zmalloc (sizeof (s_agent_t));
    self->pipe = pipe;
    self->config = config;
    snprintf (self->data_dir, sizeof self->data_dir, "%s", fg_config_str (config, "miner/data_dir"));
    snprintf (self->work_root, sizeof self->work_root, "%s/tasks", self->data_dir);
    if (zsys_dir_create ("%s", self->work_root)) {
        snprintf (err, err_size, "cannot create %s: %s", self->work_root, strerror (errno));
        goto failed;
    }
    snprintf (self->groups_dir, sizeof self->groups_dir, "%s/groups", self->data_dir);
    if (zsys_dir_create ("%s", self->groups_dir)) {
        snprintf (err, err_size, "cannot create %s: %s", self->groups_dir, strerror (errno));
        goto failed;
    }
    if (s_load_id (self, err, err_size))
        goto failed;
    //  What a previous run (killed, say, with SIGKILL) left running is
    //  ended before any hub hears from this one; then its work dirs go
    char tag [80];
    snprintf (tag, sizeof tag, "miner %s", self->id);
    int killed = miner_groups_sweep (self->groups_dir, tag);
    if (killed)
        zsys_notice ("%s: killed %d task process%s a previous run left", tag, killed,
                     killed == 1? "": "es");
    miner_runner_clean (self->work_root);
    //  Cgroups of a previous life too, alongside the groups above
    char cgroup_name [160];
    miner_cgroup_name (self->id, self->data_dir, cgroup_name, sizeof cgroup_name);
    self->cgroups = miner_cgroup_new (cgroup_name, fg_config_int (config, "miner/task_pids_max"));
    snprintf (self->isolation, sizeof self->isolation, "%s: %s",
              miner_cgroup_kind (self->cgroups), miner_cgroup_detail (self->cgroups));
    if (miner_cgroup_active (self->cgroups)) {
        killed = miner_cgroup_sweep (self->cgroups, tag);
        if (killed)
            zsys_notice ("%s: killed %d process%s left in its cgroups", tag, killed,
                         killed == 1? "": "es");
        zsys_info ("%s: process tasks run in cgroups (%s)", tag,
                   miner_cgroup_detail (self->cgroups));
    }
    else
        zsys_warning ("%s: process tasks get rlimits only, no cgroup: %s; their cores are "
                      "not enforced and they may fork without bound", tag,
                      miner_cgroup_detail (self->cgroups));
    self->limits.cgroups = self->cgroups;

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
    self->limits.groups_dir = self->groups_dir;
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
    self->limits.input_url_max = (size_t) fg_config_int (config, "miner/max_input_url");
    self->limits.input_url_timeout_s = (int) fg_config_int (config, "miner/input_url_timeout_s");
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

    s_hubs_load (self);
    self->trust = miner_trust_new (config, self->data_dir, self->id, err, err_size);
    if (!self->trust)
        goto failed;
    if (s_links_new (self, err, err_size))
        goto failed;
    Fogrid__Resources *res = miner_resources_msg (self->resources);
    zsys_info ("miner %s (%s): %u cores, %" PRIu64 " MB memory, %" PRIu64 " MB disk, "
               "%zu labels, price %" PRIu64 ", runtime %s; hub %s", self->id, self->name,
               res->cores, res->mem_mb, res->disk_mb, res->n_labels, res->price, self->runtimes,
               self->hub_total? fg_config_str (config, "miner/hubs"): "through the locators");
    for (size_t index = 0; self->link_count > 1 && index < self->link_count; index++)
        zsys_info ("miner %s: hub link %zu offers %u cores, %" PRIu64 " MB memory, %" PRIu64
                   " MB disk, %u GPUs", self->id, index + 1, self->shares [index].cores,
                   self->shares [index].mem_mb, self->shares [index].disk_mb,
                   self->shares [index].gpus);
    return self;

failed:
    s_agent_destroy (&self);
    return NULL;
}

//  --------------------------------------------------------------------------
//  The pipe, HTTP and the loop

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
        zsock_send (self->pipe, "i", (int) s_tasks_held (self));
    else
    if (streq (command, "ID"))
        zstr_send (self->pipe, self->id);
    else
    if (streq (command, "HUB"))
        zstr_send (self->pipe, miner_link_endpoint (s_best_link (self)));
    else
    if (streq (command, "STATE"))
        zstr_send (self->pipe, miner_link_state_name (miner_link_state (s_best_link (self))));
    else
    if (streq (command, "HTTP"))
        zsock_send (self->pipe, "i", self->http? fg_http_port (self->http): 0);
    else
        zsys_warning ("miner %s: unknown pipe command '%s'", self->id, command);
    zstr_free (&command);
    zmsg_destroy (&msg);
}

//  The agent's state as miner_http reads it
static const char *
s_http_state (void *agent)
{
    return miner_link_state_name (miner_link_state (s_best_link ((s_agent_t *) agent)));
}

static const char *
s_http_hub (void *agent)
{
    return miner_link_endpoint (s_best_link ((s_agent_t *) agent));
}

static size_t
s_http_running (void *agent)
{
    return s_tasks_held ((s_agent_t *) agent);
}

static json_t *
s_http_links (void *agent)
{
    s_agent_t *self = (s_agent_t *) agent;
    json_t *links = json_array ();
    for (size_t index = 0; index < self->link_count; index++)
        json_array_append_new (links, miner_link_json (self->links [index]));
    return links;
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
        .links = s_http_links, .runtimes = self->runtimes, .trust = self->trust,
        .isolation = self->isolation };
    self->http = miner_http_new (address, &self->http_context, err, err_size);
    if (!self->http)
        return -1;
    zsys_info ("miner %s: probes and metrics on http://%s (port %d)", self->id, address,
               fg_http_port (self->http));
    return 0;
}

//  Runs what is due on every link; returns how long the loop may sleep.
static int64_t
s_timers (s_agent_t *self)
{
    int64_t next = zclock_mono () + 1000;
    for (size_t index = 0; index < self->link_count; index++) {
        int64_t due = miner_link_timers (self->links [index]);
        if (due < next)
            next = due;
    }
    int64_t now = zclock_mono ();
    return next > now? next - now: 0;
}

static void
s_agent_run (s_agent_t *self)
{
    while (!self->terminated) {
        int64_t wait = s_timers (self);
        size_t needed = 1 + 64;                 //  the pipe, and 64 for the HTTP sockets
        for (size_t index = 0; index < self->link_count; index++)
            needed += miner_link_item_count (self->links [index]);
        if (needed > self->items_capacity) {
            self->items_capacity = needed + 16;
            size_t size = sizeof (zmq_pollitem_t) * self->items_capacity;
            self->items = (zmq_pollitem_t *) realloc (self->items, size);
        }
        zmq_pollitem_t *items = self->items;
        size_t count = 0;
        items [count++] = (zmq_pollitem_t) { zsock_resolve (self->pipe), 0, ZMQ_POLLIN, 0 };
        for (size_t index = 0; index < self->link_count; index++) {
            self->link_at [index] = count;
            count += miner_link_items (self->links [index], items + count,
                                       self->items_capacity - count);
        }
        if (self->http) {
            count += fg_http_items (self->http, items + count, self->items_capacity - count);
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
        for (size_t index = 0; index < self->link_count; index++)
            miner_link_handle (self->links [index], items + self->link_at [index]);
        if (self->http)
            fg_http_handle (self->http);
    }
}

static void
s_agent_destroy (s_agent_t **self_p)
{
    if (*self_p) {
        s_agent_t *self = *self_p;
        //  The hubs hear it first, so they place the tasks elsewhere now;
        //  then every task is killed, then each reaped: they die in parallel
        for (size_t index = 0; index < self->link_count; index++)
            miner_link_bye (self->links [index], "stopping");
        for (size_t index = 0; index < self->link_count; index++)
            miner_link_kill_all (self->links [index]);
        for (size_t index = 0; index < self->link_count; index++)
            miner_link_destroy (&self->links [index]);
        free (self->links);
        free (self->link_at);
        free (self->shares);
        free (self->items);
        free (self->hubs);
        fg_http_destroy (&self->http);
        fg_resolution_destroy (&self->resolution);
        fg_resolver_destroy (&self->resolver);
        miner_trust_destroy (&self->trust);
        miner_resources_destroy (&self->resources);
        miner_cgroup_destroy (&self->cgroups);
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
    char err [256];
    if (s_http_start (self, err, sizeof err))
        zsys_error ("miner %s: %s (HTTP stays off)", self->id, err);
    s_agent_run (self);
    zsys_info ("miner %s: stopping (%zu tasks killed)", self->id, s_tasks_held (self));
    s_agent_destroy (&self);
}
