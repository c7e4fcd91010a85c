/*  test_loc_server - the locator actor over real sockets: the resolve
    exchange with paging and LocDone, errors, watches, expiry, the HTTP
    API, DNS over UDP and TCP, and the fogrid-locator program */
#include "test_support.h"
#include "loc_server.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    fg_config_t *config;
    zactor_t *actor;
    int port, dns_port, http_port;
    char endpoint [64];
} s_locator_t;

//  The tests' settings: loopback, any ports, small pages
static void
s_locator_config (s_locator_t *locator, const char *ttl_ms)
{
    memset (locator, 0, sizeof *locator);
    locator->config = fg_config_new (loc_server_defs);
    fg_config_set (locator->config, "locator/endpoint", "tcp://127.0.0.1:*");
    fg_config_set (locator->config, "locator/dns", "127.0.0.1:0");
    fg_config_set (locator->config, "locator/http", "127.0.0.1:0");
    fg_config_set (locator->config, "locator/ttl_ms", ttl_ms);
    fg_config_set (locator->config, "locator/page_size", "3");
    fg_config_set (locator->config, "locator/default_policy", "round-robin");
}

//  Starts the actor on the settings s_locator_config made (and the test changed)
static void
s_locator_run (s_locator_t *locator)
{
    loc_server_args_t args = { .config = locator->config };
    locator->actor = zactor_new (loc_server_actor, &args);
    CU_ASSERT_EQUAL_FATAL (args.rc, 0);
    zstr_send (locator->actor, "PORTS");
    zsock_recv (locator->actor, "iii", &locator->port, &locator->dns_port, &locator->http_port);
    snprintf (locator->endpoint, sizeof locator->endpoint, "tcp://127.0.0.1:%d", locator->port);
}

static void
s_locator_start (s_locator_t *locator, const char *ttl_ms)
{
    s_locator_config (locator, ttl_ms);
    s_locator_run (locator);
}

//  Started with one setting other than the tests' own
static void
s_locator_start_with (s_locator_t *locator, const char *setting, const char *value)
{
    s_locator_config (locator, "5000");
    fg_config_set (locator->config, setting, value);
    s_locator_run (locator);
}

//  A sample without labels from the locator's /metrics, or -1.
static int64_t
s_metric (s_locator_t *locator, const char *name)
{
    char *output = NULL;
    int rc = ts_run (&output, "curl -sf http://127.0.0.1:%d/metrics", locator->http_port);
    char line [128];
    snprintf (line, sizeof line, "\n%s ", name);
    const char *at = rc == 0 && output? strstr (output, line): NULL;
    int64_t value = at? strtoll (at + strlen (line), NULL, 10): -1;
    free (output);
    return value;
}

static void
s_locator_stop (s_locator_t *locator)
{
    zactor_destroy (&locator->actor);
    fg_config_destroy (&locator->config);
}

static zsock_t *
s_client (s_locator_t *locator)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    zsock_set_rcvtimeo (sock, 3000);
    zsock_connect (sock, "%s", locator->endpoint);
    return sock;
}

static fg_env_t *
s_recv (zsock_t *sock)
{
    fg_error_t error;
    return fg_msg_recv (sock, NULL, &error, NULL);
}

//  Registers count endpoints of name for owner, ports base..; expects Ok.
static void
s_register (zsock_t *sock, const char *owner, const char *name, int count, int base)
{
    Fogrid__LocRegister msg = FOGRID__LOC_REGISTER__INIT;
    Fogrid__Registration regs [16], *pointers [16];
    Fogrid__Endpoint endpoints [16];
    Fogrid__Function function = FOGRID__FUNCTION__INIT, *functions [1] = { &function };
    function.name = "sum";
    function.args = "numbers";
    function.result = "a number";
    for (int index = 0; index < count; index++) {
        fogrid__registration__init (&regs [index]);
        fogrid__endpoint__init (&endpoints [index]);
        endpoints [index].transport = "tcp";
        endpoints [index].host = "127.0.0.1";
        endpoints [index].port = (uint32_t) (base + index);
        regs [index].name = (char *) name;
        regs [index].endpoint = &endpoints [index];
        regs [index].protocol_version = 3;
        regs [index].protocol = "sum protocol";
        regs [index].functions = functions;
        regs [index].n_functions = 1;
        pointers [index] = &regs [index];
    }
    msg.owner = (char *) owner;
    msg.regs = pointers;
    msg.n_regs = (size_t) count;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = 1;
    env.body_case = FOGRID__ENVELOPE__BODY_LOC_REGISTER;
    env.loc_register = &msg;
    fg_msg_send (sock, NULL, &env);
    fg_env_t *reply = s_recv (sock);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL (reply->body_case, FOGRID__ENVELOPE__BODY_OK);
    fg_msg_free (&reply);
}

static void
s_send_resolve (zsock_t *sock, uint64_t seq, const char *name, const char *policy,
                uint32_t page_size)
{
    Fogrid__LocResolve resolve = FOGRID__LOC_RESOLVE__INIT;
    resolve.name = (char *) name;
    resolve.policy = (char *) policy;
    resolve.page_size = page_size;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_LOC_RESOLVE;
    env.loc_resolve = &resolve;
    fg_msg_send (sock, NULL, &env);
}

