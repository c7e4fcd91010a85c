/*  =========================================================================
    fg_statement - a hub's signed wallet statement, as a miner checks it

    The hub answers a miner's WalletStatement with its wallet's state,
    balances and latest payouts, signed with its ledger key over the text
    below; the miner checks the signature, that the key is the one the
    registry names for the hub, and that the nonce is the one it sent (an
    old statement, made when the stake was larger, cannot be played back).
    Both sides need the same canonical text, which is why it lives here.
    =========================================================================  */
#ifndef FG_STATEMENT_H_INCLUDED
#define FG_STATEMENT_H_INCLUDED

//  The text that is signed (caller frees): "fogrid-statement/1", then every
//  field but the signature, one a line, strings length-prefixed, then
//  each payout's fields.
char *fg_statement_text (const Fogrid__WalletStatementReply *self);

//  Checks the signature against the key in the statement and, when
//  ledger_key is not NULL or "", that this key is ledger_key (hex).
//  Returns 0, or -1 with why in err.
int fg_statement_verify (const Fogrid__WalletStatementReply *self, const char *ledger_key,
                         char *err, size_t err_size);

#endif
