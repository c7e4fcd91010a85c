/*  =========================================================================
    hub_miners - the miners the hub knows, their resources and liveness

    A table keyed by miner id, and by the routing id of the connection
    each miner said hello on (both hash lookups: a message never walks the
    table). Each miner is a record (public, read by the server and turned
    into scheduler candidates) holding what it offers, what it last
    reported, and which tasks the hub has given it with the resources each
    one reserves. Its liveness state changes only through
    hub_miners_set_state, which keeps the counts by state and the cores of
    connected miners as it goes.
    =========================================================================  */
#ifndef HUB_MINERS_H_INCLUDED
#define HUB_MINERS_H_INCLUDED

#include "hub_sched.h"

typedef enum {
    HUB_MINER_CONNECTED = 1,    //  heard from within disconnect_ms
    HUB_MINER_DISCONNECTED,     //  silent, its tasks are kept for now
    HUB_MINER_DEAD,             //  silent for dead_ms (or unreachable): its tasks are requeued
    HUB_MINER_STATES            //  keep last: 1 + number of states
} hub_miner_state_t;

typedef struct {
    char id [64];               //  stable across the miner's restarts
    char *name;                 //  host name, for people
    char *version;              //  its software version
    zframe_t *routing;          //  ROUTER id of its connection; NULL until it says hello
    Fogrid__Resources *resources;   //  what it offers (own copy, never NULL)
    struct _fg_expr_t *accept;  //  its terms (resources->constraint) parsed, or NULL
    Fogrid__Load *load;         //  what it last reported (own copy, never NULL)
    hub_miner_state_t state;    //  only hub_miners_set_state writes it
    int64_t last_seen_ms;       //  last hello or heartbeat
    int64_t connected_ms;       //  last hello
    zhashx_t *tasks;            //  task id -> reservation, tasks given to it
    uint32_t used_cores;        //  sum of its tasks' cores
    uint64_t used_mem_mb;       //  sum of its tasks' memory (those that ask)
    uint32_t used_gpus;         //  sum of its tasks' GPUs
    bool refusing;              //  it refused an assignment: offered nothing until
                                //  its next heartbeat (no task circles on it)
    int fd;                     //  descriptor of its connection (hub_watch), or -1
    int64_t closed_ms;          //  when its connection closed (in grace), or 0
    //  The table's own bookkeeping (hub_miners.c)
    struct _hub_miners_t *owner;    //  the table that counts it
    void *seen_handle;          //  in the table's silence order; NULL when dead
    void *closed_handle;        //  in the table's closed connections, or NULL
} hub_miner_t;

typedef struct _hub_miners_t hub_miners_t;

hub_miners_t *hub_miners_new (void);
void hub_miners_destroy (hub_miners_t **self_p);

const char *hub_miner_state_name (hub_miner_state_t state);

//  By id, or by the routing id of the connection it last spoke on.
hub_miner_t *hub_miners_lookup (hub_miners_t *self, const char *miner_id);
hub_miner_t *hub_miners_by_routing (hub_miners_t *self, zframe_t *routing);

//  Registers or refreshes a miner from its hello (copying what it offers
//  and its routing id, and noting the connection's descriptor); the miner
//  is connected afterwards.
hub_miner_t *hub_miners_hello (hub_miners_t *self, const Fogrid__MinerHello *hello,
                               zframe_t *routing, int64_t now_ms);

//  Records a heartbeat's load; a disconnected miner is connected again.
void hub_miners_heartbeat (hub_miners_t *self, hub_miner_t *miner,
                           const Fogrid__Load *load, int64_t now_ms);

//  A miner known only because a stored task was assigned to it when the
//  hub stopped: disconnected, seen now, so it dies unless it says hello.
hub_miner_t *hub_miners_restore (hub_miners_t *self, const char *miner_id, int64_t now_ms);

//  The only writer of a miner's state; logs `from -> to` with why.
void hub_miners_set_state (hub_miner_t *miner, hub_miner_state_t next, const char *why);

//  Applies the silence rules, and the grace of closed connections;
//  appends the ids of miners that died now to died (a zlist of strings,
//  autofree). Costs the miners that are silent or closed, not the table.
void hub_miners_check (hub_miners_t *self, int64_t now_ms, int64_t disconnect_ms,
                       int64_t dead_ms, zlist_t *died);

//  The connection on descriptor fd closed (hub_watch_next): the miner last
//  heard on it dies when grace_ms pass without a word from it (a quick
//  reconnect keeps it, and its tasks). A descriptor nobody spoke on is
//  nothing.
void hub_miners_closed (hub_miners_t *self, int fd, int64_t now_ms);

//  How long a miner whose connection closed has to come back; 0 = closed
//  connections are ignored (silence alone decides).
void hub_miners_set_grace (hub_miners_t *self, int64_t grace_ms);

//  Reserves / releases a task's resources on a miner.
void hub_miners_reserve (hub_miner_t *miner, const char *task_id, uint32_t cores,
                         uint64_t mem_mb, uint32_t gpus);
void hub_miners_release (hub_miner_t *miner, const char *task_id);
bool hub_miners_has_task (hub_miner_t *miner, const char *task_id);

//  Describes a miner to the scheduler.
void hub_miners_candidate (hub_miner_t *miner, hub_sched_miner_t *candidate);

//  Iteration, in no particular order; the table must not change meanwhile.
hub_miner_t *hub_miners_first (hub_miners_t *self);
hub_miner_t *hub_miners_next (hub_miners_t *self);
size_t hub_miners_size (hub_miners_t *self);

//  How many miners are in each state (counts has HUB_MINER_STATES slots).
void hub_miners_count_states (hub_miners_t *self, uint64_t *counts);

//  Cores offered by the connected miners, and how many of those are
//  reserved for tasks.
void hub_miners_capacity (hub_miners_t *self, uint64_t *cores, uint64_t *used);

#endif
