/*  =========================================================================
    test_miner_cgroup - process tasks held by cgroups: a fork bomb stopped
    by the pids limit, a program past its memory killed and reported as
    out of memory, a busy task held to its cores, cancel and timeout that
    kill a daemon that left the task's session, and a miner killed with
    SIGKILL whose next start leaves no cgroup of its previous life.
    Real processes and real cgroups, as root; each test says SKIPPED
    where the miner can make no cgroup here.
    =========================================================================  */
#include "test_support.h"
#include "test_miner_support.h"
#include "miner_runner.h"
#include "miner_cgroup.h"
#include "miner_groups.h"
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *s_root;                    //  the suite's temp dir
static char s_id [64];                  //  the miner id of this run's cgroups
static miner_cgroup_t *s_cgroups;       //  this run's

#define S_SKIP_UNLESS_CGROUPS \
    if (!miner_cgroup_active (s_cgroups)) { \
        printf ("SKIPPED: no cgroup can be made here (%s) ", miner_cgroup_detail (s_cgroups)); \
        return; \
    }

typedef struct {
    Fogrid__TaskSpec spec;
    char *argv [16];
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
    self->spec.timeout_s = timeout_s;
}

static miner_runner_limits_t
s_limits (void)
{
    miner_runner_limits_t limits = { .work_root = s_root, .grace_ms = 500,
                                     .cgroups = s_cgroups, .stats_interval_ms = 100 };
    return limits;
}

//  True when pid (in arg) is gone, or a zombie nobody reaped yet.
static bool
s_pid_gone (void *arg)
{
    pid_t pid = *(pid_t *) arg;
    char state = 0;
    return miner_groups_stat (pid, NULL, NULL, NULL, &state) || state == 'Z';
}

//  The directory of miner id's cgroups in the pids hierarchy (v1), or
//  the unified one (v2), as a miner started from here makes it.
static char *
s_miner_dir (const char *id)
{
    char own [PATH_MAX] = "/", line [PATH_MAX + 64];
    bool v2 = access ("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
    FILE *file = fopen ("/proc/self/cgroup", "r");
    while (file && fgets (line, sizeof line, file)) {
        line [strcspn (line, "\n")] = 0;
        char *first = strchr (line, ':'), *second = first? strchr (first + 1, ':'): NULL;
        if (!second)
            continue;
        *second = 0;
        if (v2? first [1] == 0: strstr (first + 1, "pids") != NULL)
            snprintf (own, sizeof own, "%s", second + 1);
    }
    if (file)
        fclose (file);
    const char *mount = v2? "/sys/fs/cgroup": "/sys/fs/cgroup/pids";
    char *dir = zsys_sprintf ("%s%s", mount, streq (own, "/")? "": own);
    struct stat info;
    if (stat (dir, &info)) {
        zstr_free (&dir);
        dir = zsys_sprintf ("%s", mount);
    }
    char *full = zsys_sprintf ("%s/fogrid/%s", dir, id);
    zstr_free (&dir);
    return full;
}

//  How many task cgroups are under dir; -1 when dir is not there.
static int
s_task_cgroups (const char *dir)
{
    DIR *base = opendir (dir);
    if (!base)
        return -1;
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir (base)))
        if (entry->d_name [0] != '.' && entry->d_type == DT_DIR)
            count++;
    closedir (base);
    return count;
}

//  The pid a task wrote into file (in dir), 0 if none in time.
static pid_t
s_pid_in (const char *dir, const char *file, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        char *text = ts_read_text (dir, file);
        pid_t pid = text? (pid_t) atoi (text): 0;
        zstr_free (&text);
        if (pid > 0)
            return pid;
        zclock_sleep (20);
    }
    return 0;
}

static int
s_suite_init (void)
{
    s_root = ts_tmpdir_new ("cgroup");
    if (!s_root)
        return -1;
    chmod (s_root, 0755);
    snprintf (s_id, sizeof s_id, "test-cgroup-%d", (int) getpid ());
    s_cgroups = miner_cgroup_new (s_id, 64);
    return 0;
}

static int
s_suite_clean (void)
{
    miner_cgroup_destroy (&s_cgroups);
    ts_tmpdir_remove (&s_root);
    return 0;
}

