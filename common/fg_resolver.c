/*  =========================================================================
    fg_resolver - finds a service's endpoints through the locators
    =========================================================================  */
#include "fogrid.h"

struct _fg_resolver_t {
    zlist_t *locators;          //  endpoints, in the configured order
    fg_rpc_t **rpcs;            //  one channel per locator, made on demand
    size_t count;               //  number of locators
    size_t preferred;           //  the last one that answered
    int timeout_ms;             //  per locator
    char error_text [512];      //  why the last resolve failed
};

fg_resolver_t *
fg_resolver_new (const char *locators, int timeout_ms)
{
    fg_resolver_t *self = (fg_resolver_t *) zmalloc (sizeof (fg_resolver_t));
    self->locators = fg_split_list (locators);
    self->count = zlist_size (self->locators);
    self->rpcs = (fg_rpc_t **) zmalloc (sizeof (fg_rpc_t *) * (self->count + 1));
    self->timeout_ms = timeout_ms > 0? timeout_ms: 1000;
    return self;
}

void
fg_resolver_destroy (fg_resolver_t **self_p)
{
    if (*self_p) {
        fg_resolver_t *self = *self_p;
        for (size_t i = 0; i < self->count; i++)
            fg_rpc_destroy (&self->rpcs [i]);
        free (self->rpcs);
        zlist_destroy (&self->locators);
        free (self);
        *self_p = NULL;
    }
}

void
fg_endpoint_from_msg (fg_endpoint_t *ep, const Fogrid__Endpoint *msg)
{
    memset (ep, 0, sizeof *ep);
    snprintf (ep->transport, sizeof ep->transport, "%s",
              msg->transport && *msg->transport? msg->transport: "tcp");
    snprintf (ep->host, sizeof ep->host, "%s", msg->host? msg->host: "");
    ep->port = (uint16_t) msg->port;
    snprintf (ep->owner, sizeof ep->owner, "%s", msg->owner? msg->owner: "");
    ep->weight = msg->weight;
    ep->load = msg->load;
    snprintf (ep->public_key, sizeof ep->public_key, "%s", msg->public_key? msg->public_key: "");
    snprintf (ep->uri, sizeof ep->uri, "%s://%s:%u", ep->transport, ep->host, ep->port);
}

void
fg_resolution_destroy (fg_resolution_t **self_p)
{
    if (*self_p) {
        fg_resolution_t *self = *self_p;
        for (size_t i = 0; i < self->n_functions; i++) {
            free (self->functions [i].args);
            free (self->functions [i].result);
        }
        free (self->functions);
        free (self->endpoints);
        free (self->protocol);
        free (self);
        *self_p = NULL;
    }
}

//  Adds one page of the answer to the resolution.
static void
s_add_page (fg_resolution_t *res, Fogrid__LocEndpoints *page)
{
    if (!res->protocol) {
        snprintf (res->name, sizeof res->name, "%s", page->name);
        res->protocol_version = page->protocol_version;
        res->protocol = strdup (page->protocol? page->protocol: "");
        res->n_functions = page->n_functions;
        res->functions = (fg_function_t *) zmalloc (sizeof (fg_function_t) * (page->n_functions + 1));
        for (size_t i = 0; i < page->n_functions; i++) {
            snprintf (res->functions [i].name, sizeof res->functions [i].name, "%s",
                      page->functions [i]->name);
            res->functions [i].args = strdup (page->functions [i]->args);
            res->functions [i].result = strdup (page->functions [i]->result);
        }
    }
    res->endpoints = (fg_endpoint_t *) realloc (res->endpoints,
        sizeof (fg_endpoint_t) * (res->n_endpoints + page->n_endpoints + 1));
    for (size_t i = 0; i < page->n_endpoints; i++)
        fg_endpoint_from_msg (&res->endpoints [res->n_endpoints++], page->endpoints [i]);
}

