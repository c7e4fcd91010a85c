/*  =========================================================================
    hub_ledger - the hub's double-entry ledger: who holds what, and why

    DESIGN
    The ledger lives in the task store's database (hub.db) and uses the
    store's connection, so its writes join the transaction the server opens
    for each event: the change of a task's state and the money that moves
    with it commit together or not at all, and a hub killed at any moment
    cannot leave one without the other. Each apply runs in a SAVEPOINT of
    its own, which nests in that transaction (or is one when none is open),
    so a refused transfer undoes only itself.

    Tables:
        ledger_entries (seq, id UNIQUE, at_ms, from_account, to_account,
                        amount, memo, hash, signature)
        ledger_accounts (name, balance)     what the entries add up to,
                                            kept so a balance is one read
        ledger_meta (key, value)            public_key, head
        ledger_own (account)                accounts that are the hub's
                                            own (its miner): never paid

    Each entry's hash is SHA-256 (previous entry's hash || its canonical
    content); the first entry's previous hash is 32 zero bytes. The content
    is a text with every string length-prefixed, so no two entries share
    one. The signature is Ed25519 over the hash. An entry changed in the
    database no longer matches its hash; a hash recomputed to match no
    longer matches its signature, which only the key file can make. The
    head (last seq and hash, signed separately) catches entries cut off the
    end; a copy of an older database with its own old head is the one
    thing a local check cannot see, which is why payouts carry receipts.

    Balances never go below zero except world's (a CHECK in the table as
    well as here); sums are computed in int64 with every step checked.
    =========================================================================  */
#include "fogrid.h"
#include "hub_sql.h"
#include "hub_ledger.h"
#include "fg_signkey.h"
#include <sqlite3.h>
#include <sodium.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

#define S_HASH_BYTES    crypto_hash_sha256_BYTES            //  32
#define S_SIG_BYTES     crypto_sign_BYTES                   //  64
#define S_MAX_ID        200
#define S_MAX_ACCOUNT   160
#define S_MAX_MEMO      256

struct _hub_ledger_t {
    sqlite3 *db;                //  the store's connection (not owned)
    char *path;                 //  the database file
    char *who;                  //  "ledger PATH", for log lines
    fg_signkey_t *key;          //  the ledger's signing key (Ed25519)
    hub_sql_cache_t *cache;     //  statements, prepared once (a transfer runs several)
};

static const char *s_schema =
    "CREATE TABLE IF NOT EXISTS ledger_entries ("
    "  seq INTEGER PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  at_ms INTEGER NOT NULL,"
    "  from_account TEXT NOT NULL,"
    "  to_account TEXT NOT NULL,"
    "  amount INTEGER NOT NULL CHECK (amount > 0),"
    "  memo TEXT NOT NULL DEFAULT '',"
    "  hash TEXT NOT NULL,"
    "  signature TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS ledger_by_from ON ledger_entries (from_account);"
    "CREATE INDEX IF NOT EXISTS ledger_by_to ON ledger_entries (to_account);"
    "CREATE TABLE IF NOT EXISTS ledger_accounts ("
    "  name TEXT PRIMARY KEY,"
    "  balance INTEGER NOT NULL CHECK (balance >= 0 OR name = 'world'));"
    "CREATE TABLE IF NOT EXISTS ledger_meta ("
    "  key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS ledger_own ("
    "  account TEXT PRIMARY KEY);";

static const char *s_results [HUB_LEDGER_RESULTS] = {
    [HUB_LEDGER_OK] = "applied",
    [HUB_LEDGER_REPLAY] = "already applied (a retry)",
    [HUB_LEDGER_FUNDS] = "insufficient funds",
    [HUB_LEDGER_INVALID] = "invalid transfer (id, account or amount)",
    [HUB_LEDGER_CONFLICT] = "transfer id already used for a different transfer",
    [HUB_LEDGER_OVERFLOW] = "amount out of range",
    [HUB_LEDGER_STORAGE] = "ledger storage failure",
    [HUB_LEDGER_SELF] = "refused: a hub cannot pay itself",
};

int64_t
hub_ledger_fee (int64_t amount, int64_t percent)
{
    return amount / 100 * percent + amount % 100 * percent / 100;
}

const char *
hub_ledger_strerror (hub_ledger_rc_t rc)
{
    if (rc < 0 || rc >= HUB_LEDGER_RESULTS)
        return "unknown ledger result";
    return s_results [rc];
}

//  --------------------------------------------------------------------------
//  SQLite helpers (errors are translated here, once)

