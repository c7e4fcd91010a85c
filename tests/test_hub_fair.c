/*  =========================================================================
    test_hub_fair - the fair order of the hub's queue: buyers take turns,
    what they run counts as turns had, first come first served within a
    buyer; kept as tasks come, go and run, and checked against a plain
    sort of the same rule on random queues changed at random
    =========================================================================  */
#include "test_support.h"
#include "hub_fair.h"

//  A pending task of buyer, with that seq (owned by tasks)
static hub_task_t *
s_task (zhashx_t *tasks, const char *buyer, int64_t seq)
{
    Fogrid__TaskSpec *spec = (Fogrid__TaskSpec *) zmalloc (sizeof (Fogrid__TaskSpec));
    fogrid__task_spec__init (spec);
    char id [32];
    snprintf (id, sizeof id, "t-%s-%" PRId64, buyer, seq);
    hub_task_t *task = hub_task_new (id, &spec);
    hub_task_set_text (&task->buyer, buyer);
    task->seq = seq;
    zhashx_insert (tasks, task->id, task);
    return task;
}

static void
s_task_free (void **item)
{
    hub_task_destroy ((hub_task_t **) item);
}

//  The order a round is offered, as "buyer:seq ..." (caller frees); the
//  round places nothing, so everything takes its place back
static char *
s_order (hub_fair_t *fair)
{
    char *text = strdup ("");
    hub_task_t *task;
    while ((task = hub_fair_next (fair))) {
        char *more = zsys_sprintf ("%s%s%s:%" PRId64, text, *text? " ": "", task->buyer,
                                   task->seq);
        free (text);
        text = more;
    }
    hub_fair_again (fair);
    return text;
}

static void
s_check (hub_fair_t *fair, const char *want)
{
    char *order = s_order (fair);
    CU_ASSERT_STRING_EQUAL (order, want);
    if (!streq (order, want))
        printf ("\n    want %s\n    got  %s\n", want, order);
    free (order);
}

static void
test_turns (void)
{
    zhashx_t *tasks = zhashx_new ();
    zhashx_set_destructor (tasks, s_task_free);
    hub_fair_t *fair = hub_fair_new ();

    //  Nothing queued: nothing offered
    s_check (fair, "");

    //  a's five came first, b's one after: b does not wait behind them
    for (int64_t seq = 1; seq <= 5; seq++)
        hub_fair_add (fair, s_task (tasks, "a", seq));
    hub_fair_add (fair, s_task (tasks, "b", 6));
    s_check (fair, "a:1 b:6 a:2 a:3 a:4 a:5");
    //  A round gives everything back: the same order again
    s_check (fair, "a:1 b:6 a:2 a:3 a:4 a:5");
    CU_ASSERT_EQUAL (hub_fair_size (fair), 6);

    //  a runs two tasks, c one: their turns come later
    hub_fair_running (fair, "a", +1);
    hub_fair_running (fair, "a", +1);
    hub_fair_running (fair, "c", +1);
    hub_fair_add (fair, s_task (tasks, "c", 8));
    hub_fair_add (fair, s_task (tasks, "c", 7));        //  (added out of order)
    //  turns: a 2,3,4,5,6; b 0; c 1,2 (ties by seq)
    s_check (fair, "b:6 c:7 a:1 c:8 a:2 a:3 a:4 a:5");

    //  a round that places: b:6 and c:7 go to miners (they run now), the
    //  round goes on with the turns it counted
    hub_task_t *task = hub_fair_next (fair);
    CU_ASSERT_EQUAL (task->seq, 6);
    hub_fair_remove (fair, task);
    hub_fair_running (fair, "b", +1);
    task = hub_fair_next (fair);
    CU_ASSERT_EQUAL (task->seq, 7);
    hub_fair_remove (fair, task);
    hub_fair_running (fair, "c", +1);
    task = hub_fair_next (fair);
    CU_ASSERT_EQUAL (task->seq, 1);
    hub_fair_again (fair);
    //  turns now: a 2..6; b none left; c 2 (running 2)
    s_check (fair, "a:1 c:8 a:2 a:3 a:4 a:5");

    //  a task leaves from the middle (cancelled)
    hub_fair_remove (fair, (hub_task_t *) zhashx_lookup (tasks, "t-a-3"));
    s_check (fair, "a:1 c:8 a:2 a:4 a:5");
    //  removing it again does nothing
    hub_fair_remove (fair, (hub_task_t *) zhashx_lookup (tasks, "t-a-3"));
    CU_ASSERT_EQUAL (hub_fair_size (fair), 5);

    //  a finishes both: its turns come first again
    hub_fair_running (fair, "a", -1);
    hub_fair_running (fair, "a", -1);
    s_check (fair, "a:1 a:2 a:4 c:8 a:5");      //  (a:4 and c:8 tie at turn 2: by seq)

    hub_fair_destroy (&fair);
    zhashx_destroy (&tasks);
}

