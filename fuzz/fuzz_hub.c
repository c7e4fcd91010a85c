/*  =========================================================================
    fuzz_hub - libFuzzer target for the hub's message handling

    The real hub: hub_server actors started once per process on loopback
    (CurveZMQ on, data in a temporary directory), talked to over DEALERs
    as buyers and miners would. Two hubs, one with hub/require_funds off
    and one with it on; the input's first byte picks one. Then each
    message is [op][length][bytes]: op's low three bits name the peer
    (0..3 buyers, each its own key, 0 an admin, 1 the owner; 4..7 miners,
    7 with the hub's own key), its high five bits how far the clock moves
    first (fg_clock_advance), so the hub's ticks mark miners disconnected
    and dead, time tasks out and reach paydays. The bytes go to the hub as
    they are when they do not decode; when they do, references the fuzzer
    cannot guess are filled in: a task id of at most one character names
    a task the hub told us about (submit replies, assignments), attempt 0
    its attempt, an empty miner id in a heartbeat the peer's hello.

    After each message a request on the same connection (its reply comes
    after the message's) proves the hub handled it; after each input the
    admin checks what must always hold:

      - the hub answers (health, miners, balances, wallet, statement);
      - tasks by state add up to the tasks it accepted, the queue is the
        pending tasks, and the miners hold exactly the assigned and
        running ones (a dead miner holds none);
      - no account it shows is negative (buyers, their escrow, miners,
        the wallet's), and its signed wallet statement verifies.

    Every 256 inputs a hub restarts: on its own data (which it must load:
    the ledger is verified at start) or, every other time, on new data.
    A message that makes a hub crash, hang (30 s) or break a rule above
    is the finding; the hub's state carries over between inputs, so a
    finding may need the inputs before it. FUZZ_LOG=1 in the environment
    keeps the hubs' logs (on stderr), to follow one; FUZZ_FRESH=1 runs
    each input on a hub started on new data (slow: to replay a saved
    finding alone, and learn whether it needs what came before).
    =========================================================================  */
#include "fogrid.h"
#include "hub_server.h"
#include "fg_statement.h"
#include "fuzz_daemon.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define S_PEERS         8       //  0..3 buyers, 4..7 miners
#define S_FIRST_MINER   4
#define S_KNOWN         32      //  task ids remembered per hub
#define S_RESTART_EVERY 256     //  inputs between restarts of a hub
#define S_WAIT_MS       30000   //  a hub that does not answer in this is hung
#define S_BARRIER       (1ULL << 62)

typedef struct {
    zsock_t *sock;              //  DEALER to the hub
    zcert_t *cert;              //  its key pair
    char miner_id [64];         //  the id its last hello gave
} s_peer_t;

typedef struct {
    char id [64];
    uint32_t attempt;
} s_known_t;

typedef struct {
    bool require_funds;
    char dir [300];             //  its data directory
    fg_config_t *config;
    zactor_t *actor;
    s_peer_t peers [S_PEERS];
    s_known_t known [S_KNOWN];  //  tasks it told us about (a ring)
    size_t known_count;
    size_t known_next;
    uint64_t accepted;          //  tasks it accepted (new SubmitReplies)
    uint64_t seq;
    unsigned inputs;            //  since it started
    unsigned starts;
} s_hub_t;

static char s_root [256];       //  the process's temporary directory
static s_hub_t s_hubs [2];
static bool s_fresh;            //  FUZZ_FRESH: a new hub for every input
static zcert_t *s_certs [S_PEERS];

//  --------------------------------------------------------------------------
//  What the hub tells us

static void
s_remember (s_hub_t *hub, const char *task_id, uint32_t attempt)
{
    if (!task_id || !*task_id)
        return;
    for (size_t index = 0; index < hub->known_count; index++)
        if (streq (hub->known [index].id, task_id)) {
            if (attempt)
                hub->known [index].attempt = attempt;
            return;
        }
    s_known_t *slot = &hub->known [hub->known_next];
    snprintf (slot->id, sizeof slot->id, "%s", task_id);
    slot->attempt = attempt;
    hub->known_next = (hub->known_next + 1) % S_KNOWN;
    if (hub->known_count < S_KNOWN)
        hub->known_count++;
}

