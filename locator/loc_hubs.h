/*  =========================================================================
    loc_hubs - the hub registry (whitelist, hub pool list) the locator keeps

    Which hubs the DAO knows: each hub's id, its CurveZMQ public key, its
    wallet's ledger key (Ed25519, hex), its status, the frozen stake the
    DAO saw, when and why it last changed. Anyone may read it (miners
    check a hub there before they work for it: miner/miner_trust.h); only
    the DAO's signing keys (locator/admin_keys) may change it. Unlike the services
    (loc_registry, soft state), it is kept on disk: DATA_DIR/registry.db.

        status \ asked   registered   suspected    blacklisted
        (new)            registered   suspected    blacklisted
        registered       -            suspected    blacklisted
        suspected        registered   -            blacklisted
        blacklisted      registered   suspected    -

    Every change is a record the DAO signed (fg_hub_record.h), kept in
    the locator's log and shared with its peer locators (loc_peers.h),
    which check the signature themselves: what one locator takes, every
    locator with the same admin keys takes, and the same state follows
    whatever order the records arrive in (the rules: loc_hubs.c).
    Suspected and blacklisted need a reason; each change of a hub is a
    row of hub_events too, and a notice in the log. A CurveZMQ key names
    one hub only.
    =========================================================================  */
#ifndef LOC_HUBS_H_INCLUDED
#define LOC_HUBS_H_INCLUDED

typedef struct _loc_hubs_t loc_hubs_t;

#define LOC_HUBS_DEFS \
    { "locator/admin_keys", FG_CFG_STR, "", 0, 0, \
      "the DAO's signing keys, whose signed changes of the hub registry this locator takes " \
      "(fogrid admin registry): a directory of public key files, or keys comma-separated, " \
      "each the NAME.sign file fogrid keygen makes or the 64 hex digits in it; CurveZMQ " \
      "keys (Z85, or NAME.key files) still check records signed before signing keys " \
      "existed; * = anyone, unsigned too (plain-text locators); empty = nobody: the " \
      "registry is read-only" }

//  What the registry counts, for /metrics.
typedef struct {
    uint64_t taken_client;      //  new records from the command line
    uint64_t taken_peer;        //  new records from peer locators
    uint64_t duplicates;        //  records already held (applied once)
    uint64_t refused_signature; //  unsigned where signatures are needed, or a bad signature
    uint64_t refused_admin;     //  signed by a key not in locator/admin_keys
    uint64_t refused_invalid;   //  a bad field, a clock too far ahead, a key another hub holds
} loc_hubs_stats_t;

//  Checks locator/admin_keys. Returns 0, or -1 with the reason in err.
int loc_hubs_check_config (fg_config_t *config, char *err, size_t err_size);

//  Opens the registry in data_dir/registry.db. With no admin keys and no
//  database yet, nothing is made on disk: the registry is empty and
//  nobody may change it. NULL with the reason in err on failure.
loc_hubs_t *loc_hubs_new (const char *data_dir, const char *admin_keys, char *err, size_t err_size);
void loc_hubs_destroy (loc_hubs_t **self_p);

//  True when key (Z85, "" for an unsigned change) is one of the DAO's.
bool loc_hubs_is_admin (loc_hubs_t *self, const char *key);

//  Takes a change from a client (whose CurveZMQ key is key, "" on a
//  plain-text socket): it must be signed by an admin key (unsigned only
//  with `*`), its clock not ahead of ours by more than a few minutes, and
//  the hub key it names no other hub's. Returns FG_OK (also for a record
//  already held), or FG_E_DENIED (unsigned, bad signature, not an admin
//  key), FG_E_INVALID (a bad field, a missing reason, a hub key another
//  hub holds, the clock), FG_E_INTERNAL, with why.
fg_error_t loc_hubs_set (loc_hubs_t *self, const char *key, const Fogrid__RegistrySet *set,
                         int64_t now_ms, char *why, size_t why_size);

//  Takes a record a peer locator (named by source, for the log) passed
//  on: the same signature and field checks, no clock or key checks (the
//  locator that took it first made those; the state must not depend on
//  which locator hears of a record first). *fresh is true when it was
//  new here. Returns as loc_hubs_set; only FG_E_INTERNAL is worth trying
//  again.
fg_error_t loc_hubs_apply (loc_hubs_t *self, const Fogrid__RegistrySet *record,
                           const char *source, bool *fresh, char *why, size_t why_size);

//  The hubs matching hub_id and hub_key ("" or NULL = any), by id, as a
//  reply (free with loc_hubs_reply_destroy). NULL on a storage failure.
Fogrid__RegistryReply *loc_hubs_list (loc_hubs_t *self, const char *hub_id, const char *hub_key);
void loc_hubs_reply_destroy (Fogrid__RegistryReply **reply_p);

//  Number of hubs in the registry; number of records in the log.
size_t loc_hubs_size (loc_hubs_t *self);
size_t loc_hubs_records (loc_hubs_t *self);

//  The log's id (random, made with the database; "" while there is no
//  database): peers keep their cursor in it.
const char *loc_hubs_log_id (loc_hubs_t *self);

//  The records of the log after seq `after`, at most max, as a reply
//  (free with loc_hubs_records_destroy). A log_id other than ours means
//  the asker's cursor is in another log: it gets ours from the start.
//  NULL on a storage failure.
Fogrid__RegistryRecords *loc_hubs_log_read (loc_hubs_t *self, const char *log_id, uint64_t after,
                                            uint32_t max);
void loc_hubs_records_destroy (Fogrid__RegistryRecords **records_p);

//  Where this locator is in a peer's log (peer: its endpoint as
//  configured): the log's id (33 bytes, "" when never pulled) and the
//  last seq taken. Kept across restarts. set returns 0 or -1.
void loc_hubs_cursor_get (loc_hubs_t *self, const char *peer, char *log_id, uint64_t *cursor);
int loc_hubs_cursor_set (loc_hubs_t *self, const char *peer, const char *log_id, uint64_t cursor);

//  The counters.
const loc_hubs_stats_t *loc_hubs_stats (loc_hubs_t *self);

//  True for "registered", "suspected", "blacklisted".
bool loc_hubs_status_valid (const char *status);

#endif
