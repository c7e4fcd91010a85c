/*  =========================================================================
    loc_dns - the locator's DNS view: one query message in, one reply out

    A socket-free codec: the locator daemon reads a datagram (or a TCP
    message, without its two-byte length prefix) and passes it here with a
    lookup callback into its registry; whatever comes back is sent as is.
    The names it answers, for domain "fogrid.":

        NAME.service.fogrid.      SRV, A, TXT (and ANY: all three)
        10-0-0-5.addr.fogrid.     A, synthesized from the label itself
        fogrid.                   SOA
    =========================================================================  */
#ifndef LOC_DNS_H_INCLUDED
#define LOC_DNS_H_INCLUDED

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

//  Reply buffer sizes: for UDP pass a buffer of LOC_DNS_UDP_MAX bytes (the
//  codec caps the reply at 512, or at the EDNS0 size the query advertises,
//  up to 1232); for TCP pass LOC_DNS_TCP_MAX.
#define LOC_DNS_UDP_MAX 1232
#define LOC_DNS_TCP_MAX 65535

typedef struct {
    const char *host;       //  IPv4 dotted quad or a host name
    uint16_t port;
    uint16_t weight;        //  SRV weight
    uint16_t priority;      //  SRV priority (0)
} loc_dns_target_t;

typedef struct {
    uint32_t protocol_version;
    const char *const *functions;   //  function names
    size_t n_functions;
    const loc_dns_target_t *targets;
    size_t n_targets;
} loc_dns_service_t;

//  Fills service for name ("echo"); returns false when the name is unknown
//  or has no live endpoint. What service points to must stay valid until
//  loc_dns_answer returns. name is lower case, 1..63 of [a-z0-9-].
typedef bool (loc_dns_lookup_fn) (void *arg, const char *name, loc_dns_service_t *service);

typedef struct {
    const char *domain;     //  "fogrid." : answers NAME.service.DOMAIN
    uint32_t ttl;           //  seconds, for every record
} loc_dns_config_t;

//  Answers one DNS query message. Returns the reply length written to reply
//  (at most reply_max), or 0 when the query must be dropped (too short to
//  carry an id, or it is itself a response, or reply_max is under 12).
//  Over UDP (tcp false) a reply that does not fit in 512 bytes, or in the
//  EDNS0 size the query advertises (capped to 1232), or in reply_max, is
//  truncated with the TC bit set so the client retries over TCP; for TCP
//  pass reply_max LOC_DNS_TCP_MAX. lookup may be NULL (no services).
size_t loc_dns_answer (const loc_dns_config_t *config, const uint8_t *query, size_t size,
                       uint8_t *reply, size_t reply_max, bool tcp,
                       loc_dns_lookup_fn *lookup, void *arg);

#endif
