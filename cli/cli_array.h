/*  =========================================================================
    cli_array - job arrays on the command line: `fogrid submit --array
    RANGE` and `--from FILE`, and `fogrid status` / `fogrid wait` of an
    array

        fogrid submit --array 1-100000 -- sh -c 'work {}'   //  {} = the index
        fogrid submit --from tasks.txt                      //  a task per line
        fogrid status a-0123456789ab                        //  counts by state
        fogrid wait a-0123456789ab                          //  progress to the end
        fogrid status 'a-0123456789ab[7]'                   //  one element

    A line of FILE is a command line (run as sh -c LINE), or a JSON object
    with TaskSpec's fields ({"argv": [...], "cores": 2, ...}); the other
    submit options are every line's defaults. Blank lines and lines that
    start with # are skipped; elements are numbered 1.. in the order of
    the other lines.
    =========================================================================  */
#ifndef CLI_ARRAY_H_INCLUDED
#define CLI_ARRAY_H_INCLUDED

#include "cli_client.h"

//  True when id names an array (not one of its elements).
bool cli_array_is (const char *id);

//  Submits spec over range ("FIRST-LAST", or "N" for 1-N), or the lines of
//  from (spec gives their defaults); partial accepts the valid elements.
//  Prints the array id; with wait, follows it to the end. Returns the
//  exit status.
int cli_array_submit (cli_client_t *client, Fogrid__TaskSpec *spec, const char *range,
                      const char *from, bool partial, const char *token, bool wait);

//  Prints an array's counts by state; 0, or 1 when it cannot be read.
int cli_array_status (cli_client_t *client, const char *array_id);

//  Prints progress until every element ended: 0 when all succeeded.
int cli_array_wait (cli_client_t *client, const char *array_id);

#endif
