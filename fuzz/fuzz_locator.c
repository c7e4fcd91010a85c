/*  =========================================================================
    fuzz_locator - libFuzzer target for the locator's message handling

    The input is a sequence of messages (each preceded by a length byte)
    decoded as envelopes and applied to one registry the way loc_server
    does: register, heartbeat, unregister, resolve under every policy,
    list, expire, with a clock that advances. The registry must never
    crash, never hand out an endpoint it refused to take, and keep its
    counts consistent.
    =========================================================================  */
#include "fogrid.h"
#include "loc_registry.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
s_check (loc_registry_t *registry, const char *name)
{
    for (int policy = LOC_POLICY_RANDOM; policy <= LOC_POLICY_LEAST_LOADED; policy++) {
        loc_entry_t *entries = NULL;
        size_t count = loc_registry_resolve (registry, name, (loc_policy_t) policy, &entries);
        for (size_t index = 0; index < count; index++) {
            const Fogrid__Endpoint *ep = entries [index].reg->endpoint;
            if (!fg_name_valid (entries [index].reg->name) || ep->port == 0 || ep->port > 65535
            ||  ep->weight == 0 || entries [index].load > 100)
                __builtin_trap ();
        }
        free (entries);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static bool quiet = false;
    if (!quiet) {
        zsys_set_logstream (NULL);  //  expiries are logged: not wanted here
        quiet = true;
    }
    loc_registry_limits_t limits = {
        .default_ttl_ms = 1000, .max_ttl_ms = 5000, .max_per_owner = 8, .max_owners = 16
    };
    loc_registry_t *registry = loc_registry_new (&limits);
    int64_t now = 0;
    size_t at = 0;
    while (at < size) {
        size_t length = data [at++];
        if (length > size - at)
            length = size - at;
        fg_error_t error;
        uint64_t seq;
        fg_env_t *env = fg_msg_decode (data + at, length, &error, &seq);
        at += length;
        now += 250;
        if (!env)
            continue;
        char err [300];
        switch (env->body_case) {
            case FOGRID__ENVELOPE__BODY_LOC_REGISTER:
                loc_registry_register (registry, env->loc_register, now, err, sizeof err);
                for (size_t index = 0; index < env->loc_register->n_regs; index++)
                    if (env->loc_register->regs [index]->name)
                        s_check (registry, env->loc_register->regs [index]->name);
                break;
            case FOGRID__ENVELOPE__BODY_LOC_HEARTBEAT:
                loc_registry_heartbeat (registry, env->loc_heartbeat->owner,
                                        env->loc_heartbeat->load, now);
                break;
            case FOGRID__ENVELOPE__BODY_LOC_UNREGISTER:
                loc_registry_unregister (registry, env->loc_unregister->owner,
                                         env->loc_unregister->name);
                break;
            case FOGRID__ENVELOPE__BODY_LOC_RESOLVE:
                s_check (registry, env->loc_resolve->name);
                break;
            case FOGRID__ENVELOPE__BODY_LOC_WATCH:
                (void) loc_registry_version (registry, env->loc_watch->name);
                break;
            default:
                break;
        }
        fg_msg_free (&env);
        loc_registry_expire (registry, now);
        zlistx_t *names = loc_registry_names (registry);
        size_t total = 0;
        for (char *name = (char *) zlistx_first (names); name;
             name = (char *) zlistx_next (names)) {
            loc_entry_t *entries = NULL;
            size_t count = loc_registry_resolve (registry, name, LOC_POLICY_ROUND_ROBIN, &entries);
            if (count == 0)
                __builtin_trap ();      //  a listed name has endpoints
            total += count;
            free (entries);
        }
        zlistx_destroy (&names);
        if (total != loc_registry_size (registry)
        ||  loc_registry_owners (registry) > limits.max_owners
        ||  total > limits.max_owners * limits.max_per_owner)
            __builtin_trap ();
    }
    loc_registry_destroy (&registry);
    return 0;
}
