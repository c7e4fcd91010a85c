/*  =========================================================================
    test_services - services on the grid: the example service, and the
    seed's five steps with real processes and the real Docker engine

    The example service's protocol is tested first, as a plain process
    (no engine needed). Then a secure grid (a locator, a hub, one miner
    with runtime process,docker) runs fogrid/echo-service through
    `fogrid run-service`; it must appear in `fogrid resolve` and `fogrid
    services`, answer `fogrid call` (echo, sha256, primes), refuse an
    unknown function clearly, survive a dead endpoint (the call goes to the
    next one), leave the locator when its container is killed from outside
    and when `fogrid stop-service` stops it, and leave no container behind.
    An HTTP health check is tested with busybox httpd.

    When no engine answers on the socket (FOGRID_DOCKER_SOCKET, else
    /var/run/docker.sock) each test that needs one says SKIPPED and passes.
    The images are built by deploy/images/build-test-image.sh and
    deploy/images/build-echo-image.sh (which does nothing when the image
    holds the binary just built).
    =========================================================================  */
#include "test_support.h"
#include "miner_docker.h"
#include "miner_docker_runner.h"
#include "miner_service.h"
#include <signal.h>

#define S_BUSYBOX   "fogrid/busybox:latest"

typedef struct {
    const char *socket;         //  the engine's socket
    bool engine;                //  an engine answers there
    bool images;                //  both images are here
    char *dir;                  //  temp dir: logs, data
    char miner_id [32];         //  labels this run's containers
    char locator [64];          //  "tcp://127.0.0.1:N"
    char locator_keys [600];    //  the locator's key pair (public part)
    char buyer_keys [600];      //  the CLI's
    ts_proc_t *locator_proc;
    ts_proc_t *hub;
    ts_proc_t *miner;
} s_grid_t;

static s_grid_t grid;

#define S_NEED_ENGINE() do { \
    if (!grid.engine) { \
        printf ("SKIPPED: no Docker engine at %s ", grid.socket); \
        return; \
    } \
} while (0)

static const char *
s_source_dir (void)
{
    const char *source = getenv ("FOGRID_SOURCE_DIR");
    return source? source: FOGRID_SOURCE_DIR_DEFAULT;
}

//  The fogrid CLI against the grid, with printf-style arguments; returns
//  its exit status, *output its stdout and stderr (caller frees).
static int
s_fogrid (char **output, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *command = zsys_vprintf (format, args);
    va_end (args);
    int rc = ts_run (output, "%s -T 2000 -l %s -K %s -k %s %s", ts_bin ("fogrid"), grid.locator,
                     grid.locator_keys, grid.buyer_keys, command);
    zstr_free (&command);
    return rc;
}

static void
s_dump_logs (void)
{
    ts_proc_dump_log (grid.locator_proc);
    ts_proc_dump_log (grid.hub);
    ts_proc_dump_log (grid.miner);
}

//  Containers of a task (attempt 1) of this run, -1 on an error.
static int
s_task_containers (const char *task_id)
{
    miner_docker_t *docker = miner_docker_new (grid.socket, 5000);
    char label [200];
    snprintf (label, sizeof label, "%s=%s/1", MINER_DOCKER_LABEL_TASK, task_id);
    zlist_t *ids = miner_docker_list (docker, label);
    int count = ids? (int) zlist_size (ids): -1;
    zlist_destroy (&ids);
    miner_docker_destroy (&docker);
    return count;
}

//  The id of a task's container, "" when none; into id [80].
static void
s_task_container (const char *task_id, char *id)
{
    miner_docker_t *docker = miner_docker_new (grid.socket, 5000);
    char label [200];
    snprintf (label, sizeof label, "%s=%s/1", MINER_DOCKER_LABEL_TASK, task_id);
    zlist_t *ids = miner_docker_list (docker, label);
    snprintf (id, 80, "%s", ids && zlist_size (ids)? (char *) zlist_first (ids): "");
    zlist_destroy (&ids);
    miner_docker_destroy (&docker);
}

//  Whether `fogrid resolve NAME` no longer names it (task_id: that
//  task's endpoint; NULL: any), for ts_wait_for
typedef struct {
    const char *name;
    const char *task_id;        //  NULL = any endpoint
} s_lookup_t;

