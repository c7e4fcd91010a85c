/*  =========================================================================
    miner_runner - runs one task with the `process` runtime

    DESIGN
    Each task gets its own actor thread, so a task that floods its output or
    ignores SIGTERM never holds up the agent's loop. The thread prepares
    everything that needs memory (argv, environment, program path, rlimits,
    work directory, pipes) before fork(), because between fork() and exec()
    a child of a threaded process may only make async-signal-safe calls.
    The child puts itself in a new process group (the parent does too, to
    close the race), becomes the task's user, and only then asks to be
    SIGKILLed when the runner thread dies (PR_SET_PDEATHSIG is tied to the
    thread that forked, which is exactly the thread that would reap it; and
    the kernel clears it on any change of credentials, so asked before the
    change it would be gone). It then checks that its parent is still the
    miner (one that died before the ask would never send the signal), and
    waits for a go from the miner, which first writes the group down
    (miner_groups.h) so that a restarted miner can kill what this task
    left; then it execs. An exec that fails writes its
    errno into a close-on-exec pipe, so "could not run" is told apart from
    a program that exits 127.

    The thread then polls the actor pipe, the two output pipes and a pidfd
    (which becomes readable when the child exits; without pidfd it checks
    every 50 ms). When the child exits it is first waited for with WNOWAIT
    so the zombie keeps its pid, and with it the process group id, reserved
    while the group is swept with SIGKILL: nothing the task started may
    outlive it, and a reused pid can never be hit. Then it is reaped and
    the pipes are drained (briefly: a process that left the group could
    hold them open forever).

    Timeout: SIGTERM to the group, SIGKILL grace_ms later. KILL on the pipe:
    SIGKILL at once. $TERM (destroy): SIGKILL, reap, no result. In every
    other case the owner gets one message, "RESULT" + an encoded
    TaskResult, and the thread waits for $TERM.

    Limits: RLIMIT_AS from the spec's mem_mb (or the miner's default),
    RLIMIT_CORE 0, RLIMIT_CPU a little over the timeout as a backstop should
    the runner itself be stuck. RLIMIT_NPROC is not set: it counts every
    process of the user (and root ignores it), so it cannot bound one task.
    =========================================================================  */
#include "fogrid.h"
#include "miner_runner.h"
#include "miner_null.h"
#include "miner_docker_runner.h"
#include "miner_service.h"
#include "miner_outputs.h"
#include "miner_groups.h"
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <sodium.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_DEFAULT_OUTPUT   (1024 * 1024)
#define S_DEFAULT_TIMEOUT  3600
#define S_DEFAULT_GRACE    1000
#define S_DRAIN_MS         500      //  after exit, how long to wait for EOF
#define S_MAX_ARGS         4096
#define S_MAX_ENV          4096
#define S_DEFAULT_FILES    (1024 * 1024)
#define S_DEFAULT_STATS_MS 1000
#define S_FIRST_STATS_MS   250      //  the first look, soon after the start
#define S_MAX_DEPTH        32       //  directory levels copied out
#define S_MAX_TREE         256      //  processes summed in one look at a task

struct _miner_runner_t {
    zactor_t *actor;            //  the thread that runs and watches the task
    char *task_id;              //  as the hub named it
    uint32_t attempt;           //  assignment number
    uint32_t cores;             //  asked for, 0 counted as 1
    uint64_t mem_mb;            //  memory limit applied, 0 = none
    pid_t pid;                  //  task process = group id; 0 if never started
    char workdir [PATH_MAX];    //  cwd and HOME of the task, "" if none
    bool killed;                //  miner_runner_kill was called (owner's side)
    bool taken;                 //  the result was received
    uint64_t cpu_ms;            //  running figures, written by the actor thread,
    uint64_t mem_bytes;         //  read by the owner (atomics)
    //  Read by the actor thread only until it signals (the caller's
    //  zactor_new waits for that signal, so these stay valid till then)
    const Fogrid__TaskSpec *spec;
    const miner_runner_limits_t *limits;
};

//  What we keep of one output stream.
typedef struct {
    int fd;                     //  read end of the pipe, -1 once at EOF
    byte *data;                 //  what we kept
    size_t size;                //  bytes kept
    size_t max;                 //  bound
    bool truncated;             //  more came than we kept
    crypto_hash_sha256_state sha256;    //  of everything that came
} s_output_t;

//  The actor thread's state.
typedef struct {
    miner_runner_t *owner;      //  shared fields, see above
    zsock_t *pipe;              //  to the owner
    char **argv;                //  NULL-terminated, for execve
    char **envp;                //  NULL-terminated, for execve
    char *program;              //  resolved path of argv [0]
    struct rlimit as_limit;     //  RLIMIT_AS to set (RLIM_INFINITY = none)
    struct rlimit cpu_limit;    //  RLIMIT_CPU backstop
    uint32_t timeout_s;         //  wall-clock limit
    int grace_ms;               //  SIGTERM -> SIGKILL
    bool drop_privileges;       //  the child becomes uid/gid before exec
    char groups_dir [PATH_MAX]; //  where its group is written down, "" = nowhere
    uid_t uid;
    gid_t gid;
    int pidfd;                  //  readable when the child exits, or -1
    s_output_t out;             //  stdout
    s_output_t err;             //  stderr
    bool exited;                //  child reaped
    int status;                 //  its wait status
    bool timed_out;             //  we ended it for its timeout
    bool killed;                //  KILL came on the pipe
    bool terminated;            //  $TERM came: no result wanted
    char error [512];           //  could not run: why
    int64_t started_ms;
    int64_t ended_ms;
    struct rusage rusage;       //  of the child and what it waited for, once reaped
    Fogrid__Usage usage;        //  the figures so far
    bool measured;              //  usage holds something
    int stats_ms;               //  between two looks at /proc
    char **outputs;             //  TaskSpec.outputs, NULL-terminated
    size_t max_files;           //  bound of the files copied back
    miner_outputs_t *files;     //  what was copied, after the end
} s_run_t;

//  --------------------------------------------------------------------------
//  Preparation (before fork, in the runner thread)

