/*  =========================================================================
    hub_store - the hub's persistent task store

    DESIGN
    One SQLite database, used only by the server's thread. WAL with
    synchronous=NORMAL makes a commit durable against a crash of the
    process (kill -9), which is the promise the hub makes: a submit is
    committed before its reply goes out. A power loss may lose the last
    commits; the buyer's client_token makes its retry safe. hub/durability
    = full (hub_store_durability) fsyncs every commit instead.

    Every statement is prepared once and kept (hub_sql_cached): the hub
    runs a handful per task, and parsing one costs more than running it.

    The task spec is kept as its protobuf encoding, so a spec field added
    to the protocol later needs no schema change. Events are append-only.
    SQLite's errors are translated here, once, into a log line; callers
    see 0 / -1.

    A finished task's output (its output columns and the task_files
    table) is hub_results': the store makes the tables and forwards.

    Tables:
        meta (key, value)                           hub id
        tasks (seq, id, client_token, buyer, spec, state, attempt, ...,
               cpu_ms, mem_peak_bytes, pids_peak: NULL = not measured,
               spec_hash), unique (buyer, client_token)
        task_events (task_id, state, at_ms, miner_id, attempt, reason)
        task_files (task_id, seq, path, content, mode, dir, size, truncated, error)
    =========================================================================  */
#include "fogrid.h"
#include "hub_sql.h"
#include "hub_store.h"
#include "hub_spec.h"
#include <sqlite3.h>
#include <sodium.h>
#include <errno.h>
#include <sys/stat.h>

struct _hub_store_t {
    sqlite3 *db;                //  the open database
    char *path;                 //  its file
    char *who;                  //  "store PATH", for log lines
    bool in_transaction;        //  between begin and commit
    hub_sql_cache_t *cache;     //  every statement, prepared once
    zhashx_t *templates;        //  array id -> zchunk_t, its packed spec, as loaded
    hub_results_t *results;     //  what finished tasks left, in our tables
};

//  The tasks table, under a name (a rebuild makes it as tasks_new). The
//  columns after retries_left came later (stores made before get them by
//  ALTER in hub_store_new). A client token is the buyer's: unique per
//  (buyer, client_token), see tasks_by_token; spec_hash is the hash of the
//  spec it was first given with (hub_store_spec_hash), so a retry with
//  another spec is told apart from an idempotent one.
#define S_TASKS_TABLE(name) \
    "CREATE TABLE IF NOT EXISTS " name " (" \
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT," \
    "  id TEXT NOT NULL UNIQUE," \
    "  client_token TEXT,"                  /*  NULL when the buyer gave none  */ \
    "  buyer TEXT NOT NULL DEFAULT ''," \
    "  spec BLOB NOT NULL," \
    "  state TEXT NOT NULL," \
    "  attempt INTEGER NOT NULL DEFAULT 1," \
    "  miner_id TEXT NOT NULL DEFAULT ''," \
    "  exit_code INTEGER NOT NULL DEFAULT 0," \
    "  term_signal INTEGER NOT NULL DEFAULT 0," \
    "  timed_out INTEGER NOT NULL DEFAULT 0," \
    "  reason TEXT NOT NULL DEFAULT ''," \
    "  stdout BLOB, stderr BLOB," \
    "  stdout_truncated INTEGER NOT NULL DEFAULT 0," \
    "  stderr_truncated INTEGER NOT NULL DEFAULT 0," \
    "  submitted_ms INTEGER NOT NULL," \
    "  updated_ms INTEGER NOT NULL," \
    "  retries_left INTEGER NOT NULL DEFAULT 0," \
    "  stdout_sha256 TEXT NOT NULL DEFAULT ''," \
    "  cpu_ms INTEGER, mem_peak_bytes INTEGER, pids_peak INTEGER," \
    "  spec_hash TEXT);"

//  The indexes on tasks (made again after a rebuild)
#define S_TASKS_INDEXES \
    "CREATE INDEX IF NOT EXISTS tasks_by_state ON tasks (state);" \
    "CREATE INDEX IF NOT EXISTS tasks_by_update ON tasks (updated_ms);" \
    "CREATE UNIQUE INDEX IF NOT EXISTS tasks_by_token ON tasks (buyer, client_token);"

