/*  =========================================================================
    loc_hubs - the hub registry (whitelist, hub pool list) the locator keeps

    DESIGN
    One SQLite database (WAL), used only by the locator's thread. The
    registry is small (hubs, not miners) and read on each miner's check,
    so every request goes to the database: no cache to keep right. A
    record, the hub's row and its event row commit together, before the
    reply: the reply is the DAO's proof that it holds.

    The DAO is who holds a key in locator/admin_keys (loc_admins.h). Each
    change is a record signed with that key (fg_hub_record.h: the DAO's
    Ed25519 signing key; records from before it existed were signed with
    its CurveZMQ key, and are still read), so that a locator can
    check a change it did not see made: locators share records (the log,
    loc_peers.h) and each checks every one against its own admin keys. A
    peer locator is a courier, never an authority: one that is broken
    into can withhold records, but not make, alter or undo one. On a
    plain-text locator there are no keys: `*` lets anyone change it, and
    unsigned records count.

    A record is checked, then taken (or refused, and counted; the checks
    of its fields, signature and signer are loc_admins'):

        check                                   on failure
        -----                                   ----------
        its id (SHA-256 of its text) is new     nothing: a duplicate, counted
        hub id, status, keys, stake, reason     refused: invalid
        the signature is its signer's           refused: signature
        (unsigned: only with admin_keys *)
        the signer is in locator/admin_keys     refused: not_admin
        from a client: signed with a signing    refused: signature (only
          key, not a CurveZMQ key                 peers' logs hold those)
        from a client: at_ms at most 5 min      refused: invalid (a clock
          ahead of ours                           that would win for ever)
        from a client: its hub key is no        refused: invalid
          other hub's

    A record taken goes in the log (the next seq) and is merged into its
    hub's row. Each field is a last-writer-wins register whose order is
    (at_ms, signer, id), compared as one text:

        field                       set by                  holds the value of
        -----                       ------                  ------------------
        status, reason,             every record            the highest record
        updated_by, updated_ms
        hub_key                     records that name one   the highest of those
        ledger_key                  records that name one   the highest of those
        stake                       records with stake >= 0 the highest of those
        created_ms                  every record            the lowest at_ms

    So the merge is commutative, associative and idempotent: every
    locator that holds the same records holds the same registry, whatever
    order they came in and however often. An older record never undoes a
    newer one (a blacklisting stays when an earlier "registered" arrives
    late); of two changes made on either side of a partition, the later
    (by the DAO's clocks; the command line makes each change later than
    the hub's last) wins everywhere. Rows from before records existed
    hold order "" in every field: any record wins over them.

    Tables:
        hubs (hub_id, hub_key, ledger_key, status, stake, reason,
              updated_by, created_ms, updated_ms, status_at, hub_key_at,
              ledger_key_at, stake_at)
        hub_events (seq, hub_id, at_ms, from_status, to_status, hub_key,
                    ledger_key, stake, by_key, reason)
        records (seq, id, the record's fields, received_ms, source)
        peers (endpoint, log_id, cursor, updated_ms)
        meta (name, value): log_id
    =========================================================================  */
#include "fogrid.h"
#include "fg_hub_record.h"
#include "loc_admins.h"
#include "loc_hubs.h"
#include <sqlite3.h>
#include <sodium.h>
#include <errno.h>
#include <sys/stat.h>

#define S_MAX_REASON    LOC_ADMINS_MAX_REASON
#define S_MAX_HUBS      10000       //  in one reply
#define S_MAX_SYNC      200         //  records in one RegistryRecords
#define S_MAX_SKEW_MS   (5 * 60 * 1000)
#define S_ORDER_SIZE    160         //  "%020 at_ms signer id"

struct _loc_hubs_t {
    sqlite3 *db;                //  the open database, NULL while none exists
    char *path;                 //  its file
    loc_admins_t *admins;       //  locator/admin_keys, the checks a record passes
    char log_id [33];           //  this database's log, "" while none exists
    loc_hubs_stats_t stats;     //  ours; the admins' refusals are added when read
    loc_hubs_stats_t view;      //  what loc_hubs_stats returns
};

