/*  =========================================================================
    miner_docker_runner - runs one task with the `docker` runtime

    DESIGN
    The actor copies what it needs of the spec and the limits, signals at
    once (an image pull may take minutes: the agent must not wait for it),
    and then talks to the engine with a client of its own (a curl handle
    is not shared between threads):

        image inspect -> [pull] -> create -> attach -> start
            -> pump the attached output until it ends (stats every
               stats_interval_ms) -> stats -> wait -> inspect
            -> [logs, if the attach failed] -> [archive of each output]
            -> remove -> RESULT

    Attaching before the start (as `docker run` does) gets every byte of
    output live, so it is bounded in memory as it comes, stdout is hashed
    whole, and the end of the stream tells the task has ended without
    polling. Only the pull and the wait can be long; they watch the actor
    pipe (through its ZMQ_FD) and give up at once when a command comes,
    so a KILL or a $TERM is seen within milliseconds in every phase. The
    short calls (create, start, kill, remove) are bounded by the client's
    timeout and never interrupted, so that cleaning up always completes.

    Timeout: SIGTERM, then SIGKILL grace_ms later (the task's first process
    is PID 1 of its namespace, which ignores a SIGTERM it does not handle).
    KILL: SIGKILL at once. $TERM: the container is removed (force), no
    result. Whatever the ending, the container is removed before the result
    is sent, so a result always means nothing is left behind; a container
    the engine would not remove keeps its labels, and the miner's next start
    removes it (miner_docker_runner_clean).

    Figures: the engine's stats are its cgroup's, and a stopped container
    has no cgroup left, so the last look while it runs is what the result
    carries (a look as its output ends catches most of a short task). On
    cgroup v1 the memory peak is the kernel's own high-water mark, so a
    peak between two looks is not missed; on v2 it is the highest use seen.

    Output files: after the container stopped, before it is removed, the
    engine's tar archive of each path (GET /containers/ID/archive) is read
    as it comes into a bounded miner_outputs; once the bound is reached
    the transfer is ended there, so a task that leaves gigabytes costs
    the miner no more than the bound. A path that is not there is an entry
    saying so; the task's result is the same either way. With
    miner/docker_readonly the task's only writable place is its /tmp, a
    tmpfs that is gone once it stops: outputs there are reported missing.

    Exit status: the engine reports 128 + N for a container ended by signal
    N; when we killed it (timeout, KILL) or the kernel did (out of memory)
    that becomes term_signal N and exit_code -1, as the process runtime
    reports a signalled task.
    =========================================================================  */
#include "fogrid.h"
#include "miner_runtime.h"
#include "miner_docker.h"
#include "miner_docker_runner.h"
#include "miner_outputs.h"
#include "miner_inputs.h"
#include "miner_live.h"
#include "miner_tar.h"
#include <signal.h>
#include <unistd.h>

#define S_DEFAULT_OUTPUT   (1024 * 1024)
#define S_DEFAULT_TIMEOUT  3600
#define S_DEFAULT_GRACE    1000
#define S_DEFAULT_PULL_S   600
#define S_MAX_WAIT_MS      1000     //  longest sleep of the watch loop
#define S_MIN_WAIT_MS      50       //  shortest wait call
#define S_STREAM_AFTER_MS  10000    //  a stream still open this long after SIGKILL is dropped
#define S_DEFAULT_FILES    (1024 * 1024)
#define S_DEFAULT_STATS_MS 1000
#define S_FIRST_STATS_MS   100      //  the first look, soon after the start

