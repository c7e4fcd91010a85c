/*  =========================================================================
    hub_fair - the hub's pending tasks in fair order, kept as they change

    DESIGN
    Buyers take turns, counting what each one already runs (a buyer with
    two tasks running comes after one with none), and within a buyer it
    is first come, first served. So a buyer with a thousand tasks queued
    cannot keep another's one task waiting behind them.

    A task's turn is its buyer's running tasks plus its rank among what
    the round offered of that buyer; offers go by turn, then seq. Each
    buyer keeps its queued tasks in a heap by seq, and a heap of buyers
    keyed by (running + offered, seq of their first task) gives the next
    offer. Both are kept as tasks come and go and as buyers' running
    counts change, so nothing is rebuilt per round: a round costs
    O(log n) per task it offers, not O(queue). A task knows where it is
    (fair_where, fair_at), so it leaves from the middle in O(log n) too.

    Where a task is:
        S_ORDER     in its buyer's heap, waiting for a round
        S_OFFERED   offered by this round and not placed (yet): back to
                    the order at hub_fair_again
        S_PARKED    no miner could take it: out of the rounds until a
                    miner comes (hub_fair_unpark), so a queue of tasks
                    nobody can run costs a round nothing
    =========================================================================  */
#include "fogrid.h"
#include "hub_fair.h"

#define S_ORDER     1
#define S_OFFERED   2
#define S_PARKED    3

typedef struct {
    char *name;                 //  the buyer's key
    hub_task_t **tasks;         //  its tasks in the order, a heap by seq
    size_t count;
    size_t capacity;
    size_t running;             //  its tasks that hold a miner
    size_t offered;             //  its tasks this round offered
    size_t at;                  //  1 + its index in the buyers' heap, 0 when out
} s_buyer_t;

//  A growable array of task pointers whose tasks know their index
typedef struct {
    hub_task_t **items;
    size_t count;
    size_t capacity;
} s_set_t;

struct _hub_fair_t {
    zhashx_t *buyers;           //  name -> s_buyer_t
    s_buyer_t **heap;           //  buyers with tasks in the order, least turn on top
    size_t size;
    size_t capacity;
    s_set_t offered;            //  tasks this round offered
    s_set_t parked;             //  tasks no miner can take
    s_buyer_t **touched;        //  buyers with offers this round
    size_t n_touched;
    size_t cap_touched;
    size_t queued;              //  tasks in the order
};

static void
s_buyer_free (void **item)
{
    s_buyer_t *buyer = (s_buyer_t *) *item;
    if (buyer) {
        free (buyer->name);
        free (buyer->tasks);
        free (buyer);
        *item = NULL;
    }
}

static void *
s_grow (void *items, size_t *capacity, size_t count, size_t item_size)
{
    if (count < *capacity)
        return items;
    *capacity = *capacity? 2 * *capacity: 16;
    return realloc (items, item_size * *capacity);
}

static void
s_set_add (s_set_t *set, hub_task_t *task, int where)
{
    set->items = (hub_task_t **) s_grow (set->items, &set->capacity, set->count,
                                         sizeof (hub_task_t *));
    task->fair_where = where;
    task->fair_at = set->count;
    set->items [set->count++] = task;
}

static void
s_set_remove (s_set_t *set, hub_task_t *task)
{
    size_t at = task->fair_at;
    assert (at < set->count && set->items [at] == task);
    set->items [at] = set->items [--set->count];
    set->items [at]->fair_at = at;
    task->fair_where = 0;
}

//  --------------------------------------------------------------------------
//  A buyer's tasks: a heap by seq

static void
s_task_swap (s_buyer_t *buyer, size_t a, size_t b)
{
    hub_task_t *swap = buyer->tasks [a];
    buyer->tasks [a] = buyer->tasks [b];
    buyer->tasks [b] = swap;
    buyer->tasks [a]->fair_at = a;
    buyer->tasks [b]->fair_at = b;
}

