/*  =========================================================================
    fg_signkey - an Ed25519 signing key pair, kept beside a CurveZMQ one

    CurveZMQ keys (fg_curve.h) secure the wire; what a key must sign so
    that others can check it later (hub registry records:
    fg_hub_record.h) is signed with a separate, plain Ed25519 key pair,
    libsodium's crypto_sign. `fogrid keygen NAME.key` makes both pairs in
    one directory:

        NAME.key            CurveZMQ public key (zcert)        0644
        NAME.key_secret     CurveZMQ secret key                0600
        NAME.sign           signing public key                 0644
        NAME.sign_secret    signing key (its seed)             0600

    NAME.sign holds `public-key = "64 hex digits"`, NAME.sign_secret the
    same line and `seed = "64 hex digits"` (the hub's ledger key file,
    DATA_DIR/keys/hub.sign, holds its seed the same way). A key file
    whose name does not end in .key gets .sign appended.
    =========================================================================  */
#ifndef FG_SIGNKEY_H_INCLUDED
#define FG_SIGNKEY_H_INCLUDED

#define FG_SIGNKEY_HEX      65      //  a public key in hex, with its NUL
#define FG_SIGNKEY_SIG_HEX  129     //  a signature in hex, with its NUL

typedef struct _fg_signkey_t fg_signkey_t;

//  The signing key's public file that goes with the CurveZMQ key file
//  curve_path: NAME.key -> NAME.sign.
void fg_signkey_path (const char *curve_path, char *path, size_t size);

//  Loads the pair at path (the public file; the secret is path +
//  "_secret"), making both when the secret is missing and create is
//  true. NULL with the reason in err.
fg_signkey_t *fg_signkey_load (const char *path, bool create, char *err, size_t err_size);

//  The pair of a 32-byte seed (fixed keys for tests and examples).
fg_signkey_t *fg_signkey_new_from_seed (const byte *seed);

void fg_signkey_destroy (fg_signkey_t **self_p);

//  The public key: 64 lowercase hex digits.
const char *fg_signkey_public_txt (fg_signkey_t *self);

//  Signs size bytes at data (Ed25519, crypto_sign_detached) into
//  signature: 128 lowercase hex digits (FG_SIGNKEY_SIG_HEX bytes).
void fg_signkey_sign (fg_signkey_t *self, const void *data, size_t size, char *signature);

//  0 when signature (128 hex digits) is public_key's (64 hex digits)
//  over data; -1 otherwise, malformed hex too.
int fg_signkey_verify (const char *public_key, const void *data, size_t size,
                       const char *signature);

//  True when text is 64 lowercase hex digits (how a public key is
//  written, and compared).
bool fg_signkey_valid (const char *text);

//  Reads a public key given as 64 hex digits (either case) or as a file
//  holding `public-key = "..."` (NAME.sign, or its _secret) into key
//  (FG_SIGNKEY_HEX bytes, lowercase). Returns 0 or -1.
int fg_signkey_read_public (const char *text_or_path, char *key);

#endif
