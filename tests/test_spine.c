/*  =========================================================================
    test_spine - the whole path with real processes on loopback

    A locator, a hub that registers in it, two miners that find the hub
    through it, and the `fogrid` command line as a buyer: submit, wait,
    result, miners; a miner killed while it runs a task (the task finishes
    on the other one); malformed messages to each daemon. Security is on,
    as in production: the locator's key pair is made beforehand with
    `fogrid keygen` and every other party is given its public key.
    =========================================================================  */
#include "test_support.h"
#include <signal.h>

typedef struct {
    char *dir;                  //  temp dir: logs, data
    int locator_port;
    int buyer_port;
    int miner_port;
    char locator [64];          //  "tcp://127.0.0.1:N"
    char locator_keys [600];    //  the locator's key pair (public part)
    char buyer_keys [600];      //  the CLI's
    char locator_key_opt [700]; //  "security/locator_key=..."
    ts_proc_t *locator_proc;
    ts_proc_t *hub;
    ts_proc_t *miners [2];
} s_grid_t;

static s_grid_t grid;

static ts_proc_t *
s_start_miner (int index)
{
    char name [32], id [32], data [600];
    snprintf (name, sizeof name, "miner%d", index + 1);
    snprintf (id, sizeof id, "miner/id=m-spine%d", index + 1);
    snprintf (data, sizeof data, "%s/%s", grid.dir, name);
    return ts_proc_start (grid.dir, name, "fogrid-miner", "--locator", grid.locator,
                          "--name", name, "--data", data, "--cores", "2",
                          "-o", id, "-o", grid.locator_key_opt, NULL);
}

//  The fogrid CLI against this grid; returns its exit status.
static int
s_fogrid (char **output, const char *args)
{
    return ts_run (output, "%s -l %s -K %s -k %s %s", ts_bin ("fogrid"), grid.locator,
                   grid.locator_keys, grid.buyer_keys, args);
}

static bool
s_two_miners_connected (void *arg)
{
    (void) arg;
    char *output = NULL;
    int rc = s_fogrid (&output, "miners");
    bool ok = rc == 0 && strstr (output, "m-spine1") && strstr (output, "m-spine2");
    if (ok) {
        //  both connected, not merely known
        char *first = strstr (output, "connected");
        ok = first && strstr (first + 1, "connected");
    }
    free (output);
    return ok;
}

static int
s_grid_up (void)
{
    grid.dir = ts_tmpdir_new ("spine");
    grid.locator_port = ts_free_port ();
    grid.buyer_port = ts_free_port ();
    grid.miner_port = ts_free_port ();
    snprintf (grid.locator, sizeof grid.locator, "tcp://127.0.0.1:%d", grid.locator_port);
    char bind [64], buyers [64], miners [64], data [600];
    snprintf (bind, sizeof bind, "tcp://127.0.0.1:%d", grid.locator_port);
    snprintf (buyers, sizeof buyers, "tcp://127.0.0.1:%d", grid.buyer_port);
    snprintf (miners, sizeof miners, "tcp://127.0.0.1:%d", grid.miner_port);
    snprintf (data, sizeof data, "%s/hub", grid.dir);
    snprintf (grid.locator_keys, sizeof grid.locator_keys, "%s/locator.key", grid.dir);
    snprintf (grid.buyer_keys, sizeof grid.buyer_keys, "%s/buyer.key", grid.dir);
    snprintf (grid.locator_key_opt, sizeof grid.locator_key_opt, "security/locator_key=%s",
              grid.locator_keys);
    char locator_keys_opt [700];
    snprintf (locator_keys_opt, sizeof locator_keys_opt, "security/keys=%s", grid.locator_keys);
    if (ts_run (NULL, "%s keygen %s", ts_bin ("fogrid"), grid.locator_keys) != 0)
        return -1;
    grid.locator_proc = ts_proc_start (grid.dir, "locator", "fogrid-locator", "--bind", bind,
                                       "--dns", "", "--http", "",
                                       "-o", "locator/ttl_ms=2000", "-o", locator_keys_opt, NULL);
    grid.hub = ts_proc_start (grid.dir, "hub", "fogrid-hub", "--buyers", buyers,
                              "--miners", miners, "--locator", grid.locator, "--data", data,
                              "-o", "hub/heartbeat_ms=200", "-o", "hub/disconnect_ms=600",
                              "-o", "hub/dead_ms=1200", "-o", "locator/ttl_ms=2000",
                              "-o", grid.locator_key_opt, NULL);
    grid.miners [0] = s_start_miner (0);
    grid.miners [1] = s_start_miner (1);
    return 0;
}

static int
s_grid_down (void)
{
    //  Every daemon must stop on SIGTERM by itself, with status 0
    int rc = 0;
    for (int i = 0; i < 2; i++)
        if (grid.miners [i] && ts_proc_stop (&grid.miners [i], 3000) != 0)
            rc = -1;
    if (ts_proc_stop (&grid.hub, 3000) != 0)
        rc = -1;
    if (ts_proc_stop (&grid.locator_proc, 3000) != 0)
        rc = -1;
    ts_tmpdir_remove (&grid.dir);
    return rc;
}

