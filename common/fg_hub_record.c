/*  =========================================================================
    fg_hub_record - one signed change of the hub registry

    DESIGN
    As for receipts (fg_receipt.c), the signature covers a canonical text,
    one field a line, strings length-prefixed, under a first line that
    names the document, so that a registry record's signature can pass for
    nothing else a key signs. The id hashes that text and not the
    signature: XEdDSA signatures are randomised, and a change signed twice
    must still be applied once.
    =========================================================================  */
#include "fogrid.h"
#include "fg_hub_record.h"
#include "fg_xsign.h"
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

int
fg_hub_record_sign (Fogrid__RegistrySet *record, zcert_t *cert, fg_hub_seal_t *seal)
{
    memset (seal, 0, sizeof *seal);
    if (!cert)
        return -1;
    snprintf (seal->signer, sizeof seal->signer, "%s", zcert_public_txt (cert));
    record->signer = seal->signer;
    char *text = fg_hub_record_text (record);
    byte signature [FG_XSIGN_BYTES], sign_key [FG_XSIGN_KEY_BYTES];
    int rc = fg_xsign (zcert_secret_key (cert), text, strlen (text), signature, sign_key);
    zstr_free (&text);
    if (rc) {
        record->signer = "";
        return -1;
    }
    sodium_bin2hex (seal->sign_key, sizeof seal->sign_key, sign_key, sizeof sign_key);
    sodium_bin2hex (seal->signature, sizeof seal->signature, signature, sizeof signature);
    record->sign_key = seal->sign_key;
    record->signature = seal->signature;
    return 0;
}

bool
fg_hub_record_signed (const Fogrid__RegistrySet *record)
{
    return *s_str (record->signer) != 0;
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

int
fg_hub_record_verify (const Fogrid__RegistrySet *record, char *why, size_t why_size)
{
    byte curve [32], sign_key [FG_XSIGN_KEY_BYTES], signature [FG_XSIGN_BYTES];
    const char *signer = s_str (record->signer);
    if (!*signer) {
        snprintf (why, why_size, "the change is not signed");
        return -1;
    }
    if (strlen (signer) != 40 || !zmq_z85_decode (curve, signer)) {
        snprintf (why, why_size, "its signer is not a CurveZMQ public key");
        return -1;
    }
    if (s_hex (record->sign_key, sign_key, sizeof sign_key)
    ||  s_hex (record->signature, signature, sizeof signature)) {
        snprintf (why, why_size, "its signature or signing key is not hex of the right length");
        return -1;
    }
    char *text = fg_hub_record_text (record);
    int rc = fg_xsign_verify (curve, sign_key, text, strlen (text), signature);
    zstr_free (&text);
    if (rc)
        snprintf (why, why_size, "bad signature: not %.12s...'s, or changed after signing",
                  signer);
    return rc;
}
