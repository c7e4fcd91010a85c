/*  =========================================================================
    test_miner_crash - crashes without side effects, on the miner's side:
    a task process dies with a miner killed by SIGKILL (run as root, the
    task as nobody: the death signal must survive the change of user);
    what a task left behind is killed by the next start before its hello;
    a result the hub answers with FG_E_HELLO (it restarted) is kept, the
    miner says hello listing it, and sends it again once welcomed (one
    refused by a rate limit, a moment later); a hub that restarts on the
    same port loses no result and gets none twice
    =========================================================================  */
#include "test_support.h"
#include "test_miner_support.h"
#include "miner_agent.h"
#include "miner_cgroup.h"
#include "miner_groups.h"
#include "miner_results.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

static char *s_dir;                     //  the suite's temp dir

//  --------------------------------------------------------------------------
//  The fake hub (test_miner_support.h): what this suite asks of it

static void
s_hub_welcome (tm_hub_t *hub, uint64_t seq)
{
    tm_hub_welcome (hub, seq, 100);
}

static void
s_hub_ok (tm_hub_t *hub, uint64_t seq)
{
    Fogrid__Ok ok = FOGRID__OK__INIT;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_OK;
    env.ok = &ok;
    tm_hub_send (hub, &env);
}

static void
s_hub_assign (tm_hub_t *hub, const char *task_id, uint32_t attempt, char **argv, size_t argc)
{
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.argv = argv;
    spec.n_argv = argc;
    spec.timeout_s = 120;
    spec.cores = 1;
    Fogrid__TaskAssign assign = FOGRID__TASK_ASSIGN__INIT;
    assign.task_id = (char *) task_id;
    assign.attempt = attempt;
    assign.spec = &spec;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = 1;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_ASSIGN;
    env.task_assign = &assign;
    tm_hub_send (hub, &env);
}

static void
s_hub_assign_sh (tm_hub_t *hub, const char *task_id, uint32_t attempt, const char *script)
{
    char *argv [] = { "sh", "-c", (char *) script };
    s_hub_assign (hub, task_id, attempt, argv, 3);
}

//  True when the hello lists task_id/attempt among what the miner runs.
static bool
s_hello_lists (fg_env_t *hello, const char *task_id, uint32_t attempt)
{
    for (size_t index = 0; index < hello->miner_hello->n_running; index++)
        if (streq (hello->miner_hello->running [index]->task_id, task_id)
        &&  hello->miner_hello->running [index]->attempt == attempt)
            return true;
    return false;
}

//  --------------------------------------------------------------------------
//  Processes

//  True when pid (in arg) is gone, or a zombie nobody reaped yet (it
//  holds nothing any more).
static bool
s_pid_gone (void *arg)
{
    pid_t pid = *(pid_t *) arg;
    char state = 0;
    return miner_groups_stat (pid, NULL, NULL, NULL, &state) || state == 'Z';
}

//  The pid of the one task recorded in DATA/groups, 0 if none in time.
static pid_t
s_recorded_pid (const char *data, int timeout_ms)
{
    char *dir = zsys_sprintf ("%s/groups", data);
    pid_t pid = 0;
    int64_t deadline = zclock_mono () + timeout_ms;
    while (!pid && zclock_mono () < deadline) {
        DIR *records = opendir (dir);
        struct dirent *entry;
        while (records && (entry = readdir (records)))
            if (entry->d_name [0] != '.')
                pid = (pid_t) atoi (entry->d_name);
        if (records)
            closedir (records);
        if (!pid)
            zclock_sleep (20);
    }
    zstr_free (&dir);
    return pid;
}

//  A live process other than pid in group pgid; 0 if none in time.
static pid_t
s_group_member (pid_t pgid, pid_t not_pid, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        DIR *proc = opendir ("/proc");
        struct dirent *entry;
        pid_t found = 0;
        while (proc && !found && (entry = readdir (proc))) {
            pid_t pid = (pid_t) atoi (entry->d_name);
            pid_t group;
            char state;
            if (pid > 0 && pid != not_pid
            &&  miner_groups_stat (pid, &group, NULL, NULL, &state) == 0
            &&  group == pgid && state != 'Z')
                found = pid;
        }
        if (proc)
            closedir (proc);
        if (found)
            return found;
        zclock_sleep (20);
    }
    return 0;
}

