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
