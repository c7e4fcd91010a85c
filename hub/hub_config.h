/*  =========================================================================
    hub_config - the hub's settings: the table, the -t checks, and the
    typed values the rooms read

        fg_config_t *config = fg_config_new (hub_config_defs);
        ...load a file, set overrides...
        if (hub_config_check (config, err, sizeof err)) ...refuse to start...
        hub_config_t *settings = hub_config_new (config);
        ...settings->queue_max, hub_config_admin (settings, key)...
        hub_config_destroy (&settings);     //  before config: its strings are config's

    A hub_config_t is read once at start and never changed, so the rooms
    share it as const; its strings point into the fg_config it was read
    from, which must outlive it.
    =========================================================================  */
#ifndef HUB_CONFIG_H_INCLUDED
#define HUB_CONFIG_H_INCLUDED

typedef struct {
    const char *id;             //  hub/id, "" = the one kept in the store
    const char *buyer_endpoint; //  hub/buyer_endpoint
    const char *miner_endpoint; //  hub/miner_endpoint
    const char *advertise_host; //  hub/advertise_host
    const char *data_dir;       //  hub/data_dir
    const char *http;           //  hub/http, "" = no HTTP
    const char *locator_http;   //  hub/locator_http
    const char *buyer_keys;     //  hub/buyer_keys
    const char *miner_keys;     //  hub/miner_keys
    const char *punish_account; //  hub/punish_account
    const char *ledger_key;     //  hub/ledger_key, "" = DATA_DIR/keys/hub.sign
    const char *locators;       //  locator/endpoints, "" = do not register
    int64_t heartbeat_ms;       //  hub/heartbeat_ms
    int64_t disconnect_ms;      //  hub/disconnect_ms
    int64_t dead_ms;            //  hub/dead_ms
    int64_t grace_ms;           //  hub/grace_ms, 0 = closed connections ignored
    int64_t buyer_rate;         //  hub/buyer_rate, per second, 0 = no limit
    int64_t miner_rate;         //  hub/miner_rate
    int64_t tasks_per_buyer;    //  hub/tasks_per_buyer
    int64_t queue_max;          //  hub/queue_max
    int64_t default_retries;    //  hub/default_retries
    int64_t default_timeout_s;  //  hub/default_timeout_s
    int64_t max_message;        //  hub/max_message, bytes
    int64_t max_inputs;         //  hub/max_inputs, bytes of a task's inline inputs
    int64_t log_ring;           //  hub/log_ring, bytes of a running task's output kept
    int64_t fee_percent;        //  hub/fee_percent
    int64_t settle_ms;          //  hub/settle_s, in ms
    int64_t wallet_stake;       //  hub/wallet_stake
    int64_t pay_period_ms;      //  hub/pay_period_s, in ms
    int64_t locator_ttl_ms;     //  locator/ttl_ms
    int64_t challenge_ms;       //  hub/challenge_s, in ms
    int64_t replicas;           //  hub/replicas
    int64_t quorum;             //  hub/quorum, 0 = a majority
    const char *replica_label;  //  hub/replica_label
    int64_t challenge_deposit;  //  hub/challenge_deposit
    int64_t slash_percent;      //  hub/slash_percent
    int64_t min_stake;          //  hub/min_stake
    int64_t min_stake_price;    //  hub/min_stake_price
    int64_t spot_check_permille;    //  hub/spot_check_permille
    bool durable_full;          //  hub/durability = full
    int64_t assign_credit;      //  hub/assign_credit
    bool require_funds;         //  hub/require_funds
    bool open_deposits;         //  hub/open_deposits
    bool wallet_self_register;  //  hub/wallet_self_register
    zlist_t *admin_keys;        //  hub/admin_keys, split ("*" = anyone)
    zlist_t *owner_keys;        //  hub/owner_keys, split (empty = admin_keys)
} hub_config_t;

//  Every setting the hub reads, with defaults: main() builds its config
//  from this table, and so do the tests.
extern const fg_cfg_def_t hub_config_defs [];

//  Checks what the table's types cannot: endpoint syntax, the order of the
//  liveness timeouts, a usable data directory. Returns 0, or -1 with the
//  reason in err.
int hub_config_check (fg_config_t *config, char *err, size_t err_size);

//  The settings of config, typed (config must outlive it).
hub_config_t *hub_config_new (fg_config_t *config);
void hub_config_destroy (hub_config_t **self_p);

//  True when key is one of the DAO's (hub/admin_keys; "*" lists anyone):
//  it may read any account and drive the wallet.
bool hub_config_admin (const hub_config_t *self, const char *key);

//  True when key may run payday and close the wallet (hub/owner_keys, or
//  the admin keys when none are set).
bool hub_config_owner (const hub_config_t *self, const char *key);

#endif
