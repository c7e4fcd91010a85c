/*  =========================================================================
    make_corpus - writes the seed inputs of fuzz_hub, fuzz_miner and
    fuzz_loc_server

    usage: make_corpus DIR      (writes DIR/hub/NAME, DIR/miner/NAME and
                                 DIR/loc_server/NAME)
    scripts/fuzz-corpus.sh builds and runs it on fuzz/corpus.

    Each seed is a short conversation that the daemon takes as valid, in
    the fuzzer's framing (fuzz_hub.c, fuzz_miner.c, fuzz_loc_server.c):
    for the hub a byte choosing the hub, then [op][length][envelope] per
    message, op naming the peer (0..3 buyers, 4..7 miners) and how far the
    clock moves; for the miner [length][envelope]; for the locator
    [op][length][envelope], op naming the peer (0..3 may register, 0 and
    4 are the DAO's keys). Task ids are left one character long (or empty)
    so the fuzzer fills in the ids of real tasks; the locator's owners,
    service names, hub ids, keys and signers one character long, so the
    fuzzer makes them collide and signs with the peers' keys.
    =========================================================================  */
#include "fogrid.h"

//  Peers of fuzz_hub
#define ADMIN   0
#define OWNER   1
#define BUYER   2
#define MINER   4
#define MINER2  5
#define OWN     7               //  the miner with the hub's key
#define TICK(steps) ((steps) << 3)

typedef struct {
    byte data [4096];
    size_t size;
} s_seed_t;

static void
s_add (s_seed_t *seed, int op, fg_env_t *env)
{
    env->version = FG_PROTO_VERSION;
    size_t packed = fogrid__envelope__get_packed_size (env);
    if (packed > 255 || seed->size + packed + 2 > sizeof seed->data) {
        fprintf (stderr, "make_corpus: a %s message of %zu bytes does not fit\n",
                 fg_msg_body_name (env), packed);
        exit (1);
    }
    if (op >= 0)
        seed->data [seed->size++] = (byte) op;
    seed->data [seed->size++] = (byte) packed;
    fogrid__envelope__pack (env, seed->data + seed->size);
    seed->size += packed;
}

static void
s_save (s_seed_t *seed, const char *dir, const char *kind, const char *name)
{
    char path [600];
    snprintf (path, sizeof path, "%s/%s", dir, kind);
    zsys_dir_create ("%s", path);
    snprintf (path, sizeof path, "%s/%s/%s", dir, kind, name);
    FILE *file = fopen (path, "wb");
    if (!file || fwrite (seed->data, 1, seed->size, file) != seed->size || fclose (file)) {
        fprintf (stderr, "make_corpus: cannot write %s\n", path);
        exit (1);
    }
    printf ("%s: %zu bytes\n", path, seed->size);
    seed->size = 0;
}

//  --------------------------------------------------------------------------
//  Buyer requests

static void
s_submit (s_seed_t *seed, int op, const char *token, uint64_t max_price, const char *service)
{
    char *argv [] = { "echo", "hello" };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    Fogrid__Label label = FOGRID__LABEL__INIT, *labels [] = { &label };
    label.key = "zone";
    label.value = "a";
    spec.argv = argv;
    spec.n_argv = service? 0: 2;
    spec.cores = 1;
    spec.mem_mb = 64;
    spec.timeout_s = 10;
    spec.retries = 1;
    spec.max_price = max_price;
    spec.constraint = "cores >= 1";
    spec.policy = "cheapest";
    if (service) {
        spec.image = "fogrid/echo-service";
        spec.runtime = "docker";
        spec.service_name = (char *) service;
        spec.service_port = 8080;
        spec.health = "http:/health";
    }
    else {
        spec.labels = labels;
        spec.n_labels = 1;
    }
    Fogrid__SubmitRequest submit = FOGRID__SUBMIT_REQUEST__INIT;
    submit.spec = &spec;
    submit.client_token = (char *) token;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_SUBMIT;
    env.submit = &submit;
    s_add (seed, op, &env);
}

