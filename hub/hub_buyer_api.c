/*  =========================================================================
    hub_buyer_api - buyers' requests about their tasks: submit, status,
    result, cancel, logs

    DESIGN
    A submit is checked (hub_spec.h), answered at once when its client
    token was seen before (a retried submit takes no room), checked for
    funds (hub_escrow_admit), against hub/tasks_per_buyer and hub/queue_max,
    then stored and queued (hub_tasks_submit). Its reply waits in the
    outbox for the burst's commit: the task is durable before the buyer
    hears its id. Buyers see, follow and cancel only their own tasks
    (admins see all); tasks of a plain-text hub have no buyer key and are
    everyone's. A task's info carries its history from the store and what
    it was charged (hub_escrow_charged).
    =========================================================================  */
#include "fogrid.h"
#include "hub_spec.h"
#include "hub_buyer_api.h"
#include "hub_array_api.h"
#include "hub_inputs.h"
#include "hub_logs.h"

#define S_MAX_TOKEN         128         //  a submit's client_token

struct _hub_buyer_api_t {
    hub_tasks_t *tasks;         //  the unfinished tasks (not owned)
    hub_store_t *store;         //  finished tasks, tokens, outputs, history (not owned)
    hub_escrow_t *escrow;       //  funds at submit, what a task was charged (not owned)
    hub_miners_t *miners;       //  the cheapest ask (not owned)
    hub_miner_api_t *miner_api; //  stops a cancelled task on its miner (not owned)
    const hub_config_t *config; //  limits, defaults, admin keys
    hub_stats_t *stats;         //  counted here: submitted, refused
    fg_outbox_t *outbox;        //  answers wait here for the commit (not owned)
    zsock_t *sock;              //  the buyers' ROUTER (not owned)
    hub_court_t *court;         //  runs of replicated tasks (not owned), or NULL
    hub_array_api_t *arrays;    //  job arrays: submitted and followed there
    hub_logs_t *logs;           //  running tasks' output (not owned); NULL = none kept
};

hub_buyer_api_t *
hub_buyer_api_new (hub_tasks_t *tasks, hub_store_t *store, hub_escrow_t *escrow,
                   hub_miners_t *miners, hub_miner_api_t *miner_api, const hub_config_t *config,
                   hub_stats_t *stats, fg_outbox_t *outbox, zsock_t *sock)
{
    hub_buyer_api_t *self = (hub_buyer_api_t *) zmalloc (sizeof (hub_buyer_api_t));
    self->tasks = tasks;
    self->store = store;
    self->escrow = escrow;
    self->miners = miners;
    self->miner_api = miner_api;
    self->config = config;
    self->stats = stats;
    self->outbox = outbox;
    self->sock = sock;
    self->arrays = hub_array_api_new (tasks, store, escrow, miners, config, stats, outbox, sock);
    return self;
}

void
hub_buyer_api_set_logs (hub_buyer_api_t *self, hub_logs_t *logs)
{
    self->logs = logs;
}

void
hub_buyer_api_set_court (hub_buyer_api_t *self, hub_court_t *court)
{
    self->court = court;
}

void
hub_buyer_api_destroy (hub_buyer_api_t **self_p)
{
    if (*self_p) {
        hub_array_api_destroy (&(*self_p)->arrays);
        free (*self_p);
        *self_p = NULL;
    }
}

typedef struct {
    Fogrid__TaskInfo info;              //  the message
    Fogrid__StateChange **history;      //  its history (owned)
    size_t count;                       //  entries in history
    size_t capacity;                    //  allocated
    Fogrid__TaskSpec *spec;             //  the task's without its inputs' content, or NULL
    zlistx_t *runs;                     //  the runs made of it (hub_task_t, owned)
    char **run_ids;                     //  ...their ids, for the message
} s_info_t;

