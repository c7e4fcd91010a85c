/*  =========================================================================
    hub_placer - puts queued tasks on miners: matching, affordability,
    the TaskAssign, the reservation

    DESIGN
    A round takes the connected miners as the scheduler sees them
    (hub_miners_candidate) and offers them the queue in fair order
    (hub_fair.h: buyers take turns, the order kept by hub_tasks as tasks
    come and go), placing every task that fits somewhere, so a big task
    does not hold back the small ones behind it, and updating the
    candidates as it goes. A task bigger than any miner's room is passed
    over before hub_sched weighs it; one that no miner could take even
    idle is parked out of the rounds until a miner comes; a round passes
    over at most S_PASS_MAX tasks. So a queue of thousands that cannot
    run costs a round nothing. The server runs a round after every burst
    of events that can change placement.

    Pipelining: a miner that queues work (Resources.queue_slots) is
    offered its credit beyond its cores (the least of that and
    hub/assign_credit), so the next task is already there when one ends;
    its assignments of a round go in one TaskAssignBatch.

    The TaskAssign is held in the outbox before the task is marked
    assigned (both go out, or neither, with the burst's commit): a miner
    whose connection is known gone is left to the caller as lost, without
    charging the task an attempt. The money (the ask, held in escrow, or
    why it runs unpaid) is hub_escrow's: a placement asks it for a quote
    before anything is sent, so the ledger cannot refuse what was checked.
    A task placed leaves the queue at once.
    =========================================================================  */
#include "fogrid.h"
#include "fg_expr.h"
#include "hub_fair.h"
#include "hub_placer.h"

struct _hub_placer_t {
    hub_tasks_t *tasks;         //  the queue, and the assignment (not owned)
    hub_miners_t *miners;       //  candidates and their reservations (not owned)
    hub_escrow_t *escrow;       //  quotes and holds (not owned)
    fg_outbox_t *outbox;        //  where TaskAssigns wait for the commit (not owned)
    zsock_t *miner_sock;        //  the miners' ROUTER (not owned)
    hub_sched_miner_t *cands;   //  the round's candidates, kept between rounds
    hub_miner_t **owners;       //  their miners
    size_t capacity;            //  of both
    size_t connected;           //  connected miners the last round saw
    int64_t newest;             //  the latest hello the last round saw
    uint32_t credit;            //  hub/assign_credit
    zhashx_t *batches;          //  miner id -> zlistx of TaskAssign, this round's
    hub_court_t *court;         //  which miners a run may go to (not owned), or NULL
};

//  Tasks a round passes over (they fit some miner, not its room now, or
//  their buyer cannot pay) before it stops: a deep queue of such tasks
//  must not cost every round a walk of it. The rest wait for the next
//  round, which starts again from the front of the fair order.
#define S_PASS_MAX  256

hub_placer_t *
hub_placer_new (hub_tasks_t *tasks, hub_miners_t *miners, hub_escrow_t *escrow,
                fg_outbox_t *outbox, zsock_t *miner_sock)
{
    hub_placer_t *self = (hub_placer_t *) zmalloc (sizeof (hub_placer_t));
    self->tasks = tasks;
    self->miners = miners;
    self->escrow = escrow;
    self->outbox = outbox;
    self->miner_sock = miner_sock;
    self->batches = zhashx_new ();
    zhashx_set_destructor (self->batches, (zhashx_destructor_fn *) zlistx_destroy);
    return self;
}

void
hub_placer_set_court (hub_placer_t *self, hub_court_t *court)
{
    self->court = court;
}

//  The scheduler's choice among the miners the court allows for task (a
//  run: not its other runs' owners; a paid task: a staked miner). A run
//  goes to the best rated of them first: a check is worth what its miner is
static int
s_choose (hub_placer_t *self, hub_task_t *task, hub_sched_miner_t *cands,
          hub_miner_t **owners, size_t count)
{
    int chosen = hub_sched_choose (task->spec, cands, count);
    if (chosen < 0 || !self->court
    ||  (!*task->parent && hub_court_may_place (self->court, task, owners [chosen])))
        return chosen;
    hub_sched_miner_t *allowed = (hub_sched_miner_t *) zmalloc (sizeof (hub_sched_miner_t) * count);
    memcpy (allowed, cands, sizeof (hub_sched_miner_t) * count);
    int64_t best = 0;
    for (size_t index = 0; index < count; index++) {
        if (allowed [index].connected && !hub_court_may_place (self->court, task, owners [index]))
            allowed [index].connected = false;
        if (allowed [index].connected && allowed [index].reputation > best)
            best = allowed [index].reputation;
    }
    //  Runs: none rated far below the best allowed one
    for (size_t index = 0; *task->parent && index < count; index++)
        if (allowed [index].connected
        &&  allowed [index].reputation + FG_EXPR_DECIMAL_ONE / 4 < best)
            allowed [index].connected = false;
    chosen = hub_sched_choose (task->spec, allowed, count);
    free (allowed);
    return chosen;
}

