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
#include "fg_signed.h"
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
    return fg_signed_dump (root);
}

int
fg_receipt_parse (fg_receipt_t *self, const char *json, char *err, size_t err_size)
{
    memset (self, 0, sizeof *self);
    json_t *root = fg_signed_load (json, "receipt", S_TAG, err, err_size);
    if (!root)
        return -1;
    int rc = -1;
    int64_t attempt = 0;
    if (fg_signed_get_text (root, "task_id", self->task_id, sizeof self->task_id,
                            err, err_size) == 0
    &&  fg_signed_get_int (root, "attempt", 0, &attempt, err, err_size) == 0     //  0: a settlement
    &&  fg_signed_get_text (root, "miner_id", self->miner_id, sizeof self->miner_id,
                            err, err_size) == 0
    &&  fg_signed_get_int (root, "amount", 0, &self->amount, err, err_size) == 0
    &&  fg_signed_get_int (root, "fee", 0, &self->fee, err, err_size) == 0
    &&  fg_signed_get_text (root, "entry_id", self->entry_id, sizeof self->entry_id,
                            err, err_size) == 0
    &&  fg_signed_get_int (root, "entry_seq", 1, &self->entry_seq, err, err_size) == 0
    &&  fg_signed_get_text (root, "entry_hash", self->entry_hash, sizeof self->entry_hash,
                            err, err_size) == 0
    &&  fg_signed_get_int (root, "at_ms", 0, &self->at_ms, err, err_size) == 0
    &&  fg_signed_get_text (root, "hub_id", self->hub_id, sizeof self->hub_id, err, err_size) == 0
    &&  fg_signed_get_text (root, "hub_key", self->hub_key, sizeof self->hub_key,
                            err, err_size) == 0
    &&  fg_signed_get_text (root, "signature", self->signature, sizeof self->signature,
                            err, err_size) == 0) {
        if (attempt > UINT32_MAX)
            snprintf (err, err_size, "\"attempt\" is out of range");
        else
        if (!fg_signed_hex_valid (self->hub_key, 64))
            snprintf (err, err_size, "\"hub_key\" is not 64 hex digits");
        else
        if (!fg_signed_hex_valid (self->signature, 128))
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
    char *text = fg_receipt_text (self);
    int rc = fg_signed_verify ("receipt", "key", text, self->hub_key, self->signature,
                               err, err_size);
    zstr_free (&text);
    if (rc)
        return -1;
    if (hub_key && strcasecmp (hub_key, self->hub_key) != 0) {
        snprintf (err, err_size, "signed by key %.16s..., not by the hub's key %.16s...: "
                  "another party made this receipt", self->hub_key, hub_key);
        return -1;
    }
    return 0;
}
