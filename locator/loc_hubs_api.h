/*  =========================================================================
    loc_hubs_api - the hub registry's requests on the locator's socket

    The wire of the hub registry (loc_hubs.h), which owns the state: a
    RegistryList is answered with the hubs it matches, a RegistrySet (a
    change only the DAO may make) with the hub as it holds after, or an
    error saying why it was refused; a RegistrySync (a peer locator
    pulling the log, loc_peers.h) with the records after its cursor.
    =========================================================================  */
#ifndef LOC_HUBS_API_H_INCLUDED
#define LOC_HUBS_API_H_INCLUDED

//  The locator's hook: answers a RegistryList, RegistrySet or
//  RegistrySync that came from key ("" on a plain-text socket) on
//  router, from hubs. Returns true when env was one of those.
bool loc_hubs_api_handle (loc_hubs_t *hubs, zsock_t *router, zframe_t *peer, uint64_t seq,
                          const char *key, fg_env_t *env);

#endif
