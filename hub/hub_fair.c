/*  =========================================================================
    hub_fair - the hub's pending tasks in fair order

    DESIGN
    Buyers take turns, counting what each one
    already runs (a buyer with two tasks running comes after one with
    none), and within a buyer it is first come, first served. So a buyer
    with a thousand tasks queued cannot keep another's one task waiting
    behind them.

    A task's turn is its buyer's running tasks plus its rank in that
    buyer's queue; offers go by turn, then seq. Rather than sort the
    whole queue at every round (most rounds place a few tasks), each
    buyer's queue is a run already in order, and a heap of buyers keyed
    by their next task's (turn, seq) merges the runs as far as the round
    goes.
    =========================================================================  */
#include "fogrid.h"
#include "hub_fair.h"

typedef struct {
    hub_task_t **tasks;         //  its queued tasks, by seq
    size_t count;
    size_t capacity;
    size_t next;                //  the next one to offer
    size_t running;             //  tasks it runs now
} s_fair_buyer_t;

struct _hub_fair_t {
    zhashx_t *buyers;           //  buyer -> s_fair_buyer_t
    s_fair_buyer_t **heap;      //  buyers with tasks left, least turn on top
    size_t size;
};

static void
s_fair_buyer_free (void **item)
{
    s_fair_buyer_t *buyer = (s_fair_buyer_t *) *item;
    if (buyer) {
        free (buyer->tasks);
        free (buyer);
        *item = NULL;
    }
}

static s_fair_buyer_t *
s_fair_buyer (hub_fair_t *self, const char *name)
{
    s_fair_buyer_t *buyer = (s_fair_buyer_t *) zhashx_lookup (self->buyers, name);
    if (!buyer) {
        buyer = (s_fair_buyer_t *) zmalloc (sizeof (s_fair_buyer_t));
        zhashx_insert (self->buyers, name, buyer);
    }
    return buyer;
}

//  True when buyer a's next offer goes before b's.
static bool
s_fair_before (const s_fair_buyer_t *a, const s_fair_buyer_t *b)
{
    size_t turn_a = a->running + a->next, turn_b = b->running + b->next;
    if (turn_a != turn_b)
        return turn_a < turn_b;
    return a->tasks [a->next]->seq < b->tasks [b->next]->seq;
}

static void
s_fair_sift_down (hub_fair_t *self, size_t at)
{
    while (true) {
        size_t least = at, left = 2 * at + 1, right = left + 1;
        if (left < self->size && s_fair_before (self->heap [left], self->heap [least]))
            least = left;
        if (right < self->size && s_fair_before (self->heap [right], self->heap [least]))
            least = right;
        if (least == at)
            return;
        s_fair_buyer_t *swap = self->heap [at];
        self->heap [at] = self->heap [least];
        self->heap [least] = swap;
        at = least;
    }
}

hub_fair_t *
hub_fair_new (zlistx_t *queue, hub_miners_t *miners, zhashx_t *tasks)
{
    hub_fair_t *fair = (hub_fair_t *) zmalloc (sizeof (hub_fair_t));
    fair->buyers = zhashx_new ();
    zhashx_set_destructor (fair->buyers, s_fair_buyer_free);
    for (hub_task_t *task = (hub_task_t *) zlistx_first (queue); task;
         task = (hub_task_t *) zlistx_next (queue)) {
        s_fair_buyer_t *buyer = s_fair_buyer (fair, task->buyer);
        if (buyer->count == buyer->capacity) {
            buyer->capacity = buyer->capacity? 2 * buyer->capacity: 8;
            buyer->tasks = (hub_task_t **) realloc (buyer->tasks,
                                                    sizeof (hub_task_t *) * buyer->capacity);
        }
        buyer->tasks [buyer->count++] = task;
    }
    //  What each buyer runs: the miners hold exactly the assigned and
    //  running tasks (fewer than the cores of the grid, unlike the queue)
    for (hub_miner_t *miner = hub_miners_first (miners); miner;
         miner = hub_miners_next (miners))
        for (void *item = zhashx_first (miner->tasks); item; item = zhashx_next (miner->tasks)) {
            hub_task_t *task = (hub_task_t *) zhashx_lookup (
                tasks, (const char *) zhashx_cursor (miner->tasks));
            s_fair_buyer_t *buyer = task?
                (s_fair_buyer_t *) zhashx_lookup (fair->buyers, task->buyer): NULL;
            if (buyer)
                buyer->running++;
        }
    fair->heap = (s_fair_buyer_t **) zmalloc (sizeof (s_fair_buyer_t *)
                                              * (zhashx_size (fair->buyers) + 1));
    for (s_fair_buyer_t *buyer = (s_fair_buyer_t *) zhashx_first (fair->buyers); buyer;
         buyer = (s_fair_buyer_t *) zhashx_next (fair->buyers))
        fair->heap [fair->size++] = buyer;
    for (size_t at = fair->size / 2; at-- > 0;)
        s_fair_sift_down (fair, at);
    return fair;
}

hub_task_t *
hub_fair_next (hub_fair_t *self)
{
    if (self->size == 0)
        return NULL;
    s_fair_buyer_t *buyer = self->heap [0];
    hub_task_t *task = buyer->tasks [buyer->next++];
    if (buyer->next == buyer->count)
        self->heap [0] = self->heap [--self->size];
    s_fair_sift_down (self, 0);
    return task;
}

void
hub_fair_destroy (hub_fair_t **self_p)
{
    hub_fair_t *self = *self_p;
    if (self) {
        zhashx_destroy (&self->buyers);
        free (self->heap);
        free (self);
        *self_p = NULL;
    }
}
