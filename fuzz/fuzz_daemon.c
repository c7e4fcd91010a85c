/*  =========================================================================
    fuzz_daemon - what the fuzz targets that drive a whole daemon share
    =========================================================================  */
#include "fogrid.h"
#include "fuzz_daemon.h"

static const char *s_name = "fuzz";

void
fuzz_fail (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "%s: ", s_name);
    vfprintf (stderr, format, args);
    fprintf (stderr, "\n");
    va_end (args);
    __builtin_trap ();
}

void
fuzz_start (const char *name)
{
    s_name = name;
    zsys_init ();
    if (!getenv ("FUZZ_LOG"))
        zsys_set_logstream (NULL);
}

void
fuzz_tmpdir (char *path, size_t size)
{
    const char *base = zsys_file_exists ("/dev/shm")? "/dev/shm": "/tmp";
    snprintf (path, size, "%s/%s-XXXXXX", base, s_name);
    if (!mkdtemp (path))
        fuzz_fail ("cannot make a directory in %s", base);
}

void
fuzz_remove (const char *path)
{
    zdir_t *dir = zdir_new (path, NULL);
    if (dir)
        zdir_remove (dir, true);
    zdir_destroy (&dir);
}

void
fuzz_keys (const fg_cfg_def_t *defs, const char *dir, const char *name)
{
    char keys [400], err [300];
    snprintf (keys, sizeof keys, "%s/keys/%s.key", dir, name);
    fg_config_t *config = fg_config_new (defs);
    fg_config_set (config, "security/keys", keys);
    if (fg_security_init (config, keys, true, err, sizeof err))
        fuzz_fail ("security: %s", err);
    fg_config_destroy (&config);
}

void
fuzz_patch (fuzz_patches_t *self, char **field, char *value)
{
    if (self->count >= 64) {
        free (value);
        return;
    }
    self->patches [self->count].field = field;
    self->patches [self->count].original = *field;
    self->patches [self->count].value = value;
    self->count++;
    *field = value;
}

void
fuzz_unpatch (fuzz_patches_t *self)
{
    while (self->count) {
        self->count--;
        *self->patches [self->count].field = self->patches [self->count].original;
        free (self->patches [self->count].value);
    }
}