//  The real uid of pid, -1 if unknown.
static int
s_pid_uid (pid_t pid)
{
    char path [64], line [256];
    snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *file = fopen (path, "r");
    int uid = -1;
    while (file && fgets (line, sizeof line, file))
        if (strncmp (line, "Uid:", 4) == 0)
            uid = atoi (line + 4);
    if (file)
        fclose (file);
    return uid;
}

//  The miner's guardian (miner_guardian.h): the process whose argv is
//  "fogrid-miner --guardian FD MINER_PID ..." for this miner; 0 if none
static pid_t
s_guardian_of (pid_t miner)
{
    DIR *proc = opendir ("/proc");
    struct dirent *entry;
    pid_t found = 0;
    while (proc && !found && (entry = readdir (proc))) {
        pid_t pid = (pid_t) atoi (entry->d_name);
        char path [64], args [512];
        snprintf (path, sizeof path, "/proc/%d/cmdline", (int) pid);
        FILE *file = pid > 0? fopen (path, "r"): NULL;
        if (!file)
            continue;
        size_t got = fread (args, 1, sizeof args - 1, file);
        fclose (file);
        args [got] = 0;
        //  NUL-separated: argv [1] is --guardian, argv [3] the miner's pid
        char *arg [4] = { args };
        for (int index = 1; index < 4; index++)
            arg [index] = arg [index - 1] < args + got? arg [index - 1] + strlen (arg [index - 1]) + 1
                                                     : args + got;
        if (arg [3] < args + got && streq (arg [1], "--guardian") && atoi (arg [3]) == (int) miner
        &&  !s_pid_gone (&pid))
            found = pid;
    }
    if (proc)
        closedir (proc);
    return found;
}

//  The live processes with text in their argv (zombies are gone); with
//  kill, each is killed (a failed test's leftovers).
static int
s_marked (const char *text, bool kill_them)
{
    DIR *proc = opendir ("/proc");
    struct dirent *entry;
    int count = 0;
    while (proc && (entry = readdir (proc))) {
        pid_t pid = (pid_t) atoi (entry->d_name);
        char path [64], args [1024];
        snprintf (path, sizeof path, "/proc/%d/cmdline", (int) pid);
        FILE *file = pid > 0 && pid != getpid ()? fopen (path, "r"): NULL;
        if (!file)
            continue;
        size_t got = fread (args, 1, sizeof args - 1, file);
        fclose (file);
        for (size_t index = 0; index < got; index++)
            if (!args [index])
                args [index] = ' ';
        args [got] = 0;
        if (strstr (args, text) && !s_pid_gone (&pid)) {
            count++;
            if (kill_them)
                kill (pid, SIGKILL);
        }
    }
    if (proc)
        closedir (proc);
    return count;
}

static bool
s_none_marked (void *arg)
{
    return s_marked ((const char *) arg, false) == 0;
}

static ts_proc_t *
s_miner_start (const char *name, const char *endpoint, const char *data, const char *user_opt)
{
    return ts_proc_start (s_dir, name, "fogrid-miner", "--hub", endpoint, "--data", data,
                          "--cores", "2", "-o", "security/insecure=1", "-o", user_opt,
                          "-o", "miner/heartbeat_ms=100", NULL);
}

//  How many cgroups named task the miner's cgroups (name) hold, under
//  every controller.
static int
s_task_cgroups (const char *name, const char *task)
{
    char *output = NULL;
    ts_run (&output, "find /sys/fs/cgroup -maxdepth 8 -type d -path '*/fogrid/%s/%s' "
            "2>/dev/null", name, task);
    int count = 0;
    for (char *cursor = output; cursor && *cursor; cursor++)
        count += *cursor == '\n';
    zstr_free (&output);
    return count;
}