static const char *s_schema =
    "CREATE TABLE IF NOT EXISTS hubs ("
    "  hub_id TEXT PRIMARY KEY,"
    "  hub_key TEXT NOT NULL DEFAULT '',"
    "  ledger_key TEXT NOT NULL DEFAULT '',"
    "  status TEXT NOT NULL,"
    "  stake INTEGER NOT NULL DEFAULT 0,"
    "  reason TEXT NOT NULL DEFAULT '',"
    "  updated_by TEXT NOT NULL DEFAULT '',"
    "  created_ms INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL,"
    "  status_at TEXT NOT NULL DEFAULT '',"
    "  hub_key_at TEXT NOT NULL DEFAULT '',"
    "  ledger_key_at TEXT NOT NULL DEFAULT '',"
    "  stake_at TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX IF NOT EXISTS hubs_by_key ON hubs (hub_key);"
    "CREATE TABLE IF NOT EXISTS hub_events ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  hub_id TEXT NOT NULL, at_ms INTEGER NOT NULL,"
    "  from_status TEXT NOT NULL, to_status TEXT NOT NULL,"
    "  hub_key TEXT NOT NULL, ledger_key TEXT NOT NULL, stake INTEGER NOT NULL,"
    "  by_key TEXT NOT NULL, reason TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS records ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  id TEXT NOT NULL UNIQUE,"
    "  hub_id TEXT NOT NULL, status TEXT NOT NULL, hub_key TEXT NOT NULL,"
    "  ledger_key TEXT NOT NULL, stake INTEGER NOT NULL, reason TEXT NOT NULL,"
    "  at_ms INTEGER NOT NULL, signer TEXT NOT NULL, sign_key TEXT NOT NULL,"
    "  signature TEXT NOT NULL, received_ms INTEGER NOT NULL, source TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS peers ("
    "  endpoint TEXT PRIMARY KEY, log_id TEXT NOT NULL, cursor INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);";

//  The merge's columns, added to a hubs table from before records
static const char *s_upgrade =
    "ALTER TABLE hubs ADD COLUMN status_at TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE hubs ADD COLUMN hub_key_at TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE hubs ADD COLUMN ledger_key_at TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE hubs ADD COLUMN stake_at TEXT NOT NULL DEFAULT '';";

//  --------------------------------------------------------------------------
//  The database

static int
s_fail (loc_hubs_t *self, const char *what, char *err, size_t err_size)
{
    snprintf (err, err_size, "registry %s: %s: %s", self->path, what,
              self->db? sqlite3_errmsg (self->db): "not open");
    zsys_error ("locator: %s", err);
    return -1;
}

static int
s_exec (loc_hubs_t *self, const char *sql, char *err, size_t err_size)
{
    char *error = NULL;
    if (sqlite3_exec (self->db, sql, NULL, NULL, &error) != SQLITE_OK) {
        snprintf (err, err_size, "registry %s: %s", self->path, error? error: "?");
        zsys_error ("locator: %s", err);
        sqlite3_free (error);
        return -1;
    }
    return 0;
}

static const char *
s_column (sqlite3_stmt *stmt, int index)
{
    const char *text = (const char *) sqlite3_column_text (stmt, index);
    return text? text: "";
}

static void
s_bind (sqlite3_stmt *stmt, int index, const char *text)
{
    sqlite3_bind_text (stmt, index, text? text: "", -1, SQLITE_TRANSIENT);
}

//  Reads this database's log id, making it the first time.
static int
s_log_id_load (loc_hubs_t *self, char *err, size_t err_size)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, "SELECT value FROM meta WHERE name = 'log_id'", -1,
                            &stmt, NULL) != SQLITE_OK)
        return s_fail (self, "log id", err, err_size);
    if (sqlite3_step (stmt) == SQLITE_ROW)
        snprintf (self->log_id, sizeof self->log_id, "%s", s_column (stmt, 0));
    sqlite3_finalize (stmt);
    if (*self->log_id)
        return 0;
    byte bytes [16];
    randombytes_buf (bytes, sizeof bytes);
    sodium_bin2hex (self->log_id, sizeof self->log_id, bytes, sizeof bytes);
    char sql [128];
    snprintf (sql, sizeof sql, "INSERT INTO meta (name, value) VALUES ('log_id', '%s')",
              self->log_id);
    if (s_exec (self, sql, err, err_size)) {
        self->log_id [0] = 0;
        return -1;
    }
    return 0;
}

