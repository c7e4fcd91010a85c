/*  =========================================================================
    fuzz_miner - libFuzzer target for the miner's handling of its hub

    The fuzzer plays the hub: a ROUTER on loopback that the real miner
    agent (an actor, started once per process, plain text, the benchmark's
    `null` runtime only, so no task runs anything) connects to. Each input
    is a sequence of messages, each preceded by its length byte, sent to
    the miner as a hub would send them: welcomes, assignments, kills,
    errors, oks, wallet statements, or bytes that do not decode. What the
    fuzzer cannot guess is filled in when a message decodes: a task id of
    at most one character in a kill names a task the miner runs, attempt 0
    its attempt; a reply's seq below 8 is the miner's last request of that
    kind (the low bits of a miner's seq say what it asked); a statement
    with no nonce gets the one the miner asked with, and with no signature
    is signed with the fuzzer's ledger key; an Ok's one-character receipt
    becomes a receipt for the result it answers, signed with that key.

    After each input the miner must still answer: an assignment with an
    id of our own gets its TaskStarted (and the pipe its STATE) within
    30 s; a miner that left (a statement it refused) must come back with a
    hello, which is welcomed. A miner that is ready must keep its
    heartbeats: one within three of the interval the last welcome gave
    it, plus 2 s (not checked when that is more than 2 s, which would
    slow the run). A crash, a hang or a miner that goes quiet is
    the finding. FUZZ_LOG=1 in the environment keeps the miner's log (on
    stderr), to follow one.
    =========================================================================  */
#include "fogrid.h"
#include "miner_agent.h"
#include "fg_receipt.h"
#include "fg_statement.h"
#include "fuzz_daemon.h"
#include <sodium.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define S_WAIT_MS       30000   //  a miner that does not answer in this is hung
#define S_TASKS         16      //  tasks remembered
#define S_HUB_ID        "h-fuzz"

typedef struct {
    char id [64];
    uint32_t attempt;
    uint64_t result_seq;        //  the seq of its TaskResult, 0 until then
} s_task_t;

static char s_root [256];               //  the process's temporary directory
static zsock_t *s_router;               //  the hub's socket
static zframe_t *s_peer;                //  the miner's routing id
static fg_config_t *s_config;
static zactor_t *s_miner;
static char s_miner_id [64];
static s_task_t s_tasks [S_TASKS];      //  tasks the miner told us about (a ring)
static size_t s_task_next;
static uint64_t s_last_seq [8];         //  the miner's last request of each kind
static char s_nonce [200];              //  its last statement request's
static unsigned char s_public [crypto_sign_PUBLICKEYBYTES];
static unsigned char s_secret [crypto_sign_SECRETKEYBYTES];
static char s_ledger_key [2 * crypto_sign_PUBLICKEYBYTES + 1];
static unsigned s_barriers;
static int64_t s_heard_ms;              //  when its last heartbeat (or hello) came
static uint32_t s_interval_ms = 100;    //  the heartbeat interval the last welcome gave

static void
s_send (fg_env_t *env)
{
    //  A send to a miner that left is dropped by the ROUTER: not a finding
    if (s_peer)
        fg_msg_send (s_router, s_peer, env);
}

static void
s_welcome (uint64_t seq)
{
    Fogrid__MinerWelcome welcome = FOGRID__MINER_WELCOME__INIT;
    welcome.heartbeat_ms = 100;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_MINER_WELCOME;
    env.miner_welcome = &welcome;
    s_send (&env);
}

static s_task_t *
s_task (const char *task_id, uint32_t attempt)
{
    for (size_t index = 0; index < S_TASKS; index++)
        if (streq (s_tasks [index].id, task_id) && s_tasks [index].attempt == attempt)
            return &s_tasks [index];
    s_task_t *task = &s_tasks [s_task_next];
    s_task_next = (s_task_next + 1) % S_TASKS;
    snprintf (task->id, sizeof task->id, "%s", task_id);
    task->attempt = attempt;
    task->result_seq = 0;
    return task;
}

