/*  =========================================================================
    fg_xsign - Ed25519 signatures made with a CurveZMQ (X25519) key pair

    Whoever holds a fogrid key pair can sign with it, and anyone who knows
    its public key (as locator/admin_keys lists the DAO's) can check the
    signature, with no second key to hand out: the XEdDSA construction
    (Signal's, as in its specification) turns the X25519 secret into an
    Ed25519 signing scalar whose public point maps back to the X25519
    public key. The signature is plain Ed25519 over that point (sign_key);
    a checker verifies it with libsodium and checks that sign_key is the
    Ed25519 form of the CurveZMQ key it expects.
    =========================================================================  */
#ifndef FG_XSIGN_H_INCLUDED
#define FG_XSIGN_H_INCLUDED

#define FG_XSIGN_BYTES      64      //  a signature
#define FG_XSIGN_KEY_BYTES  32      //  the Ed25519 form of the public key

//  Signs size bytes at data with the X25519 secret key (32 bytes, as
//  zcert_secret_key gives it). signature gets FG_XSIGN_BYTES, sign_key
//  FG_XSIGN_KEY_BYTES (NULL = not wanted). Returns 0, or -1 for a
//  secret that is no key (all zero).
int fg_xsign (const byte *secret, const void *data, size_t size, byte *signature, byte *sign_key);

//  0 when signature is sign_key's over data and sign_key is the Ed25519
//  form of the X25519 public key curve_public (32 bytes); -1 otherwise.
int fg_xsign_verify (const byte *curve_public, const byte *sign_key, const void *data,
                     size_t size, const byte *signature);

#endif
