/*  =========================================================================
    loc_hubs_api - the hub registry's requests on the locator's socket

    The wire of the hub registry (loc_hubs.h), which owns the state: a
    RegistryList is answered with the hubs it matches, a RegistrySet (a
    change only the DAO may make) with the hub as it holds after, or an
    error saying why it was refused; a RegistrySync (a peer locator
    pulling the log, loc_peers.h) with the records after its cursor.
    =========================================================================  */
#include "fogrid.h"
#include "loc_hubs.h"
#include "loc_hubs_api.h"

static void
s_send_reply (zsock_t *router, zframe_t *peer, uint64_t seq, Fogrid__RegistryReply *reply)
{
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_REGISTRY_REPLY;
    env.registry_reply = reply;
    fg_msg_send (router, peer, &env);
}

bool
loc_hubs_api_handle (loc_hubs_t *hubs, zsock_t *router, zframe_t *peer, uint64_t seq,
                     const char *key, fg_env_t *env)
{
    if (env->body_case == FOGRID__ENVELOPE__BODY_REGISTRY_LIST) {
        Fogrid__RegistryList *request = env->registry_list;
        Fogrid__RegistryReply *reply = fg_text_valid (request->hub_id, 63)
                                    && fg_text_valid (request->hub_key, 40)
                                     ? loc_hubs_list (hubs, request->hub_id, request->hub_key)
                                     : NULL;
        if (reply)
            s_send_reply (router, peer, seq, reply);
        else
            fg_msg_send_error (router, peer, seq, FG_E_INVALID,
                               "registry: a bad filter, or the registry cannot be read");
        loc_hubs_reply_destroy (&reply);
        return true;
    }
    if (env->body_case == FOGRID__ENVELOPE__BODY_REGISTRY_SET) {
        Fogrid__RegistrySet *request = env->registry_set;
        char why [300] = "";
        fg_error_t rc = loc_hubs_set (hubs, key, request, fg_now_ms (), why, sizeof why);
        if (rc) {
            zsys_warning ("registry: refused %.12s...'s change of hub %.63s to %.16s: %s",
                          *key? key: "anonymous", request->hub_id, request->status, why);
            fg_msg_send_error (router, peer, seq, rc, "%s", why);
            return true;
        }
        Fogrid__RegistryReply *reply = loc_hubs_list (hubs, request->hub_id, NULL);
        if (reply)
            s_send_reply (router, peer, seq, reply);
        else
            fg_msg_send_error (router, peer, seq, FG_E_INTERNAL, "registry: cannot read it back");
        loc_hubs_reply_destroy (&reply);
        return true;
    }
    if (env->body_case == FOGRID__ENVELOPE__BODY_REGISTRY_SYNC) {
        Fogrid__RegistrySync *request = env->registry_sync;
        Fogrid__RegistryRecords *records = loc_hubs_log_read (hubs, request->log_id,
                                                              request->after, request->max);
        if (records) {
            fg_env_t reply = FOGRID__ENVELOPE__INIT;
            reply.seq = seq;
            reply.body_case = FOGRID__ENVELOPE__BODY_REGISTRY_RECORDS;
            reply.registry_records = records;
            fg_msg_send (router, peer, &reply);
        }
        else
            fg_msg_send_error (router, peer, seq, FG_E_INTERNAL, "registry: cannot read the log");
        loc_hubs_records_destroy (&records);
        return true;
    }
    return false;
}