//  One message from the miner: remembered; a hello is welcomed (so a
//  miner that left comes back). Returns it (the caller frees it).
static fg_env_t *
s_receive (void)
{
    zframe_t *peer = NULL;
    fg_error_t error;
    fg_env_t *env = fg_msg_recv (s_router, &peer, &error, NULL);
    if (!env)
        fuzz_fail ("the miner sent a message that does not decode: %s", fg_strerror (error));
    s_last_seq [env->seq & 7] = env->seq;
    switch (env->body_case) {
        case FOGRID__ENVELOPE__BODY_MINER_HELLO:
            zframe_destroy (&s_peer);
            s_peer = peer;
            peer = NULL;
            snprintf (s_miner_id, sizeof s_miner_id, "%s", env->miner_hello->miner_id);
            s_welcome (env->seq);
            s_heard_ms = zclock_mono ();
            s_interval_ms = 100;
            break;
        case FOGRID__ENVELOPE__BODY_MINER_HEARTBEAT:
            s_heard_ms = zclock_mono ();
            break;
        case FOGRID__ENVELOPE__BODY_TASK_STARTED:
            s_task (env->task_started->task_id, env->task_started->attempt);
            break;
        case FOGRID__ENVELOPE__BODY_TASK_RESULT:
            s_task (env->task_result->task_id, env->task_result->attempt)->result_seq = env->seq;
            break;
        case FOGRID__ENVELOPE__BODY_WALLET_STATEMENT:
            snprintf (s_nonce, sizeof s_nonce, "%s", env->wallet_statement->nonce);
            break;
        default:
            break;
    }
    zframe_destroy (&peer);
    return env;
}

static void
s_drain (void)
{
    while (zsock_events (s_router) & ZMQ_POLLIN) {
        fg_env_t *env = s_receive ();
        fg_msg_free (&env);
    }
}

//  --------------------------------------------------------------------------
//  Filling in what the fuzzer cannot guess

static void
s_task_ref (fuzz_patches_t *patches, char **task_id, uint32_t *attempt)
{
    if (strlen (*task_id) > 1)
        return;
    s_task_t *task = &s_tasks [(unsigned char) (*task_id) [0] % S_TASKS];
    if (!*task->id)
        return;
    fuzz_patch (patches, task_id, strdup (task->id));
    if (*attempt == 0)
        *attempt = task->attempt;
}

static char *
s_sign (const char *text)
{
    unsigned char signature [crypto_sign_BYTES];
    crypto_sign_detached (signature, NULL, (const unsigned char *) text, strlen (text), s_secret);
    char *hex = (char *) zmalloc (2 * sizeof signature + 1);
    sodium_bin2hex (hex, 2 * sizeof signature + 1, signature, sizeof signature);
    return hex;
}

//  A signed receipt for the result the miner sent with seq, or NULL.
static char *
s_receipt (uint64_t seq)
{
    for (size_t index = 0; index < S_TASKS; index++) {
        s_task_t *task = &s_tasks [index];
        if (!*task->id || task->result_seq != seq)
            continue;
        fg_receipt_t receipt;
        memset (&receipt, 0, sizeof receipt);
        snprintf (receipt.task_id, sizeof receipt.task_id, "%s", task->id);
        receipt.attempt = task->attempt;
        snprintf (receipt.miner_id, sizeof receipt.miner_id, "%s", s_miner_id);
        receipt.amount = 95;
        receipt.fee = 5;
        snprintf (receipt.entry_id, sizeof receipt.entry_id, "pay/%s", task->id);
        receipt.entry_seq = (int64_t) seq;
        snprintf (receipt.entry_hash, sizeof receipt.entry_hash, "%064d", 0);
        receipt.at_ms = fg_now_ms ();
        snprintf (receipt.hub_id, sizeof receipt.hub_id, "%s", S_HUB_ID);
        snprintf (receipt.hub_key, sizeof receipt.hub_key, "%s", s_ledger_key);
        char *text = fg_receipt_text (&receipt);
        char *signature = s_sign (text);
        snprintf (receipt.signature, sizeof receipt.signature, "%s", signature);
        free (signature);
        zstr_free (&text);
        return fg_receipt_json (&receipt);
    }
    return NULL;
}

