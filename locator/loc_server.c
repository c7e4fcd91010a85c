/*  =========================================================================
    loc_server - the locator daemon as an actor

    DESIGN
    The conversation on the ROUTER (proto/fogrid.proto, "Locator"):

        request         answer
        -------         ------
        LocRegister     Ok, or Error INVALID / LIMIT / DENIED
        LocHeartbeat    nothing when known; Error NOT_FOUND when the owner
                        expired (it registers again)
        LocUnregister   Ok (also when there was nothing to remove)
        LocResolve      LocEndpoints pages, then LocDone; Error NOT_FOUND
                        for a name without live endpoints
        LocWatch        as LocResolve now, and again at every change of the
                        name until the lease ends; Ok when lease_ms is 0
        LocList         LocServices: every name with live endpoints
        anything else   Error UNEXPECTED; undecodable: MALFORMED / VERSION /
                        TOO_BIG, with the request's seq when it was readable

    Every answer to a resolve or a watch carries the request's seq, so a
    client tells the pages of one answer from a late one. The protocol
    description and the functions travel in the first page only.

    Watches are soft state like registrations: a watcher renews its lease
    by sending LocWatch again; one whose lease ends is forgotten. After
    each event the loop compares each watched name's version with what its
    watcher was sent last, so a burst of changes costs one update.

    With `locator/register_keys` set, only the CurveZMQ keys in that
    directory may register (anyone with the locator's key may resolve):
    a buyer must not be able to publish itself as `hub`. And an owner is
    the key that registered it, for as long as it holds registrations:
    another key can neither register, heartbeat nor unregister under that
    owner's name, so no one can take over or withdraw a hub's names.

    The hub registry (RegistryList, RegistrySet, RegistrySync: the
    whitelist the DAO keeps, on disk) is loc_hubs'; this file only routes
    its requests, and runs loc_peers (which pulls the registry's records
    from the other locators) in the same loop.
    =========================================================================  */
#include "fogrid.h"
#include "loc_registry.h"
#include "loc_server.h"
#include "loc_http.h"
#include "loc_dns_server.h"
#include "loc_hubs.h"
#include "loc_hubs_api.h"
#include "loc_peers.h"

const fg_cfg_def_t loc_server_defs [] = {
    { "locator/endpoint", FG_CFG_STR, "tcp://*:7700", 0, 0,
      "where the locator listens for registrations, resolves and watches" },
    { "locator/data_dir", FG_CFG_STR, "./fogrid-locator-data", 0, 0,
      "directory of the locator's key pair and its hub registry (registry.db)" },
    { "locator/ttl_ms", FG_CFG_INT, "5000", 100, 3600000,
      "lifetime of a registration after its last heartbeat, when the owner names none" },
    { "locator/max_ttl_ms", FG_CFG_INT, "60000", 100, 3600000,
      "longest lifetime an owner may ask for" },
    { "locator/page_size", FG_CFG_INT, "50", 1, 1000,
      "endpoints per LocEndpoints page (a resolve may ask for fewer)" },
    { "locator/default_policy", FG_CFG_STR, "random", 0, 0,
      "order of endpoints when a resolve names none: random, round-robin, weighted, "
      "least-loaded" },
    { "locator/max_per_owner", FG_CFG_INT, "64", 1, 100000,
      "registrations one owner may hold" },
    { "locator/max_owners", FG_CFG_INT, "100000", 1, 10000000,
      "owners the locator keeps at most" },
    { "locator/max_watches", FG_CFG_INT, "10000", 0, 1000000,
      "watches the locator keeps at most" },
    { "locator/max_lease_ms", FG_CFG_INT, "60000", 100, 3600000,
      "longest watch lease" },
    { "locator/max_message", FG_CFG_INT, "1048576", 1024, 67108864,
      "largest message accepted, in bytes" },
    { "locator/rate", FG_CFG_INT, "1000", 0, 1000000,
      "requests per second each client key (or plain-text connection) may make, a burst "
      "of twice that; 0 = no limit" },
    { "locator/register_keys", FG_CFG_STR, "", 0, 0,
      "directory of the public keys allowed to register; empty = any client key" },
    LOC_HUBS_DEFS,
    LOC_PEERS_DEFS,
    { "locator/dns", FG_CFG_STR, "*:7753", 0, 0,
      "DNS address as HOST:PORT (UDP and TCP); empty = no DNS" },
    { "locator/dns_domain", FG_CFG_STR, "fogrid.", 0, 0,
      "DNS names are NAME.service.DOMAIN" },
    { "locator/dns_ttl", FG_CFG_INT, "5", 0, 86400,
      "TTL of DNS answers, in seconds" },
    { "locator/dns_rate", FG_CFG_INT, "100", 0, 1000000,
      "DNS answers over UDP a second to one address (a burst of twice that); past it "
      "queries go unanswered; 0 = no limit" },
    { "locator/http", FG_CFG_STR, "127.0.0.1:7780", 0, 0,
      "HTTP address (HOST:PORT) of the JSON API, /metrics and the probes; *:7780 for "
      "every interface; empty = no HTTP" },
    FG_SECURITY_DEFS,
    { NULL, FG_CFG_STR, NULL, 0, 0, NULL }
};