//  The actor thread's state.
typedef struct {
    miner_runtime_args_t *owner;    //  the task handle's (miner_runtime.h)
    zsock_t *pipe;              //  to the owner
    miner_docker_t *docker;     //  this thread's client
    char *socket;               //  the engine's socket
    int api_timeout_ms;         //  bound of each short call
    int pull_timeout_ms;        //  bound of a pull
    uint32_t timeout_s;         //  the task's wall-clock limit
    int grace_ms;               //  SIGTERM -> SIGKILL
    size_t max_output;          //  bytes kept of stdout and of stderr
    miner_docker_spec_t spec;   //  the container; its strings are below
    char *image;
    char **argv;                //  argc entries
    char **env;                 //  envc entries
    char miner_id [64];
    char task_ref [100];        //  TASK_ID/ATTEMPT
    char id [80];               //  the container, "" before create
    miner_docker_output_t *output;      //  stdout and stderr
    miner_docker_attach_t *attach;      //  the live stream, NULL when it ended
    bool attached;              //  the stream worked to its end
    bool exited;                //  the container stopped
    int64_t exit_code;          //  as the engine says
    bool oom_killed;            //  the kernel killed it for memory
    bool timed_out;             //  we ended it for its timeout
    bool killed;                //  KILL came on the pipe
    bool terminated;            //  $TERM came: no result wanted
    char error [700];           //  could not run, or killed: why
    int64_t started_ms;
    int64_t ended_ms;
    char **outputs;             //  TaskSpec.outputs, n_outputs entries
    size_t n_outputs;
    size_t max_files;           //  bound of the files copied back
    miner_outputs_t *files;     //  what was copied, after the end
    int stats_ms;               //  between two looks at the figures
    int64_t stats_at;           //  the next look (monotonic), 0 = none
    Fogrid__Usage usage;        //  the figures so far
    bool measured;              //  usage holds something
    miner_inputs_t *inputs;     //  TaskSpec.inputs, fetched and checked
    size_t live_seen [2];       //  bytes of stdout, stderr gone to the live view
} s_run_t;

//  --------------------------------------------------------------------------
//  Preparation (before the actor signals: the spec is still ours to read)

static int
s_prepare (s_run_t *run)
{
    miner_runtime_args_t *owner = run->owner;
    const Fogrid__TaskSpec *spec = owner->spec;
    const miner_runner_limits_t *limits = owner->limits;

    run->socket = strdup (limits->docker_socket);
    run->api_timeout_ms = limits->docker_timeout_ms;
    run->pull_timeout_ms = (int) (limits->docker_pull_timeout_s? limits->docker_pull_timeout_s
                                                               : S_DEFAULT_PULL_S) * 1000;
    run->timeout_s = spec->timeout_s? spec->timeout_s: limits->default_timeout_s;
    if (run->timeout_s == 0)
        run->timeout_s = S_DEFAULT_TIMEOUT;
    run->grace_ms = limits->grace_ms > 0? limits->grace_ms: S_DEFAULT_GRACE;
    run->max_output = limits->max_output? limits->max_output: S_DEFAULT_OUTPUT;
    snprintf (run->miner_id, sizeof run->miner_id, "%s", limits->miner_id? limits->miner_id: "");
    snprintf (run->task_ref, sizeof run->task_ref, "%s/%u", owner->task_id,
              owner->attempt);

    if (!spec->image || !*spec->image) {
        snprintf (run->error, sizeof run->error, "the docker runtime needs an image");
        return -1;
    }
    if (!miner_docker_image_valid (spec->image)) {
        snprintf (run->error, sizeof run->error, "'%.64s' is not a valid image name", spec->image);
        return -1;
    }
    for (size_t index = 0; index < spec->n_env; index++)
        if (!miner_runtime_env_valid (spec->env [index])) {
            snprintf (run->error, sizeof run->error,
                      "environment entry '%.64s' is not KEY=VALUE", spec->env [index]);
            return -1;
        }
    run->image = strdup (spec->image);
    run->argv = (char **) zmalloc (sizeof (char *) * (spec->n_argv + 1));
    for (size_t index = 0; index < spec->n_argv; index++)
        run->argv [index] = strdup (spec->argv [index]);
    //  The spec's entries, then these facts (which no entry may replace)
    run->env = (char **) zmalloc (sizeof (char *) * (spec->n_env + 3));
    size_t count = 0;
    for (size_t index = 0; index < spec->n_env; index++)
        if (strncmp (spec->env [index], "FOGRID_TASK_ID=", 15)
        &&  strncmp (spec->env [index], "FOGRID_ATTEMPT=", 15))
            run->env [count++] = strdup (spec->env [index]);
    run->env [count++] = zsys_sprintf ("FOGRID_TASK_ID=%s", owner->task_id);
    run->env [count++] = zsys_sprintf ("FOGRID_ATTEMPT=%u", owner->attempt);

    miner_docker_spec_t *container = &run->spec;
    container->image = run->image;
    container->argv = (const char *const *) run->argv;
    container->argc = spec->n_argv;
    container->env = (const char *const *) run->env;
    container->envc = count;
    container->miner_id = run->miner_id;
    container->task_ref = run->task_ref;
    long online = sysconf (_SC_NPROCESSORS_ONLN);
    double cores = spec->cores? spec->cores: 1;
    container->cores = online > 0 && cores > online? (double) online: cores;
    //  A container always has a memory limit: the task's, the miner's
    //  default, or at most all the miner offers
    container->mem_mb = owner->mem_mb;
    if (container->mem_mb == 0)
        container->mem_mb = limits->offered_mem_mb;
    container->pids_limit = limits->docker_pids_limit;
    container->readonly_rootfs = limits->docker_readonly;
    container->network = false;         //  batch tasks have none
    container->log_max = run->max_output;

    run->max_files = limits->max_output_files? limits->max_output_files: S_DEFAULT_FILES;
    run->stats_ms = limits->stats_interval_ms > 0? limits->stats_interval_ms: S_DEFAULT_STATS_MS;
    size_t outputs = spec->n_outputs < MINER_OUTPUTS_MAX_SPECS? spec->n_outputs
                                                              : MINER_OUTPUTS_MAX_SPECS;
    run->outputs = (char **) zmalloc (sizeof (char *) * (outputs + 1));
    for (size_t index = 0; index < outputs; index++)
        run->outputs [index] = strdup (spec->outputs [index]);
    run->n_outputs = outputs;
    miner_inputs_bounds_t bounds = { limits->input_url_max, limits->input_url_timeout_s };
    run->inputs = miner_inputs_new (spec, &bounds, run->error, sizeof run->error);
    return run->inputs? 0: -1;
}

