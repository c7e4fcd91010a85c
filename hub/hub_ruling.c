/*  =========================================================================
    hub_ruling - the verdict table of the court as a function

    The table it applies is the court's ("Checks and verdicts" in
    hub_court.c, where the money moves as it says).
    =========================================================================  */
#include "fogrid.h"
#include "hub_ruling.h"

static const char *
s_role_name (hub_task_role_t role)
{
    return role == HUB_ROLE_REPLICA? "replica": role == HUB_ROLE_CHECK? "check"
         : role == HUB_ROLE_SPOT? "spot": "result";
}

const char *
hub_ruling_majority (hub_task_t *const *runs, size_t count, size_t checks,
                     hub_task_t **witness)
{
    *witness = NULL;
    for (size_t index = 0; index < count; index++) {
        hub_task_t *run = runs [index];
        if (run->role != HUB_ROLE_CHECK || !*run->output_hash)
            continue;
        size_t votes = 0;
        for (size_t other = 0; other < count; other++)
            if (runs [other]->role == HUB_ROLE_CHECK
            &&  streq (runs [other]->output_hash, run->output_hash))
                votes++;
        if (votes >= 2 && votes * 2 > checks) {
            *witness = run;
            return run->output_hash;
        }
    }
    return NULL;
}

void
hub_ruling_make (hub_ruling_t *self, const hub_task_t *task, hub_task_t *const *runs,
                 size_t count, const char *agreed, const char *kind,
                 const char *challenger, int64_t deposit)
{
    memset (self, 0, sizeof *self);
    fg_verdict_t *verdict = &self->verdict;
    snprintf (verdict->task_id, sizeof verdict->task_id, "%s", task->id);
    snprintf (verdict->kind, sizeof verdict->kind, "%s", *kind? kind: "challenge");
    if (streq (verdict->kind, "challenge"))
        hub_escrow_buyer_account (challenger, verdict->challenger, sizeof verdict->challenger);
    snprintf (verdict->result_hash, sizeof verdict->result_hash, "%s", task->output_hash);
    snprintf (verdict->verdict_hash, sizeof verdict->verdict_hash, "%s", agreed? agreed: "");
    bool upheld = self->upheld = agreed && streq (agreed, task->output_hash);
    bool overturned = self->overturned = agreed && !upheld;
    snprintf (verdict->decision, sizeof verdict->decision, "%s",
              upheld? "upheld": overturned? "overturned": "undecided");
    verdict->deposit = deposit;

    //  Who was wrong, who is paid, in the order of the runs
    bool replicated = false;
    for (size_t index = 0; index < count; index++)
        replicated |= runs [index]->role == HUB_ROLE_REPLICA;
    self->replicated = replicated;
    if (!replicated && *task->miner_id && verdict->n_runs < FG_VERDICT_MAX_RUNS) {
        fg_verdict_run_t *entry = &verdict->runs [verdict->n_runs++];
        snprintf (entry->run_id, sizeof entry->run_id, "%s", task->id);
        snprintf (entry->role, sizeof entry->role, "result");
        snprintf (entry->miner_id, sizeof entry->miner_id, "%s", task->miner_id);
        snprintf (entry->hash, sizeof entry->hash, "%s", task->output_hash);
        if (overturned)
            self->wrong [self->n_wrong++] = task->miner_id;
    }
    for (size_t index = 0; index < count && verdict->n_runs < FG_VERDICT_MAX_RUNS; index++) {
        hub_task_t *run = runs [index];
        if (!hub_task_state_terminal (run->state) || !*run->miner_id)
            continue;
        fg_verdict_run_t *entry = &verdict->runs [verdict->n_runs++];
        snprintf (entry->run_id, sizeof entry->run_id, "%s", run->id);
        snprintf (entry->role, sizeof entry->role, "%s", s_role_name (run->role));
        snprintf (entry->miner_id, sizeof entry->miner_id, "%s", run->miner_id);
        snprintf (entry->hash, sizeof entry->hash, "%s", run->output_hash);
        if (!agreed || run->resolution != HUB_RESOLUTION_PENDING)
            continue;
        bool right = streq (run->output_hash, agreed);
        if (run->role == HUB_ROLE_REPLICA) {
            if (overturned && streq (run->output_hash, task->output_hash))
                self->wrong [self->n_wrong++] = run->miner_id;
        }
        else
        if (right && self->n_payees < FG_VERDICT_MAX_RUNS) {
            self->payees [self->n_payees] = run->miner_id;
            self->payee_runs [self->n_payees++] = run->id;
        }
        else
        if (!right && *run->output_hash)
            self->wrong [self->n_wrong++] = run->miner_id;
    }
    //  What is left goes to a right challenger, else to whoever was wronged
    char *beneficiary = self->beneficiary;
    size_t size = sizeof self->beneficiary;
    if (overturned && streq (verdict->kind, "challenge"))
        snprintf (beneficiary, size, "%s", verdict->challenger);
    else
    if (overturned)
        hub_escrow_buyer_account (task->buyer, beneficiary, size);
    else
    if (upheld && *task->miner_id && !replicated)
        snprintf (beneficiary, size, "miner:%s", task->miner_id);
    else
    if (upheld)
        hub_escrow_buyer_account (task->buyer, beneficiary, size);
    else
    if (*challenger || streq (verdict->kind, "challenge"))
        snprintf (beneficiary, size, "%s", verdict->challenger);
}
