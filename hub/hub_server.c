/*  =========================================================================
    hub_server - the hub daemon as an actor

    DESIGN
    One thread owns everything: the two ROUTER sockets, the store, the
    miner table and the tasks in memory, so nothing is locked. Each turn of
    the loop drains a burst of messages from both sockets (and the
    liveness tick when due) into one store transaction, runs the scheduler
    once, commits, and only then sends what the burst had to say: replies,
    assignments, kills wait in an outbox (fg_outbox.h) until the commit,
    because a reply is a promise ("accepted", "paid") that must survive a
    crash. A failed commit (a full disk) answers the burst with errors and
    reads the state back from the store; see "Group commit" below.

    Tasks that are not finished live in memory (`tasks`, by id) and the
    pending ones also in `queue`, in submission order; finished tasks live
    only in the store and are read from it when a buyer asks. A restart
    loads the unfinished ones back. Their miners are not known yet then, so
    each miner of an assigned task is restored as disconnected: it keeps
    its tasks if it says hello in time (its hello lists what it still
    runs), and they are requeued when it dies.

    Scheduling walks the queue in submission order and places every task
    that fits somewhere (a big task does not hold back the small ones
    behind it), updating the candidates as it goes. It runs after every
    event that can change placement. The TaskAssign is sent before the
    task is marked assigned: a miner whose connection is gone (the miner
    ROUTER is ZMQ_ROUTER_MANDATORY, so the send fails) is declared dead
    without charging the task an attempt.

    Attempts: every placement of a task carries its attempt number, and a
    task that goes back to the queue starts a new one. Results and
    TaskStarted count only from the miner of the current attempt with its
    number; anything else is refused as FG_E_STALE (and told to stop), so a
    miner that comes back from a partition cannot complete a task twice.
    A connection that has not said hello (a restarted hub's miners) gets
    FG_E_HELLO instead, and nothing changes: it says hello, then resends.

    Money (hub_ledger.h). Every task change that moves money does it in
    the same store transaction as the change, through s_task_change (and
    s_assign for the escrow), so a crash keeps both or neither:

        task change                     transfer (id)
        -----------                     -------------
        pending -> assigned             buyer:KEY -> escrow:TASK, the miner's
                                        ask (escrow/TASK/ATTEMPT)
        -> succeeded                    escrow:TASK -> miner:ID, minus the fee
                                        (pay/TASK), and -> hub:fee (fee/TASK)
        -> failed, cancelled, pending   escrow:TASK -> buyer:KEY
           (lost miner: requeued)       (refund/TASK/ATTEMPT)

    pay/TASK can exist once, so no task is paid twice; what escrow holds is
    always drained by the settlement, and an escrow left over by a failed
    settlement is settled at the next start. A task is charged its
    miner's ask, which the scheduler keeps within the task's max_price.
    hub/require_funds decides what happens to a buyer who cannot pay it:
    on, a submit is refused (FG_E_FUNDS) when the buyer's balance is below
    the task's max_price (or, without one, below the cheapest connected
    miner's ask), and the scheduler only places a task on miners whose ask
    the buyer's balance covers; a task no such miner fits stays pending,
    its reason saying so, until a deposit or a cheaper miner comes. Off
    (the default, for try-out grids), a task whose buyer cannot pay runs
    unpaid: nothing is escrowed and its miner earns nothing for it, while
    buyers who can pay are charged as usual. Buyers are their CurveZMQ
    public keys (buyer:anonymous on a plain-text hub); deposits come from
    `world`, only with hub/open_deposits on (a stand-in for a payment
    gateway), withdrawals go back to it.

    The hub's wallet (hub_wallet.h) decides whether it may take paid work
    at all. A created wallet (not registered by the DAO yet), a punished
    or a closed one holds nothing in escrow: with hub/require_funds off
    the tasks of paying buyers then run unpaid, their reason says why;
    with it on they wait (created) or are refused at submit (punished,
    closed). A task's escrow is paid to its miner in every state but
    created; escrow of a success that finds the wallet created (a database
    from before the wallet) waits there and is settled at registration.
    A miner that says hello with the hub's own key is marked in the
    ledger as the hub's own: the hub never pays itself, so it runs tasks
    unpaid (or, with require_funds, gets no paid ones). Each payout's
    signed receipt (fg_receipt.h) goes back to the miner in the Ok to its
    result, after the commit, and to anyone who asks (ReceiptRequest).
    AdminRequest drives the wallet: the DAO's keys (hub/admin_keys) and
    the owner's (hub/owner_keys) are checked against the caller's CurveZMQ
    key; each transition is committed before its reply leaves. A miner may ask
    for a WalletStatement (before its hello too): the wallet's state,
    balances and latest payouts signed with the ledger key over the
    miner's nonce, which it checks against the registry (miner_trust.h).

    Conversations are in proto/fogrid.proto; the task and miner state
    tables in hub_task.c and hub_miners.c, the wallet's in hub_wallet.h.
    =========================================================================  */
#include "fogrid.h"
#include "hub_store.h"
#include "hub_ledger.h"
#include "hub_wallet.h"
#include "hub_billing.h"
#include "hub_http.h"
#include "hub_task.h"
#include "hub_miners.h"
#include "hub_sched.h"
#include "hub_fair.h"
#include "hub_server.h"
#include "hub_watch.h"
#include "hub_inputs.h"
#include "hub_logs.h"
#include "fg_expr.h"
#include "fg_statement.h"
#include <sys/stat.h>
#include <unistd.h>
#include <errno.h>

const fg_cfg_def_t hub_server_defs [] = {
    { "hub/id", FG_CFG_STR, "", 0, 0,
      "this hub's id; empty = the one kept in the data directory (made on first start)" },
    { "hub/buyer_endpoint", FG_CFG_STR, "tcp://*:7701", 0, 0,
      "where buyers connect (ROUTER bind endpoint)" },
    { "hub/miner_endpoint", FG_CFG_STR, "tcp://*:7702", 0, 0,
      "where miners connect (ROUTER bind endpoint)" },
    { "hub/advertise_host", FG_CFG_STR, "127.0.0.1", 0, 0,
      "host name or address published in the locator for both endpoints" },
    { "hub/data_dir", FG_CFG_STR, "./fogrid-hub-data", 0, 0,
      "directory of the task store (hub.db) and the hub's keys" },
    { "hub/heartbeat_ms", FG_CFG_INT, "1000", 10, 3600000,
      "how often miners must heartbeat" },
    { "hub/disconnect_ms", FG_CFG_INT, "2000", 20, 3600000,
      "a miner silent this long is disconnected (gets no new tasks)" },
    { "hub/dead_ms", FG_CFG_INT, "2500", 30, 86400000,
      "a miner silent this long is dead: its tasks are requeued (a stopped or cut-off "
      "miner's tasks run elsewhere after at most this, plus a tick)" },
    { "hub/grace_ms", FG_CFG_INT, "1000", 0, 86400000,
      "a miner whose connection closed (killed, crashed) has this long to come back before "
      "it is dead and its tasks requeued; 0 = only silence counts" },
    { "hub/buyer_rate", FG_CFG_INT, "200", 0, 1000000,
      "requests per second each buyer key may make (a burst of twice that); 0 = no limit" },
    { "hub/miner_rate", FG_CFG_INT, "1000", 0, 1000000,
      "messages per second each miner may send (a burst of twice that); 0 = no limit" },
    { "hub/tasks_per_buyer", FG_CFG_INT, "10000", 1, 100000000,
      "unfinished tasks one buyer may have at the hub" },
    { "hub/queue_max", FG_CFG_INT, "10000", 1, 100000000,
      "most pending tasks; beyond it submits get FG_E_HUB_FULL" },
    { "hub/default_retries", FG_CFG_INT, "2", 0, 100,
      "requeues after a lost miner, for tasks that ask for 0" },
    { "hub/default_timeout_s", FG_CFG_INT, "3600", 1, 2592000,
      "time limit of tasks that ask for 0 seconds" },
    { "hub/http", FG_CFG_STR, "127.0.0.1:7781", 0, 0,
      "HTTP address (HOST:PORT) of the dashboard, its JSON, /metrics and the probes; "
      "empty = no HTTP" },
    { "hub/locator_http", FG_CFG_STR, "", 0, 0,
      "the locator's HTTP API (http://HOST:PORT) for the dashboard's services panel" },
    { "hub/max_message", FG_CFG_INT, "4194304", 65536, 1073741824,
      "largest message accepted on either socket, in bytes" },
    { "hub/max_inputs", FG_CFG_INT, "1048576", 0, 3145728,
      "bytes of input files a task may carry with it (TaskSpec.inputs); larger ones go by URL" },
    { "hub/log_ring", FG_CFG_INT, "262144", 1024, 67108864,
      "bytes of each running task's output kept for fogrid logs -f (older output leaves)" },
    { "hub/buyer_keys", FG_CFG_STR, "", 0, 0,
      "directory of buyer public keys admitted; empty = any buyer key" },
    { "hub/miner_keys", FG_CFG_STR, "", 0, 0,
      "directory of miner public keys admitted; empty = any miner key" },
    { "hub/fee_percent", FG_CFG_INT, "5", 0, 100,
      "the hub's cut of each payout to a miner, in percent (rounded down)" },
    { "hub/settle_s", FG_CFG_INT, "60", 1, 86400,
      "settlement period of services, in seconds: each one's buyer is billed its seconds "
      "and each miner paid its services' bills in one transfer" },
    { "hub/require_funds", FG_CFG_BOOL, "0", 0, 0,
      "1 = every task is paid for: buyers who cannot cover it are refused or wait; "
      "0 = their tasks run unpaid (try-out grids)" },
    { "hub/open_deposits", FG_CFG_BOOL, "0", 0, 0,
      "1 = any buyer may credit its own account (DepositRequest): a stand-in for a "
      "payment gateway, for tests and demos" },
    { "hub/admin_keys", FG_CFG_STR, "", 0, 0,
      "the DAO's public keys (Z85, comma-separated): may read any ledger account and "
      "register, suspect, clear or punish the hub's wallet; * = anyone" },
    { "hub/owner_keys", FG_CFG_STR, "", 0, 0,
      "the hub owner's public keys (Z85, comma-separated): may run payday and close the "
      "wallet; empty = hub/admin_keys" },
    { "hub/wallet_stake", FG_CFG_INT, "0", 0, 1000000000000000000LL,
      "frozen funds put up when the wallet is created (first start: world -> "
      "hub:wallet:frozen); 0 = none" },
    { "hub/wallet_self_register", FG_CFG_BOOL, "1", 0, 0,
      "1 = the wallet registers itself when created (grids without a DAO); 0 = it pays no "
      "miner until an admin key registers it (fogrid admin wallet register)" },
    { "hub/pay_period_s", FG_CFG_INT, "86400", 0, 315360000,
      "least time between paydays (hub:fee to owner), and from the registration to the "
      "first; 0 = any time" },
    { "hub/punish_account", FG_CFG_STR, "dao", 0, 0,
      "where a punished hub's stake goes (dao, or world to destroy it)" },
    { "hub/ledger_key", FG_CFG_STR, "", 0, 0,
      "the ledger's Ed25519 signing key file; empty = DATA_DIR/keys/hub.sign (made on first start)" },
    { "locator/endpoints", FG_CFG_STR, "tcp://127.0.0.1:7700", 0, 0,
      "locators to register with (comma-separated); empty = do not register" },
    { "locator/ttl_ms", FG_CFG_INT, "5000", 100, 3600000,
      "lifetime of the hub's registrations between refreshes" },
    FG_SECURITY_DEFS,
    { NULL, FG_CFG_STR, NULL, 0, 0, NULL }
};

//  Bounds on what a buyer may submit
#define S_MAX_ARGS          256
#define S_MAX_ARG_BYTES     4096
#define S_MAX_ENV           256
#define S_MAX_LABELS        64
#define S_MAX_LABEL_BYTES   128
#define S_MAX_CONSTRAINT    1024
#define S_MAX_TOKEN         128
#define S_MAX_RETRIES       100
#define S_MAX_OUTPUTS       32          //  TaskSpec.outputs (the miner's MINER_OUTPUTS_MAX_SPECS)
#define S_MAX_OUTPUT_PATH   1024
#define S_BACKSTOP_MS       60000       //  past a running task's timeout
#define S_ENTRIES_DEFAULT   20          //  ledger entries in a BalanceReply
#define S_ENTRIES_MAX       1000
#define S_ACCOUNT_MAX       160         //  ledger account names

#define S_BUYER_PING_MS     5000    //  ZMTP ping interval on the buyer socket
#define S_MINER_KEEPALIVE_S 30      //  TCP keepalive idle time on the miner socket
#define S_MINER_BACKLOG     4096    //  connections waiting to be accepted
#define S_TICK_MAX_MS       100     //  liveness tick, at most this far apart

