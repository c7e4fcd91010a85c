/*  =========================================================================
    bench_locator - resolves per second and latency, through the locator's
    ZeroMQ API and through its DNS port, each beside its own ceiling

    usage: bench_locator [--count N] [--endpoints E] [--bin DIR]

    A real fogrid-locator process (plain-text sockets) holds one name with
    E endpoints. One client resolves it N times in a row:
      1. ZeroMQ API: fg_resolver (LocResolve, one LocEndpoints page, LocDone)
      2. ZeroMQ ceiling: an echo server in this process answering each
         request with two messages of the same sizes as the locator's
         answer (the cost of the transport alone)
      3. DNS: an SRV query over UDP
      4. UDP ceiling: an echo process answering with a datagram of the DNS
         answer's size
    Each line gives resolves per second and p50/p99 latency; the ratio to
    its ceiling is the locator's own cost, comparable across machines.
    =========================================================================  */
#include "bench.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#define S_ROUNDS 10

typedef struct {
    const char *name;
    int64_t *latency_us;
    size_t done;
    double seconds;
} s_run_t;

static void
s_report (s_run_t *run, s_run_t *ceiling)
{
    double rate = run->seconds > 0? (double) run->done / run->seconds: 0;
    double ceiling_rate = ceiling && ceiling->seconds > 0
                        ? (double) ceiling->done / ceiling->seconds: 0;
    printf ("%-30s %10.0f %10.1f %10.1f", run->name, rate,
            bench_percentile (run->latency_us, run->done, 50),
            bench_percentile (run->latency_us, run->done, 99));
    if (ceiling && ceiling_rate > 0)
        printf (" %11.1f%%", 100.0 * rate / ceiling_rate);
    printf ("\n");
}

//  --------------------------------------------------------------------------
//  The locator's side

static void
s_register (const char *endpoint, int endpoints)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    zsock_set_rcvtimeo (sock, 3000);
    zsock_connect (sock, "%s", endpoint);
    Fogrid__LocRegister msg = FOGRID__LOC_REGISTER__INIT;
    Fogrid__Registration *regs = (Fogrid__Registration *) zmalloc (sizeof (Fogrid__Registration)
                                                                    * (size_t) endpoints);
    Fogrid__Registration **pointers = (Fogrid__Registration **) zmalloc (sizeof (void *)
                                                                         * (size_t) endpoints);
    Fogrid__Endpoint *eps = (Fogrid__Endpoint *) zmalloc (sizeof (Fogrid__Endpoint)
                                                          * (size_t) endpoints);
    Fogrid__Function function = FOGRID__FUNCTION__INIT, *functions [1] = { &function };
    function.name = "echo";
    function.args = "text";
    function.result = "the same text";
    for (int index = 0; index < endpoints; index++) {
        fogrid__registration__init (&regs [index]);
        fogrid__endpoint__init (&eps [index]);
        eps [index].transport = "tcp";
        eps [index].host = "127.0.0.1";
        eps [index].port = (uint32_t) (20000 + index);
        regs [index].name = "echo";
        regs [index].endpoint = &eps [index];
        regs [index].protocol_version = 1;
        regs [index].functions = functions;
        regs [index].n_functions = 1;
        pointers [index] = &regs [index];
    }
    msg.owner = "bench";
    msg.ttl_ms = 60000;
    msg.regs = pointers;
    msg.n_regs = (size_t) endpoints;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_LOC_REGISTER;
    env.loc_register = &msg;
    for (int tries = 0; tries < 50; tries++) {
        fg_msg_send (sock, NULL, &env);
        fg_error_t error;
        fg_env_t *reply = fg_msg_recv (sock, NULL, &error, NULL);
        bool ok = reply && reply->body_case == FOGRID__ENVELOPE__BODY_OK;
        fg_msg_free (&reply);
        if (ok)
            break;
    }
    free (regs);
    free (pointers);
    free (eps);
    zsock_destroy (&sock);
}