static const char *s_schema =
    "CREATE TABLE IF NOT EXISTS meta ("
    "  key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    S_TASKS_TABLE ("tasks")
    "CREATE TABLE IF NOT EXISTS task_events ("
    "  task_id TEXT NOT NULL, state TEXT NOT NULL, at_ms INTEGER NOT NULL,"
    "  miner_id TEXT NOT NULL DEFAULT '', attempt INTEGER NOT NULL,"
    "  reason TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX IF NOT EXISTS events_by_task ON task_events (task_id);"
    "CREATE TABLE IF NOT EXISTS task_files ("
    "  task_id TEXT NOT NULL, seq INTEGER NOT NULL, path TEXT NOT NULL,"
    "  content BLOB, mode INTEGER NOT NULL DEFAULT 0, dir INTEGER NOT NULL DEFAULT 0,"
    "  size INTEGER NOT NULL DEFAULT 0, truncated INTEGER NOT NULL DEFAULT 0,"
    "  error TEXT NOT NULL DEFAULT '', PRIMARY KEY (task_id, seq));"
    //  Job arrays: the spec of an array from a template, once; its
    //  elements are rows of tasks with array_id set and an empty spec
    "CREATE TABLE IF NOT EXISTS arrays ("
    "  id TEXT PRIMARY KEY, client_token TEXT, buyer TEXT NOT NULL DEFAULT '',"
    "  spec BLOB, first INTEGER NOT NULL, last INTEGER NOT NULL,"
    "  count INTEGER NOT NULL, submitted_ms INTEGER NOT NULL,"
    "  UNIQUE (buyer, client_token));";

//  Every column a store made before spec_hash has (after its ALTERs)
#define S_TASKS_OLD_COLUMNS \
    "seq, id, client_token, buyer, spec, state, attempt, miner_id, exit_code, " \
    "term_signal, timed_out, reason, stdout, stderr, stdout_truncated, " \
    "stderr_truncated, submitted_ms, updated_ms, retries_left, stdout_sha256, " \
    "cpu_ms, mem_peak_bytes, pids_peak"

//  The columns every task load reads, in this order (see s_task_from_row),
//  and how many
#define S_TASK_NCOLUMNS 24
#define S_TASK_COLUMNS \
    "seq, id, client_token, buyer, spec, state, attempt, miner_id, exit_code, " \
    "term_signal, timed_out, reason, submitted_ms, updated_ms, retries_left, " \
    "cpu_ms, mem_peak_bytes, pids_peak, array_id, resolution, resolve_at_ms, output_hash, " \
    "parent, role"


static int
s_fail (hub_store_t *self, const char *what)
{
    return hub_sql_fail (self->db, self->who, what);
}

static int
s_exec (hub_store_t *self, const char *sql)
{
    return hub_sql_exec (self->db, self->who, sql);
}

//  Every statement comes from the cache (hub_sql_cached): prepared at its
//  first use, reset after each; none is parsed twice.
static sqlite3_stmt *
s_prepare (hub_store_t *self, const char *sql)
{
    return hub_sql_cached (self->cache, sql);
}

//  Steps a statement that returns no rows, and resets it.
static int
s_run (hub_store_t *self, sqlite3_stmt *stmt, const char *what)
{
    (void) self;
    return hub_sql_cached_run (self->cache, stmt, what);
}



//  A store made when client tokens were global holds the column as
//  `client_token TEXT UNIQUE`: one buyer's token then blocked every
//  other buyer's, and answered them with its task. That constraint is
//  the table's own (SQLite's autoindex), which only a rebuild removes:
//  copy into a table without it, swap, index again; in one transaction,
//  so a crash keeps the old table or the new, never neither. Its tokens
//  have no spec hash: a retry of one is taken as the same submit, as
//  before.
static int
s_tokens_per_buyer (hub_store_t *self)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'tasks'");
    if (!stmt)
        return -1;
    bool global = sqlite3_step (stmt) == SQLITE_ROW
               && strstr (hub_sql_column_text (stmt, 0), "client_token TEXT UNIQUE");
    hub_sql_done (stmt);
    if (!global)
        return 0;
    zsys_notice ("%s: client tokens become per buyer: rebuilding the tasks table", self->who);
    if (s_exec (self, "BEGIN"))
        return -1;
    if (s_exec (self, "DROP TABLE IF EXISTS tasks_new")
    ||  s_exec (self, S_TASKS_TABLE ("tasks_new"))
    ||  s_exec (self, "INSERT INTO tasks_new (" S_TASKS_OLD_COLUMNS ") SELECT "
                      S_TASKS_OLD_COLUMNS " FROM tasks")
    ||  s_exec (self, "DROP TABLE tasks")
    ||  s_exec (self, "ALTER TABLE tasks_new RENAME TO tasks")
    ||  s_exec (self, S_TASKS_INDEXES)
    ||  s_exec (self, "COMMIT")) {
        if (!sqlite3_get_autocommit (self->db))
            s_exec (self, "ROLLBACK");
        return -1;
    }
    return 0;
}

