/*  =========================================================================
    miner_trust - how a miner decides whether a hub is worth working for

    DESIGN
    The agent's thread owns it; nothing here has a socket of its own but
    the resolver that asks the locators' registry, synchronously and
    within locator/timeout_ms per locator, as the agent already resolves
    `hub-miner`. The checks, in order (the first that fails refuses):

        check                       when                        refuses
        -----                       ----                        -------
        rating above trust_level    connecting (by hub key)     -  (skips the wallet checks)
        registry, trusted hub       require_registry            suspected, blacklisted,
                                                                another key
        statement answers our nonce every statement             a replayed statement
        registry                    require_registry            unreachable, absent, not
                                                                registered, another key
        statement's signature       every statement             bad, or not the registry's
                                                                ledger key
        wallet state                every statement             suspected, punished,
                                                                closed; created when strict
        frozen stake                every statement             below miner/min_stake

    "Strict" is require_registry or a min_stake: then the statement is
    asked before the hello, so the hub never sees the miner until it
    holds; otherwise it is asked with the hello, and a hub without an
    answer is worked for (a small grid), one whose answer fails is left.

    Each verdict (accepted, refused and why) is also kept as the hub's
    last check, in memory only: a hub that names itself anew at each
    connection must not be able to fill the disk, and the ratings, not
    the checks, are what the miner must remember across a restart.

    Ratings are small JSON files, one per hub, rewritten (to a temp file,
    then renamed) at most once a second (S_SAVE_MS) while they change, and
    at the end: a rating changes with every answered result, and a file
    written and renamed per result was a good part of the miner's own
    cost per task. A miner killed with SIGKILL (or a machine that goes
    down) loses what its ratings learnt in the last second at most; the
    file on disk is always a whole rating, the last one saved. The
    receipts themselves are appended to a file next to it at once, each
    a line: they are the miner's outside record of what the hub paid
    (docs/money.md, Tamper evidence), and a receipt is not lost to a kill. A result's answer is
    matched to the result by its seq: results in flight are kept until
    their Ok or Error, or until the connection ends.

    A miner serving several hubs at once has a checker per connection
    (miner_trust_share): each its own hub, nonce and results in flight,
    all one book of settings, ratings, refusals and registry client, so
    a hub refused on one connection is avoided by the others too, and a
    rating is never written from two copies.
    =========================================================================  */
#include "fogrid.h"
#include "fg_receipt.h"
#include "fg_statement.h"
#include "miner_trust.h"
#include <sodium.h>
#include <dirent.h>
#include <errno.h>

#define S_AVOID_MS          30000   //  a refused hub is tried after the others for this long
#define S_RETRY_MS          2000    //  after a refusal, before trying again
#define S_BAD_RECEIPT       100     //  what a receipt that does not verify costs
#define S_MAX_PENDING       10000   //  results waiting for their answer
#define S_MAX_CHECKS        1000    //  hubs whose last check is kept
#define S_SAVE_MS           1000    //  ratings are written at most this often

//  How the last check of a hub ended.
typedef struct {
    char hub_id [64];           //  "" when it was refused before it named itself
    char endpoint [300];        //  where it was reached
    char hub_key [41];
    bool accepted;
    int64_t at_ms;
    uint64_t accepted_count;    //  checks that held, since the start
    uint64_t refused_count;     //  and that refused it
    char reason [600];          //  why (or what held)
} s_check_t;

typedef struct {
    char task_id [64];
    uint32_t attempt;
    bool success;               //  as the hub judges it: it should pay
} s_pending_t;

//  What every connection's checker shares: the settings, the ratings, the
//  refusals and the registry client (one per miner, however many hubs it
//  serves at once)
typedef struct {
    size_t refs;                //  checkers using it
    char dir [1100];            //  DATA_DIR/hubs: ratings and receipts
    char miner_id [64];         //  receipts must name us
    bool require_registry;      //  settings, read once
    int64_t min_stake;
    int64_t trust_level;
    int64_t recheck_ms;
    bool strict;                //  require_registry or min_stake
    fg_resolver_t *registry;    //  the locators, NULL when none are set
    zhashx_t *ratings;          //  hub id -> miner_trust_rating_t (owned)
    zhashx_t *avoid;            //  hub key or endpoint -> refused until (ms, heap int64)
    zhashx_t *checks;           //  hub id (or "@endpoint") -> s_check_t (owned)
    zlist_t *checkers;          //  the miner_trust_t using it (not owned)
    zhashx_t *unsaved;          //  hub ids whose rating changed since the last save
    int64_t saved_at;           //  when ratings were last written (zclock_mono)
} s_book_t;

struct _miner_trust_t {
    s_book_t *book;             //  shared with the other connections' checkers
    zhashx_t *pending;          //  seq as text -> s_pending_t (owned)
    //  The hub in use
    char endpoint [300];
    char hub_key [41];          //  the key we reached it with
    char hub_id [64];           //  from its statement or its rating
    char ledger_key [65];       //  its receipts' key: from the registry or its statement
    char nonce [33];            //  of the last statement request
    char checking_id [64];      //  the hub id a statement names, while it is checked
    bool trusted;               //  its rating skips the wallet checks
    bool checked;               //  a check held on this connection (later ones log less)
};

