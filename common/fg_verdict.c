/*  =========================================================================
    fg_verdict - a hub's signed verdict on a challenged or checked result

    DESIGN
    As with receipts (fg_receipt.c), the signature covers a canonical text,
    not the JSON, so a verdict re-indented or with its keys reordered still
    verifies; every field is on its own line, strings length-prefixed, and
    the first line names the document, so its signature passes for nothing
    else the hub signs.
    =========================================================================  */
#include "fogrid.h"
#include "fg_verdict.h"
#include "fg_signed.h"
#include <strings.h>

#define S_TAG   "fogrid-verdict/1"

static void
s_add (zchunk_t *text, const char *value)
{
    char length [32];
    snprintf (length, sizeof length, "%zu:", strlen (value));
    zchunk_extend (text, length, strlen (length));
    zchunk_extend (text, value, strlen (value));
    zchunk_extend (text, "\n", 1);
}

static void
s_add_int (zchunk_t *text, int64_t value)
{
    char line [32];
    snprintf (line, sizeof line, "%" PRId64 "\n", value);
    zchunk_extend (text, line, strlen (line));
}

char *
fg_verdict_text (const fg_verdict_t *self)
{
    zchunk_t *text = zchunk_new (S_TAG "\n", strlen (S_TAG) + 1);
    s_add (text, self->task_id);
    s_add (text, self->kind);
    s_add (text, self->challenger);
    s_add (text, self->decision);
    s_add (text, self->result_hash);
    s_add (text, self->verdict_hash);
    s_add_int (text, self->deposit);
    s_add_int (text, self->slashed);
    s_add_int (text, self->reward);
    s_add_int (text, (int64_t) self->n_runs);
    for (size_t index = 0; index < self->n_runs && index < FG_VERDICT_MAX_RUNS; index++) {
        s_add (text, self->runs [index].run_id);
        s_add (text, self->runs [index].role);
        s_add (text, self->runs [index].miner_id);
        s_add (text, self->runs [index].hash);
    }
    s_add_int (text, self->at_ms);
    s_add (text, self->hub_id);
    s_add (text, self->hub_key);
    char *string = zchunk_strdup (text);
    zchunk_destroy (&text);
    return string;
}

char *
fg_verdict_json (const fg_verdict_t *self)
{
    json_t *runs = json_array ();
    for (size_t index = 0; index < self->n_runs && index < FG_VERDICT_MAX_RUNS; index++)
        json_array_append_new (runs, json_pack ("{s:s, s:s, s:s, s:s}",
            "run_id", self->runs [index].run_id, "role", self->runs [index].role,
            "miner_id", self->runs [index].miner_id, "hash", self->runs [index].hash));
    json_t *root = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:I, "
                              "s:s, s:s, s:s}",
        "verdict", S_TAG,
        "task_id", self->task_id,
        "kind", self->kind,
        "challenger", self->challenger,
        "decision", self->decision,
        "result_hash", self->result_hash,
        "verdict_hash", self->verdict_hash,
        "deposit", (json_int_t) self->deposit,
        "slashed", (json_int_t) self->slashed,
        "reward", (json_int_t) self->reward,
        "runs", runs,
        "at_ms", (json_int_t) self->at_ms,
        "hub_id", self->hub_id,
        "hub_key", self->hub_key,
        "signature", self->signature);
    return fg_signed_dump (root);
}

int
fg_verdict_parse (fg_verdict_t *self, const char *json, char *err, size_t err_size)
{
    memset (self, 0, sizeof *self);
    json_t *root = fg_signed_load (json, "verdict", S_TAG, err, err_size);
    if (!root)
        return -1;
    int rc = -1;
    json_t *runs = json_object_get (root, "runs");
    if (!json_is_array (runs) || json_array_size (runs) > FG_VERDICT_MAX_RUNS)
        snprintf (err, err_size, "\"runs\" is missing or not an array of at most %d",
                  FG_VERDICT_MAX_RUNS);
    else
    if (fg_signed_get_text (root, "task_id", self->task_id, sizeof self->task_id,
                            err, err_size) == 0
    &&  fg_signed_get_text (root, "kind", self->kind, sizeof self->kind, err, err_size) == 0
    &&  fg_signed_get_text (root, "challenger", self->challenger, sizeof self->challenger,
                            err, err_size) == 0
    &&  fg_signed_get_text (root, "decision", self->decision, sizeof self->decision,
                            err, err_size) == 0
    &&  fg_signed_get_text (root, "result_hash", self->result_hash, sizeof self->result_hash,
                            err, err_size) == 0
    &&  fg_signed_get_text (root, "verdict_hash", self->verdict_hash, sizeof self->verdict_hash,
                            err, err_size) == 0
    &&  fg_signed_get_int (root, "deposit", 0, &self->deposit, err, err_size) == 0
    &&  fg_signed_get_int (root, "slashed", 0, &self->slashed, err, err_size) == 0
    &&  fg_signed_get_int (root, "reward", 0, &self->reward, err, err_size) == 0
    &&  fg_signed_get_int (root, "at_ms", 0, &self->at_ms, err, err_size) == 0
    &&  fg_signed_get_text (root, "hub_id", self->hub_id, sizeof self->hub_id, err, err_size) == 0
    &&  fg_signed_get_text (root, "hub_key", self->hub_key, sizeof self->hub_key,
                            err, err_size) == 0
    &&  fg_signed_get_text (root, "signature", self->signature, sizeof self->signature,
                            err, err_size) == 0) {
        rc = 0;
        for (size_t index = 0; rc == 0 && index < json_array_size (runs); index++) {
            json_t *run = json_array_get (runs, index);
            fg_verdict_run_t *into = &self->runs [index];
            if (!json_is_object (run)
            ||  fg_signed_get_text (run, "run_id", into->run_id, sizeof into->run_id, err, err_size)
            ||  fg_signed_get_text (run, "role", into->role, sizeof into->role, err, err_size)
            ||  fg_signed_get_text (run, "miner_id", into->miner_id, sizeof into->miner_id,
                                    err, err_size)
            ||  fg_signed_get_text (run, "hash", into->hash, sizeof into->hash, err, err_size))
                rc = -1;
            else
                self->n_runs++;
        }
        if (rc == 0 && (strlen (self->hub_key) != 64 || strlen (self->signature) != 128)) {
            snprintf (err, err_size, "\"hub_key\" or \"signature\" is not hex of the right length");
            rc = -1;
        }
    }
    json_decref (root);
    return rc;
}

int
fg_verdict_verify (const fg_verdict_t *self, const char *hub_key, char *err, size_t err_size)
{
    char *text = fg_verdict_text (self);
    int rc = fg_signed_verify ("verdict", "key", text, self->hub_key, self->signature,
                               err, err_size);
    zstr_free (&text);
    if (rc)
        return -1;
    if (hub_key && strcasecmp (hub_key, self->hub_key) != 0) {
        snprintf (err, err_size, "signed by key %.16s..., not by the hub's key %.16s...: "
                  "another party made this verdict", self->hub_key, hub_key);
        return -1;
    }
    return 0;
}
