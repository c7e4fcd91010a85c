/*  =========================================================================
    hub_sql - what the hub's SQLite classes share

    The store, the ledger and the wallet live in one database file, and
    each reports a failing statement the same way: one log line naming the
    class, the file and SQLite's reason. These helpers do that once.
    =========================================================================  */
#ifndef HUB_SQL_H_INCLUDED
#define HUB_SQL_H_INCLUDED

#include <sqlite3.h>

//  who names the caller in log lines: "store /var/lib/fogrid/hub/hub.db".

//  Logs what failed with SQLite's reason; returns -1.
int hub_sql_fail (sqlite3 *db, const char *who, const char *what);

//  Runs sql (no rows). Returns 0, or -1 (logged).
int hub_sql_exec (sqlite3 *db, const char *who, const char *sql);

//  A prepared statement, or NULL (logged).
sqlite3_stmt *hub_sql_prepare (sqlite3 *db, const char *who, const char *sql);

//  Steps a statement that returns no rows, and finalizes it. Returns 0 or -1.
int hub_sql_run (sqlite3 *db, const char *who, sqlite3_stmt *stmt, const char *what);

//  Binds text (NULL as ""); reads text (NULL as "").
void hub_sql_bind_text (sqlite3_stmt *stmt, int index, const char *text);
const char *hub_sql_column_text (sqlite3_stmt *stmt, int index);

#endif
