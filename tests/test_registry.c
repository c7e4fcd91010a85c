/*  =========================================================================
    test_registry - the hub registry (whitelist) the locators keep, and
    miners that check a hub before they work for it

    First the parts on their own: the registry table (loc_hubs: who may
    change it, what it accepts, that it survives a reopen), the signed
    wallet statement (fg_statement), the miner's checks and its rating of
    hubs from their receipts (miner_trust). Then real processes on
    loopback with security on, as in test_spine: a locator whose DAO key
    is made here, a hub, `fogrid registry` and `fogrid admin registry`,
    the registry kept across a restart of the locator; a miner with
    miner/require_registry that refuses the hub while it is not
    registered, works for it (and is paid, with receipts that rate the
    hub) once the DAO registers it, leaves it when the DAO suspects it,
    refuses it when the registry names another ledger key (the hub's
    statement then looks forged), and a miner whose miner/min_stake the
    hub's stake does not cover.
    =========================================================================  */
#include "test_support.h"
#include "loc_hubs.h"
#include "loc_server.h"
#include "fg_receipt.h"
#include "fg_statement.h"
#include "fg_hub_record.h"
#include "fg_signkey.h"
#include "fg_signers.h"
#include "miner_agent.h"
#include "miner_trust.h"
#include <sodium.h>
#include <sqlite3.h>
#include <ctype.h>
#include <sys/mount.h>
#include <sys/statvfs.h>

//  --------------------------------------------------------------------------
//  Signing keys, signed records, the keys a locator takes

//  A signing key of a random seed (fg_signkey_load makes files).
static fg_signkey_t *
s_sign_key (void)
{
    byte seed [32];
    randombytes_buf (seed, sizeof seed);
    return fg_signkey_new_from_seed (seed);
}

