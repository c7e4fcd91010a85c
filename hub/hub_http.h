/*  =========================================================================
    hub_http - the hub's HTTP pages: the dashboard, its JSON, and metrics

        GET /                       the dashboard (one page, no outside files)
        GET /api/v1/overview        everything the dashboard shows, as JSON
        GET /api/v1/health          what `fogrid health` shows, as JSON
        GET /api/v1/miners          every miner, a page at a time (?offset=&limit=)
        GET /healthz                alive
        GET /readyz                 registered in a locator (or none configured)
        GET /metrics                Prometheus text format

    Served by fg_http from the hub's own loop: the handlers read the miner
    table, the store and the ledger directly, without locks.
    =========================================================================  */
#ifndef HUB_HTTP_H_INCLUDED
#define HUB_HTTP_H_INCLUDED

#include "hub_miners.h"
#include "hub_store.h"
#include "hub_ledger.h"
#include "hub_watch.h"

#define HUB_THROUGHPUT_BUCKETS  60      //  of HUB_THROUGHPUT_BUCKET_S each
#define HUB_THROUGHPUT_BUCKET_S 10

//  What the hub counts as it goes (kept by hub_server).
typedef struct {
    uint64_t submitted;         //  tasks accepted
    uint64_t refused;           //  submits refused (full, invalid, funds)
    uint64_t dispatched;        //  assignments sent
    uint64_t finished [HUB_TASK_STATES];    //  by final state
    uint64_t requeued;          //  attempts lost with their miner
    uint64_t miners_lost;       //  miners that went dead
    uint64_t miners_left;       //  miners that said goodbye (MinerBye)
    uint64_t heartbeats_missed; //  miners that fell silent (disconnected)
    uint64_t rate_limited;      //  requests refused by the per-peer rate limits
    uint64_t commits;           //  transactions committed (one per burst)
    uint64_t commit_requests;   //  requests those transactions held
    uint64_t commit_failures;   //  bursts whose commit failed (answered with errors)
    fg_latency_t latency;       //  submit to final state
    //  Tasks finished per bucket, a ring: the newest bucket is the one
    //  that holds bucket_ms
    uint32_t done [HUB_THROUGHPUT_BUCKETS];
    int64_t bucket_ms;          //  start of the newest bucket
} hub_stats_t;

//  Counts a task that reached a final state now.
void hub_stats_finished (hub_stats_t *self, hub_task_state_t state, int64_t submitted_ms,
                         int64_t now_ms);

typedef struct {
    const char *hub_id;
    int64_t started_ms;
    hub_miners_t *miners;
    hub_store_t *store;
    hub_ledger_t *ledger;
    zlistx_t *queue;            //  pending tasks
    hub_stats_t *stats;
    fg_registrant_t *registrant;    //  NULL without locators
    const char *locator_http;   //  shown to the dashboard for its services panel
    hub_watch_t *watch;         //  the miner socket's refused handshakes; may be NULL
} hub_http_context_t;

fg_http_t *hub_http_new (const char *address, hub_http_context_t *context,
                         char *err, size_t err_size);

#endif