static int
s_fail (hub_ledger_t *self, const char *what)
{
    return hub_sql_fail (self->db, self->who, what);
}

static int
s_exec (hub_ledger_t *self, const char *sql)
{
    return hub_sql_exec (self->db, self->who, sql);
}

//  Statements come from the cache: a transfer is on the hub's hot path
//  (every placement and result moves money), and parsing its SQL cost
//  more than running it. Reset after use, never finalized.
static sqlite3_stmt *
s_prepare (hub_ledger_t *self, const char *sql)
{
    return hub_sql_cached (self->cache, sql);
}

static int
s_run (hub_ledger_t *self, sqlite3_stmt *stmt, const char *what)
{
    return hub_sql_cached_run (self->cache, stmt, what);
}



static int
s_meta_get (hub_ledger_t *self, const char *key, char *value, size_t size)
{
    sqlite3_stmt *stmt = s_prepare (self, "SELECT value FROM ledger_meta WHERE key = ?");
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

static int
s_meta_set (hub_ledger_t *self, const char *key, const char *value)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "INSERT OR REPLACE INTO ledger_meta (key, value) VALUES (?, ?)");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, key);
    hub_sql_bind_text (stmt, 2, value);
    return s_run (self, stmt, "meta set");
}

//  --------------------------------------------------------------------------
//  Hashes and signatures

static void
s_hex (const unsigned char *bytes, size_t size, char *hex)
{
    sodium_bin2hex (hex, 2 * size + 1, bytes, size);
}

static int
s_unhex (const char *hex, unsigned char *bytes, size_t size)
{
    size_t got = 0;
    if (strlen (hex) != 2 * size
    ||  sodium_hex2bin (bytes, size, hex, strlen (hex), NULL, &got, NULL) != 0
    ||  got != size)
        return -1;
    return 0;
}

//  hash = SHA-256 (prev || canonical content of the entry)
static void
s_entry_hash (const unsigned char *prev, int64_t seq, const char *id, int64_t at_ms,
              const char *from, const char *to, int64_t amount, const char *memo,
              unsigned char *hash)
{
    char *content = zsys_sprintf (
        "fogrid-ledger/1\n%" PRId64 "\n%zu:%s\n%" PRId64 "\n%zu:%s\n%zu:%s\n%" PRId64 "\n%zu:%s\n",
        seq, strlen (id), id, at_ms, strlen (from), from, strlen (to), to, amount,
        strlen (memo), memo);
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init (&state);
    crypto_hash_sha256_update (&state, prev, S_HASH_BYTES);
    crypto_hash_sha256_update (&state, (const unsigned char *) content, strlen (content));
    crypto_hash_sha256_final (&state, hash);
    zstr_free (&content);
}

//  What the head's signature covers: a text of its own, so an entry's
//  signature can never pass as a head's
static char *
s_head_text (int64_t seq, const char *hash_hex)
{
    return zsys_sprintf ("fogrid-ledger-head/1\n%" PRId64 "\n%s\n", seq, hash_hex);
}

static void
s_sign (hub_ledger_t *self, const unsigned char *message, size_t size, char *sig_hex)
{
    fg_signkey_sign (self->key, message, size, sig_hex);
}

static bool
s_signature_ok (hub_ledger_t *self, const unsigned char *message, size_t size,
                const char *sig_hex)
{
    return fg_signkey_verify (fg_signkey_public_txt (self->key), message, size, sig_hex) == 0;
}

//  --------------------------------------------------------------------------
//  The signing key file