//  Opens (or makes) the database. Returns 0 or -1.
static int
s_open (loc_hubs_t *self, char *err, size_t err_size)
{
    if (self->db)
        return 0;
    if (sqlite3_open (self->path, &self->db) != SQLITE_OK) {
        s_fail (self, "open", err, err_size);
        sqlite3_close (self->db);
        self->db = NULL;
        return -1;
    }
    sqlite3_busy_timeout (self->db, 5000);
    sqlite3_stmt *probe = NULL;
    int rc = s_exec (self, "PRAGMA journal_mode=WAL", err, err_size)
          || s_exec (self, "PRAGMA synchronous=NORMAL", err, err_size)
          || s_exec (self, s_schema, err, err_size);
    if (rc == 0 && sqlite3_prepare_v2 (self->db, "SELECT status_at FROM hubs LIMIT 0", -1,
                                       &probe, NULL) != SQLITE_OK) {
        zsys_notice ("locator: registry %s: adding the columns of signed records", self->path);
        rc = s_exec (self, s_upgrade, err, err_size);
    }
    sqlite3_finalize (probe);
    if (rc == 0)
        rc = s_log_id_load (self, err, err_size);
    if (rc) {
        sqlite3_close (self->db);
        self->db = NULL;
        return -1;
    }
    chmod (self->path, 0600);
    return 0;
}

loc_hubs_t *
loc_hubs_new (const char *data_dir, const char *admin_keys, char *err, size_t err_size)
{
    loc_hubs_t *self = (loc_hubs_t *) zmalloc (sizeof (loc_hubs_t));
    self->path = zsys_sprintf ("%s/registry.db", data_dir && *data_dir? data_dir: ".");
    self->admins = loc_admins_new (admin_keys);
    bool exists = zsys_file_exists (self->path);
    if (exists || (admin_keys && *admin_keys)) {
        if (!exists && data_dir && *data_dir && zsys_dir_create ("%s", data_dir)) {
            snprintf (err, err_size, "cannot create %s: %s", data_dir, strerror (errno));
            loc_hubs_destroy (&self);
            return NULL;
        }
        if (s_open (self, err, err_size)) {
            loc_hubs_destroy (&self);
            return NULL;
        }
    }
    return self;
}

void
loc_hubs_destroy (loc_hubs_t **self_p)
{
    if (*self_p) {
        loc_hubs_t *self = *self_p;
        if (self->db)
            sqlite3_close (self->db);
        loc_admins_destroy (&self->admins);
        free (self->path);
        free (self);
        *self_p = NULL;
    }
}

bool
loc_hubs_is_admin (loc_hubs_t *self, const char *key)
{
    return loc_admins_has (self->admins, key);
}

const char *
loc_hubs_log_id (loc_hubs_t *self)
{
    return self->log_id;
}

const loc_hubs_stats_t *
loc_hubs_stats (loc_hubs_t *self)
{
    const loc_admins_stats_t *refused = loc_admins_stats (self->admins);
    self->view = self->stats;
    self->view.refused_invalid += refused->invalid;
    self->view.refused_signature += refused->signature;
    self->view.refused_admin += refused->admin;
    return &self->view;
}

int
loc_hubs_check_config (fg_config_t *config, char *err, size_t err_size)
{
    return loc_admins_check_config (config, err, err_size);
}

bool
loc_hubs_status_valid (const char *status)
{
    return loc_admins_status_valid (status);
}

//  --------------------------------------------------------------------------
//  Reading

#define S_COLUMNS "hub_id, hub_key, ledger_key, status, stake, updated_ms, reason, " \
                  "updated_by, created_ms"

static Fogrid__RegistryHub *
s_hub_from_row (sqlite3_stmt *stmt)
{
    Fogrid__RegistryHub *hub = (Fogrid__RegistryHub *) zmalloc (sizeof (Fogrid__RegistryHub));
    fogrid__registry_hub__init (hub);
    hub->hub_id = strdup (s_column (stmt, 0));
    hub->hub_key = strdup (s_column (stmt, 1));
    hub->ledger_key = strdup (s_column (stmt, 2));
    hub->status = strdup (s_column (stmt, 3));
    hub->stake = sqlite3_column_int64 (stmt, 4);
    hub->updated_ms = (uint64_t) sqlite3_column_int64 (stmt, 5);
    hub->reason = strdup (s_column (stmt, 6));
    hub->updated_by = strdup (s_column (stmt, 7));
    hub->created_ms = (uint64_t) sqlite3_column_int64 (stmt, 8);
    return hub;
}

static void
s_hub_destroy (Fogrid__RegistryHub **hub_p)
{
    Fogrid__RegistryHub *hub = *hub_p;
    if (hub) {
        free (hub->hub_id);
        free (hub->hub_key);
        free (hub->ledger_key);
        free (hub->status);
        free (hub->reason);
        free (hub->updated_by);
        free (hub);
        *hub_p = NULL;
    }
}

