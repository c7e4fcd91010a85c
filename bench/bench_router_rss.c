/*  =========================================================================
    bench_router_rss - what one connection costs a bare ZeroMQ ROUTER in
    memory, the floor under the hub's RSS per miner

    usage: bench_router_rss [--connections N] [--messages K]

    A ROUTER alone in this process, N DEALERs in a child process; each
    DEALER sends K messages of 60 bytes (a heartbeat's size), the ROUTER
    reads them all, and its RSS growth divided by N is printed. Nothing of
    the hub is in it: the stream engine's buffers, the pipes' message
    chunks and the socket's own tables only.
    =========================================================================  */
#include "bench.h"
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static long
s_rss_kb (void)
{
    FILE *file = fopen ("/proc/self/status", "r");
    char line [256];
    long rss = 0;
    while (file && fgets (line, sizeof line, file))
        if (strncmp (line, "VmRSS:", 6) == 0)
            rss = atol (line + 6);
    if (file)
        fclose (file);
    return rss;
}

int
main (int argc, char *argv [])
{
    int connections = 2000, messages = 60;
    for (int index = 1; index < argc; index++) {
        if (streq (argv [index], "--connections") && index + 1 < argc)
            connections = atoi (argv [++index]);
        else
        if (streq (argv [index], "--messages") && index + 1 < argc)
            messages = atoi (argv [++index]);
        else {
            fprintf (stderr, "usage: bench_router_rss [--connections N] [--messages K]\n");
            return 2;
        }
    }
    struct rlimit limit;
    getrlimit (RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit (RLIMIT_NOFILE, &limit);
    if (connections < 1 || messages < 0 || (rlim_t) (2 * connections + 64) > limit.rlim_cur) {
        fprintf (stderr, "bench_router_rss: --connections 1..%llu (two descriptors each in the "
                 "DEALERs' process), --messages 0 or more\n",
                 (unsigned long long) (limit.rlim_cur - 64) / 2);
        return 2;
    }
    int port = bench_free_port ();
    //  The child forks before this process has a ZeroMQ context
    pid_t child = fork ();
    if (child == 0) {
        zsys_init ();
        zsys_set_logstream (NULL);
        zsys_set_max_sockets ((size_t) connections + 16);
        zclock_sleep (500);
        zsock_t **dealers = (zsock_t **) zmalloc (sizeof (zsock_t *) * (size_t) connections);
        for (int index = 0; index < connections; index++) {
            dealers [index] = zsock_new (ZMQ_DEALER);
            zsock_connect (dealers [index], "tcp://127.0.0.1:%d", port);
        }
        char body [61];
        memset (body, 'x', 60);
        body [60] = 0;
        for (int round = 0; round < messages; round++) {
            for (int index = 0; index < connections; index++)
                zstr_send (dealers [index], body);
            zclock_sleep (5);
        }
        zclock_sleep (3000);
        for (int index = 0; index < connections; index++)
            zsock_destroy (&dealers [index]);
        free (dealers);
        _exit (0);
    }
    zsys_init ();
    zsys_set_logstream (NULL);
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    zsock_bind (router, "tcp://127.0.0.1:%d", port);
    long before = s_rss_kb ();
    long received = 0;
    int64_t end = zclock_mono () + 2500 + (int64_t) messages * 20;
    zsock_set_rcvtimeo (router, 100);
    while (zclock_mono () < end) {
        zmsg_t *msg = zmsg_recv (router);
        if (msg)
            received++;
        zmsg_destroy (&msg);
    }
    printf ("bare ROUTER: %d connections, %d messages each (%ld received): %.1f KiB of RSS per "
            "connection\n", connections, messages, received,
            (double) (s_rss_kb () - before) / connections);
    waitpid (child, NULL, 0);
    zsock_destroy (&router);
    return 0;
}