static bool
s_not_resolved (void *arg)
{
    s_lookup_t *lookup = (s_lookup_t *) arg;
    char *output = NULL;
    int rc = s_fogrid (&output, "resolve %s", lookup->name);
    bool gone = lookup->task_id? rc != 0 || !strstr (output, lookup->task_id)
                               : rc == 1 && strstr (output, "not found");
    free (output);
    return gone;
}

static bool
s_no_container (void *task_id)
{
    return s_task_containers ((const char *) task_id) == 0;
}

//  run-service ... --wait; returns the task id (caller frees) or NULL.
static char *
s_run_service (const char *args)
{
    char *output = NULL;
    int rc = s_fogrid (&output, "run-service --wait %s", args);
    CU_ASSERT_EQUAL (rc, 0);
    char *id = ts_task_id (rc, output, args);
    if (!id)
        s_dump_logs ();
    return id;
}

//  The state line of `fogrid status TASK`, for a check by strstr.
static char *
s_status (const char *task_id)
{
    char *output = NULL;
    s_fogrid (&output, "status %s", task_id);
    return output;
}

static bool
s_task_final (void *task_id)
{
    char *output = s_status ((const char *) task_id);
    bool final = strstr (output, "state     failed") || strstr (output, "state     succeeded")
              || strstr (output, "state     cancelled");
    free (output);
    return final;
}

//  --------------------------------------------------------------------------
//  The grid

static int
s_grid_up (void)
{
    int locator_port = ts_free_port (), buyer_port = ts_free_port (),
        miner_port = ts_free_port ();
    snprintf (grid.locator, sizeof grid.locator, "tcp://127.0.0.1:%d", locator_port);
    char buyers [64], miners [64], data [600], locator_keys_opt [700], locator_key_opt [700],
         id_opt [64], socket_opt [300], hub_data [600];
    snprintf (buyers, sizeof buyers, "tcp://127.0.0.1:%d", buyer_port);
    snprintf (miners, sizeof miners, "tcp://127.0.0.1:%d", miner_port);
    snprintf (hub_data, sizeof hub_data, "%s/hub", grid.dir);
    snprintf (data, sizeof data, "%s/miner", grid.dir);
    snprintf (grid.locator_keys, sizeof grid.locator_keys, "%s/locator.key", grid.dir);
    snprintf (grid.buyer_keys, sizeof grid.buyer_keys, "%s/buyer.key", grid.dir);
    snprintf (locator_keys_opt, sizeof locator_keys_opt, "security/keys=%s", grid.locator_keys);
    snprintf (locator_key_opt, sizeof locator_key_opt, "security/locator_key=%s",
              grid.locator_keys);
    snprintf (id_opt, sizeof id_opt, "miner/id=%s", grid.miner_id);
    snprintf (socket_opt, sizeof socket_opt, "miner/docker_socket=%s", grid.socket);
    if (ts_run (NULL, "%s keygen %s", ts_bin ("fogrid"), grid.locator_keys) != 0)
        return -1;
    grid.locator_proc = ts_proc_start (grid.dir, "locator", "fogrid-locator", "--bind",
                                       grid.locator, "--dns", "", "--http", "",
                                       "-o", "locator/ttl_ms=2000", "-o", locator_keys_opt, NULL);
    grid.hub = ts_proc_start (grid.dir, "hub", "fogrid-hub", "--buyers", buyers,
                              "--miners", miners, "--locator", grid.locator, "--data", hub_data,
                              "-o", "hub/heartbeat_ms=200", "-o", "hub/disconnect_ms=600",
                              "-o", "hub/dead_ms=1200", "-o", "locator/ttl_ms=2000",
                              "-o", "hub/settle_s=1", "-o", "hub/open_deposits=1",
                              "-o", locator_key_opt, NULL);
    grid.miner = ts_proc_start (grid.dir, "miner", "fogrid-miner", "--locator", grid.locator,
                                "--name", "services", "--data", data, "--cores", "4",
                                "-o", id_opt, "-o", socket_opt,
                                "-o", "miner/runtime=process,docker",
                                "-o", "miner/health_interval_ms=500",
                                "-o", "miner/health_failures=2",
                                "-o", "miner/service_price=3",
                                "-o", "locator/ttl_ms=2000", "-o", locator_key_opt, NULL);
    return 0;
}