typedef struct {
    zsock_t *pipe;              //  to the caller
    fg_config_t *config;        //  settings
    zsock_t *buyers;            //  ROUTER for buyers
    zsock_t *miner_sock;        //  ROUTER for miners, ZMQ_ROUTER_MANDATORY
    hub_watch_t *watch;         //  its closed connections; NULL when not watched
    fg_http_t *http;            //  dashboard, JSON, metrics; NULL when off
    hub_http_context_t http_context;
    hub_stats_t stats;          //  what /metrics and the dashboard count
    hub_store_t *store;         //  tasks on disk
    hub_ledger_t *ledger;       //  the money, in the store's database
    hub_wallet_t *wallet;       //  the hub's wallet: may it charge, pay
    hub_billing_t *billing;     //  services billed per second
    int64_t settle_ms;          //  hub/settle_s
    int64_t next_settle_ms;     //  when services are settled next
    hub_miners_t *miners;       //  the miner table
    zhashx_t *tasks;            //  id -> hub_task_t, unfinished tasks (owned)
    zhashx_t *buyer_tasks;      //  buyer key -> its unfinished tasks (heap size_t)
    zlistx_t *queue;            //  pending tasks in submission order (not owned)
    fg_registrant_t *registrant;    //  keeps `hub` and `hub-miner` in the locators
    char hub_id [64];           //  this hub's id
    int buyer_port;             //  bound port of the buyer socket
    int miner_port;             //  bound port of the miner socket
    int64_t started_ms;         //  for uptime
    int64_t heartbeat_ms;       //  settings, read once
    int64_t disconnect_ms;
    int64_t dead_ms;
    int64_t max_inputs;         //  hub/max_inputs
    hub_logs_t *logs;           //  running tasks' output as it comes (fogrid logs -f)
    int64_t queue_max;
    int64_t tasks_per_buyer;    //  unfinished tasks per buyer key
    fg_ratelimit_t *buyer_limit;    //  per buyer key (or connection)
    fg_ratelimit_t *miner_limit;    //  per miner connection
    int64_t default_retries;
    int64_t default_timeout_s;
    int64_t fee_percent;        //  hub's cut of each payout
    bool require_funds;         //  never run a task unpaid
    bool open_deposits;         //  buyers may deposit (no gateway)
    zlist_t *admin_keys;        //  the DAO: any account, the wallet ("*" = anyone)
    zlist_t *owner_keys;        //  payday, close; empty = admin_keys
    uint32_t reported_load;     //  last load given to the registrant
    fg_outbox_t *outbox;        //  what the open transaction will send once committed
    zlist_t *gone;              //  ids of miners whose sends were refused
    bool reschedule;            //  the burst held more than heartbeats
    bool terminated;            //  $TERM received
} s_server_t;

static void s_miner_lost (s_server_t *self, hub_miner_t *miner, const char *why);
static bool s_is_service (const hub_task_t *task);
static int64_t s_service_rate (s_server_t *self, hub_task_t *task, hub_miner_t *miner);

//  Everything the hub says goes through the outbox: held until the
//  burst's transaction commits (s_burst_end), so no answer promises what
//  a crash could still undo.
static void
s_answer (s_server_t *self, zsock_t *sock, zframe_t *peer, fg_env_t *env)
{
    fg_outbox_answer (self->outbox, sock, peer, env);
}

static void
s_refuse (s_server_t *self, zsock_t *sock, zframe_t *peer, uint64_t seq, fg_error_t code,
          const char *format, ...) __attribute__ ((format (printf, 6, 7)));

static void
s_refuse (s_server_t *self, zsock_t *sock, zframe_t *peer, uint64_t seq, fg_error_t code,
          const char *format, ...)
{
    char text [512];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    fg_outbox_refuse (self->outbox, sock, peer, seq, code, text);
}

//  --------------------------------------------------------------------------
//  Configuration checks (also used by main for -t)

static int
s_check_bind (const char *path, const char *endpoint, char *err, size_t err_size)
{
    const char *colon = strrchr (endpoint, ':');
    bool ok = strncmp (endpoint, "tcp://", 6) == 0 && colon && colon > endpoint + 6;
    if (ok && !streq (colon + 1, "*")) {
        char *end = NULL;
        long port = strtol (colon + 1, &end, 10);
        ok = end && !*end && end != colon + 1 && port > 0 && port <= 65535;
    }
    if (!ok) {
        snprintf (err, err_size, "%s: '%s' is not a bind endpoint "
                  "(want tcp://HOST:PORT, tcp://*:PORT or tcp://HOST:*)", path, endpoint);
        return -1;
    }
    return 0;
}

//  Checks that a start could use the data directory, without making it:
//  -t then fails where a start would, with the reason, and leaves nothing
static int
s_check_dir (const char *path, char *err, size_t err_size)
{
    return fg_datadir_check (path, "hub/data_dir", err, err_size);
}

int
hub_server_check_config (fg_config_t *config, char *err, size_t err_size)
{
    const char *http = fg_config_str (config, "hub/http");
    char http_host [64];
    uint16_t http_port;
    if (*http && fg_address_parse (http, http_host, sizeof http_host, &http_port)) {
        snprintf (err, err_size, "hub/http: '%s' is not an address like 127.0.0.1:7781", http);
        return -1;
    }
    if (s_check_bind ("hub/buyer_endpoint", fg_config_str (config, "hub/buyer_endpoint"),
                      err, err_size)
    ||  s_check_bind ("hub/miner_endpoint", fg_config_str (config, "hub/miner_endpoint"),
                      err, err_size))
        return -1;
    if (streq (fg_config_str (config, "hub/buyer_endpoint"),
               fg_config_str (config, "hub/miner_endpoint"))) {
        snprintf (err, err_size, "hub/buyer_endpoint and hub/miner_endpoint are the same");
        return -1;
    }
    const char *host = fg_config_str (config, "hub/advertise_host");
    if (!*host || !fg_text_valid (host, 253) || strchr (host, ' ')) {
        snprintf (err, err_size, "hub/advertise_host: '%s' is not a host name or address", host);
        return -1;
    }
    const char *id = fg_config_str (config, "hub/id");
    if (*id && (!fg_text_valid (id, 63) || strchr (id, ' '))) {
        snprintf (err, err_size, "hub/id: '%s' must be at most 63 printable characters, no spaces", id);
        return -1;
    }
    zlist_t *locators = fg_split_list (fg_config_str (config, "locator/endpoints"));
    int rc = 0;
    for (char *ep = (char *) zlist_first (locators); ep && !rc; ep = (char *) zlist_next (locators)) {
        char transport [16], lhost [256];
        uint16_t port;
        if (fg_endpoint_parse (ep, transport, sizeof transport, lhost, sizeof lhost, &port)
        ||  !streq (transport, "tcp")) {
            snprintf (err, err_size, "locator/endpoints: '%s' is not tcp://HOST:PORT", ep);
            rc = -1;
        }
    }
    zlist_destroy (&locators);
    if (rc)
        return -1;
    const char *punish = fg_config_str (config, "hub/punish_account");
    if (!hub_ledger_account_valid (punish) || hub_ledger_account_hub (punish)
    ||  strncmp (punish, "escrow:", 7) == 0) {
        snprintf (err, err_size, "hub/punish_account: '%s' is not an account outside the hub "
                  "(dao, world, buyer:KEY, miner:ID)", punish);
        return -1;
    }
    int64_t heartbeat = fg_config_int (config, "hub/heartbeat_ms");
    int64_t disconnect = fg_config_int (config, "hub/disconnect_ms");
    int64_t dead = fg_config_int (config, "hub/dead_ms");
    if (!(disconnect > heartbeat)) {
        snprintf (err, err_size, "hub/disconnect_ms (%" PRId64 ") must be greater than "
                  "hub/heartbeat_ms (%" PRId64 ")", disconnect, heartbeat);
        return -1;
    }
    if (!(dead > disconnect)) {
        snprintf (err, err_size, "hub/dead_ms (%" PRId64 ") must be greater than "
                  "hub/disconnect_ms (%" PRId64 ")", dead, disconnect);
        return -1;
    }
    return s_check_dir (fg_config_str (config, "hub/data_dir"), err, err_size);
}

//  --------------------------------------------------------------------------
//  Tasks in memory

static void
s_task_free (void **item)
{
    hub_task_destroy ((hub_task_t **) item);
}

static int
s_compare_seq (const void *item1, const void *item2)
{
    const hub_task_t *a = (const hub_task_t *) item1, *b = (const hub_task_t *) item2;
    return a->seq < b->seq? -1: a->seq > b->seq? 1: 0;
}

//  The queue holds the pending tasks in submission order; each task
//  keeps its place, so leaving the queue costs nothing however long it is
static void
s_queue_add (s_server_t *self, hub_task_t *task)
{
    //  (a new task or one loaded in order: its seq is the highest yet)
    task->queued = zlistx_add_end (self->queue, task);
}

static void
s_queue_insert (s_server_t *self, hub_task_t *task)
{
    //  (a requeued task goes back to its place by seq)
    task->queued = zlistx_insert (self->queue, task, true);
}

static void
s_queue_remove (s_server_t *self, hub_task_t *task)
{
    if (task->queued) {
        zlistx_delete (self->queue, task->queued);
        task->queued = NULL;
    }
}

//  A task that reached a final state leaves memory (the store has it).
static void
s_task_retire (s_server_t *self, hub_task_t *task)
{
    s_queue_remove (self, task);
    size_t *count = (size_t *) zhashx_lookup (self->buyer_tasks, task->buyer);
    if (count && --*count == 0)
        zhashx_delete (self->buyer_tasks, task->buyer);
    hub_logs_finish (self->logs, task->id);
    zhashx_delete (self->tasks, task->id);
}

//  A task becomes the hub's to finish: kept by id, and counted for its
//  buyer (hub/tasks_per_buyer is checked against the count, not a scan).
static void
s_task_keep (s_server_t *self, hub_task_t *task)
{
    zhashx_insert (self->tasks, task->id, task);
    size_t *count = (size_t *) zhashx_lookup (self->buyer_tasks, task->buyer);
    if (!count) {
        count = (size_t *) zmalloc (sizeof (size_t));
        zhashx_insert (self->buyer_tasks, task->buyer, count);
    }
    ++*count;
}

//  Finds a task in memory, else in the store (*owned: caller destroys).
static hub_task_t *
s_task_find (s_server_t *self, const char *task_id, bool *owned)
{
    *owned = false;
    hub_task_t *task = (hub_task_t *) zhashx_lookup (self->tasks, task_id);
    if (!task && fg_text_valid (task_id, 63)) {
        task = hub_store_task_load (self->store, task_id);
        *owned = task != NULL;
    }
    return task;
}

//  --------------------------------------------------------------------------
//  Money

static void
s_collect_name (void *arg, const char *account, int64_t balance)
{
    (void) balance;
    zlist_append ((zlist_t *) arg, (void *) account);
}

//  The ledger account of a buyer (its key, "" when security is off).
static void
s_buyer_account (const char *buyer_key, char *account, size_t size)
{
    snprintf (account, size, "buyer:%s", buyer_key && *buyer_key? buyer_key: "anonymous");
}

static int64_t
s_balance (s_server_t *self, const char *account)
{
    int64_t balance = 0;
    hub_ledger_balance (self->ledger, account, &balance);
    return balance;
}

//  Drains what escrow holds for the task: to its miner (less the hub's
//  fee) when it succeeded, else back to its buyer. Runs in the transaction
//  of the state change it belongs to. A settlement the ledger refuses
//  leaves the money in escrow (never lost; logged) for the next start's
//  sweep. tag: "" for a settlement at the change, else the sweep's mark
//  for the refund's id.
static void
s_settle (s_server_t *self, hub_task_t *task, bool success, const char *tag)
{
    char escrow [64];
    snprintf (escrow, sizeof escrow, "escrow:%s", task->id);
    int64_t held = s_balance (self, escrow);
    if (held <= 0)
        return;
    char buyer [S_ACCOUNT_MAX], miner [S_ACCOUNT_MAX], pay_id [96], fee_id [96], memo [200];
    s_buyer_account (task->buyer, buyer, sizeof buyer);
    snprintf (miner, sizeof miner, "miner:%s", task->miner_id);
    bool pay = success && *task->miner_id;
    bool own = pay && hub_ledger_own (self->ledger, miner);
    if (pay && !own && !hub_wallet_can_pay (self->wallet)) {
        zsys_warning ("task %s: its escrow of %" PRId64 " stays in %s until the wallet is "
                      "registered: %s", task->id, held, escrow, hub_wallet_refusal (self->wallet));
        return;
    }
    hub_transfer_t legs [2];
    size_t count = 0;
    if (pay && !own) {
        int64_t fee = hub_ledger_fee (held, self->fee_percent);
        snprintf (pay_id, sizeof pay_id, "pay/%s", task->id);
        snprintf (fee_id, sizeof fee_id, "fee/%s", task->id);
        snprintf (memo, sizeof memo, "task %s succeeded on %s (attempt %u), price %" PRId64,
                  task->id, task->miner_id, task->attempt, held);
        if (held - fee > 0)
            legs [count++] = (hub_transfer_t) { pay_id, escrow, miner, held - fee, memo };
        if (fee > 0)
            legs [count++] = (hub_transfer_t) { fee_id, escrow, "hub:fee", fee, memo };
    }
    else {
        if (*tag)
            snprintf (pay_id, sizeof pay_id, "refund/%s/%s", task->id, tag);
        else
            snprintf (pay_id, sizeof pay_id, "refund/%s/%u", task->id, task->attempt);
        snprintf (memo, sizeof memo, "task %s attempt %u %s: refund", task->id, task->attempt,
                  own? "succeeded on the hub's own miner (a hub cannot pay itself)"
                  : success? "succeeded without a miner": "did not succeed");
        legs [count++] = (hub_transfer_t) { pay_id, escrow, buyer, held, memo };
    }
    hub_ledger_rc_t rc = hub_ledger_apply (self->ledger, legs, count);
    if (rc != HUB_LEDGER_OK && rc != HUB_LEDGER_REPLAY)
        zsys_error ("task %s: cannot settle its escrow of %" PRId64 " (%s): it stays in %s",
                    task->id, held, hub_ledger_strerror (rc), escrow);
    else
    if (pay && !own) {
        zsys_info ("task %s: paid %" PRId64 " to miner:%s, fee %" PRId64, task->id,
                   count? legs [0].amount: 0, task->miner_id, held - (count? legs [0].amount: 0));
        if (hub_ledger_amount (self->ledger, pay_id) > 0)
            hub_wallet_receipt_make (self->wallet, task->id, task->attempt, task->miner_id);
    }
    else
        zsys_info ("task %s: refunded %" PRId64 " to %s", task->id, held, buyer);
}

//  A service is billed while it runs: from its start, to its end; for a
//  miner that was lost, to when it was last heard of.
static void
s_service_billing (s_server_t *self, hub_task_t *task, hub_task_state_t next)
{
    hub_miner_t *miner = hub_miners_lookup (self->miners, task->miner_id);
    int64_t now = fg_now_ms ();
    if (next == HUB_TASK_RUNNING && miner) {
        char buyer [S_ACCOUNT_MAX];
        s_buyer_account (task->buyer, buyer, sizeof buyer);
        int64_t rate = s_service_rate (self, task, miner);
        if (hub_billing_start (self->billing, task->id, buyer, miner->id, rate, now))
            zsys_error ("task %s: cannot start billing its service", task->id);
        else
        if (rate > 0)
            zsys_info ("task %s: service billed %" PRId64 " per second to %s", task->id, rate,
                       buyer);
    }
    else
    if (task->state == HUB_TASK_RUNNING) {
        int64_t end = miner && miner->state != HUB_MINER_CONNECTED && miner->last_seen_ms < now?
                      miner->last_seen_ms: now;
        if (hub_billing_stop (self->billing, task->id, end))
            zsys_error ("task %s: cannot bill the end of its service", task->id);
    }
}