#define S_PING_MS   5000        //  ZMTP ping interval to every client

typedef struct {
    zframe_t *peer;             //  routing id of the watcher
    uint64_t seq;               //  of its LocWatch: every update carries it
    char name [64];
    loc_policy_t policy;
    int64_t expires_ms;         //  lease end
    uint64_t sent_version;      //  what it was sent last
} s_watch_t;

typedef struct {
    zsock_t *pipe;              //  to the caller
    fg_config_t *config;        //  settings (not ours)
    zsock_t *router;            //  the locator conversation
    int port;                   //  its port
    loc_registry_t *registry;   //  the services
    loc_hubs_t *hubs;           //  the hub registry (whitelist)
    loc_peers_t *peers;         //  pulls it from the other locators, or NULL
    fg_http_t *http;            //  JSON API and metrics, or NULL
    loc_http_context_t http_context;
    loc_stats_t stats;          //  for /metrics
    loc_dns_server_t *dns;      //  DNS, or NULL
    zlistx_t *watches;          //  s_watch_t
    loc_policy_t default_policy;
    uint32_t page_size;
    size_t max_watches;
    int64_t max_lease_ms;
    bool check_register_keys;   //  only admitted keys may register
    zcertstore_t *register_keys;
    zhashx_t *owner_keys;       //  owner -> the key that registered it
    fg_ratelimit_t *limit;      //  per client key (or connection)
    uint64_t requests;          //  answered since start
    bool terminated;
} s_server_t;

//  --------------------------------------------------------------------------
//  Config

int
loc_server_check_config (fg_config_t *config, char *err, size_t err_size)
{
    char host [256];
    uint16_t port;
    const char *endpoint = fg_config_str (config, "locator/endpoint");
    //  Interface names are fine for ZeroMQ: the bind itself judges the host
    const char *colon = strrchr (endpoint, ':');
    if (strncmp (endpoint, "tcp://", 6) || !colon || colon < endpoint + 7 || !colon [1]) {
        snprintf (err, err_size, "locator/endpoint: '%s' is not an endpoint like tcp://*:7700",
                  endpoint);
        return -1;
    }
    loc_policy_t policy;
    if (loc_policy_parse (fg_config_str (config, "locator/default_policy"), &policy)) {
        snprintf (err, err_size, "locator/default_policy: '%s' is not one of random, "
                  "round-robin, weighted, least-loaded",
                  fg_config_str (config, "locator/default_policy"));
        return -1;
    }
    if (fg_config_int (config, "locator/ttl_ms") > fg_config_int (config, "locator/max_ttl_ms")) {
        snprintf (err, err_size, "locator/ttl_ms must not be above locator/max_ttl_ms");
        return -1;
    }
    const char *addresses [2] = { "locator/dns", "locator/http" };
    for (int index = 0; index < 2; index++) {
        const char *address = fg_config_str (config, addresses [index]);
        if (*address && fg_address_parse (address, host, sizeof host, &port)) {
            snprintf (err, err_size, "%s: '%s' is not an address like 127.0.0.1:7753 or *:7753",
                      addresses [index], address);
            return -1;
        }
    }
    const char *domain = fg_config_str (config, "locator/dns_domain");
    size_t length = strlen (domain);
    if (length < 2 || domain [length - 1] != '.' || domain [0] == '.' || length > 200
    ||  strstr (domain, "..") || strspn (domain, "abcdefghijklmnopqrstuvwxyz0123456789-.") != length) {
        snprintf (err, err_size, "locator/dns_domain: '%s' must be a lower-case domain ending "
                  "in '.', like fogrid.", domain);
        return -1;
    }
    const char *keys = fg_config_str (config, "locator/register_keys");
    if (*keys && !zsys_file_exists (keys)) {
        snprintf (err, err_size, "locator/register_keys: directory '%s' does not exist", keys);
        return -1;
    }
    if (loc_peers_check_config (config, err, err_size))
        return -1;
    return loc_hubs_check_config (config, err, err_size);
}