//  Reads the key file's seed, or makes a new one (0600) when it is missing.
static int
s_key_load (const char *key_file, unsigned char *seed, char *err, size_t err_size)
{
    if (!zsys_file_exists (key_file)) {
        char *dir = strdup (key_file);
        char *slash = strrchr (dir, '/');
        if (slash && slash != dir) {
            *slash = 0;
            if (zsys_dir_create ("%s", dir) == 0)
                chmod (dir, 0700);
        }
        free (dir);
        randombytes_buf (seed, crypto_sign_SEEDBYTES);
        char hex [2 * crypto_sign_SEEDBYTES + 1];
        s_hex (seed, crypto_sign_SEEDBYTES, hex);
        int fd = open (key_file, O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd < 0) {
            snprintf (err, err_size, "cannot create the ledger key %s: %s", key_file,
                      strerror (errno));
            return -1;
        }
        char *text = zsys_sprintf (
            "#   fogrid hub ledger signing key (Ed25519 seed): keep it secret.\n"
            "#   Losing it means the ledger can no longer be extended under this\n"
            "#   hub's key; anyone holding it can sign entries as this hub.\n"
            "seed = \"%s\"\n", hex);
        ssize_t size = (ssize_t) strlen (text);
        bool ok = write (fd, text, (size_t) size) == size && fsync (fd) == 0;
        close (fd);
        zstr_free (&text);
        sodium_memzero (hex, sizeof hex);
        if (!ok) {
            snprintf (err, err_size, "cannot write the ledger key %s: %s", key_file,
                      strerror (errno));
            unlink (key_file);
            return -1;
        }
        zsys_notice ("ledger: made a new signing key in %s", key_file);
        return 0;
    }
    struct stat st;
    if (stat (key_file, &st) == 0 && (st.st_mode & 077))
        zsys_warning ("ledger: %s is readable by others (mode %03o): chmod 600 it",
                      key_file, (unsigned) (st.st_mode & 0777));
    zconfig_t *config = zconfig_load (key_file);
    const char *hex = config? zconfig_get (config, "seed", ""): "";
    int rc = s_unhex (hex, seed, crypto_sign_SEEDBYTES);
    zconfig_destroy (&config);
    if (rc)
        snprintf (err, err_size, "the ledger key %s holds no valid seed "
                  "(want seed = \"64 hex digits\")", key_file);
    return rc;
}

//  --------------------------------------------------------------------------
//  Construction

hub_ledger_t *
hub_ledger_new (hub_store_t *store, const char *key_file, char *err, size_t err_size)
{
    if (sodium_init () < 0) {
        snprintf (err, err_size, "libsodium cannot be initialized");
        return NULL;
    }
    hub_ledger_t *self = (hub_ledger_t *) zmalloc (sizeof (hub_ledger_t));
    self->db = hub_store_db (store);
    self->path = strdup (hub_store_path (store));
    self->who = zsys_sprintf ("ledger %s", self->path);
    self->cache = hub_sql_cache_new (self->db, self->who);
    if (s_exec (self, s_schema)) {
        snprintf (err, err_size, "cannot create the ledger tables in %s", self->path);
        hub_ledger_destroy (&self);
        return NULL;
    }
    unsigned char seed [crypto_sign_SEEDBYTES];
    if (s_key_load (key_file, seed, err, err_size)) {
        hub_ledger_destroy (&self);
        return NULL;
    }
    //  (the file is the seed alone, as it always was; fg_signkey signs)
    self->key = fg_signkey_new_from_seed (seed);
    sodium_memzero (seed, sizeof seed);
    if (!self->key) {
        snprintf (err, err_size, "libsodium cannot be initialized");
        hub_ledger_destroy (&self);
        return NULL;
    }
    const char *pk_hex = fg_signkey_public_txt (self->key);

    //  The ledger stays under the key it was started with
    char recorded [200];
    if (s_meta_get (self, "public_key", recorded, sizeof recorded) == 0) {
        if (!streq (recorded, pk_hex)) {
            snprintf (err, err_size, "the ledger in %s was signed with key %.16s..., but %s "
                      "holds key %.16s...: restore the hub's own key file",
                      self->path, recorded, key_file, pk_hex);
            hub_ledger_destroy (&self);
            return NULL;
        }
    }
    else
    if (s_meta_set (self, "public_key", pk_hex)) {
        snprintf (err, err_size, "cannot write to the ledger in %s", self->path);
        hub_ledger_destroy (&self);
        return NULL;
    }
    return self;
}

void
hub_ledger_destroy (hub_ledger_t **self_p)
{
    if (*self_p) {
        hub_ledger_t *self = *self_p;
        fg_signkey_destroy (&self->key);
        hub_sql_cache_destroy (&self->cache);
        free (self->path);
        zstr_free (&self->who);
        free (self);
        *self_p = NULL;
    }
}

const char *
hub_ledger_public_key (hub_ledger_t *self)
{
    return fg_signkey_public_txt (self->key);
}

int
hub_ledger_sign (hub_ledger_t *self, const char *text, char *sig_hex)
{
    if (!text || strncmp (text, "fogrid-", 7) || strncmp (text, "fogrid-ledger", 13) == 0
    ||  strlen (text) <= S_HASH_BYTES) {
        zsys_error ("ledger: refused to sign a text that is not a fogrid document");
        return -1;
    }
    s_sign (self, (const unsigned char *) text, strlen (text), sig_hex);
    return 0;
}

bool
hub_ledger_signed (hub_ledger_t *self, const char *text, const char *sig_hex)
{
    return text && sig_hex && s_signature_ok (self, (const unsigned char *) text, strlen (text), sig_hex);
}

