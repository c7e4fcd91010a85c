/*  =========================================================================
    hub_http - the hub's HTTP pages: the dashboard, its JSON, and metrics

    DESIGN
    Miners and tasks by state are counted by the miner table and the tasks
    (hub_miners_count_states, hub_tasks_counts), which the CLI's
    HealthReply uses too, so the views cannot disagree about one moment;
    both keep those counts as they change, so neither /metrics nor the
    overview walks the miners or queries every task to count them. The
    overview is bounded whatever the hub holds: at most S_MINERS_SHOWN
    miners (those that are not connected first: what an operator looks
    for), their total, the latest S_RECENT tasks, the throughput ring and
    the hub's own accounts; /api/v1/miners pages through all of them
    (?offset=&limit=).

    The dashboard page is compiled in (hub_dashboard_html, generated from
    hub/dashboard.html at build time) and fetches /api/v1/overview every
    two seconds; it needs nothing from outside the hub.
    =========================================================================  */
#include "fogrid.h"
#include "hub_http.h"
#include "hub_reputation.h"

#define S_RECENT 50
#define S_MINERS_SHOWN  200     //  in the overview
#define S_MINERS_PAGE   1000    //  most of /api/v1/miners in one answer

extern const unsigned char hub_dashboard_html [];
extern const unsigned long hub_dashboard_html_size;

typedef struct {
    uint64_t miners [HUB_MINER_STATES];
    uint64_t tasks [HUB_TASK_STATES];
    size_t queue;
} s_counts_t;

static void
s_counts (hub_http_context_t *context, s_counts_t *counts)
{
    memset (counts, 0, sizeof *counts);
    hub_miners_count_states (context->miners, counts->miners);
    hub_tasks_counts (context->tasks, counts->tasks);
    counts->queue = hub_tasks_queued (context->tasks);
}

static json_t *
s_counts_json (s_counts_t *counts, bool miners)
{
    json_t *object = json_object ();
    if (miners)
        for (int state = HUB_MINER_CONNECTED; state < HUB_MINER_STATES; state++)
            json_object_set_new (object, hub_miner_state_name ((hub_miner_state_t) state),
                                 json_integer ((json_int_t) counts->miners [state]));
    else
        for (int state = HUB_TASK_PENDING; state < HUB_TASK_STATES; state++)
            json_object_set_new (object, hub_task_state_name ((hub_task_state_t) state),
                                 json_integer ((json_int_t) counts->tasks [state]));
    return object;
}

//  --------------------------------------------------------------------------
//  JSON

static json_t *
s_miner_json (hub_miner_t *miner, int64_t now, hub_reputation_t *reputation)
{
    hub_reputation_record_t record = { 0, 0, 0, 1.0 };
    if (reputation)
        hub_reputation_get (reputation, miner->id, &record);
    const Fogrid__Resources *res = miner->resources;
    //  A miner's labels and runtimes may hold any bytes (fg_http_json_string)
    json_t *labels = json_object ();
    for (size_t index = 0; index < res->n_labels; index++) {
        json_t *key = fg_http_json_string (res->labels [index]->key);
        json_object_set_new (labels, json_string_value (key),
                             fg_http_json_string (res->labels [index]->value));
        json_decref (key);
    }
    json_t *runtimes = json_array ();
    for (size_t index = 0; index < res->n_runtimes; index++)
        json_array_append_new (runtimes, fg_http_json_string (res->runtimes [index]));
    json_t *tasks = json_array ();
    for (void *reservation = zhashx_first (miner->tasks); reservation;
         reservation = zhashx_next (miner->tasks))
        json_array_append_new (tasks, json_string ((const char *) zhashx_cursor (miner->tasks)));
    return json_pack ("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:I, s:I, s:f, s:b, "
                      "s:I, s:o, s:f, s:I, s:I, s:I}",
                      "id", miner->id, "name", miner->name? miner->name: "",
                      "state", hub_miner_state_name (miner->state),
                      "cores", (json_int_t) res->cores, "mem_mb", (json_int_t) res->mem_mb,
                      "disk_mb", (json_int_t) res->disk_mb, "gpus", (json_int_t) res->gpus,
                      "price", (json_int_t) res->price, "labels", labels, "runtimes", runtimes,
                      "used_cores", (json_int_t) miner->used_cores,
                      "running", (json_int_t) miner->load->running,
                      "load1", miner->load->load1, "healthy", miner->load->healthy,
                      "seen_ms_ago", (json_int_t) (now - miner->last_seen_ms), "tasks", tasks,
                      "reputation", record.score, "resolved", (json_int_t) record.resolved,
                      "mismatches", (json_int_t) record.mismatches,
                      "verdicts_lost", (json_int_t) record.verdicts_lost);
}

