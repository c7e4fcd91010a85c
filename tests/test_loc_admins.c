/*  =========================================================================
    test_loc_admins - the DAO's keys and the checks a registry record passes

    Each field a record may get wrong is refused, counted as invalid; an
    unsigned record passes only where admin_keys is `*`; a signature that
    does not hold is refused and counted as a signature; a good signature
    by a key not in admin_keys is refused and counted as not the DAO's.
    (The registry that asks here, loc_hubs, is in test_registry.)
    =========================================================================  */
#include "test_support.h"
#include "loc_admins.h"
#include "fg_hub_record.h"
#include "fg_signkey.h"
#include <sodium.h>

static fg_signkey_t *
s_sign_key (void)
{
    byte seed [32];
    randombytes_buf (seed, sizeof seed);
    return fg_signkey_new_from_seed (seed);
}

//  A good change of h-1, unsigned
static void
s_record (Fogrid__RegistrySet *record)
{
    fogrid__registry_set__init (record);
    record->hub_id = "h-1";
    record->status = "suspected";
    record->hub_key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
    record->ledger_key = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    record->reason = "late results";
    record->stake = 70;
    record->at_ms = 1700000000000ULL;
}

static void
test_fields (void)
{
    loc_admins_t *admins = loc_admins_new ("*");
    Fogrid__RegistrySet record;
    char why [300], reason [LOC_ADMINS_MAX_REASON + 2];
    s_record (&record);
    CU_ASSERT_EQUAL (loc_admins_check (admins, &record, why, sizeof why), FG_OK);

    //  Each bad field, one at a time: refused, saying which
    struct { const char *field; const char *value; const char *says; } cases [] = {
        { "hub_id", "", "not a hub id" },
        { "hub_id", "a hub", "not a hub id" },
        { "status", "gone", "not a status" },
        { "hub_key", "short", "CurveZMQ public key" },
        { "ledger_key", "d75a98", "64 hex digits" },
        { "reason", "", "a reason is required" },
        { "reason", "tab\there", "printable" },
        { "signer", "not a key", "not a signing key" },
    };
    size_t count = sizeof cases / sizeof cases [0];
    for (size_t index = 0; index < count; index++) {
        s_record (&record);
        char **slot = streq (cases [index].field, "hub_id")? &record.hub_id
                    : streq (cases [index].field, "status")? &record.status
                    : streq (cases [index].field, "hub_key")? &record.hub_key
                    : streq (cases [index].field, "ledger_key")? &record.ledger_key
                    : streq (cases [index].field, "reason")? &record.reason: &record.signer;
        *slot = (char *) cases [index].value;
        why [0] = 0;
        CU_ASSERT_EQUAL (loc_admins_check (admins, &record, why, sizeof why), FG_E_INVALID);
        CU_ASSERT_PTR_NOT_NULL (strstr (why, cases [index].says));
    }
    s_record (&record);
    record.stake = -2;
    CU_ASSERT_EQUAL (loc_admins_check (admins, &record, why, sizeof why), FG_E_INVALID);
    record.stake = -1;              //  keeps the recorded one
    CU_ASSERT_EQUAL (loc_admins_check (admins, &record, why, sizeof why), FG_OK);
    record.at_ms = 0;
    CU_ASSERT_EQUAL (loc_admins_check (admins, &record, why, sizeof why), FG_E_INVALID);
    CU_ASSERT_PTR_NOT_NULL (strstr (why, "no time"));
    s_record (&record);
    memset (reason, 'r', sizeof reason - 1);
    reason [sizeof reason - 1] = 0;
    record.reason = reason;
    CU_ASSERT_EQUAL (loc_admins_check (admins, &record, why, sizeof why), FG_E_INVALID);
    reason [LOC_ADMINS_MAX_REASON] = 0;
    CU_ASSERT_EQUAL (loc_admins_check (admins, &record, why, sizeof why), FG_OK);
    //  "registered" needs no reason
    s_record (&record);
    record.status = "registered";
    record.reason = "";
    CU_ASSERT_EQUAL (loc_admins_check (admins, &record, why, sizeof why), FG_OK);

    CU_ASSERT_EQUAL (loc_admins_stats (admins)->invalid, count + 3);
    CU_ASSERT_EQUAL (loc_admins_stats (admins)->signature, 0);
    CU_ASSERT_EQUAL (loc_admins_stats (admins)->admin, 0);
    CU_ASSERT_TRUE (loc_admins_status_valid ("blacklisted"));
    CU_ASSERT_FALSE (loc_admins_status_valid ("Registered"));
    CU_ASSERT_FALSE (loc_admins_status_valid (NULL));
    loc_admins_destroy (&admins);
    CU_ASSERT_PTR_NULL (admins);
    loc_admins_destroy (&admins);
}

static void
test_signers (void)
{
    fg_signkey_t *dao = s_sign_key (), *other = s_sign_key ();
    loc_admins_t *admins = loc_admins_new (fg_signkey_public_txt (dao));
    CU_ASSERT_TRUE (loc_admins_has (admins, fg_signkey_public_txt (dao)));
    CU_ASSERT_FALSE (loc_admins_has (admins, fg_signkey_public_txt (other)));
    CU_ASSERT_FALSE (loc_admins_has (admins, ""));
    Fogrid__RegistrySet record;
    fg_hub_seal_t seal;
    char why [300];

    //  Unsigned: only where anyone may
    s_record (&record);
    CU_ASSERT_EQUAL (loc_admins_check (admins, &record, why, sizeof why), FG_E_DENIED);
    CU_ASSERT_PTR_NOT_NULL (strstr (why, "not signed"));
    //  The DAO's signature; then a byte changed after it signed
    fg_hub_record_sign (&record, dao, &seal);
    CU_ASSERT_EQUAL (loc_admins_check (admins, &record, why, sizeof why), FG_OK);
    record.stake = 71;
    CU_ASSERT_EQUAL (loc_admins_check (admins, &record, why, sizeof why), FG_E_DENIED);
    CU_ASSERT_PTR_NOT_NULL (strstr (why, "signature does not hold"));
    //  A good signature by a key that is not the DAO's
    fg_hub_record_sign (&record, other, &seal);
    CU_ASSERT_EQUAL (loc_admins_check (admins, &record, why, sizeof why), FG_E_DENIED);
    CU_ASSERT_PTR_NOT_NULL (strstr (why, "not in the locator's locator/admin_keys"));
    CU_ASSERT_EQUAL (loc_admins_stats (admins)->signature, 2);
    CU_ASSERT_EQUAL (loc_admins_stats (admins)->admin, 1);
    CU_ASSERT_EQUAL (loc_admins_stats (admins)->invalid, 0);
    loc_admins_destroy (&admins);

    //  Nobody: every record refused, signed or not
    admins = loc_admins_new ("");
    fg_hub_record_sign (&record, dao, &seal);
    CU_ASSERT_EQUAL (loc_admins_check (admins, &record, why, sizeof why), FG_E_DENIED);
    s_record (&record);
    CU_ASSERT_EQUAL (loc_admins_check (admins, &record, why, sizeof why), FG_E_DENIED);
    loc_admins_destroy (&admins);
    fg_signkey_destroy (&dao);
    fg_signkey_destroy (&other);
}

void
test_loc_admins_add (void)
{
    ts_add_suite ("loc_admins",
        "each bad field refused, saying which, and counted", test_fields,
        "unsigned, a broken signature, a key not the DAO's", test_signers,
        NULL);
}