//  status, result, cancel and receipt: a task id
static void
s_about (s_seed_t *seed, int op, Fogrid__Envelope__BodyCase body, const char *task_id)
{
    Fogrid__StatusRequest status = FOGRID__STATUS_REQUEST__INIT;
    Fogrid__ResultRequest result = FOGRID__RESULT_REQUEST__INIT;
    Fogrid__CancelRequest cancel = FOGRID__CANCEL_REQUEST__INIT;
    Fogrid__ReceiptRequest receipt = FOGRID__RECEIPT_REQUEST__INIT;
    status.task_id = result.task_id = cancel.task_id = receipt.task_id = (char *) task_id;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = body;
    switch (body) {
        case FOGRID__ENVELOPE__BODY_STATUS:  env.status = &status; break;
        case FOGRID__ENVELOPE__BODY_RESULT:  env.result = &result; break;
        case FOGRID__ENVELOPE__BODY_CANCEL:  env.cancel = &cancel; break;
        default:                             env.receipt = &receipt; break;
    }
    s_add (seed, op, &env);
}

static void
s_simple (s_seed_t *seed, int op, Fogrid__Envelope__BodyCase body)
{
    Fogrid__HealthRequest health = FOGRID__HEALTH_REQUEST__INIT;
    Fogrid__MinersRequest miners = FOGRID__MINERS_REQUEST__INIT;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = body;
    if (body == FOGRID__ENVELOPE__BODY_HEALTH)
        env.health = &health;
    else
        env.miners = &miners;
    s_add (seed, op, &env);
}

static void
s_transfer (s_seed_t *seed, int op, bool deposit, uint64_t amount, const char *token)
{
    Fogrid__DepositRequest in = FOGRID__DEPOSIT_REQUEST__INIT;
    Fogrid__WithdrawRequest out = FOGRID__WITHDRAW_REQUEST__INIT;
    in.amount = out.amount = amount;
    in.token = out.token = (char *) token;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = deposit? FOGRID__ENVELOPE__BODY_DEPOSIT: FOGRID__ENVELOPE__BODY_WITHDRAW;
    if (deposit)
        env.deposit = &in;
    else
        env.withdraw = &out;
    s_add (seed, op, &env);
}

static void
s_balance (s_seed_t *seed, int op, const char *account)
{
    Fogrid__BalanceRequest balance = FOGRID__BALANCE_REQUEST__INIT;
    balance.account = (char *) account;
    balance.limit = 5;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_BALANCE;
    env.balance = &balance;
    s_add (seed, op, &env);
}

static void
s_admin (s_seed_t *seed, int op, const char *action)
{
    Fogrid__AdminRequest admin = FOGRID__ADMIN_REQUEST__INIT;
    admin.action = (char *) action;
    admin.reason = "fuzz";
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_ADMIN;
    env.admin = &admin;
    s_add (seed, op, &env);
}

//  --------------------------------------------------------------------------
//  Miner messages to the hub

static void
s_hello (s_seed_t *seed, int op, const char *miner_id, uint64_t price, const char *running)
{
    char *runtimes [] = { "process", "docker" };
    Fogrid__Label label = FOGRID__LABEL__INIT, *labels [] = { &label };
    label.key = "zone";
    label.value = "a";
    Fogrid__Resources resources = FOGRID__RESOURCES__INIT;
    resources.cores = 4;
    resources.mem_mb = 4096;
    resources.disk_mb = 10000;
    resources.price = price;
    resources.runtimes = runtimes;
    resources.n_runtimes = 2;
    resources.labels = labels;
    resources.n_labels = 1;
    resources.constraint = "mem_mb <= 1024";
    Fogrid__TaskRef ref = FOGRID__TASK_REF__INIT, *refs [] = { &ref };
    ref.task_id = (char *) running;
    Fogrid__MinerHello hello = FOGRID__MINER_HELLO__INIT;
    hello.miner_id = (char *) miner_id;
    hello.name = "fuzz";
    hello.version = "0.1.0";
    hello.resources = &resources;
    hello.running = refs;
    hello.n_running = running? 1: 0;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_MINER_HELLO;
    env.miner_hello = &hello;
    s_add (seed, op, &env);
}