void
hub_placer_destroy (hub_placer_t **self_p)
{
    if (*self_p) {
        hub_placer_t *self = *self_p;
        zhashx_destroy (&self->batches);
        free (self->cands);
        free (self->owners);
        free (self);
        *self_p = NULL;
    }
}

void
hub_placer_set_credit (hub_placer_t *self, uint32_t credit)
{
    self->credit = credit;
}

//  The miner's credit: tasks it may hold beyond its cores (the least of
//  what it queues and hub/assign_credit); 0 for a miner that does not
//  pipeline
static uint32_t
s_credit (hub_placer_t *self, const hub_miner_t *miner)
{
    uint32_t slots = miner->resources->queue_slots;
    return slots < self->credit? slots: self->credit;
}

//  The candidate of a miner, its credit counted as free cores: a task
//  placed there waits for a slot on the miner instead of a round trip
static void
s_candidate (hub_placer_t *self, hub_miner_t *miner, hub_sched_miner_t *cand)
{
    hub_miners_candidate (miner, cand);
    //  Its reputation, which constraints may ask for (hub_court.h)
    if (self->court) {
        hub_reputation_record_t record;
        hub_reputation_get (hub_court_reputation (self->court), miner->id, &record);
        cand->rated = true;
        cand->reputation = (int64_t) (record.score * FG_EXPR_DECIMAL_ONE + 0.5);
    }
    uint32_t credit = s_credit (self, miner);
    if (credit && !miner->refusing) {
        uint32_t room = cand->cores + credit;
        cand->free_cores = room > miner->used_cores? room - miner->used_cores: 0;
    }
}

//  A TaskAssign for a pipelining miner waits for the end of the round,
//  which sends all of that miner's in one TaskAssignBatch (s_flush)
static void
s_batch_add (hub_placer_t *self, hub_miner_t *miner, hub_task_t *task)
{
    zlistx_t *batch = (zlistx_t *) zhashx_lookup (self->batches, miner->id);
    if (!batch) {
        batch = zlistx_new ();
        zhashx_insert (self->batches, miner->id, batch);
    }
    zlistx_add_end (batch, task);
}

static void
s_flush (hub_placer_t *self)
{
    for (zlistx_t *batch = (zlistx_t *) zhashx_first (self->batches); batch;
         batch = (zlistx_t *) zhashx_next (self->batches)) {
        hub_miner_t *miner = hub_miners_lookup (self->miners,
                                                (const char *) zhashx_cursor (self->batches));
        size_t count = zlistx_size (batch), at = 0;
        if (!miner || !miner->routing || count == 0)
            continue;
        Fogrid__TaskAssign *assigns = (Fogrid__TaskAssign *) zmalloc (sizeof (Fogrid__TaskAssign) * count);
        Fogrid__TaskAssign **list = (Fogrid__TaskAssign **) zmalloc (sizeof (Fogrid__TaskAssign *) * count);
        for (hub_task_t *task = (hub_task_t *) zlistx_first (batch); task;
             task = (hub_task_t *) zlistx_next (batch), at++) {
            fogrid__task_assign__init (&assigns [at]);
            assigns [at].task_id = task->id;
            assigns [at].attempt = task->attempt;
            assigns [at].spec = task->spec;
            list [at] = &assigns [at];
        }
        fg_env_t env = FOGRID__ENVELOPE__INIT;
        Fogrid__TaskAssignBatch many = FOGRID__TASK_ASSIGN_BATCH__INIT;
        if (count == 1) {
            env.body_case = FOGRID__ENVELOPE__BODY_TASK_ASSIGN;
            env.task_assign = &assigns [0];
        }
        else {
            many.assigns = list;
            many.n_assigns = count;
            env.body_case = FOGRID__ENVELOPE__BODY_TASK_ASSIGN_BATCH;
            env.task_assign_batch = &many;
        }
        fg_outbox_notice (self->outbox, self->miner_sock, miner->routing, &env);
        free (list);
        free (assigns);
    }
    zhashx_purge (self->batches);
}

//  Sends the task to the miner and holds its price in escrow (a service
//  is billed from when it runs instead). Returns 0
//  when placed, 1 when not placed but the miner is fine, -1 when the send
//  failed (the miner's connection is gone).
static int
s_assign (hub_placer_t *self, hub_task_t *task, hub_miner_t *miner)
{
    hub_escrow_quote_t quote;
    hub_escrow_quote (self->escrow, task, miner, &quote);
    if (!quote.placeable)
        return 1;
    if (!miner->routing || miner->state == HUB_MINER_DEAD)
        return -1;
    char reason [256];
    if (hub_escrow_hold (self->escrow, task, miner, &quote, reason, sizeof reason))
        return 1;
    if (miner->resources->queue_slots)
        s_batch_add (self, miner, task);
    else {
        Fogrid__TaskAssign assign = FOGRID__TASK_ASSIGN__INIT;
        assign.task_id = task->id;
        assign.attempt = task->attempt;
        assign.spec = task->spec;
        fg_env_t env = FOGRID__ENVELOPE__INIT;
        env.body_case = FOGRID__ENVELOPE__BODY_TASK_ASSIGN;
        env.task_assign = &assign;
        fg_outbox_notice (self->outbox, self->miner_sock, miner->routing, &env);
    }
    if (*reason)
        zsys_info ("task %s %s", task->id, reason);
    hub_miners_reserve (miner, task->id, hub_task_cores (task), task->spec->mem_mb,
                        task->spec->gpus);
    hub_tasks_assign (self->tasks, task, miner->id, *reason? reason: NULL);
    return 0;
}