//  Parked tasks leave the rounds, come back with unpark, and can be
//  removed while parked
static void
test_parking (void)
{
    zhashx_t *tasks = zhashx_new ();
    zhashx_set_destructor (tasks, s_task_free);
    hub_fair_t *fair = hub_fair_new ();
    for (int64_t seq = 1; seq <= 1000; seq++)
        hub_fair_add (fair, s_task (tasks, "big", seq));
    hub_fair_add (fair, s_task (tasks, "small", 1001));
    //  A round parks every big task it meets
    hub_task_t *task;
    while ((task = hub_fair_next (fair)))
        if (streq (task->buyer, "big"))
            hub_fair_park (fair, task);
    hub_fair_again (fair);
    CU_ASSERT_EQUAL (hub_fair_parked (fair), 1000);
    CU_ASSERT_EQUAL (hub_fair_size (fair), 1);
    s_check (fair, "small:1001");
    hub_fair_remove (fair, (hub_task_t *) zhashx_lookup (tasks, "t-big-500"));
    CU_ASSERT_EQUAL (hub_fair_parked (fair), 999);
    hub_fair_unpark (fair);
    CU_ASSERT_EQUAL (hub_fair_parked (fair), 0);
    CU_ASSERT_EQUAL (hub_fair_size (fair), 1000);
    task = hub_fair_next (fair);
    CU_ASSERT_STRING_EQUAL (task->buyer, "big");
    CU_ASSERT_EQUAL (task->seq, 1);
    task = hub_fair_next (fair);
    CU_ASSERT_STRING_EQUAL (task->buyer, "small");
    hub_fair_again (fair);
    hub_fair_purge (fair);
    CU_ASSERT_EQUAL (hub_fair_size (fair), 0);
    s_check (fair, "");
    hub_fair_destroy (&fair);
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

static int
s_by_seq (const void *a, const void *b)
{
    int64_t x = (*(hub_task_t * const *) a)->seq, y = (*(hub_task_t * const *) b)->seq;
    return x < y? -1: x > y;
}

//  200 random queues, each changed at random (tasks come in any order,
//  leave from anywhere, buyers' running counts go up and down) and
//  checked after every change against the plain sort
static void
test_random_queues (void)
{
    srandom (7);
    for (int round = 0; round < 200; round++) {
        zhashx_t *tasks = zhashx_new ();
        zhashx_set_destructor (tasks, s_task_free);
        hub_fair_t *fair = hub_fair_new ();
        size_t buyers = 1 + (size_t) random () % 6;
        size_t running [6] = { 0 };
        hub_task_t *queued [200];
        size_t count = 0;
        int64_t next_seq = 1;
        for (int change = 0; change < 40; change++) {
            int what = (int) (random () % 10);
            size_t buyer = (size_t) random () % buyers;
            char name [8];
            snprintf (name, sizeof name, "b%zu", buyer);
            if (what < 5 && count < 200) {
                //  a task comes, now and then with an older seq (a requeue)
                int64_t seq = random () % 4? next_seq: -next_seq;
                next_seq++;
                queued [count] = s_task (tasks, name, seq);
                hub_fair_add (fair, queued [count++]);
            }
            else
            if (what < 7 && count) {
                size_t at = (size_t) random () % count;
                hub_fair_remove (fair, queued [at]);
                queued [at] = queued [--count];
            }
            else
            if (what < 9) {
                running [buyer]++;
                hub_fair_running (fair, name, +1);
            }
            else
            if (running [buyer]) {
                running [buyer]--;
                hub_fair_running (fair, name, -1);
            }
            //  The expected order: ranks by seq within each buyer
            hub_task_t *sorted [200];
            memcpy (sorted, queued, sizeof (hub_task_t *) * count);
            qsort (sorted, count, sizeof (hub_task_t *), s_by_seq);
            s_expected_t expected [200];
            size_t ranks [6] = { 0 };
            for (size_t index = 0; index < count; index++) {
                size_t owner = (size_t) atoi (sorted [index]->buyer + 1);
                snprintf (expected [index].buyer, sizeof expected [index].buyer, "%s",
                          sorted [index]->buyer);
                expected [index].seq = sorted [index]->seq;
                expected [index].turn = running [owner] + ranks [owner]++;
            }
            qsort (expected, count, sizeof (s_expected_t), s_compare);
            char *want = strdup ("");
            for (size_t index = 0; index < count; index++) {
                char *more = zsys_sprintf ("%s%s%s:%" PRId64, want, *want? " ": "",
                                           expected [index].buyer, expected [index].seq);
                free (want);
                want = more;
            }
            char *got = s_order (fair);
            CU_ASSERT_STRING_EQUAL (got, want);
            if (!streq (got, want))
                printf ("\n    round %d change %d: want %s\n    got %s\n", round, change,
                        want, got);
            CU_ASSERT_EQUAL (hub_fair_size (fair), count);
            free (got);
            free (want);
        }
        hub_fair_destroy (&fair);
        zhashx_destroy (&tasks);
    }
}

void
test_hub_fair_add (void)
{
    ts_add_suite ("hub_fair",
        "buyers take turns; what they run counts", test_turns,
        "tasks no miner can take are parked out of the rounds", test_parking,
        "200 random queues changed at random against the rule written as a sort",
        test_random_queues,
        NULL);
}
