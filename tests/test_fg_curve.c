/*  test_fg_curve - key pairs, and a server that admits keys by role */
#include "test_support.h"
#include <sys/stat.h>

static void
test_keys (void)
{
    char *dir = ts_tmpdir_new ("keys");
    char path [600], err [256];
    snprintf (path, sizeof path, "%s/sub/hub.key", dir);
    CU_ASSERT_PTR_NULL (fg_curve_keys (path, false, err, sizeof err));
    CU_ASSERT_PTR_NOT_NULL (strstr (err, "fogrid keygen"));
    zcert_t *made = fg_curve_keys (path, true, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (made);
    struct stat st;
    char secret [700];
    snprintf (secret, sizeof secret, "%s_secret", path);
    CU_ASSERT_EQUAL (stat (secret, &st), 0);
    CU_ASSERT_EQUAL (st.st_mode & 0777, 0600);
    //  The same pair comes back on the next start
    zcert_t *again = fg_curve_keys (path, true, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (again);
    CU_ASSERT_STRING_EQUAL (zcert_public_txt (made), zcert_public_txt (again));
    CU_ASSERT_STRING_EQUAL (zcert_secret_txt (made), zcert_secret_txt (again));
    CU_ASSERT_TRUE (fg_curve_key_valid (zcert_public_txt (made)));
    CU_ASSERT_FALSE (fg_curve_key_valid ("short"));
    CU_ASSERT_FALSE (fg_curve_key_valid (NULL));
    zcert_destroy (&made);
    zcert_destroy (&again);
    ts_tmpdir_remove (&dir);
}

//  Sends "hello" through a client with cert (or plain if NULL: the NULL
//  mechanism, or PLAIN when plain is set) and returns the key the server
//  saw, or NULL if nothing arrived.
static char *
s_try_as (zsock_t *server, int port, zcert_t *client_cert, const char *server_key, bool plain)
{
    zsock_t *client = zsock_new (ZMQ_DEALER);
    if (client_cert)
        fg_curve_client (client, client_cert, server_key);
    else
    if (plain) {
        zsock_set_plain_username (client, "admin");
        zsock_set_plain_password (client, "secret");
    }
    zsock_connect (client, "tcp://127.0.0.1:%d", port);
    Fogrid__Ok ok = FOGRID__OK__INIT;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_OK;
    env.ok = &ok;
    zsock_set_sndtimeo (client, 500);
    fg_msg_send (client, NULL, &env);
    zsock_set_rcvtimeo (server, 700);
    char key [41];
    zframe_t *peer = NULL;
    fg_error_t error;
    fg_env_t *got = fg_msg_recv_from (server, &peer, key, &error, NULL);
    zframe_destroy (&peer);
    zsock_destroy (&client);
    if (!got)
        return NULL;
    fg_msg_free (&got);
    return strdup (key);
}

static char *
s_try (zsock_t *server, int port, zcert_t *client_cert, const char *server_key)
{
    return s_try_as (server, port, client_cert, server_key, false);
}

//  Refusals for reasons (a mask of 1 << reason) once their count has
//  stopped moving (the monitor reports a client's last tries a moment
//  after it is gone).
static uint64_t
s_refused (fg_zap_t *zap, unsigned reasons)
{
    uint64_t count = 0;
    for (int reason = 0; reason < FG_REFUSED_REASONS; reason++)
        if (reasons & (1u << reason))
            count += fg_zap_refused_for (zap, "miners", (fg_refused_t) reason);
    return count;
}

static uint64_t
s_refused_settled (fg_zap_t *zap, unsigned reasons)
{
    uint64_t count = s_refused (zap, reasons);
    for (int tries = 0; tries < 20; tries++) {
        zclock_sleep (200);
        uint64_t again = s_refused (zap, reasons);
        if (again == count)
            break;
        count = again;
    }
    return count;
}

//  Waits up to 3 s for those refusals to reach at_least.
static bool
s_refused_reach (fg_zap_t *zap, unsigned reasons, uint64_t at_least)
{
    for (int tries = 0; tries < 60; tries++) {
        if (s_refused (zap, reasons) >= at_least)
            return true;
        zclock_sleep (50);
    }
    return false;
}

#define S_KEY       (1u << FG_REFUSED_KEY)
#define S_PLAIN     (1u << FG_REFUSED_PLAINTEXT)
#define S_BROKEN    (1u << FG_REFUSED_HANDSHAKE)

static void
test_roles (void)
{
    char *dir = ts_tmpdir_new ("zap");
    char miners_dir [600], err [256];
    snprintf (miners_dir, sizeof miners_dir, "%s/miners", dir);
    zsys_dir_create ("%s", miners_dir);
    zcert_t *server_cert = zcert_new ();
    zcert_t *miner = zcert_new ();
    zcert_t *stranger = zcert_new ();
    char path [700];
    snprintf (path, sizeof path, "%s/miner1.key", miners_dir);
    zcert_save_public (miner, path);
    (void) err;

    fg_zap_t *zap = fg_zap_new ();
    fg_zap_allow (zap, "miners", miners_dir);
    zsock_t *server = zsock_new (ZMQ_ROUTER);
    fg_curve_server (server, server_cert, "miners");
    fg_zap_watch (zap, server, "miners");
    int port = zsock_bind (server, "tcp://127.0.0.1:*");
    CU_ASSERT_FATAL (port > 0);

    char *seen = s_try (server, port, miner, zcert_public_txt (server_cert));
    CU_ASSERT_PTR_NOT_NULL (seen);
    if (seen)
        CU_ASSERT_STRING_EQUAL (seen, zcert_public_txt (miner));
    free (seen);
    CU_ASSERT_EQUAL (fg_zap_refused (zap, "miners"), 0);
    //  A key not admitted: the ZAP handler's refusal
    CU_ASSERT_PTR_NULL (s_try (server, port, stranger, zcert_public_txt (server_cert)));
    CU_ASSERT (fg_zap_refused_for (zap, "miners", FG_REFUSED_KEY) >= 1);
    CU_ASSERT_EQUAL (fg_zap_refused_for (zap, "miners", FG_REFUSED_PLAINTEXT), 0);
    //  No key at all, then the PLAIN mechanism: neither reaches ZAP. The
    //  monitor sees a plain-text client's mechanism when it reads it first:
    //  a bare greeting that waits for the server's answer always is
    uint64_t keys = s_refused (zap, S_KEY);
    uint64_t plain = s_refused_settled (zap, S_PLAIN);
    CU_ASSERT (ts_zmtp_greet (port, "NULL"));
    CU_ASSERT (s_refused_reach (zap, S_PLAIN, plain + 1));
    CU_ASSERT (ts_zmtp_greet (port, "PLAIN"));
    CU_ASSERT (s_refused_reach (zap, S_PLAIN, plain + 2));
    //  ZeroMQ clients read the server's mechanism too, and one that does
    //  first hangs up: then the server counts a broken handshake
    uint64_t refused = s_refused_settled (zap, S_PLAIN | S_BROKEN);
    CU_ASSERT_PTR_NULL (s_try (server, port, NULL, NULL));
    CU_ASSERT (s_refused_reach (zap, S_PLAIN | S_BROKEN, refused + 1));
    refused = s_refused_settled (zap, S_PLAIN | S_BROKEN);
    CU_ASSERT_PTR_NULL (s_try_as (server, port, NULL, NULL, true));
    CU_ASSERT (s_refused_reach (zap, S_PLAIN | S_BROKEN, refused + 1));
    CU_ASSERT_EQUAL (s_refused (zap, S_KEY), keys);
    //  CurveZMQ with another server's key: the handshake cannot succeed,
    //  and no plain text is seen
    plain = s_refused_settled (zap, S_PLAIN);
    uint64_t broken = s_refused_settled (zap, S_BROKEN);
    CU_ASSERT_PTR_NULL (s_try (server, port, miner, zcert_public_txt (stranger)));
    CU_ASSERT (s_refused_reach (zap, S_BROKEN, broken + 1));
    CU_ASSERT_EQUAL (s_refused (zap, S_PLAIN), plain);
    CU_ASSERT_EQUAL (s_refused (zap, S_KEY), keys);
    CU_ASSERT_EQUAL (fg_zap_refused (zap, "miners"), s_refused (zap, S_KEY | S_PLAIN | S_BROKEN));
    CU_ASSERT_EQUAL (fg_zap_admitted (zap, "miners"), 1);
    CU_ASSERT_STRING_EQUAL (fg_refused_name (FG_REFUSED_PLAINTEXT), "plaintext");

    //  A watched socket of a role never allowed admits no one: counting
    //  its refusals does not open it
    zsock_t *closed = zsock_new (ZMQ_ROUTER);
    fg_curve_server (closed, server_cert, "nobody");
    fg_zap_watch (zap, closed, "nobody");
    int closed_port = zsock_bind (closed, "tcp://127.0.0.1:*");
    CU_ASSERT_FATAL (closed_port > 0);
    CU_ASSERT_PTR_NULL (s_try (closed, closed_port, miner, zcert_public_txt (server_cert)));
    CU_ASSERT_EQUAL (fg_zap_refused_for (zap, "nobody", FG_REFUSED_KEY), 1);
    CU_ASSERT_EQUAL (fg_zap_admitted (zap, "nobody"), 0);
    zsock_destroy (&closed);

    //  A key added to the directory is admitted without a restart
    snprintf (path, sizeof path, "%s/stranger.key", miners_dir);
    zclock_sleep (1100);        //  directory mtime has one-second resolution
    zcert_save_public (stranger, path);
    seen = s_try (server, port, stranger, zcert_public_txt (server_cert));
    CU_ASSERT_PTR_NOT_NULL (seen);
    free (seen);

    zsock_destroy (&server);
    fg_zap_destroy (&zap);
    zcert_destroy (&server_cert);
    zcert_destroy (&miner);
    zcert_destroy (&stranger);
    ts_tmpdir_remove (&dir);
}

void
test_fg_curve_add (void)
{
    ts_add_suite ("fg_curve",
        "key pairs are created once, private", test_keys,
        "a server admits only its role's keys, counts what it refuses by reason", test_roles,
        NULL);
}
