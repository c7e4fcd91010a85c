/*  =========================================================================
    hub_court - whether a result stands: challenge windows, replicas and
    their quorum, and the resolution that lets a miner be paid

    DESIGN
    A miner is paid for a result only once the result stands. Without
    replicas, a task that ends with a result is pending for its window
    (its challenge_window_s, else hub/challenge_s) and soft once the
    window passes unchallenged; a window of 0 makes it soft at once, so a
    try-out grid pays as it always did. The pay waits in the task's escrow
    account meanwhile (hub_escrow_resolve pays it, pay/TASK once).

        resolution      event                           next
        ----------      -----                           ----
        (none)          a result, window 0              soft (paid)
        (none)          a result, window > 0            pending
        (none)          a run's result                  pending (its case decides)
        pending         window passed                   soft (paid)
        pending         challenged (hub_court_challenge) challenged
        pending         a spot check disagreed          challenged
        challenged      verdict                         hard (paid, or refunded)

    A replicated task (TaskSpec.replicas > 1) never runs itself: it stays
    pending while its runs TASK-r1..rN, tasks of their own charged to its
    buyer, run on miners of distinct owners (hub_court_may_place). When
    `quorum` runs agree on the output hash, the task takes that result
    (output, exit status, hash) and its window starts; the runs that
    agreed are paid when it resolves, the others are refunded to the
    buyer and their miners marked. Runs that finish later are judged
    against the decided hash. When every run ended (each on its retries,
    hub_tasks) without a quorum, the task fails, saying so, and its buyer
    is refunded: no run is paid.

    Resolutions, hashes and the runs of a task are task rows, challenges
    rows of hub_cases, so a decision is made from the store each time a
    case changes (the set of cases to decide and the windows are the only
    memory, filled again at restore), and a hub killed at any moment pays
    once: every payout and refund is a ledger transfer whose id exists
    once. Checks, spot checks and verdicts: see "Checks and verdicts".
    =========================================================================  */
#include "fogrid.h"
#include "fg_verdict.h"
#include "hub_output.h"
#include "hub_owners.h"
#include "hub_court.h"
#include "hub_ruling.h"
#include "hub_windows.h"
#include <sodium.h>

#define S_MAX_RUNS      32          //  runs of one case, at most

struct _hub_court_t {
    hub_store_t *store;         //  task rows, and the court's cases (not owned)
    hub_ledger_t *ledger;       //  signs verdicts (not owned)
    hub_reputation_t *reputation;   //  miners' records (owned)
    hub_cases_t *cases_table;   //  challenges and spot checks, their verdicts (owned)
    hub_owners_t *owners;       //  who stands behind each miner (owned)
    char hub_id [64];           //  names the hub in verdicts
    hub_tasks_t *tasks;         //  the unfinished tasks (not owned)
    hub_escrow_t *escrow;       //  the money (not owned)
    hub_miners_t *miners;       //  labels of miners (not owned)
    const hub_config_t *config; //  windows, replicas, quorum
    hub_windows_t *windows;     //  pending resolutions to watch, by end
    zhashx_t *cases;            //  task id -> "": cases to decide at the next tick
};

hub_court_t *
hub_court_new (hub_store_t *store, hub_ledger_t *ledger, hub_tasks_t *tasks,
               hub_escrow_t *escrow, hub_miners_t *miners, const hub_config_t *config,
               const char *hub_id)
{
    hub_reputation_t *reputation = hub_reputation_new (store);
    hub_cases_t *cases = hub_cases_new (store);
    if (!reputation || !cases) {
        hub_reputation_destroy (&reputation);
        hub_cases_destroy (&cases);
        return NULL;
    }
    hub_court_t *self = (hub_court_t *) zmalloc (sizeof (hub_court_t));
    self->store = store;
    self->ledger = ledger;
    self->reputation = reputation;
    self->cases_table = cases;
    self->owners = hub_owners_new (store, miners, config->replica_label);
    snprintf (self->hub_id, sizeof self->hub_id, "%s", hub_id);
    self->tasks = tasks;
    self->escrow = escrow;
    self->miners = miners;
    self->config = config;
    self->windows = hub_windows_new ();
    self->cases = zhashx_new ();
    return self;
}

