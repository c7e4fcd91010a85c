/*  =========================================================================
    loc_dns_server - the locator's DNS sockets

    A UDP socket and a TCP listener on one address, answering from the
    registry through the loc_dns codec. The locator's loop polls the
    sockets (loc_dns_server_items) and calls loc_dns_server_handle, which
    never waits on a socket that is not ready.
    =========================================================================  */
#ifndef LOC_DNS_SERVER_H_INCLUDED
#define LOC_DNS_SERVER_H_INCLUDED

typedef struct _loc_dns_server_t loc_dns_server_t;

typedef struct {
    const char *address;        //  "HOST:PORT" (fg_address_parse)
    const char *domain;         //  "fogrid."
    uint32_t ttl;               //  seconds
    loc_registry_t *registry;   //  answers come from here
    uint32_t rate;              //  UDP answers a second to one address (a burst of
                                //  twice that); 0 = no limit
} loc_dns_server_config_t;

loc_dns_server_t *loc_dns_server_new (const loc_dns_server_config_t *config,
                                      char *err, size_t err_size);
void loc_dns_server_destroy (loc_dns_server_t **self_p);

//  The port bound (UDP and TCP share it).
int loc_dns_server_port (loc_dns_server_t *self);

//  Queries answered since start.
uint64_t loc_dns_server_queries (loc_dns_server_t *self);

//  UDP queries left unanswered for their address's rate since start.
uint64_t loc_dns_server_limited (loc_dns_server_t *self);

//  Appends the sockets to poll to items. Returns how many.
size_t loc_dns_server_items (loc_dns_server_t *self, zmq_pollitem_t *items, size_t max);

//  Answers what is waiting.
void loc_dns_server_handle (loc_dns_server_t *self, zmq_pollitem_t *items, size_t count);

#endif