static void
s_zmq_api (fg_resolver_t *resolver, s_run_t *run, int count)
{
    int64_t start = zclock_usecs ();
    for (int index = 0; index < count; index++) {
        int64_t before = zclock_usecs ();
        fg_resolution_t *res = NULL;
        if (fg_resolver_resolve (resolver, "echo", "round-robin", &res) != FG_OK)
            break;
        run->latency_us [run->done++] = zclock_usecs () - before;
        fg_resolution_destroy (&res);
    }
    run->seconds += (double) (zclock_usecs () - start) / 1e6;
}

//  The sizes of one request and its answer, for the ceiling
static void
s_zmq_sizes (const char *endpoint, size_t *sizes)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    zsock_set_rcvtimeo (sock, 2000);
    zsock_connect (sock, "%s", endpoint);
    Fogrid__LocResolve resolve = FOGRID__LOC_RESOLVE__INIT;
    resolve.name = "echo";
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_LOC_RESOLVE;
    env.loc_resolve = &resolve;
    fg_msg_send (sock, NULL, &env);
    sizes [0] = fogrid__envelope__get_packed_size (&env) + 2;
    for (int part = 1; part <= 2; part++) {
        zframe_t *frame = zframe_recv (sock);
        sizes [part] = frame? zframe_size (frame): 0;
        zframe_destroy (&frame);
    }
    zsock_destroy (&sock);
}

//  --------------------------------------------------------------------------
//  The ceilings

static void
s_zmq_echo (zsock_t *pipe, void *args)
{
    size_t *sizes = (size_t *) args;
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    int port = zsock_bind (router, "tcp://127.0.0.1:*");
    zsock_signal (pipe, 0);
    zsock_send (pipe, "i", port);
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    byte *page = (byte *) zmalloc (sizes [1] + 1), *done = (byte *) zmalloc (sizes [2] + 1);
    while (zpoller_wait (poller, -1) == router) {
        zmsg_t *msg = zmsg_recv (router);
        zframe_t *peer = zmsg_pop (msg);
        zframe_t *copy = zframe_dup (peer);
        zframe_send (&peer, router, ZFRAME_MORE);
        zframe_t *frame = zframe_new (page, sizes [1]);
        zframe_send (&frame, router, 0);
        zframe_send (&copy, router, ZFRAME_MORE);
        frame = zframe_new (done, sizes [2]);
        zframe_send (&frame, router, 0);
        zmsg_destroy (&msg);
    }
    free (page);
    free (done);
    zpoller_destroy (&poller);
    zsock_destroy (&router);
}

static void
s_zmq_ceiling (zsock_t *sock, s_run_t *run, int count, size_t *sizes)
{
    byte *request = (byte *) zmalloc (sizes [0] + 1);
    int64_t start = zclock_usecs ();
    for (int index = 0; index < count; index++) {
        int64_t before = zclock_usecs ();
        zframe_t *frame = zframe_new (request, sizes [0]);
        zframe_send (&frame, sock, 0);
        zframe_t *first = zframe_recv (sock), *second = zframe_recv (sock);
        bool ok = first && second;
        zframe_destroy (&first);
        zframe_destroy (&second);
        if (!ok)
            break;
        run->latency_us [run->done++] = zclock_usecs () - before;
    }
    run->seconds += (double) (zclock_usecs () - start) / 1e6;
    free (request);
}

