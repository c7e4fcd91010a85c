/*  =========================================================================
    miner_results - the results a hub link owes its hub, kept until the
    hub has answered them

    A result is the one copy of a task's work: the process is reaped and
    its work directory gone. So a link keeps each result it sends until
    the hub says Ok (taken) or refuses it for good (FG_E_STALE, NOT_FOUND,
    ...). A hub that restarted answers a result from a connection that
    has not said hello with FG_E_HELLO: the result is then held, the link
    says hello (listing the held results' tasks among what it runs, so
    the hub does not place them again), and sends them again after the
    welcome. A refusal that passes (rate limit, a failed commit) holds it
    too, for a moment. The same holds for a result that found no connection, or
    whose connection was dropped before an answer came.

        miner_results_t *results = miner_results_new ();
        miner_results_add (results, result, "tcp://hub:7701");
        uint64_t seq = ...;   miner_results_sent (results, result, seq);
        ... Error FG_E_HELLO to seq:  miner_results_answer (results, seq, FG_E_HELLO)
        ... welcome: for each miner_results_due (...) send it again
        ... Ok to seq:                miner_results_answer (results, seq, FG_OK)

    Results are kept for the hub at one endpoint: a link that moves to
    another hub drops them (that hub never gave those tasks; the old one
    places them again). Bounded: beyond 64 MiB (encoded) the oldest is dropped.
    =========================================================================  */
#ifndef MINER_RESULTS_H_INCLUDED
#define MINER_RESULTS_H_INCLUDED

typedef struct _miner_results_t miner_results_t;

miner_results_t *miner_results_new (void);
void miner_results_destroy (miner_results_t **self_p);

//  Keeps a copy of result, owed to the hub at endpoint (a result already
//  kept for the same task and attempt is replaced). Returns how many
//  older results the bound made it drop (0 mostly).
size_t miner_results_add (miner_results_t *self, const Fogrid__TaskResult *result,
                          const char *endpoint);

//  The kept result of task_id/attempt was sent with seq.
void miner_results_sent (miner_results_t *self, const char *task_id, uint32_t attempt,
                         uint64_t seq);

//  Batches (TaskResultBatch, answered by one ResultAcks): each result
//  still has a seq of its own, which its ack is matched to (by task and
//  attempt, miner_results_seq); batch_seq is the envelope's, which an
//  Error to the whole batch names (miner_results_batch lists the seqs of
//  the results in it that wait for an answer).
void miner_results_sent_batch (miner_results_t *self, const char *task_id, uint32_t attempt,
                               uint64_t seq, uint64_t batch_seq);
uint64_t miner_results_seq (miner_results_t *self, const char *task_id, uint32_t attempt);
size_t miner_results_batch (miner_results_t *self, uint64_t batch_seq, uint64_t *seqs,
                            size_t capacity);

//  The hub answered seq: FG_OK (taken), a code miner_results_held_for
//  (held, to send again) or any other (refused for good: dropped).
//  Returns true when seq was a kept result's last send.
bool miner_results_answer (miner_results_t *self, uint64_t seq, fg_error_t code);

//  True for the refusals that hold a result rather than drop it:
//  FG_E_HELLO (sent again after the welcome), and those that pass
//  (FG_E_RATE_LIMIT, FG_E_INTERNAL: a failed commit, FG_E_HUB_FULL,
//  FG_E_TIMEOUT: sent again a moment later).
bool miner_results_held_for (fg_error_t code);

//  The connection is gone: whatever was sent and not answered is held,
//  to be sent again after the next welcome.
void miner_results_hold_all (miner_results_t *self);

//  Drops the result of task_id/attempt (the hub's welcome said it is not
//  that hub's any more); true when one was kept.
bool miner_results_forget (miner_results_t *self, const char *task_id, uint32_t attempt);

//  Drops every result kept for another endpoint than this one; returns
//  how many.
size_t miner_results_keep_only (miner_results_t *self, const char *endpoint);

//  The held results, oldest first, decoded (the caller frees each with
//  fogrid__task_result__free_unpacked): to send again after a welcome.
//  Each stays kept until miner_results_sent and an answer.
zlistx_t *miner_results_held (miner_results_t *self);

//  Kept results (sent or held), and their task refs for a hello: store
//  and refs are filled from index on (the caller sized them with
//  miner_results_size); returns how many were added.
size_t miner_results_size (miner_results_t *self);
size_t miner_results_refs (miner_results_t *self, Fogrid__TaskRef *store, Fogrid__TaskRef **refs);

#endif