//  --------------------------------------------------------------------------
//  Transfers

bool
hub_ledger_account_valid (const char *name)
{
    static const char *fixed [] = {
        "world", "owner", "dao", "hub:fee", "hub:wallet:free", "hub:wallet:frozen", NULL
    };
    static const char *prefixes [] = { "buyer:", "escrow:", "miner:", "settle:", "stake:",
                                       "court:", NULL };
    if (!name || !fg_text_valid (name, S_MAX_ACCOUNT) || strchr (name, ' '))
        return false;
    for (int index = 0; fixed [index]; index++)
        if (streq (name, fixed [index]))
            return true;
    for (int index = 0; prefixes [index]; index++) {
        size_t size = strlen (prefixes [index]);
        if (strncmp (name, prefixes [index], size) == 0 && name [size])
            return true;
    }
    return false;
}

bool
hub_ledger_account_hub (const char *name)
{
    return name && (streq (name, "hub:fee") || streq (name, "hub:wallet:free")
                ||  streq (name, "hub:wallet:frozen") || streq (name, "owner"));
}

int
hub_ledger_own_add (hub_ledger_t *self, const char *account)
{
    if (!hub_ledger_account_valid (account))
        return -1;
    sqlite3_stmt *stmt = s_prepare (self, "INSERT OR IGNORE INTO ledger_own (account) VALUES (?)");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, account);
    return s_run (self, stmt, "own add");
}

bool
hub_ledger_own (hub_ledger_t *self, const char *account)
{
    sqlite3_stmt *stmt = s_prepare (self, "SELECT 1 FROM ledger_own WHERE account = ?");
    if (!stmt)
        return false;
    hub_sql_bind_text (stmt, 1, account);
    bool own = sqlite3_step (stmt) == SQLITE_ROW;
    hub_sql_done (stmt);
    return own;
}

//  True when the transfer would have the hub pay itself: between its own
//  accounts, money goes only to owner (payday, closing); to an account
//  marked as its own (its miner), nothing goes.
static bool
s_pays_itself (hub_ledger_t *self, const hub_transfer_t *transfer)
{
    if (hub_ledger_account_hub (transfer->from) && hub_ledger_account_hub (transfer->to)
    &&  !streq (transfer->to, "owner"))
        return true;
    return hub_ledger_own (self, transfer->to);
}

static bool
s_transfer_valid (const hub_transfer_t *transfer)
{
    return transfer->id && *transfer->id && fg_text_valid (transfer->id, S_MAX_ID)
        && hub_ledger_account_valid (transfer->from)
        && hub_ledger_account_valid (transfer->to)
        && !streq (transfer->from, transfer->to)
        && transfer->amount > 0
        && (!transfer->memo || fg_text_valid (transfer->memo, S_MAX_MEMO));
}

int
hub_ledger_balance (hub_ledger_t *self, const char *account, int64_t *balance)
{
    *balance = 0;
    sqlite3_stmt *stmt = s_prepare (self, "SELECT balance FROM ledger_accounts WHERE name = ?");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, account);
    int step = sqlite3_step (stmt);
    if (step == SQLITE_ROW)
        *balance = sqlite3_column_int64 (stmt, 0);
    hub_sql_done (stmt);
    return step == SQLITE_ROW || step == SQLITE_DONE? 0: s_fail (self, "balance");
}

static int
s_balance_set (hub_ledger_t *self, const char *account, int64_t balance)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "INSERT INTO ledger_accounts (name, balance) VALUES (?, ?)"
        " ON CONFLICT (name) DO UPDATE SET balance = excluded.balance");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, account);
    sqlite3_bind_int64 (stmt, 2, balance);
    return s_run (self, stmt, "balance set");
}

//  The last entry's seq and hash (seq 0 and zero bytes when empty).
static int
s_last (hub_ledger_t *self, int64_t *seq, unsigned char *hash)
{
    *seq = 0;
    memset (hash, 0, S_HASH_BYTES);
    sqlite3_stmt *stmt = s_prepare (self,
        "SELECT seq, hash FROM ledger_entries ORDER BY seq DESC LIMIT 1");
    if (!stmt)
        return -1;
    int rc = 0;
    int step = sqlite3_step (stmt);
    if (step == SQLITE_ROW) {
        *seq = sqlite3_column_int64 (stmt, 0);
        if (s_unhex (hub_sql_column_text (stmt, 1), hash, S_HASH_BYTES)) {
            zsys_error ("ledger %s: row %" PRId64 " has a malformed hash", self->path, *seq);
            rc = -1;
        }
    }
    else
    if (step != SQLITE_DONE)
        rc = s_fail (self, "last entry");
    hub_sql_done (stmt);
    return rc;
}

