/*  =========================================================================
    miner_tasks - the tasks one hub link holds

    DESIGN
    A hash by TASK_ID/ATTEMPT of what the hub reserved for each task (its
    cores, memory and GPUs as the spec says, to check the share as the hub
    counts it), its runner, and the endpoint of the hub that gave it (its
    result is owed there, wherever the link is by then).
    =========================================================================  */
#include "fogrid.h"
#include "miner_tasks.h"

typedef struct {
    miner_runner_t *runner;     //  owned
    miner_tasks_use_t reserved; //  what the hub reserved for it
    char endpoint [300];        //  the hub that gave it
} s_task_t;

struct _miner_tasks_t {
    zhashx_t *tasks;            //  "task_id/attempt" -> s_task_t (owned)
    //  What the last miner_tasks_items put in the poll set
    miner_runner_t **polled;    //  the runners, in the items' order
    size_t polled_count;
    size_t polled_capacity;
};

static void
s_task_destroy (s_task_t **self_p)
{
    if (*self_p) {
        miner_runner_destroy (&(*self_p)->runner);
        free (*self_p);
        *self_p = NULL;
    }
}

static void
s_key (char *key, size_t size, const char *task_id, uint32_t attempt)
{
    snprintf (key, size, "%s/%u", task_id, attempt);
}

miner_tasks_t *
miner_tasks_new (void)
{
    miner_tasks_t *self = (miner_tasks_t *) zmalloc (sizeof (miner_tasks_t));
    self->tasks = zhashx_new ();
    zhashx_set_destructor (self->tasks, (zhashx_destructor_fn *) s_task_destroy);
    return self;
}

void
miner_tasks_destroy (miner_tasks_t **self_p)
{
    if (*self_p) {
        miner_tasks_t *self = *self_p;
        //  Kill them all first, then reap each: they die in parallel
        miner_tasks_kill_all (self);
        zhashx_destroy (&self->tasks);
        free (self->polled);
        free (self);
        *self_p = NULL;
    }
}

miner_runner_t *
miner_tasks_start (miner_tasks_t *self, const char *task_id, uint32_t attempt,
                   const Fogrid__TaskSpec *spec, const miner_runner_limits_t *limits,
                   const char *endpoint)
{
    char key [100];
    s_key (key, sizeof key, task_id, attempt);
    s_task_t *task = (s_task_t *) zmalloc (sizeof (s_task_t));
    task->runner = miner_runner_new (task_id, attempt, spec, limits);
    task->reserved.cores = spec->cores? spec->cores: 1;
    task->reserved.mem_mb = spec->mem_mb;
    task->reserved.gpus = spec->gpus;
    snprintf (task->endpoint, sizeof task->endpoint, "%s", endpoint? endpoint: "");
    zhashx_update (self->tasks, key, task);
    return task->runner;
}

static s_task_t *
s_lookup (miner_tasks_t *self, const char *task_id, uint32_t attempt)
{
    char key [100];
    s_key (key, sizeof key, task_id, attempt);
    return (s_task_t *) zhashx_lookup (self->tasks, key);
}

miner_runner_t *
miner_tasks_find (miner_tasks_t *self, const char *task_id, uint32_t attempt)
{
    s_task_t *task = s_lookup (self, task_id, attempt);
    return task? task->runner: NULL;
}

const char *
miner_tasks_endpoint (miner_tasks_t *self, miner_runner_t *runner)
{
    s_task_t *task = s_lookup (self, miner_runner_task_id (runner), miner_runner_attempt (runner));
    return task? task->endpoint: "";
}

Fogrid__TaskResult *
miner_tasks_ended (miner_tasks_t *self, miner_runner_t *runner, miner_stats_t *stats,
                   const char *tag, const char **endpoint)
{
    *endpoint = miner_tasks_endpoint (self, runner);
    Fogrid__TaskResult *result = miner_runner_result (runner, 0);
    if (!result)
        zsys_error ("%s: task %s ended without a readable result", tag,
                    miner_runner_task_id (runner));
    else
    if (miner_runner_killed (runner)) {
        stats->killed++;
        zsys_info ("%s: task %s attempt %u killed as the hub asked; nothing to report",
                   tag, result->task_id, result->attempt);
        fogrid__task_result__free_unpacked (result, NULL);
        result = NULL;
    }
    else {
        if (*result->error)
            stats->could_not_run++;
        else
        if (result->exit_code == 0 && !result->timed_out)
            stats->succeeded++;
        else
            stats->failed++;
        if (result->ended_ms >= result->started_ms && result->started_ms)
            fg_latency_add (&stats->task_seconds,
                            (double) (result->ended_ms - result->started_ms) / 1000.0);
        zsys_info ("%s: task %s attempt %u ended: exit %d, signal %d%s%s%s", tag,
                   result->task_id, result->attempt, result->exit_code, result->term_signal,
                   result->timed_out? ", timed out": "", *result->error? ", ": "", result->error);
    }
    return result;
}

