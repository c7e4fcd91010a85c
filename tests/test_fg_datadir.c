/*  =========================================================================
    test_fg_datadir - one daemon per data directory

    The lock itself (in this process: flock conflicts between two opens of
    the file, so one process can play both holders), that it does not leak
    into programs started meanwhile, the -t check that makes nothing, and
    each real daemon refusing a directory another one holds.
    =========================================================================  */
#include "test_support.h"
#include <sys/wait.h>

static void
test_lock (void)
{
    char *dir = ts_tmpdir_new ("datadir");
    char path [600], err [512];
    snprintf (path, sizeof path, "%s/a/b", dir);
    pid_t holder = -1;

    //  Made with its parents, locked, our pid written in DIR/lock
    fg_datadir_t *first = fg_datadir_lock (path, &holder, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (first);
    CU_ASSERT_EQUAL (holder, 0);
    CU_ASSERT_EQUAL (fg_datadir_holder (path), getpid ());
    char lock [700];
    snprintf (lock, sizeof lock, "%s/lock", path);
    CU_ASSERT_STRING_EQUAL (fg_datadir_lock_path (first), lock);

    //  A second lock is refused and names the holder
    fg_datadir_t *second = fg_datadir_lock (path, &holder, err, sizeof err);
    CU_ASSERT_PTR_NULL (second);
    CU_ASSERT_EQUAL (holder, getpid ());
    CU_ASSERT_PTR_NOT_NULL (strstr (err, "is locked by pid"));

    //  A program started while we hold it does not inherit the lock: once
    //  we let go, it is free even though that program still runs
    fflush (NULL);
    pid_t sleeper = fork ();
    if (sleeper == 0) {
        execl ("/bin/sleep", "sleep", "5", (char *) NULL);
        _exit (127);
    }
    //  (between fork and exec the child does share it: wait for the exec)
    char exe [64], target [256] = "";
    snprintf (exe, sizeof exe, "/proc/%d/exe", (int) sleeper);
    for (int tries = 0; tries < 100 && !strstr (target, "sleep"); tries++) {
        ssize_t size = readlink (exe, target, sizeof target - 1);
        target [size > 0? size: 0] = 0;
        if (!strstr (target, "sleep"))
            zclock_sleep (10);
    }
    CU_ASSERT_PTR_NOT_NULL (strstr (target, "sleep"));
    fg_datadir_destroy (&first);
    fg_datadir_destroy (&first);        //  idempotent
    second = fg_datadir_lock (path, &holder, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL (second);
    if (!second)
        fprintf (stderr, "relock failed: %s\n", err);
    kill (sleeper, SIGKILL);
    waitpid (sleeper, NULL, 0);

    //  A longer pid left by an earlier holder is overwritten, not mixed in
    fg_datadir_destroy (&second);
    FILE *file = fopen (lock, "w");
    fprintf (file, "1234567890\n");
    fclose (file);
    second = fg_datadir_lock (path, &holder, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL (second);
    CU_ASSERT_EQUAL (fg_datadir_holder (path), getpid ());
    fg_datadir_destroy (&second);

    //  Something that is not a directory cannot be locked
    snprintf (path, sizeof path, "%s/file", dir);
    file = fopen (path, "w");
    fclose (file);
    CU_ASSERT_PTR_NULL (fg_datadir_lock (path, &holder, err, sizeof err));
    CU_ASSERT_EQUAL (holder, 0);
    ts_tmpdir_remove (&dir);
}

static void
test_check (void)
{
    char *dir = ts_tmpdir_new ("datadir-check");
    char path [600], err [512];

    //  Missing, in a writable parent (two levels down): fine, and still missing
    snprintf (path, sizeof path, "%s/x/y", dir);
    CU_ASSERT_EQUAL (fg_datadir_check (path, "hub/data_dir", err, sizeof err), 0);
    snprintf (path, sizeof path, "%s/x", dir);
    CU_ASSERT_FALSE (zsys_file_exists (path));

    //  There already: fine
    CU_ASSERT_EQUAL (fg_datadir_check (dir, "hub/data_dir", err, sizeof err), 0);

    //  A file where the directory or its parent should be
    snprintf (path, sizeof path, "%s/file", dir);
    FILE *file = fopen (path, "w");
    fclose (file);
    CU_ASSERT_EQUAL (fg_datadir_check (path, "hub/data_dir", err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (err, "is not a directory"));
    snprintf (path, sizeof path, "%s/file/sub", dir);
    CU_ASSERT_EQUAL (fg_datadir_check (path, "miner/data_dir", err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (err, "miner/data_dir"));

    //  Empty
    CU_ASSERT_EQUAL (fg_datadir_check ("", "hub/data_dir", err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (err, "hub/data_dir is empty"));
    ts_tmpdir_remove (&dir);
}

//  --------------------------------------------------------------------------
//  The real daemons

//  The names, sizes and modification times of what is in dir (but the
//  lock), one per line, sorted
static char *
s_listing (const char *dir)
{
    char *output = NULL;
    ts_run (&output, "cd '%s' && find . -path ./lock -prune -o -type f "
            "-printf '%%p %%s %%T@\\n' | sort", dir);
    return output;
}

//  The command line of daemon `which` on data with fresh ports, into argv
//  (NULL-terminated); the strings live in store
typedef struct {
    char ports [2][64];
    char data [600];
    const char *argv [24];
} s_args_t;

static const char *s_programs [] = { "fogrid-hub", "fogrid-miner", "fogrid-locator" };

static void
s_args (s_args_t *args, int which, const char *data)
{
    memset (args, 0, sizeof *args);
    snprintf (args->data, sizeof args->data, "%s", data);
    snprintf (args->ports [0], sizeof args->ports [0], "tcp://127.0.0.1:%d", ts_free_port ());
    snprintf (args->ports [1], sizeof args->ports [1], "tcp://127.0.0.1:%d", ts_free_port ());
    const char **argv = args->argv;
    int argc = 0;
    if (which == 0) {
        argv [argc++] = "--buyers";
        argv [argc++] = args->ports [0];
        argv [argc++] = "--miners";
        argv [argc++] = args->ports [1];
        argv [argc++] = "--locator";
        argv [argc++] = "";
        argv [argc++] = "-o";
        argv [argc++] = "security/insecure=1";
    }
    else
    if (which == 1) {
        argv [argc++] = "--hub";
        argv [argc++] = args->ports [0];
        argv [argc++] = "--locator";
        argv [argc++] = "";
        argv [argc++] = "--name";
        argv [argc++] = "m-lock";
        argv [argc++] = "-o";
        argv [argc++] = "miner/id=m-lock";
        argv [argc++] = "-o";
        argv [argc++] = "miner/hub_key=";
        argv [argc++] = "-o";
        argv [argc++] = "security/insecure=1";
    }
    else {
        //  secure: it makes its key pair in the data directory
        argv [argc++] = "--bind";
        argv [argc++] = args->ports [0];
        argv [argc++] = "--dns";
        argv [argc++] = "";
        argv [argc++] = "--http";
        argv [argc++] = "";
    }
    argv [argc++] = "--data";
    argv [argc++] = args->data;
    argv [argc] = NULL;
}

static s_args_t s_last;         //  the last one started: its ports

static ts_proc_t *
s_start (const char *logdir, const char *name, int which, const char *data)
{
    s_args (&s_last, which, data);
    const char **a = s_last.argv;
    //  ts_proc_start takes its arguments one by one: at most 14 here
    return ts_proc_start (logdir, name, s_programs [which], a [0], a [1], a [2], a [3], a [4],
                          a [5], a [6], a [7], a [8], a [9], a [10], a [11], a [12], a [13],
                          NULL);
}

//  The same daemon run to its end with output captured (a refusal is
//  immediate; a start that is not refused is stopped after 3 s)
static int
s_run (char **output, int which, const char *data)
{
    s_args_t args;
    s_args (&args, which, data);
    char line [4096];
    int at = snprintf (line, sizeof line, "timeout -s TERM 3 %s", ts_bin (s_programs [which]));
    for (const char **arg = args.argv; *arg; arg++)
        at += snprintf (line + at, sizeof line - at, " '%s'", *arg);
    return ts_run (output, "%s", line);
}

typedef struct {
    const char *data;
    pid_t pid;
} s_holder_t;

static bool
s_holds (void *arg)
{
    s_holder_t *holder = (s_holder_t *) arg;
    return fg_datadir_holder (holder->data) == holder->pid;
}

static void
test_daemons (void)
{
    for (int which = 0; which < 3; which++) {
        const char *program = s_programs [which];
        if (!zsys_file_exists (ts_bin (program))) {
            printf ("\n    %s is not built here (FOGRID_PARTS): not tried\n", program);
            continue;
        }
        char *dir = ts_tmpdir_new ("datadir-daemon");
        char data [600], expect [1200];
        snprintf (data, sizeof data, "%s/data", dir);

        //  The first one up, holding the directory, its files settled
        ts_proc_t *first = s_start (dir, "first", which, data);
        s_holder_t holder = { data, first->pid };
        bool up = ts_wait_for (s_holds, &holder, 5000);
        if (!up)
            ts_proc_dump_log (first);
        CU_ASSERT_TRUE_FATAL (up);
        zclock_sleep (700);
        CU_ASSERT_TRUE (ts_proc_alive (first));
        char *before = s_listing (data);

        //  The hub with a miner and a task running on it: the history the
        //  second one must leave alone (it once wrote "miner lost" there)
        ts_proc_t *miner = NULL;
        char *task = NULL, *history = NULL, buyers [64], miners [64];
        if (which == 0) {
            snprintf (buyers, sizeof buyers, "%s", s_last.ports [0]);
            snprintf (miners, sizeof miners, "%s", s_last.ports [1]);
            char miner_data [700];
            snprintf (miner_data, sizeof miner_data, "%s/miner", dir);
            miner = ts_proc_start (dir, "miner", "fogrid-miner", "--hub", miners, "--locator", "",
                                   "--name", "m-under", "--data", miner_data,
                                   "-o", "miner/hub_key=", "-o", "security/insecure=1", NULL);
            zclock_sleep (1000);
            char *output = NULL;
            int rc = ts_run (&output, "%s -T 5000 --insecure -H %s submit -- sleep 60",
                             ts_bin ("fogrid"), buyers);
            task = ts_task_id (rc, output, "submit -- sleep 60");
            CU_ASSERT_PTR_NOT_NULL_FATAL (task);
            for (int tries = 0; tries < 50; tries++) {
                zstr_free (&history);
                ts_run (&history, "%s -T 5000 --insecure -H %s status %s", ts_bin ("fogrid"),
                        buyers, task);
                if (strstr (history, "state     running"))
                    break;
                zclock_sleep (100);
            }
            CU_ASSERT_PTR_NOT_NULL (strstr (history, "state     running"));
        }

        //  A second one on the same directory: refused at once, naming it
        char *output = NULL;
        int rc = s_run (&output, which, data);
        CU_ASSERT_EQUAL (rc, FG_DAEMON_EXIT_IN_USE);
        snprintf (expect, sizeof expect, "%s: data directory %s is in use by pid %d (%s/lock); "
                  "stop it first or use another --data", program, data, (int) first->pid, data);
        CU_ASSERT_PTR_NOT_NULL (strstr (output, expect));
        if (rc != FG_DAEMON_EXIT_IN_USE || !strstr (output, expect))
            fprintf (stderr, "\n%s, exit %d, said: %s\n", program, rc, output);
        zstr_free (&output);

        //  The first goes on as before: nothing in its directory changed
        zclock_sleep (300);
        CU_ASSERT_TRUE (ts_proc_alive (first));
        CU_ASSERT_EQUAL (fg_datadir_holder (data), first->pid);
        if (which == 0) {
            //  Longer than the hub's dead_ms would have been needed to
            //  call the miner lost, had the second one run
            zclock_sleep (2000);
            char *now = NULL;
            ts_run (&now, "%s -T 5000 --insecure -H %s status %s", ts_bin ("fogrid"), buyers,
                    task);
            CU_ASSERT_STRING_EQUAL (history, now);
            if (!streq (history, now))
                fprintf (stderr, "\ntask before:\n%s\nafter:\n%s\n", history, now);
            zstr_free (&now);
            zstr_free (&history);
            zstr_free (&task);
            CU_ASSERT_EQUAL (ts_proc_stop (&miner, 5000), 0);
        }
        else {
            //  (the hub's store changes with its miner's beats: its task
            //  is the witness there)
            char *after = s_listing (data);
            CU_ASSERT_STRING_EQUAL (before, after);
            if (!streq (before, after))
                fprintf (stderr, "\n%s: before:\n%s\nafter:\n%s\n", program, before, after);
            zstr_free (&after);
        }
        zstr_free (&before);

        //  Killed outright: the kernel lets go of the lock, and a new one
        //  starts there (the pid left in the file is no obstacle)
        ts_proc_kill (&first);
        ts_proc_t *next = s_start (dir, "next", which, data);
        holder.pid = next->pid;
        up = ts_wait_for (s_holds, &holder, 5000);
        if (!up)
            ts_proc_dump_log (next);
        CU_ASSERT_TRUE (up);
        zclock_sleep (300);
        CU_ASSERT_TRUE (ts_proc_alive (next));
        CU_ASSERT_EQUAL (ts_proc_stop (&next, 5000), 0);

        //  Stopped cleanly: free again
        rc = s_run (&output, which, data);
        CU_ASSERT_EQUAL (rc, 124);      //  ran until timeout stopped it
        if (rc != 124)
            fprintf (stderr, "\n%s after a clean stop, exit %d: %s\n", program, rc, output);
        zstr_free (&output);
        ts_tmpdir_remove (&dir);
    }
}

//  -t checks the configuration and changes nothing: the data directory
//  it names stays missing
static void
test_check_makes_nothing (void)
{
    char *dir = ts_tmpdir_new ("datadir-t");
    for (int which = 0; which < 3; which++) {
        if (!zsys_file_exists (ts_bin (s_programs [which])))
            continue;
        char data [600];
        snprintf (data, sizeof data, "%s/missing/data", dir);
        s_args_t args;
        s_args (&args, which, data);
        char line [4096];
        int at = snprintf (line, sizeof line, "%s -t", ts_bin (s_programs [which]));
        for (const char **arg = args.argv; *arg; arg++)
            at += snprintf (line + at, sizeof line - at, " '%s'", *arg);
        char *output = NULL;
        int rc = ts_run (&output, "%s", line);
        CU_ASSERT_EQUAL (rc, 0);
        CU_ASSERT_PTR_NOT_NULL (strstr (output, "is valid"));
        if (rc != 0)
            fprintf (stderr, "\n%s -t said: %s\n", s_programs [which], output);
        zstr_free (&output);
        snprintf (data, sizeof data, "%s/missing", dir);
        CU_ASSERT_FALSE (zsys_file_exists (data));
    }
    //  Where it could not be made, the hub's -t says so
    char file [600];
    snprintf (file, sizeof file, "%s/file", dir);
    FILE *handle = fopen (file, "w");
    fclose (handle);
    char *output = NULL;
    CU_ASSERT_EQUAL (ts_run (&output, "%s -t --data %s/data --locator ''", ts_bin ("fogrid-hub"),
                             file), 1);
    CU_ASSERT_PTR_NOT_NULL (strcasestr (output, "not a directory"));
    zstr_free (&output);
    ts_tmpdir_remove (&dir);
}

void
test_fg_datadir_add (void)
{
    ts_add_suite ("fg_datadir",
                  "the lock: one holder, named, not inherited", test_lock,
                  "-t's check makes nothing", test_check,
                  "a second daemon on a held directory is refused", test_daemons,
                  "daemon -t leaves a missing directory missing", test_check_makes_nothing,
                  NULL);
}
