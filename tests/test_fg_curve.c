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

//  Sends "hello" through a client with cert (or plain if NULL) and returns
//  the key the server saw, or NULL if nothing arrived.
static char *
s_try (zsock_t *server, int port, zcert_t *client_cert, const char *server_key)
{
    zsock_t *client = zsock_new (ZMQ_DEALER);
    if (client_cert)
        fg_curve_client (client, client_cert, server_key);
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
    int port = zsock_bind (server, "tcp://127.0.0.1:*");
    CU_ASSERT_FATAL (port > 0);

    char *seen = s_try (server, port, miner, zcert_public_txt (server_cert));
    CU_ASSERT_PTR_NOT_NULL (seen);
    if (seen)
        CU_ASSERT_STRING_EQUAL (seen, zcert_public_txt (miner));
    free (seen);
    CU_ASSERT_PTR_NULL (s_try (server, port, stranger, zcert_public_txt (server_cert)));
    CU_ASSERT_PTR_NULL (s_try (server, port, NULL, NULL));
    CU_ASSERT_EQUAL (fg_zap_admitted (zap, "miners"), 1);
    CU_ASSERT (fg_zap_refused (zap, "miners") >= 1);

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
        "a server admits only its role's keys", test_roles,
        NULL);
}
