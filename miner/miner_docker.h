/*  =========================================================================
    miner_docker - a small Docker Engine API client over the unix socket

    Just the calls the `docker` runtime needs, through libcurl
    (CURLOPT_UNIX_SOCKET_PATH) with jansson for the bodies. One client per
    thread: it holds a curl handle, which must not be shared. Every call
    has a time limit; every failure leaves a sentence for people in
    miner_docker_error (curl's and the engine's messages translated here,
    once).

        miner_docker_t *docker = miner_docker_new ("/var/run/docker.sock", 30000);
        if (miner_docker_ping (docker)) ...miner_docker_error (docker)...
        miner_docker_spec_t spec = { .image = "fogrid/busybox", .argv = argv, .argc = 2 };
        char id [80];
        miner_docker_create (docker, &spec, id, sizeof id);
        miner_docker_output_t *output = miner_docker_output_new (1 << 20);
        miner_docker_attach_t *attach = miner_docker_attach_new (docker, id, output);
        miner_docker_start (docker, id);
        while (miner_docker_attach_pump (attach, -1, 1000) == 1) ;
        ...miner_docker_inspect, miner_docker_remove...

    Calls return 0 / -1 unless said otherwise.
    =========================================================================  */
#ifndef MINER_DOCKER_H_INCLUDED
#define MINER_DOCKER_H_INCLUDED

#define MINER_DOCKER_SOCKET         "/var/run/docker.sock"
//  Labels on every container a miner starts
#define MINER_DOCKER_LABEL_MINER    "org.fogrid.miner"      //  the miner's id
#define MINER_DOCKER_LABEL_TASK     "org.fogrid.task"       //  TASK_ID/ATTEMPT
#define MINER_DOCKER_LABEL_SERVICE  "org.fogrid.service"    //  a service's name

typedef struct _miner_docker_t miner_docker_t;

#include "miner_docker_output.h"
#include "miner_docker_attach.h"

//  libcurl's global setup: call from main() before any thread starts,
//  as libcurl asks (miner_docker_new does it otherwise, once), and the
//  end before main() returns, when no client is left.
void miner_docker_global_init (void);
void miner_docker_global_end (void);

//  A client of the engine at socket_path (NULL = MINER_DOCKER_SOCKET);
//  timeout_ms bounds each call but pull and wait (0 = 30 s). Talks to
//  nothing yet.
miner_docker_t *miner_docker_new (const char *socket_path, int timeout_ms);
void miner_docker_destroy (miner_docker_t **self_p);

//  Why the last call failed, for people; "" after a success.
const char *miner_docker_error (miner_docker_t *self);

//  HTTP status of the last reply, 0 when none came (no engine, timeout).
long miner_docker_status (miner_docker_t *self);

const char *miner_docker_socket (miner_docker_t *self);

