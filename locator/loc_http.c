/*  =========================================================================
    loc_http - the locator's HTTP pages

    DESIGN
    Read-only, and every answer is built from the registry at the moment
    of the request. A name without live endpoints is a 404 with a JSON
    error that says so; an unknown policy a 400.
    =========================================================================  */
#include "fogrid.h"
#include "loc_registry.h"
#include "loc_http.h"

static json_t *
s_endpoint_json (const loc_entry_t *entry)
{
    const Fogrid__Endpoint *ep = entry->reg->endpoint;
    return json_pack ("{s:s, s:s, s:i, s:s, s:i, s:i, s:s}",
                      "transport", ep->transport, "host", ep->host, "port", (int) ep->port,
                      "owner", ep->owner, "weight", (int) ep->weight, "load", (int) entry->load,
                      "public_key", ep->public_key? ep->public_key: "");
}

static void
s_services (void *arg, fg_http_request_t *request)
{
    loc_http_context_t *context = (loc_http_context_t *) arg;
    json_t *list = json_array ();
    zlistx_t *names = loc_registry_names (context->registry);
    for (const char *name = (const char *) zlistx_first (names); name;
         name = (const char *) zlistx_next (names)) {
        json_array_append_new (list, json_pack ("{s:s, s:i}", "name", name, "endpoints",
                                                (int) loc_registry_count (context->registry,
                                                                          name)));
    }
    zlistx_destroy (&names);
    fg_http_reply_json (request, 200, json_pack ("{s:o}", "services", list));
}

static void
s_service (void *arg, fg_http_request_t *request)
{
    loc_http_context_t *context = (loc_http_context_t *) arg;
    const char *name = fg_http_rest (request);
    if (!*name) {
        s_services (arg, request);
        return;
    }
    loc_policy_t policy = LOC_POLICY_ROUND_ROBIN;
    const char *policy_name = fg_http_arg (request, "policy");
    if (policy_name && loc_policy_parse (policy_name, &policy)) {
        fg_http_reply_error (request, 400,
                             "policy must be random, round-robin, weighted or least-loaded");
        return;
    }
    loc_entry_t *entries = NULL;
    size_t count = fg_name_valid (name)
                 ? loc_registry_resolve (context->registry, name, policy, &entries): 0;
    if (count == 0) {
        char text [128];
        snprintf (text, sizeof text, "no live endpoint is registered as '%.64s'", name);
        fg_http_reply_error (request, 404, text);
        return;
    }
    //  The newest protocol version describes the name, as in a resolve
    const Fogrid__Registration *describing = entries [0].reg;
    for (size_t index = 1; index < count; index++)
        if (entries [index].reg->protocol_version > describing->protocol_version)
            describing = entries [index].reg;
    json_t *functions = json_array ();
    for (size_t index = 0; index < describing->n_functions; index++) {
        const Fogrid__Function *function = describing->functions [index];
        json_array_append_new (functions, json_pack ("{s:s, s:s, s:s}", "name", function->name,
                                                     "args", function->args,
                                                     "result", function->result));
    }
    json_t *endpoints = json_array ();
    for (size_t index = 0; index < count; index++)
        json_array_append_new (endpoints, s_endpoint_json (&entries [index]));
    free (entries);
    fg_http_reply_json (request, 200,
                        json_pack ("{s:s, s:i, s:s, s:o, s:o}", "name", name,
                                   "protocol_version", (int) describing->protocol_version,
                                   "protocol", describing->protocol? describing->protocol: "",
                                   "functions", functions, "endpoints", endpoints));
}

static void
s_health (void *arg, fg_http_request_t *request)
{
    loc_http_context_t *context = (loc_http_context_t *) arg;
    zlistx_t *names = loc_registry_names (context->registry);
    json_t *body = json_pack ("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "status", "ok",
                              "version", FG_VERSION_STRING, "uptime_s",
                              (json_int_t) ((fg_now_ms () - context->stats->started_ms) / 1000),
                              "names", (json_int_t) zlistx_size (names),
                              "endpoints", (json_int_t) loc_registry_size (context->registry),
                              "owners", (json_int_t) loc_registry_owners (context->registry),
                              "watches", (json_int_t) context->stats->watches);
    zlistx_destroy (&names);
    fg_http_reply_json (request, 200, body);
}

