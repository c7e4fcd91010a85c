/*  =========================================================================
    fg_daemon - what every fogrid daemon's main() shares

    The flags (--help, --version, -f, -t, -v, -o, and each daemon's own
    shortcuts for its endpoints), the config layering, and the wait for a
    signal or for the server actor to stop on its own.
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
} fg_daemon_info_t;

//  Parses argv, builds and checks the config and sets up security (keys
//  made on first start). Returns the config to run with, or NULL when the
//  program must exit now with *exit_code (0 after --help, --version or a
//  good -t; 1 for a bad config or keys; 2 for a bad command line). The
//  caller ends with fg_daemon_end.
fg_config_t *fg_daemon_setup (const fg_daemon_info_t *info, int argc, char **argv,
                              int *exit_code);

//  Waits until SIGINT/SIGTERM or until the actor sends anything (it does
//  when it stops on its own, e.g. on a fatal error). Returns 0 on a signal,
//  1 when the actor stopped.
int fg_daemon_wait (zactor_t *actor);

//  Undoes fg_daemon_setup: security and the config.
void fg_daemon_end (fg_config_t **config_p);

#endif