static void
s_note (s_hub_t *hub, fg_env_t *env)
{
    switch (env->body_case) {
        case FOGRID__ENVELOPE__BODY_SUBMIT_REPLY:
            s_remember (hub, env->submit_reply->task_id, 0);
            if (!env->submit_reply->duplicate)
                hub->accepted++;
            break;
        case FOGRID__ENVELOPE__BODY_TASK_ASSIGN:
            s_remember (hub, env->task_assign->task_id, env->task_assign->attempt);
            break;
        default:
            break;
    }
}

//  Reads what has come on every connection, without waiting.
static void
s_drain (s_hub_t *hub)
{
    for (int index = 0; index < S_PEERS; index++) {
        zsock_t *sock = hub->peers [index].sock;
        while (zsock_events (sock) & ZMQ_POLLIN) {
            fg_error_t error;
            fg_env_t *env = fg_msg_recv (sock, NULL, &error, NULL);
            if (env)
                s_note (hub, env);
            fg_msg_free (&env);
        }
    }
}

//  Sends request (NULL: a HealthRequest) on the peer's connection;
//  returns the seq its reply will carry.
static uint64_t
s_ask (s_hub_t *hub, s_peer_t *peer, fg_env_t *request)
{
    Fogrid__HealthRequest health = FOGRID__HEALTH_REQUEST__INIT;
    fg_env_t barrier = FOGRID__ENVELOPE__INIT;
    if (!request) {
        barrier.body_case = FOGRID__ENVELOPE__BODY_HEALTH;
        barrier.health = &health;
        request = &barrier;
    }
    request->seq = S_BARRIER | ++hub->seq;
    if (fg_msg_send (peer->sock, NULL, request))
        fuzz_fail ("cannot send to the hub: %s", zmq_strerror (zmq_errno ()));
    return request->seq;
}

//  The reply with seq on the peer's connection; what comes before it is
//  noted. The hub handles a connection's messages in order, so the reply
//  also says that everything sent before its request was handled.
static fg_env_t *
s_answer (s_hub_t *hub, s_peer_t *peer, uint64_t seq)
{
    int64_t deadline = zclock_mono () + S_WAIT_MS;
    while (true) {
        zmq_pollitem_t item = { zsock_resolve (peer->sock), 0, ZMQ_POLLIN, 0 };
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            fuzz_fail ("the hub (require_funds %d) did not answer in %d ms",
                    hub->require_funds, S_WAIT_MS);
        if (zmq_poll (&item, 1, (long) left) <= 0)
            continue;
        fg_error_t error;
        fg_env_t *env = fg_msg_recv (peer->sock, NULL, &error, NULL);
        if (!env)
            fuzz_fail ("the hub sent a message that does not decode: %s", fg_strerror (error));
        if (env->seq == seq)
            return env;
        s_note (hub, env);
        fg_msg_free (&env);
    }
}

//  --------------------------------------------------------------------------
//  Filling in what the fuzzer cannot guess

//  A task id of at most one character names a task we know; attempt 0
//  (when given) its attempt.
static void
s_task_ref (s_hub_t *hub, fuzz_patches_t *patches, char **task_id, uint32_t *attempt)
{
    if (!hub->known_count || strlen (*task_id) > 1)
        return;
    s_known_t *known = &hub->known [(unsigned char) (*task_id) [0] % hub->known_count];
    fuzz_patch (patches, task_id, strdup (known->id));
    if (attempt && *attempt == 0)
        *attempt = known->attempt;
}

