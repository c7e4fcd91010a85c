/*  =========================================================================
    test_miner_pipeline - what a link holds beyond its share: held in the
    order given, no more than its slots, nothing that could never fit,
    started as slots free, dropped on a kill; TaskStarted batched
    =========================================================================  */
#include "test_support.h"
#include "miner_pipeline.h"

static Fogrid__TaskAssign *
s_assign (const char *task_id, uint32_t cores)
{
    Fogrid__TaskAssign *assign = (Fogrid__TaskAssign *) zmalloc (sizeof *assign);
    fogrid__task_assign__init (assign);
    assign->task_id = strdup (task_id);
    assign->attempt = 1;
    assign->spec = (Fogrid__TaskSpec *) zmalloc (sizeof (Fogrid__TaskSpec));
    fogrid__task_spec__init (assign->spec);
    assign->spec->cores = cores;
    return assign;
}

//  miner_pipeline_fits_fn: as many free cores as *arg says
static bool
s_fits (void *arg, const Fogrid__TaskSpec *spec)
{
    uint32_t *free_cores = (uint32_t *) arg;
    uint32_t cores = spec->cores? spec->cores: 1;
    return cores <= *free_cores;
}

static void
test_pipeline (void)
{
    Fogrid__Resources share = FOGRID__RESOURCES__INIT;
    share.cores = 4;
    share.mem_mb = 1024;
    miner_pipeline_t *pipeline = miner_pipeline_new (2);
    CU_ASSERT_EQUAL (miner_pipeline_slots (pipeline), 2);
    const char *ids [] = { "t-a", "t-b", "t-c", "t-big" };
    uint32_t cores [] = { 1, 2, 1, 8 };
    bool held [4];
    for (int index = 0; index < 4; index++) {
        Fogrid__TaskAssign *assign = s_assign (ids [index], cores [index]);
        held [index] = miner_pipeline_hold (pipeline, assign, &share);
        fogrid__task_assign__free_unpacked (assign, NULL);
    }
    //  Two slots: a and b wait, c finds none, big could never fit
    CU_ASSERT_TRUE (held [0]);
    CU_ASSERT_TRUE (held [1]);
    CU_ASSERT_FALSE (held [2]);
    CU_ASSERT_FALSE (held [3]);
    CU_ASSERT_EQUAL (miner_pipeline_size (pipeline), 2);
    CU_ASSERT_TRUE (miner_pipeline_holds (pipeline, "t-b", 1));
    CU_ASSERT_FALSE (miner_pipeline_holds (pipeline, "t-b", 2));

    //  Its refs, for a hello
    Fogrid__TaskRef store [2], *refs [2];
    CU_ASSERT_EQUAL (miner_pipeline_refs (pipeline, store, refs), 2);
    CU_ASSERT_STRING_EQUAL (refs [0]->task_id, "t-a");
    CU_ASSERT_STRING_EQUAL (refs [1]->task_id, "t-b");

    //  Nothing free: nothing starts; one core: a starts, b (2 cores) waits
    uint32_t free_cores = 0;
    CU_ASSERT_PTR_NULL (miner_pipeline_next (pipeline, s_fits, &free_cores));
    free_cores = 1;
    Fogrid__TaskAssign *next = miner_pipeline_next (pipeline, s_fits, &free_cores);
    CU_ASSERT_PTR_NOT_NULL_FATAL (next);
    CU_ASSERT_STRING_EQUAL (next->task_id, "t-a");
    CU_ASSERT_EQUAL (next->spec->cores, 1);
    fogrid__task_assign__free_unpacked (next, NULL);
    CU_ASSERT_PTR_NULL (miner_pipeline_next (pipeline, s_fits, &free_cores));
    //  A kill drops what waits
    CU_ASSERT_TRUE (miner_pipeline_drop (pipeline, "t-b", 1));
    CU_ASSERT_FALSE (miner_pipeline_drop (pipeline, "t-b", 1));
    CU_ASSERT_EQUAL (miner_pipeline_size (pipeline), 0);

    //  What started: one alone is a TaskStarted; several, with batches,
    //  one TaskStartedBatch; without, one TaskStarted each
    CU_ASSERT_PTR_NULL (miner_pipeline_flush (pipeline, true));
    miner_pipeline_started (pipeline, "t-a", 1);
    fg_env_t *env = miner_pipeline_flush (pipeline, true);
    CU_ASSERT_PTR_NOT_NULL_FATAL (env);
    CU_ASSERT_EQUAL (env->body_case, FOGRID__ENVELOPE__BODY_TASK_STARTED);
    CU_ASSERT_STRING_EQUAL (env->task_started->task_id, "t-a");
    miner_pipeline_envelope_free (&env);
    CU_ASSERT_PTR_NULL (env);
    for (int index = 0; index < 3; index++)
        miner_pipeline_started (pipeline, ids [index], 1);
    env = miner_pipeline_flush (pipeline, true);
    CU_ASSERT_PTR_NOT_NULL_FATAL (env);
    CU_ASSERT_EQUAL_FATAL (env->body_case, FOGRID__ENVELOPE__BODY_TASK_STARTED_BATCH);
    CU_ASSERT_EQUAL (env->task_started_batch->n_started, 3);
    CU_ASSERT_STRING_EQUAL (env->task_started_batch->started [2]->task_id, "t-c");
    //  It encodes as any envelope does
    CU_ASSERT (fogrid__envelope__get_packed_size (env) > 0);
    miner_pipeline_envelope_free (&env);
    CU_ASSERT_PTR_NULL (miner_pipeline_flush (pipeline, true));
    miner_pipeline_started (pipeline, "t-a", 1);
    miner_pipeline_started (pipeline, "t-b", 1);
    int singles = 0;
    while ((env = miner_pipeline_flush (pipeline, false))) {
        CU_ASSERT_EQUAL (env->body_case, FOGRID__ENVELOPE__BODY_TASK_STARTED);
        singles++;
        miner_pipeline_envelope_free (&env);
    }
    CU_ASSERT_EQUAL (singles, 2);

    //  Clear forgets what waits
    Fogrid__TaskAssign *assign = s_assign ("t-d", 1);
    CU_ASSERT_TRUE (miner_pipeline_hold (pipeline, assign, &share));
    fogrid__task_assign__free_unpacked (assign, NULL);
    miner_pipeline_clear (pipeline);
    CU_ASSERT_EQUAL (miner_pipeline_size (pipeline), 0);
    miner_pipeline_destroy (&pipeline);
    CU_ASSERT_PTR_NULL (pipeline);
}

void
test_miner_pipeline_add (void)
{
    ts_add_suite ("miner_pipeline",
        "held beyond the share, started as slots free, TaskStarted batched", test_pipeline,
        NULL);
}
