/*  =========================================================================
    miner_process - the `process` runtime: a task's argv as a process group
    of its own, under limits, as the task's user, in a work directory

    One actor per task (a runtime of miner_runtime.h; the task handle,
    miner_runner.h, starts it): it makes the work directory, starts the
    process (clone + exec, the death signal asked after the change of
    user, the group written down first: miner_groups.h), captures stdout
    and stderr up to a bound, enforces the timeout, copies the outputs
    back (miner_workdir.h), reaps the task and sweeps its group, and sends
    one result. No child outlives its actor, nor, but what left its group,
    its miner.
    =========================================================================  */
#ifndef MINER_PROCESS_H_INCLUDED
#define MINER_PROCESS_H_INCLUDED

//  The actor; args is a miner_runtime_args_t.
void miner_process_actor (zsock_t *pipe, void *args);

#endif
