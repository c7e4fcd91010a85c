/*  =========================================================================
    test_miner_runner - one task with the process runtime: exit codes and
    output, bounds, timeouts and kills of whole process groups, programs
    that cannot run, the task's environment and work directory
    =========================================================================  */
#include "test_support.h"
#include "miner_runner.h"
#include <signal.h>
#include <errno.h>
#include <sys/stat.h>

static char *s_root;                    //  work root of the suite's tasks

//  A spec running argv (NULL-terminated list) with a timeout.
typedef struct {
    Fogrid__TaskSpec spec;
    char *argv [16];
    char *env [8];
} s_spec_t;

static void
s_spec (s_spec_t *self, uint32_t timeout_s, ...)
{
    fogrid__task_spec__init (&self->spec);
    va_list args;
    va_start (args, timeout_s);
    size_t count = 0;
    char *arg;
    while ((arg = va_arg (args, char *)) && count < 15)
        self->argv [count++] = arg;
    va_end (args);
    self->spec.argv = self->argv;
    self->spec.n_argv = count;
    self->spec.env = self->env;
    self->spec.timeout_s = timeout_s;
}

static miner_runner_limits_t
s_limits (void)
{
    miner_runner_limits_t limits = { .work_root = s_root, .grace_ms = 500 };
    return limits;
}

