/*  =========================================================================
    fg_hub_record - one signed change of the hub registry

    DESIGN
    As for receipts (fg_receipt.c), the signature covers a canonical text,
    one field a line, strings length-prefixed, under a first line that
    names the document, so that a registry record's signature can pass for
    nothing else a key signs; the exact bytes are in fg_hub_record.h. The
    signer is in the text, so a signature holds for the key it names and
    no other. The id hashes the text and not the signature, so that a
    change signed twice is applied once.
    =========================================================================  */
#include "fogrid.h"
#include "fg_hub_record.h"
#include <sodium.h>

#define S_TAG   "fogrid-registry/1"

static const char *
s_str (const char *text)
{
    return text? text: "";
}

char *
fg_hub_record_text (const Fogrid__RegistrySet *record)
{
    const char *hub_id = s_str (record->hub_id), *status = s_str (record->status),
               *hub_key = s_str (record->hub_key), *ledger_key = s_str (record->ledger_key),
               *reason = s_str (record->reason), *signer = s_str (record->signer);
    return zsys_sprintf (S_TAG "\n%zu:%s\n%zu:%s\n%zu:%s\n%zu:%s\n%" PRId64 "\n%zu:%s\n%" PRIu64
                         "\n%zu:%s\n",
                         strlen (hub_id), hub_id, strlen (status), status,
                         strlen (hub_key), hub_key, strlen (ledger_key), ledger_key,
                         record->stake, strlen (reason), reason, record->at_ms,
                         strlen (signer), signer);
}

void
fg_hub_record_id (const Fogrid__RegistrySet *record, char *id)
{
    char *text = fg_hub_record_text (record);
    byte hash [crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (hash, (const byte *) text, strlen (text));
    sodium_bin2hex (id, 65, hash, sizeof hash);
    zstr_free (&text);
}

void
fg_hub_record_sign (Fogrid__RegistrySet *record, fg_signkey_t *key, fg_hub_seal_t *seal)
{
    memset (seal, 0, sizeof *seal);
    snprintf (seal->signer, sizeof seal->signer, "%s", fg_signkey_public_txt (key));
    record->signer = seal->signer;
    record->sign_key = "";
    char *text = fg_hub_record_text (record);
    fg_signkey_sign (key, text, strlen (text), seal->signature);
    zstr_free (&text);
    record->signature = seal->signature;
}

bool
fg_hub_record_signed (const Fogrid__RegistrySet *record)
{
    return *s_str (record->signer) != 0;
}

bool
fg_hub_record_legacy (const Fogrid__RegistrySet *record)
{
    return fg_curve_key_valid (record->signer);
}

//  Decodes exactly size bytes of hex. Returns 0 or -1.
static int
s_hex (const char *hex, byte *bytes, size_t size)
{
    size_t length = 0;
    return hex && strlen (hex) == 2 * size
        && sodium_hex2bin (bytes, size, hex, 2 * size, NULL, &length, NULL) == 0
        && length == size? 0: -1;
}

//  COMPATIBILITY, read only: a record signed before signing keys existed.
//  Its signer was the DAO's CurveZMQ key and its signature XEdDSA's, which
//  is plain Ed25519 under sign_key, the Edwards form of that X25519 key
//  with its sign bit clear (one key, one sign_key). Checking needs no more
//  than libsodium's own Ed25519 check and key conversion; nothing makes
//  such a record any more (fg_hub_record.h says why they are still read).
static int
s_legacy_verify (const Fogrid__RegistrySet *record, const char *text)
{
    byte curve [32], sign_key [crypto_sign_PUBLICKEYBYTES], signature [crypto_sign_BYTES],
         mapped [32];
    if (!zmq_z85_decode (curve, record->signer)
    ||  s_hex (record->sign_key, sign_key, sizeof sign_key)
    ||  s_hex (record->signature, signature, sizeof signature)
    ||  (sign_key [31] & 0x80)
    ||  crypto_sign_ed25519_pk_to_curve25519 (mapped, sign_key)
    ||  sodium_memcmp (mapped, curve, sizeof curve))
        return -1;
    return crypto_sign_verify_detached (signature, (const byte *) text, strlen (text), sign_key)
           ? -1: 0;
}

int
fg_hub_record_verify (const Fogrid__RegistrySet *record, char *why, size_t why_size)
{
    const char *signer = s_str (record->signer);
    bool legacy = fg_hub_record_legacy (record);
    if (!*signer) {
        snprintf (why, why_size, "the change is not signed");
        return -1;
    }
    if (!legacy && !fg_signkey_valid (signer)) {
        snprintf (why, why_size, "its signer is not a signing key (64 lowercase hex digits)");
        return -1;
    }
    if (!legacy && *s_str (record->sign_key)) {
        snprintf (why, why_size, "it carries a sign_key beside its signer (only records signed "
                  "with CurveZMQ keys did)");
        return -1;
    }
    char *text = fg_hub_record_text (record);
    int rc = legacy? s_legacy_verify (record, text)
                   : fg_signkey_verify (signer, text, strlen (text), s_str (record->signature));
    zstr_free (&text);
    if (rc)
        snprintf (why, why_size, "bad signature: not %.12s...'s, or changed after signing",
                  signer);
    return rc;
}
