/*  =========================================================================
    test_miner_support - a fake hub for the miner's suites
    =========================================================================  */
#include "test_miner_support.h"

void
tm_hub_bind (tm_hub_t *hub, int port)
{
    hub->router = zsock_new (ZMQ_ROUTER);
    zsock_set_linger (hub->router, 0);
    if (port)
        hub->port = zsock_bind (hub->router, "tcp://127.0.0.1:%d", port) == port? port: -1;
    else
        hub->port = zsock_bind (hub->router, "tcp://127.0.0.1:*");
    CU_ASSERT_FATAL (hub->port > 0);
    snprintf (hub->endpoint, sizeof hub->endpoint, "tcp://127.0.0.1:%d", hub->port);
}

//  On a port from ts_free_port: the kernel gives bind even ports and
//  connect odd ones, so a miner that connects while nothing listens
//  cannot take the hub's port for its own end (czmq's "*" may hand out
//  an odd one, which a reconnecting DEALER can end up connected to itself)
void
tm_hub_open (tm_hub_t *hub)
{
    memset (hub, 0, sizeof *hub);
    tm_hub_bind (hub, ts_free_port ());
}

void
tm_hub_close (tm_hub_t *hub)
{
    zframe_destroy (&hub->peer);
    zsock_destroy (&hub->router);
}

fg_env_t *
tm_hub_recv (tm_hub_t *hub, int timeout_ms)
{
    zmq_pollitem_t item = { zsock_resolve (hub->router), 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&item, 1, timeout_ms) <= 0)
        return NULL;
    zframe_t *peer = NULL;
    fg_error_t error;
    fg_env_t *env = fg_msg_recv (hub->router, &peer, &error, NULL);
    if (peer) {
        zframe_destroy (&hub->peer);
        hub->peer = peer;
    }
    return env;
}

fg_env_t *
tm_hub_expect (tm_hub_t *hub, Fogrid__Envelope__BodyCase wanted, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        fg_env_t *env = tm_hub_recv (hub, (int) (deadline - zclock_mono ()));
        if (env && env->body_case == wanted)
            return env;
        fg_msg_free (&env);
    }
    return NULL;
}

void
tm_hub_send (tm_hub_t *hub, fg_env_t *env)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL (hub->peer);
    CU_ASSERT_EQUAL (fg_msg_send (hub->router, hub->peer, env), 0);
}

void
tm_hub_welcome (tm_hub_t *hub, uint64_t seq, uint32_t heartbeat_ms)
{
    Fogrid__MinerWelcome welcome = FOGRID__MINER_WELCOME__INIT;
    welcome.heartbeat_ms = heartbeat_ms;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_MINER_WELCOME;
    env.miner_welcome = &welcome;
    tm_hub_send (hub, &env);
}
