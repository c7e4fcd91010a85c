/*  test_hub_store - the task store: round trip, tokens, reopen, events,
    and the task state table it records */
#include "test_support.h"
#include "hub_store.h"
#include <sqlite3.h>
#include "hub_tasks.h"
#include <sqlite3.h>

static hub_task_t *
s_task (const char *id, const char *token)
{
    Fogrid__TaskSpec proto = FOGRID__TASK_SPEC__INIT;
    char *argv [] = { "sh", "-c", "echo hi" };
    proto.n_argv = 3;
    proto.argv = argv;
    proto.cores = 2;
    proto.policy = "spread";
    //  The task owns an unpacked spec, as one decoded from the wire
    size_t size = fogrid__task_spec__get_packed_size (&proto);
    byte *buffer = (byte *) zmalloc (size + 1);
    fogrid__task_spec__pack (&proto, buffer);
    Fogrid__TaskSpec *spec = fogrid__task_spec__unpack (NULL, size, buffer);
    free (buffer);
    hub_task_t *task = hub_task_new (id, &spec);
    hub_task_set_text (&task->client_token, token);
    task->retries_left = 2;
    return task;
}

static void
test_round_trip (void)
{
    char *dir = ts_tmpdir_new ("store");
    hub_store_t *store = hub_store_new (dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL (store);
    hub_task_t *task = s_task ("t-000000000001", "tok-a");
    CU_ASSERT_EQUAL (hub_store_task_add (store, task), 0);
    CU_ASSERT (task->seq > 0);

    hub_task_t *loaded = hub_store_task_load (store, "t-000000000001");
    CU_ASSERT_PTR_NOT_NULL_FATAL (loaded);
    CU_ASSERT_STRING_EQUAL (loaded->id, task->id);
    CU_ASSERT_EQUAL (loaded->seq, task->seq);
    CU_ASSERT_EQUAL (loaded->state, HUB_TASK_PENDING);
    CU_ASSERT_EQUAL (loaded->attempt, 1);
    CU_ASSERT_EQUAL (loaded->retries_left, 2);
    CU_ASSERT_STRING_EQUAL (loaded->client_token, "tok-a");
    CU_ASSERT_EQUAL (loaded->spec->n_argv, 3);
    CU_ASSERT_STRING_EQUAL (loaded->spec->argv [2], "echo hi");
    CU_ASSERT_EQUAL (loaded->spec->cores, 2);
    CU_ASSERT_STRING_EQUAL (loaded->spec->policy, "spread");
    CU_ASSERT_EQUAL (loaded->submitted_ms, task->submitted_ms);
    hub_task_destroy (&loaded);
    CU_ASSERT_PTR_NULL (hub_store_task_load (store, "t-nothere"));

    //  Unfinished tasks come back in submission order
    hub_task_t *second = s_task ("t-000000000002", "");
    CU_ASSERT_EQUAL (hub_store_task_add (store, second), 0);
    zlistx_t *active = zlistx_new ();
    CU_ASSERT_EQUAL (hub_store_load_active (store, active), 0);
    CU_ASSERT_EQUAL (zlistx_size (active), 2);
    hub_task_t *first = (hub_task_t *) zlistx_first (active);
    CU_ASSERT_STRING_EQUAL (first->id, "t-000000000001");
    for (hub_task_t *item = (hub_task_t *) zlistx_first (active); item;
         item = (hub_task_t *) zlistx_next (active))
        hub_task_destroy (&item);
    zlistx_destroy (&active);

    hub_task_destroy (&task);
    hub_task_destroy (&second);
    hub_store_destroy (&store);
    CU_ASSERT_PTR_NULL (store);
    ts_tmpdir_remove (&dir);
}

static void
test_tokens (void)
{
    char *dir = ts_tmpdir_new ("store");
    hub_store_t *store = hub_store_new (dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL (store);
    hub_task_t *task = s_task ("t-00000000000a", "same-token");
    hub_task_set_text (&task->buyer, "KEY-A");
    char hash [HUB_STORE_HASH_SIZE], got [HUB_STORE_HASH_SIZE];
    hub_store_spec_hash (task->spec, hash);
    CU_ASSERT_EQUAL (strlen (hash), 64);
    CU_ASSERT_EQUAL (hub_store_task_submit (store, task, hash), 0);
    hub_task_t *found = hub_store_task_by_token (store, "KEY-A", "same-token", got);
    CU_ASSERT_PTR_NOT_NULL_FATAL (found);
    CU_ASSERT_STRING_EQUAL (found->id, "t-00000000000a");
    CU_ASSERT_STRING_EQUAL (got, hash);
    hub_task_destroy (&found);
    CU_ASSERT_PTR_NULL (hub_store_task_by_token (store, "KEY-A", "other-token", got));
    CU_ASSERT_PTR_NULL (hub_store_task_by_token (store, "KEY-A", "", got));
    //  The token is KEY-A's: another buyer does not find it
    CU_ASSERT_PTR_NULL (hub_store_task_by_token (store, "KEY-B", "same-token", got));
    CU_ASSERT_STRING_EQUAL (got, "");

    //  The database refuses a second task with the token from that buyer,
    //  takes it from another
    hub_task_t *again = s_task ("t-00000000000b", "same-token");
    hub_task_set_text (&again->buyer, "KEY-A");
    CU_ASSERT_EQUAL (hub_store_task_add (store, again), -1);
    hub_task_set_text (&again->buyer, "KEY-B");
    CU_ASSERT_EQUAL (hub_store_task_add (store, again), 0);
    found = hub_store_task_by_token (store, "KEY-B", "same-token", got);
    CU_ASSERT_PTR_NOT_NULL_FATAL (found);
    CU_ASSERT_STRING_EQUAL (found->id, "t-00000000000b");
    CU_ASSERT_STRING_EQUAL (got, "");           //  added without a hash
    hub_task_destroy (&found);
    //  A spec hashes to the same every time, another spec to another
    hub_store_spec_hash (again->spec, got);
    CU_ASSERT_STRING_EQUAL (got, hash);
    again->spec->cores = 3;
    hub_store_spec_hash (again->spec, got);
    CU_ASSERT_STRING_NOT_EQUAL (got, hash);
    //  Tasks without a token never clash
    hub_task_t *plain1 = s_task ("t-00000000000c", "");
    hub_task_t *plain2 = s_task ("t-00000000000d", "");
    CU_ASSERT_EQUAL (hub_store_task_add (store, plain1), 0);
    CU_ASSERT_EQUAL (hub_store_task_add (store, plain2), 0);
    hub_task_destroy (&task);
    hub_task_destroy (&again);
    hub_task_destroy (&plain1);
    hub_task_destroy (&plain2);
    hub_store_destroy (&store);
    ts_tmpdir_remove (&dir);
}

//  A store made when tokens were global (the tasks table as it was then,
//  its token UNIQUE on its own) is rebuilt: its tasks are kept, its
//  tokens found under their buyer, and another buyer may use one.
static void
test_tokens_migrated (void)
{
    char *dir = ts_tmpdir_new ("store");
    char path [600];
    snprintf (path, sizeof path, "%s/hub.db", dir);
    sqlite3 *db = NULL;
    CU_ASSERT_EQUAL_FATAL (sqlite3_open (path, &db), SQLITE_OK);
    const char *old_schema =
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE tasks ("
        "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  id TEXT NOT NULL UNIQUE,"
        "  client_token TEXT UNIQUE,"
        "  buyer TEXT NOT NULL DEFAULT '',"
        "  spec BLOB NOT NULL,"
        "  state TEXT NOT NULL,"
        "  attempt INTEGER NOT NULL DEFAULT 1,"
        "  miner_id TEXT NOT NULL DEFAULT '',"
        "  exit_code INTEGER NOT NULL DEFAULT 0,"
        "  term_signal INTEGER NOT NULL DEFAULT 0,"
        "  timed_out INTEGER NOT NULL DEFAULT 0,"
        "  reason TEXT NOT NULL DEFAULT '',"
        "  stdout BLOB, stderr BLOB,"
        "  stdout_truncated INTEGER NOT NULL DEFAULT 0,"
        "  stderr_truncated INTEGER NOT NULL DEFAULT 0,"
        "  submitted_ms INTEGER NOT NULL,"
        "  updated_ms INTEGER NOT NULL,"
        "  retries_left INTEGER NOT NULL DEFAULT 0);"
        "CREATE INDEX tasks_by_state ON tasks (state);"
        "ALTER TABLE tasks ADD COLUMN stdout_sha256 TEXT NOT NULL DEFAULT '';"
        "ALTER TABLE tasks ADD COLUMN cpu_ms INTEGER;"
        "ALTER TABLE tasks ADD COLUMN mem_peak_bytes INTEGER;"
        "ALTER TABLE tasks ADD COLUMN pids_peak INTEGER;";
    CU_ASSERT_EQUAL_FATAL (sqlite3_exec (db, old_schema, NULL, NULL, NULL), SQLITE_OK);
    hub_task_t *old = s_task ("t-0000000000f1", "old-token");
    size_t size = fogrid__task_spec__get_packed_size (old->spec);
    byte *spec = (byte *) zmalloc (size + 1);
    fogrid__task_spec__pack (old->spec, spec);
    sqlite3_stmt *stmt = NULL;
    CU_ASSERT_EQUAL_FATAL (sqlite3_prepare_v2 (db,
        "INSERT INTO tasks (id, client_token, buyer, spec, state, attempt, submitted_ms,"
        " updated_ms, cpu_ms) VALUES ('t-0000000000f1', 'old-token', 'KEY-A', ?, 'running',"
        " 2, 1000, 2000, 77)", -1, &stmt, NULL), SQLITE_OK);
    sqlite3_bind_blob (stmt, 1, spec, (int) size, SQLITE_TRANSIENT);
    CU_ASSERT_EQUAL (sqlite3_step (stmt), SQLITE_DONE);
    sqlite3_finalize (stmt);
    //  A result from before resolutions: paid at once, so it reads as soft
    CU_ASSERT_EQUAL_FATAL (sqlite3_prepare_v2 (db,
        "INSERT INTO tasks (id, buyer, spec, state, submitted_ms, updated_ms) VALUES"
        " ('t-0000000000f0', 'KEY-A', ?, 'succeeded', 500, 900)", -1, &stmt, NULL), SQLITE_OK);
    sqlite3_bind_blob (stmt, 1, spec, (int) size, SQLITE_TRANSIENT);
    CU_ASSERT_EQUAL (sqlite3_step (stmt), SQLITE_DONE);
    sqlite3_finalize (stmt);
    free (spec);
    sqlite3_close (db);

    hub_store_t *store = hub_store_new (dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL (store);
    char got [HUB_STORE_HASH_SIZE];
    hub_task_t *found = hub_store_task_by_token (store, "KEY-A", "old-token", got);
    CU_ASSERT_PTR_NOT_NULL_FATAL (found);
    CU_ASSERT_STRING_EQUAL (found->id, "t-0000000000f1");
    CU_ASSERT_EQUAL (found->state, HUB_TASK_RUNNING);
    CU_ASSERT_EQUAL (found->attempt, 2);
    CU_ASSERT_TRUE (found->measured);
    CU_ASSERT_EQUAL (found->usage.cpu_ms, 77);
    CU_ASSERT_STRING_EQUAL (found->spec->argv [2], "echo hi");
    CU_ASSERT_STRING_EQUAL (got, "");           //  from before hashes
    CU_ASSERT_EQUAL (found->resolution, HUB_RESOLUTION_NONE);
    hub_task_destroy (&found);
    found = hub_store_task_load (store, "t-0000000000f0");
    CU_ASSERT_PTR_NOT_NULL_FATAL (found);
    CU_ASSERT_EQUAL (found->resolution, HUB_RESOLUTION_SOFT);
    CU_ASSERT_STRING_EQUAL (found->parent, "");
    CU_ASSERT_EQUAL (found->role, HUB_ROLE_TASK);
    hub_task_destroy (&found);
    hub_task_t *other = s_task ("t-0000000000f2", "old-token");
    hub_task_set_text (&other->buyer, "KEY-B");
    CU_ASSERT_EQUAL (hub_store_task_add (store, other), 0);
    hub_task_t *twice = s_task ("t-0000000000f3", "old-token");
    hub_task_set_text (&twice->buyer, "KEY-A");
    CU_ASSERT_EQUAL (hub_store_task_add (store, twice), -1);
    //  New ids continue after the old ones
    CU_ASSERT (other->seq > 1);
    hub_task_destroy (&old);
    hub_task_destroy (&other);
    hub_task_destroy (&twice);
    hub_store_destroy (&store);

    //  No unique index on the token alone is left; the pair's is there
    CU_ASSERT_EQUAL_FATAL (sqlite3_open (path, &db), SQLITE_OK);
    CU_ASSERT_EQUAL_FATAL (sqlite3_prepare_v2 (db,
        "SELECT il.name, group_concat (ii.name) FROM pragma_index_list ('tasks') AS il,"
        " pragma_index_info (il.name) AS ii WHERE il.\"unique\" = 1 GROUP BY il.name",
        -1, &stmt, NULL), SQLITE_OK);
    bool by_pair = false, by_token = false;
    while (sqlite3_step (stmt) == SQLITE_ROW) {
        const char *columns = (const char *) sqlite3_column_text (stmt, 1);
        by_pair |= streq (columns, "buyer,client_token");
        by_token |= streq (columns, "client_token");
    }
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    CU_ASSERT_TRUE (by_pair);
    CU_ASSERT_FALSE (by_token);
    //  And it opens again without rebuilding
    store = hub_store_new (dir);
    CU_ASSERT_PTR_NOT_NULL (store);
    hub_store_destroy (&store);
    ts_tmpdir_remove (&dir);
}

static void
s_collect (void *arg, const char *state, int64_t at_ms, const char *miner_id,
           uint32_t attempt, const char *reason)
{
    (void) at_ms;
    (void) reason;
    char *line = zsys_sprintf ("%s/%s/%u", state, miner_id, attempt);
    zlist_append ((zlist_t *) arg, line);
    zstr_free (&line);
}

static void
test_reopen_and_events (void)
{
    char *dir = ts_tmpdir_new ("store");
    hub_store_t *store = hub_store_new (dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL (store);
    CU_ASSERT_EQUAL (hub_store_meta_set (store, "hub_id", "h-test"), 0);
    hub_task_t *task = s_task ("t-0000000000e1", "");
    CU_ASSERT_EQUAL (hub_store_task_add (store, task), 0);

    //  A batch in one transaction: assigned, lost, assigned again, running
    CU_ASSERT_EQUAL (hub_store_begin (store), 0);
    CU_ASSERT_EQUAL (hub_tasks_set_state (task, HUB_TASK_ASSIGNED, "m-a", NULL, store), 0);
    CU_ASSERT_EQUAL (hub_tasks_set_state (task, HUB_TASK_PENDING, NULL, "miner lost", store), 0);
    CU_ASSERT_EQUAL (task->attempt, 2);
    CU_ASSERT_EQUAL (task->retries_left, 1);
    CU_ASSERT_STRING_EQUAL (task->miner_id, "");
    CU_ASSERT_EQUAL (hub_tasks_set_state (task, HUB_TASK_ASSIGNED, "m-b", NULL, store), 0);
    CU_ASSERT_EQUAL (hub_tasks_set_state (task, HUB_TASK_RUNNING, NULL, NULL, store), 0);
    CU_ASSERT_EQUAL (hub_store_commit (store), 0);
    hub_store_destroy (&store);

    store = hub_store_new (dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL (store);
    char value [64];
    CU_ASSERT_EQUAL (hub_store_meta_get (store, "hub_id", value, sizeof value), 0);
    CU_ASSERT_STRING_EQUAL (value, "h-test");
    CU_ASSERT_EQUAL (hub_store_meta_get (store, "nothing", value, sizeof value), -1);
    hub_task_t *loaded = hub_store_task_load (store, task->id);
    CU_ASSERT_PTR_NOT_NULL_FATAL (loaded);
    CU_ASSERT_EQUAL (loaded->state, HUB_TASK_RUNNING);
    CU_ASSERT_EQUAL (loaded->attempt, 2);
    CU_ASSERT_STRING_EQUAL (loaded->miner_id, "m-b");
    CU_ASSERT_EQUAL (loaded->retries_left, 1);

    //  Finish it with output; the output and the final state survive too
    Fogrid__TaskResult result = FOGRID__TASK_RESULT__INIT;
    result.stdout.data = (uint8_t *) "out\n";
    result.stdout.len = 4;
    result.stderr_truncated = true;
    loaded->exit_code = 3;
    CU_ASSERT_EQUAL (hub_store_task_output_set (store, loaded->id, &result), 0);
    CU_ASSERT_EQUAL (hub_tasks_set_state (loaded, HUB_TASK_FAILED, NULL, "exit code 3", store), 0);
    hub_store_destroy (&store);

    store = hub_store_new (dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL (store);
    hub_task_t *final = hub_store_task_load (store, task->id);
    CU_ASSERT_PTR_NOT_NULL_FATAL (final);
    CU_ASSERT_EQUAL (final->state, HUB_TASK_FAILED);
    CU_ASSERT_EQUAL (final->exit_code, 3);
    CU_ASSERT_STRING_EQUAL (final->reason, "exit code 3");
    hub_output_t output;
    CU_ASSERT_EQUAL (hub_store_task_output (store, task->id, &output), 0);
    CU_ASSERT_EQUAL (zchunk_size (output.stdout_data), 4);
    CU_ASSERT_EQUAL (memcmp (zchunk_data (output.stdout_data), "out\n", 4), 0);
    CU_ASSERT_EQUAL (zchunk_size (output.stderr_data), 0);
    CU_ASSERT_FALSE (output.stdout_truncated);
    CU_ASSERT_TRUE (output.stderr_truncated);
    CU_ASSERT_EQUAL (output.n_files, 0);
    hub_output_reset (&output);
    CU_ASSERT_FALSE (final->measured);              //  no figures came

    //  Its files and figures, kept in order; an entry with a path that
    //  is not plain and relative keeps only a note
    Fogrid__OutputFile folder = FOGRID__OUTPUT_FILE__INIT, file = FOGRID__OUTPUT_FILE__INIT,
                       cut = FOGRID__OUTPUT_FILE__INIT, bad = FOGRID__OUTPUT_FILE__INIT;
    folder.path = "out";
    folder.dir = true;
    folder.mode = 0755;
    file.path = "out/a.txt";
    file.content.data = (uint8_t *) "abc";
    file.content.len = file.size = 3;
    file.mode = 0600;
    cut.path = "out/big";
    cut.content.data = (uint8_t *) "xy";
    cut.content.len = 2;
    cut.size = 1000;
    cut.truncated = true;
    cut.error = "cut at 2 of 1000 bytes";
    bad.path = "/etc/passwd";
    bad.content.data = (uint8_t *) "root";
    bad.content.len = 4;
    Fogrid__OutputFile *files [] = { &folder, &file, &cut, &bad };
    Fogrid__Usage usage = FOGRID__USAGE__INIT;
    usage.cpu_ms = 42;
    usage.mem_peak_bytes = 1 << 26;
    result.files = files;
    result.n_files = 4;
    result.usage = &usage;
    CU_ASSERT_EQUAL (hub_store_task_output_set (store, final->id, &result), 0);
    hub_store_destroy (&store);
    store = hub_store_new (dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL (store);
    CU_ASSERT_EQUAL (hub_store_task_output (store, task->id, &output), 0);
    CU_ASSERT_EQUAL_FATAL (output.n_files, 4);
    CU_ASSERT (output.files [0]->dir && output.files [0]->mode == 0755);
    CU_ASSERT_STRING_EQUAL (output.files [1]->path, "out/a.txt");
    CU_ASSERT (output.files [1]->content.len == 3
               && memcmp (output.files [1]->content.data, "abc", 3) == 0);
    CU_ASSERT (output.files [2]->truncated && output.files [2]->size == 1000);
    CU_ASSERT_STRING_EQUAL (output.files [2]->error, "cut at 2 of 1000 bytes");
    CU_ASSERT_STRING_EQUAL (output.files [3]->path, "/etc/passwd");
    CU_ASSERT_EQUAL (output.files [3]->content.len, 0);
    CU_ASSERT_STRING_EQUAL (output.files [3]->error, "not a plain relative path: refused by the hub");
    hub_output_reset (&output);
    CU_ASSERT_EQUAL (output.n_files, 0);
    hub_task_t *measured = hub_store_task_load (store, task->id);
    CU_ASSERT_PTR_NOT_NULL_FATAL (measured);
    CU_ASSERT_TRUE (measured->measured);
    CU_ASSERT_EQUAL (measured->usage.cpu_ms, 42);
    CU_ASSERT_EQUAL (measured->usage.mem_peak_bytes, 1 << 26);
    CU_ASSERT_EQUAL (measured->usage.pids_peak, 0);
    hub_task_destroy (&measured);
    //  A result stored again replaces them
    result.n_files = 1;
    result.usage = NULL;
    CU_ASSERT_EQUAL (hub_store_task_output_set (store, task->id, &result), 0);
    CU_ASSERT_EQUAL (hub_store_task_output (store, task->id, &output), 0);
    CU_ASSERT_EQUAL (output.n_files, 1);
    hub_output_reset (&output);
    measured = hub_store_task_load (store, task->id);
    CU_ASSERT (measured && !measured->measured);
    hub_task_destroy (&measured);

    //  Finished tasks are not loaded at startup
    zlistx_t *active = zlistx_new ();
    CU_ASSERT_EQUAL (hub_store_load_active (store, active), 0);
    CU_ASSERT_EQUAL (zlistx_size (active), 0);
    zlistx_destroy (&active);

    //  The history, oldest first, with the miner and attempt of each step
    zlist_t *events = zlist_new ();
    zlist_autofree (events);
    CU_ASSERT_EQUAL (hub_store_task_events (store, task->id, s_collect, events), 0);
    const char *expected [] = { "pending//1", "assigned/m-a/1", "pending/m-a/1",
                                "assigned/m-b/2", "running/m-b/2", "failed/m-b/2" };
    CU_ASSERT_EQUAL_FATAL (zlist_size (events), 6);
    size_t index = 0;
    for (char *line = (char *) zlist_first (events); line; line = (char *) zlist_next (events))
        CU_ASSERT_STRING_EQUAL (line, expected [index++]);
    zlist_destroy (&events);

    uint64_t counts [HUB_TASK_STATES];
    CU_ASSERT_EQUAL (hub_store_count_states (store, counts), 0);
    CU_ASSERT_EQUAL (counts [HUB_TASK_FAILED], 1);
    CU_ASSERT_EQUAL (counts [HUB_TASK_PENDING], 0);

    hub_task_destroy (&final);
    hub_task_destroy (&loaded);
    hub_task_destroy (&task);
    hub_store_destroy (&store);
    ts_tmpdir_remove (&dir);
}

static void
test_state_table (void)
{
    //  The table, without a store
    hub_task_t *task = s_task ("t-0000000000f1", "");
    CU_ASSERT_EQUAL (hub_tasks_set_state (task, HUB_TASK_SUCCEEDED, NULL, NULL, NULL), -1);
    CU_ASSERT_EQUAL (hub_tasks_set_state (task, HUB_TASK_RUNNING, NULL, NULL, NULL), -1);
    CU_ASSERT_EQUAL (task->state, HUB_TASK_PENDING);
    CU_ASSERT_EQUAL (hub_tasks_set_state (task, HUB_TASK_ASSIGNED, "m-x", NULL, NULL), 0);
    CU_ASSERT_STRING_EQUAL (task->miner_id, "m-x");
    CU_ASSERT_EQUAL (hub_tasks_set_state (task, HUB_TASK_SUCCEEDED, NULL, NULL, NULL), 0);
    //  Final states are final
    CU_ASSERT_EQUAL (hub_tasks_set_state (task, HUB_TASK_PENDING, NULL, NULL, NULL), -1);
    CU_ASSERT_EQUAL (hub_tasks_set_state (task, HUB_TASK_CANCELLED, NULL, NULL, NULL), -1);
    CU_ASSERT_EQUAL (task->state, HUB_TASK_SUCCEEDED);
    CU_ASSERT_TRUE (hub_task_state_terminal (HUB_TASK_CANCELLED));
    CU_ASSERT_FALSE (hub_task_state_terminal (HUB_TASK_RUNNING));
    CU_ASSERT_EQUAL (hub_task_state_from_name ("running"), HUB_TASK_RUNNING);
    CU_ASSERT_EQUAL (hub_task_state_from_name ("bogus"), 0);
    CU_ASSERT_STRING_EQUAL (hub_task_state_name (HUB_TASK_CANCELLED), "cancelled");
    CU_ASSERT_TRUE (hub_task_transition_valid (HUB_TASK_PENDING, HUB_TASK_CANCELLED));
    CU_ASSERT_FALSE (hub_task_transition_valid (HUB_TASK_PENDING, HUB_TASK_FAILED));
    hub_task_destroy (&task);
}

//  Counts the connection's prepared statements
static int
s_statements (sqlite3 *db)
{
    int count = 0;
    for (sqlite3_stmt *stmt = sqlite3_next_stmt (db, NULL); stmt; stmt = sqlite3_next_stmt (db, stmt))
        count++;
    return count;
}

//  The hot path parses nothing: after a first round of each statement, a
//  thousand more tasks, changes and events prepare no new statement, and
//  every one is reset (none holds a read open). hub/durability = full
//  reaches SQLite.
static void
test_prepared_once (void)
{
    char *dir = ts_tmpdir_new ("store");
    hub_store_t *store = hub_store_new (dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL (store);
    sqlite3 *db = hub_store_db (store);
    int before = 0;
    for (int round = 0; round < 1000; round++) {
        char id [32], token [32];
        snprintf (id, sizeof id, "t-%012d", round);
        snprintf (token, sizeof token, "tok-%d", round);
        hub_store_begin (store);
        hub_task_t *task = s_task (id, token);
        CU_ASSERT_EQUAL (hub_store_task_add (store, task), 0);
        task->state = HUB_TASK_ASSIGNED;
        CU_ASSERT_EQUAL (hub_store_task_update (store, task), 0);
        CU_ASSERT_EQUAL (hub_store_event_add (store, id, HUB_TASK_ASSIGNED, 1, "m-1", 1, ""), 0);
        hub_task_t *found = hub_store_task_by_token (store, "", token, NULL);
        CU_ASSERT_PTR_NOT_NULL (found);
        hub_task_destroy (&found);
        CU_ASSERT_EQUAL (hub_store_commit (store), 0);
        hub_task_destroy (&task);
        if (round == 0)
            before = s_statements (db);
    }
    CU_ASSERT (before > 0);
    CU_ASSERT_EQUAL (s_statements (db), before);
    for (sqlite3_stmt *stmt = sqlite3_next_stmt (db, NULL); stmt; stmt = sqlite3_next_stmt (db, stmt))
        CU_ASSERT_FALSE (sqlite3_stmt_busy (stmt));
    uint64_t counts [HUB_TASK_STATES];
    CU_ASSERT_EQUAL (hub_store_count_states (store, counts), 0);
    CU_ASSERT_EQUAL (counts [HUB_TASK_ASSIGNED], 1000);

    //  synchronous: 1 = NORMAL, 2 = FULL
    sqlite3_stmt *stmt = NULL;
    CU_ASSERT_EQUAL (hub_store_durability (store, true), 0);
    sqlite3_prepare_v2 (db, "PRAGMA synchronous", -1, &stmt, NULL);
    CU_ASSERT_EQUAL (sqlite3_step (stmt), SQLITE_ROW);
    CU_ASSERT_EQUAL (sqlite3_column_int (stmt, 0), 2);
    sqlite3_finalize (stmt);
    CU_ASSERT_EQUAL (hub_store_durability (store, false), 0);
    sqlite3_prepare_v2 (db, "PRAGMA synchronous", -1, &stmt, NULL);
    CU_ASSERT_EQUAL (sqlite3_step (stmt), SQLITE_ROW);
    CU_ASSERT_EQUAL (sqlite3_column_int (stmt, 0), 1);
    sqlite3_finalize (stmt);
    hub_store_destroy (&store);
    ts_tmpdir_remove (&dir);
}

static void
test_bad_dir (void)
{
    //  A data dir that cannot be made is a clean NULL
    hub_store_t *store = hub_store_new ("/proc/fogrid-cannot-be-here");
    CU_ASSERT_PTR_NULL (store);
}

void
test_hub_store_add (void)
{
    ts_add_suite ("hub_store",
        "add and load a task", test_round_trip,
        "client tokens are unique per buyer and found", test_tokens,
        "a store with global tokens is rebuilt with per-buyer ones", test_tokens_migrated,
        "state, output and events survive reopening", test_reopen_and_events,
        "the task state table", test_state_table,
        "an unusable data dir", test_bad_dir,
        "hot statements are prepared once; hub/durability", test_prepared_once,
        NULL);
}