//  Reads one answer (pages then LocDone); returns the endpoint count, or
//  -code for an Error.
static int
s_read_answer (zsock_t *sock, uint64_t seq, int *pages_p)
{
    int total = 0, pages = 0;
    while (true) {
        fg_env_t *reply = s_recv (sock);
        CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
        CU_ASSERT_EQUAL (reply->seq, seq);
        if (reply->body_case == FOGRID__ENVELOPE__BODY_ERROR) {
            int code = (int) reply->error->code;
            fg_msg_free (&reply);
            return -code;
        }
        if (reply->body_case == FOGRID__ENVELOPE__BODY_LOC_DONE) {
            CU_ASSERT_EQUAL ((int) reply->loc_done->total, total);
            CU_ASSERT_EQUAL ((int) reply->loc_done->pages, pages);
            fg_msg_free (&reply);
            break;
        }
        CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_LOC_ENDPOINTS);
        Fogrid__LocEndpoints *page = reply->loc_endpoints;
        CU_ASSERT_EQUAL ((int) page->page, pages);
        //  The description travels in the first page only
        if (page->protocol_version == 3)
            CU_ASSERT_EQUAL (page->n_functions, pages == 0? 1u: 0u);
        total += (int) page->n_endpoints;
        pages++;
        fg_msg_free (&reply);
    }
    if (pages_p)
        *pages_p = pages;
    return total;
}

