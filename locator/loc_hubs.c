/*  =========================================================================
    loc_hubs - the hub registry (whitelist, hub pool list) the locator keeps

    DESIGN
    One SQLite database (WAL), used only by the locator's thread. The
    registry is small (hubs, not miners) and read on each miner's check,
    so every request goes to the database: no cache to keep right. A
    change and its event row commit together, before the reply: the reply
    is the DAO's proof that it holds.

    The DAO is who holds a key in locator/admin_keys, as the locator's
    ROUTER sees the requester (the CurveZMQ handshake proved it). On a
    plain-text locator there is no key: only `*` lets anyone change it.
    With several locators each keeps its own registry: `fogrid admin
    registry` sends each change to every locator listed.

    Tables:
        hubs (hub_id, hub_key, ledger_key, status, stake, reason,
              updated_by, created_ms, updated_ms)
        hub_events (seq, hub_id, at_ms, from_status, to_status, hub_key,
                    ledger_key, stake, by_key, reason)
    =========================================================================  */
#include "fogrid.h"
#include "loc_hubs.h"
#include <sqlite3.h>
#include <ctype.h>
#include <errno.h>
#include <sys/stat.h>

#define S_MAX_REASON    200
#define S_MAX_HUBS      10000       //  in one reply

struct _loc_hubs_t {
    sqlite3 *db;                //  the open database, NULL while none exists
    char *path;                 //  its file
    zcertstore_t *admin_store;  //  admin keys from a directory, or NULL
    zlist_t *admin_list;        //  admin keys given as text ("*" = anyone)
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
    "  updated_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS hubs_by_key ON hubs (hub_key);"
    "CREATE TABLE IF NOT EXISTS hub_events ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  hub_id TEXT NOT NULL, at_ms INTEGER NOT NULL,"
    "  from_status TEXT NOT NULL, to_status TEXT NOT NULL,"
    "  hub_key TEXT NOT NULL, ledger_key TEXT NOT NULL, stake INTEGER NOT NULL,"
    "  by_key TEXT NOT NULL, reason TEXT NOT NULL);";

//  --------------------------------------------------------------------------
//  Checks

//  A 40-character Z85 CurveZMQ public key.
static bool
s_z85_valid (const char *key)
{
    uint8_t bytes [32];
    return key && strlen (key) == 40 && zmq_z85_decode (bytes, key) != NULL;
}

static bool
s_hex_valid (const char *text, size_t digits)
{
    if (strlen (text) != digits)
        return false;
    for (size_t index = 0; index < digits; index++)
        if (!isxdigit ((unsigned char) text [index]))
            return false;
    return true;
}

static bool
s_hub_id_valid (const char *id)
{
    return id && *id && fg_text_valid (id, 63) && !strchr (id, ' ');
}

bool
loc_hubs_status_valid (const char *status)
{
    return status && (streq (status, "registered") || streq (status, "suspected")
                   || streq (status, "blacklisted"));
}

static bool
s_is_dir (const char *path)
{
    struct stat info;
    return stat (path, &info) == 0 && S_ISDIR (info.st_mode);
}

int
loc_hubs_check_config (fg_config_t *config, char *err, size_t err_size)
{
    const char *keys = fg_config_str (config, "locator/admin_keys");
    if (!*keys || s_is_dir (keys))
        return 0;
    zlist_t *list = fg_split_list (keys);
    int rc = 0;
    for (char *key = (char *) zlist_first (list); key && !rc; key = (char *) zlist_next (list))
        if (!streq (key, "*") && !s_z85_valid (key)) {
            snprintf (err, err_size, "locator/admin_keys: '%.60s' is neither a directory nor a "
                      "Z85 public key (40 characters), nor *", key);
            rc = -1;
        }
    zlist_destroy (&list);
    return rc;
}

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
    if (s_exec (self, "PRAGMA journal_mode=WAL", err, err_size)
    ||  s_exec (self, "PRAGMA synchronous=NORMAL", err, err_size)
    ||  s_exec (self, s_schema, err, err_size)) {
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
    if (admin_keys && *admin_keys) {
        if (s_is_dir (admin_keys))
            self->admin_store = zcertstore_new (admin_keys);
        else
            self->admin_list = fg_split_list (admin_keys);
    }
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
        zcertstore_destroy (&self->admin_store);
        zlist_destroy (&self->admin_list);
        free (self->path);
        free (self);
        *self_p = NULL;
    }
}