static void
s_history_add (void *arg, const char *state, int64_t at_ms, const char *miner_id,
               uint32_t attempt, const char *reason)
{
    s_info_t *self = (s_info_t *) arg;
    if (self->count == self->capacity) {
        self->capacity = self->capacity? self->capacity * 2: 8;
        self->history = (Fogrid__StateChange **) realloc (
            self->history, sizeof (Fogrid__StateChange *) * self->capacity);
    }
    Fogrid__StateChange *change = (Fogrid__StateChange *) zmalloc (sizeof (Fogrid__StateChange));
    fogrid__state_change__init (change);
    change->state = strdup (state);
    change->at_ms = (uint64_t) at_ms;
    change->miner_id = strdup (miner_id);
    change->attempt = attempt;
    change->reason = strdup (reason);
    self->history [self->count++] = change;
}

static void
s_info_build (hub_buyer_api_t *self, hub_task_t *task, s_info_t *out)
{
    memset (out, 0, sizeof *out);
    fogrid__task_info__init (&out->info);
    out->info.task_id = task->id;
    out->info.state = (char *) hub_task_state_name (task->state);
    out->info.attempt = task->attempt;
    out->info.miner_id = task->miner_id;
    out->info.exit_code = task->exit_code;
    out->info.reason = task->reason;
    out->info.submitted_ms = (uint64_t) task->submitted_ms;
    out->info.updated_ms = (uint64_t) task->updated_ms;
    out->spec = hub_inputs_view (task->spec);
    out->info.spec = out->spec? out->spec: task->spec;
    out->info.term_signal = task->term_signal;
    out->info.timed_out = task->timed_out;
    if (task->measured)
        out->info.usage = &task->usage;
    hub_escrow_charged (self->escrow, task, &out->info.price, &out->info.billed,
                        &out->info.billed_seconds);
    hub_store_task_events (self->store, task->id, s_history_add, out);
    out->info.n_history = out->count;
    out->info.history = out->history;
    out->info.resolution = (char *) hub_resolution_name (task->resolution);
    out->info.resolve_at_ms = (uint64_t) task->resolve_at_ms;
    out->info.output_hash = task->output_hash;
    out->info.parent = task->parent;
    out->runs = zlistx_new ();
    zlistx_set_destructor (out->runs, (zlistx_destructor_fn *) hub_task_destroy);
    hub_store_load_runs (self->store, task->id, out->runs);
    out->run_ids = (char **) zmalloc (sizeof (char *) * (zlistx_size (out->runs) + 1));
    for (hub_task_t *run = (hub_task_t *) zlistx_first (out->runs); run;
         run = (hub_task_t *) zlistx_next (out->runs))
        out->run_ids [out->info.n_runs++] = run->id;
    out->info.runs = out->run_ids;
}

static void
s_info_reset (s_info_t *info)
{
    for (size_t index = 0; index < info->count; index++) {
        free (info->history [index]->state);
        free (info->history [index]->miner_id);
        free (info->history [index]->reason);
        free (info->history [index]);
    }
    free (info->history);
    hub_inputs_view_free (&info->spec);
    zlistx_destroy (&info->runs);
    free (info->run_ids);
    memset (info, 0, sizeof *info);
}

static void
s_reply_task_info (hub_buyer_api_t *self, zframe_t *peer, uint64_t seq, hub_task_t *task)
{
    s_info_t info;
    s_info_build (self, task, &info);
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_INFO;
    env.task_info = &info.info;
    fg_outbox_answer (self->outbox, self->sock, peer, &env);
    s_info_reset (&info);
}

static void
s_reply_submit (hub_buyer_api_t *self, zframe_t *peer, uint64_t seq, const char *task_id,
                bool duplicate)
{
    Fogrid__SubmitReply reply = FOGRID__SUBMIT_REPLY__INIT;
    reply.task_id = (char *) task_id;
    reply.duplicate = duplicate;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_SUBMIT_REPLY;
    env.submit_reply = &reply;
    fg_outbox_answer (self->outbox, self->sock, peer, &env);
}

