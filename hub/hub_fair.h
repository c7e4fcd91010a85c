/*  =========================================================================
    hub_fair - the hub's pending tasks in fair order, kept as they change

    hub_tasks keeps it as its queue changes, so a placement round only
    asks for the next task, and gives back at its end what it passed over:

        hub_fair_t *fair = hub_fair_new ();
        hub_fair_add (fair, task);                  //  queued
        hub_fair_running (fair, task->buyer, +1);   //  a task of the buyer holds a miner
        ...a round:
        while (room && (task = hub_fair_next (fair))) {
            if (placed)
                hub_fair_remove (fair, task);       //  (hub_tasks_dequeue does)
            else
            if (no miner could ever take it)
                hub_fair_park (fair, task);         //  out of the rounds
        }
        hub_fair_again (fair);                      //  the rest take their places back
        ...a new miner: hub_fair_unpark (fair);
        hub_fair_destroy (&fair);

    Buyers take turns (a buyer's tasks that hold a miner count as turns it
    had); within a buyer, first come, first served. Every call costs
    O(log n) at most, whatever the length of the queue; hub_fair_unpark
    costs what is parked.
    =========================================================================  */
#ifndef HUB_FAIR_H_INCLUDED
#define HUB_FAIR_H_INCLUDED

#include "hub_task.h"

typedef struct _hub_fair_t hub_fair_t;

hub_fair_t *hub_fair_new (void);
void hub_fair_destroy (hub_fair_t **self_p);

//  A task joins the order (it is pending and queued); a task leaves it,
//  from wherever it is (in the order, offered this round, or parked).
//  Removing a task that is not there does nothing.
void hub_fair_add (hub_fair_t *self, hub_task_t *task);
void hub_fair_remove (hub_fair_t *self, hub_task_t *task);

//  A task of buyer started (+1) or stopped (-1) holding a miner.
void hub_fair_running (hub_fair_t *self, const char *buyer, int delta);

//  The next task in fair order that this round has not offered, or NULL.
//  An offered task counts as a turn of its buyer until hub_fair_again.
hub_task_t *hub_fair_next (hub_fair_t *self);

//  The round is over: the tasks it offered and did not place take their
//  places back.
void hub_fair_again (hub_fair_t *self);

//  A task offered in this round that no miner could take even with
//  nothing running (too big, a runtime or label none has): it leaves the
//  rounds until hub_fair_unpark, which brings back every parked task
//  (a miner came).
void hub_fair_park (hub_fair_t *self, hub_task_t *task);
void hub_fair_unpark (hub_fair_t *self);

//  Tasks in the order (not offered, not parked); tasks parked.
size_t hub_fair_size (hub_fair_t *self);
size_t hub_fair_parked (hub_fair_t *self);

//  Forgets every task and every count.
void hub_fair_purge (hub_fair_t *self);

#endif