//  0 when id is unused, 1 when it was used for this very transfer, 2 when
//  for another one, -1 on a storage error.
static int
s_lookup_id (hub_ledger_t *self, const hub_transfer_t *transfer)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "SELECT from_account, to_account, amount FROM ledger_entries WHERE id = ?");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, transfer->id);
    int rc = 0;
    int step = sqlite3_step (stmt);
    if (step == SQLITE_ROW)
        rc = streq (hub_sql_column_text (stmt, 0), transfer->from)
          && streq (hub_sql_column_text (stmt, 1), transfer->to)
          && sqlite3_column_int64 (stmt, 2) == transfer->amount? 1: 2;
    else
    if (step != SQLITE_DONE)
        rc = s_fail (self, "lookup");
    hub_sql_done (stmt);
    return rc;
}

//  Applies one new transfer inside the open savepoint.
static hub_ledger_rc_t
s_apply_one (hub_ledger_t *self, const hub_transfer_t *transfer)
{
    int64_t from_balance, to_balance;
    if (hub_ledger_balance (self, transfer->from, &from_balance)
    ||  hub_ledger_balance (self, transfer->to, &to_balance))
        return HUB_LEDGER_STORAGE;
    bool from_world = streq (transfer->from, "world");
    if (!from_world && from_balance < transfer->amount)
        return HUB_LEDGER_FUNDS;
    if (from_world && from_balance < INT64_MIN + transfer->amount)
        return HUB_LEDGER_OVERFLOW;
    if (to_balance > INT64_MAX - transfer->amount)
        return HUB_LEDGER_OVERFLOW;

    int64_t seq;
    unsigned char prev [S_HASH_BYTES], hash [S_HASH_BYTES];
    if (s_last (self, &seq, prev))
        return HUB_LEDGER_STORAGE;
    seq++;
    int64_t at_ms = fg_now_ms ();
    const char *memo = transfer->memo? transfer->memo: "";
    s_entry_hash (prev, seq, transfer->id, at_ms, transfer->from, transfer->to,
                  transfer->amount, memo, hash);
    char hash_hex [2 * S_HASH_BYTES + 1], sig_hex [2 * S_SIG_BYTES + 1];
    s_hex (hash, S_HASH_BYTES, hash_hex);
    s_sign (self, hash, S_HASH_BYTES, sig_hex);

    sqlite3_stmt *stmt = s_prepare (self,
        "INSERT INTO ledger_entries (seq, id, at_ms, from_account, to_account, amount, memo,"
        " hash, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!stmt)
        return HUB_LEDGER_STORAGE;
    sqlite3_bind_int64 (stmt, 1, seq);
    hub_sql_bind_text (stmt, 2, transfer->id);
    sqlite3_bind_int64 (stmt, 3, at_ms);
    hub_sql_bind_text (stmt, 4, transfer->from);
    hub_sql_bind_text (stmt, 5, transfer->to);
    sqlite3_bind_int64 (stmt, 6, transfer->amount);
    hub_sql_bind_text (stmt, 7, memo);
    hub_sql_bind_text (stmt, 8, hash_hex);
    hub_sql_bind_text (stmt, 9, sig_hex);
    if (s_run (self, stmt, "entry add"))
        return HUB_LEDGER_STORAGE;

    char *head_text = s_head_text (seq, hash_hex);
    char head_sig [2 * S_SIG_BYTES + 1];
    s_sign (self, (const unsigned char *) head_text, strlen (head_text), head_sig);
    zstr_free (&head_text);
    char *head = zsys_sprintf ("%" PRId64 " %s %s", seq, hash_hex, head_sig);
    int rc = s_balance_set (self, transfer->from, from_balance - transfer->amount)
          || s_balance_set (self, transfer->to, to_balance + transfer->amount)
          || s_meta_set (self, "head", head);
    zstr_free (&head);
    return rc? HUB_LEDGER_STORAGE: HUB_LEDGER_OK;
}

hub_ledger_rc_t
hub_ledger_apply (hub_ledger_t *self, const hub_transfer_t *transfers, size_t count)
{
    if (count == 0)
        return HUB_LEDGER_INVALID;
    for (size_t index = 0; index < count; index++)
        if (!s_transfer_valid (&transfers [index])) {
            zsys_warning ("ledger: refused transfer '%.200s': invalid id, accounts or amount",
                          transfers [index].id? transfers [index].id: "");
            return HUB_LEDGER_INVALID;
        }
    for (size_t index = 0; index < count; index++)
        if (s_pays_itself (self, &transfers [index])) {
            zsys_warning ("ledger: refused transfer %s (%s -> %s): a hub cannot pay itself",
                          transfers [index].id, transfers [index].from, transfers [index].to);
            return HUB_LEDGER_SELF;
        }
    if (hub_sql_cached_exec (self->cache, "SAVEPOINT hub_ledger"))
        return HUB_LEDGER_STORAGE;
    hub_ledger_rc_t rc = HUB_LEDGER_REPLAY;
    for (size_t index = 0; index < count; index++) {
        const hub_transfer_t *transfer = &transfers [index];
        int used = s_lookup_id (self, transfer);
        hub_ledger_rc_t one = used < 0? HUB_LEDGER_STORAGE
                            : used == 1? HUB_LEDGER_REPLAY
                            : used == 2? HUB_LEDGER_CONFLICT
                            : s_apply_one (self, transfer);
        if (one == HUB_LEDGER_OK)
            rc = HUB_LEDGER_OK;
        else
        if (one != HUB_LEDGER_REPLAY) {
            rc = one;
            break;
        }
    }
    if (rc == HUB_LEDGER_OK || rc == HUB_LEDGER_REPLAY) {
        if (hub_sql_cached_exec (self->cache, "RELEASE hub_ledger")) {
            hub_sql_cached_exec (self->cache, "ROLLBACK TO hub_ledger");
            hub_sql_cached_exec (self->cache, "RELEASE hub_ledger");
            rc = HUB_LEDGER_STORAGE;
        }
    }
    else {
        hub_sql_cached_exec (self->cache, "ROLLBACK TO hub_ledger");
        hub_sql_cached_exec (self->cache, "RELEASE hub_ledger");
    }
    return rc;
}

hub_ledger_rc_t
hub_ledger_transfer (hub_ledger_t *self, const char *id, const char *from, const char *to,
                     int64_t amount, const char *memo)
{
    hub_transfer_t transfer = { id, from, to, amount, memo };
    return hub_ledger_apply (self, &transfer, 1);
}

//  --------------------------------------------------------------------------
//  Reading

int
hub_ledger_accounts (hub_ledger_t *self, const char *prefix, bool with_zero,
                     hub_ledger_account_fn *fn, void *arg)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "SELECT name, balance FROM ledger_accounts"
        " WHERE substr (name, 1, length (?1)) = ?1 AND (?2 OR balance != 0)"
        " ORDER BY name");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, prefix);
    sqlite3_bind_int (stmt, 2, with_zero);
    int step;
    while ((step = sqlite3_step (stmt)) == SQLITE_ROW)
        fn (arg, hub_sql_column_text (stmt, 0), sqlite3_column_int64 (stmt, 1));
    int rc = step == SQLITE_DONE? 0: s_fail (self, "accounts");
    hub_sql_done (stmt);
    return rc;
}

