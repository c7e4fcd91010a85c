/*  =========================================================================
    test_support - what the suites share: temp dirs, free ports, and real
    daemon processes started from the build tree
    =========================================================================  */
#ifndef TEST_SUPPORT_H_INCLUDED
#define TEST_SUPPORT_H_INCLUDED

#include "fogrid.h"
#include <CUnit/CUnit.h>
#include <CUnit/Basic.h>
#include <sys/types.h>

//  Adds a suite with its tests: ts_add_suite ("name", "test a", fn_a, ..., NULL)
void ts_add_suite (const char *name, ...);

//  A fresh temp directory (removed, with what is in it, by ts_tmpdir_remove).
char *ts_tmpdir_new (const char *tag);
void ts_tmpdir_remove (char **path_p);

//  A TCP port on 127.0.0.1 that nothing listens on right now.
int ts_free_port (void);

//  Path of a program in the build tree ("fogrid-hub" -> ".../bin/fogrid-hub").
const char *ts_bin (const char *program);

//  A daemon started as a real process; its stderr goes to LOGDIR/NAME.log.
typedef struct {
    pid_t pid;
    char name [64];
    char log [512];
} ts_proc_t;

//  Starts program with a NULL-terminated argument list (after argv[0]).
ts_proc_t *ts_proc_start (const char *logdir, const char *name, const char *program, ...);
//  SIGTERM, then SIGKILL after timeout_ms; returns the exit status (-1 if killed).
int ts_proc_stop (ts_proc_t **self_p, int timeout_ms);
//  SIGKILL now (a crash); reaps it.
void ts_proc_kill (ts_proc_t **self_p);
//  True while the process runs.
bool ts_proc_alive (ts_proc_t *self);
//  Prints the last lines of its log (on a failure, to see why).
void ts_proc_dump_log (ts_proc_t *self);

//  Runs a command line through sh, with stdin from /dev/null, and returns
//  its exit status; *output (if given) gets stdout+stderr (caller frees).
int ts_run (char **output, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

//  Sends request on a DEALER and returns the first reply with its seq
//  (others are dropped), or NULL when none comes within the socket's
//  receive timeout.
fg_env_t *ts_call (zsock_t *sock, fg_env_t *request);

//  The task id a `fogrid submit` (or run-service) printed: its first line,
//  in output, which it takes (NULL when it is not one or rc is not 0,
//  saying what came instead, after what, on stderr).
char *ts_task_id (int rc, char *output, const char *what);

//  Polls cond(arg) every 50 ms until it is true or timeout_ms passes.
bool ts_wait_for (bool (*cond) (void *), void *arg, int timeout_ms);

//  The entry of a result's output files at path, or NULL (said on stdout).
Fogrid__OutputFile *ts_output_file (Fogrid__TaskResult *result, const char *path);

//  True when file is there and holds exactly text.
bool ts_output_is (Fogrid__OutputFile *file, const char *text);

//  The text of the file DIR/PATH (up to 64 KB; caller frees), NULL when
//  it cannot be read.
char *ts_read_text (const char *dir, const char *path);

//  Speaks the start of ZMTP 3.0 to 127.0.0.1:port over a bare TCP
//  connection: a greeting that offers mechanism ("NULL", "PLAIN"), then
//  waits (2 s at most) for the server to hang up, as a CurveZMQ server
//  does with any other mechanism. Unlike a ZeroMQ client, it never hangs
//  up first, so the server always reads the mechanism. Returns true when
//  the server hung up.
bool ts_zmtp_greet (int port, const char *mechanism);

#endif
