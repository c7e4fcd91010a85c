/*  =========================================================================
    test_hub_tasks - the hub's unfinished tasks on a real store: the queue
    keeps submission order and each task's place, per-buyer and per-state
    counts follow every change, the watchers hear of a change before and
    after it, and a restart loads back what was not finished
    =========================================================================  */
#include "test_hub_rooms.h"

//  A task of buyer running `true`, not yet the hub's
static hub_task_t *
s_task (const char *id, const char *buyer)
{
    return th_task_new (id, buyer, 2);
}

//  The queue as "id id ..." (caller frees)
static char *
s_queue (hub_tasks_t *tasks)
{
    char *text = strdup ("");
    zlistx_t *queue = hub_tasks_queue (tasks);
    for (hub_task_t *task = (hub_task_t *) zlistx_first (queue); task;
         task = (hub_task_t *) zlistx_next (queue)) {
        char *more = zsys_sprintf ("%s%s%s", text, *text? " ": "", task->id);
        free (text);
        text = more;
    }
    return text;
}

//  What the watchers heard, as "before:ID:FROM>TO after:ID:TO ..."
static char s_heard [1024];

static void
s_before (void *arg, hub_task_t *task, hub_task_state_t next)
{
    (void) arg;
    char line [128];
    snprintf (line, sizeof line, "%sbefore:%s:%s>%s", *s_heard? " ": "", task->id,
              hub_task_state_name (task->state), hub_task_state_name (next));
    strncat (s_heard, line, sizeof s_heard - strlen (s_heard) - 1);
}

static void
s_after (void *arg, hub_task_t *task, hub_task_state_t next)
{
    CU_ASSERT_PTR_EQUAL (arg, s_heard);
    CU_ASSERT_EQUAL (task->state, next);
    char line [128];
    snprintf (line, sizeof line, " after:%s:%s", task->id, hub_task_state_name (next));
    strncat (s_heard, line, sizeof s_heard - strlen (s_heard) - 1);
}