#define S_ENTRY_COLUMNS "seq, id, at_ms, from_account, to_account, amount, memo, hash, signature"

static void
s_entry_from_row (sqlite3_stmt *stmt, hub_entry_t *entry)
{
    entry->seq = sqlite3_column_int64 (stmt, 0);
    entry->id = hub_sql_column_text (stmt, 1);
    entry->at_ms = sqlite3_column_int64 (stmt, 2);
    entry->from = hub_sql_column_text (stmt, 3);
    entry->to = hub_sql_column_text (stmt, 4);
    entry->amount = sqlite3_column_int64 (stmt, 5);
    entry->memo = hub_sql_column_text (stmt, 6);
    entry->hash = hub_sql_column_text (stmt, 7);
    entry->signature = hub_sql_column_text (stmt, 8);
}

int
hub_ledger_entries (hub_ledger_t *self, const char *account, size_t limit,
                    hub_ledger_entry_fn *fn, void *arg)
{
    sqlite3_stmt *stmt = s_prepare (self, account
        ? "SELECT " S_ENTRY_COLUMNS " FROM ledger_entries"
          " WHERE from_account = ?1 OR to_account = ?1 ORDER BY seq DESC LIMIT ?2"
        : "SELECT " S_ENTRY_COLUMNS " FROM ledger_entries ORDER BY seq DESC LIMIT ?2");
    if (!stmt)
        return -1;
    if (account)
        hub_sql_bind_text (stmt, 1, account);
    sqlite3_bind_int64 (stmt, 2, limit? (int64_t) limit: -1);
    int step;
    while ((step = sqlite3_step (stmt)) == SQLITE_ROW) {
        hub_entry_t entry;
        s_entry_from_row (stmt, &entry);
        fn (arg, &entry);
    }
    int rc = step == SQLITE_DONE? 0: s_fail (self, "entries");
    hub_sql_done (stmt);
    return rc;
}