static void
s_fill_in (fg_env_t *env, fuzz_patches_t *patches)
{
    if (env->seq < 8 && s_last_seq [env->seq])
        env->seq = s_last_seq [env->seq];
    switch (env->body_case) {
        case FOGRID__ENVELOPE__BODY_TASK_KILL:
            s_task_ref (patches, &env->task_kill->task_id, &env->task_kill->attempt);
            break;
        case FOGRID__ENVELOPE__BODY_MINER_WELCOME:
            for (size_t index = 0; index < env->miner_welcome->n_kill; index++)
                s_task_ref (patches, &env->miner_welcome->kill [index]->task_id,
                            &env->miner_welcome->kill [index]->attempt);
            break;
        case FOGRID__ENVELOPE__BODY_WALLET_STATEMENT_REPLY: {
            Fogrid__WalletStatementReply *reply = env->wallet_statement_reply;
            if (!*reply->nonce)
                fuzz_patch (patches, &reply->nonce, strdup (s_nonce));
            if (!*reply->signature) {
                fuzz_patch (patches, &reply->ledger_key, strdup (s_ledger_key));
                char *text = fg_statement_text (reply);
                if (text)
                    fuzz_patch (patches, &reply->signature, s_sign (text));
                zstr_free (&text);
            }
            break;
        }
        case FOGRID__ENVELOPE__BODY_OK:
            if (strlen (env->ok->receipt) == 1) {
                char *receipt = s_receipt (env->seq);
                if (receipt)
                    fuzz_patch (patches, &env->ok->receipt, receipt);
            }
            break;
        default:
            break;
    }
}

//  --------------------------------------------------------------------------
//  Is it alive

//  True when the miner's state is that one, asked through its actor's
//  pipe (which the same loop polls as its hub connection): an answer
//  says the loop lives.
static bool
s_state_is (const char *wanted)
{
    zstr_send (s_miner, "STATE");
    char *state = zstr_recv (s_miner);
    if (!state)
        fuzz_fail ("the miner's actor does not answer");
    bool is = streq (state, wanted);
    zstr_free (&state);
    return is;
}

static bool
s_left (void)
{
    return s_state_is ("no-hub");
}

//  The miner must answer an assignment of our own with its TaskStarted,
//  which also says it has handled what came before on that connection.
//  A miner that left the hub (a statement it refused) tries again after
//  a while: its loop answering is enough then, and its hello will be
//  welcomed when it comes.
static void
s_barrier (void)
{
    char task_id [64];
    snprintf (task_id, sizeof task_id, "t-barrier-%u", ++s_barriers);
    char *argv [] = { "true" };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.argv = argv;
    spec.n_argv = 1;
    spec.runtime = "null";
    Fogrid__TaskAssign assign = FOGRID__TASK_ASSIGN__INIT;
    assign.task_id = task_id;
    assign.attempt = 1;
    assign.spec = &spec;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_ASSIGN;
    env.task_assign = &assign;
    zframe_t *sent_to = NULL;
    int64_t deadline = zclock_mono () + S_WAIT_MS, again = 0;
    while (true) {
        if (zclock_mono () > deadline)
            fuzz_fail ("the miner did not start task %s in %d ms", task_id, S_WAIT_MS);
        if (s_left ())
            break;
        //  To the connection it has now (a hello may have come since), and
        //  again each second: an assignment it runs already is answered too
        if (s_peer && (!sent_to || !zframe_eq (sent_to, s_peer) || zclock_mono () > again)) {
            zframe_destroy (&sent_to);
            sent_to = zframe_dup (s_peer);
            s_send (&env);
            again = zclock_mono () + 1000;
        }
        zmq_pollitem_t item = { zsock_resolve (s_router), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 100) <= 0)
            continue;
        bool started = false;
        while (!started && (zsock_events (s_router) & ZMQ_POLLIN)) {
            fg_env_t *got = s_receive ();
            started = got->body_case == FOGRID__ENVELOPE__BODY_TASK_STARTED
                   && streq (got->task_started->task_id, task_id);
            fg_msg_free (&got);
        }
        if (started)
            break;
    }
    zframe_destroy (&sent_to);
}