static void
test_resolve_exchange (void)
{
    s_locator_t locator;
    s_locator_start (&locator, "5000");
    zsock_t *sock = s_client (&locator);
    s_register (sock, "h-1", "sum", 5, 9000);
    s_register (sock, "h-2", "sum", 2, 9100);

    //  7 endpoints, pages of 3 (the locator's), then of 2 (the client's)
    int pages = 0;
    s_send_resolve (sock, 11, "sum", NULL, 0);
    CU_ASSERT_EQUAL (s_read_answer (sock, 11, &pages), 7);
    CU_ASSERT_EQUAL (pages, 3);
    s_send_resolve (sock, 12, "sum", "least-loaded", 2);
    CU_ASSERT_EQUAL (s_read_answer (sock, 12, &pages), 7);
    CU_ASSERT_EQUAL (pages, 4);
    //  Clear errors, never silence
    s_send_resolve (sock, 13, "nothing", NULL, 0);
    CU_ASSERT_EQUAL (s_read_answer (sock, 13, NULL), -FG_E_NOT_FOUND);
    s_send_resolve (sock, 14, "Bad Name", NULL, 0);
    CU_ASSERT_EQUAL (s_read_answer (sock, 14, NULL), -FG_E_INVALID);
    s_send_resolve (sock, 15, "sum", "fastest", 0);
    CU_ASSERT_EQUAL (s_read_answer (sock, 15, NULL), -FG_E_INVALID);

    //  The resolver of common/ does the same exchange for programs
    fg_resolver_t *resolver = fg_resolver_new (locator.endpoint, 2000);
    fg_resolution_t *res = NULL;
    CU_ASSERT_EQUAL (fg_resolver_resolve (resolver, "sum", "round-robin", &res), FG_OK);
    CU_ASSERT_EQUAL (res->n_endpoints, 7);
    CU_ASSERT_EQUAL (res->n_functions, 1);
    CU_ASSERT_STRING_EQUAL (res->functions [0].name, "sum");
    CU_ASSERT_STRING_EQUAL (res->protocol, "sum protocol");
    fg_resolution_destroy (&res);
    CU_ASSERT_EQUAL (fg_resolver_resolve (resolver, "nothing", NULL, &res), FG_E_NOT_FOUND);
    //  ... and lists the names
    fg_env_t *list = NULL;
    CU_ASSERT_EQUAL (fg_resolver_services (resolver, &list), FG_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL (list);
    CU_ASSERT_EQUAL (list->loc_services->n_services, 1);
    CU_ASSERT_STRING_EQUAL (list->loc_services->services [0]->name, "sum");
    CU_ASSERT_EQUAL (list->loc_services->services [0]->endpoints, 7);
    CU_ASSERT_EQUAL (list->loc_services->services [0]->protocol_version, 3);
    fg_msg_free (&list);
    fg_resolver_destroy (&resolver);

    //  Unregister h-1: two remain
    Fogrid__LocUnregister unregister = FOGRID__LOC_UNREGISTER__INIT;
    unregister.owner = "h-1";
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_LOC_UNREGISTER;
    env.loc_unregister = &unregister;
    fg_msg_send (sock, NULL, &env);
    fg_env_t *reply = s_recv (sock);
    CU_ASSERT (reply && reply->body_case == FOGRID__ENVELOPE__BODY_OK);
    fg_msg_free (&reply);
    s_send_resolve (sock, 16, "sum", NULL, 0);
    CU_ASSERT_EQUAL (s_read_answer (sock, 16, NULL), 2);

    //  A message that is not a locator request
    Fogrid__HealthRequest health = FOGRID__HEALTH_REQUEST__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_HEALTH;
    env.health = &health;
    env.seq = 17;
    fg_msg_send (sock, NULL, &env);
    reply = s_recv (sock);
    CU_ASSERT (reply && reply->body_case == FOGRID__ENVELOPE__BODY_ERROR
               && reply->error->code == FG_E_UNEXPECTED && reply->seq == 17);
    fg_msg_free (&reply);

    //  Garbage
    zframe_t *frame = zframe_new ("\x08\x01\x12\xff\xff!", 6);
    zframe_send (&frame, sock, 0);
    reply = s_recv (sock);
    CU_ASSERT (reply && reply->body_case == FOGRID__ENVELOPE__BODY_ERROR
               && reply->error->code == FG_E_MALFORMED);
    fg_msg_free (&reply);
    //  An envelope without a version: VERSION, as the proto promises
    frame = zframe_new ("\x10\x12\xaa\x04\x00", 5);               //  seq 18, health
    zframe_send (&frame, sock, 0);
    reply = s_recv (sock);
    CU_ASSERT (reply && reply->body_case == FOGRID__ENVELOPE__BODY_ERROR
               && reply->error->code == FG_E_VERSION && reply->seq == 18);
    fg_msg_free (&reply);
    //  A resolve over locator/max_message (but under libzmq's limit,
    //  twice that): answered TOO_BIG and counted, the client keeps its
    //  connection and its answers
    uint64_t too_big = fg_msg_refused (FG_E_TOO_BIG);
    char *huge = (char *) malloc (1048576 + 1);
    memset (huge, 'a', 1048576);
    huge [1048576] = 0;
    s_send_resolve (sock, 19, huge, NULL, 0);
    free (huge);
    CU_ASSERT_EQUAL (s_read_answer (sock, 19, NULL), -FG_E_TOO_BIG);
    CU_ASSERT_EQUAL (fg_msg_refused (FG_E_TOO_BIG), too_big + 1);
    s_send_resolve (sock, 20, "sum", NULL, 0);
    CU_ASSERT_EQUAL (s_read_answer (sock, 20, NULL), 2);

    int names, endpoints, owners, watches;
    zstr_send (locator.actor, "STATS");
    zsock_recv (locator.actor, "iiii", &names, &endpoints, &owners, &watches);
    CU_ASSERT_EQUAL (names, 1);
    CU_ASSERT_EQUAL (endpoints, 2);
    CU_ASSERT_EQUAL (owners, 1);
    zsock_destroy (&sock);
    s_locator_stop (&locator);
}

static void
s_send_watch (zsock_t *sock, uint64_t seq, const char *name, uint32_t lease_ms)
{
    Fogrid__LocWatch watch = FOGRID__LOC_WATCH__INIT;
    watch.name = (char *) name;
    watch.lease_ms = lease_ms;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_LOC_WATCH;
    env.loc_watch = &watch;
    fg_msg_send (sock, NULL, &env);
}

static void
test_watch_and_expiry (void)
{
    s_locator_t locator;
    s_locator_start (&locator, "400");
    zsock_t *owner = s_client (&locator);
    zsock_t *watcher = s_client (&locator);

    //  Watching a name nobody serves yet: NOT_FOUND now, the endpoints later
    s_send_watch (watcher, 21, "sum", 10000);
    CU_ASSERT_EQUAL (s_read_answer (watcher, 21, NULL), -FG_E_NOT_FOUND);
    s_register (owner, "h-1", "sum", 2, 9000);
    CU_ASSERT_EQUAL (s_read_answer (watcher, 21, NULL), 2);
    //  A second owner joins: one update
    s_register (owner, "h-2", "sum", 1, 9100);
    CU_ASSERT_EQUAL (s_read_answer (watcher, 21, NULL), 3);
    //  The same registration again is no change: no update
    s_register (owner, "h-2", "sum", 1, 9100);
    zsock_set_rcvtimeo (watcher, 200);
    fg_env_t *nothing = s_recv (watcher);
    CU_ASSERT_PTR_NULL (nothing);
    fg_msg_free (&nothing);
    zsock_set_rcvtimeo (watcher, 3000);

    //  Nobody heartbeats: after the TTL (400 ms) the name is gone, and the
    //  watcher hears it without asking (h-1 may go a moment before h-2)
    int64_t start = zclock_mono ();
    int answer = 0;
    for (int updates = 0; updates < 2 && answer != -FG_E_NOT_FOUND; updates++)
        answer = s_read_answer (watcher, 21, NULL);
    CU_ASSERT_EQUAL (answer, -FG_E_NOT_FOUND);
    int64_t took = zclock_mono () - start;
    CU_ASSERT (took < 2500);
    s_send_resolve (owner, 22, "sum", NULL, 0);
    CU_ASSERT_EQUAL (s_read_answer (owner, 22, NULL), -FG_E_NOT_FOUND);
    //  An expired owner's heartbeat is told to register again
    Fogrid__LocHeartbeat heartbeat = FOGRID__LOC_HEARTBEAT__INIT;
    heartbeat.owner = "h-1";
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = 23;
    env.body_case = FOGRID__ENVELOPE__BODY_LOC_HEARTBEAT;
    env.loc_heartbeat = &heartbeat;
    fg_msg_send (owner, NULL, &env);
    fg_env_t *reply = s_recv (owner);
    CU_ASSERT (reply && reply->body_case == FOGRID__ENVELOPE__BODY_ERROR
               && reply->error->code == FG_E_NOT_FOUND);
    fg_msg_free (&reply);

    //  Ending the watch: Ok, and no more updates
    s_send_watch (watcher, 24, "sum", 0);
    reply = s_recv (watcher);
    CU_ASSERT (reply && reply->body_case == FOGRID__ENVELOPE__BODY_OK);
    fg_msg_free (&reply);
    int names, endpoints, owners, watches;
    zstr_send (locator.actor, "STATS");
    zsock_recv (locator.actor, "iiii", &names, &endpoints, &owners, &watches);
    CU_ASSERT_EQUAL (watches, 0);

    //  A short lease ends by itself
    s_send_watch (watcher, 25, "sum", 150);
    CU_ASSERT_EQUAL (s_read_answer (watcher, 25, NULL), -FG_E_NOT_FOUND);
    zclock_sleep (1300);
    zstr_send (locator.actor, "STATS");
    zsock_recv (locator.actor, "iiii", &names, &endpoints, &owners, &watches);
    CU_ASSERT_EQUAL (watches, 0);

    //  The registrant of common/ keeps a registration alive past the TTL
    fg_registrant_t *registrant = fg_registrant_new (locator.endpoint, "h-9", 400);
    Fogrid__Registration reg = FOGRID__REGISTRATION__INIT, *regs [1] = { &reg };
    Fogrid__Endpoint ep = FOGRID__ENDPOINT__INIT;
    ep.transport = "tcp";
    ep.host = "127.0.0.1";
    ep.port = 9900;
    reg.name = "kept";
    reg.endpoint = &ep;
    fg_registrant_set (registrant, regs, 1);
    zclock_sleep (1500);
    s_send_resolve (owner, 26, "kept", NULL, 0);
    CU_ASSERT_EQUAL (s_read_answer (owner, 26, NULL), 1);
    //  ... and withdraws it when it stops
    fg_registrant_destroy (&registrant);
    zclock_sleep (200);
    s_send_resolve (owner, 27, "kept", NULL, 0);
    CU_ASSERT_EQUAL (s_read_answer (owner, 27, NULL), -FG_E_NOT_FOUND);

    zsock_destroy (&owner);
    zsock_destroy (&watcher);
    s_locator_stop (&locator);
}

//  `fogrid watch` prints the endpoints at each change, pushed by the locator
static void
test_cli_watch (void)
{
    s_locator_t locator;
    s_locator_start (&locator, "5000");
    zsock_t *owner = s_client (&locator);
    char *dir = ts_tmpdir_new ("watch");
    ts_run (NULL, "%s --insecure -l %s watch --for 3 sum > %s/watch.out 2>&1 &",
            ts_bin ("fogrid"), locator.endpoint, dir);
    zclock_sleep (700);
    s_register (owner, "h-1", "sum", 1, 9000);
    zclock_sleep (500);
    s_register (owner, "h-2", "sum", 1, 9100);
    zclock_sleep (500);
    Fogrid__LocUnregister unregister = FOGRID__LOC_UNREGISTER__INIT;
    unregister.owner = "h-1";
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_LOC_UNREGISTER;
    env.loc_unregister = &unregister;
    fg_msg_send (owner, NULL, &env);
    fg_env_t *reply = s_recv (owner);
    fg_msg_free (&reply);
    zclock_sleep (2000);        //  the watch ends by itself after 3 s
    char *output = NULL;
    ts_run (&output, "cat %s/watch.out", dir);
    //  Not found, then 1, then 2, then 1 endpoint again
    char *first = strstr (output, "no live endpoint");
    char *one = first? strstr (first, "(1 endpoints)"): NULL;
    char *two = one? strstr (one, "(2 endpoints)"): NULL;
    char *again = two? strstr (two, "(1 endpoints)"): NULL;
    CU_ASSERT (first && one && two && again);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "tcp://127.0.0.1:9100"));
    if (!again)
        fprintf (stderr, "fogrid watch printed:\n%s\n", output);
    free (output);
    ts_tmpdir_remove (&dir);
    zsock_destroy (&owner);
    s_locator_stop (&locator);
}