static json_t *
s_task_json (hub_task_t *task)
{
    //  What it runs, shortened: the dashboard shows one line per task. Its
    //  arguments and the reason (a miner's error) may hold any bytes, and
    //  the cut may fall inside a character (fg_http_json_string)
    char command [160] = "";
    size_t used = 0;
    const Fogrid__TaskSpec *spec = task->spec;
    if (spec && spec->image && *spec->image)
        used += (size_t) snprintf (command, sizeof command, "[%s] ", spec->image);
    for (size_t index = 0; spec && index < spec->n_argv && used < sizeof command; index++)
        used += (size_t) snprintf (command + used, sizeof command - used, "%s%s",
                                   index? " ": "", spec->argv [index]);
    return json_pack ("{s:s, s:s, s:I, s:s, s:i, s:i, s:b, s:o, s:o, s:I, s:I, s:s, s:I, s:s, "
                      "s:s}",
                      "id", task->id, "state", hub_task_state_name (task->state),
                      "attempt", (json_int_t) task->attempt, "miner", task->miner_id,
                      "exit_code", task->exit_code, "signal", task->term_signal,
                      "timed_out", task->timed_out,
                      "reason", fg_http_json_string (task->reason? task->reason: ""),
                      "command", fg_http_json_string (command),
                      "submitted_ms", (json_int_t) task->submitted_ms,
                      "updated_ms", (json_int_t) task->updated_ms,
                      "resolution", hub_resolution_name (task->resolution),
                      "resolve_at_ms", (json_int_t) task->resolve_at_ms,
                      "output_hash", task->output_hash, "parent", task->parent);
}

static void
s_account_add (void *arg, const char *account, int64_t balance)
{
    json_array_append_new ((json_t *) arg,
                           json_pack ("{s:s, s:I}", "name", account, "balance",
                                      (json_int_t) balance));
}

//  The hub's accounts, each miner's earnings and the escrow in total
static json_t *
s_wallet_json (hub_http_context_t *context)
{
    json_t *accounts = json_array ();
    if (!context->ledger)
        return accounts;
    hub_ledger_accounts (context->ledger, "hub:", true, s_account_add, accounts);
    hub_ledger_accounts (context->ledger, "owner", false, s_account_add, accounts);
    hub_ledger_accounts (context->ledger, "miner:", false, s_account_add, accounts);
    json_t *escrows = json_array ();
    hub_ledger_accounts (context->ledger, "escrow:", false, s_account_add, escrows);
    json_int_t held = 0;
    size_t index;
    json_t *item;
    json_array_foreach (escrows, index, item)
        held += json_integer_value (json_object_get (item, "balance"));
    json_decref (escrows);
    json_array_append_new (accounts, json_pack ("{s:s, s:I}", "name", "escrow (all tasks)",
                                                "balance", held));
    return accounts;
}

static void
s_health (void *arg, fg_http_request_t *request)
{
    hub_http_context_t *context = (hub_http_context_t *) arg;
    s_counts_t counts;
    s_counts (context, &counts);
    fg_http_reply_json (request, 200,
        json_pack ("{s:s, s:I, s:I, s:o, s:o}", "hub_id", context->hub_id,
                   "uptime_ms", (json_int_t) (fg_now_ms () - context->started_ms),
                   "queue_length", (json_int_t) counts.queue,
                   "miners_by_state", s_counts_json (&counts, true),
                   "tasks_by_state", s_counts_json (&counts, false)));
}