static void
test_miners_register (void)
{
    bool up = ts_wait_for (s_two_miners_connected, NULL, 10000);
    if (!up) {
        ts_proc_dump_log (grid.locator_proc);
        ts_proc_dump_log (grid.hub);
        ts_proc_dump_log (grid.miners [0]);
        ts_proc_dump_log (grid.miners [1]);
    }
    CU_ASSERT_FATAL (up);
    char *output = NULL;
    CU_ASSERT_EQUAL (s_fogrid (&output, "resolve hub"), 0);
    char expected [64];
    snprintf (expected, sizeof expected, "tcp://127.0.0.1:%d", grid.buyer_port);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, expected));
    free (output);
}

//  Submits a command line; returns the task id (caller frees) or NULL.
static char *
s_submit (const char *args)
{
    char *output = NULL;
    int rc = s_fogrid (&output, args);
    CU_ASSERT_EQUAL (rc, 0);
    return ts_task_id (rc, output, args);
}

static void
test_task_end_to_end (void)
{
    char *task = s_submit ("submit -- sh -c 'echo hello; echo oops >&2; exit 3'");
    CU_ASSERT_PTR_NOT_NULL_FATAL (task);
    char *output = NULL;
    char args [128];
    snprintf (args, sizeof args, "wait %s", task);
    int rc = s_fogrid (&output, args);
    CU_ASSERT_EQUAL (rc, 3);                    //  wait exits with the task's code
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "pending"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "assigned"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "failed, exit code 3"));
    free (output);

    snprintf (args, sizeof args, "result %s", task);
    CU_ASSERT_EQUAL (s_fogrid (&output, args), 0);
    //  With the SHA-256 of all of stdout the miner computed and the hub keeps
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "--- stdout, sha256 "
        "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\nhello\n"
        "--- stderr\noops\n"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "exit code 3"));
    free (output);

    snprintf (args, sizeof args, "result --stdout %s", task);
    CU_ASSERT_EQUAL (s_fogrid (&output, args), 0);
    CU_ASSERT_STRING_EQUAL (output, "hello\n");
    free (output);
    free (task);

    //  A task that succeeds, and one whose program does not exist
    task = s_submit ("submit --wait -- echo fine");
    free (task);
    CU_ASSERT_EQUAL (s_fogrid (&output, "submit -- /no/such/program"), 0);
    output [strcspn (output, "\n")] = 0;
    snprintf (args, sizeof args, "wait %s", output);
    free (output);
    CU_ASSERT_NOT_EQUAL (s_fogrid (&output, args), 0);
    free (output);

    //  Unknown task, bad usage
    CU_ASSERT_EQUAL (s_fogrid (&output, "status t-000000000000"), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "not found"));
    if (!strstr (output, "not found"))
        fprintf (stderr, "status of an unknown task said: %s\n", output);
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "submit"), 2);
    free (output);
}

static void
test_fewer_loaded_miner_is_chosen (void)
{
    //  A long task occupies one miner; the next task goes to the other one
    char *long_task = s_submit ("submit -- sleep 2");
    CU_ASSERT_PTR_NOT_NULL_FATAL (long_task);
    zclock_sleep (500);
    char *short_task = s_submit ("submit -- true");
    CU_ASSERT_PTR_NOT_NULL_FATAL (short_task);
    char args [128], *first = NULL, *second = NULL;
    snprintf (args, sizeof args, "wait %s", short_task);
    CU_ASSERT_EQUAL (s_fogrid (&second, args), 0);
    snprintf (args, sizeof args, "wait %s", long_task);
    CU_ASSERT_EQUAL (s_fogrid (&first, args), 0);
    bool first_on_1 = strstr (first, "m-spine1") != NULL;
    bool second_on_1 = strstr (second, "m-spine1") != NULL;
    CU_ASSERT (first_on_1 != second_on_1);
    free (first);
    free (second);
    free (long_task);
    free (short_task);
}