//  A miner in a process group of its own (which it leads), as a shell
//  starts a job, so that the whole group can be killed
static ts_proc_t *
s_miner_start_group (const char *name, const char *endpoint, const char *data)
{
    ts_proc_t *self = (ts_proc_t *) zmalloc (sizeof (ts_proc_t));
    snprintf (self->name, sizeof self->name, "%s", name);
    snprintf (self->log, sizeof self->log, "%s/%s.log", s_dir, name);
    char path [1024];
    snprintf (path, sizeof path, "%s", ts_bin ("fogrid-miner"));
    char *argv [] = { path, "--hub", (char *) endpoint, "--data", (char *) data,
                      "--cores", "2", "-o", "security/insecure=1",
                      "-o", "miner/task_user=nobody", "-o", "miner/heartbeat_ms=100", NULL };
    fflush (NULL);
    self->pid = fork ();
    if (self->pid == 0) {
        setpgid (0, 0);
        int log = open (self->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        int null = open ("/dev/null", O_RDONLY);
        if (log >= 0) {
            dup2 (log, 1);
            dup2 (log, 2);
        }
        if (null >= 0)
            dup2 (null, 0);
        execv (path, argv);
        _exit (127);
    }
    if (self->pid > 0)
        setpgid (self->pid, self->pid);
    return self;
}

static int
s_suite_init (void)
{
    s_dir = ts_tmpdir_new ("miner-crash");
    //  Tasks that run as nobody must reach their work directories
    if (s_dir)
        chmod (s_dir, 0755);
    return s_dir? 0: -1;
}

static int
s_suite_clean (void)
{
    ts_tmpdir_remove (&s_dir);
    return 0;
}

//  --------------------------------------------------------------------------
//  Tests

//  The miner runs as root, its task as nobody: the death signal is asked
//  after the change of user (the kernel clears it on one), so the task
//  dies with a miner killed by SIGKILL
static void
test_task_dies_with_miner (void)
{
    if (geteuid () != 0 || !getpwnam ("nobody")) {
        printf ("SKIPPED: needs root and a user nobody ");
        return;
    }
    tm_hub_t hub;
    tm_hub_open (&hub);
    char *data = zsys_sprintf ("%s/pdeath", s_dir);
    ts_proc_t *miner = s_miner_start ("miner-pdeath", hub.endpoint, data, "miner/task_user=nobody");
    fg_env_t *hello = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_HELLO, 5000);
    CU_ASSERT_PTR_NOT_NULL (hello);
    if (!hello) {
        ts_proc_dump_log (miner);
        goto done;
    }
    s_hub_welcome (&hub, hello->seq);
    fg_msg_free (&hello);
    char *argv [] = { "sleep", "60" };
    s_hub_assign (&hub, "t-pdeath", 1, argv, 2);
    fg_env_t *started = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_TASK_STARTED, 5000);
    CU_ASSERT_PTR_NOT_NULL (started);
    fg_msg_free (&started);
    pid_t pid = s_recorded_pid (data, 3000);
    CU_ASSERT_FATAL (pid > 0);
    zclock_sleep (200);                 //  past its exec
    CU_ASSERT_EQUAL (s_pid_uid (pid), (int) getpwnam ("nobody")->pw_uid);
    CU_ASSERT (!s_pid_gone (&pid));

    //  Its cgroup, where the miner makes them: the guardian removes it
    char *id = ts_read_text (data, "miner.id"), name [160];
    CU_ASSERT_PTR_NOT_NULL_FATAL (id);
    id [strcspn (id, "\n")] = 0;
    miner_cgroup_name (id, data, name, sizeof name);
    zstr_free (&id);
    bool had_cgroup = s_task_cgroups (name, "t-pdeath-1") > 0;

    ts_proc_kill (&miner);
    CU_ASSERT (ts_wait_for (s_pid_gone, &pid, 2000));
    if (!s_pid_gone (&pid))
        kill (pid, SIGKILL);
    if (had_cgroup) {
        int64_t deadline = zclock_mono () + 3000;
        while (s_task_cgroups (name, "t-pdeath-1") && zclock_mono () < deadline)
            zclock_sleep (50);
        CU_ASSERT_EQUAL (s_task_cgroups (name, "t-pdeath-1"), 0);
    }
    else
        printf ("(no cgroups here) ");
done:
    if (miner)
        ts_proc_kill (&miner);
    zstr_free (&data);
    tm_hub_close (&hub);
}

