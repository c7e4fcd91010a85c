/*  test_loc_registry - soft state, validation, limits and policies, with
    the clock passed in so every expiry is exact */
#include "test_support.h"
#include "loc_registry.h"

static loc_registry_limits_t s_limits = {
    .default_ttl_ms = 1000, .max_ttl_ms = 5000, .max_per_owner = 4, .max_owners = 3
};

//  A one-registration LocRegister; the strings live in static storage.
typedef struct {
    Fogrid__LocRegister msg;
    Fogrid__Registration reg;
    Fogrid__Registration *regs [1];
    Fogrid__Endpoint endpoint;
    Fogrid__Function function;
    Fogrid__Function *functions [1];
} s_request_t;

static void
s_request (s_request_t *request, const char *owner, const char *name, const char *host,
           uint32_t port, uint32_t weight)
{
    fogrid__loc_register__init (&request->msg);
    fogrid__registration__init (&request->reg);
    fogrid__endpoint__init (&request->endpoint);
    fogrid__function__init (&request->function);
    request->endpoint.transport = "tcp";
    request->endpoint.host = (char *) host;
    request->endpoint.port = port;
    request->endpoint.weight = weight;
    request->endpoint.owner = "whoever";     //  the registry writes the real owner
    request->function.name = "echo";
    request->function.args = "text";
    request->function.result = "the same text";
    request->functions [0] = &request->function;
    request->reg.name = (char *) name;
    request->reg.endpoint = &request->endpoint;
    request->reg.protocol_version = 2;
    request->reg.protocol = "echo protocol";
    request->reg.functions = request->functions;
    request->reg.n_functions = 1;
    request->regs [0] = &request->reg;
    request->msg.owner = (char *) owner;
    request->msg.regs = request->regs;
    request->msg.n_regs = 1;
}

static fg_error_t
s_register (loc_registry_t *registry, const char *owner, const char *name, uint32_t port,
            int64_t now)
{
    s_request_t request;
    s_request (&request, owner, name, "127.0.0.1", port, 1);
    char err [256];
    return loc_registry_register (registry, &request.msg, now, err, sizeof err);
}

static size_t
s_count (loc_registry_t *registry, const char *name)
{
    loc_entry_t *entries = NULL;
    size_t count = loc_registry_resolve (registry, name, LOC_POLICY_ROUND_ROBIN, &entries);
    free (entries);
    return count;
}

static void
test_soft_state (void)
{
    loc_registry_t *registry = loc_registry_new (&s_limits);
    CU_ASSERT_EQUAL (s_register (registry, "h-1", "echo", 7001, 0), FG_OK);
    CU_ASSERT_EQUAL (s_register (registry, "h-2", "echo", 7002, 0), FG_OK);
    CU_ASSERT_EQUAL (s_count (registry, "echo"), 2);
    CU_ASSERT_EQUAL (s_count (registry, "nothing"), 0);

    //  The endpoint names its real owner and keeps what was registered
    loc_entry_t *entries = NULL;
    CU_ASSERT_EQUAL (loc_registry_resolve (registry, "echo", LOC_POLICY_ROUND_ROBIN, &entries), 2);
    CU_ASSERT (streq (entries [0].reg->endpoint->owner, "h-1")
            || streq (entries [0].reg->endpoint->owner, "h-2"));
    CU_ASSERT_STRING_EQUAL (entries [0].reg->protocol, "echo protocol");
    CU_ASSERT_STRING_EQUAL (entries [0].reg->functions [0]->name, "echo");
    free (entries);

    //  h-1 heartbeats, h-2 does not: at 1000 ms only h-1 is left
    CU_ASSERT_EQUAL (loc_registry_heartbeat (registry, "h-1", 40, 600), FG_OK);
    CU_ASSERT_EQUAL (loc_registry_next_expiry (registry, 600), 400);
    CU_ASSERT_EQUAL (loc_registry_expire (registry, 999), 0);
    CU_ASSERT_EQUAL (loc_registry_expire (registry, 1000), 1);
    CU_ASSERT_EQUAL (s_count (registry, "echo"), 1);
    //  ... an expired owner is told to register again
    CU_ASSERT_EQUAL (loc_registry_heartbeat (registry, "h-2", 0, 1000), FG_E_NOT_FOUND);
    CU_ASSERT_EQUAL (loc_registry_expire (registry, 1600), 1);
    CU_ASSERT_EQUAL (s_count (registry, "echo"), 0);
    CU_ASSERT_EQUAL (loc_registry_owners (registry), 0);
    CU_ASSERT_EQUAL (loc_registry_next_expiry (registry, 1600), -1);
    loc_registry_destroy (&registry);
}

