/*  =========================================================================
    hub_results - what finished tasks left: stdout, stderr, files, usage

    Kept in the store's database, in the store's transactions: the store
    makes one (hub_store_new) and answers for it (hub_store_task_output*),
    so a task's state and its output are committed together.
    =========================================================================  */
#ifndef HUB_RESULTS_H_INCLUDED
#define HUB_RESULTS_H_INCLUDED

#include "fogrid.h"

struct sqlite3;
typedef struct _hub_results_t hub_results_t;

//  Output of a finished task, as the store returns it.
typedef struct {
    zchunk_t *stdout_data;      //  never NULL, may be empty
    zchunk_t *stderr_data;      //  never NULL, may be empty
    bool stdout_truncated;
    bool stderr_truncated;
    char stdout_sha256 [65];    //  as the miner computed it over all of stdout, or ""
    Fogrid__OutputFile **files; //  the files it left (TaskSpec.outputs), in order
    size_t n_files;
} hub_output_t;

//  Over the store's open connection (its tables made); who names it in
//  log lines and must outlive this object. Destroy it before the
//  connection closes (it finalizes its statements).
hub_results_t *hub_results_new (struct sqlite3 *db, const char *who);
void hub_results_destroy (hub_results_t **self_p);

//  Records a finished task's output: stdout, stderr, the files it left,
//  what it used. Files whose path is not plain and relative
//  (fg_path_relative_valid) are kept as a note only: their content is
//  dropped, their error says why. Returns 0 or -1.
int hub_results_set (hub_results_t *self, const char *task_id,
                     const Fogrid__TaskResult *result);

//  Loads a task's output and files into *output (free with hub_output_reset).
//  0, or -1 when there is no such task (or on an error, logged).
int hub_results_load (hub_results_t *self, const char *task_id, hub_output_t *output);
void hub_output_reset (hub_output_t *output);

//  Copies a finished task's output, exit status, usage and output hash to
//  another. Returns 0 or -1.
int hub_results_copy (hub_results_t *self, const char *from_id, const char *to_id);

#endif
