/*  =========================================================================
    fg_signed - what the hub's signed documents share

    A receipt (fg_receipt.h), a verdict (fg_verdict.h) and a wallet
    statement (fg_statement.h) are each a canonical text of their own,
    signed with the hub's Ed25519 ledger key, and carried as JSON. Their
    texts differ; reading their JSON fields, checking hex and checking a
    signature do not, and are here once, with one wording of the errors.

        json_t *root = fg_signed_load (json, "receipt", "fogrid-receipt/1", err, size);
        if (root && fg_signed_get_text (root, "task_id", id, sizeof id, err, size) == 0) ...
        json_decref (root);
        ...
        char *text = fg_receipt_text (&receipt);
        rc = fg_signed_verify ("receipt", "key", text, receipt.hub_key,
                               receipt.signature, err, size);
    =========================================================================  */
#ifndef FG_SIGNED_H_INCLUDED
#define FG_SIGNED_H_INCLUDED

#include "fogrid.h"

//  Parses a document: a JSON object whose member kind is tag. The root
//  (json_decref it), or NULL with err saying why.
json_t *fg_signed_load (const char *json, const char *kind, const char *tag,
                        char *err, size_t err_size);

//  Copies a string member into field (size bytes); -1 when it is missing,
//  too long or not printable.
int fg_signed_get_text (json_t *root, const char *key, char *field, size_t size,
                        char *err, size_t err_size);

//  Reads an integer member of at least min; -1 when it is missing or less.
int fg_signed_get_int (json_t *root, const char *key, int64_t min, int64_t *field,
                       char *err, size_t err_size);

//  True when text is exactly digits hex digits.
bool fg_signed_hex_valid (const char *text, size_t digits);

//  The JSON of a document as the hub hands it out (indented, in the
//  order it was built), or NULL. Takes root (NULL gives NULL).
char *fg_signed_dump (json_t *root);

//  Checks that sig_hex (128 hex digits) is the Ed25519 signature by
//  key_hex (64) of text (NULL: the text could not be made, which fails).
//  what names the document and key_name its key in err ("receipt",
//  "key"). 0, or -1 with err saying why. Whose key it must be is the
//  caller's to check.
int fg_signed_verify (const char *what, const char *key_name, const char *text,
                      const char *key_hex, const char *sig_hex, char *err, size_t err_size);

#endif
