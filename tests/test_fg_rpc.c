/*  test_fg_rpc - the request/reply channel against a scripted server:
    seq matching, late replies dropped, Error replies, timeouts, and a
    server that is not there */
#include "test_support.h"

//  A server actor that answers by script: for a request with seq N it
//  first sends a stale reply (seq N - 1), then, depending on N % 4:
//  0 an Ok, 1 an Error NOT_FOUND, 2 nothing (the client times out),
//  3 an Ok and two more pages (for fg_rpc_next).
static void
s_server (zsock_t *pipe, void *args)
{
    (void) args;
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    int port = zsock_bind (router, "tcp://127.0.0.1:*");
    zsock_signal (pipe, 0);
    zsock_send (pipe, "i", port);
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which != router)
            break;
        zframe_t *peer = NULL;
        fg_error_t error;
        fg_env_t *request = fg_msg_recv (router, &peer, &error, NULL);
        if (!request) {
            zframe_destroy (&peer);
            continue;
        }
        uint64_t seq = request->seq;
        fg_msg_send_ok (router, peer, seq - 1, "stale");
        switch (seq % 4) {
            case 0:
                fg_msg_send_ok (router, peer, seq, "fine");
                break;
            case 1:
                fg_msg_send_error (router, peer, seq, FG_E_NOT_FOUND, "no such %s", "thing");
                break;
            case 2:
                break;
            case 3:
                fg_msg_send_ok (router, peer, seq, "page 1");
                fg_msg_send_ok (router, peer, seq, "page 2");
                fg_msg_send_ok (router, peer, seq, "page 3");
                break;
        }
        fg_msg_free (&request);
        zframe_destroy (&peer);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&router);
}

static fg_env_t *
s_call (fg_rpc_t *rpc, int timeout_ms)
{
    Fogrid__HealthRequest health = FOGRID__HEALTH_REQUEST__INIT;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_HEALTH;
    env.health = &health;
    return fg_rpc_call (rpc, &env, timeout_ms);
}

static void
test_matching_and_errors (void)
{
    zactor_t *server = zactor_new (s_server, NULL);
    int port = 0;
    zsock_recv (server, "i", &port);
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    fg_rpc_t *rpc = fg_rpc_new (endpoint);
    CU_ASSERT_PTR_NOT_NULL_FATAL (rpc);
    CU_ASSERT_STRING_EQUAL (fg_rpc_endpoint (rpc), endpoint);

    //  Calls go out with seq 1, 2, 3, ...: walk the script from there
    bool seen [4] = { false, false, false, false };
    for (int call = 0; call < 8; call++) {
        fg_env_t *reply = s_call (rpc, 500);
        //  The seq of this call is the one the server answered to
        if (reply) {
            uint64_t kind = reply->seq % 4;
            CU_ASSERT (kind == 0 || kind == 3);
            CU_ASSERT_EQUAL (reply->body_case, FOGRID__ENVELOPE__BODY_OK);
            //  Never the stale one
            CU_ASSERT_STRING_NOT_EQUAL (reply->ok->text, "stale");
            if (kind == 3) {
                fg_env_t *page = fg_rpc_next (rpc, 500);
                CU_ASSERT (page && streq (page->ok->text, "page 2"));
                fg_msg_free (&page);
                page = fg_rpc_next (rpc, 500);
                CU_ASSERT (page && streq (page->ok->text, "page 3"));
                fg_msg_free (&page);
                page = fg_rpc_next (rpc, 100);
                CU_ASSERT_PTR_NULL (page);
                CU_ASSERT_EQUAL (fg_rpc_error (rpc), FG_E_TIMEOUT);
            }
            seen [kind] = true;
            fg_msg_free (&reply);
        }
        else
        if (fg_rpc_error (rpc) == FG_E_NOT_FOUND) {
            CU_ASSERT_PTR_NOT_NULL (strstr (fg_rpc_error_text (rpc), "no such thing"));
            seen [1] = true;
        }
        else {
            CU_ASSERT_EQUAL (fg_rpc_error (rpc), FG_E_TIMEOUT);
            seen [2] = true;
        }
    }
    CU_ASSERT (seen [0] && seen [1] && seen [2] && seen [3]);
    fg_rpc_destroy (&rpc);
    zactor_destroy (&server);
}

