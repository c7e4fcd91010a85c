/*  =========================================================================
    hub_server - the hub daemon as an actor: the loop, the group commit,
    and the dispatch of both sockets' messages to the rooms

    DESIGN
    One thread owns everything: the two ROUTER sockets, the store and the
    rooms, so nothing is locked. Each turn of the loop drains a burst of
    messages from both sockets (and the liveness tick when due) into one
    store transaction, places what it can once, commits, and only then
    sends what the burst had to say: replies, assignments, kills wait in
    an outbox (fg_outbox.h) until the commit, because a reply is a promise
    ("accepted", "paid") that must survive a crash. A failed commit (a
    full disk) answers the burst with errors and reads the state back from
    the store; see "Group commit" below.

    Each piece of state has one owner, and the actor only hands messages
    to them:

        room            owns                                    answers
        ----            ----                                    -------
        hub_config      the settings, typed once                -
        hub_tasks       unfinished tasks, the queue, their      -
                        state changes (the only writer)
        hub_escrow      the money that moves with tasks         -
        hub_court       whether results stand: windows,         -
                        replicas, checks, verdicts
        hub_court_api   -                                       challenge, verdict,
                                                                stake
        hub_placer      a placement round                       -
        hub_buyer_api   -                                       submit, status,
                                                                result, cancel
        hub_wallet_api  -                                       deposit, withdraw,
                                                                balance, admin,
                                                                receipt, statement
        hub_miner_api   the miners' conversation, their loss    hello, heartbeat,
                                                                bye, started, result,
                                                                miners
        hub_stats       counters for hub_http                   -
        hub_logs        running tasks' output (a ring each)     - (buyer and
                                                                miner api read
                                                                and fill it)
        hub_server      the sockets, the loop, the commit       health

    A task's change of state tells the actor's watcher (s_task_before),
    which hands it to hub_escrow, so the money moves in the same
    transaction as the change. Conversations are in proto/fogrid.proto;
    the task and miner state tables in hub_task.c and hub_miners.c, the
    wallet's in hub_wallet.h.
    =========================================================================  */
#include "fogrid.h"
#include "hub_config.h"
#include "hub_store.h"
#include "hub_ledger.h"
#include "hub_wallet.h"
#include "hub_stats.h"
#include "hub_http.h"
#include "hub_tasks.h"
#include "hub_miners.h"
#include "hub_escrow.h"
#include "hub_placer.h"
#include "hub_court.h"
#include "hub_court_api.h"
#include "hub_buyer_api.h"
#include "hub_wallet_api.h"
#include "hub_miner_api.h"
#include "hub_watch.h"
#include "hub_logs.h"
#include "hub_server.h"

#define S_BUYER_PING_MS     5000    //  ZMTP ping interval on the buyer socket
#define S_MINER_KEEPALIVE_S 30      //  TCP keepalive idle time on the miner socket
#define S_MINER_BACKLOG     4096    //  connections waiting to be accepted
#define S_TICK_MAX_MS       100     //  liveness tick, at most this far apart

typedef struct {
    zsock_t *pipe;              //  to the caller
    hub_config_t *config;       //  settings, read once
    zsock_t *buyers;            //  ROUTER for buyers
    zsock_t *miner_sock;        //  ROUTER for miners, ZMQ_ROUTER_MANDATORY
    hub_watch_t *watch;         //  its closed connections; NULL when not watched
    hub_logs_t *logs;           //  running tasks' output, for fogrid logs -f
    int buyer_port;             //  bound port of the buyer socket
    int miner_port;             //  bound port of the miner socket
    fg_ratelimit_t *buyer_limit;    //  per buyer key (or connection)
    fg_ratelimit_t *miner_limit;    //  per miner connection
    fg_outbox_t *outbox;        //  what the open transaction will send once committed
    zlist_t *gone;              //  ids of miners whose sends were refused
    bool reschedule;            //  the burst held more than heartbeats
    hub_store_t *store;         //  tasks on disk
    hub_ledger_t *ledger;       //  the money, in the store's database
    hub_wallet_t *wallet;       //  the hub's wallet: may it charge, pay
    hub_miners_t *miners;       //  the miner table
    hub_tasks_t *tasks;         //  the unfinished tasks and the queue
    hub_escrow_t *escrow;       //  the money that moves with tasks
    hub_placer_t *placer;       //  puts queued tasks on miners
    hub_court_t *court;         //  whether results stand, and when miners are paid
    hub_court_api_t *court_api; //  challenges, verdicts, stakes
    hub_buyer_api_t *buyer_api; //  buyers' requests about their tasks
    hub_wallet_api_t *wallet_api;   //  the requests about money
    hub_miner_api_t *miner_api; //  the miners' conversation, and their loss
    hub_stats_t stats;          //  what /metrics and the dashboard count
    fg_http_t *http;            //  dashboard, JSON, metrics; NULL when off
    hub_http_context_t http_context;
    fg_registrant_t *registrant;    //  keeps `hub` and `hub-miner` in the locators
    uint32_t reported_load;     //  last load given to the registrant
    char hub_id [64];           //  this hub's id
    int64_t started_ms;         //  for uptime
    int64_t next_settle_ms;     //  when services are settled next
    bool terminated;            //  $TERM received
} s_server_t;

