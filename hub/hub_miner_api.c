/*  =========================================================================
    hub_miner_api - the miners' side of the hub: their hello, heartbeats,
    goodbyes, TaskStarted and TaskResult, the loss of a miner, and the
    silence rules

    DESIGN
    A miner id belongs to the key that first said hello with it (the
    store keeps it), so no other machine can take over its tasks or its
    earnings. A hello lists what the miner still runs: the current
    assignments are kept (a restart restores each miner of an assigned
    task as disconnected: it keeps its tasks if it says hello in time),
    the rest killed, and what the hub gave it that it does not run any
    more is lost. Results and TaskStarted count only from the miner of the
    current attempt with its number (hub_tasks_is_current); anything else
    is refused as FG_E_STALE and told to stop, so a miner that comes back
    from a partition cannot complete a task twice. A connection that has
    not said hello (a restarted hub's miners) gets FG_E_HELLO instead, and
    nothing changes: it says hello, then resends.

    A lost miner (silent past hub/dead_ms, its connection gone, or it said
    goodbye) is dead: its tasks go back to the queue as a new attempt, or
    fail when their retries are spent. The hub also stops what runs long
    past its timeout (the miner enforces timeouts; the hub's backstop
    means the miner lost track). Everything it says waits in the outbox
    for the burst's commit: a receipt in the Ok to a result is the hub's
    word that it paid.
    =========================================================================  */
#include "fogrid.h"
#include "fg_expr.h"
#include "hub_miner_api.h"
#include "hub_logs.h"

#define S_BACKSTOP_MS       60000       //  past a running task's timeout

struct _hub_miner_api_t {
    hub_miners_t *miners;       //  the miner table (not owned)
    hub_tasks_t *tasks;         //  the unfinished tasks (not owned)
    hub_escrow_t *escrow;       //  the hub's own miners (not owned)
    hub_wallet_t *wallet;       //  receipts (not owned)
    hub_store_t *store;         //  miner keys, outputs (not owned)
    const hub_config_t *config; //  heartbeat_ms and the silence rules
    hub_stats_t *stats;         //  counted here: requeued, miners lost and left, missed heartbeats
    fg_outbox_t *outbox;        //  what it says waits here for the commit (not owned)
    zsock_t *sock;              //  the miners' ROUTER (not owned)
    hub_logs_t *logs;           //  running tasks' output (not owned); NULL = none kept
    hub_court_t *court;         //  whether results stand (not owned), NULL = paid at once
};

hub_miner_api_t *
hub_miner_api_new (hub_miners_t *miners, hub_tasks_t *tasks, hub_escrow_t *escrow,
                   hub_wallet_t *wallet, hub_store_t *store, const hub_config_t *config,
                   hub_stats_t *stats, fg_outbox_t *outbox, zsock_t *sock)
{
    hub_miner_api_t *self = (hub_miner_api_t *) zmalloc (sizeof (hub_miner_api_t));
    self->miners = miners;
    self->tasks = tasks;
    self->escrow = escrow;
    self->wallet = wallet;
    self->store = store;
    self->config = config;
    self->stats = stats;
    self->outbox = outbox;
    self->sock = sock;
    return self;
}

void
hub_miner_api_set_logs (hub_miner_api_t *self, hub_logs_t *logs)
{
    self->logs = logs;
}

void
hub_miner_api_set_court (hub_miner_api_t *self, hub_court_t *court)
{
    self->court = court;
}

