/*  =========================================================================
    miner_link - one hub connection of the miner

    DESIGN
    The agent's thread owns every link; each task runs in a miner_runner
    actor of its own, whose pipe the agent polls with the link's DEALER,
    so nothing a task does can stall the heartbeats. Conversations are in
    proto/fogrid.proto.

    The hub answers a heartbeat with nothing when all is well, so silence
    is not a sign of a dead hub. What tells it is the connection (the
    DEALER, its pings and its monitor: miner_conn.h). A link that stays down for three heartbeat intervals, or a hello
    left unanswered as long, makes the link drop the socket and ask the
    agent for a hub again (the locator may now name another address). A
    hub that restarted on the same address is reached again by ZeroMQ
    itself; it does not know the miner, answers the next heartbeat with
    FG_E_NOT_FOUND, and the link says hello again.

    The seq of each request carries what the request was in its low three
    bits (S_SEQ_HELLO, ...), so an Error reply tells whether it answered a
    heartbeat (say hello again) or a result (the hub refused it: log it)
    without a table of requests in flight.

    The share. A link offers its hub a share of the machine (the agent
    divides cores, memory, disk and GPUs among its links by
    miner/hub_shares): the hello carries the share, the heartbeats what
    this link's own tasks use, and the hello's and heartbeats' lists of
    running tasks only this link's, so a hub never sees (nor kills) what
    another hub gave the miner. The hub's own accounting keeps within
    the share; the link checks again (a hub that got it wrong, or lies):
    a TaskAssign that does not fit what is free of the share (cores, 0
    counting as 1; memory and GPUs when the task names them; disk as a
    bound) is answered at once with a TaskResult marked refused, whose
    error says why; the hub places the task again (on its retry budget).
    The tasks themselves, their runners and what they take of the share,
    are a class of their own (miner_tasks.h); the link keeps the wire.

    Task events: TaskAssign starts a runner and answers TaskStarted (also
    when the program cannot run: the result then follows at once with an
    error). TaskKill, and the `kill` list of a MinerWelcome, SIGKILL the
    task's process group and report nothing: the hub asked, it has already
    decided what becomes of the task, and it would refuse a result for that
    attempt. Every other ending is sent as a TaskResult, on this link, to
    the hub that assigned the task, and kept until that hub answers
    (miner_results.h says when it is held, and sent again after the next
    welcome). A link that loses its hub keeps its tasks running and its
    share to itself (the other hubs were told theirs); the next hub it
    reaches learns of them in the hello and has them killed when they are
    not its own.

    Before it works for a hub the link checks it (miner_trust.h: the hub
    registry, the hub's signed wallet statement, the miner's rating of the
    hub): when the check is required (miner/require_registry,
    miner/min_stake) the statement is asked before the hello, otherwise
    with it; and again every miner/recheck_s. A hub the check refuses is
    left (the reason logged) and tried again only after the others.

    state      event                          next       action
    -----      -----                          ----       ------
    no-hub     timer (the agent names a hub)  hello      new DEALER, send MinerHello
                                                         (and WalletStatement unless trusted)
    no-hub     same, the check is required    check      new DEALER, send WalletStatement
    check      the statement holds            hello      send MinerHello
    check      it does not, or none in time   no-hub     drop the DEALER, try again in 2 s
    hello, ready   a statement that fails     no-hub     drop the DEALER, try again in 2 s
    ready      recheck timer                  ready      send WalletStatement
    no-hub     timer (no hub for this link)   no-hub     log why, try again in 1 s
    hello      MinerWelcome                   ready      take its heartbeat_ms, kill its `kill` list
    hello      no welcome in 3 intervals      no-hub     drop the DEALER
    ready      timer                          ready      send MinerHeartbeat
    ready      TaskAssign that fits the share ready      start a runner, send TaskStarted
    ready      TaskAssign that does not fit   ready      send TaskResult with the error
    ready      Error NOT_FOUND to heartbeat   hello      send MinerHello
               or to TaskStarted, or
               FG_E_HELLO to anything
    hello      MinerWelcome, results held     ready      send the held results again
    ready      link up again after a loss     hello      send MinerHello
    ready      link down for 3 intervals      no-hub     drop the DEALER
    ready      the miner stops                (gone)     send MinerBye, kill the tasks
    =========================================================================  */
#include "fogrid.h"
#include "miner_link.h"
#include "miner_conn.h"
#include "miner_batch.h"
#include "miner_pipeline.h"
#include "miner_results.h"
#include "miner_tasks.h"
#include "miner_live.h"

static const char *s_state_names [] = { "?", "no-hub", "hello", "ready", "check" };

//  What a request was, in the low bits of its seq
#define S_SEQ_HELLO         1
#define S_SEQ_HEARTBEAT     2
#define S_SEQ_STARTED       3
#define S_SEQ_RESULT        4
#define S_SEQ_STATEMENT     5
#define S_SEQ_KIND(seq)     ((seq) & 7)

#define S_RESOLVE_RETRY_MS  1000
#define S_MIN_WAIT_MS       1000    //  least time to wait for a welcome
#define S_QUEUE_SLOTS       4       //  tasks held beyond the share (miner_pipeline.h)