static void
s_heartbeat (s_seed_t *seed, int op, const char *running)
{
    Fogrid__Load load = FOGRID__LOAD__INIT;
    load.running = running? 1: 0;
    load.used_cores = running? 1: 0;
    load.healthy = true;
    Fogrid__TaskRef ref = FOGRID__TASK_REF__INIT, *refs [] = { &ref };
    ref.task_id = (char *) running;
    Fogrid__MinerHeartbeat heartbeat = FOGRID__MINER_HEARTBEAT__INIT;
    heartbeat.load = &load;             //  miner_id "": the fuzzer puts the hello's
    heartbeat.running = refs;
    heartbeat.n_running = running? 1: 0;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_MINER_HEARTBEAT;
    env.miner_heartbeat = &heartbeat;
    s_add (seed, op, &env);
}

static void
s_started (s_seed_t *seed, int op, const char *task_id)
{
    Fogrid__TaskStarted started = FOGRID__TASK_STARTED__INIT;
    started.task_id = (char *) task_id;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_STARTED;
    env.task_started = &started;
    s_add (seed, op, &env);
}

static void
s_result (s_seed_t *seed, int op, const char *task_id, int exit_code)
{
    Fogrid__TaskResult result = FOGRID__TASK_RESULT__INIT;
    result.task_id = (char *) task_id;
    result.exit_code = exit_code;
    result.stdout.data = (uint8_t *) "hello\n";
    result.stdout.len = 6;
    result.started_ms = 1000;
    result.ended_ms = 2000;
    result.stdout_sha256 = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_RESULT;
    env.task_result = &result;
    s_add (seed, op, &env);
}

static void
s_statement_request (s_seed_t *seed, int op)
{
    Fogrid__WalletStatement statement = FOGRID__WALLET_STATEMENT__INIT;
    statement.nonce = "0123456789abcdef";
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_WALLET_STATEMENT;
    env.wallet_statement = &statement;
    s_add (seed, op, &env);
}