static void
s_fill_in (s_hub_t *hub, s_peer_t *peer, fg_env_t *env, fuzz_patches_t *patches)
{
    switch (env->body_case) {
        case FOGRID__ENVELOPE__BODY_STATUS:
            s_task_ref (hub, patches, &env->status->task_id, NULL);
            break;
        case FOGRID__ENVELOPE__BODY_RESULT:
            s_task_ref (hub, patches, &env->result->task_id, NULL);
            break;
        case FOGRID__ENVELOPE__BODY_CANCEL:
            s_task_ref (hub, patches, &env->cancel->task_id, NULL);
            break;
        case FOGRID__ENVELOPE__BODY_RECEIPT:
            s_task_ref (hub, patches, &env->receipt->task_id, NULL);
            break;
        case FOGRID__ENVELOPE__BODY_MINER_HELLO: {
            Fogrid__MinerHello *hello = env->miner_hello;
            if (strlen (hello->miner_id) <= 1) {
                char id [16];
                snprintf (id, sizeof id, "m-fuzz-%d", (unsigned char) hello->miner_id [0] % 4);
                fuzz_patch (patches, &hello->miner_id, strdup (id));
            }
            for (size_t index = 0; index < hello->n_running; index++)
                s_task_ref (hub, patches, &hello->running [index]->task_id,
                            &hello->running [index]->attempt);
            snprintf (peer->miner_id, sizeof peer->miner_id, "%s", hello->miner_id);
            break;
        }
        case FOGRID__ENVELOPE__BODY_MINER_HEARTBEAT: {
            Fogrid__MinerHeartbeat *heartbeat = env->miner_heartbeat;
            if (!*heartbeat->miner_id && *peer->miner_id)
                fuzz_patch (patches, &heartbeat->miner_id, strdup (peer->miner_id));
            for (size_t index = 0; index < heartbeat->n_running; index++)
                s_task_ref (hub, patches, &heartbeat->running [index]->task_id,
                            &heartbeat->running [index]->attempt);
            break;
        }
        case FOGRID__ENVELOPE__BODY_TASK_STARTED:
            s_task_ref (hub, patches, &env->task_started->task_id, &env->task_started->attempt);
            break;
        case FOGRID__ENVELOPE__BODY_TASK_RESULT:
            s_task_ref (hub, patches, &env->task_result->task_id, &env->task_result->attempt);
            break;
        default:
            break;
    }
}

//  --------------------------------------------------------------------------
//  The rules (the admin asks, its requests in one go, then the replies)

static uint64_t
s_ask_balance (s_hub_t *hub, const char *account)
{
    Fogrid__BalanceRequest balance = FOGRID__BALANCE_REQUEST__INIT;
    balance.account = (char *) account;
    balance.limit = 1;
    fg_env_t request = FOGRID__ENVELOPE__INIT;
    request.body_case = FOGRID__ENVELOPE__BODY_BALANCE;
    request.balance = &balance;
    return s_ask (hub, &hub->peers [0], &request);
}

static fg_env_t *
s_expect (s_hub_t *hub, uint64_t seq, Fogrid__Envelope__BodyCase wanted, const char *what)
{
    fg_env_t *reply = s_answer (hub, &hub->peers [0], seq);
    if (reply->body_case != wanted)
        fuzz_fail ("%s: the hub answered %s (%s)", what, fg_msg_body_name (reply),
                reply->body_case == FOGRID__ENVELOPE__BODY_ERROR? reply->error->text: "");
    return reply;
}

static void
s_check_balance (s_hub_t *hub, uint64_t seq)
{
    fg_env_t *reply = s_expect (hub, seq, FOGRID__ENVELOPE__BODY_BALANCE_REPLY, "balance");
    for (size_t index = 0; index < reply->balance_reply->n_accounts; index++)
        if (reply->balance_reply->accounts [index]->balance < 0)
            fuzz_fail ("account %s is negative: %" PRId64, reply->balance_reply->accounts [index]->name,
                    reply->balance_reply->accounts [index]->balance);
    fg_msg_free (&reply);
}

static uint64_t
s_counter (Fogrid__Counter **counters, size_t count, const char *name)
{
    for (size_t index = 0; index < count; index++)
        if (streq (counters [index]->name, name))
            return counters [index]->value;
    fuzz_fail ("the health reply has no count of %s", name);
    return 0;
}

static bool
s_same (Fogrid__HealthReply *a, Fogrid__HealthReply *b)
{
    if (a->queue_length != b->queue_length || a->n_tasks_by_state != b->n_tasks_by_state
    ||  a->n_miners_by_state != b->n_miners_by_state)
        return false;
    for (size_t index = 0; index < a->n_tasks_by_state; index++)
        if (a->tasks_by_state [index]->value != b->tasks_by_state [index]->value)
            return false;
    for (size_t index = 0; index < a->n_miners_by_state; index++)
        if (a->miners_by_state [index]->value != b->miners_by_state [index]->value)
            return false;
    return true;
}