//  A ready miner heartbeats: one must come within three intervals (and
//  2 s for a loaded machine) of the last, unless it stops being ready.
static void
s_check_heartbeats (void)
{
    if (s_interval_ms > 2000)
        return;
    s_drain ();
    int64_t limit = 3 * (int64_t) s_interval_ms + 2000;
    while (zclock_mono () - s_heard_ms > limit) {
        if (!s_state_is ("ready"))
            return;
        if (zclock_mono () - s_heard_ms > 2 * limit)
            fuzz_fail ("the miner is ready but sent no heartbeat in %" PRId64 " ms "
                       "(interval %u ms)", zclock_mono () - s_heard_ms, s_interval_ms);
        zmq_pollitem_t item = { zsock_resolve (s_router), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 100) > 0)
            s_drain ();
    }
}

//  --------------------------------------------------------------------------
//  Setup

static void
s_cleanup (void)
{
    zactor_destroy (&s_miner);
    fg_config_destroy (&s_config);
    zframe_destroy (&s_peer);
    zsock_destroy (&s_router);
    fuzz_remove (s_root);
}

static void
s_setup (void)
{
    fuzz_start ("fuzz_miner");
    if (sodium_init () < 0)
        fuzz_fail ("libsodium cannot be initialized");
    crypto_sign_keypair (s_public, s_secret);
    sodium_bin2hex (s_ledger_key, sizeof s_ledger_key, s_public, sizeof s_public);
    fuzz_tmpdir (s_root, sizeof s_root);
    char hubs [64], data [300];
    s_router = fuzz_hub_router (hubs, sizeof hubs);
    //  An input may be thousands of messages: none is dropped for a full
    //  queue while the miner catches up (they wait, in memory)
    zsock_set_sndhwm (s_router, 0);
    snprintf (data, sizeof data, "%s/miner", s_root);
    s_config = fuzz_miner_config (miner_agent_defs, hubs, data, "m-fuzz", "");
    fg_config_set (s_config, "miner/heartbeat_ms", "100");
    fg_config_set (s_config, "miner/recheck_s", "1");
    miner_agent_args_t args = { .config = s_config };
    s_miner = zactor_new (miner_agent_actor, &args);
    if (args.rc)
        fuzz_fail ("the miner does not start: %s", args.error);
    //  Its hello, welcomed
    int64_t deadline = zclock_mono () + S_WAIT_MS;
    while (!s_peer) {
        if (zclock_mono () > deadline)
            fuzz_fail ("the miner did not say hello in %d ms", S_WAIT_MS);
        zmq_pollitem_t item = { zsock_resolve (s_router), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 100) > 0) {
            fg_env_t *env = s_receive ();
            fg_msg_free (&env);
        }
    }
    s_barrier ();
    atexit (s_cleanup);
}

//  --------------------------------------------------------------------------

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_root [0])
        s_setup ();
    size_t at = 0;
    while (at < size) {
        size_t length = data [at++];
        if (length > size - at)
            length = size - at;
        const uint8_t *bytes = data + at;
        at += length;
        fg_error_t error;
        //  What decodes has references filled in; what needs none goes as
        //  it came (a message protobuf-c decodes may not survive its
        //  encoder: the bytes are what a hub would send)
        fg_env_t *env = fg_msg_decode (bytes, length, &error, NULL);
        fuzz_patches_t patches;
        patches.count = 0;
        bool changed = false;
        if (env && env->body_case == FOGRID__ENVELOPE__BODY_MINER_WELCOME) {
            //  The interval the miner takes from a welcome, in any state
            //  (miner_link clamps it; 0 keeps the one it has)
            uint32_t ms = env->miner_welcome->heartbeat_ms;
            if (ms)
                s_interval_ms = ms < 50? 50: ms > 60000? 60000: ms;
        }
        if (env) {
            uint64_t seq = env->seq;
            s_fill_in (env, &patches);
            changed = patches.count || env->seq != seq;
        }
        if (changed)
            s_send (env);
        else
        if (s_peer) {
            zframe_t *peer = zframe_dup (s_peer);
            zframe_t *frame = zframe_new (bytes, length);
            if (zframe_send (&peer, s_router, ZFRAME_MORE) == 0)
                zframe_send (&frame, s_router, 0);
            zframe_destroy (&peer);
            zframe_destroy (&frame);
        }
        fuzz_unpatch (&patches);
        fg_msg_free (&env);
        s_drain ();
    }
    s_barrier ();
    s_check_heartbeats ();
    return 0;
}