//  --------------------------------------------------------------------------
//  Running

//  For the long calls: true when the owner has something to say.
static bool
s_pipe_pending (void *arg)
{
    s_run_t *run = (s_run_t *) arg;
    return (zsock_events (run->pipe) & ZMQ_POLLIN) != 0;
}

//  Takes every command waiting on the pipe. KILL kills the container now.
static void
s_check_pipe (s_run_t *run)
{
    while (!run->terminated && (zsock_events (run->pipe) & ZMQ_POLLIN)) {
        char *command = zstr_recv (run->pipe);
        if (!command || streq (command, "$TERM"))
            run->terminated = true;
        else
        if (streq (command, "KILL") && !run->killed) {
            run->killed = true;
            if (*run->id && !run->exited
            &&  miner_docker_kill (run->docker, run->id, SIGKILL))
                zsys_warning ("task %s: cannot kill container %.12s: %s",
                              run->owner->task_id, run->id,
                              miner_docker_error (run->docker));
        }
        zstr_free (&command);
    }
}

static bool
s_stop_wanted (s_run_t *run)
{
    s_check_pipe (run);
    return run->terminated || run->killed;
}

static void
s_signal (s_run_t *run, int sig)
{
    if (miner_docker_kill (run->docker, run->id, sig))
        zsys_warning ("task %s: cannot send signal %d to container %.12s: %s",
                      run->owner->task_id, sig, run->id,
                      miner_docker_error (run->docker));
}

//  A look at the container's figures (docker stats): CPU so far, memory
//  now and its peak, processes. A container that has stopped has none
//  left to give (its cgroup is gone): the last look before stands.
static void
s_sample (s_run_t *run)
{
    miner_docker_stats_t stats;
    int rc = miner_docker_stats (run->docker, run->id, &stats);
    if (rc < 0)
        fg_debug ("task %s: no stats: %s", run->owner->task_id,
                  miner_docker_error (run->docker));
    if (rc)
        return;
    Fogrid__Usage *usage = &run->usage;
    uint64_t cpu_ms = stats.cpu_ns / 1000000;
    if (cpu_ms > usage->cpu_ms)
        usage->cpu_ms = cpu_ms;
    usage->mem_bytes = stats.mem_bytes;
    uint64_t peak = stats.mem_max_bytes > stats.mem_bytes? stats.mem_max_bytes: stats.mem_bytes;
    if (peak > usage->mem_peak_bytes)
        usage->mem_peak_bytes = peak;
    if (stats.pids > usage->pids_peak)
        usage->pids_peak = stats.pids;
    run->measured = true;
    miner_runtime_set_usage (run->owner, usage->cpu_ms, usage->mem_bytes);
}

