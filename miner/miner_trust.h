/*  =========================================================================
    miner_trust - how a miner decides whether a hub is worth working for

    Before it works for a hub (and again every miner/recheck_s while it
    does), the miner checks it, as the seed's SONM miners check a hub
    against the hub pool list and the wallet's proof:

      - with miner/require_registry, the hub must be in the locators' hub
        registry (locator/loc_hubs.h) as registered, under the CurveZMQ
        key the miner reached it with: absent, suspected and blacklisted
        hubs are refused;
      - its wallet statement (WalletStatement, fg_statement.h), signed
        with its ledger key over a nonce of ours, must verify against the
        ledger key the registry names (when it names one), its wallet must
        not be suspected, punished or closed, and its frozen stake must
        cover miner/min_stake.

    It also keeps, per hub, a rating from its own payment history: each
    successful task the hub paid with a receipt that verifies counts +1,
    each it did not pay -1, each receipt that does not verify -100
    (files DATA_DIR/hubs/HUB.json, the receipts in DATA_DIR/hubs/HUB.receipts).
    A hub rated above miner/trust_level (0 = never) skips the wallet and
    stake checks, and the registry only refuses it when it says suspected
    or blacklisted. A hub is recognised by its CurveZMQ key, so on a
    plain-text grid every hub gets the full check.

    It remembers, per hub, how its last check ended (accepted or refused,
    and why) since the miner started; miner_trust_json shows that with
    the ratings, for the miner's /api/v1/hubs (fogrid ratings).

    The agent drives it (miner_agent.c): begin when it connects, the
    statement and results as they come; this class says what to do.
    =========================================================================  */
#ifndef MINER_TRUST_H_INCLUDED
#define MINER_TRUST_H_INCLUDED

typedef struct _miner_trust_t miner_trust_t;

#define MINER_TRUST_DEFS \
    { "miner/require_registry", FG_CFG_BOOL, "0", 0, 0, \
      "1 = work only for hubs the locators' hub registry lists as registered (fogrid " \
      "registry), and whose wallet is registered; 0 = any hub whose wallet is not suspected, " \
      "punished or closed (small grids without a DAO keep working)" }, \
    { "miner/min_stake", FG_CFG_INT, "0", 0, INT64_MAX, \
      "least frozen stake a hub's signed wallet statement must show, in the smallest unit; " \
      "0 = any" }, \
    { "miner/trust_level", FG_CFG_INT, "0", 0, INT64_MAX, \
      "a hub whose rating here (paid minus unpaid successful tasks, -100 per bad receipt) is " \
      "above this skips the wallet checks; 0 = every hub is checked in full" }, \
    { "miner/recheck_s", FG_CFG_INT, "60", 0, 86400, \
      "how often the hub in use is checked again (registry, wallet statement); 0 = only " \
      "when connecting" }

//  What the agent should do with the hub.
typedef enum {
    MINER_TRUST_ACCEPT = 0,     //  work for it (say hello, or go on)
    MINER_TRUST_REFUSE,         //  leave it: why says why
    MINER_TRUST_ASK_FIRST,      //  ask for its wallet statement; hello when it holds
    MINER_TRUST_ASK             //  say hello, and ask for its statement too
} miner_trust_verdict_t;

//  One hub's record, as the miner keeps it.
typedef struct {
    char hub_id [64];
    char hub_key [41];          //  CurveZMQ, Z85 ("" on a plain-text grid)
    char ledger_key [65];       //  the key its receipts must carry, hex
    int64_t paid;               //  successful tasks paid, with a good receipt
    int64_t unpaid;             //  successful tasks not paid
    int64_t bad;                //  receipts that did not verify
    int64_t earned;             //  what the good receipts add up to
    int64_t first_ms;           //  when we first worked for it
    int64_t updated_ms;
} miner_trust_rating_t;

//  Checks the settings. Returns 0, or -1 with the reason in err.
int miner_trust_check_config (fg_config_t *config, char *err, size_t err_size);

