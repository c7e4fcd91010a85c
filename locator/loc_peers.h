/*  =========================================================================
    loc_peers - the locator pulls the hub registry's records from its peers

    With locator/peers set, the locator asks each peer, every
    locator/peer_sync_ms, for the records of the peer's log after the
    last one it took from there (RegistrySync -> RegistryRecords), and
    takes each through loc_hubs_apply: the signature is checked here, not
    believed. What it takes goes into its own log, where its own peers
    find it: a change made at any locator reaches every locator connected
    to it through any chain of peers, within about peer_sync_ms a hop.
    The place in each peer's log is kept on disk, so a locator that was
    down asks for what it missed and no more.
    =========================================================================  */
#ifndef LOC_PEERS_H_INCLUDED
#define LOC_PEERS_H_INCLUDED

#include "loc_hubs.h"

typedef struct _loc_peers_t loc_peers_t;

#define LOC_PEERS_DEFS \
    { "locator/peers", FG_CFG_STR, "", 0, 0, \
      "the other locators (tcp://HOST:PORT, comma-separated) whose hub registry records this " \
      "one pulls and checks; the list may name this locator too (it is skipped), so that all " \
      "can share one config; their key is security/locator_key, else this locator's own; " \
      "empty = the registry is this locator's alone" }, \
    { "locator/peer_sync_ms", FG_CFG_INT, "1000", 100, 3600000, \
      "how often each peer is asked for new registry records: a change reaches the next " \
      "locator within about this" }

//  Checks locator/peers. Returns 0, or -1 with the reason in err.
int loc_peers_check_config (fg_config_t *config, char *err, size_t err_size);

//  Starts pulling from the peers the config lists into hubs (not ours).
//  NULL when none are listed, or with the reason in err.
loc_peers_t *loc_peers_new (fg_config_t *config, loc_hubs_t *hubs, char *err, size_t err_size);
void loc_peers_destroy (loc_peers_t **self_p);

//  Adds the peers' sockets to a poll set; returns how many.
size_t loc_peers_items (loc_peers_t *self, zmq_pollitem_t *items, size_t max);

//  Milliseconds until the next pull is due (for the poll's timeout).
int64_t loc_peers_timeout (loc_peers_t *self);

//  Takes the answers that came, sends the pulls that are due.
void loc_peers_handle (loc_peers_t *self);

//  Each peer's state (endpoint, up, its log, cursor, last pull, what it
//  gave), as a JSON array (caller decrefs). For /v1/registry.
json_t *loc_peers_json (loc_peers_t *self);

//  Adds the peers' metrics (up, seconds since the last pull that
//  answered, pulls by outcome).
void loc_peers_metrics (loc_peers_t *self, fg_metrics_t *metrics);

#endif
