/*  =========================================================================
    hub_sched - chooses the miner for a task

    DESIGN
    Matching first filters (every hard requirement must hold), then ranks
    the miners left by the task's policy, as HTCondor does with
    Requirements and Rank. Each ranking ends in the miner id, so the choice
    is deterministic for a given set of miners, which keeps placement
    reproducible in tests and in logs.

        policy      rank (first difference decides)
        ------      ----
        fastest     running / cores, host load1, id
        cheapest    price, then as fastest
        binpack     free cores after placement (fewest first), then as fastest
        spread      free cores (most first), then as fastest

    The task's constraint (fg_expr, docs/constraints.md) is one more hard
    requirement, evaluated over the attributes s_attribute gives for a
    miner. hub_sched_choose parses it once for all the miners it weighs.
    The server refuses a constraint that does not parse at submit; should
    one reach here all the same, it matches no miner, since the hub cannot
    guess what was meant.
    =========================================================================  */
#include "fogrid.h"
#include "hub_sched.h"
#include "fg_expr.h"

static const char *s_policy_names [HUB_POLICY_COUNT] = {
    "fastest", "cheapest", "binpack", "spread"
};

int
hub_sched_policy_parse (const char *name, hub_policy_t *policy)
{
    if (!name || !*name) {
        *policy = HUB_POLICY_FASTEST;
        return 0;
    }
    for (int index = 0; index < HUB_POLICY_COUNT; index++)
        if (streq (name, s_policy_names [index])) {
            *policy = (hub_policy_t) index;
            return 0;
        }
    return -1;
}

const char *
hub_sched_policy_name (hub_policy_t policy)
{
    return policy >= 0 && policy < HUB_POLICY_COUNT? s_policy_names [policy]: "?";
}

static uint32_t
s_cores_needed (const Fogrid__TaskSpec *spec)
{
    return spec->cores? spec->cores: 1;
}

static bool
s_offers_runtime (const hub_sched_miner_t *miner, const char *runtime)
{
    if (!runtime || !*runtime)
        runtime = "process";
    const Fogrid__Resources *res = miner->resources;
    if (!res || res->n_runtimes == 0)
        return streq (runtime, "process");  //  a miner that names none runs processes
    for (size_t index = 0; index < res->n_runtimes; index++)
        if (streq (res->runtimes [index], runtime))
            return true;
    return false;
}

//  A required label with an empty value asks only for the key.
static bool
s_has_label (const hub_sched_miner_t *miner, const Fogrid__Label *want)
{
    const Fogrid__Resources *res = miner->resources;
    for (size_t index = 0; res && index < res->n_labels; index++) {
        const Fogrid__Label *have = res->labels [index];
        if (streq (have->key, want->key)
        &&  (!*want->value || streq (have->value, want->value)))
            return true;
    }
    return false;
}

static int64_t
s_clamp (uint64_t number)
{
    return number > INT64_MAX? INT64_MAX: (int64_t) number;
}