void
hub_store_spec_hash (const Fogrid__TaskSpec *spec, char *hash)
{
    size_t size = fogrid__task_spec__get_packed_size (spec);
    byte *packed = (byte *) zmalloc (size + 1);
    fogrid__task_spec__pack (spec, packed);
    unsigned char digest [crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (digest, packed, size);
    sodium_bin2hex (hash, HUB_STORE_HASH_SIZE, digest, sizeof digest);
    free (packed);
}

hub_store_t *
hub_store_new (const char *data_dir)
{
    if (zsys_dir_create ("%s", data_dir) != 0) {
        zsys_error ("store: cannot create %s: %s", data_dir, strerror (errno));
        return NULL;
    }
    hub_store_t *self = (hub_store_t *) zmalloc (sizeof (hub_store_t));
    self->path = zsys_sprintf ("%s/hub.db", data_dir);
    self->who = zsys_sprintf ("store %s", self->path);
    if (sqlite3_open (self->path, &self->db) != SQLITE_OK) {
        s_fail (self, "open");
        hub_store_destroy (&self);
        return NULL;
    }
    sqlite3_busy_timeout (self->db, 5000);
    self->cache = hub_sql_cache_new (self->db, self->who);
    if (s_exec (self, "PRAGMA journal_mode=WAL")
    ||  s_exec (self, "PRAGMA synchronous=NORMAL")
    ||  s_exec (self, "PRAGMA foreign_keys=ON")
    ||  s_exec (self, s_schema)) {
        hub_store_destroy (&self);
        return NULL;
    }
    //  Columns added after the first release: a store made before gets
    //  them now (the error of a column that exists is expected)
    sqlite3_exec (self->db, "ALTER TABLE tasks ADD COLUMN stdout_sha256 TEXT NOT NULL DEFAULT ''",
                  NULL, NULL, NULL);
    sqlite3_exec (self->db, "ALTER TABLE tasks ADD COLUMN cpu_ms INTEGER", NULL, NULL, NULL);
    sqlite3_exec (self->db, "ALTER TABLE tasks ADD COLUMN mem_peak_bytes INTEGER", NULL, NULL, NULL);
    sqlite3_exec (self->db, "ALTER TABLE tasks ADD COLUMN pids_peak INTEGER", NULL, NULL, NULL);
    sqlite3_exec (self->db, "ALTER TABLE tasks ADD COLUMN spec_hash TEXT", NULL, NULL, NULL);
    if (s_tokens_per_buyer (self) || s_exec (self, S_TASKS_INDEXES)) {
        hub_store_destroy (&self);
        return NULL;
    }
    //  (after the rebuild of a store made before per-buyer tokens, which
    //  had no arrays)
    sqlite3_exec (self->db, "ALTER TABLE tasks ADD COLUMN array_id TEXT", NULL, NULL, NULL);
    //  Only the elements of arrays are in it, by state: an array's summary
    //  reads the index alone, and other tasks' changes never touch it
    if (s_exec (self, "CREATE INDEX IF NOT EXISTS tasks_by_array ON tasks (array_id, state)"
                      " WHERE array_id IS NOT NULL")) {
        hub_store_destroy (&self);
        return NULL;
    }
    self->results = hub_results_new (self->db, self->who);
    self->templates = zhashx_new ();
    zhashx_set_destructor (self->templates, (zhashx_destructor_fn *) zchunk_destroy);
    //  The court's (hub_court.h), after the rebuild above (which knows the
    //  columns before them): a store from before holds results that were
    //  paid at once, so they read as resolved (soft)
    if (sqlite3_exec (self->db, "ALTER TABLE tasks ADD COLUMN resolution TEXT NOT NULL DEFAULT ''",
                      NULL, NULL, NULL) == SQLITE_OK)
        sqlite3_exec (self->db, "UPDATE tasks SET resolution = 'soft'"
                      " WHERE state IN ('succeeded', 'failed')", NULL, NULL, NULL);
    sqlite3_exec (self->db, "ALTER TABLE tasks ADD COLUMN resolve_at_ms INTEGER NOT NULL DEFAULT 0",
                  NULL, NULL, NULL);
    sqlite3_exec (self->db, "ALTER TABLE tasks ADD COLUMN output_hash TEXT NOT NULL DEFAULT ''",
                  NULL, NULL, NULL);
    sqlite3_exec (self->db, "ALTER TABLE tasks ADD COLUMN parent TEXT NOT NULL DEFAULT ''",
                  NULL, NULL, NULL);
    sqlite3_exec (self->db, "ALTER TABLE tasks ADD COLUMN role INTEGER NOT NULL DEFAULT 0",
                  NULL, NULL, NULL);
    s_exec (self, "CREATE INDEX IF NOT EXISTS tasks_by_resolution ON tasks (resolution)");
    s_exec (self, "CREATE INDEX IF NOT EXISTS tasks_by_parent ON tasks (parent)");
    return self;
}

void
hub_store_destroy (hub_store_t **self_p)
{
    if (*self_p) {
        hub_store_t *self = *self_p;
        if (self->db) {
            hub_store_commit (self);
            hub_results_destroy (&self->results);
            hub_sql_cache_destroy (&self->cache);
            sqlite3_close_v2 (self->db);     //  (freed when the last statement of another class is)
        }
        zhashx_destroy (&self->templates);
        zstr_free (&self->path);
        zstr_free (&self->who);
        free (self);
        *self_p = NULL;
    }
}

int
hub_store_durability (hub_store_t *self, bool full)
{
    return s_exec (self, full? "PRAGMA synchronous=FULL": "PRAGMA synchronous=NORMAL");
}

int
hub_store_begin (hub_store_t *self)
{
    if (self->in_transaction)
        return 0;
    if (hub_sql_cached_exec (self->cache, "BEGIN"))
        return -1;
    self->in_transaction = true;
    return 0;
}

int
hub_store_commit (hub_store_t *self)
{
    if (!self->in_transaction)
        return 0;
    self->in_transaction = false;
    if (hub_sql_cached_exec (self->cache, "COMMIT")) {
        //  SQLite may have rolled it back already (a full disk does)
        if (!sqlite3_get_autocommit (self->db))
            hub_sql_cached_exec (self->cache, "ROLLBACK");
        return -1;
    }
    return 0;
}

int
hub_store_savepoint (hub_store_t *self)
{
    return hub_sql_cached_exec (self->cache, "SAVEPOINT hub_store");
}

void
hub_store_release_savepoint (hub_store_t *self)
{
    hub_sql_cached_exec (self->cache, "RELEASE hub_store");
}

void
hub_store_rollback_savepoint (hub_store_t *self)
{
    hub_sql_cached_exec (self->cache, "ROLLBACK TO hub_store");
    hub_sql_cached_exec (self->cache, "RELEASE hub_store");
}

void
hub_store_rollback (hub_store_t *self)
{
    if (self->in_transaction) {
        self->in_transaction = false;
        hub_sql_cached_exec (self->cache, "ROLLBACK");
    }
}

int
hub_store_meta_get (hub_store_t *self, const char *key, char *value, size_t size)
{
    sqlite3_stmt *stmt = s_prepare (self, "SELECT value FROM meta WHERE key = ?");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, key);
    int rc = -1;
    int step = sqlite3_step (stmt);
    if (step == SQLITE_ROW) {
        snprintf (value, size, "%s", hub_sql_column_text (stmt, 0));
        rc = 0;
    }
    else
    if (step != SQLITE_DONE)
        s_fail (self, "meta get");
    hub_sql_done (stmt);
    return rc;
}

