/*  =========================================================================
    hub_results - what finished tasks left: stdout, stderr, files, usage

    DESIGN
    The results live in the store's database (hub_store.h): the output
    columns of tasks and the task_files table, one row per entry of a
    result's files (TaskSpec.outputs), read only when a result is asked
    for. The store makes both tables (a task's row comes first) and owns
    the transactions; this class alone writes and reads these columns,
    with its own cache of statements on the store's connection.

    stdout_sha256 is the miner's hash of stdout alone, as before files
    existed: it is there to name all of stdout when only its start is
    kept, so a buyer can check it with sha256sum; files are whole or
    marked truncated with their whole size, and nothing hashes them.
    =========================================================================  */
#include "fogrid.h"
#include "hub_sql.h"
#include "hub_results.h"
#include <sqlite3.h>

struct _hub_results_t {
    sqlite3 *db;                //  the store's connection (not ours to close)
    const char *who;            //  the store's name, for log lines
    hub_sql_cache_t *cache;     //  our statements, prepared once
};

#define S_MAX_FILES     2048        //  entries of a result's files kept
#define S_MAX_FILE_PATH 2048        //  bytes of an entry's path

static int
s_fail (hub_results_t *self, const char *what)
{
    return hub_sql_fail (self->db, self->who, what);
}

static sqlite3_stmt *
s_prepare (hub_results_t *self, const char *sql)
{
    return hub_sql_cached (self->cache, sql);
}

static int
s_run (hub_results_t *self, sqlite3_stmt *stmt, const char *what)
{
    return hub_sql_cached_run (self->cache, stmt, what);
}

hub_results_t *
hub_results_new (sqlite3 *db, const char *who)
{
    hub_results_t *self = (hub_results_t *) zmalloc (sizeof (hub_results_t));
    self->db = db;
    self->who = who;
    self->cache = hub_sql_cache_new (db, who);
    return self;
}

void
hub_results_destroy (hub_results_t **self_p)
{
    if (*self_p) {
        hub_results_t *self = *self_p;
        hub_sql_cache_destroy (&self->cache);
        free (self);
        *self_p = NULL;
    }
}

//  Stores one entry of a result's files. An entry whose path could land
//  outside a buyer's directory keeps only a note: the miner is not
//  trusted with where a buyer's files go.
static int
s_file_add (hub_results_t *self, const char *task_id, int64_t seq, const Fogrid__OutputFile *file)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "INSERT INTO task_files (task_id, seq, path, content, mode, dir, size, truncated, error)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!stmt)
        return -1;
    bool safe = fg_path_relative_valid (file->path, S_MAX_FILE_PATH);
    const char *error = fg_text_valid (file->error, 1024)? file->error: "(not printable)";
    if (!safe) {
        zsys_warning ("%s: task %s: output file '%.100s' is not a plain relative path: "
                      "only a note is kept", self->who, task_id,
                      fg_text_valid (file->path, S_MAX_FILE_PATH)? file->path: "?");
        if (!*error)
            error = "not a plain relative path: refused by the hub";
    }
    hub_sql_bind_text (stmt, 1, task_id);
    sqlite3_bind_int64 (stmt, 2, seq);
    hub_sql_bind_text (stmt, 3, fg_text_valid (file->path, S_MAX_FILE_PATH)? file->path: "?");
    if (safe && !file->dir && file->content.len)
        sqlite3_bind_blob (stmt, 4, file->content.data, (int) file->content.len, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null (stmt, 4);
    sqlite3_bind_int (stmt, 5, (int) (file->mode & 0777));
    sqlite3_bind_int (stmt, 6, safe && file->dir);
    sqlite3_bind_int64 (stmt, 7, (sqlite3_int64) (file->size > INT64_MAX? INT64_MAX: file->size));
    sqlite3_bind_int (stmt, 8, safe && file->truncated);
    hub_sql_bind_text (stmt, 9, error);
    return s_run (self, stmt, "task file");
}