void
miner_tasks_forget (miner_tasks_t *self, miner_runner_t *runner)
{
    char key [100];
    s_key (key, sizeof key, miner_runner_task_id (runner), miner_runner_attempt (runner));
    zhashx_delete (self->tasks, key);
}

void
miner_tasks_kill_all (miner_tasks_t *self)
{
    for (s_task_t *task = (s_task_t *) zhashx_first (self->tasks); task;
         task = (s_task_t *) zhashx_next (self->tasks))
        miner_runner_kill (task->runner);
}

size_t
miner_tasks_size (miner_tasks_t *self)
{
    return zhashx_size (self->tasks);
}

void
miner_tasks_used (miner_tasks_t *self, miner_tasks_use_t *used, Fogrid__Load *load)
{
    memset (used, 0, sizeof *used);
    for (s_task_t *task = (s_task_t *) zhashx_first (self->tasks); task;
         task = (s_task_t *) zhashx_next (self->tasks)) {
        if (miner_runner_killed (task->runner))
            continue;
        used->cores += task->reserved.cores;
        used->mem_mb += task->reserved.mem_mb;
        used->gpus += task->reserved.gpus;
        if (load) {
            load->used_cores += miner_runner_cores (task->runner);
            load->used_mem_mb += miner_runner_mem_mb (task->runner);
            //  ... and what they were last seen to use
            uint64_t cpu_ms, mem_bytes;
            miner_runner_usage (task->runner, &cpu_ms, &mem_bytes);
            load->usage->cpu_ms += cpu_ms;
            load->usage->mem_bytes += mem_bytes;
        }
    }
}

size_t
miner_tasks_refs (miner_tasks_t *self, Fogrid__TaskRef *store, Fogrid__TaskRef **refs)
{
    size_t count = 0;
    for (s_task_t *task = (s_task_t *) zhashx_first (self->tasks); task;
         task = (s_task_t *) zhashx_next (self->tasks)) {
        if (miner_runner_killed (task->runner))
            continue;
        fogrid__task_ref__init (&store [count]);
        store [count].task_id = (char *) miner_runner_task_id (task->runner);
        store [count].attempt = miner_runner_attempt (task->runner);
        refs [count] = &store [count];
        count++;
    }
    return count;
}

int
miner_tasks_refusal (miner_tasks_t *self, const Fogrid__Resources *share,
                     const Fogrid__TaskSpec *spec, char *why, size_t size)
{
    uint32_t cores = spec->cores? spec->cores: 1;
    miner_tasks_use_t used;
    miner_tasks_used (self, &used, NULL);
    if ((uint64_t) used.cores + cores > share->cores)
        snprintf (why, size, "it needs %u cores and %u of this hub's share of %u are free",
                  cores, used.cores < share->cores? share->cores - used.cores: 0, share->cores);
    else
    if (spec->mem_mb && used.mem_mb + spec->mem_mb > share->mem_mb)
        snprintf (why, size, "it needs %" PRIu64 " MB and %" PRIu64 " MB of this hub's share of "
                  "%" PRIu64 " MB are free", spec->mem_mb,
                  used.mem_mb < share->mem_mb? share->mem_mb - used.mem_mb: 0, share->mem_mb);
    else
    if (spec->gpus && (uint64_t) used.gpus + spec->gpus > share->gpus)
        snprintf (why, size, "it needs %u GPUs and %u of this hub's share of %u are free",
                  spec->gpus, used.gpus < share->gpus? share->gpus - used.gpus: 0, share->gpus);
    else
    if (spec->disk_mb && share->disk_mb && spec->disk_mb > share->disk_mb)
        snprintf (why, size, "it needs %" PRIu64 " MB of disk and this hub's share is %" PRIu64
                  " MB", spec->disk_mb, share->disk_mb);
    else
        return 0;
    return -1;
}

size_t
miner_tasks_items (miner_tasks_t *self, zmq_pollitem_t *items, size_t capacity)
{
    size_t runners = zhashx_size (self->tasks);
    if (runners > self->polled_capacity) {
        self->polled_capacity = runners + 16;
        size_t size = sizeof (miner_runner_t *) * self->polled_capacity;
        self->polled = (miner_runner_t **) realloc (self->polled, size);
    }
    size_t count = 0;
    for (s_task_t *task = (s_task_t *) zhashx_first (self->tasks); task && count < capacity;
         task = (s_task_t *) zhashx_next (self->tasks)) {
        items [count] = (zmq_pollitem_t) {
            zsock_resolve (miner_runner_actor (task->runner)), 0, ZMQ_POLLIN, 0 };
        self->polled [count++] = task->runner;
    }
    self->polled_count = count;
    return count;
}

miner_runner_t *
miner_tasks_ready (miner_tasks_t *self, zmq_pollitem_t *items, size_t *cursor)
{
    while (*cursor < self->polled_count) {
        size_t index = (*cursor)++;
        if (items [index].revents & ZMQ_POLLIN)
            return self->polled [index];
    }
    self->polled_count = 0;     //  each is handled once
    return NULL;
}