int
hub_store_meta_set (hub_store_t *self, const char *key, const char *value)
{
    sqlite3_stmt *stmt = s_prepare (self, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, key);
    hub_sql_bind_text (stmt, 2, value);
    return s_run (self, stmt, "meta set");
}

int
hub_store_task_add (hub_store_t *self, hub_task_t *task)
{
    return hub_store_task_submit (self, task, NULL);
}

int
hub_store_task_submit (hub_store_t *self, hub_task_t *task, const char *spec_hash)
{
    //  An element of an array made from a template keeps no spec of its
    //  own: it is the array's, with its index (s_task_from_row)
    size_t size = task->templated? 0: fogrid__task_spec__get_packed_size (task->spec);
    byte *spec = (byte *) zmalloc (size + 1);
    if (!task->templated)
        fogrid__task_spec__pack (task->spec, spec);
    sqlite3_stmt *stmt = s_prepare (self,
        "INSERT INTO tasks (id, client_token, buyer, spec, state, attempt, miner_id,"
        " reason, submitted_ms, updated_ms, retries_left, spec_hash, array_id, parent, role)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!stmt) {
        free (spec);
        return -1;
    }
    hub_sql_bind_text (stmt, 1, task->id);
    if (task->client_token && *task->client_token)
        hub_sql_bind_text (stmt, 2, task->client_token);
    else
        sqlite3_bind_null (stmt, 2);
    hub_sql_bind_text (stmt, 3, task->buyer);
    sqlite3_bind_blob (stmt, 4, spec, (int) size, SQLITE_TRANSIENT);
    hub_sql_bind_text (stmt, 5, hub_task_state_name (task->state));
    sqlite3_bind_int64 (stmt, 6, task->attempt);
    hub_sql_bind_text (stmt, 7, task->miner_id);
    hub_sql_bind_text (stmt, 8, task->reason);
    sqlite3_bind_int64 (stmt, 9, task->submitted_ms);
    sqlite3_bind_int64 (stmt, 10, task->updated_ms);
    sqlite3_bind_int64 (stmt, 11, task->retries_left);
    if (spec_hash && *spec_hash && task->client_token && *task->client_token)
        hub_sql_bind_text (stmt, 12, spec_hash);
    else
        sqlite3_bind_null (stmt, 12);
    char array [32];
    uint32_t index;
    if (hub_spec_element_of (task->id, array, &index) == 0)
        hub_sql_bind_text (stmt, 13, array);
    hub_sql_bind_text (stmt, 14, task->parent);
    sqlite3_bind_int (stmt, 15, (int) task->role);
    free (spec);
    if (s_run (self, stmt, "task add"))
        return -1;
    task->seq = sqlite3_last_insert_rowid (self->db);
    return hub_store_event_add (self, task->id, task->state, task->submitted_ms, "",
                                task->attempt, "submitted");
}

