/*  =========================================================================
    hub_reputation - what the hub has seen of each miner's results: how
    many stood, how many a quorum or a check outvoted, how many verdicts
    went against it, and the score constraints and the placer read

        hub_reputation_t *reputation = hub_reputation_new (store);
        hub_reputation_count (reputation, "m-1", HUB_REPUTATION_RESOLVED);
        hub_reputation_record_t record;
        hub_reputation_get (reputation, "m-1", &record);
        if (record.score >= 0.9) ...
        hub_reputation_destroy (&reputation);

    The counts are rows of its own table in the store's database, written
    in the transaction of the decision that changes them (the court's),
    and kept in memory as read, since each placement round reads every
    candidate's.
    =========================================================================  */
#ifndef HUB_REPUTATION_H_INCLUDED
#define HUB_REPUTATION_H_INCLUDED

#include "hub_store.h"

typedef struct _hub_reputation_t hub_reputation_t;

typedef enum {
    HUB_REPUTATION_RESOLVED,    //  a result of it stood (soft or hard)
    HUB_REPUTATION_MISMATCH,    //  a result of it was outvoted
    HUB_REPUTATION_VERDICT_LOST //  a verdict went against it
} hub_reputation_event_t;

typedef struct {
    uint64_t resolved;
    uint64_t mismatches;
    uint64_t verdicts_lost;
    double score;               //  0..1: (resolved + 1) / (resolved + 1 + 5 mismatches
                                //  + 20 verdicts lost); 1 for a miner never seen
} hub_reputation_record_t;

//  NULL when its table cannot be made (logged).
hub_reputation_t *hub_reputation_new (hub_store_t *store);
void hub_reputation_destroy (hub_reputation_t **self_p);

//  Counts one event for the miner. 0 or -1.
int hub_reputation_count (hub_reputation_t *self, const char *miner_id,
                          hub_reputation_event_t event);

//  The miner's record (all 0, score 1, for a miner never seen): read
//  from memory once read.
void hub_reputation_get (hub_reputation_t *self, const char *miner_id,
                         hub_reputation_record_t *record);

//  Forgets what it read (the store was read back after a failed commit).
void hub_reputation_forget (hub_reputation_t *self);

#endif
