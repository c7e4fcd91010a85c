/*  =========================================================================
    miner_runtime - what a task runs in: the table of runtimes, the one
    argument every runtime's actor gets, and the contract it follows

    A runtime is an actor (a thread) that runs one task and tells its
    owner, the task handle (miner_runner.h), how it ended:

        name        actor                       runs
        process     miner_process_actor         argv as a process group (miner_process.h)
        docker      miner_docker_runner_actor   a container (miner_docker_runner.h)
        service     miner_service_actor         a long-running container (miner_service.h)
        null        miner_null_actor            nothing, at once (benchmarks only)

    miner_runtime_for picks the entry for a spec, as the limits allow, and
    the handle starts its actor with a miner_runtime_args_t it owns:

        const miner_runtime_t *runtime = miner_runtime_for (spec, limits);
        zactor_t *actor = zactor_new (runtime->actor, &args);

    The contract. The actor reads args->spec and args->limits only until it
    signals (then they are the caller's again), fills pid, workdir when it
    has them, and should signal soon (the owner waits for it). It then
    sends exactly one result with miner_runtime_send_result, unless $TERM
    came first (then it stops its task and ends, sending nothing), and
    after the result waits with miner_runtime_wait_term. KILL means stop
    the task now; its result still comes. Figures of a running task go to
    the owner through miner_runtime_set_usage, from any time.
    =========================================================================  */
#ifndef MINER_RUNTIME_H_INCLUDED
#define MINER_RUNTIME_H_INCLUDED

#include <limits.h>
#include <sys/types.h>

//  What the miner allows its tasks, for every runtime
typedef struct {
    const char *work_root;      //  per-task dirs are made here; NULL or "" = /tmp
    const char *groups_dir;     //  where each task's process group is written down
                                //  (miner_groups.h); NULL or "" = nowhere
    size_t max_output;          //  bytes kept of stdout and of stderr; 0 = 1 MiB
    size_t max_output_files;    //  bytes of output files (TaskSpec.outputs) copied
                                //  back, paths included; 0 = 1 MiB
    int stats_interval_ms;      //  how often a running task's figures are read; 0 = 1000
    size_t input_url_max;       //  bytes of an input given by URL; 0 = miner_inputs.h's default
    int input_url_timeout_s;    //  time to fetch one; 0 = miner_inputs.h's default
    uint32_t default_timeout_s; //  when the spec says 0; 0 = 3600
    uint64_t default_mem_mb;    //  memory when the spec says 0 (a cgroup's, else
                                //  address space); 0 = offered_mem_mb in a cgroup,
                                //  else no limit
    int grace_ms;               //  from SIGTERM to SIGKILL on a timeout; 0 = 1000
    bool no_process;            //  the process runtime is off: its tasks are refused
    bool null_runtime;          //  the benchmark-only `null` runtime is on
    struct _miner_cgroup_t *cgroups;    //  process tasks' cgroups (miner_cgroup.h);
                                //  NULL or inactive = rlimits only
    bool drop_privileges;       //  tasks run as task_uid/task_gid, no extra groups
    uid_t task_uid;             //  (a miner that runs as root: never root's tasks)
    gid_t task_gid;
    uint64_t offered_mem_mb;    //  what the miner offers: a container's (and a process
                                //  cgroup's) memory cap when neither the task nor the
                                //  miner names one
    //  The docker runtime (off when docker_socket is NULL or "")
    const char *docker_socket;  //  the engine's unix socket
    const char *miner_id;       //  labels every container (org.fogrid.miner)
    int docker_timeout_ms;      //  bound of each API call; 0 = 30 s
    uint32_t docker_pull_timeout_s;     //  bound of an image pull; 0 = 600
    int64_t docker_pids_limit;  //  processes per container; 0 = no limit
    bool docker_readonly;       //  read-only root file system (+ a /tmp tmpfs)
    //  Services (a spec with service_name; docker runtime): miner_service.h
    const char *advertise_host; //  where buyers reach this miner; NULL or "" = 127.0.0.1
    const char *locators;       //  where services are registered; NULL or "" = nowhere
    uint32_t service_ttl_ms;    //  lifetime of a service's registration; 0 = 10000
    int health_interval_ms;     //  between health checks; 0 = 2000
    int health_failures;        //  failed checks in a row that withdraw it; 0 = 2
} miner_runner_limits_t;

//  The one argument of every runtime's actor, owned by the task handle
//  and alive as long as the actor
typedef struct {
    //  For the runtime to read
    const char *task_id;        //  as the hub named it
    uint32_t attempt;           //  assignment number
    uint64_t mem_mb;            //  memory limit: the spec's, else the miner's default
    const Fogrid__TaskSpec *spec;           //  until the actor signals
    const miner_runner_limits_t *limits;    //  until the actor signals
    //  For the runtime to fill before it signals (the owner reads them after)
    pid_t pid;                  //  task process = its group; 0 when none
    char workdir [PATH_MAX];    //  cwd and HOME of a process task, "" if none
    //  Figures of the running task: miner_runtime_set_usage / _usage
    uint64_t cpu_ms;
    uint64_t mem_bytes;
    //  What it prints, as it comes: miner_live_put from the runtime's thread
    struct _miner_live_t *live;
} miner_runtime_args_t;

typedef struct {
    const char *name;
    zactor_fn *actor;           //  args: a miner_runtime_args_t
} miner_runtime_t;

//  The runtime a spec asks for, by name: its runtime, else "docker" when
//  it names an image, else "process".
const char *miner_runtime_name (const Fogrid__TaskSpec *spec);

//  The runtime that runs spec here: docker (service for a spec with a
//  service_name) when limits name a Docker socket, null when limits allow
//  it, else process (which refuses, with a clear error, what it cannot run).
const miner_runtime_t *miner_runtime_for (const Fogrid__TaskSpec *spec,
                                          const miner_runner_limits_t *limits);

//  Sends "RESULT" + the encoded result on the actor's pipe.
void miner_runtime_send_result (zsock_t *pipe, const Fogrid__TaskResult *result);

//  What every runtime's result ends with, then sends it: its times (now
//  for one never taken: the task never started, or its end went unseen,
//  written back), the files copied out (files may be NULL) and the usage
//  measured (NULL when none was).
struct _miner_outputs_t;
void miner_runtime_end_result (zsock_t *pipe, Fogrid__TaskResult *result, int64_t *started_ms,
                               int64_t *ended_ms, struct _miner_outputs_t *files,
                               Fogrid__Usage *usage);

//  Waits for $TERM (ignoring a late KILL), or for the pipe to end.
void miner_runtime_wait_term (zsock_t *pipe);

//  Publishes the running task's figures (from the actor's thread), and
//  reads them (from the owner's).
void miner_runtime_set_usage (miner_runtime_args_t *args, uint64_t cpu_ms, uint64_t mem_bytes);
void miner_runtime_usage (miner_runtime_args_t *args, uint64_t *cpu_ms, uint64_t *mem_bytes);

//  True when entry is KEY=VALUE with a shell-style KEY.
bool miner_runtime_env_valid (const char *entry);

#endif