//  Finds name in the PATH list, as execvp would, but before fork() (execvp
//  may allocate, and the child must not).
static char *
s_find_program (const char *name, const char *path_list)
{
    if (strchr (name, '/'))
        return strdup (name);
    const char *dir = path_list;
    while (dir) {
        const char *end = strchr (dir, ':');
        size_t len = end? (size_t) (end - dir): strlen (dir);
        char candidate [PATH_MAX];
        if (len == 0)
            snprintf (candidate, sizeof candidate, "./%s", name);
        else
            snprintf (candidate, sizeof candidate, "%.*s/%s", (int) len, dir, name);
        struct stat info;
        if (stat (candidate, &info) == 0 && S_ISREG (info.st_mode)
        &&  access (candidate, X_OK) == 0)
            return strdup (candidate);
        dir = end? end + 1: NULL;
    }
    return NULL;
}

//  True when entry is KEY=VALUE with a shell-style name.
static bool
s_env_entry_valid (const char *entry)
{
    const char *equals = strchr (entry, '=');
    if (!equals || equals == entry || (entry [0] >= '0' && entry [0] <= '9'))
        return false;
    for (const char *c = entry; c < equals; c++)
        if (!(isalnum ((unsigned char) *c) || *c == '_'))
            return false;
    return true;
}

//  Sets entry (KEY=VALUE) in env, replacing an entry with the same key.
static void
s_env_put (char **env, size_t *count, const char *entry)
{
    size_t keylen = strchr (entry, '=') - entry + 1;
    for (size_t index = 0; index < *count; index++)
        if (strncmp (env [index], entry, keylen) == 0) {
            free (env [index]);
            env [index] = strdup (entry);
            return;
        }
    env [(*count)++] = strdup (entry);
}

static const char *
s_env_get (char **env, size_t count, const char *key)
{
    size_t keylen = strlen (key);
    for (size_t index = 0; index < count; index++)
        if (strncmp (env [index], key, keylen) == 0 && env [index][keylen] == '=')
            return env [index] + keylen + 1;
    return NULL;
}

static void
s_strv_free (char ***strv_p)
{
    if (*strv_p) {
        for (char **item = *strv_p; *item; item++)
            free (*item);
        free (*strv_p);
        *strv_p = NULL;
    }
}

//  Makes the task's work directory: ROOT/ID-ATTEMPT-XXXXXX. The id comes
//  from the network, so only safe characters of it reach the file system.
static int
s_make_workdir (s_run_t *run, const char *root)
{
    miner_runner_t *owner = run->owner;
    if (!root || !*root)
        root = "/tmp";
    if (zsys_dir_create ("%s", root)) {
        snprintf (run->error, sizeof run->error, "cannot create %s: %s", root, strerror (errno));
        return -1;
    }
    //  Absolute, so HOME and TMPDIR still hold after the task changes dir
    char absolute [PATH_MAX];
    if (!realpath (root, absolute)) {
        snprintf (run->error, sizeof run->error, "cannot resolve %s: %s", root, strerror (errno));
        return -1;
    }
    char safe [65];
    size_t len = 0;
    for (const char *c = owner->task_id; *c && len < sizeof safe - 1; c++)
        safe [len++] = (isalnum ((unsigned char) *c) || *c == '-' || *c == '_')? *c: '_';
    safe [len] = 0;
    snprintf (owner->workdir, sizeof owner->workdir, "%s/%s-%u-XXXXXX",
              absolute, len? safe: "task", owner->attempt);
    if (!mkdtemp (owner->workdir)) {
        snprintf (run->error, sizeof run->error, "cannot create a work directory in %s: %s",
                  root, strerror (errno));
        owner->workdir [0] = 0;
        return -1;
    }
    //  The task's own user must own its work directory (the directories
    //  above it need not be open to it: the child enters it while root)
    if (run->drop_privileges && chown (owner->workdir, run->uid, run->gid)) {
        snprintf (run->error, sizeof run->error, "cannot give %s to uid %d: %s",
                  owner->workdir, (int) run->uid, strerror (errno));
        return -1;
    }
    return 0;
}

