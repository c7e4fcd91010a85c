/*  =========================================================================
    hub_court - whether a result stands: challenge windows, replicas and
    their quorum, and the resolution that lets a miner be paid

        hub_court_t *court = hub_court_new (store, ledger, tasks, escrow, miners, config, hub_id);
        hub_court_restore (court);              //  windows and cases of a previous run
        ...a buyer's task was submitted:
        hub_court_submitted (court, task);      //  its replicas, when it asks for some
        ...the placer asks, for each candidate:
        if (hub_court_holds (court, task)) ...never placed itself...
        if (!hub_court_may_place (court, task, miner)) ...another miner...
        ...a result came, before the task's change:
        hub_court_result (court, task, result);
        ...a buyer challenges it within its window:
        hub_court_challenge (court, "t-1", buyer_key, why, sizeof why);
        ...after every change (hub_tasks_watch):
        hub_court_changed (court, task, next);
        ...once per burst, in its transaction:
        hub_court_tick (court, fg_now_ms ());
        hub_court_destroy (&court);

    A finished task's resolution (hub_task.h) says whether its result
    stands. Its miner's pay waits in escrow while it is pending and is
    paid when it becomes soft (the window passed unchallenged) or hard (a
    verdict upheld it). The court keeps little of its own: a task's
    resolution, its output hash and its runs are task rows (hub_store.h),
    its cases rows of hub_cases, its miners' records hub_reputation's, so
    a hub killed at any moment finds its windows and its cases there again.
    =========================================================================  */
#ifndef HUB_COURT_H_INCLUDED
#define HUB_COURT_H_INCLUDED

#include "hub_config.h"
#include "hub_tasks.h"
#include "hub_miners.h"
#include "hub_escrow.h"
#include "hub_reputation.h"
#include "hub_cases.h"

typedef struct _hub_court_t hub_court_t;

//  Everything given must outlive it; hub_id names the hub in verdicts.
//  NULL when its tables cannot be made (logged).
hub_court_t *hub_court_new (hub_store_t *store, hub_ledger_t *ledger, hub_tasks_t *tasks,
                            hub_escrow_t *escrow, hub_miners_t *miners,
                            const hub_config_t *config, const char *hub_id);
void hub_court_destroy (hub_court_t **self_p);

//  The window of a task (its challenge_window_s, else hub/challenge_s),
//  its replicas and its quorum, as the hub applies them.
int64_t hub_court_window_ms (hub_court_t *self, const hub_task_t *task);
uint32_t hub_court_replicas (hub_court_t *self, const hub_task_t *task);
uint32_t hub_court_quorum (hub_court_t *self, const hub_task_t *task);

//  Loads what a previous run left unresolved: windows to watch, cases to
//  decide. In the store's open transaction. Returns 0 or -1.
int hub_court_restore (hub_court_t *self);

//  A buyer's task was just stored: a replicated one gets its runs
//  (TASK-r1...), queued as tasks of their own. Returns 0 or -1.
int hub_court_submitted (hub_court_t *self, hub_task_t *task);

//  True for a task that is never placed itself (its runs are).
bool hub_court_holds (hub_court_t *self, const hub_task_t *task);

//  True when miner may run task: a task or replica asking more than
//  hub/min_stake_price only on a miner whose stake holds hub/min_stake; a
//  run only on a miner whose owner (its key; its id on a plain-text hub)
//  and hub/replica_label differ from those of every miner involved in its
//  case so far.
bool hub_court_may_place (hub_court_t *self, const hub_task_t *task, const hub_miner_t *miner);

//  Before a task's change to a final state on a result: sets its output
//  hash and its resolution (soft at once with a window of 0, else
//  pending; a run's waits for its case).
void hub_court_result (hub_court_t *self, hub_task_t *task, const Fogrid__TaskResult *result);

//  After a task's change: a run that ended sends its case to be decided.
void hub_court_changed (hub_court_t *self, hub_task_t *task, hub_task_state_t next);

//  Decides the cases that changed and resolves the windows that passed,
//  paying or refunding in the burst's transaction. Returns how many cases
//  it decided (each may have queued runs: a placement round is due).
size_t hub_court_tick (hub_court_t *self, int64_t now);

//  Windows being watched (for tests and metrics).
size_t hub_court_pending (hub_court_t *self);

//  Challenges a task's result for challenger (a buyer key, "" on a plain-
//  text hub): within its window, its deposit (hub/challenge_deposit) held,
//  the task is run again on two miners not involved so far and decided
//  by their majority (see the verdict table in hub_court.c). 0, or
//  FG_E_NOT_FOUND, FG_E_STATE (not a result in its window), FG_E_FUNDS,
//  with why.
fg_error_t hub_court_challenge (hub_court_t *self, const char *task_id, const char *challenger,
                                char *why, size_t size);

//  The signed verdict on a task (JSON, fg_verdict.h; caller frees), or
//  NULL when there is none.
char *hub_court_verdict (hub_court_t *self, const char *task_id);

//  The miners' records (hub_reputation.h), for the miner list and the
//  placer.
hub_reputation_t *hub_court_reputation (hub_court_t *self);

#endif
