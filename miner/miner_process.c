/*  =========================================================================
    miner_process - the `process` runtime: a task's argv as a process group
    of its own, under limits, as the task's user, in a work directory

    DESIGN
    Each task gets its own actor thread, so a task that floods its output or
    ignores SIGTERM never holds up the agent's loop. The thread prepares
    everything that needs memory (argv, environment, program path, rlimits,
    work directory, pipes) before the task's process exists.

    Starting the process: clone (CLONE_VM | CLONE_VFORK), the way
    posix_spawn starts one, not fork. A fork copies the page tables of the
    whole daemon (its threads, its sockets' buffers, every task's output)
    for a child that execs at once; a vfork-style child shares the memory
    and only costs a stack while this thread waits for its exec. posix_spawn
    itself cannot be used: it has no place for the parent-death signal, for
    rlimits or for a switch to another user, and a helper program exec'd in
    between would cost a second exec per task. The child runs our own code
    between clone and exec, in this order, and that order is the point:
    default signal handlers; its own process group; its own cgroup
    (miner_cgroup.h: one write per controller to descriptors opened before
    the clone), so that all it forks is born there; the record of that
    group in DATA_DIR/groups (miner_groups.h), before anything of the task
    runs; its descriptors and work directory; the task's user (raw
    syscalls: glibc's setuid would signal the miner's threads); then
    PR_SET_PDEATHSIG, which the kernel clears on any change of credentials
    and so must come after it, followed by a look at getppid() against the
    miner's pid taken before the clone (a miner that died before the ask
    would never send the signal); limits; exec. The death signal belongs
    to the thread that cloned, which is the thread that would reap the
    task, so it fires exactly when nobody is left to watch it. An exec
    that fails leaves its errno in memory the parent reads after the
    clone returns, so "could not run" is told apart from a program that
    exits 127.

    The thread then polls the actor pipe, the two output pipes and a pidfd
    (which becomes readable when the child exits; without pidfd it checks
    every 50 ms). When the child exits it is first waited for with WNOWAIT
    so the zombie keeps its pid, and with it the process group id, reserved
    while the group is swept with SIGKILL: nothing the task started may
    outlive it, and a reused pid can never be hit. Then it is reaped, its
    record removed, and the pipes are drained (briefly: a process that
    left the group could hold them open forever).

    Timeout: SIGTERM to the group, SIGKILL grace_ms later. KILL on the pipe:
    SIGKILL at once. $TERM (destroy): SIGKILL, reap, no result. In every
    other case the owner gets one message, "RESULT" + an encoded
    TaskResult, and the thread waits for $TERM.

    Limits, where the miner has cgroups: the task's cgroup holds its cores
    (a CPU quota), its memory (the kernel kills it past the limit: the
    result says out of memory) and its count of processes (refused forks
    are told in the result of a task that failed); its usage is read there,
    and every SIGKILL the task gets (KILL, the end of a timeout's grace,
    its exit, $TERM) goes to the whole cgroup too, so a daemon that left
    the group with setsid goes as well. RLIMIT_CORE 0 and RLIMIT_CPU a
    little over the timeout (a backstop should the runner itself be stuck)
    always; RLIMIT_AS from the spec's mem_mb (or the miner's default) only
    without a cgroup: an address space limit breaks programs that reserve
    much and bounds nothing a task forks. RLIMIT_NPROC is not set: it
    counts every process of the user (and root ignores it), so it cannot
    bound one task.
    =========================================================================  */
#include "fogrid.h"
#include "miner_runtime.h"
#include "miner_process.h"
#include "miner_outputs.h"
#include "miner_workdir.h"
#include "miner_inputs.h"
#include "miner_live.h"
#include "miner_groups.h"
#include "miner_cgroup.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <sodium.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined (__SANITIZE_ADDRESS__)
#   define S_ASAN 1
#elif defined (__has_feature)
#   if __has_feature (address_sanitizer)
#       define S_ASAN 1
#   endif
#endif
#ifdef S_ASAN
#   include <sanitizer/asan_interface.h>
#endif

