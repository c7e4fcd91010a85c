/*  =========================================================================
    loc_http - the locator's HTTP JSON API

        GET /v1/services            every name with live endpoints
        GET /v1/services/NAME       one name: protocol, functions, endpoints
                                    (?policy=... orders them as a resolve)
        GET /v1/health              counts and uptime

    libmicrohttpd runs in "external select" mode: the locator's own poll
    loop waits on its sockets and calls loc_http_handle, so the registry
    is only ever touched by the locator's thread.
    =========================================================================  */
#ifndef LOC_HTTP_H_INCLUDED
#define LOC_HTTP_H_INCLUDED

typedef struct _loc_http_t loc_http_t;

//  address: "HOST:PORT" (fg_address_parse). NULL with the reason in err.
loc_http_t *loc_http_new (const char *address, loc_registry_t *registry,
                          char *err, size_t err_size);
void loc_http_destroy (loc_http_t **self_p);

int loc_http_port (loc_http_t *self);

//  Appends the sockets to wait on to items (at most max). Returns how many.
size_t loc_http_items (loc_http_t *self, zmq_pollitem_t *items, size_t max);

//  How long the server may wait at most, in ms, or -1 for no limit.
int64_t loc_http_timeout (loc_http_t *self);

//  Does whatever is ready (never blocks).
void loc_http_handle (loc_http_t *self);

#endif
