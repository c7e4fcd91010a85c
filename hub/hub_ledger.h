/*  =========================================================================
    hub_ledger - the hub's double-entry ledger: who holds what, and why

    Accounts hold integer amounts in the smallest unit. Money only moves by
    transfers, each from one account to another, each with an id that makes
    it happen at most once. Money enters and leaves through the account
    `world` (deposits come from it, withdrawals go to it), the only one
    that may go below zero, so the sum over all accounts is always 0.

    Accounts:
        world               the outside: payment gateways, banks
        buyer:KEY           a buyer's deposits (KEY: its CurveZMQ public
                            key, or "anonymous" on a plain-text hub)
        escrow:TASK         the price of a task's current attempt, held
        miner:ID            a miner's earnings
        settle:ID           services' bills for miner ID, paid to it at
                            the next settlement (hub_billing.h)
        stake:ID            a miner's stake: what a verdict against it takes
        court:TASK          a challenge's deposit and what a verdict slashed,
                            until the verdict pays them out (hub_court.h)
        hub:fee             the hub's cut of each payout
        hub:wallet:free     the hub wallet's funds to pay miners with
        hub:wallet:frozen   the hub wallet's stake
        owner               the hub owner's account
        dao                 the DAO's account: where a punished hub's
                            stake goes (hub/punish_account, hub_wallet.h)

    Transfer ids name what the money moved for: escrow/TASK/ATTEMPT,
    pay/TASK, fee/TASK, refund/TASK/ATTEMPT, deposit/TOKEN, withdraw/TOKEN,
    bill/TASK/UNTIL_MS and pay/SETTLEMENT, fee/SETTLEMENT (services),
    wallet/SEQ/WHAT (the wallet's stake, paydays, punishment and closing,
    SEQ its event in hub_wallet).

    A hub never pays itself: between its own accounts (hub:fee,
    hub:wallet:free, hub:wallet:frozen, owner) money only flows to owner
    (payday, closing), and nothing flows to a miner account marked as the
    hub's own (hub_ledger_own_add: a miner running with the hub's key).

    Every entry is hash-chained to the one before it and signed with the
    hub's Ed25519 key (libsodium), kept in its own file (0600), so a
    database changed behind the hub's back is found by hub_ledger_verify.
    =========================================================================  */
#ifndef HUB_LEDGER_H_INCLUDED
#define HUB_LEDGER_H_INCLUDED

#include "hub_store.h"

typedef struct _hub_ledger_t hub_ledger_t;

//  What a transfer came to. Append-only, like fg_error_t.
typedef enum {
    HUB_LEDGER_OK = 0,          //  applied now
    HUB_LEDGER_REPLAY,          //  applied before with the same accounts and
                                //  amount: a retry, nothing changed
    HUB_LEDGER_FUNDS,           //  its source account cannot cover it
    HUB_LEDGER_INVALID,         //  bad id, account name or amount
    HUB_LEDGER_CONFLICT,        //  its id was used for a different transfer
    HUB_LEDGER_OVERFLOW,        //  a balance would leave the int64 range
    HUB_LEDGER_STORAGE,         //  the database failed (logged)
    HUB_LEDGER_SELF,            //  the hub would pay itself
    HUB_LEDGER_RESULTS          //  keep last
} hub_ledger_rc_t;

//  One transfer to apply.
typedef struct {
    const char *id;             //  unique, printable, 1..200 bytes
    const char *from;           //  account names (see above)
    const char *to;
    int64_t amount;             //  > 0
    const char *memo;           //  for people, may be NULL
} hub_transfer_t;

//  One entry as the ledger returns it (the strings live until the
//  callback returns).
typedef struct {
    int64_t seq;                //  position in the chain, from 1
    const char *id;
    int64_t at_ms;
    const char *from;
    const char *to;
    int64_t amount;
    const char *memo;
    const char *hash;           //  SHA-256, hex
    const char *signature;      //  Ed25519 over the hash, hex
} hub_entry_t;

typedef void (hub_ledger_entry_fn) (void *arg, const hub_entry_t *entry);
typedef void (hub_ledger_account_fn) (void *arg, const char *account, int64_t balance);

//  Opens the ledger in the store's database (creating its tables) with the
//  signing key in key_file, made (0600, its directory 0700) when missing.
//  The first open records the key's public half; a later open with another
//  key is refused. NULL with the reason in err on failure.
hub_ledger_t *hub_ledger_new (hub_store_t *store, const char *key_file,
                              char *err, size_t err_size);
