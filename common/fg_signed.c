/*  =========================================================================
    fg_signed - what the hub's signed documents share
    =========================================================================  */
#include "fogrid.h"
#include "fg_signed.h"
#include <sodium.h>
#include <ctype.h>

json_t *
fg_signed_load (const char *json, const char *kind, const char *tag, char *err, size_t err_size)
{
    json_error_t error;
    json_t *root = json_loads (json, JSON_REJECT_DUPLICATES, &error);
    if (!json_is_object (root)) {
        snprintf (err, err_size, "not a JSON object (line %d: %s)", error.line, error.text);
        json_decref (root);
        return NULL;
    }
    json_t *value = json_object_get (root, kind);
    if (!json_is_string (value) || !streq (json_string_value (value), tag)) {
        snprintf (err, err_size, "not a fogrid %s (want \"%s\": \"%s\")", kind, kind, tag);
        json_decref (root);
        return NULL;
    }
    return root;
}

int
fg_signed_get_text (json_t *root, const char *key, char *field, size_t size,
                    char *err, size_t err_size)
{
    json_t *value = json_object_get (root, key);
    const char *text = json_is_string (value)? json_string_value (value): NULL;
    if (!text || strlen (text) >= size || !fg_text_valid (text, size)) {
        snprintf (err, err_size, "\"%s\" is missing or not a string of at most %zu printable "
                  "characters", key, size - 1);
        return -1;
    }
    snprintf (field, size, "%s", text);
    return 0;
}

int
fg_signed_get_int (json_t *root, const char *key, int64_t min, int64_t *field,
                   char *err, size_t err_size)
{
    json_t *value = json_object_get (root, key);
    if (!json_is_integer (value) || json_integer_value (value) < min) {
        snprintf (err, err_size, "\"%s\" is missing or not an integer of at least %" PRId64,
                  key, min);
        return -1;
    }
    *field = (int64_t) json_integer_value (value);
    return 0;
}

bool
fg_signed_hex_valid (const char *text, size_t digits)
{
    if (strlen (text) != digits)
        return false;
    for (size_t index = 0; index < digits; index++)
        if (!isxdigit ((unsigned char) text [index]))
            return false;
    return true;
}

char *
fg_signed_dump (json_t *root)
{
    if (!root)
        return NULL;
    char *text = json_dumps (root, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
    json_decref (root);
    return text;
}

int
fg_signed_verify (const char *what, const char *key_name, const char *text,
                  const char *key_hex, const char *sig_hex, char *err, size_t err_size)
{
    if (sodium_init () < 0) {
        snprintf (err, err_size, "libsodium cannot be initialized");
        return -1;
    }
    unsigned char key [crypto_sign_PUBLICKEYBYTES], sig [crypto_sign_BYTES];
    size_t got_key = 0, got_sig = 0;
    if (sodium_hex2bin (key, sizeof key, key_hex, strlen (key_hex), NULL, &got_key, NULL)
    ||  got_key != sizeof key || strlen (key_hex) != 2 * sizeof key
    ||  sodium_hex2bin (sig, sizeof sig, sig_hex, strlen (sig_hex), NULL, &got_sig, NULL)
    ||  got_sig != sizeof sig || strlen (sig_hex) != 2 * sizeof sig) {
        snprintf (err, err_size, "the %s's %s or signature is not hex of the right length",
                  what, key_name);
        return -1;
    }
    if (!text
    ||  crypto_sign_verify_detached (sig, (const unsigned char *) text, strlen (text), key)) {
        snprintf (err, err_size, "bad signature: the %s was changed after the hub signed "
                  "it, or the key %.16s... it names did not sign it", what, key_hex);
        return -1;
    }
    return 0;
}
