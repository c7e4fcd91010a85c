/*  =========================================================================
    miner_batch - the results a hub link sends at the end of a turn, and
    the hub's acks matched back to each of them (see miner_batch.h)
    =========================================================================  */
#include "fogrid.h"
#include "miner_batch.h"

struct _miner_batch_t {
    miner_results_t *results;   //  the link's kept results (not owned)
    miner_trust_t *trust;       //  the link's check of the hub, or NULL (not owned)
    miner_batch_wire_t wire;    //  the link's seqs and DEALER
    zlistx_t *owed;             //  this turn's results (decoded copies, owned)
};

miner_batch_t *
miner_batch_new (miner_results_t *results, miner_trust_t *trust, const miner_batch_wire_t *wire)
{
    miner_batch_t *self = (miner_batch_t *) zmalloc (sizeof (miner_batch_t));
    self->results = results;
    self->trust = trust;
    self->wire = *wire;
    self->owed = zlistx_new ();
    return self;
}

void
miner_batch_destroy (miner_batch_t **self_p)
{
    if (*self_p) {
        miner_batch_t *self = *self_p;
        miner_batch_clear (self);
        zlistx_destroy (&self->owed);
        free (self);
        *self_p = NULL;
    }
}

void
miner_batch_add (miner_batch_t *self, const Fogrid__TaskResult *result)
{
    //  A copy through the wire format: the caller's may be on its stack
    size_t size = fogrid__task_result__get_packed_size (result);
    uint8_t *buffer = (uint8_t *) zmalloc (size + 1);
    fogrid__task_result__pack (result, buffer);
    Fogrid__TaskResult *copy = fogrid__task_result__unpack (NULL, size, buffer);
    free (buffer);
    if (copy)
        zlistx_add_end (self->owed, copy);
}

size_t
miner_batch_size (miner_batch_t *self)
{
    return zlistx_size (self->owed);
}

void
miner_batch_clear (miner_batch_t *self)
{
    Fogrid__TaskResult *result;
    while ((result = (Fogrid__TaskResult *) zlistx_detach (self->owed, NULL)))
        fogrid__task_result__free_unpacked (result, NULL);
}

void
miner_batch_send_one (miner_batch_t *self, Fogrid__TaskResult *result)
{
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = self->wire.next_seq (self->wire.arg);
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_RESULT;
    env.task_result = result;
    if (self->wire.send (self->wire.arg, &env) == 0) {
        miner_results_sent (self->results, result->task_id, result->attempt, env.seq);
        if (self->trust)
            miner_trust_result_sent (self->trust, env.seq, result);
    }
}

size_t
miner_batch_resend_held (miner_batch_t *self)
{
    zlistx_t *held = miner_results_held (self->results);
    size_t count = zlistx_size (held);
    for (Fogrid__TaskResult *result = (Fogrid__TaskResult *) zlistx_first (held); result;
         result = (Fogrid__TaskResult *) zlistx_next (held)) {
        miner_batch_send_one (self, result);
        fogrid__task_result__free_unpacked (result, NULL);
    }
    zlistx_destroy (&held);
    return count;
}

void
miner_batch_flush (miner_batch_t *self)
{
    size_t count = zlistx_size (self->owed);
    if (count == 1)
        miner_batch_send_one (self, (Fogrid__TaskResult *) zlistx_first (self->owed));
    else
    if (count > 1) {
        Fogrid__TaskResult **list =
            (Fogrid__TaskResult **) zmalloc (sizeof (Fogrid__TaskResult *) * count);
        uint64_t *seqs = (uint64_t *) zmalloc (sizeof (uint64_t) * count);
        size_t at = 0;
        for (Fogrid__TaskResult *result = (Fogrid__TaskResult *) zlistx_first (self->owed);
             result; result = (Fogrid__TaskResult *) zlistx_next (self->owed)) {
            seqs [at] = self->wire.next_seq (self->wire.arg);
            list [at++] = result;
        }
        Fogrid__TaskResultBatch batch = FOGRID__TASK_RESULT_BATCH__INIT;
        batch.results = list;
        batch.n_results = count;
        fg_env_t many = FOGRID__ENVELOPE__INIT;
        many.seq = seqs [0];
        many.body_case = FOGRID__ENVELOPE__BODY_TASK_RESULT_BATCH;
        many.task_result_batch = &batch;
        if (self->wire.send (self->wire.arg, &many) == 0)
            for (size_t index = 0; index < count; index++) {
                miner_results_sent_batch (self->results, list [index]->task_id,
                                          list [index]->attempt, seqs [index], seqs [0]);
                if (self->trust)
                    miner_trust_result_sent (self->trust, seqs [index], list [index]);
            }
        free (seqs);
        free (list);
    }
    miner_batch_clear (self);
}

void
miner_batch_acks (miner_batch_t *self, const Fogrid__ResultAcks *acks,
                  miner_batch_error_fn *on_error, void *arg)
{
    for (size_t index = 0; index < acks->n_acks; index++) {
        Fogrid__ResultAck *ack = acks->acks [index];
        uint64_t seq = miner_results_seq (self->results, ack->task_id, ack->attempt);
        if (!seq)
            continue;
        if (ack->code == FG_OK) {
            miner_results_answer (self->results, seq, FG_OK);
            if (self->trust)
                miner_trust_result_ok (self->trust, seq, ack->receipt);
        }
        else {
            Fogrid__Error error = FOGRID__ERROR__INIT;
            error.code = ack->code;
            error.text = ack->text;
            on_error (arg, seq, &error);
        }
    }
}

void
miner_batch_error (miner_batch_t *self, uint64_t seq, Fogrid__Error *error,
                   miner_batch_error_fn *on_error, void *arg)
{
    uint64_t seqs [256];
    size_t count = miner_results_batch (self->results, seq, seqs, 256);
    if (count == 0)
        on_error (arg, seq, error);
    for (size_t index = 0; index < count; index++)
        on_error (arg, seqs [index], error);
}
