/*  =========================================================================
    test_hub_placer - placement rounds on real books and a real ROUTER: what
    fits is placed and its TaskAssign reaches the miner after the commit,
    a big task holds back no small one, a miner not connected gets
    nothing, and a buyer who cannot pay waits (hub/require_funds)
    =========================================================================  */
#include "test_hub_rooms.h"
#include "hub_placer.h"
#include "hub_fair.h"

typedef struct {
    th_rooms_t *rooms;          //  the books and the rooms; the miner m-1 connected as "m1"
    hub_placer_t *placer;
} s_hub_t;

static void
s_open (s_hub_t *hub, const char *dir, bool require_funds)
{
    memset (hub, 0, sizeof *hub);
    hub->rooms = th_rooms_new (dir, true, "hub/require_funds", require_funds? "1": "0", NULL);
    th_rooms_t *rooms = hub->rooms;
    th_rooms_watch_money (rooms);
    //  A miner's connection, known to the ROUTER once it has spoken
    th_rooms_connect (rooms, "placer", "m1", true);
    hub->placer = hub_placer_new (rooms->tasks, rooms->miners, rooms->escrow, rooms->outbox,
                                  rooms->router);
}

static void
s_close (s_hub_t *hub)
{
    hub_placer_destroy (&hub->placer);
    CU_ASSERT_PTR_NULL (hub->placer);
    th_rooms_destroy (&hub->rooms);
}

static hub_task_t *
s_submit (s_hub_t *hub, const char *id, const char *buyer, uint32_t cores)
{
    hub_task_t *task = th_task_new (id, buyer, 0);
    task->spec->cores = cores;
    CU_ASSERT_EQUAL_FATAL (hub_tasks_submit (hub->rooms->tasks, task, NULL), 0);
    return task;
}

//  Sends what the round held; returns the task ids m-1 received, in order
static char *
s_assigned (s_hub_t *hub)
{
    CU_ASSERT_EQUAL (fg_outbox_send (hub->rooms->outbox, NULL, NULL), 0);
    char *text = strdup ("");
    zsock_set_rcvtimeo (hub->rooms->dealer, 200);
    fg_env_t *env;
    while ((env = fg_msg_recv (hub->rooms->dealer, NULL, NULL, NULL))) {
        CU_ASSERT_EQUAL (env->body_case, FOGRID__ENVELOPE__BODY_TASK_ASSIGN);
        if (env->body_case == FOGRID__ENVELOPE__BODY_TASK_ASSIGN) {
            char *more = zsys_sprintf ("%s%s%s/%u", text, *text? " ": "",
                                       env->task_assign->task_id, env->task_assign->attempt);
            free (text);
            text = more;
        }
        fg_msg_free (&env);
    }
    return text;
}

static void
test_round (void)
{
    char *dir = ts_tmpdir_new ("hub-placer");
    s_hub_t hub;
    s_open (&hub, dir, false);
    zlist_t *lost = zlist_new ();

    //  No miner: nothing placed, nothing lost
    s_submit (&hub, "t-big", "alice", 8);
    s_submit (&hub, "t-1", "alice", 2);
    s_submit (&hub, "t-2", "bob", 2);
    s_submit (&hub, "t-3", "alice", 2);
    CU_ASSERT_EQUAL (hub_placer_run (hub.placer, lost), 0);
    CU_ASSERT_EQUAL (zlist_size (lost), 0);

    //  A miner of 4 cores: the big task waits, two small ones go, by
    //  turns of their buyers (alice's first turn was t-big's)
    hub_miner_t *miner = th_rooms_miner (hub.rooms, "m-1", "m1", 4, 0);
    CU_ASSERT_EQUAL (hub_placer_run (hub.placer, lost), 2);
    CU_ASSERT_EQUAL (zlist_size (lost), 0);
    char *assigned = s_assigned (&hub);
    CU_ASSERT_STRING_EQUAL (assigned, "t-2/1 t-1/1");
    free (assigned);
    CU_ASSERT_EQUAL (miner->used_cores, 4);
    CU_ASSERT_EQUAL (hub_tasks_queued (hub.rooms->tasks), 2);
    CU_ASSERT_EQUAL (hub_tasks_count (hub.rooms->tasks, HUB_TASK_ASSIGNED), 2);
    hub_task_t *task = hub_tasks_lookup (hub.rooms->tasks, "t-1");
    CU_ASSERT_STRING_EQUAL (task->miner_id, "m-1");
    CU_ASSERT_PTR_NULL (task->queued);

    //  Full: a round places nothing
    CU_ASSERT_EQUAL (hub_placer_run (hub.placer, lost), 0);
    //  t-1 ends: its room takes t-3
    hub_miners_release (miner, "t-1");
    hub_tasks_change (hub.rooms->tasks, task, HUB_TASK_SUCCEEDED, NULL);
    hub_tasks_retire (hub.rooms->tasks, task);
    CU_ASSERT_EQUAL (hub_placer_run (hub.placer, lost), 1);
    assigned = s_assigned (&hub);
    CU_ASSERT_STRING_EQUAL (assigned, "t-3/1");
    free (assigned);
    CU_ASSERT_PTR_NOT_NULL (hub_tasks_lookup (hub.rooms->tasks, "t-big")->queued);

    //  A miner known from a restart, not connected yet, gets nothing
    hub_miner_t *restored = hub_miners_restore (hub.rooms->miners, "m-2", fg_now_ms ());
    CU_ASSERT_EQUAL (hub_placer_run (hub.placer, lost), 0);
    CU_ASSERT_EQUAL (zlist_size (lost), 0);
    CU_ASSERT_EQUAL (restored->used_cores, 0);
    task = hub_tasks_lookup (hub.rooms->tasks, "t-big");
    CU_ASSERT_EQUAL (task->state, HUB_TASK_PENDING);
    CU_ASSERT_EQUAL (task->attempt, 1);
    zlist_destroy (&lost);
    s_close (&hub);
    ts_tmpdir_remove (&dir);
}

