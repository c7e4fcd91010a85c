/*  =========================================================================
    fg_xsign - Ed25519 signatures made with a CurveZMQ (X25519) key pair

    DESIGN
    XEdDSA (Signal's specification, "calculate_key_pair" and
    "xeddsa_sign") from libsodium's scalar and point primitives: the
    clamped X25519 secret k gives the Edwards point E = kB, whose
    Montgomery u is the X25519 public key. The signing key is E with its
    sign bit cleared (A), and the scalar a = k or -k to match, so that
    sign_key is a function of the public key alone. The nonce hashes the
    scalar, the message and 64 fresh random bytes (as the specification
    does): a weak random source alone cannot leak the key. Verification is
    libsodium's own Ed25519 check (canonical s, no small-order points),
    plus the mapping of A back to the expected X25519 key.
    =========================================================================  */
#include "fogrid.h"
#include "fg_xsign.h"
#include <sodium.h>

//  The signing scalar a and point A of the X25519 secret. -1 for no key.
static int
s_key_pair (const byte *secret, byte *scalar, byte *point)
{
    byte wide [64] = { 0 };
    memcpy (wide, secret, 32);
    wide [0] &= 248;                //  X25519's clamp: the scalar it really uses
    wide [31] &= 127;
    wide [31] |= 64;
    crypto_core_ed25519_scalar_reduce (scalar, wide);
    sodium_memzero (wide, sizeof wide);
    if (crypto_scalarmult_ed25519_base_noclamp (point, scalar))
        return -1;
    if (point [31] & 0x80) {        //  the sign bit set: use -a, whose point is -A
        crypto_core_ed25519_scalar_negate (scalar, scalar);
        if (crypto_scalarmult_ed25519_base_noclamp (point, scalar))
            return -1;
    }
    return 0;
}

int
fg_xsign (const byte *secret, const void *data, size_t size, byte *signature, byte *sign_key)
{
    if (sodium_init () < 0)
        return -1;
    byte scalar [32], point [32], random [64], hash [64], nonce [32], challenge [32], s [32];
    if (s_key_pair (secret, scalar, point)) {
        sodium_memzero (scalar, sizeof scalar);
        return -1;
    }
    //  r = hash1 (a || M || Z), hash1 = SHA-512 of 0xFE, then 31 times 0xFF
    byte prefix [32];
    memset (prefix, 0xFF, sizeof prefix);
    prefix [0] = 0xFE;
    randombytes_buf (random, sizeof random);
    crypto_hash_sha512_state state;
    crypto_hash_sha512_init (&state);
    crypto_hash_sha512_update (&state, prefix, sizeof prefix);
    crypto_hash_sha512_update (&state, scalar, sizeof scalar);
    crypto_hash_sha512_update (&state, (const byte *) data, size);
    crypto_hash_sha512_update (&state, random, sizeof random);
    crypto_hash_sha512_final (&state, hash);
    crypto_core_ed25519_scalar_reduce (nonce, hash);
    //  R = rB; h = SHA-512 (R || A || M); s = r + h a
    byte R [32];
    int rc = crypto_scalarmult_ed25519_base_noclamp (R, nonce);
    crypto_hash_sha512_init (&state);
    crypto_hash_sha512_update (&state, R, sizeof R);
    crypto_hash_sha512_update (&state, point, sizeof point);
    crypto_hash_sha512_update (&state, (const byte *) data, size);
    crypto_hash_sha512_final (&state, hash);
    crypto_core_ed25519_scalar_reduce (challenge, hash);
    crypto_core_ed25519_scalar_mul (s, challenge, scalar);
    crypto_core_ed25519_scalar_add (s, s, nonce);
    memcpy (signature, R, 32);
    memcpy (signature + 32, s, 32);
    if (sign_key)
        memcpy (sign_key, point, 32);
    sodium_memzero (scalar, sizeof scalar);
    sodium_memzero (nonce, sizeof nonce);
    sodium_memzero (hash, sizeof hash);
    return rc? -1: 0;
}

int
fg_xsign_verify (const byte *curve_public, const byte *sign_key, const void *data, size_t size,
                 const byte *signature)
{
    if (sodium_init () < 0)
        return -1;
    //  Only the sign-bit-clear form is the key's: one key, one sign_key
    byte curve [32];
    if ((sign_key [31] & 0x80)
    ||  crypto_sign_ed25519_pk_to_curve25519 (curve, sign_key)
    ||  sodium_memcmp (curve, curve_public, 32))
        return -1;
    return crypto_sign_verify_detached (signature, (const byte *) data, size, sign_key)? -1: 0;
}