//  A task's child outlives its miner (the death signal reaches the task's
//  own process only); the next start of the miner kills it, and only then
//  says hello
static void
test_restart_kills_leftovers (void)
{
    bool root = geteuid () == 0 && getpwnam ("nobody");
    const char *user_opt = root? "miner/task_user=nobody": "miner/task_user=";
    tm_hub_t hub;
    tm_hub_open (&hub);
    char *data = zsys_sprintf ("%s/leftovers", s_dir);
    ts_proc_t *miner = s_miner_start ("miner-left-1", hub.endpoint, data, user_opt);
    fg_env_t *hello = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_HELLO, 5000);
    CU_ASSERT_PTR_NOT_NULL (hello);
    if (!hello) {
        ts_proc_dump_log (miner);
        goto done;
    }
    s_hub_welcome (&hub, hello->seq);
    fg_msg_free (&hello);
    s_hub_assign_sh (&hub, "t-left", 4, "sleep 60 & wait");
    pid_t shell = s_recorded_pid (data, 3000);
    CU_ASSERT_FATAL (shell > 0);
    pid_t child = s_group_member (shell, shell, 3000);
    CU_ASSERT_FATAL (child > 0);

    //  A guardian killed too (it would end the sleep at once), so that
    //  what is left waits for the next start
    pid_t guardian = s_guardian_of (miner->pid);
    CU_ASSERT (guardian > 0);
    if (guardian > 0)
        kill (guardian, SIGKILL);
    ts_proc_kill (&miner);
    //  The shell goes with the miner; its sleep does not
    CU_ASSERT (ts_wait_for (s_pid_gone, &shell, 2000));
    zclock_sleep (300);
    CU_ASSERT (!s_pid_gone (&child));

    //  The next start: no hello while the sleep is there
    miner = s_miner_start ("miner-left-2", hub.endpoint, data, user_opt);
    hello = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_HELLO, 5000);
    bool gone = s_pid_gone (&child);
    CU_ASSERT_PTR_NOT_NULL (hello);
    CU_ASSERT (gone);
    if (hello) {
        CU_ASSERT_EQUAL (hello->miner_hello->n_running, 0);
    }
    fg_msg_free (&hello);
    //  ... said so in its log, and its record of groups is clean
    char *log = ts_read_text (s_dir, "miner-left-2.log");
    CU_ASSERT (log && strstr (log, "t-left attempt 4"));
    if (!log || !strstr (log, "t-left attempt 4"))
        ts_proc_dump_log (miner);
    zstr_free (&log);
    CU_ASSERT_EQUAL (s_recorded_pid (data, 100), 0);
    if (!gone)
        kill (child, SIGKILL);
done:
    if (miner)
        ts_proc_stop (&miner, 3000);
    zstr_free (&data);
    tm_hub_close (&hub);
}

//  How a miner ends, in the guardian's tests
typedef enum {
    S_END_KILL,                 //  kill -9 of the miner
    S_END_KILL_GROUP,           //  kill -9 of its whole process group
    S_END_TERM,                 //  SIGTERM: a clean stop
    S_END_KILL_RESTART          //  kill -9, and a new miner at once
} s_end_t;

