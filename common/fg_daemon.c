/*  =========================================================================
    fg_daemon - what every fogrid daemon's main() shares
    =========================================================================  */
#include "fogrid.h"
#include "fg_log.h"
#include "fg_sdnotify.h"

static const fg_daemon_info_t *s_info = NULL;  //  the daemon this process is
static fg_datadir_t *s_data_lock = NULL;        //  held for the process's life
static int s_unanswered = 0;    //  asks of the actor not answered yet
static bool s_actor_ended = false;  //  we took the signal its thread ends with

static int s_lock_data_dir (const fg_daemon_info_t *info, fg_config_t *config, int *exit_code);

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
    s_info = info;
    fg_log_start ();

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
    if (info->data_dir_key && (!info->uses_data_dir || info->uses_data_dir (config))
    &&  s_lock_data_dir (info, config, exit_code))
        goto exit_now;
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

//  Before anything in the data directory is read or written: a second
//  daemon there would act as the first (same ids, same store) and undo
//  its work, so it stops here, saying who holds it
static int
s_lock_data_dir (const fg_daemon_info_t *info, fg_config_t *config, int *exit_code)
{
    const char *dir = fg_config_str (config, info->data_dir_key);
    char err [512];
    pid_t holder;
    s_data_lock = fg_datadir_lock (dir, &holder, err, sizeof err);
    if (s_data_lock)
        return 0;
    char lock [PATH_MAX];
    snprintf (lock, sizeof lock, "%s/%s", dir, FG_DATADIR_LOCK);
    if (holder > 0) {
        zsys_error ("%s: data directory %s is in use by pid %d (%s); stop it first or use "
                    "another --data", info->program, dir, (int) holder, lock);
        *exit_code = FG_DAEMON_EXIT_IN_USE;
    }
    else
    if (strstr (err, " is locked by ")) {
        zsys_error ("%s: data directory %s is in use by another process (%s); stop it first "
                    "or use another --data", info->program, dir, lock);
        *exit_code = FG_DAEMON_EXIT_IN_USE;
    }
    else {
        zsys_error ("%s: %s: %s", info->program, info->data_dir_key, err);
        *exit_code = 1;
    }
    return -1;
}

//  The actor's answers come on its pipe in order, one per ask; an answer
//  that came too late is still owed and dropped when it arrives. The
//  signal an actor sends when its thread ends is taken here too at times:
//  zactor_destroy would then wait for another, so it is told not to wait
//  long.
static void
s_signal_taken (zactor_t *actor)
{
    zsock_set_rcvtimeo (zactor_sock (actor), 200);
    s_actor_ended = true;
}

zmsg_t *
fg_daemon_ask (zactor_t *actor, const char *command)
{
    if (zstr_send (actor, command))
        return NULL;
    s_unanswered++;
    zpoller_t *poller = zpoller_new (actor, NULL);
    int64_t deadline = zclock_mono () + 1000;
    zmsg_t *answer = NULL;
    while (!answer && !zsys_interrupted) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0 || !zpoller_wait (poller, (int) left))
            break;
        zmsg_t *msg = zmsg_recv (actor);
        if (!msg)
            break;
        if (zmsg_signal (msg) >= 0) {
            s_signal_taken (actor);
            zmsg_destroy (&msg);
            break;
        }
        if (--s_unanswered == 0)
            answer = msg;       //  ours: the last one asked
        else
            zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    return answer;
}

//  Asks the actor for its state: under systemd, the STATUS= line when it
//  changed and, when it answered, the watchdog's ping
static void
s_tell_state (zactor_t *actor, char *last, size_t size, bool watchdog)
{
    char line [256] = "";
    int rc = s_info && s_info->status? s_info->status (actor, line, sizeof line): 0;
    if (rc == 0 && *line && strcmp (line, last)) {
        char *state = zsys_sprintf ("STATUS=%s", line);
        fg_sdnotify_send (state);
        zstr_free (&state);
        snprintf (last, size, "%s", line);
    }
    if (rc == 0 && watchdog)
        fg_sdnotify_send ("WATCHDOG=1");
}

int
fg_daemon_wait (zactor_t *actor)
{
    bool notify = fg_sdnotify_enabled ();
    int64_t watchdog = notify? fg_sdnotify_watchdog_ms (): 0;
    //  Pings at half the watchdog's period; the status line at least
    //  every five seconds
    int64_t period = watchdog? watchdog / 2: 5000;
    if (period > 5000)
        period = 5000;
    if (period < 1)
        period = 1;
    char last [256] = "";
    if (notify) {
        fg_sdnotify_send ("READY=1");
        s_tell_state (actor, last, sizeof last, watchdog > 0);
    }
    int64_t next = zclock_mono () + period;
    zpoller_t *poller = zpoller_new (actor, NULL);
    int rc = 0;
    while (!zsys_interrupted && !s_actor_ended) {
        int64_t wait = notify? next - zclock_mono (): 500;
        if (wait > 500)
            wait = 500;
        void *which = wait > 0? zpoller_wait (poller, (int) wait): NULL;
        if (which == actor) {
            if (s_unanswered == 0) {
                rc = 1;         //  it stopped: its message is for zactor_destroy
                break;
            }
            zmsg_t *msg = zmsg_recv (actor);
            if (!msg || zmsg_signal (msg) >= 0) {
                if (msg)
                    s_signal_taken (actor);
                zmsg_destroy (&msg);
                rc = 1;
                break;
            }
            s_unanswered--;     //  a late answer
            zmsg_destroy (&msg);
        }
        if (zpoller_terminated (poller) || zsys_interrupted)
            break;
        if (notify && zclock_mono () >= next) {
            s_tell_state (actor, last, sizeof last, watchdog > 0);
            next = zclock_mono () + period;
        }
    }
    zpoller_destroy (&poller);
    if (s_actor_ended)
        rc = 1;
    if (notify)
        fg_sdnotify_send (rc? "STOPPING=1\nSTATUS=stopped on a failure (see the log)":
                              "STOPPING=1\nSTATUS=stopping");
    return rc;
}

void
fg_daemon_end (fg_config_t **config_p)
{
    fg_security_term ();
    fg_config_destroy (config_p);
    fg_datadir_destroy (&s_data_lock);
}