//  Runs spec to the end and returns its result (the runner is destroyed).
static Fogrid__TaskResult *
s_run (s_spec_t *spec, const miner_runner_limits_t *limits)
{
    miner_runner_t *runner = miner_runner_new ("t-test", 7, &spec->spec, limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (runner);
    Fogrid__TaskResult *result = miner_runner_result (runner, 15000);
    miner_runner_destroy (&runner);
    CU_ASSERT_PTR_NULL (runner);
    return result;
}

//  True when no process of the group (pid in arg) is left.
static bool
s_group_gone (void *arg)
{
    pid_t pgid = *(pid_t *) arg;
    return kill (-pgid, 0) == -1 && errno == ESRCH;
}

static int
s_suite_init (void)
{
    s_root = ts_tmpdir_new ("runner");
    return s_root? 0: -1;
}

static int
s_suite_clean (void)
{
    ts_tmpdir_remove (&s_root);
    return 0;
}

static void
test_exit_code_and_output (void)
{
    s_spec_t spec;
    s_spec (&spec, 10, "sh", "-c", "echo hello; echo oops >&2; exit 3", NULL);
    miner_runner_limits_t limits = s_limits ();
    int64_t before = fg_now_ms ();
    Fogrid__TaskResult *result = s_run (&spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_STRING_EQUAL (result->task_id, "t-test");
    CU_ASSERT_EQUAL (result->attempt, 7);
    CU_ASSERT_EQUAL (result->exit_code, 3);
    CU_ASSERT_EQUAL (result->term_signal, 0);
    CU_ASSERT_FALSE (result->timed_out);
    CU_ASSERT_STRING_EQUAL (result->error, "");
    CU_ASSERT_EQUAL (result->stdout.len, 6);
    CU_ASSERT (result->stdout.len == 6 && memcmp (result->stdout.data, "hello\n", 6) == 0);
    CU_ASSERT (result->stderr.len == 5 && memcmp (result->stderr.data, "oops\n", 5) == 0);
    CU_ASSERT_FALSE (result->stdout_truncated);
    CU_ASSERT_FALSE (result->stderr_truncated);
    CU_ASSERT (result->started_ms >= (uint64_t) before);
    CU_ASSERT (result->ended_ms >= result->started_ms);
    fogrid__task_result__free_unpacked (result, NULL);

    //  Success, and stdin is /dev/null (cat ends at once)
    s_spec (&spec, 10, "cat", NULL);
    result = s_run (&spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_EQUAL (result->exit_code, 0);
    CU_ASSERT_EQUAL (result->stdout.len, 0);
    fogrid__task_result__free_unpacked (result, NULL);
}

static void
test_output_bound (void)
{
    s_spec_t spec;
    s_spec (&spec, 10, "sh", "-c", "head -c 300000 /dev/zero; head -c 10 /dev/zero >&2", NULL);
    miner_runner_limits_t limits = s_limits ();
    limits.max_output = 1024;
    Fogrid__TaskResult *result = s_run (&spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    //  The writer was not blocked (we kept reading) and exited normally
    CU_ASSERT_EQUAL (result->exit_code, 0);
    CU_ASSERT_EQUAL (result->stdout.len, 1024);
    CU_ASSERT_TRUE (result->stdout_truncated);
    CU_ASSERT_EQUAL (result->stderr.len, 10);
    CU_ASSERT_FALSE (result->stderr_truncated);
    fogrid__task_result__free_unpacked (result, NULL);
}

static void
test_timeout_kills_the_group (void)
{
    s_spec_t spec;
    s_spec (&spec, 1, "sh", "-c", "echo started; sleep 30 & sleep 30", NULL);
    miner_runner_limits_t limits = s_limits ();
    int64_t start = zclock_mono ();
    miner_runner_t *runner = miner_runner_new ("t-timeout", 1, &spec.spec, &limits);
    pid_t pgid = miner_runner_pid (runner);
    CU_ASSERT (pgid > 0);
    CU_ASSERT_EQUAL (getpgid (pgid), pgid);     //  a group of its own
    //  Not yet: the result comes only when it ends
    CU_ASSERT_PTR_NULL (miner_runner_result (runner, 200));
    Fogrid__TaskResult *result = miner_runner_result (runner, 10000);
    int64_t took = zclock_mono () - start;
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_TRUE (result->timed_out);
    CU_ASSERT_EQUAL (result->exit_code, -1);
    CU_ASSERT_EQUAL (result->term_signal, SIGTERM);
    CU_ASSERT (result->stdout.len == 8 && memcmp (result->stdout.data, "started\n", 8) == 0);
    CU_ASSERT (took >= 900 && took < 4000);
    //  Both sleeps are gone, not only the shell
    //  (killed at once; init may take a moment to reap the orphans)
    CU_ASSERT (ts_wait_for (s_group_gone, &pgid, 3000));
    fogrid__task_result__free_unpacked (result, NULL);
    miner_runner_destroy (&runner);

    //  One that ignores SIGTERM gets SIGKILL after the grace
    s_spec (&spec, 1, "sh", "-c", "trap '' TERM; sleep 30 & sleep 30", NULL);
    runner = miner_runner_new ("t-stubborn", 1, &spec.spec, &limits);
    pgid = miner_runner_pid (runner);
    result = miner_runner_result (runner, 10000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_TRUE (result->timed_out);
    CU_ASSERT_EQUAL (result->term_signal, SIGKILL);
    CU_ASSERT (ts_wait_for (s_group_gone, &pgid, 3000));
    fogrid__task_result__free_unpacked (result, NULL);
    miner_runner_destroy (&runner);
}

static void
test_kill (void)
{
    s_spec_t spec;
    s_spec (&spec, 60, "sh", "-c", "sleep 30 & sleep 30", NULL);
    miner_runner_limits_t limits = s_limits ();
    miner_runner_t *runner = miner_runner_new ("t-kill", 2, &spec.spec, &limits);
    pid_t pgid = miner_runner_pid (runner);
    CU_ASSERT (pgid > 0);
    CU_ASSERT_FALSE (miner_runner_killed (runner));
    int64_t start = zclock_mono ();
    miner_runner_kill (runner);
    CU_ASSERT_TRUE (miner_runner_killed (runner));
    Fogrid__TaskResult *result = miner_runner_result (runner, 5000);
    CU_ASSERT (zclock_mono () - start < 2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_STRING_EQUAL (result->error, "killed");
    CU_ASSERT_EQUAL (result->term_signal, SIGKILL);
    CU_ASSERT_FALSE (result->timed_out);
    CU_ASSERT_EQUAL (result->attempt, 2);
    CU_ASSERT (ts_wait_for (s_group_gone, &pgid, 3000));
    fogrid__task_result__free_unpacked (result, NULL);
    //  Taken once only
    CU_ASSERT_PTR_NULL (miner_runner_result (runner, 0));
    miner_runner_destroy (&runner);

    //  Destroying a runner whose task still runs leaves nothing behind
    runner = miner_runner_new ("t-destroy", 1, &spec.spec, &limits);
    pgid = miner_runner_pid (runner);
    CU_ASSERT (pgid > 0);
    CU_ASSERT_FALSE (s_group_gone (&pgid));
    miner_runner_destroy (&runner);
    CU_ASSERT (ts_wait_for (s_group_gone, &pgid, 3000));

    //  What a finished task left running in its group is killed too
    s_spec (&spec, 60, "sh", "-c", "sleep 30 & echo $!", NULL);
    runner = miner_runner_new ("t-leftover", 1, &spec.spec, &limits);
    pgid = miner_runner_pid (runner);
    start = zclock_mono ();
    result = miner_runner_result (runner, 5000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_EQUAL (result->exit_code, 0);
    CU_ASSERT (zclock_mono () - start < 2000);
    CU_ASSERT (ts_wait_for (s_group_gone, &pgid, 3000));
    fogrid__task_result__free_unpacked (result, NULL);
    miner_runner_destroy (&runner);
}

static void
test_cannot_run (void)
{
    s_spec_t spec;
    miner_runner_limits_t limits = s_limits ();
    s_spec (&spec, 10, "no-such-program-fogrid", "x", NULL);
    miner_runner_t *runner = miner_runner_new ("t-missing", 1, &spec.spec, &limits);
    CU_ASSERT_EQUAL (miner_runner_pid (runner), 0);
    Fogrid__TaskResult *result = miner_runner_result (runner, 5000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_EQUAL (result->exit_code, 127);
    CU_ASSERT_PTR_NOT_NULL (strstr (result->error, "no-such-program-fogrid: no such program"));
    fogrid__task_result__free_unpacked (result, NULL);
    miner_runner_destroy (&runner);

    //  Found but exec refuses it: the child's errno comes back
    char *plain = zsys_sprintf ("%s/not-a-program", s_root);
    FILE *file = fopen (plain, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL (file);
    fprintf (file, "data\n");
    fclose (file);
    chmod (plain, 0644);
    s_spec (&spec, 10, plain, NULL);
    result = s_run (&spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_EQUAL (result->exit_code, 127);
    CU_ASSERT_PTR_NOT_NULL (strstr (result->error, "Permission denied"));
    fogrid__task_result__free_unpacked (result, NULL);
    remove (plain);
    zstr_free (&plain);

    //  A program that exits 127 by itself is not an error of ours
    s_spec (&spec, 10, "sh", "-c", "exit 127", NULL);
    result = s_run (&spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_EQUAL (result->exit_code, 127);
    CU_ASSERT_STRING_EQUAL (result->error, "");
    fogrid__task_result__free_unpacked (result, NULL);

    //  Bad specs: no argv, a bad env entry, another runtime
    s_spec (&spec, 10, NULL);
    result = s_run (&spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_PTR_NOT_NULL (strstr (result->error, "empty argv"));
    fogrid__task_result__free_unpacked (result, NULL);

    s_spec (&spec, 10, "true", NULL);
    spec.env [0] = "NOEQUALS";
    spec.spec.n_env = 1;
    result = s_run (&spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_PTR_NOT_NULL (strstr (result->error, "not KEY=VALUE"));
    fogrid__task_result__free_unpacked (result, NULL);

    s_spec (&spec, 10, "true", NULL);
    spec.spec.runtime = "docker";
    result = s_run (&spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_PTR_NOT_NULL (strstr (result->error, "docker"));
    fogrid__task_result__free_unpacked (result, NULL);

    CU_ASSERT_PTR_NULL (miner_runner_new ("t", 1, NULL, &limits));
}

static void
test_environment_and_cwd (void)
{
    setenv ("FOGRID_TEST_SECRET", "leaked", 1);
    s_spec_t spec;
    s_spec (&spec, 10, "sh", "-c",
            "echo \"$FOO|$FOGRID_TASK_ID|$FOGRID_ATTEMPT|$FOGRID_TEST_SECRET\"; "
            "echo \"$HOME\"; pwd; echo data > file; ls", NULL);
    spec.env [0] = "FOO=bar baz";
    spec.env [1] = "FOGRID_TASK_ID=forged";
    spec.spec.n_env = 2;
    miner_runner_limits_t limits = s_limits ();
    miner_runner_t *runner = miner_runner_new ("t/../env", 4, &spec.spec, &limits);
    char workdir [PATH_MAX];
    snprintf (workdir, sizeof workdir, "%s", miner_runner_workdir (runner));
    //  Under the work root, and the id's slashes did not make a path
    CU_ASSERT (strncmp (workdir, s_root, strlen (s_root)) == 0);
    CU_ASSERT_PTR_NULL (strchr (workdir + strlen (s_root) + 1, '/'));
    Fogrid__TaskResult *result = miner_runner_result (runner, 5000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_EQUAL (result->exit_code, 0);
    char *expected = zsys_sprintf ("bar baz|t/../env|4|\n%s\n%s\nfile\n", workdir, workdir);
    char *got = (char *) zmalloc (result->stdout.len + 1);
    memcpy (got, result->stdout.data, result->stdout.len);
    CU_ASSERT_STRING_EQUAL (got, expected);
    free (got);
    zstr_free (&expected);
    fogrid__task_result__free_unpacked (result, NULL);
    miner_runner_destroy (&runner);
    //  The work dir is gone with what the task wrote
    struct stat info;
    CU_ASSERT_EQUAL (stat (workdir, &info), -1);
    unsetenv ("FOGRID_TEST_SECRET");
}

static void
test_limits (void)
{
    s_spec_t spec;
    s_spec (&spec, 10, "sh", "-c", "ulimit -v; ulimit -c", NULL);
    spec.spec.mem_mb = 64;
    miner_runner_limits_t limits = s_limits ();
    Fogrid__TaskResult *result = s_run (&spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT (result->stdout.len == 8 && memcmp (result->stdout.data, "65536\n0\n", 8) == 0);
    fogrid__task_result__free_unpacked (result, NULL);

    //  The miner's default applies when the task gives none
    spec.spec.mem_mb = 0;
    limits.default_mem_mb = 32;
    result = s_run (&spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT (result->stdout.len == 8 && memcmp (result->stdout.data, "32768\n0\n", 8) == 0);
    fogrid__task_result__free_unpacked (result, NULL);

    //  Leftovers of a dead miner's tasks are cleaned up
    char *stale = zsys_sprintf ("%s/t-old-1-abcdef/sub", s_root);
    CU_ASSERT_EQUAL (zsys_dir_create ("%s", stale), 0);
    miner_runner_clean (s_root);
    struct stat info;
    CU_ASSERT_EQUAL (stat (stale, &info), -1);
    CU_ASSERT_EQUAL (stat (s_root, &info), 0);
    zstr_free (&stale);
}

//  The benchmark-only null runtime: done at once, nothing run; refused
//  when the miner does not offer it
static void
test_null_runtime (void)
{
    s_spec_t spec;
    s_spec (&spec, 10, "sh", "-c", "touch should-not-exist; exit 3", NULL);
    spec.spec.runtime = "null";
    miner_runner_limits_t limits = s_limits ();
    limits.null_runtime = true;
    Fogrid__TaskResult *result = s_run (&spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_EQUAL (result->exit_code, 0);
    CU_ASSERT_STRING_EQUAL (result->error, "");
    CU_ASSERT_EQUAL (result->stdout.len, 0);
    CU_ASSERT_EQUAL (result->attempt, 7);
    fogrid__task_result__free_unpacked (result, NULL);
    CU_ASSERT_NOT_EQUAL (ts_run (NULL, "find %s -name should-not-exist | grep -q .", s_root), 0);
    limits.null_runtime = false;
    result = s_run (&spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_PTR_NOT_NULL (strstr (result->error, "null"));
    fogrid__task_result__free_unpacked (result, NULL);
}

//  A root miner's tasks run as their own user, without its groups, in a
//  work directory they own
static void
test_task_user (void)
{
    if (geteuid () != 0) {
        printf ("\n    SKIPPED: needs root to change users ");
        return;
    }
    s_spec_t spec;
    s_spec (&spec, 10, "sh", "-c", "id -u; id -G; touch mine && echo wrote; "
            "touch /etc/fogrid-test-denied 2>/dev/null || echo denied; "
            "ln /etc/hostname hard 2>/dev/null; true", NULL);
    //  The miner reads outputs with its own rights: only the task's own
    //  files come back (a hard link to root's file, where the kernel
    //  allows one, is refused)
    char *outputs [] = { "mine", "hard" };
    spec.spec.outputs = outputs;
    spec.spec.n_outputs = 2;
    miner_runner_limits_t limits = s_limits ();
    limits.drop_privileges = true;
    limits.task_uid = 65534;
    limits.task_gid = 65534;
    Fogrid__TaskResult *result = s_run (&spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    char *out = strndup ((char *) result->stdout.data, result->stdout.len);
    CU_ASSERT_STRING_EQUAL (out, "65534\n65534\nwrote\ndenied\n");
    if (!streq (out, "65534\n65534\nwrote\ndenied\n"))
        printf ("\ngot: %s\n", out);
    free (out);
    CU_ASSERT_EQUAL (result->exit_code, 0);
    Fogrid__OutputFile *mine = ts_output_file (result, "mine"), *hard = ts_output_file (result, "hard");
    CU_ASSERT (mine && !*mine->error && !mine->dir);
    CU_ASSERT (hard && *hard->error && hard->content.len == 0);
    fogrid__task_result__free_unpacked (result, NULL);
    CU_ASSERT_NOT_EQUAL (ts_run (NULL, "test -e /etc/fogrid-test-denied"), 0);
}

//  Files and directories copied back from the work directory, whether
//  the task succeeds or not; what is missing or would lead out of the
//  work directory (.., an absolute path, a symbolic link anywhere on the
//  way) is an entry saying so, never a copy
static void
test_output_files (void)
{
    s_spec_t spec;
    s_spec (&spec, 10, "sh", "-c",
            "mkdir -p out/dir/sub && echo 42 > out/result.txt && printf a > out/dir/a.txt && "
            "printf bb > out/dir/sub/b.txt && chmod 0750 out/dir/a.txt && "
            "ln -s /etc/passwd out/dir/leak && ln -s /etc out/etcdir && mkfifo out/fifo; exit 3",
            NULL);
    char *outputs [] = { "out/result.txt", "./out/dir/", "out/missing", "../escape",
                         "/etc/passwd", "out/etcdir/passwd", "out/etcdir", "out/fifo",
                         "out/dir/a.txt" };
    spec.spec.outputs = outputs;
    spec.spec.n_outputs = sizeof outputs / sizeof outputs [0];
    miner_runner_limits_t limits = s_limits ();
    Fogrid__TaskResult *result = s_run (&spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_EQUAL (result->exit_code, 3);
    CU_ASSERT_STRING_EQUAL (result->error, "");

    Fogrid__OutputFile *file = ts_output_file (result, "out/result.txt");
    CU_ASSERT (ts_output_is (file, "42\n"));
    CU_ASSERT (file && file->size == 3 && !file->truncated && !file->dir && !*file->error);
    file = ts_output_file (result, "out/dir");
    CU_ASSERT (file && file->dir && !*file->error);
    file = ts_output_file (result, "out/dir/a.txt");
    CU_ASSERT (ts_output_is (file, "a"));
    CU_ASSERT (file && file->mode == 0750);
    CU_ASSERT (ts_output_is (ts_output_file (result, "out/dir/sub/b.txt"), "bb"));
    CU_ASSERT (ts_output_file (result, "out/dir/sub") && ts_output_file (result, "out/dir/sub")->dir);
    //  Each path once, though two outputs name out/dir/a.txt
    size_t count = 0;
    for (size_t index = 0; index < result->n_files; index++)
        count += streq (result->files [index]->path, "out/dir/a.txt");
    CU_ASSERT_EQUAL (count, 1);

    struct {
        const char *path;
        const char *error;
    } refused [] = {
        { "out/dir/leak", "a symbolic link (to /etc/passwd): not followed" },
        { "out/missing", "no such file or directory in the task's work directory" },
        { "../escape", "no '..' part" },
        { "/etc/passwd", "an absolute path" },
        { "out/etcdir/passwd", "a symbolic link or a file on its way: not followed" },
        { "out/etcdir", "a symbolic link (to /etc): not followed" },
        { "out/fifo", "not a regular file or directory" },
    };
    for (size_t index = 0; index < sizeof refused / sizeof refused [0]; index++) {
        file = ts_output_file (result, refused [index].path);
        CU_ASSERT (file && strstr (file->error, refused [index].error));
        CU_ASSERT (file && file->content.len == 0 && !file->dir);
        if (file && !strstr (file->error, refused [index].error))
            printf ("\n    %s: %s ", file->path, file->error);
    }
    //  Nothing of /etc came back, under any name
    for (size_t index = 0; index < result->n_files; index++)
        CU_ASSERT (result->files [index]->content.len < 100);
    fogrid__task_result__free_unpacked (result, NULL);

    //  No outputs asked for: none given
    s_spec (&spec, 10, "sh", "-c", "echo x > f", NULL);
    result = s_run (&spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_EQUAL (result->n_files, 0);
    fogrid__task_result__free_unpacked (result, NULL);
}

//  Files past the miner's bound: the file that crosses it is cut, what
//  comes after is left out, and each says so; the whole stays in the bound
static void
test_output_files_bound (void)
{
    s_spec_t spec;
    s_spec (&spec, 10, "sh", "-c",
            "mkdir d && i=0; while [ $i -lt 200 ]; do echo file $i > d/f$i; i=$((i+1)); done; "
            "head -c 10000 /dev/zero > big; echo late > late", NULL);
    char *outputs [] = { "d", "big", "late" };
    spec.spec.outputs = outputs;
    spec.spec.n_outputs = 3;
    miner_runner_limits_t limits = s_limits ();
    limits.max_output_files = 4096;
    Fogrid__TaskResult *result = s_run (&spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_EQUAL (result->exit_code, 0);
    Fogrid__OutputFile *dir = ts_output_file (result, "d");
    CU_ASSERT (dir && dir->dir);
    CU_ASSERT (dir && strstr (dir->error, "the rest of it left out: over the miner's bound of "
                                          "4096 bytes"));
    size_t kept = 0, charged = 0;
    for (size_t index = 0; index < result->n_files; index++) {
        Fogrid__OutputFile *file = result->files [index];
        kept += strncmp (file->path, "d/f", 3) == 0;
        if (!*file->error || file->dir)
            charged += strlen (file->path) + 48 + file->content.len;
    }
    CU_ASSERT (kept > 10 && kept < 200);
    CU_ASSERT (charged <= 4096);
    Fogrid__OutputFile *big = ts_output_file (result, "big");
    CU_ASSERT (big && strstr (big->error, "left out: over the miner's bound of 4096 bytes"));
    CU_ASSERT (big && big->content.len == 0);
    fogrid__task_result__free_unpacked (result, NULL);

    //  A single file over the bound: its start, flagged, with its whole size
    char *first [] = { "big", "late" };
    spec.spec.outputs = first;
    spec.spec.n_outputs = 2;
    result = s_run (&spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    big = ts_output_file (result, "big");
    CU_ASSERT (big && big->truncated && big->size == 10000);
    CU_ASSERT (big && big->content.len > 3000 && big->content.len < 4096);
    CU_ASSERT (big && strstr (big->error, "cut at ") && strstr (big->error, "of 10000 bytes"));
    Fogrid__OutputFile *late = ts_output_file (result, "late");
    CU_ASSERT (late && strstr (late->error, "left out") && late->content.len == 0);
    fogrid__task_result__free_unpacked (result, NULL);
}

static bool
s_cpu_seen (void *arg)
{
    uint64_t cpu_ms, mem_bytes;
    miner_runner_usage ((miner_runner_t *) arg, &cpu_ms, &mem_bytes);
    return cpu_ms > 0 && mem_bytes > 0;
}

//  What a task used: its memory peak (wait4's ru_maxrss) and CPU time,
//  and the running figures while it runs (/proc)
static void
test_usage (void)
{
    s_spec_t spec;
    //  dd holds a 64 MiB buffer and fills it
    s_spec (&spec, 30, "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1", NULL);
    miner_runner_limits_t limits = s_limits ();
    Fogrid__TaskResult *result = s_run (&spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_EQUAL (result->exit_code, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result->usage);
    CU_ASSERT (result->usage->mem_peak_bytes > 50 * 1024 * 1024);
    CU_ASSERT (result->usage->mem_peak_bytes < 1024 * 1024 * 1024);
    printf ("\n    dd 64M: peak %.1f MB, cpu %" PRIu64 " ms ",
            result->usage->mem_peak_bytes / 1048576.0, result->usage->cpu_ms);
    fogrid__task_result__free_unpacked (result, NULL);

    //  A busy loop of one to two seconds, in a child of the shell
    //  (counted once the shell has waited for it)
    s_spec (&spec, 30, "sh", "-c", "sh -c 'end=$(($(date +%s) + 2)); "
            "while [ $(date +%s) -lt $end ]; do :; done'", NULL);
    limits.stats_interval_ms = 100;
    int64_t start = zclock_mono ();
    miner_runner_t *runner = miner_runner_new ("t-busy", 1, &spec.spec, &limits);
    CU_ASSERT (ts_wait_for (s_cpu_seen, runner, 5000));
    result = miner_runner_result (runner, 15000);
    int64_t wall_ms = zclock_mono () - start;
    miner_runner_destroy (&runner);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result->usage);
    long cores = sysconf (_SC_NPROCESSORS_ONLN);
    CU_ASSERT (result->usage->cpu_ms > 100);
    CU_ASSERT (result->usage->cpu_ms <= (uint64_t) (wall_ms * (cores > 0? cores: 1) + 100));
    printf ("busy loop: cpu %" PRIu64 " ms in %" PRId64 " ms ", result->usage->cpu_ms, wall_ms);
    fogrid__task_result__free_unpacked (result, NULL);

    //  Nothing ran (refused before fork): nothing measured
    s_spec (&spec, 10, "true", NULL);
    spec.env [0] = "NOT AN ENTRY";
    spec.spec.n_env = 1;
    result = s_run (&spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_PTR_NULL (result->usage);
    fogrid__task_result__free_unpacked (result, NULL);
}

void
test_miner_runner_add (void)
{
    CU_pSuite suite = CU_add_suite ("miner_runner", s_suite_init, s_suite_clean);
    CU_add_test (suite, "exit code, stdout and stderr", test_exit_code_and_output);
    CU_add_test (suite, "output over the bound is cut and flagged", test_output_bound);
    CU_add_test (suite, "a timeout kills the whole process group", test_timeout_kills_the_group);
    CU_add_test (suite, "KILL and destroy leave no process behind", test_kill);
    CU_add_test (suite, "programs that cannot run", test_cannot_run);
    CU_add_test (suite, "environment and work directory", test_environment_and_cwd);
    CU_add_test (suite, "memory and core limits", test_limits);
    CU_add_test (suite, "the benchmark-only null runtime", test_null_runtime);
    CU_add_test (suite, "tasks run as their own user", test_task_user);
    CU_add_test (suite, "output files: copied back, escapes refused", test_output_files);
    CU_add_test (suite, "output files over the bound: cut, left out, noted",
                 test_output_files_bound);
    CU_add_test (suite, "usage: memory peak and CPU time, while running and at the end",
                 test_usage);
}
