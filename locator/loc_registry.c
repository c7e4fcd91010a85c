/*  =========================================================================
    loc_registry - the locator's soft-state table of services

    DESIGN
    Two indexes over the same registrations: by owner (what a heartbeat
    refreshes and an expiry or unregister removes in one go) and by name
    (what a resolve walks). A registration is a private copy of the wire
    message (packed and unpacked again), so nothing points into a request
    after it is answered. Liveness is per owner, not per registration: an
    owner is one process, and when it dies all its services die with it.

    Each name carries a version taken from one registry-wide counter and
    bumped whenever its set of endpoints changes (not on a mere heartbeat),
    so a watcher compares one number to learn whether to send an update,
    and a name that vanishes and comes back never reuses a version.

    Policies order the endpoints of a resolve:
        random          a uniform shuffle
        round-robin     the list rotated one further at each resolve
        weighted        a shuffle where an endpoint of weight w comes first
                        w times as often as one of weight 1 (Efraimidis-
                        Spirakis keys: u^(1/w), sorted)
        least-loaded    ascending owner load; equal loads take turns
    =========================================================================  */
#include "fogrid.h"
#include "loc_registry.h"
#include <math.h>
#include <sodium.h>

#define S_MAX_HOST          253
#define S_MAX_PROTOCOL      4096
#define S_MAX_FUNCTIONS     256
#define S_MAX_DESCRIPTION   1024
#define S_MAX_TAGS          32
#define S_MAX_WEIGHT        1000000

typedef struct _s_owner_t s_owner_t;

typedef struct {
    Fogrid__Registration *msg;  //  our own copy
    s_owner_t *owner;           //  whose
} s_reg_t;

struct _s_owner_t {
    char id [64];
    uint32_t ttl_ms;            //  registrations live this long after a beat
    int64_t expires_ms;         //  when they go unless beaten again
    uint32_t load;              //  from the last heartbeat
    zlistx_t *regs;             //  s_reg_t, owned
};

typedef struct {
    char name [64];
    zlistx_t *regs;             //  s_reg_t, not owned
    uint64_t version;           //  see DESIGN
    uint64_t turn;              //  round-robin position
} s_service_t;

struct _loc_registry_t {
    loc_registry_limits_t limits;
    zhashx_t *owners;           //  id -> s_owner_t
    zhashx_t *services;         //  name -> s_service_t
    uint64_t clock;             //  source of versions
};

static const char *s_policy_names [] = { "random", "round-robin", "weighted", "least-loaded" };

int
loc_policy_parse (const char *name, loc_policy_t *policy)
{
    for (size_t index = 0; index < sizeof s_policy_names / sizeof s_policy_names [0]; index++)
        if (name && streq (name, s_policy_names [index])) {
            *policy = (loc_policy_t) index;
            return 0;
        }
    return -1;
}

const char *
loc_policy_name (loc_policy_t policy)
{
    return s_policy_names [policy];
}

//  --------------------------------------------------------------------------
//  Construction

static void
s_reg_destroy (s_reg_t **self_p)
{
    s_reg_t *self = *self_p;
    if (self) {
        fogrid__registration__free_unpacked (self->msg, NULL);
        free (self);
        *self_p = NULL;
    }
}

static void
s_owner_destroy (s_owner_t **self_p)
{
    s_owner_t *self = *self_p;
    if (self) {
        s_reg_t *reg;
        while ((reg = (s_reg_t *) zlistx_detach (self->regs, NULL)))
            s_reg_destroy (&reg);
        zlistx_destroy (&self->regs);
        free (self);
        *self_p = NULL;
    }
}

static void
s_service_destroy (s_service_t **self_p)
{
    s_service_t *self = *self_p;
    if (self) {
        zlistx_destroy (&self->regs);
        free (self);
        *self_p = NULL;
    }
}

loc_registry_t *
loc_registry_new (const loc_registry_limits_t *limits)
{
    loc_registry_t *self = (loc_registry_t *) zmalloc (sizeof (loc_registry_t));
    self->limits = *limits;
    self->owners = zhashx_new ();
    zhashx_set_destructor (self->owners, (zhashx_destructor_fn *) s_owner_destroy);
    self->services = zhashx_new ();
    zhashx_set_destructor (self->services, (zhashx_destructor_fn *) s_service_destroy);
    return self;
}

