/*  =========================================================================
    hub_court_api - buyers' and miners' requests to the court: challenge a
    result, fetch a verdict, put down or take back a miner's stake

        hub_court_api_t *api = hub_court_api_new (court, escrow, store, config,
                                                  outbox, buyers);
        if (!hub_court_api_handle (api, peer, seq, key, env)) ...not the court's...
        hub_court_api_destroy (&api);

    Answers wait in the outbox for the burst's commit; the writes go into
    the store's open transaction.
    =========================================================================  */
#ifndef HUB_COURT_API_H_INCLUDED
#define HUB_COURT_API_H_INCLUDED

#include "hub_court.h"

typedef struct _hub_court_api_t hub_court_api_t;

//  Everything given must outlive it.
hub_court_api_t *hub_court_api_new (hub_court_t *court, hub_escrow_t *escrow,
                                    hub_store_t *store, const hub_config_t *config,
                                    fg_outbox_t *outbox, zsock_t *sock);
void hub_court_api_destroy (hub_court_api_t **self_p);

//  Answers a ChallengeRequest, VerdictRequest or StakeRequest from key
//  (its CurveZMQ key, "" on plain text). True when env was one of those.
bool hub_court_api_handle (hub_court_api_t *self, zframe_t *peer, uint64_t seq,
                           const char *key, fg_env_t *env);

#endif
