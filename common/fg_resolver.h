/*  =========================================================================
    fg_resolver - finds a service's endpoints through the locators

    The client side of the locator's resolve exchange (the seed's five
    steps): connect, send LocResolve, receive the endpoints with the
    protocol description and functions (in pages), receive LocDone, then
    the caller talks to an endpoint directly. Several locators may be
    listed: one that does not answer within the timeout is skipped and the
    next is asked, and the last one that answered is asked first next time.
    =========================================================================  */
#ifndef FG_RESOLVER_H_INCLUDED
#define FG_RESOLVER_H_INCLUDED

typedef struct {
    char transport [16];
    char host [256];
    uint16_t port;
    char owner [64];
    uint32_t weight;
    uint32_t load;
    char public_key [64];
    char uri [300];             //  "tcp://host:port", ready to connect to
} fg_endpoint_t;

typedef struct {
    char name [64];
    char *args;
    char *result;
} fg_function_t;

typedef struct {
    char name [64];
    uint32_t protocol_version;
    char *protocol;
    size_t n_functions;
    fg_function_t *functions;
    size_t n_endpoints;
    fg_endpoint_t *endpoints;
    char locator [300];         //  which locator answered
} fg_resolution_t;

typedef struct _fg_resolver_t fg_resolver_t;

//  locators: comma-separated endpoints. timeout_ms: per locator.
fg_resolver_t *fg_resolver_new (const char *locators, int timeout_ms);
void fg_resolver_destroy (fg_resolver_t **self_p);

//  Resolves name with a policy (NULL = the locator's default). Returns
//  FG_OK and a resolution (free with fg_resolution_destroy), or an error:
//  FG_E_NOT_FOUND (a locator said so), FG_E_UNREACHABLE (none answered),
//  FG_E_INVALID; fg_resolver_error_text says more.
fg_error_t fg_resolver_resolve (fg_resolver_t *self, const char *name,
                                const char *policy, fg_resolution_t **result_p);
//  Lists the names with live endpoints: *reply_p gets the LocServices
//  envelope (free with fg_msg_free). Errors as for resolve.
fg_error_t fg_resolver_services (fg_resolver_t *self, fg_env_t **reply_p);

//  Any other request with a single reply (RegistryList, RegistrySet):
//  sent to the locators in turn until one answers; an Error reply is an
//  answer too. Returns FG_OK with *reply_p (free with fg_msg_free), the
//  Error's code, or FG_E_UNREACHABLE; fg_resolver_error_text says more.
fg_error_t fg_resolver_call (fg_resolver_t *self, fg_env_t *request, fg_env_t **reply_p);

const char *fg_resolver_error_text (fg_resolver_t *self);

void fg_resolution_destroy (fg_resolution_t **self_p);

//  Copies a wire Endpoint into an fg_endpoint_t (uri filled in).
void fg_endpoint_from_msg (fg_endpoint_t *ep, const Fogrid__Endpoint *msg);

#endif
