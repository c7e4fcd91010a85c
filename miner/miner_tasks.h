/*  =========================================================================
    miner_tasks - the tasks one hub link holds: their runners, the hub
    that gave each, and what they take of the link's share

    The link (miner_link.h) owns the wire and its state machine; this owns
    the running work, keyed by TASK_ID/ATTEMPT:

        miner_tasks_t *tasks = miner_tasks_new ();
        if (miner_tasks_refusal (tasks, &share, spec, why, sizeof why) == 0)
            miner_tasks_start (tasks, "t-1", 1, spec, &limits, endpoint);
        ... poll what miner_tasks_items fills; for each runner that ended:
        Fogrid__TaskResult *result = miner_runner_result (runner, 0);
        ... miner_tasks_forget (tasks, runner);
        miner_tasks_destroy (&tasks);       //  kills every task, reaps it

    Tasks being killed (the hub asked) still count among those held until
    reaped, but no longer as running nor against the share: the hub
    released what they reserved when it asked.
    =========================================================================  */
#ifndef MINER_TASKS_H_INCLUDED
#define MINER_TASKS_H_INCLUDED

#include "miner_runner.h"
#include "miner_http.h"

typedef struct _miner_tasks_t miner_tasks_t;

//  What running tasks hold of a share, as the hub reserved it
typedef struct {
    uint32_t cores;             //  0 in a spec counts as 1
    uint64_t mem_mb;            //  as the specs say (0 = reserves none)
    uint32_t gpus;
} miner_tasks_use_t;

miner_tasks_t *miner_tasks_new (void);

//  Kills every task and reaps it. Idempotent.
void miner_tasks_destroy (miner_tasks_t **self_p);

//  Starts task_id/attempt (miner_runner_new), given by the hub at
//  endpoint; returns its runner. The caller checked it is not held yet.
miner_runner_t *miner_tasks_start (miner_tasks_t *self, const char *task_id, uint32_t attempt,
                                   const Fogrid__TaskSpec *spec,
                                   const miner_runner_limits_t *limits, const char *endpoint);

//  The runner of task_id/attempt, or NULL.
miner_runner_t *miner_tasks_find (miner_tasks_t *self, const char *task_id, uint32_t attempt);

//  The endpoint of the hub that gave runner's task ("" if unknown).
const char *miner_tasks_endpoint (miner_tasks_t *self, miner_runner_t *runner);

//  Runner's task has ended: counts it in stats and logs how (tag first).
//  Returns its result, to report to the hub *endpoint names (valid until
//  the runner is forgotten), or NULL when there is none to report (the
//  hub had it killed, or it left no readable result). The caller frees it.
Fogrid__TaskResult *miner_tasks_ended (miner_tasks_t *self, miner_runner_t *runner,
                                       miner_stats_t *stats, const char *tag,
                                       const char **endpoint);

//  Forgets runner's task (it ended and its result was taken), destroying
//  the runner.
void miner_tasks_forget (miner_tasks_t *self, miner_runner_t *runner);

//  Kills every task, without waiting (destroy reaps them).
void miner_tasks_kill_all (miner_tasks_t *self);

//  Tasks held (running, or killed and not reaped yet).
size_t miner_tasks_size (miner_tasks_t *self);

//  What the running tasks hold (used), and, when load is given, adds to
//  it what they hold as they run (cores, memory with the miner's default
//  limit, last figures seen).
void miner_tasks_used (miner_tasks_t *self, miner_tasks_use_t *used, Fogrid__Load *load);

//  The running tasks as refs into store (refs [i] = &store [i]), both
//  with room for miner_tasks_size entries; returns how many.
size_t miner_tasks_refs (miner_tasks_t *self, Fogrid__TaskRef *store, Fogrid__TaskRef **refs);

//  0 when spec fits what is free of share, else -1 with why.
int miner_tasks_refusal (miner_tasks_t *self, const Fogrid__Resources *share,
                         const Fogrid__TaskSpec *spec, char *why, size_t why_size);

//  Fills items with each runner's actor (POLLIN), remembering which
//  runner each is; returns how many (up to capacity).
size_t miner_tasks_items (miner_tasks_t *self, zmq_pollitem_t *items, size_t capacity);

//  After the poll, given the same items: the next runner from *cursor on
//  (start at 0; moved on) whose actor has something (its task ended), or
//  NULL when none is left. What was polled stays valid until then, also
//  while the caller forgets the runners it returns.
miner_runner_t *miner_tasks_ready (miner_tasks_t *self, zmq_pollitem_t *items, size_t *cursor);

#endif
