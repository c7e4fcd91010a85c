/*  =========================================================================
    fg_signkey - an Ed25519 signing key pair, kept beside a CurveZMQ one

    DESIGN
    Only the seed is secret and only the seed is needed (libsodium's
    crypto_sign_seed_keypair makes the pair of it); the public key is
    written in both files so that the secret file alone says which key it
    is, and a load checks that the two agree. The secret file is made
    with O_EXCL at mode 0600 before anything is written to it, in a
    directory made private, as fg_curve_keys does: no moment exists when
    the seed is on disk and readable by others. Hex is lowercase, the
    one spelling compared anywhere.
    =========================================================================  */
#include "fogrid.h"
#include "fg_signkey.h"
#include <sodium.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

struct _fg_signkey_t {
    byte pk [crypto_sign_PUBLICKEYBYTES];       //  public key
    byte sk [crypto_sign_SECRETKEYBYTES];       //  secret key (seed and public key)
    char pk_hex [FG_SIGNKEY_HEX];               //  public key, hex
};

void
fg_signkey_path (const char *curve_path, char *path, size_t size)
{
    size_t length = strlen (curve_path);
    if (length > 4 && streq (curve_path + length - 4, ".key"))
        length -= 4;
    snprintf (path, size, "%.*s.sign", (int) length, curve_path);
}

bool
fg_signkey_valid (const char *text)
{
    if (!text || strlen (text) != 2 * crypto_sign_PUBLICKEYBYTES)
        return false;
    for (const char *c = text; *c; c++)
        if (!isdigit ((unsigned char) *c) && !(*c >= 'a' && *c <= 'f'))
            return false;
    return true;
}

//  Decodes exactly size bytes of hex (either case). Returns 0 or -1.
static int
s_unhex (const char *hex, byte *bytes, size_t size)
{
    size_t length = 0;
    return hex && strlen (hex) == 2 * size
        && sodium_hex2bin (bytes, size, hex, 2 * size, NULL, &length, NULL) == 0
        && length == size? 0: -1;
}

fg_signkey_t *
fg_signkey_new_from_seed (const byte *seed)
{
    if (sodium_init () < 0)
        return NULL;
    fg_signkey_t *self = (fg_signkey_t *) zmalloc (sizeof (fg_signkey_t));
    crypto_sign_seed_keypair (self->pk, self->sk, seed);
    sodium_bin2hex (self->pk_hex, sizeof self->pk_hex, self->pk, sizeof self->pk);
    return self;
}

void
fg_signkey_destroy (fg_signkey_t **self_p)
{
    if (*self_p) {
        fg_signkey_t *self = *self_p;
        sodium_memzero (self->sk, sizeof self->sk);
        free (self);
        *self_p = NULL;
    }
}

const char *
fg_signkey_public_txt (fg_signkey_t *self)
{
    return self->pk_hex;
}

void
fg_signkey_sign (fg_signkey_t *self, const void *data, size_t size, char *signature)
{
    byte bytes [crypto_sign_BYTES];
    crypto_sign_detached (bytes, NULL, (const byte *) data, size, self->sk);
    sodium_bin2hex (signature, FG_SIGNKEY_SIG_HEX, bytes, sizeof bytes);
}

int
fg_signkey_verify (const char *public_key, const void *data, size_t size, const char *signature)
{
    byte pk [crypto_sign_PUBLICKEYBYTES], bytes [crypto_sign_BYTES];
    if (sodium_init () < 0
    ||  s_unhex (public_key, pk, sizeof pk)
    ||  s_unhex (signature, bytes, sizeof bytes))
        return -1;
    return crypto_sign_verify_detached (bytes, (const byte *) data, size, pk)? -1: 0;
}

int
fg_signkey_read_public (const char *text_or_path, char *key)
{
    byte pk [crypto_sign_PUBLICKEYBYTES];
    const char *hex = text_or_path;
    zconfig_t *config = NULL;
    if (!text_or_path || !*text_or_path)
        return -1;
    if (strlen (text_or_path) != 2 * sizeof pk || s_unhex (text_or_path, pk, sizeof pk)) {
        config = zsys_file_exists (text_or_path)? zconfig_load (text_or_path): NULL;
        hex = config? zconfig_get (config, "public-key", ""): "";
    }
    int rc = s_unhex (hex, pk, sizeof pk);
    if (rc == 0)
        sodium_bin2hex (key, FG_SIGNKEY_HEX, pk, sizeof pk);
    zconfig_destroy (&config);
    return rc;
}

//  --------------------------------------------------------------------------
//  The files

