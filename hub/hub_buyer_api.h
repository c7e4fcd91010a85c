/*  =========================================================================
    hub_buyer_api - buyers' requests about their tasks: submit, status,
    result, cancel, logs

        hub_buyer_api_t *api = hub_buyer_api_new (tasks, store, escrow, miners, miner_api,
                                                  config, &stats, outbox, buyers);
        ...a request from a buyer (key: its CurveZMQ key, "" on plain text):
        if (!hub_buyer_api_handle (api, peer, seq, key, env)) ...not about tasks...
        hub_buyer_api_destroy (&api);

    Answers wait in the outbox for the burst's commit; the writes go into
    the store's open transaction.
    =========================================================================  */
#ifndef HUB_BUYER_API_H_INCLUDED
#define HUB_BUYER_API_H_INCLUDED

#include "hub_config.h"
#include "hub_tasks.h"
#include "hub_escrow.h"
#include "hub_miner_api.h"
#include "hub_stats.h"
#include "hub_court.h"

typedef struct _hub_buyer_api_t hub_buyer_api_t;

//  Everything given must outlive it; it counts its events into stats.
hub_buyer_api_t *hub_buyer_api_new (hub_tasks_t *tasks, hub_store_t *store, hub_escrow_t *escrow,
                                    hub_miners_t *miners, hub_miner_api_t *miner_api,
                                    const hub_config_t *config, hub_stats_t *stats,
                                    fg_outbox_t *outbox, zsock_t *sock);
void hub_buyer_api_destroy (hub_buyer_api_t **self_p);

//  The court (hub_court.h): a replicated task gets its runs at submit,
//  and a TaskInfo shows its resolution. NULL: none.
void hub_buyer_api_set_court (hub_buyer_api_t *self, hub_court_t *court);

//  Where running tasks' output is kept (hub_logs.h): LogsRequest reads it,
//  a cancel stores what a task printed as its output. NULL = nowhere.
struct _hub_logs_t;
void hub_buyer_api_set_logs (hub_buyer_api_t *self, struct _hub_logs_t *logs);

//  Answers a SubmitRequest, StatusRequest, ResultRequest, CancelRequest or
//  LogsRequest from key. Returns true when env was one of those.
bool hub_buyer_api_handle (hub_buyer_api_t *self, zframe_t *peer, uint64_t seq,
                           const char *key, fg_env_t *env);

#endif
