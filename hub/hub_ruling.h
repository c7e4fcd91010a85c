/*  =========================================================================
    hub_ruling - the verdict table of the court as a function: from a
    challenged task, its runs and its case, what the checks decided, who
    was wrong, who is paid and who takes what is left

        hub_task_t *witness;
        const char *agreed = hub_ruling_majority (runs, count, checks, &witness);
        hub_ruling_t ruling;
        hub_ruling_make (&ruling, task, runs, count, agreed, kind, challenger, deposit);
        ...ruling.wrong, ruling.payees, ruling.beneficiary to the escrow...
        ...ruling.verdict, its money and signature added, to the case...

    It holds nothing and moves nothing: the court (hub_court.c, "Checks and
    verdicts") reads the store, moves the money and signs; this is the
    table in between, so it can be read, and tested, as one.
    =========================================================================  */
#ifndef HUB_RULING_H_INCLUDED
#define HUB_RULING_H_INCLUDED

#include "fg_verdict.h"
#include "hub_escrow.h"

typedef struct {
    //  task, kind, challenger, decision, hashes, deposit and the runs;
    //  slashed, reward, at_ms, the hub's names and the signature are the
    //  court's to add
    fg_verdict_t verdict;
    bool upheld;                //  the checks agreed with the task's hash
    bool overturned;            //  the checks agreed on another
    bool replicated;            //  the task ran as replicas, not itself
    //  miners that were wrong (strings of task and runs: valid while they are)
    const char *wrong [FG_VERDICT_MAX_RUNS + 1];
    size_t n_wrong;
    //  check and spot runs that were right, and their miners
    const char *payees [FG_VERDICT_MAX_RUNS];
    const char *payee_runs [FG_VERDICT_MAX_RUNS];
    size_t n_payees;
    char beneficiary [HUB_ACCOUNT_MAX];     //  who takes the rest, "" when no one
} hub_ruling_t;

//  The check runs' majority among runs (checks of them are checks): a hash
//  that at least two and more than half of them gave, and witness, a run
//  that gave it; NULL (witness NULL) when there is none.
const char *hub_ruling_majority (hub_task_t *const *runs, size_t count, size_t checks,
                                 hub_task_t **witness);

//  Rules on task from its runs (finished or not, in their order), agreed
//  (hub_ruling_majority, or NULL: undecided) and its case (kind "" is a
//  challenge).
void hub_ruling_make (hub_ruling_t *self, const hub_task_t *task, hub_task_t *const *runs,
                      size_t count, const char *agreed, const char *kind,
                      const char *challenger, int64_t deposit);

#endif