int
hub_store_task_update (hub_store_t *self, const hub_task_t *task)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "UPDATE tasks SET state = ?, attempt = ?, miner_id = ?, exit_code = ?,"
        " term_signal = ?, timed_out = ?, reason = ?, updated_ms = ?, retries_left = ?,"
        " resolution = ?, resolve_at_ms = ?, output_hash = ? WHERE id = ?");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, hub_task_state_name (task->state));
    sqlite3_bind_int64 (stmt, 2, task->attempt);
    hub_sql_bind_text (stmt, 3, task->miner_id);
    sqlite3_bind_int (stmt, 4, task->exit_code);
    sqlite3_bind_int (stmt, 5, task->term_signal);
    sqlite3_bind_int (stmt, 6, task->timed_out);
    hub_sql_bind_text (stmt, 7, task->reason);
    sqlite3_bind_int64 (stmt, 8, task->updated_ms);
    sqlite3_bind_int64 (stmt, 9, task->retries_left);
    hub_sql_bind_text (stmt, 10, hub_resolution_name (task->resolution));
    sqlite3_bind_int64 (stmt, 11, task->resolve_at_ms);
    hub_sql_bind_text (stmt, 12, task->output_hash);
    hub_sql_bind_text (stmt, 13, task->id);
    return s_run (self, stmt, "task update");
}

int
hub_store_task_output_set (hub_store_t *self, const char *task_id,
                           const Fogrid__TaskResult *result)
{
    return hub_results_set (self->results, task_id, result);
}

int
hub_store_event_add (hub_store_t *self, const char *task_id, hub_task_state_t state,
                     int64_t at_ms, const char *miner_id, uint32_t attempt,
                     const char *reason)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "INSERT INTO task_events (task_id, state, at_ms, miner_id, attempt, reason)"
        " VALUES (?, ?, ?, ?, ?, ?)");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, task_id);
    hub_sql_bind_text (stmt, 2, hub_task_state_name (state));
    sqlite3_bind_int64 (stmt, 3, at_ms);
    hub_sql_bind_text (stmt, 4, miner_id);
    sqlite3_bind_int64 (stmt, 5, attempt);
    hub_sql_bind_text (stmt, 6, reason);
    return s_run (self, stmt, "event add");
}

//  The packed template of an array, read once; NULL when there is none
static zchunk_t *
s_template (hub_store_t *self, const char *array_id)
{
    zchunk_t *packed = (zchunk_t *) zhashx_lookup (self->templates, array_id);
    if (packed)
        return packed;
    sqlite3_stmt *stmt = s_prepare (self, "SELECT spec FROM arrays WHERE id = ?");
    if (!stmt)
        return NULL;
    hub_sql_bind_text (stmt, 1, array_id);
    if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL) {
        packed = zchunk_new (sqlite3_column_blob (stmt, 0), (size_t) sqlite3_column_bytes (stmt, 0));
        zhashx_insert (self->templates, array_id, packed);
    }
    hub_sql_done (stmt);
    return packed;
}

