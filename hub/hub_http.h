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
#include "hub_stats.h"
#include "hub_tasks.h"
#include "hub_watch.h"

typedef struct {
    const char *hub_id;
    int64_t started_ms;
    hub_miners_t *miners;
    hub_store_t *store;
    hub_ledger_t *ledger;
    hub_tasks_t *tasks;         //  the unfinished tasks, counts by state
    hub_stats_t *stats;
    fg_registrant_t *registrant;    //  NULL without locators
    const char *locator_http;   //  shown to the dashboard for its services panel
    struct _hub_reputation_t *reputation;   //  miners' records (hub_reputation.h), or NULL
    hub_watch_t *watch;         //  the miner socket's refused handshakes; may be NULL
} hub_http_context_t;

fg_http_t *hub_http_new (const char *address, hub_http_context_t *context,
                         char *err, size_t err_size);

#endif