//  --------------------------------------------------------------------------
//  Tests

//  What this machine offers, as the miner says it at start
static void
test_kind (void)
{
    printf ("\n    %s: %s ", miner_cgroup_kind (s_cgroups), miner_cgroup_detail (s_cgroups));
    CU_ASSERT_PTR_NOT_NULL (s_cgroups);
    S_SKIP_UNLESS_CGROUPS;
    CU_ASSERT (strstr (miner_cgroup_detail (s_cgroups), s_id) != NULL);
    char *dir = s_miner_dir (s_id);
    CU_ASSERT_EQUAL (s_task_cgroups (dir), 0);
    zstr_free (&dir);

    //  Two miners that share an id but not a data directory: two names
    char one [160], two [160], again [160];
    miner_cgroup_name ("m-1", "/var/lib/fogrid/one", one, sizeof one);
    miner_cgroup_name ("m-1", "/var/lib/fogrid/two", two, sizeof two);
    miner_cgroup_name ("m-1", "/var/lib/fogrid/one", again, sizeof again);
    CU_ASSERT_STRING_NOT_EQUAL (one, two);
    CU_ASSERT_STRING_EQUAL (one, again);
    CU_ASSERT (strncmp (one, "m-1-", 4) == 0);

    //  Turned off: rlimits only, and said why
    setenv ("FOGRID_CGROUPS", "off", 1);
    miner_cgroup_t *off = miner_cgroup_new ("test-off", 0);
    unsetenv ("FOGRID_CGROUPS");
    CU_ASSERT_FALSE (miner_cgroup_active (off));
    CU_ASSERT_STRING_EQUAL (miner_cgroup_kind (off), "rlimits only");
    CU_ASSERT (strstr (miner_cgroup_detail (off), "off") != NULL);
    char err [256];
    CU_ASSERT_PTR_NULL (miner_cgroup_task_new (off, "t", 1, 0, err, sizeof err));
    miner_cgroup_destroy (&off);
    CU_ASSERT_PTR_NULL (off);
}

