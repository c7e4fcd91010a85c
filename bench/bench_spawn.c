/*  =========================================================================
    bench_spawn - how fast the miner's process runtime starts tasks, next
    to the machine's own bound

        bench_spawn [-n TASKS] [-p PARALLEL] [-u USER] [-d DIR] [-o LOOP]

    Three loops run /bin/true TASKS times (default 2000), PARALLEL at once
    (default 2): a bare posix_spawn + waitpid loop (the bound), a bare
    fork + exec loop (what a daemon that forks pays), and the process
    runtime through the task handle (miner_runner_new ... result ...
    destroy: a thread, a work directory, the group's record, the clone,
    output pipes, the reap, the result), with a work root and a groups
    directory in a fresh temp dir under DIR (default /tmp: a task's work
    directory and its group's record are made and removed on that file
    system, which on a journalled disk costs more than the spawn; try
    /dev/shm to see the rest); then the handle alone (the null
    runtime: the thread and its pipe, nothing run). It prints tasks/s of
    each and the runtime's share of the posix_spawn bound. The loops take
    turns in 10 rounds, so that a change of the machine's load weighs on
    each alike. -u USER runs the runtime's
    tasks as USER, as a miner run by root does (its default is nobody).
    -o spawn|fork|runtime|null|cgroup runs that loop only (to profile it);
    cgroup is the runtime with a cgroup per task (miner_cgroup.h), where
    the machine lets one be made.
    =========================================================================  */
#include "fogrid.h"
#include "miner_runner.h"
#include "miner_cgroup.h"
#include <errno.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int64_t
s_now_us (void)
{
    return zclock_usecs ();
}

//  posix_spawn (or fork + exec), parallel at once, total in all.
static double
s_bare (int total, int parallel, bool use_fork)
{
    char *argv [] = { "/bin/true", NULL };
    int started = 0, done = 0, running = 0;
    int64_t start = s_now_us ();
    while (done < total) {
        while (running < parallel && started < total) {
            pid_t pid;
            if (use_fork) {
                pid = fork ();
                if (pid == 0) {
                    execve (argv [0], argv, environ);
                    _exit (127);
                }
            }
            else
            if (posix_spawn (&pid, argv [0], NULL, NULL, argv, environ))
                pid = -1;
            if (pid < 0) {
                fprintf (stderr, "cannot start /bin/true: %s\n", strerror (errno));
                return 0;
            }
            started++;
            running++;
        }
        int status;
        if (waitpid (-1, &status, 0) > 0) {
            running--;
            done++;
        }
    }
    return (double) total * 1e6 / (double) (s_now_us () - start);
}

//  The process runtime, through the task handle.
//  With runtime "null", the handle and its thread alone: nothing is run.
static double
s_runtime (int total, int parallel, const miner_runner_limits_t *limits, const char *runtime,
           int *failures)
{
    char *argv [] = { "/bin/true" };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.argv = argv;
    spec.n_argv = 1;
    spec.timeout_s = 60;
    spec.runtime = (char *) runtime;
    miner_runner_t **slots = (miner_runner_t **) zmalloc (sizeof (miner_runner_t *) * parallel);
    zmq_pollitem_t *items = (zmq_pollitem_t *) zmalloc (sizeof (zmq_pollitem_t) * parallel);
    int started = 0, done = 0;
    int64_t start = s_now_us ();
    while (done < total) {
        for (int slot = 0; slot < parallel; slot++)
            if (!slots [slot] && started < total) {
                char id [32];
                snprintf (id, sizeof id, "b-%d", started++);
                slots [slot] = miner_runner_new (id, 1, &spec, limits);
            }
        int count = 0;
        for (int slot = 0; slot < parallel; slot++)
            if (slots [slot])
                items [count++] = (zmq_pollitem_t) {
                    zsock_resolve (miner_runner_actor (slots [slot])), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (items, count, 10000) <= 0)
            break;
        count = 0;
        for (int slot = 0; slot < parallel; slot++) {
            if (!slots [slot])
                continue;
            if (items [count++].revents & ZMQ_POLLIN) {
                Fogrid__TaskResult *result = miner_runner_result (slots [slot], 0);
                if (!result || result->exit_code != 0 || *result->error)
                    (*failures)++;
                if (result)
                    fogrid__task_result__free_unpacked (result, NULL);
                miner_runner_destroy (&slots [slot]);
                done++;
            }
        }
    }
    double rate = (double) done * 1e6 / (double) (s_now_us () - start);
    for (int slot = 0; slot < parallel; slot++)
        miner_runner_destroy (&slots [slot]);
    free (slots);
    free (items);
    return rate;
}

