/*  =========================================================================
    fg_config - a daemon's settings: defaults, ZPL file, environment, flags

    Each daemon declares one table of fg_cfg_def_t (its every setting, type,
    default, bounds and help). Values are layered: the table's default, then
    the ZPL file (-f), then the environment (FOGRID_<SECTION>_<KEY>), then
    command-line overrides. Every layer is validated against the table, so a
    typo in a key or a value out of range is a clear error at start (and
    with -t), never a surprise later.
    =========================================================================  */
#ifndef FG_CONFIG_H_INCLUDED
#define FG_CONFIG_H_INCLUDED

typedef enum {
    FG_CFG_STR,
    FG_CFG_INT,
    FG_CFG_BOOL
} fg_cfg_type_t;

typedef struct {
    const char *path;           //  "section/key"
    fg_cfg_type_t type;
    const char *value;          //  default, as text
    int64_t min, max;           //  bounds for FG_CFG_INT
    const char *help;           //  one line, shown by --help and in deploy/
} fg_cfg_def_t;

typedef struct _fg_config_t fg_config_t;

//  Creates a config holding the defaults of the table (ended by a NULL path).
fg_config_t *fg_config_new (const fg_cfg_def_t *defs);
void fg_config_destroy (fg_config_t **self_p);

//  Loads a ZPL file over the current values. Returns 0 or -1 (see _error).
int fg_config_load (fg_config_t *self, const char *filename);

//  The same from text in memory; name is used in the error message.
int fg_config_load_text (fg_config_t *self, const char *text, size_t size, const char *name);

//  Sets one value, validating it. Returns 0 or -1 (see _error).
int fg_config_set (fg_config_t *self, const char *path, const char *value);

//  Applies FOGRID_<SECTION>_<KEY> environment variables. Returns 0 or -1.
int fg_config_apply_env (fg_config_t *self);

//  Why the last call failed.
const char *fg_config_error (fg_config_t *self);

//  Values; the path must be in the table (asserts: a programming error).
const char *fg_config_str (fg_config_t *self, const char *path);
int64_t fg_config_int (fg_config_t *self, const char *path);
bool fg_config_bool (fg_config_t *self, const char *path);

//  Writes the effective configuration as ZPL, with help as comments.
void fg_config_print (fg_config_t *self, FILE *out, bool with_help);

//  The environment variable that overrides path (into buf).
void fg_config_env_name (const char *path, char *buf, size_t size);

#endif