//  --------------------------------------------------------------------------
//  Task changes

//  Before every valid change of a task's state (hub_tasks_change): the
//  money that goes with it, in the change's transaction.
static void
s_task_before (void *arg, hub_task_t *task, hub_task_state_t next)
{
    s_server_t *self = (s_server_t *) arg;
    hub_escrow_task_change (self->escrow, task, next,
                            hub_miners_lookup (self->miners, task->miner_id));
}

//  After it: a finished task is counted
static void
s_task_after (void *arg, hub_task_t *task, hub_task_state_t next)
{
    s_server_t *self = (s_server_t *) arg;
    if (hub_task_state_terminal (next))
        hub_logs_finish (self->logs, task->id);
    if (hub_task_state_terminal (next) && task->role == HUB_ROLE_TASK)
        hub_stats_finished (&self->stats, next, task->submitted_ms, fg_now_ms ());
    if (self->court)
        hub_court_changed (self->court, task, next);
}

//  --------------------------------------------------------------------------
//  Placement

//  Places what it can; a miner found without a connection is lost (its
//  tasks back in the queue), and they are placed again.
static void
s_schedule (s_server_t *self)
{
    while (true) {
        zlist_t *lost = zlist_new ();       //  miners whose sends failed
        self->stats.dispatched += hub_placer_run (self->placer, lost);
        bool again = zlist_size (lost) > 0;
        for (hub_miner_t *miner = (hub_miner_t *) zlist_first (lost); miner;
             miner = (hub_miner_t *) zlist_next (lost))
            hub_miner_api_lost (self->miner_api, miner, "its connection is gone (send refused)");
        zlist_destroy (&lost);
        if (!again)
            break;          //  else its tasks are back in the queue: place them
    }
}

//  --------------------------------------------------------------------------
//  Dispatch

//  HealthRequest: the hub as a whole (what /api/v1/health shows too)
static void
s_handle_health (s_server_t *self, zframe_t *peer, uint64_t seq)
{
    uint64_t miner_counts [HUB_MINER_STATES];
    hub_miners_count_states (self->miners, miner_counts);
    uint64_t task_counts [HUB_TASK_STATES];
    hub_tasks_counts (self->tasks, task_counts);

    Fogrid__Counter miners [HUB_MINER_STATES], *miner_list [HUB_MINER_STATES];
    Fogrid__Counter tasks [HUB_TASK_STATES], *task_list [HUB_TASK_STATES];
    Fogrid__HealthReply reply = FOGRID__HEALTH_REPLY__INIT;
    for (int state = HUB_MINER_CONNECTED; state < HUB_MINER_STATES; state++) {
        fogrid__counter__init (&miners [state]);
        miners [state].name = (char *) hub_miner_state_name ((hub_miner_state_t) state);
        miners [state].value = miner_counts [state];
        miner_list [reply.n_miners_by_state++] = &miners [state];
    }
    for (int state = HUB_TASK_PENDING; state < HUB_TASK_STATES; state++) {
        fogrid__counter__init (&tasks [state]);
        tasks [state].name = (char *) hub_task_state_name ((hub_task_state_t) state);
        tasks [state].value = task_counts [state];
        task_list [reply.n_tasks_by_state++] = &tasks [state];
    }
    reply.hub_id = self->hub_id;
    reply.miners_by_state = miner_list;
    reply.tasks_by_state = task_list;
    reply.queue_length = (uint32_t) hub_tasks_queued (self->tasks);
    reply.uptime_ms = (uint64_t) (fg_now_ms () - self->started_ms);
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_HEALTH_REPLY;
    env.health_reply = &reply;
    fg_outbox_answer (self->outbox, self->buyers, peer, &env);
}

//  The next request on sock, or NULL after answering it: undecodable
//  (fg_msg_recv_request), or over its peer's rate (setting names the
//  limit). Refused before any work, and quietly: a flood must not flood
//  the log.
static fg_env_t *
s_receive (s_server_t *self, zsock_t *sock, fg_ratelimit_t *limit, const char *setting,
           int64_t rate, zframe_t **peer_p, uint64_t *seq_p, char *key)
{
    fg_env_t *env = sock == self->miner_sock? hub_watch_recv (sock, peer_p, key, seq_p)
                  : fg_msg_recv_request (sock, peer_p, key, seq_p, "buyer");
    if (!env)
        return NULL;
    if (!fg_ratelimit_admit (limit, sock, *peer_p, key, *seq_p, setting, rate)) {
        self->stats.rate_limited++;
        fg_msg_free (&env);
        zframe_destroy (peer_p);
    }
    return env;
}