//  --------------------------------------------------------------------------
//  Ratings on disk

int64_t
miner_trust_score (const miner_trust_rating_t *rating)
{
    return rating->paid - rating->unpaid - S_BAD_RECEIPT * rating->bad;
}

//  The file name of a hub's record (without extension): its id, with
//  anything that could leave the directory made harmless.
static void
s_path (miner_trust_t *self, const char *hub_id, const char *extension, char *path, size_t size)
{
    char name [64];
    snprintf (name, sizeof name, "%s", hub_id);
    for (char *c = name; *c; c++)
        if (!isalnum ((unsigned char) *c) && *c != '-' && *c != '_' && (*c != '.' || c == name))
            *c = '_';
    snprintf (path, size, "%s/%s.%s", self->book->dir, name, extension);
}

static void
s_rating_write (miner_trust_t *self, miner_trust_rating_t *rating)
{
    char path [1200], temp [1210];
    s_path (self, rating->hub_id, "json", path, sizeof path);
    snprintf (temp, sizeof temp, "%s.tmp", path);
    json_t *root = json_pack ("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
        "hub_id", rating->hub_id, "hub_key", rating->hub_key, "ledger_key", rating->ledger_key,
        "rating", (json_int_t) miner_trust_score (rating),
        "paid", (json_int_t) rating->paid, "unpaid", (json_int_t) rating->unpaid,
        "bad", (json_int_t) rating->bad, "earned", (json_int_t) rating->earned,
        "first_ms", (json_int_t) rating->first_ms, "updated_ms", (json_int_t) rating->updated_ms);
    if (!root || json_dump_file (root, temp, JSON_INDENT (2) | JSON_PRESERVE_ORDER)
    ||  rename (temp, path))
        zsys_warning ("miner %s: cannot keep the rating of hub %s in %s: %s", self->book->miner_id,
                      rating->hub_id, path, strerror (errno));
    json_decref (root);
}

//  Writes every rating that changed since the last save.
static void
s_ratings_save (miner_trust_t *self)
{
    s_book_t *book = self->book;
    for (void *item = zhashx_first (book->unsaved); item; item = zhashx_next (book->unsaved)) {
        const char *hub_id = (const char *) zhashx_cursor (book->unsaved);
        miner_trust_rating_t *rating =
            (miner_trust_rating_t *) zhashx_lookup (book->ratings, hub_id);
        if (rating)
            s_rating_write (self, rating);
    }
    zhashx_purge (book->unsaved);
    book->saved_at = zclock_mono ();
}

//  A rating changed: written now when none was for a second, else by
//  the next miner_trust_save_due (or at the end).
static void
s_rating_save (miner_trust_t *self, miner_trust_rating_t *rating)
{
    zhashx_update (self->book->unsaved, rating->hub_id, (void *) "");
    if (zclock_mono () - self->book->saved_at >= S_SAVE_MS)
        s_ratings_save (self);
}

int64_t
miner_trust_save_due (miner_trust_t *self)
{
    if (zhashx_size (self->book->unsaved) == 0)
        return 0;
    if (zclock_mono () - self->book->saved_at >= S_SAVE_MS)
        s_ratings_save (self);
    return zhashx_size (self->book->unsaved)? self->book->saved_at + S_SAVE_MS: 0;
}

static int64_t
s_int (json_t *root, const char *key)
{
    json_t *value = json_object_get (root, key);
    return json_is_integer (value)? (int64_t) json_integer_value (value): 0;
}

static void
s_text (json_t *root, const char *key, char *field, size_t size)
{
    json_t *value = json_object_get (root, key);
    const char *text = json_is_string (value)? json_string_value (value): "";
    snprintf (field, size, "%s", fg_text_valid (text, size - 1)? text: "");
}

static void
s_ratings_load (miner_trust_t *self)
{
    DIR *dir = opendir (self->book->dir);
    struct dirent *item;
    while (dir && (item = readdir (dir))) {
        size_t length = strlen (item->d_name);
        if (length < 6 || !streq (item->d_name + length - 5, ".json"))
            continue;
        char path [1400];
        snprintf (path, sizeof path, "%s/%s", self->book->dir, item->d_name);
        json_error_t error;
        json_t *root = json_load_file (path, 0, &error);
        miner_trust_rating_t *rating = (miner_trust_rating_t *) zmalloc (sizeof *rating);
        if (root)
            s_text (root, "hub_id", rating->hub_id, sizeof rating->hub_id);
        if (!root || !*rating->hub_id) {
            zsys_warning ("miner %s: ignoring %s: not a hub rating", self->book->miner_id, path);
            free (rating);
            json_decref (root);
            continue;
        }
        s_text (root, "hub_key", rating->hub_key, sizeof rating->hub_key);
        s_text (root, "ledger_key", rating->ledger_key, sizeof rating->ledger_key);
        rating->paid = s_int (root, "paid");
        rating->unpaid = s_int (root, "unpaid");
        rating->bad = s_int (root, "bad");
        rating->earned = s_int (root, "earned");
        rating->first_ms = s_int (root, "first_ms");
        rating->updated_ms = s_int (root, "updated_ms");
        zhashx_update (self->book->ratings, rating->hub_id, rating);
        json_decref (root);
    }
    if (dir)
        closedir (dir);
}

