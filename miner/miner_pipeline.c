/*  =========================================================================
    miner_pipeline - the work a hub link holds beyond its share, waiting
    for a slot, and the TaskStarted it owes in one message
    =========================================================================  */
#include "fogrid.h"
#include "miner_pipeline.h"

struct _miner_pipeline_t {
    uint32_t slots;             //  tasks it may hold
    zlistx_t *waiting;          //  Fogrid__TaskAssign copies, in the order given
    zlistx_t *started;          //  Fogrid__TaskStarted owed, not sent yet
};

static void
s_assign_free (void **item)
{
    if (*item) {
        fogrid__task_assign__free_unpacked ((Fogrid__TaskAssign *) *item, NULL);
        *item = NULL;
    }
}

static void
s_started_free (void **item)
{
    Fogrid__TaskStarted *started = (Fogrid__TaskStarted *) *item;
    if (started) {
        free (started->task_id);
        free (started);
        *item = NULL;
    }
}

miner_pipeline_t *
miner_pipeline_new (uint32_t slots)
{
    miner_pipeline_t *self = (miner_pipeline_t *) zmalloc (sizeof (miner_pipeline_t));
    self->slots = slots;
    self->waiting = zlistx_new ();
    zlistx_set_destructor (self->waiting, s_assign_free);
    self->started = zlistx_new ();
    zlistx_set_destructor (self->started, s_started_free);
    return self;
}

void
miner_pipeline_destroy (miner_pipeline_t **self_p)
{
    if (*self_p) {
        miner_pipeline_t *self = *self_p;
        zlistx_destroy (&self->waiting);
        zlistx_destroy (&self->started);
        free (self);
        *self_p = NULL;
    }
}

uint32_t
miner_pipeline_slots (miner_pipeline_t *self)
{
    return self->slots;
}

bool
miner_pipeline_holds (miner_pipeline_t *self, const char *task_id, uint32_t attempt)
{
    for (Fogrid__TaskAssign *assign = (Fogrid__TaskAssign *) zlistx_first (self->waiting);
         assign; assign = (Fogrid__TaskAssign *) zlistx_next (self->waiting))
        if (assign->attempt == attempt && streq (assign->task_id, task_id))
            return true;
    return false;
}

bool
miner_pipeline_hold (miner_pipeline_t *self, const Fogrid__TaskAssign *assign,
                     const Fogrid__Resources *share)
{
    const Fogrid__TaskSpec *spec = assign->spec;
    uint32_t cores = spec->cores? spec->cores: 1;
    if (zlistx_size (self->waiting) >= self->slots || cores > share->cores
    ||  spec->mem_mb > share->mem_mb || spec->gpus > share->gpus)
        return false;
    if (miner_pipeline_holds (self, assign->task_id, assign->attempt))
        return true;
    size_t size = fogrid__task_assign__get_packed_size (assign);
    uint8_t *buffer = (uint8_t *) zmalloc (size + 1);
    fogrid__task_assign__pack (assign, buffer);
    Fogrid__TaskAssign *copy = fogrid__task_assign__unpack (NULL, size, buffer);
    free (buffer);
    if (!copy)
        return false;
    zlistx_add_end (self->waiting, copy);
    return true;
}

bool
miner_pipeline_drop (miner_pipeline_t *self, const char *task_id, uint32_t attempt)
{
    for (Fogrid__TaskAssign *assign = (Fogrid__TaskAssign *) zlistx_first (self->waiting);
         assign; assign = (Fogrid__TaskAssign *) zlistx_next (self->waiting))
        if (assign->attempt == attempt && streq (assign->task_id, task_id)) {
            zlistx_delete (self->waiting, zlistx_cursor (self->waiting));
            return true;
        }
    return false;
}

void
miner_pipeline_clear (miner_pipeline_t *self)
{
    zlistx_purge (self->waiting);
}

Fogrid__TaskAssign *
miner_pipeline_next (miner_pipeline_t *self, miner_pipeline_fits_fn *fits, void *arg)
{
    Fogrid__TaskAssign *assign = (Fogrid__TaskAssign *) zlistx_first (self->waiting);
    if (!assign || !fits (arg, assign->spec))
        return NULL;
    return (Fogrid__TaskAssign *) zlistx_detach (self->waiting, zlistx_cursor (self->waiting));
}

size_t
miner_pipeline_size (miner_pipeline_t *self)
{
    return zlistx_size (self->waiting);
}

size_t
miner_pipeline_refs (miner_pipeline_t *self, Fogrid__TaskRef *store, Fogrid__TaskRef **refs)
{
    size_t count = 0;
    for (Fogrid__TaskAssign *assign = (Fogrid__TaskAssign *) zlistx_first (self->waiting);
         assign; assign = (Fogrid__TaskAssign *) zlistx_next (self->waiting)) {
        fogrid__task_ref__init (&store [count]);
        store [count].task_id = assign->task_id;
        store [count].attempt = assign->attempt;
        refs [count] = &store [count];
        count++;
    }
    return count;
}

void
miner_pipeline_started (miner_pipeline_t *self, const char *task_id, uint32_t attempt)
{
    Fogrid__TaskStarted *started = (Fogrid__TaskStarted *) zmalloc (sizeof *started);
    fogrid__task_started__init (started);
    started->task_id = strdup (task_id);
    started->attempt = attempt;
    zlistx_add_end (self->started, started);
}

fg_env_t *
miner_pipeline_flush (miner_pipeline_t *self, bool batches)
{
    size_t count = zlistx_size (self->started);
    if (count == 0)
        return NULL;
    fg_env_t *env = (fg_env_t *) zmalloc (sizeof (fg_env_t));
    fogrid__envelope__init (env);
    if (count == 1 || !batches) {
        env->body_case = FOGRID__ENVELOPE__BODY_TASK_STARTED;
        env->task_started = (Fogrid__TaskStarted *) zlistx_detach (self->started, NULL);
        return env;
    }
    Fogrid__TaskStartedBatch *batch = (Fogrid__TaskStartedBatch *) zmalloc (sizeof *batch);
    fogrid__task_started_batch__init (batch);
    batch->started = (Fogrid__TaskStarted **) zmalloc (sizeof (Fogrid__TaskStarted *) * count);
    while (zlistx_size (self->started))
        batch->started [batch->n_started++] =
            (Fogrid__TaskStarted *) zlistx_detach (self->started, NULL);
    env->body_case = FOGRID__ENVELOPE__BODY_TASK_STARTED_BATCH;
    env->task_started_batch = batch;
    return env;
}

void
miner_pipeline_envelope_free (fg_env_t **env_p)
{
    fg_env_t *env = *env_p;
    if (!env)
        return;
    if (env->body_case == FOGRID__ENVELOPE__BODY_TASK_STARTED) {
        void *item = env->task_started;
        s_started_free (&item);
    }
    else
    if (env->body_case == FOGRID__ENVELOPE__BODY_TASK_STARTED_BATCH) {
        for (size_t index = 0; index < env->task_started_batch->n_started; index++) {
            void *item = env->task_started_batch->started [index];
            s_started_free (&item);
        }
        free (env->task_started_batch->started);
        free (env->task_started_batch);
    }
    free (env);
    *env_p = NULL;
}