static void
s_task_sift (s_buyer_t *buyer, size_t at)
{
    while (at > 0 && buyer->tasks [at]->seq < buyer->tasks [(at - 1) / 2]->seq) {
        s_task_swap (buyer, at, (at - 1) / 2);
        at = (at - 1) / 2;
    }
    while (true) {
        size_t least = at, left = 2 * at + 1, right = left + 1;
        if (left < buyer->count && buyer->tasks [left]->seq < buyer->tasks [least]->seq)
            least = left;
        if (right < buyer->count && buyer->tasks [right]->seq < buyer->tasks [least]->seq)
            least = right;
        if (least == at)
            return;
        s_task_swap (buyer, at, least);
        at = least;
    }
}

static void
s_task_push (s_buyer_t *buyer, hub_task_t *task)
{
    buyer->tasks = (hub_task_t **) s_grow (buyer->tasks, &buyer->capacity, buyer->count,
                                           sizeof (hub_task_t *));
    task->fair_where = S_ORDER;
    task->fair_at = buyer->count;
    buyer->tasks [buyer->count++] = task;
    s_task_sift (buyer, task->fair_at);
}

static void
s_task_remove (s_buyer_t *buyer, hub_task_t *task)
{
    size_t at = task->fair_at;
    assert (at < buyer->count && buyer->tasks [at] == task);
    buyer->count--;
    if (at < buyer->count) {
        buyer->tasks [at] = buyer->tasks [buyer->count];
        buyer->tasks [at]->fair_at = at;
        s_task_sift (buyer, at);
    }
    task->fair_where = 0;
}

//  --------------------------------------------------------------------------
//  The buyers: a heap by (turn, seq of their first task)

//  True when buyer a's next offer goes before b's.
static bool
s_before (const s_buyer_t *a, const s_buyer_t *b)
{
    size_t turn_a = a->running + a->offered, turn_b = b->running + b->offered;
    if (turn_a != turn_b)
        return turn_a < turn_b;
    return a->tasks [0]->seq < b->tasks [0]->seq;
}

static void
s_buyer_swap (hub_fair_t *self, size_t a, size_t b)
{
    s_buyer_t *swap = self->heap [a];
    self->heap [a] = self->heap [b];
    self->heap [b] = swap;
    self->heap [a]->at = a + 1;
    self->heap [b]->at = b + 1;
}

static void
s_buyer_sift (hub_fair_t *self, size_t at)
{
    while (at > 0 && s_before (self->heap [at], self->heap [(at - 1) / 2])) {
        s_buyer_swap (self, at, (at - 1) / 2);
        at = (at - 1) / 2;
    }
    while (true) {
        size_t least = at, left = 2 * at + 1, right = left + 1;
        if (left < self->size && s_before (self->heap [left], self->heap [least]))
            least = left;
        if (right < self->size && s_before (self->heap [right], self->heap [least]))
            least = right;
        if (least == at)
            return;
        s_buyer_swap (self, at, least);
        at = least;
    }
}

//  The buyer's key changed (its count, running or offered): its place in
//  the heap follows, and one with nothing in the order leaves it.
static void
s_buyer_fix (hub_fair_t *self, s_buyer_t *buyer)
{
    if (buyer->count && !buyer->at) {
        self->heap = (s_buyer_t **) s_grow (self->heap, &self->capacity, self->size,
                                            sizeof (s_buyer_t *));
        self->heap [self->size] = buyer;
        buyer->at = ++self->size;
        s_buyer_sift (self, buyer->at - 1);
    }
    else
    if (!buyer->count && buyer->at) {
        size_t at = buyer->at - 1;
        buyer->at = 0;
        self->size--;
        if (at < self->size) {
            self->heap [at] = self->heap [self->size];
            self->heap [at]->at = at + 1;
            s_buyer_sift (self, at);
        }
    }
    else
    if (buyer->at)
        s_buyer_sift (self, buyer->at - 1);
}

static s_buyer_t *
s_buyer (hub_fair_t *self, const char *name)
{
    s_buyer_t *buyer = (s_buyer_t *) zhashx_lookup (self->buyers, name);
    if (!buyer) {
        buyer = (s_buyer_t *) zmalloc (sizeof (s_buyer_t));
        buyer->name = strdup (name);
        zhashx_insert (self->buyers, name, buyer);
    }
    return buyer;
}

//  A buyer with nothing to remember is forgotten
static void
s_buyer_forget (hub_fair_t *self, s_buyer_t *buyer)
{
    if (!buyer->count && !buyer->running && !buyer->offered && !buyer->at)
        zhashx_delete (self->buyers, buyer->name);
}

