/*  =========================================================================
    fg_ratelimit - a token bucket per peer

    A server asks fg_ratelimit_allow (limit, peer) before it handles a
    request: each peer (its CurveZMQ key, or its connection id on a
    plain-text socket) earns `rate` tokens per second up to `burst`, and a
    request spends one. The table is bounded: peers idle long enough to
    have a full bucket are forgotten first, and when it is full of busy
    peers a new one is refused rather than letting memory grow.
    =========================================================================  */
#ifndef FG_RATELIMIT_H_INCLUDED
#define FG_RATELIMIT_H_INCLUDED

typedef struct _fg_ratelimit_t fg_ratelimit_t;

//  rate 0 = no limit (allow always returns true).
fg_ratelimit_t *fg_ratelimit_new (double rate, double burst, size_t max_peers);
void fg_ratelimit_destroy (fg_ratelimit_t **self_p);

//  True when peer may make a request now (and spends a token).
bool fg_ratelimit_allow (fg_ratelimit_t *self, const char *peer, int64_t now_ms);

//  Requests refused since start.
uint64_t fg_ratelimit_refused (fg_ratelimit_t *self);

//  A printable name for a connection: the key when there is one, else
//  the routing id in hex (into buf).
const char *fg_ratelimit_peer (const char *key, zframe_t *routing, char *buf, size_t size);

//  What a server does with a request before any work: true when peer
//  (the request's key, "" on plain text, and routing id) is within its
//  rate; else answers it on sock with FG_E_RATE_LIMIT naming setting
//  and its rate, and returns false. Quietly (a debug line): a flood must
//  not flood the log.
bool fg_ratelimit_admit (fg_ratelimit_t *self, zsock_t *sock, zframe_t *routing,
                         const char *key, uint64_t seq, const char *setting, int64_t rate);

#endif