//  Watches the started container until it has stopped, or until $TERM.
static void
s_watch (s_run_t *run)
{
    const char *task_id = run->owner->task_id;
    int64_t deadline = zclock_mono () + (int64_t) run->timeout_s * 1000;
    int64_t kill_at = 0;                //  SIGKILL due after a SIGTERM
    int64_t killed_at = 0;              //  when a SIGKILL went out
    while (!run->exited) {
        s_check_pipe (run);
        if (run->terminated)
            return;
        int64_t now = zclock_mono ();
        if (!run->timed_out && !run->killed && now >= deadline) {
            zsys_info ("task %s: timed out after %u s: SIGTERM to container %.12s",
                       task_id, run->timeout_s, run->id);
            run->timed_out = true;
            s_signal (run, SIGTERM);
            kill_at = now + run->grace_ms;
        }
        if (kill_at && now >= kill_at) {
            s_signal (run, SIGKILL);
            kill_at = 0;
            killed_at = now;
        }
        if (run->killed && !killed_at)
            killed_at = now;
        //  Should the engine keep the stream open past a SIGKILL, the wait
        //  (and the engine's log) tell the end instead
        if (run->attach && killed_at && now - killed_at > S_STREAM_AFTER_MS) {
            zsys_warning ("task %s: the output stream stays open after SIGKILL: dropping it",
                          task_id);
            miner_docker_attach_destroy (&run->attach);
        }
        if (run->stats_at && now >= run->stats_at) {
            s_sample (run);
            now = zclock_mono ();
            run->stats_at = now + run->stats_ms;
        }
        int64_t next = kill_at? kill_at: run->timed_out || run->killed? now + S_MAX_WAIT_MS: deadline;
        if (run->stats_at && run->stats_at < next)
            next = run->stats_at;
        int wait = (int) (next - now < 0? 0: next - now > S_MAX_WAIT_MS? S_MAX_WAIT_MS: next - now);

        if (run->attach) {
            int rc = miner_docker_attach_pump (run->attach, zsock_fd (run->pipe), wait);
            miner_live_put_output (run->owner->live, run->output, run->live_seen);
            if (rc == 1)
                continue;
            if (rc == 0) {
                run->attached = true;
                s_sample (run);         //  its output ended: it may still be there
            }
            else
                zsys_warning ("task %s: %s; its output will come from the engine's log", task_id,
                              miner_docker_attach_error (run->attach));
            miner_docker_attach_destroy (&run->attach);
            continue;
        }
        //  The output has ended: the container has stopped, or is about to
        int64_t code = -1;
        int rc = miner_docker_wait (run->docker, run->id, wait < S_MIN_WAIT_MS? S_MIN_WAIT_MS: wait,
                                    &code);
        if (rc == 0) {
            run->exited = true;
            run->exit_code = code;
        }
        else
        if (rc < 0 && !miner_docker_interrupted (run->docker)) {
            snprintf (run->error, sizeof run->error, "lost track of the container: %s",
                      miner_docker_error (run->docker));
            return;
        }
    }
    run->ended_ms = fg_now_ms ();
}