#define S_DEFAULT_OUTPUT   (1024 * 1024)
#define S_DEFAULT_TIMEOUT  3600
#define S_DEFAULT_GRACE    1000
#define S_CHILD_STACK      (64 * 1024)      //  the child's, between clone and exec
#define S_DRAIN_MS         500      //  after exit, how long to wait for EOF
#define S_MAX_ARGS         4096
#define S_MAX_ENV          4096
#define S_DEFAULT_FILES    (1024 * 1024)
#define S_DEFAULT_STATS_MS 1000
#define S_FIRST_STATS_MS   250      //  the first look, soon after the start
#define S_MAX_TREE         256      //  processes summed in one look at a task


//  What we keep of one output stream.
typedef struct {
    int fd;                     //  read end of the pipe, -1 once at EOF
    byte *data;                 //  what we kept
    size_t size;                //  bytes kept
    size_t max;                 //  bound
    bool truncated;             //  more came than we kept
    crypto_hash_sha256_state sha256;    //  of everything that came
    miner_live_t *live;         //  where it goes as it comes (fogrid logs -f)
    uint32_t stream;            //  1 stdout, 2 stderr
} s_output_t;

//  The actor thread's state.
typedef struct {
    miner_runtime_args_t *owner;    //  the task handle's, see miner_runtime.h
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
    miner_cgroup_task_t *cgroup;    //  the task's cgroup, NULL = rlimits only
    uint64_t oom_kills;         //  its processes the kernel killed for memory
    uint64_t forks_refused;     //  forks its pids limit refused
    int64_t pids_max;           //  that limit
    uint64_t cgroup_mem_mb;     //  its memory limit, 0 = none
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

//  run->error set (the task then ends at once with that error).
static int
s_prepare (s_run_t *run)
{
    miner_runtime_args_t *owner = run->owner;
    const Fogrid__TaskSpec *spec = owner->spec;
    const miner_runner_limits_t *limits = owner->limits;

    const char *runtime = miner_runtime_name (spec);
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
        if (!miner_runtime_env_valid (spec->env [index])) {
            snprintf (run->error, sizeof run->error,
                      "environment entry '%.64s' is not KEY=VALUE", spec->env [index]);
            return -1;
        }
    run->drop_privileges = limits->drop_privileges;
    snprintf (run->groups_dir, sizeof run->groups_dir, "%s",
              limits->groups_dir? limits->groups_dir: "");
    run->uid = limits->task_uid;
    run->gid = limits->task_gid;
    if (miner_workdir_make (limits->work_root, owner->task_id, owner->attempt,
                            run->drop_privileges, run->uid, run->gid, owner->workdir,
                            sizeof owner->workdir, run->error, sizeof run->error))
        return -1;
    miner_inputs_bounds_t bounds = { limits->input_url_max, limits->input_url_timeout_s };
    if (miner_inputs_stage (spec, &bounds, owner->workdir, run->drop_privileges, run->uid,
                            run->gid, run->error, sizeof run->error))
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
    if (miner_cgroup_active (limits->cgroups)) {
        //  The cgroup holds the task to its memory (resident, of all its
        //  processes), its cores and a count of processes; an address
        //  space limit would only break programs that reserve much
        //  With no limit named, the whole of what the miner offers, as a
        //  container gets
        char name [160];
        snprintf (name, sizeof name, "%s-%u", owner->task_id, owner->attempt);
        run->cgroup_mem_mb = owner->mem_mb? owner->mem_mb: limits->offered_mem_mb;
        run->cgroup = miner_cgroup_task_new (limits->cgroups, name, spec->cores? spec->cores: 1,
                                             run->cgroup_mem_mb, run->error, sizeof run->error);
        if (!run->cgroup)
            return -1;
        run->as_limit.rlim_cur = run->as_limit.rlim_max = RLIM_INFINITY;
    }
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
//  The child, between clone and exec. It runs on a stack of its own in the
//  miner's memory while the thread that made it waits (CLONE_VFORK), so:
//  system calls only, nothing allocated, no lock taken, no libc wrapper
//  that reaches the miner's other threads (setuid does, in glibc: the
//  credentials change through raw syscalls). What went wrong is left in
//  child->error for the parent, which reads it once the child has exec'd
//  or exited.

typedef struct {
    s_run_t *run;
    pid_t parent;               //  the miner, before the clone
    int null_fd, out_fd, err_fd;
    int error;                  //  errno of the step that failed, 0 if none
    bool record_failed;         //  that step was the record of the group
    bool cgroup_failed;         //  that step was the entry into its cgroup
} s_child_t;

static int
s_child (void *arg)
{
    s_child_t *child = (s_child_t *) arg;
    s_run_t *run = child->run;
    //  Handlers back to the defaults first: a signal now would run the
    //  miner's handler in the miner's memory. Then nothing is blocked
    //  (exec keeps the mask; the miner blocked everything for the clone)
    struct sigaction dfl;
    memset (&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        sigaction (sig, &dfl, NULL);
    sigset_t none;
    sigemptyset (&none);

    setpgid (0, 0);
    //  Into its cgroup before anything of the task runs: what it forks
    //  is born there
    if (run->cgroup && miner_cgroup_task_enter (run->cgroup)) {
        child->cgroup_failed = true;
        goto failed;
    }
    //  Written down before anything of the task runs, with the miner's
    //  rights (the record is the miner's)
    if (*run->groups_dir
    &&  miner_groups_add_self (run->groups_dir, run->owner->task_id, run->owner->attempt)) {
        child->record_failed = true;
        goto failed;
    }
    if (dup2 (child->null_fd, 0) < 0 || dup2 (child->out_fd, 1) < 0 || dup2 (child->err_fd, 2) < 0)
        goto failed;
    //  Every other descriptor of the miner must stay behind (libzmq's are
    //  close-on-exec already; this covers anything else)
    if (syscall (SYS_close_range, 3, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */) != 0) {
        for (int fd = 3; fd < 65536; fd++)
            fcntl (fd, F_SETFD, FD_CLOEXEC);
    }
    if (chdir (run->owner->workdir))
        goto failed;
    //  Last, after everything that needs the miner's rights: the task runs
    //  as its own user, without the miner's groups (docker among them)
    if (run->drop_privileges
    &&  (syscall (SYS_setgroups, 0, NULL)
    ||   syscall (SYS_setresgid, run->gid, run->gid, run->gid)
    ||   syscall (SYS_setresuid, run->uid, run->uid, run->uid)))
        goto failed;
    //  After the change of user: the kernel clears the death signal on
    //  any change of credentials. Then the parent is looked at again, for
    //  it may have died before the signal was asked for
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    if (getppid () != child->parent)
        _exit (127);
    struct rlimit no_core = { 0, 0 };
    setrlimit (RLIMIT_CORE, &no_core);
    setrlimit (RLIMIT_CPU, &run->cpu_limit);
    if (run->as_limit.rlim_cur != RLIM_INFINITY
    &&  setrlimit (RLIMIT_AS, &run->as_limit))
        goto failed;
    sigprocmask (SIG_SETMASK, &none, NULL);
    execve (run->program, run->argv, run->envp);
failed:
    child->error = errno? errno: EINVAL;
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
        miner_live_put (output->live, output->stream, chunk, (size_t) got);
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

//  /dev/null for the tasks' stdin: opened once, by whichever runner thread
//  comes first, and kept (close-on-exec) for the life of the miner.
static int
s_dev_null (void)
{
    static int s_fd = -1;
    int fd = __atomic_load_n (&s_fd, __ATOMIC_ACQUIRE);
    if (fd >= 0)
        return fd;
    fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
    int expected = -1;
    if (fd >= 0
    &&  !__atomic_compare_exchange_n (&s_fd, &expected, fd, false, __ATOMIC_ACQ_REL,
                                      __ATOMIC_ACQUIRE)) {
        close (fd);             //  another thread was first
        fd = expected;
    }
    return fd;
}

//  Starts the task's process. Returns 0 when the program runs (or ran and
//  failed to exec: run->error says why, and it is reaped as usual), or -1
//  with run->error when there is no process at all.
static int
s_spawn (s_run_t *run)
{
    int out_pipe [2] = { -1, -1 }, err_pipe [2] = { -1, -1 };
    int null_fd = s_dev_null ();
    if (null_fd < 0 || pipe2 (out_pipe, O_CLOEXEC) || pipe2 (err_pipe, O_CLOEXEC)) {
        snprintf (run->error, sizeof run->error, "cannot make pipes: %s", strerror (errno));
        goto failed;
    }
    s_child_t child = { run, getpid (), null_fd, out_pipe [1], err_pipe [1], 0, false, false };
    //  The child's stack: a part of ours, for this thread waits until the
    //  child has exec'd (or exited)
    byte stack [S_CHILD_STACK] __attribute__ ((aligned (16)));
    //  Every signal blocked across the clone, so none reaches the child
    //  before it has put back the default handlers
    sigset_t all, old;
    sigfillset (&all);
    pthread_sigmask (SIG_BLOCK, &all, &old);
    run->started_ms = fg_now_ms ();
    pid_t pid = clone (s_child, stack + S_CHILD_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &child);
    int clone_errno = errno;
    pthread_sigmask (SIG_SETMASK, &old, NULL);
#ifdef S_ASAN
    //  The child's frames marked their redzones on this part of our stack,
    //  which the sanitizer would take for overflows once we use it again
    ASAN_UNPOISON_MEMORY_REGION (stack, sizeof stack);
#endif
    if (pid < 0) {
        snprintf (run->error, sizeof run->error, "cannot start a process: %s",
                  strerror (clone_errno));
        goto failed;
    }
    run->owner->pid = pid;
    close (out_pipe [1]);
    close (err_pipe [1]);
    run->out.fd = out_pipe [0];
    run->err.fd = err_pipe [0];
    fcntl (run->out.fd, F_SETFL, O_NONBLOCK);
    fcntl (run->err.fd, F_SETFL, O_NONBLOCK);
    if (child.cgroup_failed)
        snprintf (run->error, sizeof run->error, "cannot enter its cgroup: %s",
                  strerror (child.error));
    else
    if (child.record_failed)
        snprintf (run->error, sizeof run->error, "cannot record its process group in %.200s: "
                  "%s", run->groups_dir, strerror (child.error));
    else
    if (child.error)
        snprintf (run->error, sizeof run->error, "cannot run %.200s: %s",
                  run->program, strerror (child.error));
    if (*run->error)
        return 0;               //  it exits 127 at once; reaped as usual
#ifdef SYS_pidfd_open
    run->pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
#endif
    return 0;

failed:
    for (int index = 0; index < 2; index++) {
        if (out_pipe [index] >= 0)
            close (out_pipe [index]);
        if (err_pipe [index] >= 0)
            close (err_pipe [index]);
    }
    return -1;
}

//  Signals the task's whole process group; SIGKILL goes to its whole
//  cgroup too, which holds what left the group.
static void
s_signal_group (s_run_t *run, int sig)
{
    if (run->owner->pid > 0 && !run->exited)
        killpg (run->owner->pid, sig);
    if (sig == SIGKILL && run->cgroup && run->owner->pid > 0)
        miner_cgroup_task_kill (run->cgroup);
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
    if (run->cgroup)
        miner_cgroup_task_kill (run->cgroup);
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
    //  utime stime cutime cstime are fields 14..17, rss field 24
    unsigned long long field [22];
    if (miner_groups_stat_fields (pid, NULL, field, 22) < 22)
        return -1;
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
    uint64_t cg_cpu_ms, mem_bytes, mem_peak;
    if (run->cgroup
    &&  miner_cgroup_task_usage (run->cgroup, &cg_cpu_ms, &mem_bytes, &mem_peak) == 0) {
        //  The cgroup counts every process of the task, however it left
        Fogrid__Usage *usage = &run->usage;
        if (cg_cpu_ms > usage->cpu_ms)
            usage->cpu_ms = cg_cpu_ms;
        usage->mem_bytes = mem_bytes;
        if (mem_peak < mem_bytes)
            mem_peak = mem_bytes;
        if (mem_peak > usage->mem_peak_bytes)
            usage->mem_peak_bytes = mem_peak;
        run->measured = true;
        miner_runtime_set_usage (run->owner, usage->cpu_ms, usage->mem_bytes);
        return;
    }
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
    miner_runtime_set_usage (run->owner, usage->cpu_ms, usage->mem_bytes);
}

//  The final figures, from wait4: CPU of the task and of what it waited
//  for, the largest resident set among them (ru_maxrss, KB).
static void
s_final_usage (s_run_t *run)
{
    if (!run->exited)
        return;
    Fogrid__Usage *usage = &run->usage;
    uint64_t cg_cpu_ms, cg_mem, cg_peak;
    if (run->cgroup && miner_cgroup_task_usage (run->cgroup, &cg_cpu_ms, &cg_mem, &cg_peak) == 0) {
        //  The cgroup's figures hold every process of the task. wait4's
        //  ru_maxrss would not do: it counts the miner's own memory, which
        //  the child shared between clone and exec
        if (cg_cpu_ms > usage->cpu_ms)
            usage->cpu_ms = cg_cpu_ms;
        if (cg_peak > usage->mem_peak_bytes)
            usage->mem_peak_bytes = cg_peak;
        run->measured = true;
        return;
    }
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
    result.task_id = (char *) run->owner->task_id;
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
    bool succeeded = run->exited && WIFEXITED (run->status) && WEXITSTATUS (run->status) == 0;
    if (run->oom_kills && !succeeded && !*run->error)
        snprintf (run->error, sizeof run->error, "killed: out of memory (limit %" PRIu64 " MB)",
                  run->cgroup_mem_mb);
    else
    if (run->forks_refused && !succeeded && !*run->error)
        snprintf (run->error, sizeof run->error, "%" PRIu64 " fork%s refused: the task reached "
                  "its limit of %" PRId64 " processes", run->forks_refused,
                  run->forks_refused == 1? "": "s", run->pids_max);
    if (run->killed && !*run->error)
        snprintf (run->error, sizeof run->error, "killed");
    result.error = run->error;
    result.stdout.data = run->out.data;
    result.stdout.len = run->out.size;
    result.stdout_truncated = run->out.truncated;
    result.stderr.data = run->err.data;
    result.stderr.len = run->err.size;
    result.stderr_truncated = run->err.truncated;
    byte digest [crypto_hash_sha256_BYTES];
    char hex [crypto_hash_sha256_BYTES * 2 + 1];
    crypto_hash_sha256_final (&run->out.sha256, digest);
    result.stdout_sha256 = sodium_bin2hex (hex, sizeof hex, digest, sizeof digest);
    miner_runtime_end_result (run->pipe, &result, &run->started_ms, &run->ended_ms, run->files,
                              run->measured? &run->usage: NULL);
}

void
miner_process_actor (zsock_t *pipe, void *args)
{
    s_run_t run;
    memset (&run, 0, sizeof run);
    run.owner = (miner_runtime_args_t *) args;
    run.pipe = pipe;
    run.pidfd = -1;
    run.out.fd = run.err.fd = -1;
    fogrid__usage__init (&run.usage);
    size_t max_output = run.owner->limits->max_output? run.owner->limits->max_output
                                                     : S_DEFAULT_OUTPUT;
    run.out.max = run.err.max = max_output;
    crypto_hash_sha256_init (&run.out.sha256);
    crypto_hash_sha256_init (&run.err.sha256);
    run.out.live = run.err.live = run.owner->live;
    run.out.stream = 1;
    run.err.stream = 2;

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
    if (run.cgroup) {
        run.oom_kills = miner_cgroup_task_oom_kills (run.cgroup);
        run.forks_refused = miner_cgroup_task_pids_refused (run.cgroup);
        run.pids_max = miner_cgroup_task_pids_max (run.cgroup);
        miner_cgroup_task_destroy (&run.cgroup);
    }
    //  Killed: the hub wants no result; $TERM: none is sent
    if (run.exited && !run.killed && !run.terminated && run.outputs && *run.outputs)
        run.files = miner_workdir_copy (run.owner->workdir, run.outputs, run.max_files,
                                        run.drop_privileges, run.uid);
    miner_workdir_remove (run.owner->workdir);

    if (!run.terminated) {
        fg_debug ("task %s: ended, exit status 0x%x%s%s", run.owner->task_id, run.status,
                  run.timed_out? ", timed out": "", *run.error? ", error: ": "");
        s_send_result (&run);
        miner_runtime_wait_term (pipe);
    }
    free (run.out.data);
    free (run.err.data);
    free (run.program);
    miner_outputs_destroy (&run.files);
    s_strv_free (&run.outputs);
    s_strv_free (&run.argv);
    s_strv_free (&run.envp);
}
