/*  =========================================================================
    fg_hub_record - one signed change of the hub registry

    The DAO's command line signs each change it makes (a RegistrySet: a
    hub's status, keys, stake, reason, the signer's clock) with its own
    CurveZMQ key pair (fg_xsign.h); every locator checks the signature
    against locator/admin_keys whether the change came from the command
    line or from a peer locator, so a locator passes on what the DAO
    signed and nothing else. The locator side is locator/loc_hubs.h.
    =========================================================================  */
#ifndef FG_HUB_RECORD_H_INCLUDED
#define FG_HUB_RECORD_H_INCLUDED

//  Where a signed record's strings live (the record points into it).
typedef struct {
    char signer [41];           //  Z85 CurveZMQ public key
    char sign_key [65];         //  its Ed25519 form, hex
    char signature [129];       //  hex
} fg_hub_seal_t;

//  The text that is signed (caller frees): "fogrid-registry/1", then the
//  hub id, status, hub key, ledger key, stake, reason, at_ms and signer,
//  one a line, strings length-prefixed.
char *fg_hub_record_text (const Fogrid__RegistrySet *record);

//  The record's id: SHA-256 of its text, hex, into id (65 bytes). Two
//  signatures of one change are one record.
void fg_hub_record_id (const Fogrid__RegistrySet *record, char *id);

//  Signs the record with cert's key pair: signer, sign_key and signature
//  are set, pointing into seal. Returns 0, or -1 when cert has no secret.
int fg_hub_record_sign (Fogrid__RegistrySet *record, zcert_t *cert, fg_hub_seal_t *seal);

//  True when the record carries a signer.
bool fg_hub_record_signed (const Fogrid__RegistrySet *record);

//  Checks the signature against the record's signer. Returns 0, or -1
//  with why (unsigned, malformed, or a bad signature: changed after
//  signing, or signed by another key).
int fg_hub_record_verify (const Fogrid__RegistrySet *record, char *why, size_t why_size);

#endif
