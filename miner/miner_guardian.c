/*  =========================================================================
    miner_guardian - a small process that ends the miner's tasks once the
    miner is gone

    DESIGN
    Started by fork and exec of the miner's own program, not by fork
    alone: the miner may have threads by then (czmq's, libzmq's), and a
    child of a threaded process may only make async-signal-safe calls
    until it execs. Between fork and exec the child only moves descriptors
    (its pipe to 3, /dev/null to stdin and stdout), closes every other one
    (the data directory's lock among them: flock belongs to the open file,
    which fork shares, so a guardian that kept it would hold the directory
    against the next miner), and takes its own process group.

    The guardian ignores SIGINT, SIGTERM and SIGHUP: a terminal's ^C or a
    kill meant for the miner must not end it before the miner is gone; its
    pipe ends it. Once it reads end of file it sweeps, at once (a task's
    children are under pid 1 from the moment their shell dies), the
    records of process groups written until then, with the same checks a
    restart uses (a reused pid is never killed): a miner restarted at once
    writes its own tasks' records only later. Then, unless a newer miner
    holds the data directory (a pid in DIR/lock that is alive and is not
    the one it guarded: that one sweeps the cgroups at its own start and
    may run tasks in them by now), it sweeps the miner's cgroups, and
    exits.
    =========================================================================  */
#include "fogrid.h"
#include "miner_guardian.h"
#include "miner_groups.h"
#include "miner_cgroup.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#define S_HIGH_FD   10          //  where the child's descriptors wait, out of 0-3's way

static int s_write_fd = -1;     //  the miner's end: open for the process's life

//  An fd at S_HIGH_FD or above, close-on-exec; closes fd. -1 on failure.
static int
s_move_high (int fd)
{
    int high = fcntl (fd, F_DUPFD_CLOEXEC, S_HIGH_FD);
    close (fd);
    return high;
}

pid_t
miner_guardian_start (const char *data_dir, const char *miner_id, char *err, size_t err_size)
{
    int ends [2];
    if (pipe2 (ends, O_CLOEXEC)) {
        snprintf (err, err_size, "cannot make the guardian's pipe: %s", strerror (errno));
        return -1;
    }
    int reader = s_move_high (ends [0]);
    int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0)
        null = s_move_high (null);
    if (reader < 0 || null < 0) {
        snprintf (err, err_size, "cannot ready the guardian's descriptors: %s", strerror (errno));
        if (reader >= 0)
            close (reader);
        if (null >= 0)
            close (null);
        close (ends [1]);
        return -1;
    }
    //  Everything the child needs, made before the fork
    char fd_arg [16], pid_arg [24];
    snprintf (fd_arg, sizeof fd_arg, "%d", 3);
    snprintf (pid_arg, sizeof pid_arg, "%d", (int) getpid ());
    char *argv [] = { "fogrid-miner", MINER_GUARDIAN_ARG, fd_arg, pid_arg,
                      (char *) data_dir, (char *) miner_id, NULL };
    pid_t pid = fork ();
    if (pid == 0) {
        //  Async-signal-safe calls only, up to the exec
        sigset_t none;
        sigemptyset (&none);
        sigprocmask (SIG_SETMASK, &none, NULL);
        setpgid (0, 0);
        if (dup2 (null, 0) < 0 || dup2 (null, 1) < 0 || dup2 (reader, 3) < 0)
            _exit (127);
        close_range (4, ~0U, 0);
        execv ("/proc/self/exe", argv);
        _exit (127);
    }
    int error = errno;
    close (reader);
    close (null);
    if (pid < 0) {
        close (ends [1]);
        snprintf (err, err_size, "cannot start the guardian: %s", strerror (error));
        return -1;
    }
    if (s_write_fd >= 0)
        close (s_write_fd);             //  a guardian started before ends with it
    s_write_fd = ends [1];
    return pid;
}

//  The miner's id: given, or DATA_DIR/miner.id; "" when there is none.
static void
s_miner_id (const char *data_dir, const char *given, char *id, size_t size)
{
    snprintf (id, size, "%s", given? given: "");
    if (*id)
        return;
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/miner.id", data_dir);
    FILE *file = fopen (path, "re");
    if (file) {
        if (!fgets (id, (int) size, file))
            *id = 0;
        fclose (file);
    }
    id [strcspn (id, "\r\n")] = 0;
}

int
miner_guardian_main (int argc, char *argv [])
{
    if (argc < 5 || argc > 6 || !streq (argv [1], MINER_GUARDIAN_ARG)) {
        fprintf (stderr, "guardian: usage: fogrid-miner %s FD MINER_PID DATA_DIR [MINER_ID]\n",
                 MINER_GUARDIAN_ARG);
        return 2;
    }
    int fd = atoi (argv [2]);
    pid_t miner = (pid_t) atoi (argv [3]);
    const char *data_dir = argv [4];
    signal (SIGINT, SIG_IGN);
    signal (SIGTERM, SIG_IGN);
    signal (SIGHUP, SIG_IGN);
    signal (SIGPIPE, SIG_IGN);
    zsys_handler_set (NULL);
    zsys_set_logstream (stderr);
    zsys_set_logident ("fogrid-miner");

    //  The miner's id and cgroups are made ready while it runs (a first
    //  start writes its id a moment after this): when it goes, every
    //  millisecond counts, for its tasks' children are then reparented
    //  to pid 1
    char id [128] = "", tag [160];
    miner_cgroup_t *cgroups = NULL;
    while (true) {
        if (!*id) {
            s_miner_id (data_dir, argc > 5? argv [5]: "", id, sizeof id);
            if (*id) {
                char name [160];
                miner_cgroup_name (id, data_dir, name, sizeof name);
                cgroups = miner_cgroup_new (name, 0);
            }
        }
        struct pollfd item = { fd, POLLIN, 0 };
        int ready = poll (&item, 1, *id? -1: 100);
        if (ready < 0 && errno != EINTR)
            break;                      //  not a pipe we can wait on: sweep now
        if (ready > 0) {
            char byte;
            ssize_t got = read (fd, &byte, 1);
            if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN))
                break;                  //  end of file: the miner is gone
        }
    }
    //  Records written after this (a tick's slack: the clock counts in
    //  ticks, and a record is dated a tick ahead) are a newer miner's
    uint64_t until = miner_groups_ticks () + 1;
    close (fd);

    snprintf (tag, sizeof tag, "guardian: miner %s", *id? id: "?");
    char groups [PATH_MAX];
    snprintf (groups, sizeof groups, "%s/groups", data_dir);
    int killed = miner_groups_sweep_until (groups, tag, until);
    //  A newer miner holds the data directory (restarted at once): it
    //  sweeps its cgroups at its start, and may run tasks in them by now,
    //  which a sweep of the cgroups here would take for leftovers
    pid_t holder = fg_datadir_holder (data_dir);
    bool newer = holder > 0 && holder != miner && kill (holder, 0) == 0;
    if (!newer && miner_cgroup_active (cgroups))
        killed += miner_cgroup_sweep (cgroups, tag);
    miner_cgroup_destroy (&cgroups);
    if (killed)
        zsys_notice ("%s: the miner (pid %d) is gone: killed %d task process%s it left",
                     tag, (int) miner, killed, killed == 1? "": "es");
    return 0;
}
