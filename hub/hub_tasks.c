/*  =========================================================================
    hub_tasks - the hub's unfinished tasks: by id, per buyer, the queue,
    and the one function that changes a task's state

    DESIGN
    Tasks that are not finished live in memory (by id) and the pending
    ones also in the queue, in submission order; finished tasks live only
    in the store and are read from it when a buyer asks. A restart loads
    the unfinished ones back (hub_tasks_restore).

    The queue keeps each task's place (task->queued, a zlistx handle), so
    leaving it costs nothing however long it is; a requeued task goes back
    to its place by seq. The fair order of the same tasks (hub_fair) is
    kept alongside, with each buyer's count of tasks on miners, so a
    placement round rebuilds nothing. Each buyer's unfinished tasks are kept apart, so
    hub/tasks_per_buyer is checked against a count and a buyer's escrow
    listed without a walk of every task; the running ones are kept apart
    for the timeout backstop. Counts by state (the unfinished in memory,
    the finished counted once from the store at a start, then as they
    finish) are kept as tasks change, so a health request or a metrics
    scrape costs no query over every task ever stored.

    Attempts: every placement of a task carries its attempt number, and a
    task that goes back to the queue starts a new one (hub_task.c).
    Results and TaskStarted count only from the miner of the current
    attempt with its number (hub_tasks_is_current); anything else is
    refused as stale, so a miner that comes back from a partition cannot
    complete a task twice.

    Every change of state goes through s_change: the watchers hear of it
    first (the money that goes with it moves in the same transaction),
    then the task and its event are written, then the counts follow.
    =========================================================================  */
#include "fogrid.h"
#include "hub_tasks.h"
#include "hub_fair.h"

struct _hub_tasks_t {
    hub_store_t *store;         //  where each change is written (not owned)
    zhashx_t *tasks;            //  id -> hub_task_t, unfinished tasks (owned)
    zhashx_t *buyers;           //  buyer key -> zhashx id -> hub_task_t (not owned)
    zlistx_t *queue;            //  pending tasks in submission order (not owned)
    hub_fair_t *fair;           //  the same tasks in fair order, kept as they change
    size_t counts [HUB_TASK_STATES];    //  tasks in memory by state
    uint64_t finished [HUB_TASK_STATES];    //  finished tasks in the store, by state
    zhashx_t *running;          //  id -> hub_task_t, the running ones (not owned)
    hub_tasks_fn *before;       //  told before each valid change
    hub_tasks_fn *after;        //  told after each written change
    void *arg;                  //  for both
    zhashx_t *walked;           //  the buyer's table hub_tasks_buyer_next walks
};

static void
s_task_free (void **item)
{
    hub_task_destroy ((hub_task_t **) item);
}

static void
s_table_free (void **item)
{
    zhashx_destroy ((zhashx_t **) item);
}

static int
s_compare_seq (const void *item1, const void *item2)
{
    const hub_task_t *a = (const hub_task_t *) item1, *b = (const hub_task_t *) item2;
    return a->seq < b->seq? -1: a->seq > b->seq? 1: 0;
}

hub_tasks_t *
hub_tasks_new (hub_store_t *store)
{
    hub_tasks_t *self = (hub_tasks_t *) zmalloc (sizeof (hub_tasks_t));
    self->store = store;
    self->tasks = zhashx_new ();
    zhashx_set_destructor (self->tasks, s_task_free);
    self->buyers = zhashx_new ();
    zhashx_set_destructor (self->buyers, s_table_free);
    self->queue = zlistx_new ();
    zlistx_set_comparator (self->queue, s_compare_seq);
    self->fair = hub_fair_new ();
    self->running = zhashx_new ();
    return self;
}

void
hub_tasks_destroy (hub_tasks_t **self_p)
{
    if (*self_p) {
        hub_tasks_t *self = *self_p;
        zlistx_destroy (&self->queue);
        hub_fair_destroy (&self->fair);
        zhashx_destroy (&self->running);
        zhashx_destroy (&self->buyers);
        zhashx_destroy (&self->tasks);
        free (self);
        *self_p = NULL;
    }
}

void
hub_tasks_watch (hub_tasks_t *self, hub_tasks_fn *before, hub_tasks_fn *after, void *arg)
{
    self->before = before;
    self->after = after;
    self->arg = arg;
}

//  True when a task in that state holds a miner (counts as its buyer's turn)
static bool
s_holds (hub_task_state_t state)
{
    return state == HUB_TASK_ASSIGNED || state == HUB_TASK_RUNNING;
}

//  A pending task takes its place in the queue: by seq in the list, and
//  in the fair order.
static void
s_enqueue (hub_tasks_t *self, hub_task_t *task, bool last)
{
    if (task->queued)
        return;
    task->queued = last? zlistx_add_end (self->queue, task): zlistx_insert (self->queue, task, true);
    hub_fair_add (self->fair, task);
}