//  Handles the next buyer request inside the burst's transaction (see
//  s_burst_end). Returns 1 when it was handled, 0 when refused unread.
static int
s_handle_buyer (s_server_t *self)
{
    zframe_t *peer;
    uint64_t seq;
    char key [41];
    fg_env_t *env = s_receive (self, self->buyers, self->buyer_limit, "hub/buyer_rate",
                               self->config->buyer_rate, &peer, &seq, key);
    if (!env)
        return 0;
    self->reschedule = true;
    if (hub_wallet_api_buyer (self->wallet_api, self->buyers, peer, seq, key, env))
        ;                   //  a request about money: answered
    else
    if (hub_buyer_api_handle (self->buyer_api, peer, seq, key, env))
        ;                   //  a request about tasks: answered
    else
    if (hub_court_api_handle (self->court_api, peer, seq, key, env))
        ;                   //  a challenge, a verdict, a stake: answered
    else
    if (env->body_case == FOGRID__ENVELOPE__BODY_MINERS)
        hub_miner_api_list (self->miner_api, self->buyers, peer, seq);
    else
    if (env->body_case == FOGRID__ENVELOPE__BODY_HEALTH)
        s_handle_health (self, peer, seq);
    else {
        zsys_warning ("buyer: unexpected %s", fg_msg_body_name (env));
        fg_outbox_refuse (self->outbox, self->buyers, peer, seq, FG_E_UNEXPECTED,
                          "%s is not a buyer request", fg_msg_body_name (env));
    }
    fg_msg_free (&env);
    zframe_destroy (&peer);
    return 1;
}

//  As s_handle_buyer, for the miner socket.
static int
s_handle_miner (s_server_t *self)
{
    zframe_t *peer;
    uint64_t seq;
    char key [41];
    fg_env_t *env = s_receive (self, self->miner_sock, self->miner_limit, "hub/miner_rate",
                               self->config->miner_rate, &peer, &seq, key);
    if (!env)
        return 0;
    //  A heartbeat changes no placement but by a miner's load or its
    //  return from silence: the next tick schedules for those
    if (env->body_case != FOGRID__ENVELOPE__BODY_MINER_HEARTBEAT
    &&  env->body_case != FOGRID__ENVELOPE__BODY_TASK_OUTPUT)
        self->reschedule = true;
    if (hub_wallet_api_miner (self->wallet_api, self->miner_sock, peer, seq, env))
        ;                   //  a WalletStatement: answered
    else
    if (!hub_miner_api_handle (self->miner_api, peer, seq, key, env)) {
        zsys_warning ("miner socket: unexpected %s", fg_msg_body_name (env));
        fg_outbox_refuse (self->outbox, self->miner_sock, peer, seq, FG_E_UNEXPECTED,
                          "%s is not a miner message", fg_msg_body_name (env));
    }
    fg_msg_free (&env);
    zframe_destroy (&peer);
    return 1;
}

//  --------------------------------------------------------------------------
//  Liveness tick

//  Load for the locator: reserved cores over offered cores of live miners,
//  100 when there is work waiting and nowhere to put it.
static uint32_t
s_load (s_server_t *self)
{
    uint64_t cores, used;
    hub_miners_capacity (self->miners, &cores, &used);
    if (cores == 0)
        return hub_tasks_queued (self->tasks)? 100: 0;
    uint64_t load = used * 100 / cores;
    if (hub_tasks_queued (self->tasks))
        load = 100;
    return (uint32_t) (load > 100? 100: load);
}

//  Services are billed their seconds and their miners paid (hub_billing);
//  a service whose buyer's funds ran out is stopped.
static void
s_settle_services (s_server_t *self, int64_t now)
{
    zlist_t *broke = zlist_new ();
    if (hub_escrow_settle_services (self->escrow, now, broke))
        zsys_error ("hub: the settlement of services failed; what it did not bill is billed "
                    "at the next one");
    for (char *id = (char *) zlist_pop (broke); id; id = (char *) zlist_pop (broke)) {
        hub_task_t *task = hub_tasks_lookup (self->tasks, id);
        if (task && task->state == HUB_TASK_RUNNING) {
            hub_miner_api_stop (self->miner_api, task);
            int64_t seconds = 0;
            int64_t billed = hub_escrow_billed (self->escrow, task->id, &seconds);
            char reason [256];
            snprintf (reason, sizeof reason, "stopped: its buyer's funds ran out after %" PRId64
                      " s (billed %" PRId64 ")", seconds, billed);
            hub_tasks_change (self->tasks, task, HUB_TASK_FAILED, reason);
            hub_tasks_retire (self->tasks, task);
        }
        free (id);
    }
    zlist_destroy (&broke);
}