void
hub_miner_api_destroy (hub_miner_api_t **self_p)
{
    if (*self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Losing miners

//  Takes the task off its miner and requeues it as a new attempt, or
//  fails it when its retries are spent.
static void
s_task_lost (hub_miner_api_t *self, hub_task_t *task, const char *why)
{
    hub_miner_t *miner = hub_miners_lookup (self->miners, task->miner_id);
    if (miner)
        hub_miners_release (miner, task->id);
    if (task->retries_left > 0) {
        hub_tasks_change (self->tasks, task, HUB_TASK_PENDING, why);
        self->stats->requeued++;
    }
    else {
        char reason [256];
        snprintf (reason, sizeof reason, "miner lost, no retries left (%s)", why);
        hub_tasks_change (self->tasks, task, HUB_TASK_FAILED, reason);
        hub_tasks_retire (self->tasks, task);
    }
}

//  --------------------------------------------------------------------------
//  Sending to miners

//  Sends to a miner (an answer to it, or work of the hub's own accord),
//  or returns -1 when it has no connection. A send the socket refuses
//  later, at the commit, means the connection is gone: s_refused.
static int
s_send_miner (hub_miner_api_t *self, hub_miner_t *miner, fg_env_t *env, bool notice)
{
    if (!miner->routing || miner->state == HUB_MINER_DEAD)
        return -1;
    if (notice)
        fg_outbox_notice (self->outbox, self->sock, miner->routing, env);
    else
        fg_outbox_answer (self->outbox, self->sock, miner->routing, env);
    return 0;
}

static void
s_send_kill (hub_miner_api_t *self, zframe_t *routing, const char *task_id, uint32_t attempt)
{
    Fogrid__TaskKill kill = FOGRID__TASK_KILL__INIT;
    kill.task_id = (char *) task_id;
    kill.attempt = attempt;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_KILL;
    env.task_kill = &kill;
    fg_outbox_notice (self->outbox, self->sock, routing, &env);
}

//  The miner is dead (gone, silent for good, or it said it stops): its
//  tasks go back to the queue (or fail).
static void
s_miner_dead (hub_miner_api_t *self, hub_miner_t *miner, const char *why)
{
    hub_miners_set_state (miner, HUB_MINER_DEAD, why);
    zlistx_t *ids = zhashx_keys (miner->tasks);
    char reason [256];
    snprintf (reason, sizeof reason, "miner %s lost: %s", miner->id, why);
    for (char *id = (char *) zlistx_first (ids); id; id = (char *) zlistx_next (ids)) {
        hub_task_t *task = hub_tasks_lookup (self->tasks, id);
        if (task && streq (task->miner_id, miner->id))
            s_task_lost (self, task, reason);
        else
            hub_miners_release (miner, id);
    }
    zlistx_destroy (&ids);
}

//  ... without a word: counted as lost
static void
s_miner_lost (hub_miner_api_t *self, hub_miner_t *miner, const char *why)
{
    self->stats->miners_lost++;
    s_miner_dead (self, miner, why);
}

//  --------------------------------------------------------------------------
//  Miner messages

//  Ok to a miner's request, with the receipt of a payout (may be NULL).
static void
s_answer_ok (hub_miner_api_t *self, zframe_t *peer, uint64_t seq, const char *text,
             const char *receipt)
{
    Fogrid__Ok ok = FOGRID__OK__INIT;
    ok.text = (char *) text;
    ok.receipt = (char *) (receipt? receipt: "");
    fg_env_t reply = FOGRID__ENVELOPE__INIT;
    reply.seq = seq;
    reply.body_case = FOGRID__ENVELOPE__BODY_OK;
    reply.ok = &ok;
    fg_outbox_answer (self->outbox, self->sock, peer, &reply);
}

static void
s_handle_hello (hub_miner_api_t *self, zframe_t *peer, uint64_t seq, const char *key,
                Fogrid__MinerHello *hello)
{
    //  Its names, labels and terms go out in MinersReply: UTF-8 or nothing
    char field [128];
    if (fg_msg_utf8_find (&hello->base, field, sizeof field)) {
        fg_outbox_refuse (self->outbox, self->sock, peer, seq, FG_E_INVALID,
                          "hello refused: %s is not UTF-8, which every text a miner sends must be",
                          field);
        return;
    }
    if (!*hello->miner_id || !fg_text_valid (hello->miner_id, 63) || strchr (hello->miner_id, ' ')
    ||  !fg_text_valid (hello->name, 255) || !fg_text_valid (hello->version, 64)) {
        fg_outbox_refuse (self->outbox, self->sock, peer, seq, FG_E_INVALID,
                          "hello refused: miner_id (1..63), name and version must be printable");
        return;
    }
    char why [256];
    if (hello->resources && fg_expr_check (hello->resources->constraint, why, sizeof why)) {
        fg_outbox_refuse (self->outbox, self->sock, peer, seq, FG_E_INVALID,
                          "hello refused: the miner's constraint: %s", why);
        return;
    }
    if (hello->resources && (hello->resources->price > (uint64_t) INT64_MAX
                         ||  hello->resources->service_price > (uint64_t) INT64_MAX)) {
        fg_outbox_refuse (self->outbox, self->sock, peer, seq, FG_E_INVALID,
                          "hello refused: price %" PRIu64 " or service price %" PRIu64
                          " is over %" PRId64, hello->resources->price,
                          hello->resources->service_price, INT64_MAX);
        return;
    }
    //  A miner id belongs to the key that first said hello with it, so no
    //  other machine can take over its tasks or its earnings
    if (*key) {
        char meta [128], owner [64] = "";
        snprintf (meta, sizeof meta, "miner_key/%s", hello->miner_id);
        if (hub_store_meta_get (self->store, meta, owner, sizeof owner) == 0) {
            if (!streq (owner, key)) {
                zsys_warning ("miner %s: hello refused: the id belongs to another key "
                              "(%.12s..., not %.12s...)", hello->miner_id, owner, key);
                fg_outbox_refuse (self->outbox, self->sock, peer, seq, FG_E_DENIED,
                                  "hello refused: miner id %s belongs to another key",
                                  hello->miner_id);
                return;
            }
        }
        else
        if (hub_store_meta_set (self->store, meta, key)) {
            fg_outbox_refuse (self->outbox, self->sock, peer, seq, FG_E_INTERNAL,
                              "hello refused: the hub cannot record the miner's key");
            return;
        }
    }
    hub_miner_t *miner = hub_miners_hello (self->miners, hello, peer, fg_now_ms ());
    //  A miner with the hub's own key is the hub: it is never paid
    if (*key && streq (key, fg_security_public_key ()) && hub_escrow_mark_own (self->escrow, miner))
        zsys_warning ("miner %s runs with the hub's own key: its tasks run unpaid "
                      "(a hub cannot pay itself)", miner->id);
    zsys_info ("miner %s (%s) hello: %u cores, %" PRIu64 " MB, %u GPUs, price %" PRIu64
               ", %zu tasks running", miner->id, miner->name, miner->resources->cores,
               miner->resources->mem_mb, miner->resources->gpus, miner->resources->price,
               hello->n_running);

    //  What it runs: keep the current assignments, kill the rest
    Fogrid__TaskRef **keep = (Fogrid__TaskRef **) zmalloc (sizeof (Fogrid__TaskRef *) * (hello->n_running + 1));
    Fogrid__TaskRef **kill = (Fogrid__TaskRef **) zmalloc (sizeof (Fogrid__TaskRef *) * (hello->n_running + 1));
    size_t n_keep = 0, n_kill = 0;
    zhashx_t *kept = zhashx_new ();         //  task ids it still runs for us
    for (size_t index = 0; index < hello->n_running; index++) {
        Fogrid__TaskRef *ref = hello->running [index];
        hub_task_t *task = hub_tasks_lookup (self->tasks, ref->task_id);
        if (hub_tasks_is_current (task, miner? miner->id: NULL, ref->attempt)) {
            keep [n_keep++] = ref;
            zhashx_insert (kept, task->id, task);
            if (!hub_miners_has_task (miner, task->id))
                hub_miners_reserve (miner, task->id, hub_task_cores (task),
                                    task->spec->mem_mb, task->spec->gpus);
            if (task->state == HUB_TASK_ASSIGNED)
                hub_tasks_change (self->tasks, task, HUB_TASK_RUNNING, "reported running in hello");
        }
        else
            kill [n_kill++] = ref;
    }
    //  What we gave it and it does not run any more: it lost them
    zlistx_t *ids = zhashx_keys (miner->tasks);
    for (char *id = (char *) zlistx_first (ids); id; id = (char *) zlistx_next (ids)) {
        hub_task_t *task = hub_tasks_lookup (self->tasks, id);
        if (zhashx_lookup (kept, id))
            continue;
        if (task && streq (task->miner_id, miner->id)) {
            char why [128];
            snprintf (why, sizeof why, "miner %s came back without it", miner->id);
            s_task_lost (self, task, why);
        }
        else
            hub_miners_release (miner, id);
    }
    zlistx_destroy (&ids);
    zhashx_destroy (&kept);

    Fogrid__MinerWelcome welcome = FOGRID__MINER_WELCOME__INIT;
    welcome.heartbeat_ms = (uint32_t) self->config->heartbeat_ms;
    welcome.batches = true;
    welcome.n_keep = n_keep;
    welcome.keep = keep;
    welcome.n_kill = n_kill;
    welcome.kill = kill;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_MINER_WELCOME;
    env.miner_welcome = &welcome;
    if (s_send_miner (self, miner, &env, false))
        s_miner_lost (self, miner, "its connection is gone (send refused)");
    free (keep);
    free (kill);
}

static void
s_handle_heartbeat (hub_miner_api_t *self, zframe_t *peer, uint64_t seq,
                    Fogrid__MinerHeartbeat *heartbeat)
{
    hub_miner_t *miner = hub_miners_by_routing (self->miners, peer);
    if (!miner || miner->state == HUB_MINER_DEAD || !streq (miner->id, heartbeat->miner_id)) {
        fg_debug ("miner %.63s: heartbeat from an unknown or dead miner: asking for hello",
                  heartbeat->miner_id);
        fg_outbox_refuse (self->outbox, self->sock, peer, seq, FG_E_NOT_FOUND,
                          "unknown miner %.63s: say hello", heartbeat->miner_id);
        return;
    }
    hub_miners_heartbeat (self->miners, miner, heartbeat->load, fg_now_ms ());
    //  Work it runs that is not its current assignment is stopped
    for (size_t index = 0; index < heartbeat->n_running; index++) {
        Fogrid__TaskRef *ref = heartbeat->running [index];
        hub_task_t *task = hub_tasks_lookup (self->tasks, ref->task_id);
        if (!hub_tasks_is_current (task, miner? miner->id: NULL, ref->attempt)) {
            zsys_info ("miner %s runs %.63s attempt %u, which is not its assignment: kill",
                       miner->id, ref->task_id, ref->attempt);
            s_send_kill (self, peer, ref->task_id, ref->attempt);
        }
        else
        if (task->state == HUB_TASK_ASSIGNED)
            hub_tasks_change (self->tasks, task, HUB_TASK_RUNNING, "reported running in heartbeat");
    }
}

//  A miner that stops says so: lost now, its tasks back in the queue,
//  instead of work sent to it until hub/dead_ms passes. Only from its
//  own connection, for its own id; no answer (it is gone).
static void
s_handle_bye (hub_miner_api_t *self, zframe_t *peer, Fogrid__MinerBye *bye)
{
    hub_miner_t *miner = hub_miners_by_routing (self->miners, peer);
    if (!miner || miner->state == HUB_MINER_DEAD || !streq (miner->id, bye->miner_id)) {
        fg_debug ("miner %.63s: goodbye from an unknown or dead miner: ignored", bye->miner_id);
        return;
    }
    char why [128];
    snprintf (why, sizeof why, "it said goodbye (%.64s)",
              fg_text_valid (bye->reason, 64) && *bye->reason? bye->reason: "no reason");
    //  Counted apart from the lost: a clean restart is no operator's alarm
    self->stats->miners_left++;
    s_miner_dead (self, miner, why);
}

static void
s_handle_started (hub_miner_api_t *self, zframe_t *peer, uint64_t seq, Fogrid__TaskStarted *started)
{
    hub_miner_t *miner = hub_miners_by_routing (self->miners, peer);
    if (!miner) {
        fg_outbox_refuse (self->outbox, self->sock, peer, seq, FG_E_HELLO,
                          "say hello first: this connection has not said MinerHello");
        return;
    }
    hub_task_t *task = hub_tasks_lookup (self->tasks, started->task_id);
    if (!hub_tasks_is_current (task, miner? miner->id: NULL, started->attempt)) {
        zsys_warning ("miner %s started %.63s attempt %u, which is not its assignment: kill",
                      miner->id, started->task_id, started->attempt);
        s_send_kill (self, peer, started->task_id, started->attempt);
        return;
    }
    if (task->state == HUB_TASK_ASSIGNED)
        hub_tasks_change (self->tasks, task, HUB_TASK_RUNNING, NULL);
}

//  What the hub says to one result: an Ok (code 0, with a paid result's
//  receipt) or an Error (code, text). Alone it goes as that; in a
//  TaskResultBatch it is one ResultAck of the answer.
typedef struct {
    fg_error_t code;
    char text [512];
    char *receipt;              //  owned, may be NULL
} s_ack_t;

static void
s_ack_set (s_ack_t *ack, fg_error_t code, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_ack_set (s_ack_t *ack, fg_error_t code, const char *format, ...)
{
    ack->code = code;
    va_list args;
    va_start (args, format);
    vsnprintf (ack->text, sizeof ack->text, format, args);
    va_end (args);
}

static void
s_task_result (hub_miner_api_t *self, hub_miner_t *miner, Fogrid__TaskResult *result,
               s_ack_t *ack)
{
    memset (ack, 0, sizeof *ack);
    if (!miner) {
        //  Not stale: a restarted hub (or a new connection) does not know
        //  who speaks yet. The miner keeps the result, says hello (which
        //  lists what it holds, so the hub keeps the current attempt) and
        //  sends it again; nothing changes until then
        s_ack_set (ack, FG_E_HELLO, "say hello first: this connection has not said MinerHello");
        return;
    }
    const char *who = miner->id;
    hub_task_t *task = hub_tasks_lookup (self->tasks, result->task_id);
    if (!task) {
        hub_task_t *stored = fg_text_valid (result->task_id, 63)
                           ? hub_store_task_load (self->store, result->task_id): NULL;
        if (!stored)
            s_ack_set (ack, FG_E_NOT_FOUND, "no task %.63s", result->task_id);
        else {
            zsys_warning ("miner %s: result for %s attempt %u refused: the task is already %s",
                          who, stored->id, result->attempt, hub_task_state_name (stored->state));
            s_ack_set (ack, FG_E_STALE, "result for attempt %u refused: task %s is already %s",
                       result->attempt, stored->id, hub_task_state_name (stored->state));
            hub_task_destroy (&stored);
        }
        return;
    }
    if (!hub_tasks_is_current (task, miner? miner->id: NULL, result->attempt)) {
        zsys_warning ("miner %s: result for %s attempt %u refused: current attempt is %u "
                      "(miner %s)", who, task->id, result->attempt, task->attempt,
                      *task->miner_id? task->miner_id: "none");
        s_ack_set (ack, FG_E_STALE, "result for attempt %u refused: current attempt is %u",
                   result->attempt, task->attempt);
        return;
    }
    char reason [512] = "";
    if (result->refused) {
        //  Not the task's fault: it goes back to the queue, on its retry
        //  budget (a miner that keeps refusing cannot keep it circling)
        snprintf (reason, sizeof reason, "miner %s refused it: %.400s", miner->id,
                  *result->error? result->error: "no reason given");
        fg_msg_utf8_clean (reason);
        zsys_warning ("task %s attempt %u: %s", task->id, task->attempt, reason);
        miner->refusing = true;
        s_task_lost (self, task, reason);
        s_ack_set (ack, FG_OK, "placed again");
        return;
    }
    bool success = false;
    if (*result->error)
        snprintf (reason, sizeof reason, "could not run: %.400s", result->error);
    else
    if (result->timed_out)
        snprintf (reason, sizeof reason, "timed out after %u s", task->spec->timeout_s);
    else
    if (result->term_signal)
        snprintf (reason, sizeof reason, "killed by signal %d", result->term_signal);
    else
    if (result->exit_code != 0)
        snprintf (reason, sizeof reason, "exit code %d", result->exit_code);
    else
        success = true;
    fg_msg_utf8_clean (reason);     //  the miner's text, or a character cut at 400 bytes
    task->exit_code = result->exit_code;
    task->term_signal = result->term_signal;
    task->timed_out = result->timed_out;
    hub_miners_release (miner, task->id);
    hub_store_task_output_set (self->store, task->id, result);
    //  Whether it stands is the court's: with a window (or replicas) its
    //  pay waits in escrow until it is resolved
    if (self->court)
        hub_court_result (self->court, task, result);
    hub_tasks_change (self->tasks, task, success? HUB_TASK_SUCCEEDED: HUB_TASK_FAILED, reason);
    //  A receipt is the hub's word that it paid: it waits in the outbox for
    //  the commit, and a failed commit sends an error in its place
    ack->receipt = success? hub_wallet_receipt (self->wallet, task->id): NULL;
    s_ack_set (ack, FG_OK, "%s", ack->receipt? "paid"
               : success && task->resolution == HUB_RESOLUTION_PENDING? "pending resolution": "");
    hub_tasks_retire (self->tasks, task);
}

static void
s_handle_task_result (hub_miner_api_t *self, zframe_t *peer, uint64_t seq, Fogrid__TaskResult *result)
{
    s_ack_t ack;
    s_task_result (self, hub_miners_by_routing (self->miners, peer), result, &ack);
    if (ack.code)
        fg_outbox_refuse (self->outbox, self->sock, peer, seq, ack.code, "%s", ack.text);
    else
        s_answer_ok (self, peer, seq, ack.text, ack.receipt);
    zstr_free (&ack.receipt);
}

//  Results that ended close together, in one message: answered in one
//  ResultAcks, each ack what the result alone would have got.
static void
s_handle_result_batch (hub_miner_api_t *self, zframe_t *peer, uint64_t seq,
                       Fogrid__TaskResultBatch *batch)
{
    hub_miner_t *miner = hub_miners_by_routing (self->miners, peer);
    size_t count = batch->n_results;
    Fogrid__ResultAck *acks = (Fogrid__ResultAck *) zmalloc (sizeof (Fogrid__ResultAck) * (count + 1));
    Fogrid__ResultAck **list = (Fogrid__ResultAck **) zmalloc (sizeof (Fogrid__ResultAck *) * (count + 1));
    s_ack_t *done = (s_ack_t *) zmalloc (sizeof (s_ack_t) * (count + 1));
    for (size_t index = 0; index < count; index++) {
        Fogrid__TaskResult *result = batch->results [index];
        s_task_result (self, miner, result, &done [index]);
        fogrid__result_ack__init (&acks [index]);
        acks [index].task_id = result->task_id;
        acks [index].attempt = result->attempt;
        acks [index].code = (uint32_t) done [index].code;
        acks [index].text = done [index].text;
        acks [index].receipt = done [index].receipt? done [index].receipt: "";
        list [index] = &acks [index];
    }
    Fogrid__ResultAcks reply = FOGRID__RESULT_ACKS__INIT;
    reply.acks = list;
    reply.n_acks = count;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_RESULT_ACKS;
    env.result_acks = &reply;
    fg_outbox_answer (self->outbox, self->sock, peer, &env);
    for (size_t index = 0; index < count; index++)
        zstr_free (&done [index].receipt);
    free (done);
    free (list);
    free (acks);
}

void
hub_miner_api_list (hub_miner_api_t *self, zsock_t *router, zframe_t *peer, uint64_t seq)
{
    size_t count = hub_miners_size (self->miners), index = 0;
    Fogrid__MinerInfo *infos = (Fogrid__MinerInfo *) zmalloc (sizeof (Fogrid__MinerInfo) * (count + 1));
    Fogrid__MinerInfo **list = (Fogrid__MinerInfo **) zmalloc (sizeof (Fogrid__MinerInfo *) * (count + 1));
    zlist_t *keys = zlist_new ();           //  task id lists, freed after the send
    for (hub_miner_t *miner = hub_miners_first (self->miners); miner;
         miner = hub_miners_next (self->miners), index++) {
        Fogrid__MinerInfo *info = &infos [index];
        fogrid__miner_info__init (info);
        info->miner_id = miner->id;
        info->name = miner->name;
        info->state = (char *) hub_miner_state_name (miner->state);
        info->resources = miner->resources;
        info->load = miner->load;
        info->last_seen_ms = (uint64_t) miner->last_seen_ms;
        info->connected_ms = (uint64_t) miner->connected_ms;
        if (self->court) {
            hub_reputation_record_t record;
            hub_reputation_get (hub_court_reputation (self->court), miner->id, &record);
            info->resolved = record.resolved;
            info->mismatches = record.mismatches;
            info->verdicts_lost = record.verdicts_lost;
            info->reputation = record.score;
            char stake [HUB_ACCOUNT_MAX];
            hub_escrow_stake_account (miner->id, stake, sizeof stake);
            info->stake = hub_escrow_balance (self->escrow, stake);
        }
        zlistx_t *ids = zhashx_keys (miner->tasks);
        info->n_tasks = zlistx_size (ids);
        info->tasks = (char **) zmalloc (sizeof (char *) * (info->n_tasks + 1));
        size_t slot = 0;
        for (char *id = (char *) zlistx_first (ids); id; id = (char *) zlistx_next (ids))
            info->tasks [slot++] = id;
        zlist_append (keys, ids);
        list [index] = info;
    }
    Fogrid__MinersReply reply = FOGRID__MINERS_REPLY__INIT;
    reply.n_miners = count;
    reply.miners = list;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_MINERS_REPLY;
    env.miners_reply = &reply;
    fg_outbox_answer (self->outbox, router, peer, &env);
    for (index = 0; index < count; index++)
        free (infos [index].tasks);
    for (zlistx_t *ids = (zlistx_t *) zlist_first (keys); ids; ids = (zlistx_t *) zlist_next (keys))
        zlistx_destroy (&ids);
    zlist_destroy (&keys);
    free (infos);
    free (list);
}


//  Output of a running task, as its miner read it; nothing is answered
static void
s_handle_output (hub_miner_api_t *self, zframe_t *peer, Fogrid__TaskOutput *output)
{
    hub_miner_t *miner = hub_miners_by_routing (self->miners, peer);
    hub_task_t *task = hub_tasks_lookup (self->tasks, output->task_id);
    if (!self->logs || !miner || !hub_tasks_is_current (task, miner->id, output->attempt))
        return;                 //  late or not its task: nothing to keep
    for (size_t index = 0; index < output->n_chunks; index++)
        hub_logs_append (self->logs, task->id, output->chunks [index]->stream,
                         output->chunks [index]->data.data, output->chunks [index]->data.len);
}

bool
hub_miner_api_handle (hub_miner_api_t *self, zframe_t *peer, uint64_t seq, const char *key,
                      fg_env_t *env)
{
    switch (env->body_case) {
        case FOGRID__ENVELOPE__BODY_MINER_HELLO:
            s_handle_hello (self, peer, seq, key, env->miner_hello);
            return true;
        case FOGRID__ENVELOPE__BODY_MINER_HEARTBEAT:
            s_handle_heartbeat (self, peer, seq, env->miner_heartbeat);
            return true;
        case FOGRID__ENVELOPE__BODY_TASK_STARTED:
            s_handle_started (self, peer, seq, env->task_started);
            return true;
        case FOGRID__ENVELOPE__BODY_MINER_BYE:
            s_handle_bye (self, peer, env->miner_bye);
            return true;
        case FOGRID__ENVELOPE__BODY_TASK_RESULT:
            s_handle_task_result (self, peer, seq, env->task_result);
            return true;
        case FOGRID__ENVELOPE__BODY_TASK_STARTED_BATCH:
            for (size_t index = 0; index < env->task_started_batch->n_started; index++)
                s_handle_started (self, peer, seq, env->task_started_batch->started [index]);
            return true;
        case FOGRID__ENVELOPE__BODY_TASK_RESULT_BATCH:
            s_handle_result_batch (self, peer, seq, env->task_result_batch);
            return true;
        case FOGRID__ENVELOPE__BODY_TASK_OUTPUT:
            s_handle_output (self, peer, env->task_output);
            return true;
        default:
            return false;
    }
}

void
hub_miner_api_lost (hub_miner_api_t *self, hub_miner_t *miner, const char *why)
{
    s_miner_lost (self, miner, why);
}

void
hub_miner_api_stop (hub_miner_api_t *self, hub_task_t *task)
{
    hub_miner_t *miner = hub_miners_lookup (self->miners, task->miner_id);
    if (miner) {
        hub_miners_release (miner, task->id);
        if (miner->routing && miner->state != HUB_MINER_DEAD)
            s_send_kill (self, miner->routing, task->id, task->attempt);
    }
}

void
hub_miner_api_tick (hub_miner_api_t *self, int64_t now)
{
    zlist_t *died = zlist_new ();
    zlist_autofree (died);
    //  Miners that fall silent now have missed their heartbeats: counted
    uint64_t before [HUB_MINER_STATES], after [HUB_MINER_STATES];
    hub_miners_count_states (self->miners, before);
    hub_miners_check (self->miners, now, self->config->disconnect_ms, self->config->dead_ms, died);
    hub_miners_count_states (self->miners, after);
    if (after [HUB_MINER_CONNECTED] < before [HUB_MINER_CONNECTED])
        self->stats->heartbeats_missed += before [HUB_MINER_CONNECTED] - after [HUB_MINER_CONNECTED];
    for (char *id = (char *) zlist_first (died); id; id = (char *) zlist_next (died)) {
        hub_miner_t *miner = hub_miners_lookup (self->miners, id);
        if (miner)
            s_miner_lost (self, miner, "no heartbeat");
    }
    zlist_destroy (&died);

    //  Backstop: the miner enforces timeouts; a task still running long
    //  after its own means the miner lost track of it
    zlist_t *overdue = zlist_new ();
    for (hub_task_t *task = hub_tasks_running_first (self->tasks); task;
         task = hub_tasks_running_next (self->tasks))
        if (now - task->updated_ms > (int64_t) task->spec->timeout_s * 1000 + S_BACKSTOP_MS)
            zlist_append (overdue, task);
    for (hub_task_t *task = (hub_task_t *) zlist_first (overdue); task;
         task = (hub_task_t *) zlist_next (overdue)) {
        hub_miner_api_stop (self, task);
        task->timed_out = true;
        task->exit_code = -1;
        hub_tasks_change (self->tasks, task, HUB_TASK_FAILED,
                       "timed out: no result 60 s past its timeout (hub backstop)");
        hub_tasks_retire (self->tasks, task);
    }
    zlist_destroy (&overdue);
}