static bool
s_miner_connected (void *arg)
{
    (void) arg;
    char *output = NULL;
    int rc = s_fogrid (&output, "miners");
    bool ok = rc == 0 && strstr (output, grid.miner_id) && strstr (output, "connected");
    free (output);
    return ok;
}

static int
s_suite_init (void)
{
    memset (&grid, 0, sizeof grid);
    grid.socket = getenv ("FOGRID_DOCKER_SOCKET");
    if (!grid.socket || !*grid.socket)
        grid.socket = MINER_DOCKER_SOCKET;
    grid.dir = ts_tmpdir_new ("services");
    if (!grid.dir)
        return -1;
    fg_id_new ("m-svc", grid.miner_id, sizeof grid.miner_id);
    miner_docker_t *docker = miner_docker_new (grid.socket, 5000);
    grid.engine = docker && miner_docker_ping (docker) == 0;
    if (!grid.engine)
        printf ("\nservices: no Docker engine at %s (%s): the tests that need one are "
                "SKIPPED\n", grid.socket, docker? miner_docker_error (docker): "no client");
    else {
        char *output = NULL;
        int rc = miner_docker_image_present (docker, S_BUSYBOX) == 1? 0
               : ts_run (&output, "DOCKER_HOST=unix://%s %s/deploy/images/build-test-image.sh",
                         grid.socket, s_source_dir ());
        if (rc == 0) {
            free (output);
            rc = ts_run (&output, "DOCKER_HOST=unix://%s %s/deploy/images/build-echo-image.sh %s",
                         grid.socket, s_source_dir (), ts_bin ("fogrid-echo-service"));
        }
        grid.images = rc == 0;
        if (rc)
            printf ("\nservices: cannot build the images: the tests will fail\n%s",
                    output? output: "");
        free (output);
    }
    miner_docker_destroy (&docker);
    if (grid.engine && grid.images && s_grid_up () == 0
    &&  !ts_wait_for (s_miner_connected, NULL, 15000)) {
        printf ("\nservices: the grid did not come up\n");
        s_dump_logs ();
    }
    return 0;
}

static int
s_suite_clean (void)
{
    if (grid.miner && ts_proc_stop (&grid.miner, 15000) != 0)
        fprintf (stderr, "services: the miner did not stop cleanly\n");
    ts_proc_stop (&grid.hub, 5000);
    ts_proc_stop (&grid.locator_proc, 5000);
    if (grid.engine) {
        char err [256];
        int left = miner_docker_runner_clean (grid.socket, grid.miner_id, 10000, err, sizeof err);
        if (left > 0)
            fprintf (stderr, "services: %d containers were left behind\n", left);
    }
    ts_tmpdir_remove (&grid.dir);
    return 0;
}

//  --------------------------------------------------------------------------
//  The example service as a plain process