//  --------------------------------------------------------------------------
//  Answers

static void
s_send (s_server_t *self, zframe_t *peer, uint64_t seq, fg_env_t *env)
{
    env->seq = seq;
    fg_msg_send (self->router, peer, env);
}

//  The registration whose protocol describes the name: the newest
//  protocol version among the live ones.
static const Fogrid__Registration *
s_describing (loc_entry_t *entries, size_t count)
{
    const Fogrid__Registration *best = entries [0].reg;
    for (size_t index = 1; index < count; index++)
        if (entries [index].reg->protocol_version > best->protocol_version)
            best = entries [index].reg;
    return best;
}

//  Sends name's live endpoints as pages and a LocDone, or NOT_FOUND.
static void
s_send_endpoints (s_server_t *self, zframe_t *peer, uint64_t seq, const char *name,
                  loc_policy_t policy, uint32_t page_size)
{
    loc_entry_t *entries = NULL;
    size_t count = loc_registry_resolve (self->registry, name, policy, &entries);
    if (count == 0) {
        self->stats.not_found++;
        fg_msg_send_error (self->router, peer, seq, FG_E_NOT_FOUND,
                           "no live endpoint is registered as '%s'", name);
        return;
    }
    if (page_size == 0 || page_size > self->page_size)
        page_size = self->page_size;
    const Fogrid__Registration *describing = s_describing (entries, count);
    //  Endpoints carry the owner's current load, not the registered one
    Fogrid__Endpoint *copies = (Fogrid__Endpoint *) zmalloc (sizeof (Fogrid__Endpoint) * count);
    Fogrid__Endpoint **pointers = (Fogrid__Endpoint **) zmalloc (sizeof (void *) * count);
    for (size_t index = 0; index < count; index++) {
        copies [index] = *entries [index].reg->endpoint;
        copies [index].load = entries [index].load;
        pointers [index] = &copies [index];
    }
    uint32_t pages = 0;
    for (size_t first = 0; first < count; first += page_size, pages++) {
        Fogrid__LocEndpoints page = FOGRID__LOC_ENDPOINTS__INIT;
        page.name = (char *) name;
        page.protocol_version = describing->protocol_version;
        page.page = pages;
        if (first == 0) {
            page.protocol = describing->protocol;
            page.functions = describing->functions;
            page.n_functions = describing->n_functions;
        }
        page.endpoints = pointers + first;
        page.n_endpoints = count - first < page_size? count - first: page_size;
        fg_env_t env = FOGRID__ENVELOPE__INIT;
        env.body_case = FOGRID__ENVELOPE__BODY_LOC_ENDPOINTS;
        env.loc_endpoints = &page;
        s_send (self, peer, seq, &env);
    }
    Fogrid__LocDone done = FOGRID__LOC_DONE__INIT;
    done.name = (char *) name;
    done.total = (uint32_t) count;
    done.pages = pages;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_LOC_DONE;
    env.loc_done = &done;
    s_send (self, peer, seq, &env);
    free (pointers);
    free (copies);
    free (entries);
}

static void
s_send_ok (s_server_t *self, zframe_t *peer, uint64_t seq, const char *text)
{
    fg_msg_send_ok (self->router, peer, seq, text);
}

