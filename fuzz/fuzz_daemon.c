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

bool
fuzz_next_message (const uint8_t *data, size_t size, size_t *at, uint8_t *op,
                   const uint8_t **bytes, size_t *length)
{
    if (*at + 2 > size)
        return false;
    *op = data [(*at)++];
    *length = data [(*at)++];
    if (*length > size - *at)
        *length = size - *at;
    *bytes = data + *at;
    *at += *length;
    unsigned step = *op >> 3;
    fg_clock_advance (step == 31? 3700000: (int64_t) step * 250);
    return true;
}

fg_config_t *
fuzz_miner_config (const fg_cfg_def_t *defs, const char *hubs, const char *data,
                   const char *id, const char *http)
{
    fg_config_t *config = fg_config_new (defs);
    fg_config_set (config, "security/insecure", "1");
    fg_config_set (config, "miner/hubs", hubs);
    fg_config_set (config, "miner/data_dir", data);
    fg_config_set (config, "miner/id", id);
    fg_config_set (config, "miner/runtime", "null");
    fg_config_set (config, "miner/http", http);
    fg_config_set (config, "miner/cores", "4");
    fg_config_set (config, "miner/mem_mb", "4096");
    fg_config_set (config, "miner/disk_mb", "4096");
    fg_config_set (config, "miner/gpus", "0");
    fg_config_set (config, "locator/endpoints", "");
    return config;
}

fg_config_t *
fuzz_hub_config (const fg_cfg_def_t *defs, const char *data, const char *http)
{
    fg_config_t *config = fg_config_new (defs);
    fg_config_set (config, "hub/buyer_endpoint", "tcp://127.0.0.1:*");
    fg_config_set (config, "hub/miner_endpoint", "tcp://127.0.0.1:*");
    fg_config_set (config, "hub/data_dir", data);
    fg_config_set (config, "hub/http", http);
    fg_config_set (config, "locator/endpoints", "");
    fg_config_set (config, "hub/buyer_rate", "0");
    fg_config_set (config, "hub/miner_rate", "0");
    return config;
}

zsock_t *
fuzz_hub_router (char *endpoint, size_t size)
{
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    zsock_set_linger (router, 0);
    zsock_set_sndtimeo (router, 0);
    int port = zsock_bind (router, "tcp://127.0.0.1:*");
    if (port <= 0)
        fuzz_fail ("cannot bind a port on 127.0.0.1");
    snprintf (endpoint, size, "tcp://127.0.0.1:%d", port);
    return router;
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