//  The record of hub_id, made when missing.
static miner_trust_rating_t *
s_rating (miner_trust_t *self, const char *hub_id)
{
    miner_trust_rating_t *rating =
        (miner_trust_rating_t *) zhashx_lookup (self->book->ratings, hub_id);
    if (!rating) {
        rating = (miner_trust_rating_t *) zmalloc (sizeof *rating);
        snprintf (rating->hub_id, sizeof rating->hub_id, "%s", hub_id);
        rating->first_ms = fg_now_ms ();
        zhashx_update (self->book->ratings, rating->hub_id, rating);
    }
    return rating;
}

//  The record of the hub with this CurveZMQ key (the latest, if several).
static miner_trust_rating_t *
s_rating_by_key (miner_trust_t *self, const char *hub_key)
{
    miner_trust_rating_t *found = NULL;
    if (!*hub_key)
        return NULL;
    for (miner_trust_rating_t *rating = (miner_trust_rating_t *) zhashx_first (self->book->ratings);
         rating; rating = (miner_trust_rating_t *) zhashx_next (self->book->ratings))
        if (streq (rating->hub_key, hub_key) && (!found || rating->updated_ms > found->updated_ms))
            found = rating;
    return found;
}

//  --------------------------------------------------------------------------
//  Life

int
miner_trust_check_config (fg_config_t *config, char *err, size_t err_size)
{
    if (fg_config_bool (config, "miner/require_registry")
    &&  !*fg_config_str (config, "locator/endpoints")) {
        snprintf (err, err_size, "miner/require_registry is on but locator/endpoints is empty: "
                  "the hub registry is kept by the locators");
        return -1;
    }
    return 0;
}

//  A checker of one connection on the shared book
static miner_trust_t *
s_checker_new (s_book_t *book)
{
    miner_trust_t *self = (miner_trust_t *) zmalloc (sizeof (miner_trust_t));
    self->book = book;
    book->refs++;
    zlist_append (book->checkers, self);
    self->pending = zhashx_new ();
    zhashx_set_destructor (self->pending, (zhashx_destructor_fn *) zstr_free);
    return self;
}

miner_trust_t *
miner_trust_new (fg_config_t *config, const char *data_dir, const char *miner_id,
                 char *err, size_t err_size)
{
    s_book_t *book = (s_book_t *) zmalloc (sizeof (s_book_t));
    snprintf (book->dir, sizeof book->dir, "%s/hubs", data_dir);
    snprintf (book->miner_id, sizeof book->miner_id, "%s", miner_id);
    if (zsys_dir_create ("%s", book->dir)) {
        snprintf (err, err_size, "cannot create %s: %s", book->dir, strerror (errno));
        free (book);
        return NULL;
    }
    book->require_registry = fg_config_bool (config, "miner/require_registry");
    book->min_stake = fg_config_int (config, "miner/min_stake");
    book->trust_level = fg_config_int (config, "miner/trust_level");
    book->recheck_ms = fg_config_int (config, "miner/recheck_s") * 1000;
    book->strict = book->require_registry || book->min_stake > 0;
    const char *locators = fg_config_str (config, "locator/endpoints");
    if (*locators)
        book->registry = fg_resolver_new (locators,
                                          (int) fg_config_int (config, "locator/timeout_ms"));
    book->ratings = zhashx_new ();
    zhashx_set_destructor (book->ratings, (zhashx_destructor_fn *) zstr_free);
    book->avoid = zhashx_new ();
    zhashx_set_destructor (book->avoid, (zhashx_destructor_fn *) zstr_free);
    book->checks = zhashx_new ();
    zhashx_set_destructor (book->checks, (zhashx_destructor_fn *) zstr_free);
    book->checkers = zlist_new ();
    book->unsaved = zhashx_new ();
    book->refs = 0;
    miner_trust_t *self = s_checker_new (book);
    s_ratings_load (self);
    if (book->strict || book->trust_level)
        zsys_info ("miner %s: checks hubs: %s, frozen stake at least %" PRId64 ", trusted above "
                   "rating %" PRId64 "%s; %zu hubs rated", miner_id,
                   book->require_registry? "registered in the hub registry": "any registry state",
                   book->min_stake, book->trust_level, book->trust_level? "": " (never)",
                   zhashx_size (book->ratings));
    return self;
}

miner_trust_t *
miner_trust_share (miner_trust_t *self)
{
    return s_checker_new (self->book);
}

