/*  =========================================================================
    fg_ratelimit - a token bucket per peer

    DESIGN
    Tokens are refilled lazily: a bucket stores its level and when it was
    last touched, and each request first adds rate * elapsed. No timer, no
    thread; the cost is one hash lookup per request.
    =========================================================================  */
#include "fogrid.h"

typedef struct {
    double tokens;
    int64_t at_ms;
} s_bucket_t;

struct _fg_ratelimit_t {
    double rate;                //  tokens per second
    double burst;               //  bucket size
    size_t max_peers;
    zhashx_t *buckets;          //  peer -> s_bucket_t
    uint64_t refused;
};

fg_ratelimit_t *
fg_ratelimit_new (double rate, double burst, size_t max_peers)
{
    fg_ratelimit_t *self = (fg_ratelimit_t *) zmalloc (sizeof (fg_ratelimit_t));
    self->rate = rate;
    self->burst = burst < 1? 1: burst;
    self->max_peers = max_peers? max_peers: 1;
    self->buckets = zhashx_new ();
    zhashx_set_destructor (self->buckets, (zhashx_destructor_fn *) zstr_free);
    return self;
}

void
fg_ratelimit_destroy (fg_ratelimit_t **self_p)
{
    fg_ratelimit_t *self = *self_p;
    if (self) {
        zhashx_destroy (&self->buckets);
        free (self);
        *self_p = NULL;
    }
}

//  Forgets the peers whose bucket has refilled: they are as new.
static void
s_purge (fg_ratelimit_t *self, int64_t now_ms)
{
    zlistx_t *idle = zlistx_new ();
    zlistx_set_duplicator (idle, (czmq_duplicator *) strdup);
    zlistx_set_destructor (idle, (czmq_destructor *) zstr_free);
    for (s_bucket_t *bucket = (s_bucket_t *) zhashx_first (self->buckets); bucket;
         bucket = (s_bucket_t *) zhashx_next (self->buckets))
        if (bucket->tokens + self->rate * (double) (now_ms - bucket->at_ms) / 1000.0 >= self->burst)
            zlistx_add_end (idle, (void *) zhashx_cursor (self->buckets));
    for (char *peer = (char *) zlistx_first (idle); peer; peer = (char *) zlistx_next (idle))
        zhashx_delete (self->buckets, peer);
    zlistx_destroy (&idle);
}

bool
fg_ratelimit_allow (fg_ratelimit_t *self, const char *peer, int64_t now_ms)
{
    if (self->rate <= 0)
        return true;
    s_bucket_t *bucket = (s_bucket_t *) zhashx_lookup (self->buckets, peer);
    if (!bucket) {
        if (zhashx_size (self->buckets) >= self->max_peers)
            s_purge (self, now_ms);
        if (zhashx_size (self->buckets) >= self->max_peers) {
            self->refused++;
            return false;
        }
        bucket = (s_bucket_t *) zmalloc (sizeof (s_bucket_t));
        bucket->tokens = self->burst;
        bucket->at_ms = now_ms;
        zhashx_insert (self->buckets, peer, bucket);
    }
    double elapsed = (double) (now_ms - bucket->at_ms) / 1000.0;
    if (elapsed > 0) {
        bucket->tokens += self->rate * elapsed;
        if (bucket->tokens > self->burst)
            bucket->tokens = self->burst;
        bucket->at_ms = now_ms;
    }
    if (bucket->tokens < 1) {
        self->refused++;
        return false;
    }
    bucket->tokens -= 1;
    return true;
}

uint64_t
fg_ratelimit_refused (fg_ratelimit_t *self)
{
    return self->refused;
}

const char *
fg_ratelimit_peer (const char *key, zframe_t *routing, char *buf, size_t size)
{
    if (key && *key)
        return key;
    size_t used = 0;
    byte *data = routing? zframe_data (routing): NULL;
    size_t length = routing? zframe_size (routing): 0;
    for (size_t index = 0; index < length && used + 3 < size; index++)
        used += (size_t) snprintf (buf + used, size - used, "%02x", data [index]);
    buf [used] = 0;
    return buf;
}

bool
fg_ratelimit_admit (fg_ratelimit_t *self, zsock_t *sock, zframe_t *routing,
                    const char *key, uint64_t seq, const char *setting, int64_t rate)
{
    char name [80];
    if (fg_ratelimit_allow (self, fg_ratelimit_peer (key, routing, name, sizeof name),
                            fg_now_ms ()))
        return true;
    fg_debug ("peer %.12s: over %s", name, setting);
    fg_msg_send_error (sock, routing, seq, FG_E_RATE_LIMIT,
                       "too many requests: %" PRId64 " per second allowed (%s)", rate, setting);
    return false;
}