static void
s_hub_seeds (const char *dir)
{
    s_seed_t seed = { .size = 0 };
    //  A task from submit to its paid result
    seed.data [seed.size++] = 0;
    s_transfer (&seed, BUYER, true, 1000, "d1");
    s_submit (&seed, BUYER, "t1", 0, NULL);
    s_hello (&seed, MINER, "m-a", 10, NULL);
    s_about (&seed, BUYER, FOGRID__ENVELOPE__BODY_STATUS, "");
    s_started (&seed, MINER, "");
    s_heartbeat (&seed, TICK (2) | MINER, "");
    s_result (&seed, MINER, "", 0);
    s_about (&seed, BUYER, FOGRID__ENVELOPE__BODY_RESULT, "");
    s_about (&seed, BUYER, FOGRID__ENVELOPE__BODY_RECEIPT, "");
    s_balance (&seed, BUYER, "");
    s_save (&seed, dir, "hub", "paid-task");

    //  The same with every task paid for, then money back out
    seed.data [seed.size++] = 1;
    s_transfer (&seed, BUYER, true, 500, "d2");
    s_hello (&seed, MINER, "m-b", 5, NULL);
    s_submit (&seed, BUYER, "t2", 100, NULL);
    s_started (&seed, MINER, "");
    s_result (&seed, MINER, "", 3);
    s_transfer (&seed, BUYER, false, 100, "w1");
    s_balance (&seed, ADMIN, "hub:fee");
    s_save (&seed, dir, "hub", "funds");

    //  A buyer cancels; another may not look at it
    seed.data [seed.size++] = 0;
    s_hello (&seed, MINER, "m-c", 0, NULL);
    s_submit (&seed, BUYER + 1, "t3", 0, NULL);
    s_about (&seed, BUYER, FOGRID__ENVELOPE__BODY_STATUS, "");
    s_about (&seed, BUYER + 1, FOGRID__ENVELOPE__BODY_CANCEL, "");
    s_heartbeat (&seed, MINER, "");
    s_simple (&seed, BUYER, FOGRID__ENVELOPE__BODY_MINERS);
    s_save (&seed, dir, "hub", "cancel");

    //  A miner falls silent, its task goes to another; one comes back
    seed.data [seed.size++] = 0;
    s_hello (&seed, MINER, "m-d", 1, NULL);
    s_submit (&seed, BUYER, "t4", 0, NULL);
    s_started (&seed, MINER, "");
    s_hello (&seed, TICK (16) | MINER2, "m-e", 2, NULL);
    s_heartbeat (&seed, TICK (16) | MINER2, NULL);
    s_heartbeat (&seed, TICK (16) | MINER2, NULL);
    s_hello (&seed, MINER, "m-d", 1, "");
    s_simple (&seed, ADMIN, FOGRID__ENVELOPE__BODY_HEALTH);
    s_save (&seed, dir, "hub", "lost-miner");

    //  Another key takes a miner's id; the hub's own key says hello
    seed.data [seed.size++] = 0;
    s_hello (&seed, MINER, "m-f", 3, NULL);
    s_hello (&seed, MINER2, "m-f", 3, NULL);
    s_hello (&seed, OWN, "m-own", 3, NULL);
    s_submit (&seed, BUYER, "t5", 0, NULL);
    s_statement_request (&seed, OWN);
    s_save (&seed, dir, "hub", "keys");

    //  The wallet: the DAO suspects and clears it, the owner's payday
    seed.data [seed.size++] = 1;
    s_admin (&seed, ADMIN, "wallet/status");
    s_admin (&seed, ADMIN, "wallet/suspect");
    s_admin (&seed, ADMIN, "wallet/clear");
    s_admin (&seed, TICK (31) | OWNER, "wallet/payday");
    s_admin (&seed, BUYER, "wallet/punish");
    s_balance (&seed, ADMIN, "buyer:anonymous");
    s_save (&seed, dir, "hub", "wallet");

    //  A service, and a task that times out on its miner
    seed.data [seed.size++] = 0;
    s_hello (&seed, MINER, "m-g", 0, NULL);
    s_submit (&seed, BUYER, "t6", 0, "echo");
    s_submit (&seed, BUYER, "t7", 0, NULL);
    s_started (&seed, MINER, "");
    s_heartbeat (&seed, TICK (31) | MINER, "");
    s_heartbeat (&seed, TICK (1) | MINER, "");
    s_save (&seed, dir, "hub", "service-timeout");
}

//  --------------------------------------------------------------------------
//  Hub messages to the miner

static void
s_assign (s_seed_t *seed, const char *task_id, uint32_t attempt, const char *runtime)
{
    char *argv [] = { "true" };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.argv = argv;
    spec.n_argv = 1;
    spec.runtime = (char *) runtime;
    spec.timeout_s = 5;
    Fogrid__TaskAssign assign = FOGRID__TASK_ASSIGN__INIT;
    assign.task_id = (char *) task_id;
    assign.attempt = attempt;
    assign.spec = &spec;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = 9;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_ASSIGN;
    env.task_assign = &assign;
    s_add (seed, -1, &env);
}

static void
s_kill (s_seed_t *seed, const char *task_id)
{
    Fogrid__TaskKill kill = FOGRID__TASK_KILL__INIT;
    kill.task_id = (char *) task_id;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_KILL;
    env.task_kill = &kill;
    s_add (seed, -1, &env);
}