int
main (int argc, char **argv)
{
    int total = 2000, parallel = 2;
    const char *user = NULL, *only = NULL, *dir = "/tmp";
    for (int index = 1; index < argc; index++) {
        if (streq (argv [index], "-n") && index + 1 < argc)
            total = atoi (argv [++index]);
        else
        if (streq (argv [index], "-p") && index + 1 < argc)
            parallel = atoi (argv [++index]);
        else
        if (streq (argv [index], "-u") && index + 1 < argc)
            user = argv [++index];
        else
        if (streq (argv [index], "-o") && index + 1 < argc)
            only = argv [++index];
        else
        if (streq (argv [index], "-d") && index + 1 < argc)
            dir = argv [++index];
        else {
            printf ("usage: bench_spawn [-n TASKS] [-p PARALLEL] [-u USER] [-d DIR] [-o LOOP]\n");
            return streq (argv [index], "-h") || streq (argv [index], "--help")? 0: 1;
        }
    }
    if (total < 1 || parallel < 1 || parallel > 64) {
        fprintf (stderr, "bench_spawn: -n from 1, -p from 1 to 64\n");
        return 1;
    }
    zsys_init ();
    zsys_set_logstream (NULL);
    char root [PATH_MAX];
    snprintf (root, sizeof root, "%s/fogrid-bench-spawn-XXXXXX", dir);
    if (!mkdtemp (root)) {
        fprintf (stderr, "bench_spawn: cannot make a temp dir: %s\n", strerror (errno));
        return 1;
    }
    chmod (root, 0755);
    char *work = zsys_sprintf ("%s/tasks", root);
    char *groups = zsys_sprintf ("%s/groups", root);
    zsys_dir_create ("%s", work);
    zsys_dir_create ("%s", groups);
    miner_runner_limits_t limits = { .work_root = work, .groups_dir = groups };
    if (user) {
        struct passwd *entry = getpwnam (user);
        if (!entry || geteuid () != 0) {
            fprintf (stderr, "bench_spawn: -u %s needs root and that user\n", user);
            return 1;
        }
        limits.drop_privileges = true;
        limits.task_uid = entry->pw_uid;
        limits.task_gid = entry->pw_gid;
    }

    printf ("bench_spawn: /bin/true %d times, %d at once%s%s; work dirs in %s\n", total,
            parallel, user? ", the runtime's tasks as ": "", user? user: "", dir);
    //  A round of each first, so no loop pays for the page cache
    int failures = 0;
    s_bare (parallel * 10, parallel, false);
    s_runtime (parallel * 10, parallel, &limits, "process", &failures);
    failures = 0;
    //  In rounds, the loops taking turns, so a machine whose load changes
    //  (others' builds and tests) weighs on each alike
    int rounds = total >= 200? 10: 1, per_round = total / rounds;
    double seconds [5] = { 0, 0, 0, 0, 0 };
    const char *names [5] = { "spawn", "fork", "runtime", "null", "cgroup" };
    //  The runtime again with a cgroup per task (where one can be made)
    char cgroup_name [64];
    snprintf (cgroup_name, sizeof cgroup_name, "bench-spawn-%d", (int) getpid ());
    miner_cgroup_t *cgroups = miner_cgroup_new (cgroup_name, 1024);
    for (int round = 0; round < rounds; round++)
        for (int loop = 0; loop < 5; loop++) {
            if ((only && !streq (only, names [loop]))
            ||  (loop == 4 && !miner_cgroup_active (cgroups)))
                continue;
            limits.null_runtime = loop == 3;
            limits.cgroups = loop == 4? cgroups: NULL;
            double rate = loop < 2? s_bare (per_round, parallel, loop == 1)
                        : s_runtime (per_round, parallel, &limits, loop == 3? "null": "process",
                                     &failures);
            seconds [loop] += rate > 0? per_round / rate: 0;
        }
    limits.cgroups = NULL;
    double done = (double) per_round * rounds;
    double spawn = seconds [0] > 0? done / seconds [0]: 0;
    double forked = seconds [1] > 0? done / seconds [1]: 0;
    double runtime = seconds [2] > 0? done / seconds [2]: 0;
    double handle = seconds [3] > 0? done / seconds [3]: 0;
    printf ("  posix_spawn + waitpid       %8.0f tasks/s\n", spawn);
    printf ("  fork + exec + waitpid       %8.0f tasks/s\n", forked);
    printf ("  miner process runtime       %8.0f tasks/s  (%.0f %% of posix_spawn)%s\n",
            runtime, spawn > 0? 100.0 * runtime / spawn: 0.0,
            failures? "  SOME TASKS FAILED": "");
    printf ("  task handle alone (null)    %8.0f tasks/s  (its thread and pipe: %.0f us a "
            "task)\n", handle, handle > 0? 1e6 * parallel / handle: 0.0);
    if (miner_cgroup_active (cgroups)) {
        double in_cgroups = seconds [4] > 0? done / seconds [4]: 0;
        printf ("  process runtime, cgroups    %8.0f tasks/s  (%s; %.0f us a task more)\n",
                in_cgroups, miner_cgroup_kind (cgroups), in_cgroups > 0 && runtime > 0
                ? 1e6 * parallel * (1 / in_cgroups - 1 / runtime): 0.0);
    }
    else
        printf ("  process runtime, cgroups    (none: %s)\n", miner_cgroup_detail (cgroups));
    miner_cgroup_destroy (&cgroups);
    if (failures)
        printf ("  %d tasks did not end with exit 0\n", failures);

    miner_runner_clean (work);
    rmdir (work);
    rmdir (groups);
    rmdir (root);
    zstr_free (&work);
    zstr_free (&groups);
    return failures? 1: 0;
}
