/*  =========================================================================
    miner_runner - runs one task with the `process` runtime, or hands it to
    another runtime (`docker`: miner_docker_runner) behind the same API

    One runner per running task, each an actor (a thread) that fork/execs
    the task's argv in a process group of its own, under resource limits,
    in a fresh work directory, captures its stdout and stderr up to a bound,
    enforces its timeout, and reaps it. The miner's agent polls the runner's
    actor: it becomes readable exactly once, when the task has ended, and
    miner_runner_result then gives the outcome as a TaskResult.

        miner_runner_limits_t limits = { .work_root = "/var/lib/fogrid/tasks" };
        miner_runner_t *runner = miner_runner_new ("t-1", 1, spec, &limits);
        ... zpoller on miner_runner_actor (runner) ...
        Fogrid__TaskResult *result = miner_runner_result (runner, 0);
        ... fogrid__task_result__free_unpacked (result, NULL);
        miner_runner_destroy (&runner);     //  kills and reaps if still running

    Whatever happens (no such program, bad env, fork failure, timeout, kill)
    the task ends with one result; result->error says why when it could not
    run at all. No child outlives its runner.

    Runtimes: miner_runner_new looks at the spec (miner_runner_runtime) and
    runs the task in the actor of its runtime: s_runner_actor here for
    `process`, miner_docker_runner_actor for `docker` when limits name a
    Docker socket, and miner_service_actor for a service (a docker spec
    with service_name). The owner sees no difference: the same handle, the same
    pipe protocol (KILL; one "RESULT" + encoded TaskResult; $TERM), so the
    agent treats every task alike. A runtime's actor gets the runner as its
    argument and follows the contract at the end of this file.
    =========================================================================  */
#ifndef MINER_RUNNER_H_INCLUDED
#define MINER_RUNNER_H_INCLUDED

#include <sys/types.h>

typedef struct {
    const char *work_root;      //  per-task dirs are made here; NULL or "" = /tmp
    const char *groups_dir;     //  where each task's process group is written down
                                //  (miner_groups.h); NULL or "" = nowhere
    size_t max_output;          //  bytes kept of stdout and of stderr; 0 = 1 MiB
    size_t max_output_files;    //  bytes of output files (TaskSpec.outputs) copied
                                //  back, paths included; 0 = 1 MiB
    int stats_interval_ms;      //  how often a running task's figures are read; 0 = 1000
    uint32_t default_timeout_s; //  when the spec says 0; 0 = 3600
    uint64_t default_mem_mb;    //  address space when the spec says 0; 0 = no limit
    int grace_ms;               //  from SIGTERM to SIGKILL on a timeout; 0 = 1000
    bool no_process;            //  the process runtime is off: its tasks are refused
    bool null_runtime;          //  the benchmark-only `null` runtime is on
    bool drop_privileges;       //  tasks run as task_uid/task_gid, no extra groups
    uid_t task_uid;             //  (a miner that runs as root: never root's tasks)
    gid_t task_gid;
    uint64_t offered_mem_mb;    //  what the miner offers: a container's memory cap
                                //  when neither the task nor the miner names one
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

typedef struct _miner_runner_t miner_runner_t;

//  Starts the task. spec and limits (NULL = the defaults) are read before
//  this returns and stay the caller's.
//  Returns once the task's process exists (or failed to start: its result
//  is then ready at once). NULL only when spec or task_id is NULL.
miner_runner_t *miner_runner_new (const char *task_id, uint32_t attempt,
                                  const Fogrid__TaskSpec *spec,
                                  const miner_runner_limits_t *limits);

//  Kills the task's process group if it still runs, reaps it, removes its
//  work directory, and frees the runner. Idempotent; NULLs the pointer.
void miner_runner_destroy (miner_runner_t **self_p);

//  The actor, to poll: it is readable once, when the task has ended.
zactor_t *miner_runner_actor (miner_runner_t *self);

//  Receives the outcome, waiting up to timeout_ms (-1 = until it ends, 0 =
//  only if it is there). Returns a TaskResult with task_id and attempt
//  filled in (free it with fogrid__task_result__free_unpacked (r, NULL)),
//  or NULL when the task has not ended yet or its result was taken before.
Fogrid__TaskResult *miner_runner_result (miner_runner_t *self, int timeout_ms);

//  Kills the whole process group at once (SIGKILL). The result still
//  comes, with error "killed".
void miner_runner_kill (miner_runner_t *self);

//  True once miner_runner_kill was called.
bool miner_runner_killed (miner_runner_t *self);

const char *miner_runner_task_id (miner_runner_t *self);
uint32_t miner_runner_attempt (miner_runner_t *self);

//  Cores (0 counts as 1) and memory (MB, 0 = no limit) the task holds.
uint32_t miner_runner_cores (miner_runner_t *self);
uint64_t miner_runner_mem_mb (miner_runner_t *self);

//  The task's process id, which is also its process group id; 0 when it
//  never started (e.g. no such program).
pid_t miner_runner_pid (miner_runner_t *self);

//  Its work directory (cwd and HOME), "" when none was made. Removed when
//  the task ends.
const char *miner_runner_workdir (miner_runner_t *self);

//  The running task's figures as last measured (every stats_interval_ms):
//  CPU time so far and memory in use; zeros before the first look.
void miner_runner_usage (miner_runner_t *self, uint64_t *cpu_ms, uint64_t *mem_bytes);

//  The runtime a spec asks for: its runtime, else "docker" when it names
//  an image, else "process".
const char *miner_runner_runtime (const Fogrid__TaskSpec *spec);

//  True when entry is KEY=VALUE with a shell-style KEY.
bool miner_runner_env_valid (const char *entry);

//  Removes everything under work_root (the work directories of tasks that
//  died with a previous run of the miner), never following symlinks.
void miner_runner_clean (const char *work_root);

//  --------------------------------------------------------------------------
//  The contract of a runtime's actor (args = the miner_runner_t): it reads
//  the spec and limits only until it signals (then they are the caller's
//  again), and should signal soon (miner_runner_new waits for it). It
//  then sends exactly one result with miner_runner_send_result, unless
//  $TERM came first (then it stops its task and ends, sending nothing),
//  and after the result waits with miner_runner_wait_term. KILL means
//  stop the task now; its result still comes.

const Fogrid__TaskSpec *miner_runner_spec (miner_runner_t *self);
const miner_runner_limits_t *miner_runner_limits (miner_runner_t *self);

//  Sends "RESULT" + the encoded result on the actor's pipe.
void miner_runner_send_result (zsock_t *pipe, const Fogrid__TaskResult *result);

//  Publishes the running task's figures (miner_runner_usage), from the
//  actor's thread.
void miner_runner_set_usage (miner_runner_t *self, uint64_t cpu_ms, uint64_t mem_bytes);

//  Waits for $TERM (ignoring a late KILL), or for the pipe to end.
void miner_runner_wait_term (zsock_t *pipe);

#endif
