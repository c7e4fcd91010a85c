/*  =========================================================================
    fg_receipt - a hub's signed receipt for a payout to a miner

    DESIGN
    The signature covers a canonical text, not the JSON: JSON may be
    re-indented or its keys reordered by whoever stores it, and the
    receipt must still verify. The text has every field on its own line,
    strings length-prefixed, so no two receipts share one; its first line
    names the document, so a receipt's signature can pass for nothing else
    the hub signs (ledger entries sign raw hashes, the head and the wallet
    events other first lines).
    =========================================================================  */
#include "fogrid.h"
#include "fg_receipt.h"
#include <sodium.h>
#include <ctype.h>
#include <strings.h>

#define S_TAG   "fogrid-receipt/1"

char *
fg_receipt_text (const fg_receipt_t *self)
{
    return zsys_sprintf (
        S_TAG "\n%zu:%s\n%u\n%zu:%s\n%" PRId64 "\n%" PRId64 "\n%zu:%s\n%" PRId64 "\n%zu:%s\n"
        "%" PRId64 "\n%zu:%s\n%zu:%s\n",
        strlen (self->task_id), self->task_id, self->attempt,
        strlen (self->miner_id), self->miner_id, self->amount, self->fee,
        strlen (self->entry_id), self->entry_id, self->entry_seq,
        strlen (self->entry_hash), self->entry_hash, self->at_ms,
        strlen (self->hub_id), self->hub_id, strlen (self->hub_key), self->hub_key);
}

char *
fg_receipt_json (const fg_receipt_t *self)
{
    json_t *root = json_pack ("{s:s, s:s, s:I, s:s, s:I, s:I, s:s, s:I, s:s, s:I, s:s, s:s, s:s}",
        "receipt", S_TAG,
        "task_id", self->task_id,
        "attempt", (json_int_t) self->attempt,
        "miner_id", self->miner_id,
        "amount", (json_int_t) self->amount,
        "fee", (json_int_t) self->fee,
        "entry_id", self->entry_id,
        "entry_seq", (json_int_t) self->entry_seq,
        "entry_hash", self->entry_hash,
        "at_ms", (json_int_t) self->at_ms,
        "hub_id", self->hub_id,
        "hub_key", self->hub_key,
        "signature", self->signature);
    if (!root)
        return NULL;
    char *text = json_dumps (root, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
    json_decref (root);
    return text;
}

//  Copies a string field; -1 when it is missing, too long or not printable.
static int
s_get_text (json_t *root, const char *key, char *field, size_t size, char *err, size_t err_size)
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

static int
s_get_int (json_t *root, const char *key, int64_t min, int64_t *field, char *err, size_t err_size)
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

static bool
s_hex_valid (const char *text, size_t digits)
{
    if (strlen (text) != digits)
        return false;
    for (size_t index = 0; index < digits; index++)
        if (!isxdigit ((unsigned char) text [index]))
            return false;
    return true;
}

int
fg_receipt_parse (fg_receipt_t *self, const char *json, char *err, size_t err_size)
{
    memset (self, 0, sizeof *self);
    json_error_t error;
    json_t *root = json_loads (json, JSON_REJECT_DUPLICATES, &error);
    if (!json_is_object (root)) {
        snprintf (err, err_size, "not a JSON object (line %d: %s)", error.line, error.text);
        json_decref (root);
        return -1;
    }
    int rc = -1;
    int64_t attempt = 0;
    json_t *tag = json_object_get (root, "receipt");
    if (!json_is_string (tag) || !streq (json_string_value (tag), S_TAG))
        snprintf (err, err_size, "not a fogrid receipt (want \"receipt\": \"" S_TAG "\")");
    else
    if (s_get_text (root, "task_id", self->task_id, sizeof self->task_id, err, err_size) == 0
    &&  s_get_int (root, "attempt", 0, &attempt, err, err_size) == 0     //  0: a settlement
    &&  s_get_text (root, "miner_id", self->miner_id, sizeof self->miner_id, err, err_size) == 0
    &&  s_get_int (root, "amount", 0, &self->amount, err, err_size) == 0
    &&  s_get_int (root, "fee", 0, &self->fee, err, err_size) == 0
    &&  s_get_text (root, "entry_id", self->entry_id, sizeof self->entry_id, err, err_size) == 0
    &&  s_get_int (root, "entry_seq", 1, &self->entry_seq, err, err_size) == 0
    &&  s_get_text (root, "entry_hash", self->entry_hash, sizeof self->entry_hash, err, err_size) == 0
    &&  s_get_int (root, "at_ms", 0, &self->at_ms, err, err_size) == 0
    &&  s_get_text (root, "hub_id", self->hub_id, sizeof self->hub_id, err, err_size) == 0
    &&  s_get_text (root, "hub_key", self->hub_key, sizeof self->hub_key, err, err_size) == 0
    &&  s_get_text (root, "signature", self->signature, sizeof self->signature, err, err_size) == 0) {
        if (attempt > UINT32_MAX)
            snprintf (err, err_size, "\"attempt\" is out of range");
        else
        if (!s_hex_valid (self->hub_key, 64))
            snprintf (err, err_size, "\"hub_key\" is not 64 hex digits");
        else
        if (!s_hex_valid (self->signature, 128))
            snprintf (err, err_size, "\"signature\" is not 128 hex digits");
        else {
            self->attempt = (uint32_t) attempt;
            rc = 0;
        }
    }
    json_decref (root);
    return rc;
}

int
fg_receipt_verify (const fg_receipt_t *self, const char *hub_key, char *err, size_t err_size)
{
    if (sodium_init () < 0) {
        snprintf (err, err_size, "libsodium cannot be initialized");
        return -1;
    }
    unsigned char key [crypto_sign_PUBLICKEYBYTES], sig [crypto_sign_BYTES];
    size_t got_key = 0, got_sig = 0;
    if (sodium_hex2bin (key, sizeof key, self->hub_key, strlen (self->hub_key), NULL,
                        &got_key, NULL) || got_key != sizeof key
    ||  sodium_hex2bin (sig, sizeof sig, self->signature, strlen (self->signature), NULL,
                        &got_sig, NULL) || got_sig != sizeof sig) {
        snprintf (err, err_size, "the receipt's key or signature is not hex of the right length");
        return -1;
    }
    char *text = fg_receipt_text (self);
    int rc = crypto_sign_verify_detached (sig, (const unsigned char *) text, strlen (text), key);
    zstr_free (&text);
    if (rc) {
        snprintf (err, err_size, "bad signature: the receipt was changed after the hub signed "
                  "it, or the key %.16s... it names did not sign it", self->hub_key);
        return -1;
    }
    if (hub_key && strcasecmp (hub_key, self->hub_key) != 0) {
        snprintf (err, err_size, "signed by key %.16s..., not by the hub's key %.16s...: "
                  "another party made this receipt", self->hub_key, hub_key);
        return -1;
    }
    return 0;
}
