/*  =========================================================================
    miner_http - the miner's HTTP probes and metrics

        GET /healthz        alive
        GET /readyz         welcomed by a hub (503 with the state otherwise)
        GET /metrics        Prometheus text format
        GET /api/v1/status  JSON: the miner, and each hub link with its state,
                            hub, share and what its tasks use of it
        GET /api/v1/hubs    the hubs this miner knows: rating, payments,
                            trusted or not, last check and why (JSON;
                            fogrid ratings prints it)

    Served by fg_http from the agent's own loop: the handlers read the
    counters below and the agent's state through the context, no locks.
    =========================================================================  */
#ifndef MINER_HTTP_H_INCLUDED
#define MINER_HTTP_H_INCLUDED

#include "miner_trust.h"

//  What the miner counts (kept by miner_agent).
typedef struct {
    uint64_t started [2];       //  tasks started: [0] process, [1] docker
    uint64_t succeeded;         //  ended with exit 0
    uint64_t failed;            //  ended otherwise (exit code, signal, timeout)
    uint64_t could_not_run;     //  the runtime could not start the work
    uint64_t killed;            //  on the hub's request
    uint64_t refused;           //  assignments beyond the free share of their hub
    uint64_t results_lost;      //  ended while no hub was connected
    uint64_t hub_changes;       //  connections to a (new) hub
    fg_latency_t task_seconds;  //  how long tasks ran
} miner_stats_t;

typedef struct {
    const char *miner_id;
    int64_t started_ms;
    miner_stats_t *stats;
    //  The agent's live state, read through callbacks (it is private there)
    void *agent;
    const char *(*state) (void *agent);         //  "no-hub", "hello", "ready"
    const char *(*hub) (void *agent);           //  endpoint, "" when none
    size_t (*running) (void *agent);            //  tasks running now
    json_t *(*links) (void *agent);             //  each hub link (new reference)
    const char *runtimes;                       //  offered
    miner_trust_t *trust;                       //  its ratings and checks of hubs
    const char *isolation;                      //  cgroups, or rlimits only and why
} miner_http_context_t;

fg_http_t *miner_http_new (const char *address, miner_http_context_t *context,
                           char *err, size_t err_size);

#endif