//  Inside the burst's transaction, like a request.
static void
s_tick (s_server_t *self)
{
    int64_t now = fg_now_ms ();
    hub_miner_api_tick (self->miner_api, now);
    if (now >= self->next_settle_ms) {
        s_settle_services (self, now);
        self->next_settle_ms = now + self->config->settle_ms;
    }

    uint32_t load = s_load (self);
    if (self->registrant && load != self->reported_load) {
        fg_registrant_load (self->registrant, load);
        self->reported_load = load;
    }
}

//  --------------------------------------------------------------------------
//  Start and stop

static void
s_register (s_server_t *self)
{
    const char *locators = self->config->locators;
    if (!*locators) {
        zsys_info ("hub %s: locator/endpoints is empty: not registering", self->hub_id);
        return;
    }
    self->registrant = fg_registrant_new (locators, self->hub_id,
                                          (uint32_t) self->config->locator_ttl_ms);
    const char *host = self->config->advertise_host;
    Fogrid__Endpoint endpoints [2];
    Fogrid__Registration regs [2], *list [2];
    const char *names [2] = { "hub", "hub-miner" };
    const char *protocols [2] = {
        "fogrid buyer protocol: submit, status, result, cancel, miners, health",
        "fogrid miner protocol: hello, heartbeat, task started, task result"
    };
    int ports [2] = { self->buyer_port, self->miner_port };
    for (int index = 0; index < 2; index++) {
        fogrid__endpoint__init (&endpoints [index]);
        endpoints [index].transport = "tcp";
        endpoints [index].host = (char *) host;
        endpoints [index].port = (uint32_t) ports [index];
        endpoints [index].weight = 1;
        endpoints [index].public_key = (char *) fg_security_public_key ();
        fogrid__registration__init (&regs [index]);
        regs [index].name = (char *) names [index];
        regs [index].endpoint = &endpoints [index];
        regs [index].protocol_version = FG_PROTO_VERSION;
        regs [index].protocol = (char *) protocols [index];
        list [index] = &regs [index];
    }
    fg_registrant_set (self->registrant, list, 2);
    zsys_info ("hub %s: registering hub=%s:%d and hub-miner=%s:%d at %s", self->hub_id,
               host, self->buyer_port, host, self->miner_port, locators);
}

//  Loads the unfinished tasks of a previous run; their miners are not
//  known yet, so each miner of an assigned task is restored as
//  disconnected: it keeps its tasks if it says hello in time (its hello
//  lists what it still runs), and they are requeued when it dies.
static int
s_restore (s_server_t *self)
{
    zlistx_t *placed = zlistx_new ();
    int64_t now = fg_now_ms ();
    hub_store_begin (self->store);
    if (hub_tasks_restore (self->tasks, placed)) {
        hub_store_rollback (self->store);
        zlistx_destroy (&placed);
        return -1;
    }
    for (hub_task_t *task = (hub_task_t *) zlistx_first (placed); task;
         task = (hub_task_t *) zlistx_next (placed)) {
        hub_miner_t *miner = hub_miners_restore (self->miners, task->miner_id, now);
        hub_miners_reserve (miner, task->id, hub_task_cores (task), task->spec->mem_mb,
                            task->spec->gpus);
    }
    hub_escrow_sweep (self->escrow, self->tasks);
    if (hub_court_restore (self->court))
        zsys_error ("hub: cannot read the unresolved tasks back from the store");
    hub_store_commit (self->store);
    size_t pending = hub_tasks_queued (self->tasks), assigned = zlistx_size (placed);
    zlistx_destroy (&placed);
    if (pending + assigned)
        zsys_info ("hub %s: restored %zu pending and %zu assigned or running tasks",
                   self->hub_id, pending, assigned);
    return 0;
}

static int
s_bind (zsock_t *sock, const char *path, const char *endpoint, char *err, size_t err_size)
{
    int port = zsock_bind (sock, "%s", endpoint);
    if (port < 0) {
        snprintf (err, err_size, "cannot bind %s to %s: %s", path, endpoint,
                  zmq_strerror (zmq_errno ()));
        return -1;
    }
    return port;
}