//  Loads the ratings kept in data_dir/hubs. NULL with the reason in err.
miner_trust_t *miner_trust_new (fg_config_t *config, const char *data_dir, const char *miner_id,
                                char *err, size_t err_size);
void miner_trust_destroy (miner_trust_t **self_p);

//  Another checker, for another hub connection at the same time (a miner
//  serving several hubs): its own hub, nonce and results in flight; this
//  one's settings, ratings, refusals and registry client. Destroy each;
//  what they share goes with the last.
miner_trust_t *miner_trust_share (miner_trust_t *self);

//  A new connection to the hub at endpoint whose CurveZMQ key is hub_key
//  ("" on a plain-text grid). Never ASK_FIRST without require_registry
//  or min_stake: a small grid says hello at once.
miner_trust_verdict_t miner_trust_begin (miner_trust_t *self, const char *endpoint,
                                         const char *hub_key, char *why, size_t why_size);

//  Time for a check of the hub in use: ASK (send a statement request),
//  ACCEPT (nothing to ask) or REFUSE.
miner_trust_verdict_t miner_trust_recheck (miner_trust_t *self, char *why, size_t why_size);

//  Fills a statement request with a fresh nonce (valid until the next).
void miner_trust_request (miner_trust_t *self, Fogrid__WalletStatement *request);

//  The hub's statement: ACCEPT or REFUSE, with why.
miner_trust_verdict_t miner_trust_statement (miner_trust_t *self,
                                             const Fogrid__WalletStatementReply *reply,
                                             char *why, size_t why_size);

//  The hub answered the statement request with an error: REFUSE when the
//  check is required (require_registry, min_stake), else ACCEPT.
miner_trust_verdict_t miner_trust_statement_failed (miner_trust_t *self, const char *text,
                                                    char *why, size_t why_size);

//  The connection ended: results in flight are forgotten.
void miner_trust_end (miner_trust_t *self);

//  True when the hub at endpoint (key) was refused a short while ago:
//  the agent tries another first.
bool miner_trust_avoid (miner_trust_t *self, const char *endpoint, const char *hub_key);

//  How long to wait before trying again after a refusal; how often to
//  recheck (0 = never).
int64_t miner_trust_retry_ms (miner_trust_t *self);
int64_t miner_trust_recheck_ms (miner_trust_t *self);

//  A result sent with seq; its Ok (with the receipt, "" when none) or
//  its Error.
void miner_trust_result_sent (miner_trust_t *self, uint64_t seq, const Fogrid__TaskResult *result);
void miner_trust_result_ok (miner_trust_t *self, uint64_t seq, const char *receipt);
void miner_trust_result_refused (miner_trust_t *self, uint64_t seq);

//  Writes the ratings that changed when the last save is a second old
//  (they are written at most once a second, and when the last checker
//  is destroyed). Returns when (zclock_mono) it wants to be called again,
//  0 when nothing waits.
int64_t miner_trust_save_due (miner_trust_t *self);

//  A hub's record. Returns 0, or -1 when it has none.
int miner_trust_rating (miner_trust_t *self, const char *hub_id, miner_trust_rating_t *rating);

//  The rating of a record: paid - unpaid - 100 * bad.
int64_t miner_trust_score (const miner_trust_rating_t *rating);

//  The hub in use, as its statement (or its rating) named it; "" when
//  not known yet.
const char *miner_trust_hub_id (miner_trust_t *self);

//  Every hub this miner knows, by id: its rating and payments (from
//  disk), whether it is trusted (rated above trust_level), whether any of
//  the miner's hub links works for it now, and its last check since the
//  start (result, reason, when, counts). A hub refused before it named itself is listed by
//  endpoint, with an empty hub_id. Returns a JSON object (caller
//  decrefs): { trust_level, require_registry, min_stake, hubs: [...] }.
json_t *miner_trust_json (miner_trust_t *self);

#endif
