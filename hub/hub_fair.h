/*  =========================================================================
    hub_fair - the hub's pending tasks in fair order

    Made for each round of placements from the queue, the miners'
    reservations and the unfinished tasks, then asked for the next task
    until the round has no more room:

        hub_fair_t *fair = hub_fair_new (queue, miners, tasks);
        while (room && (task = hub_fair_next (fair)))
            ...
        hub_fair_destroy (&fair);

    Buyers take turns (a buyer's tasks running count as turns it had);
    within a buyer, first come, first served. It holds pointers into the
    queue: nothing may leave the queue until it is destroyed.
    =========================================================================  */
#ifndef HUB_FAIR_H_INCLUDED
#define HUB_FAIR_H_INCLUDED

#include "hub_task.h"
#include "hub_miners.h"

typedef struct _hub_fair_t hub_fair_t;

//  queue: the pending tasks (hub_task_t) by seq; miners: their
//  reservations say what each buyer runs; tasks: task id -> hub_task_t,
//  the unfinished ones.
hub_fair_t *hub_fair_new (zlistx_t *queue, hub_miners_t *miners, zhashx_t *tasks);
void hub_fair_destroy (hub_fair_t **self_p);

//  The next task in fair order, or NULL when every one was offered.
hub_task_t *hub_fair_next (hub_fair_t *self);

#endif
