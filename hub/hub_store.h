/*  =========================================================================
    hub_store - the hub's persistent task store

    SQLite in DATA_DIR/hub.db (WAL): every task the hub accepted, its state,
    attempts and output, the history of its state changes, and the hub's
    own identity. A task is on disk before its buyer learns its id, so a
    hub killed at any moment loses nothing it had accepted.
    =========================================================================  */
#ifndef HUB_STORE_H_INCLUDED
#define HUB_STORE_H_INCLUDED

#include "hub_task.h"
#include "hub_results.h"

typedef struct _hub_store_t hub_store_t;

//  One event of a task's history, as the store returns it.
typedef void (hub_store_event_fn) (void *arg, const char *state, int64_t at_ms,
                                   const char *miner_id, uint32_t attempt,
                                   const char *reason);

//  Opens (creating the directory and the schema) DATA_DIR/hub.db.
//  NULL on failure (logged).
hub_store_t *hub_store_new (const char *data_dir);
void hub_store_destroy (hub_store_t **self_p);

//  full: every commit is on the disk before it returns (synchronous=FULL,
//  an fsync per commit), so a power loss undoes nothing the hub answered.
//  Without it (the default, synchronous=NORMAL in WAL) a commit survives
//  a crash of the process, and a power loss may undo the last commits.
//  Returns 0 or -1.
int hub_store_durability (hub_store_t *self, bool full);

//  Groups the writes that follow into one transaction; begin while one is
//  open and commit while none is are no-ops. Returns 0 or -1.
int hub_store_begin (hub_store_t *self);
int hub_store_commit (hub_store_t *self);

//  Abandons the open transaction, if any.
void hub_store_rollback (hub_store_t *self);

//  A savepoint in the open transaction, for one request's writes: released
//  (kept, committed with the rest) or rolled back alone, leaving the other
//  requests of the transaction as they are.
int hub_store_savepoint (hub_store_t *self);
void hub_store_release_savepoint (hub_store_t *self);
void hub_store_rollback_savepoint (hub_store_t *self);

//  Small persistent settings (the hub id). get returns 0 and fills value,
//  or -1 when the key is unknown.
int hub_store_meta_get (hub_store_t *self, const char *key, char *value, size_t size);
int hub_store_meta_set (hub_store_t *self, const char *key, const char *value);

//  Adds a new task and its first event. Sets task->seq. Durable when it
//  returns 0 outside a transaction (or after the commit inside one).
int hub_store_task_add (hub_store_t *self, hub_task_t *task);

//  Writes the task's state fields (state, attempt, miner, exit status,
//  reason, times, retries).
int hub_store_task_update (hub_store_t *self, const hub_task_t *task);

//  Records a finished task's output: stdout, stderr, the files it left,
//  what it used. Files whose path is not plain and relative
//  (fg_path_relative_valid) are kept as a note only: their content is
//  dropped, their error says why.
int hub_store_task_output_set (hub_store_t *self, const char *task_id,
                               const Fogrid__TaskResult *result);

//  Appends an event to a task's history.
int hub_store_event_add (hub_store_t *self, const char *task_id, hub_task_state_t state,
                         int64_t at_ms, const char *miner_id, uint32_t attempt,
                         const char *reason);

//  Loads one task (any state), by id. NULL when there is none (or on an
//  error, logged).
hub_task_t *hub_store_task_load (hub_store_t *self, const char *task_id);

//  A client token is its buyer's: the task that buyer (its key, "" on a
//  plain-text hub) submitted with it, or NULL. spec_hash (if not NULL,
//  HUB_STORE_HASH_SIZE bytes) receives the hash of the spec it was
//  submitted with, "" when unknown (a store made before hashes).
hub_task_t *hub_store_task_by_token (hub_store_t *self, const char *buyer,
                                     const char *client_token, char *spec_hash);

//  The hash of a spec as it came from the buyer (SHA-256 of its
//  encoding, in hex): what tells a retried submit from another one with
//  the same token.
#define HUB_STORE_HASH_SIZE 65
void hub_store_spec_hash (const Fogrid__TaskSpec *spec, char *hash);