//  --------------------------------------------------------------------------

hub_fair_t *
hub_fair_new (void)
{
    hub_fair_t *self = (hub_fair_t *) zmalloc (sizeof (hub_fair_t));
    self->buyers = zhashx_new ();
    zhashx_set_destructor (self->buyers, s_buyer_free);
    return self;
}

void
hub_fair_destroy (hub_fair_t **self_p)
{
    hub_fair_t *self = *self_p;
    if (self) {
        zhashx_destroy (&self->buyers);
        free (self->heap);
        free (self->offered.items);
        free (self->parked.items);
        free (self->touched);
        free (self);
        *self_p = NULL;
    }
}

void
hub_fair_add (hub_fair_t *self, hub_task_t *task)
{
    if (task->fair_where)
        hub_fair_remove (self, task);
    s_buyer_t *buyer = s_buyer (self, task->buyer? task->buyer: "");
    s_task_push (buyer, task);
    self->queued++;
    s_buyer_fix (self, buyer);
}

void
hub_fair_remove (hub_fair_t *self, hub_task_t *task)
{
    if (task->fair_where == S_ORDER) {
        s_buyer_t *buyer = (s_buyer_t *) zhashx_lookup (self->buyers,
                                                        task->buyer? task->buyer: "");
        assert (buyer);
        s_task_remove (buyer, task);
        self->queued--;
        s_buyer_fix (self, buyer);
        s_buyer_forget (self, buyer);
    }
    else
    if (task->fair_where == S_OFFERED)
        s_set_remove (&self->offered, task);
    else
    if (task->fair_where == S_PARKED)
        s_set_remove (&self->parked, task);
}

void
hub_fair_running (hub_fair_t *self, const char *buyer_name, int delta)
{
    s_buyer_t *buyer = s_buyer (self, buyer_name? buyer_name: "");
    if (delta < 0 && buyer->running < (size_t) -delta)
        buyer->running = 0;
    else
        buyer->running = (size_t) ((ssize_t) buyer->running + delta);
    s_buyer_fix (self, buyer);
    s_buyer_forget (self, buyer);
}

hub_task_t *
hub_fair_next (hub_fair_t *self)
{
    if (self->size == 0)
        return NULL;
    s_buyer_t *buyer = self->heap [0];
    hub_task_t *task = buyer->tasks [0];
    s_task_remove (buyer, task);
    self->queued--;
    s_set_add (&self->offered, task, S_OFFERED);
    if (buyer->offered++ == 0) {
        self->touched = (s_buyer_t **) s_grow (self->touched, &self->cap_touched,
                                               self->n_touched, sizeof (s_buyer_t *));
        self->touched [self->n_touched++] = buyer;
    }
    s_buyer_fix (self, buyer);
    return task;
}

void
hub_fair_again (hub_fair_t *self)
{
    for (size_t index = 0; index < self->n_touched; index++)
        self->touched [index]->offered = 0;
    while (self->offered.count) {
        hub_task_t *task = self->offered.items [self->offered.count - 1];
        s_set_remove (&self->offered, task);
        hub_fair_add (self, task);
    }
    for (size_t index = 0; index < self->n_touched; index++) {
        s_buyer_fix (self, self->touched [index]);
        s_buyer_forget (self, self->touched [index]);
    }
    self->n_touched = 0;
}

void
hub_fair_park (hub_fair_t *self, hub_task_t *task)
{
    if (task->fair_where != S_OFFERED)
        return;
    s_set_remove (&self->offered, task);
    s_set_add (&self->parked, task, S_PARKED);
}

void
hub_fair_unpark (hub_fair_t *self)
{
    while (self->parked.count) {
        hub_task_t *task = self->parked.items [self->parked.count - 1];
        s_set_remove (&self->parked, task);
        hub_fair_add (self, task);
    }
}

size_t
hub_fair_size (hub_fair_t *self)
{
    return self->queued;
}

size_t
hub_fair_parked (hub_fair_t *self)
{
    return self->parked.count;
}

void
hub_fair_purge (hub_fair_t *self)
{
    zhashx_purge (self->buyers);
    self->size = 0;
    self->offered.count = 0;
    self->parked.count = 0;
    self->n_touched = 0;
    self->queued = 0;
}
