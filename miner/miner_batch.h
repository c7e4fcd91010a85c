/*  =========================================================================
    miner_batch - the results a hub link sends at the end of a turn, in
    one message, and the hub's acks matched back to each of them

    Results that end in one turn of the link's loop (the null runtime
    ends dozens at once) go to the hub together: one alone as a plain
    TaskResult, several as one TaskResultBatch. Each result keeps a seq of
    its own (miner_results_sent_batch), so the hub's ResultAcks answers
    each as the Ok or Error it would have had alone, and an Error to the
    whole batch (its envelope's seq) answers each of its results.

        miner_batch_t *batch = miner_batch_new (results, trust, &wire);
        ...a result to send to the hub in this turn (kept in results first):
        miner_batch_add (batch, result);
        ...the end of the turn:
        miner_batch_flush (batch);
        ...ResultAcks from the hub:
        miner_batch_acks (batch, acks, on_error, link);

    The batch sends through the link's wire (its seqs, its DEALER) and
    records what it sent in the link's miner_results (which keeps each
    result until its answer) and miner_trust (which wants each paid
    result's receipt). It owns only the copies of the turn's results.
    =========================================================================  */
#ifndef MINER_BATCH_H_INCLUDED
#define MINER_BATCH_H_INCLUDED

#include "miner_results.h"
#include "miner_trust.h"

typedef struct _miner_batch_t miner_batch_t;

//  The link's side of the wire
typedef struct {
    uint64_t (*next_seq) (void *arg);           //  a new seq for a result
    int (*send) (void *arg, fg_env_t *env);     //  0 when sent
    void *arg;
} miner_batch_wire_t;

//  What the link does with an Error to one result (seq): hold it, say
//  hello again, or log the refusal
typedef void (miner_batch_error_fn) (void *arg, uint64_t seq, Fogrid__Error *error);

//  results and trust (NULL: none) are the link's and must outlive the
//  batch; wire is copied.
miner_batch_t *miner_batch_new (miner_results_t *results, miner_trust_t *trust,
                                const miner_batch_wire_t *wire);
void miner_batch_destroy (miner_batch_t **self_p);

//  Keeps a copy of result, to send at the end of the turn.
void miner_batch_add (miner_batch_t *self, const Fogrid__TaskResult *result);

//  Results waiting for the end of the turn.
size_t miner_batch_size (miner_batch_t *self);

//  Forgets the turn's results (the connection went: miner_results holds
//  them, to send again after a welcome).
void miner_batch_clear (miner_batch_t *self);

//  The end of the turn: sends what the turn owes, one alone as a
//  TaskResult, several in one TaskResultBatch.
void miner_batch_flush (miner_batch_t *self);

//  Sends one kept result now, on its own.
void miner_batch_send_one (miner_batch_t *self, Fogrid__TaskResult *result);

//  Sends every result miner_results holds again (after a welcome, or a
//  passing refusal), one by one; returns how many.
size_t miner_batch_resend_held (miner_batch_t *self);

//  The hub's ResultAcks: an Ok drops its result (and gives its receipt to
//  trust), an Error goes to on_error with the seq of its result. Acks of
//  results not waiting here are ignored.
void miner_batch_acks (miner_batch_t *self, const Fogrid__ResultAcks *acks,
                       miner_batch_error_fn *on_error, void *arg);

//  An Error to seq: to each result of the batch whose envelope had seq,
//  or to seq itself when it was no batch's.
void miner_batch_error (miner_batch_t *self, uint64_t seq, Fogrid__Error *error,
                        miner_batch_error_fn *on_error, void *arg);

#endif
