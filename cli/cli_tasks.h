/*  =========================================================================
    cli_tasks - the task's commands of the `fogrid` command line: submit,
    status, wait, result, logs and cancel

    They share one view of a task: its info block (status), its state
    changes as they come (wait, submit --wait), its output and files
    (result, submit --wait). Output is for people by default and stable
    enough for scripts: `submit` prints only the task id, `result
    --stdout` only the task's stdout.

        fogrid submit -- sh -c 'echo hello; exit 3'     #  prints t-...
        fogrid wait t-0123456789ab                      #  exits 3
    =========================================================================  */
#ifndef CLI_TASKS_H_INCLUDED
#define CLI_TASKS_H_INCLUDED

#include "cli_client.h"

//  Runs argv [0] (submit, status, wait, result, logs or cancel) with its
//  arguments. Returns the exit status: 0 done, 1 the grid refused or
//  failed, 2 bad usage, or for `wait` (and `submit --wait`, `logs -f`)
//  the task's own exit code.
int cli_tasks_main (const cli_opts_t *opts, int argc, char **argv);

#endif