static void
s_overview (void *arg, fg_http_request_t *request)
{
    hub_http_context_t *context = (hub_http_context_t *) arg;
    int64_t now = fg_now_ms ();
    s_counts_t counts;
    s_counts (context, &counts);
    //  Those not connected first, then the connected, up to S_MINERS_SHOWN
    json_t *miners = json_array ();
    for (int pass = 0; pass < 2; pass++)
        for (hub_miner_t *miner = hub_miners_first (context->miners);
             miner && json_array_size (miners) < S_MINERS_SHOWN;
             miner = hub_miners_next (context->miners))
            if ((miner->state == HUB_MINER_CONNECTED) == (pass == 1))
                json_array_append_new (miners, s_miner_json (miner, now, context->reputation));
    zlistx_t *recent = zlistx_new ();
    zlistx_set_destructor (recent, (czmq_destructor *) hub_task_destroy);
    hub_store_recent (context->store, S_RECENT, recent);
    json_t *tasks = json_array ();
    for (hub_task_t *task = (hub_task_t *) zlistx_first (recent); task;
         task = (hub_task_t *) zlistx_next (recent))
        json_array_append_new (tasks, s_task_json (task));
    zlistx_destroy (&recent);

    //  Throughput, oldest bucket first, ending with the bucket of now
    hub_stats_t *stats = context->stats;
    int64_t width = HUB_THROUGHPUT_BUCKET_S * 1000;
    int64_t newest = now - now % width;
    json_t *done = json_array ();
    for (int back = HUB_THROUGHPUT_BUCKETS - 1; back >= 0; back--) {
        int64_t bucket = newest - back * width;
        //  Buckets the ring has not reached since are empty, not stale
        bool kept = stats->bucket_ms && bucket <= stats->bucket_ms
                 && bucket > stats->bucket_ms - HUB_THROUGHPUT_BUCKETS * width;
        json_array_append_new (done, json_integer (kept? stats->done [(bucket / width)
                                                                 % HUB_THROUGHPUT_BUCKETS]: 0));
    }
    json_t *body = json_pack (
        "{s:{s:s, s:s, s:I, s:I, s:I, s:I, s:s}, s:o, s:o, s:o, s:o, s:I, s:{s:i, s:o}, s:o}",
        "hub", "id", context->hub_id, "version", FG_VERSION_STRING,
               "uptime_s", (json_int_t) ((now - context->started_ms) / 1000),
               "queue_length", (json_int_t) counts.queue,
               "submitted", (json_int_t) stats->submitted,
               "dispatched", (json_int_t) stats->dispatched,
               "locator_http", context->locator_http? context->locator_http: "",
        "miners_by_state", s_counts_json (&counts, true),
        "tasks_by_state", s_counts_json (&counts, false),
        "miners", miners, "recent", tasks,
        "miners_total", (json_int_t) hub_miners_size (context->miners),
        "throughput", "bucket_s", HUB_THROUGHPUT_BUCKET_S, "done", done,
        "wallet", s_wallet_json (context));
    fg_http_reply_json (request, 200, body);
}

//  All the miners, a page at a time, in the table's order (stable while
//  no miner is added)
static void
s_miners_page (void *arg, fg_http_request_t *request)
{
    hub_http_context_t *context = (hub_http_context_t *) arg;
    const char *offset_arg = fg_http_arg (request, "offset");
    const char *limit_arg = fg_http_arg (request, "limit");
    char *end = NULL;
    long long offset = offset_arg? strtoll (offset_arg, &end, 10): 0;
    if (offset_arg && (end == offset_arg || *end || offset < 0)) {
        fg_http_reply_error (request, 400, "offset must be a whole number, 0 or more");
        return;
    }
    long long limit = limit_arg? strtoll (limit_arg, &end, 10): S_MINERS_PAGE;
    if (limit_arg && (end == limit_arg || *end || limit < 1 || limit > S_MINERS_PAGE)) {
        fg_http_reply_error (request, 400, "limit must be a whole number from 1 to 1000");
        return;
    }
    int64_t now = fg_now_ms ();
    json_t *miners = json_array ();
    long long index = 0;
    for (hub_miner_t *miner = hub_miners_first (context->miners);
         miner && index < offset + limit; miner = hub_miners_next (context->miners), index++)
        if (index >= offset)
            json_array_append_new (miners, s_miner_json (miner, now, context->reputation));
    fg_http_reply_json (request, 200,
        json_pack ("{s:I, s:I, s:I, s:o}", "total", (json_int_t) hub_miners_size (context->miners),
                   "offset", (json_int_t) offset, "limit", (json_int_t) limit, "miners", miners));
}

//  --------------------------------------------------------------------------
//  Probes and metrics