//  Builds a task from a row of S_TASK_COLUMNS; NULL if its spec is corrupt.
static hub_task_t *
s_task_from_row (hub_store_t *self, sqlite3_stmt *stmt)
{
    const char *id = hub_sql_column_text (stmt, 1);
    size_t size = (size_t) sqlite3_column_bytes (stmt, 4);
    char array [32];
    uint32_t index;
    bool templated = size == 0 && sqlite3_column_type (stmt, 18) != SQLITE_NULL
                  && hub_spec_element_of (id, array, &index) == 0;
    Fogrid__TaskSpec *spec = NULL;
    if (templated) {
        zchunk_t *packed = s_template (self, array);
        spec = packed? hub_spec_element (zchunk_data (packed), zchunk_size (packed), index): NULL;
    }
    else
        spec = fogrid__task_spec__unpack (NULL, size, (const byte *) sqlite3_column_blob (stmt, 4));
    if (!spec) {
        zsys_error ("store %s: task %s has a spec that does not decode; skipped", self->path, id);
        return NULL;
    }
    hub_task_t *task = hub_task_new (id, &spec);
    task->templated = templated;
    task->seq = sqlite3_column_int64 (stmt, 0);
    hub_task_set_text (&task->client_token, hub_sql_column_text (stmt, 2));
    hub_task_set_text (&task->buyer, hub_sql_column_text (stmt, 3));
    task->state = hub_task_state_from_name (hub_sql_column_text (stmt, 5));
    task->attempt = (uint32_t) sqlite3_column_int64 (stmt, 6);
    snprintf (task->miner_id, sizeof task->miner_id, "%s", hub_sql_column_text (stmt, 7));
    task->exit_code = sqlite3_column_int (stmt, 8);
    task->term_signal = sqlite3_column_int (stmt, 9);
    task->timed_out = sqlite3_column_int (stmt, 10) != 0;
    hub_task_set_text (&task->reason, hub_sql_column_text (stmt, 11));
    task->submitted_ms = sqlite3_column_int64 (stmt, 12);
    task->updated_ms = sqlite3_column_int64 (stmt, 13);
    task->retries_left = (uint32_t) sqlite3_column_int64 (stmt, 14);
    task->measured = sqlite3_column_type (stmt, 15) != SQLITE_NULL;
    if (task->measured) {
        task->usage.cpu_ms = (uint64_t) sqlite3_column_int64 (stmt, 15);
        task->usage.mem_peak_bytes = (uint64_t) sqlite3_column_int64 (stmt, 16);
        task->usage.pids_peak = (uint32_t) sqlite3_column_int64 (stmt, 17);
    }
    task->resolution = hub_resolution_from_name (hub_sql_column_text (stmt, 19));
    task->resolve_at_ms = sqlite3_column_int64 (stmt, 20);
    snprintf (task->output_hash, sizeof task->output_hash, "%s", hub_sql_column_text (stmt, 21));
    snprintf (task->parent, sizeof task->parent, "%s", hub_sql_column_text (stmt, 22));
    task->role = (hub_task_role_t) sqlite3_column_int (stmt, 23);
    if (!task->state) {
        zsys_error ("store %s: task %s has an unknown state '%s'; skipped",
                    self->path, id, hub_sql_column_text (stmt, 5));
        hub_task_destroy (&task);
    }
    return task;
}

static hub_task_t *
s_task_load_where (hub_store_t *self, const char *where, const char *value)
{
    char sql [512];
    snprintf (sql, sizeof sql, "SELECT " S_TASK_COLUMNS " FROM tasks WHERE %s = ?", where);
    sqlite3_stmt *stmt = s_prepare (self, sql);
    if (!stmt)
        return NULL;
    hub_sql_bind_text (stmt, 1, value);
    hub_task_t *task = NULL;
    int step = sqlite3_step (stmt);
    if (step == SQLITE_ROW)
        task = s_task_from_row (self, stmt);
    else
    if (step != SQLITE_DONE)
        s_fail (self, "task load");
    hub_sql_done (stmt);
    return task;
}

hub_task_t *
hub_store_task_load (hub_store_t *self, const char *task_id)
{
    return s_task_load_where (self, "id", task_id);
}

hub_task_t *
hub_store_task_by_token (hub_store_t *self, const char *buyer, const char *client_token,
                         char *spec_hash)
{
    if (spec_hash)
        *spec_hash = 0;
    if (!client_token || !*client_token)
        return NULL;
    sqlite3_stmt *stmt = s_prepare (self, "SELECT " S_TASK_COLUMNS ", spec_hash FROM tasks"
                                          " WHERE buyer = ? AND client_token = ?");
    if (!stmt)
        return NULL;
    hub_sql_bind_text (stmt, 1, buyer);
    hub_sql_bind_text (stmt, 2, client_token);
    hub_task_t *task = NULL;
    int step = sqlite3_step (stmt);
    if (step == SQLITE_ROW) {
        task = s_task_from_row (self, stmt);
        if (spec_hash)
            snprintf (spec_hash, HUB_STORE_HASH_SIZE, "%s",
                      hub_sql_column_text (stmt, S_TASK_NCOLUMNS));
    }
    else
    if (step != SQLITE_DONE)
        s_fail (self, "task by token");
    hub_sql_done (stmt);
    return task;
}

int
hub_store_task_output (hub_store_t *self, const char *task_id, hub_output_t *output)
{
    return hub_results_load (self->results, task_id, output);
}