//  A task whose children outlive its shell, on a real miner that ends as
//  end says: within moments no process of the task is left, without any
//  new start of the miner, and the guardian is gone too
static void
s_guardian_case (s_end_t end)
{
    if (geteuid () != 0 || !getpwnam ("nobody")) {
        printf ("SKIPPED: needs root and a user nobody ");
        return;
    }
    static int s_run = 0;
    s_run++;
    char marker [48];
    snprintf (marker, sizeof marker, "fgguard%d-%d", (int) getpid (), s_run);
    char *link = zsys_sprintf ("%s/%s-sleep", s_dir, marker);
    CU_ASSERT_FATAL (ts_run (NULL, "ln -sf \"$(command -v sleep)\" '%s'", link) == 0);
    char *script = zsys_sprintf ("'%s' 60 & '%s' 60; wait", link, link);
    char *data = zsys_sprintf ("%s/guard-%d", s_dir, s_run);
    char *name = zsys_sprintf ("miner-guard-%d", s_run);
    tm_hub_t hub;
    tm_hub_open (&hub);
    ts_proc_t *miner = end == S_END_KILL_GROUP
                     ? s_miner_start_group (name, hub.endpoint, data)
                     : s_miner_start (name, hub.endpoint, data, "miner/task_user=nobody");
    fg_env_t *hello = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_HELLO, 5000);
    CU_ASSERT_PTR_NOT_NULL (hello);
    if (!hello) {
        ts_proc_dump_log (miner);
        goto done;
    }
    s_hub_welcome (&hub, hello->seq);
    fg_msg_free (&hello);
    s_hub_assign_sh (&hub, "t-guard", 1, script);
    //  The shell and its two sleeps
    int64_t deadline = zclock_mono () + 5000;
    while (s_marked (marker, false) < 3 && zclock_mono () < deadline)
        zclock_sleep (20);
    CU_ASSERT_EQUAL (s_marked (marker, false), 3);
    //  The guardian: its own group, and not the data directory's lock
    pid_t guardian = s_guardian_of (miner->pid);
    CU_ASSERT (guardian > 0);
    if (s_marked (marker, false) != 3 || guardian <= 0)
        goto done;                      //  the miner and the task are stopped there
    CU_ASSERT_EQUAL (getpgid (guardian), guardian);
    char *lock = zsys_sprintf ("%s/lock", data);
    char *fds = NULL;
    ts_run (&fds, "ls -l /proc/%d/fd", (int) guardian);
    CU_ASSERT (fds && !strstr (fds, lock));
    CU_ASSERT (fds && !strstr (fds, "socket:"));
    zstr_free (&fds);
    zstr_free (&lock);

    int64_t since = zclock_mono ();
    if (end == S_END_KILL || end == S_END_KILL_RESTART)
        ts_proc_kill (&miner);
    else
    if (end == S_END_KILL_GROUP) {
        CU_ASSERT_EQUAL (kill (-miner->pid, SIGKILL), 0);
        ts_proc_kill (&miner);          //  reaps it
    }
    else
        CU_ASSERT_EQUAL (ts_proc_stop (&miner, 5000), 0);
    if (end == S_END_KILL_RESTART) {
        //  At once: nothing holds the data directory, and both sweeps
        //  (the guardian's, the new start's) do no harm
        char *again = zsys_sprintf ("%s-again", name);
        miner = s_miner_start (again, hub.endpoint, data, "miner/task_user=nobody");
        zstr_free (&again);
        hello = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_HELLO, 5000);
        CU_ASSERT_PTR_NOT_NULL (hello);
        if (hello)
            CU_ASSERT_EQUAL (hello->miner_hello->n_running, 0);
        fg_msg_free (&hello);
        CU_ASSERT (ts_proc_alive (miner));
    }
    bool gone = ts_wait_for (s_none_marked, marker, 3000);
    CU_ASSERT (gone);
    printf ("(task gone %s %d ms after the miner) ", gone? "in": "not in",
            (int) (zclock_mono () - since));
    CU_ASSERT (ts_wait_for (s_pid_gone, &guardian, 3000));
    if (end == S_END_KILL || end == S_END_KILL_GROUP) {
        //  It says what it killed, in the miner's log
        char *log_name = zsys_sprintf ("%s.log", name);
        char *log = ts_read_text (s_dir, log_name);
        CU_ASSERT (log && strstr (log, "guardian: miner") && strstr (log, "t-guard attempt 1"));
        zstr_free (&log);
        zstr_free (&log_name);
        CU_ASSERT_EQUAL (s_recorded_pid (data, 100), 0);
    }
done:
    if (miner)
        ts_proc_stop (&miner, 3000);
    s_marked (marker, true);
    unlink (link);
    zstr_free (&link);
    zstr_free (&script);
    zstr_free (&data);
    zstr_free (&name);
    tm_hub_close (&hub);
}

static void
test_guardian_after_kill (void)
{
    s_guardian_case (S_END_KILL);
}

static void
test_guardian_after_group_kill (void)
{
    s_guardian_case (S_END_KILL_GROUP);
}

static void
test_guardian_after_stop (void)
{
    s_guardian_case (S_END_TERM);
}

static void
test_guardian_and_restart (void)
{
    s_guardian_case (S_END_KILL_RESTART);
}

//  An agent in this process, data in DIR/NAME, its hub at endpoint.
static zactor_t *
s_agent_start (const char *name, const char *endpoint, const char *heartbeat_ms,
               fg_config_t **config_p)
{
    fg_config_t *config = fg_config_new (miner_agent_defs);
    char *data = zsys_sprintf ("%s/%s", s_dir, name);
    fg_config_set (config, "miner/data_dir", data);
    zstr_free (&data);
    fg_config_set (config, "miner/hubs", endpoint);
    fg_config_set (config, "security/insecure", "1");
    fg_config_set (config, "miner/task_user", "");
    fg_config_set (config, "miner/heartbeat_ms", heartbeat_ms);
    fg_config_set (config, "miner/cores", "2");
    fg_config_set (config, "miner/http", "");
    miner_agent_args_t args = { .config = config };
    zactor_t *agent = zactor_new (miner_agent_actor, &args);
    CU_ASSERT_EQUAL (args.rc, 0);
    *config_p = config;
    return agent;
}