void
hub_court_destroy (hub_court_t **self_p)
{
    if (*self_p) {
        hub_court_t *self = *self_p;
        hub_windows_destroy (&self->windows);
        zhashx_destroy (&self->cases);
        hub_reputation_destroy (&self->reputation);
        hub_cases_destroy (&self->cases_table);
        hub_owners_destroy (&self->owners);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Settings of a task

int64_t
hub_court_window_ms (hub_court_t *self, const hub_task_t *task)
{
    return task->spec->challenge_window_s? (int64_t) task->spec->challenge_window_s * 1000
                                          : self->config->challenge_ms;
}

uint32_t
hub_court_replicas (hub_court_t *self, const hub_task_t *task)
{
    return task->spec->replicas? task->spec->replicas: (uint32_t) self->config->replicas;
}

uint32_t
hub_court_quorum (hub_court_t *self, const hub_task_t *task)
{
    uint32_t replicas = hub_court_replicas (self, task);
    uint32_t quorum = task->spec->quorum? task->spec->quorum: (uint32_t) self->config->quorum;
    if (quorum == 0 || quorum > replicas)
        quorum = replicas / 2 + 1;
    return quorum;
}

//  --------------------------------------------------------------------------
//  Windows

static void
s_watch (hub_court_t *self, const char *task_id, int64_t at_ms)
{
    hub_windows_watch (self->windows, task_id, at_ms);
}

size_t
hub_court_pending (hub_court_t *self)
{
    return hub_windows_size (self->windows);
}

//  A resolution's change, written with an event for the task's history
static void
s_resolve (hub_court_t *self, hub_task_t *task, hub_resolution_t next, const char *why)
{
    zsys_info ("task %s resolution %s -> %s: %s", task->id,
               *hub_resolution_name (task->resolution)? hub_resolution_name (task->resolution)
                                                     : "none",
               hub_resolution_name (next), why);
    task->resolution = next;
    if (next != HUB_RESOLUTION_PENDING)
        task->resolve_at_ms = 0;
    char reason [300];
    snprintf (reason, sizeof reason, "resolution %s: %s", hub_resolution_name (next), why);
    if (hub_store_task_update (self->store, task)
    ||  hub_store_event_add (self->store, task->id, task->state, fg_now_ms (), task->miner_id,
                             task->attempt, reason))
        zsys_error ("task %s: cannot record its resolution", task->id);
}

//  A run's money once its case decided: paid when its result stands,
//  refunded to the buyer when it does not (or the task failed)
static void
s_settle_run (hub_court_t *self, hub_task_t *run, hub_resolution_t next, bool stands,
              const char *why)
{
    s_resolve (self, run, next, why);
    hub_escrow_resolve (self->escrow, run, stands && run->state == HUB_TASK_SUCCEEDED);
}

//  --------------------------------------------------------------------------
//  Cases: a replicated task and its runs

//  A copy of a spec (caller owns it)
static Fogrid__TaskSpec *
s_spec_copy (const Fogrid__TaskSpec *spec)
{
    size_t size = fogrid__task_spec__get_packed_size (spec);
    uint8_t *buffer = (uint8_t *) zmalloc (size + 1);
    fogrid__task_spec__pack (spec, buffer);
    Fogrid__TaskSpec *copy = fogrid__task_spec__unpack (NULL, size, buffer);
    free (buffer);
    return copy;
}

//  A new run of task: queued as a task of its own, charged to its buyer
static int
s_spawn (hub_court_t *self, hub_task_t *task, uint32_t number, hub_task_role_t role,
         const char *tag)
{
    char id [32];
    snprintf (id, sizeof id, "%s-%s%u", task->id, tag, number);
    Fogrid__TaskSpec *spec = s_spec_copy (task->spec);
    if (!spec)
        return -1;
    //  A check runs wherever the task's resources and labels fit, not under
    //  its constraint, which may name the very miner it checks
    if (role >= HUB_ROLE_CHECK && spec->constraint && *spec->constraint) {
        free (spec->constraint);
        spec->constraint = (char *) protobuf_c_empty_string;
    }
    hub_task_t *run = hub_task_new (id, &spec);
    hub_task_set_text (&run->buyer, task->buyer);
    snprintf (run->parent, sizeof run->parent, "%s", task->id);
    run->role = role;
    run->retries_left = task->retries_left;
    if (hub_tasks_submit (self->tasks, run, NULL)) {
        zsys_error ("task %s: cannot store its run %s", task->id, id);
        hub_task_destroy (&run);
        return -1;
    }
    zsys_info ("task %s: run %s queued", task->id, id);
    return 0;
}

int
hub_court_submitted (hub_court_t *self, hub_task_t *task)
{
    if (task->role != HUB_ROLE_TASK || hub_task_is_service (task))
        return 0;
    uint32_t replicas = hub_court_replicas (self, task);
    if (replicas <= 1)
        return 0;
    char reason [160];
    snprintf (reason, sizeof reason, "runs as %u replicas on miners of distinct owners, "
              "quorum %u", replicas, hub_court_quorum (self, task));
    hub_task_set_text (&task->reason, reason);
    hub_store_task_update (self->store, task);
    for (uint32_t number = 1; number <= replicas; number++)
        if (s_spawn (self, task, number, HUB_ROLE_REPLICA, "r"))
            return -1;
    return 0;
}

bool
hub_court_holds (hub_court_t *self, const hub_task_t *task)
{
    //  (an element of a job array, TASK[N], is not replicated: arrays are
    //  submitted apart, hub_array_api)
    return task->role == HUB_ROLE_TASK && task->state == HUB_TASK_PENDING
        && !strchr (task->id, '[')
        && !hub_task_is_service (task) && hub_court_replicas (self, task) > 1;
}

//  The runs of a case, each the live task when it is unfinished, else the
//  stored one (owned: in owned, destroyed with it)
typedef struct {
    hub_task_t *runs [S_MAX_RUNS];
    size_t count;
    zlistx_t *owned;
} s_runs_t;

static void
s_runs_load (hub_court_t *self, const char *task_id, s_runs_t *runs)
{
    runs->count = 0;
    runs->owned = zlistx_new ();
    zlistx_set_destructor (runs->owned, (zlistx_destructor_fn *) hub_task_destroy);
    zlistx_t *stored = zlistx_new ();
    hub_store_load_runs (self->store, task_id, stored);
    for (hub_task_t *run = (hub_task_t *) zlistx_first (stored); run;
         run = (hub_task_t *) zlistx_next (stored)) {
        if (runs->count == S_MAX_RUNS) {
            hub_task_destroy (&run);
            continue;
        }
        hub_task_t *live = hub_tasks_lookup (self->tasks, run->id);
        if (live) {
            runs->runs [runs->count++] = live;
            hub_task_destroy (&run);
        }
        else {
            runs->runs [runs->count++] = run;
            zlistx_add_end (runs->owned, run);
        }
    }
    zlistx_destroy (&stored);
}

static void
s_runs_reset (s_runs_t *runs)
{
    zlistx_destroy (&runs->owned);
}

bool
hub_court_may_place (hub_court_t *self, const hub_task_t *task, const hub_miner_t *miner)
{
    //  Paid work above hub/min_stake_price goes to staked miners only
    if (self->config->min_stake > 0 && task->role <= HUB_ROLE_REPLICA
    &&  hub_escrow_ask (miner, task->spec) > self->config->min_stake_price) {
        char stake [HUB_ACCOUNT_MAX];
        hub_escrow_stake_account (miner->id, stake, sizeof stake);
        if (hub_escrow_balance (self->escrow, stake) < self->config->min_stake)
            return false;
    }
    if (!*task->parent)
        return true;
    //  The miners of the task and of its other runs, so far
    zlist_t *involved = zlist_new ();
    zlist_autofree (involved);
    bool owned;
    hub_task_t *parent = hub_tasks_find (self->tasks, task->parent, &owned);
    if (parent && *parent->miner_id)
        zlist_append (involved, parent->miner_id);
    if (parent && owned)
        hub_task_destroy (&parent);
    s_runs_t runs;
    s_runs_load (self, task->parent, &runs);
    for (size_t index = 0; index < runs.count; index++)
        if (runs.runs [index] != task && !streq (runs.runs [index]->id, task->id)
        &&  *runs.runs [index]->miner_id)
            zlist_append (involved, runs.runs [index]->miner_id);
    s_runs_reset (&runs);
    bool allowed = !hub_owners_shared (self->owners, involved, miner->id);
    zlist_destroy (&involved);
    return allowed;
}

//  Judges the runs of a decided task against its hash: the agreeing
//  ones follow its resolution (paid once it stands), the others are
//  refunded and their miners marked
static void
s_judge_runs (hub_court_t *self, hub_task_t *task, s_runs_t *runs)
{
    bool stands = task->resolution == HUB_RESOLUTION_SOFT
               || task->resolution == HUB_RESOLUTION_HARD;
    for (size_t index = 0; index < runs->count; index++) {
        hub_task_t *run = runs->runs [index];
        if (run->role != HUB_ROLE_REPLICA || !hub_task_state_terminal (run->state)
        ||  run->resolution != HUB_RESOLUTION_PENDING)
            continue;
        if (task->state == HUB_TASK_SUCCEEDED && *run->output_hash
        &&  streq (run->output_hash, task->output_hash)) {
            if (stands) {
                s_settle_run (self, run, task->resolution, true, "agrees with its task's result");
                hub_reputation_count (self->reputation, run->miner_id, HUB_REPUTATION_RESOLVED);
            }
        }
        else {
            char why [200];
            snprintf (why, sizeof why, "%s: not paid (miner %s)",
                      task->state != HUB_TASK_SUCCEEDED? "its task did not succeed"
                      : "outvoted by its task's quorum", run->miner_id);
            if (task->state == HUB_TASK_SUCCEEDED && *run->output_hash
            &&  task->resolution != HUB_RESOLUTION_HARD) {
                //  Outvoted: its stake pays for the lie, to the buyer (after
                //  a verdict, the verdict took its share already)
                hub_reputation_count (self->reputation, run->miner_id, HUB_REPUTATION_MISMATCH);
                char buyer [HUB_ACCOUNT_MAX];
                hub_escrow_buyer_account (task->buyer, buyer, sizeof buyer);
                const char *wrong [1] = { run->miner_id };
                hub_escrow_verdict_t plan = {
                    .task_id = run->id, .wrong = wrong, .n_wrong = 1, .beneficiary = buyer
                };
                int64_t slashed = 0, rest = 0;
                hub_escrow_verdict (self->escrow, &plan, &slashed, &rest);
            }
            if (task->state == HUB_TASK_SUCCEEDED && *run->output_hash)
                zsys_warning ("task %s: run %s on miner %s returned %.12s..., not the quorum's "
                              "%.12s...", task->id, run->id, run->miner_id, run->output_hash,
                              task->output_hash);
            s_settle_run (self, run, HUB_RESOLUTION_HARD, false, why);
        }
    }
}

//  A replicated task ends as its runs decided: assigned to no miner (the
//  table has no way from pending to an end but a cancel), then ended
static void
s_finish (hub_court_t *self, hub_task_t *task, hub_task_state_t next, const char *reason)
{
    hub_tasks_assign (self->tasks, task, "", "decided by its runs");
    hub_tasks_dequeue (self->tasks, task);
    hub_tasks_change (self->tasks, task, next, reason);
}

//  Gives task the result of run (the quorum's), then its final state
static void
s_take_result (hub_court_t *self, hub_task_t *task, hub_task_t *run, uint32_t votes,
               size_t count)
{
    if (hub_store_task_output_copy (self->store, run->id, task->id))
        zsys_error ("task %s: cannot copy the output of %s", task->id, run->id);
    task->exit_code = run->exit_code;
    task->term_signal = run->term_signal;
    task->timed_out = run->timed_out;
    task->measured = run->measured;
    task->usage = run->usage;
    snprintf (task->output_hash, sizeof task->output_hash, "%s", run->output_hash);
    int64_t window = hub_court_window_ms (self, task);
    task->resolution = window? HUB_RESOLUTION_PENDING: HUB_RESOLUTION_SOFT;
    task->resolve_at_ms = window? fg_now_ms () + window: 0;
    if (window)
        s_watch (self, task->id, task->resolve_at_ms);
    char reason [200];
    snprintf (reason, sizeof reason, "%u of %zu runs agree (quorum %u)%s", votes, count,
              hub_court_quorum (self, task), run->state == HUB_TASK_SUCCEEDED? ""
              : ": they agree it failed");
    s_finish (self, task, run->state == HUB_TASK_SUCCEEDED? HUB_TASK_SUCCEEDED
                                                          : HUB_TASK_FAILED, reason);
}

static void s_decide_finished (hub_court_t *self, hub_task_t *task, s_runs_t *runs);
static void s_window_end (hub_court_t *self, const char *task_id, int64_t now);

static void
s_decide (hub_court_t *self, const char *task_id)
{
    bool owned;
    hub_task_t *task = hub_tasks_find (self->tasks, task_id, &owned);
    if (!task)
        return;
    s_runs_t runs;
    s_runs_load (self, task->id, &runs);
    if (task->state == HUB_TASK_PENDING && runs.count) {
        //  Votes by output hash, among the runs that returned a result
        uint32_t best = 0, active = 0;
        hub_task_t *winner = NULL;
        for (size_t index = 0; index < runs.count; index++) {
            hub_task_t *run = runs.runs [index];
            if (!hub_task_state_terminal (run->state)) {
                active++;
                continue;
            }
            if (!*run->output_hash)
                continue;
            uint32_t votes = 0;
            for (size_t other = 0; other < runs.count; other++)
                if (hub_task_state_terminal (runs.runs [other]->state)
                &&  streq (runs.runs [other]->output_hash, run->output_hash))
                    votes++;
            if (votes > best) {
                best = votes;
                winner = run;
            }
        }
        uint32_t quorum = hub_court_quorum (self, task);
        if (winner && best >= quorum) {
            s_take_result (self, task, winner, best, runs.count);
            s_judge_runs (self, task, &runs);
            if (!owned) {
                hub_tasks_retire (self->tasks, task);
                task = NULL;
            }
        }
        else
        if (active == 0) {
            char reason [200];
            snprintf (reason, sizeof reason, "no quorum: %zu runs, at most %u agreed (quorum "
                      "%u); its buyer is refunded", runs.count, best, quorum);
            s_finish (self, task, HUB_TASK_FAILED, reason);
            s_judge_runs (self, task, &runs);
            if (!owned) {
                hub_tasks_retire (self->tasks, task);
                task = NULL;
            }
        }
    }
    else
    if (hub_task_state_terminal (task->state))
        s_decide_finished (self, task, &runs);
    s_runs_reset (&runs);
    if (task && owned)
        hub_task_destroy (&task);
}

//  --------------------------------------------------------------------------
//  Checks and verdicts
//
//  A challenge (or a spot check whose run disagreed) opens a case: the
//  task is challenged and two check runs (TASK-v1, -v2) go to miners not
//  involved so far. When they agree (a majority of at least two among up
//  to four) their hash is the verdict's, as ECM decides:
//
//      verdict             result      wrong miners        challenger
//      -------             ------      ------------        ----------
//      upheld              paid        the checks' and     loses its deposit: it
//      (= task's hash)     (hard)      spot runs that      pays the checks, the rest
//                                      differ: slashed     to the task's miner
//      overturned          refunded,   the task's miner    deposit back, and what
//      (another hash)      output      (its agreeing       was slashed pays the checks,
//                          replaced    replicas): slashed  the rest its reward
//      undecided           paid        none                deposit back; checks unpaid
//
//  Every verdict is signed (fg_verdict.h) and kept with its case; the
//  money moves in the same transaction (hub_escrow_verdict), so a hub
//  killed in the middle decides again from the store and pays once.

//  Counts a role's runs: all of them, and those still running
static size_t
s_count_role (s_runs_t *runs, hub_task_role_t role, size_t *active)
{
    size_t count = 0;
    *active = 0;
    for (size_t index = 0; index < runs->count; index++)
        if (runs->runs [index]->role == role) {
            count++;
            if (!hub_task_state_terminal (runs->runs [index]->state))
                (*active)++;
        }
    return count;
}

//  Opens the verification of a task: challenged, two check runs queued
//  The checks have as long again as the window to find independent
//  miners: past that the verdict is made with what came in
//  (s_window_end), undecided when nothing did
static void
s_verify (hub_court_t *self, hub_task_t *task, const char *why)
{
    s_resolve (self, task, HUB_RESOLUTION_CHALLENGED, why);
    int64_t window = hub_court_window_ms (self, task);
    task->resolve_at_ms = fg_now_ms () + (window > 1000? window: 1000);
    hub_store_task_update (self->store, task);
    s_watch (self, task->id, task->resolve_at_ms);
    s_spawn (self, task, 1, HUB_ROLE_CHECK, "v");
    s_spawn (self, task, 2, HUB_ROLE_CHECK, "v");
}

//  The price one check run is paid: what the task's own run was charged
static int64_t
s_price (hub_court_t *self, hub_task_t *task, s_runs_t *runs)
{
    char id [96];
    int64_t price = hub_escrow_held (self->escrow, task->id);
    snprintf (id, sizeof id, "pay/%s", task->id);
    price += hub_ledger_amount (self->ledger, id);
    snprintf (id, sizeof id, "fee/%s", task->id);
    price += hub_ledger_amount (self->ledger, id);
    for (size_t index = 0; price == 0 && index < runs->count; index++)
        if (runs->runs [index]->role == HUB_ROLE_REPLICA)
            price = hub_escrow_held (self->escrow, runs->runs [index]->id);
    return price;
}

//  Decides a challenged task from its check runs, once they are all in
static void
s_verdict (hub_court_t *self, hub_task_t *task, s_runs_t *runs)
{
    size_t active;
    size_t checks = s_count_role (runs, HUB_ROLE_CHECK, &active);
    if (active)
        return;
    //  The checks' majority: at least two, more than half of them
    hub_task_t *witness;
    const char *agreed = hub_ruling_majority (runs->runs, runs->count, checks, &witness);
    //  Checks given up (no independent miner in time) end the search
    bool gave_up = false;
    for (size_t index = 0; index < runs->count; index++)
        gave_up |= runs->runs [index]->role == HUB_ROLE_CHECK
                && runs->runs [index]->state == HUB_TASK_CANCELLED;
    if (!agreed && checks < 4 && !gave_up) {
        s_spawn (self, task, (uint32_t) checks + 1, HUB_ROLE_CHECK, "v");
        return;
    }
    hub_case_t found;
    hub_cases_load (self->cases_table, task->id, &found);
    hub_case_reset (&found);
    hub_ruling_t ruling;
    hub_ruling_make (&ruling, task, runs->runs, runs->count, agreed, found.kind,
                     found.challenger, found.deposit);
    fg_verdict_t *verdict = &ruling.verdict;
    bool overturned = ruling.overturned, replicated = ruling.replicated;
    hub_escrow_verdict_t plan = {
        .task_id = task->id,
        .challenger = streq (verdict->kind, "challenge")? found.challenger: NULL,
        .challenger_right = overturned || !agreed,
        .wrong = ruling.wrong, .n_wrong = ruling.n_wrong,
        .payees = ruling.payees, .payee_runs = ruling.payee_runs, .n_payees = ruling.n_payees,
        .price = s_price (self, task, runs),
        .beneficiary = ruling.beneficiary
    };
    int64_t slashed = 0, rest = 0;
    if (hub_escrow_verdict (self->escrow, &plan, &slashed, &rest))
        return;             //  the ledger refused: decided again at the next change
    verdict->slashed = slashed;
    verdict->reward = overturned && streq (verdict->kind, "challenge")? rest: 0;
    verdict->at_ms = fg_now_ms ();
    snprintf (verdict->hub_id, sizeof verdict->hub_id, "%s", self->hub_id);
    snprintf (verdict->hub_key, sizeof verdict->hub_key, "%s",
              hub_ledger_public_key (self->ledger));
    char *text = fg_verdict_text (verdict);
    if (hub_ledger_sign (self->ledger, text, verdict->signature))
        zsys_error ("task %s: cannot sign its verdict", task->id);
    zstr_free (&text);
    char *json = fg_verdict_json (verdict);
    hub_cases_close (self->cases_table, task->id, json? json: "");
    zstr_free (&json);
    for (size_t index = 0; index < ruling.n_wrong; index++)
        hub_reputation_count (self->reputation, ruling.wrong [index], HUB_REPUTATION_VERDICT_LOST);

    //  The task: an overturned result takes the checks'
    char why [200];
    snprintf (why, sizeof why, "verdict %s (%zu checks%s%s)", verdict->decision, checks,
              slashed? ", stakes slashed": "", verdict->reward? ", challenger rewarded": "");
    if (overturned && witness) {
        hub_store_task_output_copy (self->store, witness->id, task->id);
        task->exit_code = witness->exit_code;
        task->term_signal = witness->term_signal;
        task->timed_out = witness->timed_out;
        snprintf (task->output_hash, sizeof task->output_hash, "%s", witness->output_hash);
    }
    s_resolve (self, task, HUB_RESOLUTION_HARD, why);
    if (!replicated)
        hub_escrow_resolve (self->escrow, task, !overturned && task->state == HUB_TASK_SUCCEEDED);
    if (!overturned && *task->miner_id && !replicated)
        hub_reputation_count (self->reputation, task->miner_id, HUB_REPUTATION_RESOLVED);
    for (size_t index = 0; index < runs->count; index++) {
        hub_task_t *run = runs->runs [index];
        if (run->role != HUB_ROLE_REPLICA && hub_task_state_terminal (run->state)
        &&  run->resolution == HUB_RESOLUTION_PENDING)
            s_resolve (self, run, HUB_RESOLUTION_HARD, why);
    }
    s_judge_runs (self, task, runs);
    zsys_notice ("task %s: %s", task->id, why);
}

//  A finished task whose runs changed: a spot check came back, a check
//  run of its case ended, a replica finished late
static void
s_decide_finished (hub_court_t *self, hub_task_t *task, s_runs_t *runs)
{
    if (task->resolution == HUB_RESOLUTION_CHALLENGED) {
        s_verdict (self, task, runs);
        return;
    }
    //  A cancelled task's runs still queued go with it (those on miners
    //  end and are refunded)
    for (size_t index = 0; task->state == HUB_TASK_CANCELLED && index < runs->count; index++)
        if (runs->runs [index]->state == HUB_TASK_PENDING
        &&  hub_tasks_lookup (self->tasks, runs->runs [index]->id)) {
            hub_tasks_change (self->tasks, runs->runs [index], HUB_TASK_CANCELLED,
                              "its task was cancelled");
            hub_tasks_retire (self->tasks, runs->runs [index]);
            runs->runs [index--] = runs->runs [--runs->count];
        }
    for (size_t index = 0; index < runs->count; index++) {
        hub_task_t *spot = runs->runs [index];
        if (spot->role != HUB_ROLE_SPOT || !hub_task_state_terminal (spot->state)
        ||  spot->resolution == HUB_RESOLUTION_HARD)
            continue;
        if (task->resolution == HUB_RESOLUTION_PENDING && *spot->output_hash
        &&  !streq (spot->output_hash, task->output_hash)) {
            //  A mismatch goes to the court without anyone's challenge
            zsys_warning ("task %s: spot check %s on %s returned %.12s..., not %.12s...: "
                          "verified", task->id, spot->id, spot->miner_id, spot->output_hash,
                          task->output_hash);
            hub_cases_open (self->cases_table, task->id, "spot", "", 0);
            s_verify (self, task, "a spot check disagreed");
            return;
        }
        s_resolve (self, spot, HUB_RESOLUTION_HARD, *spot->output_hash? "agrees": "no result");
        if (*spot->output_hash)
            hub_escrow_spot_pay (self->escrow, spot->id, spot->miner_id, s_price (self, task, runs));
    }
    s_judge_runs (self, task, runs);
    if (task->resolution == HUB_RESOLUTION_PENDING && task->resolve_at_ms
    &&  task->resolve_at_ms <= fg_now_ms ())
        s_window_end (self, task->id, fg_now_ms ());
}

fg_error_t
hub_court_challenge (hub_court_t *self, const char *task_id, const char *challenger,
                     char *why, size_t size)
{
    bool owned;
    hub_task_t *task = fg_text_valid (task_id, 31)? hub_tasks_find (self->tasks, task_id, &owned)
                                                  : NULL;
    if (!task) {
        snprintf (why, size, "task %.64s not found on this hub", task_id);
        return FG_E_NOT_FOUND;
    }
    fg_error_t rc = 0;
    int64_t now = fg_now_ms ();
    hub_case_t found;
    bool before = hub_cases_load (self->cases_table, task->id, &found) == 0;
    hub_case_reset (&found);
    if (task->role != HUB_ROLE_TASK)
        rc = FG_E_STATE, snprintf (why, size, "%s is a run of %s: challenge that", task->id,
                                   task->parent);
    else
    if (task->resolution != HUB_RESOLUTION_PENDING || !task->resolve_at_ms
    ||  task->resolve_at_ms <= now)
        rc = FG_E_STATE, snprintf (why, size, "task %s cannot be challenged: its result is %s%s",
                                   task->id, *hub_resolution_name (task->resolution)
                                   ? hub_resolution_name (task->resolution): "not in",
                                   task->resolution == HUB_RESOLUTION_PENDING
                                   && !task->resolve_at_ms? " (a check is under way)"
                                   : task->resolution? "": " (no result yet)");
    else
    if (before)
        rc = FG_E_STATE, snprintf (why, size, "task %s was challenged before", task->id);
    else {
        int64_t deposit = self->config->challenge_deposit;
        rc = hub_escrow_challenge_hold (self->escrow, task->id, challenger, deposit, why, size);
        if (rc == 0 && hub_cases_open (self->cases_table, task->id, "challenge", challenger,
                                       deposit))
            rc = FG_E_INTERNAL, snprintf (why, size, "the hub could not record the challenge");
        if (rc == 0) {
            s_verify (self, task, "challenged");
            snprintf (why, size, "task %s challenged: deposit %" PRId64 " held, checked on two "
                      "miners not involved so far", task->id, deposit);
        }
    }
    if (owned)
        hub_task_destroy (&task);
    return rc;
}

char *
hub_court_verdict (hub_court_t *self, const char *task_id)
{
    hub_case_t found;
    if (hub_cases_load (self->cases_table, task_id, &found))
        return NULL;
    char *verdict = found.verdict;
    if (!*verdict)
        zstr_free (&verdict);
    return verdict;
}

hub_reputation_t *
hub_court_reputation (hub_court_t *self)
{
    return self->reputation;
}

//  --------------------------------------------------------------------------
//  Results, changes, the tick

void
hub_court_result (hub_court_t *self, hub_task_t *task, const Fogrid__TaskResult *result)
{
    hub_output_hash (task->spec, result, task->output_hash);
    if (!*task->output_hash || hub_task_is_service (task)) {
        //  No result to stand (or a service: billed by the second, not
        //  verified)
        task->resolution = HUB_RESOLUTION_NONE;
        return;
    }
    if (task->role != HUB_ROLE_TASK) {
        //  A run: its case decides (hub_court_changed sends it there)
        task->resolution = HUB_RESOLUTION_PENDING;
        task->resolve_at_ms = 0;
        return;
    }
    int64_t window = hub_court_window_ms (self, task);
    task->resolution = window? HUB_RESOLUTION_PENDING: HUB_RESOLUTION_SOFT;
    task->resolve_at_ms = window? fg_now_ms () + window: 0;
    if (window)
        s_watch (self, task->id, task->resolve_at_ms);
    //  Spot checks, on hubs that hold pay for a window: a miner with
    //  little history is checked more often, one with a long clean record
    //  less (BOINC's adaptive replication), one caught before always more
    if (window && self->config->spot_check_permille && !hub_task_is_service (task)) {
        hub_reputation_record_t record;
        hub_reputation_get (self->reputation, task->miner_id, &record);
        uint64_t permille = (uint64_t) self->config->spot_check_permille * 20
                          / (20 + record.resolved);
        if (record.mismatches || record.verdicts_lost)
            permille = (uint64_t) self->config->spot_check_permille * 4;
        zlist_t *involved = zlist_new ();
        zlist_append (involved, task->miner_id);
        bool other = false;
        for (hub_miner_t *miner = hub_miners_first (self->miners); miner && !other;
             miner = hub_miners_next (self->miners))
            other = miner->state == HUB_MINER_CONNECTED && !hub_owners_shared (self->owners, involved, miner->id);
        zlist_destroy (&involved);
        if (other && randombytes_uniform (1000) < permille
        &&  s_spawn (self, task, 1, HUB_ROLE_SPOT, "s") == 0)
            zsys_info ("task %s: spot-checked (%" PRIu64 " per mille for miner %s)", task->id,
                       permille > 1000? 1000: permille, task->miner_id);
    }
}

void
hub_court_changed (hub_court_t *self, hub_task_t *task, hub_task_state_t next)
{
    if (*task->parent && hub_task_state_terminal (next))
        zhashx_update (self->cases, task->parent, (void *) "");
    else
    if (next == HUB_TASK_CANCELLED && task->role == HUB_ROLE_TASK
    &&  !hub_task_is_service (task) && hub_court_replicas (self, task) > 1)
        zhashx_update (self->cases, task->id, (void *) "");     //  its runs go too
}

//  A window passed: the task's result stands (soft), its miner is paid,
//  and so are its runs that agreed
static void
s_window_end (hub_court_t *self, const char *task_id, int64_t now)
{
    bool owned;
    hub_task_t *task = hub_tasks_find (self->tasks, task_id, &owned);
    if (!task)
        return;
    if (task->resolution == HUB_RESOLUTION_CHALLENGED && task->resolve_at_ms
    &&  task->resolve_at_ms <= now) {
        //  Checks that found no independent miner in time are given up;
        //  the verdict is made with the ones that came in
        s_runs_t runs;
        s_runs_load (self, task->id, &runs);
        for (size_t index = 0; index < runs.count; index++) {
            hub_task_t *check = runs.runs [index];
            if (check->role == HUB_ROLE_CHECK && check->state == HUB_TASK_PENDING
            &&  hub_tasks_lookup (self->tasks, check->id)) {
                hub_tasks_change (self->tasks, check, HUB_TASK_CANCELLED,
                                  "no independent miner took it in time");
                hub_tasks_retire (self->tasks, check);
            }
        }
        s_runs_reset (&runs);
        zhashx_update (self->cases, task->id, (void *) "");
    }
    else
    if (task->resolution == HUB_RESOLUTION_PENDING && task->resolve_at_ms
    &&  task->resolve_at_ms <= now && hub_task_state_terminal (task->state)) {
        s_runs_t runs;
        s_runs_load (self, task->id, &runs);
        //  A spot check still out holds the pay: its result decides it.
        //  One that found no miner in the window is given up
        bool checking = false;
        for (size_t index = 0; index < runs.count; index++) {
            hub_task_t *spot = runs.runs [index];
            if (spot->role != HUB_ROLE_SPOT || spot->resolution == HUB_RESOLUTION_HARD)
                continue;
            if (spot->state == HUB_TASK_PENDING && hub_tasks_lookup (self->tasks, spot->id)) {
                hub_tasks_change (self->tasks, spot, HUB_TASK_CANCELLED,
                                  "no miner free to check it within the window");
                hub_tasks_retire (self->tasks, spot);
                runs.runs [index] = NULL;
                continue;
            }
            checking |= !hub_task_state_terminal (spot->state)
                     || spot->resolution == HUB_RESOLUTION_PENDING;
        }
        size_t kept = 0;
        for (size_t index = 0; index < runs.count; index++)
            if (runs.runs [index])
                runs.runs [kept++] = runs.runs [index];
        runs.count = kept;
        if (!checking) {
            s_resolve (self, task, HUB_RESOLUTION_SOFT, "no challenge in its window");
            hub_escrow_resolve (self->escrow, task, task->state == HUB_TASK_SUCCEEDED);
            if (*task->miner_id && task->state == HUB_TASK_SUCCEEDED)
                hub_reputation_count (self->reputation, task->miner_id,
                                      HUB_REPUTATION_RESOLVED);
            s_judge_runs (self, task, &runs);
        }
        s_runs_reset (&runs);
    }
    if (owned)
        hub_task_destroy (&task);
}

size_t
hub_court_tick (hub_court_t *self, int64_t now)
{
    size_t decided = zhashx_size (self->cases);
    if (decided) {
        zlistx_t *ids = zhashx_keys (self->cases);
        zhashx_purge (self->cases);
        for (char *id = (char *) zlistx_first (ids); id; id = (char *) zlistx_next (ids))
            s_decide (self, id);
        zlistx_destroy (&ids);
    }
    char task_id [HUB_WINDOWS_ID_MAX];
    while (hub_windows_due (self->windows, now, task_id))
        s_window_end (self, task_id, now);
    return decided;
}

int
hub_court_restore (hub_court_t *self)
{
    hub_windows_purge (self->windows);
    zhashx_purge (self->cases);
    hub_reputation_forget (self->reputation);
    zlistx_t *unresolved = zlistx_new ();
    zlistx_set_destructor (unresolved, (zlistx_destructor_fn *) hub_task_destroy);
    int rc = hub_store_load_unresolved (self->store, unresolved);
    for (hub_task_t *task = (hub_task_t *) zlistx_first (unresolved); task;
         task = (hub_task_t *) zlistx_next (unresolved)) {
        if (task->resolve_at_ms)
            s_watch (self, task->id, task->resolve_at_ms);
        if (task->resolution == HUB_RESOLUTION_CHALLENGED)
            zhashx_update (self->cases, task->id, (void *) "");
        if (*task->parent)
            zhashx_update (self->cases, task->parent, (void *) "");
    }
    zlistx_destroy (&unresolved);
    //  Replicated tasks still waiting for their runs
    for (hub_task_t *task = hub_tasks_first (self->tasks); task; task = hub_tasks_next (self->tasks))
        if (hub_court_holds (self, task))
            zhashx_update (self->cases, task->id, (void *) "");
    if (hub_windows_size (self->windows) + zhashx_size (self->cases))
        zsys_info ("court: %zu windows and %zu cases restored",
                   hub_windows_size (self->windows),
                   zhashx_size (self->cases));
    return rc;
}
