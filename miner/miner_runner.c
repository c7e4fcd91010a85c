/*  =========================================================================
    miner_runner - the handle of one running task, whatever runs it

    DESIGN
    The handle owns the task's actor and the one argument its runtime
    gets (miner_runtime_args_t): what the runtime reads (id, attempt, spec
    and limits until it signals) and what it fills (pid, work directory,
    running figures). The runtime is picked from the table in
    miner_runtime.c; the handle knows nothing of how any of them runs a
    task, and no runtime knows of the handle. Its pipe protocol is the
    runtime contract (miner_runtime.h): KILL; one "RESULT" + an encoded
    TaskResult; $TERM.
    =========================================================================  */
#include "fogrid.h"
#include "miner_runner.h"
#include "miner_workdir.h"
#include "miner_live.h"

struct _miner_runner_t {
    zactor_t *actor;            //  the runtime's thread, running the task
    char *task_id;              //  as the hub named it
    uint32_t cores;             //  asked for, 0 counted as 1
    bool killed;                //  miner_runner_kill was called
    bool taken;                 //  the result was received
    miner_runtime_args_t args;  //  the runtime's argument (lives as long as the actor)
};

miner_runner_t *
miner_runner_new (const char *task_id, uint32_t attempt, const Fogrid__TaskSpec *spec,
                  const miner_runner_limits_t *limits)
{
    if (!task_id || !spec)
        return NULL;
    miner_runner_limits_t defaults;
    memset (&defaults, 0, sizeof defaults);
    if (!limits)
        limits = &defaults;
    miner_runner_t *self = (miner_runner_t *) zmalloc (sizeof (miner_runner_t));
    self->task_id = strdup (task_id);
    self->cores = spec->cores? spec->cores: 1;
    self->args.task_id = self->task_id;
    self->args.attempt = attempt;
    self->args.mem_mb = spec->mem_mb? spec->mem_mb: limits->default_mem_mb;
    self->args.spec = spec;
    self->args.limits = limits;
    self->args.live = miner_live_new ();
    //  Returns once the runtime has signalled: its task started, or failed to
    self->actor = zactor_new (miner_runtime_for (spec, limits)->actor, &self->args);
    self->args.spec = NULL;             //  the caller's again
    self->args.limits = NULL;
    return self;
}

void
miner_runner_destroy (miner_runner_t **self_p)
{
    if (*self_p) {
        miner_runner_t *self = *self_p;
        zactor_destroy (&self->actor);
        miner_live_destroy (&self->args.live);
        free (self->task_id);
        free (self);
        *self_p = NULL;
    }
}

zactor_t *
miner_runner_actor (miner_runner_t *self)
{
    return self->actor;
}

Fogrid__TaskResult *
miner_runner_result (miner_runner_t *self, int timeout_ms)
{
    if (self->taken)
        return NULL;
    zsock_t *sock = zactor_sock (self->actor);
    zmq_pollitem_t item = { zsock_resolve (sock), 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&item, 1, timeout_ms) <= 0)
        return NULL;
    zmsg_t *msg = zmsg_recv (sock);
    if (!msg)
        return NULL;
    Fogrid__TaskResult *result = NULL;
    char *kind = zmsg_popstr (msg);
    zframe_t *frame = zmsg_first (msg);
    if (kind && streq (kind, "RESULT") && frame)
        result = fogrid__task_result__unpack (NULL, zframe_size (frame), zframe_data (frame));
    zstr_free (&kind);
    zmsg_destroy (&msg);
    self->taken = true;
    return result;
}

void
miner_runner_kill (miner_runner_t *self)
{
    self->killed = true;
    if (!self->taken)
        zstr_send (self->actor, "KILL");
}

bool
miner_runner_killed (miner_runner_t *self)
{
    return self->killed;
}

const char *
miner_runner_task_id (miner_runner_t *self)
{
    return self->task_id;
}

uint32_t
miner_runner_attempt (miner_runner_t *self)
{
    return self->args.attempt;
}

uint32_t
miner_runner_cores (miner_runner_t *self)
{
    return self->cores;
}

uint64_t
miner_runner_mem_mb (miner_runner_t *self)
{
    return self->args.mem_mb;
}

pid_t
miner_runner_pid (miner_runner_t *self)
{
    return self->args.pid;
}

const char *
miner_runner_workdir (miner_runner_t *self)
{
    return self->args.workdir;
}

miner_live_t *
miner_runner_live (miner_runner_t *self)
{
    return self->args.live;
}

void
miner_runner_usage (miner_runner_t *self, uint64_t *cpu_ms, uint64_t *mem_bytes)
{
    miner_runtime_usage (&self->args, cpu_ms, mem_bytes);
}

const char *
miner_runner_runtime (const Fogrid__TaskSpec *spec)
{
    return miner_runtime_name (spec);
}

bool
miner_runner_env_valid (const char *entry)
{
    return miner_runtime_env_valid (entry);
}

void
miner_runner_clean (const char *work_root)
{
    miner_workdir_clean (work_root);
}
