/*  =========================================================================
    loc_hubs - the hub registry (whitelist, hub pool list) the locator keeps

    Which hubs the DAO knows: each hub's id, its CurveZMQ public key, its
    wallet's ledger key (Ed25519, hex), its status, the frozen stake the
    DAO saw, when and why it last changed. Anyone may read it (miners
    check a hub there before they work for it: miner/miner_trust.h); only
    the DAO's keys (locator/admin_keys) may change it. Unlike the services
    (loc_registry, soft state), it is kept on disk: DATA_DIR/registry.db.

        status \ asked   registered   suspected    blacklisted
        (new)            registered   suspected    blacklisted
        registered       -            suspected    blacklisted
        suspected        registered   -            blacklisted
        blacklisted      registered   suspected    -

    Every change is the DAO's: suspected and blacklisted need a reason;
    each is a row of hub_events with who asked, in one transaction with the
    hub's row, and a notice in the log. A CurveZMQ key names one hub only.
    =========================================================================  */
#ifndef LOC_HUBS_H_INCLUDED
#define LOC_HUBS_H_INCLUDED

typedef struct _loc_hubs_t loc_hubs_t;

#define LOC_HUBS_DEFS \
    { "locator/admin_keys", FG_CFG_STR, "", 0, 0, \
      "the DAO's public keys, which may change the hub registry (fogrid admin registry): " \
      "a directory of public key files, or Z85 keys comma-separated; * = anyone (plain-text " \
      "locators); empty = nobody: the registry is read-only" }

//  Checks locator/admin_keys. Returns 0, or -1 with the reason in err.
int loc_hubs_check_config (fg_config_t *config, char *err, size_t err_size);

//  Opens the registry in data_dir/registry.db. With no admin keys and no
//  database yet, nothing is made on disk: the registry is empty and
//  nobody may change it. NULL with the reason in err on failure.
loc_hubs_t *loc_hubs_new (const char *data_dir, const char *admin_keys, char *err, size_t err_size);
void loc_hubs_destroy (loc_hubs_t **self_p);

//  True when key (Z85, "" on a plain-text socket) is one of the DAO's.
bool loc_hubs_is_admin (loc_hubs_t *self, const char *key);

//  Applies the DAO's change of one hub, asked by key. Returns FG_OK, or
//  FG_E_DENIED (not an admin key), FG_E_INVALID (a bad field, a missing
//  reason, a hub key another hub holds), FG_E_INTERNAL, with why.
fg_error_t loc_hubs_set (loc_hubs_t *self, const char *key, const Fogrid__RegistrySet *set,
                         int64_t now_ms, char *why, size_t why_size);

//  The hubs matching hub_id and hub_key ("" or NULL = any), by id, as a
//  reply (free with loc_hubs_reply_destroy). NULL on a storage failure.
Fogrid__RegistryReply *loc_hubs_list (loc_hubs_t *self, const char *hub_id, const char *hub_key);
void loc_hubs_reply_destroy (Fogrid__RegistryReply **reply_p);

//  Number of hubs in the registry.
size_t loc_hubs_size (loc_hubs_t *self);

//  The locator's hook: answers a RegistryList or RegistrySet that came
//  from key on router. Returns true when env was one of those.
bool loc_hubs_handle (loc_hubs_t *self, zsock_t *router, zframe_t *peer, uint64_t seq,
                      const char *key, fg_env_t *env);

//  True for "registered", "suspected", "blacklisted".
bool loc_hubs_status_valid (const char *status);

#endif