//  For what talks to the engine beside the client (miner_docker_attach.h):
//  the bound of a short call, and a failure to leave in miner_docker_error.
int miner_docker_timeout_ms (miner_docker_t *self);
void miner_docker_set_error (miner_docker_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  True when id may be a container id (the engine's hex, or a name); else
//  false, and miner_docker_error says why: ids go into URLs.
bool miner_docker_id_valid (miner_docker_t *self, const char *id);

//  The long calls (pull, wait) call fn (arg) every 100 ms and whenever fd
//  (e.g. a ZeroMQ socket's ZMQ_FD; -1 = none) is readable; when it
//  returns true the call ends at once, failing with "interrupted".
typedef bool (miner_docker_interrupt_fn) (void *arg);
void miner_docker_set_interrupt (miner_docker_t *self, int fd,
                                 miner_docker_interrupt_fn *fn, void *arg);

//  True when the last call failed because it was interrupted.
bool miner_docker_interrupted (miner_docker_t *self);

//  Whether an engine answers.
int miner_docker_ping (miner_docker_t *self);

//  "VERSION (API APIVERSION)" of the engine into buf.
int miner_docker_version (miner_docker_t *self, char *buf, size_t size);

//  True when name is a plausible image reference ([A-Za-z0-9._/:@-], at
//  most 255 characters): names go into URLs.
bool miner_docker_image_valid (const char *image);

//  1 when the image is here, 0 when it is not, -1 on an error.
int miner_docker_image_present (miner_docker_t *self, const char *image);

//  Pulls the image, waiting up to timeout_ms (0 = 10 minutes).
int miner_docker_image_pull (miner_docker_t *self, const char *image, int timeout_ms);

//  What a container is made of.
typedef struct {
    const char *image;
    const char *const *argv;    //  command; argc 0 = the image's own
    size_t argc;
    const char *const *env;     //  KEY=VALUE
    size_t envc;
    const char *miner_id;       //  label MINER_DOCKER_LABEL_MINER
    const char *task_ref;       //  label MINER_DOCKER_LABEL_TASK, "TASK/ATTEMPT"
    double cores;               //  NanoCpus; 0 = no limit
    uint64_t mem_mb;            //  Memory and MemorySwap (no swap); 0 = no limit
    int64_t pids_limit;         //  0 = no limit
    bool readonly_rootfs;       //  the image's file system read-only
    bool network;               //  false: NetworkMode none (batch tasks)
    size_t log_max;             //  json-file log bound in bytes; 0 = 1 MiB
    //  Services (network on): port (TCP, in the container) is published
    //  on the host at host_ip (NULL = every address) on a port the engine
    //  picks (miner_docker_port tells which)
    uint16_t port;              //  0 = none
    const char *host_ip;
    const char *service;        //  label MINER_DOCKER_LABEL_SERVICE, NULL = none
} miner_docker_spec_t;

//  Creates a container (never privileged; every capability dropped,
//  no-new-privileges) and writes its id into id.
int miner_docker_create (miner_docker_t *self, const miner_docker_spec_t *spec,
                         char *id, size_t size);
int miner_docker_start (miner_docker_t *self, const char *id);

//  Sends a signal (e.g. SIGKILL). A container that is not running, or
//  gone, counts as done.
int miner_docker_kill (miner_docker_t *self, const char *id, int signal);

//  Removes the container, running or not, with its anonymous volumes. A
//  container already gone counts as removed.
int miner_docker_remove (miner_docker_t *self, const char *id);

//  Waits up to timeout_ms for the container to stop and sets *exit_code.
//  Returns 0, 1 when it still runs after timeout_ms, or -1.
int miner_docker_wait (miner_docker_t *self, const char *id, int timeout_ms,
                       int64_t *exit_code);

typedef struct {
    char status [32];           //  created, running, exited, dead...
    bool running;
    bool oom_killed;            //  the kernel killed it: out of memory
    int64_t exit_code;
    char error [256];           //  the engine's error, e.g. a failed start
    char working_dir [1024];    //  its command's directory ("/" when the image sets none)
} miner_docker_state_t;

int miner_docker_inspect (miner_docker_t *self, const char *id, miner_docker_state_t *state);

//  Where the container's TCP port is published: the host's port into
//  *host_port, and the container's own address on its network into ip
//  (for health checks that bypass the engine's proxy). -1 while the
//  engine has not published it (or on an error).
int miner_docker_port (miner_docker_t *self, const char *id, uint16_t port,
                       uint16_t *host_port, char *ip, size_t ip_size);

//  The labels of an image (its Config.Labels) as a hash of strings, empty
//  when it has none; NULL on an error (no such image: status 404). The
//  caller destroys it.
zhashx_t *miner_docker_image_labels (miner_docker_t *self, const char *image);

//  Ids of the containers (running or not) with the label "KEY=VALUE",
//  or NULL on an error; the caller destroys the list.
zlist_t *miner_docker_list (miner_docker_t *self, const char *label);

//  --------------------------------------------------------------------------
//  Output: a container's stdout and stderr (miner_docker_output.h)

//  Reads what the engine logged of the container (its json-file log)
//  into output.
int miner_docker_logs (miner_docker_t *self, const char *id, miner_docker_output_t *output);

//  --------------------------------------------------------------------------
//  Files and figures

//  Takes the next bytes of a reply's body; false ends the transfer there.
typedef bool (miner_docker_sink_fn) (void *arg, const byte *data, size_t size);

//  Streams a tar archive of path (absolute) in the container, running or
//  not, to sink as it comes (miner_tar reads it). Returns 0 when it came
//  whole, 1 when the sink ended it, -1 on an error (status 404: no such
//  path in the container).
int miner_docker_archive (miner_docker_t *self, const char *id, const char *path,
                          miner_docker_sink_fn *sink, void *arg);

typedef struct {
    uint64_t cpu_ns;            //  CPU time used so far, user + system
    uint64_t mem_bytes;         //  memory in use (its cgroup's count, page cache included)
    uint64_t mem_max_bytes;     //  the highest use so far; 0 where the engine does
                                //  not tell (cgroup v2)
    uint32_t pids;              //  processes now
} miner_docker_stats_t;

//  One sample of a container's figures, at once (no second sample for
//  rates). Returns 0, 1 when there is nothing to measure (it is not
//  running: its cgroup is gone), or -1 on an error.
int miner_docker_stats (miner_docker_t *self, const char *id, miner_docker_stats_t *stats);

#endif