//  What a constraint may ask about a miner: its offer, what is free on it
//  now, its labels as label.KEY and its runtimes as runtime.NAME (true or
//  false), its reputation (0..1, a decimal, as the court rates it). What it
//  did not report is undefined.
static bool
s_attribute (void *arg, const char *name, fg_expr_value_t *value)
{
    const hub_sched_miner_t *miner = (const hub_sched_miner_t *) arg;
    const Fogrid__Resources *res = miner->resources;
    if (strncmp (name, "label.", 6) == 0) {
        for (size_t index = 0; res && index < res->n_labels; index++)
            if (streq (res->labels [index]->key, name + 6)) {
                value->type = FG_EXPR_STRING;
                value->text = res->labels [index]->value;
                return true;
            }
        return false;
    }
    if (strncmp (name, "runtime.", 8) == 0) {
        value->type = FG_EXPR_BOOL;
        value->number = s_offers_runtime (miner, name + 8);
        return true;
    }
    if (streq (name, "id")) {
        value->type = FG_EXPR_STRING;
        value->text = miner->id;
        return miner->id != NULL;
    }
    value->type = FG_EXPR_INT;
    if (streq (name, "cores"))
        value->number = miner->cores;
    else
    if (streq (name, "free_cores"))
        value->number = miner->free_cores;
    else
    if (streq (name, "free_mem_mb"))
        value->number = s_clamp (miner->free_mem_mb);
    else
    if (streq (name, "free_gpus"))
        value->number = miner->free_gpus;
    else
    if (streq (name, "running"))
        value->number = miner->running;
    else
    if (streq (name, "price"))
        value->number = s_clamp (res? res->price: 0);   //  as the ranking counts it
    else
    if (streq (name, "reputation") && miner->rated) {   //  0..1 (hub_reputation.h)
        value->type = FG_EXPR_DECIMAL;
        value->number = miner->reputation;
    }
    else
    if (streq (name, "mem_mb") && res)
        value->number = s_clamp (res->mem_mb);
    else
    if (streq (name, "gpus") && res)
        value->number = res->gpus;
    else
    if (streq (name, "disk_mb") && res && res->disk_mb)     //  0: not reported
        value->number = s_clamp (res->disk_mb);
    else
        return false;
    return true;
}

//  What a miner's own constraint (miner/accept) may ask about a task: what
//  it needs, its ceiling and limits, what it runs, whether it is a service.
//  What the task does not set is 0 (or "" for text), not undefined: a
//  miner that says `mem_mb <= 4096` accepts a task that names no memory.
static bool
s_task_attribute (void *arg, const char *name, fg_expr_value_t *value)
{
    const Fogrid__TaskSpec *spec = (const Fogrid__TaskSpec *) arg;
    if (strncmp (name, "label.", 6) == 0) {
        for (size_t index = 0; index < spec->n_labels; index++)
            if (streq (spec->labels [index]->key, name + 6)) {
                value->type = FG_EXPR_STRING;
                value->text = spec->labels [index]->value;
                return true;
            }
        return false;
    }
    bool image = spec->image && *spec->image;
    if (streq (name, "image") || streq (name, "runtime")) {
        value->type = FG_EXPR_STRING;
        value->text = streq (name, "image")? (image? spec->image: "")
                    : spec->runtime && *spec->runtime? spec->runtime: image? "docker": "process";
        return true;
    }
    if (streq (name, "service")) {
        value->type = FG_EXPR_BOOL;
        value->number = spec->service_name && *spec->service_name;
        return true;
    }
    value->type = FG_EXPR_INT;
    if (streq (name, "cores"))
        value->number = s_cores_needed (spec);
    else
    if (streq (name, "mem_mb"))
        value->number = s_clamp (spec->mem_mb);
    else
    if (streq (name, "disk_mb"))
        value->number = s_clamp (spec->disk_mb);
    else
    if (streq (name, "gpus"))
        value->number = spec->gpus;
    else
    if (streq (name, "max_price"))
        value->number = s_clamp (spec->max_price);
    else
    if (streq (name, "timeout_s"))
        value->number = spec->timeout_s;
    else
        return false;
    return true;
}

//  The spec's constraint parsed, or NULL when it does not parse
static fg_expr_t *
s_constraint (const Fogrid__TaskSpec *spec)
{
    return fg_expr_parse (spec->constraint, NULL, 0);
}