int
hub_store_task_events (hub_store_t *self, const char *task_id,
                       hub_store_event_fn *fn, void *arg)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "SELECT state, at_ms, miner_id, attempt, reason FROM task_events"
        " WHERE task_id = ? ORDER BY rowid");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, task_id);
    int step;
    while ((step = sqlite3_step (stmt)) == SQLITE_ROW)
        fn (arg, hub_sql_column_text (stmt, 0), sqlite3_column_int64 (stmt, 1),
            hub_sql_column_text (stmt, 2), (uint32_t) sqlite3_column_int64 (stmt, 3),
            hub_sql_column_text (stmt, 4));
    int rc = step == SQLITE_DONE? 0: s_fail (self, "task events");
    hub_sql_done (stmt);
    return rc;
}

//  Appends the tasks a cached statement finds (NULL: it could not be
//  prepared), in its order, and resets it
static int
s_load_rows (hub_store_t *self, sqlite3_stmt *stmt, zlistx_t *tasks, const char *what)
{
    if (!stmt)
        return -1;
    int step;
    while ((step = sqlite3_step (stmt)) == SQLITE_ROW) {
        hub_task_t *task = s_task_from_row (self, stmt);
        if (task)
            zlistx_add_end (tasks, task);
    }
    int rc = step == SQLITE_DONE? 0: s_fail (self, what);
    hub_sql_done (stmt);
    return rc;
}

int
hub_store_load_active (hub_store_t *self, zlistx_t *tasks)
{
    return s_load_rows (self, s_prepare (self, "SELECT " S_TASK_COLUMNS " FROM tasks"
                        " WHERE state IN ('pending', 'assigned', 'running') ORDER BY seq"),
                        tasks, "load active");
}

int
hub_store_load_unresolved (hub_store_t *self, zlistx_t *tasks)
{
    return s_load_rows (self, s_prepare (self, "SELECT " S_TASK_COLUMNS " FROM tasks"
                        " WHERE resolution IN ('pending', 'challenged')"
                        " AND state IN ('succeeded', 'failed') ORDER BY seq"),
                        tasks, "load unresolved");
}

int
hub_store_load_runs (hub_store_t *self, const char *parent, zlistx_t *tasks)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "SELECT " S_TASK_COLUMNS " FROM tasks WHERE parent = ? ORDER BY seq");
    if (stmt)
        hub_sql_bind_text (stmt, 1, parent);
    return s_load_rows (self, stmt, tasks, "load runs");
}

int
hub_store_task_output_copy (hub_store_t *self, const char *from_id, const char *to_id)
{
    return hub_results_copy (self->results, from_id, to_id);
}

int64_t
hub_store_miner_unresolved (hub_store_t *self, const char *miner_id)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "SELECT count(*) FROM tasks WHERE miner_id = ? AND (state IN ('assigned', 'running')"
        " OR resolution IN ('pending', 'challenged'))");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, miner_id);
    int64_t count = sqlite3_step (stmt) == SQLITE_ROW? sqlite3_column_int64 (stmt, 0): -1;
    hub_sql_done (stmt);
    return count;
}

int
hub_store_count_resolutions (hub_store_t *self, uint64_t *counts)
{
    memset (counts, 0, sizeof (uint64_t) * HUB_RESOLUTIONS);
    sqlite3_stmt *stmt = s_prepare (self,
        "SELECT resolution, count(*) FROM tasks WHERE role = 0 GROUP BY resolution");
    if (!stmt)
        return -1;
    int step;
    while ((step = sqlite3_step (stmt)) == SQLITE_ROW)
        counts [hub_resolution_from_name (hub_sql_column_text (stmt, 0))] =
            (uint64_t) sqlite3_column_int64 (stmt, 1);
    int rc = step == SQLITE_DONE? 0: s_fail (self, "count resolutions");
    hub_sql_done (stmt);
    return rc;
}

int
hub_store_recent (hub_store_t *self, size_t limit, zlistx_t *tasks)
{
    //  Recent first: by last change (indexed), so a large store stays cheap
    sqlite3_stmt *stmt = s_prepare (self,
        "SELECT " S_TASK_COLUMNS " FROM tasks ORDER BY updated_ms DESC, seq DESC LIMIT ?");
    if (stmt)
        sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) limit);
    return s_load_rows (self, stmt, tasks, "load recent");
}

//  Counts per state from a cached statement of (state, count) rows
//  (NULL: it could not be prepared) into counts [HUB_TASK_STATES]
static int
s_count_rows (hub_store_t *self, sqlite3_stmt *stmt, uint64_t *counts, const char *what)
{
    memset (counts, 0, sizeof (uint64_t) * HUB_TASK_STATES);
    if (!stmt)
        return -1;
    int step;
    while ((step = sqlite3_step (stmt)) == SQLITE_ROW) {
        hub_task_state_t state = hub_task_state_from_name (hub_sql_column_text (stmt, 0));
        if (state)
            counts [state] = (uint64_t) sqlite3_column_int64 (stmt, 1);
    }
    int rc = step == SQLITE_DONE? 0: s_fail (self, what);
    hub_sql_done (stmt);
    return rc;
}