static void
test_funds (void)
{
    char *dir = ts_tmpdir_new ("hub-placer");
    s_hub_t hub;
    s_open (&hub, dir, true);
    zlist_t *lost = zlist_new ();
    CU_ASSERT_EQUAL (hub_ledger_transfer (hub.rooms->th.ledger, "deposit/1", "world", "buyer:alice",
                                          60, "deposit"), HUB_LEDGER_OK);
    th_rooms_miner (hub.rooms, "m-1", "m1", 4, 100);
    hub_task_t *task = s_submit (&hub, "t-1", "alice", 1);
    //  The only miner asks more than alice holds: the task waits, saying why
    CU_ASSERT_EQUAL (hub_placer_run (hub.placer, lost), 0);
    CU_ASSERT_EQUAL (task->state, HUB_TASK_PENDING);
    CU_ASSERT_PTR_NOT_NULL (strstr (task->reason, "waiting for funds"));
    char *assigned = s_assigned (&hub);
    CU_ASSERT_STRING_EQUAL (assigned, "");
    free (assigned);
    //  A deposit: placed, its price held in escrow
    CU_ASSERT_EQUAL (hub_ledger_transfer (hub.rooms->th.ledger, "deposit/2", "world", "buyer:alice",
                                          40, "deposit"), HUB_LEDGER_OK);
    CU_ASSERT_EQUAL (hub_placer_run (hub.placer, lost), 1);
    CU_ASSERT_EQUAL (task->state, HUB_TASK_ASSIGNED);
    CU_ASSERT_EQUAL (hub_escrow_held (hub.rooms->escrow, "t-1"), 100);
    CU_ASSERT_EQUAL (th_balance (hub.rooms->th.ledger, "buyer:alice"), 0);
    assigned = s_assigned (&hub);
    CU_ASSERT_STRING_EQUAL (assigned, "t-1/1");
    free (assigned);
    zlist_destroy (&lost);
    s_close (&hub);
    ts_tmpdir_remove (&dir);
}