//  The first result is answered FG_E_HELLO: the miner says hello listing
//  the task, and sends the same result again after the welcome; once it
//  is taken, nothing more
static void
test_result_kept_for_hello (void)
{
    tm_hub_t hub;
    tm_hub_open (&hub);
    fg_config_t *config;
    zactor_t *agent = s_agent_start ("kept", hub.endpoint, "100", &config);
    fg_env_t *hello = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_HELLO, 5000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (hello);
    s_hub_welcome (&hub, hello->seq);
    fg_msg_free (&hello);
    s_hub_assign_sh (&hub, "t-kept", 7, "echo kept");
    fg_env_t *result = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_TASK_RESULT, 5000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_STRING_EQUAL (result->task_result->task_id, "t-kept");
    fg_msg_send_error (hub.router, hub.peer, result->seq, FG_E_HELLO, "say hello first");
    fg_msg_free (&result);

    hello = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_HELLO, 3000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (hello);
    CU_ASSERT (s_hello_lists (hello, "t-kept", 7));
    s_hub_welcome (&hub, hello->seq);
    fg_msg_free (&hello);
    result = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_TASK_RESULT, 3000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_STRING_EQUAL (result->task_result->task_id, "t-kept");
    CU_ASSERT_EQUAL (result->task_result->attempt, 7);
    CU_ASSERT (result->task_result->stdout.len == 5
               && memcmp (result->task_result->stdout.data, "kept\n", 5) == 0);
    s_hub_ok (&hub, result->seq);
    fg_msg_free (&result);
    //  Taken: never again, and no longer in a hello
    result = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_TASK_RESULT, 1000);
    CU_ASSERT_PTR_NULL (result);
    fg_msg_free (&result);
    fg_msg_send_error (hub.router, hub.peer, 0x3A, FG_E_NOT_FOUND, "unknown miner");
    hello = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_HELLO, 3000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (hello);
    CU_ASSERT (!s_hello_lists (hello, "t-kept", 7));
    s_hub_welcome (&hub, hello->seq);
    fg_msg_free (&hello);

    //  A refusal that passes (a rate limit): the same result comes again
    //  a moment later, without a hello
    s_hub_assign_sh (&hub, "t-busy", 2, "echo busy");
    result = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_TASK_RESULT, 5000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    fg_msg_send_error (hub.router, hub.peer, result->seq, FG_E_RATE_LIMIT, "slow down");
    fg_msg_free (&result);
    int hellos = 0;
    int64_t deadline = zclock_mono () + 3000;
    while (!result && zclock_mono () < deadline) {
        fg_env_t *env = tm_hub_recv (&hub, 100);
        if (env && env->body_case == FOGRID__ENVELOPE__BODY_MINER_HELLO)
            hellos++;
        if (env && env->body_case == FOGRID__ENVELOPE__BODY_TASK_RESULT)
            result = env;
        else
            fg_msg_free (&env);
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_EQUAL (hellos, 0);
    CU_ASSERT_STRING_EQUAL (result->task_result->task_id, "t-busy");
    CU_ASSERT_EQUAL (result->task_result->attempt, 2);
    s_hub_ok (&hub, result->seq);
    fg_msg_free (&result);
    result = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_TASK_RESULT, 1000);
    CU_ASSERT_PTR_NULL (result);
    fg_msg_free (&result);

    zactor_destroy (&agent);
    fg_config_destroy (&config);
    tm_hub_close (&hub);
}

//  What a restarted hub sees: a result before any hello is refused with
//  FG_E_HELLO, as the real hub does; hellos welcomed; results taken.
typedef struct {
    bool welcomed;              //  a hello came since this hub (re)started
    int refused;                //  results answered FG_E_HELLO
    int taken;                  //  results answered Ok
    int hellos_without;         //  hellos that did not list the task while it was owed
    bool before_hello;          //  a result came before the first hello
} s_tally_t;