void
loc_registry_destroy (loc_registry_t **self_p)
{
    loc_registry_t *self = *self_p;
    if (self) {
        //  Services point into the owners' registrations: drop them first
        zhashx_destroy (&self->services);
        zhashx_destroy (&self->owners);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Validation: everything a registration carries ends up in answers to
//  other clients (and in DNS), so it is checked before it is kept.

static bool
s_host_valid (const char *host)
{
    if (!host || !*host || strlen (host) > S_MAX_HOST)
        return false;
    for (const char *c = host; *c; c++)
        if (!(isalnum ((unsigned char) *c) || *c == '.' || *c == '-' || *c == ':'
              || *c == '_'))
            return false;
    return true;
}

static int
s_check_reg (const Fogrid__Registration *reg, char *err, size_t err_size)
{
    const char *name = reg->name? reg->name: "";
    if (!fg_name_valid (name)) {
        snprintf (err, err_size, "'%.64s' is not a service name (a-z, 0-9 and '-', 1..63, "
                  "no leading or trailing '-')", name);
        return -1;
    }
    const Fogrid__Endpoint *ep = reg->endpoint;
    if (!ep) {
        snprintf (err, err_size, "%s: the registration has no endpoint", name);
        return -1;
    }
    if (!ep->transport || !streq (ep->transport, "tcp")) {
        snprintf (err, err_size, "%s: transport '%.16s' is not supported (only tcp)", name,
                  ep->transport? ep->transport: "");
        return -1;
    }
    if (!s_host_valid (ep->host)) {
        snprintf (err, err_size, "%s: '%.64s' is not a host name or address", name,
                  ep->host? ep->host: "");
        return -1;
    }
    if (ep->port == 0 || ep->port > 65535) {
        snprintf (err, err_size, "%s: port %u is not in 1..65535", name, ep->port);
        return -1;
    }
    if (ep->weight > S_MAX_WEIGHT || ep->load > 100) {
        snprintf (err, err_size, "%s: weight must be at most %d and load at most 100", name,
                  S_MAX_WEIGHT);
        return -1;
    }
    if (ep->public_key && *ep->public_key && !fg_curve_key_valid (ep->public_key)) {
        snprintf (err, err_size, "%s: the public key is not a Z85 CurveZMQ key", name);
        return -1;
    }
    if (reg->protocol && strlen (reg->protocol) > S_MAX_PROTOCOL) {
        snprintf (err, err_size, "%s: the protocol description is longer than %d bytes", name,
                  S_MAX_PROTOCOL);
        return -1;
    }
    if (reg->n_functions > S_MAX_FUNCTIONS || reg->n_tags > S_MAX_TAGS) {
        snprintf (err, err_size, "%s: at most %d functions and %d tags", name, S_MAX_FUNCTIONS,
                  S_MAX_TAGS);
        return -1;
    }
    for (size_t index = 0; index < reg->n_functions; index++) {
        const Fogrid__Function *function = reg->functions [index];
        if (!fg_text_valid (function->name, 63) || !*function->name
        ||  strchr (function->name, ',') || strchr (function->name, ' ')) {
            snprintf (err, err_size, "%s: function %zu has no valid name (1..63 printable, "
                      "no spaces or commas)", name, index + 1);
            return -1;
        }
        if (!fg_text_valid (function->args, S_MAX_DESCRIPTION)
        ||  !fg_text_valid (function->result, S_MAX_DESCRIPTION)) {
            snprintf (err, err_size, "%s: function %s: descriptions must be printable and at "
                      "most %d bytes", name, function->name, S_MAX_DESCRIPTION);
            return -1;
        }
    }
    for (size_t index = 0; index < reg->n_tags; index++)
        if (!fg_text_valid (reg->tags [index], 63)) {
            snprintf (err, err_size, "%s: tag %zu is not printable or longer than 63 bytes",
                      name, index + 1);
            return -1;
        }
    return 0;
}

//  --------------------------------------------------------------------------
//  Changes

static s_service_t *
s_service_require (loc_registry_t *self, const char *name)
{
    s_service_t *service = (s_service_t *) zhashx_lookup (self->services, name);
    if (!service) {
        service = (s_service_t *) zmalloc (sizeof (s_service_t));
        snprintf (service->name, sizeof service->name, "%s", name);
        service->regs = zlistx_new ();
        zhashx_insert (self->services, name, service);
    }
    return service;
}

//  Takes reg out of its name's list (and the name away when it was the
//  last); the caller frees reg.
static void
s_unlink (loc_registry_t *self, s_reg_t *reg)
{
    s_service_t *service = (s_service_t *) zhashx_lookup (self->services, reg->msg->name);
    if (!service)
        return;
    void *handle = zlistx_find (service->regs, reg);
    if (handle)
        zlistx_delete (service->regs, handle);
    service->version = ++self->clock;
    if (zlistx_size (service->regs) == 0)
        zhashx_delete (self->services, reg->msg->name);
}

//  Removes owner's registrations of name (all when name is NULL).
static size_t
s_remove (loc_registry_t *self, s_owner_t *owner, const char *name)
{
    //  Collected first: deleting while walking a zlistx loses its cursor
    size_t count = zlistx_size (owner->regs), removed = 0;
    s_reg_t **doomed = (s_reg_t **) zmalloc (sizeof (s_reg_t *) * (count + 1));
    for (s_reg_t *reg = (s_reg_t *) zlistx_first (owner->regs); reg;
         reg = (s_reg_t *) zlistx_next (owner->regs))
        if (!name || streq (reg->msg->name, name))
            doomed [removed++] = reg;
    for (size_t index = 0; index < removed; index++) {
        s_reg_t *reg = doomed [index];
        s_unlink (self, reg);
        zlistx_delete (owner->regs, zlistx_find (owner->regs, reg));
        s_reg_destroy (&reg);
    }
    free (doomed);
    return removed;
}

static s_reg_t *
s_reg_copy (const Fogrid__Registration *msg, s_owner_t *owner)
{
    //  The owner is who registered it, whatever the message claims, and a
    //  weight of 0 means 1: set on shallow copies before packing (the
    //  unpacked copy's strings may be protobuf-c's shared defaults)
    Fogrid__Registration reg = *msg;
    Fogrid__Endpoint endpoint = *msg->endpoint;
    endpoint.owner = owner->id;
    if (endpoint.weight == 0)
        endpoint.weight = 1;
    reg.endpoint = &endpoint;
    size_t size = fogrid__registration__get_packed_size (&reg);
    uint8_t *buffer = (uint8_t *) malloc (size + 1);
    fogrid__registration__pack (&reg, buffer);
    s_reg_t *self = (s_reg_t *) zmalloc (sizeof (s_reg_t));
    self->msg = fogrid__registration__unpack (NULL, size, buffer);
    free (buffer);
    assert (self->msg && self->msg->endpoint);
    self->owner = owner;
    return self;
}

fg_error_t
loc_registry_register (loc_registry_t *self, const Fogrid__LocRegister *msg, int64_t now_ms,
                       char *err, size_t err_size)
{
    const char *owner_id = msg->owner? msg->owner: "";
    if (!*owner_id || !fg_text_valid (owner_id, 63) || strchr (owner_id, ' ')) {
        snprintf (err, err_size, "the owner must be 1..63 printable characters, no spaces");
        return FG_E_INVALID;
    }
    if (msg->n_regs == 0) {
        snprintf (err, err_size, "nothing to register");
        return FG_E_INVALID;
    }
    for (size_t index = 0; index < msg->n_regs; index++)
        if (s_check_reg (msg->regs [index], err, err_size))
            return FG_E_INVALID;

    s_owner_t *owner = (s_owner_t *) zhashx_lookup (self->owners, owner_id);
    //  What the owner keeps: its registrations of other names, and these
    size_t kept = 0;
    if (owner)
        for (s_reg_t *reg = (s_reg_t *) zlistx_first (owner->regs); reg;
             reg = (s_reg_t *) zlistx_next (owner->regs)) {
            bool replaced = false;
            for (size_t index = 0; index < msg->n_regs && !replaced; index++)
                replaced = streq (reg->msg->name, msg->regs [index]->name);
            kept += !replaced;
        }
    if (kept + msg->n_regs > self->limits.max_per_owner) {
        snprintf (err, err_size, "owner %s would hold %zu registrations; the limit is %zu",
                  owner_id, kept + msg->n_regs, self->limits.max_per_owner);
        return FG_E_LIMIT;
    }
    if (!owner && zhashx_size (self->owners) >= self->limits.max_owners) {
        snprintf (err, err_size, "the locator holds %zu owners, its limit", self->limits.max_owners);
        return FG_E_LIMIT;
    }
    if (!owner) {
        owner = (s_owner_t *) zmalloc (sizeof (s_owner_t));
        snprintf (owner->id, sizeof owner->id, "%s", owner_id);
        owner->regs = zlistx_new ();
        zhashx_insert (self->owners, owner_id, owner);
    }
    owner->ttl_ms = msg->ttl_ms? msg->ttl_ms: self->limits.default_ttl_ms;
    if (owner->ttl_ms > self->limits.max_ttl_ms)
        owner->ttl_ms = self->limits.max_ttl_ms;
    owner->expires_ms = now_ms + owner->ttl_ms;

    //  Unchanged registrations are kept as they are, so a re-register that
    //  changes nothing bumps no version and wakes no watcher
    for (size_t index = 0; index < msg->n_regs; index++) {
        const char *name = msg->regs [index]->name;
        bool first_of_name = true;
        for (size_t before = 0; before < index; before++)
            first_of_name &= !streq (msg->regs [before]->name, name);
        if (!first_of_name)
            continue;
        //  The registrations of this name in msg, and what the owner has
        size_t wanted = 0, have = 0, same = 0;
        for (size_t other = index; other < msg->n_regs; other++)
            wanted += streq (msg->regs [other]->name, name);
        for (s_reg_t *reg = (s_reg_t *) zlistx_first (owner->regs); reg;
             reg = (s_reg_t *) zlistx_next (owner->regs)) {
            if (!streq (reg->msg->name, name))
                continue;
            have++;
            s_reg_t *fresh = s_reg_copy (msg->regs [index], owner);
            size_t size = fogrid__registration__get_packed_size (fresh->msg);
            if (size == fogrid__registration__get_packed_size (reg->msg)) {
                uint8_t *a = (uint8_t *) malloc (size + 1), *b = (uint8_t *) malloc (size + 1);
                fogrid__registration__pack (fresh->msg, a);
                fogrid__registration__pack (reg->msg, b);
                same += memcmp (a, b, size) == 0;
                free (a);
                free (b);
            }
            s_reg_destroy (&fresh);
        }
        if (wanted == 1 && have == 1 && same == 1)
            continue;
        s_remove (self, owner, name);
        s_service_t *service = s_service_require (self, name);
        for (size_t other = index; other < msg->n_regs; other++) {
            if (!streq (msg->regs [other]->name, name))
                continue;
            s_reg_t *reg = s_reg_copy (msg->regs [other], owner);
            zlistx_add_end (owner->regs, reg);
            zlistx_add_end (service->regs, reg);
        }
        service->version = ++self->clock;
    }
    return FG_OK;
}

fg_error_t
loc_registry_heartbeat (loc_registry_t *self, const char *owner_id, uint32_t load, int64_t now_ms)
{
    s_owner_t *owner = (s_owner_t *) zhashx_lookup (self->owners, owner_id? owner_id: "");
    if (!owner)
        return FG_E_NOT_FOUND;
    owner->expires_ms = now_ms + owner->ttl_ms;
    owner->load = load > 100? 100: load;
    return FG_OK;
}

size_t
loc_registry_unregister (loc_registry_t *self, const char *owner_id, const char *name)
{
    s_owner_t *owner = (s_owner_t *) zhashx_lookup (self->owners, owner_id? owner_id: "");
    if (!owner)
        return 0;
    size_t removed = s_remove (self, owner, name && *name? name: NULL);
    if (zlistx_size (owner->regs) == 0)
        zhashx_delete (self->owners, owner->id);
    return removed;
}

size_t
loc_registry_expire (loc_registry_t *self, int64_t now_ms)
{
    zlistx_t *expired = zlistx_new ();
    zlistx_set_duplicator (expired, (czmq_duplicator *) strdup);
    zlistx_set_destructor (expired, (czmq_destructor *) zstr_free);
    for (s_owner_t *owner = (s_owner_t *) zhashx_first (self->owners); owner;
         owner = (s_owner_t *) zhashx_next (self->owners))
        if (owner->expires_ms <= now_ms)
            zlistx_add_end (expired, owner->id);
    size_t removed = 0;
    for (char *id = (char *) zlistx_first (expired); id; id = (char *) zlistx_next (expired)) {
        zsys_info ("locator: %s stopped heartbeating; its registrations expire", id);
        removed += loc_registry_unregister (self, id, NULL);
    }
    zlistx_destroy (&expired);
    return removed;
}

int64_t
loc_registry_next_expiry (loc_registry_t *self, int64_t now_ms)
{
    int64_t next = -1;
    for (s_owner_t *owner = (s_owner_t *) zhashx_first (self->owners); owner;
         owner = (s_owner_t *) zhashx_next (self->owners)) {
        int64_t left = owner->expires_ms > now_ms? owner->expires_ms - now_ms: 0;
        if (next < 0 || left < next)
            next = left;
    }
    return next;
}

//  --------------------------------------------------------------------------
//  Resolve

typedef struct {
    loc_entry_t entry;
    double key;                 //  sort key: smaller first
    size_t position;            //  ties keep the rotated order
} s_ranked_t;

static int
s_compare_ranked (const void *a, const void *b)
{
    const s_ranked_t *x = (const s_ranked_t *) a, *y = (const s_ranked_t *) b;
    if (x->key != y->key)
        return x->key < y->key? -1: 1;
    return x->position < y->position? -1: x->position > y->position;
}

//  A uniform number in (0, 1].
static double
s_uniform (void)
{
    return ((double) randombytes_uniform (1u << 30) + 1.0) / (double) (1u << 30);
}

size_t
loc_registry_resolve (loc_registry_t *self, const char *name, loc_policy_t policy,
                      loc_entry_t **entries_p)
{
    *entries_p = NULL;
    s_service_t *service = (s_service_t *) zhashx_lookup (self->services, name? name: "");
    if (!service || zlistx_size (service->regs) == 0)
        return 0;
    size_t count = zlistx_size (service->regs);
    s_ranked_t *ranked = (s_ranked_t *) zmalloc (sizeof (s_ranked_t) * count);
    size_t start = (size_t) (service->turn++ % count), index = 0;
    for (s_reg_t *reg = (s_reg_t *) zlistx_first (service->regs); reg;
         reg = (s_reg_t *) zlistx_next (service->regs), index++) {
        s_ranked_t *slot = &ranked [index];
        slot->entry.reg = reg->msg;
        slot->entry.load = reg->owner->load;
        slot->position = (index + count - start) % count;
        switch (policy) {
            case LOC_POLICY_RANDOM:
                slot->key = s_uniform ();
                break;
            case LOC_POLICY_ROUND_ROBIN:
                slot->key = 0;
                break;
            case LOC_POLICY_WEIGHTED:
                //  u^(1/w), largest first: negate to sort ascending
                slot->key = -pow (s_uniform (), 1.0 / (double) reg->msg->endpoint->weight);
                break;
            case LOC_POLICY_LEAST_LOADED:
                slot->key = (double) reg->owner->load;
                break;
        }
    }
    qsort (ranked, count, sizeof (s_ranked_t), s_compare_ranked);
    loc_entry_t *entries = (loc_entry_t *) zmalloc (sizeof (loc_entry_t) * count);
    for (index = 0; index < count; index++)
        entries [index] = ranked [index].entry;
    free (ranked);
    *entries_p = entries;
    return count;
}

uint64_t
loc_registry_version (loc_registry_t *self, const char *name)
{
    s_service_t *service = (s_service_t *) zhashx_lookup (self->services, name? name: "");
    return service? service->version: 0;
}

static int
s_compare_strings (const void *a, const void *b)
{
    return strcmp ((const char *) a, (const char *) b);
}

zlistx_t *
loc_registry_names (loc_registry_t *self)
{
    zlistx_t *names = zlistx_new ();
    zlistx_set_duplicator (names, (czmq_duplicator *) strdup);
    zlistx_set_destructor (names, (czmq_destructor *) zstr_free);
    zlistx_set_comparator (names, (czmq_comparator *) s_compare_strings);
    for (s_service_t *service = (s_service_t *) zhashx_first (self->services); service;
         service = (s_service_t *) zhashx_next (self->services))
        zlistx_add_end (names, service->name);
    zlistx_sort (names);
    return names;
}

size_t
loc_registry_count (loc_registry_t *self, const char *name)
{
    s_service_t *service = (s_service_t *) zhashx_lookup (self->services, name? name: "");
    return service? zlistx_size (service->regs): 0;
}

bool
loc_registry_has_owner (loc_registry_t *self, const char *owner)
{
    return zhashx_lookup (self->owners, owner? owner: "") != NULL;
}

size_t
loc_registry_owners (loc_registry_t *self)
{
    return zhashx_size (self->owners);
}

size_t
loc_registry_size (loc_registry_t *self)
{
    size_t total = 0;
    for (s_service_t *service = (s_service_t *) zhashx_first (self->services); service;
         service = (s_service_t *) zhashx_next (self->services))
        total += zlistx_size (service->regs);
    return total;
}