void
loc_hubs_reply_destroy (Fogrid__RegistryReply **reply_p)
{
    Fogrid__RegistryReply *reply = *reply_p;
    if (reply) {
        for (size_t index = 0; index < reply->n_hubs; index++)
            s_hub_destroy (&reply->hubs [index]);
        free (reply->hubs);
        free (reply);
        *reply_p = NULL;
    }
}

Fogrid__RegistryReply *
loc_hubs_list (loc_hubs_t *self, const char *hub_id, const char *hub_key)
{
    Fogrid__RegistryReply *reply = (Fogrid__RegistryReply *) zmalloc (sizeof (Fogrid__RegistryReply));
    fogrid__registry_reply__init (reply);
    if (!self->db)
        return reply;               //  no database yet: no hub
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db,
            "SELECT " S_COLUMNS " FROM hubs WHERE (?1 = '' OR hub_id = ?1) "
            "AND (?2 = '' OR hub_key = ?2) ORDER BY hub_id LIMIT ?3", -1, &stmt, NULL)
        != SQLITE_OK) {
        char err [300];
        s_fail (self, "list", err, sizeof err);
        free (reply);
        return NULL;
    }
    s_bind (stmt, 1, hub_id);
    s_bind (stmt, 2, hub_key);
    sqlite3_bind_int (stmt, 3, S_MAX_HUBS);
    size_t capacity = 0;
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        if (reply->n_hubs == capacity) {
            capacity = capacity? capacity * 2: 8;
            reply->hubs = (Fogrid__RegistryHub **) realloc (reply->hubs,
                                                            sizeof (void *) * capacity);
        }
        reply->hubs [reply->n_hubs++] = s_hub_from_row (stmt);
    }
    sqlite3_finalize (stmt);
    if (rc != SQLITE_DONE) {
        char err [300];
        s_fail (self, "list", err, sizeof err);
        loc_hubs_reply_destroy (&reply);
    }
    return reply;
}

static size_t
s_count (loc_hubs_t *self, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    size_t size = 0;
    if (self->db
    &&  sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) == SQLITE_OK
    &&  sqlite3_step (stmt) == SQLITE_ROW)
        size = (size_t) sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    return size;
}

size_t
loc_hubs_size (loc_hubs_t *self)
{
    return s_count (self, "SELECT count(*) FROM hubs");
}

size_t
loc_hubs_records (loc_hubs_t *self)
{
    return s_count (self, "SELECT count(*) FROM records");
}

//  --------------------------------------------------------------------------
//  Merging a record into its hub

//  A hub's row with the orders of its fields (the merge's state).
typedef struct {
    bool exists;
    char hub_key [41];
    char ledger_key [65];
    char status [16];
    int64_t stake;
    char reason [S_MAX_REASON + 1];
    char updated_by [FG_SIGNKEY_HEX];
    int64_t created_ms;
    int64_t updated_ms;
    char status_at [S_ORDER_SIZE];
    char hub_key_at [S_ORDER_SIZE];
    char ledger_key_at [S_ORDER_SIZE];
    char stake_at [S_ORDER_SIZE];
} s_row_t;

//  Reads hub_id's row into row (row->exists false when there is none).
//  Returns 0 or -1.
static int
s_row_get (loc_hubs_t *self, const char *hub_id, s_row_t *row)
{
    memset (row, 0, sizeof *row);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db,
            "SELECT hub_key, ledger_key, status, stake, reason, updated_by, created_ms, "
            "updated_ms, status_at, hub_key_at, ledger_key_at, stake_at FROM hubs "
            "WHERE hub_id = ?1", -1, &stmt, NULL) != SQLITE_OK)
        return -1;
    s_bind (stmt, 1, hub_id);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW) {
        row->exists = true;
        snprintf (row->hub_key, sizeof row->hub_key, "%s", s_column (stmt, 0));
        snprintf (row->ledger_key, sizeof row->ledger_key, "%s", s_column (stmt, 1));
        snprintf (row->status, sizeof row->status, "%s", s_column (stmt, 2));
        row->stake = sqlite3_column_int64 (stmt, 3);
        snprintf (row->reason, sizeof row->reason, "%s", s_column (stmt, 4));
        snprintf (row->updated_by, sizeof row->updated_by, "%s", s_column (stmt, 5));
        row->created_ms = sqlite3_column_int64 (stmt, 6);
        row->updated_ms = sqlite3_column_int64 (stmt, 7);
        snprintf (row->status_at, sizeof row->status_at, "%s", s_column (stmt, 8));
        snprintf (row->hub_key_at, sizeof row->hub_key_at, "%s", s_column (stmt, 9));
        snprintf (row->ledger_key_at, sizeof row->ledger_key_at, "%s", s_column (stmt, 10));
        snprintf (row->stake_at, sizeof row->stake_at, "%s", s_column (stmt, 11));
    }
    sqlite3_finalize (stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE? 0: -1;
}