static void
test_idempotent_and_versions (void)
{
    loc_registry_t *registry = loc_registry_new (&s_limits);
    CU_ASSERT_EQUAL (loc_registry_version (registry, "echo"), 0);
    CU_ASSERT_EQUAL (s_register (registry, "h-1", "echo", 7001, 0), FG_OK);
    uint64_t first = loc_registry_version (registry, "echo");
    CU_ASSERT (first > 0);
    //  The same registration again: nothing changes, not even the version
    CU_ASSERT_EQUAL (s_register (registry, "h-1", "echo", 7001, 10), FG_OK);
    CU_ASSERT_EQUAL (s_count (registry, "echo"), 1);
    CU_ASSERT_EQUAL (loc_registry_version (registry, "echo"), first);
    //  A new port replaces the old one and is a change
    CU_ASSERT_EQUAL (s_register (registry, "h-1", "echo", 7009, 20), FG_OK);
    CU_ASSERT_EQUAL (s_count (registry, "echo"), 1);
    CU_ASSERT (loc_registry_version (registry, "echo") > first);
    //  Heartbeats are not changes
    uint64_t second = loc_registry_version (registry, "echo");
    loc_registry_heartbeat (registry, "h-1", 50, 30);
    CU_ASSERT_EQUAL (loc_registry_version (registry, "echo"), second);

    //  Unregister one name, then everything
    CU_ASSERT_EQUAL (s_register (registry, "h-1", "other", 7002, 40), FG_OK);
    CU_ASSERT_EQUAL (loc_registry_unregister (registry, "h-1", "echo"), 1);
    CU_ASSERT_EQUAL (loc_registry_version (registry, "echo"), 0);
    CU_ASSERT_EQUAL (s_count (registry, "other"), 1);
    CU_ASSERT_EQUAL (loc_registry_unregister (registry, "h-1", NULL), 1);
    CU_ASSERT_EQUAL (loc_registry_unregister (registry, "nobody", NULL), 0);
    CU_ASSERT_EQUAL (loc_registry_owners (registry), 0);
    //  A name that comes back never reuses an old version
    CU_ASSERT_EQUAL (s_register (registry, "h-1", "echo", 7001, 50), FG_OK);
    CU_ASSERT (loc_registry_version (registry, "echo") > second);
    loc_registry_destroy (&registry);
}