//  The files and the figures of a result.
static int
s_files_usage_set (hub_results_t *self, const char *task_id, const Fogrid__TaskResult *result)
{
    sqlite3_stmt *stmt = s_prepare (self, "DELETE FROM task_files WHERE task_id = ?");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, task_id);
    if (s_run (self, stmt, "task files"))
        return -1;
    if (result->n_files > S_MAX_FILES)
        zsys_warning ("%s: task %s: %zu output files, only the first %d kept", self->who,
                      task_id, result->n_files, S_MAX_FILES);
    for (size_t index = 0; index < result->n_files && index < S_MAX_FILES; index++)
        if (s_file_add (self, task_id, (int64_t) index, result->files [index]))
            return -1;
    stmt = s_prepare (self,
        "UPDATE tasks SET cpu_ms = ?, mem_peak_bytes = ?, pids_peak = ? WHERE id = ?");
    if (!stmt)
        return -1;
    const Fogrid__Usage *usage = result->usage;
    for (int column = 1; column <= 3 && usage; column++) {
        uint64_t value = column == 1? usage->cpu_ms: column == 2? usage->mem_peak_bytes
                                                                : usage->pids_peak;
        sqlite3_bind_int64 (stmt, column, (sqlite3_int64) (value > INT64_MAX? INT64_MAX: value));
    }
    //  unbound columns stay NULL: not measured
    hub_sql_bind_text (stmt, 4, task_id);
    return s_run (self, stmt, "task usage");
}

int
hub_results_set (hub_results_t *self, const char *task_id,
                           const Fogrid__TaskResult *result)
{
    if (s_files_usage_set (self, task_id, result))
        return -1;
    sqlite3_stmt *stmt = s_prepare (self,
        "UPDATE tasks SET stdout = ?, stderr = ?, stdout_truncated = ?, stderr_truncated = ?,"
        " stdout_sha256 = ? WHERE id = ?");
    if (!stmt)
        return -1;
    //  A zero-length blob binds as NULL unless given a non-NULL pointer
    static const byte s_empty [1] = { 0 };
    sqlite3_bind_blob (stmt, 1, result->stdout.data? result->stdout.data: s_empty,
                       (int) result->stdout.len, SQLITE_TRANSIENT);
    sqlite3_bind_blob (stmt, 2, result->stderr.data? result->stderr.data: s_empty,
                       (int) result->stderr.len, SQLITE_TRANSIENT);
    sqlite3_bind_int (stmt, 3, result->stdout_truncated);
    sqlite3_bind_int (stmt, 4, result->stderr_truncated);
    //  Only a hex digest is kept: the miner's word, as it gave it
    const char *digest = result->stdout_sha256? result->stdout_sha256: "";
    bool hex = strlen (digest) == 64 && strspn (digest, "0123456789abcdef") == 64;
    hub_sql_bind_text (stmt, 5, hex? digest: "");
    hub_sql_bind_text (stmt, 6, task_id);
    return s_run (self, stmt, "task output");
}

void
hub_output_reset (hub_output_t *output)
{
    zchunk_destroy (&output->stdout_data);
    zchunk_destroy (&output->stderr_data);
    output->stdout_truncated = output->stderr_truncated = false;
    for (size_t index = 0; index < output->n_files; index++) {
        Fogrid__OutputFile *file = output->files [index];
        free (file->path);
        free (file->content.data);
        free (file->error);
        free (file);
    }
    free (output->files);
    output->files = NULL;
    output->n_files = 0;
}