//  Everything up to the container's end. Leaves run->error set when the
//  task could not run.
static void
s_execute (s_run_t *run)
{
    const char *task_id = run->owner->task_id;
    run->docker = miner_docker_new (run->socket, run->api_timeout_ms);
    if (!run->docker) {
        snprintf (run->error, sizeof run->error, "cannot make a Docker client");
        return;
    }
    miner_docker_t *docker = run->docker;
    miner_docker_set_interrupt (docker, zsock_fd (run->pipe), s_pipe_pending, run);

    int present = miner_docker_image_present (docker, run->image);
    if (present < 0) {
        snprintf (run->error, sizeof run->error, "%s", miner_docker_error (docker));
        return;
    }
    if (present == 0) {
        zsys_info ("task %s: image %s is not here: pulling it", task_id, run->image);
        while (miner_docker_image_pull (docker, run->image, run->pull_timeout_ms)) {
            if (miner_docker_interrupted (docker) && !s_stop_wanted (run))
                continue;               //  a command we do not care for
            if (!run->terminated && !run->killed)
                snprintf (run->error, sizeof run->error,
                          "image %s is not present and cannot be pulled: %s", run->image,
                          miner_docker_error (docker));
            return;
        }
    }
    if (s_stop_wanted (run))
        return;
    if (miner_docker_create (docker, &run->spec, run->id, sizeof run->id)) {
        snprintf (run->error, sizeof run->error, "cannot create a container of %s: %s",
                  run->image, miner_docker_error (docker));
        return;
    }
    if (miner_inputs_size (run->inputs)) {
        miner_docker_state_t state;
        if (miner_docker_inspect (docker, run->id, &state)
        ||  miner_inputs_put_container (run->inputs, run->socket, run->id, state.working_dir,
                                        run->api_timeout_ms, run->error, sizeof run->error)) {
            if (!*run->error)
                snprintf (run->error, sizeof run->error, "inputs: cannot inspect the "
                          "container: %s", miner_docker_error (docker));
            return;
        }
    }
    miner_inputs_destroy (&run->inputs);
    run->output = miner_docker_output_new (run->max_output);
    run->attach = miner_docker_attach_new (docker, run->id, run->output);
    if (!run->attach)
        zsys_warning ("task %s: cannot attach to container %.12s (%s); its output will come "
                      "from the engine's log", task_id, run->id, miner_docker_error (docker));
    if (s_stop_wanted (run))
        return;
    run->started_ms = fg_now_ms ();
    if (miner_docker_start (docker, run->id)) {
        snprintf (run->error, sizeof run->error, "cannot start the container: %s",
                  miner_docker_error (docker));
        return;
    }
    fg_debug ("task %s: container %.12s of %s started", task_id, run->id, run->image);
    run->stats_at = zclock_mono () + (run->stats_ms < S_FIRST_STATS_MS? run->stats_ms
                                                                      : S_FIRST_STATS_MS);
    s_watch (run);
}

//  --------------------------------------------------------------------------
//  Output files: each path's tar archive, read as it comes into run->files

typedef struct {
    miner_outputs_t *files;     //  where entries go
    miner_tar_t *tar;           //  reads the archive
    bool first;                 //  no entry seen yet
    bool is_dir;                //  the output is a directory
    char error [256];           //  the archive could not be read
} s_archive_t;

static void
s_archive_entry (void *arg, const miner_tar_entry_t *entry)
{
    s_archive_t *self = (s_archive_t *) arg;
    if (self->first)
        self->is_dir = entry->type == '5';
    self->first = false;
    miner_outputs_tar_entry (self->files, entry->type, entry->name, entry->mode, entry->size,
                             entry->link);
}

static void
s_archive_data (void *arg, const byte *data, size_t size)
{
    miner_outputs_feed (((s_archive_t *) arg)->files, data, size);
}

//  The engine's bytes: read on until the bound is reached.
static bool
s_archive_sink (void *arg, const byte *data, size_t size)
{
    s_archive_t *self = (s_archive_t *) arg;
    if (miner_tar_feed (self->tar, data, size)) {
        snprintf (self->error, sizeof self->error, "%s", miner_tar_error (self->tar));
        return false;
    }
    return !miner_outputs_full (self->files);
}

