/*  =========================================================================
    fuzz_registry - libFuzzer target for the hub registry's records

    The input is one envelope. A RegistrySet is taken as a client's change
    and then, as a peer's record, again; each record of a RegistryRecords
    is taken as a peer's, twice. The registry (admin keys `*`, so that
    unsigned records reach the merge; a signed one is checked as ever)
    must never crash, never list a hub with a status or id it would
    refuse, and a record taken a second time must add nothing to its log.
    =========================================================================  */
#include "fogrid.h"
#include "loc_hubs.h"
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static loc_hubs_t *s_hubs = NULL;
static char s_dir [] = "/tmp/fogrid-fuzz-registry-XXXXXX";

//  At exit: the database and its directory go
static void
s_remove (void)
{
    loc_hubs_destroy (&s_hubs);
    const char *files [] = { "registry.db", "registry.db-wal", "registry.db-shm" };
    for (size_t index = 0; index < 3; index++) {
        char path [100];
        snprintf (path, sizeof path, "%s/%s", s_dir, files [index]);
        unlink (path);
    }
    rmdir (s_dir);
}

static void
s_check (void)
{
    Fogrid__RegistryReply *reply = loc_hubs_list (s_hubs, NULL, NULL);
    if (!reply)
        __builtin_trap ();
    for (size_t index = 0; index < reply->n_hubs; index++)
        if (!loc_hubs_status_valid (reply->hubs [index]->status)
        ||  !*reply->hubs [index]->hub_id || strlen (reply->hubs [index]->hub_id) > 63)
            __builtin_trap ();
    loc_hubs_reply_destroy (&reply);
}

//  Takes record as a peer's, twice: the second time adds nothing.
static void
s_apply_twice (const Fogrid__RegistrySet *record)
{
    char why [300];
    bool fresh;
    loc_hubs_apply (s_hubs, record, "fuzz", &fresh, why, sizeof why);
    size_t records = loc_hubs_records (s_hubs);
    loc_hubs_apply (s_hubs, record, "fuzz", &fresh, why, sizeof why);
    if (fresh || loc_hubs_records (s_hubs) != records)
        __builtin_trap ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_hubs) {
        zsys_set_logstream (NULL);  //  every change is logged: not wanted here
        char err [300];
        if (!mkdtemp (s_dir) || !(s_hubs = loc_hubs_new (s_dir, "*", err, sizeof err)))
            __builtin_trap ();
        atexit (s_remove);
    }
    fg_error_t error;
    uint64_t seq;
    fg_env_t *env = fg_msg_decode (data, size, &error, &seq);
    if (!env)
        return 0;
    char why [300];
    if (env->body_case == FOGRID__ENVELOPE__BODY_REGISTRY_SET) {
        loc_hubs_set (s_hubs, "", env->registry_set, fg_now_ms (), why, sizeof why);
        s_apply_twice (env->registry_set);
    }
    else
    if (env->body_case == FOGRID__ENVELOPE__BODY_REGISTRY_RECORDS)
        for (size_t index = 0; index < env->registry_records->n_entries; index++)
            if (env->registry_records->entries [index]->record)
                s_apply_twice (env->registry_records->entries [index]->record);
    s_check ();
    fg_msg_free (&env);
    return 0;
}
