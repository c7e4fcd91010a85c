/*  =========================================================================
    fuzz_http - libFuzzer target for the HTTP request handlers

    Every daemon answers HTTP from its own loop through fg_http; this
    target serves the locator's pages (over a registry with a few names)
    in its own thread and sends each input as the bytes of one connection,
    with the checks of fuzz_http_client.h: whatever arrives, the server
    must answer or close, never crash, hang or leak, and keep serving the
    next connection.
    =========================================================================  */
#include "fogrid.h"
#include "loc_registry.h"
#include "loc_http.h"
#include "fuzz_daemon.h"
#include "fuzz_http_client.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static loc_registry_t *s_registry;
static loc_stats_t s_stats;
static loc_http_context_t s_context;
static fg_http_t *s_http;
static int s_port;

static void
s_setup (void)
{
    fuzz_start ("fuzz_http");
    loc_registry_limits_t limits = {
        .default_ttl_ms = 3600000, .max_ttl_ms = 3600000, .max_per_owner = 8, .max_owners = 8
    };
    s_registry = loc_registry_new (&limits);
    Fogrid__Endpoint ep = FOGRID__ENDPOINT__INIT;
    ep.transport = "tcp";
    ep.host = "10.0.0.1";
    ep.port = 7000;
    Fogrid__Function function = FOGRID__FUNCTION__INIT, *functions [1] = { &function };
    function.name = "echo";
    function.args = "text";
    function.result = "text";
    Fogrid__Registration reg = FOGRID__REGISTRATION__INIT, *regs [1] = { &reg };
    reg.name = "echo";
    reg.endpoint = &ep;
    reg.functions = functions;
    reg.n_functions = 1;
    Fogrid__LocRegister msg = FOGRID__LOC_REGISTER__INIT;
    msg.owner = "h-1";
    msg.regs = regs;
    msg.n_regs = 1;
    char err [256];
    loc_registry_register (s_registry, &msg, fg_now_ms (), err, sizeof err);
    s_stats.started_ms = fg_now_ms ();
    s_context.registry = s_registry;
    s_context.stats = &s_stats;
    s_http = loc_http_new ("127.0.0.1:0", &s_context, err, sizeof err);
    if (!s_http)
        fuzz_fail ("%s", err);
    s_port = fg_http_port (s_http);
}

//  The server runs in this thread: polled with the client's socket
static void
s_drive (void *arg, int fd, short events, int wait_ms)
{
    (void) arg;
    zmq_pollitem_t items [65];
    size_t count = fg_http_items (s_http, items, 64);
    if (fd >= 0)
        items [count++] = (zmq_pollitem_t) { NULL, fd, events, 0 };
    zmq_poll (items, (int) count, wait_ms);
    fg_http_handle (s_http);
}

static const fuzz_http_good_t s_goods [] = {
    { "GET /v1/services HTTP/1.1\r\nHost: x\r\n\r\n", { 200 } },
    { "GET /v1/services/echo?policy=weighted HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      { 200 } },
    { "GET /v1/services/nothing HTTP/1.1\r\nHost: x\r\n\r\n", { 404 } },
    { "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n", { 200 } },
    { "GET /v1/registry HTTP/1.1\r\nHost: x\r\n\r\n", { 404 } },     //  none kept here
    { "GET /metrics HTTP/1.0\r\n\r\n", { 200 } },
    { "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\n\r\n",
      { 200, 200 } },
    { "POST /v1/services HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", { 405 } },
    { NULL, { 0 } }
};

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_http)
        s_setup ();
    fuzz_http_server_t server = {
        .port = s_port, .timeout_ms = 2000, .drive = s_drive, .goods = s_goods
    };
    fuzz_http_input (&server, data, size);
    return 0;
}