static void
test_http_api (void)
{
    s_locator_t locator;
    s_locator_start (&locator, "5000");
    zsock_t *sock = s_client (&locator);
    s_register (sock, "h-1", "sum", 2, 9000);
    char *output = NULL;
    CU_ASSERT_EQUAL (ts_run (&output, "curl -sf http://127.0.0.1:%d/v1/services",
                             locator.http_port), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "\"name\": \"sum\""));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "\"endpoints\": 2"));
    free (output);
    CU_ASSERT_EQUAL (ts_run (&output, "curl -sf http://127.0.0.1:%d/v1/services/sum",
                             locator.http_port), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "\"port\": 9001"));
    free (output);
    //  Readable from the hub's dashboard, a page of another origin
    CU_ASSERT_EQUAL (ts_run (&output, "curl -sfi http://127.0.0.1:%d/v1/services/sum",
                             locator.http_port), 0);
    CU_ASSERT_PTR_NOT_NULL (strcasestr (output, "Access-Control-Allow-Origin: *"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "\"result\": \"a number\""));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "\"owner\": \"h-1\""));
    free (output);
    CU_ASSERT_EQUAL (ts_run (&output, "curl -s -w ' %%{http_code}' "
                             "http://127.0.0.1:%d/v1/services/nothing", locator.http_port), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "no live endpoint"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, " 404"));
    free (output);
    CU_ASSERT_EQUAL (ts_run (&output, "curl -s -w ' %%{http_code}' -X POST "
                             "http://127.0.0.1:%d/v1/services", locator.http_port), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, " 405"));
    free (output);
    CU_ASSERT_EQUAL (ts_run (&output, "curl -sf http://127.0.0.1:%d/v1/health",
                             locator.http_port), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "\"owners\": 1"));
    free (output);
    CU_ASSERT_EQUAL (ts_run (&output, "curl -sf http://127.0.0.1:%d/healthz", locator.http_port), 0);
    CU_ASSERT_STRING_EQUAL (output, "ok\n");
    free (output);

    //  Metrics: the counts are the registry's, and promtool accepts the page
    s_send_resolve (sock, 31, "sum", NULL, 0);
    CU_ASSERT_EQUAL (s_read_answer (sock, 31, NULL), 2);
    CU_ASSERT_EQUAL (ts_run (&output, "curl -sf http://127.0.0.1:%d/metrics", locator.http_port), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "\nfogrid_locator_endpoints 2\n"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "fogrid_locator_requests_total{kind=\"resolve\"} 1\n"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "fogrid_locator_resolve_seconds_count 1\n"));
    free (output);
    if (ts_run (NULL, "command -v promtool >/dev/null 2>&1") == 0) {
        int rc = ts_run (&output, "curl -sf http://127.0.0.1:%d/metrics | promtool check metrics",
                         locator.http_port);
        CU_ASSERT_EQUAL (rc, 0);
        if (rc)
            fprintf (stderr, "promtool: %s\n", output);
        free (output);
    }
    else
        printf ("\n    (promtool not installed: the metrics format check is skipped) ");
    zsock_destroy (&sock);
    s_locator_stop (&locator);
}

//  A DNS query for name/type with id 0x1234, as bytes.
static size_t
s_dns_query (uint8_t *buffer, const char *name, uint16_t type)
{
    uint8_t header [12] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
    memcpy (buffer, header, 12);
    size_t at = 12;
    const char *label = name;
    while (*label) {
        const char *dot = strchr (label, '.');
        size_t length = dot? (size_t) (dot - label): strlen (label);
        buffer [at++] = (uint8_t) length;
        memcpy (buffer + at, label, length);
        at += length;
        label += length + (dot? 1: 0);
    }
    buffer [at++] = 0;
    buffer [at++] = (uint8_t) (type >> 8);
    buffer [at++] = (uint8_t) type;
    buffer [at++] = 0;
    buffer [at++] = 1;
    return at;
}

