/*  =========================================================================
    loc_admins - the DAO's keys, and the checks a hub registry record passes

    The DAO is who holds a key in locator/admin_keys (fg_signers.h). A
    change of the hub registry (loc_hubs.h) is a record the DAO signed
    (fg_hub_record.h); before a record is taken, from a client or from a
    peer locator's log, it passes here: its fields, its signature, its
    signer. What is refused is counted here, by why.

        loc_admins_t *admins = loc_admins_new ("/etc/fogrid/admin");
        if (loc_admins_check (admins, record, why, sizeof why) == FG_OK)
            ...take it...
        loc_admins_destroy (&admins);
    =========================================================================  */
#ifndef LOC_ADMINS_H_INCLUDED
#define LOC_ADMINS_H_INCLUDED

typedef struct _loc_admins_t loc_admins_t;

//  The refusals loc_admins_check counted.
typedef struct {
    uint64_t invalid;           //  a bad field
    uint64_t signature;         //  unsigned where signatures are needed, or a bad signature
    uint64_t admin;             //  signed by a key not in locator/admin_keys
} loc_admins_stats_t;

//  Checks locator/admin_keys. Returns 0, or -1 with the reason in err.
int loc_admins_check_config (fg_config_t *config, char *err, size_t err_size);

//  The keys of admin_keys (as locator/admin_keys: files, a directory,
//  keys comma-separated, `*`, or empty for nobody). Warns when it lists
//  CurveZMQ keys only.
loc_admins_t *loc_admins_new (const char *admin_keys);
void loc_admins_destroy (loc_admins_t **self_p);

//  True when key (Z85 or hex, "" for an unsigned change) is one of the
//  DAO's.
bool loc_admins_has (loc_admins_t *self, const char *key);

//  The checks every record passes, wherever it came from: its fields
//  (a hub id, a status, keys, stake, a reason where the status needs
//  one, a time, a signer), then that it is signed (unsigned only with
//  `*`), that the signature holds, that the signer is an admin key.
//  Counts the refusals. Returns FG_OK, FG_E_INVALID or FG_E_DENIED with
//  why.
fg_error_t loc_admins_check (loc_admins_t *self, const Fogrid__RegistrySet *record,
                             char *why, size_t why_size);

//  The counters.
const loc_admins_stats_t *loc_admins_stats (loc_admins_t *self);

//  True for "registered", "suspected", "blacklisted".
bool loc_admins_status_valid (const char *status);

//  The longest reason a record may carry.
#define LOC_ADMINS_MAX_REASON   200

#endif