//  A miner that queues work (queue_slots) gets its credit beyond its
//  cores, all of a round in one TaskAssignBatch; one that does not gets
//  single TaskAssigns and no credit
static void
test_pipelining (void)
{
    char *dir = ts_tmpdir_new ("hub-placer");
    s_hub_t hub;
    s_open (&hub, dir, false);
    hub_placer_set_credit (hub.placer, 2);
    zlist_t *lost = zlist_new ();
    for (int index = 0; index < 6; index++) {
        char id [16];
        snprintf (id, sizeof id, "t-%d", index);
        s_submit (&hub, id, "alice", 1);
    }
    hub_miner_t *miner = th_rooms_miner (hub.rooms, "m-1", "m1", 2, 0);
    miner->resources->queue_slots = 8;
    CU_ASSERT_EQUAL (hub_placer_run (hub.placer, lost), 4);
    CU_ASSERT_EQUAL (miner->used_cores, 4);
    CU_ASSERT_EQUAL (fg_outbox_send (hub.rooms->outbox, NULL, NULL), 0);
    fg_env_t *env = fg_msg_recv (hub.rooms->dealer, NULL, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL (env);
    CU_ASSERT_EQUAL_FATAL (env->body_case, FOGRID__ENVELOPE__BODY_TASK_ASSIGN_BATCH);
    CU_ASSERT_EQUAL (env->task_assign_batch->n_assigns, 4);
    CU_ASSERT_STRING_EQUAL (env->task_assign_batch->assigns [0]->task_id, "t-0");
    CU_ASSERT_STRING_EQUAL (env->task_assign_batch->assigns [3]->task_id, "t-3");
    fg_msg_free (&env);
    //  Full, credit included: nothing more
    CU_ASSERT_EQUAL (hub_placer_run (hub.placer, lost), 0);
    //  Credit never makes room for a task bigger than the miner
    s_submit (&hub, "t-wide", "bob", 3);
    //  One ends: one more, alone, as a plain TaskAssign
    hub_task_t *task = hub_tasks_lookup (hub.rooms->tasks, "t-0");
    hub_miners_release (miner, "t-0");
    hub_tasks_change (hub.rooms->tasks, task, HUB_TASK_SUCCEEDED, NULL);
    hub_tasks_retire (hub.rooms->tasks, task);
    CU_ASSERT_EQUAL (hub_placer_run (hub.placer, lost), 1);
    char *assigned = s_assigned (&hub);
    CU_ASSERT_STRING_EQUAL (assigned, "t-4/1");
    CU_ASSERT_EQUAL (hub_tasks_lookup (hub.rooms->tasks, "t-wide")->state, HUB_TASK_PENDING);
    free (assigned);
    //  Without queue_slots a miner has no credit
    miner->resources->queue_slots = 0;
    task = hub_tasks_lookup (hub.rooms->tasks, "t-1");
    hub_miners_release (miner, "t-1");
    hub_tasks_change (hub.rooms->tasks, task, HUB_TASK_SUCCEEDED, NULL);
    hub_tasks_retire (hub.rooms->tasks, task);
    CU_ASSERT_EQUAL (hub_placer_run (hub.placer, lost), 0);
    zlist_destroy (&lost);
    s_close (&hub);
    ts_tmpdir_remove (&dir);
}

//  A task no miner could take is parked out of the rounds, and placed
//  when a miner that can comes
static void
test_parking (void)
{
    char *dir = ts_tmpdir_new ("hub-placer");
    s_hub_t hub;
    s_open (&hub, dir, false);
    zlist_t *lost = zlist_new ();
    s_submit (&hub, "t-big", "alice", 8);
    s_submit (&hub, "t-1", "alice", 1);
    th_rooms_miner (hub.rooms, "m-1", "m1", 4, 0);
    CU_ASSERT_EQUAL (hub_placer_run (hub.placer, lost), 1);
    hub_fair_t *fair = hub_tasks_fair (hub.rooms->tasks);
    CU_ASSERT_EQUAL (hub_fair_parked (fair), 1);
    CU_ASSERT_EQUAL (hub_fair_size (fair), 0);
    CU_ASSERT_EQUAL (hub_tasks_queued (hub.rooms->tasks), 1);
    free (s_assigned (&hub));
    zclock_sleep (5);       //  (a later hello)
    th_rooms_miner (hub.rooms, "m-2", "m2", 8, 0);
    CU_ASSERT_EQUAL (hub_placer_run (hub.placer, lost), 1);
    CU_ASSERT_EQUAL (hub_fair_parked (fair), 0);
    CU_ASSERT_EQUAL (hub_tasks_lookup (hub.rooms->tasks, "t-big")->state, HUB_TASK_ASSIGNED);
    CU_ASSERT_STRING_EQUAL (hub_tasks_lookup (hub.rooms->tasks, "t-big")->miner_id, "m-2");
    zlist_destroy (&lost);
    s_close (&hub);
    ts_tmpdir_remove (&dir);
}

void
test_hub_placer_add (void)
{
    ts_add_suite ("hub_placer",
        "a round places what fits, by turns", test_round,
        "a buyer who cannot pay waits for funds", test_funds,
        "a pipelining miner: its credit, its batch", test_pipelining,
        "a task no miner can take is parked until one can", test_parking,
        NULL);
}
