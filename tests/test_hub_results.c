/*  =========================================================================
    test_hub_results - what finished tasks left, kept in the store's
    database: stdout and stderr, the miner's digest, files in order (an
    unsafe path kept as a note only), usage, and a copy to another task
    =========================================================================  */
#include "test_support.h"
#include "hub_store.h"
#include "hub_results.h"

//  A task stored in store, so its output has a row to go to
static void
s_task_add (hub_store_t *store, const char *id)
{
    Fogrid__TaskSpec *spec = (Fogrid__TaskSpec *) zmalloc (sizeof (Fogrid__TaskSpec));
    fogrid__task_spec__init (spec);
    hub_task_t *task = hub_task_new (id, &spec);
    CU_ASSERT_EQUAL (hub_store_task_add (store, task), 0);
    hub_task_destroy (&task);
}

static void
test_set_load_copy (void)
{
    char *dir = ts_tmpdir_new ("results");
    hub_store_t *store = hub_store_new (dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL (store);
    hub_results_t *results = hub_results_new (hub_store_db (store), "results test");
    s_task_add (store, "t-1");
    s_task_add (store, "t-2");

    Fogrid__TaskResult result = FOGRID__TASK_RESULT__INIT;
    result.stdout.data = (uint8_t *) "out\n";
    result.stdout.len = 4;
    result.stderr_truncated = true;
    result.stdout_sha256 = "not hex: dropped";
    Fogrid__OutputFile file = FOGRID__OUTPUT_FILE__INIT, bad = FOGRID__OUTPUT_FILE__INIT;
    file.path = "out/a.txt";
    file.content.data = (uint8_t *) "abc";
    file.content.len = file.size = 3;
    file.mode = 0640;
    bad.path = "../escape";
    bad.content.data = (uint8_t *) "x";
    bad.content.len = bad.size = 1;
    Fogrid__OutputFile *files [] = { &file, &bad };
    result.files = files;
    result.n_files = 2;
    CU_ASSERT_EQUAL (hub_results_set (results, "t-1", &result), 0);

    hub_output_t output;
    CU_ASSERT_EQUAL (hub_results_load (results, "t-1", &output), 0);
    CU_ASSERT_EQUAL (zchunk_size (output.stdout_data), 4);
    CU_ASSERT_EQUAL (memcmp (zchunk_data (output.stdout_data), "out\n", 4), 0);
    CU_ASSERT_EQUAL (zchunk_size (output.stderr_data), 0);
    CU_ASSERT (!output.stdout_truncated && output.stderr_truncated);
    CU_ASSERT_STRING_EQUAL (output.stdout_sha256, "");
    CU_ASSERT_EQUAL_FATAL (output.n_files, 2);
    CU_ASSERT_STRING_EQUAL (output.files [0]->path, "out/a.txt");
    CU_ASSERT_EQUAL (output.files [0]->mode, 0640);
    CU_ASSERT (output.files [0]->content.len == 3
               && memcmp (output.files [0]->content.data, "abc", 3) == 0);
    //  A path that could leave the buyer's directory keeps a note only
    CU_ASSERT_STRING_EQUAL (output.files [1]->path, "../escape");
    CU_ASSERT_EQUAL (output.files [1]->content.len, 0);
    CU_ASSERT_STRING_EQUAL (output.files [1]->error,
                            "not a plain relative path: refused by the hub");
    hub_output_reset (&output);
    CU_ASSERT_EQUAL (output.n_files, 0);

    //  A second result replaces the files of the first
    result.n_files = 1;
    CU_ASSERT_EQUAL (hub_results_set (results, "t-1", &result), 0);
    CU_ASSERT_EQUAL (hub_results_load (results, "t-1", &output), 0);
    CU_ASSERT_EQUAL (output.n_files, 1);
    hub_output_reset (&output);

    //  A copy takes stdout and the files, and drops what the target had
    CU_ASSERT_EQUAL (hub_results_copy (results, "t-1", "t-2"), 0);
    CU_ASSERT_EQUAL (hub_results_load (results, "t-2", &output), 0);
    CU_ASSERT_EQUAL (zchunk_size (output.stdout_data), 4);
    CU_ASSERT_EQUAL_FATAL (output.n_files, 1);
    CU_ASSERT_STRING_EQUAL (output.files [0]->path, "out/a.txt");
    hub_output_reset (&output);

    //  No such task: no output
    CU_ASSERT_EQUAL (hub_results_load (results, "t-nothere", &output), -1);
    CU_ASSERT_EQUAL (output.n_files, 0);

    hub_results_destroy (&results);
    CU_ASSERT_PTR_NULL (results);
    hub_store_destroy (&store);
    ts_tmpdir_remove (&dir);
}

void
test_hub_results_add (void)
{
    ts_add_suite ("hub_results",
        "a result set, loaded, replaced and copied to another task", test_set_load_copy,
        NULL);
}
