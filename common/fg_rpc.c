/*  =========================================================================
    fg_rpc - a client's request/reply channel to one fogrid server

    DESIGN
    The socket is set to ZMQ_IMMEDIATE so that a request to a server that is
    not up fails at send time (after the send timeout) instead of waiting in
    a queue for a peer that may never come: that is what lets resolvers fail
    over to the next locator within a bounded time.
    =========================================================================  */
#include "fogrid.h"
#include <sodium.h>

struct _fg_rpc_t {
    zsock_t *sock;              //  DEALER connected to the server
    char *endpoint;             //  where it connects
    uint64_t seq;               //  seq of the last request
    fg_error_t error;           //  error of the last call
    char error_text [512];      //  its description
};

fg_rpc_t *
fg_rpc_new (const char *endpoint)
{
    char err [256];
    return fg_rpc_new_keyed (endpoint, NULL, err, sizeof err);
}

fg_rpc_t *
fg_rpc_new_keyed (const char *endpoint, const char *server_key, char *err, size_t err_size)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    if (!sock) {
        snprintf (err, err_size, "cannot create a socket");
        return NULL;
    }
    zsock_set_linger (sock, 0);
    zsock_set_immediate (sock, 1);
    fg_msg_limit (sock, 0);
    if (fg_security_client (sock, server_key)) {
        snprintf (err, err_size, "no valid public key known for %s (security is on)", endpoint);
        zsock_destroy (&sock);
        return NULL;
    }
    if (zsock_connect (sock, "%s", endpoint)) {
        snprintf (err, err_size, "'%s' is not a valid endpoint", endpoint);
        zsock_destroy (&sock);
        return NULL;
    }
    fg_rpc_t *self = (fg_rpc_t *) zmalloc (sizeof (fg_rpc_t));
    self->sock = sock;
    self->endpoint = strdup (endpoint);
    self->seq = (uint64_t) randombytes_random ();
    return self;
}

void
fg_rpc_destroy (fg_rpc_t **self_p)
{
    if (*self_p) {
        fg_rpc_t *self = *self_p;
        zsock_destroy (&self->sock);
        free (self->endpoint);
        free (self);
        *self_p = NULL;
    }
}

static fg_env_t *
s_fail (fg_rpc_t *self, fg_error_t code, const char *text)
{
    self->error = code;
    snprintf (self->error_text, sizeof self->error_text, "%s", text);
    return NULL;
}

fg_env_t *
fg_rpc_next (fg_rpc_t *self, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (true) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            return s_fail (self, FG_E_TIMEOUT, "no answer in time");
        zsock_set_rcvtimeo (self->sock, (int) left);
        fg_error_t error;
        uint64_t seq;
        fg_env_t *reply = fg_msg_recv (self->sock, NULL, &error, &seq);
        if (!reply) {
            if (error == FG_E_INTERNAL) {
                if (zsys_interrupted)
                    return s_fail (self, FG_E_TIMEOUT, "interrupted");
                continue;       //  receive timed out; the loop decides
            }
            return s_fail (self, error, fg_strerror (error));
        }
        if (reply->seq != self->seq) {
            fg_msg_free (&reply);           //  late answer to an old request
            continue;
        }
        if (reply->body_case == FOGRID__ENVELOPE__BODY_ERROR) {
            s_fail (self, (fg_error_t) reply->error->code, reply->error->text);
            fg_msg_free (&reply);
            return NULL;
        }
        self->error = FG_OK;
        self->error_text [0] = 0;
        return reply;
    }
}

fg_env_t *
fg_rpc_call (fg_rpc_t *self, fg_env_t *req, int timeout_ms)
{
    req->seq = ++self->seq;
    //  The send waits for the connection (ZMQ_IMMEDIATE): a server that is
    //  down is given half the time (but 2 s at least, a loaded machine's
    //  CurveZMQ handshake), so a caller with several (the resolver's
    //  locators) moves on to the next one sooner
    int connect_ms = timeout_ms / 2 > 2000? timeout_ms / 2: (timeout_ms < 2000? timeout_ms: 2000);
    zsock_set_sndtimeo (self->sock, connect_ms);
    if (fg_msg_send (self->sock, NULL, req)) {
        char text [600];
        snprintf (text, sizeof text, "cannot reach %s", self->endpoint);
        return s_fail (self, FG_E_UNREACHABLE, text);
    }
    return fg_rpc_next (self, timeout_ms);
}

fg_error_t
fg_rpc_error (fg_rpc_t *self)
{
    return self->error;
}

const char *
fg_rpc_error_text (fg_rpc_t *self)
{
    return self->error_text;
}

const char *
fg_rpc_endpoint (fg_rpc_t *self)
{
    return self->endpoint;
}

zsock_t *
fg_rpc_sock (fg_rpc_t *self)
{
    return self->sock;
}