static void
test_dns (void)
{
    s_locator_t locator;
    s_locator_start (&locator, "5000");
    zsock_t *sock = s_client (&locator);
    s_register (sock, "h-1", "sum", 3, 9000);
    int udp = socket (AF_INET, SOCK_DGRAM, 0);
    struct timeval wait = { 3, 0 };
    setsockopt (udp, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons (locator.dns_port) };
    inet_pton (AF_INET, "127.0.0.1", &to.sin_addr);
    uint8_t query [512], reply [4096];

    //  SRV for a live name: NOERROR, 3 answers
    size_t size = s_dns_query (query, "sum.service.fogrid", 33);
    sendto (udp, query, size, 0, (struct sockaddr *) &to, sizeof to);
    ssize_t got = recv (udp, reply, sizeof reply, 0);
    CU_ASSERT_FATAL (got >= 12);
    CU_ASSERT (reply [0] == 0x12 && reply [1] == 0x34);
    CU_ASSERT_EQUAL (reply [3] & 0x0f, 0);              //  NOERROR
    CU_ASSERT_EQUAL ((reply [6] << 8) | reply [7], 3);  //  answers
    //  Unknown name: NXDOMAIN
    size = s_dns_query (query, "nothing.service.fogrid", 33);
    sendto (udp, query, size, 0, (struct sockaddr *) &to, sizeof to);
    got = recv (udp, reply, sizeof reply, 0);
    CU_ASSERT_FATAL (got >= 12);
    CU_ASSERT_EQUAL (reply [3] & 0x0f, 3);
    //  Garbage is answered with FORMERR or dropped, and the server lives on
    sendto (udp, "\x12\x34\x01", 3, 0, (struct sockaddr *) &to, sizeof to);
    size = s_dns_query (query, "sum.service.fogrid", 1);
    sendto (udp, query, size, 0, (struct sockaddr *) &to, sizeof to);
    bool answered = false;
    for (int tries = 0; tries < 2 && !answered; tries++) {
        got = recv (udp, reply, sizeof reply, 0);
        answered = got >= 12 && ((reply [6] << 8) | reply [7]) == 1;    //  one A record
    }
    CU_ASSERT (answered);
    close (udp);

    //  The same over TCP, with its length prefix
    int tcp = socket (AF_INET, SOCK_STREAM, 0);
    setsockopt (tcp, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    CU_ASSERT_EQUAL_FATAL (connect (tcp, (struct sockaddr *) &to, sizeof to), 0);
    size = s_dns_query (query + 2, "sum.service.fogrid", 33);
    query [0] = (uint8_t) (size >> 8);
    query [1] = (uint8_t) size;
    CU_ASSERT_EQUAL (send (tcp, query, size + 2, 0), (ssize_t) size + 2);
    size_t have = 0;
    while (have < 14 && (got = recv (tcp, reply + have, sizeof reply - have, 0)) > 0)
        have += (size_t) got;
    CU_ASSERT_FATAL (have >= 14);
    CU_ASSERT_EQUAL ((reply [2 + 6] << 8) | reply [2 + 7], 3);
    close (tcp);

    //  dig, when installed, must be happy with the answer
    if (ts_run (NULL, "command -v dig >/dev/null 2>&1") == 0) {
        char *output = NULL;
        CU_ASSERT_EQUAL (ts_run (&output, "dig +tcp +short @127.0.0.1 -p %d SRV "
                                 "sum.service.fogrid.", locator.dns_port), 0);
        CU_ASSERT_PTR_NOT_NULL (strstr (output, " 9002 "));
        free (output);
        CU_ASSERT_EQUAL (ts_run (&output, "dig @127.0.0.1 -p %d A nothing.service.fogrid.",
                                 locator.dns_port), 0);
        CU_ASSERT_PTR_NOT_NULL (strstr (output, "NXDOMAIN"));
        free (output);
    }
    else
        printf ("\n    (dig not installed: its part of the DNS test is skipped) ");
    zsock_destroy (&sock);
    s_locator_stop (&locator);
}

//  UDP answers are limited per address (locator/dns_rate); TCP is not
static void
test_dns_rate (void)
{
    s_locator_t locator;
    s_locator_start_with (&locator, "locator/dns_rate", "5");
    int udp = socket (AF_INET, SOCK_DGRAM, 0);
    struct timeval wait = { 1, 0 };
    setsockopt (udp, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons (locator.dns_port) };
    inet_pton (AF_INET, "127.0.0.1", &to.sin_addr);
    uint8_t query [512], reply [4096];
    size_t size = s_dns_query (query, "nothing.service.fogrid", 33);
    //  40 at once: a burst of 10 and what 5/s earns meanwhile are answered
    int64_t start = zclock_mono ();
    for (int index = 0; index < 40; index++)
        sendto (udp, query, size, 0, (struct sockaddr *) &to, sizeof to);
    int answered = 0;
    while (recv (udp, reply, sizeof reply, 0) >= 12)
        answered++;
    int64_t elapsed_s = (zclock_mono () - start) / 1000 + 1;
    CU_ASSERT (answered >= 10 && answered <= 10 + 5 * elapsed_s);
    //  ... and later it is answered again
    zclock_sleep (1000);
    sendto (udp, query, size, 0, (struct sockaddr *) &to, sizeof to);
    ssize_t got = recv (udp, reply, sizeof reply, 0);
    CU_ASSERT (got >= 12 && (reply [3] & 0x0f) == 3);       //  NXDOMAIN
    close (udp);
    //  What went unanswered is counted
    CU_ASSERT_EQUAL (s_metric (&locator, "fogrid_locator_dns_limited_total"), 40 - answered);
    s_locator_stop (&locator);
}

static void
test_program (void)
{
    char *dir = ts_tmpdir_new ("locator");
    char *output = NULL;
    const char *locator = ts_bin ("fogrid-locator");
    CU_ASSERT_EQUAL (ts_run (&output, "%s --help", locator), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "--bind"));
    free (output);
    CU_ASSERT_EQUAL (ts_run (&output, "%s -t -o locator/default_policy=fastest", locator), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "locator/default_policy"));
    free (output);
    CU_ASSERT_EQUAL (ts_run (&output, "%s -t --dns nowhere", locator), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "locator/dns"));
    free (output);
    CU_ASSERT_EQUAL (ts_run (&output, "%s -t -o locator/dns_domain=Fogrid", locator), 1);
    free (output);
    CU_ASSERT_EQUAL (ts_run (&output, "%s -t", locator), 0);
    free (output);

    //  Starts, makes its keys, stops on SIGTERM with status 0
    int port = ts_free_port ();
    char bind [64], data [600];
    snprintf (bind, sizeof bind, "tcp://127.0.0.1:%d", port);
    snprintf (data, sizeof data, "%s/data", dir);
    ts_proc_t *proc = ts_proc_start (dir, "locator", "fogrid-locator", "--bind", bind,
                                     "--dns", "127.0.0.1:0", "--http", "127.0.0.1:0",
                                     "--data", data, NULL);
    char key [700];
    snprintf (key, sizeof key, "%s/keys/locator.key", data);
    for (int tries = 0; tries < 100 && !zsys_file_exists (key); tries++)
        zclock_sleep (50);
    CU_ASSERT (zsys_file_exists (key));
    zclock_sleep (200);
    //  The CLI resolves through it with its key
    CU_ASSERT_EQUAL (ts_run (&output, "HOME=%s %s -l %s -K %s resolve hub", dir,
                             ts_bin ("fogrid"), bind, key), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "not found"));
    if (!strstr (output, "not found"))
        fprintf (stderr, "resolve said: %s\n", output);
    free (output);
    CU_ASSERT_EQUAL (ts_proc_stop (&proc, 3000), 0);
    //  A port that is taken is a clear error, not a hang
    ts_proc_t *first = ts_proc_start (dir, "first", "fogrid-locator", "--bind", bind,
                                      "--dns", "", "--http", "", "--data", data, NULL);
    zclock_sleep (300);
    CU_ASSERT_EQUAL (ts_run (&output, "%s --bind %s --dns '' --http '' --data %s/other", locator,
                             bind, dir), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "cannot bind"));
    free (output);
    CU_ASSERT_EQUAL (ts_proc_stop (&first, 3000), 0);
    ts_tmpdir_remove (&dir);
}