//  A DNS SRV query for echo.service.fogrid.
static size_t
s_dns_query (uint8_t *buffer, uint16_t id)
{
    static const uint8_t name [] = "\x04" "echo" "\x07" "service" "\x06" "fogrid";
    uint8_t header [12] = { (uint8_t) (id >> 8), (uint8_t) id, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
    memcpy (buffer, header, 12);
    memcpy (buffer + 12, name, sizeof name);      //  includes the root's 0
    size_t at = 12 + sizeof name;
    buffer [at++] = 0;
    buffer [at++] = 33;     //  SRV
    buffer [at++] = 0;
    buffer [at++] = 1;      //  IN
    return at;
}

static size_t
s_udp_run (int port, s_run_t *run, int count)
{
    int sock = socket (AF_INET, SOCK_DGRAM, 0);
    struct timeval wait = { 2, 0 };
    setsockopt (sock, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    inet_pton (AF_INET, "127.0.0.1", &to.sin_addr);
    connect (sock, (struct sockaddr *) &to, sizeof to);
    uint8_t query [512], reply [4096];
    size_t answer_size = 0;
    int64_t start = zclock_usecs ();
    for (int index = 0; index < count; index++) {
        int64_t before = zclock_usecs ();
        size_t size = s_dns_query (query, (uint16_t) index);
        if (send (sock, query, size, 0) < 0)
            break;
        ssize_t got = recv (sock, reply, sizeof reply, 0);
        if (got < 12)
            break;
        answer_size = (size_t) got;
        run->latency_us [run->done++] = zclock_usecs () - before;
    }
    run->seconds += (double) (zclock_usecs () - start) / 1e6;
    close (sock);
    return answer_size;
}

//  The UDP ceiling runs in a child process, as the locator does, with a
//  plain blocking loop: nothing between the datagram and its answer.
static pid_t
s_udp_echo_start (size_t answer_size, int *port_p)
{
    int sock = socket (AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in where = { .sin_family = AF_INET };
    inet_pton (AF_INET, "127.0.0.1", &where.sin_addr);
    bind (sock, (struct sockaddr *) &where, sizeof where);
    socklen_t length = sizeof where;
    getsockname (sock, (struct sockaddr *) &where, &length);
    *port_p = ntohs (where.sin_port);
    pid_t child = fork ();
    if (child == 0) {
        uint8_t buffer [4096];
        while (true) {
            struct sockaddr_storage from;
            socklen_t from_size = sizeof from;
            ssize_t got = recvfrom (sock, buffer, sizeof buffer, 0, (struct sockaddr *) &from,
                                    &from_size);
            if (got > 0)
                sendto (sock, buffer, answer_size, 0, (struct sockaddr *) &from, from_size);
        }
    }
    close (sock);
    return child;
}

int
main (int argc, char *argv [])
{
    int count = 20000, endpoints = 10;
    const char *bin_dir = NULL;
    for (int index = 1; index < argc; index++) {
        if (streq (argv [index], "--count") && index + 1 < argc)
            count = atoi (argv [++index]);
        else
        if (streq (argv [index], "--endpoints") && index + 1 < argc)
            endpoints = atoi (argv [++index]);
        else
        if (streq (argv [index], "--bin") && index + 1 < argc)
            bin_dir = argv [++index];
        else {
            fprintf (stderr, "usage: bench_locator [--count N] [--endpoints E] [--bin DIR]\n");
            return 2;
        }
    }
    if (count < 100 || count > 10000000 || endpoints < 1 || endpoints > 50) {
        fprintf (stderr, "bench_locator: --count must be 100..10000000, --endpoints 1..50\n");
        return 2;
    }
    zsys_init ();
    zsys_set_logstream (NULL);
    char self_dir [1024] = ".";
    if (!bin_dir) {
        ssize_t length = readlink ("/proc/self/exe", self_dir, sizeof self_dir - 1);
        if (length > 0) {
            self_dir [length] = 0;
            *strrchr (self_dir, '/') = 0;
        }
        bin_dir = self_dir;
    }
    char dir [] = "/tmp/fogrid-bench-locator-XXXXXX";
    if (!mkdtemp (dir)) {
        fprintf (stderr, "bench_locator: cannot make a temp dir\n");
        return 1;
    }
    char program [1100], bind [64], dns [64], data [128];
    snprintf (program, sizeof program, "%s/fogrid-locator", bin_dir);
    int port = bench_free_port (), dns_port = bench_free_port ();
    snprintf (bind, sizeof bind, "tcp://127.0.0.1:%d", port);
    snprintf (dns, sizeof dns, "127.0.0.1:%d", dns_port);
    snprintf (data, sizeof data, "%s/locator", dir);
    //  No per-client rate limits: one client measures the locator's own speed
    char *locator_argv [] = { program, "--bind", bind, "--dns", dns, "--http", "",
                              "--data", data, "-o", "security/insecure=1",
                              "-o", "locator/rate=0", "-o", "locator/dns_rate=0", NULL };
    pid_t locator = bench_spawn (dir, "locator.log", locator_argv);
    s_register (bind, endpoints);

    printf ("resolving one name with %d endpoints, %d times in a row, one client; the four\n"
            "runs take turns in %d rounds so that the machine's noise hits them alike\n\n",
            endpoints, count, S_ROUNDS);
    s_run_t runs [4] = {
        { "locator, ZeroMQ API", NULL, 0, 0 }, { "zeromq echo (ceiling)", NULL, 0, 0 },
        { "locator, DNS SRV over UDP", NULL, 0, 0 }, { "udp echo (ceiling)", NULL, 0, 0 } };
    for (int index = 0; index < 4; index++)
        runs [index].latency_us = (int64_t *) zmalloc (sizeof (int64_t) * (size_t) count);
    size_t sizes [3] = { 0, 0, 0 };
    s_zmq_sizes (bind, sizes);
    zactor_t *zmq_echo = zactor_new (s_zmq_echo, sizes);
    int echo_port = 0;
    zsock_recv (zmq_echo, "i", &echo_port);
    zsock_t *echo_sock = zsock_new (ZMQ_DEALER);
    zsock_set_rcvtimeo (echo_sock, 2000);
    zsock_connect (echo_sock, "tcp://127.0.0.1:%d", echo_port);
    fg_resolver_t *resolver = fg_resolver_new (bind, 2000);
    s_run_t probe = { "probe", (int64_t *) zmalloc (sizeof (int64_t)), 0, 0 };
    size_t answer_size = s_udp_run (dns_port, &probe, 1);
    free (probe.latency_us);
    int udp_port = 0;
    pid_t udp_echo = s_udp_echo_start (answer_size? answer_size: 100, &udp_port);
    int per_round = count / S_ROUNDS;
    for (int round = 0; round < S_ROUNDS; round++) {
        s_zmq_api (resolver, &runs [0], per_round);
        s_zmq_ceiling (echo_sock, &runs [1], per_round, sizes);
        s_udp_run (dns_port, &runs [2], per_round);
        s_udp_run (udp_port, &runs [3], per_round);
    }
    count = per_round * S_ROUNDS;
    fg_resolver_destroy (&resolver);
    zsock_destroy (&echo_sock);
    zactor_destroy (&zmq_echo);
    bench_stop (udp_echo);
    printf ("%-30s %10s %10s %10s %12s\n", "", "resolves/s", "p50 us", "p99 us", "vs ceiling");
    s_report (&runs [0], &runs [1]);
    s_report (&runs [1], NULL);
    s_report (&runs [2], &runs [3]);
    s_report (&runs [3], NULL);
    printf ("\nmessage sizes: request %zu, page %zu, done %zu bytes; DNS answer %zu bytes\n",
            sizes [0], sizes [1], sizes [2], answer_size);
    for (int index = 0; index < 4; index++) {
        if (runs [index].done < (size_t) count)
            printf ("%s: only %zu of %d answered\n", runs [index].name, runs [index].done, count);
        free (runs [index].latency_us);
    }
    bench_stop (locator);
    if (runs [0].done < (size_t) count || runs [2].done < (size_t) count) {
        char log [300];
        snprintf (log, sizeof log, "tail -n 20 %s/locator.log", dir);
        if (system (log)) {}
    }
    char command [128];
    snprintf (command, sizeof command, "rm -rf %s", dir);
    if (system (command)) {}
    return 0;
}