//  Writes text to a new file at mode (O_EXCL unless replace). 0 or -1.
static int
s_write (const char *path, const char *text, mode_t mode, bool replace)
{
    int fd = open (path, O_WRONLY | O_CREAT | (replace? O_TRUNC: O_EXCL), mode);
    if (fd < 0)
        return -1;
    fchmod (fd, mode);
    ssize_t size = (ssize_t) strlen (text);
    bool ok = write (fd, text, (size_t) size) == size && fsync (fd) == 0;
    close (fd);
    if (!ok)
        unlink (path);
    return ok? 0: -1;
}

//  Makes a new pair: the secret file, then the public one.
static fg_signkey_t *
s_create (const char *path, const char *secret, char *err, size_t err_size)
{
    char *dir = strdup (path);
    char *slash = strrchr (dir, '/');
    if (slash && slash != dir) {
        *slash = 0;
        if (!zsys_file_exists (dir) && zsys_dir_create ("%s", dir) == 0)
            chmod (dir, 0700);
    }
    free (dir);
    byte seed [crypto_sign_SEEDBYTES];
    char seed_hex [2 * crypto_sign_SEEDBYTES + 1];
    randombytes_buf (seed, sizeof seed);
    fg_signkey_t *self = fg_signkey_new_from_seed (seed);
    sodium_bin2hex (seed_hex, sizeof seed_hex, seed, sizeof seed);
    sodium_memzero (seed, sizeof seed);
    if (!self) {
        snprintf (err, err_size, "libsodium cannot be initialized");
        return NULL;
    }
    char *secret_text = zsys_sprintf (
        "#   fogrid signing key (Ed25519), made by fogrid %s: keep it secret.\n"
        "#   Whoever holds it signs as this key: hub registry changes, when\n"
        "#   its public key (in %s) is in the locators' locator/admin_keys.\n"
        "public-key = \"%s\"\n"
        "seed = \"%s\"\n", FG_VERSION_STRING, path, self->pk_hex, seed_hex);
    char *public_text = zsys_sprintf (
        "#   fogrid signing public key (Ed25519), made by fogrid %s.\n"
        "#   Give it to those who must check what this key signs: a locator\n"
        "#   takes hub registry changes signed with it when it is listed in\n"
        "#   locator/admin_keys (this file, in a directory, or the key itself).\n"
        "public-key = \"%s\"\n", FG_VERSION_STRING, self->pk_hex);
    sodium_memzero (seed_hex, sizeof seed_hex);
    int rc = s_write (secret, secret_text, 0600, false);
    if (rc == 0 && s_write (path, public_text, 0644, true)) {
        unlink (secret);
        rc = -1;
    }
    sodium_memzero (secret_text, strlen (secret_text));
    zstr_free (&secret_text);
    zstr_free (&public_text);
    if (rc) {
        snprintf (err, err_size, "cannot write the signing key %s: %s", path, strerror (errno));
        fg_signkey_destroy (&self);
        return NULL;
    }
    zsys_info ("keys: made a new signing key pair in %s", path);
    return self;
}

fg_signkey_t *
fg_signkey_load (const char *path, bool create, char *err, size_t err_size)
{
    char secret [1024];
    snprintf (secret, sizeof secret, "%s_secret", path);
    if (!zsys_file_exists (secret)) {
        if (create)
            return s_create (path, secret, err, err_size);
        snprintf (err, err_size, "%s: no signing key (fogrid keygen makes it beside the "
                  "CurveZMQ key pair, and keeps that one)", secret);
        return NULL;
    }
    struct stat st;
    if (stat (secret, &st) == 0 && (st.st_mode & 077))
        zsys_warning ("keys: %s can be read by others; chmod 600 it", secret);
    zconfig_t *config = zconfig_load (secret);
    byte seed [crypto_sign_SEEDBYTES];
    int rc = s_unhex (config? zconfig_get (config, "seed", ""): "", seed, sizeof seed);
    fg_signkey_t *self = rc? NULL: fg_signkey_new_from_seed (seed);
    sodium_memzero (seed, sizeof seed);
    //  The public key written beside the seed must be the seed's
    char written [FG_SIGNKEY_HEX] = "";
    const char *listed = config? zconfig_get (config, "public-key", ""): "";
    if (self && *listed
    &&  (fg_signkey_read_public (listed, written) || !streq (written, self->pk_hex)))
        fg_signkey_destroy (&self);
    zconfig_destroy (&config);
    if (!self)
        snprintf (err, err_size, "%s: not a signing key (want seed = \"64 hex digits\", and "
                  "public-key its public key)", secret);
    return self;
}