void
miner_trust_destroy (miner_trust_t **self_p)
{
    if (*self_p) {
        miner_trust_t *self = *self_p;
        s_book_t *book = self->book;
        zlist_remove (book->checkers, self);
        if (--book->refs == 0) {
            s_ratings_save (self);          //  what changed since the last save
            zhashx_destroy (&book->unsaved);
            fg_resolver_destroy (&book->registry);
            zhashx_destroy (&book->ratings);
            zhashx_destroy (&book->avoid);
            zhashx_destroy (&book->checks);
            zlist_destroy (&book->checkers);
            free (book);
        }
        zhashx_destroy (&self->pending);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Checks

//  Keeps the verdict as the hub's last check (in the book every
//  connection shares): under the id it is known by (or names in the
//  statement being checked), else its endpoint.
static void
s_note (miner_trust_t *self, bool accepted, const char *reason)
{
    zhashx_t *checks = self->book->checks;
    const char *hub_id = *self->hub_id? self->hub_id: self->checking_id;
    char key [310];
    snprintf (key, sizeof key, "%s%s", *hub_id? "": "@", *hub_id? hub_id: self->endpoint);
    s_check_t *check = (s_check_t *) zhashx_lookup (checks, key);
    if (!check) {
        if (zhashx_size (checks) >= S_MAX_CHECKS) {
            //  Full: the oldest goes
            const char *oldest = NULL;
            int64_t oldest_ms = INT64_MAX;
            for (s_check_t *item = (s_check_t *) zhashx_first (checks); item;
                 item = (s_check_t *) zhashx_next (checks))
                if (item->at_ms < oldest_ms) {
                    oldest_ms = item->at_ms;
                    oldest = (const char *) zhashx_cursor (checks);
                }
            if (oldest) {
                char victim [310];
                snprintf (victim, sizeof victim, "%s", oldest);
                zhashx_delete (checks, victim);
            }
        }
        check = (s_check_t *) zmalloc (sizeof (s_check_t));
        snprintf (check->hub_id, sizeof check->hub_id, "%s", hub_id);
        zhashx_update (checks, key, check);
    }
    snprintf (check->endpoint, sizeof check->endpoint, "%s", self->endpoint);
    snprintf (check->hub_key, sizeof check->hub_key, "%s", self->hub_key);
    snprintf (check->reason, sizeof check->reason, "%s", reason);
    check->accepted = accepted;
    check->at_ms = fg_now_ms ();
    if (accepted)
        check->accepted_count++;
    else
        check->refused_count++;
}

static miner_trust_verdict_t
s_refuse (miner_trust_t *self, char *why, size_t why_size, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

//  Writes why and remembers the refusal, so the agent tries others first.
static miner_trust_verdict_t
s_refuse (miner_trust_t *self, char *why, size_t why_size, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (why, why_size, format, args);
    va_end (args);
    s_note (self, false, why);
    int64_t *until = (int64_t *) zmalloc (sizeof (int64_t));
    *until = zclock_mono () + S_AVOID_MS;
    zhashx_update (self->book->avoid, *self->hub_key? self->hub_key: self->endpoint, until);
    return MINER_TRUST_REFUSE;
}

typedef enum {
    S_REGISTRY_FOUND,
    S_REGISTRY_ABSENT,
    S_REGISTRY_UNREACHABLE
} s_lookup_t;

//  Looks hub_id up in the locators' registry; entry gets its row.
static s_lookup_t
s_registry_lookup (miner_trust_t *self, const char *hub_id, fg_env_t **reply_p,
                   Fogrid__RegistryHub **entry_p, char *text, size_t text_size)
{
    *reply_p = NULL;
    *entry_p = NULL;
    if (!self->book->registry) {
        snprintf (text, text_size, "no locator is configured");
        return S_REGISTRY_UNREACHABLE;
    }
    Fogrid__RegistryList list = FOGRID__REGISTRY_LIST__INIT;
    list.hub_id = (char *) hub_id;
    fg_env_t request = FOGRID__ENVELOPE__INIT;
    request.body_case = FOGRID__ENVELOPE__BODY_REGISTRY_LIST;
    request.registry_list = &list;
    fg_error_t rc = fg_resolver_call (self->book->registry, &request, reply_p);
    if (rc || !*reply_p || (*reply_p)->body_case != FOGRID__ENVELOPE__BODY_REGISTRY_REPLY) {
        snprintf (text, text_size, "%s", rc? fg_resolver_error_text (self->book->registry)
                                           : "the locator answered something else");
        fg_msg_free (reply_p);
        return S_REGISTRY_UNREACHABLE;
    }
    Fogrid__RegistryReply *reply = (*reply_p)->registry_reply;
    for (size_t index = 0; index < reply->n_hubs; index++)
        if (streq (reply->hubs [index]->hub_id, hub_id))
            *entry_p = reply->hubs [index];
    return *entry_p? S_REGISTRY_FOUND: S_REGISTRY_ABSENT;
}

//  The registry's word on a trusted hub: only suspected, blacklisted or
//  another key refuse it; an absent entry or no answer does not.
static miner_trust_verdict_t
s_trusted_check (miner_trust_t *self, char *why, size_t why_size)
{
    if (!self->book->require_registry)
        return MINER_TRUST_ACCEPT;
    fg_env_t *reply;
    Fogrid__RegistryHub *entry;
    char text [600];
    s_lookup_t found = s_registry_lookup (self, self->hub_id, &reply, &entry, text, sizeof text);
    miner_trust_verdict_t verdict = MINER_TRUST_ACCEPT;
    if (found == S_REGISTRY_FOUND && !streq (entry->status, "registered"))
        verdict = s_refuse (self, why, why_size, "hub %s is %s in the hub registry (%s), trusted "
                            "as it is here", self->hub_id, entry->status, entry->reason);
    else
    if (found == S_REGISTRY_FOUND && *entry->hub_key && *self->hub_key
    &&  !streq (entry->hub_key, self->hub_key))
        verdict = s_refuse (self, why, why_size, "the hub registry names another CurveZMQ key for "
                            "hub %s than the one it answers with", self->hub_id);
    else
    if (found != S_REGISTRY_FOUND)
        fg_debug ("miner %s: trusted hub %s: %s", self->book->miner_id, self->hub_id,
                  found == S_REGISTRY_ABSENT? "not in the registry": text);
    fg_msg_free (&reply);
    return verdict;
}

static bool
s_is_trusted (miner_trust_t *self, miner_trust_rating_t *rating)
{
    int64_t level = self->book->trust_level;
    return rating && level > 0 && miner_trust_score (rating) > level;
}

//  A trusted hub's check held: kept as its last check (and logged when
//  it connects, not at every recheck).
static void
s_note_trusted (miner_trust_t *self, miner_trust_rating_t *rating, bool log)
{
    char text [300];
    snprintf (text, sizeof text, "hub %s is trusted (rating %" PRId64 ", above %" PRId64
              "): no wallet check", rating->hub_id, miner_trust_score (rating),
              self->book->trust_level);
    if (log)
        zsys_info ("miner %s: %s", self->book->miner_id, text);
    s_note (self, true, text);
}

miner_trust_verdict_t
miner_trust_begin (miner_trust_t *self, const char *endpoint, const char *hub_key,
                   char *why, size_t why_size)
{
    miner_trust_end (self);
    snprintf (self->endpoint, sizeof self->endpoint, "%s", endpoint);
    snprintf (self->hub_key, sizeof self->hub_key, "%s", hub_key? hub_key: "");
    self->hub_id [0] = 0;
    self->ledger_key [0] = 0;
    self->trusted = false;
    self->checked = false;
    miner_trust_rating_t *rating = s_rating_by_key (self, self->hub_key);
    if (s_is_trusted (self, rating)) {
        self->trusted = true;
        snprintf (self->hub_id, sizeof self->hub_id, "%s", rating->hub_id);
        snprintf (self->ledger_key, sizeof self->ledger_key, "%s", rating->ledger_key);
        miner_trust_verdict_t verdict = s_trusted_check (self, why, why_size);
        if (verdict == MINER_TRUST_ACCEPT)
            s_note_trusted (self, rating, true);
        return verdict;
    }
    return self->book->strict? MINER_TRUST_ASK_FIRST: MINER_TRUST_ASK;
}

miner_trust_verdict_t
miner_trust_recheck (miner_trust_t *self, char *why, size_t why_size)
{
    miner_trust_rating_t *rating = *self->hub_id
                                 ? (miner_trust_rating_t *) zhashx_lookup (self->book->ratings,
                                                                           self->hub_id)
                                 : NULL;
    self->trusted = s_is_trusted (self, rating);
    if (!self->trusted)
        return MINER_TRUST_ASK;
    miner_trust_verdict_t verdict = s_trusted_check (self, why, why_size);
    if (verdict == MINER_TRUST_ACCEPT)
        s_note_trusted (self, rating, false);
    return verdict;
}

void
miner_trust_request (miner_trust_t *self, Fogrid__WalletStatement *request)
{
    unsigned char bytes [16];
    randombytes_buf (bytes, sizeof bytes);
    sodium_bin2hex (self->nonce, sizeof self->nonce, bytes, sizeof bytes);
    request->nonce = self->nonce;
}

static miner_trust_verdict_t
    s_statement_check (miner_trust_t *self, const Fogrid__WalletStatementReply *reply,
                       char *why, size_t why_size);

miner_trust_verdict_t
miner_trust_statement (miner_trust_t *self, const Fogrid__WalletStatementReply *reply,
                       char *why, size_t why_size)
{
    const char *hub_id = reply->hub_id;
    //  Until it holds, its checks are kept under the id it names
    snprintf (self->checking_id, sizeof self->checking_id, "%s",
              *hub_id && fg_text_valid (hub_id, 63)? hub_id: "");
    miner_trust_verdict_t verdict = s_statement_check (self, reply, why, why_size);
    self->checking_id [0] = 0;
    return verdict;
}

//  miner_trust_statement's checks, in order.
static miner_trust_verdict_t
s_statement_check (miner_trust_t *self, const Fogrid__WalletStatementReply *reply,
                   char *why, size_t why_size)
{
    const char *hub_id = reply->hub_id;
    if (!*self->nonce || !streq (reply->nonce, self->nonce))
        return s_refuse (self, why, why_size, "its wallet statement does not answer our request "
                         "(another nonce: an old statement played back?)");
    self->nonce [0] = 0;
    if (!*hub_id || !fg_text_valid (hub_id, 63))
        return s_refuse (self, why, why_size, "its wallet statement names no valid hub id");
    if (*self->hub_id && !streq (self->hub_id, hub_id))
        return s_refuse (self, why, why_size, "it was hub %s and now says it is %.63s",
                         self->hub_id, hub_id);
    //  The registry, when required: what makes the ledger key worth anything
    char ledger_key [65] = "", text [600];
    if (self->book->require_registry) {
        fg_env_t *answer;
        Fogrid__RegistryHub *entry;
        s_lookup_t found = s_registry_lookup (self, hub_id, &answer, &entry, text, sizeof text);
        miner_trust_verdict_t verdict = MINER_TRUST_ACCEPT;
        if (found == S_REGISTRY_UNREACHABLE)
            verdict = s_refuse (self, why, why_size, "cannot check hub %s in the hub registry "
                                "(miner/require_registry): %s", hub_id, text);
        else
        if (found == S_REGISTRY_ABSENT)
            verdict = s_refuse (self, why, why_size, "hub %s is not in the hub registry "
                                "(miner/require_registry)", hub_id);
        else
        if (!streq (entry->status, "registered"))
            verdict = s_refuse (self, why, why_size, "hub %s is %s in the hub registry%s%s",
                                hub_id, entry->status, *entry->reason? ": ": "", entry->reason);
        else
        if (*entry->hub_key && *self->hub_key && !streq (entry->hub_key, self->hub_key))
            verdict = s_refuse (self, why, why_size, "the hub registry names another CurveZMQ "
                                "key for hub %s than the one it answers with", hub_id);
        else
            snprintf (ledger_key, sizeof ledger_key, "%s", entry->ledger_key);
        fg_msg_free (&answer);
        if (verdict != MINER_TRUST_ACCEPT)
            return verdict;
    }
    if (fg_statement_verify (reply, ledger_key, text, sizeof text))
        return s_refuse (self, why, why_size, "the wallet statement of hub %s does not hold: %s",
                         hub_id, text);
    const char *state = reply->state;
    if (streq (state, "suspected") || streq (state, "punished") || streq (state, "closed"))
        return s_refuse (self, why, why_size, "the wallet of hub %s is %s", hub_id, state);
    if (!streq (state, "registered") && self->book->strict)
        return s_refuse (self, why, why_size, "the wallet of hub %s is %.32s, not registered: "
                         "it pays nobody", hub_id, state);
    if (reply->frozen < self->book->min_stake)
        return s_refuse (self, why, why_size, "hub %s's frozen stake of %" PRId64 " is below "
                         "miner/min_stake (%" PRId64 ")", hub_id, reply->frozen,
                         self->book->min_stake);

    //  It holds: this is the hub, and its receipts carry this key
    snprintf (self->hub_id, sizeof self->hub_id, "%s", hub_id);
    snprintf (self->ledger_key, sizeof self->ledger_key, "%s", reply->ledger_key);
    miner_trust_rating_t *rating = s_rating (self, hub_id);
    if (*rating->ledger_key && strcasecmp (rating->ledger_key, reply->ledger_key)) {
        zsys_warning ("miner %s: hub %s signs with another ledger key than before (%.16s..., "
                      "was %.16s...): its rating starts again", self->book->miner_id, hub_id,
                      reply->ledger_key, rating->ledger_key);
        rating->paid = rating->unpaid = rating->bad = rating->earned = 0;
    }
    if (!streq (rating->ledger_key, reply->ledger_key) || !streq (rating->hub_key, self->hub_key)) {
        snprintf (rating->ledger_key, sizeof rating->ledger_key, "%s", reply->ledger_key);
        snprintf (rating->hub_key, sizeof rating->hub_key, "%s", self->hub_key);
        rating->updated_ms = fg_now_ms ();
        s_rating_save (self, rating);
    }
    char text_ok [400];
    snprintf (text_ok, sizeof text_ok, "hub %s checked: %s%swallet %s, stake %" PRId64
              ", escrow %" PRId64 ", %zu recent payouts; rating %" PRId64, hub_id,
              self->book->require_registry? "registered in the hub registry, ": "",
              *ledger_key? "ledger key as registered, ": "", state, reply->frozen,
              reply->escrow_total, reply->n_recent_payouts, miner_trust_score (rating));
    if (self->checked)
        fg_debug ("miner %s: %s", self->book->miner_id, text_ok);
    else
        zsys_info ("miner %s: %s", self->book->miner_id, text_ok);
    self->checked = true;
    s_note (self, true, text_ok);
    return MINER_TRUST_ACCEPT;
}

miner_trust_verdict_t
miner_trust_statement_failed (miner_trust_t *self, const char *text, char *why, size_t why_size)
{
    self->nonce [0] = 0;
    if (self->book->strict)
        return s_refuse (self, why, why_size, "the hub gives no wallet statement (%s)", text);
    char note [700];
    snprintf (note, sizeof note, "the hub at %s gives no wallet statement (%.400s): working for "
              "it unchecked", self->endpoint, text);
    zsys_notice ("miner %s: %s", self->book->miner_id, note);
    s_note (self, true, note);
    return MINER_TRUST_ACCEPT;
}

void
miner_trust_end (miner_trust_t *self)
{
    zhashx_purge (self->pending);
    self->nonce [0] = 0;
}

bool
miner_trust_avoid (miner_trust_t *self, const char *endpoint, const char *hub_key)
{
    const char *which = hub_key && *hub_key? hub_key: endpoint;
    int64_t *until = (int64_t *) zhashx_lookup (self->book->avoid, which);
    if (until && *until <= zclock_mono ()) {
        zhashx_delete (self->book->avoid, which);
        until = NULL;
    }
    return until != NULL;
}

int64_t
miner_trust_retry_ms (miner_trust_t *self)
{
    (void) self;
    return S_RETRY_MS;
}

int64_t
miner_trust_recheck_ms (miner_trust_t *self)
{
    return self->book->recheck_ms;
}

const char *
miner_trust_hub_id (miner_trust_t *self)
{
    return self->hub_id;
}

//  --------------------------------------------------------------------------
//  Payment history

void
miner_trust_result_sent (miner_trust_t *self, uint64_t seq, const Fogrid__TaskResult *result)
{
    if (zhashx_size (self->pending) >= S_MAX_PENDING)
        zhashx_purge (self->pending);       //  a hub that never answers: forget
    s_pending_t *pending = (s_pending_t *) zmalloc (sizeof (s_pending_t));
    snprintf (pending->task_id, sizeof pending->task_id, "%s", result->task_id);
    pending->attempt = result->attempt;
    pending->success = !*result->error && !result->timed_out && result->term_signal == 0
                    && result->exit_code == 0;
    char key [32];
    snprintf (key, sizeof key, "%" PRIu64, seq);
    zhashx_update (self->pending, key, pending);
}

void
miner_trust_result_refused (miner_trust_t *self, uint64_t seq)
{
    char key [32];
    snprintf (key, sizeof key, "%" PRIu64, seq);
    zhashx_delete (self->pending, key);
}

//  Keeps a good receipt next to the hub's rating.
static void
s_receipt_keep (miner_trust_t *self, const char *hub_id, const fg_receipt_t *receipt)
{
    char path [1200];
    s_path (self, hub_id, "receipts", path, sizeof path);
    char *json = fg_receipt_json (receipt);
    json_t *root = json? json_loads (json, 0, NULL): NULL;
    char *line = root? json_dumps (root, JSON_COMPACT | JSON_PRESERVE_ORDER): NULL;
    FILE *file = line? fopen (path, "a"): NULL;
    if (!file || fprintf (file, "%s\n", line) < 0 || fclose (file))
        zsys_warning ("miner %s: cannot keep the receipt of %s in %s", self->book->miner_id,
                      receipt->task_id, path);
    free (line);
    json_decref (root);
    free (json);
}

void
miner_trust_result_ok (miner_trust_t *self, uint64_t seq, const char *receipt_json)
{
    char key [32];
    snprintf (key, sizeof key, "%" PRIu64, seq);
    s_pending_t *pending = (s_pending_t *) zhashx_lookup (self->pending, key);
    if (!pending)
        return;
    fg_receipt_t receipt;
    char err [400] = "";
    bool has_receipt = receipt_json && *receipt_json;
    int parsed = has_receipt? fg_receipt_parse (&receipt, receipt_json, err, sizeof err): -1;
    const char *hub_id = *self->hub_id? self->hub_id: parsed == 0? receipt.hub_id: "";
    if (!pending->success || !*hub_id) {
        zhashx_delete (self->pending, key);
        return;
    }
    miner_trust_rating_t *rating = s_rating (self, hub_id);
    const char *ledger_key = *self->ledger_key? self->ledger_key
                           : *rating->ledger_key? rating->ledger_key: NULL;
    if (!has_receipt) {
        rating->unpaid++;
        zsys_info ("miner %s: hub %s paid nothing for task %s (rating %" PRId64 ")",
                   self->book->miner_id, hub_id, pending->task_id, miner_trust_score (rating));
    }
    else {
        if (parsed == 0 && fg_receipt_verify (&receipt, ledger_key, err, sizeof err) == 0) {
            if (!streq (receipt.miner_id, self->book->miner_id))
                snprintf (err, sizeof err, "it pays miner %s, not us", receipt.miner_id);
            else
            if (!streq (receipt.task_id, pending->task_id) || receipt.attempt != pending->attempt)
                snprintf (err, sizeof err, "it is for task %s attempt %u, not %s attempt %u",
                          receipt.task_id, receipt.attempt, pending->task_id, pending->attempt);
            else
            if (!streq (receipt.hub_id, hub_id))
                snprintf (err, sizeof err, "it names hub %s", receipt.hub_id);
        }
        if (*err) {
            rating->bad++;
            zsys_warning ("miner %s: the receipt of hub %s for task %s does not hold: %s "
                          "(rating %" PRId64 ")", self->book->miner_id, hub_id, pending->task_id,
                          err, miner_trust_score (rating));
        }
        else {
            rating->paid++;
            rating->earned += receipt.amount;
            if (!*rating->ledger_key)
                snprintf (rating->ledger_key, sizeof rating->ledger_key, "%s", receipt.hub_key);
            s_receipt_keep (self, hub_id, &receipt);
            zsys_info ("miner %s: hub %s paid %" PRId64 " for task %s, receipt kept (rating %"
                       PRId64 ")", self->book->miner_id, hub_id, receipt.amount, pending->task_id,
                       miner_trust_score (rating));
        }
    }
    rating->updated_ms = fg_now_ms ();
    s_rating_save (self, rating);
    zhashx_delete (self->pending, key);
}

int
miner_trust_rating (miner_trust_t *self, const char *hub_id, miner_trust_rating_t *rating)
{
    miner_trust_rating_t *found =
        (miner_trust_rating_t *) zhashx_lookup (self->book->ratings, hub_id);
    if (!found)
        return -1;
    *rating = *found;
    return 0;
}

//  --------------------------------------------------------------------------
//  The operator's view

static json_t *
s_check_json (const s_check_t *check)
{
    if (!check)
        return json_null ();
    //  The reason may quote what the hub said (its wallet's state), in
    //  any bytes: cleaned, or the hub would drop out of the view
    return json_pack ("{s:s, s:o, s:I, s:I, s:I}", "result", check->accepted? "accepted": "refused",
                      "reason", fg_http_json_string (check->reason),
                      "at_ms", (json_int_t) check->at_ms,
                      "accepted", (json_int_t) check->accepted_count,
                      "refused", (json_int_t) check->refused_count);
}

static int
s_compare (const void *a, const void *b)
{
    return strcmp ((const char *) a, (const char *) b);
}

//  True when a connection works for the hub now.
static bool
s_in_use (s_book_t *book, const char *hub_id)
{
    if (!*hub_id)
        return false;
    for (miner_trust_t *checker = (miner_trust_t *) zlist_first (book->checkers); checker;
         checker = (miner_trust_t *) zlist_next (book->checkers))
        if (streq (checker->hub_id, hub_id))
            return true;
    return false;
}

json_t *
miner_trust_json (miner_trust_t *self)
{
    //  Every id rated or checked, by id; then the unnamed ones, by endpoint
    zlistx_t *keys = zlistx_new ();
    zlistx_set_destructor (keys, (czmq_destructor *) zstr_free);
    zlistx_set_comparator (keys, (czmq_comparator *) s_compare);
    zhashx_t *ratings = self->book->ratings, *checks = self->book->checks;
    for (void *item = zhashx_first (ratings); item; item = zhashx_next (ratings))
        zlistx_add_end (keys, strdup ((const char *) zhashx_cursor (ratings)));
    for (void *item = zhashx_first (checks); item; item = zhashx_next (checks)) {
        const char *key = (const char *) zhashx_cursor (checks);
        if (!zhashx_lookup (ratings, key))
            zlistx_add_end (keys, strdup (key));
    }
    zlistx_sort (keys);
    json_t *hubs = json_array ();
    for (const char *key = (const char *) zlistx_first (keys); key;
         key = (const char *) zlistx_next (keys)) {
        miner_trust_rating_t *rating = (miner_trust_rating_t *) zhashx_lookup (ratings, key);
        s_check_t *check = (s_check_t *) zhashx_lookup (checks, key);
        miner_trust_rating_t none;
        memset (&none, 0, sizeof none);
        const miner_trust_rating_t *shown = rating? rating: &none;
        const char *hub_id = rating? rating->hub_id: check->hub_id;
        json_array_append_new (hubs, json_pack (
            "{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:b, s:o}",
            "hub_id", hub_id,
            "hub_key", *shown->hub_key? shown->hub_key: check? check->hub_key: "",
            "ledger_key", shown->ledger_key,
            "endpoint", check? check->endpoint: "",
            "rating", (json_int_t) miner_trust_score (shown),
            "paid", (json_int_t) shown->paid, "unpaid", (json_int_t) shown->unpaid,
            "bad", (json_int_t) shown->bad, "earned", (json_int_t) shown->earned,
            "first_ms", (json_int_t) shown->first_ms, "updated_ms", (json_int_t) shown->updated_ms,
            "trusted", s_is_trusted (self, rating),
            "current", s_in_use (self->book, hub_id),
            "last_check", s_check_json (check)));
    }
    zlistx_destroy (&keys);
    return json_pack ("{s:s, s:I, s:b, s:I, s:o}", "miner_id", self->book->miner_id,
                      "trust_level", (json_int_t) self->book->trust_level,
                      "require_registry", self->book->require_registry,
                      "min_stake", (json_int_t) self->book->min_stake, "hubs", hubs);
}
