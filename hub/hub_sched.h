/*  =========================================================================
    hub_sched - chooses the miner for a task

    A pure function over plain structs: the server describes each miner as
    a hub_sched_miner_t (what it offers and what is free on it now), and
    hub_sched_choose returns the best one for the task's policy, or none.
    Nothing here touches a socket, the store or the clock, so every rule
    is unit-tested on crafted miners.
    =========================================================================  */
#ifndef HUB_SCHED_H_INCLUDED
#define HUB_SCHED_H_INCLUDED

typedef struct {
    const char *id;                         //  miner id, the last tie-break
    bool connected;                         //  only connected miners get work
    uint32_t cores;                         //  total cores it offers
    uint32_t free_cores;                    //  cores not reserved by its tasks
    uint64_t free_mem_mb;                   //  memory not reserved by its tasks
    uint32_t free_gpus;                     //  GPUs not reserved by its tasks
    uint32_t running;                       //  tasks it runs or was given
    double load1;                           //  host load average it reported
    const Fogrid__Resources *resources;     //  runtimes, labels, price, disk; may be NULL
    //  The miner's own terms (resources->constraint) parsed once, when it
    //  said hello; NULL when it states none or they do not parse (then,
    //  with a constraint stated, it takes nothing)
    const struct _fg_expr_t *accept;
    bool rated;                             //  reputation is known (hub_reputation.h)
    int64_t reputation;                     //  its score in millionths (0..1 as an
                                            //  FG_EXPR_DECIMAL)
} hub_sched_miner_t;

typedef enum {
    HUB_POLICY_FASTEST = 0,                 //  least loaded (the default)
    HUB_POLICY_CHEAPEST,                    //  lowest price, then least loaded
    HUB_POLICY_BINPACK,                     //  fewest free cores left after placing it
    HUB_POLICY_SPREAD,                      //  most free cores
    HUB_POLICY_COUNT
} hub_policy_t;

//  Parses a policy name ("" = fastest). Returns 0 and sets *policy, or -1.
int hub_sched_policy_parse (const char *name, hub_policy_t *policy);
const char *hub_sched_policy_name (hub_policy_t policy);

//  True when the miner can take the task now: connected, offers its
//  runtime (docker for a task with an image), has the free cores / memory / GPUs, every required label, a
//  price within the task's ceiling, and satisfies the task's constraint
//  expression (one that does not parse matches no miner).
bool hub_sched_fits (const Fogrid__TaskSpec *spec, const hub_sched_miner_t *miner);

//  What the miner asks for the task: its price per task, or for a service
//  its price per second (service_price). The task's max_price caps it.
uint64_t hub_sched_ask (const Fogrid__Resources *resources, const Fogrid__TaskSpec *spec);

//  Index of the miner the task should go to, or -1 when none fits.
int hub_sched_choose (const Fogrid__TaskSpec *spec, const hub_sched_miner_t *miners,
                      size_t count);

#endif