int
hub_ledger_entry (hub_ledger_t *self, const char *id, hub_ledger_entry_fn *fn, void *arg)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "SELECT " S_ENTRY_COLUMNS " FROM ledger_entries WHERE id = ?");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, id);
    int rc = -1;
    int step = sqlite3_step (stmt);
    if (step == SQLITE_ROW) {
        hub_entry_t entry;
        s_entry_from_row (stmt, &entry);
        fn (arg, &entry);
        rc = 0;
    }
    else
    if (step != SQLITE_DONE)
        s_fail (self, "entry");
    hub_sql_done (stmt);
    return rc;
}

int64_t
hub_ledger_amount (hub_ledger_t *self, const char *id)
{
    sqlite3_stmt *stmt = s_prepare (self, "SELECT amount FROM ledger_entries WHERE id = ?");
    if (!stmt)
        return 0;
    hub_sql_bind_text (stmt, 1, id);
    int64_t amount = sqlite3_step (stmt) == SQLITE_ROW? sqlite3_column_int64 (stmt, 0): 0;
    hub_sql_done (stmt);
    return amount;
}

int64_t
hub_ledger_count (hub_ledger_t *self, const char *prefix)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "SELECT count(*) FROM ledger_entries WHERE substr (id, 1, length (?1)) = ?1");
    if (!stmt)
        return -1;
    hub_sql_bind_text (stmt, 1, prefix);
    int64_t count = sqlite3_step (stmt) == SQLITE_ROW? sqlite3_column_int64 (stmt, 0): -1;
    hub_sql_done (stmt);
    return count;
}

int64_t
hub_ledger_size (hub_ledger_t *self)
{
    int64_t seq;
    unsigned char hash [S_HASH_BYTES];
    return s_last (self, &seq, hash) == 0? seq: 0;
}

//  --------------------------------------------------------------------------
//  Verification

typedef struct {
    int64_t balance;
} s_tally_t;

//  Adds amount to an account's running tally; -1 on overflow.
static int
s_tally_add (zhashx_t *tally, const char *account, int64_t amount)
{
    s_tally_t *item = (s_tally_t *) zhashx_lookup (tally, account);
    if (!item) {
        item = (s_tally_t *) zmalloc (sizeof (s_tally_t));
        zhashx_insert (tally, account, item);
    }
    if ((amount > 0 && item->balance > INT64_MAX - amount)
    ||  (amount < 0 && item->balance < INT64_MIN - amount))
        return -1;
    item->balance += amount;
    return 0;
}

static void
s_tally_free (void **item)
{
    free (*item);
    *item = NULL;
}

//  Checks the balances table against the tally, both ways.
static int
s_verify_balances (hub_ledger_t *self, zhashx_t *tally, char *err, size_t err_size)
{
    sqlite3_stmt *stmt = s_prepare (self, "SELECT name, balance FROM ledger_accounts ORDER BY name");
    if (!stmt) {
        snprintf (err, err_size, "cannot read the ledger balances: %s", sqlite3_errmsg (self->db));
        return -1;
    }
    int rc = 0, step;
    size_t seen = 0;
    while (rc == 0 && (step = sqlite3_step (stmt)) == SQLITE_ROW) {
        const char *name = hub_sql_column_text (stmt, 0);
        int64_t balance = sqlite3_column_int64 (stmt, 1);
        s_tally_t *item = (s_tally_t *) zhashx_lookup (tally, name);
        int64_t expected = item? item->balance: 0;
        if (item)
            seen++;
        if (balance != expected) {
            snprintf (err, err_size, "ledger account %s: its balance is %" PRId64
                      " but its entries add up to %" PRId64 " (the balance was changed)",
                      name, balance, expected);
            rc = -1;
        }
        else
        if (balance < 0 && !streq (name, "world")) {
            snprintf (err, err_size, "ledger account %s: negative balance %" PRId64, name, balance);
            rc = -1;
        }
    }
    hub_sql_done (stmt);
    if (rc == 0 && seen != zhashx_size (tally)) {
        for (s_tally_t *item = (s_tally_t *) zhashx_first (tally); item;
             item = (s_tally_t *) zhashx_next (tally)) {
            const char *name = (const char *) zhashx_cursor (tally);
            int64_t balance;
            if (hub_ledger_balance (self, name, &balance) == 0 && balance == 0
            &&  item->balance != 0) {
                snprintf (err, err_size, "ledger account %s is missing from the balances; "
                          "its entries add up to %" PRId64, name, item->balance);
                rc = -1;
                break;
            }
        }
    }
    return rc;
}