static void
test_killed_miner (void)
{
    char *task = s_submit ("submit --retries 2 -- sh -c 'sleep 2; echo survived'");
    CU_ASSERT_PTR_NOT_NULL_FATAL (task);
    //  Find which miner runs it, then kill that miner outright
    char args [128], *output = NULL;
    snprintf (args, sizeof args, "status %s", task);
    int victim = -1;
    for (int tries = 0; tries < 50 && victim < 0; tries++) {
        CU_ASSERT_EQUAL (s_fogrid (&output, args), 0);
        if (strstr (output, "state     running") || strstr (output, "state     assigned"))
            victim = strstr (output, "miner     m-spine1")? 0: 1;
        free (output);
        if (victim < 0)
            zclock_sleep (100);
    }
    CU_ASSERT_FATAL (victim >= 0);
    ts_proc_kill (&grid.miners [victim]);

    snprintf (args, sizeof args, "wait %s", task);
    CU_ASSERT_EQUAL (s_fogrid (&output, args), 0);
    char other [32];
    snprintf (other, sizeof other, "m-spine%d (attempt 2)", 2 - victim);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, other));
    if (!strstr (output, other))
        fprintf (stderr, "%s", output);
    free (output);
    snprintf (args, sizeof args, "result --stdout %s", task);
    CU_ASSERT_EQUAL (s_fogrid (&output, args), 0);
    CU_ASSERT_STRING_EQUAL (output, "survived\n");
    free (output);

    //  The hub lists the killed miner as dead
    CU_ASSERT_EQUAL (s_fogrid (&output, "miners"), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "dead"));
    free (output);
    free (task);

    //  No process of the killed miner's task is left behind
    bool gone = false;
    for (int tries = 0; tries < 20 && !gone; tries++) {
        zclock_sleep (100);
        gone = ts_run (NULL, "pgrep -f 'sleep 2; echo surviv[e]d' >/dev/null") != 0;
    }
    CU_ASSERT (gone);
    if (!gone)
        ts_run (NULL, "ps -eo pid,ppid,pgid,stat,etime,args | grep -v grep | grep -e 'surviv' "
                      "-e fogrid- >&2");

    //  It comes back under the same id and is connected again
    grid.miners [victim] = s_start_miner (victim);
    CU_ASSERT (ts_wait_for (s_two_miners_connected, NULL, 10000));
}

//  Sends bytes to a daemon's ROUTER (a CurveZMQ server with the public key
//  in key_file) and expects an Error reply with code.
static void
s_expect_error (int port, const char *key_file, const void *bytes, size_t size, fg_error_t code)
{
    char server_key [64];
    CU_ASSERT_EQUAL_FATAL (fg_security_read_key (key_file, server_key), 0);
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    zcert_t *cert = zcert_new ();
    zcert_apply (cert, sock);
    zcert_destroy (&cert);
    zsock_set_curve_serverkey (sock, server_key);
    zsock_set_rcvtimeo (sock, 3000);
    zsock_connect (sock, "tcp://127.0.0.1:%d", port);
    zframe_t *frame = zframe_new (bytes, size);
    zframe_send (&frame, sock, 0);
    fg_error_t error;
    fg_env_t *reply = fg_msg_recv (sock, NULL, &error, NULL);
    CU_ASSERT_PTR_NOT_NULL (reply);
    if (reply) {
        CU_ASSERT_EQUAL (reply->body_case, FOGRID__ENVELOPE__BODY_ERROR);
        if (reply->body_case == FOGRID__ENVELOPE__BODY_ERROR)
            CU_ASSERT_EQUAL (reply->error->code, code);
    }
    fg_msg_free (&reply);
    zsock_destroy (&sock);
}

static void
test_malformed_messages (void)
{
    const char garbage [] = "\x08\x01\x12\xff\xff garbage that is no envelope";
    //  Version 99 with seq 5, no body
    const byte other_version [] = { 0x08, 99, 0x10, 5 };
    int ports [] = { grid.locator_port, grid.buyer_port, grid.miner_port };
    char hub_key [700];
    snprintf (hub_key, sizeof hub_key, "%s/hub/keys/hub.key", grid.dir);
    const char *keys [] = { grid.locator_keys, hub_key, hub_key };
    for (int i = 0; i < 3; i++) {
        s_expect_error (ports [i], keys [i], garbage, sizeof garbage, FG_E_MALFORMED);
        s_expect_error (ports [i], keys [i], other_version, sizeof other_version, FG_E_VERSION);
    }
    //  ... and every daemon still serves
    char *output = NULL;
    CU_ASSERT_EQUAL (s_fogrid (&output, "health"), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "miners"));
    free (output);
    char *task = s_submit ("submit --wait -- echo still-serving");
    CU_ASSERT_PTR_NOT_NULL (task);
    free (task);
}

//  Keys decide who may do what: another buyer can neither see nor cancel
//  a task, and another machine cannot say hello under a miner's id
static void
test_authorization (void)
{
    char *task = s_submit ("submit -- sleep 1");
    CU_ASSERT_PTR_NOT_NULL_FATAL (task);
    char other [700], args [800], *output = NULL;
    snprintf (other, sizeof other, "%s/other-buyer.key", grid.dir);
    const char *verbs [] = { "status", "result", "cancel", "wait" };
    for (int index = 0; index < 4; index++) {
        snprintf (args, sizeof args, "%s -l %s -K %s -k %s %s %s", ts_bin ("fogrid"),
                  grid.locator, grid.locator_keys, other, verbs [index], task);
        CU_ASSERT_NOT_EQUAL (ts_run (&output, "%s", args), 0);
        CU_ASSERT_PTR_NOT_NULL (strstr (output, "belongs to another buyer"));
        free (output);
    }
    //  ... while its owner still can, and the task was not cancelled
    snprintf (args, sizeof args, "wait %s", task);
    CU_ASSERT_EQUAL (s_fogrid (&output, args), 0);
    free (output);
    free (task);

    //  An impostor with its own key and m-spine1's id is refused
    char data [600];
    snprintf (data, sizeof data, "%s/impostor", grid.dir);
    ts_proc_t *impostor = ts_proc_start (grid.dir, "impostor", "fogrid-miner", "--locator",
                                         grid.locator, "--data", data, "-o", "miner/id=m-spine1",
                                         "-o", grid.locator_key_opt, NULL);
    bool refused = false;
    for (int tries = 0; tries < 60 && !refused; tries++) {
        zclock_sleep (100);
        refused = ts_run (NULL, "grep -q 'm-spine1: hello refused: the id belongs to another key' "
                          "%s", grid.hub->log) == 0;
    }
    CU_ASSERT (refused);
    ts_proc_stop (&impostor, 3000);
    CU_ASSERT (ts_wait_for (s_two_miners_connected, NULL, 5000));
}