//  Merges record (whose order is order) into row, by the table above.
//  Returns true when the row changed.
static bool
s_merge (s_row_t *row, const Fogrid__RegistrySet *record, const char *order)
{
    s_row_t before = *row;
    int64_t at_ms = (int64_t) record->at_ms;
    if (!row->exists || at_ms < row->created_ms)
        row->created_ms = at_ms;
    row->exists = true;
    if (strcmp (order, row->status_at) > 0) {
        snprintf (row->status, sizeof row->status, "%s", record->status);
        snprintf (row->reason, sizeof row->reason, "%s", record->reason);
        snprintf (row->updated_by, sizeof row->updated_by, "%s",
                  *record->signer? record->signer: "anonymous");
        row->updated_ms = at_ms;
        snprintf (row->status_at, sizeof row->status_at, "%s", order);
    }
    if (*record->hub_key && strcmp (order, row->hub_key_at) > 0) {
        snprintf (row->hub_key, sizeof row->hub_key, "%s", record->hub_key);
        snprintf (row->hub_key_at, sizeof row->hub_key_at, "%s", order);
    }
    if (*record->ledger_key && strcmp (order, row->ledger_key_at) > 0) {
        snprintf (row->ledger_key, sizeof row->ledger_key, "%s", record->ledger_key);
        snprintf (row->ledger_key_at, sizeof row->ledger_key_at, "%s", order);
    }
    if (record->stake >= 0 && strcmp (order, row->stake_at) > 0) {
        row->stake = record->stake;
        snprintf (row->stake_at, sizeof row->stake_at, "%s", order);
    }
    return !before.exists || !streq (before.status, row->status)
        || !streq (before.reason, row->reason) || !streq (before.hub_key, row->hub_key)
        || !streq (before.ledger_key, row->ledger_key) || before.stake != row->stake
        || before.updated_ms != row->updated_ms || before.created_ms != row->created_ms;
}

//  The id of another hub that holds key, into other ("" when none).
static void
s_key_holder (loc_hubs_t *self, const char *key, const char *hub_id, char *other, size_t size)
{
    other [0] = 0;
    Fogrid__RegistryReply *reply = loc_hubs_list (self, NULL, key);
    for (size_t index = 0; reply && index < reply->n_hubs; index++)
        if (!streq (reply->hubs [index]->hub_id, hub_id))
            snprintf (other, size, "%s", reply->hubs [index]->hub_id);
    loc_hubs_reply_destroy (&reply);
}

//  True when the log holds the record with this id.
static bool
s_held (loc_hubs_t *self, const char *id)
{
    sqlite3_stmt *stmt = NULL;
    bool held = sqlite3_prepare_v2 (self->db, "SELECT 1 FROM records WHERE id = ?1", -1, &stmt,
                                    NULL) == SQLITE_OK;
    if (held) {
        s_bind (stmt, 1, id);
        held = sqlite3_step (stmt) == SQLITE_ROW;
    }
    sqlite3_finalize (stmt);
    return held;
}

static int
s_record_insert (loc_hubs_t *self, const Fogrid__RegistrySet *record, const char *id,
                 const char *source)
{
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2 (self->db,
            "INSERT INTO records (id, hub_id, status, hub_key, ledger_key, stake, reason, at_ms, "
            "signer, sign_key, signature, received_ms, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
            "?7, ?8, ?9, ?10, ?11, ?12, ?13)", -1, &stmt, NULL) == SQLITE_OK) {
        s_bind (stmt, 1, id);
        s_bind (stmt, 2, record->hub_id);
        s_bind (stmt, 3, record->status);
        s_bind (stmt, 4, record->hub_key);
        s_bind (stmt, 5, record->ledger_key);
        sqlite3_bind_int64 (stmt, 6, record->stake);
        s_bind (stmt, 7, record->reason);
        sqlite3_bind_int64 (stmt, 8, (int64_t) record->at_ms);
        s_bind (stmt, 9, record->signer);
        s_bind (stmt, 10, record->sign_key);
        s_bind (stmt, 11, record->signature);
        sqlite3_bind_int64 (stmt, 12, fg_now_ms ());
        s_bind (stmt, 13, source);
        rc = sqlite3_step (stmt) == SQLITE_DONE? 0: -1;
    }
    sqlite3_finalize (stmt);
    return rc;
}

