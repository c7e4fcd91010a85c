/*  =========================================================================
    miner_http - the miner's HTTP probes and metrics

    DESIGN
    Ready means welcomed by a hub: a miner that is up but has no hub does
    no work, which is what an orchestrator's readiness probe wants to
    know. The metrics count what operators ask of a provider's machine:
    how many tasks it ran per runtime, how they ended, how long they took,
    and whether its hub connection is stable. The hubs page answers the
    other question a provider has: whom am I working for, do they pay,
    and why did my miner refuse one.
    =========================================================================  */
#include "fogrid.h"
#include "miner_http.h"

static void
s_readyz (void *arg, fg_http_request_t *request)
{
    miner_http_context_t *context = (miner_http_context_t *) arg;
    const char *state = context->state (context->agent);
    const char *isolation = context->isolation? context->isolation: "";
    //  The second line says how tasks are held (cgroups, or rlimits only)
    char text [PATH_MAX + 512];
    int length = streq (state, "ready")
               ? snprintf (text, sizeof text, "ok\n%s%s", isolation, *isolation? "\n": "")
               : snprintf (text, sizeof text, "not ready: %s\n%s%s", state, isolation,
                           *isolation? "\n": "");
    if (length >= (int) sizeof text)
        length = (int) sizeof text - 1;
    fg_http_reply (request, streq (state, "ready")? 200: 503, "text/plain", text,
                   (size_t) length);
}

static void
s_metrics (void *arg, fg_http_request_t *request)
{
    miner_http_context_t *context = (miner_http_context_t *) arg;
    miner_stats_t *stats = context->stats;
    fg_metrics_t *metrics = fg_metrics_new ();
    fg_metrics_family (metrics, "fogrid_miner_hub_connected", "gauge",
                       "1 when a hub has welcomed this miner");
    fg_metrics_sample (metrics, NULL, NULL, streq (context->state (context->agent), "ready"));
    fg_metrics_family (metrics, "fogrid_miner_hub_changes_total", "counter",
                       "connections made to a hub (the first one too)");
    fg_metrics_sample (metrics, NULL, NULL, (double) stats->hub_changes);
    fg_metrics_family (metrics, "fogrid_miner_tasks_running", "gauge", "tasks running now");
    fg_metrics_sample (metrics, NULL, NULL, (double) context->running (context->agent));
    fg_metrics_family (metrics, "fogrid_miner_tasks_started_total", "counter",
                       "tasks started, by runtime (docker: a container each)");
    fg_metrics_sample (metrics, "runtime", "process", (double) stats->started [0]);
    fg_metrics_sample (metrics, "runtime", "docker", (double) stats->started [1]);
    fg_metrics_family (metrics, "fogrid_miner_tasks_ended_total", "counter",
                       "tasks that ended, by outcome");
    fg_metrics_sample (metrics, "outcome", "succeeded", (double) stats->succeeded);
    fg_metrics_sample (metrics, "outcome", "failed", (double) stats->failed);
    fg_metrics_sample (metrics, "outcome", "could_not_run", (double) stats->could_not_run);
    fg_metrics_sample (metrics, "outcome", "killed", (double) stats->killed);
    fg_metrics_family (metrics, "fogrid_miner_tasks_refused_total", "counter",
                       "assignments refused: beyond what their hub's share had free");
    fg_metrics_sample (metrics, NULL, NULL, (double) stats->refused);
    fg_metrics_family (metrics, "fogrid_miner_results_lost_total", "counter",
                       "results that found no hub connection (the hub requeues those tasks)");
    fg_metrics_sample (metrics, NULL, NULL, (double) stats->results_lost);
    fg_metrics_latency (metrics, "fogrid_miner_task_seconds", "how long tasks ran",
                        &stats->task_seconds);
    fg_metrics_family (metrics, "fogrid_miner_uptime_seconds", "gauge",
                       "seconds since the miner started");
    fg_metrics_sample (metrics, NULL, NULL,
                       (double) (fg_now_ms () - context->started_ms) / 1000.0);
    fg_http_reply (request, 200, "text/plain; version=0.0.4", fg_metrics_text (metrics),
                   fg_metrics_size (metrics));
    fg_metrics_destroy (&metrics);
}

static void
s_status (void *arg, fg_http_request_t *request)
{
    miner_http_context_t *context = (miner_http_context_t *) arg;
    json_t *body = json_pack ("{s:s, s:s, s:s, s:I, s:s, s:s, s:o}",
                              "miner_id", context->miner_id,
                              "state", context->state (context->agent),
                              "hub", context->hub (context->agent),
                              "running", (json_int_t) context->running (context->agent),
                              "runtimes", context->runtimes,
                              "isolation", context->isolation? context->isolation: "",
                              "links", context->links? context->links (context->agent)
                                                     : json_array ());
    fg_http_reply_json (request, 200, body);
}

//  The operator's view of the hubs: miner_trust_json, as it is now
static void
s_hubs (void *arg, fg_http_request_t *request)
{
    miner_http_context_t *context = (miner_http_context_t *) arg;
    if (!context->trust) {
        fg_http_reply_error (request, 503, "the miner keeps no ratings yet");
        return;
    }
    fg_http_reply_json (request, 200, miner_trust_json (context->trust));
}

static const fg_http_route_t s_routes [] = {
    { "/healthz", false, fg_http_ok },
    { "/readyz", false, s_readyz },
    { "/metrics", false, s_metrics },
    { "/api/v1/status", false, s_status },
    { "/api/v1/hubs", false, s_hubs },
    { NULL, false, NULL }
};

fg_http_t *
miner_http_new (const char *address, miner_http_context_t *context, char *err, size_t err_size)
{
    return fg_http_new (address, s_routes, context, err, err_size);
}
