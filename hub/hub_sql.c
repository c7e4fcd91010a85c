/*  =========================================================================
    hub_sql - what the hub's SQLite classes share
    =========================================================================  */
#include "fogrid.h"
#include "hub_sql.h"

int
hub_sql_fail (sqlite3 *db, const char *who, const char *what)
{
    zsys_error ("%s: %s: %s", who, what, sqlite3_errmsg (db));
    return -1;
}

int
hub_sql_exec (sqlite3 *db, const char *who, const char *sql)
{
    char *error = NULL;
    if (sqlite3_exec (db, sql, NULL, NULL, &error) != SQLITE_OK) {
        zsys_error ("%s: %s: %s", who, sql, error? error: "?");
        sqlite3_free (error);
        return -1;
    }
    return 0;
}

sqlite3_stmt *
hub_sql_prepare (sqlite3 *db, const char *who, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        hub_sql_fail (db, who, "prepare");
        return NULL;
    }
    return stmt;
}

int
hub_sql_run (sqlite3 *db, const char *who, sqlite3_stmt *stmt, const char *what)
{
    int rc = sqlite3_step (stmt) == SQLITE_DONE? 0: hub_sql_fail (db, who, what);
    sqlite3_finalize (stmt);
    return rc;
}

void
hub_sql_bind_text (sqlite3_stmt *stmt, int index, const char *text)
{
    sqlite3_bind_text (stmt, index, text? text: "", -1, SQLITE_TRANSIENT);
}

const char *
hub_sql_column_text (sqlite3_stmt *stmt, int index)
{
    const char *text = (const char *) sqlite3_column_text (stmt, index);
    return text? text: "";
}

//  --------------------------------------------------------------------------
//  Statement cache

struct _hub_sql_cache_t {
    sqlite3 *db;                //  the connection (not owned)
    char *who;                  //  for log lines
    zhashx_t *stmts;            //  SQL text -> sqlite3_stmt, prepared once
};

static void
s_stmt_finalize (void **item)
{
    if (*item) {
        sqlite3_finalize ((sqlite3_stmt *) *item);
        *item = NULL;
    }
}

hub_sql_cache_t *
hub_sql_cache_new (sqlite3 *db, const char *who)
{
    hub_sql_cache_t *self = (hub_sql_cache_t *) zmalloc (sizeof (hub_sql_cache_t));
    self->db = db;
    self->who = strdup (who);
    self->stmts = zhashx_new ();
    zhashx_set_destructor (self->stmts, s_stmt_finalize);
    return self;
}

void
hub_sql_cache_destroy (hub_sql_cache_t **self_p)
{
    if (*self_p) {
        hub_sql_cache_t *self = *self_p;
        zhashx_destroy (&self->stmts);
        free (self->who);
        free (self);
        *self_p = NULL;
    }
}

sqlite3_stmt *
hub_sql_cached (hub_sql_cache_t *self, const char *sql)
{
    sqlite3_stmt *stmt = (sqlite3_stmt *) zhashx_lookup (self->stmts, sql);
    if (stmt) {
        sqlite3_reset (stmt);
        sqlite3_clear_bindings (stmt);
        return stmt;
    }
    if (sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL)
        != SQLITE_OK) {
        hub_sql_fail (self->db, self->who, "prepare");
        sqlite3_finalize (stmt);
        return NULL;
    }
    zhashx_insert (self->stmts, sql, stmt);
    return stmt;
}

void
hub_sql_done (sqlite3_stmt *stmt)
{
    if (stmt)
        sqlite3_reset (stmt);
}

int
hub_sql_cached_run (hub_sql_cache_t *self, sqlite3_stmt *stmt, const char *what)
{
    int rc = sqlite3_step (stmt) == SQLITE_DONE? 0: hub_sql_fail (self->db, self->who, what);
    sqlite3_reset (stmt);
    return rc;
}

int
hub_sql_cached_exec (hub_sql_cache_t *self, const char *sql)
{
    sqlite3_stmt *stmt = hub_sql_cached (self, sql);
    if (!stmt)
        return -1;
    return hub_sql_cached_run (self, stmt, sql);
}