static void
test_echo_service_protocol (void)
{
    char *output = NULL;
    CU_ASSERT_EQUAL (ts_run (&output, "%s --help", ts_bin ("fogrid-echo-service")), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "primes N"));
    free (output);
    CU_ASSERT_EQUAL (ts_run (NULL, "%s --no-such-flag 2>/dev/null", ts_bin ("fogrid-echo-service")),
                     2);

    int port = ts_free_port ();
    char bind [64], endpoint [64];
    snprintf (bind, sizeof bind, "tcp://127.0.0.1:%d", port);
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    ts_proc_t *service = ts_proc_start (grid.dir, "echo-plain", "fogrid-echo-service",
                                        "--bind", bind, "--max-primes", "1000", NULL);
    fg_rpc_t *rpc = fg_rpc_new (endpoint);
    Fogrid__CallRequest call = FOGRID__CALL_REQUEST__INIT;
    char *args [] = { "hello", "world" };
    call.function = "echo";
    call.args = args;
    call.n_args = 2;
    fg_env_t req = FOGRID__ENVELOPE__INIT;
    req.body_case = FOGRID__ENVELOPE__BODY_CALL;
    req.call = &call;
    //  The service may take a moment to bind
    fg_env_t *reply = NULL;
    for (int tries = 0; tries < 50 && !reply; tries++)
        if (!(reply = fg_rpc_call (rpc, &req, 200)))
            zclock_sleep (50);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL (reply->body_case, FOGRID__ENVELOPE__BODY_CALL_REPLY);
    CU_ASSERT_EQUAL (reply->call_reply->n_results, 1);
    CU_ASSERT_STRING_EQUAL (reply->call_reply->results [0], "hello world");
    CU_ASSERT_STRING_EQUAL (reply->call_reply->error, "");
    fg_msg_free (&reply);

    call.function = "sha256";
    call.n_args = 1;
    reply = fg_rpc_call (rpc, &req, 2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_STRING_EQUAL (reply->call_reply->results [0],
                            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    fg_msg_free (&reply);

    char *ten [] = { "10" };
    call.function = "primes";
    call.args = ten;
    reply = fg_rpc_call (rpc, &req, 2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_STRING_EQUAL (reply->call_reply->results [0], "2 3 5 7");
    fg_msg_free (&reply);

    //  Its bound, a bad argument, an unknown function: the service says why
    char *big [] = { "1001" };
    call.args = big;
    reply = fg_rpc_call (rpc, &req, 2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL (reply->call_reply->n_results, 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (reply->call_reply->error, "bound of 1000"));
    fg_msg_free (&reply);
    char *bad [] = { "ten" };
    call.args = bad;
    reply = fg_rpc_call (rpc, &req, 2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_PTR_NOT_NULL (strstr (reply->call_reply->error, "whole number"));
    fg_msg_free (&reply);
    call.function = "nope";
    reply = fg_rpc_call (rpc, &req, 2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_PTR_NOT_NULL (strstr (reply->call_reply->error, "no function 'nope'"));
    fg_msg_free (&reply);

    //  Not a call: an Error, and the service goes on
    Fogrid__StatusRequest status = FOGRID__STATUS_REQUEST__INIT;
    fg_env_t other = FOGRID__ENVELOPE__INIT;
    other.body_case = FOGRID__ENVELOPE__BODY_STATUS;
    other.status = &status;
    CU_ASSERT_PTR_NULL (fg_rpc_call (rpc, &other, 2000));
    CU_ASSERT_EQUAL (fg_rpc_error (rpc), FG_E_UNEXPECTED);
    //  Garbage: answered with an Error too (seq 0, which the rpc drops)
    zsock_t *raw = zsock_new_dealer (endpoint);
    zstr_send (raw, "not protobuf at all \xff\xff");
    zframe_t *frame = NULL;
    zsock_set_rcvtimeo (raw, 2000);
    frame = zframe_recv (raw);
    CU_ASSERT_PTR_NOT_NULL (frame);
    zframe_destroy (&frame);
    zsock_destroy (&raw);
    call.function = "echo";
    call.args = args;
    reply = fg_rpc_call (rpc, &req, 2000);
    CU_ASSERT_PTR_NOT_NULL (reply);
    fg_msg_free (&reply);
    fg_rpc_destroy (&rpc);

    //  SIGTERM: a clean stop
    CU_ASSERT_EQUAL (ts_proc_stop (&service, 3000), 0);
}

static void
test_health_checks (void)
{
    CU_ASSERT (miner_service_health_valid (""));
    CU_ASSERT (miner_service_health_valid ("tcp"));
    CU_ASSERT (miner_service_health_valid ("http:/healthz"));
    CU_ASSERT (!miner_service_health_valid ("http:healthz"));
    CU_ASSERT (!miner_service_health_valid ("http:/a b"));
    CU_ASSERT (!miner_service_health_valid ("udp"));
    //  A port something listens on, and one nothing does
    zsock_t *server = zsock_new (ZMQ_ROUTER);
    int port = zsock_bind (server, "tcp://127.0.0.1:*");
    CU_ASSERT (port > 0);
    char err [256] = "";
    CU_ASSERT_EQUAL (miner_service_health_check ("tcp", "127.0.0.1", (uint16_t) port, 1000,
                                                 err, sizeof err), 0);
    zsock_destroy (&server);
    int closed = ts_free_port ();
    CU_ASSERT_EQUAL (miner_service_health_check ("tcp", "127.0.0.1", (uint16_t) closed, 1000,
                                                 err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (err, "refused"));
    CU_ASSERT_EQUAL (miner_service_health_check ("http:/x", "127.0.0.1", (uint16_t) closed,
                                                 1000, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (err, "GET http://127.0.0.1:"));
}

//  --------------------------------------------------------------------------
//  On the grid

static void
test_run_and_call (void)
{
    S_NEED_ENGINE ();
    char *task = s_run_service ("--image fogrid/echo-service --name echo --port 5555");
    CU_ASSERT_PTR_NOT_NULL_FATAL (task);
    CU_ASSERT_EQUAL (s_task_containers (task), 1);

    //  Steps 1 to 4: the locator names it, with its functions
    char *output = NULL;
    CU_ASSERT_EQUAL (s_fogrid (&output, "resolve echo"), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, task));             //  owner MINER/TASK/1
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "tcp://127.0.0.1:"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "version 1"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "functions 3"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "primes(N (0..100000)) -> the primes up to N"));
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "services"), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "echo "));
    free (output);

    //  Step 5: calls, through CurveZMQ with the key the locator gave
    CU_ASSERT_EQUAL (s_fogrid (&output, "call echo echo hello"), 0);
    CU_ASSERT_STRING_EQUAL (output, "hello\n");
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "call echo sha256 hello"), 0);
    CU_ASSERT_STRING_EQUAL (output,
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\n");
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "call echo primes 10"), 0);
    CU_ASSERT_STRING_EQUAL (output, "2 3 5 7\n");
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "call -v echo echo five steps"), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "4. done"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "five steps\n"));
    free (output);

    //  Clear errors: an unknown function, an unknown name, a refusal, usage
    CU_ASSERT_EQUAL (s_fogrid (&output, "call echo nope"), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "'echo' offers no function 'nope' (it offers "
                                            "echo, sha256, primes)"));
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "call no-such-service echo hi"), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "no service named 'no-such-service'"));
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "call echo primes 100000000"), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "over this service's bound"));
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "call echo"), 2);
    free (output);

    //  The hub's status shows it running
    output = s_status (task);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "state     running"));
    free (output);

    //  Killed from outside: it leaves the locator, the task fails, and
    //  its container is removed
    char id [80];
    s_task_container (task, id);
    CU_ASSERT_FATAL (*id);
    miner_docker_t *docker = miner_docker_new (grid.socket, 5000);
    CU_ASSERT_EQUAL (miner_docker_kill (docker, id, SIGKILL), 0);
    miner_docker_destroy (&docker);
    s_lookup_t echo = { "echo", NULL };
    bool gone = ts_wait_for (s_not_resolved, &echo, 5000);
    CU_ASSERT (gone);
    if (!gone)
        s_dump_logs ();
    CU_ASSERT_EQUAL (s_fogrid (&output, "resolve echo"), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "not found"));
    free (output);
    CU_ASSERT (ts_wait_for (s_task_final, task, 5000));
    output = s_status (task);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "state     failed"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "killed by signal 9"));
    free (output);
    CU_ASSERT (ts_wait_for (s_no_container, task, 5000));
    free (task);
}

