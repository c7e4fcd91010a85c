/*  =========================================================================
    miner_runner - the handle of one running task, whatever runtime runs it

    One runner per running task, each with an actor (a thread) of its
    runtime that runs the task, captures its output up to a bound,
    enforces its timeout, and cleans up after it. The miner's agent polls the runner's
    actor: it becomes readable exactly once, when the task has ended, and
    miner_runner_result then gives the outcome as a TaskResult.

        miner_runner_limits_t limits = { .work_root = "/var/lib/fogrid/tasks" };
        miner_runner_t *runner = miner_runner_new ("t-1", 1, spec, &limits);
        ... zpoller on miner_runner_actor (runner) ...
        Fogrid__TaskResult *result = miner_runner_result (runner, 0);
        ... fogrid__task_result__free_unpacked (result, NULL);
        miner_runner_destroy (&runner);     //  kills and reaps if still running

    Whatever happens (no such program, bad env, no process, timeout, kill)
    the task ends with one result; result->error says why when it could not
    run at all. No child outlives its runner.

    Runtimes: miner_runner_new picks the runtime the spec asks for from
    the table of miner_runtime.h (process: miner_process.h; docker;
    service; null) and starts its actor with the handle's
    miner_runtime_args_t. The owner sees no difference: the same handle,
    the same pipe protocol, so the agent treats every task alike.
    =========================================================================  */
#ifndef MINER_RUNNER_H_INCLUDED
#define MINER_RUNNER_H_INCLUDED

#include "miner_runtime.h"

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
//  What its task prints as it runs, on its way to the hub (miner_live.h).
struct _miner_live_t *miner_runner_live (miner_runner_t *self);

void miner_runner_usage (miner_runner_t *self, uint64_t *cpu_ms, uint64_t *mem_bytes);

//  The runtime a spec asks for: its runtime, else "docker" when it names
//  an image, else "process".
const char *miner_runner_runtime (const Fogrid__TaskSpec *spec);

//  True when entry is KEY=VALUE with a shell-style KEY.
bool miner_runner_env_valid (const char *entry);

//  Removes everything under work_root (the work directories of tasks that
//  died with a previous run of the miner), never following symlinks.
void miner_runner_clean (const char *work_root);

#endif