static int
s_start (s_server_t *self, char *err, size_t err_size)
{
    const char *data_dir = self->config->data_dir;
    self->store = hub_store_new (data_dir);
    if (!self->store) {
        snprintf (err, err_size, "cannot open the task store in %s (see the log)", data_dir);
        return -1;
    }
    if (hub_store_durability (self->store, self->config->durable_full)) {
        snprintf (err, err_size, "cannot set hub/durability on the store in %s", data_dir);
        return -1;
    }
    self->tasks = hub_tasks_new (self->store);
    hub_tasks_watch (self->tasks, s_task_before, s_task_after, self);
    //  The ledger is checked before anything is served: a hub whose
    //  books were changed behind its back must not pay from them
    char key_file [1024], why [400];
    if (*self->config->ledger_key)
        snprintf (key_file, sizeof key_file, "%s", self->config->ledger_key);
    else
        snprintf (key_file, sizeof key_file, "%s/keys/hub.sign", data_dir);
    self->ledger = hub_ledger_new (self->store, key_file, why, sizeof why);
    if (!self->ledger) {
        snprintf (err, err_size, "ledger: %s", why);
        return -1;
    }
    if (hub_ledger_verify (self->ledger, why, sizeof why)) {
        snprintf (err, err_size, "ledger check failed, not starting: %s", why);
        return -1;
    }
    zsys_info ("hub: ledger of %" PRId64 " entries verified (key %s)",
               hub_ledger_size (self->ledger), hub_ledger_public_key (self->ledger));
    const char *id = self->config->id;
    if (*id)
        snprintf (self->hub_id, sizeof self->hub_id, "%s", id);
    else
    if (hub_store_meta_get (self->store, "hub_id", self->hub_id, sizeof self->hub_id)) {
        fg_id_new ("h", self->hub_id, sizeof self->hub_id);
        if (hub_store_meta_set (self->store, "hub_id", self->hub_id)) {
            snprintf (err, err_size, "cannot write to the task store in %s", data_dir);
            return -1;
        }
    }
    //  The wallet: checked as the ledger is, made on the first start
    hub_wallet_config_t wallet = {
        .hub_id = self->hub_id,
        .stake = self->config->wallet_stake,
        .pay_period_ms = self->config->pay_period_ms,
        .punish_account = self->config->punish_account,
        .self_register = self->config->wallet_self_register
    };
    self->wallet = hub_wallet_new (self->store, self->ledger, &wallet, why, sizeof why);
    if (!self->wallet) {
        snprintf (err, err_size, "wallet check failed, not starting: %s", why);
        return -1;
    }
    self->escrow = hub_escrow_new (self->store, self->ledger, self->wallet, self->config,
                                   err, err_size);
    if (!self->escrow)
        return -1;
    zsys_info ("hub: wallet %s, stake %" PRId64 "%s%s",
               hub_wallet_state_name (hub_wallet_state (self->wallet)),
               hub_escrow_balance (self->escrow, "hub:wallet:frozen"),
               *hub_wallet_refusal (self->wallet)? ": ": "", hub_wallet_refusal (self->wallet));
    int64_t max_message = self->config->max_message;
    self->buyers = zsock_new (ZMQ_ROUTER);
    self->miner_sock = zsock_new (ZMQ_ROUTER);
    zsock_set_linger (self->buyers, 100);
    zsock_set_linger (self->miner_sock, 100);
    fg_msg_limit (self->buyers, max_message);
    fg_msg_limit (self->miner_sock, max_message);
    zsock_set_router_mandatory (self->miner_sock, 1);
    //  ZMTP pings find peers that vanished without closing (a cut cable):
    //  their connections are dropped instead of held open for ever. Not on
    //  the miner socket: libzmq 4.3 keeps every connection's ping timers in
    //  one tree and cancels one by walking it, which at ten thousand miners
    //  was most of the hub's CPU. The miners' own heartbeats tell the hub
    //  whether they live; the kernel's keepalive and retransmission timeout
    //  close a connection to a peer that vanished.
    zsock_set_tcp_keepalive (self->miner_sock, 1);
    zsock_set_tcp_keepalive_idle (self->miner_sock, S_MINER_KEEPALIVE_S);
    zsock_set_tcp_keepalive_intvl (self->miner_sock, S_MINER_KEEPALIVE_S / 3);
    zsock_set_tcp_keepalive_cnt (self->miner_sock, 3);
    zsock_set_tcp_maxrt (self->miner_sock, S_MINER_KEEPALIVE_S * 1000);
    //  Thousands of miners reconnect at once after a restart: the kernel
    //  drops what overflows the accept queue (100 by default in ZeroMQ)
    zsock_set_backlog (self->miner_sock, S_MINER_BACKLOG);
    zsock_set_heartbeat_ivl (self->buyers, S_BUYER_PING_MS);
    zsock_set_heartbeat_timeout (self->buyers, 3 * S_BUYER_PING_MS);
    zsock_set_sndtimeo (self->miner_sock, 0);
    zsock_set_sndtimeo (self->buyers, 0);
    fg_security_allow ("buyers", self->config->buyer_keys);
    fg_security_allow ("miners", self->config->miner_keys);
    fg_security_server (self->buyers, "buyers");
    fg_security_server (self->miner_sock, "miners");
    self->watch = hub_watch_new (self->miner_sock, "miners");
    hub_miners_set_grace (self->miners, self->config->grace_ms);
    self->buyer_port = s_bind (self->buyers, "hub/buyer_endpoint", self->config->buyer_endpoint,
                               err, err_size);
    if (self->buyer_port < 0)
        return -1;
    self->miner_port = s_bind (self->miner_sock, "hub/miner_endpoint", self->config->miner_endpoint,
                               err, err_size);
    if (self->miner_port < 0)
        return -1;
    //  The rooms, each with what it may touch
    self->miner_api = hub_miner_api_new (self->miners, self->tasks, self->escrow, self->wallet,
                                         self->store, self->config, &self->stats,
                                         self->outbox, self->miner_sock);
    self->buyer_api = hub_buyer_api_new (self->tasks, self->store, self->escrow, self->miners,
                                         self->miner_api, self->config, &self->stats,
                                         self->outbox, self->buyers);
    self->logs = hub_logs_new ((size_t) self->config->log_ring);
    hub_miner_api_set_logs (self->miner_api, self->logs);
    hub_buyer_api_set_logs (self->buyer_api, self->logs);
    self->placer = hub_placer_new (self->tasks, self->miners, self->escrow, self->outbox,
                                   self->miner_sock);
    hub_placer_set_credit (self->placer, (uint32_t) self->config->assign_credit);
    self->court = hub_court_new (self->store, self->ledger, self->tasks, self->escrow,
                                 self->miners, self->config, self->hub_id);
    if (!self->court) {
        snprintf (err, err_size, "cannot make the court's tables in %s", data_dir);
        return -1;
    }
    self->court_api = hub_court_api_new (self->court, self->escrow, self->store, self->config,
                                         self->outbox, self->buyers);
    hub_miner_api_set_court (self->miner_api, self->court);
    hub_buyer_api_set_court (self->buyer_api, self->court);
    hub_placer_set_court (self->placer, self->court);
    self->wallet_api = hub_wallet_api_new (self->ledger, self->wallet, self->escrow, self->tasks,
                                           self->config, self->hub_id, self->outbox);
    if (s_restore (self)) {
        snprintf (err, err_size, "cannot load the tasks from the store in %s", data_dir);
        return -1;
    }
    zsys_info ("hub %s: buyers on %s (port %d), miners on %s (port %d), data in %s",
               self->hub_id, self->config->buyer_endpoint, self->buyer_port,
               self->config->miner_endpoint, self->miner_port, data_dir);
    s_register (self);
    const char *http = self->config->http;
    if (*http) {
        self->http_context = (hub_http_context_t) {
            .hub_id = self->hub_id, .started_ms = self->started_ms, .miners = self->miners,
            .store = self->store, .ledger = self->ledger, .tasks = self->tasks,
            .stats = &self->stats, .registrant = self->registrant,
            .locator_http = self->config->locator_http, .watch = self->watch,
            .reputation = hub_court_reputation (self->court) };
        self->http = hub_http_new (http, &self->http_context, err, err_size);
        if (!self->http)
            return -1;
        zsys_info ("hub %s: dashboard and metrics on http://%s (port %d)", self->hub_id, http,
                   fg_http_port (self->http));
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Group commit
//
//  Each burst (what s_serve drained from both sockets, and the tick when
//  due) is one transaction: the scheduler runs once at its end, then it
//  commits, then the outbox sends what the burst had to say. So one
//  commit carries up to 2 * S_BURST requests, and an answer never leaves
//  before the writes it speaks of are on disk.
//
//  state       event                           next        action
//  -----       -----                           ----        ------
//  open        request, tick                   open        write; hold what to say
//  open        end of burst                    committing  schedule (more writes, held assignments)
//  committing  commit done                     sending     outbox sent
//  committing  commit failed (disk full, I/O)  reloaded    refusals sent, answers
//                                                          replaced by errors, notices
//                                                          dropped; state read back
//  sending     a send refused (miner gone)     open        lose that miner, then
//                                                          end of burst again
//  sending     all sent                        idle

//  The commit failed: what the burst changed in memory is not on disk.
//  The hub forgets it and reads its state back from the store, as after a
//  restart, keeping its miners' connections; the requests were answered
//  with errors, so each asker tries again.
static void
s_reload (s_server_t *self)
{
    for (hub_miner_t *miner = hub_miners_first (self->miners); miner;
         miner = hub_miners_next (self->miners)) {
        zlistx_t *ids = zhashx_keys (miner->tasks);
        for (char *id = (char *) zlistx_first (ids); id; id = (char *) zlistx_next (ids))
            hub_miners_release (miner, id);
        zlistx_destroy (&ids);
    }
    hub_tasks_purge (self->tasks);
    char why [256];
    if (hub_wallet_reload (self->wallet, why, sizeof why))
        zsys_error ("hub: cannot read its wallet back: %s", why);
    if (s_restore (self))
        zsys_error ("hub: cannot read its tasks back from %s", hub_store_path (self->store));
}

//  A send the miner socket refused: that miner's connection is gone.
static void
s_refused (void *arg, zsock_t *sock, zframe_t *routing)
{
    s_server_t *self = (s_server_t *) arg;
    hub_miner_t *miner = sock == self->miner_sock && routing?
                         hub_miners_by_routing (self->miners, routing): NULL;
    if (miner && miner->state != HUB_MINER_DEAD) {
        zsys_warning ("miner %s: send refused: %s", miner->id, zmq_strerror (zmq_errno ()));
        zlist_append (self->gone, strdup (miner->id));
    }
}

static void
s_burst_end (s_server_t *self, size_t requests, bool tick)
{
    while (true) {
        //  Cases decided and windows ended before placement: a case may
        //  queue runs
        if (hub_court_tick (self->court, fg_now_ms ()))
            self->reschedule = true;
        //  Not after each burst of heartbeats: scheduling builds a candidate
        //  of every connected miner, and at 10,000 miners that is a hundred
        //  bursts a second while a task waits for room
        if (self->reschedule || tick)
            s_schedule (self);
        self->reschedule = false;
        if (hub_store_commit (self->store)) {
            self->stats.commit_failures++;
            zsys_error ("hub: cannot commit the writes of %zu requests to %s: they are "
                        "answered with errors, and the hub reads its state back",
                        requests, hub_store_path (self->store));
            fg_outbox_fail (self->outbox, FG_E_INTERNAL, "the hub could not store this "
                            "(its disk may be full): nothing was done, try again");
            s_reload (self);
            return;
        }
        if (requests) {
            self->stats.commits++;
            self->stats.commit_requests += requests;
        }
        //  Each round loses at least one miner, and a lost miner is sent
        //  nothing more: this ends
        if (fg_outbox_send (self->outbox, s_refused, self) == 0 || zlist_size (self->gone) == 0)
            return;
        hub_store_begin (self->store);
        for (char *id = (char *) zlist_pop (self->gone); id; id = (char *) zlist_pop (self->gone)) {
            hub_miner_t *miner = hub_miners_lookup (self->miners, id);
            if (miner && miner->state != HUB_MINER_DEAD)
                hub_miner_api_lost (self->miner_api, miner, "its connection is gone (send refused)");
            free (id);
        }
        requests = 0;
        tick = true;
    }
}

static void
s_handle_pipe (s_server_t *self)
{
    zmsg_t *msg = zmsg_recv (self->pipe);
    if (!msg) {
        self->terminated = true;
        return;
    }
    char *command = zmsg_popstr (msg);
    if (command && streq (command, "$TERM"))
        self->terminated = true;
    else
    if (command && streq (command, "PORTS"))
        zsock_send (self->pipe, "ii", self->buyer_port, self->miner_port);
    else
    if (command && streq (command, "HTTP"))
        zsock_send (self->pipe, "i", self->http? fg_http_port (self->http): 0);
    else
    if (command && streq (command, "STATUS")) {
        //  Counts kept as they change: nothing is walked or rendered
        uint64_t miners [HUB_MINER_STATES] = { 0 };
        hub_miners_count_states (self->miners, miners);
        char connected [24], pending [24], running [24];
        snprintf (connected, sizeof connected, "%" PRIu64, miners [HUB_MINER_CONNECTED]);
        snprintf (pending, sizeof pending, "%zu", hub_tasks_count (self->tasks, HUB_TASK_PENDING));
        snprintf (running, sizeof running, "%zu", hub_tasks_count (self->tasks, HUB_TASK_RUNNING));
        zsock_send (self->pipe, "sss", connected, pending, running);
    }
    else
        zsys_warning ("hub: unknown pipe command '%s'", command? command: "");
    zstr_free (&command);
    zmsg_destroy (&msg);
}

//  The poll set: pipe, both ROUTERs, then whatever HTTP listens on.
#define S_MAX_ITEMS 128
//  Requests taken from each socket into one transaction, at most
#define S_BURST     100

static void
s_serve (s_server_t *self)
{
    int64_t tick_ms = self->config->heartbeat_ms / 2? self->config->heartbeat_ms / 2: 1;
    if (tick_ms > S_TICK_MAX_MS)
        tick_ms = S_TICK_MAX_MS;    //  cheap (hub_miners_check), and the grace is short
    int64_t next_tick = fg_now_ms () + tick_ms;
    while (!self->terminated) {
        zmq_pollitem_t items [S_MAX_ITEMS] = {
            { zsock_resolve (self->pipe), 0, ZMQ_POLLIN, 0 },
            { zsock_resolve (self->buyers), 0, ZMQ_POLLIN, 0 },
            { zsock_resolve (self->miner_sock), 0, ZMQ_POLLIN, 0 } };
        size_t count = 3;
        int64_t wait = next_tick - fg_now_ms ();
        if (self->http) {
            count += fg_http_items (self->http, items + count, S_MAX_ITEMS - count);
            int64_t http_wait = fg_http_timeout (self->http);
            if (http_wait >= 0 && http_wait < wait)
                wait = http_wait;
        }
        if (zmq_poll (items, (int) count, wait > 0? (long) wait: 0) < 0 && zmq_errno () != EINTR)
            break;
        //  An interrupt is main's business: it sends $TERM
        if (items [0].revents & ZMQ_POLLIN)
            s_handle_pipe (self);
        //  A burst is drained, in one transaction, before HTTP gets its turn
        hub_store_begin (self->store);
        size_t requests = 0;
        for (int burst = 0; burst < S_BURST && (zsock_events (self->buyers) & ZMQ_POLLIN);
             burst++)
            requests += s_handle_buyer (self);
        for (int burst = 0; burst < S_BURST && (zsock_events (self->miner_sock) & ZMQ_POLLIN);
             burst++)
            requests += s_handle_miner (self);
        //  Closed connections: their miners' grace starts now
        for (int fd = hub_watch_next (self->watch); fd >= 0; fd = hub_watch_next (self->watch))
            hub_miners_closed (self->miners, fd, fg_now_ms ());
        bool tick = fg_now_ms () >= next_tick;
        if (tick) {
            s_tick (self);
            next_tick = fg_now_ms () + tick_ms;
        }
        s_burst_end (self, requests, tick);
        if (self->http)
            fg_http_handle (self->http);
    }
}

void
hub_server_actor (zsock_t *pipe, void *argsv)
{
    hub_server_args_t *args = (hub_server_args_t *) argsv;
    s_server_t *self = (s_server_t *) zmalloc (sizeof (s_server_t));
    self->pipe = pipe;
    self->started_ms = fg_now_ms ();
    self->config = hub_config_new (args->config);
    int64_t buyer_rate = self->config->buyer_rate;
    int64_t miner_rate = self->config->miner_rate;
    self->buyer_limit = fg_ratelimit_new ((double) buyer_rate, 2.0 * (double) buyer_rate, 100000);
    self->miner_limit = fg_ratelimit_new ((double) miner_rate, 2.0 * (double) miner_rate, 100000);
    self->next_settle_ms = fg_now_ms () + self->config->settle_ms;
    self->miners = hub_miners_new ();
    self->outbox = fg_outbox_new ();
    self->gone = zlist_new ();

    args->error [0] = 0;
    args->rc = s_start (self, args->error, sizeof args->error);
    if (args->rc)
        zsys_error ("hub: %s", args->error);
    zsock_signal (pipe, 0);

    if (args->rc == 0)
        s_serve (self);
    else {
        //  Wait for $TERM so the caller's zactor_destroy finds us listening
        while (!self->terminated)
            s_handle_pipe (self);
    }
    fg_registrant_destroy (&self->registrant);
    fg_http_destroy (&self->http);
    hub_watch_destroy (&self->watch);
    zsock_destroy (&self->buyers);
    zsock_destroy (&self->miner_sock);
    fg_outbox_destroy (&self->outbox);
    while (zlist_size (self->gone))
        free (zlist_pop (self->gone));
    zlist_destroy (&self->gone);
    hub_wallet_api_destroy (&self->wallet_api);
    hub_buyer_api_destroy (&self->buyer_api);
    hub_miner_api_destroy (&self->miner_api);
    hub_logs_destroy (&self->logs);
    hub_placer_destroy (&self->placer);
    hub_court_api_destroy (&self->court_api);
    hub_court_destroy (&self->court);
    hub_tasks_destroy (&self->tasks);
    hub_miners_destroy (&self->miners);
    hub_escrow_destroy (&self->escrow);
    hub_wallet_destroy (&self->wallet);
    hub_ledger_destroy (&self->ledger);
    hub_store_destroy (&self->store);
    hub_config_destroy (&self->config);
    fg_ratelimit_destroy (&self->buyer_limit);
    fg_ratelimit_destroy (&self->miner_limit);
    free (self);
}

