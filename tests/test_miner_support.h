/*  =========================================================================
    test_miner_support - a fake hub for the miner's suites

    A ROUTER on loopback speaking the miner protocol, enough to welcome a
    real miner, take its messages and give it tasks:

        tm_hub_t hub;
        tm_hub_open (&hub);
        ...start a miner pointed at hub.endpoint...
        fg_env_t *hello = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_HELLO, 5000);
        tm_hub_welcome (&hub, hello->seq, 100);
        tm_hub_close (&hub);

    Built with the miner's suites only (tests/CMakeLists.txt globs
    test_miner_*.c by part).
    =========================================================================  */
#ifndef TEST_MINER_SUPPORT_H_INCLUDED
#define TEST_MINER_SUPPORT_H_INCLUDED

#include "test_support.h"

typedef struct {
    zsock_t *router;            //  where the miner connects
    int port;                   //  its port
    char endpoint [64];         //  "tcp://127.0.0.1:PORT"
    zframe_t *peer;             //  routing id of the miner that spoke last
} tm_hub_t;

//  Binds the hub's ROUTER on port (0 = any the kernel gives); fatal if it
//  cannot (a hub restarted on its old port uses this).
void tm_hub_bind (tm_hub_t *hub, int port);

//  On a port from ts_free_port (see the .c for why not "*").
void tm_hub_open (tm_hub_t *hub);
void tm_hub_close (tm_hub_t *hub);

//  The next message within timeout_ms, whatever it is; NULL if none.
fg_env_t *tm_hub_recv (tm_hub_t *hub, int timeout_ms);

//  Waits up to timeout_ms for a message with the wanted body; others
//  (heartbeats, mostly) are skipped. NULL if none came.
fg_env_t *tm_hub_expect (tm_hub_t *hub, Fogrid__Envelope__BodyCase wanted, int timeout_ms);

//  Sends env to the miner that spoke last.
void tm_hub_send (tm_hub_t *hub, fg_env_t *env);

//  Welcomes the hello with seq, asking for a heartbeat every heartbeat_ms.
void tm_hub_welcome (tm_hub_t *hub, uint64_t seq, uint32_t heartbeat_ms);

#endif
