/*  =========================================================================
    fg_daemon - what every fogrid daemon's main() shares
    =========================================================================  */
#include "fogrid.h"

static void
s_usage (const fg_daemon_info_t *info, fg_config_t *config, FILE *out)
{
    fprintf (out, "%s %s - %s\n\n", info->program, FG_VERSION_STRING, info->summary);
    fprintf (out, "usage: %s [options]\n\n", info->program);
    fprintf (out, "options:\n");
    fprintf (out, "  -f, --config FILE      read settings from a ZPL file\n");
    fprintf (out, "  -t, --test             check the configuration and exit\n");
    fprintf (out, "  -o, --set KEY=VALUE    set one setting (e.g. -o %s=...)\n", info->defs [0].path);
    fprintf (out, "  -p, --print-config     print the effective configuration and exit\n");
    fprintf (out, "  -v, --verbose          log debug messages\n");
    fprintf (out, "  -h, --help             show this help\n");
    fprintf (out, "  -V, --version          show the version\n");
    for (const fg_flag_t *flag = info->flags; flag && flag->flag; flag++)
        fprintf (out, "  %-22s same as -o %s=%s\n", flag->flag, flag->path, flag->metavar);
    fprintf (out, "\nsettings (defaults shown; environment FOGRID_SECTION_KEY overrides the file):\n");
    for (const fg_cfg_def_t *def = info->defs; def->path; def++) {
        char env [128];
        fg_config_env_name (def->path, env, sizeof env);
        fprintf (out, "  %-28s %s\n  %-28s   default \"%s\", env %s\n",
                 def->path, def->help, "", def->value, env);
    }
    (void) config;
}

static const char *
s_option_value (int argc, char **argv, int *index, const char *name)
{
    if (*index + 1 >= argc) {
        fprintf (stderr, "error: %s needs a value (see --help)\n", name);
        return NULL;
    }
    return argv [++*index];
}


//  A daemon whose key pair comes from the environment says so: the
//  variable is easy to inherit from a shell where someone exported it
//  for other purposes (older fogrid command lines read it too), and a
//  daemon with another's identity is refused by its peers for reasons
//  that are hard to trace back to a variable.
static void
s_keys_from_env (const fg_daemon_info_t *info, fg_config_t *config)
{
    if (!info->data_dir_key)
        return;                 //  no keys of its own
    char name [64];
    fg_config_env_name ("security/keys", name, sizeof name);
    const char *value = getenv (name);
    if (value && *value && streq (value, fg_config_str (config, "security/keys")))
        zsys_warning ("%s: security/keys comes from the environment (%s=%s): this daemon's "
                      "identity is that key pair; unset %s unless that is meant", info->program,
                      name, value, name);
}

fg_config_t *
fg_daemon_setup (const fg_daemon_info_t *info, int argc, char **argv, int *exit_code)
{
    const char *config_file = NULL;
    bool test_only = false, print_config = false;
    zlist_t *overrides = zlist_new ();      //  "path=value", in order
    zlist_autofree (overrides);
    fg_config_t *config = fg_config_new (info->defs);
    *exit_code = 0;

    for (int index = 1; index < argc; index++) {
        const char *arg = argv [index];
        const char *value;
        if (streq (arg, "-h") || streq (arg, "--help")) {
            s_usage (info, config, stdout);
            goto exit_now;
        }
        else
        if (streq (arg, "-V") || streq (arg, "--version")) {
            printf ("%s %s (protocol %d)\n", info->program, FG_VERSION_STRING, FG_PROTO_VERSION);
            goto exit_now;
        }
        else
        if (streq (arg, "-t") || streq (arg, "--test"))
            test_only = true;
        else
        if (streq (arg, "-p") || streq (arg, "--print-config"))
            print_config = true;
        else
        if (streq (arg, "-v") || streq (arg, "--verbose"))
            fg_verbose = true;
        else
        if (streq (arg, "-f") || streq (arg, "--config")) {
            if (!(config_file = s_option_value (argc, argv, &index, arg)))
                goto usage_error;
        }
        else
        if (streq (arg, "-o") || streq (arg, "--set")) {
            if (!(value = s_option_value (argc, argv, &index, arg)))
                goto usage_error;
            if (!strchr (value, '=')) {
                fprintf (stderr, "error: %s wants KEY=VALUE, got '%s'\n", arg, value);
                goto usage_error;
            }
            zlist_append (overrides, (void *) value);
        }
        else {
            const fg_flag_t *flag = info->flags;
            while (flag && flag->flag && !streq (flag->flag, arg))
                flag++;
            if (!flag || !flag->flag) {
                fprintf (stderr, "error: unknown option '%s' (see --help)\n", arg);
                goto usage_error;
            }
            if (!(value = s_option_value (argc, argv, &index, arg)))
                goto usage_error;
            char *pair = zsys_sprintf ("%s=%s", flag->path, value);
            zlist_append (overrides, pair);
            zstr_free (&pair);
        }
    }
    if (config_file && fg_config_load (config, config_file))
        goto config_error;
    if (fg_config_apply_env (config))
        goto config_error;
    for (char *pair = (char *) zlist_first (overrides); pair; pair = (char *) zlist_next (overrides)) {
        char *equals = strchr (pair, '=');
        *equals = 0;
        if (fg_config_set (config, pair, equals + 1))
            goto config_error;
    }
    zlist_destroy (&overrides);
    s_keys_from_env (info, config);
    if (print_config) {
        fg_config_print (config, stdout, true);
        fg_config_destroy (&config);
        return NULL;
    }
    char err [512];
    if (info->check && info->check (config, err, sizeof err)) {
        fprintf (stderr, "%s: configuration error: %s\n", info->program, err);
        *exit_code = 1;
        goto exit_now;
    }
    if (test_only) {
        printf ("%s: configuration %s is valid\n", info->program,
                config_file? config_file: "(defaults)");
        fg_config_destroy (&config);
        return NULL;
    }
    if (info->data_dir_key) {
        char *keys = zsys_sprintf ("%s/keys/%s.key", fg_config_str (config, info->data_dir_key),
                                   info->key_name);
        int rc = fg_security_init (config, keys, false, err, sizeof err);
        zstr_free (&keys);
        if (rc) {
            fprintf (stderr, "%s: security: %s\n", info->program, err);
            *exit_code = 1;
            goto exit_now;
        }
    }
    return config;

config_error:
    fprintf (stderr, "%s: configuration error: %s\n", info->program, fg_config_error (config));
    *exit_code = 1;
    goto exit_now;
usage_error:
    *exit_code = 2;
exit_now:
    zlist_destroy (&overrides);
    fg_config_destroy (&config);
    return NULL;
}

int
fg_daemon_wait (zactor_t *actor)
{
    zpoller_t *poller = zpoller_new (actor, NULL);
    int rc = 0;
    while (!zsys_interrupted) {
        void *which = zpoller_wait (poller, 500);
        if (which == actor) {
            rc = 1;
            break;
        }
        if (zpoller_terminated (poller))
            break;
    }
    zpoller_destroy (&poller);
    return rc;
}

void
fg_daemon_end (fg_config_t **config_p)
{
    fg_security_term ();
    fg_config_destroy (config_p);
}
