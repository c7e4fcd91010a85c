/*  test_fg_curve - key pairs, and a server that admits keys by role */
#include "test_support.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <errno.h>
#include <unistd.h>
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

//  Where the server under test listens: test_reasons_repeat moves it off
//  127.0.0.1, where clients of other processes' tests knock on ports
//  that were their servers'
static const char *s_host = "127.0.0.1";

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
    //  One connection per try: a refused client that reconnects may still
    //  be knocking after it is closed (libzmq 4.3.4 has kept such a
    //  socket, and its process, alive at exit)
    zsock_set_reconnect_ivl (client, -1);
    zsock_connect (client, "tcp://%s:%d", s_host, port);
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
    for (int tries = 0; tries < 60 && !fg_zap_refused_for (zap, "nobody", FG_REFUSED_KEY); tries++)
        zclock_sleep (50);
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

//  ts_zmtp_greet's bare NULL greeting, to s_host: true when the server
//  hung up after reading it
static bool
s_greet (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    inet_pton (AF_INET, s_host, &addr.sin_addr);
    bool closed = false;
    if (fd >= 0 && connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0) {
        byte greeting [64] = { 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0, 'N', 'U', 'L', 'L' };
        if (write (fd, greeting, sizeof greeting) == (ssize_t) sizeof greeting) {
            struct timeval timeout = { .tv_sec = 2 };
            setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
            byte buffer [256];
            ssize_t got;
            while ((got = read (fd, buffer, sizeof buffer)) > 0)
                ;
            closed = got == 0 || (got < 0 && errno == ECONNRESET);
        }
    }
    if (fd >= 0)
        close (fd);
    return closed;
}

//  One round of test_reasons_repeat: a client of kind (0 a plain-text
//  greeting, 1 another server's key, 2 a key not admitted, 3 an admitted
//  key) is counted under its reason, and under no other
static void
s_round (fg_zap_t *zap, zsock_t *server, int port, zcert_t *server_cert, zcert_t *miner,
         zcert_t *stranger, int kind, int round)
{
    const char *cases [] = { "a plain-text greeting", "another server's key", "a key not admitted",
                             "an admitted key" };
    const unsigned wanted [] = { S_PLAIN, S_BROKEN, S_KEY, 0 };
    uint64_t before [FG_REFUSED_REASONS], admitted = fg_zap_admitted (zap, "miners");
    for (int reason = 0; reason < FG_REFUSED_REASONS; reason++)
        before [reason] = s_refused (zap, 1u << reason);
    char *seen = NULL;
    if (kind == 0) {
        CU_ASSERT (s_greet (port));
    }
    else
    if (kind == 1)
        seen = s_try (server, port, miner, zcert_public_txt (stranger));
    else
        seen = s_try (server, port, kind == 2? stranger: miner,
                      zcert_public_txt (server_cert));
    CU_ASSERT ((seen != NULL) == (kind == 3));
    free (seen);
    //  Wait for what this kind counts, then for any stragglers
    for (int tries = 0; tries < 60; tries++) {
        bool moved = kind == 3? fg_zap_admitted (zap, "miners") > admitted
                              : s_refused (zap, wanted [kind]) > before [kind == 0? FG_REFUSED_PLAINTEXT: kind == 1? FG_REFUSED_HANDSHAKE: FG_REFUSED_KEY];
        if (moved)
            break;
        zclock_sleep (50);
    }
    zclock_sleep (200);
    for (int reason = 0; reason < FG_REFUSED_REASONS; reason++) {
        uint64_t now = s_refused (zap, 1u << reason);
        bool ours = (wanted [kind] & (1u << reason)) != 0;
        if (ours? now == before [reason]: now != before [reason])
            fprintf (stderr, "%s, round %d: %s went %" PRIu64 " -> %" PRIu64 "\n",
                     cases [kind], round, fg_refused_name ((fg_refused_t) reason),
                     before [reason], now);
        if (ours) {
            CU_ASSERT (now > before [reason]);
        }
        else {
            CU_ASSERT_EQUAL (now, before [reason]);
        }
    }
    //  One connection (the clients do not reconnect), one count
    if (kind == 0)
        CU_ASSERT_EQUAL (s_refused (zap, S_PLAIN), before [FG_REFUSED_PLAINTEXT] + 1);
    if (kind == 1)
        CU_ASSERT_EQUAL (s_refused (zap, S_BROKEN), before [FG_REFUSED_HANDSHAKE] + 1);
    if (kind == 2)
        CU_ASSERT_EQUAL (s_refused (zap, S_KEY), before [FG_REFUSED_KEY] + 1);
    if (kind == 3)
        CU_ASSERT_EQUAL (fg_zap_admitted (zap, "miners"), admitted + 1);
}

//  Each kind of refusal, ten times in a row, is counted under its own
//  reason every time and under no other: the reason comes from the
//  monitor event's kind and value, one event per connection, not from
//  which of two counters heard of it first
static void
test_reasons_repeat (void)
{
    char *dir = ts_tmpdir_new ("zap");
    char miners_dir [600], path [700];
    snprintf (miners_dir, sizeof miners_dir, "%s/miners", dir);
    zsys_dir_create ("%s", miners_dir);
    zcert_t *server_cert = zcert_new (), *miner = zcert_new (), *stranger = zcert_new ();
    snprintf (path, sizeof path, "%s/miner1.key", miners_dir);
    zcert_save_public (miner, path);
    fg_zap_t *zap = fg_zap_new ();
    fg_zap_allow (zap, "miners", miners_dir);
    zsock_t *server = zsock_new (ZMQ_ROUTER);
    fg_curve_server (server, server_cert, "miners");
    fg_zap_watch (zap, server, "miners");
    //  An address of its own (all of 127/8 is loopback): counts here must
    //  be of this test's clients only, and other processes' clients keep
    //  knocking at 127.0.0.1 ports their servers had
    s_host = "127.0.0.2";
    int port = ts_free_port ();
    CU_ASSERT_FATAL (zsock_bind (server, "tcp://%s:%d", s_host, port) == port);

    //  Another server's key last: should such a client go on knocking
    //  after it is closed, it adds handshakes, and only handshakes
    const int order [] = { 0, 2, 3 };
    for (int step = 0; step < 3; step++)
        for (int round = 0; round < 10; round++)
            s_round (zap, server, port, server_cert, miner, stranger, order [step], round);
    //  A client with a key not admitted that hangs up at once: under one
    //  reason or another (key if its refusal was read, handshake if it
    //  was gone first), but once, never under both
    for (int round = 0; round < 10; round++) {
        uint64_t before = s_refused (zap, S_KEY | S_PLAIN | S_BROKEN);
        zsock_t *client = zsock_new (ZMQ_DEALER);
        fg_curve_client (client, stranger, zcert_public_txt (server_cert));
        zsock_set_reconnect_ivl (client, -1);
        zsock_connect (client, "tcp://%s:%d", s_host, port);
        zclock_sleep (round % 3);
        zsock_destroy (&client);
        uint64_t after = s_refused_settled (zap, S_KEY | S_PLAIN | S_BROKEN);
        if (after > before + 1)
            fprintf (stderr, "round %d: one connection counted %" PRIu64 " times\n", round,
                     after - before);
        CU_ASSERT (after <= before + 1);
    }
    for (int round = 0; round < 10; round++)
        s_round (zap, server, port, server_cert, miner, stranger, 1, round);
    s_host = "127.0.0.1";
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
        "each refusal, ten times over, is counted under its own reason", test_reasons_repeat,
        NULL);
}