struct _miner_link_t {
    size_t index;               //  among the agent's links, from 0
    char tag [120];             //  log prefix: "miner ID", or "miner ID, hub link N"
    miner_link_context_t context;   //  the agent's
    Fogrid__Resources share;    //  what this link offers (labels etc. point into the agent's)
    miner_runner_limits_t limits;   //  its runners': a container's memory cap is the share
    miner_trust_t *trust;       //  its checks of the hub (ratings shared with the other links)
    size_t hub_cursor;          //  its place in the configured hubs (context.pick's)
    char last_failure [700];    //  why the last attempt failed (logged once)
    bool quiet;                 //  the same failure again: log at debug level
    miner_conn_t *conn;         //  to the hub; NULL in no-hub
    miner_link_state_t state;   //  see the table above
    int64_t connect_at;         //  no-hub: when to try again
    int64_t welcome_by;         //  hello, check: give up on this hub after this
    int64_t heartbeat_at;       //  ready: next heartbeat
    int64_t output_at;          //  ready: next batch of running tasks' output (miner_live.h)
    size_t output_turn;         //  the task whose output goes first in it
    int64_t recheck_at;         //  ready: next check of the hub (0 = never)
    uint32_t heartbeat_ms;      //  from the welcome, else the config
    uint64_t seq;               //  last request number (before the kind bits)
    miner_tasks_t *tasks;       //  what its hub gave it, running
    miner_results_t *results;   //  sent and not answered yet, or held for a welcome
    uint64_t hello_seq;         //  of the last hello
    int64_t resend_at;          //  ready: send held results again (0 = not due)
    miner_pipeline_t *pipeline; //  tasks given beyond the share, TaskStarted owed
    bool batches;               //  the hub's welcome says it takes batches
    miner_batch_t *batch;       //  results of this turn, sent at its end
    //  What the last miner_link_items put in the poll set
    size_t dealer_at;           //  its index + 1, 0 = not polled
    size_t monitor_at;
    size_t first_runner;        //  the runners' index (miner_tasks_items)
};

static void
s_set_state (miner_link_t *self, miner_link_state_t next, const char *why)
{
    if (self->state != next && self->quiet)
        fg_debug ("%s: %s -> %s (%s)", self->tag, s_state_names [self->state],
                  s_state_names [next], why);
    else
    if (self->state != next)
        zsys_info ("%s: %s -> %s (%s)", self->tag, s_state_names [self->state],
                   s_state_names [next], why);
    self->state = next;
}

//  The hub's endpoint, "" in no-hub
static const char *
s_endpoint (miner_link_t *self)
{
    return self->conn? miner_conn_endpoint (self->conn): "";
}

static uint64_t
s_next_seq (miner_link_t *self, int kind)
{
    return (++self->seq << 3) | (uint64_t) kind;
}

static uint64_t s_result_seq (void *arg);
static int s_wire_send (void *arg, fg_env_t *env);

//  --------------------------------------------------------------------------
//  Life

miner_link_t *
miner_link_new (size_t index, const miner_link_context_t *context, const Fogrid__Resources *share,
                const miner_runner_limits_t *limits, miner_trust_t **trust_p)
{
    miner_link_t *self = (miner_link_t *) zmalloc (sizeof (miner_link_t));
    self->index = index;
    self->context = *context;
    self->share = *share;
    self->share.queue_slots = S_QUEUE_SLOTS;
    self->pipeline = miner_pipeline_new (S_QUEUE_SLOTS);
    self->limits = *limits;
    self->limits.offered_mem_mb = share->mem_mb;
    self->trust = *trust_p;
    *trust_p = NULL;
    self->hub_cursor = index;
    if (context->links > 1)
        snprintf (self->tag, sizeof self->tag, "miner %s, hub link %zu", context->miner_id,
                  index + 1);
    else
        snprintf (self->tag, sizeof self->tag, "miner %s", context->miner_id);
    self->state = MINER_LINK_NO_HUB;
    self->heartbeat_ms = context->heartbeat_ms;
    self->connect_at = zclock_mono ();
    self->tasks = miner_tasks_new ();
    self->results = miner_results_new ();
    miner_batch_wire_t wire = { s_result_seq, s_wire_send, self };
    self->batch = miner_batch_new (self->results, self->trust, &wire);
    return self;
}

static void s_disconnect (miner_link_t *self);

void
miner_link_kill_all (miner_link_t *self)
{
    miner_tasks_kill_all (self->tasks);
}