//  Every change of a task's state but the assignment (s_assign): the
//  money that goes with it first, then the change, in one transaction.
static int
s_task_change (s_server_t *self, hub_task_t *task, hub_task_state_t next, const char *reason)
{
    if (hub_task_transition_valid (task->state, next)
    &&  next != HUB_TASK_ASSIGNED && next != HUB_TASK_RUNNING)
        s_settle (self, task, next == HUB_TASK_SUCCEEDED, "");
    if (hub_task_transition_valid (task->state, next) && s_is_service (task))
        s_service_billing (self, task, next);
    int rc = hub_task_set_state (task, next, NULL, reason, self->store);
    if (rc == 0 && hub_task_state_terminal (next))
        hub_stats_finished (&self->stats, next, task->submitted_ms, fg_now_ms ());
    return rc;
}

//  What the miner asks for the task (hub_sched_ask), as a ledger amount
//  (a hello asking more than INT64_MAX is refused).
static int64_t
s_ask (hub_miner_t *miner, const Fogrid__TaskSpec *spec)
{
    return (int64_t) hub_sched_ask (miner->resources, spec);
}

//  The lowest ask for spec among connected miners (0 when none is connected).
static int64_t
s_cheapest_ask (s_server_t *self, const Fogrid__TaskSpec *spec)
{
    int64_t cheapest = -1;
    for (hub_miner_t *miner = hub_miners_first (self->miners); miner;
         miner = hub_miners_next (self->miners))
        if (miner->state == HUB_MINER_CONNECTED
        &&  (cheapest < 0 || s_ask (miner, spec) < cheapest))
            cheapest = s_ask (miner, spec);
    return cheapest < 0? 0: cheapest;
}

//  Settles escrow left over from an earlier run (a settlement the ledger
//  refused): tasks that are finished are paid or refunded as their state
//  says, pending ones refunded; assigned and running ones keep theirs.
static void
s_sweep_escrow (s_server_t *self)
{
    zlist_t *names = zlist_new ();
    zlist_autofree (names);
    hub_ledger_accounts (self->ledger, "escrow:", false,
                         s_collect_name, names);
    char tag [32];
    snprintf (tag, sizeof tag, "sweep-%" PRId64, hub_ledger_size (self->ledger));
    for (char *name = (char *) zlist_first (names); name; name = (char *) zlist_next (names)) {
        const char *task_id = name + strlen ("escrow:");
        bool owned;
        hub_task_t *task = s_task_find (self, task_id, &owned);
        if (!task)
            zsys_error ("ledger: %s holds %" PRId64 " for a task this hub does not know: left there",
                        name, s_balance (self, name));
        else
        if (task->state != HUB_TASK_ASSIGNED && task->state != HUB_TASK_RUNNING) {
            zsys_warning ("ledger: %s still holds %" PRId64 " for a %s task: settling it",
                          name, s_balance (self, name), hub_task_state_name (task->state));
            s_settle (self, task, task->state == HUB_TASK_SUCCEEDED, tag);
        }
        if (owned)
            hub_task_destroy (&task);
    }
    zlist_destroy (&names);
}

//  Takes the task off its miner and requeues it as a new attempt, or
//  fails it when its retries are spent.
static void
s_task_lost (s_server_t *self, hub_task_t *task, const char *why)
{
    hub_miner_t *miner = hub_miners_lookup (self->miners, task->miner_id);
    if (miner)
        hub_miners_release (miner, task->id);
    if (task->retries_left > 0) {
        s_task_change (self, task, HUB_TASK_PENDING, why);
        s_queue_insert (self, task);
        self->stats.requeued++;
    }
    else {
        char reason [256];
        snprintf (reason, sizeof reason, "miner lost, no retries left (%s)", why);
        s_task_change (self, task, HUB_TASK_FAILED, reason);
        s_task_retire (self, task);
    }
}

//  --------------------------------------------------------------------------
//  Sending to miners

//  Sends to a miner (an answer to it, or work of the hub's own accord),
//  or returns -1 when it has no connection. A send the socket refuses
//  later, at the commit, means the connection is gone: s_refused.
static int
s_send_miner (s_server_t *self, hub_miner_t *miner, fg_env_t *env, bool notice)
{
    if (!miner->routing || miner->state == HUB_MINER_DEAD)
        return -1;
    if (notice)
        fg_outbox_notice (self->outbox, self->miner_sock, miner->routing, env);
    else
        fg_outbox_answer (self->outbox, self->miner_sock, miner->routing, env);
    return 0;
}

static void
s_send_kill (s_server_t *self, zframe_t *routing, const char *task_id, uint32_t attempt)
{
    Fogrid__TaskKill kill = FOGRID__TASK_KILL__INIT;
    kill.task_id = (char *) task_id;
    kill.attempt = attempt;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_KILL;
    env.task_kill = &kill;
    fg_outbox_notice (self->outbox, self->miner_sock, routing, &env);
}

//  The miner is dead (gone, silent for good, or it said it stops): its
//  tasks go back to the queue (or fail).
static void
s_miner_dead (s_server_t *self, hub_miner_t *miner, const char *why)
{
    hub_miners_set_state (miner, HUB_MINER_DEAD, why);
    zlistx_t *ids = zhashx_keys (miner->tasks);
    char reason [256];
    snprintf (reason, sizeof reason, "miner %s lost: %s", miner->id, why);
    for (char *id = (char *) zlistx_first (ids); id; id = (char *) zlistx_next (ids)) {
        hub_task_t *task = (hub_task_t *) zhashx_lookup (self->tasks, id);
        if (task && streq (task->miner_id, miner->id))
            s_task_lost (self, task, reason);
        else
            hub_miners_release (miner, id);
    }
    zlistx_destroy (&ids);
}

//  ... without a word: counted as lost
static void
s_miner_lost (s_server_t *self, hub_miner_t *miner, const char *why)
{
    self->stats.miners_lost++;
    s_miner_dead (self, miner, why);
}

//  --------------------------------------------------------------------------
//  Scheduling

//  True when the miner is the hub's own: a miner that said hello with the
//  hub's key (the ledger refuses to pay it).
static bool
s_miner_own (s_server_t *self, hub_miner_t *miner)
{
    char account [S_ACCOUNT_MAX];
    snprintf (account, sizeof account, "miner:%s", miner->id);
    return hub_ledger_own (self->ledger, account);
}

//  True when a task of a buyer holding balance can be charged the miner's
//  ask: it asks nothing, or the buyer can pay it (a service: its first
//  second), the wallet may charge and the miner is not the hub's own.
static bool
s_chargeable (s_server_t *self, hub_miner_t *miner, hub_task_t *task, int64_t balance)
{
    int64_t price = s_ask (miner, task->spec);
    return price == 0
        || (balance >= price && hub_wallet_can_charge (self->wallet) && !s_miner_own (self, miner));
}

//  True for a service (fogrid run-service): billed per second while it
//  runs (hub_billing.h), not paid from escrow.
static bool
s_is_service (const hub_task_t *task)
{
    return task->spec->service_name && *task->spec->service_name;
}

//  What a service costs its buyer per second on miner: its ask, or 0 when
//  it runs unpaid (the buyer cannot pay a second, the wallet may not
//  charge, or the miner is the hub's own).
static int64_t
s_service_rate (s_server_t *self, hub_task_t *task, hub_miner_t *miner)
{
    char buyer [S_ACCOUNT_MAX];
    s_buyer_account (task->buyer, buyer, sizeof buyer);
    int64_t rate = s_ask (miner, task->spec);
    return rate > 0 && s_chargeable (self, miner, task, s_balance (self, buyer))? rate: 0;
}

//  Sends the task to the miner and holds its price in escrow (a service
//  is billed from when it runs instead). Returns 0
//  when placed, 1 when not placed but the miner is fine, -1 when the send
//  failed (the miner's connection is gone).
static int
s_assign (s_server_t *self, hub_task_t *task, hub_miner_t *miner)
{
    //  Decided before the send: the ledger cannot refuse what is checked here
    int64_t price = s_ask (miner, task->spec);
    char buyer [S_ACCOUNT_MAX];
    s_buyer_account (task->buyer, buyer, sizeof buyer);
    int64_t balance = price > 0? s_balance (self, buyer): 0;
    bool wallet_ok = hub_wallet_can_charge (self->wallet);
    bool own = price > 0 && s_miner_own (self, miner);
    bool charge = price > 0 && balance >= price && wallet_ok && !own;
    if (price > 0 && !charge && self->require_funds)
        return 1;           //  the scheduler offers only miners the buyer can pay
    if (!miner->routing || miner->state == HUB_MINER_DEAD)
        return -1;

    char reason [256] = "";
    if (charge && !s_is_service (task)) {
        char id [96], escrow [64], memo [160];
        snprintf (id, sizeof id, "escrow/%s/%u", task->id, task->attempt);
        snprintf (escrow, sizeof escrow, "escrow:%s", task->id);
        snprintf (memo, sizeof memo, "task %s attempt %u on %s", task->id, task->attempt,
                  miner->id);
        hub_ledger_rc_t rc = hub_ledger_transfer (self->ledger, id, buyer, escrow, price, memo);
        if (rc != HUB_LEDGER_OK && rc != HUB_LEDGER_REPLAY) {
            zsys_error ("task %s: cannot hold %" PRId64 " in escrow: %s", task->id, price,
                        hub_ledger_strerror (rc));
            if (self->require_funds)
                return 1;
            charge = false;
        }
    }
    Fogrid__TaskAssign assign = FOGRID__TASK_ASSIGN__INIT;
    assign.task_id = task->id;
    assign.attempt = task->attempt;
    assign.spec = task->spec;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_ASSIGN;
    env.task_assign = &assign;
    s_send_miner (self, miner, &env, true);
    if (price > 0 && !charge) {
        if (!wallet_ok)
            snprintf (reason, sizeof reason, "runs unpaid: %s (hub/require_funds is off)",
                      hub_wallet_refusal (self->wallet));
        else
        if (own)
            snprintf (reason, sizeof reason, "runs unpaid: miner %s runs with the hub's own key, "
                      "and a hub cannot pay itself", miner->id);
        else
            snprintf (reason, sizeof reason, "runs unpaid: %s holds %" PRId64 ", %s asks %" PRId64
                      " (hub/require_funds is off)", buyer, balance, miner->id, price);
        zsys_info ("task %s %s", task->id, reason);
    }
    hub_miners_reserve (miner, task->id, hub_task_cores (task), task->spec->mem_mb,
                        task->spec->gpus);
    hub_task_set_state (task, HUB_TASK_ASSIGNED, miner->id, *reason? reason: NULL, self->store);
    self->stats.dispatched++;
    return 0;
}

//  With hub/require_funds, the task must be paid for: the miner it goes to
//  asks nothing, or no more than its buyer holds while the wallet may take
//  paid work and the miner is not the hub's own. When the policy's choice
//  is not such a miner, the choice is made again among those that are.
//  Returns the index, or -1 (then the task's reason says why it waits).
static int
s_choose_affordable (s_server_t *self, hub_task_t *task, hub_sched_miner_t *cands,
                     hub_miner_t **owners, size_t count, int chosen)
{
    int64_t price = s_ask (owners [chosen], task->spec);
    if (!self->require_funds || price == 0)
        return chosen;
    char buyer [S_ACCOUNT_MAX];
    s_buyer_account (task->buyer, buyer, sizeof buyer);
    int64_t balance = s_balance (self, buyer);
    if (s_chargeable (self, owners [chosen], task, balance))
        return chosen;
    hub_sched_miner_t *within = (hub_sched_miner_t *) zmalloc (sizeof (hub_sched_miner_t) * count);
    memcpy (within, cands, sizeof (hub_sched_miner_t) * count);
    for (size_t index = 0; index < count; index++)
        if (!s_chargeable (self, owners [index], task, balance))
            within [index].connected = false;
    int affordable = hub_sched_choose (task->spec, within, count);
    free (within);
    if (affordable < 0) {
        char reason [256];
        if (!hub_wallet_can_charge (self->wallet))
            snprintf (reason, sizeof reason, "waiting: %s, and every miner that fits asks a price",
                      hub_wallet_refusal (self->wallet));
        else
        if (balance >= price)
            snprintf (reason, sizeof reason, "waiting: %s runs with the hub's own key (a hub "
                      "cannot pay itself) and no other miner that fits is free or affordable",
                      owners [chosen]->id);
        else
            snprintf (reason, sizeof reason, "waiting for funds: %s holds %" PRId64
                      ", less than any miner that fits asks (%s asks %" PRId64 ")",
                      buyer, balance, owners [chosen]->id, price);
        if (!streq (task->reason, reason)) {
            zsys_info ("task %s %s", task->id, reason);
            hub_task_set_text (&task->reason, reason);
        }
    }
    return affordable;
}

//  The most room any connected candidate has, of each kind
typedef struct {
    uint32_t cores;
    uint64_t mem_mb;
    uint32_t gpus;
} s_room_t;

static s_room_t
s_most_room (const hub_sched_miner_t *cands, size_t count)
{
    s_room_t most = { 0, 0, 0 };
    for (size_t index = 0; index < count; index++) {
        const hub_sched_miner_t *cand = &cands [index];
        if (!cand->connected)
            continue;
        most.cores = cand->free_cores > most.cores? cand->free_cores: most.cores;
        most.mem_mb = cand->free_mem_mb > most.mem_mb? cand->free_mem_mb: most.mem_mb;
        most.gpus = cand->free_gpus > most.gpus? cand->free_gpus: most.gpus;
    }
    return most;
}

