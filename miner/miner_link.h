/*  =========================================================================
    miner_link - one hub connection of the miner: its DEALER, its state,
    its check of the hub, its share of the machine and the tasks that hub
    gave it

    The agent (miner_agent.c) keeps miner/hub_count links, each serving
    one hub at a time, and runs them from its own thread and poll loop:

        miner_link_t *link = miner_link_new (0, &context, &share, &limits, trust);
        ... each turn of the loop:
        int64_t due = miner_link_timers (link);             //  connect, hello, heartbeats
        size_t used = miner_link_items (link, items, capacity);
        ... zmq_poll (every link's items, until the earliest due) ...
        miner_link_handle (link, items);                    //  hub messages, ended tasks
        ...
        miner_link_destroy (&link);     //  kills its tasks, reaps them

    A link in no-hub asks the agent for a hub through context.pick (the
    agent knows which hubs the other links serve); everything after that
    (the check, the hello, heartbeats, tasks, results) stays in the link.
    =========================================================================  */
#ifndef MINER_LINK_H_INCLUDED
#define MINER_LINK_H_INCLUDED

#include "miner_runner.h"
#include "miner_trust.h"
#include "miner_http.h"

typedef struct _miner_link_t miner_link_t;

typedef enum {
    MINER_LINK_NO_HUB = 1,
    MINER_LINK_HELLO,
    MINER_LINK_READY,
    MINER_LINK_CHECK            //  waiting for the hub's wallet statement
} miner_link_state_t;

//  Finds a hub for link: its endpoint and CurveZMQ key ("" on a plain-text
//  grid), and returns 0; or -1 with why (the link tries again in a second).
//  cursor is the link's own place in a list of configured hubs, to start
//  from and to update.
typedef int (miner_link_pick_fn) (void *arg, miner_link_t *link, size_t *cursor,
                                  char *endpoint, size_t endpoint_size, char *key,
                                  char *why, size_t why_size);

//  True when another link holds task_id/attempt (a second hub may not
//  start the same task here).
typedef bool (miner_link_held_fn) (void *arg, miner_link_t *link, const char *task_id,
                                   uint32_t attempt);

//  What the links share, the agent's (copied by miner_link_new; the
//  strings and stats must outlive the link).
typedef struct {
    const char *miner_id;
    const char *name;           //  for people, in the hello
    size_t links;               //  how many the agent has (1: logs name no link)
    uint32_t heartbeat_ms;      //  until a hub's welcome names its own
    miner_stats_t *stats;       //  counted for the whole miner
    miner_link_pick_fn *pick;
    miner_link_held_fn *held;
    void *arg;                  //  for pick and held
} miner_link_context_t;

//  A link (index from 0) in no-hub, to connect at its first timers. share
//  is what it offers its hub (copied; what it points to must outlive the
//  link), limits its runners' (copied; its memory cap becomes the share's).
//  Takes trust over.
miner_link_t *miner_link_new (size_t index, const miner_link_context_t *context,
                              const Fogrid__Resources *share,
                              const miner_runner_limits_t *limits, miner_trust_t **trust_p);

//  Kills its tasks and reaps them, drops the connection. Idempotent.
void miner_link_destroy (miner_link_t **self_p);

//  Kills every task it holds, without waiting (destroy reaps them): the
//  agent kills all links' tasks first so that they die in parallel.
void miner_link_kill_all (miner_link_t *self);

//  Tells a hub the link is ready with that the miner is stopping
//  (MinerBye), so it requeues the link's tasks now rather than after
//  hub/dead_ms; the message is flushed when the link is destroyed (1 s
//  at most). Nothing when not ready.
void miner_link_bye (miner_link_t *self, const char *reason);

//  Runs what is due now; returns when (zclock_mono) it next wants to be.
int64_t miner_link_timers (miner_link_t *self);

//  Most poll items miner_link_items may fill now.
size_t miner_link_item_count (miner_link_t *self);

//  Fills items with what to poll: the DEALER, its monitor, each task's
//  runner, all for POLLIN. Returns how many.
size_t miner_link_items (miner_link_t *self, zmq_pollitem_t *items, size_t capacity);

//  Handles what zmq_poll found on the items the last miner_link_items
//  filled (the same pointer).
void miner_link_handle (miner_link_t *self, zmq_pollitem_t *items);

miner_link_state_t miner_link_state (miner_link_t *self);
const char *miner_link_state_name (miner_link_state_t state);

//  The hub's endpoint and key, "" in no-hub; its id once its statement
//  (or its rating) named it, else "".
const char *miner_link_endpoint (miner_link_t *self);
const char *miner_link_hub_key (miner_link_t *self);
const char *miner_link_hub_id (miner_link_t *self);

size_t miner_link_index (miner_link_t *self);

//  Tasks held (running, or killed and not reaped yet); true when it holds
//  task_id/attempt.
size_t miner_link_tasks (miner_link_t *self);
bool miner_link_holds (miner_link_t *self, const char *task_id, uint32_t attempt);

//  Its state as JSON for the HTTP status (new reference): hub, state,
//  share and what its tasks use of it.
json_t *miner_link_json (miner_link_t *self);

#endif
