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

//  Statements prepared once and kept, for what runs on a hot path: SQLite
//  parses a statement's text in tens of microseconds, longer than most of
//  them take to run. A cache belongs to one class (one connection, one
//  thread); its statements are finalized with it, before the database
//  closes. The text is the key, so a caller writes its SQL where it is
//  used, as with hub_sql_prepare.
typedef struct _hub_sql_cache_t hub_sql_cache_t;
hub_sql_cache_t *hub_sql_cache_new (sqlite3 *db, const char *who);
void hub_sql_cache_destroy (hub_sql_cache_t **self_p);

//  The statement for sql, ready to bind (reset, bindings cleared), or NULL
//  (logged). Give it back with hub_sql_done, never finalize it.
sqlite3_stmt *hub_sql_cached (hub_sql_cache_t *self, const char *sql);

//  Resets a cached statement: it holds no lock and is ready for its next use.
void hub_sql_done (sqlite3_stmt *stmt);

//  Steps a cached statement that returns no rows, and resets it. 0 or -1 (logged).
int hub_sql_cached_run (hub_sql_cache_t *self, sqlite3_stmt *stmt, const char *what);

//  Runs sql (one statement, no rows) through the cache: BEGIN, COMMIT,
//  SAVEPOINT, which would otherwise be parsed at every burst or transfer.
int hub_sql_cached_exec (hub_sql_cache_t *self, const char *sql);

//  Binds text (NULL as ""); reads text (NULL as "").
void hub_sql_bind_text (sqlite3_stmt *stmt, int index, const char *text);
const char *hub_sql_column_text (sqlite3_stmt *stmt, int index);

#endif
