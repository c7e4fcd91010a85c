/*  =========================================================================
    hub_placer - puts queued tasks on miners: matching, affordability,
    the TaskAssign, the reservation

    DESIGN
    A round takes the connected miners as the scheduler sees them
    (hub_miners_candidate) and offers them the queue in fair order
    (hub_fair.h: buyers take turns), placing every task that fits
    somewhere, so a big task does not hold back the small ones behind it,
    and updating the candidates as it goes. A task bigger than any
    miner's room is passed over before hub_sched weighs it: a queue may
    hold thousands. The server runs a round after every burst of events
    that can change placement.

    The TaskAssign is held in the outbox before the task is marked
    assigned (both go out, or neither, with the burst's commit): a miner
    whose connection is known gone is left to the caller as lost, without
    charging the task an attempt. The money (the ask, held in escrow, or
    why it runs unpaid) is hub_escrow's: a placement asks it for a quote
    before anything is sent, so the ledger cannot refuse what was checked.
    Tasks placed leave the queue when the round ends, since hub_fair holds
    places in it until then.
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
    hub_court_t *court;         //  which miners a run may go to (not owned), or NULL
};

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
    return self;
}

void
hub_placer_set_court (hub_placer_t *self, hub_court_t *court)
{
    self->court = court;
}

//  A candidate as the scheduler sees it, with its reputation (constraints
//  may ask for it)
static void
s_candidate (hub_placer_t *self, hub_miner_t *miner, hub_sched_miner_t *cand)
{
    hub_miners_candidate (miner, cand);
    if (self->court) {
        hub_reputation_record_t record;
        hub_reputation_get (hub_court_reputation (self->court), miner->id, &record);
        cand->rated = true;
        cand->reputation = (int64_t) (record.score * FG_EXPR_DECIMAL_ONE + 0.5);
    }
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
        free (*self_p);
        *self_p = NULL;
    }
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
    Fogrid__TaskAssign assign = FOGRID__TASK_ASSIGN__INIT;
    assign.task_id = task->id;
    assign.attempt = task->attempt;
    assign.spec = task->spec;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_ASSIGN;
    env.task_assign = &assign;
    fg_outbox_notice (self->outbox, self->miner_sock, miner->routing, &env);
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

size_t
hub_placer_run (hub_placer_t *self, zlist_t *lost)
{
    if (hub_tasks_queued (self->tasks) == 0)
        return 0;
    {
        //  Candidates: the connected miners, as the scheduler sees them
        size_t total = hub_miners_size (self->miners), count = 0;
        hub_sched_miner_t *cands = (hub_sched_miner_t *) zmalloc (sizeof (hub_sched_miner_t) * (total + 1));
        hub_miner_t **owners = (hub_miner_t **) zmalloc (sizeof (hub_miner_t *) * (total + 1));
        bool room = false;
        for (hub_miner_t *miner = hub_miners_first (self->miners); miner;
             miner = hub_miners_next (self->miners))
            if (miner->state == HUB_MINER_CONNECTED) {
                s_candidate (self, miner, &cands [count]);
                room |= cands [count].free_cores > 0;
                owners [count++] = miner;
            }
        if (!room) {
            free (cands);
            free (owners);
            return 0;       //  nothing can be placed: no need to order the queue
        }
        size_t placed = 0;
        hub_fair_t *fair = hub_fair_new (hub_tasks_queue (self->tasks), self->miners,
                                        hub_tasks_table (self->tasks));
        hub_task_t **taken = (hub_task_t **) zmalloc (sizeof (hub_task_t *)
                                                      * (hub_tasks_queued (self->tasks) + 1));
        s_room_t most = s_most_room (cands, count);
        hub_task_t *task;
        while (count && most.cores > 0 && (task = hub_fair_next (fair))) {
            //  A task bigger than any miner's room now is passed over
            //  before the scheduler weighs it: a queue may hold thousands
            if (hub_task_cores (task) > most.cores || task->spec->mem_mb > most.mem_mb
            ||  task->spec->gpus > most.gpus)
                continue;
            if (self->court && hub_court_holds (self->court, task))
                continue;       //  its runs are placed, not itself
            int chosen = s_choose (self, task, cands, owners, count);
            if (chosen >= 0)
                chosen = hub_escrow_affordable (self->escrow, task, cands, owners, count, chosen);
            if (chosen < 0)
                continue;
            int rc = s_assign (self, task, owners [chosen]);
            if (rc == 0) {
                taken [placed++] = task;
                s_candidate (self, owners [chosen], &cands [chosen]);
                most = s_most_room (cands, count);
            }
            else
            if (rc < 0) {
                cands [chosen].connected = false;
                zlist_append (lost, owners [chosen]);
                most = s_most_room (cands, count);
            }
        }
        for (size_t index = 0; index < placed; index++)
            hub_tasks_dequeue (self->tasks, taken [index]);
        hub_fair_destroy (&fair);
        free (taken);
        free (cands);
        free (owners);
        return placed;
    }
}

