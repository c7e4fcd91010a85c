/*  =========================================================================
    fg_receipt - a hub's signed receipt for a payout to a miner

    The hub signs it with its ledger key (hub_ledger_sign); anyone checks it
    offline with the public key it names and, to trust it, the hub's key
    known from elsewhere (fogrid verify-receipt --hub-key). Both sides need
    the same canonical text, which is why it lives here and not in the hub.
    =========================================================================  */
#ifndef FG_RECEIPT_H_INCLUDED
#define FG_RECEIPT_H_INCLUDED

typedef struct {
    char task_id [64];          //  the task that was paid for
    uint32_t attempt;           //  its attempt that succeeded; 0 for a settlement of
                                //  services (s-...), which has none
    char miner_id [64];         //  who was paid (account miner:ID)
    int64_t amount;             //  paid to the miner
    int64_t fee;                //  kept by the hub (amount + fee = price)
    char entry_id [128];        //  the payout's ledger entry: pay/TASK
    int64_t entry_seq;          //  its position in the hub's chain
    char entry_hash [65];       //  its hash, hex
    int64_t at_ms;              //  when it was written
    char hub_id [64];           //  the hub
    char hub_key [65];          //  the hub's ledger key (Ed25519), hex
    char signature [129];       //  Ed25519 of the canonical text, hex
} fg_receipt_t;

//  The text that is signed (caller frees): "fogrid-receipt/1", then every
//  field but the signature, one a line, strings length-prefixed.
char *fg_receipt_text (const fg_receipt_t *self);

//  The receipt as a JSON document (caller frees).
char *fg_receipt_json (const fg_receipt_t *self);

//  Reads a JSON receipt; every field must be there with its type. Returns
//  0, or -1 with why in err.
int fg_receipt_parse (fg_receipt_t *self, const char *json, char *err, size_t err_size);

//  Checks the signature against the key in the receipt and, when hub_key
//  is not NULL, that this key is hub_key (hex). Returns 0, or -1 with why.
int fg_receipt_verify (const fg_receipt_t *self, const char *hub_key, char *err, size_t err_size);

#endif
