/*  =========================================================================
    hub_config - the hub's settings: the table, the -t checks, and the
    typed values the rooms read

    DESIGN
    The table (hub_config_defs) is what main() and the tests build an
    fg_config from, with defaults and bounds; hub_config_check checks what
    the table's types cannot (endpoint syntax, the order of the liveness
    timeouts, a usable data directory), for -t and for every start. A
    running hub reads each setting once, into a hub_config_t, so that no
    request looks a name up: the rooms keep a const pointer to it.
    =========================================================================  */
#include "fogrid.h"
#include "hub_ledger.h"
#include "hub_config.h"

const fg_cfg_def_t hub_config_defs [] = {
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
    { "hub/challenge_s", FG_CFG_INT, "0", 0, 31536000,
      "how long a result may be challenged (fogrid challenge) before its miner is paid, "
      "for tasks that ask for 0; 0 = paid at once, no challenge (try-out grids)" },
    { "hub/replicas", FG_CFG_INT, "1", 1, 16,
      "miners of distinct owners each task runs on, for tasks that ask for 0" },
    { "hub/quorum", FG_CFG_INT, "0", 0, 16,
      "agreeing results that make a replicated task's result, for tasks that ask for 0; "
      "0 = a majority of its replicas" },
    { "hub/replica_label", FG_CFG_STR, "", 0, 0,
      "a miner label (e.g. region) whose values must differ too among a task's replicas "
      "and checks; empty = distinct keys are enough" },
    { "hub/challenge_deposit", FG_CFG_INT, "100", 0, 1000000000000000000LL,
      "what a challenger puts down: pays the verification when the challenge is wrong" },
    { "hub/slash_percent", FG_CFG_INT, "50", 0, 100,
      "share of a wrong miner's stake a verdict takes: it pays the verification, the rest "
      "rewards the challenger" },
    { "hub/min_stake", FG_CFG_INT, "0", 0, 1000000000000000000LL,
      "least stake (fogrid stake deposit) a miner must hold to get tasks priced above "
      "hub/min_stake_price; 0 = none" },
    { "hub/min_stake_price", FG_CFG_INT, "0", 0, 1000000000000000000LL,
      "tasks asking more than this need a staked miner (hub/min_stake)" },
    { "hub/spot_check_permille", FG_CFG_INT, "50", 0, 1000,
      "per mille of results of miners with little history checked silently on another "
      "miner (fewer for a long clean record); a mismatch goes to the court" },
    { "hub/durability", FG_CFG_STR, "normal", 0, 0,
      "normal = a commit survives a crash of the hub (kill -9), a power loss may undo the "
      "last ones (WAL, synchronous=NORMAL); full = every commit is on the disk before the "
      "hub answers (synchronous=FULL: an fsync per burst)" },
    { "hub/assign_credit", FG_CFG_INT, "0", 0, 64,
      "tasks a miner may hold beyond its free cores, waiting for one of its slots, so it "
      "never idles for a round trip (only miners that say they queue them); 0 = none: a "
      "task given ahead to a busy miner is out of the fair order and the funds check "
      "of later rounds, so this is for grids of short tasks" },
    { "locator/endpoints", FG_CFG_STR, "tcp://127.0.0.1:7700", 0, 0,
      "locators to register with (comma-separated); empty = do not register" },
    { "locator/ttl_ms", FG_CFG_INT, "5000", 100, 3600000,
      "lifetime of the hub's registrations between refreshes" },
    FG_SECURITY_DEFS,
    { NULL, FG_CFG_STR, NULL, 0, 0, NULL }
};

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
hub_config_check (fg_config_t *config, char *err, size_t err_size)
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
    const char *durability = fg_config_str (config, "hub/durability");
    if (!streq (durability, "normal") && !streq (durability, "full")) {
        snprintf (err, err_size, "hub/durability: '%s' is not normal or full", durability);
        return -1;
    }
    return s_check_dir (fg_config_str (config, "hub/data_dir"), err, err_size);
}