//  Builds argv, the environment and the limits. Returns 0, or -1 with
//  run->error set (the task then ends at once with that error).
static int
s_prepare (s_run_t *run)
{
    miner_runner_t *owner = run->owner;
    const Fogrid__TaskSpec *spec = owner->spec;
    const miner_runner_limits_t *limits = owner->limits;

    const char *runtime = miner_runner_runtime (spec);
    if (!streq (runtime, "process") || limits->no_process) {
        snprintf (run->error, sizeof run->error, "runtime '%.64s' is not available here "
                  "(only '%s')", runtime, limits->no_process? "docker": "process");
        return -1;
    }
    if (spec->image && *spec->image) {
        snprintf (run->error, sizeof run->error,
                  "an image (%.64s) needs the docker runtime, not 'process'", spec->image);
        return -1;
    }
    if (spec->n_argv == 0 || !spec->argv [0] || !*spec->argv [0]) {
        snprintf (run->error, sizeof run->error, "empty argv: nothing to run");
        return -1;
    }
    if (spec->n_argv > S_MAX_ARGS || spec->n_env > S_MAX_ENV) {
        snprintf (run->error, sizeof run->error, "too many arguments or environment entries");
        return -1;
    }
    for (size_t index = 0; index < spec->n_env; index++)
        if (!s_env_entry_valid (spec->env [index])) {
            snprintf (run->error, sizeof run->error,
                      "environment entry '%.64s' is not KEY=VALUE", spec->env [index]);
            return -1;
        }
    run->drop_privileges = limits->drop_privileges;
    snprintf (run->groups_dir, sizeof run->groups_dir, "%s",
              limits->groups_dir? limits->groups_dir: "");
    run->uid = limits->task_uid;
    run->gid = limits->task_gid;
    if (s_make_workdir (run, limits->work_root))
        return -1;

    run->argv = (char **) zmalloc (sizeof (char *) * (spec->n_argv + 1));
    for (size_t index = 0; index < spec->n_argv; index++)
        run->argv [index] = strdup (spec->argv [index]);

    //  A minimal environment: the task sees nothing of the miner's own
    size_t count = 0;
    char **env = (char **) zmalloc (sizeof (char *) * (spec->n_env + 8));
    char entry [PATH_MAX + 64];
    const char *path = getenv ("PATH");
    snprintf (entry, sizeof entry, "PATH=%s", path && *path? path: "/usr/local/bin:/usr/bin:/bin");
    s_env_put (env, &count, entry);
    snprintf (entry, sizeof entry, "HOME=%s", owner->workdir);
    s_env_put (env, &count, entry);
    snprintf (entry, sizeof entry, "TMPDIR=%s", owner->workdir);
    s_env_put (env, &count, entry);
    for (size_t index = 0; index < spec->n_env; index++)
        s_env_put (env, &count, spec->env [index]);
    //  After the spec's entries: these are facts, not settings
    snprintf (entry, sizeof entry, "FOGRID_TASK_ID=%s", owner->task_id);
    s_env_put (env, &count, entry);
    snprintf (entry, sizeof entry, "FOGRID_ATTEMPT=%u", owner->attempt);
    s_env_put (env, &count, entry);
    env [count] = NULL;
    run->envp = env;

    run->program = s_find_program (run->argv [0], s_env_get (env, count, "PATH"));
    if (!run->program) {
        snprintf (run->error, sizeof run->error, "%.200s: no such program (PATH=%.200s)",
                  run->argv [0], s_env_get (env, count, "PATH"));
        return -1;
    }

    run->timeout_s = spec->timeout_s? spec->timeout_s: limits->default_timeout_s;
    if (run->timeout_s == 0)
        run->timeout_s = S_DEFAULT_TIMEOUT;
    run->grace_ms = limits->grace_ms > 0? limits->grace_ms: S_DEFAULT_GRACE;
    owner->mem_mb = spec->mem_mb? spec->mem_mb: limits->default_mem_mb;
    run->as_limit.rlim_cur = run->as_limit.rlim_max = owner->mem_mb
                           ? (rlim_t) owner->mem_mb * 1024 * 1024: RLIM_INFINITY;
    //  CPU seconds can only exceed wall seconds with several threads; this
    //  is a backstop for when the runner itself cannot enforce the timeout
    run->cpu_limit.rlim_cur = (rlim_t) run->timeout_s * 2 + 10;
    run->cpu_limit.rlim_max = run->cpu_limit.rlim_cur + 5;

    run->stats_ms = limits->stats_interval_ms > 0? limits->stats_interval_ms: S_DEFAULT_STATS_MS;
    run->max_files = limits->max_output_files? limits->max_output_files: S_DEFAULT_FILES;
    size_t outputs = spec->n_outputs < MINER_OUTPUTS_MAX_SPECS? spec->n_outputs
                                                              : MINER_OUTPUTS_MAX_SPECS;
    run->outputs = (char **) zmalloc (sizeof (char *) * (outputs + 1));
    for (size_t index = 0; index < outputs; index++)
        run->outputs [index] = strdup (spec->outputs [index]);
    return 0;
}

//  --------------------------------------------------------------------------
//  The child, between fork and exec: async-signal-safe calls only

