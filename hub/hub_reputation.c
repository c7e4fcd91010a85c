/*  =========================================================================
    hub_reputation - what the hub has seen of each miner's results

    DESIGN
    Golem's reputation, kept simple: counts, not opinions. A result that
    stood adds one, an outvoted one weighs five, a lost verdict twenty, so
    one lie costs more than a long clean record gains and a new miner
    starts at 1 (nothing against it) with little to lose: the court checks
    new miners more often (hub/spot_check_permille), as BOINC's adaptive
    replication does.
    =========================================================================  */
#include "fogrid.h"
#include "hub_sql.h"
#include "hub_reputation.h"
#include <sqlite3.h>

struct _hub_reputation_t {
    struct sqlite3 *db;         //  the store's (not owned)
    const char *who;            //  for log lines
    zhashx_t *cache;            //  miner id -> hub_reputation_record_t, as read or counted:
                                //  every placement round reads each candidate's
};

hub_reputation_t *
hub_reputation_new (hub_store_t *store)
{
    hub_reputation_t *self = (hub_reputation_t *) zmalloc (sizeof (hub_reputation_t));
    self->db = hub_store_db (store);
    self->who = "reputation";
    self->cache = zhashx_new ();
    zhashx_set_destructor (self->cache, (zhashx_destructor_fn *) zstr_free);
    if (hub_sql_exec (self->db, self->who,
            "CREATE TABLE IF NOT EXISTS miner_reputation ("
            "  miner_id TEXT PRIMARY KEY,"
            "  resolved INTEGER NOT NULL DEFAULT 0,"
            "  mismatches INTEGER NOT NULL DEFAULT 0,"
            "  verdicts_lost INTEGER NOT NULL DEFAULT 0)")) {
        zhashx_destroy (&self->cache);
        free (self);
        return NULL;
    }
    return self;
}

void
hub_reputation_destroy (hub_reputation_t **self_p)
{
    if (*self_p) {
        zhashx_destroy (&(*self_p)->cache);
        free (*self_p);
        *self_p = NULL;
    }
}

void
hub_reputation_forget (hub_reputation_t *self)
{
    zhashx_purge (self->cache);
}

int
hub_reputation_count (hub_reputation_t *self, const char *miner_id,
                      hub_reputation_event_t event)
{
    if (!miner_id || !*miner_id)
        return 0;
    static const char *columns [] = { "resolved", "mismatches", "verdicts_lost" };
    char sql [300];
    snprintf (sql, sizeof sql, "INSERT INTO miner_reputation (miner_id, %s) VALUES (?, 1)"
              " ON CONFLICT (miner_id) DO UPDATE SET %s = %s + 1",
              columns [event], columns [event], columns [event]);
    sqlite3_stmt *stmt = hub_sql_prepare (self->db, self->who, sql);
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, miner_id);
    zhashx_delete (self->cache, miner_id);      //  read again from the row
    return hub_sql_run (self->db, self->who, stmt, "count");
}

void
hub_reputation_get (hub_reputation_t *self, const char *miner_id,
                    hub_reputation_record_t *record)
{
    hub_reputation_record_t *known = (hub_reputation_record_t *) zhashx_lookup (self->cache, miner_id);
    if (known) {
        *record = *known;
        return;
    }
    memset (record, 0, sizeof *record);
    sqlite3_stmt *stmt = hub_sql_prepare (self->db, self->who,
        "SELECT resolved, mismatches, verdicts_lost FROM miner_reputation WHERE miner_id = ?");
    if (stmt) {
        hub_sql_bind_text (stmt, 1, miner_id);
        if (sqlite3_step (stmt) == SQLITE_ROW) {
            record->resolved = (uint64_t) sqlite3_column_int64 (stmt, 0);
            record->mismatches = (uint64_t) sqlite3_column_int64 (stmt, 1);
            record->verdicts_lost = (uint64_t) sqlite3_column_int64 (stmt, 2);
        }
        sqlite3_finalize (stmt);
    }
    double good = (double) record->resolved + 1.0;
    record->score = good / (good + 5.0 * (double) record->mismatches
                                 + 20.0 * (double) record->verdicts_lost);
    hub_reputation_record_t *copy = (hub_reputation_record_t *) zmalloc (sizeof *copy);
    *copy = *record;
    zhashx_insert (self->cache, miner_id, copy);
}
