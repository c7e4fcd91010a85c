/*  =========================================================================
    hub_tasks - the hub's unfinished tasks: by id, per buyer, the queue,
    and the one function that changes a task's state

        hub_tasks_t *tasks = hub_tasks_new (store);
        hub_tasks_watch (tasks, money_first, count_after, server);
        hub_tasks_submit (tasks, task, spec_hash);      //  stored, kept, queued
        ...the placer takes tasks from hub_tasks_fair (tasks) in fair order,
        hub_tasks_assign (tasks, task, "m-1", NULL);
        hub_tasks_dequeue (tasks, task);
        ...a result comes:
        hub_task_t *task = hub_tasks_lookup (tasks, "t-42");
        if (hub_tasks_is_current (task, "m-1", attempt)) {
            hub_tasks_change (tasks, task, HUB_TASK_SUCCEEDED, NULL);
            hub_tasks_retire (tasks, task);            //  the store keeps it
        }
        hub_tasks_destroy (&tasks);

    Every task here is not finished; its record (hub_task_t) is public, its
    state and its place in the queue are not: they change only through
    hub_tasks_change and hub_tasks_assign, which change it in memory
    (hub_task_set_state) and write the row and the event in the store's
    open transaction, together.
    =========================================================================  */
#ifndef HUB_TASKS_H_INCLUDED
#define HUB_TASKS_H_INCLUDED

#include "hub_task.h"
#include "hub_store.h"

typedef struct _hub_tasks_t hub_tasks_t;

//  Told of a change of task to next: before it (a valid one), and after
//  it (when it was written).
typedef void (hub_tasks_fn) (void *arg, hub_task_t *task, hub_task_state_t next);

//  Empty: hub_tasks_restore loads a previous run's.
hub_tasks_t *hub_tasks_new (hub_store_t *store);
void hub_tasks_destroy (hub_tasks_t **self_p);

//  Who hears of changes (either may be NULL): the money that goes with a
//  change is moved before it, in the same transaction, so a crash keeps
//  both or neither.
void hub_tasks_watch (hub_tasks_t *self, hub_tasks_fn *before, hub_tasks_fn *after, void *arg);

//  A new pending task (attempt 1, a seq above every other): stored in a
//  savepoint of the open transaction, with the hash of the spec its buyer
//  sent (hub_store_spec_hash; NULL: none), then kept and queued. Returns 0
//  (the task is the hub's now), or -1 when the store failed (nothing
//  changed; the caller still owns the task).
int hub_tasks_submit (hub_tasks_t *self, hub_task_t *task, const char *spec_hash);

//  As hub_tasks_submit for count tasks in one savepoint (a job array):
//  all are the hub's (0), or none and the caller still owns them (-1).
int hub_tasks_submit_many (hub_tasks_t *self, hub_task_t **tasks, size_t count);

//  The unfinished task with that id, or NULL.
hub_task_t *hub_tasks_lookup (hub_tasks_t *self, const char *task_id);

//  The task with that id in memory, else the finished one from the store
//  (*owned: the caller destroys it). NULL when there is none.
hub_task_t *hub_tasks_find (hub_tasks_t *self, const char *task_id, bool *owned);

//  True when (task, attempt) is the current assignment of that miner:
//  results and TaskStarted count only then (anything else is stale).
bool hub_tasks_is_current (const hub_task_t *task, const char *miner_id, uint32_t attempt);

//  The one writer of a task's state but for the assignment: tells the
//  watchers, writes the change (hub_task_set_state), and puts a task that
//  went back to pending at its place in the queue. Returns 0, or -1 (the
//  table refused it, or the store failed: logged).
int hub_tasks_change (hub_tasks_t *self, hub_task_t *task, hub_task_state_t next,
                      const char *reason);

//  pending -> assigned to miner_id. The task stays in the queue until
//  hub_tasks_dequeue (which may follow at once).
int hub_tasks_assign (hub_tasks_t *self, hub_task_t *task, const char *miner_id,
                      const char *reason);
void hub_tasks_dequeue (hub_tasks_t *self, hub_task_t *task);

//  A task in a final state leaves memory and is destroyed (the store has it).
void hub_tasks_retire (hub_tasks_t *self, hub_task_t *task);

//  The pending tasks in submission order, and every unfinished task by id,
//  for hub_fair and the HTTP pages to read (never to change).
zlistx_t *hub_tasks_queue (hub_tasks_t *self);

//  The same tasks in fair order (hub_fair.h), for the placer's rounds:
//  it may take, give back and park tasks, never add or remove them.
struct _hub_fair_t *hub_tasks_fair (hub_tasks_t *self);
zhashx_t *hub_tasks_table (hub_tasks_t *self);

//  Tasks queued; unfinished tasks in a state; a buyer's unfinished tasks.
size_t hub_tasks_queued (hub_tasks_t *self);
size_t hub_tasks_count (hub_tasks_t *self, hub_task_state_t state);
size_t hub_tasks_of_buyer (hub_tasks_t *self, const char *buyer);

//  Tasks in each state (counts has HUB_TASK_STATES slots): the unfinished
//  ones here, the finished ones in the store (as hub_store_count_states
//  says, without its query).
void hub_tasks_counts (hub_tasks_t *self, uint64_t *counts);

//  Walks every unfinished task, the running ones, or a buyer's; NULL at the end. Nothing may
//  change the set while a walk goes on.
hub_task_t *hub_tasks_first (hub_tasks_t *self);
hub_task_t *hub_tasks_next (hub_tasks_t *self);
hub_task_t *hub_tasks_running_first (hub_tasks_t *self);
hub_task_t *hub_tasks_running_next (hub_tasks_t *self);
hub_task_t *hub_tasks_buyer_first (hub_tasks_t *self, const char *buyer);
hub_task_t *hub_tasks_buyer_next (hub_tasks_t *self);

//  Loads the unfinished tasks of a previous run, in the store's open
//  transaction: the pending ones queue again, and a task that was placed
//  without a miner is requeued. The ones still on miners are appended to
//  placed (not owned), for the miner table. Returns 0, or -1 when the
//  store cannot be read.
int hub_tasks_restore (hub_tasks_t *self, zlistx_t *placed);

//  A change of a task no hub_tasks keeps (tests, tools): in memory, then
//  its row and event in store (when not NULL). 0, or -1 when the table
//  refused it or the store failed (the task changed in memory).
int hub_tasks_set_state (hub_task_t *task, hub_task_state_t next, const char *miner_id,
                         const char *reason, hub_store_t *store);

//  Forgets every task (after a failed commit, before hub_tasks_restore).
void hub_tasks_purge (hub_tasks_t *self);

#endif