//  Two locator processes sharing one key pair, a hub registered in both:
//  killing either one does not stop buyers from resolving; killing the
//  hub makes its name expire after its TTL.
static void
test_two_locators (void)
{
    char *dir = ts_tmpdir_new ("locators");
    char keys [600], keys_opt [700], key_opt [700], binds [2][64], both [140], hub_data [600];
    snprintf (keys, sizeof keys, "%s/locator.key", dir);
    snprintf (keys_opt, sizeof keys_opt, "security/keys=%s", keys);
    snprintf (key_opt, sizeof key_opt, "security/locator_key=%s", keys);
    snprintf (hub_data, sizeof hub_data, "%s/hub", dir);
    CU_ASSERT_EQUAL_FATAL (ts_run (NULL, "%s keygen %s 2>/dev/null >/dev/null",
                                   ts_bin ("fogrid"), keys), 0);
    ts_proc_t *locators [2];
    for (int index = 0; index < 2; index++) {
        snprintf (binds [index], sizeof binds [index], "tcp://127.0.0.1:%d", ts_free_port ());
        char name [32];
        snprintf (name, sizeof name, "locator%d", index + 1);
        locators [index] = ts_proc_start (dir, name, "fogrid-locator", "--bind", binds [index],
                                          "--dns", "", "--http", "", "-o", keys_opt, NULL);
    }
    snprintf (both, sizeof both, "%s,%s", binds [0], binds [1]);
    char buyers [64], miners [64];
    snprintf (buyers, sizeof buyers, "tcp://127.0.0.1:%d", ts_free_port ());
    snprintf (miners, sizeof miners, "tcp://127.0.0.1:%d", ts_free_port ());
    ts_proc_t *hub = ts_proc_start (dir, "hub", "fogrid-hub", "--buyers", buyers,
                                    "--miners", miners, "--locator", both, "--data", hub_data,
                                    "-o", key_opt, "-o", "locator/ttl_ms=1000", NULL);
    //  Each locator knows the hub on its own
    for (int index = 0; index < 2; index++) {
        bool known = false;
        for (int tries = 0; tries < 60 && !known; tries++) {
            known = ts_run (NULL, "HOME=%s %s -l %s -K %s resolve hub >/dev/null 2>&1", dir,
                            ts_bin ("fogrid"), binds [index], keys) == 0;
            if (!known)
                zclock_sleep (100);
        }
        CU_ASSERT (known);
    }
    //  Another key cannot withdraw or take over the hub's names
    char *answer = NULL;
    CU_ASSERT_EQUAL (ts_run (&answer, "HOME=%s %s -l %s -K %s resolve hub", dir,
                             ts_bin ("fogrid"), binds [0], keys), 0);
    char *owner_at = answer? strstr (answer, "owner "): NULL;
    char owner [64] = "";
    if (owner_at)
        sscanf (owner_at + 6, "%63s", owner);
    free (answer);
    CU_ASSERT (strncmp (owner, "h-", 2) == 0);
    char server_key [64];
    CU_ASSERT_EQUAL_FATAL (fg_security_read_key (keys, server_key), 0);
    zsock_t *intruder = zsock_new (ZMQ_DEALER);
    zcert_t *cert = zcert_new ();
    zcert_apply (cert, intruder);
    zcert_destroy (&cert);
    zsock_set_curve_serverkey (intruder, server_key);
    zsock_set_rcvtimeo (intruder, 3000);
    zsock_connect (intruder, "%s", binds [0]);
    Fogrid__LocUnregister unregister = FOGRID__LOC_UNREGISTER__INIT;
    unregister.owner = owner;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = 41;
    env.body_case = FOGRID__ENVELOPE__BODY_LOC_UNREGISTER;
    env.loc_unregister = &unregister;
    fg_msg_send (intruder, NULL, &env);
    fg_env_t *reply = s_recv (intruder);
    CU_ASSERT (reply && reply->body_case == FOGRID__ENVELOPE__BODY_ERROR
               && reply->error->code == FG_E_DENIED);
    fg_msg_free (&reply);
    Fogrid__LocRegister take = FOGRID__LOC_REGISTER__INIT;
    Fogrid__Registration reg = FOGRID__REGISTRATION__INIT, *regs [1] = { &reg };
    Fogrid__Endpoint ep = FOGRID__ENDPOINT__INIT;
    ep.transport = "tcp";
    ep.host = "127.0.0.1";
    ep.port = 1;
    reg.name = "hub";
    reg.endpoint = &ep;
    take.owner = owner;
    take.regs = regs;
    take.n_regs = 1;
    env.seq = 42;
    env.body_case = FOGRID__ENVELOPE__BODY_LOC_REGISTER;
    env.loc_register = &take;
    fg_msg_send (intruder, NULL, &env);
    reply = s_recv (intruder);
    CU_ASSERT (reply && reply->body_case == FOGRID__ENVELOPE__BODY_ERROR
               && reply->error->code == FG_E_DENIED);
    fg_msg_free (&reply);
    zsock_destroy (&intruder);
    CU_ASSERT_EQUAL (ts_run (&answer, "HOME=%s %s -l %s -K %s resolve hub", dir,
                             ts_bin ("fogrid"), binds [0], keys), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (answer, buyers));
    CU_ASSERT_PTR_NULL (strstr (answer, "127.0.0.1:1 "));
    free (answer);

    //  Kill the first: resolving through the pair still works, in bounded time
    ts_proc_kill (&locators [0]);
    int64_t start = zclock_mono ();
    char *output = NULL;
    CU_ASSERT_EQUAL (ts_run (&output, "HOME=%s %s -T 1000 -l %s -K %s resolve hub", dir,
                             ts_bin ("fogrid"), both, keys), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, buyers));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, binds [1]));    //  answered by the second
    free (output);
    CU_ASSERT (zclock_mono () - start < 3000);
    //  The hub dies without unregistering: its registration expires after
    //  its TTL (1 s) and the name is not found any more
    ts_proc_kill (&hub);
    start = zclock_mono ();
    bool gone = false;
    while (!gone && zclock_mono () - start < 5000) {
        zclock_sleep (200);
        gone = ts_run (&output, "HOME=%s %s -T 1000 -l %s -K %s resolve hub", dir,
                       ts_bin ("fogrid"), binds [1], keys) == 1 && strstr (output, "not found");
        free (output);
    }
    CU_ASSERT (gone);
    CU_ASSERT (zclock_mono () - start < 3500);
    //  Both gone: a clear error, not a hang
    ts_proc_kill (&locators [1]);
    start = zclock_mono ();
    CU_ASSERT_EQUAL (ts_run (&output, "HOME=%s %s -T 500 -l %s -K %s resolve hub", dir,
                             ts_bin ("fogrid"), both, keys), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "none of the 2 locators answered"));
    free (output);
    CU_ASSERT (zclock_mono () - start < 3000);
    ts_tmpdir_remove (&dir);
}