static void
s_handle_submit (hub_buyer_api_t *self, zframe_t *peer, uint64_t seq, const char *buyer,
                 Fogrid__SubmitRequest *request)
{
    char why [256];
    //  Every string of a task goes back out in its TaskInfo, which other
    //  protobuf runtimes refuse whole if one is not UTF-8 (fg_msg.h)
    if (fg_msg_utf8_find (&request->base, why, sizeof why)) {
        self->stats->refused++;
        fg_outbox_refuse (self->outbox, self->sock, peer, seq, FG_E_INVALID,
                          "submit refused: %s is not UTF-8, which every string of a task must be",
                          why);
        return;
    }
    if (hub_spec_check (request->spec, why, sizeof why)
    ||  hub_inputs_check (request->spec, (size_t) self->config->max_inputs, why, sizeof why)) {
        self->stats->refused++;
        fg_outbox_refuse (self->outbox, self->sock, peer, seq, FG_E_INVALID,
                          "submit refused: %s", why);
        return;
    }
    const char *token = request->client_token;
    if (!fg_text_valid (token, S_MAX_TOKEN)) {
        self->stats->refused++;
        fg_outbox_refuse (self->outbox, self->sock, peer, seq, FG_E_INVALID,
                          "submit refused: client_token must be printable, at most %d bytes",
                          S_MAX_TOKEN);
        return;
    }
    //  A retried submit is answered before the bound: it takes no room.
    //  The token is the buyer's own; the same one with another spec is
    //  a mistake to say, not a retry to answer with the first task
    char spec_hash [HUB_STORE_HASH_SIZE], earlier_hash [HUB_STORE_HASH_SIZE];
    hub_store_spec_hash (request->spec, spec_hash);
    hub_task_t *earlier = hub_store_task_by_token (self->store, buyer, token, earlier_hash);
    if (earlier) {
        if (*earlier_hash && !streq (earlier_hash, spec_hash)) {
            self->stats->refused++;
            fg_outbox_refuse (self->outbox, self->sock, peer, seq, FG_E_CONFLICT,
                              "submit refused: client_token %s was used for task %s with another "
                              "spec; a retry must send the same spec, a new task a new token",
                              token, earlier->id);
        }
        else
            s_reply_submit (self, peer, seq, earlier->id, true);
        hub_task_destroy (&earlier);
        return;
    }
    fg_error_t funds = hub_escrow_admit (self->escrow, buyer, request->spec, self->miners,
                                         why, sizeof why);
    if (funds) {
        self->stats->refused++;
        fg_outbox_refuse (self->outbox, self->sock, peer, seq, funds, "%s", why);
        return;
    }
    size_t queued = hub_tasks_queued (self->tasks);
    size_t unfinished = hub_tasks_of_buyer (self->tasks, buyer);
    if ((int64_t) unfinished >= self->config->tasks_per_buyer) {
        self->stats->refused++;
        fg_outbox_refuse (self->outbox, self->sock, peer, seq, FG_E_LIMIT,
                          "submit refused: you have %zu unfinished tasks here, the limit "
                          "(hub/tasks_per_buyer)", unfinished);
        return;
    }
    if ((int64_t) queued >= self->config->queue_max) {
        self->stats->refused++;
        fg_outbox_refuse (self->outbox, self->sock, peer, seq, FG_E_HUB_FULL,
                          "hub full: %zu tasks queued (limit %" PRId64 ")",
                          queued, self->config->queue_max);
        return;
    }
    //  The task takes the spec over; the request keeps a NULL
    Fogrid__TaskSpec *spec = request->spec;
    request->spec = NULL;
    if (!spec->timeout_s)
        spec->timeout_s = (uint32_t) self->config->default_timeout_s;
    char id [32];
    fg_id_new ("t", id, sizeof id);
    hub_task_t *task = hub_task_new (id, &spec);
    hub_task_set_text (&task->client_token, token);
    hub_task_set_text (&task->buyer, buyer);
    task->retries_left = task->spec->retries? task->spec->retries: (uint32_t) self->config->default_retries;

    //  The reply waits in the outbox for the burst's commit: durable
    //  before the buyer hears the id
    if (hub_tasks_submit (self->tasks, task, spec_hash)) {
        self->stats->refused++;
        fg_outbox_refuse (self->outbox, self->sock, peer, seq, FG_E_INTERNAL,
                          "submit failed: the hub could not store the task");
        hub_task_destroy (&task);
        return;
    }
    if (self->court && hub_court_submitted (self->court, task)) {
        self->stats->refused++;
        fg_outbox_refuse (self->outbox, self->sock, peer, seq, FG_E_INTERNAL,
                          "submit failed: the hub could not store the task's replicas");
        return;
    }
    zsys_info ("task %s submitted: %s%s (%zu args, policy %s, %u retries)", task->id,
               task->spec->n_argv? task->spec->argv [0]: task->spec->image,
               task->spec->n_argv > 1? " ...": "",
               task->spec->n_argv, *task->spec->policy? task->spec->policy: "fastest",
               task->retries_left);
    self->stats->submitted++;
    s_reply_submit (self, peer, seq, task->id, false);
}

