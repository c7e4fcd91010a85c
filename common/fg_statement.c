/*  =========================================================================
    fg_statement - a hub's signed wallet statement, as a miner checks it

    DESIGN
    As for receipts (fg_receipt.c), the signature covers a canonical text,
    not the encoded message: protobuf encodings are not unique, the text
    is. Its first line names the document, so its signature can pass for
    nothing else the hub signs with its ledger key.
    =========================================================================  */
#include "fogrid.h"
#include "fg_statement.h"
#include "fg_signed.h"
#include <strings.h>

#define S_TAG   "fogrid-statement/1"

static const char *
s_str (const char *text)
{
    return text? text: "";
}

char *
fg_statement_text (const Fogrid__WalletStatementReply *self)
{
    char *text = zsys_sprintf (
        S_TAG "\n%zu:%s\n%zu:%s\n%" PRId64 "\n%" PRId64 "\n%" PRId64 "\n%" PRId64 "\n"
        "%" PRIu64 "\n%zu:%s\n%zu:%s\n%zu\n",
        strlen (s_str (self->hub_id)), s_str (self->hub_id),
        strlen (s_str (self->state)), s_str (self->state),
        self->frozen, self->free_funds, self->fees, self->escrow_total, self->at_ms,
        strlen (s_str (self->ledger_key)), s_str (self->ledger_key),
        strlen (s_str (self->nonce)), s_str (self->nonce), self->n_recent_payouts);
    for (size_t index = 0; index < self->n_recent_payouts && text; index++) {
        const Fogrid__LedgerEntry *entry = self->recent_payouts [index];
        char *line = zsys_sprintf (
            "%" PRIu64 "\n%zu:%s\n%" PRIu64 "\n%zu:%s\n%zu:%s\n%" PRId64 "\n%zu:%s\n%zu:%s\n",
            entry->seq, strlen (s_str (entry->id)), s_str (entry->id), entry->at_ms,
            strlen (s_str (entry->from)), s_str (entry->from),
            strlen (s_str (entry->to)), s_str (entry->to), entry->amount,
            strlen (s_str (entry->memo)), s_str (entry->memo),
            strlen (s_str (entry->hash)), s_str (entry->hash));
        char *joined = line? zsys_sprintf ("%s%s", text, line): NULL;
        zstr_free (&line);
        zstr_free (&text);
        text = joined;
    }
    return text;
}

int
fg_statement_verify (const Fogrid__WalletStatementReply *self, const char *ledger_key,
                     char *err, size_t err_size)
{
    const char *key_hex = s_str (self->ledger_key), *sig_hex = s_str (self->signature);
    char *text = fg_statement_text (self);
    int rc = fg_signed_verify ("statement", "ledger key", text, key_hex, sig_hex, err, err_size);
    zstr_free (&text);
    if (rc)
        return -1;
    if (ledger_key && *ledger_key && strcasecmp (ledger_key, key_hex) != 0) {
        snprintf (err, err_size, "signed by ledger key %.16s..., not by the hub's key %.16s... "
                  "that the registry names", key_hex, ledger_key);
        return -1;
    }
    return 0;
}
