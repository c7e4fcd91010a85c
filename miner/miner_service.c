/*  =========================================================================
    miner_service - runs a service: a long-running container whose port is
    published on the miner's host and registered in the locator while its
    health check passes

    DESIGN
    The actor copies what it needs of the spec and the limits and signals
    at once (a pull may take minutes), then drives the engine with a client
    of its own, as miner_docker_runner does for batch tasks:

        image inspect -> [pull] -> labels -> create (network on, the port
            published on a free host port) -> start -> where is it published
            -> watch: wait for the container to stop, up to the next health
               check; check; register or withdraw
            -> withdraw -> [SIGTERM, grace, SIGKILL] -> logs -> remove -> RESULT

    The wait watches the actor pipe (its ZMQ_FD), so a KILL or a $TERM is
    seen at once. Health checks go to the container's own address on its
    network, not to the published port: the engine's proxy accepts a
    connection on the published port even when nothing listens inside.

    Each service has a registrant of its own (fg_registrant, owner
    MINER/TASK/ATTEMPT): made when the service turns healthy, destroyed
    (which withdraws its registration at every locator at once) when it
    turns unhealthy or ends. A miner that dies takes its registrations with
    it after their TTL.

        state       event                           next        action
        -----       -----                           ----        ------
        starting    a check passes                  healthy     register
        healthy     `health_failures` checks fail   unhealthy   withdraw
        unhealthy   a check passes                  healthy     register again
        any         the container stops             ended       withdraw; result: its exit
        any         the deadline (timeout_s)        ended       withdraw; stop; result: exit 0
        any         KILL (stop-service, cancel)     ended       withdraw; stop; result
        any         $TERM (the miner stops)         ended       withdraw; remove; no result

    Result: a service that served until its deadline succeeded (exit 0); one
    whose container stopped by itself reports the container's exit (128 + N
    as signal N: `docker kill` from outside is "killed by signal 9"); one
    that could not start has `error`. stdout and stderr are the container's
    log, bounded as a task's output.
    =========================================================================  */
#include "fogrid.h"
#include "miner_runtime.h"
#include "miner_docker.h"
#include "miner_live.h"
#include "miner_service.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#define S_LIVE_MS               1000    //  between two looks at its log for the live view
#define S_DEFAULT_OUTPUT        (1024 * 1024)
#define S_DEFAULT_TIMEOUT       3600
#define S_DEFAULT_PULL_S        600
#define S_DEFAULT_TTL_MS        10000
#define S_DEFAULT_INTERVAL_MS   2000
#define S_DEFAULT_FAILURES      2
#define S_STARTING_CHECK_MS     250     //  between checks until the first passes
#define S_MIN_WAIT_MS           50      //  shortest wait call
#define S_STOP_GRACE_MS         3000    //  SIGTERM -> SIGKILL when we stop it
#define S_PORT_WAIT_MS          5000    //  for the engine to publish the port
#define S_MAX_FUNCTIONS         64

typedef enum {
    SVC_STARTING = 1,
    SVC_HEALTHY,
    SVC_UNHEALTHY
} s_state_t;

static const char *s_state_names [] = { "?", "starting", "healthy", "unhealthy" };