//  Ready once a locator has our registration (or none is configured):
//  before that, buyers and miners cannot find the hub
static void
s_readyz (void *arg, fg_http_request_t *request)
{
    hub_http_context_t *context = (hub_http_context_t *) arg;
    if (context->registrant && fg_registrant_acked (context->registrant) == 0)
        fg_http_reply (request, 503, "text/plain", "not registered in any locator yet\n", 34);
    else
        fg_http_reply (request, 200, "text/plain", "ok\n", 3);
}

//  The miner socket's failed handshakes are counted by its watch (the
//  socket's one monitor), not by fg_zap
static uint64_t
s_watch_refused (void *arg, const char *role, fg_refused_t reason)
{
    hub_http_context_t *context = (hub_http_context_t *) arg;
    return streq (role, "miners")? hub_watch_refused (context->watch, reason): 0;
}

static void
s_metrics (void *arg, fg_http_request_t *request)
{
    hub_http_context_t *context = (hub_http_context_t *) arg;
    hub_stats_t *stats = context->stats;
    s_counts_t counts;
    s_counts (context, &counts);
    fg_metrics_t *metrics = fg_metrics_new ();
    fg_metrics_family (metrics, "fogrid_hub_miners", "gauge", "miners by liveness state");
    for (int state = HUB_MINER_CONNECTED; state < HUB_MINER_STATES; state++)
        fg_metrics_sample (metrics, "state", hub_miner_state_name ((hub_miner_state_t) state),
                           (double) counts.miners [state]);
    fg_metrics_family (metrics, "fogrid_hub_tasks", "gauge", "tasks in the store by state");
    for (int state = HUB_TASK_PENDING; state < HUB_TASK_STATES; state++)
        fg_metrics_sample (metrics, "state", hub_task_state_name ((hub_task_state_t) state),
                           (double) counts.tasks [state]);
    uint64_t resolutions [HUB_RESOLUTIONS];
    if (hub_store_count_resolutions (context->store, resolutions) == 0) {
        fg_metrics_family (metrics, "fogrid_hub_tasks_resolution", "gauge",
                           "buyers' tasks in the store by resolution (none: unfinished or "
                           "without a result)");
        for (int resolution = 0; resolution < HUB_RESOLUTIONS; resolution++)
            fg_metrics_sample (metrics, "resolution", resolution? hub_resolution_name (
                               (hub_resolution_t) resolution): "none",
                               (double) resolutions [resolution]);
    }
    fg_metrics_family (metrics, "fogrid_hub_queue_length", "gauge", "tasks waiting for a miner");
    fg_metrics_sample (metrics, NULL, NULL, (double) counts.queue);
    fg_metrics_family (metrics, "fogrid_hub_submitted_total", "counter", "tasks accepted");
    fg_metrics_sample (metrics, NULL, NULL, (double) stats->submitted);
    fg_metrics_family (metrics, "fogrid_hub_submits_refused_total", "counter",
                       "submits refused (queue full, invalid spec, no funds)");
    fg_metrics_sample (metrics, NULL, NULL, (double) stats->refused);
    fg_metrics_family (metrics, "fogrid_hub_dispatched_total", "counter",
                       "assignments sent to miners");
    fg_metrics_sample (metrics, NULL, NULL, (double) stats->dispatched);
    fg_metrics_family (metrics, "fogrid_hub_finished_total", "counter",
                       "tasks that reached a final state since start, by state");
    for (int state = HUB_TASK_SUCCEEDED; state < HUB_TASK_STATES; state++)
        fg_metrics_sample (metrics, "state", hub_task_state_name ((hub_task_state_t) state),
                           (double) stats->finished [state]);
    if (context->reputation) {
        //  Only miners with something against them: a grid of ten thousand
        //  clean miners is not ten thousand series
        fg_metrics_family (metrics, "fogrid_hub_miner_reputation", "gauge",
                           "reputation (0..1, hub_reputation.h) of each miner with a result "
                           "outvoted or a verdict lost");
        for (hub_miner_t *miner = hub_miners_first (context->miners); miner;
             miner = hub_miners_next (context->miners)) {
            hub_reputation_record_t record;
            hub_reputation_get (context->reputation, miner->id, &record);
            if (record.mismatches || record.verdicts_lost)
                fg_metrics_sample (metrics, "miner", miner->id, record.score);
        }
    }
    fg_metrics_family (metrics, "fogrid_hub_requeued_total", "counter",
                       "attempts lost with their miner and queued again");
    fg_metrics_sample (metrics, NULL, NULL, (double) stats->requeued);
    fg_metrics_family (metrics, "fogrid_hub_heartbeats_missed_total", "counter",
                       "times a connected miner fell silent past hub/disconnect_ms");
    fg_metrics_sample (metrics, NULL, NULL, (double) stats->heartbeats_missed);
    fg_metrics_family (metrics, "fogrid_hub_commits_total", "counter",
                       "transactions committed: one per burst of requests (group commit)");
    fg_metrics_sample (metrics, NULL, NULL, (double) stats->commits);
    fg_metrics_family (metrics, "fogrid_hub_commit_requests_total", "counter",
                       "requests whose writes those transactions held");
    fg_metrics_sample (metrics, NULL, NULL, (double) stats->commit_requests);
    fg_metrics_family (metrics, "fogrid_hub_commit_failures_total", "counter",
                       "bursts whose commit failed: answered with errors, state read back");
    fg_metrics_sample (metrics, NULL, NULL, (double) stats->commit_failures);
    fg_metrics_family (metrics, "fogrid_hub_miners_lost_total", "counter",
                       "miners that missed their heartbeats until declared dead");
    fg_metrics_sample (metrics, NULL, NULL, (double) stats->miners_lost);
    fg_metrics_family (metrics, "fogrid_hub_miners_left_total", "counter",
                       "miners that said they were stopping (not counted as lost)");
    fg_metrics_sample (metrics, NULL, NULL, (double) stats->miners_left);
    fg_metrics_latency (metrics, "fogrid_hub_task_seconds",
                        "time from submit to a final state", &stats->latency);
    fg_metrics_refused (metrics, "fogrid_hub_refused_total",
                        "messages refused before handling, by reason");
    fg_metrics_family (metrics, "fogrid_hub_rate_limited_total", "counter",
                       "requests refused by the per-peer rate limits");
    fg_metrics_sample (metrics, NULL, NULL, (double) stats->rate_limited);
    static const char *const sockets [] = { "buyers", "miners" };
    fg_metrics_connections_refused_plus (metrics, "fogrid_hub_connections_refused_total",
                                         "connections refused, by socket and reason: key (a "
                                         "CurveZMQ key not admitted), plaintext (no CurveZMQ), "
                                         "handshake (failed or broken off)", "socket", sockets,
                                         2, s_watch_refused, context);
    if (context->ledger) {
        json_t *wallet = s_wallet_json (context);
        fg_metrics_family (metrics, "fogrid_hub_wallet_balance", "gauge",
                           "the hub's accounts, the miners' earnings and the escrow held");
        size_t index;
        json_t *item;
        json_array_foreach (wallet, index, item)
            fg_metrics_sample (metrics, "account",
                               json_string_value (json_object_get (item, "name")),
                               (double) json_integer_value (json_object_get (item, "balance")));
        json_decref (wallet);
    }
    fg_metrics_family (metrics, "fogrid_hub_uptime_seconds", "gauge",
                       "seconds since the hub started");
    fg_metrics_sample (metrics, NULL, NULL,
                       (double) (fg_now_ms () - context->started_ms) / 1000.0);
    fg_http_reply (request, 200, "text/plain; version=0.0.4", fg_metrics_text (metrics),
                   fg_metrics_size (metrics));
    fg_metrics_destroy (&metrics);
}

static void
s_dashboard (void *arg, fg_http_request_t *request)
{
    (void) arg;
    fg_http_reply (request, 200, "text/html; charset=utf-8", (const char *) hub_dashboard_html,
                   (size_t) hub_dashboard_html_size);
}

static const fg_http_route_t s_routes [] = {
    { "/", false, s_dashboard },
    { "/index.html", false, s_dashboard },
    { "/api/v1/overview", false, s_overview },
    { "/api/v1/health", false, s_health },
    { "/api/v1/miners", false, s_miners_page },
    { "/healthz", false, fg_http_ok },
    { "/readyz", false, s_readyz },
    { "/metrics", false, s_metrics },
    { NULL, false, NULL }
};

fg_http_t *
hub_http_new (const char *address, hub_http_context_t *context, char *err, size_t err_size)
{
    return fg_http_new (address, s_routes, context, err, err_size);
}