//  The buyer's balance in `fogrid wallet` (-1 when it cannot be read);
//  *history (may be NULL) gets the whole output.
static long long
s_buyer_balance (char **history)
{
    char *output = NULL;
    long long balance = -1;
    if (s_fogrid (&output, "wallet --limit 100") == 0 && strstr (output, "balance   "))
        balance = atoll (strstr (output, "balance   ") + 10);
    if (history)
        *history = output;
    else
        free (output);
    return balance;
}

//  What `fogrid status` says the service was billed, and for how long.
static bool
s_billed (const char *task, long long *billed, long long *seconds)
{
    char *status = NULL;
    s_fogrid (&status, "status %s", task);
    const char *line = status? strstr (status, "billed    "): NULL;
    bool found = line && sscanf (line, "billed    %lld for %lld s", billed, seconds) == 2;
    free (status);
    return found;
}

//  A service is billed per second while it runs: 3 per second (the
//  miner's miner/service_price), settled every second (hub/settle_s), the
//  miner paid one transfer per settlement. After it stops, what its buyer
//  lost is what it was billed, and nothing more is taken.
static void
test_billed_per_second (void)
{
    S_NEED_ENGINE ();
    char *output = NULL;
    CU_ASSERT_EQUAL (s_fogrid (&output, "deposit --token billing-test 1000"), 0);
    free (output);
    long long before = s_buyer_balance (NULL);
    CU_ASSERT_FATAL (before >= 1000);
    char *task = s_run_service ("--image fogrid/echo-service --name billed --port 5555");
    CU_ASSERT_PTR_NOT_NULL_FATAL (task);
    zclock_sleep (3500);
    long long billed = 0, seconds = 0;
    CU_ASSERT_TRUE (s_billed (task, &billed, &seconds));
    CU_ASSERT (seconds >= 2);
    CU_ASSERT_EQUAL (billed, seconds * 3);
    CU_ASSERT_EQUAL (s_fogrid (&output, "stop-service %s", task), 0);
    free (output);
    CU_ASSERT (ts_wait_for (s_task_final, task, 10000));
    CU_ASSERT_TRUE (s_billed (task, &billed, &seconds));
    CU_ASSERT (seconds >= 3);
    CU_ASSERT_EQUAL (billed, seconds * 3);
    zclock_sleep (1500);        //  a settlement after the end: nothing more is billed
    char *history = NULL;
    CU_ASSERT_EQUAL (s_buyer_balance (&history), before - billed);
    CU_ASSERT_PTR_NOT_NULL (history? strstr (history, "bill/"): NULL);
    free (history);
    free (task);
}

