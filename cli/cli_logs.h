/*  =========================================================================
    cli_logs - `fogrid logs -f TASK`: a task's output as it comes

    Asks the hub for the task's output from an offset, prints what came
    (stdout to stdout, stderr to stderr), asks again from the next offset
    until the hub says the task ended. Every byte the hub still held is
    printed once; when its ring wrapped past what was printed here, a
    line on stderr says how many bytes were missed.
    =========================================================================  */
#ifndef CLI_LOGS_H_INCLUDED
#define CLI_LOGS_H_INCLUDED

#include "cli_client.h"

#define CLI_LOGS_POLL_MS 250        //  between two asks when nothing came

//  Follows task_id to its end. Returns the task's exit code (0 for a
//  success), 1 when it failed without one or the hub cannot say.
int cli_logs_follow (cli_client_t *client, const char *task_id);

#endif