static void
test_queue (void)
{
    char *dir = ts_tmpdir_new ("hub-tasks");
    hub_store_t *store = hub_store_new (dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL (store);
    hub_tasks_t *tasks = hub_tasks_new (store);
    s_heard [0] = 0;
    hub_tasks_watch (tasks, s_before, s_after, s_heard);

    //  Three submits: queued in order, counted for their buyers
    CU_ASSERT_EQUAL (hub_tasks_submit (tasks, s_task ("t-a", "alice"), NULL), 0);
    CU_ASSERT_EQUAL (hub_tasks_submit (tasks, s_task ("t-b", "bob"), NULL), 0);
    CU_ASSERT_EQUAL (hub_tasks_submit (tasks, s_task ("t-c", "alice"), NULL), 0);
    char *order = s_queue (tasks);
    CU_ASSERT_STRING_EQUAL (order, "t-a t-b t-c");
    free (order);
    CU_ASSERT_EQUAL (hub_tasks_queued (tasks), 3);
    CU_ASSERT_EQUAL (hub_tasks_of_buyer (tasks, "alice"), 2);
    CU_ASSERT_EQUAL (hub_tasks_of_buyer (tasks, "bob"), 1);
    CU_ASSERT_EQUAL (hub_tasks_of_buyer (tasks, "carol"), 0);
    CU_ASSERT_EQUAL (hub_tasks_count (tasks, HUB_TASK_PENDING), 3);
    hub_task_t *a = hub_tasks_lookup (tasks, "t-a");
    CU_ASSERT_PTR_NOT_NULL_FATAL (a);
    CU_ASSERT_PTR_NULL (hub_tasks_lookup (tasks, "t-none"));

    //  a is placed: assigned, but in the queue until the round ends
    CU_ASSERT_EQUAL (hub_tasks_assign (tasks, a, "m-1", NULL), 0);
    CU_ASSERT_STRING_EQUAL (a->miner_id, "m-1");
    CU_ASSERT_EQUAL (hub_tasks_queued (tasks), 3);
    hub_tasks_dequeue (tasks, a);
    hub_tasks_dequeue (tasks, a);           //  twice is harmless
    CU_ASSERT_EQUAL (hub_tasks_queued (tasks), 2);
    CU_ASSERT_EQUAL (hub_tasks_count (tasks, HUB_TASK_PENDING), 2);
    CU_ASSERT_EQUAL (hub_tasks_count (tasks, HUB_TASK_ASSIGNED), 1);
    CU_ASSERT_TRUE (hub_tasks_is_current (a, "m-1", 1));
    CU_ASSERT_FALSE (hub_tasks_is_current (a, "m-2", 1));
    CU_ASSERT_FALSE (hub_tasks_is_current (a, "m-1", 2));
    CU_ASSERT_FALSE (hub_tasks_is_current (a, NULL, 1));

    //  Its miner is lost: back to its place (before b), a new attempt,
    //  and the old one is stale
    CU_ASSERT_EQUAL (hub_tasks_change (tasks, a, HUB_TASK_PENDING, "miner lost"), 0);
    order = s_queue (tasks);
    CU_ASSERT_STRING_EQUAL (order, "t-a t-b t-c");
    free (order);
    CU_ASSERT_EQUAL (a->attempt, 2);
    CU_ASSERT_EQUAL (a->retries_left, 1);
    CU_ASSERT_FALSE (hub_tasks_is_current (a, "m-1", 1));
    CU_ASSERT_STRING_EQUAL (s_heard, "before:t-a:pending>assigned after:t-a:assigned "
                            "before:t-a:assigned>pending after:t-a:pending");

    //  What the table refuses changes nothing, and no watcher hears of it
    s_heard [0] = 0;
    hub_task_t *b = hub_tasks_lookup (tasks, "t-b");
    CU_ASSERT_EQUAL (hub_tasks_change (tasks, b, HUB_TASK_SUCCEEDED, NULL), -1);
    CU_ASSERT_EQUAL (b->state, HUB_TASK_PENDING);
    CU_ASSERT_STRING_EQUAL (s_heard, "");

    //  b is cancelled and leaves memory; the store still has it
    CU_ASSERT_EQUAL (hub_tasks_change (tasks, b, HUB_TASK_CANCELLED, "by the buyer"), 0);
    hub_tasks_retire (tasks, b);
    CU_ASSERT_PTR_NULL (hub_tasks_lookup (tasks, "t-b"));
    CU_ASSERT_EQUAL (hub_tasks_of_buyer (tasks, "bob"), 0);
    CU_ASSERT_EQUAL (hub_tasks_count (tasks, HUB_TASK_PENDING), 2);
    CU_ASSERT_EQUAL (hub_tasks_count (tasks, HUB_TASK_CANCELLED), 0);
    order = s_queue (tasks);
    CU_ASSERT_STRING_EQUAL (order, "t-a t-c");
    free (order);
    bool owned;
    hub_task_t *found = hub_tasks_find (tasks, "t-b", &owned);
    CU_ASSERT_PTR_NOT_NULL_FATAL (found);
    CU_ASSERT_TRUE (owned);
    CU_ASSERT_EQUAL (found->state, HUB_TASK_CANCELLED);
    hub_task_destroy (&found);
    found = hub_tasks_find (tasks, "t-c", &owned);
    CU_ASSERT_FALSE (owned);
    CU_ASSERT_PTR_EQUAL (found, hub_tasks_lookup (tasks, "t-c"));
    CU_ASSERT_PTR_NULL (hub_tasks_find (tasks, "t-none", &owned));
    CU_ASSERT_PTR_NULL (hub_tasks_find (tasks, "not\tprintable", &owned));

    //  Counts by state, as the store would count them
    uint64_t counts [HUB_TASK_STATES], stored [HUB_TASK_STATES];
    hub_tasks_counts (tasks, counts);
    CU_ASSERT_EQUAL (hub_store_count_states (store, stored), 0);
    for (int state = HUB_TASK_PENDING; state < HUB_TASK_STATES; state++)
        CU_ASSERT_EQUAL (counts [state], stored [state]);
    CU_ASSERT_EQUAL (counts [HUB_TASK_PENDING], 2);
    CU_ASSERT_EQUAL (counts [HUB_TASK_CANCELLED], 1);

    //  The running ones, apart
    hub_task_t *c = hub_tasks_lookup (tasks, "t-c");
    CU_ASSERT_PTR_NULL (hub_tasks_running_first (tasks));
    hub_tasks_assign (tasks, c, "m-1", NULL);
    hub_tasks_dequeue (tasks, c);
    hub_tasks_change (tasks, c, HUB_TASK_RUNNING, NULL);
    CU_ASSERT_PTR_EQUAL (hub_tasks_running_first (tasks), c);
    CU_ASSERT_PTR_NULL (hub_tasks_running_next (tasks));
    hub_tasks_change (tasks, c, HUB_TASK_PENDING, "miner lost");
    CU_ASSERT_PTR_NULL (hub_tasks_running_first (tasks));

    //  A buyer's tasks, without a walk of everyone's
    size_t walked = 0;
    for (hub_task_t *task = hub_tasks_buyer_first (tasks, "alice"); task;
         task = hub_tasks_buyer_next (tasks)) {
        CU_ASSERT_STRING_EQUAL (task->buyer, "alice");
        walked++;
    }
    CU_ASSERT_EQUAL (walked, 2);
    CU_ASSERT_PTR_NULL (hub_tasks_buyer_first (tasks, "bob"));
    walked = 0;
    for (hub_task_t *task = hub_tasks_first (tasks); task; task = hub_tasks_next (tasks))
        walked++;
    CU_ASSERT_EQUAL (walked, 2);

    hub_tasks_destroy (&tasks);
    CU_ASSERT_PTR_NULL (tasks);
    hub_store_destroy (&store);
    ts_tmpdir_remove (&dir);
}

static void
test_restore (void)
{
    char *dir = ts_tmpdir_new ("hub-tasks");
    hub_store_t *store = hub_store_new (dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL (store);
    hub_tasks_t *tasks = hub_tasks_new (store);
    const char *ids [] = { "t-1", "t-2", "t-3", "t-4", "t-5" };
    for (int index = 0; index < 5; index++)
        CU_ASSERT_EQUAL (hub_tasks_submit (tasks, s_task (ids [index], "alice"), NULL), 0);
    //  t-2 runs on m-1, t-4 is assigned to m-2, t-5 succeeded
    hub_task_t *task = hub_tasks_lookup (tasks, "t-2");
    hub_tasks_assign (tasks, task, "m-1", NULL);
    hub_tasks_dequeue (tasks, task);
    hub_tasks_change (tasks, task, HUB_TASK_RUNNING, NULL);
    task = hub_tasks_lookup (tasks, "t-4");
    hub_tasks_assign (tasks, task, "m-2", NULL);
    hub_tasks_dequeue (tasks, task);
    task = hub_tasks_lookup (tasks, "t-5");
    hub_tasks_assign (tasks, task, "m-2", NULL);
    hub_tasks_dequeue (tasks, task);
    hub_tasks_change (tasks, task, HUB_TASK_SUCCEEDED, NULL);
    hub_tasks_retire (tasks, task);
    hub_tasks_destroy (&tasks);
    hub_store_destroy (&store);

    //  A restart: the pending ones queue in order, the placed ones are
    //  handed back for the miner table, the finished one stays in the store
    store = hub_store_new (dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL (store);
    tasks = hub_tasks_new (store);
    zlistx_t *placed = zlistx_new ();
    hub_store_begin (store);
    CU_ASSERT_EQUAL (hub_tasks_restore (tasks, placed), 0);
    hub_store_commit (store);
    char *order = s_queue (tasks);
    CU_ASSERT_STRING_EQUAL (order, "t-1 t-3");
    free (order);
    CU_ASSERT_EQUAL (zlistx_size (placed), 2);
    CU_ASSERT_EQUAL (hub_tasks_count (tasks, HUB_TASK_RUNNING), 1);
    CU_ASSERT_EQUAL (hub_tasks_count (tasks, HUB_TASK_ASSIGNED), 1);
    CU_ASSERT_EQUAL (hub_tasks_of_buyer (tasks, "alice"), 4);
    CU_ASSERT_PTR_NULL (hub_tasks_lookup (tasks, "t-5"));
    uint64_t counts [HUB_TASK_STATES];
    hub_tasks_counts (tasks, counts);
    CU_ASSERT_EQUAL (counts [HUB_TASK_SUCCEEDED], 1);      //  from the store
    CU_ASSERT_EQUAL (counts [HUB_TASK_PENDING], 2);
    CU_ASSERT_EQUAL (counts [HUB_TASK_RUNNING], 1);
    CU_ASSERT_PTR_EQUAL (hub_tasks_running_first (tasks), hub_tasks_lookup (tasks, "t-2"));
    task = hub_tasks_lookup (tasks, "t-2");
    CU_ASSERT_PTR_NOT_NULL_FATAL (task);
    CU_ASSERT_TRUE (hub_tasks_is_current (task, "m-1", 1));
    zlistx_destroy (&placed);

    //  After a failed commit the hub forgets and reads back: the same
    hub_tasks_purge (tasks);
    hub_tasks_counts (tasks, counts);
    CU_ASSERT_EQUAL (counts [HUB_TASK_SUCCEEDED], 0);
    CU_ASSERT_PTR_NULL (hub_tasks_running_first (tasks));
    CU_ASSERT_EQUAL (hub_tasks_queued (tasks), 0);
    CU_ASSERT_EQUAL (hub_tasks_of_buyer (tasks, "alice"), 0);
    CU_ASSERT_EQUAL (hub_tasks_count (tasks, HUB_TASK_RUNNING), 0);
    placed = zlistx_new ();
    CU_ASSERT_EQUAL (hub_tasks_restore (tasks, placed), 0);
    CU_ASSERT_EQUAL (hub_tasks_queued (tasks), 2);
    CU_ASSERT_EQUAL (zlistx_size (placed), 2);
    hub_tasks_counts (tasks, counts);
    CU_ASSERT_EQUAL (counts [HUB_TASK_SUCCEEDED], 1);
    zlistx_destroy (&placed);
    hub_tasks_destroy (&tasks);
    hub_store_destroy (&store);
    ts_tmpdir_remove (&dir);
}

void
test_hub_tasks_add (void)
{
    ts_add_suite ("hub_tasks",
        "the queue, its places, and the counts", test_queue,
        "a restart loads back what was not finished", test_restore,
        NULL);
}