static void
test_dead_endpoint (void)
{
    S_NEED_ENGINE ();
    char *first = s_run_service ("--image fogrid/echo-service --name echo --port 5555");
    char *second = s_run_service ("--image fogrid/echo-service --name echo --port 5555");
    CU_ASSERT_PTR_NOT_NULL_FATAL (first);
    CU_ASSERT_PTR_NOT_NULL_FATAL (second);
    char *output = NULL;
    CU_ASSERT_EQUAL (s_fogrid (&output, "resolve echo"), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "endpoints 2"));
    free (output);

    //  A frozen container: still registered (it accepts connections) but
    //  it never answers. Round-robin puts it first for one of two calls,
    //  and that call goes on to the next endpoint
    char id [80];
    s_task_container (first, id);
    CU_ASSERT_FATAL (*id);
    CU_ASSERT_EQUAL (ts_run (NULL, "curl -fsS --unix-socket %s -X POST "
                             "http://docker/containers/%s/pause", grid.socket, id), 0);
    bool skipped = false;
    for (int call = 0; call < 2; call++) {
        CU_ASSERT_EQUAL (s_fogrid (&output, "call --policy round-robin echo echo still here"), 0);
        CU_ASSERT_PTR_NOT_NULL (strstr (output, "still here\n"));
        if (strstr (output, "trying the next endpoint"))
            skipped = true;
        free (output);
    }
    CU_ASSERT (skipped);
    ts_run (NULL, "curl -fsS --unix-socket %s -X POST http://docker/containers/%s/unpause",
            grid.socket, id);

    //  stop-service: it leaves the locator, its container goes
    CU_ASSERT_EQUAL (s_fogrid (&output, "stop-service %s", first), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "cancelled: service echo stops"));
    free (output);
    s_lookup_t lookup = { "echo", first };
    CU_ASSERT (ts_wait_for (s_not_resolved, &lookup, 5000));
    CU_ASSERT (ts_wait_for (s_no_container, first, 10000));
    output = s_status (first);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "state     cancelled"));
    free (output);
    //  The other one still answers
    CU_ASSERT_EQUAL (s_fogrid (&output, "call echo echo the other"), 0);
    CU_ASSERT_STRING_EQUAL (output, "the other\n");
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "stop-service %s", second), 0);
    free (output);
    s_lookup_t echo = { "echo", NULL };
    CU_ASSERT (ts_wait_for (s_not_resolved, &echo, 5000));
    CU_ASSERT (ts_wait_for (s_no_container, second, 10000));
    CU_ASSERT_EQUAL (s_fogrid (&output, "resolve echo"), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "not found"));
    free (output);
    free (first);
    free (second);
}