static void
test_validation_and_limits (void)
{
    loc_registry_t *registry = loc_registry_new (&s_limits);
    s_request_t request;
    char err [256] = "";
    struct {
        const char *owner, *name, *host;
        uint32_t port;
        const char *says;
    } bad [] = {
        { "", "echo", "127.0.0.1", 1, "owner" },
        { "has space", "echo", "127.0.0.1", 1, "owner" },
        { "h-1", "Echo", "127.0.0.1", 1, "service name" },
        { "h-1", "-echo", "127.0.0.1", 1, "service name" },
        { "h-1", "echo", "", 1, "host" },
        { "h-1", "echo", "bad host!", 1, "host" },
        { "h-1", "echo", "127.0.0.1", 0, "port" },
        { "h-1", "echo", "127.0.0.1", 70000, "port" },
    };
    for (size_t index = 0; index < sizeof bad / sizeof bad [0]; index++) {
        s_request (&request, bad [index].owner, bad [index].name, bad [index].host,
                   bad [index].port, 1);
        CU_ASSERT_EQUAL (loc_registry_register (registry, &request.msg, 0, err, sizeof err),
                         FG_E_INVALID);
        CU_ASSERT_PTR_NOT_NULL (strstr (err, bad [index].says));
    }
    s_request (&request, "h-1", "echo", "127.0.0.1", 1, 1);
    request.endpoint.transport = "udp";
    CU_ASSERT_EQUAL (loc_registry_register (registry, &request.msg, 0, err, sizeof err),
                     FG_E_INVALID);
    request.endpoint.transport = "tcp";
    request.endpoint.public_key = "not a key";
    CU_ASSERT_EQUAL (loc_registry_register (registry, &request.msg, 0, err, sizeof err),
                     FG_E_INVALID);
    request.endpoint.public_key = NULL;
    request.function.name = "two words";
    CU_ASSERT_EQUAL (loc_registry_register (registry, &request.msg, 0, err, sizeof err),
                     FG_E_INVALID);
    request.msg.n_regs = 0;
    CU_ASSERT_EQUAL (loc_registry_register (registry, &request.msg, 0, err, sizeof err),
                     FG_E_INVALID);
    CU_ASSERT_EQUAL (loc_registry_owners (registry), 0);

    //  Per owner: 4 names at most
    const char *names [] = { "a", "b", "c", "d", "e" };
    for (int index = 0; index < 4; index++)
        CU_ASSERT_EQUAL (s_register (registry, "h-1", names [index], 7000, 0), FG_OK);
    CU_ASSERT_EQUAL (s_register (registry, "h-1", "e", 7000, 0), FG_E_LIMIT);
    //  ... but re-registering one it has is fine
    CU_ASSERT_EQUAL (s_register (registry, "h-1", "d", 7001, 0), FG_OK);
    //  Owners: 3 at most
    CU_ASSERT_EQUAL (s_register (registry, "h-2", "a", 7000, 0), FG_OK);
    CU_ASSERT_EQUAL (s_register (registry, "h-3", "a", 7000, 0), FG_OK);
    CU_ASSERT_EQUAL (s_register (registry, "h-4", "a", 7000, 0), FG_E_LIMIT);
    CU_ASSERT_EQUAL (s_count (registry, "a"), 3);

    //  A TTL above the maximum is cut to it
    s_request (&request, "h-2", "a", "127.0.0.1", 7000, 1);
    request.msg.ttl_ms = 999999;
    CU_ASSERT_EQUAL (loc_registry_register (registry, &request.msg, 0, err, sizeof err), FG_OK);
    CU_ASSERT_EQUAL (loc_registry_expire (registry, 4999), 5);    //  h-1 and h-3 at 1000
    CU_ASSERT_EQUAL (s_count (registry, "a"), 1);
    CU_ASSERT_EQUAL (loc_registry_expire (registry, 5000), 1);
    loc_registry_destroy (&registry);
}