//  The task a buyer asks about, or NULL after answering NOT_FOUND, or
//  DENIED when it is another buyer's: buyers see, follow and cancel only
//  their own tasks (admins see all). Tasks of a plain-text hub have no
//  buyer key and are everyone's.
static hub_task_t *
s_buyer_task (hub_buyer_api_t *self, zframe_t *peer, uint64_t seq, const char *key,
              const char *task_id, bool *owned)
{
    hub_task_t *task = hub_tasks_find (self->tasks, task_id, owned);
    if (!task) {
        fg_outbox_refuse (self->outbox, self->sock, peer, seq, FG_E_NOT_FOUND,
                          "task %.64s not found on this hub", task_id);
        return NULL;
    }
    if (*task->buyer && !streq (task->buyer, key) && !hub_config_admin (self->config, key)) {
        zsys_warning ("buyer %.12s...: refused access to %s, a task of another buyer", key,
                      task->id);
        fg_outbox_refuse (self->outbox, self->sock, peer, seq, FG_E_DENIED,
                          "task %s belongs to another buyer", task->id);
        if (*owned)
            hub_task_destroy (&task);
        return NULL;
    }
    return task;
}

static void
s_handle_status (hub_buyer_api_t *self, zframe_t *peer, uint64_t seq, const char *key,
                 const char *task_id)
{
    bool owned;
    hub_task_t *task = s_buyer_task (self, peer, seq, key, task_id, &owned);
    if (!task)
        return;
    s_reply_task_info (self, peer, seq, task);
    if (owned)
        hub_task_destroy (&task);
}

static void
s_handle_result (hub_buyer_api_t *self, zframe_t *peer, uint64_t seq, const char *key,
                 const char *task_id)
{
    bool owned;
    hub_task_t *task = s_buyer_task (self, peer, seq, key, task_id, &owned);
    if (!task)
        return;
    hub_output_t output;
    if (hub_store_task_output (self->store, task->id, &output)) {
        fg_outbox_refuse (self->outbox, self->sock, peer, seq, FG_E_INTERNAL,
                          "cannot read the output of %s", task->id);
        if (owned)
            hub_task_destroy (&task);
        return;
    }
    s_info_t info;
    s_info_build (self, task, &info);
    Fogrid__ResultReply reply = FOGRID__RESULT_REPLY__INIT;
    reply.info = &info.info;
    reply.stdout.data = zchunk_data (output.stdout_data);
    reply.stdout.len = zchunk_size (output.stdout_data);
    reply.stderr.data = zchunk_data (output.stderr_data);
    reply.stderr.len = zchunk_size (output.stderr_data);
    reply.stdout_truncated = output.stdout_truncated;
    reply.stderr_truncated = output.stderr_truncated;
    reply.stdout_sha256 = output.stdout_sha256;
    reply.files = output.files;
    reply.n_files = output.n_files;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_RESULT_REPLY;
    env.result_reply = &reply;
    fg_outbox_answer (self->outbox, self->sock, peer, &env);
    s_info_reset (&info);
    hub_output_reset (&output);
    if (owned)
        hub_task_destroy (&task);
}