static int s_logged_http_port (ts_proc_t *proc);

//  The value of the sample named (with its labels) in /metrics at port, or
//  -1 when it is not there.
static int64_t
s_metric (int port, const char *sample)
{
    char *output = NULL;
    int64_t value = -1;
    if (ts_run (&output, "curl -sf http://127.0.0.1:%d/metrics", port) == 0) {
        char *line = strstr (output, sample);
        if (line && line [strlen (sample)] == ' ')
            value = atoll (line + strlen (sample) + 1);
    }
    free (output);
    return value;
}

//  The sample's value once it has stopped moving (the monitors report a
//  client's last tries a moment after it is gone).
static int64_t
s_metric_settled (int port, const char *sample)
{
    int64_t value = s_metric (port, sample);
    for (int tries = 0; tries < 20; tries++) {
        zclock_sleep (300);
        int64_t again = s_metric (port, sample);
        if (again == value)
            break;
        value = again;
    }
    return value;
}

//  True when that sample reaches at_least within 3 s.
static bool
s_metric_reaches (int port, const char *sample, int64_t at_least)
{
    for (int tries = 0; tries < 30; tries++) {
        if (s_metric (port, sample) >= at_least)
            return true;
        zclock_sleep (100);
    }
    return false;
}

//  True when a DEALER with the cert in key_file (NULL: plain text, "PLAIN":
//  the PLAIN mechanism) gets any answer from the CurveZMQ server at port
//  (public key in server_file).
static bool
s_answers (int port, const char *server_file, const char *key_file)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    if (key_file && streq (key_file, "PLAIN")) {
        zsock_set_plain_username (sock, "admin");
        zsock_set_plain_password (sock, "secret");
    }
    else
    if (key_file) {
        char secret [700];
        snprintf (secret, sizeof secret, "%s_secret", key_file);
        zcert_t *cert = zcert_load (secret);
        CU_ASSERT_PTR_NOT_NULL_FATAL (cert);
        zcert_apply (cert, sock);
        zcert_destroy (&cert);
        char server_key [64];
        CU_ASSERT_EQUAL_FATAL (fg_security_read_key (server_file, server_key), 0);
        zsock_set_curve_serverkey (sock, server_key);
    }
    zsock_set_rcvtimeo (sock, 1000);
    zsock_connect (sock, "tcp://127.0.0.1:%d", port);
    Fogrid__HealthRequest health = FOGRID__HEALTH_REQUEST__INIT;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = 1;
    env.body_case = FOGRID__ENVELOPE__BODY_HEALTH;
    env.health = &health;
    fg_msg_send (sock, NULL, &env);
    fg_error_t error;
    fg_env_t *reply = fg_msg_recv (sock, NULL, &error, NULL);
    bool answered = reply != NULL;
    fg_msg_free (&reply);
    zsock_destroy (&sock);
    return answered;
}

//  The refusals of plain text and of broken handshakes in /metrics at
//  http; format names the sample, with %s for the reason.
static int64_t
s_plain_or_broken (int http, const char *format)
{
    char plain [200], broken [200];
    snprintf (plain, sizeof plain, format, "plaintext");
    snprintf (broken, sizeof broken, format, "handshake");
    return s_metric (http, plain) + s_metric (http, broken);
}

//  A ZeroMQ client without CurveZMQ (key_file NULL, or "PLAIN") gets no
//  answer from the CurveZMQ server at port and is counted: as plain text,
//  or as a broken handshake when it read the server's mechanism first and
//  hung up (ZeroMQ clients read it too).
static bool
s_plain_refused (int port, const char *server_file, const char *key_file, int http,
                 const char *format)
{
    int64_t before = s_plain_or_broken (http, format);
    for (int tries = 0; tries < 20; tries++) {
        zclock_sleep (300);             //  the last tries of a client before
        int64_t again = s_plain_or_broken (http, format);
        if (again == before)
            break;
        before = again;
    }
    if (s_answers (port, server_file, key_file))
        return false;
    for (int tries = 0; tries < 30; tries++) {
        if (s_plain_or_broken (http, format) > before)
            return true;
        zclock_sleep (100);
    }
    return false;
}

