/*  =========================================================================
    fg_verdict - a hub's signed verdict on a challenged or checked result

    The hub's court (hub/hub_court.h) decides whether a task's result
    stands by running it again on miners not involved so far; the verdict
    lists the output hash every run returned and what the decision moved,
    signed with the hub's ledger key (as receipts are, fg_receipt.h).
    Anyone checks it offline: fogrid verify-verdict --hub-key KEY FILE.
    =========================================================================  */
#ifndef FG_VERDICT_H_INCLUDED
#define FG_VERDICT_H_INCLUDED

#define FG_VERDICT_MAX_RUNS 16

typedef struct {
    char run_id [64];           //  the task id of the run
    char role [16];             //  result | replica | spot | check
    char miner_id [64];         //  who ran it
    char hash [65];             //  the output hash it returned, "" when none
} fg_verdict_run_t;

typedef struct {
    char task_id [64];          //  the task judged
    char kind [16];             //  challenge | spot
    char challenger [64];       //  the challenger's account, "" for a spot check
    char decision [16];         //  upheld (the result stands) | overturned | undecided
    char result_hash [65];      //  the hash the task's result had
    char verdict_hash [65];     //  what the checks agreed on, "" when undecided
    int64_t deposit;            //  the challenger's deposit
    int64_t slashed;            //  taken from wrong miners' stakes
    int64_t reward;             //  to the challenger (from what was slashed)
    size_t n_runs;
    fg_verdict_run_t runs [FG_VERDICT_MAX_RUNS];
    int64_t at_ms;              //  when it was decided
    char hub_id [64];           //  the hub
    char hub_key [65];          //  its ledger key (Ed25519), hex
    char signature [129];       //  Ed25519 of the canonical text, hex
} fg_verdict_t;

//  The text that is signed (caller frees): "fogrid-verdict/1", then every
//  field but the signature, one a line, strings length-prefixed.
char *fg_verdict_text (const fg_verdict_t *self);

//  The verdict as a JSON document (caller frees).
char *fg_verdict_json (const fg_verdict_t *self);

//  Reads a JSON verdict; every field must be there with its type. Returns
//  0, or -1 with why in err.
int fg_verdict_parse (fg_verdict_t *self, const char *json, char *err, size_t err_size);

//  Checks the signature against the key in the verdict and, when hub_key
//  is not NULL, that this key is hub_key (hex). Returns 0, or -1 with why.
int fg_verdict_verify (const fg_verdict_t *self, const char *hub_key, char *err,
                       size_t err_size);

#endif
