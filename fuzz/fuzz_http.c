/*  =========================================================================
    fuzz_http - libFuzzer target for the HTTP request handlers

    Every daemon answers HTTP from its own loop through fg_http; this
    target serves the locator's pages (over a registry with a few names)
    and sends each input as the bytes of one connection: whatever arrives,
    the server must answer or close, never crash, hang or leak, and keep
    serving the next connection.
    =========================================================================  */
#include "fogrid.h"
#include "loc_registry.h"
#include "loc_http.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static loc_registry_t *s_registry;
static loc_stats_t s_stats;
static loc_http_context_t s_context;
static fg_http_t *s_http;
static int s_port;

static void
s_setup (void)
{
    zsys_set_logstream (NULL);
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
        __builtin_trap ();
    s_port = fg_http_port (s_http);
}

//  Runs the server until the client's socket has an answer or is closed,
//  for at most 500 ms; the start of the answer goes into head. Returns
//  true when the exchange ended.
static bool
s_exchange (int client, char *head, size_t head_size)
{
    int64_t deadline = zclock_mono () + 500;
    char buffer [65536];
    size_t have = 0;
    head [0] = 0;
    while (zclock_mono () < deadline) {
        zmq_pollitem_t items [64];
        size_t count = fg_http_items (s_http, items, 63);
        items [count++] = (zmq_pollitem_t) { NULL, client, ZMQ_POLLIN, 0 };
        zmq_poll (items, (int) count, 10);
        fg_http_handle (s_http);
        ssize_t got = recv (client, buffer, sizeof buffer, MSG_DONTWAIT);
        if (got > 0 && have + 1 < head_size) {
            size_t take = (size_t) got < head_size - have - 1? (size_t) got: head_size - have - 1;
            memcpy (head + have, buffer, take);
            have += take;
            head [have] = 0;
        }
        if (got == 0)
            return true;            //  answered (or refused) and closed
        if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return true;
    }
    return false;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_http)
        s_setup ();
    int client = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in where = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) s_port) };
    inet_pton (AF_INET, "127.0.0.1", &where.sin_addr);
    if (connect (client, (struct sockaddr *) &where, sizeof where))
        __builtin_trap ();          //  the server stopped listening
    if (size)
        send (client, data, size, MSG_NOSIGNAL);
    //  A whole request is answered as it is; anything else is given an end
    //  (no more bytes), so the server must decide now
    static const char s_good [] = "GET /v1/services HTTP/1.1\r\nHost: x\r\n\r\n";
    bool good = size == sizeof s_good - 1 && memcmp (data, s_good, size) == 0;
    if (!good)
        shutdown (client, SHUT_WR);
    char head [64];
    s_exchange (client, head, sizeof head);
    //  ... and a good request must get its answer
    if (good && strncmp (head, "HTTP/1.1 200", 12))
        __builtin_trap ();
    close (client);
    //  Let the server see the close, so connections never pile up
    for (int round = 0; round < 5; round++)
        fg_http_handle (s_http);
    return 0;
}
