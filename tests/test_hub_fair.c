/*  =========================================================================
    test_hub_fair - the fair order of the hub's queue: buyers take turns,
    what they run counts as turns had, first come first served within a
    buyer; checked against a plain sort of the same rule on random queues
    =========================================================================  */
#include "test_support.h"
#include "hub_fair.h"

//  A pending task of buyer, with that seq, at the end of queue (owned by tasks)
static hub_task_t *
s_task (zhashx_t *tasks, zlistx_t *queue, const char *buyer, int64_t seq)
{
    Fogrid__TaskSpec *spec = (Fogrid__TaskSpec *) zmalloc (sizeof (Fogrid__TaskSpec));
    fogrid__task_spec__init (spec);
    char id [32];
    snprintf (id, sizeof id, "t-%s-%" PRId64, buyer, seq);
    hub_task_t *task = hub_task_new (id, &spec);
    hub_task_set_text (&task->buyer, buyer);
    task->seq = seq;
    zhashx_insert (tasks, task->id, task);
    if (queue)
        zlistx_add_end (queue, task);
    return task;
}

static void
s_task_free (void **item)
{
    hub_task_destroy ((hub_task_t **) item);
}

//  The order hub_fair gives, as "buyer:seq ..." (caller frees)
static char *
s_order (zlistx_t *queue, hub_miners_t *miners, zhashx_t *tasks)
{
    hub_fair_t *fair = hub_fair_new (queue, miners, tasks);
    char *text = strdup ("");
    hub_task_t *task;
    while ((task = hub_fair_next (fair))) {
        char *more = zsys_sprintf ("%s%s%s:%" PRId64, text, *text? " ": "", task->buyer,
                                   task->seq);
        free (text);
        text = more;
    }
    hub_fair_destroy (&fair);
    return text;
}

static void
test_turns (void)
{
    zhashx_t *tasks = zhashx_new ();
    zhashx_set_destructor (tasks, s_task_free);
    zlistx_t *queue = zlistx_new ();
    hub_miners_t *miners = hub_miners_new ();

    //  Nothing queued: nothing offered
    char *order = s_order (queue, miners, tasks);
    CU_ASSERT_STRING_EQUAL (order, "");
    free (order);

    //  a's five came first, b's one after: b does not wait behind them
    for (int64_t seq = 1; seq <= 5; seq++)
        s_task (tasks, queue, "a", seq);
    s_task (tasks, queue, "b", 6);
    order = s_order (queue, miners, tasks);
    CU_ASSERT_STRING_EQUAL (order, "a:1 b:6 a:2 a:3 a:4 a:5");
    free (order);

    //  a runs two tasks on a miner, c one: their turns come later
    hub_miner_t *miner = hub_miners_restore (miners, "m-1", fg_now_ms ());
    hub_task_t *running = s_task (tasks, NULL, "a", 100);
    hub_miners_reserve (miner, running->id, 1, 0, 0);
    running = s_task (tasks, NULL, "a", 101);
    hub_miners_reserve (miner, running->id, 1, 0, 0);
    running = s_task (tasks, NULL, "c", 102);
    hub_miners_reserve (miner, running->id, 1, 0, 0);
    s_task (tasks, queue, "c", 7);
    s_task (tasks, queue, "c", 8);
    //  turns: a 2,3,4,5,6; b 0; c 1,2 (ties by seq)
    order = s_order (queue, miners, tasks);
    CU_ASSERT_STRING_EQUAL (order, "b:6 c:7 a:1 c:8 a:2 a:3 a:4 a:5");
    free (order);

    hub_miners_destroy (&miners);
    zlistx_destroy (&queue);
    zhashx_destroy (&tasks);
}

//  The rule written as a sort: by (running + rank within the buyer), then seq
typedef struct {
    int64_t seq;
    size_t turn;
    char buyer [8];
} s_expected_t;

static int
s_compare (const void *a, const void *b)
{
    const s_expected_t *x = (const s_expected_t *) a, *y = (const s_expected_t *) b;
    if (x->turn != y->turn)
        return x->turn < y->turn? -1: 1;
    return x->seq < y->seq? -1: x->seq > y->seq;
}

static void
test_random_queues (void)
{
    srandom (7);
    for (int round = 0; round < 200; round++) {
        zhashx_t *tasks = zhashx_new ();
        zhashx_set_destructor (tasks, s_task_free);
        zlistx_t *queue = zlistx_new ();
        hub_miners_t *miners = hub_miners_new ();
        hub_miner_t *miner = hub_miners_restore (miners, "m-1", fg_now_ms ());
        size_t buyers = 1 + (size_t) random () % 6, count = (size_t) random () % 60;
        size_t running [6] = { 0 }, ranks [6] = { 0 };
        for (size_t buyer = 0; buyer < buyers; buyer++) {
            running [buyer] = (size_t) random () % 4;
            for (size_t index = 0; index < running [buyer]; index++) {
                char name [8];
                snprintf (name, sizeof name, "b%zu", buyer);
                hub_task_t *task = s_task (tasks, NULL, name, 10000 + (int64_t) (buyer * 10 + index));
                hub_miners_reserve (miner, task->id, 1, 0, 0);
            }
        }
        s_expected_t *expected = (s_expected_t *) zmalloc (sizeof (s_expected_t) * (count + 1));
        for (size_t index = 0; index < count; index++) {
            size_t buyer = (size_t) random () % buyers;
            snprintf (expected [index].buyer, sizeof expected [index].buyer, "b%zu", buyer);
            expected [index].seq = (int64_t) index + 1;
            expected [index].turn = running [buyer] + ranks [buyer]++;
            s_task (tasks, queue, expected [index].buyer, expected [index].seq);
        }
        qsort (expected, count, sizeof (s_expected_t), s_compare);
        char *want = strdup ("");
        for (size_t index = 0; index < count; index++) {
            char *more = zsys_sprintf ("%s%s%s:%" PRId64, want, *want? " ": "",
                                       expected [index].buyer, expected [index].seq);
            free (want);
            want = more;
        }
        char *got = s_order (queue, miners, tasks);
        CU_ASSERT_STRING_EQUAL (got, want);
        if (!streq (got, want))
            printf ("\n    round %d: want %s\n    got %s\n", round, want, got);
        free (got);
        free (want);
        free (expected);
        hub_miners_destroy (&miners);
        zlistx_destroy (&queue);
        zhashx_destroy (&tasks);
    }
}

void
test_hub_fair_add (void)
{
    ts_add_suite ("hub_fair",
        "buyers take turns; what they run counts", test_turns,
        "200 random queues against the rule written as a sort", test_random_queues,
        NULL);
}
