/*  =========================================================================
    fg_config - a daemon's settings: defaults, ZPL file, environment, flags
    =========================================================================  */
#include "fogrid.h"
#include <errno.h>

struct _fg_config_t {
    const fg_cfg_def_t *defs;   //  the daemon's table
    size_t count;               //  entries in the table
    char **values;              //  current value of each entry
    char error [512];           //  why the last call failed
};

fg_config_t *
fg_config_new (const fg_cfg_def_t *defs)
{
    fg_config_t *self = (fg_config_t *) zmalloc (sizeof (fg_config_t));
    self->defs = defs;
    while (defs [self->count].path)
        self->count++;
    self->values = (char **) zmalloc (sizeof (char *) * (self->count + 1));
    for (size_t i = 0; i < self->count; i++)
        self->values [i] = strdup (defs [i].value? defs [i].value: "");
    return self;
}

void
fg_config_destroy (fg_config_t **self_p)
{
    if (*self_p) {
        fg_config_t *self = *self_p;
        for (size_t i = 0; i < self->count; i++)
            free (self->values [i]);
        free (self->values);
        free (self);
        *self_p = NULL;
    }
}

static int
s_index (fg_config_t *self, const char *path)
{
    for (size_t i = 0; i < self->count; i++)
        if (streq (self->defs [i].path, path))
            return (int) i;
    return -1;
}

static int
s_parse_bool (const char *value, bool *result)
{
    if (streq (value, "1") || streq (value, "true") || streq (value, "yes") || streq (value, "on"))
        *result = true;
    else
    if (streq (value, "0") || streq (value, "false") || streq (value, "no") || streq (value, "off"))
        *result = false;
    else
        return -1;
    return 0;
}

int
fg_config_set (fg_config_t *self, const char *path, const char *value)
{
    int index = s_index (self, path);
    if (index < 0) {
        snprintf (self->error, sizeof self->error, "unknown setting '%s'", path);
        return -1;
    }
    const fg_cfg_def_t *def = &self->defs [index];
    if (strlen (value) > 4096) {
        snprintf (self->error, sizeof self->error, "%s: value too long", path);
        return -1;
    }
    //  Every value must print back as ZPL, which quotes with " or ' and
    //  has no escapes: no control characters, and not both quotes
    for (const char *c = value; *c; c++)
        if ((unsigned char) *c < 0x20 || *c == 0x7f) {
            snprintf (self->error, sizeof self->error,
                      "%s: the value holds a control character (byte %d)", path,
                      (int) (c - value) + 1);
            return -1;
        }
    if (strchr (value, '"') && strchr (value, '\'')) {
        snprintf (self->error, sizeof self->error,
                  "%s: a value may hold double or single quotes, not both", path);
        return -1;
    }
    if (def->type == FG_CFG_INT) {
        errno = 0;
        char *end = NULL;
        long long number = strtoll (value, &end, 10);
        if (errno || !end || end == value || *end) {
            snprintf (self->error, sizeof self->error,
                      "%s: '%s' is not an integer", path, value);
            return -1;
        }
        if (number < def->min || number > def->max) {
            snprintf (self->error, sizeof self->error,
                      "%s: %lld is out of range (%lld..%lld)", path, number,
                      (long long) def->min, (long long) def->max);
            return -1;
        }
    }
    else
    if (def->type == FG_CFG_BOOL) {
        bool flag;
        if (s_parse_bool (value, &flag)) {
            snprintf (self->error, sizeof self->error,
                      "%s: '%s' is not a boolean (use 1/0, true/false, yes/no)", path, value);
            return -1;
        }
    }
    free (self->values [index]);
    self->values [index] = strdup (value);
    return 0;
}

//  Walks the ZPL tree; every leaf with a value must be a known setting.
static int
s_load_tree (fg_config_t *self, zconfig_t *node, const char *prefix)
{
    for (zconfig_t *child = zconfig_child (node); child; child = zconfig_next (child)) {
        char path [256];
        if (*prefix)
            snprintf (path, sizeof path, "%s/%s", prefix, zconfig_name (child));
        else
            snprintf (path, sizeof path, "%s", zconfig_name (child));
        if (zconfig_child (child)) {
            if (s_load_tree (self, child, path))
                return -1;
        }
        else {
            const char *value = zconfig_value (child);
            if (fg_config_set (self, path, value? value: ""))
                return -1;
        }
    }
    return 0;
}