static void
s_serve (tm_hub_t *hub, s_tally_t *tally, const char *task_id, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        fg_env_t *env = tm_hub_recv (hub, (int) (deadline - zclock_mono ()));
        if (!env)
            continue;
        if (env->body_case == FOGRID__ENVELOPE__BODY_MINER_HELLO) {
            if (!tally->taken && !s_hello_lists (env, task_id, 1))
                tally->hellos_without++;
            tally->welcomed = true;
            s_hub_welcome (hub, env->seq);
        }
        else
        if (env->body_case == FOGRID__ENVELOPE__BODY_TASK_RESULT) {
            CU_ASSERT_STRING_EQUAL (env->task_result->task_id, task_id);
            CU_ASSERT_EQUAL (env->task_result->attempt, 1);
            if (!tally->welcomed) {
                tally->refused++;
                tally->before_hello = true;
                fg_msg_send_error (hub->router, hub->peer, env->seq, FG_E_HELLO,
                                   "say hello first");
            }
            else {
                tally->taken++;
                s_hub_ok (hub, env->seq);
            }
        }
        fg_msg_free (&env);
    }
}

//  The hub goes down while a task runs and comes back on the same port
//  after the task ended: the result reaches it once, after a hello that
//  listed the task
static void
test_hub_restart_loses_no_result (void)
{
    for (int round = 0; round < 2; round++) {
        //  Round 0: back before the link gives up on the connection (the
        //  result waits in the socket and comes before the hello); round
        //  1: back after (the result waits in the link, after the hello)
        uint32_t heartbeat = round == 0? 2000: 100;
        tm_hub_t hub;
        tm_hub_open (&hub);
        fg_config_t *config;
        zactor_t *agent = s_agent_start (round == 0? "restart-0": "restart-1", hub.endpoint,
                                         "100", &config);
        fg_env_t *hello = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_MINER_HELLO, 5000);
        CU_ASSERT_PTR_NOT_NULL_FATAL (hello);
        tm_hub_welcome (&hub, hello->seq, heartbeat);
        fg_msg_free (&hello);
        s_hub_assign_sh (&hub, "t-restart", 1, "sleep 0.3; echo done");
        fg_env_t *started = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_TASK_STARTED, 3000);
        CU_ASSERT_PTR_NOT_NULL (started);
        fg_msg_free (&started);
        int port = hub.port;
        tm_hub_close (&hub);
        zclock_sleep (round == 0? 800: 1500);       //  the task ends meanwhile

        memset (&hub, 0, sizeof hub);
        tm_hub_bind (&hub, port);
        s_tally_t tally = { false, 0, 0, 0, false };
        s_serve (&hub, &tally, "t-restart", 4000);
        CU_ASSERT_EQUAL (tally.taken, 1);
        //  Round 0 is the case of a hub that restarts quickly: the result
        //  it refused came first
        if (round == 0)
            CU_ASSERT (tally.before_hello);
        CU_ASSERT_EQUAL (tally.hellos_without, 0);
        if (tally.taken != 1 || tally.hellos_without)
            printf ("\nround %d: refused %d, taken %d, hellos without the task %d\n", round,
                    tally.refused, tally.taken, tally.hellos_without);
        zactor_destroy (&agent);
        fg_config_destroy (&config);
        tm_hub_close (&hub);
    }
}


