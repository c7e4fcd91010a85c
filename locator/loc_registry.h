/*  =========================================================================
    loc_registry - the locator's soft-state table of services

    Owners (hubs, miners) register services under names; every registration
    of an owner lives while the owner heartbeats, and all of them go when it
    stops, unregisters or misses its TTL. A resolve lists the live
    endpoints of a name in the order of a policy. No sockets here: the
    server actor (loc_server) owns one registry and feeds it messages and
    the clock, so every rule below is tested without a network.
    =========================================================================  */
#ifndef LOC_REGISTRY_H_INCLUDED
#define LOC_REGISTRY_H_INCLUDED

typedef struct _loc_registry_t loc_registry_t;

typedef enum {
    LOC_POLICY_RANDOM,
    LOC_POLICY_ROUND_ROBIN,
    LOC_POLICY_WEIGHTED,
    LOC_POLICY_LEAST_LOADED
} loc_policy_t;

//  One live endpoint of a name, as a resolve returns it (pointers into
//  the registry: valid until the next change).
typedef struct {
    const Fogrid__Registration *reg;    //  name, endpoint, protocol, functions
    uint32_t load;                      //  the owner's current load, 0..100
} loc_entry_t;

typedef struct {
    uint32_t default_ttl_ms;    //  for registrations that give none
    uint32_t max_ttl_ms;        //  longer TTLs are cut to this
    size_t max_per_owner;       //  registrations one owner may hold
    size_t max_owners;          //  owners in all (bounds the memory)
} loc_registry_limits_t;

loc_registry_t *loc_registry_new (const loc_registry_limits_t *limits);
void loc_registry_destroy (loc_registry_t **self_p);

//  Parses "random", "round-robin", "weighted", "least-loaded". Returns 0,
//  or -1 for another name (the empty name is not one either).
int loc_policy_parse (const char *name, loc_policy_t *policy);
const char *loc_policy_name (loc_policy_t policy);

//  Registers (or refreshes: idempotent) msg's registrations for its owner
//  and replaces what the owner had under those names. Returns FG_OK, or
//  FG_E_INVALID / FG_E_LIMIT with the reason in err.
fg_error_t loc_registry_register (loc_registry_t *self, const Fogrid__LocRegister *msg,
                                  int64_t now_ms, char *err, size_t err_size);

//  Keeps owner's registrations alive and sets its load. FG_E_NOT_FOUND
//  when the owner has none (it expired: it must register again).
fg_error_t loc_registry_heartbeat (loc_registry_t *self, const char *owner, uint32_t load,
                                   int64_t now_ms);

//  Withdraws owner's registrations of name, or all of them when name is
//  empty or NULL. Returns how many went.
size_t loc_registry_unregister (loc_registry_t *self, const char *owner, const char *name);

//  Drops the owners whose TTL ran out. Returns how many registrations
//  went.
size_t loc_registry_expire (loc_registry_t *self, int64_t now_ms);

//  The live endpoints of name in policy order: *entries_p is an array the
//  caller frees (NULL when there are none). Returns the count.
size_t loc_registry_resolve (loc_registry_t *self, const char *name, loc_policy_t policy,
                             loc_entry_t **entries_p);

//  Bumped on each change of name's endpoint set (0 for an unknown name):
//  watchers compare it to what they were last sent.
uint64_t loc_registry_version (loc_registry_t *self, const char *name);

//  The names with live endpoints, sorted (the caller destroys the list).
zlistx_t *loc_registry_names (loc_registry_t *self);

//  How many live endpoints name has (no ordering, nothing allocated).
size_t loc_registry_count (loc_registry_t *self, const char *name);

//  True while owner holds registrations.
bool loc_registry_has_owner (loc_registry_t *self, const char *owner);

//  Counts, for health and stats.
size_t loc_registry_owners (loc_registry_t *self);
size_t loc_registry_size (loc_registry_t *self);

//  How long until the next registration expires (for the caller's timer),
//  or -1 when there is none.
int64_t loc_registry_next_expiry (loc_registry_t *self, int64_t now_ms);

#endif