static void
test_sign_key (void)
{
    char *dir = ts_tmpdir_new ("registry-signkey");
    char path [600], curve [600], err [600], key [FG_SIGNKEY_HEX], signature [FG_SIGNKEY_SIG_HEX];
    //  Beside the CurveZMQ key file: NAME.key -> NAME.sign
    snprintf (curve, sizeof curve, "%s/keys/dao.key", dir);
    fg_signkey_path (curve, path, sizeof path);
    CU_ASSERT_PTR_NOT_NULL (strstr (path, "/keys/dao.sign"));
    CU_ASSERT_EQUAL (strlen (strstr (path, "/keys/dao.sign")), strlen ("/keys/dao.sign"));
    fg_signkey_path ("keys/dao", key, sizeof key);
    CU_ASSERT_STRING_EQUAL (key, "keys/dao.sign");

    //  Not made unless asked; made with the secret private; loaded again the same
    CU_ASSERT_PTR_NULL (fg_signkey_load (path, false, err, sizeof err));
    CU_ASSERT_PTR_NOT_NULL (strstr (err, "fogrid keygen"));
    fg_signkey_t *made = fg_signkey_load (path, true, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (made);
    CU_ASSERT_TRUE (fg_signkey_valid (fg_signkey_public_txt (made)));
    CU_ASSERT_EQUAL (ts_run (NULL, "test \"$(stat -c %%a %s_secret)\" = 600 && "
                             "test \"$(stat -c %%a %s)\" = 644", path, path), 0);
    fg_signkey_t *loaded = fg_signkey_load (path, false, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (loaded);
    CU_ASSERT_STRING_EQUAL (fg_signkey_public_txt (loaded), fg_signkey_public_txt (made));
    CU_ASSERT_EQUAL (fg_signkey_read_public (path, key), 0);
    CU_ASSERT_STRING_EQUAL (key, fg_signkey_public_txt (made));

    //  Signatures: its own hold; another key's, another text, a changed
    //  byte, malformed hex do not
    const char *text = "fogrid-registry/1\nsomething signed\n";
    fg_signkey_sign (made, text, strlen (text), signature);
    CU_ASSERT_EQUAL (strlen (signature), 128);
    CU_ASSERT_EQUAL (fg_signkey_verify (fg_signkey_public_txt (made), text, strlen (text),
                                        signature), 0);
    fg_signkey_t *other = s_sign_key ();
    CU_ASSERT_EQUAL (fg_signkey_verify (fg_signkey_public_txt (other), text, strlen (text),
                                        signature), -1);
    CU_ASSERT_EQUAL (fg_signkey_verify (fg_signkey_public_txt (made), text, strlen (text) - 1,
                                        signature), -1);
    signature [10] = signature [10] == '0'? '1': '0';
    CU_ASSERT_EQUAL (fg_signkey_verify (fg_signkey_public_txt (made), text, strlen (text),
                                        signature), -1);
    CU_ASSERT_EQUAL (fg_signkey_verify (fg_signkey_public_txt (made), text, strlen (text),
                                        "00"), -1);

    //  Public keys as text: either case in, lowercase out; a CurveZMQ key is none
    char upper [FG_SIGNKEY_HEX];
    snprintf (upper, sizeof upper, "%s", fg_signkey_public_txt (made));
    for (char *c = upper; *c; c++)
        *c = (char) toupper ((unsigned char) *c);
    CU_ASSERT_EQUAL (fg_signkey_read_public (upper, key), 0);
    CU_ASSERT_STRING_EQUAL (key, fg_signkey_public_txt (made));
    CU_ASSERT_FALSE (fg_signkey_valid (upper));
    zcert_t *cert = zcert_new ();
    CU_ASSERT_EQUAL (fg_signkey_read_public (zcert_public_txt (cert), key), -1);
    CU_ASSERT_EQUAL (fg_signkey_read_public ("", key), -1);

    //  A secret file whose public key is not its seed's is refused
    CU_ASSERT_EQUAL (ts_run (NULL, "sed -i 's/^public-key = \".\\(.*\\)\"/public-key = \"%c\\1\"/' "
                             "%s_secret", fg_signkey_public_txt (made) [0] == 'a'? 'b': 'a', path), 0);
    fg_signkey_t *bad = fg_signkey_load (path, false, err, sizeof err);
    CU_ASSERT_PTR_NULL (bad);
    CU_ASSERT_PTR_NOT_NULL (strstr (err, "not a signing key"));
    fg_signkey_destroy (&bad);

    //  `fogrid keygen` makes both pairs, and adds the signing pair to an
    //  existing CurveZMQ pair, which it keeps
    char *output = NULL;
    snprintf (curve, sizeof curve, "%s/admin/dao.key", dir);
    CU_ASSERT_EQUAL (ts_run (&output, "%s keygen %s 2>&1", ts_bin ("fogrid"), curve), 0);
    fg_signkey_path (curve, path, sizeof path);
    CU_ASSERT_EQUAL (fg_signkey_read_public (path, key), 0);
    CU_ASSERT_PTR_NOT_NULL (output && strstr (output, key));
    CU_ASSERT_EQUAL (ts_run (NULL, "test \"$(stat -c %%a %s_secret)\" = 600 && "
                             "test \"$(stat -c %%a %s_secret)\" = 600", path, curve), 0);
    zstr_free (&output);
    char curve_key [41];
    CU_ASSERT_EQUAL (fg_security_read_key (curve, curve_key), 0);
    CU_ASSERT_EQUAL (ts_run (NULL, "rm %s %s_secret", path, path), 0);
    CU_ASSERT_EQUAL (ts_run (&output, "%s keygen %s 2>/dev/null", ts_bin ("fogrid"), curve), 0);
    CU_ASSERT_PTR_NOT_NULL (output && strstr (output, curve_key));
    zstr_free (&output);
    CU_ASSERT_EQUAL (fg_signkey_read_public (path, key), 0);

    zcert_destroy (&cert);
    fg_signkey_destroy (&made);
    fg_signkey_destroy (&loaded);
    fg_signkey_destroy (&other);
    ts_tmpdir_remove (&dir);
}

//  The worked examples of docs/protocol.md: records signed with the key
//  of seed 00 01 02 .. 1f (the 32 bytes 0 to 31). Ed25519 signatures are
//  deterministic (RFC 8032), so each is the one below, and any Ed25519
//  library gives the same from the text's bytes and the seed (Python's
//  cryptography did: Ed25519PrivateKey.from_private_bytes (bytes (range
//  (32))).sign (text)); the id is sha256 of the text.
#define S_EXAMPLE_SIGNER "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"

static struct {
    const char *hub_id, *status, *hub_key, *ledger_key, *reason;
    int64_t stake;
    uint64_t at_ms;
    const char *text, *id, *signature;
} s_examples [] = {
    {   "h-4f0c2a9b1e77", "registered", "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "", 5000,
        1767225600000ULL,
        "fogrid-registry/1\n14:h-4f0c2a9b1e77\n10:registered\n"
        "40:rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\n"
        "64:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a\n5000\n0:\n"
        "1767225600000\n64:" S_EXAMPLE_SIGNER "\n",
        "3fb8114806439651a07c6ac886eabc2b4d652bd7f2ce66c549efe6cfdc6aabda",
        "443ffade2b1c8327bf4dd75300d009d18fd357c5ecc2026cf21e3c44963376ae"
        "33e0f107b7673574254afef4db417ff1079c68b0533a31e583825fd7ef3fa50e" },
    {   "h-4f0c2a9b1e77", "suspected", "", "", "late payouts", -1, 1767229200000ULL,
        "fogrid-registry/1\n14:h-4f0c2a9b1e77\n9:suspected\n0:\n0:\n-1\n12:late payouts\n"
        "1767229200000\n64:" S_EXAMPLE_SIGNER "\n",
        "c5e912782c53fb81b85528e6b6e57fd0ae912ba3841d448aff3a0f4862588904",
        "44e22a268585f967c83536189b724cef571ef570957bd72781da71d212822288"
        "a36820c2bd99ff46c53297ff801730452cd9519770be74708e820bdd83717405" }
};

static void
test_worked_example (void)
{
    byte seed [32];
    for (size_t index = 0; index < sizeof seed; index++)
        seed [index] = (byte) index;
    fg_signkey_t *key = fg_signkey_new_from_seed (seed);
    CU_ASSERT_STRING_EQUAL (fg_signkey_public_txt (key), S_EXAMPLE_SIGNER);
    for (size_t index = 0; index < sizeof s_examples / sizeof s_examples [0]; index++) {
        Fogrid__RegistrySet record = FOGRID__REGISTRY_SET__INIT;
        record.hub_id = (char *) s_examples [index].hub_id;
        record.status = (char *) s_examples [index].status;
        record.hub_key = (char *) s_examples [index].hub_key;
        record.ledger_key = (char *) s_examples [index].ledger_key;
        record.reason = (char *) s_examples [index].reason;
        record.stake = s_examples [index].stake;
        record.at_ms = s_examples [index].at_ms;
        fg_hub_seal_t seal;
        fg_hub_record_sign (&record, key, &seal);
        char *text = fg_hub_record_text (&record), id [65], why [300];
        fg_hub_record_id (&record, id);
        CU_ASSERT_STRING_EQUAL (text, s_examples [index].text);
        CU_ASSERT_STRING_EQUAL (id, s_examples [index].id);
        CU_ASSERT_STRING_EQUAL (record.signer, S_EXAMPLE_SIGNER);
        CU_ASSERT_STRING_EQUAL (record.sign_key, "");
        CU_ASSERT_STRING_EQUAL (record.signature, s_examples [index].signature);
        if (!streq (record.signature, s_examples [index].signature) || !streq (id, s_examples [index].id))
            printf ("\nexample %zu: id %s signature %s\n", index, id, record.signature);
        CU_ASSERT_EQUAL (fg_hub_record_verify (&record, why, sizeof why), 0);
        //  The signature is plain Ed25519 over the text's bytes
        CU_ASSERT_EQUAL (fg_signkey_verify (S_EXAMPLE_SIGNER, s_examples [index].text,
                                            strlen (s_examples [index].text),
                                            s_examples [index].signature), 0);
        zstr_free (&text);
    }
    fg_signkey_destroy (&key);
}

//  A record signed before signing keys existed (XEdDSA with the CurveZMQ
//  key of secret 40 41 .. 5f), as a locator's log may still hold one
#define S_LEGACY_SIGNER     "D8rs:?w=pjJ$IKC?Mte/PM@LU:a?9.:vtJMUz5!>"
#define S_LEGACY_SIGN_KEY   "6e815df0558ff8ecd98c2a25f92d019b16a9e08b99d46b51fd650328a9fc381b"
#define S_LEGACY_SIGNATURE  "d8002e57f3404061c24fe0ba992a21d4aa886b8cc5405da96bd702aca3c788e485982d6c68011395862080a6b4026043c92a34f065c6ad41dc0dd9e7ae8c7f07"
#define S_LEGACY_ID         "cac04a85b0114af719c16690ecc108fc0dd4f1aa536c1410b3a1a3c5dc4f866e"

static void
s_legacy_record (Fogrid__RegistrySet *record)
{
    fogrid__registry_set__init (record);
    record->hub_id = "h-legacy";
    record->status = "registered";
    record->stake = 500;
    record->at_ms = 1700000000000ULL;
    record->signer = S_LEGACY_SIGNER;
    record->sign_key = S_LEGACY_SIGN_KEY;
    record->signature = S_LEGACY_SIGNATURE;
}

static void
test_signed_records (void)
{
    fg_signkey_t *key = s_sign_key (), *other = s_sign_key ();
    Fogrid__RegistrySet record = FOGRID__REGISTRY_SET__INIT;
    record.hub_id = "h-1";
    record.status = "blacklisted";
    record.hub_key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
    record.ledger_key = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    record.reason = "paid itself";
    record.stake = 70;
    record.at_ms = 1700000000000ULL;
    fg_hub_seal_t seal, seal2;
    char err [300], id [65], id2 [65];
    CU_ASSERT_EQUAL (fg_hub_record_verify (&record, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (err, "not signed"));
    fg_hub_record_sign (&record, key, &seal);
    CU_ASSERT_STRING_EQUAL (record.signer, fg_signkey_public_txt (key));
    CU_ASSERT_FALSE (fg_hub_record_legacy (&record));
    CU_ASSERT_EQUAL (fg_hub_record_verify (&record, err, sizeof err), 0);
    fg_hub_record_id (&record, id);
    fg_hub_record_sign (&record, key, &seal2);
    fg_hub_record_id (&record, id2);
    CU_ASSERT_STRING_EQUAL (id, id2);           //  the change, not its signature

    //  Every byte of the text counts: each field changed by one byte fails
    char *fields [] = { record.hub_id, record.status, record.hub_key, record.ledger_key,
                        record.reason };
    char *copies [5];
    for (int index = 0; index < 5; index++)
        copies [index] = strdup (fields [index]);
    char **slots [] = { &record.hub_id, &record.status, &record.hub_key, &record.ledger_key,
                        &record.reason };
    for (int index = 0; index < 5; index++) {
        char *saved = *slots [index];
        copies [index][0] ^= 1;
        *slots [index] = copies [index];
        CU_ASSERT_EQUAL (fg_hub_record_verify (&record, err, sizeof err), -1);
        CU_ASSERT_PTR_NOT_NULL (strstr (err, "bad signature"));
        *slots [index] = saved;
        free (copies [index]);
    }
    record.stake = 71;
    CU_ASSERT_EQUAL (fg_hub_record_verify (&record, err, sizeof err), -1);
    record.stake = 70;
    record.at_ms++;
    CU_ASSERT_EQUAL (fg_hub_record_verify (&record, err, sizeof err), -1);
    record.at_ms--;
    char signature [FG_SIGNKEY_SIG_HEX];
    snprintf (signature, sizeof signature, "%s", record.signature);
    signature [70] = signature [70] == 'f'? 'e': 'f';
    record.signature = signature;
    CU_ASSERT_EQUAL (fg_hub_record_verify (&record, err, sizeof err), -1);
    record.signature = seal2.signature;
    CU_ASSERT_EQUAL (fg_hub_record_verify (&record, err, sizeof err), 0);

    //  Another signing key claimed as the signer; another key's signature
    record.signer = (char *) fg_signkey_public_txt (other);
    CU_ASSERT_EQUAL (fg_hub_record_verify (&record, err, sizeof err), -1);
    fg_hub_record_sign (&record, other, &seal);
    CU_ASSERT_EQUAL (fg_hub_record_verify (&record, err, sizeof err), 0);
    record.signer = seal2.signer;
    CU_ASSERT_EQUAL (fg_hub_record_verify (&record, err, sizeof err), -1);
    record.signer = "not a key";
    CU_ASSERT_EQUAL (fg_hub_record_verify (&record, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (err, "not a signing key"));
    //  The key in uppercase is another spelling, not the key: refused
    char upper [FG_SIGNKEY_HEX];
    snprintf (upper, sizeof upper, "%s", seal2.signer);
    for (char *c = upper; *c; c++)
        *c = (char) toupper ((unsigned char) *c);
    record.signer = upper;
    CU_ASSERT_EQUAL (fg_hub_record_verify (&record, err, sizeof err), -1);
    //  A sign_key beside a signing key is no record this makes
    record.signer = seal2.signer;
    record.signature = seal2.signature;
    record.sign_key = (char *) fg_signkey_public_txt (key);
    CU_ASSERT_EQUAL (fg_hub_record_verify (&record, err, sizeof err), -1);
    record.sign_key = "";
    CU_ASSERT_EQUAL (fg_hub_record_verify (&record, err, sizeof err), 0);

    //  The Ed25519 form of a CurveZMQ key as a signer: an XEdDSA signature
    //  under it is refused once it claims to be a signing key's
    Fogrid__RegistrySet legacy;
    s_legacy_record (&legacy);
    legacy.signer = S_LEGACY_SIGN_KEY;
    legacy.sign_key = "";
    CU_ASSERT_EQUAL (fg_hub_record_verify (&legacy, err, sizeof err), -1);

    //  A record signed with a CurveZMQ key before signing keys: still read,
    //  its id what it was; a changed byte, or sign_key not the signer's, fails
    s_legacy_record (&legacy);
    CU_ASSERT_TRUE (fg_hub_record_legacy (&legacy));
    CU_ASSERT_EQUAL (fg_hub_record_verify (&legacy, err, sizeof err), 0);
    fg_hub_record_id (&legacy, id);
    CU_ASSERT_STRING_EQUAL (id, S_LEGACY_ID);
    legacy.stake = 501;
    CU_ASSERT_EQUAL (fg_hub_record_verify (&legacy, err, sizeof err), -1);
    legacy.stake = 500;
    zcert_t *cert = zcert_new ();
    legacy.signer = (char *) zcert_public_txt (cert);
    CU_ASSERT_EQUAL (fg_hub_record_verify (&legacy, err, sizeof err), -1);
    zcert_destroy (&cert);
    s_legacy_record (&legacy);
    char flipped [65];
    snprintf (flipped, sizeof flipped, "%s", S_LEGACY_SIGN_KEY);
    flipped [62] = flipped [62] < '8'? flipped [62] + 8: flipped [62] == '8'? '0': '1';
    legacy.sign_key = flipped;              //  the other sign of the point
    CU_ASSERT_EQUAL (fg_hub_record_verify (&legacy, err, sizeof err), -1);

    fg_signkey_destroy (&key);
    fg_signkey_destroy (&other);
}

//  --------------------------------------------------------------------------
//  The registry table

//  A change of hub_id signed by signer (NULL: unsigned), dated at_ms (0:
//  now), into record (pointing into seal and hub_key).
static void
s_record (Fogrid__RegistrySet *record, fg_hub_seal_t *seal, fg_signkey_t *signer, uint64_t at_ms,
          const char *hub_id, const char *status, const char *hub_key, const char *reason,
          int64_t stake)
{
    fogrid__registry_set__init (record);
    record->hub_id = (char *) hub_id;
    record->status = (char *) status;
    record->hub_key = (char *) hub_key;
    record->reason = (char *) reason;
    record->stake = stake;
    //  As the command line does: each change later than the one before
    static uint64_t last_ms = 0;
    if (!at_ms)
        at_ms = last_ms = (uint64_t) fg_now_ms () > last_ms? (uint64_t) fg_now_ms (): last_ms + 1;
    record->at_ms = at_ms;
    if (signer)
        fg_hub_record_sign (record, signer, seal);
}

static fg_error_t
s_set (loc_hubs_t *hubs, fg_signkey_t *signer, const char *hub_id, const char *status,
       const char *hub_key, const char *reason, int64_t stake, char *why)
{
    Fogrid__RegistrySet set;
    fg_hub_seal_t seal;
    s_record (&set, &seal, signer, 0, hub_id, status, hub_key, reason, stake);
    return loc_hubs_set (hubs, "", &set, fg_now_ms (), why, 300);
}

//  Which keys a locator takes records from, and from where
static void
test_admin_keys (void)
{
    char *dir = ts_tmpdir_new ("registry-admins");
    char data [600], keys [600], path [700], why [300], err [300], list [400];
    fg_signkey_t *dao = s_sign_key (), *other = s_sign_key ();
    const char *dao_key = fg_signkey_public_txt (dao);

    //  A list: signing keys, CurveZMQ keys (old records only), files, *
    snprintf (keys, sizeof keys, "%s/keys", dir);
    snprintf (path, sizeof path, "%s/dao.key", keys);
    CU_ASSERT_EQUAL_FATAL (ts_run (NULL, "%s keygen %s >/dev/null 2>&1", ts_bin ("fogrid"), path), 0);
    char file_key [FG_SIGNKEY_HEX], file_sign [700];
    fg_signkey_path (path, file_sign, sizeof file_sign);
    CU_ASSERT_EQUAL (fg_signkey_read_public (file_sign, file_key), 0);
    snprintf (list, sizeof list, "%s, %s,%s", dao_key, S_LEGACY_SIGNER, file_sign);
    CU_ASSERT_EQUAL (fg_signers_check (list, err, sizeof err), 0);
    fg_signers_t *signers = fg_signers_new (list);
    CU_ASSERT_TRUE (fg_signers_has (signers, dao_key));
    CU_ASSERT_TRUE (fg_signers_has (signers, file_key));
    CU_ASSERT_TRUE (fg_signers_has (signers, S_LEGACY_SIGNER));
    CU_ASSERT_FALSE (fg_signers_has (signers, fg_signkey_public_txt (other)));
    CU_ASSERT_FALSE (fg_signers_has (signers, ""));
    CU_ASSERT_FALSE (fg_signers_anyone (signers));
    CU_ASSERT_EQUAL (fg_signers_sign_keys (signers), 2);
    CU_ASSERT_EQUAL (fg_signers_curve_keys (signers), 1);
    fg_signers_destroy (&signers);
    CU_ASSERT_EQUAL (fg_signers_check ("abc", err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (err, "'abc'"));
    snprintf (list, sizeof list, "%s/nothing.sign", dir);
    CU_ASSERT_EQUAL (fg_signers_check (list, err, sizeof err), -1);

    //  A directory: its public files, not its secrets; a file added is seen
    fg_signers_t *in_dir = fg_signers_new (keys);
    CU_ASSERT_TRUE (fg_signers_has (in_dir, file_key));
    CU_ASSERT_EQUAL (fg_signers_sign_keys (in_dir), 1);
    CU_ASSERT_EQUAL (fg_signers_curve_keys (in_dir), 1);
    CU_ASSERT_FALSE (fg_signers_has (in_dir, dao_key));
    CU_ASSERT_EQUAL (ts_run (NULL, "printf 'public-key = \"%s\"\\n' > %s/second.sign", dao_key,
                             keys), 0);
    CU_ASSERT_TRUE (fg_signers_has (in_dir, dao_key));
    CU_ASSERT_EQUAL (ts_run (NULL, "rm %s/second.sign", keys), 0);
    CU_ASSERT_FALSE (fg_signers_has (in_dir, dao_key));
    fg_signers_destroy (&in_dir);

    //  The locator: a record by its signing key is taken; by another
    //  signing key, or by the CurveZMQ key of the same DAO, is not
    snprintf (data, sizeof data, "%s/locator", dir);
    loc_hubs_t *hubs = loc_hubs_new (data, keys, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (hubs);
    fg_signkey_t *dao_file = fg_signkey_load (file_sign, false, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (dao_file);
    CU_ASSERT_EQUAL (s_set (hubs, dao_file, "h-1", "registered", "", "", -1, why), FG_OK);
    CU_ASSERT_EQUAL (s_set (hubs, other, "h-1", "suspected", "", "x", -1, why), FG_E_DENIED);
    CU_ASSERT_PTR_NOT_NULL (strstr (why, "only the DAO"));
    Fogrid__RegistrySet legacy;
    s_legacy_record (&legacy);
    bool fresh = true;
    CU_ASSERT_EQUAL (loc_hubs_apply (hubs, &legacy, "test", &fresh, why, sizeof why),
                     FG_E_DENIED);
    CU_ASSERT_FALSE (fresh);
    CU_ASSERT_EQUAL (loc_hubs_stats (hubs)->refused_admin, 2);
    loc_hubs_destroy (&hubs);

    //  An old record by a CurveZMQ key still listed: taken from a peer's
    //  log, never from the command line (nothing makes them any more)
    snprintf (list, sizeof list, "%s,%s", S_LEGACY_SIGNER, dao_key);
    hubs = loc_hubs_new (data, list, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (hubs);
    CU_ASSERT_EQUAL (loc_hubs_set (hubs, "", &legacy, fg_now_ms (), why, sizeof why),
                     FG_E_DENIED);
    CU_ASSERT_PTR_NOT_NULL (strstr (why, "CurveZMQ key"));
    CU_ASSERT_EQUAL (loc_hubs_apply (hubs, &legacy, "test", &fresh, why, sizeof why), FG_OK);
    CU_ASSERT_TRUE (fresh);
    Fogrid__RegistryReply *reply = loc_hubs_list (hubs, "h-legacy", NULL);
    CU_ASSERT_EQUAL_FATAL (reply->n_hubs, 1);
    CU_ASSERT_STRING_EQUAL (reply->hubs [0]->updated_by, S_LEGACY_SIGNER);
    loc_hubs_reply_destroy (&reply);
    //  ... and passed on as it came, for the next locator to check
    Fogrid__RegistryRecords *records = loc_hubs_log_read (hubs, "", 0, 0);
    CU_ASSERT_EQUAL_FATAL (records->n_entries, 2);
    CU_ASSERT_STRING_EQUAL (records->entries [1]->record->sign_key, S_LEGACY_SIGN_KEY);
    CU_ASSERT_EQUAL (fg_hub_record_verify (records->entries [1]->record, why, sizeof why), 0);
    CU_ASSERT_EQUAL (fg_hub_record_verify (records->entries [0]->record, why, sizeof why), 0);
    loc_hubs_records_destroy (&records);
    loc_hubs_destroy (&hubs);

    fg_signkey_destroy (&dao_file);
    fg_signkey_destroy (&dao);
    fg_signkey_destroy (&other);
    ts_tmpdir_remove (&dir);
}

static void
test_table (void)
{
    char *dir = ts_tmpdir_new ("registry-table");
    char data [600], db [700], err [300], why [300];
    snprintf (data, sizeof data, "%s/locator", dir);
    snprintf (db, sizeof db, "%s/registry.db", data);
    fg_signkey_t *dao = s_sign_key (), *other = s_sign_key ();
    zcert_t *hub = zcert_new ();
    const char *dao_key = fg_signkey_public_txt (dao);

    //  No admin key, no database: nothing on disk, nobody may change it
    loc_hubs_t *hubs = loc_hubs_new (data, "", err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (hubs);
    CU_ASSERT_FALSE (zsys_file_exists (db));
    CU_ASSERT_EQUAL (loc_hubs_size (hubs), 0);
    CU_ASSERT_STRING_EQUAL (loc_hubs_log_id (hubs), "");
    CU_ASSERT_EQUAL (s_set (hubs, dao, "h-1", "registered", "", "", -1, why), FG_E_DENIED);
    loc_hubs_destroy (&hubs);
    CU_ASSERT_FALSE (zsys_file_exists (db));

    //  The DAO's signature counts; another key's, none, or a forged one not
    hubs = loc_hubs_new (data, dao_key, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (hubs);
    CU_ASSERT_EQUAL (strlen (loc_hubs_log_id (hubs)), 32);
    CU_ASSERT_TRUE (loc_hubs_is_admin (hubs, dao_key));
    CU_ASSERT_FALSE (loc_hubs_is_admin (hubs, fg_signkey_public_txt (other)));
    CU_ASSERT_FALSE (loc_hubs_is_admin (hubs, ""));
    CU_ASSERT_EQUAL (s_set (hubs, other, "h-1", "registered", "", "", -1, why), FG_E_DENIED);
    CU_ASSERT_PTR_NOT_NULL (strstr (why, "only the DAO"));
    CU_ASSERT_EQUAL (s_set (hubs, NULL, "h-1", "registered", "", "", -1, why), FG_E_DENIED);
    CU_ASSERT_PTR_NOT_NULL (strstr (why, "not signed"));
    Fogrid__RegistrySet set;
    fg_hub_seal_t seal;
    s_record (&set, &seal, dao, 0, "h-1", "suspected", "", "forged", -1);
    set.status = "blacklisted";
    CU_ASSERT_EQUAL (loc_hubs_set (hubs, dao_key, &set, fg_now_ms (), why, sizeof why),
                     FG_E_DENIED);
    CU_ASSERT_PTR_NOT_NULL (strstr (why, "signature"));
    CU_ASSERT_EQUAL (loc_hubs_stats (hubs)->refused_signature, 2);
    CU_ASSERT_EQUAL (loc_hubs_stats (hubs)->refused_admin, 1);
    CU_ASSERT_EQUAL (s_set (hubs, dao, "h-1", "registered", zcert_public_txt (hub), "stake seen",
                            500, why), FG_OK);
    //  What it refuses: a bad status, a suspicion without a reason, a bad
    //  key, a key another hub holds, a bad hub id, a clock far ahead
    CU_ASSERT_EQUAL (s_set (hubs, dao, "h-1", "gone", "", "", -1, why), FG_E_INVALID);
    CU_ASSERT_EQUAL (s_set (hubs, dao, "h-1", "suspected", "", "", -1, why), FG_E_INVALID);
    CU_ASSERT_PTR_NOT_NULL (strstr (why, "reason"));
    CU_ASSERT_EQUAL (s_set (hubs, dao, "h-2", "registered", "not a key", "", -1, why),
                     FG_E_INVALID);
    CU_ASSERT_EQUAL (s_set (hubs, dao, "h-2", "registered", zcert_public_txt (hub), "", -1, why),
                     FG_E_INVALID);
    CU_ASSERT_PTR_NOT_NULL (strstr (why, "h-1"));
    CU_ASSERT_EQUAL (s_set (hubs, dao, "a hub", "registered", "", "", -1, why), FG_E_INVALID);
    s_record (&set, &seal, dao, (uint64_t) fg_now_ms () + 3600000, "h-2", "registered", "", "",
              -1);
    CU_ASSERT_EQUAL (loc_hubs_set (hubs, dao_key, &set, fg_now_ms (), why, sizeof why),
                     FG_E_INVALID);
    CU_ASSERT_PTR_NOT_NULL (strstr (why, "clock"));
    //  Suspected, with the key and the stake kept
    CU_ASSERT_EQUAL (s_set (hubs, dao, "h-1", "suspected", "", "late payouts", -1, why), FG_OK);
    CU_ASSERT_EQUAL (s_set (hubs, dao, "h-3", "blacklisted", "", "stole", 0, why), FG_OK);
    CU_ASSERT_EQUAL (loc_hubs_size (hubs), 2);
    CU_ASSERT_EQUAL (loc_hubs_records (hubs), 3);
    CU_ASSERT_EQUAL (loc_hubs_stats (hubs)->taken_client, 3);
    //  The same signed change again: nothing changes
    s_record (&set, &seal, dao, 0, "h-3", "suspected", "", "maybe not", -1);
    CU_ASSERT_EQUAL (loc_hubs_set (hubs, dao_key, &set, fg_now_ms (), why, sizeof why), FG_OK);
    CU_ASSERT_EQUAL (loc_hubs_set (hubs, dao_key, &set, fg_now_ms (), why, sizeof why), FG_OK);
    CU_ASSERT_EQUAL (loc_hubs_records (hubs), 4);
    CU_ASSERT_EQUAL (loc_hubs_stats (hubs)->duplicates, 1);
    char log_id [33];
    snprintf (log_id, sizeof log_id, "%s", loc_hubs_log_id (hubs));
    loc_hubs_destroy (&hubs);

    //  Reopened (even without admin keys: read-only), it holds the same
    CU_ASSERT_TRUE (zsys_file_exists (db));
    hubs = loc_hubs_new (data, "", err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (hubs);
    CU_ASSERT_STRING_EQUAL (loc_hubs_log_id (hubs), log_id);
    Fogrid__RegistryReply *reply = loc_hubs_list (hubs, "h-1", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL_FATAL (reply->n_hubs, 1);
    CU_ASSERT_STRING_EQUAL (reply->hubs [0]->status, "suspected");
    CU_ASSERT_STRING_EQUAL (reply->hubs [0]->reason, "late payouts");
    CU_ASSERT_STRING_EQUAL (reply->hubs [0]->hub_key, zcert_public_txt (hub));
    CU_ASSERT_EQUAL (reply->hubs [0]->stake, 500);
    CU_ASSERT_STRING_EQUAL (reply->hubs [0]->updated_by, dao_key);
    loc_hubs_reply_destroy (&reply);
    reply = loc_hubs_list (hubs, NULL, zcert_public_txt (hub));
    CU_ASSERT_EQUAL (reply->n_hubs, 1);
    loc_hubs_reply_destroy (&reply);
    reply = loc_hubs_list (hubs, NULL, NULL);
    CU_ASSERT_EQUAL (reply->n_hubs, 2);
    loc_hubs_reply_destroy (&reply);
    CU_ASSERT_EQUAL (s_set (hubs, dao, "h-1", "registered", "", "", -1, why), FG_E_DENIED);
    //  Its log, as a peer reads it: all of it, then after a cursor, then
    //  from the start for a cursor in another log
    Fogrid__RegistryRecords *records = loc_hubs_log_read (hubs, "", 0, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL (records);
    CU_ASSERT_EQUAL_FATAL (records->n_entries, 4);
    CU_ASSERT_FALSE (records->more);
    CU_ASSERT_STRING_EQUAL (records->log_id, log_id);
    CU_ASSERT_EQUAL (fg_hub_record_verify (records->entries [0]->record, err, sizeof err), 0);
    uint64_t second = records->entries [1]->seq;
    loc_hubs_records_destroy (&records);
    records = loc_hubs_log_read (hubs, log_id, second, 1);
    CU_ASSERT_EQUAL (records->n_entries, 1);
    CU_ASSERT_TRUE (records->more);
    loc_hubs_records_destroy (&records);
    records = loc_hubs_log_read (hubs, "another", second, 0);
    CU_ASSERT_EQUAL (records->n_entries, 4);
    loc_hubs_records_destroy (&records);
    //  Where it is in a peer's log, kept
    char peer_log [33];
    uint64_t cursor;
    loc_hubs_cursor_get (hubs, "tcp://peer:1", peer_log, &cursor);
    CU_ASSERT_EQUAL (cursor, 0);
    CU_ASSERT_EQUAL (loc_hubs_cursor_set (hubs, "tcp://peer:1", "abc", 7), 0);
    loc_hubs_destroy (&hubs);
    hubs = loc_hubs_new (data, "", err, sizeof err);
    loc_hubs_cursor_get (hubs, "tcp://peer:1", peer_log, &cursor);
    CU_ASSERT_EQUAL (cursor, 7);
    CU_ASSERT_STRING_EQUAL (peer_log, "abc");
    loc_hubs_destroy (&hubs);

    //  A plain-text registry (*): unsigned changes count
    char open_data [600];
    snprintf (open_data, sizeof open_data, "%s/open", dir);
    hubs = loc_hubs_new (open_data, "*", err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (hubs);
    CU_ASSERT_EQUAL (s_set (hubs, NULL, "h-1", "registered", "", "", -1, why), FG_OK);
    reply = loc_hubs_list (hubs, "h-1", NULL);
    CU_ASSERT_EQUAL (reply->n_hubs, 1);
    if (reply->n_hubs == 1)
        CU_ASSERT_STRING_EQUAL (reply->hubs [0]->updated_by, "anonymous");
    loc_hubs_reply_destroy (&reply);
    loc_hubs_destroy (&hubs);

    //  The config: keys, a directory, or *
    fg_config_t *config = fg_config_new (loc_server_defs);
    CU_ASSERT_EQUAL (fg_config_set (config, "locator/admin_keys", "nonsense"), 0);
    CU_ASSERT_EQUAL (loc_hubs_check_config (config, err, sizeof err), -1);
    CU_ASSERT_EQUAL (fg_config_set (config, "locator/admin_keys", dir), 0);
    CU_ASSERT_EQUAL (loc_hubs_check_config (config, err, sizeof err), 0);
    CU_ASSERT_EQUAL (fg_config_set (config, "locator/admin_keys", "*"), 0);
    CU_ASSERT_EQUAL (loc_hubs_check_config (config, err, sizeof err), 0);
    CU_ASSERT_EQUAL (fg_config_set (config, "locator/peers", "tcp://a:7700,tcp://b:7700"), 0);
    CU_ASSERT_EQUAL (loc_server_check_config (config, err, sizeof err), 0);
    CU_ASSERT_EQUAL (fg_config_set (config, "locator/peers", "tcp://a:7700,b"), 0);
    CU_ASSERT_EQUAL (loc_server_check_config (config, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (err, "locator/peers"));
    fg_config_destroy (&config);
    fg_signkey_destroy (&dao);
    zcert_destroy (&hub);
    fg_signkey_destroy (&other);
    ts_tmpdir_remove (&dir);
}

//  Every hub of the registry as one line of text, to compare two registries.
static char *
s_registry_text (loc_hubs_t *hubs)
{
    Fogrid__RegistryReply *reply = loc_hubs_list (hubs, NULL, NULL);
    char *text = strdup ("");
    for (size_t index = 0; reply && index < reply->n_hubs; index++) {
        Fogrid__RegistryHub *hub = reply->hubs [index];
        char *line = zsys_sprintf ("%s%s %s %s %s %" PRId64 " %s %s %" PRIu64 " %" PRIu64 "\n",
                                   text, hub->hub_id, hub->status, hub->hub_key, hub->ledger_key,
                                   hub->stake, hub->reason, hub->updated_by, hub->updated_ms,
                                   hub->created_ms);
        free (text);
        text = line;
    }
    loc_hubs_reply_destroy (&reply);
    return text;
}

//  The registry on a full disk: a change is refused saying why, nothing
//  half-written stays, the next change after room is made goes in, and
//  a reopen finds exactly the changes that were taken
static void
test_full_disk (void)
{
    char *dir = ts_tmpdir_new ("registry-full");
    if (geteuid () != 0 || mount ("fogrid-test", dir, "tmpfs", 0, "size=1m,mode=0700")) {
        printf ("SKIPPED: needs root to mount a tmpfs (%s) ", strerror (errno));
        ts_tmpdir_remove (&dir);
        return;
    }
    char data [600], err [300], why [300];
    snprintf (data, sizeof data, "%s/locator", dir);
    fg_signkey_t *dao = s_sign_key ();
    loc_hubs_t *hubs = loc_hubs_new (data, fg_signkey_public_txt (dao), err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (hubs);
    CU_ASSERT_EQUAL (s_set (hubs, dao, "h-1", "registered", "", "first", 100, why), FG_OK);
    char *before = s_registry_text (hubs);

    //  Fill what is left of the disk
    char *filler = zsys_sprintf ("%s/filler", dir);
    FILE *file = fopen (filler, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL (file);
    char block [4096];
    memset (block, 'x', sizeof block);
    while (fwrite (block, sizeof block, 1, file) == 1 && fflush (file) == 0)
        ;
    fclose (file);
    struct statvfs fs;
    CU_ASSERT (statvfs (dir, &fs) == 0 && fs.f_bavail == 0);

    //  Changes are refused with the reason; what holds does not move. A
    //  few may still fit in pages SQLite has free, so try until one fails
    fg_error_t rc = FG_OK;
    int taken = 0;
    char reason [32];
    while (rc == FG_OK && taken < 200) {
        snprintf (reason, sizeof reason, "change %d", taken);
        rc = s_set (hubs, dao, "h-2", "registered", "", reason, 200, why);
        if (rc == FG_OK)
            taken++;
    }
    CU_ASSERT_EQUAL (rc, FG_E_INTERNAL);
    CU_ASSERT_PTR_NOT_NULL (strstr (why, "could not write its registry"));
    CU_ASSERT_PTR_NOT_NULL (strstr (why, "full"));
    size_t records = loc_hubs_records (hubs);
    char *during = s_registry_text (hubs);
    //  ... and again, the same
    CU_ASSERT_EQUAL (s_set (hubs, dao, "h-3", "registered", "", "no room", 300, why),
                     FG_E_INTERNAL);
    CU_ASSERT_EQUAL (loc_hubs_records (hubs), records);
    char *after = s_registry_text (hubs);
    CU_ASSERT_STRING_EQUAL (after, during);
    zstr_free (&after);

    //  Room again: the change goes in
    CU_ASSERT_EQUAL (unlink (filler), 0);
    CU_ASSERT_EQUAL (s_set (hubs, dao, "h-3", "registered", "", "room", 300, why), FG_OK);
    CU_ASSERT_EQUAL (loc_hubs_records (hubs), records + 1);
    char *taken_text = s_registry_text (hubs);
    loc_hubs_destroy (&hubs);

    //  Reopened: exactly what was taken
    hubs = loc_hubs_new (data, fg_signkey_public_txt (dao), err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (hubs);
    CU_ASSERT_EQUAL (loc_hubs_records (hubs), records + 1);
    after = s_registry_text (hubs);
    CU_ASSERT_STRING_EQUAL (after, taken_text);
    CU_ASSERT_PTR_NOT_NULL (strstr (after, "h-1 registered"));
    CU_ASSERT_PTR_NOT_NULL (strstr (after, "h-3 registered"));
    CU_ASSERT (strstr (before, "h-1 registered") && !strstr (before, "h-3"));
    loc_hubs_destroy (&hubs);
    zstr_free (&after);
    zstr_free (&taken_text);
    zstr_free (&during);
    zstr_free (&before);
    zstr_free (&filler);
    fg_signkey_destroy (&dao);
    CU_ASSERT_EQUAL (umount (dir), 0);
    ts_tmpdir_remove (&dir);
}

static void
test_merge (void)
{
    char *dir = ts_tmpdir_new ("registry-merge");
    char one [600], two [600], err [300], why [300];
    snprintf (one, sizeof one, "%s/one", dir);
    snprintf (two, sizeof two, "%s/two", dir);
    fg_signkey_t *dao = s_sign_key (), *dao2 = s_sign_key (), *intruder = s_sign_key ();
    zcert_t *hub = zcert_new (), *hub2 = zcert_new ();
    char admins [200];
    snprintf (admins, sizeof admins, "%s,%s", fg_signkey_public_txt (dao),
              fg_signkey_public_txt (dao2));
    loc_hubs_t *a = loc_hubs_new (one, admins, err, sizeof err);
    loc_hubs_t *b = loc_hubs_new (two, admins, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (a);
    CU_ASSERT_PTR_NOT_NULL_FATAL (b);
    CU_ASSERT_STRING_NOT_EQUAL (loc_hubs_log_id (a), loc_hubs_log_id (b));

    //  Changes of two hubs by two admins, some at the same millisecond,
    //  one setting only keys; an old "registered" made before a
    //  blacklisting; a change by a key that is not the DAO's
    enum { COUNT = 8 };
    Fogrid__RegistrySet records [COUNT];
    fg_hub_seal_t seals [COUNT];
    uint64_t t = 1700000000000ULL;
    s_record (&records [0], &seals [0], dao, t + 100, "h-a", "registered",
              zcert_public_txt (hub), "", 500);
    s_record (&records [1], &seals [1], dao, t + 300, "h-a", "blacklisted", "", "stole", -1);
    s_record (&records [2], &seals [2], dao2, t + 200, "h-a", "registered", "", "", 900);
    s_record (&records [3], &seals [3], dao, t + 400, "h-b", "suspected", "", "late", 10);
    s_record (&records [4], &seals [4], dao2, t + 400, "h-b", "registered", "", "", -1);
    s_record (&records [5], &seals [5], dao, t + 50, "h-b", "registered", zcert_public_txt (hub2),
              "", 20);
    s_record (&records [6], &seals [6], intruder, t + 900, "h-a", "registered", "", "", -1);
    s_record (&records [7], &seals [7], dao2, t + 350, "h-a", "blacklisted", "", "",
              -1);                              //  no reason: invalid
    //  In order into one, backwards into the other
    bool fresh;
    for (int index = 0; index < COUNT; index++) {
        loc_hubs_apply (a, &records [index], "test", &fresh, why, sizeof why);
        loc_hubs_apply (b, &records [COUNT - 1 - index], "test", &fresh, why, sizeof why);
    }
    char *text_a = s_registry_text (a), *text_b = s_registry_text (b);
    CU_ASSERT_STRING_EQUAL (text_a, text_b);
    if (!streq (text_a, text_b))
        fprintf (stderr, "\none:\n%stwo:\n%s", text_a, text_b);
    //  The blacklisting holds over the older "registered" and keeps the
    //  stake that older change set (the stake's own latest); of the two
    //  changes at the same millisecond, the order of the keys decides
    Fogrid__RegistryReply *reply = loc_hubs_list (a, "h-a", NULL);
    CU_ASSERT_EQUAL_FATAL (reply->n_hubs, 1);
    CU_ASSERT_STRING_EQUAL (reply->hubs [0]->status, "blacklisted");
    CU_ASSERT_STRING_EQUAL (reply->hubs [0]->reason, "stole");
    CU_ASSERT_EQUAL (reply->hubs [0]->stake, 900);
    CU_ASSERT_STRING_EQUAL (reply->hubs [0]->hub_key, zcert_public_txt (hub));
    CU_ASSERT_EQUAL (reply->hubs [0]->updated_ms, t + 300);
    CU_ASSERT_EQUAL (reply->hubs [0]->created_ms, t + 100);
    loc_hubs_reply_destroy (&reply);
    reply = loc_hubs_list (a, "h-b", NULL);
    CU_ASSERT_EQUAL_FATAL (reply->n_hubs, 1);
    bool dao2_first = strcmp (fg_signkey_public_txt (dao2), fg_signkey_public_txt (dao)) > 0;
    CU_ASSERT_STRING_EQUAL (reply->hubs [0]->status, dao2_first? "registered": "suspected");
    CU_ASSERT_EQUAL (reply->hubs [0]->stake, 10);
    CU_ASSERT_STRING_EQUAL (reply->hubs [0]->hub_key, zcert_public_txt (hub2));
    loc_hubs_reply_destroy (&reply);
    CU_ASSERT_EQUAL (loc_hubs_records (a), 6);
    CU_ASSERT_EQUAL (loc_hubs_stats (a)->taken_peer, 6);
    CU_ASSERT_EQUAL (loc_hubs_stats (a)->refused_admin, 1);
    CU_ASSERT_EQUAL (loc_hubs_stats (a)->refused_invalid, 1);

    //  Everything again: nothing changes, nothing is new
    for (int index = 0; index < COUNT; index++) {
        loc_hubs_apply (a, &records [index], "test", &fresh, why, sizeof why);
        CU_ASSERT_FALSE (fresh);
    }
    char *again = s_registry_text (a);
    CU_ASSERT_STRING_EQUAL (again, text_a);
    CU_ASSERT_EQUAL (loc_hubs_records (a), 6);
    CU_ASSERT_EQUAL (loc_hubs_stats (a)->duplicates, 6);
    free (again);
    free (text_a);
    free (text_b);
    loc_hubs_destroy (&a);
    loc_hubs_destroy (&b);

    //  A registry from before records: its rows hold until a record comes
    char legacy [600], path [700];
    snprintf (legacy, sizeof legacy, "%s/legacy", dir);
    snprintf (path, sizeof path, "%s/registry.db", legacy);
    CU_ASSERT_EQUAL (zsys_dir_create ("%s", legacy), 0);
    sqlite3 *db = NULL;
    CU_ASSERT_EQUAL_FATAL (sqlite3_open (path, &db), SQLITE_OK);
    CU_ASSERT_EQUAL (sqlite3_exec (db,
        "CREATE TABLE hubs (hub_id TEXT PRIMARY KEY, hub_key TEXT NOT NULL DEFAULT '',"
        " ledger_key TEXT NOT NULL DEFAULT '', status TEXT NOT NULL, stake INTEGER NOT NULL"
        " DEFAULT 0, reason TEXT NOT NULL DEFAULT '', updated_by TEXT NOT NULL DEFAULT '',"
        " created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);"
        "INSERT INTO hubs VALUES ('h-old', '', '', 'suspected', 5, 'old', 'x', 1, 2);",
        NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close (db);
    a = loc_hubs_new (legacy, admins, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (a);
    char *text = s_registry_text (a);
    CU_ASSERT_PTR_NOT_NULL (strstr (text, "h-old suspected"));
    free (text);
    CU_ASSERT_EQUAL (loc_hubs_apply (a, &records [0], "test", &fresh, why, sizeof why), FG_OK);
    reply = loc_hubs_list (a, "h-a", NULL);
    CU_ASSERT_EQUAL (reply->n_hubs, 1);
    loc_hubs_reply_destroy (&reply);
    Fogrid__RegistrySet clear;
    fg_hub_seal_t seal;
    s_record (&clear, &seal, dao, t, "h-old", "registered", "", "", -1);
    CU_ASSERT_EQUAL (loc_hubs_apply (a, &clear, "test", &fresh, why, sizeof why), FG_OK);
    reply = loc_hubs_list (a, "h-old", NULL);
    CU_ASSERT_EQUAL_FATAL (reply->n_hubs, 1);
    CU_ASSERT_STRING_EQUAL (reply->hubs [0]->status, "registered");
    CU_ASSERT_EQUAL (reply->hubs [0]->stake, 5);
    loc_hubs_reply_destroy (&reply);
    loc_hubs_destroy (&a);

    fg_signkey_destroy (&dao);
    fg_signkey_destroy (&dao2);
    zcert_destroy (&hub);
    zcert_destroy (&hub2);
    fg_signkey_destroy (&intruder);
    ts_tmpdir_remove (&dir);
}

//  --------------------------------------------------------------------------
//  Statements and the miner's checks

typedef struct {
    unsigned char pk [crypto_sign_PUBLICKEYBYTES];
    unsigned char sk [crypto_sign_SECRETKEYBYTES];
    char hex [65];
} s_ledger_key_t;

static void
s_ledger_key (s_ledger_key_t *key)
{
    CU_ASSERT_FATAL (sodium_init () >= 0);
    crypto_sign_keypair (key->pk, key->sk);
    sodium_bin2hex (key->hex, sizeof key->hex, key->pk, sizeof key->pk);
}

static void
s_sign (const s_ledger_key_t *key, const char *text, char *sig_hex)
{
    unsigned char sig [crypto_sign_BYTES];
    crypto_sign_detached (sig, NULL, (const unsigned char *) text, strlen (text), key->sk);
    sodium_bin2hex (sig_hex, 129, sig, sizeof sig);
}

//  A statement of hub h-unit's wallet, signed by key.
static void
s_statement (Fogrid__WalletStatementReply *reply, const s_ledger_key_t *key, const char *nonce,
             const char *state, int64_t frozen, char *sig_hex)
{
    fogrid__wallet_statement_reply__init (reply);
    reply->hub_id = "h-unit";
    reply->state = (char *) state;
    reply->frozen = frozen;
    reply->free_funds = 7;
    reply->escrow_total = 3;
    reply->at_ms = (uint64_t) fg_now_ms ();
    reply->ledger_key = (char *) key->hex;
    reply->nonce = (char *) nonce;
    char *text = fg_statement_text (reply);
    s_sign (key, text, sig_hex);
    zstr_free (&text);
    reply->signature = sig_hex;
}

static void
test_statement (void)
{
    s_ledger_key_t key, other;
    s_ledger_key (&key);
    s_ledger_key (&other);
    char sig [129], err [300];
    Fogrid__LedgerEntry payout = FOGRID__LEDGER_ENTRY__INIT, *payouts [1] = { &payout };
    payout.seq = 4;
    payout.id = "pay/t-1";
    payout.from = "escrow:t-1";
    payout.to = "miner:m-1";
    payout.amount = 95;
    payout.hash = "00";
    Fogrid__WalletStatementReply reply;
    s_statement (&reply, &key, "n1", "registered", 500, sig);
    //  With a payout in it, signed again
    reply.n_recent_payouts = 1;
    reply.recent_payouts = payouts;
    char *text = fg_statement_text (&reply);
    s_sign (&key, text, sig);
    zstr_free (&text);
    CU_ASSERT_EQUAL (fg_statement_verify (&reply, NULL, err, sizeof err), 0);
    CU_ASSERT_EQUAL (fg_statement_verify (&reply, key.hex, err, sizeof err), 0);
    //  Signed by another key than the registry's
    CU_ASSERT_EQUAL (fg_statement_verify (&reply, other.hex, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (err, "not by the hub's key"));
    //  Changed after signing: the stake, a payout
    reply.frozen = 5000;
    CU_ASSERT_EQUAL (fg_statement_verify (&reply, NULL, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (err, "bad signature"));
    reply.frozen = 500;
    payout.amount = 9500;
    CU_ASSERT_EQUAL (fg_statement_verify (&reply, NULL, err, sizeof err), -1);
    payout.amount = 95;
    CU_ASSERT_EQUAL (fg_statement_verify (&reply, NULL, err, sizeof err), 0);
    //  Signed by one key, naming another (a forger's statement)
    reply.ledger_key = other.hex;
    CU_ASSERT_EQUAL (fg_statement_verify (&reply, NULL, err, sizeof err), -1);
}

static fg_config_t *
s_trust_config (const char *trust_level, const char *min_stake)
{
    fg_config_t *config = fg_config_new (miner_agent_defs);
    CU_ASSERT_EQUAL (fg_config_set (config, "locator/endpoints", ""), 0);
    CU_ASSERT_EQUAL (fg_config_set (config, "miner/hubs", "tcp://127.0.0.1:1"), 0);
    CU_ASSERT_EQUAL (fg_config_set (config, "miner/trust_level", trust_level), 0);
    CU_ASSERT_EQUAL (fg_config_set (config, "miner/min_stake", min_stake), 0);
    return config;
}

//  Begins a connection and answers its statement request with a statement
//  signed by key; returns the verdict on it.
static miner_trust_verdict_t
s_check (miner_trust_t *trust, const char *curve_key, const s_ledger_key_t *key, const char *state,
         int64_t frozen, char *why)
{
    miner_trust_verdict_t verdict = miner_trust_begin (trust, "tcp://127.0.0.1:1", curve_key,
                                                       why, 300);
    if (verdict == MINER_TRUST_ACCEPT || verdict == MINER_TRUST_REFUSE)
        return verdict;
    Fogrid__WalletStatement request = FOGRID__WALLET_STATEMENT__INIT;
    miner_trust_request (trust, &request);
    char nonce [64];            //  a copy, as the hub's answer would carry
    snprintf (nonce, sizeof nonce, "%s", request.nonce);
    Fogrid__WalletStatementReply reply;
    char sig [129];
    s_statement (&reply, key, nonce, state, frozen, sig);
    return miner_trust_statement (trust, &reply, why, 300);
}

//  A result of a task that succeeded (or not), sent with seq, then the
//  hub's Ok with a receipt signed by key (NULL: no receipt).
static void
s_result (miner_trust_t *trust, uint64_t seq, const char *task_id, bool success,
          const s_ledger_key_t *key, const char *miner_id)
{
    Fogrid__TaskResult result = FOGRID__TASK_RESULT__INIT;
    result.task_id = (char *) task_id;
    result.attempt = 1;
    result.exit_code = success? 0: 1;
    miner_trust_result_sent (trust, seq, &result);
    if (!key) {
        miner_trust_result_ok (trust, seq, "");
        return;
    }
    fg_receipt_t receipt;
    memset (&receipt, 0, sizeof receipt);
    snprintf (receipt.task_id, sizeof receipt.task_id, "%s", task_id);
    receipt.attempt = 1;
    snprintf (receipt.miner_id, sizeof receipt.miner_id, "%s", miner_id);
    receipt.amount = 95;
    receipt.fee = 5;
    snprintf (receipt.entry_id, sizeof receipt.entry_id, "pay/%s", task_id);
    receipt.entry_seq = 9;
    memset (receipt.entry_hash, 'a', 64);
    receipt.at_ms = fg_now_ms ();
    snprintf (receipt.hub_id, sizeof receipt.hub_id, "h-unit");
    snprintf (receipt.hub_key, sizeof receipt.hub_key, "%s", key->hex);
    char *text = fg_receipt_text (&receipt);
    s_sign (key, text, receipt.signature);
    zstr_free (&text);
    char *json = fg_receipt_json (&receipt);
    miner_trust_result_ok (trust, seq, json);
    free (json);
}

static void
test_trust (void)
{
    char *dir = ts_tmpdir_new ("registry-trust");
    s_ledger_key_t key, other;
    s_ledger_key (&key);
    s_ledger_key (&other);
    zcert_t *cert = zcert_new ();
    const char *curve = zcert_public_txt (cert);
    char err [300], why [300];
    fg_config_t *config = s_trust_config ("0", "100");
    miner_trust_t *trust = miner_trust_new (config, dir, "m-unit", err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (trust);

    //  min_stake makes the check come first; what the statement must show
    CU_ASSERT_EQUAL (miner_trust_begin (trust, "tcp://127.0.0.1:1", curve, why, sizeof why),
                     MINER_TRUST_ASK_FIRST);
    CU_ASSERT_EQUAL (s_check (trust, curve, &key, "registered", 500, why), MINER_TRUST_ACCEPT);
    CU_ASSERT_STRING_EQUAL (miner_trust_hub_id (trust), "h-unit");
    CU_ASSERT_EQUAL (s_check (trust, curve, &key, "registered", 99, why), MINER_TRUST_REFUSE);
    CU_ASSERT_PTR_NOT_NULL (strstr (why, "below miner/min_stake"));
    CU_ASSERT_TRUE (miner_trust_avoid (trust, "tcp://127.0.0.1:1", curve));
    CU_ASSERT_EQUAL (s_check (trust, curve, &key, "suspected", 500, why), MINER_TRUST_REFUSE);
    CU_ASSERT_PTR_NOT_NULL (strstr (why, "is suspected"));
    CU_ASSERT_EQUAL (s_check (trust, curve, &key, "created", 500, why), MINER_TRUST_REFUSE);
    //  Its refusals are its last check, under the id the statement names
    json_t *view = miner_trust_json (trust);
    json_t *check = json_object_get (json_array_get (json_object_get (view, "hubs"), 0),
                                     "last_check");
    CU_ASSERT_STRING_EQUAL (json_string_value (json_object_get (check, "result")), "refused");
    CU_ASSERT_PTR_NOT_NULL (strstr (json_string_value (json_object_get (check, "reason")),
                                    "is created, not registered"));
    CU_ASSERT_EQUAL (json_integer_value (json_object_get (check, "refused")), 3);
    CU_ASSERT_EQUAL (json_integer_value (json_object_get (check, "accepted")), 1);
    json_decref (view);
    //  A state in bytes JSON cannot hold, quoted in the refusal: the hub
    //  stays in the view, its reason cleaned
    CU_ASSERT_EQUAL (s_check (trust, curve, &key, "caf\xe9", 500, why), MINER_TRUST_REFUSE);
    view = miner_trust_json (trust);
    check = json_object_get (json_array_get (json_object_get (view, "hubs"), 0), "last_check");
    const char *reason = json_string_value (json_object_get (check, "reason"));
    CU_ASSERT_PTR_NOT_NULL (reason? strstr (reason, "is caf?, not registered"): NULL);
    json_decref (view);
    //  A hub that gives no statement, refused before it named itself:
    //  listed by its endpoint
    CU_ASSERT_EQUAL (miner_trust_begin (trust, "tcp://127.0.0.1:9", "", why, sizeof why),
                     MINER_TRUST_ASK_FIRST);
    CU_ASSERT_EQUAL (miner_trust_statement_failed (trust, "unknown request", why, sizeof why),
                     MINER_TRUST_REFUSE);
    view = miner_trust_json (trust);
    CU_ASSERT_EQUAL (json_array_size (json_object_get (view, "hubs")), 2);
    json_t *unnamed = json_array_get (json_object_get (view, "hubs"), 0);
    CU_ASSERT_STRING_EQUAL (json_string_value (json_object_get (unnamed, "hub_id")), "");
    CU_ASSERT_STRING_EQUAL (json_string_value (json_object_get (unnamed, "endpoint")),
                            "tcp://127.0.0.1:9");
    json_decref (view);
    //  A statement played back (another nonce), one changed after signing
    CU_ASSERT_EQUAL (miner_trust_begin (trust, "tcp://127.0.0.1:1", curve, why, sizeof why),
                     MINER_TRUST_ASK_FIRST);
    Fogrid__WalletStatement request = FOGRID__WALLET_STATEMENT__INIT;
    miner_trust_request (trust, &request);
    Fogrid__WalletStatementReply reply;
    char sig [129];
    s_statement (&reply, &key, "an old nonce", "registered", 500, sig);
    CU_ASSERT_EQUAL (miner_trust_statement (trust, &reply, why, sizeof why), MINER_TRUST_REFUSE);
    CU_ASSERT_PTR_NOT_NULL (strstr (why, "nonce"));
    miner_trust_request (trust, &request);
    char nonce [64];
    snprintf (nonce, sizeof nonce, "%s", request.nonce);
    s_statement (&reply, &key, nonce, "registered", 50, sig);
    reply.frozen = 5000;
    CU_ASSERT_EQUAL (miner_trust_statement (trust, &reply, why, sizeof why), MINER_TRUST_REFUSE);
    CU_ASSERT_PTR_NOT_NULL (strstr (why, "does not hold"));
    miner_trust_destroy (&trust);
    fg_config_destroy (&config);

    //  Without min_stake or the registry: hello at once, the statement too
    config = s_trust_config ("2", "0");
    trust = miner_trust_new (config, dir, "m-unit", err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (trust);
    CU_ASSERT_EQUAL (miner_trust_begin (trust, "tcp://127.0.0.1:1", curve, why, sizeof why),
                     MINER_TRUST_ASK);
    CU_ASSERT_EQUAL (miner_trust_statement_failed (trust, "no such request", why, sizeof why),
                     MINER_TRUST_ACCEPT);
    CU_ASSERT_EQUAL (s_check (trust, curve, &key, "created", 0, why), MINER_TRUST_ACCEPT);

    //  Receipts rate the hub: paid, unpaid, forged; a failed task counts not
    s_result (trust, 11, "t-1", true, &key, "m-unit");
    s_result (trust, 12, "t-2", true, NULL, NULL);
    s_result (trust, 13, "t-3", true, &other, "m-unit");
    s_result (trust, 14, "t-4", false, NULL, NULL);
    s_result (trust, 15, "t-5", true, &key, "m-someone-else");
    miner_trust_rating_t rating;
    CU_ASSERT_EQUAL_FATAL (miner_trust_rating (trust, "h-unit", &rating), 0);
    CU_ASSERT_EQUAL (rating.paid, 1);
    CU_ASSERT_EQUAL (rating.unpaid, 1);
    CU_ASSERT_EQUAL (rating.bad, 2);
    CU_ASSERT_EQUAL (rating.earned, 95);
    CU_ASSERT_EQUAL (miner_trust_score (&rating), 1 - 1 - 200);
    CU_ASSERT_STRING_EQUAL (rating.ledger_key, key.hex);
    CU_ASSERT_STRING_EQUAL (rating.hub_key, curve);
    //  The operator's view: the rating, and how the last check ended
    //  (the hub that gave no statement was worked for unchecked: listed
    //  by its endpoint, as it never named itself)
    view = miner_trust_json (trust);
    json_t *hubs = json_object_get (view, "hubs");
    CU_ASSERT_EQUAL_FATAL (json_array_size (hubs), 2);
    json_t *entry = json_array_get (hubs, 1);
    CU_ASSERT_STRING_EQUAL (json_string_value (json_object_get (entry, "hub_id")), "h-unit");
    CU_ASSERT_EQUAL (json_integer_value (json_object_get (entry, "rating")), -200);
    CU_ASSERT_EQUAL (json_integer_value (json_object_get (entry, "paid")), 1);
    CU_ASSERT_EQUAL (json_integer_value (json_object_get (entry, "bad")), 2);
    CU_ASSERT_TRUE (json_is_false (json_object_get (entry, "trusted")));
    CU_ASSERT_TRUE (json_is_true (json_object_get (entry, "current")));
    check = json_object_get (entry, "last_check");
    CU_ASSERT_STRING_EQUAL (json_string_value (json_object_get (check, "result")), "accepted");
    CU_ASSERT_PTR_NOT_NULL (strstr (json_string_value (json_object_get (check, "reason")),
                                    "hub h-unit checked"));
    CU_ASSERT_EQUAL (json_integer_value (json_object_get (check, "accepted")), 1);
    CU_ASSERT_EQUAL (json_integer_value (json_object_get (view, "trust_level")), 2);
    json_decref (view);
    //  An answer to a result we never sent changes nothing
    miner_trust_result_ok (trust, 99, "");
    CU_ASSERT_EQUAL (miner_trust_rating (trust, "h-unit", &rating), 0);
    CU_ASSERT_EQUAL (rating.unpaid, 1);
    miner_trust_destroy (&trust);

    //  Kept on disk: the rating and the good receipt
    char path [700];
    snprintf (path, sizeof path, "%s/hubs/h-unit.json", dir);
    CU_ASSERT_TRUE (zsys_file_exists (path));
    CU_ASSERT_EQUAL (ts_run (NULL, "grep -q '\"rating\": -200' %s", path), 0);
    CU_ASSERT_EQUAL (ts_run (NULL, "test $(wc -l < %s/hubs/h-unit.receipts) = 1", dir), 0);

    //  A hub with another ledger key under that id starts again; three
    //  paid tasks rate it above trust_level 2: the next connection skips
    //  the wallet check
    trust = miner_trust_new (config, dir, "m-unit", err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (trust);
    CU_ASSERT_EQUAL (miner_trust_rating (trust, "h-unit", &rating), 0);
    CU_ASSERT_EQUAL (rating.bad, 2);
    CU_ASSERT_EQUAL (s_check (trust, curve, &other, "registered", 0, why), MINER_TRUST_ACCEPT);
    CU_ASSERT_EQUAL (miner_trust_rating (trust, "h-unit", &rating), 0);
    CU_ASSERT_EQUAL (rating.bad, 0);
    CU_ASSERT_EQUAL (miner_trust_begin (trust, "tcp://127.0.0.1:1", curve, why, sizeof why),
                     MINER_TRUST_ASK);
    CU_ASSERT_EQUAL (s_check (trust, curve, &key, "registered", 0, why), MINER_TRUST_ACCEPT);
    for (int index = 0; index < 3; index++) {
        char task [16];
        snprintf (task, sizeof task, "t-%d", 20 + index);
        s_result (trust, 20 + index, task, true, &key, "m-unit");
    }
    CU_ASSERT_EQUAL (miner_trust_rating (trust, "h-unit", &rating), 0);
    CU_ASSERT_EQUAL (miner_trust_score (&rating), 3);
    CU_ASSERT_EQUAL (miner_trust_begin (trust, "tcp://127.0.0.1:1", curve, why, sizeof why),
                     MINER_TRUST_ACCEPT);
    //  Another key is another hub: checked in full
    zcert_t *stranger = zcert_new ();
    CU_ASSERT_EQUAL (miner_trust_begin (trust, "tcp://127.0.0.1:1", zcert_public_txt (stranger),
                                        why, sizeof why), MINER_TRUST_ASK);
    zcert_destroy (&stranger);
    miner_trust_destroy (&trust);
    fg_config_destroy (&config);
    zcert_destroy (&cert);
    ts_tmpdir_remove (&dir);
}

//  --------------------------------------------------------------------------
//  Real processes

typedef struct {
    char *dir;                  //  temp dir: logs, data, keys
    int locator_port;
    char locator [64];          //  "tcp://127.0.0.1:N"
    char bind [64];
    char loc_data [600];
    char locator_keys [600];    //  key files
    char admin_keys [600];
    char buyer_keys [600];
    char hub_keys [600];
    char admin_public [FG_SIGNKEY_HEX];     //  the DAO's signing key
    char ledger_key [65];       //  the hub's, from fogrid admin wallet
    char locator_key_opt [700];
    ts_proc_t *locator_proc;
    ts_proc_t *hub;
    ts_proc_t *miners [2];
} s_grid_t;

static s_grid_t grid;

#define S_HUB   "h-registry"

static ts_proc_t *
s_start_locator (void)
{
    char keys [700], admin [128];
    snprintf (keys, sizeof keys, "security/keys=%s", grid.locator_keys);
    //  The DAO's signing key as text (test_registry_sync lists its file)
    snprintf (admin, sizeof admin, "locator/admin_keys=%s", grid.admin_public);
    return ts_proc_start (grid.dir, "locator", "fogrid-locator", "--bind", grid.bind,
                          "--dns", "", "--http", "", "--data", grid.loc_data,
                          "-o", "locator/ttl_ms=2000", "-o", keys, "-o", admin, NULL);
}

//  The fogrid CLI with the given key pair; returns its exit status.
static int
s_fogrid (char **output, const char *keys, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *command = zsys_vprintf (format, args);
    va_end (args);
    int rc = ts_run (output, "%s -l %s -K %s -k %s %s", ts_bin ("fogrid"), grid.locator,
                     grid.locator_keys, keys, command);
    zstr_free (&command);
    return rc;
}

static ts_proc_t *
s_start_miner (int index, const char *name, const char *option)
{
    char id [64], data [700];
    snprintf (id, sizeof id, "miner/id=%s", name);
    snprintf (data, sizeof data, "%s/%s", grid.dir, name);
    return grid.miners [index] = ts_proc_start (grid.dir, name, "fogrid-miner", "--locator",
        grid.locator, "--name", name, "--data", data, "--cores", "1", "-o", id,
        "-o", grid.locator_key_opt, "-o", "miner/heartbeat_ms=200", "-o", "miner/recheck_s=1",
        "-o", "locator/timeout_ms=500", "-o", option, NULL);
}

typedef struct {
    ts_proc_t *proc;
    const char *text;
} s_log_wait_t;

static bool
s_log_has_cond (void *arg)
{
    s_log_wait_t *wait = (s_log_wait_t *) arg;
    return ts_run (NULL, "grep -qF -- \"%s\" %s", wait->text, wait->proc->log) == 0;
}

//  Waits until the daemon's log says text.
static bool
s_log_has (ts_proc_t *proc, const char *text, int timeout_ms)
{
    s_log_wait_t wait = { proc, text };
    bool found = ts_wait_for (s_log_has_cond, &wait, timeout_ms);
    if (!found) {
        fprintf (stderr, "\nnot in %s's log: %s\n", proc->name, text);
        ts_proc_dump_log (proc);
    }
    return found;
}

//  True when the hub lists the miner named arg as connected.
static bool
s_connected_cond (void *arg)
{
    char *output = NULL;
    bool connected = false;
    if (s_fogrid (&output, grid.buyer_keys, "miners") == 0) {
        char *line = strstr (output, (const char *) arg);
        if (line) {
            line [strcspn (line, "\n")] = 0;
            connected = strstr (line, " connected ") != NULL;
        }
    }
    free (output);
    return connected;
}

static int
s_grid_up (void)
{
    memset (&grid, 0, sizeof grid);
    grid.dir = ts_tmpdir_new ("registry");
    grid.locator_port = ts_free_port ();
    snprintf (grid.locator, sizeof grid.locator, "tcp://127.0.0.1:%d", grid.locator_port);
    snprintf (grid.bind, sizeof grid.bind, "tcp://127.0.0.1:%d", grid.locator_port);
    snprintf (grid.loc_data, sizeof grid.loc_data, "%s/locator", grid.dir);
    snprintf (grid.locator_keys, sizeof grid.locator_keys, "%s/locator.key", grid.dir);
    snprintf (grid.admin_keys, sizeof grid.admin_keys, "%s/dao.key", grid.dir);
    snprintf (grid.buyer_keys, sizeof grid.buyer_keys, "%s/alice.key", grid.dir);
    snprintf (grid.hub_keys, sizeof grid.hub_keys, "%s/hub.key", grid.dir);
    snprintf (grid.locator_key_opt, sizeof grid.locator_key_opt, "security/locator_key=%s",
              grid.locator_keys);
    if (ts_run (NULL, "for k in %s %s %s %s; do %s keygen $k >/dev/null 2>&1 || exit 1; done",
                grid.locator_keys, grid.admin_keys, grid.buyer_keys, grid.hub_keys,
                ts_bin ("fogrid")) != 0)
        return -1;
    char sign_path [700];
    fg_signkey_path (grid.admin_keys, sign_path, sizeof sign_path);
    if (fg_signkey_read_public (sign_path, grid.admin_public))
        return -1;
    grid.locator_proc = s_start_locator ();
    char buyers [64], miners [64], data [600], keys [700];
    snprintf (buyers, sizeof buyers, "tcp://127.0.0.1:%d", ts_free_port ());
    snprintf (miners, sizeof miners, "tcp://127.0.0.1:%d", ts_free_port ());
    snprintf (data, sizeof data, "%s/hub", grid.dir);
    snprintf (keys, sizeof keys, "security/keys=%s", grid.hub_keys);
    grid.hub = ts_proc_start (grid.dir, "hub", "fogrid-hub", "--buyers", buyers,
                              "--miners", miners, "--locator", grid.locator, "--data", data,
                              "-o", "hub/id=" S_HUB, "-o", "hub/heartbeat_ms=200",
                              "-o", "hub/disconnect_ms=600", "-o", "hub/dead_ms=1200",
                              "-o", "locator/ttl_ms=2000", "-o", "hub/open_deposits=1",
                              "-o", "hub/wallet_stake=500", "-o", grid.locator_key_opt,
                              "-o", keys, NULL);
    return 0;
}

static int
s_grid_down (void)
{
    for (int index = 0; index < 2; index++)
        ts_proc_kill (&grid.miners [index]);
    ts_proc_kill (&grid.hub);
    ts_proc_kill (&grid.locator_proc);
    ts_tmpdir_remove (&grid.dir);
    return 0;
}

static bool
s_hub_up_cond (void *arg)
{
    (void) arg;
    char *output = NULL;
    bool up = s_fogrid (&output, grid.buyer_keys, "admin wallet") == 0;
    if (up) {
        const char *at = strstr (output, "ledger    signed by ");
        if (at)
            snprintf (grid.ledger_key, sizeof grid.ledger_key, "%.64s",
                      at + strlen ("ledger    signed by "));
    }
    free (output);
    return up && strlen (grid.ledger_key) == 64;
}

static void
test_admin (void)
{
    CU_ASSERT_FATAL (ts_wait_for (s_hub_up_cond, NULL, 10000));
    char *output = NULL;
    //  Anyone lists it; only the DAO changes it
    CU_ASSERT_EQUAL (s_fogrid (&output, grid.buyer_keys, "registry"), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "(no hub)"));
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, grid.buyer_keys, "admin registry add h-other"), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "only the DAO"));
    free (output);
    //  A key pair from before signing keys: the command line says what to do
    char old_keys [700];
    snprintf (old_keys, sizeof old_keys, "%s/old.key", grid.dir);
    zcert_t *old = zcert_new ();
    CU_ASSERT_EQUAL (zcert_save (old, old_keys), 0);
    zcert_destroy (&old);
    CU_ASSERT_EQUAL (s_fogrid (&output, old_keys, "admin registry add h-other"), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "fogrid keygen"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "old.sign"));
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, grid.admin_keys, "admin registry add h-other --stake 70 "
                               "--reason 'seen'"), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "h-other registered"));
    if (!strstr (output, "h-other registered"))
        fprintf (stderr, "admin registry add: %s\n", output);
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, grid.admin_keys, "admin registry suspect h-other"), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "reason is required"));
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, grid.admin_keys, "admin registry blacklist h-other "
                               "--reason 'paid itself'"), 0);
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, grid.admin_keys, "admin registry frobnicate h-other"), 2);
    free (output);

    //  The registry outlives the locator
    CU_ASSERT_EQUAL (ts_proc_stop (&grid.locator_proc, 3000), 0);
    grid.locator_proc = s_start_locator ();
    zclock_sleep (300);
    CU_ASSERT_EQUAL (s_fogrid (&output, grid.buyer_keys, "registry"), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "h-other"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "blacklisted"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "paid itself"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, grid.admin_public));
    if (!strstr (output, "blacklisted"))
        fprintf (stderr, "%s", output);
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, grid.buyer_keys, "registry --hub " S_HUB), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "(no hub " S_HUB ")"));
    free (output);
}

//  The port of the miner's HTTP API, from its log (the tests let it take
//  a free one); 0 when it did not say.
static int
s_miner_http_port (ts_proc_t *miner)
{
    char *output = NULL;
    int port = 0;
    if (ts_run (&output, "sed -n 's/.*probes and metrics on .*(port \\([0-9]*\\)).*/\\1/p' %s",
                miner->log) == 0)
        port = atoi (output);
    free (output);
    return port;
}

//  The row of `fogrid ratings` for hub (its first column), when its other
//  columns, word by word, begin as columns says ("?" matches any word).
static const char *
s_ratings_row (const char *output, const char *hub, const char *columns)
{
    for (const char *line = output; line && *line; line = strchr (line, '\n')? strchr (line, '\n') + 1: NULL) {
        char row [600], shown [600], want [600];
        snprintf (row, sizeof row, "%.*s", (int) strcspn (line, "\n"), line);
        if (strncmp (row, hub, strlen (hub)) || row [strlen (hub)] != ' ')
            continue;
        snprintf (shown, sizeof shown, "%s", row);
        snprintf (want, sizeof want, "%s", columns);
        char *save_want = NULL, *save_got = NULL;
        char *got = strtok_r (row + strlen (hub), " ", &save_got);
        bool same = true;
        for (char *word = strtok_r (want, " ", &save_want); word && same;
             word = strtok_r (NULL, " ", &save_want)) {
            same = got && (streq (word, "?") || streq (word, got));
            got = strtok_r (NULL, " ", &save_got);
        }
        if (!same)
            fprintf (stderr, "\nratings row: '%s', not '%s %s...'\n", shown, hub, columns);
        return same? line: NULL;
    }
    fprintf (stderr, "\nno ratings row of %s in:\n%s\n", hub, output);
    return NULL;
}

static void
test_miner_requires_registry (void)
{
    //  Not in the registry: refused, the hub never sees it
    ts_proc_t *miner = s_start_miner (0, "m-reg", "miner/require_registry=1");
    CU_ASSERT_FATAL (s_log_has (miner, "hub " S_HUB " is not in the hub registry", 10000));
    CU_ASSERT_FALSE (s_connected_cond ("m-reg"));

    //  Registered by the DAO, with its keys: the miner works for it, is
    //  paid, keeps the receipt and rates the hub
    char *output = NULL;
    CU_ASSERT_EQUAL (s_fogrid (&output, grid.admin_keys, "admin registry add " S_HUB
                               " --hub-key %s --ledger-key %s --stake 500", grid.hub_keys,
                               grid.ledger_key), 0);
    free (output);
    CU_ASSERT_FATAL (ts_wait_for (s_connected_cond, "m-reg", 10000));
    CU_ASSERT_TRUE (s_log_has (miner, "registered in the hub registry, ledger key as registered",
                               1000));
    CU_ASSERT_EQUAL (s_fogrid (&output, grid.buyer_keys, "deposit 10"), 0);
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, grid.buyer_keys, "submit --wait -- true"), 0);
    free (output);
    CU_ASSERT_TRUE (s_log_has (miner, "receipt kept (rating 1)", 5000));
    //  The operator sees it: fogrid ratings, from the miner's HTTP API
    int http = s_miner_http_port (miner);
    CU_ASSERT (http > 0);
    CU_ASSERT_EQUAL (ts_run (&output, "%s ratings --miner 127.0.0.1:%d", ts_bin ("fogrid"), http), 0);
    CU_ASSERT_PTR_NOT_NULL (s_ratings_row (output, S_HUB " *", "1 1 0 0 ? no accepted"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "registered in the hub registry, ledger key as "
                                            "registered"));
    free (output);
    char path [700];
    snprintf (path, sizeof path, "%s/m-reg/hubs/" S_HUB ".json", grid.dir);
    //  (ratings are written at most once a second: within two)
    CU_ASSERT_EQUAL (ts_run (NULL, "for i in $(seq 40); do grep -q '\"paid\": 1' %s && exit 0; "
                             "sleep 0.05; done; exit 1", path), 0);
    CU_ASSERT_EQUAL (ts_run (NULL, "grep -q '\"rating\": 1' %s", path), 0);
    CU_ASSERT_EQUAL (ts_run (NULL, "grep -q '\"task_id\"' %s/m-reg/hubs/" S_HUB ".receipts",
                             grid.dir), 0);

    //  Suspected by the DAO: the miner leaves it at its next check
    CU_ASSERT_EQUAL (s_fogrid (&output, grid.admin_keys, "admin registry suspect " S_HUB
                               " --reason 'late payouts'"), 0);
    free (output);
    CU_ASSERT_TRUE (s_log_has (miner, "hub " S_HUB " is suspected in the hub registry: "
                               "late payouts", 10000));
    CU_ASSERT_TRUE (s_log_has (miner, "ready -> no-hub", 1000));
    //  The refusal and its reason, next to the rating the hub keeps
    CU_ASSERT_EQUAL (ts_run (&output, "%s ratings --miner http://127.0.0.1:%d/ --json",
                             ts_bin ("fogrid"), http), 0);
    json_t *root = json_loads (output, 0, NULL);
    free (output);
    json_t *hub = json_array_get (json_object_get (root, "hubs"), 0);
    CU_ASSERT_STRING_EQUAL (json_string_value (json_object_get (hub, "hub_id")), S_HUB);
    CU_ASSERT_EQUAL (json_integer_value (json_object_get (hub, "rating")), 1);
    CU_ASSERT (json_integer_value (json_object_get (hub, "earned")) > 0);
    json_t *check = json_object_get (hub, "last_check");
    CU_ASSERT_STRING_EQUAL (json_string_value (json_object_get (check, "result")), "refused");
    CU_ASSERT_PTR_NOT_NULL (strstr (json_string_value (json_object_get (check, "reason")),
                                    "is suspected in the hub registry: late payouts"));
    CU_ASSERT (json_integer_value (json_object_get (check, "accepted")) >= 1);
    json_decref (root);
    CU_ASSERT_EQUAL (ts_run (&output, "%s ratings --miner 127.0.0.1:%d", ts_bin ("fogrid"), http), 0);
    CU_ASSERT_PTR_NOT_NULL (s_ratings_row (output, S_HUB " *", "1 1 0 0 ? no refused"));
    free (output);

    //  Cleared, but the registry names another ledger key: the hub's
    //  statement is not signed by it (as a forger's would not be)
    char forged [65];
    memset (forged, 'b', 64);
    forged [64] = 0;
    CU_ASSERT_EQUAL (s_fogrid (&output, grid.admin_keys, "admin registry clear " S_HUB
                               " --ledger-key %s", forged), 0);
    free (output);
    CU_ASSERT_TRUE (s_log_has (miner, "not by the hub's key bbbbbbbbbbbbbbbb", 10000));
    CU_ASSERT_FALSE (s_connected_cond ("m-reg"));

    //  The right key again: back to work
    CU_ASSERT_EQUAL (s_fogrid (&output, grid.admin_keys, "admin registry clear " S_HUB
                               " --ledger-key %s", grid.ledger_key), 0);
    free (output);
    CU_ASSERT_TRUE (ts_wait_for (s_connected_cond, "m-reg", 10000));
    CU_ASSERT_EQUAL (ts_proc_stop (&grid.miners [0], 3000), 0);
}

static void
test_miner_min_stake (void)
{
    //  The hub's stake is 500: a miner that wants 1000 refuses it
    ts_proc_t *miner = s_start_miner (1, "m-rich", "miner/min_stake=1000");
    CU_ASSERT_TRUE (s_log_has (miner, "frozen stake of 500 is below miner/min_stake (1000)", 10000));
    CU_ASSERT_FALSE (s_connected_cond ("m-rich"));
    //  Every daemon stops on SIGTERM by itself, with status 0
    ts_proc_t **procs [3] = { &grid.miners [1], &grid.hub, &grid.locator_proc };
    const char *names [3] = { "m-rich", "hub", "locator" };
    for (int index = 0; index < 3; index++) {
        int status = ts_proc_stop (procs [index], 3000);
        CU_ASSERT_EQUAL (status, 0);
        if (status != 0)
            ts_run (NULL, "tail -40 %s/%s.log >&2", grid.dir, names [index]);
    }
}

void
test_registry_add (void)
{
    CU_pSuite units = CU_add_suite ("registry", NULL, NULL);
    CU_add_test (units, "signing keys: files, signatures, keygen", test_sign_key);
    CU_add_test (units, "the worked examples of signed records", test_worked_example);
    CU_add_test (units, "signed records; records from before signing keys", test_signed_records);
    CU_add_test (units, "the keys a locator takes records from", test_admin_keys);
    CU_add_test (units, "the registry table: the DAO's signature, checks, its log, kept on disk",
                 test_table);
    CU_add_test (units, "records merge the same in any order, once, over an old registry",
                 test_merge);
    CU_add_test (units, "a full disk: changes refused saying why, nothing half-written",
                 test_full_disk);
    CU_add_test (units, "wallet statements: signed, changed, another key", test_statement);
    CU_add_test (units, "the miner's checks and its rating of hubs from receipts", test_trust);
    CU_pSuite live = CU_add_suite ("registry (real daemons)", s_grid_up, s_grid_down);
    CU_add_test (live, "fogrid registry and admin registry; kept across a locator restart",
                 test_admin);
    CU_add_test (live, "require_registry: refused, registered and paid, suspected, wrong ledger key",
                 test_miner_requires_registry);
    CU_add_test (live, "min_stake: a hub with too small a stake is refused", test_miner_min_stake);
}
