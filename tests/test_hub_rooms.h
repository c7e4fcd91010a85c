/*  =========================================================================
    test_hub_rooms - the hub's rooms on real books, as the room suites
    build them: the store and the ledger, the config, the wallet, the
    escrow, the tasks, the miners, the outbox, and (when a suite talks to
    an API) a real ROUTER with a DEALER on it. Also what a miner says in
    its hello, and a task a buyer submitted.

        th_rooms_t *rooms = th_rooms_new (dir, true, "hub/require_funds", "1", NULL);
        th_rooms_watch_money (rooms);               //  escrow before each change
        th_rooms_connect (rooms, "placer", "m1");   //  rooms->router, ->dealer, ->peer
        hub_miner_t *miner = th_rooms_miner (rooms, "m-1", "m1", 4, 100);
        hub_task_t *task = th_rooms_submit (rooms, "t-1", "alice", 1);
        ...
        th_rooms_destroy (&rooms);

    Built with the hub's suites (its name starts as theirs do), so it may
    use the hub's classes.
    =========================================================================  */
#ifndef TEST_HUB_ROOMS_H_INCLUDED
#define TEST_HUB_ROOMS_H_INCLUDED

#include "test_hub_support.h"
#include "hub_config.h"
#include "hub_wallet.h"
#include "hub_escrow.h"
#include "hub_tasks.h"
#include "hub_miners.h"
#include "hub_stats.h"

typedef struct {
    th_books_t th;              //  store and ledger
    fg_config_t *raw;           //  the settings as text
    hub_config_t *config;       //  ...typed
    hub_wallet_t *wallet;
    hub_escrow_t *escrow;
    hub_tasks_t *tasks;
    hub_miners_t *miners;
    hub_stats_t stats;
    fg_outbox_t *outbox;
    zsock_t *router;            //  the hub's socket (th_rooms_connect), else NULL
    zsock_t *dealer;            //  the peer on it
    zframe_t *peer;             //  ...its routing id
    uint64_t seq;               //  the last request's seq, for the suites' calls
} th_rooms_t;

//  The rooms on the books in dir, with hub/data_dir dir and the settings
//  given as name, value pairs ending in NULL; the wallet of hub h-test,
//  punished into "dao", registering itself or not. A failure ends the
//  test, saying why.
th_rooms_t *th_rooms_new (const char *dir, bool self_register, ...);
//  In reverse order, the socket pair too.
void th_rooms_destroy (th_rooms_t **self_p);

//  Puts on the tasks the watcher a hub puts there: money before each
//  change (hub_escrow_task_change, with the task's miner).
void th_rooms_watch_money (th_rooms_t *self);

//  A ROUTER on inproc://NAME-..., and a DEALER as id on it (2 s receive
//  timeout) that has spoken once, so that the router knows it; its
//  routing id in self->peer. mandatory: the router refuses to send to
//  whom it does not know (as the hub's miner socket does).
void th_rooms_connect (th_rooms_t *self, const char *name, const char *id, bool mandatory);

//  What a miner says in its hello: id, the process runtime, cores, 4 GiB,
//  price. The struct points into itself: do not copy it.
typedef struct {
    char *runtimes [1];
    Fogrid__Resources res;
    Fogrid__MinerHello hello;
} th_hello_t;
void th_hello_init (th_hello_t *self, const char *id, uint32_t cores, uint64_t price);

//  A miner's hello taken by the miners room, on the connection routing.
hub_miner_t *th_rooms_miner (th_rooms_t *self, const char *id, const char *routing,
                             uint32_t cores, uint64_t price);

//  A task of buyer running `true`, with that many retries, not yet the
//  hub's (its spec is the task's to change before a submit).
hub_task_t *th_task_new (const char *id, const char *buyer, uint32_t retries);

//  The same, submitted to the tasks room.
hub_task_t *th_rooms_submit (th_rooms_t *self, const char *id, const char *buyer,
                             uint32_t retries);

#endif