//  As hub_store_task_add, for a buyer's submit: keeps the spec's hash
//  with its client token.
int hub_store_task_submit (hub_store_t *self, hub_task_t *task, const char *spec_hash);

//  Loads a task's output and files into *output (free with hub_output_reset).
int hub_store_task_output (hub_store_t *self, const char *task_id, hub_output_t *output);
void hub_output_reset (hub_output_t *output);

//  Calls fn for each event of a task, oldest first. Returns 0 or -1.
int hub_store_task_events (hub_store_t *self, const char *task_id,
                           hub_store_event_fn *fn, void *arg);

//  Appends every non-terminal task (hub_task_t *, caller destroys) to
//  tasks, in submission order. Returns 0 or -1.
int hub_store_load_active (hub_store_t *self, zlistx_t *tasks);

//  Appends every finished task whose resolution is pending or challenged
//  (hub_court.h), in submission order. Returns 0 or -1.
int hub_store_load_unresolved (hub_store_t *self, zlistx_t *tasks);

//  Appends every run made of parent (tasks whose parent it is, any state),
//  in submission order. Returns 0 or -1.
int hub_store_load_runs (hub_store_t *self, const char *parent, zlistx_t *tasks);

//  Copies a finished task's output, exit status, usage and output hash to
//  another (a replicated task takes its quorum's). Returns 0 or -1.
int hub_store_task_output_copy (hub_store_t *self, const char *from_id, const char *to_id);

//  Tasks of a miner that are assigned, running, or whose resolution is
//  pending or challenged (what a verdict could still take its stake for);
//  -1 on an error.
int64_t hub_store_miner_unresolved (hub_store_t *self, const char *miner_id);

//  Counts buyers' tasks per resolution into counts [HUB_RESOLUTIONS]
//  (slot 0: none). Returns 0 or -1.
int hub_store_count_resolutions (hub_store_t *self, uint64_t *counts);

//  The limit most recently changed tasks, newest first, appended to tasks
//  (a zlistx the caller owns, with a destructor for hub_task_t).
int hub_store_recent (hub_store_t *self, size_t limit, zlistx_t *tasks);

//  Counts tasks per state into counts [HUB_TASK_STATES]. Returns 0 or -1.
int hub_store_count_states (hub_store_t *self, uint64_t *counts);

//  The open database and its file, for the classes that keep their own
//  tables in it (hub_ledger): their writes then share the store's
//  transactions, so a task's state and its money change together.
struct sqlite3 *hub_store_db (hub_store_t *self);
const char *hub_store_path (hub_store_t *self);

//  --------------------------------------------------------------------------
//  Job arrays (SubmitArrayRequest in proto/fogrid.proto). An array's row
//  holds its template spec once; its elements are tasks "ID[INDEX]" whose
//  rows name the array and keep no spec of their own (hub_task_t.templated),
//  or, for an array of separate specs, their own.
typedef struct {
    char id [32];               //  "a-..."
    char client_token [130];    //  "" when none
    char buyer [64];
    uint32_t first, last;       //  element indexes
    uint32_t count;             //  elements accepted
    int64_t submitted_ms;
} hub_array_t;

//  Adds an array; spec is its template, or NULL for an array of separate
//  specs. Returns 0 or -1.
int hub_store_array_add (hub_store_t *self, const hub_array_t *array,
                         const Fogrid__TaskSpec *spec);

//  The packed template of an array (NULL, size 0, when it has none):
//  hub_spec_element makes an element's spec from it.
const uint8_t *hub_store_array_template (hub_store_t *self, const char *array_id, size_t *size);

//  Loads an array by id (or, with id NULL, by its buyer's client token).
//  0, or -1 when there is none.
int hub_store_array_load (hub_store_t *self, const char *id, const char *buyer,
                          const char *client_token, hub_array_t *array);

//  Its elements per state (counts has HUB_TASK_STATES slots), and the ids
//  of the first failed_max that failed appended to failed (strings the
//  list's owner frees; failed may be NULL). 0 or -1.
int hub_store_array_counts (hub_store_t *self, const char *array_id, uint64_t *counts,
                            zlist_t *failed, size_t failed_max);

#endif
