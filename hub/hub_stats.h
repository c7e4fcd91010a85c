/*  =========================================================================
    hub_stats - what the hub counts as it goes, for /metrics, the dashboard
    and the health reply

        hub_stats_t stats = { 0 };
        stats.submitted++;                  //  the rooms count what they do
        hub_stats_finished (&stats, HUB_TASK_SUCCEEDED, task->submitted_ms, fg_now_ms ());
        ...hub_http reads it

    Plain counters, only ever added to, in the actor's thread: the actor
    and the rooms it hands a pointer to count their own events; hub_http
    reads them. Nothing decides anything on them.
    =========================================================================  */
#ifndef HUB_STATS_H_INCLUDED
#define HUB_STATS_H_INCLUDED

#include "hub_task.h"

#define HUB_THROUGHPUT_BUCKETS  60      //  of HUB_THROUGHPUT_BUCKET_S each
#define HUB_THROUGHPUT_BUCKET_S 10

typedef struct {
    uint64_t submitted;         //  tasks accepted
    uint64_t refused;           //  submits refused (full, invalid, funds)
    uint64_t dispatched;        //  assignments sent
    uint64_t finished [HUB_TASK_STATES];    //  by final state
    uint64_t requeued;          //  attempts lost with their miner
    uint64_t miners_lost;       //  miners that went dead
    uint64_t miners_left;       //  miners that said goodbye (MinerBye)
    uint64_t heartbeats_missed; //  miners that fell silent (disconnected)
    uint64_t rate_limited;      //  requests refused by the per-peer rate limits
    uint64_t commits;           //  transactions committed (one per burst)
    uint64_t commit_requests;   //  requests those transactions held
    uint64_t commit_failures;   //  bursts whose commit failed (answered with errors)
    fg_latency_t latency;       //  submit to final state
    //  Tasks finished per bucket, a ring: the newest bucket is the one
    //  that holds bucket_ms
    uint32_t done [HUB_THROUGHPUT_BUCKETS];
    int64_t bucket_ms;          //  start of the newest bucket
} hub_stats_t;

//  Counts a task that reached a final state now.
void hub_stats_finished (hub_stats_t *self, hub_task_state_t state, int64_t submitted_ms,
                         int64_t now_ms);

#endif
