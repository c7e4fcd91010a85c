/*  =========================================================================
    miner_conn - the DEALER to one hub, its monitor, and whether it is up

    The hub answers a heartbeat with nothing when all is well, so silence
    is not a sign of a dead hub. What tells it is the connection: the
    DEALER has ZMTP heartbeats (a peer that stops answering pings is
    dropped) and a socket monitor reports when the link comes up
    (handshake done) or goes down. This owns the socket, the monitor and
    that up/down tracking; the link (miner_link.h) decides what to do
    about it (say hello again, leave the hub).

        miner_conn_t *conn = miner_conn_new (tag, "tcp://hub:5555", key, 1000,
                                             why, sizeof why);
        ... poll miner_conn_dealer (conn) and miner_conn_monitor (conn):
        if (miner_conn_on_monitor (conn)) ...it came back: say hello...
        fg_env_t *env = miner_conn_recv (conn);
        if (!miner_conn_up (conn) && now - miner_conn_down_ms (conn) > limit) ...
        miner_conn_destroy (&conn);
    =========================================================================  */
#ifndef MINER_CONN_H_INCLUDED
#define MINER_CONN_H_INCLUDED

typedef struct _miner_conn_t miner_conn_t;

//  A DEALER connecting to endpoint (CurveZMQ to key when security is on),
//  pinging every heartbeat_ms, watched by a monitor when one can be had;
//  tag prefixes its log lines. NULL, with why, when it cannot be made.
miner_conn_t *miner_conn_new (const char *tag, const char *endpoint, const char *key,
                              uint32_t heartbeat_ms, char *why, size_t why_size);

//  Closes the socket (dropping what is unsent, unless miner_conn_linger
//  said otherwise). Idempotent.
void miner_conn_destroy (miner_conn_t **self_p);

//  Sends env without blocking; logs a failure and returns -1.
int miner_conn_send (miner_conn_t *self, fg_env_t *env);

//  The next message from the hub, or NULL (a bad one is logged). Without
//  a monitor, a message is the only sign that the link is up.
fg_env_t *miner_conn_recv (miner_conn_t *self);

//  True when a message waits to be read.
bool miner_conn_readable (miner_conn_t *self);

//  Lets the close wait up to ms for what was sent (a goodbye owed).
void miner_conn_linger (miner_conn_t *self, int ms);

//  Reads one monitor event. True when the link came up again after it had
//  been up before: the peer may be a restarted hub that does not know us.
bool miner_conn_on_monitor (miner_conn_t *self);

//  Handshake done and not disconnected since.
bool miner_conn_up (miner_conn_t *self);

//  When the link was last seen going down (or was made).
int64_t miner_conn_down_ms (miner_conn_t *self);

const char *miner_conn_endpoint (miner_conn_t *self);
const char *miner_conn_key (miner_conn_t *self);

//  For the poll set: the DEALER, and the monitor (NULL when none).
zsock_t *miner_conn_dealer (miner_conn_t *self);
zsock_t *miner_conn_monitor (miner_conn_t *self);

#endif