static int
s_row_write (loc_hubs_t *self, const char *hub_id, const s_row_t *row, const char *from)
{
    sqlite3_stmt *upsert = NULL, *event = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2 (self->db,
            "INSERT INTO hubs (hub_id, hub_key, ledger_key, status, stake, reason, updated_by, "
            "created_ms, updated_ms, status_at, hub_key_at, ledger_key_at, stake_at) VALUES "
            "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
            "ON CONFLICT (hub_id) DO UPDATE SET hub_key = ?2, ledger_key = ?3, status = ?4, "
            "stake = ?5, reason = ?6, updated_by = ?7, created_ms = ?8, updated_ms = ?9, "
            "status_at = ?10, hub_key_at = ?11, ledger_key_at = ?12, stake_at = ?13",
            -1, &upsert, NULL) == SQLITE_OK
    &&  sqlite3_prepare_v2 (self->db,
            "INSERT INTO hub_events (hub_id, at_ms, from_status, to_status, hub_key, "
            "ledger_key, stake, by_key, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            -1, &event, NULL) == SQLITE_OK) {
        s_bind (upsert, 1, hub_id);
        s_bind (upsert, 2, row->hub_key);
        s_bind (upsert, 3, row->ledger_key);
        s_bind (upsert, 4, row->status);
        sqlite3_bind_int64 (upsert, 5, row->stake);
        s_bind (upsert, 6, row->reason);
        s_bind (upsert, 7, row->updated_by);
        sqlite3_bind_int64 (upsert, 8, row->created_ms);
        sqlite3_bind_int64 (upsert, 9, row->updated_ms);
        s_bind (upsert, 10, row->status_at);
        s_bind (upsert, 11, row->hub_key_at);
        s_bind (upsert, 12, row->ledger_key_at);
        s_bind (upsert, 13, row->stake_at);
        s_bind (event, 1, hub_id);
        sqlite3_bind_int64 (event, 2, row->updated_ms);
        s_bind (event, 3, from);
        s_bind (event, 4, row->status);
        s_bind (event, 5, row->hub_key);
        s_bind (event, 6, row->ledger_key);
        sqlite3_bind_int64 (event, 7, row->stake);
        s_bind (event, 8, row->updated_by);
        s_bind (event, 9, row->reason);
        if (sqlite3_step (upsert) == SQLITE_DONE && sqlite3_step (event) == SQLITE_DONE)
            rc = 0;
    }
    sqlite3_finalize (upsert);
    sqlite3_finalize (event);
    return rc;
}

//  Stores a checked record and merges it, in one transaction. With
//  origin (a client's change), refuses a hub key another hub holds.
//  *fresh: the record was new.
static fg_error_t
s_take (loc_hubs_t *self, const Fogrid__RegistrySet *record, const char *source, bool origin,
        bool *fresh, char *why, size_t why_size)
{
    *fresh = false;
    if (s_open (self, why, why_size))
        return FG_E_INTERNAL;
    char id [65], order [S_ORDER_SIZE];
    fg_hub_record_id (record, id);
    snprintf (order, sizeof order, "%020" PRIu64 " %s %s", record->at_ms, record->signer, id);
    if (s_exec (self, "BEGIN IMMEDIATE", why, why_size))
        return FG_E_INTERNAL;
    fg_error_t rc = FG_E_INTERNAL;
    s_row_t row;
    if (s_held (self, id)) {
        self->stats.duplicates++;
        rc = FG_OK;
    }
    else
    if (s_row_get (self, record->hub_id, &row) == 0) {
        s_row_t merged = row;
        bool changed = s_merge (&merged, record, order);
        char other [64] = "";
        if (origin && *merged.hub_key && !streq (merged.hub_key, row.hub_key))
            s_key_holder (self, merged.hub_key, record->hub_id, other, sizeof other);
        if (*other) {
            snprintf (why, why_size, "the hub key %.12s... belongs to hub %s in the registry: a "
                      "key names one hub", merged.hub_key, other);
            self->stats.refused_invalid++;
            rc = FG_E_INVALID;
        }
        else
        if (s_record_insert (self, record, id, source) == 0
        &&  (!changed || s_row_write (self, record->hub_id, &merged,
                                      row.exists? row.status: "none") == 0)) {
            rc = FG_OK;
            *fresh = true;
            if (changed && !streq (merged.status, row.exists? row.status: "none"))
                zsys_notice ("registry: hub %s: %s -> %s by %.12s...%s%s (stake %" PRId64
                             ", from %s)", record->hub_id, row.exists? row.status: "none",
                             merged.status, merged.updated_by, *merged.reason? ": ": "",
                             merged.reason, merged.stake, source);
            else
            if (changed)
                zsys_notice ("registry: hub %s %s: keys or stake changed by %.12s... (from %s)",
                             record->hub_id, merged.status, merged.updated_by, source);
            else
                zsys_info ("registry: hub %s: a change by %.12s... older than what holds, kept "
                           "in the log only (from %s)", record->hub_id,
                           *record->signer? record->signer: "anonymous", source);
        }
    }
    char text [300];
    if (rc == FG_OK && s_exec (self, "COMMIT", text, sizeof text) == 0)
        return FG_OK;
    if (rc != FG_E_INVALID) {
        //  The reason goes to the caller too: a full disk is the DAO's
        //  to know about, and SQLite's words name nothing private
        snprintf (why, why_size, "the locator could not write its registry: %s",
                  self->db? sqlite3_errmsg (self->db): "not open");
        s_fail (self, "change", text, sizeof text);
        rc = FG_E_INTERNAL;
        *fresh = false;
    }
    //  (SQLite has rolled back already after some errors, a full disk one)
    if (!sqlite3_get_autocommit (self->db))
        s_exec (self, "ROLLBACK", text, sizeof text);
    return rc;
}