int
fg_config_load_text (fg_config_t *self, const char *text, size_t size, const char *name)
{
    //  zconfig_chunk_load wants text it can read to a final NUL
    zchunk_t *chunk = zchunk_new (NULL, size + 1);
    zchunk_append (chunk, text, size);
    zchunk_extend (chunk, "", 1);
    zconfig_t *root = zconfig_chunk_load (chunk);
    zchunk_destroy (&chunk);
    if (!root) {
        snprintf (self->error, sizeof self->error,
                  "%s: not valid ZPL (see the line reported above)", name);
        return -1;
    }
    char saved [512] = "";
    int rc = s_load_tree (self, root, "");
    if (rc) {
        snprintf (saved, sizeof saved, "%s", self->error);
        snprintf (self->error, sizeof self->error, "%s: %s", name, saved);
    }
    zconfig_destroy (&root);
    return rc;
}

int
fg_config_load (fg_config_t *self, const char *filename)
{
    //  Read here rather than with zconfig_load, which leaks its zfile when
    //  the text is not valid ZPL
    zchunk_t *chunk = zchunk_slurp (filename, 0);
    if (!chunk) {
        snprintf (self->error, sizeof self->error, "cannot read %s: %s",
                  filename, strerror (errno));
        return -1;
    }
    int rc = fg_config_load_text (self, (const char *) zchunk_data (chunk), zchunk_size (chunk),
                                  filename);
    zchunk_destroy (&chunk);
    return rc;
}

void
fg_config_env_name (const char *path, char *buf, size_t size)
{
    size_t pos = snprintf (buf, size, "FOGRID_");
    for (const char *c = path; *c && pos + 1 < size; c++)
        buf [pos++] = *c == '/'? '_': (char) toupper ((unsigned char) *c);
    buf [pos] = 0;
}

int
fg_config_apply_env (fg_config_t *self)
{
    for (size_t i = 0; i < self->count; i++) {
        char name [256];
        fg_config_env_name (self->defs [i].path, name, sizeof name);
        const char *value = getenv (name);
        if (value && fg_config_set (self, self->defs [i].path, value)) {
            char saved [512];
            snprintf (saved, sizeof saved, "%s", self->error);
            snprintf (self->error, sizeof self->error, "environment %s: %s", name, saved);
            return -1;
        }
    }
    return 0;
}

const char *
fg_config_error (fg_config_t *self)
{
    return self->error;
}

const char *
fg_config_str (fg_config_t *self, const char *path)
{
    int index = s_index (self, path);
    assert (index >= 0);
    return self->values [index];
}

int64_t
fg_config_int (fg_config_t *self, const char *path)
{
    int index = s_index (self, path);
    assert (index >= 0 && self->defs [index].type == FG_CFG_INT);
    return strtoll (self->values [index], NULL, 10);
}

bool
fg_config_bool (fg_config_t *self, const char *path)
{
    int index = s_index (self, path);
    assert (index >= 0 && self->defs [index].type == FG_CFG_BOOL);
    bool flag = false;
    s_parse_bool (self->values [index], &flag);
    return flag;
}

void
fg_config_print (fg_config_t *self, FILE *out, bool with_help)
{
    const char *section = "";
    size_t section_len = 0;
    for (size_t i = 0; i < self->count; i++) {
        const char *path = self->defs [i].path;
        const char *slash = strchr (path, '/');
        size_t len = slash? (size_t) (slash - path): 0;
        if (len != section_len || strncmp (path, section, len)) {
            fprintf (out, "%s%.*s\n", i? "\n": "", (int) len, path);
            section = path;
            section_len = len;
        }
        if (with_help)
            fprintf (out, "    #   %s\n", self->defs [i].help);
        char quote = strchr (self->values [i], '"')? '\'': '"';
        fprintf (out, "    %s = %c%s%c\n", slash? slash + 1: path, quote, self->values [i], quote);
    }
}
