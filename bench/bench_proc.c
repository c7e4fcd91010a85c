/*  =========================================================================
    bench_proc - processes, ports and percentiles for the benchmarks
    =========================================================================  */
#include "bench.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

pid_t
bench_spawn (const char *dir, const char *log, char **argv)
{
    pid_t pid = fork ();
    if (pid == 0) {
        char path [1024];
        snprintf (path, sizeof path, "%s/%s", dir, log);
        int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2 (fd, 1);
            dup2 (fd, 2);
        }
        execv (argv [0], argv);
        _exit (127);
    }
    return pid;
}

void
bench_stop (pid_t pid)
{
    kill (pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid (pid, NULL, WNOHANG) == pid)
            return;
        zclock_sleep (20);
    }
    kill (pid, SIGKILL);
    waitpid (pid, NULL, 0);
}

//  The kernel's choice of an ephemeral port: random, so programs that
//  look for ports at the same time rarely pick the same one (CZMQ's "*"
//  takes the lowest free port from 49152 up, which they would)
int
bench_free_port (void)
{
    int sock = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in where = { .sin_family = AF_INET };
    inet_pton (AF_INET, "127.0.0.1", &where.sin_addr);
    socklen_t length = sizeof where;
    int port = -1;
    if (sock >= 0 && bind (sock, (struct sockaddr *) &where, sizeof where) == 0
    &&  getsockname (sock, (struct sockaddr *) &where, &length) == 0)
        port = ntohs (where.sin_port);
    if (sock >= 0)
        close (sock);
    return port;
}

static int
s_compare (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y? -1: x > y;
}

double
bench_percentile (int64_t *values, size_t count, double p)
{
    if (count == 0)
        return 0;
    qsort (values, count, sizeof (int64_t), s_compare);
    size_t index = (size_t) (p / 100.0 * (double) (count - 1) + 0.5);
    return (double) values [index < count? index: count - 1];
}