fg_error_t
loc_hubs_set (loc_hubs_t *self, const char *key, const Fogrid__RegistrySet *set,
              int64_t now_ms, char *why, size_t why_size)
{
    Fogrid__RegistrySet record = *set;
    //  An unsigned change (admin_keys *) may leave the time to us
    if (record.at_ms == 0 && !fg_hub_record_signed (&record))
        record.at_ms = (uint64_t) now_ms;
    //  Records signed with CurveZMQ keys are read from peers' logs, and
    //  made no more
    if (fg_hub_record_legacy (&record)) {
        snprintf (why, why_size, "the change is signed with a CurveZMQ key, as fogrid command "
                  "lines before signing keys did: sign it with the DAO's signing key (fogrid "
                  "keygen makes NAME.sign beside the key pair; locators list it in "
                  "locator/admin_keys)");
        self->stats.refused_signature++;
        return FG_E_DENIED;
    }
    fg_error_t rc = loc_admins_check (self->admins, &record, why, why_size);
    if (rc)
        return rc;
    if (record.at_ms > (uint64_t) (now_ms + S_MAX_SKEW_MS)) {
        snprintf (why, why_size, "the change is dated %" PRIu64 " s ahead of the locator's clock: "
                  "check the clock of the machine that made it",
                  (record.at_ms - (uint64_t) now_ms) / 1000);
        self->stats.refused_invalid++;
        return FG_E_INVALID;
    }
    char source [64];
    snprintf (source, sizeof source, "client %.12s...", key && *key? key: "anonymous");
    bool fresh;
    rc = s_take (self, &record, source, true, &fresh, why, why_size);
    if (rc == FG_OK && fresh)
        self->stats.taken_client++;
    return rc;
}

fg_error_t
loc_hubs_apply (loc_hubs_t *self, const Fogrid__RegistrySet *record, const char *source,
                bool *fresh, char *why, size_t why_size)
{
    *fresh = false;
    fg_error_t rc = loc_admins_check (self->admins, record, why, why_size);
    if (rc)
        return rc;
    rc = s_take (self, record, source, false, fresh, why, why_size);
    if (rc == FG_OK && *fresh)
        self->stats.taken_peer++;
    return rc;
}

//  --------------------------------------------------------------------------
//  The log, for peers

static void
s_record_free (Fogrid__RegistrySet *record)
{
    if (record) {
        free (record->hub_id);
        free (record->status);
        free (record->hub_key);
        free (record->ledger_key);
        free (record->reason);
        free (record->signer);
        free (record->sign_key);
        free (record->signature);
        free (record);
    }
}

void
loc_hubs_records_destroy (Fogrid__RegistryRecords **records_p)
{
    Fogrid__RegistryRecords *records = *records_p;
    if (records) {
        for (size_t index = 0; index < records->n_entries; index++) {
            s_record_free (records->entries [index]->record);
            free (records->entries [index]);
        }
        free (records->entries);
        free (records->log_id);
        free (records);
        *records_p = NULL;
    }
}