static void
s_welcome (s_seed_t *seed, uint32_t heartbeat_ms, const char *kill)
{
    Fogrid__TaskRef ref = FOGRID__TASK_REF__INIT, *refs [] = { &ref };
    ref.task_id = (char *) kill;
    Fogrid__MinerWelcome welcome = FOGRID__MINER_WELCOME__INIT;
    welcome.heartbeat_ms = heartbeat_ms;
    welcome.kill = refs;
    welcome.n_kill = kill? 1: 0;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = 1;                //  the miner's last hello
    env.body_case = FOGRID__ENVELOPE__BODY_MINER_WELCOME;
    env.miner_welcome = &welcome;
    s_add (seed, -1, &env);
}

static void
s_error (s_seed_t *seed, uint64_t seq, fg_error_t code)
{
    Fogrid__Error error = FOGRID__ERROR__INIT;
    error.code = (uint32_t) code;
    error.text = "no";
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_ERROR;
    env.error = &error;
    s_add (seed, -1, &env);
}

static void
s_ok (s_seed_t *seed, const char *receipt)
{
    Fogrid__Ok ok = FOGRID__OK__INIT;
    ok.text = "paid";
    ok.receipt = (char *) receipt;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = 4;                //  the miner's last result
    env.body_case = FOGRID__ENVELOPE__BODY_OK;
    env.ok = &ok;
    s_add (seed, -1, &env);
}

static void
s_statement (s_seed_t *seed, const char *state, int64_t frozen)
{
    Fogrid__WalletStatementReply reply = FOGRID__WALLET_STATEMENT_REPLY__INIT;
    reply.hub_id = "h-fuzz";
    reply.state = (char *) state;
    reply.frozen = frozen;
    reply.fees = 5;
    reply.at_ms = 1000;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = 5;                //  the miner's last statement request
    env.body_case = FOGRID__ENVELOPE__BODY_WALLET_STATEMENT_REPLY;
    env.wallet_statement_reply = &reply;   //  nonce and signature: the fuzzer's
    s_add (seed, -1, &env);
}

static void
s_miner_seeds (const char *dir)
{
    s_seed_t seed = { .size = 0 };
    s_welcome (&seed, 200, NULL);
    s_assign (&seed, "t-1", 1, "null");
    s_ok (&seed, "x");
    s_save (&seed, dir, "miner", "paid");

    s_assign (&seed, "t-2", 1, "process");
    s_assign (&seed, "t-3", 2, "docker");
    s_kill (&seed, "");
    s_error (&seed, 4, FG_E_STALE);
    s_save (&seed, dir, "miner", "kill");

    s_statement (&seed, "registered", 1000);
    s_welcome (&seed, 60000, "");
    s_error (&seed, 2, FG_E_NOT_FOUND);
    s_save (&seed, dir, "miner", "statement");

    s_statement (&seed, "punished", 0);
    s_save (&seed, dir, "miner", "refused");

    s_error (&seed, 3, FG_E_NOT_FOUND);
    s_error (&seed, 5, FG_E_UNEXPECTED);
    s_error (&seed, 1, FG_E_DENIED);
    s_save (&seed, dir, "miner", "errors");
}

//  --------------------------------------------------------------------------
//  The locator's conversations (fuzz_loc_server's peers)

#define L_DAO   0               //  may register; an admin key
#define L_REG   1               //  may register
#define L_REG2  2
#define L_DAO2  4               //  an admin key, may not register
#define L_READ  5               //  neither
#define L_READ2 6