//  The channel to locator index, made on first use. NULL with the reason
//  in error_text.
static fg_rpc_t *
s_channel (fg_resolver_t *self, size_t index, const char **endpoint_p)
{
    const char *endpoint = (const char *) zlist_first (self->locators);
    for (size_t i = 0; i < index; i++)
        endpoint = (const char *) zlist_next (self->locators);
    *endpoint_p = endpoint;
    if (!self->rpcs [index] && !fg_security_insecure () && !*fg_security_locator_key ()) {
        snprintf (self->error_text, sizeof self->error_text,
                  "the locators' public key is not set (security/locator_key; for the "
                  "command line -K or FOGRID_LOCATOR_KEY)");
        return NULL;
    }
    if (!self->rpcs [index]) {
        char err [300];
        self->rpcs [index] = fg_rpc_new_keyed (endpoint, fg_security_locator_key (),
                                               err, sizeof err);
        if (!self->rpcs [index])
            snprintf (self->error_text, sizeof self->error_text, "locator: %s", err);
    }
    return self->rpcs [index];
}

//  After a call that got no reply: says why, and drops a channel that
//  timed out so a fresh socket never gets the late pages.
static fg_error_t
s_no_reply (fg_resolver_t *self, size_t index, const char *endpoint)
{
    fg_rpc_t *rpc = self->rpcs [index];
    fg_error_t rc = fg_rpc_error (rpc);
    if (rc == FG_E_UNREACHABLE)
        snprintf (self->error_text, sizeof self->error_text,
                  "locator %s does not answer", endpoint);
    else
    if (rc == FG_E_TIMEOUT)
        snprintf (self->error_text, sizeof self->error_text,
                  "locator %s did not answer in %d ms", endpoint, self->timeout_ms);
    else
        snprintf (self->error_text, sizeof self->error_text, "locator %s: %s",
                  endpoint, fg_rpc_error_text (rpc));
    if (rc == FG_E_TIMEOUT || rc == FG_E_UNREACHABLE)
        fg_rpc_destroy (&self->rpcs [index]);
    return rc;
}

typedef struct {
    const char *name;
    const char *policy;
    fg_resolution_t *resolution;        //  resolve: the answer
    fg_env_t *services;                 //  list: the LocServices reply
    fg_env_t *request;                  //  call: what to send
    fg_env_t *reply;                    //  call: the reply
    bool answered;                      //  call: a locator answered (maybe an Error)
} s_exchange_t;

typedef fg_error_t (s_exchange_fn) (fg_resolver_t *self, size_t index, s_exchange_t *exchange);

//  The resolve exchange with one locator. Returns FG_OK, FG_E_NOT_FOUND,
//  or a transport error that makes us try the next locator.
static fg_error_t
s_resolve_at (fg_resolver_t *self, size_t index, s_exchange_t *exchange)
{
    const char *endpoint;
    fg_rpc_t *rpc = s_channel (self, index, &endpoint);
    if (!rpc)
        return FG_E_INVALID;
    Fogrid__LocResolve resolve = FOGRID__LOC_RESOLVE__INIT;
    resolve.name = (char *) exchange->name;
    resolve.policy = (char *) (exchange->policy? exchange->policy: "");
    fg_env_t req = FOGRID__ENVELOPE__INIT;
    req.body_case = FOGRID__ENVELOPE__BODY_LOC_RESOLVE;
    req.loc_resolve = &resolve;

    fg_resolution_t *res = (fg_resolution_t *) zmalloc (sizeof (fg_resolution_t));
    snprintf (res->locator, sizeof res->locator, "%s", endpoint);
    fg_env_t *reply = fg_rpc_call (rpc, &req, self->timeout_ms);
    while (reply && reply->body_case == FOGRID__ENVELOPE__BODY_LOC_ENDPOINTS) {
        s_add_page (res, reply->loc_endpoints);
        fg_msg_free (&reply);
        reply = fg_rpc_next (rpc, self->timeout_ms);
    }
    fg_error_t rc = FG_OK;
    if (!reply)
        rc = s_no_reply (self, index, endpoint);
    else
    if (reply->body_case != FOGRID__ENVELOPE__BODY_LOC_DONE) {
        rc = FG_E_UNEXPECTED;
        snprintf (self->error_text, sizeof self->error_text,
                  "locator %s: unexpected '%s' in a resolve answer", endpoint,
                  fg_msg_body_name (reply));
    }
    fg_msg_free (&reply);
    if (rc == FG_OK)
        exchange->resolution = res;
    else
        fg_resolution_destroy (&res);
    return rc;
}