static void
s_schedule (s_server_t *self)
{
    while (zlistx_size (self->queue) > 0) {
        //  Candidates: the connected miners, as the scheduler sees them
        size_t total = hub_miners_size (self->miners), count = 0;
        hub_sched_miner_t *cands = (hub_sched_miner_t *) zmalloc (sizeof (hub_sched_miner_t) * (total + 1));
        hub_miner_t **owners = (hub_miner_t **) zmalloc (sizeof (hub_miner_t *) * (total + 1));
        bool room = false;
        for (hub_miner_t *miner = hub_miners_first (self->miners); miner;
             miner = hub_miners_next (self->miners))
            if (miner->state == HUB_MINER_CONNECTED) {
                hub_miners_candidate (miner, &cands [count]);
                room |= cands [count].free_cores > 0;
                owners [count++] = miner;
            }
        if (!room) {
            free (cands);
            free (owners);
            break;          //  nothing can be placed: no need to order the queue
        }
        zlist_t *lost = zlist_new ();       //  miners whose sends failed
        size_t placed = 0;
        hub_fair_t *fair = hub_fair_new (self->queue, self->miners, self->tasks);
        hub_task_t **taken = (hub_task_t **) zmalloc (sizeof (hub_task_t *)
                                                      * (zlistx_size (self->queue) + 1));
        s_room_t most = s_most_room (cands, count);
        hub_task_t *task;
        while (count && most.cores > 0 && (task = hub_fair_next (fair))) {
            //  A task bigger than any miner's room now is passed over
            //  before the scheduler weighs it: a queue may hold thousands
            if (hub_task_cores (task) > most.cores || task->spec->mem_mb > most.mem_mb
            ||  task->spec->gpus > most.gpus)
                continue;
            int chosen = hub_sched_choose (task->spec, cands, count);
            if (chosen >= 0)
                chosen = s_choose_affordable (self, task, cands, owners, count, chosen);
            if (chosen < 0)
                continue;
            int rc = s_assign (self, task, owners [chosen]);
            if (rc == 0) {
                taken [placed++] = task;
                hub_miners_candidate (owners [chosen], &cands [chosen]);
                most = s_most_room (cands, count);
            }
            else
            if (rc < 0) {
                cands [chosen].connected = false;
                zlist_append (lost, owners [chosen]);
                most = s_most_room (cands, count);
            }
        }
        for (size_t index = 0; index < placed; index++)
            s_queue_remove (self, taken [index]);
        hub_fair_destroy (&fair);
        free (taken);
        free (cands);
        free (owners);
        bool again = zlist_size (lost) > 0;
        for (hub_miner_t *miner = (hub_miner_t *) zlist_first (lost); miner;
             miner = (hub_miner_t *) zlist_next (lost))
            s_miner_lost (self, miner, "its connection is gone (send refused)");
        zlist_destroy (&lost);
        if (!again)
            break;          //  else its tasks are back in the queue: place them
    }
}

//  --------------------------------------------------------------------------
//  Replies to buyers

typedef struct {
    Fogrid__TaskInfo info;              //  the message
    Fogrid__StateChange **history;      //  its history (owned)
    size_t count;                       //  entries in history
    size_t capacity;                    //  allocated
    Fogrid__TaskSpec *spec;             //  the task's without its inputs' content, or NULL
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
s_info_build (s_server_t *self, hub_task_t *task, s_info_t *out)
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
    char id [96];
    if (s_is_service (task)) {
        int64_t seconds = 0;
        out->info.billed = (uint64_t) hub_billing_billed (self->billing, task->id, &seconds);
        out->info.billed_seconds = (uint64_t) seconds;
    }
    else
    if (task->state == HUB_TASK_ASSIGNED || task->state == HUB_TASK_RUNNING) {
        snprintf (id, sizeof id, "escrow:%s", task->id);
        out->info.price = (uint64_t) s_balance (self, id);
    }
    else
    if (task->state == HUB_TASK_SUCCEEDED) {
        snprintf (id, sizeof id, "pay/%s", task->id);
        int64_t paid = hub_ledger_amount (self->ledger, id);
        snprintf (id, sizeof id, "fee/%s", task->id);
        out->info.price = (uint64_t) (paid + hub_ledger_amount (self->ledger, id));
    }
    hub_store_task_events (self->store, task->id, s_history_add, out);
    out->info.n_history = out->count;
    out->info.history = out->history;
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
    memset (info, 0, sizeof *info);
}

static void
s_reply_task_info (s_server_t *self, zframe_t *peer, uint64_t seq, hub_task_t *task)
{
    s_info_t info;
    s_info_build (self, task, &info);
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_INFO;
    env.task_info = &info.info;
    s_answer (self, self->buyers, peer, &env);
    s_info_reset (&info);
}

//  --------------------------------------------------------------------------
//  Buyer requests

static bool
s_label_valid (const Fogrid__Label *label)
{
    return *label->key && fg_text_valid (label->key, S_MAX_LABEL_BYTES)
        && fg_text_valid (label->value, S_MAX_LABEL_BYTES);
}

//  Returns 0 when the spec may be accepted, else -1 with why.
//  A service (fogrid run-service; the miner runs it, miner/miner_service.h):
//  a container with a name the locator takes but not one of the grid's own
//  (`hub`, `hub-*` and `locator`: a buyer's service must not stand beside
//  them), a port, a health check the miner knows, function names the
//  locator takes. The scheduler places it on docker miners (it has an image).
static int
s_service_spec_check (const Fogrid__TaskSpec *spec, char *why, size_t size)
{
    const char *name = spec->service_name;
    if (!fg_name_valid (name)) {
        snprintf (why, size, "service name '%.64s': a-z, 0-9 and '-', 1..63, no leading or "
                  "trailing '-'", name);
        return -1;
    }
    if (streq (name, "hub") || strncmp (name, "hub-", 4) == 0 || streq (name, "locator")) {
        snprintf (why, size, "service name '%s' is reserved for the grid's own servers", name);
        return -1;
    }
    if (!*spec->image || (*spec->runtime && !streq (spec->runtime, "docker"))) {
        snprintf (why, size, "a service runs in a container: it needs an image (docker runtime)");
        return -1;
    }
    if (spec->service_port == 0 || spec->service_port > 65535) {
        snprintf (why, size, "service port %u is not in 1..65535", spec->service_port);
        return -1;
    }
    const char *health = spec->health;
    if (*health && !streq (health, "tcp")
    &&  (strncmp (health, "http:/", 6) || !fg_text_valid (health, 205) || strchr (health, ' '))) {
        snprintf (why, size, "health check '%.64s': tcp, or http:/PATH (printable, no spaces, "
                  "at most 200 bytes)", health);
        return -1;
    }
    if (spec->n_service_functions > 64) {
        snprintf (why, size, "%zu functions (limit 64)", spec->n_service_functions);
        return -1;
    }
    for (size_t index = 0; index < spec->n_service_functions; index++) {
        const char *function = spec->service_functions [index];
        if (!*function || !fg_text_valid (function, 63) || strchr (function, ' ')
        ||  strchr (function, ',')) {
            snprintf (why, size, "function %zu: 1..63 printable, no spaces or commas", index + 1);
            return -1;
        }
    }
    return 0;
}

static int
s_spec_check (const Fogrid__TaskSpec *spec, char *why, size_t size)
{
    if (!spec) {
        snprintf (why, size, "submit without a spec");
        return -1;
    }
    //  A service may run its image's own command
    bool service = spec->service_name && *spec->service_name;
    if ((spec->n_argv == 0 && !service) || (spec->n_argv && !*spec->argv [0])) {
        snprintf (why, size, "argv is empty: nothing to run");
        return -1;
    }
    if (spec->n_argv > S_MAX_ARGS) {
        snprintf (why, size, "argv has %zu arguments (limit %d)", spec->n_argv, S_MAX_ARGS);
        return -1;
    }
    //  Arguments are UTF-8 (s_handle_submit checked every string)
    for (size_t index = 0; index < spec->n_argv; index++)
        if (strlen (spec->argv [index]) > S_MAX_ARG_BYTES) {
            snprintf (why, size, "argument %zu is over %d bytes", index + 1, S_MAX_ARG_BYTES);
            return -1;
        }
    if (spec->n_env > S_MAX_ENV) {
        snprintf (why, size, "env has %zu entries (limit %d)", spec->n_env, S_MAX_ENV);
        return -1;
    }
    for (size_t index = 0; index < spec->n_env; index++) {
        const char *entry = spec->env [index];
        if (strlen (entry) > S_MAX_ARG_BYTES || entry [0] == '=' || !strchr (entry, '=')) {
            snprintf (why, size, "env entry %zu is not KEY=VALUE of at most %d bytes",
                      index + 1, S_MAX_ARG_BYTES);
            return -1;
        }
    }
    const char *runtime = spec->runtime;
    //  null: the benchmark-only runtime; only miners that offer it take it
    if (*runtime && !streq (runtime, "process") && !streq (runtime, "docker")
    &&  !streq (runtime, "null")) {
        snprintf (why, size, "unknown runtime (want process or docker)");
        return -1;
    }
    if (!fg_text_valid (spec->image, 256)) {
        snprintf (why, size, "image: not printable or over 256 bytes");
        return -1;
    }
    if (streq (runtime, "docker") && !*spec->image) {
        snprintf (why, size, "the docker runtime needs an image");
        return -1;
    }
    if (spec->n_labels > S_MAX_LABELS) {
        snprintf (why, size, "%zu labels (limit %d)", spec->n_labels, S_MAX_LABELS);
        return -1;
    }
    for (size_t index = 0; index < spec->n_labels; index++)
        if (!s_label_valid (spec->labels [index])) {
            snprintf (why, size, "label %zu: key and value must be printable, key not empty, "
                      "at most %d bytes each", index, S_MAX_LABEL_BYTES);
            return -1;
        }
    if (!fg_text_valid (spec->constraint, S_MAX_CONSTRAINT)) {
        snprintf (why, size, "constraint: not printable or over %d bytes", S_MAX_CONSTRAINT);
        return -1;
    }
    //  Refused now, with the column, rather than a task that never places
    char expr_err [200];
    if (fg_expr_check (spec->constraint, expr_err, sizeof expr_err)) {
        snprintf (why, size, "constraint: %s", expr_err);
        return -1;
    }
    hub_policy_t policy;
    if (!fg_text_valid (spec->policy, 32) || hub_sched_policy_parse (spec->policy, &policy)) {
        snprintf (why, size, "unknown policy (want fastest, cheapest, binpack or spread)");
        return -1;
    }
    if (spec->retries > S_MAX_RETRIES) {
        snprintf (why, size, "retries %u is over the limit of %d", spec->retries, S_MAX_RETRIES);
        return -1;
    }
    //  Outputs: paths the miner copies back, never ones that climb out
    //  (a process task's must stay in its work directory: relative)
    if (spec->n_outputs > S_MAX_OUTPUTS) {
        snprintf (why, size, "%zu outputs (limit %d)", spec->n_outputs, S_MAX_OUTPUTS);
        return -1;
    }
    if (spec->n_outputs && service) {
        snprintf (why, size, "a service leaves no output files: outputs are for batch tasks");
        return -1;
    }
    bool process = !*spec->image && (!*runtime || streq (runtime, "process"));
    for (size_t index = 0; index < spec->n_outputs; index++) {
        const char *output = spec->outputs [index];
        char normal [S_MAX_OUTPUT_PATH + 1];
        if (fg_path_normal (output, S_MAX_OUTPUT_PATH, normal, sizeof normal)) {
            snprintf (why, size, "output %zu: a path of 1..%d printable bytes, with no '..' "
                      "part, not the root", index + 1, S_MAX_OUTPUT_PATH);
            return -1;
        }
        if (process && *output == '/') {
            snprintf (why, size, "output '%.100s': the process runtime copies paths relative "
                      "to the task's work directory", output);
            return -1;
        }
    }
    if (service || spec->service_port || *spec->health || spec->n_service_functions)
        return s_service_spec_check (spec, why, size);
    return 0;
}

static void
s_reply_submit (s_server_t *self, zframe_t *peer, uint64_t seq, const char *task_id,
                bool duplicate)
{
    Fogrid__SubmitReply reply = FOGRID__SUBMIT_REPLY__INIT;
    reply.task_id = (char *) task_id;
    reply.duplicate = duplicate;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_SUBMIT_REPLY;
    env.submit_reply = &reply;
    s_answer (self, self->buyers, peer, &env);
}

