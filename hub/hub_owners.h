/*  =========================================================================
    hub_owners - who stands behind a miner, for the court's rule that runs
    of one task go to miners of distinct owners

        hub_owners_t *owners = hub_owners_new (store, miners, "region");
        zlist_t *involved = ...miner ids that ran the task so far...
        if (!hub_owners_shared (owners, involved, "m-7")) ...m-7 may run it...
        hub_owners_destroy (&owners);

    An owner is a key: the one a miner id's first hello was made with
    (hub_miner_api keeps it in the store), or the id itself on a plain-text
    hub. With a label name (hub/replica_label), miners that share the
    label's value count as one owner too (a region, a provider).
    =========================================================================  */
#ifndef HUB_OWNERS_H_INCLUDED
#define HUB_OWNERS_H_INCLUDED

#include "hub_store.h"
#include "hub_miners.h"

typedef struct _hub_owners_t hub_owners_t;

//  label: "" for keys alone. Everything given must outlive it.
hub_owners_t *hub_owners_new (hub_store_t *store, hub_miners_t *miners, const char *label);
void hub_owners_destroy (hub_owners_t **self_p);

//  True when miner_id shares an owner (or the label's value) with any
//  miner id in involved (a zlist of strings).
bool hub_owners_shared (hub_owners_t *self, zlist_t *involved, const char *miner_id);

#endif