//  The actor thread's state.
typedef struct {
    miner_runtime_args_t *owner;    //  the task handle's (miner_runtime.h)
    zsock_t *pipe;              //  to the owner
    const char *task_id;        //  the owner's
    miner_docker_t *docker;     //  this thread's client
    //  Copied from the spec and the limits before the actor signals
    char *socket;               //  the engine's socket
    int api_timeout_ms;         //  bound of each short call
    int pull_timeout_ms;        //  bound of a pull
    uint32_t timeout_s;         //  the service's deadline
    size_t max_output;          //  bytes kept of its log, each stream
    char name [64];             //  the service's name in the locator
    uint16_t port;              //  its port in the container
    char health [256];          //  "tcp" | "http:/PATH"
    zlist_t *functions;         //  names; from the spec, else the image's label
    uint32_t protocol;          //  version; 0 = the image's label
    char *image;
    char **argv;                //  argc entries; none = the image's command
    size_t argc;
    zlist_t *env;               //  KEY=VALUE, the spec's then ours
    char miner_id [64];
    char task_ref [100];        //  TASK_ID/ATTEMPT, a label of the container
    char reg_owner [64];        //  owner of its registration
    char advertise [256];       //  the host buyers reach it at
    char host_ip [64];          //  where the port is published, "" = everywhere
    char *locators;             //  where it is registered
    uint32_t ttl_ms;            //  lifetime of each registration refresh
    int interval_ms;            //  between health checks
    int failures_max;           //  failures in a row that withdraw it
    miner_docker_spec_t spec;   //  the container
    //  Running
    zhashx_t *labels;           //  the image's labels
    char description [1024];    //  protocol description, from a label
    char public_key [41];       //  CurveZMQ, "" when it serves plain text
    char id [80];               //  the container, "" before create
    uint16_t host_port;         //  where the port is published
    char container_ip [64];     //  the container's address, for checks
    fg_registrant_t *registrant;    //  while it is registered
    s_state_t state;            //  see the table above
    int failures;               //  health checks failed in a row
    char last_failure [256];    //  why the last check failed
    bool exited;                //  the container stopped by itself
    bool gone;                  //  the container was removed from outside
    int64_t exit_code;          //  as the engine says
    bool deadline_passed;       //  we stopped it at its deadline
    bool killed;                //  KILL came on the pipe
    bool terminated;            //  $TERM came: no result wanted
    char error [700];           //  could not run: why
    int64_t started_ms;
    int64_t ended_ms;
    miner_docker_output_t *output;  //  its log, at the end
    size_t live_seen [2];       //  bytes of its log gone to the live view (miner_live.h)
    int64_t live_at;            //  the next look at its log for the live view
} s_service_t;

//  --------------------------------------------------------------------------
//  Health checks

bool
miner_service_health_valid (const char *health)
{
    if (!health || !*health || streq (health, "tcp"))
        return true;
    if (strncmp (health, "http:/", 6) || strlen (health) > 205 || !fg_text_valid (health, 205))
        return false;
    return !strchr (health, ' ');
}