static void
s_registry (void *arg, fg_http_request_t *request)
{
    loc_http_context_t *context = (loc_http_context_t *) arg;
    if (!context->hubs) {
        fg_http_reply_error (request, 404, "this locator keeps no hub registry");
        return;
    }
    Fogrid__RegistryReply *reply = loc_hubs_list (context->hubs, NULL, NULL);
    if (!reply) {
        fg_http_reply_error (request, 500, "the registry cannot be read (see the locator's log)");
        return;
    }
    json_t *hubs = json_array ();
    for (size_t index = 0; index < reply->n_hubs; index++) {
        const Fogrid__RegistryHub *hub = reply->hubs [index];
        json_array_append_new (hubs, json_pack ("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:I}",
            "hub_id", hub->hub_id, "status", hub->status, "hub_key", hub->hub_key,
            "ledger_key", hub->ledger_key, "stake", (json_int_t) hub->stake,
            "reason", hub->reason, "updated_by", hub->updated_by,
            "updated_ms", (json_int_t) hub->updated_ms, "created_ms", (json_int_t) hub->created_ms));
    }
    loc_hubs_reply_destroy (&reply);
    fg_http_reply_json (request, 200, json_pack ("{s:s, s:I, s:o, s:o}",
        "log_id", loc_hubs_log_id (context->hubs),
        "records", (json_int_t) loc_hubs_records (context->hubs),
        "hubs", hubs, "peers", loc_peers_json (context->peers)));
}

//  The hub registry's families: its size, the records it took and refused
static void
s_registry_metrics (loc_http_context_t *context, fg_metrics_t *metrics)
{
    const loc_hubs_stats_t *stats = loc_hubs_stats (context->hubs);
    fg_metrics_family (metrics, "fogrid_locator_registry_hubs", "gauge",
                       "hubs in the hub registry");
    fg_metrics_sample (metrics, NULL, NULL, (double) loc_hubs_size (context->hubs));
    fg_metrics_family (metrics, "fogrid_locator_registry_records", "gauge",
                       "signed changes in the registry's log");
    fg_metrics_sample (metrics, NULL, NULL, (double) loc_hubs_records (context->hubs));
    fg_metrics_family (metrics, "fogrid_locator_registry_taken_total", "counter",
                       "new registry records taken, by where they came from");
    fg_metrics_sample (metrics, "source", "client", (double) stats->taken_client);
    fg_metrics_sample (metrics, "source", "peer", (double) stats->taken_peer);
    fg_metrics_family (metrics, "fogrid_locator_registry_duplicates_total", "counter",
                       "registry records that were already held (nothing changed)");
    fg_metrics_sample (metrics, NULL, NULL, (double) stats->duplicates);
    fg_metrics_family (metrics, "fogrid_locator_registry_refused_total", "counter",
                       "registry records refused, by reason");
    fg_metrics_sample (metrics, "reason", "signature", (double) stats->refused_signature);
    fg_metrics_sample (metrics, "reason", "not_admin", (double) stats->refused_admin);
    fg_metrics_sample (metrics, "reason", "invalid", (double) stats->refused_invalid);
    if (context->peers)
        loc_peers_metrics (context->peers, metrics);
}