static void
test_policies (void)
{
    loc_registry_t *registry = loc_registry_new (&(loc_registry_limits_t) {
        .default_ttl_ms = 1000, .max_ttl_ms = 1000, .max_per_owner = 4, .max_owners = 100 });
    loc_policy_t policy;
    CU_ASSERT_EQUAL (loc_policy_parse ("least-loaded", &policy), 0);
    CU_ASSERT_EQUAL (policy, LOC_POLICY_LEAST_LOADED);
    CU_ASSERT_STRING_EQUAL (loc_policy_name (LOC_POLICY_ROUND_ROBIN), "round-robin");
    CU_ASSERT_EQUAL (loc_policy_parse ("fastest", &policy), -1);
    CU_ASSERT_EQUAL (loc_policy_parse ("", &policy), -1);

    //  Three owners with weights 1, 1, 8 and loads 30, 10, 20
    const char *owners [] = { "o-1", "o-2", "o-3" };
    uint32_t weights [] = { 1, 1, 8 }, loads [] = { 30, 10, 20 };
    for (int index = 0; index < 3; index++) {
        s_request_t request;
        char err [256];
        s_request (&request, owners [index], "svc", "10.0.0.1", 7000 + index, weights [index]);
        CU_ASSERT_EQUAL (loc_registry_register (registry, &request.msg, 0, err, sizeof err), FG_OK);
        loc_registry_heartbeat (registry, owners [index], loads [index], 0);
    }
    loc_entry_t *entries = NULL;
    //  Least-loaded: 10, 20, 30, and the load is reported
    CU_ASSERT_EQUAL (loc_registry_resolve (registry, "svc", LOC_POLICY_LEAST_LOADED, &entries), 3);
    CU_ASSERT_STRING_EQUAL (entries [0].reg->endpoint->owner, "o-2");
    CU_ASSERT_EQUAL (entries [0].load, 10);
    CU_ASSERT_STRING_EQUAL (entries [1].reg->endpoint->owner, "o-3");
    CU_ASSERT_STRING_EQUAL (entries [2].reg->endpoint->owner, "o-1");
    free (entries);

    //  Round-robin: each endpoint comes first once in three resolves
    int firsts [3] = { 0, 0, 0 };
    for (int round = 0; round < 3; round++) {
        loc_registry_resolve (registry, "svc", LOC_POLICY_ROUND_ROBIN, &entries);
        firsts [entries [0].reg->endpoint->port - 7000]++;
        free (entries);
    }
    CU_ASSERT (firsts [0] == 1 && firsts [1] == 1 && firsts [2] == 1);

    //  Weighted: weight 8 of 10 comes first ~80% of the time; random ~33%
    int weighted = 0, uniform = 0;
    const int rounds = 3000;
    for (int round = 0; round < rounds; round++) {
        loc_registry_resolve (registry, "svc", LOC_POLICY_WEIGHTED, &entries);
        weighted += entries [0].reg->endpoint->port == 7002;
        free (entries);
        loc_registry_resolve (registry, "svc", LOC_POLICY_RANDOM, &entries);
        uniform += entries [0].reg->endpoint->port == 7002;
        CU_ASSERT_EQUAL (entries [0].reg->endpoint->weight > 0, true);
        free (entries);
    }
    //  Bounds are many standard deviations wide: this cannot flake
    CU_ASSERT (weighted > rounds * 70 / 100 && weighted < rounds * 90 / 100);
    CU_ASSERT (uniform > rounds * 25 / 100 && uniform < rounds * 42 / 100);

    //  Names are listed sorted
    char err [256];
    s_request_t request;
    s_request (&request, "o-1", "alpha", "10.0.0.1", 1, 0);
    CU_ASSERT_EQUAL (loc_registry_register (registry, &request.msg, 0, err, sizeof err), FG_OK);
    zlistx_t *names = loc_registry_names (registry);
    CU_ASSERT_EQUAL (zlistx_size (names), 2);
    CU_ASSERT_STRING_EQUAL ((char *) zlistx_first (names), "alpha");
    CU_ASSERT_STRING_EQUAL ((char *) zlistx_next (names), "svc");
    zlistx_destroy (&names);
    //  Weight 0 means 1
    loc_registry_resolve (registry, "alpha", LOC_POLICY_WEIGHTED, &entries);
    CU_ASSERT_EQUAL (entries [0].reg->endpoint->weight, 1);
    free (entries);
    loc_registry_destroy (&registry);
}

void
test_loc_registry_add (void)
{
    ts_add_suite ("loc_registry",
        "registrations live while heartbeated", test_soft_state,
        "re-registering is idempotent; versions", test_idempotent_and_versions,
        "bad registrations and limits", test_validation_and_limits,
        "resolve policies", test_policies,
        NULL);
}