static int
s_check_tcp (const char *host, uint16_t port, int timeout_ms, char *err, size_t err_size)
{
    char service [8];
    snprintf (service, sizeof service, "%u", port);
    struct addrinfo hints, *addresses = NULL;
    memset (&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int rc = getaddrinfo (host, service, &hints, &addresses);
    if (rc || !addresses) {
        snprintf (err, err_size, "cannot resolve %s: %s", host, gai_strerror (rc));
        return -1;
    }
    int fd = socket (addresses->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    rc = -1;
    if (fd < 0)
        snprintf (err, err_size, "socket: %s", strerror (errno));
    else
    if (connect (fd, addresses->ai_addr, addresses->ai_addrlen) == 0)
        rc = 0;
    else
    if (errno != EINPROGRESS)
        snprintf (err, err_size, "connect to %s:%u: %s", host, port, strerror (errno));
    else {
        struct pollfd item = { fd, POLLOUT, 0 };
        int ready = poll (&item, 1, timeout_ms);
        int error = 0;
        socklen_t size = sizeof error;
        if (ready == 0)
            snprintf (err, err_size, "connect to %s:%u: no answer in %d ms", host, port, timeout_ms);
        else
        if (ready < 0 || getsockopt (fd, SOL_SOCKET, SO_ERROR, &error, &size) || error)
            snprintf (err, err_size, "connect to %s:%u: %s", host, port,
                      strerror (ready < 0? errno: error? error: EIO));
        else
            rc = 0;
    }
    if (fd >= 0)
        close (fd);
    freeaddrinfo (addresses);
    return rc;
}

static int
s_check_http (const char *path, const char *host, uint16_t port, int timeout_ms,
              char *err, size_t err_size)
{
    char url [600];
    bool ipv6 = strchr (host, ':') != NULL;
    snprintf (url, sizeof url, "http://%s%s%s:%u%s", ipv6? "[": "", host, ipv6? "]": "", port,
              path);
    return fg_http_get (url, timeout_ms, "fogrid-miner health check", NULL, err, err_size);
}

int
miner_service_health_check (const char *health, const char *host, uint16_t port,
                            int timeout_ms, char *err, size_t err_size)
{
    if (!miner_service_health_valid (health)) {
        snprintf (err, err_size, "'%.64s' is not a health check (tcp or http:/PATH)", health);
        return -1;
    }
    if (health && strncmp (health, "http:", 5) == 0)
        return s_check_http (health + 5, host, port, timeout_ms, err, err_size);
    return s_check_tcp (host, port, timeout_ms, err, err_size);
}

//  --------------------------------------------------------------------------
//  Preparation (before the actor signals: the spec is still ours to read)

//  Names a buyer's service may not take: they would stand beside the grid's
//  own (the hub's CLI resolves `hub`, miners `hub-miner`). The hub refuses
//  them at submit; this is the miner's own guard.
static bool
s_name_reserved (const char *name)
{
    return streq (name, "hub") || strncmp (name, "hub-", 4) == 0 || streq (name, "locator");
}

static int
s_prepare (s_service_t *self)
{
    const Fogrid__TaskSpec *spec = self->owner->spec;
    const miner_runner_limits_t *limits = self->owner->limits;
    self->task_id = self->owner->task_id;
    self->functions = zlist_new ();
    zlist_autofree (self->functions);
    self->env = zlist_new ();
    zlist_autofree (self->env);

    self->socket = strdup (limits->docker_socket);
    self->api_timeout_ms = limits->docker_timeout_ms;
    self->pull_timeout_ms = (int) (limits->docker_pull_timeout_s? limits->docker_pull_timeout_s
                                                                : S_DEFAULT_PULL_S) * 1000;
    self->timeout_s = spec->timeout_s? spec->timeout_s: limits->default_timeout_s;
    if (self->timeout_s == 0)
        self->timeout_s = S_DEFAULT_TIMEOUT;
    self->max_output = limits->max_output? limits->max_output: S_DEFAULT_OUTPUT;
    self->ttl_ms = limits->service_ttl_ms? limits->service_ttl_ms: S_DEFAULT_TTL_MS;
    self->interval_ms = limits->health_interval_ms > 0? limits->health_interval_ms
                                                      : S_DEFAULT_INTERVAL_MS;
    self->failures_max = limits->health_failures > 0? limits->health_failures: S_DEFAULT_FAILURES;
    self->locators = strdup (limits->locators? limits->locators: "");
    snprintf (self->miner_id, sizeof self->miner_id, "%s", limits->miner_id? limits->miner_id: "");
    snprintf (self->task_ref, sizeof self->task_ref, "%s/%u", self->task_id,
              self->owner->attempt);
    if (snprintf (self->reg_owner, sizeof self->reg_owner, "%s/%s", self->miner_id,
                  self->task_ref) >= (int) sizeof self->reg_owner)
        fg_id_new ("svc", self->reg_owner, sizeof self->reg_owner);
    const char *advertise = limits->advertise_host && *limits->advertise_host
                          ? limits->advertise_host: "127.0.0.1";
    snprintf (self->advertise, sizeof self->advertise, "%s", advertise);
    //  A numeric address is where the port is published; a name, everywhere
    byte address [16];
    if (inet_pton (AF_INET, advertise, address) == 1 || inet_pton (AF_INET6, advertise, address) == 1)
        snprintf (self->host_ip, sizeof self->host_ip, "%s", advertise);
    self->state = SVC_STARTING;

    const char *name = spec->service_name;
    if (!fg_name_valid (name) || s_name_reserved (name)) {
        snprintf (self->error, sizeof self->error, "'%.64s' is not a name a service may take",
                  name);
        return -1;
    }
    snprintf (self->name, sizeof self->name, "%s", name);
    if (spec->service_port == 0 || spec->service_port > 65535) {
        snprintf (self->error, sizeof self->error, "service %s: port %u is not in 1..65535",
                  name, spec->service_port);
        return -1;
    }
    self->port = (uint16_t) spec->service_port;
    if (!miner_service_health_valid (spec->health)) {
        snprintf (self->error, sizeof self->error, "service %s: '%.64s' is not a health check "
                  "(tcp or http:/PATH)", name, spec->health);
        return -1;
    }
    snprintf (self->health, sizeof self->health, "%s", *spec->health? spec->health: "tcp");
    for (size_t index = 0; index < spec->n_service_functions && index < S_MAX_FUNCTIONS; index++)
        zlist_append (self->functions, spec->service_functions [index]);
    self->protocol = spec->service_protocol;
    if (!spec->image || !*spec->image || !miner_docker_image_valid (spec->image)) {
        snprintf (self->error, sizeof self->error, "service %s: '%.64s' is not a valid image name",
                  name, spec->image? spec->image: "");
        return -1;
    }
    self->image = strdup (spec->image);
    for (size_t index = 0; index < spec->n_env; index++) {
        if (!miner_runtime_env_valid (spec->env [index])) {
            snprintf (self->error, sizeof self->error,
                      "environment entry '%.64s' is not KEY=VALUE", spec->env [index]);
            return -1;
        }
        if (strncmp (spec->env [index], "FOGRID_", 7))      //  those are ours
            zlist_append (self->env, spec->env [index]);
    }
    self->argc = spec->n_argv;
    self->argv = (char **) zmalloc (sizeof (char *) * (spec->n_argv + 1));
    for (size_t index = 0; index < spec->n_argv; index++)
        self->argv [index] = strdup (spec->argv [index]);

    miner_docker_spec_t *container = &self->spec;
    container->image = self->image;
    container->argv = (const char *const *) self->argv;
    container->argc = self->argc;
    container->miner_id = self->miner_id;
    container->task_ref = self->task_ref;
    container->service = self->name;
    long online = sysconf (_SC_NPROCESSORS_ONLN);
    double cores = spec->cores? spec->cores: 1;
    container->cores = online > 0 && cores > online? (double) online: cores;
    container->mem_mb = self->owner->mem_mb;
    container->pids_limit = limits->docker_pids_limit;
    container->readonly_rootfs = limits->docker_readonly;
    container->network = true;          //  a service is reached over the network
    container->port = self->port;
    container->host_ip = *self->host_ip? self->host_ip: NULL;
    container->log_max = self->max_output;
    return 0;
}

//  --------------------------------------------------------------------------
//  The locator

static void
s_set_state (s_service_t *self, s_state_t next, const char *why)
{
    if (self->state != next)
        zsys_info ("service %s (task %s): %s -> %s (%s)", self->name, self->task_id,
                   s_state_names [self->state], s_state_names [next], why);
    self->state = next;
}

static void
s_register (s_service_t *self)
{
    if (!*self->locators) {
        zsys_warning ("service %s (task %s): no locator/endpoints: it is not registered",
                      self->name, self->task_id);
        return;
    }
    Fogrid__Endpoint endpoint = FOGRID__ENDPOINT__INIT;
    endpoint.transport = "tcp";
    endpoint.host = self->advertise;
    endpoint.port = self->host_port;
    endpoint.weight = 1;
    endpoint.public_key = self->public_key;

    size_t count = zlist_size (self->functions);
    Fogrid__Function *store = (Fogrid__Function *) zmalloc (sizeof (Fogrid__Function) * (count + 1));
    Fogrid__Function **functions = (Fogrid__Function **) zmalloc (sizeof (void *) * (count + 1));
    char **descriptions = (char **) zmalloc (sizeof (char *) * (count + 1));
    size_t index = 0;
    for (char *name = (char *) zlist_first (self->functions); name;
         name = (char *) zlist_next (self->functions), index++) {
        Fogrid__Function *function = &store [index];
        fogrid__function__init (function);
        function->name = name;
        //  org.fogrid.service.function.NAME = "ARGS -> RESULT"
        char label [128];
        snprintf (label, sizeof label, "%s%s", MINER_SERVICE_LABEL_FUNCTION, name);
        const char *text = self->labels? (const char *) zhashx_lookup (self->labels, label): NULL;
        if (text && fg_text_valid (text, 1000)) {
            descriptions [index] = strdup (text);
            char *arrow = strstr (descriptions [index], " -> ");
            if (arrow) {
                *arrow = 0;
                function->result = arrow + 4;
            }
            function->args = descriptions [index];
        }
        functions [index] = function;
    }
    char tag_miner [64], tag_task [64];
    snprintf (tag_miner, sizeof tag_miner, "miner:%.56s", self->miner_id);
    snprintf (tag_task, sizeof tag_task, "task:%.57s", self->task_id);
    char *tags [] = { tag_miner, tag_task };

    Fogrid__Registration reg = FOGRID__REGISTRATION__INIT;
    reg.name = self->name;
    reg.endpoint = &endpoint;
    reg.protocol_version = self->protocol;
    reg.protocol = self->description;
    reg.n_functions = count;
    reg.functions = functions;
    reg.n_tags = 2;
    reg.tags = tags;
    Fogrid__Registration *regs [] = { &reg };
    self->registrant = fg_registrant_new (self->locators, self->reg_owner, self->ttl_ms);
    fg_registrant_set (self->registrant, regs, 1);
    zsys_info ("service %s (task %s): registered as tcp://%s:%u (protocol %u, %zu functions)",
               self->name, self->task_id, self->advertise, self->host_port, self->protocol, count);
    for (index = 0; index < count; index++)
        free (descriptions [index]);
    free (descriptions);
    free (functions);
    free (store);
}

//  Withdraws it from every locator now (the registrant's destroy does).
static void
s_withdraw (s_service_t *self, const char *why)
{
    if (!self->registrant)
        return;
    fg_registrant_destroy (&self->registrant);
    zsys_info ("service %s (task %s): withdrawn from the locators (%s)", self->name,
               self->task_id, why);
}

static void
s_check_health (s_service_t *self)
{
    //  The container's own address; without one, the published port
    const char *host = *self->container_ip? self->container_ip
                     : *self->host_ip? self->host_ip: "127.0.0.1";
    uint16_t port = *self->container_ip? self->port: self->host_port;
    int timeout_ms = self->interval_ms / 2 < 200? 200
                   : self->interval_ms / 2 > 2000? 2000: self->interval_ms / 2;
    char why [256];
    if (miner_service_health_check (self->health, host, port, timeout_ms, why, sizeof why) == 0) {
        self->failures = 0;
        if (self->state != SVC_HEALTHY) {
            s_set_state (self, SVC_HEALTHY, "its health check passes");
            s_register (self);
        }
        return;
    }
    self->failures++;
    if (!streq (why, self->last_failure))
        fg_debug ("service %s (task %s): health check failed: %s", self->name, self->task_id, why);
    snprintf (self->last_failure, sizeof self->last_failure, "%s", why);
    if (self->state == SVC_HEALTHY && self->failures >= self->failures_max) {
        char text [400];
        snprintf (text, sizeof text, "%d health checks failed: %s", self->failures, why);
        s_set_state (self, SVC_UNHEALTHY, text);
        s_withdraw (self, "unhealthy");
    }
}

//  --------------------------------------------------------------------------
//  Running

static bool
s_pipe_pending (void *arg)
{
    s_service_t *self = (s_service_t *) arg;
    return (zsock_events (self->pipe) & ZMQ_POLLIN) != 0;
}

//  Takes every command waiting on the pipe.
static void
s_check_pipe (s_service_t *self)
{
    while (!self->terminated && (zsock_events (self->pipe) & ZMQ_POLLIN)) {
        char *command = zstr_recv (self->pipe);
        if (!command || streq (command, "$TERM"))
            self->terminated = true;
        else
        if (streq (command, "KILL"))
            self->killed = true;
        zstr_free (&command);
    }
}

static bool
s_stop_wanted (s_service_t *self)
{
    s_check_pipe (self);
    return self->terminated || self->killed;
}

//  The image's labels: the functions, protocol and description the spec
//  does not give, and whether it serves CurveZMQ.
static void
s_read_labels (s_service_t *self)
{
    self->labels = miner_docker_image_labels (self->docker, self->image);
    if (!self->labels) {
        zsys_warning ("service %s (task %s): cannot read the labels of %s: %s", self->name,
                      self->task_id, self->image, miner_docker_error (self->docker));
        self->labels = zhashx_new ();
    }
    const char *functions = (const char *) zhashx_lookup (self->labels,
                                                          MINER_SERVICE_LABEL_FUNCTIONS);
    if (zlist_size (self->functions) == 0 && functions) {
        zlist_t *names = fg_split_list (functions);
        for (char *name = (char *) zlist_first (names); name; name = (char *) zlist_next (names))
            if (zlist_size (self->functions) < S_MAX_FUNCTIONS && fg_text_valid (name, 63)
            &&  !strchr (name, ' '))
                zlist_append (self->functions, name);
        zlist_destroy (&names);
    }
    const char *protocol = (const char *) zhashx_lookup (self->labels, MINER_SERVICE_LABEL_PROTOCOL);
    if (self->protocol == 0 && protocol && atoi (protocol) > 0)
        self->protocol = (uint32_t) atoi (protocol);
    if (self->protocol == 0)
        self->protocol = 1;
    const char *description = (const char *) zhashx_lookup (self->labels,
                                                            MINER_SERVICE_LABEL_DESCRIPTION);
    if (description && fg_text_valid (description, sizeof self->description - 1))
        snprintf (self->description, sizeof self->description, "%s", description);
}

//  A fresh key pair when the image serves CurveZMQ and the miner is secure;
//  the service gets both halves in its environment.
static void
s_make_keys (s_service_t *self)
{
    const char *curve = (const char *) zhashx_lookup (self->labels, MINER_SERVICE_LABEL_CURVE);
    if (!curve || !(streq (curve, "1") || streq (curve, "true")) || fg_security_insecure ())
        return;
    zcert_t *cert = zcert_new ();
    if (!cert) {
        zsys_warning ("service %s (task %s): cannot make a key pair: it serves plain text",
                      self->name, self->task_id);
        return;
    }
    snprintf (self->public_key, sizeof self->public_key, "%s", zcert_public_txt (cert));
    char *entry = zsys_sprintf ("FOGRID_SERVICE_PUBLIC_KEY=%s", zcert_public_txt (cert));
    zlist_append (self->env, entry);
    zstr_free (&entry);
    entry = zsys_sprintf ("FOGRID_SERVICE_SECRET_KEY=%s", zcert_secret_txt (cert));
    zlist_append (self->env, entry);
    zstr_free (&entry);
    zcert_destroy (&cert);
}

//  Image, container, start, and where its port is. Leaves self->error set
//  when the service could not start.
static int
s_start (s_service_t *self)
{
    miner_docker_t *docker = self->docker;
    int present = miner_docker_image_present (docker, self->image);
    if (present < 0) {
        snprintf (self->error, sizeof self->error, "%s", miner_docker_error (docker));
        return -1;
    }
    if (present == 0) {
        zsys_info ("service %s (task %s): image %s is not here: pulling it", self->name,
                   self->task_id, self->image);
        while (miner_docker_image_pull (docker, self->image, self->pull_timeout_ms)) {
            if (miner_docker_interrupted (docker) && !s_stop_wanted (self))
                continue;
            if (!self->terminated && !self->killed)
                snprintf (self->error, sizeof self->error,
                          "image %s is not present and cannot be pulled: %s", self->image,
                          miner_docker_error (docker));
            return -1;
        }
    }
    if (s_stop_wanted (self))
        return -1;
    s_read_labels (self);
    s_make_keys (self);
    //  Its environment: the spec's, then these facts
    char *facts [4];
    facts [0] = zsys_sprintf ("FOGRID_TASK_ID=%s", self->task_id);
    facts [1] = zsys_sprintf ("FOGRID_ATTEMPT=%u", self->owner->attempt);
    facts [2] = zsys_sprintf ("FOGRID_SERVICE_NAME=%s", self->name);
    facts [3] = zsys_sprintf ("FOGRID_SERVICE_PORT=%u", self->port);
    for (int index = 0; index < 4; index++) {
        zlist_append (self->env, facts [index]);
        zstr_free (&facts [index]);
    }
    size_t envc = zlist_size (self->env);
    const char **env = (const char **) zmalloc (sizeof (char *) * (envc + 1));
    size_t index = 0;
    for (char *entry = (char *) zlist_first (self->env); entry;
         entry = (char *) zlist_next (self->env))
        env [index++] = entry;
    self->spec.env = env;
    self->spec.envc = envc;
    int rc = miner_docker_create (docker, &self->spec, self->id, sizeof self->id);
    self->spec.env = NULL;
    free (env);
    if (rc) {
        snprintf (self->error, sizeof self->error, "cannot create a container of %s: %s",
                  self->image, miner_docker_error (docker));
        return -1;
    }
    if (s_stop_wanted (self))
        return -1;
    self->started_ms = fg_now_ms ();
    if (miner_docker_start (docker, self->id)) {
        snprintf (self->error, sizeof self->error, "cannot start the container: %s",
                  miner_docker_error (docker));
        return -1;
    }
    int64_t give_up = zclock_mono () + S_PORT_WAIT_MS;
    while (miner_docker_port (docker, self->id, self->port, &self->host_port,
                              self->container_ip, sizeof self->container_ip)) {
        if (zclock_mono () > give_up || s_stop_wanted (self)) {
            if (!self->terminated && !self->killed)
                snprintf (self->error, sizeof self->error, "the engine did not publish port %u: %s",
                          self->port, miner_docker_error (docker));
            return -1;
        }
        zclock_sleep (100);
    }
    zsys_info ("service %s (task %s): container %.12s of %s started, port %u published at "
               "%s:%u (container %s), health check %s", self->name, self->task_id, self->id,
               self->image, self->port, *self->host_ip? self->host_ip: "*", self->host_port,
               *self->container_ip? self->container_ip: "?", self->health);
    return 0;
}

//  Until the container stops, the deadline, a KILL or a $TERM.
static void
s_watch (s_service_t *self)
{
    int64_t deadline = zclock_mono () + (int64_t) self->timeout_s * 1000;
    int64_t next_check = zclock_mono ();
    while (true) {
        if (s_stop_wanted (self))
            return;
        int64_t now = zclock_mono ();
        if (now >= deadline) {
            zsys_info ("service %s (task %s): its deadline has come (%u s): stopping it",
                       self->name, self->task_id, self->timeout_s);
            self->deadline_passed = true;
            return;
        }
        if (now >= next_check) {
            s_check_health (self);
            now = zclock_mono ();
            next_check = now + (self->state == SVC_STARTING? S_STARTING_CHECK_MS
                                                           : self->interval_ms);
        }
        //  Its log, read again from the engine, feeds the live view: no
        //  stream is attached to a service
        if (now >= self->live_at) {
            miner_docker_output_t *log = miner_docker_output_new (self->max_output);
            if (miner_docker_logs (self->docker, self->id, log) == 0)
                miner_live_put_output (self->owner->live, log, self->live_seen);
            miner_docker_output_destroy (&log);
            now = zclock_mono ();
            self->live_at = now + S_LIVE_MS;
        }
        int64_t until = next_check < deadline? next_check: deadline;
        if (self->live_at < until)
            until = self->live_at;
        int wait = (int) (until - now);
        int64_t code = -1;
        int rc = miner_docker_wait (self->docker, self->id, wait < S_MIN_WAIT_MS? S_MIN_WAIT_MS: wait,
                                    &code);
        if (rc == 0) {
            self->exited = true;
            self->exit_code = code;
            zsys_info ("service %s (task %s): its container stopped (exit %" PRId64 ")",
                       self->name, self->task_id, code);
            return;
        }
        if (rc < 0 && miner_docker_status (self->docker) == 404) {
            self->gone = true;
            zsys_warning ("service %s (task %s): its container %.12s was removed by someone else",
                          self->name, self->task_id, self->id);
            return;
        }
        if (rc < 0 && !miner_docker_interrupted (self->docker)) {
            snprintf (self->error, sizeof self->error, "lost track of the container: %s",
                      miner_docker_error (self->docker));
            return;
        }
    }
}

//  Stops a container we end (deadline, KILL): SIGTERM, then SIGKILL.
static void
s_stop_container (s_service_t *self)
{
    if (!*self->id || self->exited || self->gone)
        return;
    if (!self->terminated) {
        miner_docker_kill (self->docker, self->id, SIGTERM);
        int64_t code;
        //  Not interrupted: a $TERM now only shortens nothing worth it
        miner_docker_set_interrupt (self->docker, -1, NULL, NULL);
        if (miner_docker_wait (self->docker, self->id, S_STOP_GRACE_MS, &code) == 0)
            return;
    }
    if (miner_docker_kill (self->docker, self->id, SIGKILL))
        zsys_warning ("service %s (task %s): cannot kill container %.12s: %s", self->name,
                      self->task_id, self->id, miner_docker_error (self->docker));
}

static void
s_send_result (s_service_t *self)
{
    Fogrid__TaskResult result = FOGRID__TASK_RESULT__INIT;
    result.task_id = (char *) self->task_id;
    result.attempt = self->owner->attempt;
    result.exit_code = -1;
    if (*self->error)
        result.exit_code = 127;
    else
    if (self->deadline_passed)
        result.exit_code = 0;           //  it served its term
    else
    if (self->exited && self->exit_code > 128 && self->exit_code < 128 + 65)
        result.term_signal = (int32_t) (self->exit_code - 128);
    else
    if (self->exited)
        result.exit_code = (int32_t) self->exit_code;
    else
    if (self->gone)
        snprintf (self->error, sizeof self->error, "its container was removed by someone else");
    else
    if (self->killed)
        snprintf (self->error, sizeof self->error, "killed");
    result.error = self->error;
    char hex [65] = "";
    if (!self->output)
        self->output = miner_docker_output_new (0);
    size_t size;
    result.stdout.data = (byte *) miner_docker_output_data (self->output, 1, &size);
    result.stdout.len = size;
    result.stdout_truncated = miner_docker_output_truncated (self->output, 1);
    result.stderr.data = (byte *) miner_docker_output_data (self->output, 2, &size);
    result.stderr.len = size;
    result.stderr_truncated = miner_docker_output_truncated (self->output, 2);
    miner_docker_output_sha256 (self->output, hex);
    result.stdout_sha256 = hex;
    result.started_ms = (uint64_t) (self->started_ms? self->started_ms: fg_now_ms ());
    result.ended_ms = (uint64_t) (self->ended_ms? self->ended_ms: fg_now_ms ());
    miner_runtime_send_result (self->pipe, &result);
}

void
miner_service_actor (zsock_t *pipe, void *args)
{
    s_service_t self;
    memset (&self, 0, sizeof self);
    self.owner = (miner_runtime_args_t *) args;
    self.pipe = pipe;
    bool ready = s_prepare (&self) == 0;
    zsock_signal (pipe, 0);             //  the spec is the caller's again

    if (ready) {
        self.docker = miner_docker_new (self.socket, self.api_timeout_ms);
        if (!self.docker)
            snprintf (self.error, sizeof self.error, "cannot make a Docker client");
    }
    if (self.docker) {
        miner_docker_set_interrupt (self.docker, zsock_fd (pipe), s_pipe_pending, &self);
        if (s_start (&self) == 0)
            s_watch (&self);
        s_withdraw (&self, self.terminated? "the miner stops"
                         : self.killed? "stopped as the hub asked"
                         : self.deadline_passed? "its deadline": "it ended");
        s_stop_container (&self);
        self.ended_ms = fg_now_ms ();
        if (*self.id && !self.terminated && !self.gone) {
            self.output = miner_docker_output_new (self.max_output);
            if (miner_docker_logs (self.docker, self.id, self.output))
                zsys_warning ("service %s (task %s): cannot read the log of container %.12s: %s",
                              self.name, self.task_id, self.id, miner_docker_error (self.docker));
        }
        if (*self.id && miner_docker_remove (self.docker, self.id))
            zsys_error ("service %s (task %s): cannot remove container %.12s: %s (the miner's "
                        "next start removes it)", self.name, self.task_id, self.id,
                        miner_docker_error (self.docker));
    }
    if (!self.terminated) {
        s_send_result (&self);
        miner_runtime_wait_term (pipe);
    }
    miner_docker_output_destroy (&self.output);
    miner_docker_destroy (&self.docker);
    zhashx_destroy (&self.labels);
    if (self.argv)
        for (size_t index = 0; index < self.argc; index++)
            free (self.argv [index]);
    free (self.argv);
    zlist_destroy (&self.functions);
    zlist_destroy (&self.env);
    free (self.image);
    free (self.locators);
    free (self.socket);
}