//  A bare greeting offering mechanism to port, which waits for the server
//  to hang up (so the server reads it), is counted as plain text.
static bool
s_greeting_refused (int port, const char *mechanism, int http, const char *format)
{
    char plain [200];
    snprintf (plain, sizeof plain, format, "plaintext");
    int64_t before = s_metric_settled (http, plain);
    return ts_zmtp_greet (port, mechanism) && s_metric_reaches (http, plain, before + 1);
}

//  A hub given key directories admits only those keys, per socket: no
//  key, an unknown key, a buyer's key on the miner socket and the PLAIN
//  mechanism get nothing, and the refusals are counted in its metrics by
//  socket and reason
static void
test_key_directories (void)
{
    char buyer_dir [700], miner_dir [700], data [700], other [700], hub_key [800];
    snprintf (buyer_dir, sizeof buyer_dir, "%s/admitted-buyers", grid.dir);
    snprintf (miner_dir, sizeof miner_dir, "%s/admitted-miners", grid.dir);
    snprintf (data, sizeof data, "%s/strict-hub", grid.dir);
    snprintf (other, sizeof other, "%s/unknown.key", grid.dir);
    snprintf (hub_key, sizeof hub_key, "%s/keys/hub.key", data);
    CU_ASSERT_EQUAL_FATAL (ts_run (NULL, "mkdir -p %s %s && cp %s %s/ && cp %s/miner1/keys/miner.key "
                                   "%s/ && %s keygen %s >/dev/null 2>&1", buyer_dir, miner_dir,
                                   grid.buyer_keys, buyer_dir, grid.dir, miner_dir,
                                   ts_bin ("fogrid"), other), 0);
    int buyer_port = ts_free_port (), miner_port = ts_free_port ();
    char buyers [64], miners [64], buyer_opt [800], miner_opt [800];
    snprintf (buyers, sizeof buyers, "tcp://127.0.0.1:%d", buyer_port);
    snprintf (miners, sizeof miners, "tcp://127.0.0.1:%d", miner_port);
    snprintf (buyer_opt, sizeof buyer_opt, "hub/buyer_keys=%s", buyer_dir);
    snprintf (miner_opt, sizeof miner_opt, "hub/miner_keys=%s", miner_dir);
    ts_proc_t *hub = ts_proc_start (grid.dir, "strict-hub", "fogrid-hub", "--buyers", buyers,
                                    "--miners", miners, "--locator", "", "--data", data,
                                    "-o", buyer_opt, "-o", miner_opt, NULL);
    for (int tries = 0; tries < 50 && !zsys_file_exists (hub_key); tries++)
        zclock_sleep (100);
    zclock_sleep (300);
    int port = s_logged_http_port (hub);
    const char *on_buyers = "fogrid_hub_connections_refused_total"
                            "{socket=\"buyers\",reason=\"%s\"}";
    const char *on_miners = "fogrid_hub_connections_refused_total"
                            "{socket=\"miners\",reason=\"%s\"}";
    CU_ASSERT (s_answers (buyer_port, hub_key, grid.buyer_keys));    //  admitted
    CU_ASSERT (s_plain_refused (buyer_port, hub_key, NULL, port, on_buyers));    //  no key
    CU_ASSERT (s_greeting_refused (buyer_port, "NULL", port, on_buyers));
    CU_ASSERT_FALSE (s_answers (buyer_port, hub_key, other));        //  unknown key
    CU_ASSERT_FALSE (s_answers (miner_port, hub_key, grid.buyer_keys));  //  wrong socket
    CU_ASSERT (s_plain_refused (miner_port, hub_key, "PLAIN", port, on_miners));  //  PLAIN
    CU_ASSERT (s_greeting_refused (miner_port, "PLAIN", port, on_miners));
    //  Keys are refused by the ZAP handler, on each socket
    CU_ASSERT (s_metric_reaches (port, "fogrid_hub_connections_refused_total"
                                 "{socket=\"buyers\",reason=\"key\"}", 1));
    CU_ASSERT (s_metric_reaches (port, "fogrid_hub_connections_refused_total"
                                 "{socket=\"miners\",reason=\"key\"}", 1));
    CU_ASSERT_EQUAL (ts_proc_stop (&hub, 3000), 0);
}