//  The class itself: two names that read the same once cleaned get two
//  cgroups; a process that enters one is counted, measured, killed
static void
test_task_cgroups (void)
{
    S_SKIP_UNLESS_CGROUPS;
    char err [512] = "";
    miner_cgroup_task_t *first = miner_cgroup_task_new (s_cgroups, "a/b", 2, 64, err, sizeof err);
    miner_cgroup_task_t *second = miner_cgroup_task_new (s_cgroups, "a_b", 1, 0, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (first);
    CU_ASSERT_PTR_NOT_NULL_FATAL (second);
    CU_ASSERT_EQUAL (miner_cgroup_task_procs (first), 0);
    CU_ASSERT_EQUAL (miner_cgroup_task_pids_max (first), 64);
    pid_t child = fork ();
    if (child == 0) {
        if (miner_cgroup_task_enter (first) == 0)
            execlp ("sleep", "sleep", "30", NULL);
        _exit (1);
    }
    CU_ASSERT_FATAL (child > 0);
    int64_t deadline = zclock_mono () + 3000;
    while (miner_cgroup_task_procs (first) != 1 && zclock_mono () < deadline)
        zclock_sleep (10);
    CU_ASSERT_EQUAL (miner_cgroup_task_procs (first), 1);
    CU_ASSERT_EQUAL (miner_cgroup_task_procs (second), 0);
    uint64_t cpu_ms = 1, mem_bytes = 0, mem_peak = 0;
    CU_ASSERT_EQUAL (miner_cgroup_task_usage (first, &cpu_ms, &mem_bytes, &mem_peak), 0);
    CU_ASSERT (mem_bytes > 0 && mem_bytes < 64 * 1024 * 1024);
    CU_ASSERT_EQUAL (miner_cgroup_task_oom_kills (first), 0);
    CU_ASSERT_EQUAL (miner_cgroup_task_pids_refused (first), 0);
    CU_ASSERT_EQUAL (miner_cgroup_task_kill (first), 1);
    CU_ASSERT_EQUAL (miner_cgroup_task_procs (first), 0);
    int status = 0;
    CU_ASSERT_EQUAL (waitpid (child, &status, 0), child);
    CU_ASSERT (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
    miner_cgroup_task_destroy (&first);
    miner_cgroup_task_destroy (&second);
    CU_ASSERT_PTR_NULL (first);
    char *dir = s_miner_dir (s_id);
    CU_ASSERT_EQUAL (s_task_cgroups (dir), 0);
    zstr_free (&dir);
}

//  A task that forks 1,000 children meets its pids limit (64 here): the
//  shell cannot fork, fails, and the result says why; nothing is left
static void
test_pids_limit (void)
{
    S_SKIP_UNLESS_CGROUPS;
    s_spec_t spec;
    s_spec (&spec, 30, "sh", "-c",
            "i=0; while [ $i -lt 1000 ]; do sleep 30 & i=$((i + 1)); done; wait", NULL);
    miner_runner_limits_t limits = s_limits ();
    miner_runner_t *runner = miner_runner_new ("t-forks", 1, &spec.spec, &limits);
    Fogrid__TaskResult *result = miner_runner_result (runner, 20000);
    miner_runner_destroy (&runner);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    printf ("\n    exit %d, error '%s', stderr '%.*s' ", result->exit_code, result->error,
            (int) (result->stderr.len < 80? result->stderr.len: 80), result->stderr.data);
    CU_ASSERT_NOT_EQUAL (result->exit_code, 0);
    CU_ASSERT_FALSE (result->timed_out);
    CU_ASSERT (strstr (result->error, "refused") && strstr (result->error, "limit of 64"));
    //  Its sleeps went with it, and so did its cgroup
    char *dir = s_miner_dir (s_id);
    CU_ASSERT_EQUAL (s_task_cgroups (dir), 0);
    zstr_free (&dir);
    fogrid__task_result__free_unpacked (result, NULL);
}

//  --mem 32 and a program that builds a 200 MB string: killed by the
//  kernel, and said so
static void
test_memory_limit (void)
{
    S_SKIP_UNLESS_CGROUPS;
    s_spec_t spec;
    s_spec (&spec, 30, "awk", "BEGIN { s = \"x\"; while (length (s) < 200000000) s = s s; "
            "print length (s) }", NULL);
    spec.spec.mem_mb = 32;
    miner_runner_limits_t limits = s_limits ();
    miner_runner_t *runner = miner_runner_new ("t-memory", 1, &spec.spec, &limits);
    Fogrid__TaskResult *result = miner_runner_result (runner, 20000);
    miner_runner_destroy (&runner);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    printf ("\n    exit %d, signal %d, error '%s' ", result->exit_code, result->term_signal,
            result->error);
    CU_ASSERT_EQUAL (result->term_signal, SIGKILL);
    CU_ASSERT_EQUAL (result->stdout.len, 0);
    CU_ASSERT_STRING_EQUAL (result->error, "killed: out of memory (limit 32 MB)");
    CU_ASSERT_PTR_NOT_NULL_FATAL (result->usage);
    //  Its peak, from the cgroup, is within the limit
    CU_ASSERT (result->usage->mem_peak_bytes > 8 * 1024 * 1024);
    CU_ASSERT (result->usage->mem_peak_bytes <= 33 * 1024 * 1024);
    fogrid__task_result__free_unpacked (result, NULL);

    //  A task that names no limit gets what the miner offers
    spec.spec.mem_mb = 0;
    limits.offered_mem_mb = 32;
    runner = miner_runner_new ("t-memory-offered", 1, &spec.spec, &limits);
    result = miner_runner_result (runner, 20000);
    miner_runner_destroy (&runner);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_STRING_EQUAL (result->error, "killed: out of memory (limit 32 MB)");
    fogrid__task_result__free_unpacked (result, NULL);
    limits.offered_mem_mb = 0;

    //  The same with room succeeds: the limit is the task's, not a rule
    spec.spec.mem_mb = 1024;
    s_spec (&spec, 30, "awk", "BEGIN { s = \"x\"; while (length (s) < 20000000) s = s s; "
            "print length (s) }", NULL);
    spec.spec.mem_mb = 1024;
    runner = miner_runner_new ("t-memory-ok", 1, &spec.spec, &limits);
    result = miner_runner_result (runner, 20000);
    miner_runner_destroy (&runner);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_EQUAL (result->exit_code, 0);
    CU_ASSERT_STRING_EQUAL (result->error, "");
    fogrid__task_result__free_unpacked (result, NULL);
}

//  Two busy loops under --cores 1 use one core at most over the task's
//  wall time, as the cgroup counts it
static void
test_cores (void)
{
    S_SKIP_UNLESS_CGROUPS;
    s_spec_t spec;
    s_spec (&spec, 3, "sh", "-c", "while :; do :; done & while :; do :; done", NULL);
    spec.spec.cores = 1;
    miner_runner_limits_t limits = s_limits ();
    miner_runner_t *runner = miner_runner_new ("t-cores", 1, &spec.spec, &limits);
    Fogrid__TaskResult *result = miner_runner_result (runner, 20000);
    miner_runner_destroy (&runner);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_TRUE (result->timed_out);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result->usage);
    int64_t wall_ms = (int64_t) (result->ended_ms - result->started_ms);
    printf ("\n    2 busy loops, --cores 1: cpu %" PRIu64 " ms in %" PRId64 " ms ",
            result->usage->cpu_ms, wall_ms);
    //  The quota (100 ms per 100 ms period) and a few periods' slack;
    //  without it the two loops take twice the wall time on two cores
    CU_ASSERT (result->usage->cpu_ms <= (uint64_t) wall_ms + 300);
    CU_ASSERT (result->usage->cpu_ms > 100);
    fogrid__task_result__free_unpacked (result, NULL);
}

//  A daemon that left the task's group and session (setsid) is killed on
//  cancel, on timeout, and when its task ends
static void
test_kill_whole_cgroup (void)
{
    S_SKIP_UNLESS_CGROUPS;
    const char *script = "setsid sh -c 'echo $$ > daemon.pid; exec sleep 60' & sleep 60";
    const char *scenarios [] = { "cancel", "timeout", "exit" };
    for (int index = 0; index < 3; index++) {
        s_spec_t spec;
        s_spec (&spec, index == 1? 1: 60, "sh", "-c",
                index == 2? "setsid sh -c 'echo $$ > daemon.pid; exec sleep 60' & "
                            "while [ ! -s daemon.pid ]; do sleep 0.05; done": script, NULL);
        miner_runner_limits_t limits = s_limits ();
        miner_runner_t *runner = miner_runner_new ("t-daemon", 1, &spec.spec, &limits);
        pid_t leader = miner_runner_pid (runner);
        pid_t daemon = s_pid_in (miner_runner_workdir (runner), "daemon.pid", 3000);
        CU_ASSERT_FATAL (daemon > 0);
        pid_t daemon_sid = 0;
        miner_groups_stat (daemon, NULL, &daemon_sid, NULL, NULL);
        CU_ASSERT (daemon_sid != getsid (leader));      //  out of its session
        if (index == 0)
            miner_runner_kill (runner);
        Fogrid__TaskResult *result = miner_runner_result (runner, 10000);
        CU_ASSERT_PTR_NOT_NULL (result);
        if (result) {
            CU_ASSERT_EQUAL (result->timed_out, index == 1);
            if (index == 0)
                CU_ASSERT_STRING_EQUAL (result->error, "killed");
        }
        bool gone = ts_wait_for (s_pid_gone, &daemon, 3000);
        printf ("\n    %s: the daemon %s ", scenarios [index], gone? "is gone": "is still there");
        CU_ASSERT (gone);
        if (!gone)
            kill (daemon, SIGKILL);
        fogrid__task_result__free_unpacked (result, NULL);
        miner_runner_destroy (&runner);
    }
    //  Destroyed while it runs (the miner's shutdown): the same
    s_spec_t spec;
    s_spec (&spec, 60, "sh", "-c", script, NULL);
    miner_runner_limits_t limits = s_limits ();
    miner_runner_t *runner = miner_runner_new ("t-daemon", 2, &spec.spec, &limits);
    pid_t daemon = s_pid_in (miner_runner_workdir (runner), "daemon.pid", 3000);
    CU_ASSERT_FATAL (daemon > 0);
    miner_runner_destroy (&runner);
    CU_ASSERT (ts_wait_for (s_pid_gone, &daemon, 3000));
    char *dir = s_miner_dir (s_id);
    CU_ASSERT_EQUAL (s_task_cgroups (dir), 0);
    zstr_free (&dir);
}

//  --------------------------------------------------------------------------
//  A miner killed with SIGKILL: a fake hub gives it a task whose daemon
//  left the task's group and session (so its record of groups cannot
//  find it); the next start empties and removes the task's cgroup

static void
s_hub_assign_sh (tm_hub_t *hub, const char *task_id, const char *script)
{
    char *argv [] = { "sh", "-c", (char *) script };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.argv = argv;
    spec.n_argv = 3;
    spec.timeout_s = 120;
    spec.cores = 1;
    Fogrid__TaskAssign assign = FOGRID__TASK_ASSIGN__INIT;
    assign.task_id = (char *) task_id;
    assign.attempt = 1;
    assign.spec = &spec;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = 1;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_ASSIGN;
    env.task_assign = &assign;
    tm_hub_send (hub, &env);
}

static ts_proc_t *
s_miner_start (const char *name, const char *endpoint, const char *data, const char *id,
               int http_port)
{
    char *id_opt = zsys_sprintf ("miner/id=%s", id);
    char *http_opt = zsys_sprintf ("miner/http=%s%d", http_port? "127.0.0.1:": "",
                                   http_port);
    if (!http_port)
        snprintf (http_opt, strlen (http_opt) + 1, "miner/http=");
    ts_proc_t *miner = ts_proc_start (s_root, name, "fogrid-miner", "--hub", endpoint,
                                      "--data", data, "--cores", "2",
                                      "-o", "security/insecure=1", "-o", "miner/task_user=",
                                      "-o", "miner/heartbeat_ms=100", "-o", id_opt,
                                      "-o", http_opt, NULL);
    zstr_free (&id_opt);
    zstr_free (&http_opt);
    return miner;
}

static void
test_miner_restart (void)
{
    S_SKIP_UNLESS_CGROUPS;
    char id [64];
    snprintf (id, sizeof id, "test-restart-%d", (int) getpid ());
    char *data = zsys_sprintf ("%s/restart", s_root);
    char *pid_file = zsys_sprintf ("%s/daemon.pid", s_root);
    char *script = zsys_sprintf ("setsid sh -c 'echo $$ > %s; exec sleep 60' & sleep 60",
                                 pid_file);
    char *dir = NULL;
    tm_hub_t hub;
    tm_hub_open (&hub);
    ts_proc_t *miner = s_miner_start ("miner-cg-1", hub.endpoint, data, id, 0);
    fg_env_t *hello = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_HELLO, 5000);
    CU_ASSERT_PTR_NOT_NULL (hello);
    if (!hello) {
        ts_proc_dump_log (miner);
        goto done;
    }
    tm_hub_welcome (&hub, hello->seq, 100);
    fg_msg_free (&hello);
    //  Its directory: named for its id and its data directory (made by now)
    char name [160];
    miner_cgroup_name (id, data, name, sizeof name);
    dir = s_miner_dir (name);
    s_hub_assign_sh (&hub, "t-restart", script);
    pid_t daemon = s_pid_in (s_root, "daemon.pid", 5000);
    CU_ASSERT_FATAL (daemon > 0);
    CU_ASSERT_EQUAL (s_task_cgroups (dir), 1);

    //  Its guardian killed first (it would end the daemon at once), so
    //  that what is left waits for the next start ("[n]": not the shell
    //  that runs pgrep)
    char *guardian = NULL;
    ts_run (&guardian, "pgrep -f -- '--guardia[n] 3 %d '", (int) miner->pid);
    CU_ASSERT (guardian && atoi (guardian) > 0);
    if (guardian && atoi (guardian) > 0)
        kill ((pid_t) atoi (guardian), SIGKILL);
    zstr_free (&guardian);
    ts_proc_kill (&miner);
    zclock_sleep (300);
    CU_ASSERT (!s_pid_gone (&daemon));          //  it outlived the miner

    int http_port = ts_free_port ();
    miner = s_miner_start ("miner-cg-2", hub.endpoint, data, id, http_port);
    hello = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_HELLO, 8000);
    CU_ASSERT_PTR_NOT_NULL (hello);
    fg_msg_free (&hello);
    //  Before its hello: the daemon is gone and so is its task's cgroup
    bool gone = s_pid_gone (&daemon);
    CU_ASSERT (gone);
    CU_ASSERT_EQUAL (s_task_cgroups (dir), 0);
    char *log = ts_read_text (s_root, "miner-cg-2.log");
    CU_ASSERT (log && strstr (log, "left in cgroup"));
    if (!log || !strstr (log, "left in cgroup"))
        ts_proc_dump_log (miner);
    zstr_free (&log);
    //  How its tasks are held, for an operator to see
    char *output = NULL;
    CU_ASSERT_EQUAL (ts_run (&output, "curl -s http://127.0.0.1:%d/readyz", http_port), 0);
    CU_ASSERT (output && strstr (output, "\ncgroup v"));
    zstr_free (&output);
    CU_ASSERT_EQUAL (ts_run (&output, "curl -s http://127.0.0.1:%d/api/v1/status", http_port), 0);
    CU_ASSERT (output && strstr (output, "\"isolation\"") && strstr (output, id));
    zstr_free (&output);
    if (!gone)
        kill (daemon, SIGKILL);
