/*  =========================================================================
    miner_null - the `null` runtime, for benchmarks only

    Completes every task at once with exit code 0 and no output, running
    nothing: what remains of a task's round trip is the grid's own cost
    (submit, store, match, assign, report, store), which is what the
    dispatch benchmark measures. A miner offers it only when
    `miner/runtime` names it; never use it on a grid that sells work.
    =========================================================================  */
#ifndef MINER_NULL_H_INCLUDED
#define MINER_NULL_H_INCLUDED

//  The runtime's actor (args = a miner_runtime_args_t); see miner_runtime.h.
void miner_null_actor (zsock_t *pipe, void *args);

#endif
