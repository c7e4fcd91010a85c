/*  =========================================================================
    fg_outbox - messages held until the writes they speak of are durable

    A server that commits its writes once per burst of requests (group
    commit) must not answer any request of the burst before that commit:
    an answer is a promise ("task t-42 accepted", "paid"). It puts what it
    would send in an outbox instead, commits, then sends the lot; when the
    commit fails it sends fg_outbox_fail's version instead: refusals as
    they were (they promise nothing), each answer replaced by an Error,
    and its own notices (work sent to a miner, say) dropped, since the
    state that made them is gone.
    =========================================================================  */
#ifndef FG_OUTBOX_H_INCLUDED
#define FG_OUTBOX_H_INCLUDED

typedef struct _fg_outbox_t fg_outbox_t;

//  Called by fg_outbox_send for each message the socket refused (with
//  ZMQ_ROUTER_MANDATORY: its peer is gone); routing is its peer's id.
typedef void (fg_outbox_refused_fn) (void *arg, zsock_t *sock, zframe_t *routing);

fg_outbox_t *fg_outbox_new (void);
void fg_outbox_destroy (fg_outbox_t **self_p);

//  Holds the answer env to a request, for sock and its peer (routing may
//  be NULL on a DEALER). An Error body is held as a refusal.
void fg_outbox_answer (fg_outbox_t *self, zsock_t *sock, zframe_t *routing, fg_env_t *env);

//  Holds an Error{code, text} answer to seq, text made of format (at most
//  511 bytes: what a refusal needs to say).
void fg_outbox_refuse (fg_outbox_t *self, zsock_t *sock, zframe_t *routing, uint64_t seq,
                       fg_error_t code, const char *format, ...)
    __attribute__ ((format (printf, 6, 7)));

//  Holds a message the server sends of its own accord (not an answer).
void fg_outbox_notice (fg_outbox_t *self, zsock_t *sock, zframe_t *routing, fg_env_t *env);

//  Messages held.
size_t fg_outbox_size (fg_outbox_t *self);

//  Sends everything held, in the order it was held, and empties the box.
//  refused (may be NULL) hears of each send the socket refused. Returns
//  the number of refused sends.
size_t fg_outbox_send (fg_outbox_t *self, fg_outbox_refused_fn *refused, void *arg);

//  The commit failed: sends the refusals, an Error{code, text} in place
//  of each answer, drops the notices, and empties the box.
void fg_outbox_fail (fg_outbox_t *self, fg_error_t code, const char *text);

#endif