static void
s_loc_register (s_seed_t *seed, int op, const char *owner, uint32_t ttl_ms, const char *name,
                uint32_t port, int count)
{
    Fogrid__LocRegister msg = FOGRID__LOC_REGISTER__INIT;
    Fogrid__Registration regs [4], *pointers [4];
    Fogrid__Endpoint endpoints [4];
    for (int index = 0; index < count; index++) {
        fogrid__registration__init (&regs [index]);
        fogrid__endpoint__init (&endpoints [index]);
        endpoints [index].transport = "tcp";
        endpoints [index].host = "127.0.0.1";
        endpoints [index].port = port + (uint32_t) index;
        endpoints [index].weight = (uint32_t) index + 1;
        regs [index].name = (char *) name;
        regs [index].endpoint = &endpoints [index];
        regs [index].protocol_version = 1;
        regs [index].protocol = "sum";
        pointers [index] = &regs [index];
    }
    msg.owner = (char *) owner;
    msg.ttl_ms = ttl_ms;
    msg.regs = pointers;
    msg.n_regs = (size_t) count;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_LOC_REGISTER;
    env.loc_register = &msg;
    s_add (seed, op, &env);
}

static void
s_loc_heartbeat (s_seed_t *seed, int op, const char *owner, uint32_t load)
{
    Fogrid__LocHeartbeat msg = FOGRID__LOC_HEARTBEAT__INIT;
    msg.owner = (char *) owner;
    msg.load = load;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_LOC_HEARTBEAT;
    env.loc_heartbeat = &msg;
    s_add (seed, op, &env);
}

static void
s_loc_unregister (s_seed_t *seed, int op, const char *owner, const char *name)
{
    Fogrid__LocUnregister msg = FOGRID__LOC_UNREGISTER__INIT;
    msg.owner = (char *) owner;
    msg.name = (char *) name;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_LOC_UNREGISTER;
    env.loc_unregister = &msg;
    s_add (seed, op, &env);
}

static void
s_loc_resolve (s_seed_t *seed, int op, const char *name, const char *policy, uint32_t page_size)
{
    Fogrid__LocResolve msg = FOGRID__LOC_RESOLVE__INIT;
    msg.name = (char *) name;
    msg.policy = (char *) policy;
    msg.page_size = page_size;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_LOC_RESOLVE;
    env.loc_resolve = &msg;
    s_add (seed, op, &env);
}

static void
s_loc_watch (s_seed_t *seed, int op, const char *name, uint32_t lease_ms)
{
    Fogrid__LocWatch msg = FOGRID__LOC_WATCH__INIT;
    msg.name = (char *) name;
    msg.lease_ms = lease_ms;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_LOC_WATCH;
    env.loc_watch = &msg;
    s_add (seed, op, &env);
}

static void
s_loc_list (s_seed_t *seed, int op)
{
    Fogrid__LocList msg = FOGRID__LOC_LIST__INIT;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_LOC_LIST;
    env.loc_list = &msg;
    s_add (seed, op, &env);
}

//  at_ms below 2^20 counts from 2^19 ms before the fuzzer's clock; the
//  signer "0".."7" is the peer whose key signs ("" = unsigned)
static void
s_registry_set (s_seed_t *seed, int op, const char *hub_id, const char *status,
                const char *hub_key, int64_t stake, const char *reason, uint64_t at_ms,
                const char *signer)
{
    Fogrid__RegistrySet msg = FOGRID__REGISTRY_SET__INIT;
    msg.hub_id = (char *) hub_id;
    msg.status = (char *) status;
    msg.hub_key = (char *) hub_key;
    msg.ledger_key = "0";
    msg.stake = stake;
    msg.reason = (char *) reason;
    msg.at_ms = at_ms;
    msg.signer = (char *) signer;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_REGISTRY_SET;
    env.registry_set = &msg;
    s_add (seed, op, &env);
}

static void
s_registry_list (s_seed_t *seed, int op, const char *hub_id, const char *hub_key)
{
    Fogrid__RegistryList msg = FOGRID__REGISTRY_LIST__INIT;
    msg.hub_id = (char *) hub_id;
    msg.hub_key = (char *) hub_key;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_REGISTRY_LIST;
    env.registry_list = &msg;
    s_add (seed, op, &env);
}

