/*  =========================================================================
    miner_runtime - the table of runtimes and their contract's helpers
    =========================================================================  */
#include "fogrid.h"
#include "miner_runtime.h"
#include "miner_process.h"
#include "miner_docker_runner.h"
#include "miner_service.h"
#include "miner_null.h"
#include "miner_outputs.h"
#include <ctype.h>

static const miner_runtime_t s_runtimes [] = {
    { "process", miner_process_actor },
    { "docker", miner_docker_runner_actor },
    { "service", miner_service_actor },
    { "null", miner_null_actor },
};

const char *
miner_runtime_name (const Fogrid__TaskSpec *spec)
{
    if (spec->runtime && *spec->runtime)
        return spec->runtime;
    return spec->image && *spec->image? "docker": "process";
}

const miner_runtime_t *
miner_runtime_for (const Fogrid__TaskSpec *spec, const miner_runner_limits_t *limits)
{
    const char *name = miner_runtime_name (spec);
    //  With docker off, the process runtime refuses a docker task with a
    //  clear error; so it does a runtime it does not know
    bool docker = streq (name, "docker") && limits->docker_socket && *limits->docker_socket;
    if (docker && spec->service_name && *spec->service_name)
        return &s_runtimes [2];
    if (docker)
        return &s_runtimes [1];
    if (streq (name, "null") && limits->null_runtime)
        return &s_runtimes [3];
    return &s_runtimes [0];
}

void
miner_runtime_send_result (zsock_t *pipe, const Fogrid__TaskResult *result)
{
    zframe_t *frame = zframe_new (NULL, fogrid__task_result__get_packed_size (result));
    fogrid__task_result__pack (result, zframe_data (frame));
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "RESULT");
    zmsg_append (msg, &frame);
    zmsg_send (&msg, pipe);
}

void
miner_runtime_end_result (zsock_t *pipe, Fogrid__TaskResult *result, int64_t *started_ms,
                          int64_t *ended_ms, miner_outputs_t *files, Fogrid__Usage *usage)
{
    if (!*started_ms)
        *started_ms = fg_now_ms ();
    if (!*ended_ms)
        *ended_ms = fg_now_ms ();
    result->started_ms = (uint64_t) *started_ms;
    result->ended_ms = (uint64_t) *ended_ms;
    if (files)
        miner_outputs_fill (files, result);
    if (usage)
        result->usage = usage;
    miner_runtime_send_result (pipe, result);
}

void
miner_runtime_wait_term (zsock_t *pipe)
{
    //  The owner may still say KILL (too late) before $TERM
    while (true) {
        char *command = zstr_recv (pipe);
        bool done = !command || streq (command, "$TERM");
        zstr_free (&command);
        if (done)
            break;
    }
}

void
miner_runtime_set_usage (miner_runtime_args_t *args, uint64_t cpu_ms, uint64_t mem_bytes)
{
    __atomic_store_n (&args->cpu_ms, cpu_ms, __ATOMIC_RELAXED);
    __atomic_store_n (&args->mem_bytes, mem_bytes, __ATOMIC_RELAXED);
}

void
miner_runtime_usage (miner_runtime_args_t *args, uint64_t *cpu_ms, uint64_t *mem_bytes)
{
    *cpu_ms = __atomic_load_n (&args->cpu_ms, __ATOMIC_RELAXED);
    *mem_bytes = __atomic_load_n (&args->mem_bytes, __ATOMIC_RELAXED);
}

bool
miner_runtime_env_valid (const char *entry)
{
    const char *equals = strchr (entry, '=');
    if (!equals || equals == entry || (entry [0] >= '0' && entry [0] <= '9'))
        return false;
    for (const char *c = entry; c < equals; c++)
        if (!(isalnum ((unsigned char) *c) || *c == '_'))
            return false;
    return true;
}
