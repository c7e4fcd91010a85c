/*  =========================================================================
    loc_admins - the DAO's keys, and the checks a hub registry record passes

    DESIGN
    Owns the signers of locator/admin_keys and nothing on disk: the
    registry (loc_hubs.c) asks here before it takes a record, whether a
    client made the change or a peer locator passed it on, so that every
    locator with the same keys takes the same records. A peer locator is
    a courier, never an authority: it cannot make a record pass here.

        check                                   on failure
        -----                                   ----------
        hub id, status, keys, stake, reason     refused: invalid
        the signature is its signer's           refused: signature
        (unsigned: only with admin_keys *)
        the signer is in locator/admin_keys     refused: not_admin
    =========================================================================  */
#include "fogrid.h"
#include "fg_hub_record.h"
#include "fg_signers.h"
#include "loc_admins.h"
#include <ctype.h>

struct _loc_admins_t {
    fg_signers_t *signers;      //  locator/admin_keys
    loc_admins_stats_t stats;   //  the refusals counted
};

//  A 40-character Z85 CurveZMQ public key.
static bool
s_z85_valid (const char *key)
{
    uint8_t bytes [32];
    return key && strlen (key) == 40 && zmq_z85_decode (bytes, key) != NULL;
}

static bool
s_hex_valid (const char *text, size_t digits)
{
    if (strlen (text) != digits)
        return false;
    for (size_t index = 0; index < digits; index++)
        if (!isxdigit ((unsigned char) text [index]))
            return false;
    return true;
}

static bool
s_hub_id_valid (const char *id)
{
    return id && *id && fg_text_valid (id, 63) && !strchr (id, ' ');
}

bool
loc_admins_status_valid (const char *status)
{
    return status && (streq (status, "registered") || streq (status, "suspected")
                   || streq (status, "blacklisted"));
}

int
loc_admins_check_config (fg_config_t *config, char *err, size_t err_size)
{
    char why [300];
    if (fg_signers_check (fg_config_str (config, "locator/admin_keys"), why, sizeof why) == 0)
        return 0;
    snprintf (err, err_size, "locator/admin_keys: %s", why);
    return -1;
}

loc_admins_t *
loc_admins_new (const char *admin_keys)
{
    loc_admins_t *self = (loc_admins_t *) zmalloc (sizeof (loc_admins_t));
    self->signers = fg_signers_new (admin_keys);
    if (fg_signers_curve_keys (self->signers) && !fg_signers_sign_keys (self->signers))
        zsys_warning ("locator: locator/admin_keys lists CurveZMQ keys only: they check records "
                      "signed before signing keys existed, and no new change is taken; add the "
                      "DAO's signing keys (the NAME.sign files fogrid keygen makes)");
    return self;
}

void
loc_admins_destroy (loc_admins_t **self_p)
{
    if (*self_p) {
        loc_admins_t *self = *self_p;
        fg_signers_destroy (&self->signers);
        free (self);
        *self_p = NULL;
    }
}

bool
loc_admins_has (loc_admins_t *self, const char *key)
{
    return fg_signers_has (self->signers, key);
}

const loc_admins_stats_t *
loc_admins_stats (loc_admins_t *self)
{
    return &self->stats;
}

//  Checks a record's fields. Returns FG_OK or FG_E_INVALID with why.
static fg_error_t
s_check_fields (const Fogrid__RegistrySet *set, char *why, size_t why_size)
{
    if (!s_hub_id_valid (set->hub_id))
        snprintf (why, why_size, "'%.64s' is not a hub id (1..63 printable characters, no "
                  "spaces)", set->hub_id? set->hub_id: "");
    else
    if (!loc_admins_status_valid (set->status))
        snprintf (why, why_size, "'%.32s' is not a status (registered, suspected, blacklisted)",
                  set->status? set->status: "");
    else
    if (*set->hub_key && !s_z85_valid (set->hub_key))
        snprintf (why, why_size, "the hub key must be a CurveZMQ public key (40 Z85 characters)");
    else
    if (*set->ledger_key && !s_hex_valid (set->ledger_key, 64))
        snprintf (why, why_size, "the ledger key must be 64 hex digits (as fogrid admin wallet "
                  "shows it)");
    else
    if (set->stake < -1)
        snprintf (why, why_size, "the stake must be 0 or more (-1 keeps the recorded one)");
    else
    if (!fg_text_valid (set->reason, LOC_ADMINS_MAX_REASON))
        snprintf (why, why_size, "the reason must be at most %d printable characters",
                  LOC_ADMINS_MAX_REASON);
    else
    if (!*set->reason && !streq (set->status, "registered"))
        snprintf (why, why_size, "a reason is required to mark a hub %s", set->status);
    else
    if (set->at_ms == 0 || set->at_ms > (uint64_t) INT64_MAX)
        snprintf (why, why_size, "the change carries no time (at_ms)");
    else
    if (*set->signer && !fg_signkey_valid (set->signer) && !s_z85_valid (set->signer))
        snprintf (why, why_size, "the signer is not a signing key (64 lowercase hex digits)");
    else
        return FG_OK;
    return FG_E_INVALID;
}

fg_error_t
loc_admins_check (loc_admins_t *self, const Fogrid__RegistrySet *record, char *why,
                  size_t why_size)
{
    fg_error_t rc = s_check_fields (record, why, why_size);
    if (rc) {
        self->stats.invalid++;
        return rc;
    }
    if (!fg_hub_record_signed (record)) {
        if (loc_admins_has (self, ""))
            return FG_OK;           //  admin_keys `*`: anyone, unsigned too
        snprintf (why, why_size, "only the DAO may change the hub registry, with a signed change "
                  "(this one is not signed: is security/insecure set, or is the command line "
                  "older than the locator?)");
        self->stats.signature++;
        return FG_E_DENIED;
    }
    char text [200];
    if (fg_hub_record_verify (record, text, sizeof text)) {
        snprintf (why, why_size, "the change's signature does not hold: %s", text);
        self->stats.signature++;
        return FG_E_DENIED;
    }
    if (!loc_admins_has (self, record->signer)) {
        snprintf (why, why_size, "only the DAO may change the hub registry: key %.12s... is not "
                  "in the locator's locator/admin_keys", record->signer);
        self->stats.admin++;
        return FG_E_DENIED;
    }
    return FG_OK;
}
