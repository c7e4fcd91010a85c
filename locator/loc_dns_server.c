/*  =========================================================================
    loc_dns_server - the locator's DNS sockets

    DESIGN
    UDP: each ready datagram is answered at once; at most S_BURST per call
    so a flood cannot starve the ZeroMQ side. Answers that do not fit in
    512 bytes (or the client's EDNS size) come back truncated, and the
    client retries over TCP.

    Over UDP the source address is the asker's word only: a forged one
    aims our answers (larger than the queries) at someone else. So each
    address gets `rate` answers a second (fg_ratelimit); past that its
    queries are dropped unanswered and counted. A real client asks again
    a little later, or over TCP, which needs a real address and is not
    limited here.

    TCP: a connection is accepted and read with a short timeout (a DNS
    client writes its query as soon as it connects), answered and closed.
    One slow client can hold the loop for S_TCP_WAIT_MS at most; that is
    the price of staying single-threaded, and TCP is only the fallback.

    The lookup resolves a name in the registry (random order, so plain
    clients that take the first record spread their load) and lends the
    codec pointers into a per-query scratch area freed after the answer.
    =========================================================================  */
#include "fogrid.h"
#include "loc_registry.h"
#include "loc_dns.h"
#include "loc_dns_server.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#define S_BURST             64
#define S_TCP_WAIT_MS       300
#define S_UDP_MAX           1232    //  the EDNS size that avoids fragments

struct _loc_dns_server_t {
    int udp;
    int tcp;
    int port;
    loc_dns_config_t codec;
    char domain [256];
    loc_registry_t *registry;
    fg_ratelimit_t *limit;      //  UDP answers per source address
    uint64_t queries;
    uint64_t limited;
};

//  What one lookup lends the codec, freed after the answer.
typedef struct {
    loc_registry_t *registry;
    loc_entry_t *entries;
    loc_dns_target_t *targets;
    const char **functions;
} s_lookup_t;

static bool
s_lookup (void *arg, const char *name, loc_dns_service_t *service)
{
    s_lookup_t *lookup = (s_lookup_t *) arg;
    free (lookup->entries);
    free (lookup->targets);
    free (lookup->functions);
    lookup->entries = NULL;
    lookup->targets = NULL;
    lookup->functions = NULL;
    size_t count = loc_registry_resolve (lookup->registry, name, LOC_POLICY_RANDOM,
                                         &lookup->entries);
    if (count == 0)
        return false;
    const Fogrid__Registration *describing = lookup->entries [0].reg;
    lookup->targets = (loc_dns_target_t *) zmalloc (sizeof (loc_dns_target_t) * count);
    for (size_t index = 0; index < count; index++) {
        const Fogrid__Registration *reg = lookup->entries [index].reg;
        if (reg->protocol_version > describing->protocol_version)
            describing = reg;
        lookup->targets [index].host = reg->endpoint->host;
        lookup->targets [index].port = (uint16_t) reg->endpoint->port;
        lookup->targets [index].weight = reg->endpoint->weight > 65535
                                       ? 65535: (uint16_t) reg->endpoint->weight;
        lookup->targets [index].priority = 0;
    }
    lookup->functions = (const char **) zmalloc (sizeof (char *) * (describing->n_functions + 1));
    for (size_t index = 0; index < describing->n_functions; index++)
        lookup->functions [index] = describing->functions [index]->name;
    service->protocol_version = describing->protocol_version;
    service->functions = lookup->functions;
    service->n_functions = describing->n_functions;
    service->targets = lookup->targets;
    service->n_targets = count;
    return true;
}

static size_t
s_answer (loc_dns_server_t *self, const uint8_t *query, size_t size, uint8_t *reply,
          size_t reply_max, bool tcp)
{
    s_lookup_t lookup = { .registry = self->registry };
    size_t length = loc_dns_answer (&self->codec, query, size, reply, reply_max, tcp,
                                    s_lookup, &lookup);
    free (lookup.entries);
    free (lookup.targets);
    free (lookup.functions);
    self->queries++;
    return length;
}