Fogrid__RegistryRecords *
loc_hubs_log_read (loc_hubs_t *self, const char *log_id, uint64_t after, uint32_t max)
{
    Fogrid__RegistryRecords *records = (Fogrid__RegistryRecords *) zmalloc (sizeof *records);
    fogrid__registry_records__init (records);
    records->log_id = strdup (self->log_id);
    if (!self->db)
        return records;
    if (!log_id || !streq (log_id, self->log_id))
        after = 0;                  //  a cursor in another log: from the start
    if (max == 0 || max > S_MAX_SYNC)
        max = S_MAX_SYNC;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db,
            "SELECT seq, hub_id, status, hub_key, ledger_key, stake, reason, at_ms, signer, "
            "sign_key, signature FROM records WHERE seq > ?1 ORDER BY seq LIMIT ?2", -1, &stmt,
            NULL) != SQLITE_OK) {
        char err [300];
        s_fail (self, "log", err, sizeof err);
        loc_hubs_records_destroy (&records);
        return NULL;
    }
    sqlite3_bind_int64 (stmt, 1, (int64_t) (after > INT64_MAX? INT64_MAX: after));
    sqlite3_bind_int (stmt, 2, (int) max + 1);
    records->entries = (Fogrid__RegistryLogEntry **) zmalloc (sizeof (void *) * max);
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        if (records->n_entries == max) {
            records->more = true;
            continue;
        }
        Fogrid__RegistryLogEntry *entry = (Fogrid__RegistryLogEntry *) zmalloc (sizeof *entry);
        fogrid__registry_log_entry__init (entry);
        Fogrid__RegistrySet *record = (Fogrid__RegistrySet *) zmalloc (sizeof *record);
        fogrid__registry_set__init (record);
        entry->seq = (uint64_t) sqlite3_column_int64 (stmt, 0);
        record->hub_id = strdup (s_column (stmt, 1));
        record->status = strdup (s_column (stmt, 2));
        record->hub_key = strdup (s_column (stmt, 3));
        record->ledger_key = strdup (s_column (stmt, 4));
        record->stake = sqlite3_column_int64 (stmt, 5);
        record->reason = strdup (s_column (stmt, 6));
        record->at_ms = (uint64_t) sqlite3_column_int64 (stmt, 7);
        record->signer = strdup (s_column (stmt, 8));
        record->sign_key = strdup (s_column (stmt, 9));
        record->signature = strdup (s_column (stmt, 10));
        entry->record = record;
        records->entries [records->n_entries++] = entry;
    }
    sqlite3_finalize (stmt);
    if (rc != SQLITE_DONE) {
        char err [300];
        s_fail (self, "log", err, sizeof err);
        loc_hubs_records_destroy (&records);
    }
    return records;
}

void
loc_hubs_cursor_get (loc_hubs_t *self, const char *peer, char *log_id, uint64_t *cursor)
{
    log_id [0] = 0;
    *cursor = 0;
    sqlite3_stmt *stmt = NULL;
    if (self->db
    &&  sqlite3_prepare_v2 (self->db, "SELECT log_id, cursor FROM peers WHERE endpoint = ?1",
                            -1, &stmt, NULL) == SQLITE_OK) {
        s_bind (stmt, 1, peer);
        if (sqlite3_step (stmt) == SQLITE_ROW) {
            snprintf (log_id, 33, "%s", s_column (stmt, 0));
            *cursor = (uint64_t) sqlite3_column_int64 (stmt, 1);
        }
    }
    sqlite3_finalize (stmt);
}

int
loc_hubs_cursor_set (loc_hubs_t *self, const char *peer, const char *log_id, uint64_t cursor)
{
    char err [300];
    if (s_open (self, err, sizeof err))
        return -1;
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2 (self->db,
            "INSERT INTO peers (endpoint, log_id, cursor, updated_ms) VALUES (?1, ?2, ?3, ?4) "
            "ON CONFLICT (endpoint) DO UPDATE SET log_id = ?2, cursor = ?3, updated_ms = ?4",
            -1, &stmt, NULL) == SQLITE_OK) {
        s_bind (stmt, 1, peer);
        s_bind (stmt, 2, log_id);
        sqlite3_bind_int64 (stmt, 3, (int64_t) (cursor > INT64_MAX? INT64_MAX: cursor));
        sqlite3_bind_int64 (stmt, 4, fg_now_ms ());
        rc = sqlite3_step (stmt) == SQLITE_DONE? 0: -1;
    }
    sqlite3_finalize (stmt);
    if (rc)
        s_fail (self, "peer cursor", err, sizeof err);
    return rc;
}