//  A task's files, in order, into output.
static int
s_files_load (hub_results_t *self, const char *task_id, hub_output_t *output)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "SELECT path, content, mode, dir, size, truncated, error FROM task_files"
        " WHERE task_id = ? ORDER BY seq");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, task_id);
    size_t capacity = 0;
    int step;
    while ((step = sqlite3_step (stmt)) == SQLITE_ROW) {
        if (output->n_files == capacity) {
            capacity = capacity? capacity * 2: 16;
            output->files = (Fogrid__OutputFile **) realloc (
                output->files, sizeof (Fogrid__OutputFile *) * capacity);
        }
        Fogrid__OutputFile *file = (Fogrid__OutputFile *) zmalloc (sizeof (Fogrid__OutputFile));
        fogrid__output_file__init (file);
        file->path = strdup (hub_sql_column_text (stmt, 0));
        size_t size = (size_t) sqlite3_column_bytes (stmt, 1);
        if (size) {
            file->content.data = (byte *) malloc (size);
            memcpy (file->content.data, sqlite3_column_blob (stmt, 1), size);
            file->content.len = size;
        }
        file->mode = (uint32_t) sqlite3_column_int (stmt, 2);
        file->dir = sqlite3_column_int (stmt, 3) != 0;
        file->size = (uint64_t) sqlite3_column_int64 (stmt, 4);
        file->truncated = sqlite3_column_int (stmt, 5) != 0;
        file->error = strdup (hub_sql_column_text (stmt, 6));
        output->files [output->n_files++] = file;
    }
    int rc = step == SQLITE_DONE? 0: s_fail (self, "task files");
    hub_sql_done (stmt);
    return rc;
}

int
hub_results_load (hub_results_t *self, const char *task_id, hub_output_t *output)
{
    memset (output, 0, sizeof *output);
    sqlite3_stmt *stmt = s_prepare (self,
        "SELECT stdout, stderr, stdout_truncated, stderr_truncated, stdout_sha256"
        " FROM tasks WHERE id = ?");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, task_id);
    int rc = -1;
    int step = sqlite3_step (stmt);
    if (step == SQLITE_ROW) {
        output->stdout_data = zchunk_new (sqlite3_column_blob (stmt, 0),
                                          (size_t) sqlite3_column_bytes (stmt, 0));
        output->stderr_data = zchunk_new (sqlite3_column_blob (stmt, 1),
                                          (size_t) sqlite3_column_bytes (stmt, 1));
        output->stdout_truncated = sqlite3_column_int (stmt, 2) != 0;
        output->stderr_truncated = sqlite3_column_int (stmt, 3) != 0;
        snprintf (output->stdout_sha256, sizeof output->stdout_sha256, "%s",
                  hub_sql_column_text (stmt, 4));
        rc = 0;
    }
    else
    if (step != SQLITE_DONE)
        s_fail (self, "task output");
    hub_sql_done (stmt);
    if (rc == 0 && s_files_load (self, task_id, output)) {
        hub_output_reset (output);
        rc = -1;
    }
    return rc;
}

int
hub_results_copy (hub_results_t *self, const char *from_id, const char *to_id)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "UPDATE tasks SET (stdout, stderr, stdout_truncated, stderr_truncated, stdout_sha256,"
        " exit_code, term_signal, timed_out, cpu_ms, mem_peak_bytes, pids_peak, output_hash) ="
        " (SELECT stdout, stderr, stdout_truncated, stderr_truncated, stdout_sha256,"
        " exit_code, term_signal, timed_out, cpu_ms, mem_peak_bytes, pids_peak, output_hash"
        " FROM tasks WHERE id = ?) WHERE id = ?");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, from_id);
    hub_sql_bind_text (stmt, 2, to_id);
    if (s_run (self, stmt, "output copy"))
        return -1;
    stmt = s_prepare (self, "DELETE FROM task_files WHERE task_id = ?");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, to_id);
    if (s_run (self, stmt, "output copy"))
        return -1;
    stmt = s_prepare (self,
        "INSERT INTO task_files (task_id, seq, path, content, mode, dir, size, truncated, error)"
        " SELECT ?, seq, path, content, mode, dir, size, truncated, error FROM task_files"
        " WHERE task_id = ?");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, to_id);
    hub_sql_bind_text (stmt, 2, from_id);
    return s_run (self, stmt, "output copy");
}