static void __attribute__ ((noreturn))
s_child (s_run_t *run, pid_t parent, int null_fd, int out_fd, int err_fd, int exec_fd,
         int go_fd)
{
    setpgid (0, 0);

    //  Signals: defaults and nothing blocked, whatever the miner had
    sigset_t none;
    sigemptyset (&none);
    sigprocmask (SIG_SETMASK, &none, NULL);
    struct sigaction dfl;
    memset (&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        sigaction (sig, &dfl, NULL);

    if (dup2 (null_fd, 0) < 0 || dup2 (out_fd, 1) < 0 || dup2 (err_fd, 2) < 0)
        goto failed;
    //  Every other descriptor of the miner must stay behind (libzmq's are
    //  close-on-exec already; this covers anything else)
    if (syscall (SYS_close_range, 3, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */) != 0) {
        for (int fd = 3; fd < 65536; fd++)
            if (fd != exec_fd && fd != go_fd)
                fcntl (fd, F_SETFD, FD_CLOEXEC);
    }
    if (chdir (run->owner->workdir))
        goto failed;
    //  Last, after everything that needs the miner's rights: the task runs
    //  as its own user, without the miner's groups (docker among them)
    if (run->drop_privileges && (setgroups (0, NULL) || setgid (run->gid) || setuid (run->uid)))
        goto failed;
    //  After the change of user: the kernel clears the death signal on
    //  any change of credentials. Then the parent is looked at again, for
    //  it may have died before the signal was asked for
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    if (getppid () != parent)
        _exit (127);
    struct rlimit no_core = { 0, 0 };
    setrlimit (RLIMIT_CORE, &no_core);
    setrlimit (RLIMIT_CPU, &run->cpu_limit);
    if (run->as_limit.rlim_cur != RLIM_INFINITY
    &&  setrlimit (RLIMIT_AS, &run->as_limit))
        goto failed;
    //  The go: the miner has written our group down (miner_groups), so
    //  whatever we start can be found after a crash. EOF: it died first
    char go = 0;
    ssize_t got;
    do
        got = read (go_fd, &go, 1);
    while (got < 0 && errno == EINTR);
    if (got != 1 || go != 'g')
        _exit (127);
    execve (run->program, run->argv, run->envp);
failed:;
    int error = errno;
    ssize_t rc = write (exec_fd, &error, sizeof error);
    (void) rc;
    _exit (127);
}

//  --------------------------------------------------------------------------
//  Running (in the runner thread)

static void
s_output_read (s_output_t *output)
{
    byte chunk [65536];
    while (output->fd >= 0) {
        ssize_t got = read (output->fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return;             //  EAGAIN: nothing more now
        if (got == 0) {
            close (output->fd);
            output->fd = -1;
            return;
        }
        crypto_hash_sha256_update (&output->sha256, chunk, (size_t) got);
        size_t keep = (size_t) got;
        if (output->size + keep > output->max) {
            keep = output->max - output->size;
            output->truncated = true;
        }
        if (keep) {
            output->data = (byte *) realloc (output->data, output->size + keep);
            memcpy (output->data + output->size, chunk, keep);
            output->size += keep;
        }
    }
}

//  Forks and execs. Returns 0 when the program runs, or -1 with run->error.
static int
s_spawn (s_run_t *run)
{
    int out_pipe [2] = { -1, -1 }, err_pipe [2] = { -1, -1 }, exec_pipe [2] = { -1, -1 };
    int go_pair [2] = { -1, -1 };
    int null_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
    //  The go is a socket pair, so a child that died first costs no SIGPIPE
    if (null_fd < 0
    ||  pipe2 (out_pipe, O_CLOEXEC) || pipe2 (err_pipe, O_CLOEXEC)
    ||  pipe2 (exec_pipe, O_CLOEXEC)
    ||  socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go_pair)) {
        snprintf (run->error, sizeof run->error, "cannot make pipes: %s", strerror (errno));
        goto failed;
    }
    pid_t parent = getpid ();
    run->started_ms = fg_now_ms ();
    pid_t pid = fork ();
    if (pid < 0) {
        snprintf (run->error, sizeof run->error, "cannot fork: %s", strerror (errno));
        goto failed;
    }
    if (pid == 0)
        s_child (run, parent, null_fd, out_pipe [1], err_pipe [1], exec_pipe [1], go_pair [1]);

    //  Also here, so a kill right after fork reaches the group
    setpgid (pid, pid);
    run->owner->pid = pid;
    close (null_fd);
    close (out_pipe [1]);
    close (err_pipe [1]);
    close (exec_pipe [1]);
    close (go_pair [1]);
    run->out.fd = out_pipe [0];
    run->err.fd = err_pipe [0];
    fcntl (run->out.fd, F_SETFL, O_NONBLOCK);
    fcntl (run->err.fd, F_SETFL, O_NONBLOCK);
    //  Written down before the program runs, or it does not run
    if (*run->groups_dir
    &&  miner_groups_add (run->groups_dir, pid, run->owner->task_id, run->owner->attempt)) {
        snprintf (run->error, sizeof run->error, "cannot record its process group in %.200s: "
                  "%s", run->groups_dir, strerror (errno));
        kill (pid, SIGKILL);
    }
    else
    if (send (go_pair [0], "g", 1, MSG_NOSIGNAL) != 1)
        kill (pid, SIGKILL);
    close (go_pair [0]);

    //  EOF on the exec pipe: exec worked. An int: the child's errno.
    int child_errno = 0;
    ssize_t got;
    do
        got = read (exec_pipe [0], &child_errno, sizeof child_errno);
    while (got < 0 && errno == EINTR);
    close (exec_pipe [0]);
    if (got == sizeof child_errno && !*run->error)
        snprintf (run->error, sizeof run->error, "cannot run %.200s: %s",
                  run->program, strerror (child_errno));
    if (*run->error)
        return 0;               //  it exits 127 at once; reaped as usual
#ifdef SYS_pidfd_open
    run->pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
#endif
    return 0;

failed:
    if (null_fd >= 0)
        close (null_fd);
    for (int index = 0; index < 2; index++) {
        if (out_pipe [index] >= 0)
            close (out_pipe [index]);
        if (err_pipe [index] >= 0)
            close (err_pipe [index]);
        if (exec_pipe [index] >= 0)
            close (exec_pipe [index]);
        if (go_pair [index] >= 0)
            close (go_pair [index]);
    }
    return -1;
}

//  Signals the task's whole process group.
static void
s_signal_group (s_run_t *run, int sig)
{
    if (run->owner->pid > 0 && !run->exited)
        killpg (run->owner->pid, sig);
}

//  Reaps the child if it has exited. The group is swept first, while the
//  zombie still holds its pid (= the group id).
static bool
s_check_exit (s_run_t *run, bool block)
{
    if (run->exited || run->owner->pid <= 0)
        return run->exited;
    siginfo_t info;
    memset (&info, 0, sizeof info);
    int options = WEXITED | WNOWAIT | (block? 0: WNOHANG);
    int rc;
    do
        rc = waitid (P_PID, (id_t) run->owner->pid, &info, options);
    while (rc < 0 && errno == EINTR);
    if (rc < 0 || info.si_pid != run->owner->pid)
        return false;
    killpg (run->owner->pid, SIGKILL);
    while (wait4 (run->owner->pid, &run->status, 0, &run->rusage) < 0 && errno == EINTR)
        ;
    if (*run->groups_dir)
        miner_groups_remove (run->groups_dir, run->owner->pid);
    run->exited = true;
    run->ended_ms = fg_now_ms ();
    if (run->pidfd >= 0) {
        close (run->pidfd);
        run->pidfd = -1;
    }
    return true;
}

//  Reads /proc/PID/stat: CPU ticks of the process and of the children it
//  waited for, and its resident pages. Returns 0 or -1 (it is gone).
static int
s_proc_stat (pid_t pid, uint64_t *ticks, uint64_t *pages)
{
    char path [64], text [1024];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *file = fopen (path, "re");
    if (!file)
        return -1;
    size_t got = fread (text, 1, sizeof text - 1, file);
    fclose (file);
    text [got] = 0;
    //  After the name, which may hold anything: "(name) S ppid ...",
    //  utime stime cutime cstime are fields 14..17, rss field 24
    char *after = strrchr (text, ')');
    unsigned long long field [22];
    int count = 0;
    for (char *cursor = after? after + 2: NULL; cursor && *cursor && count < 22; count++) {
        cursor += strcspn (cursor, " ");
        while (*cursor == ' ')
            cursor++;
        field [count] = strtoull (cursor, NULL, 10);
    }
    if (count < 22)
        return -1;
    //  field [0] is ppid (field 4): field N is at N - 4
    *ticks = field [10] + field [11] + field [12] + field [13];
    *pages = field [20];
    return 0;
}

//  A look at the task's figures while it runs: its process tree through
//  /proc (each process's own CPU plus what it reaped, so no second is
//  counted twice; resident memory summed), bounded to S_MAX_TREE
//  processes. What left the tree is seen again in wait4's figures.
static void
s_sample (s_run_t *run)
{
    pid_t tree [S_MAX_TREE];
    size_t count = 0, next = 0;
    tree [count++] = run->owner->pid;
    uint64_t ticks = 0, pages = 0;
    bool seen = false;
    while (next < count) {
        pid_t pid = tree [next++];
        uint64_t own_ticks, own_pages;
        if (s_proc_stat (pid, &own_ticks, &own_pages))
            continue;
        seen = true;
        ticks += own_ticks;
        pages += own_pages;
        char path [64], text [4096];
        snprintf (path, sizeof path, "/proc/%d/task/%d/children", (int) pid, (int) pid);
        FILE *file = fopen (path, "re");
        if (!file)
            continue;
        size_t got = fread (text, 1, sizeof text - 1, file);
        fclose (file);
        text [got] = 0;
        for (char *cursor = text; *cursor && count < S_MAX_TREE; ) {
            char *end;
            long child = strtol (cursor, &end, 10);
            if (end == cursor)
                break;
            if (child > 0)
                tree [count++] = (pid_t) child;
            cursor = end;
        }
    }
    if (!seen)
        return;
    static long s_tick_hz, s_page_size;
    if (!s_tick_hz) {
        s_tick_hz = sysconf (_SC_CLK_TCK);
        s_page_size = sysconf (_SC_PAGESIZE);
    }
    Fogrid__Usage *usage = &run->usage;
    uint64_t cpu_ms = s_tick_hz > 0? ticks * 1000 / (uint64_t) s_tick_hz: 0;
    if (cpu_ms > usage->cpu_ms)
        usage->cpu_ms = cpu_ms;
    usage->mem_bytes = pages * (uint64_t) (s_page_size > 0? s_page_size: 4096);
    if (usage->mem_bytes > usage->mem_peak_bytes)
        usage->mem_peak_bytes = usage->mem_bytes;
    run->measured = true;
    miner_runner_set_usage (run->owner, usage->cpu_ms, usage->mem_bytes);
}

//  The final figures, from wait4: CPU of the task and of what it waited
//  for, the largest resident set among them (ru_maxrss, KB).
static void
s_final_usage (s_run_t *run)
{
    if (!run->exited)
        return;
    Fogrid__Usage *usage = &run->usage;
    uint64_t cpu_ms = (uint64_t) run->rusage.ru_utime.tv_sec * 1000
                    + (uint64_t) run->rusage.ru_utime.tv_usec / 1000
                    + (uint64_t) run->rusage.ru_stime.tv_sec * 1000
                    + (uint64_t) run->rusage.ru_stime.tv_usec / 1000;
    if (cpu_ms > usage->cpu_ms)
        usage->cpu_ms = cpu_ms;
    uint64_t peak = (uint64_t) (run->rusage.ru_maxrss > 0? run->rusage.ru_maxrss: 0) * 1024;
    if (peak > usage->mem_peak_bytes)
        usage->mem_peak_bytes = peak;
    run->measured = true;
}

//  Handles one command from the owner. Returns false on $TERM.
static bool
s_handle_pipe (s_run_t *run)
{
    char *command = zstr_recv (run->pipe);
    if (!command) {
        run->terminated = true;         //  interrupted
        return false;
    }
    if (streq (command, "$TERM"))
        run->terminated = true;
    else
    if (streq (command, "KILL") && !run->exited) {
        run->killed = true;
        s_signal_group (run, SIGKILL);
    }
    zstr_free (&command);
    return !run->terminated;
}

//  Watches the running task until it has ended and its output is read,
//  or until $TERM.
static void
s_watch (s_run_t *run)
{
    int64_t deadline = zclock_mono () + (int64_t) run->timeout_s * 1000;
    int64_t kill_at = 0;                //  SIGKILL due after a SIGTERM
    int64_t drain_until = 0;            //  after exit: stop waiting for EOF
    int64_t stats_at = zclock_mono () + (run->stats_ms < S_FIRST_STATS_MS? run->stats_ms
                                                                         : S_FIRST_STATS_MS);
    while (true) {
        int64_t now = zclock_mono ();
        if (!run->exited && now >= stats_at) {
            s_sample (run);
            stats_at = now + run->stats_ms;
        }
        if (!run->exited && !run->timed_out && now >= deadline) {
            zsys_info ("task %s: timed out after %u s: SIGTERM to its group",
                       run->owner->task_id, run->timeout_s);
            run->timed_out = true;
            s_signal_group (run, SIGTERM);
            kill_at = now + run->grace_ms;
        }
        if (kill_at && now >= kill_at) {
            s_signal_group (run, SIGKILL);
            kill_at = 0;
        }
        if (s_check_exit (run, false) && !drain_until)
            drain_until = now + S_DRAIN_MS;
        if (run->exited && ((run->out.fd < 0 && run->err.fd < 0) || now >= drain_until))
            break;

        zmq_pollitem_t items [4];
        int count = 0;
        memset (items, 0, sizeof items);
        items [count].socket = zsock_resolve (run->pipe);
        items [count++].events = ZMQ_POLLIN;
        s_output_t *outputs [2] = { &run->out, &run->err };
        for (int index = 0; index < 2; index++)
            if (outputs [index]->fd >= 0) {
                items [count].fd = outputs [index]->fd;
                items [count++].events = ZMQ_POLLIN;
            }
        if (run->pidfd >= 0) {
            items [count].fd = run->pidfd;
            items [count++].events = ZMQ_POLLIN;
        }
        int64_t wait = run->exited? drain_until - now
                     : run->timed_out? (kill_at? kill_at - now: 50)
                     : deadline - now;
        if (!run->exited && stats_at - now < wait)
            wait = stats_at - now;
        if (run->pidfd < 0 && !run->exited && wait > 50)
            wait = 50;          //  no pidfd: look for the exit ourselves
        if (wait < 0)
            wait = 0;
        if (zmq_poll (items, count, (long) wait) < 0 && zmq_errno () == ETERM) {
            run->terminated = true;
        }
        if (run->terminated || ((items [0].revents & ZMQ_POLLIN) && !s_handle_pipe (run))) {
            s_signal_group (run, SIGKILL);
            s_check_exit (run, true);
            return;
        }
        for (int index = 0; index < 2; index++)
            s_output_read (outputs [index]);
    }
}

//  Encodes the outcome and sends it to the owner: "RESULT" + TaskResult.
static void
s_send_result (s_run_t *run)
{
    Fogrid__TaskResult result = FOGRID__TASK_RESULT__INIT;
    result.task_id = run->owner->task_id;
    result.attempt = run->owner->attempt;
    result.exit_code = -1;
    if (run->exited) {
        if (WIFEXITED (run->status))
            result.exit_code = WEXITSTATUS (run->status);
        else
        if (WIFSIGNALED (run->status))
            result.term_signal = WTERMSIG (run->status);
    }
    else
    if (*run->error)
        result.exit_code = 127;         //  as a shell says: could not run it
    result.timed_out = run->timed_out;
    if (run->killed && !*run->error)
        snprintf (run->error, sizeof run->error, "killed");
    result.error = run->error;
    result.stdout.data = run->out.data;
    result.stdout.len = run->out.size;
    result.stdout_truncated = run->out.truncated;
    result.stderr.data = run->err.data;
    result.stderr.len = run->err.size;
    result.stderr_truncated = run->err.truncated;
    if (!run->started_ms)
        run->started_ms = fg_now_ms ();
    if (!run->ended_ms)
        run->ended_ms = fg_now_ms ();
    result.started_ms = (uint64_t) run->started_ms;
    result.ended_ms = (uint64_t) run->ended_ms;
    byte digest [crypto_hash_sha256_BYTES];
    char hex [crypto_hash_sha256_BYTES * 2 + 1];
    crypto_hash_sha256_final (&run->out.sha256, digest);
    result.stdout_sha256 = sodium_bin2hex (hex, sizeof hex, digest, sizeof digest);
    if (run->files)
        miner_outputs_fill (run->files, &result);
    if (run->measured)
        result.usage = &run->usage;
    miner_runner_send_result (run->pipe, &result);
}

//  --------------------------------------------------------------------------
//  Output files, from the work directory: never out of it. Every step is
//  taken relative to an open directory with O_NOFOLLOW, so a symbolic
//  link (or one put in place of a directory after it was looked at) is
//  never followed: it is reported, not copied. A task that runs as its
//  own user may only hand back what it owns (a hard link to another
//  user's file is refused), since the miner reads with its own rights.

static void s_copy_entry (s_run_t *run, int dir_fd, const char *name, const char *path, int depth);

static int
s_compare_names (const void *item1, const void *item2)
{
    return strcmp ((const char *) item1, (const char *) item2);
}

static void
s_copy_file (s_run_t *run, int dir_fd, const char *name, const char *path)
{
    int fd = openat (dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat info;
    //  Looked at again once open: what is read is what was checked
    if (fd < 0 || fstat (fd, &info) || !S_ISREG (info.st_mode)
    ||  (run->drop_privileges && info.st_uid != run->uid)) {
        miner_outputs_refuse (run->files, path, "cannot read it: %s",
                              fd < 0? strerror (errno): "it changed while it was copied");
        if (fd >= 0)
            close (fd);
        return;
    }
    miner_outputs_file (run->files, path, info.st_mode, (uint64_t) info.st_size);
    byte chunk [65536];
    uint64_t left = (uint64_t) info.st_size;    //  never more than it had
    while (left && !miner_outputs_full (run->files)) {
        ssize_t got = read (fd, chunk, left < sizeof chunk? (size_t) left: sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        miner_outputs_feed (run->files, chunk, (size_t) got);
        left -= (uint64_t) got;
    }
    close (fd);
}

static void
s_copy_dir (s_run_t *run, int dir_fd, const char *name, const char *path, int depth,
            const struct stat *info)
{
    if (depth >= S_MAX_DEPTH) {
        miner_outputs_refuse (run->files, path, "deeper than %d levels: not copied", S_MAX_DEPTH);
        return;
    }
    int fd = openat (dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *dir = fd >= 0? fdopendir (fd): NULL;
    if (!dir) {
        miner_outputs_refuse (run->files, path, "cannot read it: %s", strerror (errno));
        if (fd >= 0)
            close (fd);
        return;
    }
    miner_outputs_dir (run->files, path, info->st_mode);
    //  In name order, so the same tree gives the same entries (and cut)
    zlistx_t *names = zlistx_new ();
    zlistx_set_destructor (names, (zlistx_destructor_fn *) zstr_free);
    zlistx_set_comparator (names, s_compare_names);
    struct dirent *entry;
    while ((entry = readdir (dir)) && zlistx_size (names) <= MINER_OUTPUTS_MAX_ENTRIES)
        if (!streq (entry->d_name, ".") && !streq (entry->d_name, ".."))
            zlistx_add_end (names, strdup (entry->d_name));
    if (entry)
        miner_outputs_left_out (run->files);    //  more than could ever be kept
    zlistx_sort (names);
    for (char *child = (char *) zlistx_first (names); child; child = (char *) zlistx_next (names)) {
        if (miner_outputs_full (run->files)) {
            miner_outputs_left_out (run->files);
            break;
        }
        char *child_path = zsys_sprintf ("%s/%s", path, child);
        if (strlen (child_path) > MINER_OUTPUTS_MAX_PATH || !fg_text_valid (child, 255))
            miner_outputs_left_out (run->files);
        else
            s_copy_entry (run, dirfd (dir), child, child_path, depth + 1);
        zstr_free (&child_path);
    }
    zlistx_destroy (&names);
    closedir (dir);
}

static void
s_copy_entry (s_run_t *run, int dir_fd, const char *name, const char *path, int depth)
{
    struct stat info;
    if (fstatat (dir_fd, name, &info, AT_SYMLINK_NOFOLLOW)) {
        if (errno == ENOENT)
            miner_outputs_refuse (run->files, path, "no such file or directory in the task's "
                                  "work directory");
        else
            miner_outputs_refuse (run->files, path, "cannot read it: %s", strerror (errno));
        return;
    }
    if (run->drop_privileges && info.st_uid != run->uid) {
        miner_outputs_refuse (run->files, path, "not the task's own file (uid %d): not copied",
                              (int) info.st_uid);
        return;
    }
    if (S_ISLNK (info.st_mode)) {
        char target [256];
        ssize_t len = readlinkat (dir_fd, name, target, sizeof target - 1);
        target [len > 0? len: 0] = 0;
        miner_outputs_refuse (run->files, path, "a symbolic link (to %s): not followed",
                              fg_text_valid (target, 255)? target: "?");
    }
    else
    if (S_ISREG (info.st_mode))
        s_copy_file (run, dir_fd, name, path);
    else
    if (S_ISDIR (info.st_mode))
        s_copy_dir (run, dir_fd, name, path, depth, &info);
    else
        miner_outputs_refuse (run->files, path, "not a regular file or directory: not copied");
}

//  Copies each output out of the work directory, after the task ended.
static void
s_copy_outputs (s_run_t *run)
{
    run->files = miner_outputs_new (run->max_files);
    int root = open (run->owner->workdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    for (char **output = run->outputs; *output; output++) {
        const char *shown = fg_text_valid (*output, MINER_OUTPUTS_MAX_PATH)? *output: "?";
        char dest [MINER_OUTPUTS_MAX_PATH + 1];
        if (**output == '/') {
            miner_outputs_refuse (run->files, shown, "an absolute path: the process runtime "
                                  "copies paths in the task's work directory only");
            continue;
        }
        if (fg_path_normal (*output, MINER_OUTPUTS_MAX_PATH, dest, sizeof dest)) {
            miner_outputs_refuse (run->files, shown, "not a path to copy: 1..%d printable "
                                  "bytes, no '..' part", MINER_OUTPUTS_MAX_PATH);
            continue;
        }
        miner_outputs_begin (run->files, dest);
        //  Down to its directory, one part at a time
        int dir_fd = root >= 0? dup (root): -1;
        char *parts = strdup (dest);
        char *base = strrchr (parts, '/');
        if (base)
            *base++ = 0;
        else
            base = parts;
        for (char *part = base == parts? NULL: parts; part && dir_fd >= 0; ) {
            char *slash = strchr (part, '/');
            if (slash)
                *slash = 0;
            int next = openat (dir_fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int error = errno;
            close (dir_fd);
            dir_fd = next;
            if (next < 0)
                miner_outputs_refuse (run->files, dest, "%s", error == ENOENT
                    ? "no such file or directory in the task's work directory"
                    : error == ELOOP || error == ENOTDIR? "a symbolic link or a file on its way: "
                      "not followed": strerror (error));
            part = slash? slash + 1: NULL;
        }
        if (dir_fd >= 0) {
            s_copy_entry (run, dir_fd, base, dest, 0);
            close (dir_fd);
        }
        else
        if (root < 0)
            miner_outputs_refuse (run->files, dest, "the work directory is gone");
        free (parts);
        miner_outputs_end (run->files);
    }
    if (root >= 0)
        close (root);
}

//  Removes the work directory, whatever the task did to it.
static int
s_unlock_entry (const char *path, const struct stat *info, int type, struct FTW *ftw)
{
    (void) info;
    (void) ftw;
    if (type == FTW_D || type == FTW_DNR)
        chmod (path, 0700);     //  so its entries can be removed
    return 0;
}

static int
s_remove_entry (const char *path, const struct stat *info, int type, struct FTW *ftw)
{
    (void) info;
    (void) type;
    (void) ftw;
    remove (path);
    return 0;
}

static void
s_remove_workdir (const char *workdir)
{
    if (!*workdir)
        return;
    nftw (workdir, s_unlock_entry, 32, FTW_PHYS | FTW_MOUNT);
    nftw (workdir, s_remove_entry, 32, FTW_PHYS | FTW_MOUNT | FTW_DEPTH);
    struct stat info;
    if (stat (workdir, &info) == 0)
        zsys_warning ("cannot remove the work directory %s", workdir);
}

//  For miner_runner_clean: everything but the root itself.
static int
s_remove_below (const char *path, const struct stat *info, int type, struct FTW *ftw)
{
    if (ftw->level > 0)
        s_remove_entry (path, info, type, ftw);
    return 0;
}

static void
s_runner_actor (zsock_t *pipe, void *args)
{
    s_run_t run;
    memset (&run, 0, sizeof run);
    run.owner = (miner_runner_t *) args;
    run.pipe = pipe;
    run.pidfd = -1;
    run.out.fd = run.err.fd = -1;
    fogrid__usage__init (&run.usage);
    size_t max_output = run.owner->limits->max_output? run.owner->limits->max_output
                                                     : S_DEFAULT_OUTPUT;
    run.out.max = run.err.max = max_output;
    crypto_hash_sha256_init (&run.out.sha256);
    crypto_hash_sha256_init (&run.err.sha256);

    bool running = s_prepare (&run) == 0 && s_spawn (&run) == 0;
    run.owner->spec = NULL;             //  the caller's, no longer ours to read
    run.owner->limits = NULL;
    zsock_signal (pipe, 0);

    if (running)
        s_watch (&run);
    if (run.out.fd >= 0)
        close (run.out.fd);
    if (run.err.fd >= 0)
        close (run.err.fd);
    if (run.pidfd >= 0)
        close (run.pidfd);
    s_final_usage (&run);
    //  Killed: the hub wants no result; $TERM: none is sent
    if (run.exited && !run.killed && !run.terminated && run.outputs && *run.outputs)
        s_copy_outputs (&run);
    s_remove_workdir (run.owner->workdir);

    if (!run.terminated) {
        fg_debug ("task %s: ended, exit status 0x%x%s%s", run.owner->task_id, run.status,
                  run.timed_out? ", timed out": "", *run.error? ", error: ": "");
        s_send_result (&run);
        miner_runner_wait_term (pipe);
    }
    free (run.out.data);
    free (run.err.data);
    free (run.program);
    miner_outputs_destroy (&run.files);
    s_strv_free (&run.outputs);
    s_strv_free (&run.argv);
    s_strv_free (&run.envp);
}

//  --------------------------------------------------------------------------
//  Public API

miner_runner_t *
miner_runner_new (const char *task_id, uint32_t attempt, const Fogrid__TaskSpec *spec,
                  const miner_runner_limits_t *limits)
{
    if (!task_id || !spec)
        return NULL;
    miner_runner_limits_t defaults;
    memset (&defaults, 0, sizeof defaults);
    miner_runner_t *self = (miner_runner_t *) zmalloc (sizeof (miner_runner_t));
    self->task_id = strdup (task_id);
    self->attempt = attempt;
    self->cores = spec->cores? spec->cores: 1;
    self->spec = spec;
    self->limits = limits? limits: &defaults;
    self->mem_mb = spec->mem_mb? spec->mem_mb: self->limits->default_mem_mb;
    //  The runtime's actor; with docker off, the process runtime refuses
    //  a docker task with a clear error
    bool docker = streq (miner_runner_runtime (spec), "docker")
               && self->limits->docker_socket && *self->limits->docker_socket;
    //  Returns after the thread has forked (or failed to), see s_runner_actor
    bool service = docker && spec->service_name && *spec->service_name;
    bool null = streq (miner_runner_runtime (spec), "null") && self->limits->null_runtime;
    self->actor = zactor_new (service? miner_service_actor
                            : docker? miner_docker_runner_actor
                            : null? miner_null_actor: s_runner_actor, self);
    self->spec = NULL;                  //  the caller's again
    self->limits = NULL;
    return self;
}

void
miner_runner_destroy (miner_runner_t **self_p)
{
    if (*self_p) {
        miner_runner_t *self = *self_p;
        zactor_destroy (&self->actor);
        free (self->task_id);
        free (self);
        *self_p = NULL;
    }
}

zactor_t *
miner_runner_actor (miner_runner_t *self)
{
    return self->actor;
}

Fogrid__TaskResult *
miner_runner_result (miner_runner_t *self, int timeout_ms)
{
    if (self->taken)
        return NULL;
    zsock_t *sock = zactor_sock (self->actor);
    zmq_pollitem_t item = { zsock_resolve (sock), 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&item, 1, timeout_ms) <= 0)
        return NULL;
    zmsg_t *msg = zmsg_recv (sock);
    if (!msg)
        return NULL;
    Fogrid__TaskResult *result = NULL;
    char *kind = zmsg_popstr (msg);
    zframe_t *frame = zmsg_first (msg);
    if (kind && streq (kind, "RESULT") && frame)
        result = fogrid__task_result__unpack (NULL, zframe_size (frame), zframe_data (frame));
    zstr_free (&kind);
    zmsg_destroy (&msg);
    self->taken = true;
    return result;
}

void
miner_runner_kill (miner_runner_t *self)
{
    self->killed = true;
    if (!self->taken)
        zstr_send (self->actor, "KILL");
}

bool
miner_runner_killed (miner_runner_t *self)
{
    return self->killed;
}

const char *
miner_runner_task_id (miner_runner_t *self)
{
    return self->task_id;
}

uint32_t
miner_runner_attempt (miner_runner_t *self)
{
    return self->attempt;
}

uint32_t
miner_runner_cores (miner_runner_t *self)
{
    return self->cores;
}

uint64_t
miner_runner_mem_mb (miner_runner_t *self)
{
    return self->mem_mb;
}

pid_t
miner_runner_pid (miner_runner_t *self)
{
    return self->pid;
}

const char *
miner_runner_workdir (miner_runner_t *self)
{
    return self->workdir;
}

void
miner_runner_usage (miner_runner_t *self, uint64_t *cpu_ms, uint64_t *mem_bytes)
{
    *cpu_ms = __atomic_load_n (&self->cpu_ms, __ATOMIC_RELAXED);
    *mem_bytes = __atomic_load_n (&self->mem_bytes, __ATOMIC_RELAXED);
}

void
miner_runner_set_usage (miner_runner_t *self, uint64_t cpu_ms, uint64_t mem_bytes)
{
    __atomic_store_n (&self->cpu_ms, cpu_ms, __ATOMIC_RELAXED);
    __atomic_store_n (&self->mem_bytes, mem_bytes, __ATOMIC_RELAXED);
}

const char *
miner_runner_runtime (const Fogrid__TaskSpec *spec)
{
    if (spec->runtime && *spec->runtime)
        return spec->runtime;
    return spec->image && *spec->image? "docker": "process";
}

bool
miner_runner_env_valid (const char *entry)
{
    return s_env_entry_valid (entry);
}

const Fogrid__TaskSpec *
miner_runner_spec (miner_runner_t *self)
{
    return self->spec;
}

const miner_runner_limits_t *
miner_runner_limits (miner_runner_t *self)
{
    return self->limits;
}

void
miner_runner_send_result (zsock_t *pipe, const Fogrid__TaskResult *result)
{
    zframe_t *frame = zframe_new (NULL, fogrid__task_result__get_packed_size (result));
    fogrid__task_result__pack (result, zframe_data (frame));
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "RESULT");
    zmsg_append (msg, &frame);
    zmsg_send (&msg, pipe);
}

void
miner_runner_wait_term (zsock_t *pipe)
{
    //  The owner may still say KILL (too late) before $TERM
    while (true) {
        char *command = zstr_recv (pipe);
        bool done = !command || streq (command, "$TERM");
        zstr_free (&command);
        if (done)
            break;
    }
}

void
miner_runner_clean (const char *work_root)
{
    if (!work_root || !*work_root)
        return;
    nftw (work_root, s_unlock_entry, 32, FTW_PHYS | FTW_MOUNT);
    nftw (work_root, s_remove_below, 32, FTW_PHYS | FTW_MOUNT | FTW_DEPTH);
}