static void
s_handle_submit (s_server_t *self, zframe_t *peer, uint64_t seq, const char *buyer,
                 Fogrid__SubmitRequest *request)
{
    char why [256];
    //  Every string of a task goes back out in its TaskInfo, which other
    //  protobuf runtimes refuse whole if one is not UTF-8 (fg_msg.h)
    if (fg_msg_utf8_find (&request->base, why, sizeof why)) {
        self->stats.refused++;
        s_refuse (self, self->buyers, peer, seq, FG_E_INVALID, "submit refused: %s is not "
                  "UTF-8, which every string of a task must be", why);
        return;
    }
    if (s_spec_check (request->spec, why, sizeof why)) {
        self->stats.refused++;
        s_refuse (self, self->buyers, peer, seq, FG_E_INVALID, "submit refused: %s", why);
        return;
    }
    if (hub_inputs_check (request->spec, (size_t) self->max_inputs, why, sizeof why)) {
        self->stats.refused++;
        s_refuse (self, self->buyers, peer, seq, FG_E_INVALID, "submit refused: %s", why);
        return;
    }
    const char *token = request->client_token;
    if (!fg_text_valid (token, S_MAX_TOKEN)) {
        self->stats.refused++;
        s_refuse (self, self->buyers, peer, seq, FG_E_INVALID,
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
            self->stats.refused++;
            s_refuse (self, self->buyers, peer, seq, FG_E_CONFLICT,
                      "submit refused: client_token %s was used for task %s with another "
                      "spec; a retry must send the same spec, a new task a new token",
                      token, earlier->id);
        }
        else
            s_reply_submit (self, peer, seq, earlier->id, true);
        hub_task_destroy (&earlier);
        return;
    }
    if (self->require_funds && (hub_wallet_state (self->wallet) == HUB_WALLET_PUNISHED
                            ||  hub_wallet_state (self->wallet) == HUB_WALLET_CLOSED)) {
        self->stats.refused++;
        s_refuse (self, self->buyers, peer, seq, FG_E_STATE, "submit refused: %s",
                  hub_wallet_refusal (self->wallet));
        return;
    }
    if (self->require_funds) {
        //  The price is known only at assignment; refused now is the buyer
        //  who cannot pay its own ceiling, or the cheapest miner there is
        char account [S_ACCOUNT_MAX];
        s_buyer_account (buyer, account, sizeof account);
        int64_t balance = s_balance (self, account);
        uint64_t ceiling = request->spec->max_price;
        int64_t needed = ceiling? (ceiling > (uint64_t) INT64_MAX? INT64_MAX: (int64_t) ceiling)
                                : s_cheapest_ask (self, request->spec);
        if (balance < needed) {
            self->stats.refused++;
            s_refuse (self, self->buyers, peer, seq, FG_E_FUNDS,
                      "submit refused: not enough funds: %s holds %" PRId64 ", this task "
                      "needs %" PRId64 " (%s); deposit first", account, balance, needed,
                      ceiling? "its max_price": "the cheapest miner's ask");
            return;
        }
    }
    size_t queued = zlistx_size (self->queue);
    size_t *counted = (size_t *) zhashx_lookup (self->buyer_tasks, buyer);
    size_t unfinished = counted? *counted: 0;
    if ((int64_t) unfinished >= self->tasks_per_buyer) {
        self->stats.refused++;
        s_refuse (self, self->buyers, peer, seq, FG_E_LIMIT,
                  "submit refused: you have %zu unfinished tasks here, the limit "
                  "(hub/tasks_per_buyer)", unfinished);
        return;
    }
    if ((int64_t) queued >= self->queue_max) {
        self->stats.refused++;
        s_refuse (self, self->buyers, peer, seq, FG_E_HUB_FULL,
                  "hub full: %zu tasks queued (limit %" PRId64 ")",
                  queued, self->queue_max);
        return;
    }
    //  The task takes the spec over; the request keeps a NULL
    Fogrid__TaskSpec *spec = request->spec;
    request->spec = NULL;
    if (!spec->timeout_s)
        spec->timeout_s = (uint32_t) self->default_timeout_s;
    char id [32];
    fg_id_new ("t", id, sizeof id);
    hub_task_t *task = hub_task_new (id, &spec);
    hub_task_set_text (&task->client_token, token);
    hub_task_set_text (&task->buyer, buyer);
    task->retries_left = task->spec->retries? task->spec->retries: (uint32_t) self->default_retries;

    //  The reply waits in the outbox for the burst's commit: durable
    //  before the buyer hears the id
    if (hub_store_savepoint (self->store) || hub_store_task_submit (self->store, task, spec_hash)) {
        hub_store_rollback_savepoint (self->store);
        self->stats.refused++;
        s_refuse (self, self->buyers, peer, seq, FG_E_INTERNAL,
                  "submit failed: the hub could not store the task");
        hub_task_destroy (&task);
        return;
    }
    hub_store_release_savepoint (self->store);
    zsys_info ("task %s submitted: %s%s (%zu args, policy %s, %u retries)", task->id,
               task->spec->n_argv? task->spec->argv [0]: task->spec->image,
               task->spec->n_argv > 1? " ...": "",
               task->spec->n_argv, *task->spec->policy? task->spec->policy: "fastest",
               task->retries_left);
    s_task_keep (self, task);
    s_queue_add (self, task);
    self->stats.submitted++;
    s_reply_submit (self, peer, seq, task->id, false);
}

//  The task a buyer asks about, or NULL after answering NOT_FOUND, or
//  DENIED when it is another buyer's: buyers see, follow and cancel only
//  their own tasks (admins see all). Tasks of a plain-text hub have no
//  buyer key and are everyone's.
static bool s_is_admin (s_server_t *self, const char *key);

static hub_task_t *
s_buyer_task (s_server_t *self, zframe_t *peer, uint64_t seq, const char *key,
              const char *task_id, bool *owned)
{
    hub_task_t *task = s_task_find (self, task_id, owned);
    if (!task) {
        s_refuse (self, self->buyers, peer, seq, FG_E_NOT_FOUND,
                  "task %.64s not found on this hub", task_id);
        return NULL;
    }
    if (*task->buyer && !streq (task->buyer, key) && !s_is_admin (self, key)) {
        zsys_warning ("buyer %.12s...: refused access to %s, a task of another buyer", key,
                      task->id);
        s_refuse (self, self->buyers, peer, seq, FG_E_DENIED,
                  "task %s belongs to another buyer", task->id);
        if (*owned)
            hub_task_destroy (&task);
        return NULL;
    }
    return task;
}