hub_config_t *
hub_config_new (fg_config_t *config)
{
    hub_config_t *self = (hub_config_t *) zmalloc (sizeof (hub_config_t));
    self->id = fg_config_str (config, "hub/id");
    self->buyer_endpoint = fg_config_str (config, "hub/buyer_endpoint");
    self->miner_endpoint = fg_config_str (config, "hub/miner_endpoint");
    self->advertise_host = fg_config_str (config, "hub/advertise_host");
    self->data_dir = fg_config_str (config, "hub/data_dir");
    self->http = fg_config_str (config, "hub/http");
    self->locator_http = fg_config_str (config, "hub/locator_http");
    self->buyer_keys = fg_config_str (config, "hub/buyer_keys");
    self->miner_keys = fg_config_str (config, "hub/miner_keys");
    self->punish_account = fg_config_str (config, "hub/punish_account");
    self->ledger_key = fg_config_str (config, "hub/ledger_key");
    self->locators = fg_config_str (config, "locator/endpoints");
    self->heartbeat_ms = fg_config_int (config, "hub/heartbeat_ms");
    self->disconnect_ms = fg_config_int (config, "hub/disconnect_ms");
    self->dead_ms = fg_config_int (config, "hub/dead_ms");
    self->grace_ms = fg_config_int (config, "hub/grace_ms");
    self->buyer_rate = fg_config_int (config, "hub/buyer_rate");
    self->miner_rate = fg_config_int (config, "hub/miner_rate");
    self->tasks_per_buyer = fg_config_int (config, "hub/tasks_per_buyer");
    self->queue_max = fg_config_int (config, "hub/queue_max");
    self->default_retries = fg_config_int (config, "hub/default_retries");
    self->default_timeout_s = fg_config_int (config, "hub/default_timeout_s");
    self->max_message = fg_config_int (config, "hub/max_message");
    self->max_inputs = fg_config_int (config, "hub/max_inputs");
    self->log_ring = fg_config_int (config, "hub/log_ring");
    self->fee_percent = fg_config_int (config, "hub/fee_percent");
    self->settle_ms = fg_config_int (config, "hub/settle_s") * 1000;
    self->wallet_stake = fg_config_int (config, "hub/wallet_stake");
    self->pay_period_ms = fg_config_int (config, "hub/pay_period_s") * 1000;
    self->locator_ttl_ms = fg_config_int (config, "locator/ttl_ms");
    self->durable_full = streq (fg_config_str (config, "hub/durability"), "full");
    self->assign_credit = fg_config_int (config, "hub/assign_credit");
    self->require_funds = fg_config_bool (config, "hub/require_funds");
    self->open_deposits = fg_config_bool (config, "hub/open_deposits");
    self->wallet_self_register = fg_config_bool (config, "hub/wallet_self_register");
    self->challenge_ms = fg_config_int (config, "hub/challenge_s") * 1000;
    self->replicas = fg_config_int (config, "hub/replicas");
    self->quorum = fg_config_int (config, "hub/quorum");
    self->replica_label = fg_config_str (config, "hub/replica_label");
    self->challenge_deposit = fg_config_int (config, "hub/challenge_deposit");
    self->slash_percent = fg_config_int (config, "hub/slash_percent");
    self->min_stake = fg_config_int (config, "hub/min_stake");
    self->min_stake_price = fg_config_int (config, "hub/min_stake_price");
    self->spot_check_permille = fg_config_int (config, "hub/spot_check_permille");
    self->admin_keys = fg_split_list (fg_config_str (config, "hub/admin_keys"));
    self->owner_keys = fg_split_list (fg_config_str (config, "hub/owner_keys"));
    return self;
}

void
hub_config_destroy (hub_config_t **self_p)
{
    if (*self_p) {
        hub_config_t *self = *self_p;
        zlist_destroy (&self->admin_keys);
        zlist_destroy (&self->owner_keys);
        free (self);
        *self_p = NULL;
    }
}

static bool
s_key_listed (zlist_t *keys, const char *key)
{
    for (char *listed = (char *) zlist_first (keys); listed;
         listed = (char *) zlist_next (keys))
        if (streq (listed, "*") || (*key && streq (listed, key)))
            return true;
    return false;
}

bool
hub_config_admin (const hub_config_t *self, const char *key)
{
    return s_key_listed (self->admin_keys, key);
}

bool
hub_config_owner (const hub_config_t *self, const char *key)
{
    if (zlist_size (self->owner_keys) == 0)
        return hub_config_admin (self, key);
    return s_key_listed (self->owner_keys, key);
}