//  A task becomes the hub's to finish: kept by id and under its buyer.
static void
s_keep (hub_tasks_t *self, hub_task_t *task)
{
    zhashx_insert (self->tasks, task->id, task);
    zhashx_t *mine = (zhashx_t *) zhashx_lookup (self->buyers, task->buyer);
    if (!mine) {
        mine = zhashx_new ();
        zhashx_insert (self->buyers, task->buyer, mine);
    }
    zhashx_insert (mine, task->id, task);
    self->counts [task->state]++;
    if (task->state == HUB_TASK_RUNNING)
        zhashx_insert (self->running, task->id, task);
    if (s_holds (task->state))
        hub_fair_running (self->fair, task->buyer, +1);
}

int
hub_tasks_submit (hub_tasks_t *self, hub_task_t *task, const char *spec_hash)
{
    if (hub_store_savepoint (self->store)
    ||  hub_store_task_submit (self->store, task, spec_hash)) {
        hub_store_rollback_savepoint (self->store);
        return -1;
    }
    hub_store_release_savepoint (self->store);
    s_keep (self, task);
    //  (its seq is the highest yet: the end of the queue is its place)
    s_enqueue (self, task, true);
    return 0;
}

int
hub_tasks_submit_many (hub_tasks_t *self, hub_task_t **tasks, size_t count)
{
    if (hub_store_savepoint (self->store))
        return -1;
    for (size_t index = 0; index < count; index++)
        if (hub_store_task_add (self->store, tasks [index])) {
            hub_store_rollback_savepoint (self->store);
            return -1;
        }
    hub_store_release_savepoint (self->store);
    for (size_t index = 0; index < count; index++) {
        s_keep (self, tasks [index]);
        s_enqueue (self, tasks [index], true);
    }
    return 0;
}

hub_task_t *
hub_tasks_lookup (hub_tasks_t *self, const char *task_id)
{
    return (hub_task_t *) zhashx_lookup (self->tasks, task_id);
}

hub_task_t *
hub_tasks_find (hub_tasks_t *self, const char *task_id, bool *owned)
{
    *owned = false;
    hub_task_t *task = hub_tasks_lookup (self, task_id);
    if (!task && fg_text_valid (task_id, 63)) {
        task = hub_store_task_load (self->store, task_id);
        *owned = task != NULL;
    }
    return task;
}

bool
hub_tasks_is_current (const hub_task_t *task, const char *miner_id, uint32_t attempt)
{
    return task && miner_id && streq (task->miner_id, miner_id) && task->attempt == attempt
        && (task->state == HUB_TASK_ASSIGNED || task->state == HUB_TASK_RUNNING);
}

int
hub_tasks_set_state (hub_task_t *task, hub_task_state_t next, const char *miner_id,
                     const char *reason, hub_store_t *store)
{
    hub_task_event_t event;
    if (hub_task_set_state (task, next, miner_id, reason, &event))
        return -1;
    if (!store)
        return 0;
    int rc = hub_store_task_update (store, task);
    if (rc == 0)
        rc = hub_store_event_add (store, task->id, next, task->updated_ms, event.miner_id,
                                  event.attempt, task->reason);
    return rc;
}

static int
s_change (hub_tasks_t *self, hub_task_t *task, hub_task_state_t next, const char *miner_id,
          const char *reason)
{
    hub_task_state_t prev = task->state;
    if (hub_task_transition_valid (prev, next) && self->before)
        self->before (self->arg, task, next);
    int rc = hub_tasks_set_state (task, next, miner_id, reason, self->store);
    if (task->state != prev) {
        //  (changed in memory even when the store failed: the commit fails
        //  too, and the hub reads its state and counts back)
        self->counts [prev]--;
        self->counts [task->state]++;
        if (hub_task_state_terminal (task->state))
            self->finished [task->state]++;
        if (prev == HUB_TASK_RUNNING)
            zhashx_delete (self->running, task->id);
        if (task->state == HUB_TASK_RUNNING)
            zhashx_insert (self->running, task->id, task);
        if (s_holds (prev) != s_holds (task->state))
            hub_fair_running (self->fair, task->buyer, s_holds (prev)? -1: +1);
    }
    if (rc == 0 && self->after)
        self->after (self->arg, task, next);
    return rc;
}

int
hub_tasks_change (hub_tasks_t *self, hub_task_t *task, hub_task_state_t next,
                  const char *reason)
{
    int rc = s_change (self, task, next, NULL, reason);
    //  Back to its place by seq: a new attempt, before younger tasks
    if (task->state == HUB_TASK_PENDING)
        s_enqueue (self, task, false);
    return rc;
}

int
hub_tasks_assign (hub_tasks_t *self, hub_task_t *task, const char *miner_id,
                  const char *reason)
{
    return s_change (self, task, HUB_TASK_ASSIGNED, miner_id, reason);
}