void hub_ledger_destroy (hub_ledger_t **self_p);

//  Applies the transfers all together or not at all, in one transaction
//  (a SAVEPOINT: inside the store's open transaction when there is one,
//  so they commit with the task change they belong to). A transfer whose
//  id was applied before with the same accounts and amount is skipped.
//  Returns OK when any was applied, REPLAY when every one was a retry,
//  or the first refusal (then nothing changed).
hub_ledger_rc_t hub_ledger_apply (hub_ledger_t *self, const hub_transfer_t *transfers,
                                  size_t count);

//  One transfer (hub_ledger_apply of one).
hub_ledger_rc_t hub_ledger_transfer (hub_ledger_t *self, const char *id, const char *from,
                                     const char *to, int64_t amount, const char *memo);

//  A short English description; never NULL.
const char *hub_ledger_strerror (hub_ledger_rc_t rc);

//  The hub's cut of a payout: percent of amount, rounded down, computed
//  without overflow (escrow payouts and service settlements alike).
int64_t hub_ledger_fee (int64_t amount, int64_t percent);

//  True when name is an account name the ledger accepts.
bool hub_ledger_account_valid (const char *name);

//  True for the hub's own accounts: hub:fee, hub:wallet:free,
//  hub:wallet:frozen and owner.
bool hub_ledger_account_hub (const char *name);

//  Marks an account (a miner:ID whose miner runs with the hub's own key)
//  as the hub's: from then on no transfer may go to it. Kept in the
//  database. Returns 0 or -1.
int hub_ledger_own_add (hub_ledger_t *self, const char *account);

//  True when account was marked as the hub's own.
bool hub_ledger_own (hub_ledger_t *self, const char *account);

//  Balance of an account (0 when it never held anything). Returns 0 or -1.
int hub_ledger_balance (hub_ledger_t *self, const char *account, int64_t *balance);

//  Calls fn for each account whose name starts with prefix ("" = all),
//  in name order, with a non-zero balance unless with_zero. Returns 0 or -1.
int hub_ledger_accounts (hub_ledger_t *self, const char *prefix, bool with_zero,
                         hub_ledger_account_fn *fn, void *arg);

//  Calls fn for the latest `limit` entries (0 = all) touching account
//  (NULL = every entry), newest first. Returns 0 or -1.
int hub_ledger_entries (hub_ledger_t *self, const char *account, size_t limit,
                        hub_ledger_entry_fn *fn, void *arg);

//  Calls fn with the entry of transfer id. Returns 0, or -1 when there is
//  none (or on an error, logged).
int hub_ledger_entry (hub_ledger_t *self, const char *id, hub_ledger_entry_fn *fn, void *arg);

//  Amount of the transfer with this id, 0 when there is none.
int64_t hub_ledger_amount (hub_ledger_t *self, const char *id);

//  Number of entries; the sequence number of the last one.
int64_t hub_ledger_size (hub_ledger_t *self);

//  Number of entries whose id starts with prefix (-1 on an error).
int64_t hub_ledger_count (hub_ledger_t *self, const char *prefix);

//  Walks the whole chain: each entry's hash against its content and the
//  hash before it, its signature, the sequence without gaps, the signed
//  head (entries cut off the end), and the balances against what the
//  entries add up to. Returns 0, or -1 with the first fault in err, naming
//  the row ("ledger row 12 (pay/t-...): ...").
int hub_ledger_verify (hub_ledger_t *self, char *err, size_t err_size);

//  The ledger's Ed25519 public key, hex (64 digits).
const char *hub_ledger_public_key (hub_ledger_t *self);

//  Signs text with the ledger's key for documents of the hub's own
//  (receipts, wallet events): sig_hex gets 128 hex digits and a NUL. The
//  text must start with "fogrid-", not with "fogrid-ledger", and be longer
//  than a hash, so that no such signature can pass for an entry's or the
//  head's. Returns 0, or -1 when the text is refused.
int hub_ledger_sign (hub_ledger_t *self, const char *text, char *sig_hex);

//  True when sig_hex is the ledger key's signature of text.
bool hub_ledger_signed (hub_ledger_t *self, const char *text, const char *sig_hex);

#endif