//  A locator with security on counts the clients it refuses as the hub
//  does, in its /metrics: no key and the PLAIN mechanism as plain text (or
//  a broken handshake, when the client hangs up first), a client that
//  knows another server key as a failed handshake
static void
test_locator_refusals (void)
{
    int port = ts_free_port ();
    char bind [64], keys_opt [700];
    snprintf (bind, sizeof bind, "tcp://127.0.0.1:%d", port);
    snprintf (keys_opt, sizeof keys_opt, "security/keys=%s", grid.locator_keys);
    ts_proc_t *locator = ts_proc_start (grid.dir, "strict-locator", "fogrid-locator", "--bind",
                                        bind, "--dns", "", "--http", "127.0.0.1:0",
                                        "-o", keys_opt, NULL);
    int http = 0;
    for (int tries = 0; tries < 50 && !http; tries++) {
        zclock_sleep (100);
        char *output = NULL;
        ts_run (&output, "grep -o 'HTTP on [^ ]* (port [0-9]*)' %s | tail -n 1", locator->log);
        char *at = output? strstr (output, "(port "): NULL;
        http = at? atoi (at + 6): 0;
        free (output);
    }
    CU_ASSERT_FATAL (http > 0);
    const char *name = "fogrid_locator_connections_refused_total{reason=\"%s\"}";
    char plaintext [128], handshake [128], key [128];
    snprintf (plaintext, sizeof plaintext, name, "plaintext");
    snprintf (handshake, sizeof handshake, name, "handshake");
    snprintf (key, sizeof key, name, "key");
    CU_ASSERT (s_answers (port, grid.locator_keys, grid.buyer_keys));      //  admitted
    CU_ASSERT_EQUAL (s_metric (http, plaintext), 0);
    CU_ASSERT (s_plain_refused (port, grid.locator_keys, NULL, http, name));        //  no key
    CU_ASSERT (s_plain_refused (port, grid.locator_keys, "PLAIN", http, name));     //  PLAIN
    CU_ASSERT (s_greeting_refused (port, "NULL", http, name));
    CU_ASSERT (s_greeting_refused (port, "PLAIN", http, name));
    //  CurveZMQ, but to another server's key: a handshake that fails
    char other [700];
    snprintf (other, sizeof other, "%s/other-locator.key", grid.dir);
    CU_ASSERT_EQUAL_FATAL (ts_run (NULL, "%s keygen %s >/dev/null 2>&1", ts_bin ("fogrid"), other), 0);
    int64_t broken = s_metric_settled (http, handshake);
    CU_ASSERT (broken >= 0);
    CU_ASSERT_FALSE (s_answers (port, other, grid.buyer_keys));
    CU_ASSERT (s_metric_reaches (http, handshake, broken + 1));
    CU_ASSERT_EQUAL (s_metric (http, key), 0);      //  any key is a locator client
    CU_ASSERT_EQUAL (ts_proc_stop (&locator, 3000), 0);
}

//  When the status of task says it was assigned, as "HH:MM:SS.mmm", into
//  at (empty when it was not).
static void
s_assigned_at (const char *task, char *at, size_t size)
{
    char args [128], *output = NULL;
    snprintf (args, sizeof args, "status %s", task);
    s_fogrid (&output, args);
    char *line = output? strstr (output, "  assigned "): NULL;
    at [0] = 0;
    //  The history line starts with the time: "  HH:MM:SS.mmm  assigned"
    if (line && line - output >= 14)
        snprintf (at, size, "%.12s", line - 12);
    free (output);
}

//  Buyers take turns: one buyer's backlog does not keep another's task
//  waiting behind it (two miners, one 2-core task each at a time)
static void
test_fair_order (void)
{
    char other [700], args [900], *output = NULL;
    snprintf (other, sizeof other, "%s/second-buyer.key", grid.dir);
    CU_ASSERT_EQUAL (ts_run (NULL, "%s keygen %s >/dev/null 2>&1", ts_bin ("fogrid"), other), 0);
    char *first [4];
    for (int index = 0; index < 4; index++)
        first [index] = s_submit ("submit --cores 2 -- sleep 2");
    //  Two of the first buyer's run, two wait; the second buyer's task,
    //  queued after them, gets the next free miner before the fourth
    snprintf (args, sizeof args, "%s -l %s -K %s -k %s submit --cores 2 -- true",
              ts_bin ("fogrid"), grid.locator, grid.locator_keys, other);
    CU_ASSERT_EQUAL (ts_run (&output, "%s", args), 0);
    output [strcspn (output, "\n")] = 0;
    char *second = output;
    snprintf (args, sizeof args, "%s -l %s -K %s -k %s wait %s", ts_bin ("fogrid"),
              grid.locator, grid.locator_keys, other, second);
    CU_ASSERT_EQUAL (ts_run (NULL, "%s >/dev/null 2>&1", args), 0);
    for (int index = 0; index < 4; index++) {
        snprintf (args, sizeof args, "wait %s", first [index]);
        CU_ASSERT_EQUAL (s_fogrid (&output, args), 0);
        free (output);
    }
    char second_at [32], fourth_at [32];
    snprintf (args, sizeof args, "-k %s status %s", other, second);
    char *status = NULL;
    ts_run (&status, "%s -l %s -K %s %s", ts_bin ("fogrid"), grid.locator, grid.locator_keys,
            args);
    char *line = status? strstr (status, "  assigned "): NULL;
    snprintf (second_at, sizeof second_at, "%.12s", line && line - status >= 14? line - 12: "");
    free (status);
    s_assigned_at (first [3], fourth_at, sizeof fourth_at);
    CU_ASSERT (*second_at && *fourth_at && strcmp (second_at, fourth_at) < 0);
    if (!(*second_at && *fourth_at && strcmp (second_at, fourth_at) < 0))
        fprintf (stderr, "second buyer's task assigned at '%s', first buyer's fourth at '%s'\n",
                 second_at, fourth_at);
    for (int index = 0; index < 4; index++)
        free (first [index]);
    free (second);
}

