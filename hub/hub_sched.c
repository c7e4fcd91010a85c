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

    The task's constraint expression is not evaluated yet; the server only
    checks that it is sane text.
    =========================================================================  */
#include "fogrid.h"
#include "hub_sched.h"

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

bool
hub_sched_fits (const Fogrid__TaskSpec *spec, const hub_sched_miner_t *miner)
{
    if (!miner->connected)
        return false;
    if (!s_offers_runtime (miner, spec->runtime))
        return false;
    if (miner->free_cores < s_cores_needed (spec))
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
    uint64_t price = res? res->price: 0;
    if (spec->max_price && price > spec->max_price)
        return false;
    return true;
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

//  Negative when a ranks before b for the policy.
static int
s_compare (hub_policy_t policy, const Fogrid__TaskSpec *spec,
           const hub_sched_miner_t *a, const hub_sched_miner_t *b)
{
    uint64_t a_price = a->resources? a->resources->price: 0;
    uint64_t b_price = b->resources? b->resources->price: 0;
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
    int best = -1;
    for (size_t index = 0; index < count; index++) {
        if (!hub_sched_fits (spec, &miners [index]))
            continue;
        if (best < 0 || s_compare (policy, spec, &miners [index], &miners [best]) < 0)
            best = (int) index;
    }
    return best;
}
