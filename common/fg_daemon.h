/*  =========================================================================
    fg_daemon - what every fogrid daemon's main() shares

    The flags (--help, --version, -f, -t, -v, -o, and each daemon's own
    shortcuts for its endpoints), the config layering, the lock on the data
    directory (one daemon per directory), the log format, and the wait for
    a signal or for the server actor to stop on its own, telling systemd
    about it (Type=notify) on the way.
    =========================================================================  */
#ifndef FG_DAEMON_H_INCLUDED
#define FG_DAEMON_H_INCLUDED

//  A command-line shortcut for one setting: "--bind tcp://*:7700".
typedef struct {
    const char *flag;           //  "--bind"
    const char *path;           //  "locator/endpoint"
    const char *metavar;        //  "ENDPOINT"
} fg_flag_t;

typedef struct {
    const char *program;        //  "fogrid-hub"
    const char *summary;        //  one line for --help
    const fg_cfg_def_t *defs;   //  the settings table
    const fg_flag_t *flags;     //  shortcuts, ended by a NULL flag
    //  How values fit together (beyond each one's type), also for -t;
    //  may be NULL. Returns 0, or -1 with the reason in err.
    int (*check) (fg_config_t *config, char *err, size_t err_size);
    const char *data_dir_key;   //  "hub/data_dir": keys default to DIR/keys/
    const char *key_name;       //  "hub": ... and the file hub.key
    //  Whether this start uses the data directory (then it is made and
    //  locked, see fg_datadir); NULL means always. The locator keeps
    //  nothing there when it has neither keys nor a registry to keep.
    bool (*uses_data_dir) (fg_config_t *config);
    //  A one-line state for systemd's STATUS= ("12 names"), asked of the
    //  actor with fg_daemon_ask; its answer also tells the watchdog that
    //  the actor's loop turns. May be NULL. 0, or -1 when it did not answer.
    int (*status) (zactor_t *actor, char *line, size_t size);
} fg_daemon_info_t;

//  The exit code of a daemon whose data directory another process holds
#define FG_DAEMON_EXIT_IN_USE 3

//  Parses argv, builds and checks the config, locks the data directory
//  and sets up security (keys made on first start). Log lines go through
//  fg_log from here on. Returns the config to run with, or NULL when the
//  program must exit now with *exit_code (0 after --help, --version or a
//  good -t; 1 for a bad config or keys; 2 for a bad command line;
//  FG_DAEMON_EXIT_IN_USE when another process holds the data directory).
//  The caller ends with fg_daemon_end.
fg_config_t *fg_daemon_setup (const fg_daemon_info_t *info, int argc, char **argv,
                              int *exit_code);

//  Call once the actor serves. Waits until SIGINT/SIGTERM or until the
//  actor sends anything (it does when it stops on its own, e.g. on a fatal
//  error). Returns 0 on a signal, 1 when the actor stopped. Under systemd
//  it says READY=1 first, STATUS= lines and WATCHDOG=1 pings (when the
//  actor answers) meanwhile, and STOPPING=1 when it returns.
int fg_daemon_wait (zactor_t *actor);

//  Sends command to the actor and returns its answer, or NULL when none
//  comes within a second (a late one is dropped when it comes) or the
//  actor stopped. For the status callback.
zmsg_t *fg_daemon_ask (zactor_t *actor, const char *command);

//  Undoes fg_daemon_setup: security, the data directory's lock and the
//  config.
void fg_daemon_end (fg_config_t **config_p);

#endif