int
hub_ledger_verify (hub_ledger_t *self, char *err, size_t err_size)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "SELECT " S_ENTRY_COLUMNS " FROM ledger_entries ORDER BY seq");
    if (!stmt) {
        snprintf (err, err_size, "cannot read the ledger: %s", sqlite3_errmsg (self->db));
        return -1;
    }
    zhashx_t *tally = zhashx_new ();
    zhashx_set_destructor (tally, s_tally_free);
    unsigned char prev [S_HASH_BYTES] = { 0 };
    char prev_hex [2 * S_HASH_BYTES + 1] = "";
    int64_t expected_seq = 1;
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step (stmt)) == SQLITE_ROW) {
        hub_entry_t entry;
        s_entry_from_row (stmt, &entry);
        unsigned char hash [S_HASH_BYTES] = { 0 };
        char hash_hex [2 * S_HASH_BYTES + 1] = "";
        #define S_FAULT(...) do { \
            int used = snprintf (err, err_size, "ledger row %" PRId64 " (%.80s): ", \
                                 entry.seq, entry.id); \
            if (used >= 0 && (size_t) used < err_size) \
                snprintf (err + used, err_size - (size_t) used, __VA_ARGS__); \
            rc = -1; \
        } while (0)
        if (entry.seq != expected_seq)
            S_FAULT ("expected row %" PRId64 " here: rows were removed or renumbered",
                     expected_seq);
        else
        if (!hub_ledger_account_valid (entry.from) || !hub_ledger_account_valid (entry.to)
        ||  entry.amount <= 0)
            S_FAULT ("bad accounts or amount");
        else {
            s_entry_hash (prev, entry.seq, entry.id, entry.at_ms, entry.from, entry.to,
                          entry.amount, entry.memo, hash);
            s_hex (hash, S_HASH_BYTES, hash_hex);
            if (!streq (hash_hex, entry.hash))
                S_FAULT ("its content does not match its hash: it was changed after "
                         "it was written, or a row before it was");
            else
            if (!s_signature_ok (self, hash, S_HASH_BYTES, entry.signature))
                S_FAULT ("its signature is not the hub's: it was forged");
            else
            if (s_tally_add (tally, entry.from, -entry.amount)
            ||  s_tally_add (tally, entry.to, entry.amount))
                S_FAULT ("balances overflow");
        }
        #undef S_FAULT
        if (rc == 0) {
            memcpy (prev, hash, S_HASH_BYTES);
            snprintf (prev_hex, sizeof prev_hex, "%s", hash_hex);
            expected_seq++;
        }
    }
    if (rc == 0 && step != SQLITE_DONE) {
        snprintf (err, err_size, "cannot read the ledger: %s", sqlite3_errmsg (self->db));
        rc = -1;
    }
    hub_sql_done (stmt);

    //  The signed head: the chain must end where the hub last wrote
    int64_t last = expected_seq - 1;
    if (rc == 0) {
        char head [400] = "";
        bool has_head = s_meta_get (self, "head", head, sizeof head) == 0;
        long long head_seq = 0;
        char head_hash [2 * S_HASH_BYTES + 2] = "", head_sig [2 * S_SIG_BYTES + 2] = "";
        if (!has_head && last > 0) {
            snprintf (err, err_size, "the ledger has %" PRId64 " rows but no signed head", last);
            rc = -1;
        }
        else
        if (has_head) {
            char *text = NULL;
            bool parsed = sscanf (head, "%lld %65s %129s", &head_seq, head_hash, head_sig) == 3;
            if (parsed)
                text = s_head_text ((int64_t) head_seq, head_hash);
            if (!parsed || !s_signature_ok (self, (const unsigned char *) text, strlen (text),
                                            head_sig)) {
                snprintf (err, err_size, "the ledger's head record is not signed by the hub");
                rc = -1;
            }
            else
            if ((int64_t) head_seq != last || !streq (head_hash, prev_hex)) {
                snprintf (err, err_size, "the ledger ends at row %" PRId64 " but its signed "
                          "head names row %lld: rows were removed from its end", last, head_seq);
                rc = -1;
            }
            zstr_free (&text);
        }
    }
    if (rc == 0)
        rc = s_verify_balances (self, tally, err, err_size);
    zhashx_destroy (&tally);
    return rc;
}
