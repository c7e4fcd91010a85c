/*  =========================================================================
    hub_cases - the court's cases, in their own table

        court_cases (task_id, kind, challenger, deposit, opened_ms, verdict)
    =========================================================================  */
#include "fogrid.h"
#include "hub_sql.h"
#include "hub_cases.h"
#include <sqlite3.h>

struct _hub_cases_t {
    struct sqlite3 *db;         //  the store's (not owned)
};

hub_cases_t *
hub_cases_new (hub_store_t *store)
{
    if (hub_sql_exec (hub_store_db (store), "court",
            "CREATE TABLE IF NOT EXISTS court_cases ("
            "  task_id TEXT PRIMARY KEY,"
            "  kind TEXT NOT NULL,"
            "  challenger TEXT NOT NULL DEFAULT '',"
            "  deposit INTEGER NOT NULL DEFAULT 0,"
            "  opened_ms INTEGER NOT NULL,"
            "  verdict TEXT NOT NULL DEFAULT '')"))
        return NULL;
    hub_cases_t *self = (hub_cases_t *) zmalloc (sizeof (hub_cases_t));
    self->db = hub_store_db (store);
    return self;
}

void
hub_cases_destroy (hub_cases_t **self_p)
{
    if (*self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

int
hub_cases_open (hub_cases_t *self, const char *task_id, const char *kind,
                const char *challenger, int64_t deposit)
{
    sqlite3_stmt *stmt = hub_sql_prepare (self->db, "court",
        "INSERT INTO court_cases (task_id, kind, challenger, deposit, opened_ms)"
        " VALUES (?, ?, ?, ?, ?)");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, task_id);
    hub_sql_bind_text (stmt, 2, kind);
    hub_sql_bind_text (stmt, 3, challenger);
    sqlite3_bind_int64 (stmt, 4, deposit);
    sqlite3_bind_int64 (stmt, 5, fg_now_ms ());
    return hub_sql_run (self->db, "court", stmt, "case open");
}

int
hub_cases_load (hub_cases_t *self, const char *task_id, hub_case_t *found)
{
    memset (found, 0, sizeof *found);
    sqlite3_stmt *stmt = hub_sql_prepare (self->db, "court",
        "SELECT kind, challenger, deposit, opened_ms, verdict FROM court_cases"
        " WHERE task_id = ?");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, task_id);
    int rc = -1;
    if (sqlite3_step (stmt) == SQLITE_ROW) {
        snprintf (found->kind, sizeof found->kind, "%s", hub_sql_column_text (stmt, 0));
        snprintf (found->challenger, sizeof found->challenger, "%s",
                  hub_sql_column_text (stmt, 1));
        found->deposit = sqlite3_column_int64 (stmt, 2);
        found->opened_ms = sqlite3_column_int64 (stmt, 3);
        found->verdict = strdup (hub_sql_column_text (stmt, 4));
        rc = 0;
    }
    sqlite3_finalize (stmt);
    return rc;
}

void
hub_case_reset (hub_case_t *found)
{
    free (found->verdict);
    found->verdict = NULL;
}

int
hub_cases_close (hub_cases_t *self, const char *task_id, const char *verdict)
{
    sqlite3_stmt *stmt = hub_sql_prepare (self->db, "court",
        "UPDATE court_cases SET verdict = ? WHERE task_id = ?");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, verdict);
    hub_sql_bind_text (stmt, 2, task_id);
    return hub_sql_run (self->db, "court", stmt, "case close");
}