//  An HTTP health check: busybox httpd serving the image's /etc; the
//  functions come from the request. A check that never passes keeps the
//  service out of the locator while it runs.
static void
test_http_health (void)
{
    S_NEED_ENGINE ();
    char *web = s_run_service ("--image " S_BUSYBOX " --name web --port 8080 "
                               "--health http:/etc/passwd --function get --protocol 2 "
                               "-- busybox httpd -f -p 8080 -h /");
    CU_ASSERT_PTR_NOT_NULL_FATAL (web);
    char *output = NULL;
    CU_ASSERT_EQUAL (s_fogrid (&output, "resolve web"), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "version 2"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "functions 1"));
    free (output);
    //  fogrid call speaks protocol 1 only: it says so
    CU_ASSERT_EQUAL (s_fogrid (&output, "call web get /"), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "protocol version 2"));
    free (output);

    output = NULL;
    int rc = s_fogrid (&output, "run-service --image " S_BUSYBOX " --name web-missing --port 8080 "
                       "--health http:/no/such/page -- busybox httpd -f -p 8080 -h /");
    CU_ASSERT_EQUAL (rc, 0);
    char *task = output;
    task [strcspn (task, "\n")] = 0;
    //  Running, checked (404) a few times, and never in the locator
    zclock_sleep (2500);
    output = s_status (task);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "state     running"));
    free (output);
    s_lookup_t missing = { "web-missing", NULL };
    CU_ASSERT (s_not_resolved (&missing));

    CU_ASSERT_EQUAL (s_fogrid (&output, "stop-service %s", task), 0);
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "stop-service %s", web), 0);
    free (output);
    s_lookup_t lookup = { "web", NULL };
    CU_ASSERT (ts_wait_for (s_not_resolved, &lookup, 5000));
    CU_ASSERT (ts_wait_for (s_no_container, web, 10000));
    CU_ASSERT (ts_wait_for (s_no_container, task, 10000));
    free (task);
    free (web);
}

//  Its deadline (--timeout): the miner stops it, it leaves the locator,
//  and the task succeeded (it served its term)
static void
test_deadline (void)
{
    S_NEED_ENGINE ();
    char *task = s_run_service ("--image fogrid/echo-service --name short-lived --port 5555 "
                                "--timeout 2");
    CU_ASSERT_PTR_NOT_NULL_FATAL (task);
    s_lookup_t lookup = { "short-lived", NULL };
    CU_ASSERT (ts_wait_for (s_not_resolved, &lookup, 8000));
    CU_ASSERT (ts_wait_for (s_task_final, task, 8000));
    char *output = s_status (task);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "state     succeeded"));
    free (output);
    CU_ASSERT (ts_wait_for (s_no_container, task, 5000));
    //  Its log is the task's output
    CU_ASSERT_EQUAL (s_fogrid (&output, "result %s", task), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "serving echo, sha256, primes"));
    free (output);
    free (task);
}

//  What the hub refuses, and what the command line does
static void
test_refusals (void)
{
    S_NEED_ENGINE ();
    char *output = NULL;
    CU_ASSERT_EQUAL (s_fogrid (&output, "run-service --image fogrid/echo-service --name hub "
                               "--port 5555"), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "reserved"));
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "run-service --image fogrid/echo-service --name echo "
                               "--port 5555 --health udp"), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "health check 'udp'"));
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "run-service --image fogrid/echo-service --name echo"), 2);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "required"));
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "run-service --image x --name Not_A_Name --port 1"), 2);
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "stop-service t-000000000000"), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "not found"));
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "run-service --help"), 0);
    free (output);
}

void
test_services_add (void)
{
    CU_pSuite suite = CU_add_suite ("services", s_suite_init, s_suite_clean);
    CU_add_test (suite, "the example service's protocol", test_echo_service_protocol);
    CU_add_test (suite, "health checks", test_health_checks);
    CU_add_test (suite, "run-service, resolve, call, killed from outside",
                 test_run_and_call);
    CU_add_test (suite, "a dead endpoint, stop-service", test_dead_endpoint);
    CU_add_test (suite, "a service is billed per second, its miner paid per settlement",
                 test_billed_per_second);
    CU_add_test (suite, "an HTTP health check", test_http_health);
    CU_add_test (suite, "a service's deadline", test_deadline);
    CU_add_test (suite, "refusals", test_refusals);
}