//  The class that keeps results, on its own: what is held, sent, taken,
//  dropped, listed in a hello; and its bound
static void
test_results_class (void)
{
    miner_results_t *results = miner_results_new ();
    Fogrid__TaskResult result = FOGRID__TASK_RESULT__INIT;
    result.task_id = "t-a";
    result.attempt = 1;
    result.error = "";
    CU_ASSERT_EQUAL (miner_results_add (results, &result, "tcp://hub-1:1"), 0);
    result.task_id = "t-b";
    miner_results_add (results, &result, "tcp://hub-1:1");
    result.task_id = "t-c";
    miner_results_add (results, &result, "tcp://hub-2:1");
    CU_ASSERT_EQUAL (miner_results_size (results), 3);
    //  Nothing sent yet: all three held, oldest first
    zlistx_t *held = miner_results_held (results);
    CU_ASSERT_EQUAL (zlistx_size (held), 3);
    Fogrid__TaskResult *first = (Fogrid__TaskResult *) zlistx_first (held);
    CU_ASSERT_STRING_EQUAL (first->task_id, "t-a");
    for (Fogrid__TaskResult *item = first; item; item = (Fogrid__TaskResult *) zlistx_next (held))
        fogrid__task_result__free_unpacked (item, NULL);
    zlistx_destroy (&held);
    miner_results_sent (results, "t-a", 1, 0x14);
    miner_results_sent (results, "t-b", 1, 0x1C);
    //  Ok drops one; HELLO holds one; an unknown seq is not ours
    CU_ASSERT (miner_results_answer (results, 0x14, FG_OK));
    CU_ASSERT (miner_results_answer (results, 0x1C, FG_E_HELLO));
    CU_ASSERT (!miner_results_answer (results, 0x24, FG_OK));
    CU_ASSERT_EQUAL (miner_results_size (results), 2);
    held = miner_results_held (results);
    CU_ASSERT_EQUAL (zlistx_size (held), 2);
    for (Fogrid__TaskResult *item = (Fogrid__TaskResult *) zlistx_first (held); item;
         item = (Fogrid__TaskResult *) zlistx_next (held))
        fogrid__task_result__free_unpacked (item, NULL);
    zlistx_destroy (&held);
    //  Sent again and refused for good: dropped; a connection lost holds
    //  what is in flight
    miner_results_sent (results, "t-b", 1, 0x2C);
    miner_results_sent (results, "t-c", 1, 0x34);
    miner_results_hold_all (results);
    CU_ASSERT (!miner_results_answer (results, 0x2C, FG_E_STALE));
    miner_results_sent (results, "t-b", 1, 0x3C);
    CU_ASSERT (miner_results_answer (results, 0x3C, FG_E_STALE));
    CU_ASSERT_EQUAL (miner_results_size (results), 1);
    //  Listed for a hello; kept for its hub only
    Fogrid__TaskRef store [4], *refs [4];
    CU_ASSERT_EQUAL (miner_results_refs (results, store, refs), 1);
    CU_ASSERT_STRING_EQUAL (refs [0]->task_id, "t-c");
    CU_ASSERT_EQUAL (miner_results_keep_only (results, "tcp://hub-1:1"), 1);
    CU_ASSERT_EQUAL (miner_results_size (results), 0);
    //  The same task and attempt replaces; forget drops
    miner_results_add (results, &result, "h");
    miner_results_add (results, &result, "h");
    CU_ASSERT_EQUAL (miner_results_size (results), 1);
    miner_results_forget (results, "t-c", 1);
    CU_ASSERT_EQUAL (miner_results_size (results), 0);
    //  Bounded: 64 MiB of results, the oldest dropped beyond
    byte *big = (byte *) zmalloc (4 * 1024 * 1024);
    result.stdout.data = big;
    result.stdout.len = 4 * 1024 * 1024;
    size_t dropped = 0;
    for (int index = 0; index < 20; index++) {
        char id [16];
        snprintf (id, sizeof id, "t-big-%d", index);
        result.task_id = id;
        dropped += miner_results_add (results, &result, "h");
    }
    CU_ASSERT_EQUAL (dropped, 5);
    CU_ASSERT_EQUAL (miner_results_size (results), 15);
    held = miner_results_held (results);
    first = (Fogrid__TaskResult *) zlistx_first (held);
    CU_ASSERT_STRING_EQUAL (first->task_id, "t-big-5");
    for (Fogrid__TaskResult *item = first; item; item = (Fogrid__TaskResult *) zlistx_next (held))
        fogrid__task_result__free_unpacked (item, NULL);
    zlistx_destroy (&held);
    free (big);
    miner_results_destroy (&results);
}

void
test_miner_crash_add (void)
{
    CU_pSuite suite = CU_add_suite ("miner_crash", s_suite_init, s_suite_clean);
    CU_add_test (suite, "a task as nobody dies with its miner (kill -9)", test_task_dies_with_miner);
    CU_add_test (suite, "a miner killed (kill -9) and not restarted: its guardian ends what "
                 "the task started", test_guardian_after_kill);
    CU_add_test (suite, "the miner's whole process group killed: the guardian, in its own, "
                 "ends the task", test_guardian_after_group_kill);
    CU_add_test (suite, "a clean stop: the task ends, the guardian exits",
                 test_guardian_after_stop);
    CU_add_test (suite, "killed and restarted at once: the guardian holds no lock, both "
                 "sweeps are harmless", test_guardian_and_restart);
    CU_add_test (suite, "the next start kills what a task left, before its hello",
                 test_restart_kills_leftovers);
    CU_add_test (suite, "a result answered FG_E_HELLO is kept and sent after the welcome; "
                 "one answered FG_E_RATE_LIMIT a moment later",
                 test_result_kept_for_hello);
    CU_add_test (suite, "a hub that restarts loses no result and gets none twice",
                 test_hub_restart_loses_no_result);
    CU_add_test (suite, "miner_results: held, sent, taken, dropped, bounded", test_results_class);
}