done:
    if (miner)
        ts_proc_stop (&miner, 3000);
    //  A miner that stops leaves its directory empty, and removes it
    if (dir)
        CU_ASSERT_EQUAL (s_task_cgroups (dir), -1);
    tm_hub_close (&hub);
    zstr_free (&dir);
    zstr_free (&script);
    zstr_free (&pid_file);
    zstr_free (&data);
}

static bool
s_log_says_rlimits (void *arg)
{
    char *log = ts_read_text (s_root, (const char *) arg);
    bool said = log && strstr (log, "rlimits only, no cgroup: cgroups turned off");
    zstr_free (&log);
    return said;
}

//  A miner with no cgroups says so: in its log at start and in /readyz
static void
test_miner_without_cgroups (void)
{
    tm_hub_t hub;
    tm_hub_open (&hub);
    char *data = zsys_sprintf ("%s/off", s_root);
    int http_port = ts_free_port ();
    setenv ("FOGRID_CGROUPS", "off", 1);
    ts_proc_t *miner = s_miner_start ("miner-cg-off", hub.endpoint, data, "test-off", http_port);
    unsetenv ("FOGRID_CGROUPS");
    CU_ASSERT (ts_wait_for (s_log_says_rlimits, "miner-cg-off.log", 5000));
    fg_env_t *hello = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_HELLO, 5000);
    CU_ASSERT_PTR_NOT_NULL (hello);
    fg_msg_free (&hello);
    char *output = NULL;
    ts_run (&output, "curl -s http://127.0.0.1:%d/readyz", http_port);
    CU_ASSERT (output && strstr (output, "\nrlimits only: cgroups turned off"));
    zstr_free (&output);
    ts_proc_stop (&miner, 3000);
    tm_hub_close (&hub);
    zstr_free (&data);
}

void
test_miner_cgroup_add (void)
{
    CU_pSuite suite = CU_add_suite ("miner_cgroup", s_suite_init, s_suite_clean);
    CU_add_test (suite, "what the machine offers, or why nothing", test_kind);
    CU_add_test (suite, "task cgroups: entered, measured, killed, removed", test_task_cgroups);
    CU_add_test (suite, "a fork bomb meets its pids limit, and is told so", test_pids_limit);
    CU_add_test (suite, "past its memory: killed and reported out of memory",
                 test_memory_limit);
    CU_add_test (suite, "two busy loops under --cores 1 get one core", test_cores);
    CU_add_test (suite, "cancel, timeout, exit and shutdown kill a setsid daemon",
                 test_kill_whole_cgroup);
    CU_add_test (suite, "a miner killed with SIGKILL: its next start removes its cgroups",
                 test_miner_restart);
    CU_add_test (suite, "a miner without cgroups says so", test_miner_without_cgroups);
}