//  The live views: wait for several tasks, top, health across hubs
static void
test_live_views (void)
{
    char *tasks [3];
    tasks [0] = s_submit ("submit -- true");
    tasks [1] = s_submit ("submit -- sh -c 'sleep 0.5'");
    tasks [2] = s_submit ("submit -- false");
    CU_ASSERT_FATAL (tasks [0] && tasks [1] && tasks [2]);
    char args [200], *output = NULL;
    snprintf (args, sizeof args, "wait %s %s %s", tasks [0], tasks [1], tasks [2]);
    CU_ASSERT_EQUAL (s_fogrid (&output, args), 1);     //  one failed
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "3/3 done (2 succeeded, 1 failed)"));
    free (output);
    snprintf (args, sizeof args, "wait %s %s", tasks [0], tasks [1]);
    CU_ASSERT_EQUAL (s_fogrid (&output, args), 0);
    free (output);
    for (int index = 0; index < 3; index++)
        free (tasks [index]);

    CU_ASSERT_EQUAL (s_fogrid (&output, "top --count 2 --interval 200"), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "fogrid top"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "m-spine1"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "tasks/s"));
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "health --all"), 0);
    char buyers [64];
    snprintf (buyers, sizeof buyers, "tcp://127.0.0.1:%d", grid.buyer_port);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, buyers));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, " up "));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "2/2"));       //  both miners connected
    free (output);
}

//  The port a daemon logged for its HTTP ("... http://...:0 (port N)"), or 0;
//  the last one: a restarted daemon appends to its log.
static int
s_logged_http_port (ts_proc_t *proc)
{
    char *output = NULL;
    ts_run (&output, "grep -o 'metrics on http://[^ ]* (port [0-9]*)' %s | tail -n 1", proc->log);
    char *port = strstr (output, "(port ");
    int value = port? atoi (port + 6): 0;
    free (output);
    return value;
}

//  The hub's HTTP side shows the same grid as the CLI: /api/v1/health
//  agrees with `fogrid health`, /metrics passes promtool, and the
//  dashboard, rendered by headless Chromium, lists the miners and tasks
static void
test_dashboard (void)
{
    int port = s_logged_http_port (grid.hub);
    CU_ASSERT_FATAL (port > 0);
    char *output = NULL, *json = NULL;
    CU_ASSERT_EQUAL (s_fogrid (&output, "health"), 0);
    CU_ASSERT_EQUAL (ts_run (&json, "curl -sf http://127.0.0.1:%d/api/v1/health", port), 0);
    //  "tasks    pending=0 assigned=0 running=0 succeeded=N failed=M ..."
    const char *states [] = { "succeeded", "failed", "cancelled" };
    for (int index = 0; index < 3; index++) {
        char key [64], cli [64];
        snprintf (key, sizeof key, "%s=", states [index]);
        char *at = strstr (output, key);
        CU_ASSERT_PTR_NOT_NULL_FATAL (at);
        snprintf (cli, sizeof cli, "\"%s\": %d", states [index], atoi (at + strlen (key)));
        CU_ASSERT_PTR_NOT_NULL (strstr (json, cli));
        if (!strstr (json, cli))
            fprintf (stderr, "CLI: %s\nJSON: %s\n", output, json);
    }
    CU_ASSERT_PTR_NOT_NULL (strstr (json, "\"connected\": 2"));
    free (output);
    free (json);
    CU_ASSERT_EQUAL (ts_run (&output, "curl -sf http://127.0.0.1:%d/healthz", port), 0);
    free (output);
    CU_ASSERT_EQUAL (ts_run (&output, "curl -sf http://127.0.0.1:%d/readyz", port), 0);
    free (output);
    CU_ASSERT_EQUAL (ts_run (&output, "curl -sf http://127.0.0.1:%d/metrics", port), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "fogrid_hub_miners{state=\"connected\"} 2"));
    //  The miner killed earlier missed its heartbeats
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "fogrid_hub_heartbeats_missed_total "));
    CU_ASSERT_PTR_NULL (strstr (output, "fogrid_hub_heartbeats_missed_total 0\n"));
    free (output);
    if (ts_run (NULL, "command -v promtool >/dev/null 2>&1") == 0) {
        int rc = ts_run (&output, "curl -sf http://127.0.0.1:%d/metrics | promtool check metrics",
                         port);
        CU_ASSERT_EQUAL (rc, 0);
        if (rc)
            fprintf (stderr, "promtool: %s\n", output);
        free (output);
    }
    else
        printf ("\n    (promtool not installed: the metrics format check is skipped) ");

    //  A miner's probes and metrics
    int miner_port = s_logged_http_port (grid.miners [1]);
    CU_ASSERT_FATAL (miner_port > 0);
    CU_ASSERT_EQUAL (ts_run (&output, "curl -sf http://127.0.0.1:%d/readyz", miner_port), 0);
    free (output);
    CU_ASSERT_EQUAL (ts_run (&output, "curl -sf http://127.0.0.1:%d/metrics", miner_port), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "fogrid_miner_hub_connected 1"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "fogrid_miner_tasks_ended_total{outcome=\"succeeded\"}"));
    free (output);
    if (ts_run (NULL, "command -v promtool >/dev/null 2>&1") == 0) {
        int rc = ts_run (&output, "curl -sf http://127.0.0.1:%d/metrics | promtool check metrics",
                         miner_port);
        CU_ASSERT_EQUAL (rc, 0);
        if (rc)
            fprintf (stderr, "promtool: %s\n", output);
        free (output);
    }

    const char *chromium = ts_run (NULL, "command -v chromium >/dev/null 2>&1") == 0
                         ? "chromium": NULL;
    if (!chromium) {
        printf ("\n    (chromium not installed: the dashboard rendering check is skipped) ");
        return;
    }
    //  The page after its script ran (virtual time lets the fetches finish)
    char profile [600], shot [700];
    snprintf (profile, sizeof profile, "%s/chromium", grid.dir);
    snprintf (shot, sizeof shot, "%s/../dashboard.png", ts_bin (""));
    const char *flags = "--headless --no-sandbox --disable-gpu --no-first-run "
                        "--disable-background-networking --disable-component-update "
                        "--disable-sync --virtual-time-budget=5000";
    int rc = ts_run (&output, "%s %s --user-data-dir=%s --dump-dom http://127.0.0.1:%d/ "
                     "2>/dev/null", chromium, flags, profile, port);
    CU_ASSERT_EQUAL (rc, 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "m-spine1"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "m-spine2"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "class=\"state succeeded\""));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "echo still-serving"));
    if (!strstr (output, "m-spine1"))
        fprintf (stderr, "the dashboard rendered as:\n%.3000s\n", output);
    free (output);
    ts_run (NULL, "%s %s --user-data-dir=%s --window-size=1280,900 --screenshot=%s "
            "http://127.0.0.1:%d/ >/dev/null 2>&1", chromium, flags, profile, shot, port);
    CU_ASSERT (zsys_file_exists (shot));
}