//  Tasks by state add up to those accepted, the queue is the pending
//  ones, the miners hold exactly the placed ones. The hub may tick
//  between two requests, so the miner list is taken between two health
//  replies, and taken again until both say the same. Returns the ids of
//  (the first 8) miners in ids.
static size_t
s_check_counts (s_hub_t *hub, char ids [8][64])
{
    s_peer_t *admin = &hub->peers [0];
    for (int tries = 0; tries < 100; tries++) {
        fg_env_t request = FOGRID__ENVELOPE__INIT;
        Fogrid__MinersRequest miners_request = FOGRID__MINERS_REQUEST__INIT;
        request.body_case = FOGRID__ENVELOPE__BODY_MINERS;
        request.miners = &miners_request;
        uint64_t before_seq = s_ask (hub, admin, NULL);
        uint64_t miners_seq = s_ask (hub, admin, &request);
        uint64_t after_seq = s_ask (hub, admin, NULL);
        fg_env_t *before = s_expect (hub, before_seq, FOGRID__ENVELOPE__BODY_HEALTH_REPLY, "health");
        fg_env_t *list = s_expect (hub, miners_seq, FOGRID__ENVELOPE__BODY_MINERS_REPLY, "miners");
        fg_env_t *after = s_expect (hub, after_seq, FOGRID__ENVELOPE__BODY_HEALTH_REPLY, "health");
        bool still = s_same (before->health_reply, after->health_reply);
        Fogrid__HealthReply *health = before->health_reply;
        Fogrid__MinersReply *miners = list->miners_reply;
        size_t count = 0;
        if (still) {
            uint64_t tasks = 0, known = 0, held = 0;
            for (size_t index = 0; index < health->n_tasks_by_state; index++)
                tasks += health->tasks_by_state [index]->value;
            for (size_t index = 0; index < health->n_miners_by_state; index++)
                known += health->miners_by_state [index]->value;
            Fogrid__Counter **counters = health->tasks_by_state;
            size_t n_counters = health->n_tasks_by_state;
            uint64_t pending = s_counter (counters, n_counters, "pending");
            uint64_t placed = s_counter (counters, n_counters, "assigned")
                            + s_counter (counters, n_counters, "running");
            if (tasks != hub->accepted)
                fuzz_fail ("the hub counts %" PRIu64 " tasks, it accepted %" PRIu64, tasks,
                        hub->accepted);
            if (health->queue_length != pending)
                fuzz_fail ("the queue holds %u tasks, %" PRIu64 " are pending",
                        health->queue_length, pending);
            if (miners->n_miners != known)
                fuzz_fail ("health counts %" PRIu64 " miners, the list has %zu", known,
                        miners->n_miners);
            for (size_t index = 0; index < miners->n_miners; index++) {
                Fogrid__MinerInfo *info = miners->miners [index];
                if (streq (info->state, "dead") && info->n_tasks)
                    fuzz_fail ("dead miner %s holds %zu tasks", info->miner_id, info->n_tasks);
                held += info->n_tasks;
                if (count < 8)
                    snprintf (ids [count++], 64, "%s", info->miner_id);
            }
            if (held != placed)
                fuzz_fail ("miners hold %" PRIu64 " tasks, %" PRIu64 " are assigned or running",
                        held, placed);
        }
        fg_msg_free (&before);
        fg_msg_free (&list);
        fg_msg_free (&after);
        if (still)
            return count;
    }
    fuzz_fail ("the hub's counts never hold still for three requests");
    return 0;
}