int
hub_store_count_states (hub_store_t *self, uint64_t *counts)
{
    return s_count_rows (self, s_prepare (self, "SELECT state, count(*) FROM tasks GROUP BY state"),
                         counts, "count states");
}

struct sqlite3 *
hub_store_db (hub_store_t *self)
{
    return self->db;
}

const char *
hub_store_path (hub_store_t *self)
{
    return self->path;
}

//  --------------------------------------------------------------------------
//  Job arrays

int
hub_store_array_add (hub_store_t *self, const hub_array_t *array, const Fogrid__TaskSpec *spec)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "INSERT INTO arrays (id, client_token, buyer, spec, first, last, count, submitted_ms)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, array->id);
    if (*array->client_token)
        hub_sql_bind_text (stmt, 2, array->client_token);
    hub_sql_bind_text (stmt, 3, array->buyer);
    byte *packed = NULL;
    if (spec) {
        size_t size = fogrid__task_spec__get_packed_size (spec);
        packed = (byte *) zmalloc (size + 1);
        fogrid__task_spec__pack (spec, packed);
        sqlite3_bind_blob (stmt, 4, packed, (int) size, SQLITE_TRANSIENT);
    }
    sqlite3_bind_int64 (stmt, 5, array->first);
    sqlite3_bind_int64 (stmt, 6, array->last);
    sqlite3_bind_int64 (stmt, 7, array->count);
    sqlite3_bind_int64 (stmt, 8, array->submitted_ms);
    int rc = s_run (self, stmt, "array add");
    free (packed);
    return rc;
}

//  The template an array was just given, for its elements' specs
const byte *
hub_store_array_template (hub_store_t *self, const char *array_id, size_t *size)
{
    zchunk_t *packed = s_template (self, array_id);
    *size = packed? zchunk_size (packed): 0;
    return packed? zchunk_data (packed): NULL;
}

int
hub_store_array_load (hub_store_t *self, const char *id, const char *buyer,
                      const char *client_token, hub_array_t *array)
{
    sqlite3_stmt *stmt = s_prepare (self, id
        ? "SELECT id, client_token, buyer, first, last, count, submitted_ms FROM arrays WHERE id = ?"
        : "SELECT id, client_token, buyer, first, last, count, submitted_ms FROM arrays"
          " WHERE client_token = ? AND buyer = ?");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, id? id: client_token);
    if (!id)
        hub_sql_bind_text (stmt, 2, buyer);
    int rc = -1;
    if (sqlite3_step (stmt) == SQLITE_ROW) {
        memset (array, 0, sizeof *array);
        snprintf (array->id, sizeof array->id, "%s", hub_sql_column_text (stmt, 0));
        snprintf (array->client_token, sizeof array->client_token, "%s",
                  hub_sql_column_text (stmt, 1));
        snprintf (array->buyer, sizeof array->buyer, "%s", hub_sql_column_text (stmt, 2));
        array->first = (uint32_t) sqlite3_column_int64 (stmt, 3);
        array->last = (uint32_t) sqlite3_column_int64 (stmt, 4);
        array->count = (uint32_t) sqlite3_column_int64 (stmt, 5);
        array->submitted_ms = sqlite3_column_int64 (stmt, 6);
        rc = 0;
    }
    hub_sql_done (stmt);
    return rc;
}

int
hub_store_array_counts (hub_store_t *self, const char *array_id, uint64_t *counts,
                        zlist_t *failed, size_t failed_max)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "SELECT state, count(*) FROM tasks WHERE array_id = ? GROUP BY state");
    if (stmt)
        hub_sql_bind_text (stmt, 1, array_id);
    int rc = s_count_rows (self, stmt, counts, "array counts");
    if (rc || !failed || !counts [HUB_TASK_FAILED])
        return rc;
    stmt = s_prepare (self, "SELECT id FROM tasks WHERE array_id = ? AND state = 'failed'"
                            " ORDER BY seq LIMIT ?");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, array_id);
    sqlite3_bind_int64 (stmt, 2, (sqlite3_int64) failed_max);
    int step;
    while ((step = sqlite3_step (stmt)) == SQLITE_ROW)
        zlist_append (failed, strdup (hub_sql_column_text (stmt, 0)));
    rc = step == SQLITE_DONE? 0: s_fail (self, "array failures");
    hub_sql_done (stmt);
    return rc;
}