//  The most room any connected candidate has, of each kind
typedef struct {
    uint32_t cores;
    uint64_t mem_mb;
    uint32_t gpus;
} s_room_t;

static s_room_t
s_most_room (const hub_sched_miner_t *cands, size_t count)
{
    s_room_t most = { 0, 0, 0 };
    for (size_t index = 0; index < count; index++) {
        const hub_sched_miner_t *cand = &cands [index];
        if (!cand->connected)
            continue;
        most.cores = cand->free_cores > most.cores? cand->free_cores: most.cores;
        most.mem_mb = cand->free_mem_mb > most.mem_mb? cand->free_mem_mb: most.mem_mb;
        most.gpus = cand->free_gpus > most.gpus? cand->free_gpus: most.gpus;
    }
    return most;
}

//  True when no connected candidate could take the task even with
//  nothing running on it: too big for every one, or a runtime, a label,
//  a price none offers. Such a task is parked until a miner comes.
static bool
s_never_fits (const Fogrid__TaskSpec *spec, const hub_sched_miner_t *cands, size_t count)
{
    for (size_t index = 0; index < count; index++) {
        hub_sched_miner_t empty = cands [index];
        if (!empty.connected)
            continue;
        empty.free_cores = empty.cores;
        empty.free_mem_mb = empty.resources? empty.resources->mem_mb: empty.free_mem_mb;
        empty.free_gpus = empty.resources? empty.resources->gpus: empty.free_gpus;
        empty.running = 0;
        if (hub_sched_fits (spec, &empty))
            return false;
    }
    return true;
}

size_t
hub_placer_run (hub_placer_t *self, zlist_t *lost)
{
    hub_fair_t *fair = hub_tasks_fair (self->tasks);
    if (hub_fair_size (fair) + hub_fair_parked (fair) == 0)
        return 0;
    //  Candidates: the connected miners, as the scheduler sees them
    size_t total = hub_miners_size (self->miners), count = 0;
    if (total > self->capacity) {
        self->capacity = total;
        self->cands = (hub_sched_miner_t *) realloc (self->cands,
                                                     sizeof (hub_sched_miner_t) * total);
        self->owners = (hub_miner_t **) realloc (self->owners, sizeof (hub_miner_t *) * total);
    }
    hub_sched_miner_t *cands = self->cands;
    hub_miner_t **owners = self->owners;
    bool room = false;
    int64_t newest = 0;
    for (hub_miner_t *miner = hub_miners_first (self->miners); miner;
         miner = hub_miners_next (self->miners))
        if (miner->state == HUB_MINER_CONNECTED) {
            s_candidate (self, miner, &cands [count]);
            room |= cands [count].free_cores > 0;
            newest = miner->connected_ms > newest? miner->connected_ms: newest;
            owners [count++] = miner;
        }
    //  A miner came (a hello, or one back from silence): what was parked
    //  may fit it
    if (count > self->connected || newest > self->newest)
        hub_fair_unpark (fair);
    self->connected = count;
    self->newest = newest;
    if (!room)
        return 0;           //  nothing can be placed: no need to offer the queue

    size_t placed = 0, passed = 0;
    s_room_t most = s_most_room (cands, count);
    hub_task_t *task;
    while (most.cores > 0 && passed < S_PASS_MAX && (task = hub_fair_next (fair))) {
        //  A task bigger than any miner's room now is passed over
        //  before the scheduler weighs it
        if (self->court && hub_court_holds (self->court, task)) {
            hub_fair_park (fair, task);     //  its runs are placed, not itself
            continue;
        }
        int chosen = -1;
        if (hub_task_cores (task) <= most.cores && task->spec->mem_mb <= most.mem_mb
        &&  task->spec->gpus <= most.gpus)
            chosen = s_choose (self, task, cands, owners, count);
        if (chosen >= 0)
            chosen = hub_escrow_affordable (self->escrow, task, cands, owners, count, chosen);
        if (chosen < 0) {
            if (s_never_fits (task->spec, cands, count))
                hub_fair_park (fair, task);
            else
                passed++;
            continue;
        }
        int rc = s_assign (self, task, owners [chosen]);
        if (rc == 0) {
            placed++;
            hub_tasks_dequeue (self->tasks, task);
            s_candidate (self, owners [chosen], &cands [chosen]);
            most = s_most_room (cands, count);
        }
        else
        if (rc < 0) {
            cands [chosen].connected = false;
            zlist_append (lost, owners [chosen]);
            most = s_most_room (cands, count);
        }
        else
            passed++;
    }
    hub_fair_again (fair);
    s_flush (self);
    return placed;
}