//  No account the hub shows is negative, and its statement verifies.
static void
s_check_money (s_hub_t *hub, char ids [8][64], size_t n_ids)
{
    s_peer_t *admin = &hub->peers [0], *miner = &hub->peers [S_FIRST_MINER];
    fg_env_t request = FOGRID__ENVELOPE__INIT;
    Fogrid__AdminRequest wallet_request = FOGRID__ADMIN_REQUEST__INIT;
    wallet_request.action = "wallet/status";
    request.body_case = FOGRID__ENVELOPE__BODY_ADMIN;
    request.admin = &wallet_request;
    uint64_t wallet_seq = s_ask (hub, admin, &request);
    uint64_t seqs [S_FIRST_MINER + 1 + 8];
    size_t count = 0;
    char account [128];
    for (int index = 0; index < S_FIRST_MINER; index++) {
        snprintf (account, sizeof account, "buyer:%s", zcert_public_txt (s_certs [index]));
        seqs [count++] = s_ask_balance (hub, account);
    }
    seqs [count++] = s_ask_balance (hub, "hub:fee");
    for (size_t index = 0; index < n_ids; index++) {
        snprintf (account, sizeof account, "miner:%s", ids [index]);
        seqs [count++] = s_ask_balance (hub, account);
    }
    Fogrid__WalletStatement statement = FOGRID__WALLET_STATEMENT__INIT;
    statement.nonce = "fuzz";
    request.body_case = FOGRID__ENVELOPE__BODY_WALLET_STATEMENT;
    request.wallet_statement = &statement;
    uint64_t statement_seq = s_ask (hub, miner, &request);

    fg_env_t *reply = s_expect (hub, wallet_seq, FOGRID__ENVELOPE__BODY_WALLET_REPLY, "wallet");
    Fogrid__WalletReply *wallet = reply->wallet_reply;
    if (wallet->frozen < 0 || wallet->free_funds < 0 || wallet->fees < 0 || wallet->owner < 0)
        fuzz_fail ("a wallet account is negative: frozen %" PRId64 ", free %" PRId64 ", fees %"
                PRId64 ", owner %" PRId64, wallet->frozen, wallet->free_funds, wallet->fees,
                wallet->owner);
    fg_msg_free (&reply);
    for (size_t index = 0; index < count; index++)
        s_check_balance (hub, seqs [index]);

    reply = s_answer (hub, miner, statement_seq);
    char why [300];
    if (reply->body_case != FOGRID__ENVELOPE__BODY_WALLET_STATEMENT_REPLY)
        fuzz_fail ("statement: the hub answered %s", fg_msg_body_name (reply));
    if (reply->wallet_statement_reply->escrow_total < 0)
        fuzz_fail ("escrow holds %" PRId64, reply->wallet_statement_reply->escrow_total);
    if (fg_statement_verify (reply->wallet_statement_reply, NULL, why, sizeof why))
        fuzz_fail ("the hub's own statement does not verify: %s", why);
    fg_msg_free (&reply);
}

static void
s_check (s_hub_t *hub)
{
    char ids [8][64];
    size_t n_ids = s_check_counts (hub, ids);
    s_check_money (hub, ids, n_ids);
}

//  --------------------------------------------------------------------------
//  Starting and stopping the hubs

static void
s_hub_start (s_hub_t *hub, bool fresh)
{
    if (fresh) {
        if (*hub->dir)
            fuzz_remove (hub->dir);
        snprintf (hub->dir, sizeof hub->dir, "%s/hub-%d-%u", s_root, hub->require_funds,
                  hub->starts);
        hub->accepted = 0;
        hub->known_count = hub->known_next = 0;
    }
    hub->starts++;
    hub->inputs = 0;
    hub->config = fuzz_hub_config (hub_config_defs, hub->dir, "");
    fg_config_t *config = hub->config;
    fg_config_set (config, "hub/queue_max", "100");
    fg_config_set (config, "hub/tasks_per_buyer", "60");
    fg_config_set (config, "hub/open_deposits", "1");
    fg_config_set (config, "hub/require_funds", hub->require_funds? "1": "0");
    fg_config_set (config, "hub/wallet_stake", "1000");
    fg_config_set (config, "hub/pay_period_s", "60");
    fg_config_set (config, "hub/admin_keys", zcert_public_txt (s_certs [0]));
    fg_config_set (config, "hub/owner_keys", zcert_public_txt (s_certs [1]));
    hub_server_args_t args = { .config = config };
    hub->actor = zactor_new (hub_server_actor, &args);
    if (args.rc)
        fuzz_fail ("the hub does not start on %s data: %s", fresh? "new": "its own", args.error);
    int ports [2];
    zstr_send (hub->actor, "PORTS");
    zsock_recv (hub->actor, "ii", &ports [0], &ports [1]);
    for (int index = 0; index < S_PEERS; index++) {
        s_peer_t *peer = &hub->peers [index];
        peer->cert = s_certs [index];
        peer->miner_id [0] = 0;
        peer->sock = zsock_new (ZMQ_DEALER);
        zsock_set_linger (peer->sock, 0);
        zsock_set_sndtimeo (peer->sock, S_WAIT_MS);
        fg_curve_client (peer->sock, peer->cert, fg_security_public_key ());
        zsock_connect (peer->sock, "tcp://127.0.0.1:%d", ports [index >= S_FIRST_MINER]);
    }
}

