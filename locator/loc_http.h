/*  =========================================================================
    loc_http - the locator's HTTP pages

        GET /v1/services            every name with live endpoints
        GET /v1/services/NAME       one name: protocol, functions, endpoints
                                    (?policy=... orders them as a resolve)
        GET /v1/health              counts and uptime (JSON)
        GET /v1/registry            the hub registry: its hubs, its log, and
                                    how far it is in each peer's (JSON)
        GET /healthz, /readyz       "ok" while the locator serves
        GET /metrics                Prometheus text format

    Served by fg_http from the locator's own loop, so the handlers read the
    registry and the counters below without locks.
    =========================================================================  */
#ifndef LOC_HTTP_H_INCLUDED
#define LOC_HTTP_H_INCLUDED

#include "loc_peers.h"

//  What the locator counts, for /metrics (kept by loc_server).
typedef struct {
    int64_t started_ms;
    uint64_t registers;         //  LocRegister accepted
    uint64_t refused;           //  requests answered with an Error other than NOT_FOUND
    uint64_t heartbeats;
    uint64_t unregisters;
    uint64_t resolves;          //  LocResolve answered with endpoints
    uint64_t not_found;         //  LocResolve/LocWatch for a name without endpoints
    uint64_t watches_started;
    uint64_t watch_updates;     //  pushed to watchers
    uint64_t expired;           //  registrations dropped for a missed TTL
    uint64_t rate_limited;      //  requests refused by locator/rate
    size_t watches;             //  now
    uint64_t dns_queries;       //  updated by loc_server before a scrape
    uint64_t dns_limited;       //  UDP queries over locator/dns_rate (the same)
    fg_latency_t resolve_latency;
} loc_stats_t;

typedef struct {
    loc_registry_t *registry;
    loc_stats_t *stats;
    loc_hubs_t *hubs;           //  the hub registry, or NULL
    loc_peers_t *peers;         //  its peers, or NULL
} loc_http_context_t;

//  address: "HOST:PORT". NULL with the reason in err.
fg_http_t *loc_http_new (const char *address, loc_http_context_t *context,
                         char *err, size_t err_size);

#endif