//  ---------------------------------------------------------------------
//  A client over locator/rate is refused with RATE_LIMIT, others are not

static void
test_rate_limit (void)
{
    s_locator_t locator;
    s_locator_start_with (&locator, "locator/rate", "5");
    zsock_t *greedy = s_client (&locator), *other = s_client (&locator);
    //  30 resolves at once: a burst of 10 and what 5/s earns meanwhile
    //  are answered (NOT_FOUND: no such name), the rest refused
    int64_t start = zclock_mono ();
    for (uint64_t seq = 1; seq <= 30; seq++)
        s_send_resolve (greedy, seq, "nothing", "", 0);
    int answered = 0, limited = 0;
    for (uint64_t seq = 1; seq <= 30; seq++) {
        int got = s_read_answer (greedy, seq, NULL);
        if (got == -FG_E_NOT_FOUND)
            answered++;
        else
        if (got == -FG_E_RATE_LIMIT)
            limited++;
    }
    int64_t elapsed_s = (zclock_mono () - start) / 1000 + 1;
    CU_ASSERT_EQUAL (answered + limited, 30);
    CU_ASSERT (answered >= 10 && answered <= 10 + 5 * elapsed_s);
    CU_ASSERT (limited >= 30 - 10 - 5 * elapsed_s);
    //  Another client has its own bucket
    s_send_resolve (other, 100, "nothing", "", 0);
    CU_ASSERT_EQUAL (s_read_answer (other, 100, NULL), -FG_E_NOT_FOUND);
    //  ... and the greedy one earns its tokens back
    zclock_sleep (1000);
    s_send_resolve (greedy, 200, "nothing", "", 0);
    CU_ASSERT_EQUAL (s_read_answer (greedy, 200, NULL), -FG_E_NOT_FOUND);
    CU_ASSERT_EQUAL (s_metric (&locator, "fogrid_locator_rate_limited_total"), limited);
    zsock_destroy (&greedy);
    zsock_destroy (&other);
    s_locator_stop (&locator);
}

//  ---------------------------------------------------------------------
//  Every answer is one a strict protobuf runtime reads