bool
loc_hubs_is_admin (loc_hubs_t *self, const char *key)
{
    for (char *admin = self->admin_list? (char *) zlist_first (self->admin_list): NULL; admin;
         admin = (char *) zlist_next (self->admin_list))
        if (streq (admin, "*") || (key && *key && streq (admin, key)))
            return true;
    return self->admin_store && key && *key && zcertstore_lookup (self->admin_store, key);
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

size_t
loc_hubs_size (loc_hubs_t *self)
{
    sqlite3_stmt *stmt = NULL;
    size_t size = 0;
    if (self->db
    &&  sqlite3_prepare_v2 (self->db, "SELECT count(*) FROM hubs", -1, &stmt, NULL) == SQLITE_OK
    &&  sqlite3_step (stmt) == SQLITE_ROW)
        size = (size_t) sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    return size;
}

//  --------------------------------------------------------------------------
//  Changing

//  Checks a change's fields. Returns FG_OK or FG_E_INVALID with why.
static fg_error_t
s_check_set (const Fogrid__RegistrySet *set, char *why, size_t why_size)
{
    if (!s_hub_id_valid (set->hub_id))
        snprintf (why, why_size, "'%.64s' is not a hub id (1..63 printable characters, no "
                  "spaces)", set->hub_id? set->hub_id: "");
    else
    if (!loc_hubs_status_valid (set->status))
        snprintf (why, why_size, "'%.32s' is not a status (registered, suspected, blacklisted)",
                  set->status? set->status: "");
    else
    if (*set->hub_key && !s_z85_valid (set->hub_key))
        snprintf (why, why_size, "the hub key must be a CurveZMQ public key (40 Z85 characters)");
    else
    if (*set->ledger_key && !s_hex_valid (set->ledger_key, 64))
        snprintf (why, why_size, "the ledger key must be 64 hex digits (as fogrid admin wallet "
                  "shows it)");
    else
    if (set->stake < -1)
        snprintf (why, why_size, "the stake must be 0 or more (-1 keeps the recorded one)");
    else
    if (!fg_text_valid (set->reason, S_MAX_REASON))
        snprintf (why, why_size, "the reason must be at most %d printable characters", S_MAX_REASON);
    else
    if (!*set->reason && !streq (set->status, "registered"))
        snprintf (why, why_size, "a reason is required to mark a hub %s", set->status);
    else
        return FG_OK;
    return FG_E_INVALID;
}

//  The hub's row as it is, or NULL when it is not in the registry.
static Fogrid__RegistryHub *
s_hub_get (loc_hubs_t *self, const char *hub_id)
{
    Fogrid__RegistryReply *reply = loc_hubs_list (self, hub_id, NULL);
    Fogrid__RegistryHub *hub = NULL;
    if (reply && reply->n_hubs == 1) {
        hub = reply->hubs [0];
        reply->n_hubs = 0;
    }
    loc_hubs_reply_destroy (&reply);
    return hub;
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

fg_error_t
loc_hubs_set (loc_hubs_t *self, const char *key, const Fogrid__RegistrySet *set,
              int64_t now_ms, char *why, size_t why_size)
{
    if (!loc_hubs_is_admin (self, key)) {
        snprintf (why, why_size, "only the DAO may change the hub registry: this key is not in "
                  "the locator's locator/admin_keys");
        return FG_E_DENIED;
    }
    fg_error_t rc = s_check_set (set, why, why_size);
    if (rc)
        return rc;
    if (s_open (self, why, why_size))
        return FG_E_INTERNAL;
    Fogrid__RegistryHub *old = s_hub_get (self, set->hub_id);
    const char *hub_key = *set->hub_key? set->hub_key: old? old->hub_key: "";
    const char *ledger_key = *set->ledger_key? set->ledger_key: old? old->ledger_key: "";
    int64_t stake = set->stake >= 0? set->stake: old? old->stake: 0;
    const char *from = old? old->status: "none";
    char other [64];
    if (*hub_key)
        s_key_holder (self, hub_key, set->hub_id, other, sizeof other);
    if (*hub_key && *other) {
        snprintf (why, why_size, "the hub key %.12s... belongs to hub %s in the registry: a key "
                  "names one hub", hub_key, other);
        s_hub_destroy (&old);
        return FG_E_INVALID;
    }
    if (old && streq (old->status, set->status) && streq (old->hub_key, hub_key)
    &&  streq (old->ledger_key, ledger_key) && old->stake == stake
    &&  (!*set->reason || streq (old->reason, set->reason))) {
        s_hub_destroy (&old);
        return FG_OK;           //  nothing changes: a retry
    }
    sqlite3_stmt *upsert = NULL, *event = NULL;
    rc = FG_E_INTERNAL;
    if (s_exec (self, "BEGIN IMMEDIATE", why, why_size) == 0) {
        if (sqlite3_prepare_v2 (self->db,
                "INSERT INTO hubs (hub_id, hub_key, ledger_key, status, stake, reason, updated_by, "
                "created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) "
                "ON CONFLICT (hub_id) DO UPDATE SET hub_key = ?2, ledger_key = ?3, status = ?4, "
                "stake = ?5, reason = ?6, updated_by = ?7, updated_ms = ?8", -1, &upsert, NULL)
            == SQLITE_OK
        &&  sqlite3_prepare_v2 (self->db,
                "INSERT INTO hub_events (hub_id, at_ms, from_status, to_status, hub_key, "
                "ledger_key, stake, by_key, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                -1, &event, NULL) == SQLITE_OK) {
            const char *by = key && *key? key: "anonymous";
            s_bind (upsert, 1, set->hub_id);
            s_bind (upsert, 2, hub_key);
            s_bind (upsert, 3, ledger_key);
            s_bind (upsert, 4, set->status);
            sqlite3_bind_int64 (upsert, 5, stake);
            s_bind (upsert, 6, set->reason);
            s_bind (upsert, 7, by);
            sqlite3_bind_int64 (upsert, 8, now_ms);
            s_bind (event, 1, set->hub_id);
            sqlite3_bind_int64 (event, 2, now_ms);
            s_bind (event, 3, from);
            s_bind (event, 4, set->status);
            s_bind (event, 5, hub_key);
            s_bind (event, 6, ledger_key);
            sqlite3_bind_int64 (event, 7, stake);
            s_bind (event, 8, by);
            s_bind (event, 9, set->reason);
            if (sqlite3_step (upsert) == SQLITE_DONE && sqlite3_step (event) == SQLITE_DONE
            &&  s_exec (self, "COMMIT", why, why_size) == 0)
                rc = FG_OK;
        }
        if (rc != FG_OK) {
            s_fail (self, "change", why, why_size);
            s_exec (self, "ROLLBACK", why, why_size);
            snprintf (why, why_size, "the locator could not write its registry (see its log)");
        }
    }
    sqlite3_finalize (upsert);
    sqlite3_finalize (event);
    if (rc == FG_OK)
        zsys_notice ("registry: hub %s: %s -> %s by %.12s...%s%s (stake %" PRId64 ")", set->hub_id,
                     from, set->status, key && *key? key: "anonymous", *set->reason? ": ": "",
                     set->reason, stake);
    s_hub_destroy (&old);
    return rc;
}

//  --------------------------------------------------------------------------
//  The locator's hook

static void
s_send_reply (zsock_t *router, zframe_t *peer, uint64_t seq, Fogrid__RegistryReply *reply)
{
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_REGISTRY_REPLY;
    env.registry_reply = reply;
    fg_msg_send (router, peer, &env);
}

bool
loc_hubs_handle (loc_hubs_t *self, zsock_t *router, zframe_t *peer, uint64_t seq,
                 const char *key, fg_env_t *env)
{
    if (env->body_case == FOGRID__ENVELOPE__BODY_REGISTRY_LIST) {
        Fogrid__RegistryList *request = env->registry_list;
        Fogrid__RegistryReply *reply = fg_text_valid (request->hub_id, 63)
                                    && fg_text_valid (request->hub_key, 40)
                                     ? loc_hubs_list (self, request->hub_id, request->hub_key)
                                     : NULL;
        if (reply)
            s_send_reply (router, peer, seq, reply);
        else
            fg_msg_send_error (router, peer, seq, FG_E_INVALID,
                               "registry: a bad filter, or the registry cannot be read");
        loc_hubs_reply_destroy (&reply);
        return true;
    }
    if (env->body_case == FOGRID__ENVELOPE__BODY_REGISTRY_SET) {
        Fogrid__RegistrySet *request = env->registry_set;
        char why [300];
        fg_error_t rc = loc_hubs_set (self, key, request, fg_now_ms (), why, sizeof why);
        if (rc) {
            zsys_warning ("registry: refused %.12s...'s change of hub %.63s to %.16s: %s",
                          *key? key: "anonymous", request->hub_id, request->status, why);
            fg_msg_send_error (router, peer, seq, rc, "%s", why);
            return true;
        }
        Fogrid__RegistryReply *reply = loc_hubs_list (self, request->hub_id, NULL);
        if (reply)
            s_send_reply (router, peer, seq, reply);
        else
            fg_msg_send_error (router, peer, seq, FG_E_INTERNAL, "registry: cannot read it back");
        loc_hubs_reply_destroy (&reply);
        return true;
    }
    return false;
}