//  The example configs in deploy/ are valid as shipped
static void
test_deploy_configs (void)
{
    const char *source = getenv ("FOGRID_SOURCE_DIR");
    if (!source)
        source = FOGRID_SOURCE_DIR_DEFAULT;
    const char *daemons [] = { "locator", "hub", "miner" };
    for (int index = 0; index < 3; index++) {
        char *output = NULL, program [64];
        snprintf (program, sizeof program, "fogrid-%s", daemons [index]);
        //  The data dir is moved to the test's: -t may create it
        int rc = ts_run (&output, "%s -t -f %s/deploy/%s.cfg -o %s/data_dir=%s/deploy-%s",
                         ts_bin (program), source, daemons [index], daemons [index], grid.dir,
                         daemons [index]);
        CU_ASSERT_EQUAL (rc, 0);
        if (rc)
            fprintf (stderr, "%s", output);
        free (output);
    }
}

static void
test_clean_shutdown (void)
{
    //  (s_grid_down checks the exit statuses; here: nothing left behind).
    //  Every process of this grid names its temp dir; another run of the
    //  suite at the same time has its own
    char pattern [600];
    snprintf (pattern, sizeof pattern, "%s", grid.dir);
    size_t length = strlen (pattern);
    if (length > 1) {          //  "[x]" keeps pgrep from matching its own shell
        char last = pattern [length - 1];
        snprintf (pattern + length - 1, sizeof pattern - length + 1, "[%c]", last);
    }
    CU_ASSERT_EQUAL (s_grid_down (), 0);
    CU_ASSERT_NOT_EQUAL (ts_run (NULL, "pgrep -f '%s' >/dev/null", pattern), 0);
}

static int
s_suite_init (void)
{
    return s_grid_up ();
}

static int
s_suite_clean (void)
{
    if (grid.dir)
        s_grid_down ();
    return 0;
}

void
test_spine_add (void)
{
    CU_pSuite suite = CU_add_suite ("spine", s_suite_init, s_suite_clean);
    CU_add_test (suite, "hub registers, miners find it", test_miners_register);
    CU_add_test (suite, "a task end to end through the CLI", test_task_end_to_end);
    CU_add_test (suite, "the less loaded miner is chosen", test_fewer_loaded_miner_is_chosen);
    CU_add_test (suite, "a killed miner's task finishes elsewhere", test_killed_miner);
    CU_add_test (suite, "malformed messages to each daemon", test_malformed_messages);
    CU_add_test (suite, "only a task's buyer sees it; miner ids keep their key", test_authorization);
    CU_add_test (suite, "key directories admit only their keys", test_key_directories);
    CU_add_test (suite, "a locator counts the clients it refuses", test_locator_refusals);
    CU_add_test (suite, "buyers take turns", test_fair_order);
    CU_add_test (suite, "wait for several tasks, top, health --all", test_live_views);
    CU_add_test (suite, "the dashboard, its JSON and metrics", test_dashboard);
    CU_add_test (suite, "the example configs are valid", test_deploy_configs);
    CU_add_test (suite, "clean shutdown of every daemon", test_clean_shutdown);
}
