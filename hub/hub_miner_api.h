/*  =========================================================================
    hub_miner_api - the miners' side of the hub: their hello, heartbeats,
    goodbyes, TaskStarted, TaskResult and TaskOutput, the loss of a miner, and the
    silence rules

        hub_miner_api_t *api = hub_miner_api_new (miners, tasks, escrow, wallet, store,
                                                  config, &stats, outbox, miner_sock);
        ...a message on the miner socket (key: the miner's CurveZMQ key):
        if (!hub_miner_api_handle (api, peer, seq, key, env)) ...not a miner message...
        ...each liveness tick, in the burst's transaction:
        hub_miner_api_tick (api, fg_now_ms ());
        ...a send to it was refused (its connection is gone):
        hub_miner_api_lost (api, miner, "its connection is gone (send refused)");
        hub_miner_api_destroy (&api);

    Answers, kills and welcomes wait in the outbox for the burst's commit.
    =========================================================================  */
#ifndef HUB_MINER_API_H_INCLUDED
#define HUB_MINER_API_H_INCLUDED

#include "hub_config.h"
#include "hub_tasks.h"
#include "hub_miners.h"
#include "hub_escrow.h"
#include "hub_stats.h"
#include "hub_court.h"

typedef struct _hub_miner_api_t hub_miner_api_t;

//  Everything given must outlive it; it counts its events into stats.
hub_miner_api_t *hub_miner_api_new (hub_miners_t *miners, hub_tasks_t *tasks,
                                    hub_escrow_t *escrow, hub_wallet_t *wallet,
                                    hub_store_t *store, const hub_config_t *config,
                                    hub_stats_t *stats, fg_outbox_t *outbox, zsock_t *sock);
void hub_miner_api_destroy (hub_miner_api_t **self_p);

//  Where running tasks' output goes (TaskOutput, hub_logs.h). NULL = nowhere.
struct _hub_logs_t;
void hub_miner_api_set_logs (hub_miner_api_t *self, struct _hub_logs_t *logs);

//  The court that decides whether results stand (hub_court.h); without
//  one (NULL, the default) every result is paid at once.
void hub_miner_api_set_court (hub_miner_api_t *self, hub_court_t *court);

//  Answers a MinerHello, MinerHeartbeat, TaskStarted, MinerBye, TaskOutput or
//  TaskResult from peer. Returns true when env was one of those.
bool hub_miner_api_handle (hub_miner_api_t *self, zframe_t *peer, uint64_t seq,
                           const char *key, fg_env_t *env);

//  Answers a buyer's MinersRequest on router: every miner, its state and tasks.
void hub_miner_api_list (hub_miner_api_t *self, zsock_t *router, zframe_t *peer, uint64_t seq);

//  The miner is gone without a word: dead, counted as lost, its tasks back
//  in the queue (or failed when their retries are spent).
void hub_miner_api_lost (hub_miner_api_t *self, hub_miner_t *miner, const char *why);

//  Takes the task off its miner: its resources released, a TaskKill sent
//  when the miner is connected. The task's state is the caller's to change.
void hub_miner_api_stop (hub_miner_api_t *self, hub_task_t *task);

//  The silence rules (hub/disconnect_ms, hub/dead_ms: the dead are lost)
//  and the backstop: a task running 60 s past its timeout is failed.
void hub_miner_api_tick (hub_miner_api_t *self, int64_t now);

#endif