loc_dns_server_t *
loc_dns_server_new (const loc_dns_server_config_t *config, char *err, size_t err_size)
{
    char host [64];
    uint16_t port;
    if (fg_address_parse (config->address, host, sizeof host, &port)) {
        snprintf (err, err_size, "DNS address '%s' is not like 127.0.0.1:7753", config->address);
        return NULL;
    }
    loc_dns_server_t *self = (loc_dns_server_t *) zmalloc (sizeof (loc_dns_server_t));
    self->udp = self->tcp = -1;
    self->registry = config->registry;
    snprintf (self->domain, sizeof self->domain, "%s", config->domain);
    self->codec.domain = self->domain;
    self->codec.ttl = config->ttl;
    self->limit = fg_ratelimit_new ((double) config->rate, 2.0 * config->rate, 100000);

    struct sockaddr_in where;
    memset (&where, 0, sizeof where);
    where.sin_family = AF_INET;
    where.sin_port = htons (port);
    inet_pton (AF_INET, host, &where.sin_addr);
    //  TCP first: with port 0 it picks the port, and UDP takes the same
    self->tcp = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt (self->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (self->tcp < 0 || bind (self->tcp, (struct sockaddr *) &where, sizeof where)
    ||  listen (self->tcp, 64))
        goto failed;
    socklen_t length = sizeof where;
    getsockname (self->tcp, (struct sockaddr *) &where, &length);
    self->port = ntohs (where.sin_port);
    self->udp = socket (AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (self->udp < 0 || bind (self->udp, (struct sockaddr *) &where, sizeof where))
        goto failed;
    return self;

failed:
    snprintf (err, err_size, "cannot serve DNS on %s: %s", config->address, strerror (errno));
    loc_dns_server_destroy (&self);
    return NULL;
}

void
loc_dns_server_destroy (loc_dns_server_t **self_p)
{
    loc_dns_server_t *self = *self_p;
    if (self) {
        if (self->udp >= 0)
            close (self->udp);
        if (self->tcp >= 0)
            close (self->tcp);
        fg_ratelimit_destroy (&self->limit);
        free (self);
        *self_p = NULL;
    }
}

int
loc_dns_server_port (loc_dns_server_t *self)
{
    return self->port;
}

uint64_t
loc_dns_server_queries (loc_dns_server_t *self)
{
    return self->queries;
}

uint64_t
loc_dns_server_limited (loc_dns_server_t *self)
{
    return self->limited;
}

size_t
loc_dns_server_items (loc_dns_server_t *self, zmq_pollitem_t *items, size_t max)
{
    if (max < 2)
        return 0;
    items [0] = (zmq_pollitem_t) { NULL, self->udp, ZMQ_POLLIN, 0 };
    items [1] = (zmq_pollitem_t) { NULL, self->tcp, ZMQ_POLLIN, 0 };
    return 2;
}

static void
s_handle_udp (loc_dns_server_t *self)
{
    //  A query may be larger than any answer we send over UDP
    uint8_t query [65536], reply [S_UDP_MAX];
    for (int burst = 0; burst < S_BURST; burst++) {
        struct sockaddr_storage from;
        socklen_t from_size = sizeof from;
        ssize_t size = recvfrom (self->udp, query, sizeof query, MSG_DONTWAIT,
                                 (struct sockaddr *) &from, &from_size);
        if (size < 0)
            return;
        char address [INET6_ADDRSTRLEN] = "?";
        if (from.ss_family == AF_INET)
            inet_ntop (AF_INET, &((struct sockaddr_in *) &from)->sin_addr, address,
                       sizeof address);
        if (!fg_ratelimit_allow (self->limit, address, fg_now_ms ())) {
            self->limited++;
            continue;
        }
        size_t length = s_answer (self, query, (size_t) size, reply, sizeof reply, false);
        if (length)
            sendto (self->udp, reply, length, MSG_DONTWAIT, (struct sockaddr *) &from, from_size);
    }
}

//  Reads exactly size bytes or gives up after S_TCP_WAIT_MS in all.
static bool
s_read_all (int fd, uint8_t *data, size_t size, int64_t deadline)
{
    size_t done = 0;
    while (done < size) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            return false;
        zmq_pollitem_t item = { NULL, fd, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, (long) left) <= 0)
            return false;
        ssize_t got = recv (fd, data + done, size - done, MSG_DONTWAIT);
        if (got <= 0)
            return false;
        done += (size_t) got;
    }
    return true;
}

static void
s_handle_tcp (loc_dns_server_t *self)
{
    for (int burst = 0; burst < S_BURST; burst++) {
        int fd = accept4 (self->tcp, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        int64_t deadline = zclock_mono () + S_TCP_WAIT_MS;
        uint8_t prefix [2];
        //  Each message is preceded by its length (RFC 1035 4.2.2)
        if (s_read_all (fd, prefix, 2, deadline)) {
            size_t size = ((size_t) prefix [0] << 8) | prefix [1];
            uint8_t *query = (uint8_t *) malloc (size + 1);
            uint8_t *reply = (uint8_t *) malloc (65535 + 2);
            if (size && s_read_all (fd, query, size, deadline)) {
                size_t length = s_answer (self, query, size, reply + 2, 65535, true);
                if (length) {
                    reply [0] = (uint8_t) (length >> 8);
                    reply [1] = (uint8_t) length;
                    //  Blocking write, bounded: the answer is small and the
                    //  peer has just written to us
                    int flags = fcntl (fd, F_GETFL);
                    fcntl (fd, F_SETFL, flags & ~O_NONBLOCK);
                    struct timeval wait = { 0, S_TCP_WAIT_MS * 1000 };
                    setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &wait, sizeof wait);
                    if (send (fd, reply, length + 2, MSG_NOSIGNAL) < 0)
                        fg_debug ("locator: DNS over TCP: %s", strerror (errno));
                }
            }
            free (query);
            free (reply);
        }
        close (fd);
    }
}

void
loc_dns_server_handle (loc_dns_server_t *self, zmq_pollitem_t *items, size_t count)
{
    (void) items;
    (void) count;
    //  Both sockets are non-blocking: trying them costs one syscall each
    s_handle_udp (self);
    s_handle_tcp (self);
}
