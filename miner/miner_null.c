/*  =========================================================================
    miner_null - the `null` runtime, for benchmarks only
    =========================================================================  */
#include "fogrid.h"
#include "miner_runtime.h"
#include "miner_null.h"

void
miner_null_actor (zsock_t *pipe, void *args)
{
    miner_runtime_args_t *runner = (miner_runtime_args_t *) args;
    Fogrid__TaskResult result = FOGRID__TASK_RESULT__INIT;
    result.task_id = (char *) runner->task_id;
    result.attempt = runner->attempt;
    result.started_ms = result.ended_ms = (uint64_t) fg_now_ms ();
    //  SHA-256 of nothing, as every runtime reports one for stdout
    result.stdout_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    zsock_signal (pipe, 0);
    miner_runtime_send_result (pipe, &result);
    miner_runtime_wait_term (pipe);
}