//  A strict reader's view (written apart from fg_msg's): true when every
//  string field of msg, at any depth, is UTF-8, as Python's, Go's and
//  Java's runtimes insist.
static bool
s_strict (const ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    for (unsigned index = 0; index < desc->n_fields; index++) {
        const ProtobufCFieldDescriptor *field = &desc->fields [index];
        //  (only strings and messages are pointers: a number read as one
        //  would be a misaligned load)
        if (field->type != PROTOBUF_C_TYPE_STRING && field->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        const char *at = (const char *) msg + field->offset;
        if ((field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        &&  *(const uint32_t *) ((const char *) msg + field->quantifier_offset) != field->id)
            continue;
        size_t count = 1;
        void *const *items = (void *const *) at;
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            count = *(const size_t *) ((const char *) msg + field->quantifier_offset);
            items = *(void *const *const *) at;
        }
        for (size_t item = 0; item < count; item++) {
            if (!items [item])
                continue;
            if (field->type == PROTOBUF_C_TYPE_STRING && !fg_utf8_valid ((const char *) items [item]))
                return false;
            if (field->type == PROTOBUF_C_TYPE_MESSAGE && !s_strict ((const ProtobufCMessage *) items [item]))
                return false;
        }
    }
    return true;
}

static void
test_utf8_answers (void)
{
    s_locator_t locator;
    s_locator_start (&locator, "5000");
    zsock_t *sock = s_client (&locator);
    s_register (sock, "h-1", "sum", 1, 9000);
    //  A registration with a string that is not UTF-8: refused, naming it
    const char *fields [] = { "owner", "regs[0].protocol", "regs[0].tags[0]",
                              "regs[0].functions[0].args", "regs[0].endpoint.host" };
    for (int index = 0; index < 5; index++) {
        char *tags [] = { index == 2? "t\xe9": "t" };
        Fogrid__Function function = FOGRID__FUNCTION__INIT, *functions [] = { &function };
        function.name = "sum";
        function.args = index == 3? "numb\xc3rs": "numbers";
        Fogrid__Endpoint endpoint = FOGRID__ENDPOINT__INIT;
        endpoint.transport = "tcp";
        endpoint.host = index == 4? "h\xff": "127.0.0.1";
        endpoint.port = 9100;
        Fogrid__Registration reg = FOGRID__REGISTRATION__INIT, *regs [] = { &reg };
        reg.name = "mean";
        reg.endpoint = &endpoint;
        reg.protocol = index == 1? "caf\xe9 protocol": "protocol";
        reg.functions = functions;
        reg.n_functions = 1;
        reg.tags = tags;
        reg.n_tags = 1;
        Fogrid__LocRegister msg = FOGRID__LOC_REGISTER__INIT;
        msg.owner = index == 0? "h-\xff": "h-2";
        msg.regs = regs;
        msg.n_regs = 1;
        fg_env_t env = FOGRID__ENVELOPE__INIT;
        env.seq = 40 + (uint64_t) index;
        env.body_case = FOGRID__ENVELOPE__BODY_LOC_REGISTER;
        env.loc_register = &msg;
        fg_msg_send (sock, NULL, &env);
        fg_env_t *reply = s_recv (sock);
        CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
        CU_ASSERT_TRUE (s_strict (&reply->base));
        CU_ASSERT_EQUAL_FATAL (reply->body_case, FOGRID__ENVELOPE__BODY_ERROR);
        CU_ASSERT_EQUAL (reply->error->code, FG_E_INVALID);
        char said [100];
        snprintf (said, sizeof said, "%s is not UTF-8", fields [index]);
        CU_ASSERT_PTR_NOT_NULL (strstr (reply->error->text, said));
        fg_msg_free (&reply);
    }
    s_send_resolve (sock, 50, "mean", NULL, 0);
    CU_ASSERT_EQUAL (s_read_answer (sock, 50, NULL), -FG_E_NOT_FOUND);
    //  Errors that quote a name, whole or cut inside a character
    char long_name [300] = "";
    for (int index = 0; index < 100; index++)
        strcat (long_name, "\xc3\xa9");
    const char *names [] = { "s\xff\xfe", long_name };
    for (int index = 0; index < 2; index++) {
        s_send_resolve (sock, 60 + (uint64_t) index, names [index], NULL, 0);
        fg_env_t *reply = s_recv (sock);
        CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
        CU_ASSERT_EQUAL (reply->body_case, FOGRID__ENVELOPE__BODY_ERROR);
        CU_ASSERT_TRUE (s_strict (&reply->base));
        fg_msg_free (&reply);
    }
    s_send_resolve (sock, 62, "sum", "fast\xe9st", 0);
    fg_env_t *reply = s_recv (sock);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_INVALID);
    CU_ASSERT_TRUE (s_strict (&reply->base));
    fg_msg_free (&reply);
    //  What was registered reads strictly
    s_send_resolve (sock, 63, "sum", NULL, 0);
    reply = s_recv (sock);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL (reply->body_case, FOGRID__ENVELOPE__BODY_LOC_ENDPOINTS);
    CU_ASSERT_TRUE (s_strict (&reply->base));
    fg_msg_free (&reply);
    zsock_destroy (&sock);
    s_locator_stop (&locator);
}

void
test_loc_server_add (void)
{
    ts_add_suite ("loc_server",
        "resolve: pages, LocDone, errors", test_resolve_exchange,
        "watches and expiry", test_watch_and_expiry,
        "fogrid watch follows changes", test_cli_watch,
        "HTTP JSON API", test_http_api,
        "DNS over UDP and TCP", test_dns,
        "DNS over UDP: answers per address are limited", test_dns_rate,
        "the fogrid-locator program", test_program,
        "two locators, one killed", test_two_locators,
        "a client over locator/rate is refused, others are not", test_rate_limit,
        "every answer holds UTF-8 strings, whatever bytes came in", test_utf8_answers,
        NULL);
}
