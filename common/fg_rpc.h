/*  =========================================================================
    fg_rpc - a client's request/reply channel to one fogrid server

    A DEALER socket to one endpoint, with the envelope's seq used to match
    replies to requests (late replies to earlier requests are dropped), and
    a timeout on every wait. An Error reply becomes an error code plus text,
    so callers handle transport and server errors in one place.
    =========================================================================  */
#ifndef FG_RPC_H_INCLUDED
#define FG_RPC_H_INCLUDED

typedef struct _fg_rpc_t fg_rpc_t;

//  Connects (lazily, as ZeroMQ does) to endpoint. NULL if it is not valid.
fg_rpc_t *fg_rpc_new (const char *endpoint);

//  Same, for a server with this CurveZMQ public key (needed unless the
//  process is insecure). NULL with the reason in err.
fg_rpc_t *fg_rpc_new_keyed (const char *endpoint, const char *server_key,
                            char *err, size_t err_size);
void fg_rpc_destroy (fg_rpc_t **self_p);

//  Sends req and waits up to timeout_ms for the first reply with its seq.
//  Returns the reply (free with fg_msg_free) or NULL with the error in
//  fg_rpc_error / fg_rpc_error_text: FG_E_UNREACHABLE if it could not be
//  sent, FG_E_TIMEOUT, or the code of an Error reply.
fg_env_t *fg_rpc_call (fg_rpc_t *self, fg_env_t *req, int timeout_ms);

//  For streamed answers: waits for the next reply to the last request.
fg_env_t *fg_rpc_next (fg_rpc_t *self, int timeout_ms);

fg_error_t fg_rpc_error (fg_rpc_t *self);
const char *fg_rpc_error_text (fg_rpc_t *self);
const char *fg_rpc_endpoint (fg_rpc_t *self);

//  The DEALER socket, for callers that poll it themselves.
zsock_t *fg_rpc_sock (fg_rpc_t *self);

#endif