static bool
s_fits (const Fogrid__TaskSpec *spec, fg_expr_t *constraint, const hub_sched_miner_t *miner)
{
    if (!miner->connected)
        return false;
    //  An image runs only in a container: it asks for docker (as does a
    //  spec that names no runtime but an image)
    bool image = spec->image && *spec->image;
    if (!s_offers_runtime (miner, spec->runtime && *spec->runtime? spec->runtime
                                : image? "docker": "process"))
        return false;
    if (image && !s_offers_runtime (miner, "docker"))
        return false;
    if (miner->free_cores < s_cores_needed (spec))
        return false;
    //  Free cores may count a pipelining miner's credit (hub_placer): a
    //  task still never gets more cores than the miner has
    if (miner->cores && miner->cores < s_cores_needed (spec))
        return false;
    if (spec->mem_mb && miner->free_mem_mb < spec->mem_mb)
        return false;
    if (spec->gpus && miner->free_gpus < spec->gpus)
        return false;
    const Fogrid__Resources *res = miner->resources;
    if (spec->disk_mb && res && res->disk_mb && res->disk_mb < spec->disk_mb)
        return false;
    for (size_t index = 0; index < spec->n_labels; index++)
        if (!s_has_label (miner, spec->labels [index]))
            return false;
    uint64_t price = hub_sched_ask (res, spec);
    if (spec->max_price && price > spec->max_price)
        return false;
    //  Two-sided: the miner's own terms too (empty: it takes anything)
    if (res && res->constraint && *res->constraint
    &&  !fg_expr_eval ((fg_expr_t *) miner->accept, s_task_attribute, (void *) spec))
        return false;
    return fg_expr_eval (constraint, s_attribute, (void *) miner);
}

bool
hub_sched_fits (const Fogrid__TaskSpec *spec, const hub_sched_miner_t *miner)
{
    fg_expr_t *constraint = s_constraint (spec);
    bool fits = s_fits (spec, constraint, miner);
    fg_expr_destroy (&constraint);
    return fits;
}

//  Compares running/cores without division: a < b when a is less loaded.
static int
s_compare_load (const hub_sched_miner_t *a, const hub_sched_miner_t *b)
{
    uint64_t a_cores = a->cores? a->cores: 1;
    uint64_t b_cores = b->cores? b->cores: 1;
    uint64_t left = (uint64_t) a->running * b_cores;
    uint64_t right = (uint64_t) b->running * a_cores;
    if (left != right)
        return left < right? -1: 1;
    if (a->load1 != b->load1)
        return a->load1 < b->load1? -1: 1;
    return strcmp (a->id? a->id: "", b->id? b->id: "");
}

uint64_t
hub_sched_ask (const Fogrid__Resources *resources, const Fogrid__TaskSpec *spec)
{
    if (!resources)
        return 0;
    return spec && spec->service_name && *spec->service_name? resources->service_price
                                                              : resources->price;
}

//  Negative when a ranks before b for the policy.
static int
s_compare (hub_policy_t policy, const Fogrid__TaskSpec *spec,
           const hub_sched_miner_t *a, const hub_sched_miner_t *b)
{
    uint64_t a_price = hub_sched_ask (a->resources, spec);
    uint64_t b_price = hub_sched_ask (b->resources, spec);
    uint32_t need = s_cores_needed (spec);
    switch (policy) {
        case HUB_POLICY_CHEAPEST:
            if (a_price != b_price)
                return a_price < b_price? -1: 1;
            break;
        case HUB_POLICY_BINPACK:
            //  free_cores >= need for every miner that fits
            if (a->free_cores != b->free_cores)
                return a->free_cores - need < b->free_cores - need? -1: 1;
            break;
        case HUB_POLICY_SPREAD:
            if (a->free_cores != b->free_cores)
                return a->free_cores > b->free_cores? -1: 1;
            break;
        default:
            break;
    }
    return s_compare_load (a, b);
}

int
hub_sched_choose (const Fogrid__TaskSpec *spec, const hub_sched_miner_t *miners,
                  size_t count)
{
    hub_policy_t policy;
    if (hub_sched_policy_parse (spec->policy, &policy))
        policy = HUB_POLICY_FASTEST;        //  refused at submit; be safe anyway
    fg_expr_t *constraint = s_constraint (spec);
    int best = -1;
    for (size_t index = 0; index < count; index++) {
        if (!s_fits (spec, constraint, &miners [index]))
            continue;
        if (best < 0 || s_compare (policy, spec, &miners [index], &miners [best]) < 0)
            best = (int) index;
    }
    fg_expr_destroy (&constraint);
    return best;
}