//  Copies each output out of the stopped container: absolute paths as
//  they are, relative ones from its working directory.
static void
s_copy_outputs (s_run_t *run, const char *working_dir)
{
    const char *task_id = run->owner->task_id;
    run->files = miner_outputs_new (run->max_files);
    for (size_t index = 0; index < run->n_outputs; index++) {
        const char *output = run->outputs [index];
        char dest [MINER_OUTPUTS_MAX_PATH + 1];
        if (fg_path_normal (output, MINER_OUTPUTS_MAX_PATH, dest, sizeof dest)) {
            miner_outputs_refuse (run->files, fg_text_valid (output, MINER_OUTPUTS_MAX_PATH)
                                              ? output: "?",
                                  "not a path to copy: 1..%d printable bytes, no '..' part",
                                  MINER_OUTPUTS_MAX_PATH);
            continue;
        }
        char *source = *output == '/'? zsys_sprintf ("/%s", dest)
                     : zsys_sprintf ("%s/%s", streq (working_dir, "/")? "": working_dir, dest);
        miner_outputs_begin (run->files, dest);
        s_archive_t archive = { .files = run->files, .first = true };
        archive.tar = miner_tar_new (s_archive_entry, s_archive_data, &archive);
        int rc = miner_outputs_full (run->files)? 1
               : miner_docker_archive (run->docker, run->id, source, s_archive_sink, &archive);
        if (rc < 0 && miner_docker_status (run->docker) == 404)
            miner_outputs_refuse (run->files, dest, "no such file or directory in the container");
        else
        if (rc < 0)
            miner_outputs_note (run->files, "not copied: %s", miner_docker_error (run->docker));
        else
        if (*archive.error)
            miner_outputs_note (run->files, "not copied whole: %s", archive.error);
        else
        if (rc == 1 && (archive.is_dir || archive.first))
            miner_outputs_left_out (run->files);         //  the rest was not read
        else
        if (rc == 0 && !miner_tar_ended (archive.tar))
            miner_outputs_note (run->files, "not copied whole: the engine's archive ended early");
        miner_outputs_end (run->files);
        miner_tar_destroy (&archive.tar);
        fg_debug ("task %s: output %s (%s): %zu entries so far", task_id, output, source,
                  miner_outputs_count (run->files));
        zstr_free (&source);
    }
}

//  After the end: why it stopped, its output if the stream failed, and
//  the files it was asked to leave.
static void
s_collect (s_run_t *run)
{
    miner_docker_state_t state;
    if (miner_docker_inspect (run->docker, run->id, &state) == 0) {
        run->oom_killed = state.oom_killed;
        //  The engine learns of an OOM kill from an event of its own,
        //  which may come after the exit: a SIGKILL nobody here sent, to
        //  a task with a memory limit, is asked about once more
        for (int again = 0; again < 5 && !run->oom_killed && run->exited
             && run->exit_code == 128 + SIGKILL && !run->killed && !run->timed_out
             && run->spec.mem_mb; again++) {
            zclock_sleep (100);
            if (miner_docker_inspect (run->docker, run->id, &state) == 0)
                run->oom_killed = state.oom_killed;
        }
    }
    else {
        zsys_warning ("task %s: cannot inspect container %.12s: %s",
                      run->owner->task_id, run->id, miner_docker_error (run->docker));
        snprintf (state.working_dir, sizeof state.working_dir, "/");
    }
    if (run->n_outputs && !run->killed)     //  killed: the hub wants no result
        s_copy_outputs (run, state.working_dir);
    if (!run->attached) {
        miner_docker_output_destroy (&run->output);
        run->output = miner_docker_output_new (run->max_output);
        if (miner_docker_logs (run->docker, run->id, run->output))
            zsys_warning ("task %s: cannot read the log of container %.12s: %s",
                          run->owner->task_id, run->id,
                          miner_docker_error (run->docker));
    }
}