void
miner_link_destroy (miner_link_t **self_p)
{
    if (*self_p) {
        miner_link_t *self = *self_p;
        miner_tasks_destroy (&self->tasks);     //  killed all, then reaped
        s_disconnect (self);
        miner_batch_destroy (&self->batch);
        miner_results_destroy (&self->results);
        miner_pipeline_destroy (&self->pipeline);
        miner_trust_destroy (&self->trust);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  The hub connection

static void
s_disconnect (miner_link_t *self)
{
    if (self->trust)
        miner_trust_end (self->trust);
    miner_conn_destroy (&self->conn);
    //  What was in flight went with the socket: sent again after a welcome
    if (self->results)
        miner_results_hold_all (self->results);
    //  Tasks waiting for a slot are the hub's again: it places them
    //  anew when our next hello does not list them
    if (self->pipeline)
        miner_pipeline_clear (self->pipeline);
    //  (the results of the turn are kept: sent again after a welcome)
    if (self->batch)
        miner_batch_clear (self->batch);
    self->batches = false;
}

//  Logs why we have no hub once, then quietly while it stays the same
//  (a miner may wait for its hub for a long time).
static void
s_log_failure (miner_link_t *self, const char *why)
{
    self->quiet = streq (why, self->last_failure);
    if (self->quiet)
        fg_debug ("%s: %s", self->tag, why);
    else
        zsys_warning ("%s: %s", self->tag, why);
    snprintf (self->last_failure, sizeof self->last_failure, "%s", why);
}

static void
s_connect_failed (miner_link_t *self, const char *why)
{
    char text [700];
    snprintf (text, sizeof text, "%s; trying again every %d ms", why, S_RESOLVE_RETRY_MS);
    s_log_failure (self, text);
    self->connect_at = zclock_mono () + S_RESOLVE_RETRY_MS;
}

static void s_check_hub (miner_link_t *self);

//  no-hub -> hello (or check): a new DEALER to the hub the agent names,
//  watched by a monitor.
static void
s_connect (miner_link_t *self)
{
    char endpoint [300] = "", key [64] = "", why [600] = "";
    if (self->context.pick (self->context.arg, self, &self->hub_cursor, endpoint,
                            sizeof endpoint, key, why, sizeof why)) {
        s_connect_failed (self, why);
        return;
    }
    self->conn = miner_conn_new (self->tag, endpoint, key, self->heartbeat_ms, why, sizeof why);
    if (!self->conn) {
        s_disconnect (self);
        s_connect_failed (self, why);
        return;
    }
    if (self->quiet)
        fg_debug ("%s: connecting to the hub at %s", self->tag, endpoint);
    else
        zsys_info ("%s: connecting to the hub at %s", self->tag, endpoint);
    s_check_hub (self);
}

//  Drops the hub and looks for one again at once (the next configured
//  endpoint, or whatever the locators say now).
static void
s_reconnect (miner_link_t *self, const char *why)
{
    char text [700];
    snprintf (text, sizeof text, "leaving the hub at %s: %s", s_endpoint (self), why);
    s_log_failure (self, text);
    s_disconnect (self);
    self->hub_cursor++;
    self->connect_at = zclock_mono ();
    s_set_state (self, MINER_LINK_NO_HUB, why);
}

static int
s_send (miner_link_t *self, fg_env_t *env)
{
    return self->conn? miner_conn_send (self->conn, env): -1;
}

//  miner_batch_wire_t: a result's seq, and the DEALER
static uint64_t
s_result_seq (void *arg)
{
    return s_next_seq ((miner_link_t *) arg, S_SEQ_RESULT);
}

static int
s_wire_send (void *arg, fg_env_t *env)
{
    return s_send ((miner_link_t *) arg, env);
}

//  The tasks we still run for the hub (not those being killed), and with
//  results, those whose results the hub has not taken yet (so that a hub
//  that restarted keeps them its own until they come), as refs pointing
//  into refs_store; the caller frees both arrays.
static size_t
s_running_refs (miner_link_t *self, bool results, Fogrid__TaskRef **refs_store,
                Fogrid__TaskRef ***refs_p)
{
    size_t total = miner_tasks_size (self->tasks) + miner_results_size (self->results)
                 + miner_pipeline_size (self->pipeline);
    Fogrid__TaskRef *store = (Fogrid__TaskRef *) zmalloc (sizeof (Fogrid__TaskRef) * (total + 1));
    Fogrid__TaskRef **refs = (Fogrid__TaskRef **) zmalloc (sizeof (Fogrid__TaskRef *) * (total + 1));
    size_t count = miner_tasks_refs (self->tasks, store, refs);
    if (results) {
        count += miner_results_refs (self->results, store + count, refs + count);
        count += miner_pipeline_refs (self->pipeline, store + count, refs + count);
    }
    *refs_store = store;
    *refs_p = refs;
    return count;
}

static void
s_say_hello (miner_link_t *self)
{
    Fogrid__TaskRef *store, **refs;
    Fogrid__MinerHello hello = FOGRID__MINER_HELLO__INIT;
    hello.miner_id = (char *) self->context.miner_id;
    hello.name = (char *) self->context.name;
    hello.resources = &self->share;
    hello.n_running = s_running_refs (self, true, &store, &refs);
    hello.running = refs;
    hello.version = FG_VERSION_STRING;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = self->hello_seq = s_next_seq (self, S_SEQ_HELLO);
    env.body_case = FOGRID__ENVELOPE__BODY_MINER_HELLO;
    env.miner_hello = &hello;
    s_send (self, &env);
    free (store);
    free (refs);
    int64_t wait = (int64_t) self->heartbeat_ms * 3;
    self->welcome_by = zclock_mono () + (wait > S_MIN_WAIT_MS? wait: S_MIN_WAIT_MS);
    s_set_state (self, MINER_LINK_HELLO, "hello sent");
}

void
miner_link_bye (miner_link_t *self, const char *reason)
{
    if (self->state != MINER_LINK_READY || !self->conn)
        return;
    Fogrid__MinerBye bye = FOGRID__MINER_BYE__INIT;
    bye.miner_id = (char *) self->context.miner_id;
    bye.reason = (char *) reason;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = s_next_seq (self, S_SEQ_HEARTBEAT);
    env.body_case = FOGRID__ENVELOPE__BODY_MINER_BYE;
    env.miner_bye = &bye;
    s_send (self, &env);
    //  Owed to the hub after all: the close waits for it, a little
    miner_conn_linger (self->conn, 1000);
}

static void
s_send_heartbeat (miner_link_t *self)
{
    Fogrid__TaskRef *store, **refs;
    Fogrid__Load load = FOGRID__LOAD__INIT;
    Fogrid__MinerHeartbeat heartbeat = FOGRID__MINER_HEARTBEAT__INIT;
    heartbeat.miner_id = (char *) self->context.miner_id;
    heartbeat.n_running = s_running_refs (self, false, &store, &refs);
    heartbeat.running = refs;
    Fogrid__Usage usage = FOGRID__USAGE__INIT;
    load.usage = &usage;
    miner_tasks_use_t used;
    miner_tasks_used (self->tasks, &used, &load);
    load.running = (uint32_t) heartbeat.n_running;
    double loads [1] = { 0 };
    if (getloadavg (loads, 1) == 1)
        load.load1 = loads [0];
    load.healthy = true;
    heartbeat.load = &load;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = s_next_seq (self, S_SEQ_HEARTBEAT);
    env.body_case = FOGRID__ENVELOPE__BODY_MINER_HEARTBEAT;
    env.miner_heartbeat = &heartbeat;
    s_send (self, &env);
    free (store);
    free (refs);
}

//  --------------------------------------------------------------------------
//  Checking the hub (miner_trust.h)

static void
s_ask_statement (miner_link_t *self)
{
    Fogrid__WalletStatement request = FOGRID__WALLET_STATEMENT__INIT;
    miner_trust_request (self->trust, &request);
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = s_next_seq (self, S_SEQ_STATEMENT);
    env.body_case = FOGRID__ENVELOPE__BODY_WALLET_STATEMENT;
    env.wallet_statement = &request;
    s_send (self, &env);
}

//  Leaves a hub the checks refused: the others are tried first, this one
//  again after a while.
static void
s_refuse_hub (miner_link_t *self, const char *why)
{
    char text [700];
    snprintf (text, sizeof text, "refused: %s", why);
    s_reconnect (self, text);
    self->connect_at = zclock_mono () + miner_trust_retry_ms (self->trust);
}

//  A new connection: check, then hello.
static void
s_check_hub (miner_link_t *self)
{
    char why [600] = "";
    self->recheck_at = 0;
    miner_trust_verdict_t verdict = miner_trust_begin (self->trust, s_endpoint (self),
                                                       miner_conn_key (self->conn),
                                                       why, sizeof why);
    if (verdict == MINER_TRUST_REFUSE) {
        s_refuse_hub (self, why);
        return;
    }
    if (verdict != MINER_TRUST_ACCEPT)
        s_ask_statement (self);
    if (verdict == MINER_TRUST_ASK_FIRST) {
        int64_t wait = (int64_t) self->heartbeat_ms * 3;
        self->welcome_by = zclock_mono () + (wait > S_MIN_WAIT_MS? wait: S_MIN_WAIT_MS);
        s_set_state (self, MINER_LINK_CHECK, "wallet statement asked");
    }
    else
        s_say_hello (self);
}

//  The hub's statement came (reply), or an error instead (text): leave
//  the hub, or go on to the hello when it was awaited first.
static void
s_on_statement (miner_link_t *self, Fogrid__WalletStatementReply *reply, const char *text)
{
    char why [600] = "";
    miner_trust_verdict_t verdict = reply
        ? miner_trust_statement (self->trust, reply, why, sizeof why)
        : miner_trust_statement_failed (self->trust, text, why, sizeof why);
    if (verdict == MINER_TRUST_REFUSE)
        s_refuse_hub (self, why);
    else
    if (self->state == MINER_LINK_CHECK)
        s_say_hello (self);
}

static void
s_recheck (miner_link_t *self)
{
    char why [600] = "";
    self->recheck_at = zclock_mono () + miner_trust_recheck_ms (self->trust);
    miner_trust_verdict_t verdict = miner_trust_recheck (self->trust, why, sizeof why);
    if (verdict == MINER_TRUST_REFUSE)
        s_refuse_hub (self, why);
    else
    if (verdict != MINER_TRUST_ACCEPT)
        s_ask_statement (self);
}

//  --------------------------------------------------------------------------
//  Tasks

static void
s_send_started (miner_link_t *self, const char *task_id, uint32_t attempt)
{
    Fogrid__TaskStarted started = FOGRID__TASK_STARTED__INIT;
    started.task_id = (char *) task_id;
    started.attempt = attempt;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = s_next_seq (self, S_SEQ_STARTED);
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_STARTED;
    env.task_started = &started;
    s_send (self, &env);
}

//  Sends every held result again (after a welcome, or a passing refusal).
static void
s_resend_held (miner_link_t *self)
{
    self->resend_at = 0;
    size_t count = miner_batch_resend_held (self->batch);
    if (count)
        zsys_info ("%s: sent %zu kept results again", self->tag, count);
}

//  A result is kept until its hub answers it (miner_results.h): sent now
//  when the hub that gave the task is connected and has our hello, else
//  held for its next welcome.
static void
s_send_result (miner_link_t *self, Fogrid__TaskResult *result, const char *endpoint)
{
    size_t dropped = miner_results_add (self->results, result, endpoint);
    if (dropped) {
        self->context.stats->results_lost += dropped;
        zsys_warning ("%s: %zu results the hub never answered dropped (too many kept)",
                      self->tag, dropped);
    }
    if (self->batches && self->conn && streq (endpoint, s_endpoint (self))
    &&  self->state == MINER_LINK_READY) {
        //  Sent at the end of the turn, with the others that ended in it
        miner_batch_add (self->batch, result);
    }
    else
    if (self->conn && streq (endpoint, s_endpoint (self))
    &&  (self->state == MINER_LINK_READY || self->state == MINER_LINK_HELLO))
        miner_batch_send_one (self->batch, result);
    else
        zsys_notice ("%s: no hub connection: the result of %s attempt %u is kept for "
                     "when %s welcomes us again", self->tag, result->task_id, result->attempt,
                     *endpoint? endpoint: "the hub");
}

//  Why a task may not start on this link (0 when it may): it does not fit
//  what is free of the share, or another hub's task has its id here.
static int
s_refusal (miner_link_t *self, const Fogrid__TaskAssign *assign, char *why, size_t size)
{
    if (self->context.held
    &&  self->context.held (self->context.arg, self, assign->task_id, assign->attempt)) {
        snprintf (why, size, "task %s attempt %u already runs on this miner for another hub",
                  assign->task_id, assign->attempt);
        return -1;
    }
    return miner_tasks_refusal (self->tasks, &self->share, assign->spec, why, size);
}

static void
s_refuse_task (miner_link_t *self, const Fogrid__TaskAssign *assign, const char *why)
{
    self->context.stats->refused++;
    zsys_warning ("%s: refusing task %s attempt %u: %s", self->tag, assign->task_id,
                  assign->attempt, why);
    char error [600];
    snprintf (error, sizeof error, "refused by the miner: %s", why);
    Fogrid__TaskResult result = FOGRID__TASK_RESULT__INIT;
    result.task_id = assign->task_id;
    result.attempt = assign->attempt;
    result.exit_code = -1;
    result.error = error;
    result.refused = true;
    result.started_ms = result.ended_ms = (uint64_t) fg_now_ms ();
    s_send_result (self, &result, s_endpoint (self));
}

static void s_start (miner_link_t *self, Fogrid__TaskAssign *assign);

static void
s_on_assign (miner_link_t *self, Fogrid__TaskAssign *assign)
{
    if (!*assign->task_id || !fg_text_valid (assign->task_id, 63) || !assign->spec) {
        zsys_warning ("%s: ignoring a TaskAssign without a valid task id or spec", self->tag);
        return;
    }
    char why [400];
    if (miner_tasks_find (self->tasks, assign->task_id, assign->attempt)) {
        zsys_info ("%s: task %s attempt %u is already running", self->tag,
                   assign->task_id, assign->attempt);
        s_send_started (self, assign->task_id, assign->attempt);
        return;
    }
    if (miner_pipeline_holds (self->pipeline, assign->task_id, assign->attempt))
        return;             //  (given again: it waits already)
    if (s_refusal (self, assign, why, sizeof why)) {
        //  Beyond the share now: it waits for a slot, if one is free, it
        //  is not another hub's task here, and the hub said it honours
        //  queue_slots (any other hub that sends too much got it wrong)
        bool other = self->context.held
                  && self->context.held (self->context.arg, self, assign->task_id, assign->attempt);
        if (!other && self->batches && miner_pipeline_hold (self->pipeline, assign, &self->share))
            fg_debug ("%s: task %s attempt %u waits for a slot", self->tag, assign->task_id,
                      assign->attempt);
        else
            s_refuse_task (self, assign, why);
        return;
    }
    s_start (self, assign);
}

//  Starts an assigned task that fits; its TaskStarted goes at the end of
//  the turn (s_flush), with the others that started
static void
s_start (miner_link_t *self, Fogrid__TaskAssign *assign)
{
    miner_runner_t *runner = miner_tasks_start (self->tasks, assign->task_id, assign->attempt,
                                                assign->spec, &self->limits, s_endpoint (self));
    self->context.stats->started [streq (miner_runner_runtime (assign->spec), "docker")]++;
    if (miner_runner_pid (runner))
        zsys_info ("%s: task %s attempt %u: started %s (pid %d)", self->tag,
                   assign->task_id, assign->attempt,
                   assign->spec->n_argv? assign->spec->argv [0]: "(nothing)",
                   (int) miner_runner_pid (runner));
    else
        zsys_info ("%s: task %s attempt %u: starting %s (%s runtime%s%s)", self->tag,
                   assign->task_id, assign->attempt,
                   assign->spec->n_argv? assign->spec->argv [0]: "(the image's command)",
                   miner_runner_runtime (assign->spec), *assign->spec->image? ", image ": "",
                   assign->spec->image);
    miner_pipeline_started (self->pipeline, assign->task_id, assign->attempt);
}

//  miner_pipeline_fits_fn: what is free of the share takes spec now
static bool
s_fits (void *arg, const Fogrid__TaskSpec *spec)
{
    miner_link_t *self = (miner_link_t *) arg;
    char why [400];
    return miner_tasks_refusal (self->tasks, &self->share, spec, why, sizeof why) == 0;
}

//  The end of a turn: tasks waiting for a slot start where one freed, and
//  what started is told in one message
static void
s_flush (miner_link_t *self)
{
    Fogrid__TaskAssign *next;
    while ((next = miner_pipeline_next (self->pipeline, s_fits, self))) {
        s_start (self, next);
        fogrid__task_assign__free_unpacked (next, NULL);
    }
    fg_env_t *env;
    while ((env = miner_pipeline_flush (self->pipeline, self->batches))) {
        env->seq = s_next_seq (self, S_SEQ_STARTED);
        s_send (self, env);
        miner_pipeline_envelope_free (&env);
    }
    //  The results of the turn (miner_batch.h)
    miner_batch_flush (self->batch);
}

static void s_on_error (miner_link_t *self, uint64_t seq, Fogrid__Error *error);

//  miner_batch_error_fn: an Error to one result
static void
s_on_result_error (void *arg, uint64_t seq, Fogrid__Error *error)
{
    s_on_error ((miner_link_t *) arg, seq, error);
}

static void
s_kill_task (miner_link_t *self, const char *task_id, uint32_t attempt, const char *why)
{
    if (miner_pipeline_drop (self->pipeline, task_id, attempt)) {
        zsys_info ("%s: task %s attempt %u dropped before it started (%s)", self->tag,
                   task_id, attempt, why);
        return;
    }
    miner_runner_t *runner = miner_tasks_find (self->tasks, task_id, attempt);
    if (!runner) {
        fg_debug ("%s: %s: task %.63s attempt %u is not running here", self->tag, why,
                  task_id, attempt);
        return;
    }
    if (!miner_runner_killed (runner)) {
        zsys_info ("%s: killing task %s attempt %u (%s)", self->tag, task_id, attempt, why);
        miner_runner_kill (runner);
    }
}

static void s_send_output (void *arg, fg_env_t *env);

//  A runner has ended: report it (unless the hub had it killed), forget it.
static void
s_on_runner (miner_link_t *self, miner_runner_t *runner)
{
    //  What it printed last reaches the hub before its result
    miner_live_send_runner (runner, s_send_output, self);
    const char *endpoint;
    Fogrid__TaskResult *result = miner_tasks_ended (self->tasks, runner, self->context.stats,
                                                    self->tag, &endpoint);
    if (result) {
        s_send_result (self, result, endpoint);
        fogrid__task_result__free_unpacked (result, NULL);
    }
    miner_tasks_forget (self->tasks, runner);
}

//  --------------------------------------------------------------------------
//  Messages from the hub

static void
s_on_welcome (miner_link_t *self, Fogrid__MinerWelcome *welcome)
{
    if (welcome->heartbeat_ms) {
        uint32_t ms = welcome->heartbeat_ms;
        self->heartbeat_ms = ms < 50? 50: ms > 60000? 60000: ms;
    }
    for (size_t index = 0; index < welcome->n_kill; index++) {
        s_kill_task (self, welcome->kill [index]->task_id, welcome->kill [index]->attempt,
                     "the hub's welcome says so");
        if (miner_results_forget (self->results, welcome->kill [index]->task_id,
                                  welcome->kill [index]->attempt))
            zsys_notice ("%s: the result of %s is lost: the hub's welcome says attempt %u is "
                         "over (it was placed again)", self->tag,
                         welcome->kill [index]->task_id, welcome->kill [index]->attempt);
    }
    self->heartbeat_at = zclock_mono () + self->heartbeat_ms;
    self->batches = welcome->batches;
    self->quiet = false;
    self->last_failure [0] = 0;
    s_set_state (self, MINER_LINK_READY, "welcomed");
    int64_t recheck_ms = miner_trust_recheck_ms (self->trust);
    self->recheck_at = recheck_ms? zclock_mono () + recheck_ms: 0;
    self->context.stats->hub_changes++;
    //  The results held for this hub go now, after the hello it answered;
    //  another hub's are not this one's to take
    size_t dropped = miner_results_keep_only (self->results, s_endpoint (self));
    if (dropped) {
        self->context.stats->results_lost += dropped;
        zsys_warning ("%s: %zu results owed to another hub dropped (it places those tasks "
                      "again)", self->tag, dropped);
    }
    s_resend_held (self);
}

static void
s_on_error (miner_link_t *self, uint64_t seq, Fogrid__Error *error)
{
    int kind = (int) S_SEQ_KIND (seq);
    bool hello = error->code == FG_E_HELLO
              || (error->code == FG_E_NOT_FOUND && (kind == S_SEQ_HEARTBEAT
                                                    || kind == S_SEQ_STARTED));
    fg_error_t code = (fg_error_t) error->code;
    if (kind == S_SEQ_RESULT && miner_results_answer (self->results, seq, code)
    &&  miner_results_held_for (code)) {
        zsys_info ("%s: the hub refused a result for now (%s: %s): it is kept, to send again %s",
                   self->tag, fg_error_name ((int) code), error->text,
                   code == FG_E_HELLO? "after our hello": "in a moment");
        if (code != FG_E_HELLO && !self->resend_at)
            self->resend_at = zclock_mono () + self->heartbeat_ms;
    }
    else
    if (kind == S_SEQ_RESULT) {
        miner_trust_result_refused (self->trust, seq);
        zsys_warning ("%s: the hub refused a result: %s (%s)", self->tag,
                      fg_error_name ((int) error->code), error->text);
    }
    if (hello) {
        //  A hello sent after the refused request is on its way already
        bool asked = self->state == MINER_LINK_HELLO && self->hello_seq > seq;
        if ((self->state == MINER_LINK_READY || self->state == MINER_LINK_HELLO) && !asked) {
            zsys_info ("%s: the hub does not know us (%s): saying hello again",
                       self->tag, error->text);
            s_say_hello (self);
        }
    }
    else
    if (kind == S_SEQ_STATEMENT)
        s_on_statement (self, NULL, error->text);
    else
    if (kind != S_SEQ_RESULT)
        zsys_warning ("%s: the hub answered %s: %s (%s)", self->tag,
                      kind == S_SEQ_HELLO? "our hello": "with an error",
                      fg_error_name ((int) error->code), error->text);
}

static void
s_on_hub (miner_link_t *self)
{
    fg_env_t *env = miner_conn_recv (self->conn);
    if (!env)
        return;
    switch (env->body_case) {
        case FOGRID__ENVELOPE__BODY_MINER_WELCOME:
            s_on_welcome (self, env->miner_welcome);
            break;
        case FOGRID__ENVELOPE__BODY_TASK_ASSIGN:
            s_on_assign (self, env->task_assign);
            break;
        case FOGRID__ENVELOPE__BODY_TASK_ASSIGN_BATCH:
            for (size_t index = 0; index < env->task_assign_batch->n_assigns; index++)
                s_on_assign (self, env->task_assign_batch->assigns [index]);
            break;
        case FOGRID__ENVELOPE__BODY_TASK_KILL:
            s_kill_task (self, env->task_kill->task_id, env->task_kill->attempt,
                         "the hub says so");
            break;
        case FOGRID__ENVELOPE__BODY_ERROR:
            //  An error to a whole TaskResultBatch is each of its results'
            miner_batch_error (self->batch, env->seq, env->error, s_on_result_error, self);
            break;
        case FOGRID__ENVELOPE__BODY_RESULT_ACKS:
            //  Each ack is the Ok or Error its result alone would have had
            miner_batch_acks (self->batch, env->result_acks, s_on_result_error, self);
            break;
        case FOGRID__ENVELOPE__BODY_OK:
            fg_debug ("%s: the hub took our result", self->tag);
            if (S_SEQ_KIND (env->seq) == S_SEQ_RESULT) {
                miner_results_answer (self->results, env->seq, FG_OK);
                miner_trust_result_ok (self->trust, env->seq, env->ok->receipt);
            }
            break;
        case FOGRID__ENVELOPE__BODY_WALLET_STATEMENT_REPLY:
            s_on_statement (self, env->wallet_statement_reply, NULL);
            break;
        default:
            zsys_warning ("%s: ignoring an unexpected %s from the hub", self->tag,
                          fg_msg_body_name (env));
            break;
    }
    fg_msg_free (&env);
}

//  The link came back: the peer may be a restarted hub that does not know
//  us, so say hello now rather than wait for its NOT_FOUND (a hello to a
//  hub that knows us is harmless).
static void
s_on_monitor (miner_link_t *self)
{
    if (miner_conn_on_monitor (self->conn) && self->state == MINER_LINK_READY)
        s_say_hello (self);
}

//  --------------------------------------------------------------------------
//  The loop's side

static void
s_send_output (void *arg, fg_env_t *env)
{
    s_send ((miner_link_t *) arg, env);
}

int64_t
miner_link_timers (miner_link_t *self)
{
    int64_t now = zclock_mono ();
    int64_t lost_after = (int64_t) self->heartbeat_ms * 3;
    if (self->state == MINER_LINK_NO_HUB && now >= self->connect_at)
        s_connect (self);
    else
    if (self->state == MINER_LINK_CHECK && now >= self->welcome_by)
        s_refuse_hub (self, "no wallet statement in time");
    else
    if (self->state == MINER_LINK_HELLO && now >= self->welcome_by)
        s_reconnect (self, "no welcome in time");
    else
    if (self->state == MINER_LINK_READY && !miner_conn_up (self->conn)
    &&  now - miner_conn_down_ms (self->conn) >= lost_after)
        s_reconnect (self, "the connection stayed down for three heartbeats");
    else
    if (self->state == MINER_LINK_READY && now >= self->heartbeat_at) {
        s_send_heartbeat (self);
        self->heartbeat_at = now + self->heartbeat_ms;
    }
    if (self->state == MINER_LINK_READY && now >= self->output_at) {
        miner_live_send (self->tasks, &self->output_turn, s_send_output, self);
        self->output_at = now + MINER_LIVE_BATCH_MS;
    }
    if (self->state == MINER_LINK_READY && self->recheck_at && zclock_mono () >= self->recheck_at)
        s_recheck (self);
    if (self->state == MINER_LINK_READY && self->resend_at && zclock_mono () >= self->resend_at)
        s_resend_held (self);
    //  Ratings changed by this turn's answers, written once a second
    int64_t save_at = miner_trust_save_due (self->trust);
    int64_t next;
    if (self->state == MINER_LINK_NO_HUB)
        next = self->connect_at;
    else
    if (self->state == MINER_LINK_HELLO || self->state == MINER_LINK_CHECK)
        next = self->welcome_by;
    else {
        next = self->heartbeat_at;
        if (self->recheck_at && self->recheck_at < next)
            next = self->recheck_at;
        if (self->resend_at && self->resend_at < next)
            next = self->resend_at;
        if (miner_tasks_size (self->tasks) && self->output_at < next)
            next = self->output_at;
        if (!miner_conn_up (self->conn) && miner_conn_down_ms (self->conn) + lost_after < next)
            next = miner_conn_down_ms (self->conn) + lost_after;
    }
    if (save_at && save_at < next)
        next = save_at;
    return next;
}

size_t
miner_link_item_count (miner_link_t *self)
{
    return 2 + miner_tasks_size (self->tasks);
}

size_t
miner_link_items (miner_link_t *self, zmq_pollitem_t *items, size_t capacity)
{
    size_t count = 0;
    self->dealer_at = self->monitor_at = 0;
    zsock_t *dealer = self->conn? miner_conn_dealer (self->conn): NULL;
    zsock_t *monitor = self->conn? miner_conn_monitor (self->conn): NULL;
    if (dealer && count < capacity) {
        items [count] = (zmq_pollitem_t) { zsock_resolve (dealer), 0, ZMQ_POLLIN, 0 };
        self->dealer_at = ++count;
    }
    if (monitor && count < capacity) {
        items [count] = (zmq_pollitem_t) { zsock_resolve (monitor), 0, ZMQ_POLLIN, 0 };
        self->monitor_at = ++count;
    }
    self->first_runner = count;
    count += miner_tasks_items (self->tasks, items + count, capacity - count);
    return count;
}

void
miner_link_handle (miner_link_t *self, zmq_pollitem_t *items)
{
    //  What was polled stays valid until handled: only s_on_runner (below)
    //  forgets a runner, and it is polled once
    if (self->monitor_at && self->conn && (items [self->monitor_at - 1].revents & ZMQ_POLLIN))
        s_on_monitor (self);
    if (self->dealer_at && self->conn && (items [self->dealer_at - 1].revents & ZMQ_POLLIN)) {
        //  (a hub left in s_on_hub takes its connection with it)
        miner_conn_t *conn = self->conn;
        while (self->conn == conn && miner_conn_readable (conn))
            s_on_hub (self);
    }
    miner_runner_t *runner;
    size_t cursor = 0;
    while ((runner = miner_tasks_ready (self->tasks, items + self->first_runner, &cursor)))
        s_on_runner (self, runner);
    s_flush (self);
}

//  --------------------------------------------------------------------------
//  What the agent reads

miner_link_state_t
miner_link_state (miner_link_t *self)
{
    return self->state;
}

const char *
miner_link_state_name (miner_link_state_t state)
{
    return state >= MINER_LINK_NO_HUB && state <= MINER_LINK_CHECK? s_state_names [state]: "?";
}

const char *
miner_link_endpoint (miner_link_t *self)
{
    return s_endpoint (self);
}

const char *
miner_link_hub_key (miner_link_t *self)
{
    return self->conn? miner_conn_key (self->conn): "";
}

const char *
miner_link_hub_id (miner_link_t *self)
{
    return self->state == MINER_LINK_NO_HUB? "": miner_trust_hub_id (self->trust);
}

size_t
miner_link_index (miner_link_t *self)
{
    return self->index;
}

size_t
miner_link_tasks (miner_link_t *self)
{
    return miner_tasks_size (self->tasks);
}

bool
miner_link_holds (miner_link_t *self, const char *task_id, uint32_t attempt)
{
    return miner_tasks_find (self->tasks, task_id, attempt) != NULL;
}

json_t *
miner_link_json (miner_link_t *self)
{
    miner_tasks_use_t used;
    miner_tasks_used (self->tasks, &used, NULL);
    return json_pack ("{s:I, s:s, s:s, s:s, s:I, s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I}}",
                      "link", (json_int_t) self->index + 1,
                      "state", s_state_names [self->state],
                      "hub", s_endpoint (self),
                      "hub_id", miner_link_hub_id (self),
                      "tasks", (json_int_t) miner_tasks_size (self->tasks),
                      "share",
                        "cores", (json_int_t) self->share.cores,
                        "mem_mb", (json_int_t) self->share.mem_mb,
                        "disk_mb", (json_int_t) self->share.disk_mb,
                        "gpus", (json_int_t) self->share.gpus,
                      "used",
                        "cores", (json_int_t) used.cores,
                        "mem_mb", (json_int_t) used.mem_mb,
                        "gpus", (json_int_t) used.gpus);
}
