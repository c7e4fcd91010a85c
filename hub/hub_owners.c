/*  =========================================================================
    hub_owners - who stands behind a miner

    DESIGN
    Distinct ids are cheap (any machine says hello with a new one), keys
    are what a miner cannot share without giving away its earnings, so
    replicas and checks are kept apart by key. A label adds what keys do
    not show: two keys on one provider's machines are still one failure.
    A miner that is no longer connected keeps its key (the store has it)
    but its labels are gone with it: it then counts by key alone.
    =========================================================================  */
#include "fogrid.h"
#include "hub_owners.h"

struct _hub_owners_t {
    hub_store_t *store;         //  miner_key/ID (not owned)
    hub_miners_t *miners;       //  their labels (not owned)
    const char *label;          //  hub/replica_label, "" for none
};

hub_owners_t *
hub_owners_new (hub_store_t *store, hub_miners_t *miners, const char *label)
{
    hub_owners_t *self = (hub_owners_t *) zmalloc (sizeof (hub_owners_t));
    self->store = store;
    self->miners = miners;
    self->label = label? label: "";
    return self;
}

void
hub_owners_destroy (hub_owners_t **self_p)
{
    if (*self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

//  Its key, as its first hello recorded it; its id on a plain-text hub
static void
s_owner (hub_owners_t *self, const char *miner_id, char *owner, size_t size)
{
    char meta [128];
    snprintf (meta, sizeof meta, "miner_key/%s", miner_id);
    if (hub_store_meta_get (self->store, meta, owner, size))
        snprintf (owner, size, "id:%s", miner_id);
}

static const char *
s_label (hub_owners_t *self, const char *miner_id)
{
    hub_miner_t *miner = *self->label? hub_miners_lookup (self->miners, miner_id): NULL;
    if (miner)
        for (size_t index = 0; index < miner->resources->n_labels; index++)
            if (streq (miner->resources->labels [index]->key, self->label))
                return miner->resources->labels [index]->value;
    return NULL;
}

bool
hub_owners_shared (hub_owners_t *self, zlist_t *involved, const char *miner_id)
{
    char owner [128];
    s_owner (self, miner_id, owner, sizeof owner);
    const char *label = s_label (self, miner_id);
    for (char *other = (char *) zlist_first (involved); other;
         other = (char *) zlist_next (involved)) {
        char theirs [128];
        s_owner (self, other, theirs, sizeof theirs);
        if (streq (owner, theirs))
            return true;
        const char *their_label = s_label (self, other);
        if (label && their_label && streq (label, their_label))
            return true;
    }
    return false;
}