static void
s_metrics (void *arg, fg_http_request_t *request)
{
    loc_http_context_t *context = (loc_http_context_t *) arg;
    loc_stats_t *stats = context->stats;
    fg_metrics_t *metrics = fg_metrics_new ();
    zlistx_t *names = loc_registry_names (context->registry);
    fg_metrics_family (metrics, "fogrid_locator_names", "gauge", "names with live endpoints");
    fg_metrics_sample (metrics, NULL, NULL, (double) zlistx_size (names));
    zlistx_destroy (&names);
    fg_metrics_family (metrics, "fogrid_locator_endpoints", "gauge", "live registrations");
    fg_metrics_sample (metrics, NULL, NULL, (double) loc_registry_size (context->registry));
    fg_metrics_family (metrics, "fogrid_locator_owners", "gauge",
                       "owners (hubs, miners) with live registrations");
    fg_metrics_sample (metrics, NULL, NULL, (double) loc_registry_owners (context->registry));
    fg_metrics_family (metrics, "fogrid_locator_watches", "gauge", "watches with a lease");
    fg_metrics_sample (metrics, NULL, NULL, (double) stats->watches);
    fg_metrics_family (metrics, "fogrid_locator_requests_total", "counter",
                       "requests answered, by kind");
    fg_metrics_sample (metrics, "kind", "register", (double) stats->registers);
    fg_metrics_sample (metrics, "kind", "heartbeat", (double) stats->heartbeats);
    fg_metrics_sample (metrics, "kind", "unregister", (double) stats->unregisters);
    fg_metrics_sample (metrics, "kind", "resolve", (double) stats->resolves);
    fg_metrics_sample (metrics, "kind", "watch", (double) stats->watches_started);
    fg_metrics_family (metrics, "fogrid_locator_not_found_total", "counter",
                       "resolves and watches of names without live endpoints");
    fg_metrics_sample (metrics, NULL, NULL, (double) stats->not_found);
    fg_metrics_refused (metrics, "fogrid_locator_refused_total",
                        "requests refused with an error, by reason");
    fg_metrics_sample (metrics, "reason", "FG_E_REQUEST", (double) stats->refused);
    fg_metrics_family (metrics, "fogrid_locator_rate_limited_total", "counter",
                       "requests refused by the per-client rate limit (locator/rate)");
    fg_metrics_sample (metrics, NULL, NULL, (double) stats->rate_limited);
    static const char *const roles [] = { "locator" };
    fg_metrics_connections_refused (metrics, "fogrid_locator_connections_refused_total",
                                    "connections refused, by reason: key (a CurveZMQ key not "
                                    "admitted), plaintext (no CurveZMQ), handshake (failed or "
                                    "broken off)", NULL, roles, 1);
    fg_metrics_family (metrics, "fogrid_locator_watch_updates_total", "counter",
                       "updates pushed to watchers");
    fg_metrics_sample (metrics, NULL, NULL, (double) stats->watch_updates);
    fg_metrics_family (metrics, "fogrid_locator_expired_total", "counter",
                       "registrations dropped because their owner missed its TTL");
    fg_metrics_sample (metrics, NULL, NULL, (double) stats->expired);
    fg_metrics_family (metrics, "fogrid_locator_dns_queries_total", "counter",
                       "DNS queries answered");
    fg_metrics_sample (metrics, NULL, NULL, (double) stats->dns_queries);
    fg_metrics_family (metrics, "fogrid_locator_dns_limited_total", "counter",
                       "DNS queries over UDP left unanswered: their address was over "
                       "locator/dns_rate");
    fg_metrics_sample (metrics, NULL, NULL, (double) stats->dns_limited);
    if (context->hubs)
        s_registry_metrics (context, metrics);
    fg_metrics_latency (metrics, "fogrid_locator_resolve_seconds",
                        "time to answer a resolve, from request to LocDone",
                        &stats->resolve_latency);
    fg_metrics_family (metrics, "fogrid_locator_uptime_seconds", "gauge",
                       "seconds since the locator started");
    fg_metrics_sample (metrics, NULL, NULL, (double) (fg_now_ms () - stats->started_ms) / 1000.0);
    fg_http_reply (request, 200, "text/plain; version=0.0.4", fg_metrics_text (metrics),
                   fg_metrics_size (metrics));
    fg_metrics_destroy (&metrics);
}

static const fg_http_route_t s_routes [] = {
    { "/v1/services", false, s_services },
    { "/v1/services/", true, s_service },
    { "/v1/health", false, s_health },
    { "/v1/registry", false, s_registry },
    { "/healthz", false, fg_http_ok },
    //  The locator needs nothing else to serve: alive is ready
    { "/readyz", false, fg_http_ok },
    { "/metrics", false, s_metrics },
    { NULL, false, NULL }
};

fg_http_t *
loc_http_new (const char *address, loc_http_context_t *context, char *err, size_t err_size)
{
    return fg_http_new (address, s_routes, context, err, err_size);
}
