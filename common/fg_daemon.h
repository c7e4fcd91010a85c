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
} fg_daemon_info_t;

//  Parses argv and builds the config. Returns the config to run with, or
//  NULL when the program must exit now with *exit_code (0 after --help,
//  --version or a good -t; 1 for a bad config; 2 for a bad command line).
fg_config_t *fg_daemon_setup (const fg_daemon_info_t *info, int argc, char **argv,
                              int *exit_code);

//  Waits until SIGINT/SIGTERM or until the actor sends anything (it does
//  when it stops on its own, e.g. on a fatal error). Returns 0 on a signal,
//  1 when the actor stopped.
int fg_daemon_wait (zactor_t *actor);

#endif