static void
test_nobody_there (void)
{
    //  Not an endpoint at all
    CU_ASSERT_PTR_NULL (fg_rpc_new ("nowhere"));
    //  A port nobody listens on: unreachable or timeout, quickly, never a hang
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", ts_free_port ());
    fg_rpc_t *rpc = fg_rpc_new (endpoint);
    CU_ASSERT_PTR_NOT_NULL_FATAL (rpc);
    int64_t start = zclock_mono ();
    fg_env_t *reply = s_call (rpc, 300);
    CU_ASSERT_PTR_NULL (reply);
    CU_ASSERT (fg_rpc_error (rpc) == FG_E_UNREACHABLE || fg_rpc_error (rpc) == FG_E_TIMEOUT);
    CU_ASSERT (zclock_mono () - start < 2000);
    CU_ASSERT (*fg_rpc_error_text (rpc));
    fg_rpc_destroy (&rpc);
}

//  A server whose every reply is one the client must refuse: by turns an
//  Ok over the client's limit (FG_MSG_MAX_DEFAULT), then an envelope
//  without a version, then a good Ok.
static void
s_odd_server (zsock_t *pipe, void *args)
{
    (void) args;
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    int port = zsock_bind (router, "tcp://127.0.0.1:*");
    zsock_signal (pipe, 0);
    zsock_send (pipe, "i", port);
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    int turn = 0;
    while (zpoller_wait (poller, -1) == router) {
        zframe_t *peer = NULL;
        fg_error_t error;
        fg_env_t *request = fg_msg_recv (router, &peer, &error, NULL);
        if (request && turn % 3 == 0) {
            char *huge = (char *) malloc (FG_MSG_MAX_DEFAULT + 1);
            memset (huge, 'a', FG_MSG_MAX_DEFAULT);
            huge [FG_MSG_MAX_DEFAULT] = 0;
            fg_msg_send_ok (router, peer, request->seq, huge);
            free (huge);
        }
        else
        if (request && turn % 3 == 1) {
            Fogrid__Ok ok = FOGRID__OK__INIT;
            fg_env_t env = FOGRID__ENVELOPE__INIT;
            env.seq = request->seq;
            env.body_case = FOGRID__ENVELOPE__BODY_OK;
            env.ok = &ok;
            byte buffer [64];
            size_t size = fogrid__envelope__pack (&env, buffer);   //  version 0: absent
            zframe_send (&(zframe_t *) { zframe_dup (peer) }, router, ZFRAME_MORE);
            zframe_send (&(zframe_t *) { zframe_new (buffer, size) }, router, 0);
        }
        else
        if (request)
            fg_msg_send_ok (router, peer, request->seq, "fine");
        turn++;
        fg_msg_free (&request);
        zframe_destroy (&peer);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&router);
}

//  A client refuses replies as a server refuses requests: one over its
//  limit is TOO_BIG (not a timeout), one without a version is VERSION,
//  and the channel still works after both
static void
test_refused_replies (void)
{
    zactor_t *server = zactor_new (s_odd_server, NULL);
    int port = 0;
    zsock_recv (server, "i", &port);
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    fg_rpc_t *rpc = fg_rpc_new (endpoint);
    CU_ASSERT_PTR_NOT_NULL_FATAL (rpc);
    uint64_t too_big = fg_msg_refused (FG_E_TOO_BIG);
    CU_ASSERT_PTR_NULL (s_call (rpc, 3000));
    CU_ASSERT_EQUAL (fg_rpc_error (rpc), FG_E_TOO_BIG);
    CU_ASSERT_EQUAL (fg_msg_refused (FG_E_TOO_BIG), too_big + 1);
    CU_ASSERT_PTR_NULL (s_call (rpc, 3000));
    CU_ASSERT_EQUAL (fg_rpc_error (rpc), FG_E_VERSION);
    fg_env_t *reply = s_call (rpc, 3000);
    CU_ASSERT (reply && streq (reply->ok->text, "fine"));
    fg_msg_free (&reply);
    fg_rpc_destroy (&rpc);
    zactor_destroy (&server);
}

void
test_fg_rpc_add (void)
{
    ts_add_suite ("fg_rpc",
        "replies matched by seq, errors, pages", test_matching_and_errors,
        "a reply over the limit or without a version is refused", test_refused_replies,
        "a server that is not there", test_nobody_there,
        NULL);
}