static fg_error_t
s_list_at (fg_resolver_t *self, size_t index, s_exchange_t *exchange)
{
    const char *endpoint;
    fg_rpc_t *rpc = s_channel (self, index, &endpoint);
    if (!rpc)
        return FG_E_INVALID;
    Fogrid__LocList list = FOGRID__LOC_LIST__INIT;
    fg_env_t req = FOGRID__ENVELOPE__INIT;
    req.body_case = FOGRID__ENVELOPE__BODY_LOC_LIST;
    req.loc_list = &list;
    fg_env_t *reply = fg_rpc_call (rpc, &req, self->timeout_ms);
    if (!reply)
        return s_no_reply (self, index, endpoint);
    if (reply->body_case != FOGRID__ENVELOPE__BODY_LOC_SERVICES) {
        snprintf (self->error_text, sizeof self->error_text,
                  "locator %s: unexpected '%s' in a list answer", endpoint,
                  fg_msg_body_name (reply));
        fg_msg_free (&reply);
        return FG_E_UNEXPECTED;
    }
    exchange->services = reply;
    return FG_OK;
}

//  Any one request with one reply; an Error reply is an answer too.
static fg_error_t
s_call_at (fg_resolver_t *self, size_t index, s_exchange_t *exchange)
{
    const char *endpoint;
    fg_rpc_t *rpc = s_channel (self, index, &endpoint);
    if (!rpc)
        return FG_E_INVALID;
    exchange->reply = fg_rpc_call (rpc, exchange->request, self->timeout_ms);
    if (exchange->reply)
        return FG_OK;
    fg_error_t rc = fg_rpc_error (rpc);
    if (rc == FG_E_TIMEOUT || rc == FG_E_UNREACHABLE)
        return s_no_reply (self, index, endpoint);
    snprintf (self->error_text, sizeof self->error_text, "locator %s: %s", endpoint,
              fg_rpc_error_text (rpc));
    exchange->answered = true;
    return rc;
}

//  Runs exchange with each locator in turn, from the one that answered
//  last, until one gives an answer (a "not found" is an answer).
static fg_error_t
s_ask (fg_resolver_t *self, s_exchange_fn *exchange_fn, s_exchange_t *exchange)
{
    if (self->count == 0) {
        snprintf (self->error_text, sizeof self->error_text, "no locator configured");
        return FG_E_INVALID;
    }
    fg_error_t rc = FG_E_UNREACHABLE;
    for (size_t tried = 0; tried < self->count; tried++) {
        size_t index = (self->preferred + tried) % self->count;
        rc = exchange_fn (self, index, exchange);
        if (rc == FG_OK || rc == FG_E_NOT_FOUND || rc == FG_E_INVALID || exchange->answered) {
            self->preferred = index;
            return rc;
        }
        if (tried + 1 < self->count)
            zsys_warning ("resolver: %s, trying the next locator", self->error_text);
    }
    if (self->count > 1)
        snprintf (self->error_text, sizeof self->error_text,
                  "none of the %zu locators answered", self->count);
    return rc == FG_E_TIMEOUT? FG_E_UNREACHABLE: rc;
}

fg_error_t
fg_resolver_resolve (fg_resolver_t *self, const char *name, const char *policy,
                     fg_resolution_t **result_p)
{
    *result_p = NULL;
    if (!fg_name_valid (name)) {
        snprintf (self->error_text, sizeof self->error_text,
                  "'%s' is not a valid service name (1-63 of a-z, 0-9, '-')", name? name: "");
        return FG_E_INVALID;
    }
    s_exchange_t exchange = { .name = name, .policy = policy };
    fg_error_t rc = s_ask (self, s_resolve_at, &exchange);
    *result_p = exchange.resolution;
    return rc;
}

fg_error_t
fg_resolver_services (fg_resolver_t *self, fg_env_t **reply_p)
{
    s_exchange_t exchange = { .name = NULL };
    fg_error_t rc = s_ask (self, s_list_at, &exchange);
    *reply_p = exchange.services;
    return rc;
}

fg_error_t
fg_resolver_call (fg_resolver_t *self, fg_env_t *request, fg_env_t **reply_p)
{
    s_exchange_t exchange = { .request = request };
    fg_error_t rc = s_ask (self, s_call_at, &exchange);
    *reply_p = exchange.reply;
    return rc;
}

const char *
fg_resolver_error_text (fg_resolver_t *self)
{
    return self->error_text;
}