//  The policy a request names, or the default; -1 after answering an
//  unknown one.
static int
s_request_policy (s_server_t *self, zframe_t *peer, uint64_t seq, const char *name,
                  loc_policy_t *policy)
{
    *policy = self->default_policy;
    if (name && *name && loc_policy_parse (name, policy)) {
        fg_msg_send_error (self->router, peer, seq, FG_E_INVALID,
                           "'%.32s' is not a policy (random, round-robin, weighted, "
                           "least-loaded)", name);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Requests

//  True when key may act for owner: the owner is unknown (or its
//  registrations are gone), or key is the one it registered with. A
//  plain-text locator has no keys: anyone may.
static bool
s_owner_key_ok (s_server_t *self, const char *owner, const char *key)
{
    if (!*key || !owner)
        return true;
    const char *bound = (const char *) zhashx_lookup (self->owner_keys, owner);
    if (!bound || !loc_registry_has_owner (self->registry, owner))
        return true;
    return streq (bound, key);
}

static void
s_owner_refused (s_server_t *self, zframe_t *peer, uint64_t seq, const char *owner,
                 const char *what)
{
    zsys_warning ("locator: refused to %s for %.64s: another key registered it", what, owner);
    fg_msg_send_error (self->router, peer, seq, FG_E_DENIED,
                       "%s refused: %.64s is registered with another key", what, owner);
    self->stats.refused++;
}

static void
s_handle_register (s_server_t *self, zframe_t *peer, uint64_t seq, const char *key,
                   Fogrid__LocRegister *msg)
{
    //  What is registered goes out in every resolve, to runtimes that
    //  refuse a message whose strings are not UTF-8 (fg_msg.h)
    char field [128];
    if (fg_msg_utf8_find (&msg->base, field, sizeof field)) {
        fg_msg_send_error (self->router, peer, seq, FG_E_INVALID,
                           "registration refused: %s is not UTF-8", field);
        self->stats.refused++;
        return;
    }
    if (!s_owner_key_ok (self, msg->owner, key)) {
        s_owner_refused (self, peer, seq, msg->owner, "register");
        return;
    }
    if (self->check_register_keys && !zcertstore_lookup (self->register_keys, key)) {
        zsys_warning ("locator: refused a registration of %s from a key not in "
                      "locator/register_keys", msg->owner);
        fg_msg_send_error (self->router, peer, seq, FG_E_DENIED,
                           "this key may not register services here");
        self->stats.refused++;
        return;
    }
    char err [300];
    fg_error_t rc = loc_registry_register (self->registry, msg, fg_now_ms (), err, sizeof err);
    if (rc) {
        zsys_warning ("locator: refused a registration of %s: %s", msg->owner, err);
        fg_msg_send_error (self->router, peer, seq, rc, "%s", err);
        self->stats.refused++;
    }
    else {
        self->stats.registers++;
        if (*key) {
            //  Stale bindings (owners gone) are dropped as the table grows
            if (zhashx_size (self->owner_keys) > 2 * loc_registry_owners (self->registry) + 64) {
                zlistx_t *owners = zhashx_keys (self->owner_keys);
                for (char *owner = (char *) zlistx_first (owners); owner;
                     owner = (char *) zlistx_next (owners))
                    if (!loc_registry_has_owner (self->registry, owner))
                        zhashx_delete (self->owner_keys, owner);
                zlistx_destroy (&owners);
            }
            zhashx_update (self->owner_keys, msg->owner, strdup (key));
        }
        fg_debug ("locator: %s registered %zu", msg->owner, msg->n_regs);
        s_send_ok (self, peer, seq, "registered");
    }
}

static void
s_handle_resolve (s_server_t *self, zframe_t *peer, uint64_t seq, Fogrid__LocResolve *msg)
{
    loc_policy_t policy;
    if (!fg_name_valid (msg->name)) {
        fg_msg_send_error (self->router, peer, seq, FG_E_INVALID,
                           "'%.64s' is not a service name", msg->name? msg->name: "");
        return;
    }
    if (s_request_policy (self, peer, seq, msg->policy, &policy))
        return;
    int64_t start = zclock_usecs ();
    s_send_endpoints (self, peer, seq, msg->name, policy, msg->page_size);
    self->stats.resolves++;
    fg_latency_add (&self->stats.resolve_latency, (double) (zclock_usecs () - start) / 1e6);
}

static void
s_watch_destroy (s_watch_t **self_p)
{
    s_watch_t *self = *self_p;
    if (self) {
        zframe_destroy (&self->peer);
        free (self);
        *self_p = NULL;
    }
}

static s_watch_t *
s_watch_find (s_server_t *self, zframe_t *peer, const char *name)
{
    for (s_watch_t *watch = (s_watch_t *) zlistx_first (self->watches); watch;
         watch = (s_watch_t *) zlistx_next (self->watches))
        if (streq (watch->name, name) && zframe_eq (watch->peer, peer))
            return watch;
    return NULL;
}

static void
s_handle_watch (s_server_t *self, zframe_t *peer, uint64_t seq, Fogrid__LocWatch *msg)
{
    loc_policy_t policy;
    if (!fg_name_valid (msg->name)) {
        fg_msg_send_error (self->router, peer, seq, FG_E_INVALID,
                           "'%.64s' is not a service name", msg->name? msg->name: "");
        return;
    }
    if (s_request_policy (self, peer, seq, msg->policy, &policy))
        return;
    s_watch_t *watch = s_watch_find (self, peer, msg->name);
    if (msg->lease_ms == 0) {
        if (watch) {
            zlistx_delete (self->watches, zlistx_cursor (self->watches));
            s_watch_destroy (&watch);
        }
        s_send_ok (self, peer, seq, "watch ended");
        return;
    }
    if (!watch) {
        self->stats.watches_started++;
        if (zlistx_size (self->watches) >= self->max_watches) {
            fg_msg_send_error (self->router, peer, seq, FG_E_LIMIT,
                               "the locator holds %zu watches, its limit", self->max_watches);
            return;
        }
        watch = (s_watch_t *) zmalloc (sizeof (s_watch_t));
        watch->peer = zframe_dup (peer);
        snprintf (watch->name, sizeof watch->name, "%s", msg->name);
        zlistx_add_end (self->watches, watch);
    }
    int64_t lease = msg->lease_ms < self->max_lease_ms? msg->lease_ms: self->max_lease_ms;
    watch->expires_ms = fg_now_ms () + lease;
    watch->seq = seq;
    watch->policy = policy;
    //  A renewal is answered too: the watcher learns its lease holds
    watch->sent_version = loc_registry_version (self->registry, msg->name);
    s_send_endpoints (self, peer, seq, msg->name, policy, 0);
}

//  Sends an update to each watcher whose name changed; forgets those
//  whose lease ended.
static void
s_notify_watchers (s_server_t *self)
{
    int64_t now = fg_now_ms ();
    s_watch_t *watch = (s_watch_t *) zlistx_first (self->watches);
    while (watch) {
        if (watch->expires_ms <= now) {
            zlistx_delete (self->watches, zlistx_cursor (self->watches));
            s_watch_destroy (&watch);
            //  Deleting the cursor's item leaves the cursor on the one before
            watch = (s_watch_t *) zlistx_next (self->watches);
            continue;
        }
        uint64_t version = loc_registry_version (self->registry, watch->name);
        if (version != watch->sent_version) {
            watch->sent_version = version;
            self->stats.watch_updates++;
            s_send_endpoints (self, watch->peer, watch->seq, watch->name, watch->policy, 0);
        }
        watch = (s_watch_t *) zlistx_next (self->watches);
    }
}

static void
s_handle_list (s_server_t *self, zframe_t *peer, uint64_t seq)
{
    zlistx_t *names = loc_registry_names (self->registry);
    size_t count = zlistx_size (names), index = 0;
    Fogrid__LocService *services = (Fogrid__LocService *) zmalloc (sizeof (Fogrid__LocService)
                                                                    * (count + 1));
    Fogrid__LocService **pointers = (Fogrid__LocService **) zmalloc (sizeof (void *) * (count + 1));
    for (char *name = (char *) zlistx_first (names); name;
         name = (char *) zlistx_next (names), index++) {
        loc_entry_t *entries = NULL;
        size_t endpoints = loc_registry_resolve (self->registry, name, LOC_POLICY_ROUND_ROBIN,
                                                 &entries);
        fogrid__loc_service__init (&services [index]);
        services [index].name = name;
        services [index].endpoints = (uint32_t) endpoints;
        services [index].protocol_version = endpoints? s_describing (entries, endpoints)
                                                       ->protocol_version: 0;
        pointers [index] = &services [index];
        free (entries);
    }
    Fogrid__LocServices list = FOGRID__LOC_SERVICES__INIT;
    list.services = pointers;
    list.n_services = count;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_LOC_SERVICES;
    env.loc_services = &list;
    s_send (self, peer, seq, &env);
    free (pointers);
    free (services);
    zlistx_destroy (&names);
}

static void
s_handle_router (s_server_t *self)
{
    zframe_t *peer;
    uint64_t seq;
    char key [41];
    fg_env_t *env = fg_msg_recv_request (self->router, &peer, key, &seq, "locator");
    if (!env)
        return;
    if (!fg_ratelimit_admit (self->limit, self->router, peer, key, seq, "locator/rate",
                             fg_config_int (self->config, "locator/rate"))) {
        self->stats.rate_limited++;
        fg_msg_free (&env);
        zframe_destroy (&peer);
        return;
    }
    self->requests++;
    switch (env->body_case) {
        case FOGRID__ENVELOPE__BODY_LOC_REGISTER:
            s_handle_register (self, peer, seq, key, env->loc_register);
            break;
        case FOGRID__ENVELOPE__BODY_LOC_HEARTBEAT:
            self->stats.heartbeats++;
            if (!s_owner_key_ok (self, env->loc_heartbeat->owner, key))
                s_owner_refused (self, peer, seq, env->loc_heartbeat->owner, "heartbeat");
            else
            if (loc_registry_heartbeat (self->registry, env->loc_heartbeat->owner,
                                        env->loc_heartbeat->load, fg_now_ms ()))
                fg_msg_send_error (self->router, peer, seq, FG_E_NOT_FOUND,
                                   "%.64s has no registrations here: register again",
                                   env->loc_heartbeat->owner);
            break;
        case FOGRID__ENVELOPE__BODY_LOC_UNREGISTER: {
            self->stats.unregisters++;
            if (!s_owner_key_ok (self, env->loc_unregister->owner, key)) {
                s_owner_refused (self, peer, seq, env->loc_unregister->owner, "unregister");
                break;
            }
            size_t removed = loc_registry_unregister (self->registry, env->loc_unregister->owner,
                                                      env->loc_unregister->name);
            if (removed)
                zsys_info ("locator: %s withdrew %zu registrations", env->loc_unregister->owner,
                           removed);
            s_send_ok (self, peer, seq, "unregistered");
            break;
        }
        case FOGRID__ENVELOPE__BODY_LOC_RESOLVE:
            s_handle_resolve (self, peer, seq, env->loc_resolve);
            break;
        case FOGRID__ENVELOPE__BODY_LOC_WATCH:
            s_handle_watch (self, peer, seq, env->loc_watch);
            break;
        case FOGRID__ENVELOPE__BODY_LOC_LIST:
            s_handle_list (self, peer, seq);
            break;
        case FOGRID__ENVELOPE__BODY_REGISTRY_LIST:
        case FOGRID__ENVELOPE__BODY_REGISTRY_SET:
        case FOGRID__ENVELOPE__BODY_REGISTRY_SYNC:
            loc_hubs_api_handle (self->hubs, self->router, peer, seq, key, env);
            break;
        default:
            fg_msg_send_error (self->router, peer, seq, FG_E_UNEXPECTED,
                               "%s is not a locator request", fg_msg_body_name (env));
            break;
    }
    fg_msg_free (&env);
    zframe_destroy (&peer);
}

static void
s_handle_pipe (s_server_t *self)
{
    zmsg_t *msg = zmsg_recv (self->pipe);
    if (!msg) {
        self->terminated = true;
        return;
    }
    char *command = zmsg_popstr (msg);
    if (!command || streq (command, "$TERM"))
        self->terminated = true;
    else
    if (streq (command, "PORT"))
        zsock_send (self->pipe, "i", self->port);
    else
    if (streq (command, "PORTS"))
        zsock_send (self->pipe, "iii", self->port,
                    self->dns? loc_dns_server_port (self->dns): 0,
                    self->http? fg_http_port (self->http): 0);
    else
    if (streq (command, "STATS")) {
        zlistx_t *names = loc_registry_names (self->registry);
        zsock_send (self->pipe, "iiii", (int) zlistx_size (names),
                    (int) loc_registry_size (self->registry),
                    (int) loc_registry_owners (self->registry),
                    (int) zlistx_size (self->watches));
        zlistx_destroy (&names);
    }
    else
        zsys_warning ("locator: unknown pipe command '%s'", command);
    zstr_free (&command);
    zmsg_destroy (&msg);
}

//  --------------------------------------------------------------------------
//  Life

static int
s_start (s_server_t *self, char *err, size_t err_size)
{
    if (loc_server_check_config (self->config, err, err_size))
        return -1;
    loc_registry_limits_t limits = {
        .default_ttl_ms = (uint32_t) fg_config_int (self->config, "locator/ttl_ms"),
        .max_ttl_ms = (uint32_t) fg_config_int (self->config, "locator/max_ttl_ms"),
        .max_per_owner = (size_t) fg_config_int (self->config, "locator/max_per_owner"),
        .max_owners = (size_t) fg_config_int (self->config, "locator/max_owners"),
    };
    self->registry = loc_registry_new (&limits);
    loc_policy_parse (fg_config_str (self->config, "locator/default_policy"),
                      &self->default_policy);
    self->page_size = (uint32_t) fg_config_int (self->config, "locator/page_size");
    self->max_watches = (size_t) fg_config_int (self->config, "locator/max_watches");
    self->max_lease_ms = fg_config_int (self->config, "locator/max_lease_ms");
    self->watches = zlistx_new ();
    self->hubs = loc_hubs_new (fg_config_str (self->config, "locator/data_dir"),
                               fg_config_str (self->config, "locator/admin_keys"), err, err_size);
    if (!self->hubs)
        return -1;
    if (*fg_config_str (self->config, "locator/peers")) {
        self->peers = loc_peers_new (self->config, self->hubs, err, err_size);
        if (!self->peers)
            return -1;
        if (!*fg_config_str (self->config, "locator/admin_keys"))
            zsys_warning ("locator: locator/peers is set but locator/admin_keys is empty: every "
                          "registry record a peer passes on is refused (no key is the DAO's)");
    }
    double rate = (double) fg_config_int (self->config, "locator/rate");
    self->limit = fg_ratelimit_new (rate, 2.0 * rate, 100000);
    self->owner_keys = zhashx_new ();
    zhashx_set_destructor (self->owner_keys, (zhashx_destructor_fn *) zstr_free);
    const char *keys = fg_config_str (self->config, "locator/register_keys");
    if (*keys && !fg_security_insecure ()) {
        self->check_register_keys = true;
        self->register_keys = zcertstore_new (keys);
    }

    self->router = zsock_new (ZMQ_ROUTER);
    zsock_set_linger (self->router, 100);
    zsock_set_sndtimeo (self->router, 0);
    fg_msg_limit (self->router, fg_config_int (self->config, "locator/max_message"));
    //  ZMTP pings find clients that vanished without closing (a cut cable):
    //  their connections are dropped instead of held open for ever
    zsock_set_heartbeat_ivl (self->router, S_PING_MS);
    zsock_set_heartbeat_timeout (self->router, 3 * S_PING_MS);
    fg_security_allow ("locator", "");
    fg_security_server (self->router, "locator");
    const char *endpoint = fg_config_str (self->config, "locator/endpoint");
    self->port = zsock_bind (self->router, "%s", endpoint);
    if (self->port < 0) {
        snprintf (err, err_size, "cannot bind locator/endpoint to %s: %s", endpoint,
                  zmq_strerror (zmq_errno ()));
        return -1;
    }
    const char *dns = fg_config_str (self->config, "locator/dns");
    if (*dns) {
        loc_dns_server_config_t dns_config = {
            .address = dns,
            .domain = fg_config_str (self->config, "locator/dns_domain"),
            .ttl = (uint32_t) fg_config_int (self->config, "locator/dns_ttl"),
            .registry = self->registry,
            .rate = (uint32_t) fg_config_int (self->config, "locator/dns_rate"),
        };
        self->dns = loc_dns_server_new (&dns_config, err, err_size);
        if (!self->dns)
            return -1;
    }
    const char *http = fg_config_str (self->config, "locator/http");
    if (*http) {
        self->http_context.registry = self->registry;
        self->http_context.stats = &self->stats;
        self->http_context.hubs = self->hubs;
        self->http_context.peers = self->peers;
        self->http = loc_http_new (http, &self->http_context, err, err_size);
        if (!self->http)
            return -1;
    }
    char dns_text [300] = "", http_text [300] = "";
    if (self->dns)
        snprintf (dns_text, sizeof dns_text, ", DNS on %s (port %d)", dns,
                  loc_dns_server_port (self->dns));
    if (self->http)
        snprintf (http_text, sizeof http_text, ", HTTP on %s (port %d)", http,
                  fg_http_port (self->http));
    zsys_info ("locator: listening on %s (port %d)%s%s, default TTL %d ms, policy %s",
               endpoint, self->port, dns_text, http_text, (int) limits.default_ttl_ms,
               loc_policy_name (self->default_policy));
    if (!fg_security_insecure ())
        zsys_info ("locator: public key %s: every hub, miner and buyer needs it "
                   "(security/locator_key, or `fogrid -K`)", fg_security_public_key ());
    return 0;
}

//  The poll set: pipe, ROUTER, then whatever DNS and HTTP listen on.
#define S_MAX_ITEMS 128

static size_t
s_poll_items (s_server_t *self, zmq_pollitem_t *items)
{
    size_t count = 0;
    items [count++] = (zmq_pollitem_t) { zsock_resolve (self->pipe), 0, ZMQ_POLLIN, 0 };
    items [count++] = (zmq_pollitem_t) { zsock_resolve (self->router), 0, ZMQ_POLLIN, 0 };
    if (self->peers)
        count += loc_peers_items (self->peers, items + count, S_MAX_ITEMS - count);
    if (self->dns)
        count += loc_dns_server_items (self->dns, items + count, S_MAX_ITEMS - count);
    if (self->http)
        count += fg_http_items (self->http, items + count, S_MAX_ITEMS - count);
    return count;
}

static void
s_serve (s_server_t *self)
{
    while (!self->terminated) {
        zmq_pollitem_t items [S_MAX_ITEMS];
        size_t count = s_poll_items (self, items);
        int64_t now = fg_now_ms ();
        int64_t wait = loc_registry_next_expiry (self->registry, now);
        if (wait < 0 || wait > 1000)
            wait = 1000;        //  also bounds how late a watch lease ends
        if (self->http) {
            int64_t http_wait = fg_http_timeout (self->http);
            if (http_wait >= 0 && http_wait < wait)
                wait = http_wait;
        }
        if (self->peers) {
            int64_t peers_wait = loc_peers_timeout (self->peers);
            if (peers_wait >= 0 && peers_wait < wait)
                wait = peers_wait;
        }
        if (zmq_poll (items, (int) count, (long) wait) < 0) {
            if (zmq_errno () == EINTR)
                continue;       //  main decides about signals: it sends $TERM
            zsys_error ("locator: poll failed: %s", zmq_strerror (zmq_errno ()));
            break;
        }
        if (items [0].revents & ZMQ_POLLIN)
            s_handle_pipe (self);
        //  A burst of requests is drained before the watchers are told
        for (int burst = 0; burst < 1000 && (zsock_events (self->router) & ZMQ_POLLIN); burst++)
            s_handle_router (self);
        if (self->peers)
            loc_peers_handle (self->peers);
        if (self->dns)
            loc_dns_server_handle (self->dns, items, count);
        if (self->http) {
            self->stats.watches = zlistx_size (self->watches);
            self->stats.dns_queries = self->dns? loc_dns_server_queries (self->dns): 0;
            self->stats.dns_limited = self->dns? loc_dns_server_limited (self->dns): 0;
            fg_http_handle (self->http);
        }
        size_t expired = loc_registry_expire (self->registry, fg_now_ms ());
        if (expired)
            fg_debug ("locator: %zu registrations expired", expired);
        self->stats.expired += expired;
        s_notify_watchers (self);
    }
}

void
loc_server_actor (zsock_t *pipe, void *argsv)
{
    loc_server_args_t *args = (loc_server_args_t *) argsv;
    s_server_t *self = (s_server_t *) zmalloc (sizeof (s_server_t));
    self->pipe = pipe;
    self->config = args->config;
    self->stats.started_ms = fg_now_ms ();
    args->error [0] = 0;
    args->rc = s_start (self, args->error, sizeof args->error);
    if (args->rc)
        zsys_error ("locator: %s", args->error);
    zsock_signal (pipe, 0);
    if (args->rc == 0) {
        s_serve (self);
        if (!self->terminated)
            zstr_send (pipe, "STOPPED");    //  tells main we failed
    }
    //  Wait for $TERM so the caller's zactor_destroy finds us listening
    while (!self->terminated)
        s_handle_pipe (self);

    if (self->watches) {
        s_watch_t *watch;
        while ((watch = (s_watch_t *) zlistx_detach (self->watches, NULL)))
            s_watch_destroy (&watch);
        zlistx_destroy (&self->watches);
    }
    fg_http_destroy (&self->http);
    loc_dns_server_destroy (&self->dns);
    zcertstore_destroy (&self->register_keys);
    zhashx_destroy (&self->owner_keys);
    fg_ratelimit_destroy (&self->limit);
    zsock_destroy (&self->router);
    loc_registry_destroy (&self->registry);
    loc_peers_destroy (&self->peers);
    loc_hubs_destroy (&self->hubs);
    free (self);
}