static void
s_handle_cancel (hub_buyer_api_t *self, zframe_t *peer, uint64_t seq, const char *key,
                 const char *task_id)
{
    bool owned;
    hub_task_t *task = s_buyer_task (self, peer, seq, key, task_id, &owned);
    if (!task)
        return;
    if (owned || hub_task_state_terminal (task->state)) {
        fg_outbox_refuse (self->outbox, self->sock, peer, seq, FG_E_STATE, "task %s is already %s",
                          task->id, hub_task_state_name (task->state));
        if (owned)
            hub_task_destroy (&task);
        return;
    }
    if (task->state == HUB_TASK_ASSIGNED || task->state == HUB_TASK_RUNNING)
        hub_miner_api_stop (self->miner_api, task);
    //  What it printed until now is its output: no result will come
    Fogrid__TaskResult printed = FOGRID__TASK_RESULT__INIT;
    if (self->logs && hub_logs_as_result (self->logs, task->id, &printed) == 0) {
        hub_store_task_output_set (self->store, task->id, &printed);
        hub_logs_result_reset (&printed);
    }
    hub_tasks_change (self->tasks, task, HUB_TASK_CANCELLED, "cancelled by the buyer");
    s_reply_task_info (self, peer, seq, task);
    hub_tasks_retire (self->tasks, task);
}

//  A task's output from an offset: from its ring while it runs (and a
//  while after), else from its stored output
static void
s_handle_logs (hub_buyer_api_t *self, zframe_t *peer, uint64_t seq, const char *key,
               Fogrid__LogsRequest *request)
{
    bool owned;
    hub_task_t *task = s_buyer_task (self, peer, seq, key, request->task_id, &owned);
    if (!task)
        return;
    Fogrid__LogsReply reply = FOGRID__LOGS_REPLY__INIT;
    hub_output_t output;
    bool loaded = false;
    size_t max = (size_t) self->config->max_message / 2;
    if (!self->logs || hub_logs_read (self->logs, task->id, request->offset, max, &reply)) {
        if (hub_task_state_terminal (task->state)
        &&  hub_store_task_output (self->store, task->id, &output) == 0) {
            loaded = true;
            hub_logs_read_stored (zchunk_data (output.stdout_data),
                                  zchunk_size (output.stdout_data),
                                  zchunk_data (output.stderr_data),
                                  zchunk_size (output.stderr_data), request->offset, max, &reply);
        }
        else
            reply.next_offset = request->offset;       //  nothing printed yet
    }
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_LOGS_REPLY;
    env.logs_reply = &reply;
    fg_outbox_answer (self->outbox, self->sock, peer, &env);
    hub_logs_reply_reset (&reply);
    if (loaded)
        hub_output_reset (&output);
    if (owned)
        hub_task_destroy (&task);
}

bool
hub_buyer_api_handle (hub_buyer_api_t *self, zframe_t *peer, uint64_t seq, const char *key,
                      fg_env_t *env)
{
    switch (env->body_case) {
        case FOGRID__ENVELOPE__BODY_SUBMIT:
            s_handle_submit (self, peer, seq, key, env->submit);
            return true;
        case FOGRID__ENVELOPE__BODY_STATUS:
            s_handle_status (self, peer, seq, key, env->status->task_id);
            return true;
        case FOGRID__ENVELOPE__BODY_RESULT:
            s_handle_result (self, peer, seq, key, env->result->task_id);
            return true;
        case FOGRID__ENVELOPE__BODY_CANCEL:
            s_handle_cancel (self, peer, seq, key, env->cancel->task_id);
            return true;
        case FOGRID__ENVELOPE__BODY_LOGS:
            s_handle_logs (self, peer, seq, key, env->logs);
            return true;
        default:
            return hub_array_api_handle (self->arrays, peer, seq, key, env);
    }
}