static void
s_send_result (s_run_t *run)
{
    Fogrid__TaskResult result = FOGRID__TASK_RESULT__INIT;
    result.task_id = (char *) run->owner->task_id;
    result.attempt = run->owner->attempt;
    result.exit_code = -1;
    if (run->exited) {
        bool signalled = run->timed_out || run->killed || run->oom_killed;
        if (signalled && run->exit_code > 128 && run->exit_code < 128 + 65)
            result.term_signal = (int32_t) (run->exit_code - 128);
        else
            result.exit_code = (int32_t) run->exit_code;
    }
    else
    if (*run->error)
        result.exit_code = 127;         //  as a shell says: could not run it
    result.timed_out = run->timed_out;
    if (run->oom_killed)
        snprintf (run->error, sizeof run->error, "killed: out of memory (limit %" PRIu64 " MB)",
                  run->spec.mem_mb);
    else
    if (run->killed && !*run->error)
        snprintf (run->error, sizeof run->error, "killed");
    result.error = run->error;
    char hex [65] = "";
    if (run->output) {
        size_t size;
        result.stdout.data = (byte *) miner_docker_output_data (run->output, 1, &size);
        result.stdout.len = size;
        result.stdout_truncated = miner_docker_output_truncated (run->output, 1);
        result.stderr.data = (byte *) miner_docker_output_data (run->output, 2, &size);
        result.stderr.len = size;
        result.stderr_truncated = miner_docker_output_truncated (run->output, 2);
        miner_docker_output_sha256 (run->output, hex);
    }
    else {
        miner_docker_output_t *none = miner_docker_output_new (0);
        miner_docker_output_sha256 (none, hex);
        miner_docker_output_destroy (&none);
    }
    result.stdout_sha256 = hex;
    miner_runtime_end_result (run->pipe, &result, &run->started_ms, &run->ended_ms, run->files,
                              run->measured? &run->usage: NULL);
}

void
miner_docker_runner_actor (zsock_t *pipe, void *args)
{
    s_run_t run;
    memset (&run, 0, sizeof run);
    run.owner = (miner_runtime_args_t *) args;
    run.pipe = pipe;
    fogrid__usage__init (&run.usage);
    bool ready = s_prepare (&run) == 0;
    zsock_signal (pipe, 0);             //  the spec is the caller's again

    if (ready)
        s_execute (&run);
    miner_docker_attach_destroy (&run.attach);
    const char *task_id = run.owner->task_id;
    if (*run.id) {
        if (run.exited && !run.terminated)
            s_collect (&run);
        if (miner_docker_remove (run.docker, run.id))
            zsys_error ("task %s: cannot remove container %.12s: %s (the miner's next start "
                        "removes it)", task_id, run.id, miner_docker_error (run.docker));
    }
    if (!run.terminated) {
        fg_debug ("task %s: ended, exit %" PRId64 "%s%s%s%s", task_id, run.exit_code,
                  run.timed_out? ", timed out": "", run.oom_killed? ", out of memory": "",
                  *run.error? ", error: ": "", run.error);
        s_send_result (&run);
        miner_runtime_wait_term (pipe);
    }
    miner_docker_output_destroy (&run.output);
    miner_outputs_destroy (&run.files);
    miner_inputs_destroy (&run.inputs);
    miner_docker_destroy (&run.docker);
    if (run.outputs)
        for (size_t index = 0; index < run.n_outputs; index++)
            free (run.outputs [index]);
    free (run.outputs);
    if (run.argv)
        for (size_t index = 0; index < run.spec.argc; index++)
            free (run.argv [index]);
    free (run.argv);
    if (run.env)
        for (size_t index = 0; index < run.spec.envc; index++)
            free (run.env [index]);
    free (run.env);
    free (run.image);
    free (run.socket);
}

int
miner_docker_runner_clean (const char *socket_path, const char *miner_id, int timeout_ms,
                           char *err, size_t err_size)
{
    miner_docker_t *docker = miner_docker_new (socket_path, timeout_ms);
    if (!docker) {
        snprintf (err, err_size, "cannot make a Docker client");
        return -1;
    }
    char label [128];
    snprintf (label, sizeof label, "%s=%s", MINER_DOCKER_LABEL_MINER, miner_id);
    zlist_t *ids = miner_docker_list (docker, label);
    int removed = 0;
    if (!ids) {
        snprintf (err, err_size, "cannot list containers: %s", miner_docker_error (docker));
        removed = -1;
    }
    for (char *id = ids? (char *) zlist_first (ids): NULL; id; id = (char *) zlist_next (ids)) {
        if (miner_docker_remove (docker, id) == 0)
            removed++;
        else {
            snprintf (err, err_size, "cannot remove container %.12s: %s", id,
                      miner_docker_error (docker));
            removed = -1;
            break;
        }
    }
    zlist_destroy (&ids);
    miner_docker_destroy (&docker);
    return removed;
}
