/*  =========================================================================
    bench_refs - the machine's own bounds the fogrid rows are set against

    A bare posix_spawn + waitpid loop of /bin/true (bench_spawn's loop on
    main, here for the process runtime's row: the same parallelism as the
    grid's slots), and the bare DEALER/ROUTER round trip of one message
    (the floor of a one-in-flight submit-to-result latency, which takes
    at least two).
    =========================================================================  */
#include "bench.h"
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

double
bench_spawn_rate (int total, int parallel)
{
    char *argv [] = { "/bin/true", NULL };
    int started = 0, done = 0, running = 0;
    int64_t start = bench_now_us ();
    while (done < total) {
        while (running < parallel && started < total) {
            pid_t pid;
            if (posix_spawn (&pid, argv [0], NULL, NULL, argv, environ))
                return 0;
            started++;
            running++;
        }
        int status;
        if (waitpid (-1, &status, 0) > 0) {
            running--;
            done++;
        }
    }
    return (double) total * 1e6 / (double) (bench_now_us () - start);
}

static void
s_echo (zsock_t *pipe, void *args)
{
    zsock_t *router = (zsock_t *) args;
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which != router)
            break;
        zmsg_t *msg = zmsg_recv (router);
        zmsg_send (&msg, router);
    }
    zpoller_destroy (&poller);
}

double
bench_dealer_rtt_ms (size_t size, int rounds)
{
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    int port = zsock_bind (router, "tcp://127.0.0.1:*");
    zactor_t *echo = zactor_new (s_echo, router);
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zsock_set_rcvtimeo (dealer, 2000);
    zsock_connect (dealer, "tcp://127.0.0.1:%d", port);
    byte *payload = (byte *) zmalloc (size + 1);
    int64_t *rtt = (int64_t *) zmalloc (sizeof (int64_t) * rounds);
    int done = 0;
    for (int round = 0; round < rounds + 10; round++) {
        int64_t start = bench_now_us ();
        zframe_t *frame = zframe_new (payload, size);
        zframe_send (&frame, dealer, 0);
        frame = zframe_recv (dealer);
        if (!frame)
            break;
        zframe_destroy (&frame);
        if (round >= 10)            //  (the first ones connect)
            rtt [done++] = bench_now_us () - start;
    }
    double p50 = done? bench_percentile (rtt, (size_t) done, 50) / 1000.0: 0;
    free (rtt);
    free (payload);
    zsock_destroy (&dealer);
    zactor_destroy (&echo);
    zsock_destroy (&router);
    return p50;
}
