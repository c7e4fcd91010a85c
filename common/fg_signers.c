/*  =========================================================================
    fg_signers - the keys whose signatures a process takes

    DESIGN
    One set of key texts, Ed25519 keys in lowercase hex and CurveZMQ keys
    in Z85: the two spellings cannot be mistaken for each other (64 and
    40 characters), so one lookup serves both. A directory is read again
    when its modification time changes (adding or removing a file changes
    it), which a lookup checks with one stat: lookups are rare (one per
    registry record), and an operator who withdraws a key expects it to
    be gone without a restart.
    =========================================================================  */
#include "fogrid.h"
#include "fg_signkey.h"
#include "fg_signers.h"
#include <ctype.h>
#include <sys/stat.h>

struct _fg_signers_t {
    zhashx_t *keys;             //  key text -> "sign" or "curve"
    bool anyone;                //  `*` listed
    char *dir;                  //  the directory read, or NULL for a list
    struct timespec dir_mtime;  //  its modification time when read
};

static bool
s_is_dir (const char *path, struct timespec *mtime)
{
    struct stat info;
    if (stat (path, &info) || !S_ISDIR (info.st_mode))
        return false;
    if (mtime)
        *mtime = info.st_mtim;
    return true;
}

//  Reads one entry (a key's text, or a file holding one) into key.
//  Returns "sign", "curve", or NULL when it is no key.
static const char *
s_entry_key (const char *entry, char *key)
{
    if (strlen (entry) == 64 && fg_signkey_read_public (entry, key) == 0)
        return "sign";
    if (fg_curve_key_valid (entry)) {
        snprintf (key, FG_SIGNKEY_HEX, "%s", entry);
        return "curve";
    }
    if (!zsys_file_exists (entry))
        return NULL;
    zconfig_t *config = zconfig_load (entry);
    const char *curve = config? zconfig_get (config, "curve/public-key", ""): "";
    const char *kind = NULL;
    if (fg_curve_key_valid (curve)) {
        snprintf (key, FG_SIGNKEY_HEX, "%s", curve);
        kind = "curve";
    }
    else
    if (fg_signkey_read_public (entry, key) == 0)
        kind = "sign";
    zconfig_destroy (&config);
    return kind;
}

static void
s_add (fg_signers_t *self, const char *entry)
{
    char key [FG_SIGNKEY_HEX];
    const char *kind = s_entry_key (entry, key);
    if (kind)
        zhashx_update (self->keys, key, (void *) kind);
}

static void
s_read_dir (fg_signers_t *self)
{
    zhashx_purge (self->keys);
    s_is_dir (self->dir, &self->dir_mtime);
    zdir_t *dir = zdir_new (self->dir, "-");
    zlist_t *files = dir? zdir_list (dir): NULL;
    for (zfile_t *file = files? (zfile_t *) zlist_first (files): NULL; file;
         file = (zfile_t *) zlist_next (files)) {
        const char *name = zfile_filename (file, NULL);
        size_t length = strlen (name);
        if (length < 7 || !streq (name + length - 7, "_secret"))
            s_add (self, name);
    }
    zlist_destroy (&files);
    zdir_destroy (&dir);
}

int
fg_signers_check (const char *list, char *err, size_t err_size)
{
    if (!list || !*list || s_is_dir (list, NULL))
        return 0;
    zlist_t *entries = fg_split_list (list);
    int rc = 0;
    for (char *entry = (char *) zlist_first (entries); entry && !rc;
         entry = (char *) zlist_next (entries)) {
        char key [FG_SIGNKEY_HEX];
        if (!streq (entry, "*") && !s_entry_key (entry, key)) {
            snprintf (err, err_size, "'%.80s' is neither a directory nor a key: a signing key "
                      "(64 hex digits, or its NAME.sign file as fogrid keygen makes it), a "
                      "CurveZMQ key (40 Z85 characters, or its file), or *", entry);
            rc = -1;
        }
    }
    zlist_destroy (&entries);
    return rc;
}

fg_signers_t *
fg_signers_new (const char *list)
{
    fg_signers_t *self = (fg_signers_t *) zmalloc (sizeof (fg_signers_t));
    self->keys = zhashx_new ();
    if (list && *list && s_is_dir (list, NULL)) {
        self->dir = strdup (list);
        s_read_dir (self);
    }
    else
    if (list && *list) {
        zlist_t *entries = fg_split_list (list);
        for (char *entry = (char *) zlist_first (entries); entry;
             entry = (char *) zlist_next (entries))
            if (streq (entry, "*"))
                self->anyone = true;
            else
                s_add (self, entry);
        zlist_destroy (&entries);
    }
    return self;
}

void
fg_signers_destroy (fg_signers_t **self_p)
{
    if (*self_p) {
        fg_signers_t *self = *self_p;
        zhashx_destroy (&self->keys);
        free (self->dir);
        free (self);
        *self_p = NULL;
    }
}

bool
fg_signers_anyone (fg_signers_t *self)
{
    return self->anyone;
}

//  Reads the directory again when it changed.
static void
s_refresh (fg_signers_t *self)
{
    struct timespec mtime = { 0, 0 };
    if (self->dir && (!s_is_dir (self->dir, &mtime)
                   || mtime.tv_sec != self->dir_mtime.tv_sec
                   || mtime.tv_nsec != self->dir_mtime.tv_nsec))
        s_read_dir (self);
}

bool
fg_signers_has (fg_signers_t *self, const char *key)
{
    if (!key || !*key)
        return self->anyone;
    s_refresh (self);
    return self->anyone || zhashx_lookup (self->keys, key) != NULL;
}

static size_t
s_count (fg_signers_t *self, const char *kind)
{
    s_refresh (self);
    size_t count = 0;
    for (const char *value = (const char *) zhashx_first (self->keys); value;
         value = (const char *) zhashx_next (self->keys))
        count += streq (value, kind);
    return count;
}

size_t
fg_signers_sign_keys (fg_signers_t *self)
{
    return s_count (self, "sign");
}

size_t
fg_signers_curve_keys (fg_signers_t *self)
{
    return s_count (self, "curve");
}