static void
s_registry_sync (s_seed_t *seed, int op, const char *log_id, uint64_t after, uint32_t max)
{
    Fogrid__RegistrySync msg = FOGRID__REGISTRY_SYNC__INIT;
    msg.log_id = (char *) log_id;
    msg.after = after;
    msg.max = max;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_REGISTRY_SYNC;
    env.registry_sync = &msg;
    s_add (seed, op, &env);
}

static void
s_raw (s_seed_t *seed, int op, const char *bytes, size_t size)
{
    seed->data [seed->size++] = (byte) op;
    seed->data [seed->size++] = (byte) size;
    memcpy (seed->data + seed->size, bytes, size);
    seed->size += size;
}

static void
s_loc_seeds (const char *dir)
{
    s_seed_t seed = { .size = 0 };
    //  An owner's life: register, resolve, heartbeat, list, withdraw
    s_loc_register (&seed, L_REG, "0", 0, "0", 7001, 2);
    s_loc_resolve (&seed, L_READ, "0", "random", 1);
    s_loc_heartbeat (&seed, TICK (2) | L_REG, "0", 40);
    s_loc_resolve (&seed, L_READ, "0", "least-loaded", 0);
    s_loc_list (&seed, L_READ2);
    s_loc_unregister (&seed, L_REG, "0", "0");
    s_loc_resolve (&seed, L_READ, "0", "", 0);
    s_save (&seed, dir, "loc_server", "owner");

    //  Another key may neither register, heartbeat nor withdraw an owner
    //  that one holds; once it expired it may register it
    s_loc_register (&seed, L_REG, "1", 0, "1", 7101, 1);
    s_loc_register (&seed, L_REG2, "1", 0, "1", 7666, 1);
    s_loc_heartbeat (&seed, L_REG2, "1", 0);
    s_loc_unregister (&seed, L_REG2, "1", "");
    s_loc_resolve (&seed, L_READ, "1", "round-robin", 0);
    s_loc_register (&seed, TICK (31) | L_REG2, "1", 0, "1", 7666, 1);
    s_loc_heartbeat (&seed, L_REG, "1", 0);
    s_save (&seed, dir, "loc_server", "takeover");

    //  Keys outside register_keys may resolve but not register
    s_loc_register (&seed, L_READ, "2", 0, "2", 7201, 1);
    s_loc_register (&seed, L_DAO2, "2", 0, "2", 7202, 1);
    s_loc_register (&seed, L_DAO, "2", 0, "2", 7203, 1);
    s_loc_resolve (&seed, L_READ, "2", "weighted", 0);
    s_save (&seed, dir, "loc_server", "register-keys");

    //  A watcher sees names come and go
    s_loc_watch (&seed, L_READ, "0", 3000);
    s_loc_register (&seed, L_REG, "0", 0, "0", 7001, 1);
    s_loc_register (&seed, L_REG2, "2", 0, "0", 7002, 2);
    s_loc_unregister (&seed, L_REG, "0", "0");
    s_loc_watch (&seed, L_READ, "0", 3000);
    s_loc_heartbeat (&seed, TICK (4) | L_REG2, "2", 90);
    s_loc_watch (&seed, L_READ, "0", 0);
    s_save (&seed, dir, "loc_server", "watch");

    //  Owners and watches expire with the clock
    s_loc_register (&seed, L_REG, "3", 500, "2", 7301, 1);
    s_loc_watch (&seed, L_READ2, "2", 5000);
    s_loc_heartbeat (&seed, TICK (1) | L_REG, "3", 10);
    s_loc_heartbeat (&seed, TICK (4) | L_REG, "3", 10);
    s_loc_register (&seed, L_REG, "3", 4000, "2", 7302, 1);
    s_loc_resolve (&seed, TICK (12) | L_READ, "2", "", 0);
    s_loc_heartbeat (&seed, TICK (31) | L_REG, "3", 10);
    s_save (&seed, dir, "loc_server", "expiry");

    //  The limits: registrations per owner, owners
    s_loc_register (&seed, L_DAO, "0", 0, "0", 7001, 3);
    s_loc_register (&seed, L_DAO, "0", 0, "1", 7004, 1);
    s_loc_register (&seed, L_REG, "1", 0, "1", 7101, 1);
    s_loc_register (&seed, L_REG2, "2", 0, "2", 7201, 1);
    s_loc_register (&seed, 3, "3", 0, "2", 7301, 1);
    s_loc_register (&seed, 3, "another-owner", 0, "2", 7401, 1);
    s_loc_list (&seed, L_READ);
    s_save (&seed, dir, "loc_server", "limits");

    //  The watch limit
    s_loc_watch (&seed, L_READ, "0", 5000);
    s_loc_watch (&seed, L_READ, "1", 5000);
    s_loc_watch (&seed, L_READ, "2", 5000);
    s_loc_watch (&seed, L_READ2, "0", 5000);
    s_loc_watch (&seed, L_READ2, "1", 5000);
    s_loc_watch (&seed, L_READ2, "2", 5000);
    s_loc_watch (&seed, 7, "0", 5000);
    s_loc_register (&seed, L_REG, "1", 0, "1", 7101, 1);
    s_save (&seed, dir, "loc_server", "watch-limit");

    //  Bad names and policies, requests of other sockets, bytes that are
    //  no envelope or of another version
    s_loc_resolve (&seed, L_READ, "Bad_Name", "", 0);
    s_loc_resolve (&seed, L_READ, "0", "fastest", 0);
    s_loc_watch (&seed, L_READ, "-x", 1000);
    s_loc_register (&seed, L_REG, "0", 0, "no good", 7001, 1);
    s_loc_heartbeat (&seed, L_REG, "", 0);
    s_simple (&seed, L_READ, FOGRID__ENVELOPE__BODY_HEALTH);
    s_raw (&seed, L_READ, "\x08\x02\x10\x07\xba\x01\x00", 7);
    s_raw (&seed, L_READ2, "garbage", 7);
    s_save (&seed, dir, "loc_server", "refused");

    //  The hub registry: the DAO registers, suspects and clears a hub;
    //  another key, an unsigned change, the log
    s_registry_set (&seed, L_READ, "0", "registered", "1", 100, "", 1000, "0");
    s_registry_set (&seed, L_READ, "0", "suspected", "", -1, "late", 2000, "4");
    s_registry_set (&seed, L_DAO, "0", "registered", "", -1, "", 1500, "0");
    s_registry_set (&seed, L_DAO, "1", "registered", "2", 5, "", 1000, "1");
    s_registry_set (&seed, L_DAO, "1", "registered", "2", 5, "", 1000, "");
    s_registry_list (&seed, L_READ2, "", "");
    s_registry_sync (&seed, L_READ2, "x", 0, 10);
    s_save (&seed, dir, "loc_server", "registry");

    //  A key names one hub; a blacklisting needs a reason; the clock
    s_registry_set (&seed, L_DAO2, "0", "registered", "1", 0, "", 3000, "4");
    s_registry_set (&seed, L_DAO2, "1", "registered", "1", 0, "", 3000, "4");
    s_registry_set (&seed, L_DAO2, "1", "blacklisted", "", 0, "", 4000, "4");
    s_registry_set (&seed, L_DAO2, "2", "registered", "3", 0, "", 1000000, "0");
    s_registry_list (&seed, L_READ2, "", "1");
    s_registry_sync (&seed, L_READ2, "", 0, 0);
    s_save (&seed, dir, "loc_server", "registry-keys");
}

int
main (int argc, char *argv [])
{
    if (argc != 2) {
        fprintf (stderr, "usage: make_corpus DIR\n");
        return 1;
    }
    s_hub_seeds (argv [1]);
    s_miner_seeds (argv [1]);
    s_loc_seeds (argv [1]);
    return 0;
}