static void
s_hub_stop (s_hub_t *hub)
{
    for (int index = 0; index < S_PEERS; index++)
        zsock_destroy (&hub->peers [index].sock);
    zactor_destroy (&hub->actor);
    fg_config_destroy (&hub->config);
}

static void
s_cleanup (void)
{
    for (int index = 0; index < 2; index++)
        if (s_hubs [index].actor)
            s_hub_stop (&s_hubs [index]);
    fg_security_term ();
    for (int index = 0; index < S_PEERS; index++)
        zcert_destroy (&s_certs [index]);
    fuzz_remove (s_root);
}

static void
s_setup (void)
{
    fuzz_start ("fuzz_hub");
    s_fresh = getenv ("FUZZ_FRESH") != NULL;
    fuzz_tmpdir (s_root, sizeof s_root);
    //  The process's keys (the hubs'), then each peer's
    fuzz_keys (hub_config_defs, s_root, "hub");
    char keys [400];
    snprintf (keys, sizeof keys, "%s/keys/hub.key", s_root);
    for (int index = 0; index < S_PEERS - 1; index++)
        s_certs [index] = zcert_new ();
    char secret [420];
    snprintf (secret, sizeof secret, "%s_secret", keys);
    s_certs [S_PEERS - 1] = zcert_load (secret);    //  a miner with the hub's key
    if (!s_certs [S_PEERS - 1])
        fuzz_fail ("cannot load %s", secret);
    for (int index = 0; index < 2; index++) {
        s_hubs [index].require_funds = index == 1;
        s_hub_start (&s_hubs [index], true);
    }
    atexit (s_cleanup);
}

//  --------------------------------------------------------------------------

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_root [0])
        s_setup ();
    if (size < 1)
        return 0;
    s_hub_t *hub = &s_hubs [data [0] & 1];
    if (s_fresh && hub->inputs > 0) {
        s_hub_stop (hub);
        s_hub_start (hub, true);
    }
    size_t at = 1, length;
    uint8_t op;
    const uint8_t *bytes;
    while (fuzz_next_message (data, size, &at, &op, &bytes, &length)) {
        s_peer_t *peer = &hub->peers [op & 7];
        fg_error_t error;
        //  What decodes has references filled in; what needs none goes as
        //  it came (a message protobuf-c decodes may not survive its
        //  encoder: the bytes are what a peer would send)
        fg_env_t *env = fg_msg_decode (bytes, length, &error, NULL);
        fuzz_patches_t patches;
        patches.count = 0;
        if (env)
            s_fill_in (hub, peer, env, &patches);
        int rc;
        if (patches.count)
            rc = fg_msg_send (peer->sock, NULL, env);
        else {
            zframe_t *frame = zframe_new (bytes, length);
            rc = zframe_send (&frame, peer->sock, 0);
            zframe_destroy (&frame);
        }
        if (rc)
            fuzz_fail ("cannot send to the hub");
        fuzz_unpatch (&patches);
        fg_msg_free (&env);
        fg_env_t *reply = s_answer (hub, peer, s_ask (hub, peer, NULL));
        fg_msg_free (&reply);
        s_drain (hub);
    }
    s_check (hub);
    if (++hub->inputs >= S_RESTART_EVERY) {
        s_hub_stop (hub);
        s_hub_start (hub, hub->starts % 2 == 0);
    }
    return 0;
}
