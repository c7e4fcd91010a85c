/*  =========================================================================
    hub_placer - puts queued tasks on miners: matching, affordability,
    the TaskAssign, the reservation

        hub_placer_t *placer = hub_placer_new (tasks, miners, escrow, outbox, miner_sock);
        ...at the end of each burst, in its transaction:
        zlist_t *lost = zlist_new ();
        size_t placed = hub_placer_run (placer, lost);
        ...lose each miner in lost (its tasks go back to the queue), and
        run again while any was lost...
        zlist_destroy (&lost);
        hub_placer_destroy (&placer);

    It owns nothing but its round: the queue and the assignment are
    hub_tasks', the reservations hub_miners', the money hub_escrow's; what
    it sends waits in the outbox for the commit.
    =========================================================================  */
#ifndef HUB_PLACER_H_INCLUDED
#define HUB_PLACER_H_INCLUDED

#include "hub_tasks.h"
#include "hub_miners.h"
#include "hub_escrow.h"
#include "hub_court.h"

typedef struct _hub_placer_t hub_placer_t;

hub_placer_t *hub_placer_new (hub_tasks_t *tasks, hub_miners_t *miners, hub_escrow_t *escrow,
                              fg_outbox_t *outbox, zsock_t *miner_sock);
void hub_placer_destroy (hub_placer_t **self_p);

//  The court's rules (hub_court.h): a replicated task is never placed
//  itself, its runs go to miners of distinct owners. NULL: none.
void hub_placer_set_court (hub_placer_t *self, hub_court_t *court);
//  hub/assign_credit: tasks a pipelining miner may hold beyond its cores
//  (0 = none, the default of a placer just made).
void hub_placer_set_credit (hub_placer_t *self, uint32_t credit);

//  One round: every queued task that fits a connected miner (and, with
//  hub/require_funds, one its buyer can pay) is assigned to it, its
//  TaskAssign held in the outbox, its resources reserved. Returns how
//  many were placed; appends the miners (hub_miner_t *) found without a
//  connection to lost: the caller declares them lost and runs again.
size_t hub_placer_run (hub_placer_t *self, zlist_t *lost);

#endif
