/*  =========================================================================
    hub_array_api - buyers' requests about job arrays: one request submits
    many tasks (SubmitArrayRequest), one asks how they fare
    (ArrayStatusRequest)

        hub_array_api_t *api = hub_array_api_new (tasks, store, escrow, miners, config,
                                                  &stats, outbox, buyers);
        if (!hub_array_api_handle (api, peer, seq, key, env)) ...not about arrays...
        hub_array_api_destroy (&api);

    hub_buyer_api hands it what it does not answer itself. Element N of
    array A is the task "A[N]": status, result and cancel of one element
    are hub_buyer_api's, as for any task.
    =========================================================================  */
#ifndef HUB_ARRAY_API_H_INCLUDED
#define HUB_ARRAY_API_H_INCLUDED

#include "hub_config.h"
#include "hub_tasks.h"
#include "hub_escrow.h"
#include "hub_stats.h"

typedef struct _hub_array_api_t hub_array_api_t;

//  Everything given must outlive it.
hub_array_api_t *hub_array_api_new (hub_tasks_t *tasks, hub_store_t *store, hub_escrow_t *escrow,
                                    hub_miners_t *miners, const hub_config_t *config,
                                    hub_stats_t *stats, fg_outbox_t *outbox, zsock_t *sock);
void hub_array_api_destroy (hub_array_api_t **self_p);

//  Answers a SubmitArrayRequest or an ArrayStatusRequest from key.
//  Returns true when env was one of those.
bool hub_array_api_handle (hub_array_api_t *self, zframe_t *peer, uint64_t seq,
                           const char *key, fg_env_t *env);

#endif