static void
s_handle_status (s_server_t *self, zframe_t *peer, uint64_t seq, const char *key,
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
s_handle_result (s_server_t *self, zframe_t *peer, uint64_t seq, const char *key,
                 const char *task_id)
{
    bool owned;
    hub_task_t *task = s_buyer_task (self, peer, seq, key, task_id, &owned);
    if (!task)
        return;
    hub_output_t output;
    if (hub_store_task_output (self->store, task->id, &output)) {
        s_refuse (self, self->buyers, peer, seq, FG_E_INTERNAL,
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
    s_answer (self, self->buyers, peer, &env);
    s_info_reset (&info);
    hub_output_reset (&output);
    if (owned)
        hub_task_destroy (&task);
}

static void
s_handle_cancel (s_server_t *self, zframe_t *peer, uint64_t seq, const char *key,
                 const char *task_id)
{
    bool owned;
    hub_task_t *task = s_buyer_task (self, peer, seq, key, task_id, &owned);
    if (!task)
        return;
    if (owned || hub_task_state_terminal (task->state)) {
        s_refuse (self, self->buyers, peer, seq, FG_E_STATE, "task %s is already %s",
                  task->id, hub_task_state_name (task->state));
        if (owned)
            hub_task_destroy (&task);
        return;
    }
    if (task->state == HUB_TASK_ASSIGNED || task->state == HUB_TASK_RUNNING) {
        hub_miner_t *miner = hub_miners_lookup (self->miners, task->miner_id);
        if (miner) {
            hub_miners_release (miner, task->id);
            if (miner->routing && miner->state != HUB_MINER_DEAD)
                s_send_kill (self, miner->routing, task->id, task->attempt);
        }
    }
    //  What it printed until now is its output: no result will come
    Fogrid__TaskResult printed = FOGRID__TASK_RESULT__INIT;
    if (hub_logs_as_result (self->logs, task->id, &printed) == 0) {
        hub_store_task_output_set (self->store, task->id, &printed);
        hub_logs_result_reset (&printed);
    }
    s_task_change (self, task, HUB_TASK_CANCELLED, "cancelled by the buyer");
    s_reply_task_info (self, peer, seq, task);
    s_task_retire (self, task);
}

//  A task's output from an offset: from its ring while it runs (and a
//  while after), else from its stored output
static void
s_handle_logs (s_server_t *self, zframe_t *peer, uint64_t seq, const char *key,
               Fogrid__LogsRequest *request)
{
    bool owned;
    hub_task_t *task = s_buyer_task (self, peer, seq, key, request->task_id, &owned);
    if (!task)
        return;
    Fogrid__LogsReply reply = FOGRID__LOGS_REPLY__INIT;
    hub_output_t output;
    bool loaded = false;
    size_t max = (size_t) fg_config_int (self->config, "hub/max_message") / 2;
    if (hub_logs_read (self->logs, task->id, request->offset, max, &reply)) {
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
    s_answer (self, self->buyers, peer, &env);
    hub_logs_reply_reset (&reply);
    if (loaded)
        hub_output_reset (&output);
    if (owned)
        hub_task_destroy (&task);
}

static void
s_handle_miners (s_server_t *self, zframe_t *peer, uint64_t seq)
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
    s_answer (self, self->buyers, peer, &env);
    for (index = 0; index < count; index++)
        free (infos [index].tasks);
    for (zlistx_t *ids = (zlistx_t *) zlist_first (keys); ids; ids = (zlistx_t *) zlist_next (keys))
        zlistx_destroy (&ids);
    zlist_destroy (&keys);
    free (infos);
    free (list);
}

static void
s_handle_health (s_server_t *self, zframe_t *peer, uint64_t seq)
{
    uint64_t miner_counts [HUB_MINER_STATES];
    hub_miners_count_states (self->miners, miner_counts);
    uint64_t task_counts [HUB_TASK_STATES];
    hub_store_count_states (self->store, task_counts);

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
    reply.queue_length = (uint32_t) zlistx_size (self->queue);
    reply.uptime_ms = (uint64_t) (fg_now_ms () - self->started_ms);
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_HEALTH_REPLY;
    env.health_reply = &reply;
    s_answer (self, self->buyers, peer, &env);
}

//  --------------------------------------------------------------------------
//  Buyer requests: money

//  A ledger entry as a message; its strings are copies (s_entry_reset).
static void
s_entry_fill (Fogrid__LedgerEntry *msg, const hub_entry_t *entry)
{
    fogrid__ledger_entry__init (msg);
    msg->seq = (uint64_t) entry->seq;
    msg->id = strdup (entry->id);
    msg->at_ms = (uint64_t) entry->at_ms;
    msg->from = strdup (entry->from);
    msg->to = strdup (entry->to);
    msg->amount = entry->amount;
    msg->memo = strdup (entry->memo);
    msg->hash = strdup (entry->hash);
    msg->signature = strdup (entry->signature);
}

static void
s_entry_reset (Fogrid__LedgerEntry *msg)
{
    free (msg->id);
    free (msg->from);
    free (msg->to);
    free (msg->memo);
    free (msg->hash);
    free (msg->signature);
    fogrid__ledger_entry__init (msg);
}

static void
s_entry_copy (void *arg, const hub_entry_t *entry)
{
    s_entry_fill ((Fogrid__LedgerEntry *) arg, entry);
}

//  DepositRequest (deposit true) and WithdrawRequest: world <-> the
//  caller's account. The reply leaves after the commit, like a submit's:
//  it is the promise that the money moved.
static void
s_handle_transfer (s_server_t *self, zframe_t *peer, uint64_t seq, const char *buyer_key,
                   bool deposit, uint64_t amount, const char *token)
{
    const char *what = deposit? "deposit": "withdraw";
    if (deposit && !self->open_deposits) {
        s_refuse (self, self->buyers, peer, seq, FG_E_DENIED,
                  "deposit refused: this hub takes no deposits from buyers "
                  "(hub/open_deposits is off: funds come through its operator)");
        return;
    }
    if (amount == 0 || amount > (uint64_t) INT64_MAX) {
        s_refuse (self, self->buyers, peer, seq, FG_E_INVALID,
                  "%s refused: the amount must be 1 to %" PRId64, what, INT64_MAX);
        return;
    }
    if (!*token || !fg_text_valid (token, S_MAX_TOKEN)) {
        s_refuse (self, self->buyers, peer, seq, FG_E_INVALID,
                  "%s refused: a token (printable, 1 to %d bytes) is required, so that "
                  "a retry cannot move the money twice", what, S_MAX_TOKEN);
        return;
    }
    char account [S_ACCOUNT_MAX], id [256], memo [64];
    s_buyer_account (buyer_key, account, sizeof account);
    snprintf (id, sizeof id, "%s/%s", what, token);
    snprintf (memo, sizeof memo, "%s by the buyer", what);
    hub_ledger_rc_t rc = hub_ledger_transfer (self->ledger, id, deposit? "world": account,
                                              deposit? account: "world", (int64_t) amount, memo);
    if (rc == HUB_LEDGER_FUNDS) {
        s_refuse (self, self->buyers, peer, seq, FG_E_FUNDS,
                  "withdraw refused: %s holds %" PRId64 ", less than %" PRIu64,
                  account, s_balance (self, account), amount);
        return;
    }
    if (rc == HUB_LEDGER_CONFLICT) {
        s_refuse (self, self->buyers, peer, seq, FG_E_STATE,
                  "%s refused: token %s was used for another transfer", what, token);
        return;
    }
    if (rc == HUB_LEDGER_OVERFLOW || rc == HUB_LEDGER_INVALID) {
        s_refuse (self, self->buyers, peer, seq, FG_E_INVALID, "%s refused: %s", what,
                  hub_ledger_strerror (rc));
        return;
    }
    if (rc != HUB_LEDGER_OK && rc != HUB_LEDGER_REPLAY) {
        s_refuse (self, self->buyers, peer, seq, FG_E_INTERNAL,
                  "%s failed: the hub could not write its ledger", what);
        return;
    }
    if (rc == HUB_LEDGER_OK)
        zsys_info ("ledger: %s of %" PRIu64 " for %s (%s)", what, amount, account, id);
    Fogrid__LedgerEntry entry = FOGRID__LEDGER_ENTRY__INIT;
    hub_ledger_entry (self->ledger, id, s_entry_copy, &entry);
    Fogrid__TransferReply reply = FOGRID__TRANSFER_REPLY__INIT;
    reply.transfer_id = id;
    reply.duplicate = rc == HUB_LEDGER_REPLAY;
    reply.balance = s_balance (self, account);
    reply.entry = &entry;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_TRANSFER_REPLY;
    env.transfer_reply = &reply;
    s_answer (self, self->buyers, peer, &env);
    s_entry_reset (&entry);
}

//  True when the caller may read accounts other than its own.
static bool
s_key_listed (zlist_t *keys, const char *key)
{
    for (char *listed = (char *) zlist_first (keys); listed;
         listed = (char *) zlist_next (keys))
        if (streq (listed, "*") || (*key && streq (listed, key)))
            return true;
    return false;
}

static bool
s_is_admin (s_server_t *self, const char *key)
{
    return s_key_listed (self->admin_keys, key);
}

typedef struct {
    Fogrid__LedgerEntry *items;         //  the entries (strings owned)
    Fogrid__LedgerEntry **list;         //  pointers to them, for the message
    size_t count;
    size_t capacity;
} s_entries_t;

static void
s_entries_add (void *arg, const hub_entry_t *entry)
{
    s_entries_t *self = (s_entries_t *) arg;
    if (self->count < self->capacity)
        s_entry_fill (&self->items [self->count++], entry);
}

static void
s_handle_balance (s_server_t *self, zframe_t *peer, uint64_t seq, const char *buyer_key,
                  Fogrid__BalanceRequest *request)
{
    char own [S_ACCOUNT_MAX], account [S_ACCOUNT_MAX];
    s_buyer_account (buyer_key, own, sizeof own);
    snprintf (account, sizeof account, "%s", *request->account? request->account: own);
    if (!hub_ledger_account_valid (request->account) && *request->account) {
        s_refuse (self, self->buyers, peer, seq, FG_E_INVALID,
                  "balance refused: '%.64s' is not an account name (buyer:KEY, miner:ID, "
                  "escrow:TASK, hub:fee, hub:wallet:free, hub:wallet:frozen, owner, world)",
                  request->account);
        return;
    }
    if (!streq (account, own) && !s_is_admin (self, buyer_key)) {
        s_refuse (self, self->buyers, peer, seq, FG_E_DENIED,
                  "balance refused: %s is not your account (yours is %s); reading "
                  "others' needs a key in hub/admin_keys", account, own);
        return;
    }
    //  The account, then the escrow held for its unfinished tasks
    size_t capacity = 1;
    const char *key = strncmp (account, "buyer:", 6) == 0? account + 6: NULL;
    if (key && streq (key, "anonymous"))
        key = "";
    for (hub_task_t *task = (hub_task_t *) zhashx_first (self->tasks); task && key;
         task = (hub_task_t *) zhashx_next (self->tasks))
        capacity += streq (task->buyer, key);
    Fogrid__Account *accounts = (Fogrid__Account *) zmalloc (sizeof (Fogrid__Account) * capacity);
    Fogrid__Account **account_list = (Fogrid__Account **) zmalloc (sizeof (Fogrid__Account *) * capacity);
    char **names = (char **) zmalloc (sizeof (char *) * capacity);
    size_t count = 0;
    fogrid__account__init (&accounts [0]);
    names [0] = strdup (account);
    accounts [0].name = names [0];
    accounts [0].balance = s_balance (self, account);
    account_list [count++] = &accounts [0];
    for (hub_task_t *task = (hub_task_t *) zhashx_first (self->tasks); task && key;
         task = (hub_task_t *) zhashx_next (self->tasks)) {
        if (!streq (task->buyer, key) || count >= capacity)
            continue;
        char escrow [64];
        snprintf (escrow, sizeof escrow, "escrow:%s", task->id);
        int64_t held = s_balance (self, escrow);
        if (held == 0)
            continue;
        fogrid__account__init (&accounts [count]);
        names [count] = strdup (escrow);
        accounts [count].name = names [count];
        accounts [count].balance = held;
        account_list [count] = &accounts [count];
        count++;
    }
    s_entries_t entries = { 0 };
    entries.capacity = request->limit? request->limit: S_ENTRIES_DEFAULT;
    if (entries.capacity > S_ENTRIES_MAX)
        entries.capacity = S_ENTRIES_MAX;
    entries.items = (Fogrid__LedgerEntry *) zmalloc (sizeof (Fogrid__LedgerEntry) * entries.capacity);
    hub_ledger_entries (self->ledger, account, entries.capacity, s_entries_add, &entries);
    entries.list = (Fogrid__LedgerEntry **) zmalloc (sizeof (Fogrid__LedgerEntry *) * (entries.count + 1));
    for (size_t index = 0; index < entries.count; index++)
        entries.list [index] = &entries.items [index];

    Fogrid__BalanceReply reply = FOGRID__BALANCE_REPLY__INIT;
    reply.n_accounts = count;
    reply.accounts = account_list;
    reply.n_entries = entries.count;
    reply.entries = entries.list;
    reply.ledger_key = (char *) hub_ledger_public_key (self->ledger);
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_BALANCE_REPLY;
    env.balance_reply = &reply;
    s_answer (self, self->buyers, peer, &env);

    for (size_t index = 0; index < entries.count; index++)
        s_entry_reset (&entries.items [index]);
    free (entries.items);
    free (entries.list);
    for (size_t index = 0; index < count; index++)
        free (names [index]);
    free (names);
    free (accounts);
    free (account_list);
}

//  True when the caller may run payday and close the wallet.
static bool
s_is_owner (s_server_t *self, const char *key)
{
    if (zlist_size (self->owner_keys) == 0)
        return s_is_admin (self, key);
    return s_key_listed (self->owner_keys, key);
}

typedef struct {
    Fogrid__WalletEvent *items;         //  the events (strings owned)
    Fogrid__WalletEvent **list;         //  pointers to them, for the message
    size_t count;
    size_t capacity;
} s_events_t;

static void
s_events_add (void *arg, const hub_wallet_row_t *row)
{
    s_events_t *self = (s_events_t *) arg;
    if (self->count >= self->capacity)
        return;
    Fogrid__WalletEvent *event = &self->items [self->count];
    self->list [self->count++] = event;
    fogrid__wallet_event__init (event);
    event->seq = (uint64_t) row->seq;
    event->at_ms = (uint64_t) row->at_ms;
    event->event = strdup (row->event);
    event->from = strdup (row->from);
    event->to = strdup (row->to);
    event->by = strdup (row->by);
    event->reason = strdup (row->reason);
    zlist_t *ids = fg_split_list (row->transfers);
    event->n_transfers = zlist_size (ids);
    event->transfers = (char **) zmalloc (sizeof (char *) * (event->n_transfers + 1));
    size_t index = 0;
    for (char *id = (char *) zlist_first (ids); id; id = (char *) zlist_next (ids))
        event->transfers [index++] = strdup (id);
    zlist_destroy (&ids);
}

static void
s_reply_wallet (s_server_t *self, zframe_t *peer, uint64_t seq)
{
    s_events_t events = { 0 };
    events.capacity = S_ENTRIES_DEFAULT;
    events.items = (Fogrid__WalletEvent *) zmalloc (sizeof (Fogrid__WalletEvent) * events.capacity);
    events.list = (Fogrid__WalletEvent **) zmalloc (sizeof (Fogrid__WalletEvent *) * events.capacity);
    hub_wallet_rows (self->wallet, events.capacity, s_events_add, &events);

    Fogrid__WalletReply reply = FOGRID__WALLET_REPLY__INIT;
    reply.hub_id = self->hub_id;
    reply.state = (char *) hub_wallet_state_name (hub_wallet_state (self->wallet));
    reply.since_ms = (uint64_t) hub_wallet_since_ms (self->wallet);
    reply.frozen = s_balance (self, "hub:wallet:frozen");
    reply.free_funds = s_balance (self, "hub:wallet:free");
    reply.fees = s_balance (self, "hub:fee");
    reply.owner = s_balance (self, "owner");
    reply.pay_period_s = (uint64_t) hub_wallet_pay_period_ms (self->wallet) / 1000;
    reply.last_payday_ms = (uint64_t) hub_wallet_last_payday_ms (self->wallet);
    reply.next_payday_ms = (uint64_t) hub_wallet_next_payday_ms (self->wallet);
    reply.punish_account = (char *) hub_wallet_punish_account (self->wallet);
    reply.ledger_key = (char *) hub_ledger_public_key (self->ledger);
    reply.n_events = events.count;
    reply.events = events.list;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_WALLET_REPLY;
    env.wallet_reply = &reply;
    s_answer (self, self->buyers, peer, &env);

    for (size_t index = 0; index < events.count; index++) {
        Fogrid__WalletEvent *event = &events.items [index];
        free (event->event);
        free (event->from);
        free (event->to);
        free (event->by);
        free (event->reason);
        for (size_t id = 0; id < event->n_transfers; id++)
            free (event->transfers [id]);
        free (event->transfers);
    }
    free (events.items);
    free (events.list);
}

//  AdminRequest: wallet/status for anyone; the wallet's transitions for
//  the DAO's and the owner's keys (hub_wallet decides who may do what).
//  A transition is committed before its reply leaves, like a deposit.
static void
s_handle_admin (s_server_t *self, zframe_t *peer, uint64_t seq, const char *key,
                Fogrid__AdminRequest *request)
{
    const char *action = request->action;
    if (streq (action, "books")) {
        hub_wallet_handle_books (self->wallet, self->outbox, self->buyers, peer, seq,
                                 s_is_admin (self, key));
        return;
    }
    hub_wallet_event_t event = strncmp (action, "wallet/", 7) == 0
                             ? hub_wallet_event_from_name (action + 7): 0;
    if (!event && !streq (action, "wallet/status")) {
        s_refuse (self, self->buyers, peer, seq, FG_E_INVALID,
                  "unknown admin action '%.64s' (want wallet/status, wallet/register, "
                  "wallet/suspect, wallet/clear, wallet/punish, wallet/payday, "
                  "wallet/close or books)", action);
        return;
    }
    if (event) {
        unsigned roles = (s_is_admin (self, key)? HUB_WALLET_DAO: 0)
                       | (s_is_owner (self, key)? HUB_WALLET_OWNER: 0);
        char why [512];
        fg_error_t rc = hub_wallet_apply (self->wallet, event, roles, *key? key: "anonymous",
                                          request->reason, fg_now_ms (), why, sizeof why);
        if (rc) {
            zsys_warning ("admin: %s asked for %s: %s", *key? key: "anonymous", action, why);
            s_refuse (self, self->buyers, peer, seq, rc, "%s", why);
            return;
        }
        //  Escrow of successes that waited for the registration is paid now
        if (event == HUB_WALLET_REGISTER)
            s_sweep_escrow (self);
    }
    s_reply_wallet (self, peer, seq);
}

//  ReceiptRequest: the signed receipt of a task's payout to its miner.
static void
s_handle_receipt (s_server_t *self, zframe_t *peer, uint64_t seq, const char *task_id)
{
    char *receipt = fg_text_valid (task_id, 63)? hub_wallet_receipt (self->wallet, task_id): NULL;
    if (!receipt) {
        bool owned;
        hub_task_t *task = s_task_find (self, task_id, &owned);
        if (task)
            s_refuse (self, self->buyers, peer, seq, FG_E_NOT_FOUND,
                      "task %s has no receipt: its miner was not paid for it "
                      "(it is %s%s)", task->id, hub_task_state_name (task->state),
                      task->state == HUB_TASK_SUCCEEDED? ", unpaid or free": "");
        else
            s_refuse (self, self->buyers, peer, seq, FG_E_NOT_FOUND,
                      "task %.64s not found on this hub", task_id);
        if (owned)
            hub_task_destroy (&task);
        return;
    }
    Fogrid__ReceiptReply reply = FOGRID__RECEIPT_REPLY__INIT;
    reply.receipt = receipt;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_RECEIPT_REPLY;
    env.receipt_reply = &reply;
    s_answer (self, self->buyers, peer, &env);
    free (receipt);
}

//  The next request on sock, or NULL after answering it: undecodable
//  (fg_msg_recv_request), or over its peer's rate (setting names the
//  limit). Refused before any work, and quietly: a flood must not flood
//  the log.
static fg_env_t *
s_receive (s_server_t *self, zsock_t *sock, fg_ratelimit_t *limit, const char *setting,
           zframe_t **peer_p, uint64_t *seq_p, char *key)
{
    fg_env_t *env = sock == self->miner_sock? hub_watch_recv (sock, peer_p, key, seq_p)
                  : fg_msg_recv_request (sock, peer_p, key, seq_p, "buyer");
    if (!env)
        return NULL;
    if (!fg_ratelimit_admit (limit, sock, *peer_p, key, *seq_p, setting,
                             fg_config_int (self->config, setting))) {
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
                               &peer, &seq, key);
    if (!env)
        return 0;
    self->reschedule = true;
    switch (env->body_case) {
        case FOGRID__ENVELOPE__BODY_SUBMIT:
            s_handle_submit (self, peer, seq, key, env->submit);
            break;
        case FOGRID__ENVELOPE__BODY_STATUS:
            s_handle_status (self, peer, seq, key, env->status->task_id);
            break;
        case FOGRID__ENVELOPE__BODY_RESULT:
            s_handle_result (self, peer, seq, key, env->result->task_id);
            break;
        case FOGRID__ENVELOPE__BODY_CANCEL:
            s_handle_cancel (self, peer, seq, key, env->cancel->task_id);
            break;
        case FOGRID__ENVELOPE__BODY_MINERS:
            s_handle_miners (self, peer, seq);
            break;
        case FOGRID__ENVELOPE__BODY_HEALTH:
            s_handle_health (self, peer, seq);
            break;
        case FOGRID__ENVELOPE__BODY_DEPOSIT:
            s_handle_transfer (self, peer, seq, key, true, env->deposit->amount,
                               env->deposit->token);
            break;
        case FOGRID__ENVELOPE__BODY_WITHDRAW:
            s_handle_transfer (self, peer, seq, key, false, env->withdraw->amount,
                               env->withdraw->token);
            break;
        case FOGRID__ENVELOPE__BODY_BALANCE:
            s_handle_balance (self, peer, seq, key, env->balance);
            break;
        case FOGRID__ENVELOPE__BODY_ADMIN:
            s_handle_admin (self, peer, seq, key, env->admin);
            break;
        case FOGRID__ENVELOPE__BODY_RECEIPT:
            s_handle_receipt (self, peer, seq, env->receipt->task_id);
            break;
        case FOGRID__ENVELOPE__BODY_LOGS:
            s_handle_logs (self, peer, seq, key, env->logs);
            break;
        default:
            zsys_warning ("buyer: unexpected %s", fg_msg_body_name (env));
            s_refuse (self, self->buyers, peer, seq, FG_E_UNEXPECTED,
                      "%s is not a buyer request", fg_msg_body_name (env));
            break;
    }
    fg_msg_free (&env);
    zframe_destroy (&peer);
    return 1;
}

//  --------------------------------------------------------------------------
//  Miner messages

//  Ok to a miner's request, with the receipt of a payout (may be NULL).
static void
s_answer_ok (s_server_t *self, zframe_t *peer, uint64_t seq, const char *text,
             const char *receipt)
{
    Fogrid__Ok ok = FOGRID__OK__INIT;
    ok.text = (char *) text;
    ok.receipt = (char *) (receipt? receipt: "");
    fg_env_t reply = FOGRID__ENVELOPE__INIT;
    reply.seq = seq;
    reply.body_case = FOGRID__ENVELOPE__BODY_OK;
    reply.ok = &ok;
    s_answer (self, self->miner_sock, peer, &reply);
}

//  True when (task, attempt) is the current assignment of this miner.
static bool
s_is_current (hub_task_t *task, hub_miner_t *miner, uint32_t attempt)
{
    return task && miner && streq (task->miner_id, miner->id) && task->attempt == attempt
        && (task->state == HUB_TASK_ASSIGNED || task->state == HUB_TASK_RUNNING);
}

static void
s_handle_hello (s_server_t *self, zframe_t *peer, uint64_t seq, const char *key,
                Fogrid__MinerHello *hello)
{
    //  Its names, labels and terms go out in MinersReply: UTF-8 or nothing
    char field [128];
    if (fg_msg_utf8_find (&hello->base, field, sizeof field)) {
        s_refuse (self, self->miner_sock, peer, seq, FG_E_INVALID,
                  "hello refused: %s is not UTF-8, which every text a miner sends must be",
                  field);
        return;
    }
    if (!*hello->miner_id || !fg_text_valid (hello->miner_id, 63) || strchr (hello->miner_id, ' ')
    ||  !fg_text_valid (hello->name, 255) || !fg_text_valid (hello->version, 64)) {
        s_refuse (self, self->miner_sock, peer, seq, FG_E_INVALID,
                  "hello refused: miner_id (1..63), name and version must be printable");
        return;
    }
    char why [256];
    if (hello->resources && fg_expr_check (hello->resources->constraint, why, sizeof why)) {
        s_refuse (self, self->miner_sock, peer, seq, FG_E_INVALID,
                  "hello refused: the miner's constraint: %s", why);
        return;
    }
    if (hello->resources && (hello->resources->price > (uint64_t) INT64_MAX
                         ||  hello->resources->service_price > (uint64_t) INT64_MAX)) {
        s_refuse (self, self->miner_sock, peer, seq, FG_E_INVALID,
                  "hello refused: price %" PRIu64 " or service price %" PRIu64 " is over %"
                  PRId64, hello->resources->price, hello->resources->service_price, INT64_MAX);
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
                s_refuse (self, self->miner_sock, peer, seq, FG_E_DENIED,
                          "hello refused: miner id %s belongs to another key",
                          hello->miner_id);
                return;
            }
        }
        else
        if (hub_store_meta_set (self->store, meta, key)) {
            s_refuse (self, self->miner_sock, peer, seq, FG_E_INTERNAL,
                      "hello refused: the hub cannot record the miner's key");
            return;
        }
    }
    hub_miner_t *miner = hub_miners_hello (self->miners, hello, peer, fg_now_ms ());
    //  A miner with the hub's own key is the hub: it is never paid
    char account [S_ACCOUNT_MAX];
    snprintf (account, sizeof account, "miner:%s", miner->id);
    if (*key && streq (key, fg_security_public_key ()) && !hub_ledger_own (self->ledger, account)) {
        zsys_warning ("miner %s runs with the hub's own key: its tasks run unpaid "
                      "(a hub cannot pay itself)", miner->id);
        hub_ledger_own_add (self->ledger, account);
    }
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
        hub_task_t *task = (hub_task_t *) zhashx_lookup (self->tasks, ref->task_id);
        if (s_is_current (task, miner, ref->attempt)) {
            keep [n_keep++] = ref;
            zhashx_insert (kept, task->id, task);
            if (!hub_miners_has_task (miner, task->id))
                hub_miners_reserve (miner, task->id, hub_task_cores (task),
                                    task->spec->mem_mb, task->spec->gpus);
            if (task->state == HUB_TASK_ASSIGNED)
                s_task_change (self, task, HUB_TASK_RUNNING, "reported running in hello");
        }
        else
            kill [n_kill++] = ref;
    }
    //  What we gave it and it does not run any more: it lost them
    zlistx_t *ids = zhashx_keys (miner->tasks);
    for (char *id = (char *) zlistx_first (ids); id; id = (char *) zlistx_next (ids)) {
        hub_task_t *task = (hub_task_t *) zhashx_lookup (self->tasks, id);
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
    welcome.heartbeat_ms = (uint32_t) self->heartbeat_ms;
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
s_handle_heartbeat (s_server_t *self, zframe_t *peer, uint64_t seq,
                    Fogrid__MinerHeartbeat *heartbeat)
{
    hub_miner_t *miner = hub_miners_by_routing (self->miners, peer);
    if (!miner || miner->state == HUB_MINER_DEAD || !streq (miner->id, heartbeat->miner_id)) {
        fg_debug ("miner %.63s: heartbeat from an unknown or dead miner: asking for hello",
                  heartbeat->miner_id);
        s_refuse (self, self->miner_sock, peer, seq, FG_E_NOT_FOUND,
                  "unknown miner %.63s: say hello", heartbeat->miner_id);
        return;
    }
    hub_miners_heartbeat (self->miners, miner, heartbeat->load, fg_now_ms ());
    //  Work it runs that is not its current assignment is stopped
    for (size_t index = 0; index < heartbeat->n_running; index++) {
        Fogrid__TaskRef *ref = heartbeat->running [index];
        hub_task_t *task = (hub_task_t *) zhashx_lookup (self->tasks, ref->task_id);
        if (!s_is_current (task, miner, ref->attempt)) {
            zsys_info ("miner %s runs %.63s attempt %u, which is not its assignment: kill",
                       miner->id, ref->task_id, ref->attempt);
            s_send_kill (self, peer, ref->task_id, ref->attempt);
        }
        else
        if (task->state == HUB_TASK_ASSIGNED)
            s_task_change (self, task, HUB_TASK_RUNNING, "reported running in heartbeat");
    }
}

//  A miner that stops says so: lost now, its tasks back in the queue,
//  instead of work sent to it until hub/dead_ms passes. Only from its
//  own connection, for its own id; no answer (it is gone).
static void
s_handle_bye (s_server_t *self, zframe_t *peer, Fogrid__MinerBye *bye)
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
    self->stats.miners_left++;
    s_miner_dead (self, miner, why);
}

static void
s_handle_started (s_server_t *self, zframe_t *peer, uint64_t seq, Fogrid__TaskStarted *started)
{
    hub_miner_t *miner = hub_miners_by_routing (self->miners, peer);
    if (!miner) {
        s_refuse (self, self->miner_sock, peer, seq, FG_E_HELLO,
                  "say hello first: this connection has not said MinerHello");
        return;
    }
    hub_task_t *task = (hub_task_t *) zhashx_lookup (self->tasks, started->task_id);
    if (!s_is_current (task, miner, started->attempt)) {
        zsys_warning ("miner %s started %.63s attempt %u, which is not its assignment: kill",
                      miner->id, started->task_id, started->attempt);
        s_send_kill (self, peer, started->task_id, started->attempt);
        return;
    }
    if (task->state == HUB_TASK_ASSIGNED)
        s_task_change (self, task, HUB_TASK_RUNNING, NULL);
}

static void
s_handle_task_result (s_server_t *self, zframe_t *peer, uint64_t seq, Fogrid__TaskResult *result)
{
    hub_miner_t *miner = hub_miners_by_routing (self->miners, peer);
    if (!miner) {
        //  Not stale: a restarted hub (or a new connection) does not know
        //  who speaks yet. The miner keeps the result, says hello (which
        //  lists what it holds, so the hub keeps the current attempt) and
        //  sends it again; nothing changes until then
        s_refuse (self, self->miner_sock, peer, seq, FG_E_HELLO,
                  "say hello first: this connection has not said MinerHello");
        return;
    }
    const char *who = miner->id;
    hub_task_t *task = (hub_task_t *) zhashx_lookup (self->tasks, result->task_id);
    if (!task) {
        hub_task_t *stored = fg_text_valid (result->task_id, 63)
                           ? hub_store_task_load (self->store, result->task_id): NULL;
        if (!stored)
            s_refuse (self, self->miner_sock, peer, seq, FG_E_NOT_FOUND,
                      "no task %.63s", result->task_id);
        else {
            zsys_warning ("miner %s: result for %s attempt %u refused: the task is already %s",
                          who, stored->id, result->attempt, hub_task_state_name (stored->state));
            s_refuse (self, self->miner_sock, peer, seq, FG_E_STALE,
                      "result for attempt %u refused: task %s is already %s",
                      result->attempt, stored->id, hub_task_state_name (stored->state));
            hub_task_destroy (&stored);
        }
        return;
    }
    if (!s_is_current (task, miner, result->attempt)) {
        zsys_warning ("miner %s: result for %s attempt %u refused: current attempt is %u "
                      "(miner %s)", who, task->id, result->attempt, task->attempt,
                      *task->miner_id? task->miner_id: "none");
        s_refuse (self, self->miner_sock, peer, seq, FG_E_STALE,
                  "result for attempt %u refused: current attempt is %u",
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
        s_answer_ok (self, peer, seq, "placed again", NULL);
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
    s_task_change (self, task, success? HUB_TASK_SUCCEEDED: HUB_TASK_FAILED, reason);
    //  A receipt is the hub's word that it paid: it waits in the outbox for
    //  the commit, and a failed commit sends an error in its place
    char *receipt = success? hub_wallet_receipt (self->wallet, task->id): NULL;
    s_answer_ok (self, peer, seq, receipt? "paid": "", receipt);
    zstr_free (&receipt);
    s_task_retire (self, task);
}

//  --------------------------------------------------------------------------
//  WalletStatement: the wallet's state, balances and latest payouts,
//  signed with the ledger key over the miner's nonce (fg_statement.h), so
//  a miner can check the hub before it works for it (also before its
//  hello: miner_trust.h). The hub's word on its own books; the registry's
//  ledger key is what makes it worth anything.

#define S_STATEMENT_PAYOUTS     10      //  latest pay/TASK entries in a statement
#define S_STATEMENT_SCAN        500     //  latest entries searched for them

static void
s_sum_balance (void *arg, const char *account, int64_t balance)
{
    (void) account;
    *(int64_t *) arg += balance;
}

static void
s_payouts_add (void *arg, const hub_entry_t *entry)
{
    s_entries_t *self = (s_entries_t *) arg;
    if (self->count < self->capacity && strncmp (entry->id, "pay/", 4) == 0)
        s_entry_fill (&self->items [self->count++], entry);
}

static void
s_handle_statement (s_server_t *self, zframe_t *peer, uint64_t seq, Fogrid__WalletStatement *request)
{
    if (!fg_text_valid (request->nonce, 128)) {
        s_refuse (self, self->miner_sock, peer, seq, FG_E_INVALID,
                  "statement refused: the nonce must be at most 128 printable characters");
        return;
    }
    Fogrid__LedgerEntry items [S_STATEMENT_PAYOUTS], *list [S_STATEMENT_PAYOUTS];
    s_entries_t payouts = { .items = items, .list = list, .capacity = S_STATEMENT_PAYOUTS };
    hub_ledger_entries (self->ledger, NULL, S_STATEMENT_SCAN, s_payouts_add, &payouts);
    for (size_t index = 0; index < payouts.count; index++)
        list [index] = &items [index];
    int64_t escrow = 0;
    hub_ledger_accounts (self->ledger, "escrow:", false, s_sum_balance, &escrow);

    Fogrid__WalletStatementReply reply = FOGRID__WALLET_STATEMENT_REPLY__INIT;
    reply.hub_id = self->hub_id;
    reply.state = (char *) hub_wallet_state_name (hub_wallet_state (self->wallet));
    reply.frozen = s_balance (self, "hub:wallet:frozen");
    reply.free_funds = s_balance (self, "hub:wallet:free");
    reply.fees = s_balance (self, "hub:fee");
    reply.escrow_total = escrow;
    reply.n_recent_payouts = payouts.count;
    reply.recent_payouts = list;
    reply.at_ms = (uint64_t) fg_now_ms ();
    reply.ledger_key = (char *) hub_ledger_public_key (self->ledger);
    reply.nonce = request->nonce;
    char signature [129] = "";
    char *text = fg_statement_text (&reply);
    if (!text || hub_ledger_sign (self->ledger, text, signature))
        s_refuse (self, self->miner_sock, peer, seq, FG_E_INTERNAL,
                  "statement refused: the hub cannot sign it");
    else {
        reply.signature = signature;
        fg_env_t env = FOGRID__ENVELOPE__INIT;
        env.seq = seq;
        env.body_case = FOGRID__ENVELOPE__BODY_WALLET_STATEMENT_REPLY;
        env.wallet_statement_reply = &reply;
        s_answer (self, self->miner_sock, peer, &env);
    }
    zstr_free (&text);
    for (size_t index = 0; index < payouts.count; index++)
        s_entry_reset (&items [index]);
}

//  Output of a running task, as its miner read it
static void
s_handle_output (s_server_t *self, zframe_t *peer, Fogrid__TaskOutput *output)
{
    hub_miner_t *miner = hub_miners_by_routing (self->miners, peer);
    hub_task_t *task = (hub_task_t *) zhashx_lookup (self->tasks, output->task_id);
    if (!miner || !s_is_current (task, miner, output->attempt))
        return;                 //  late or not its task: nothing to keep
    for (size_t index = 0; index < output->n_chunks; index++)
        hub_logs_append (self->logs, task->id, output->chunks [index]->stream,
                         output->chunks [index]->data.data, output->chunks [index]->data.len);
}

//  As s_handle_buyer, for the miner socket.
static int
s_handle_miner (s_server_t *self)
{
    zframe_t *peer;
    uint64_t seq;
    char key [41];
    fg_env_t *env = s_receive (self, self->miner_sock, self->miner_limit, "hub/miner_rate",
                               &peer, &seq, key);
    if (!env)
        return 0;
    //  A heartbeat changes no placement but by a miner's load or its
    //  return from silence: the next tick schedules for those
    if (env->body_case != FOGRID__ENVELOPE__BODY_MINER_HEARTBEAT
    &&  env->body_case != FOGRID__ENVELOPE__BODY_TASK_OUTPUT)
        self->reschedule = true;
    switch (env->body_case) {
        case FOGRID__ENVELOPE__BODY_MINER_HELLO:
            s_handle_hello (self, peer, seq, key, env->miner_hello);
            break;
        case FOGRID__ENVELOPE__BODY_MINER_HEARTBEAT:
            s_handle_heartbeat (self, peer, seq, env->miner_heartbeat);
            break;
        case FOGRID__ENVELOPE__BODY_TASK_STARTED:
            s_handle_started (self, peer, seq, env->task_started);
            break;
        case FOGRID__ENVELOPE__BODY_MINER_BYE:
            s_handle_bye (self, peer, env->miner_bye);
            break;
        case FOGRID__ENVELOPE__BODY_TASK_RESULT:
            s_handle_task_result (self, peer, seq, env->task_result);
            break;
        case FOGRID__ENVELOPE__BODY_WALLET_STATEMENT:
            s_handle_statement (self, peer, seq, env->wallet_statement);
            break;
        case FOGRID__ENVELOPE__BODY_TASK_OUTPUT:
            s_handle_output (self, peer, env->task_output);
            break;
        default:
            zsys_warning ("miner socket: unexpected %s", fg_msg_body_name (env));
            s_refuse (self, self->miner_sock, peer, seq, FG_E_UNEXPECTED,
                      "%s is not a miner message", fg_msg_body_name (env));
            break;
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
        return zlistx_size (self->queue)? 100: 0;
    uint64_t load = used * 100 / cores;
    if (zlistx_size (self->queue))
        load = 100;
    return (uint32_t) (load > 100? 100: load);
}

//  Services are billed their seconds and their miners paid (hub_billing);
//  a service whose buyer's funds ran out is stopped.
static void
s_settle_services (s_server_t *self, int64_t now)
{
    zlist_t *broke = zlist_new ();
    if (hub_billing_settle (self->billing, now, broke) < 0)
        zsys_error ("hub: the settlement of services failed; what it did not bill is billed "
                    "at the next one");
    for (char *id = (char *) zlist_pop (broke); id; id = (char *) zlist_pop (broke)) {
        hub_task_t *task = (hub_task_t *) zhashx_lookup (self->tasks, id);
        if (task && task->state == HUB_TASK_RUNNING) {
            hub_miner_t *miner = hub_miners_lookup (self->miners, task->miner_id);
            if (miner) {
                hub_miners_release (miner, task->id);
                if (miner->routing && miner->state != HUB_MINER_DEAD)
                    s_send_kill (self, miner->routing, task->id, task->attempt);
            }
            int64_t seconds = 0;
            int64_t billed = hub_billing_billed (self->billing, task->id, &seconds);
            char reason [256];
            snprintf (reason, sizeof reason, "stopped: its buyer's funds ran out after %" PRId64
                      " s (billed %" PRId64 ")", seconds, billed);
            s_task_change (self, task, HUB_TASK_FAILED, reason);
            s_task_retire (self, task);
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
    zlist_t *died = zlist_new ();
    zlist_autofree (died);
    //  Miners that fall silent now have missed their heartbeats: counted
    uint64_t before [HUB_MINER_STATES], after [HUB_MINER_STATES];
    hub_miners_count_states (self->miners, before);
    hub_miners_check (self->miners, now, self->disconnect_ms, self->dead_ms, died);
    hub_miners_count_states (self->miners, after);
    if (after [HUB_MINER_CONNECTED] < before [HUB_MINER_CONNECTED])
        self->stats.heartbeats_missed += before [HUB_MINER_CONNECTED] - after [HUB_MINER_CONNECTED];
    for (char *id = (char *) zlist_first (died); id; id = (char *) zlist_next (died)) {
        hub_miner_t *miner = hub_miners_lookup (self->miners, id);
        if (miner)
            s_miner_lost (self, miner, "no heartbeat");
    }
    zlist_destroy (&died);

    //  Backstop: the miner enforces timeouts; a task still running long
    //  after its own means the miner lost track of it
    zlist_t *overdue = zlist_new ();
    for (hub_task_t *task = (hub_task_t *) zhashx_first (self->tasks); task;
         task = (hub_task_t *) zhashx_next (self->tasks))
        if (task->state == HUB_TASK_RUNNING
        &&  now - task->updated_ms > (int64_t) task->spec->timeout_s * 1000 + S_BACKSTOP_MS)
            zlist_append (overdue, task);
    for (hub_task_t *task = (hub_task_t *) zlist_first (overdue); task;
         task = (hub_task_t *) zlist_next (overdue)) {
        hub_miner_t *miner = hub_miners_lookup (self->miners, task->miner_id);
        if (miner) {
            hub_miners_release (miner, task->id);
            if (miner->routing && miner->state != HUB_MINER_DEAD)
                s_send_kill (self, miner->routing, task->id, task->attempt);
        }
        task->timed_out = true;
        task->exit_code = -1;
        s_task_change (self, task, HUB_TASK_FAILED,
                       "timed out: no result 60 s past its timeout (hub backstop)");
        s_task_retire (self, task);
    }
    zlist_destroy (&overdue);
    if (now >= self->next_settle_ms) {
        s_settle_services (self, now);
        self->next_settle_ms = now + self->settle_ms;
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
    const char *locators = fg_config_str (self->config, "locator/endpoints");
    if (!*locators) {
        zsys_info ("hub %s: locator/endpoints is empty: not registering", self->hub_id);
        return;
    }
    self->registrant = fg_registrant_new (locators, self->hub_id,
                                          (uint32_t) fg_config_int (self->config, "locator/ttl_ms"));
    const char *host = fg_config_str (self->config, "hub/advertise_host");
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

//  Loads the unfinished tasks of a previous run.
static int
s_restore (s_server_t *self)
{
    zlistx_t *loaded = zlistx_new ();
    if (hub_store_load_active (self->store, loaded)) {
        zlistx_destroy (&loaded);
        return -1;
    }
    int64_t now = fg_now_ms ();
    size_t pending = 0, placed = 0;
    hub_store_begin (self->store);
    for (hub_task_t *task = (hub_task_t *) zlistx_first (loaded); task;
         task = (hub_task_t *) zlistx_next (loaded)) {
        s_task_keep (self, task);
        if (task->state != HUB_TASK_PENDING && !*task->miner_id)
            s_task_change (self, task, HUB_TASK_PENDING, "restored without a miner");
        if (task->state == HUB_TASK_PENDING) {
            s_queue_add (self, task);
            pending++;
        }
        else {
            hub_miner_t *miner = hub_miners_restore (self->miners, task->miner_id, now);
            hub_miners_reserve (miner, task->id, hub_task_cores (task), task->spec->mem_mb,
                                task->spec->gpus);
            placed++;
        }
    }
    s_sweep_escrow (self);
    hub_store_commit (self->store);
    zlistx_destroy (&loaded);       //  the tasks now belong to self->tasks
    if (pending + placed)
        zsys_info ("hub %s: restored %zu pending and %zu assigned or running tasks",
                   self->hub_id, pending, placed);
    return 0;
}

static int
s_bind (s_server_t *self, zsock_t *sock, const char *path, char *err, size_t err_size)
{
    const char *endpoint = fg_config_str (self->config, path);
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
    const char *data_dir = fg_config_str (self->config, "hub/data_dir");
    self->store = hub_store_new (data_dir);
    if (!self->store) {
        snprintf (err, err_size, "cannot open the task store in %s (see the log)", data_dir);
        return -1;
    }
    //  The ledger is checked before anything is served: a hub whose
    //  books were changed behind its back must not pay from them
    char key_file [1024], why [400];
    if (*fg_config_str (self->config, "hub/ledger_key"))
        snprintf (key_file, sizeof key_file, "%s", fg_config_str (self->config, "hub/ledger_key"));
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
    const char *id = fg_config_str (self->config, "hub/id");
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
        .stake = fg_config_int (self->config, "hub/wallet_stake"),
        .pay_period_ms = fg_config_int (self->config, "hub/pay_period_s") * 1000,
        .punish_account = fg_config_str (self->config, "hub/punish_account"),
        .self_register = fg_config_bool (self->config, "hub/wallet_self_register")
    };
    self->wallet = hub_wallet_new (self->store, self->ledger, &wallet, why, sizeof why);
    if (!self->wallet) {
        snprintf (err, err_size, "wallet check failed, not starting: %s", why);
        return -1;
    }
    self->billing = hub_billing_new (self->store, self->ledger, self->wallet,
                                     self->fee_percent, err, err_size);
    if (!self->billing)
        return -1;
    zsys_info ("hub: wallet %s, stake %" PRId64 "%s%s", hub_wallet_state_name (
               hub_wallet_state (self->wallet)), s_balance (self, "hub:wallet:frozen"),
               *hub_wallet_refusal (self->wallet)? ": ": "", hub_wallet_refusal (self->wallet));
    int64_t max_message = fg_config_int (self->config, "hub/max_message");
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
    fg_security_allow ("buyers", fg_config_str (self->config, "hub/buyer_keys"));
    fg_security_allow ("miners", fg_config_str (self->config, "hub/miner_keys"));
    fg_security_server (self->buyers, "buyers");
    fg_security_server (self->miner_sock, "miners");
    self->watch = hub_watch_new (self->miner_sock, "miners");
    self->logs = hub_logs_new ((size_t) fg_config_int (self->config, "hub/log_ring"));
    hub_miners_set_grace (self->miners, fg_config_int (self->config, "hub/grace_ms"));
    self->buyer_port = s_bind (self, self->buyers, "hub/buyer_endpoint", err, err_size);
    if (self->buyer_port < 0)
        return -1;
    self->miner_port = s_bind (self, self->miner_sock, "hub/miner_endpoint", err, err_size);
    if (self->miner_port < 0)
        return -1;
    if (s_restore (self)) {
        snprintf (err, err_size, "cannot load the tasks from the store in %s", data_dir);
        return -1;
    }
    zsys_info ("hub %s: buyers on %s (port %d), miners on %s (port %d), data in %s",
               self->hub_id, fg_config_str (self->config, "hub/buyer_endpoint"), self->buyer_port,
               fg_config_str (self->config, "hub/miner_endpoint"), self->miner_port, data_dir);
    s_register (self);
    const char *http = fg_config_str (self->config, "hub/http");
    if (*http) {
        self->http_context = (hub_http_context_t) {
            .hub_id = self->hub_id, .started_ms = self->started_ms, .miners = self->miners,
            .store = self->store, .ledger = self->ledger, .queue = self->queue,
            .stats = &self->stats, .registrant = self->registrant,
            .locator_http = fg_config_str (self->config, "hub/locator_http"),
            .watch = self->watch };
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
    zlistx_purge (self->queue);
    zhashx_purge (self->tasks);
    zhashx_purge (self->buyer_tasks);
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
                s_miner_lost (self, miner, "its connection is gone (send refused)");
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
    int64_t tick_ms = self->heartbeat_ms / 2? self->heartbeat_ms / 2: 1;
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
    self->config = args->config;
    self->started_ms = fg_now_ms ();
    self->heartbeat_ms = fg_config_int (self->config, "hub/heartbeat_ms");
    self->disconnect_ms = fg_config_int (self->config, "hub/disconnect_ms");
    self->dead_ms = fg_config_int (self->config, "hub/dead_ms");
    self->max_inputs = fg_config_int (self->config, "hub/max_inputs");
    self->queue_max = fg_config_int (self->config, "hub/queue_max");
    self->tasks_per_buyer = fg_config_int (self->config, "hub/tasks_per_buyer");
    int64_t buyer_rate = fg_config_int (self->config, "hub/buyer_rate");
    int64_t miner_rate = fg_config_int (self->config, "hub/miner_rate");
    self->buyer_limit = fg_ratelimit_new ((double) buyer_rate, 2.0 * (double) buyer_rate, 100000);
    self->miner_limit = fg_ratelimit_new ((double) miner_rate, 2.0 * (double) miner_rate, 100000);
    self->default_retries = fg_config_int (self->config, "hub/default_retries");
    self->default_timeout_s = fg_config_int (self->config, "hub/default_timeout_s");
    self->fee_percent = fg_config_int (self->config, "hub/fee_percent");
    self->settle_ms = fg_config_int (self->config, "hub/settle_s") * 1000;
    self->next_settle_ms = fg_now_ms () + self->settle_ms;
    self->require_funds = fg_config_bool (self->config, "hub/require_funds");
    self->open_deposits = fg_config_bool (self->config, "hub/open_deposits");
    self->admin_keys = fg_split_list (fg_config_str (self->config, "hub/admin_keys"));
    self->owner_keys = fg_split_list (fg_config_str (self->config, "hub/owner_keys"));
    self->miners = hub_miners_new ();
    self->tasks = zhashx_new ();
    zhashx_set_destructor (self->tasks, s_task_free);
    self->buyer_tasks = zhashx_new ();
    zhashx_set_destructor (self->buyer_tasks, (zhashx_destructor_fn *) zstr_free);
    self->queue = zlistx_new ();
    zlistx_set_comparator (self->queue, s_compare_seq);
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
    hub_logs_destroy (&self->logs);
    zsock_destroy (&self->buyers);
    zsock_destroy (&self->miner_sock);
    fg_outbox_destroy (&self->outbox);
    while (zlist_size (self->gone))
        free (zlist_pop (self->gone));
    zlist_destroy (&self->gone);
    zlistx_destroy (&self->queue);
    zhashx_destroy (&self->tasks);
    zhashx_destroy (&self->buyer_tasks);
    hub_miners_destroy (&self->miners);
    hub_billing_destroy (&self->billing);
    hub_wallet_destroy (&self->wallet);
    hub_ledger_destroy (&self->ledger);
    hub_store_destroy (&self->store);
    zlist_destroy (&self->admin_keys);
    zlist_destroy (&self->owner_keys);
    fg_ratelimit_destroy (&self->buyer_limit);
    fg_ratelimit_destroy (&self->miner_limit);
    free (self);
}
