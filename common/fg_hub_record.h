/*  =========================================================================
    fg_hub_record - one signed change of the hub registry

    The DAO's command line signs each change it makes (a RegistrySet: a
    hub's status, keys, stake, reason, the signer's clock) with its
    Ed25519 signing key (fg_signkey.h: `fogrid keygen` makes it beside the
    CurveZMQ key pair, NAME.sign and NAME.sign_secret); every locator
    checks the signature, and that the signing key is in its
    locator/admin_keys, whether the change came from the command line or
    from a peer locator, so a locator passes on what the DAO signed and
    nothing else. The locator side is locator/loc_hubs.h.

    DESIGN
    The signed text (fg_hub_record_text), byte for byte. Nine lines, each
    ended by one LF (0x0A), no CR, no BOM, nothing after the last LF:

        fogrid-registry/1
        LEN:HUB_ID
        LEN:STATUS
        LEN:HUB_KEY
        LEN:LEDGER_KEY
        STAKE
        LEN:REASON
        AT_MS
        LEN:SIGNER

    - the first line is the 17 ASCII bytes `fogrid-registry/1`: no other
      document a key signs starts so, so a registry signature passes for
      nothing else;
    - a string field is LEN, its length in bytes as a decimal number (no
      sign, no leading zeros; 0 for an empty field), a colon, then the
      field's bytes as the RegistrySet carries them (UTF-8, no escaping,
      no trimming): an absent field is the empty string, "0:";
    - HUB_ID is the hub's id; STATUS one of `registered`, `suspected`,
      `blacklisted`; HUB_KEY the hub's CurveZMQ public key (40 Z85
      characters) or empty (keep the registry's); LEDGER_KEY its ledger's
      Ed25519 public key (64 hex digits) or empty; REASON the reason text;
    - STAKE is the int64 stake in decimal, `-` before a negative one (-1:
      keep the registry's), no leading zeros; AT_MS the uint64 time of the
      change (signer's clock, ms since 1970) in decimal;
    - SIGNER is the signer's Ed25519 public key, 64 lowercase hex digits
      (the `fogrid keygen` NAME.sign file's public-key), or empty for an
      unsigned change (a locator with admin_keys `*` only).

    The signature is pure Ed25519 (RFC 8032; libsodium's
    crypto_sign_detached) over exactly those bytes, with the secret key
    whose public key is SIGNER, and travels as RegistrySet.signature,
    written in 128 lowercase hex digits (read in either case: it is not in
    the text). RegistrySet.sign_key is empty: the key is the signer. The
    record's id (fg_hub_record_id) is SHA-256 of the same text, 64
    lowercase hex digits: the signature is not hashed, so a change signed
    twice is still one record. tests/test_registry.c (s_examples,
    test_worked_example) signs two fixed records with the key of seed
    00 01 02 .. 1f and checks each text, id and signature against the
    values quoted there, which another Ed25519 library gives too.

    Records made before the signing key existed carry the DAO's CurveZMQ
    key (40 Z85 characters) as SIGNER, the same text, and an XEdDSA
    signature checked under sign_key, the Ed25519 form of that key. Their
    ids must stay what they were, and locators keep them in their logs
    for ever and hand them to every peer that pulls (loc_peers.h), which
    checks each one again: a locator installed after the change must
    still take them, or it would never learn of the hubs they made. So
    fg_hub_record_verify still checks them (read only: nothing here makes
    one, and loc_hubs takes them from peers, not from the command line,
    and only while locator/admin_keys lists that CurveZMQ key); see
    s_legacy_verify in fg_hub_record.c.
    =========================================================================  */
#ifndef FG_HUB_RECORD_H_INCLUDED
#define FG_HUB_RECORD_H_INCLUDED

#include "fg_signkey.h"

//  Where a signed record's strings live (the record points into it).
typedef struct {
    char signer [FG_SIGNKEY_HEX];           //  the signing key, hex
    char signature [FG_SIGNKEY_SIG_HEX];    //  hex
} fg_hub_seal_t;

//  The text that is signed (caller frees), as DESIGN above says.
char *fg_hub_record_text (const Fogrid__RegistrySet *record);

//  The record's id: SHA-256 of its text, hex, into id (65 bytes). Two
//  signatures of one change are one record.
void fg_hub_record_id (const Fogrid__RegistrySet *record, char *id);

//  Signs the record with key: signer (its public key) and signature are
//  set, pointing into seal, and sign_key is emptied.
void fg_hub_record_sign (Fogrid__RegistrySet *record, fg_signkey_t *key, fg_hub_seal_t *seal);

//  True when the record carries a signer.
bool fg_hub_record_signed (const Fogrid__RegistrySet *record);

//  True when the record was signed before signing keys existed: its
//  signer is a CurveZMQ key (XEdDSA, read only).
bool fg_hub_record_legacy (const Fogrid__RegistrySet *record);

//  Checks the signature against the record's signer (its key: checking
//  that the signer is one the reader takes is the reader's part). Returns
//  0, or -1 with why (unsigned, malformed, or a bad signature: changed
//  after signing, or signed by another key).
int fg_hub_record_verify (const Fogrid__RegistrySet *record, char *why, size_t why_size);

#endif
