/*  =========================================================================
    cli_logs - `fogrid logs -f TASK`: a task's output as it comes
    =========================================================================  */
#include "fogrid.h"
#include "cli_logs.h"
#include "cli_spec.h"

int
cli_logs_follow (cli_client_t *client, const char *task_id)
{
    uint64_t offset = 0;
    while (!zsys_interrupted) {
        fg_env_t *env = NULL;
        Fogrid__LogsReply *reply = cli_client_logs (client, task_id, offset, &env);
        if (!reply)
            return cli_client_failed (client, task_id);
        if (reply->dropped) {
            fflush (stdout);
            fprintf (stderr, "[fogrid: %" PRIu64 " bytes of output missed here: the hub keeps "
                     "only the latest (hub/log_ring), and they were gone before they were "
                     "read]\n", reply->dropped);
        }
        for (size_t index = 0; index < reply->n_chunks; index++) {
            Fogrid__OutputChunk *chunk = reply->chunks [index];
            FILE *out = chunk->stream == 2? stderr: stdout;
            fwrite (chunk->data.data, 1, chunk->data.len, out);
            fflush (out);
        }
        bool moved = reply->next_offset != offset;
        bool finished = reply->finished;
        offset = reply->next_offset;
        fg_msg_free (&env);
        if (finished)
            break;
        if (!moved)
            zclock_sleep (CLI_LOGS_POLL_MS);
    }
    if (zsys_interrupted)
        return 130;
    //  Its end, as `fogrid wait` says it
    fg_env_t *env = NULL;
    Fogrid__TaskInfo *info = cli_client_status (client, task_id, &env);
    int rc = 1;
    if (info) {
        if (streq (info->state, "succeeded"))
            rc = 0;
        else
        if (info->exit_code > 0)
            rc = info->exit_code;
        fflush (stdout);
        fprintf (stderr, "[fogrid: task %s %s]\n", task_id, info->state);
    }
    fg_msg_free (&env);
    return rc;
}
