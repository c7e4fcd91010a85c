/*  =========================================================================
    hub_watch - which connections of a ROUTER closed, as they close

    A miner killed with SIGKILL says nothing, but the kernel closes its
    TCP connection at once. The ROUTER's monitor tells of each closed
    connection by its file descriptor, and each message that arrives
    carries the descriptor it came on (ZMQ_SRCFD): the two together name
    the miner whose connection closed, long before its silence would.

        hub_watch_t *watch = hub_watch_new (router);    //  before bind
        ...
        env = hub_watch_recv (router, &routing, key, &seq);
        int fd = hub_watch_fd (routing);                //  at a hello
        ...
        int closed;
        while ((closed = hub_watch_next (watch)) >= 0)
            //  the miner last heard on fd `closed` lost its connection

    A descriptor is reused by the next connection the kernel accepts, so
    a close may be told after a new peer has already spoken on the same
    number: the table that acts on it must let that peer clear itself by
    speaking again (hub_miners keeps a short grace for that).
    =========================================================================  */
#ifndef HUB_WATCH_H_INCLUDED
#define HUB_WATCH_H_INCLUDED

typedef struct _hub_watch_t hub_watch_t;

//  Starts watching the socket's connections (after fg_security_server: a
//  socket has one monitor, and this one takes over the counting of the
//  handshakes it refuses); NULL (and a warning) when the monitor cannot
//  be set up: then only silence finds lost miners.
hub_watch_t *hub_watch_new (zsock_t *router, const char *role);
void hub_watch_destroy (hub_watch_t **self_p);

//  The descriptor of the next connection that closed, or -1 when none is
//  waiting. Never blocks.
int hub_watch_next (hub_watch_t *self);

//  Connections whose handshake failed, for one reason (plaintext,
//  handshake), as fg_zap counts them for the sockets it watches; 0 for
//  key (the ZAP handler counts those) and for a NULL self.
uint64_t hub_watch_refused (hub_watch_t *self, fg_refused_t reason);

//  fg_msg_recv_request for the watched socket (same answers, same log),
//  which also notes the descriptor the message came on for its routing
//  frame: libzmq 4.3.4 gives no metadata to the routing frame of a
//  message that a poll (ZMQ_EVENTS) already looked at, only to its body.
fg_env_t *hub_watch_recv (zsock_t *router, zframe_t **peer_p, char *key, uint64_t *seq_p);

//  The descriptor of the connection a routing frame's message came on, or
//  -1 when it is not known.
int hub_watch_fd (zframe_t *frame);

#endif