void
hub_tasks_dequeue (hub_tasks_t *self, hub_task_t *task)
{
    if (task->queued) {
        zlistx_delete (self->queue, task->queued);
        task->queued = NULL;
    }
    hub_fair_remove (self->fair, task);
}

void
hub_tasks_retire (hub_tasks_t *self, hub_task_t *task)
{
    hub_tasks_dequeue (self, task);
    zhashx_t *mine = (zhashx_t *) zhashx_lookup (self->buyers, task->buyer);
    if (mine) {
        zhashx_delete (mine, task->id);
        if (zhashx_size (mine) == 0)
            zhashx_delete (self->buyers, task->buyer);
    }
    self->counts [task->state]--;
    if (s_holds (task->state))
        hub_fair_running (self->fair, task->buyer, -1);
    zhashx_delete (self->running, task->id);
    zhashx_delete (self->tasks, task->id);
}

zlistx_t *
hub_tasks_queue (hub_tasks_t *self)
{
    return self->queue;
}

hub_fair_t *
hub_tasks_fair (hub_tasks_t *self)
{
    return self->fair;
}

zhashx_t *
hub_tasks_table (hub_tasks_t *self)
{
    return self->tasks;
}

size_t
hub_tasks_queued (hub_tasks_t *self)
{
    return zlistx_size (self->queue);
}

size_t
hub_tasks_count (hub_tasks_t *self, hub_task_state_t state)
{
    return state > 0 && state < HUB_TASK_STATES? self->counts [state]: 0;
}

void
hub_tasks_counts (hub_tasks_t *self, uint64_t *counts)
{
    for (int state = 0; state < HUB_TASK_STATES; state++)
        counts [state] = hub_task_state_terminal ((hub_task_state_t) state)
                       ? self->finished [state]: (uint64_t) self->counts [state];
}

size_t
hub_tasks_of_buyer (hub_tasks_t *self, const char *buyer)
{
    zhashx_t *mine = (zhashx_t *) zhashx_lookup (self->buyers, buyer);
    return mine? zhashx_size (mine): 0;
}

hub_task_t *
hub_tasks_first (hub_tasks_t *self)
{
    return (hub_task_t *) zhashx_first (self->tasks);
}

hub_task_t *
hub_tasks_next (hub_tasks_t *self)
{
    return (hub_task_t *) zhashx_next (self->tasks);
}

hub_task_t *
hub_tasks_running_first (hub_tasks_t *self)
{
    return (hub_task_t *) zhashx_first (self->running);
}

hub_task_t *
hub_tasks_running_next (hub_tasks_t *self)
{
    return (hub_task_t *) zhashx_next (self->running);
}

hub_task_t *
hub_tasks_buyer_first (hub_tasks_t *self, const char *buyer)
{
    self->walked = (zhashx_t *) zhashx_lookup (self->buyers, buyer);
    return self->walked? (hub_task_t *) zhashx_first (self->walked): NULL;
}

hub_task_t *
hub_tasks_buyer_next (hub_tasks_t *self)
{
    return self->walked? (hub_task_t *) zhashx_next (self->walked): NULL;
}

int
hub_tasks_restore (hub_tasks_t *self, zlistx_t *placed)
{
    zlistx_t *loaded = zlistx_new ();
    uint64_t stored [HUB_TASK_STATES];
    if (hub_store_load_active (self->store, loaded)
    ||  hub_store_count_states (self->store, stored)) {
        zlistx_destroy (&loaded);
        return -1;
    }
    //  Finished tasks are counted once here, then as they finish
    for (int state = 0; state < HUB_TASK_STATES; state++)
        if (hub_task_state_terminal ((hub_task_state_t) state))
            self->finished [state] = stored [state];
    for (hub_task_t *task = (hub_task_t *) zlistx_first (loaded); task;
         task = (hub_task_t *) zlistx_next (loaded)) {
        s_keep (self, task);
        if (task->state != HUB_TASK_PENDING && !*task->miner_id)
            hub_tasks_change (self, task, HUB_TASK_PENDING, "restored without a miner");
        if (task->state == HUB_TASK_PENDING) {
            //  (loaded in order of seq: the end is its place)
            s_enqueue (self, task, true);
        }
        else
            zlistx_add_end (placed, task);
    }
    zlistx_destroy (&loaded);       //  the tasks now belong to self->tasks
    return 0;
}

void
hub_tasks_purge (hub_tasks_t *self)
{
    zlistx_purge (self->queue);
    hub_fair_purge (self->fair);
    zhashx_purge (self->running);
    zhashx_purge (self->buyers);
    zhashx_purge (self->tasks);
    memset (self->counts, 0, sizeof self->counts);
    memset (self->finished, 0, sizeof self->finished);
}
