/*  =========================================================================
    chaos_procs - a chaos run's task processes, found in /proc by a marker
    in their argv, and told apart by whose they are

    A task process belongs to the miner found among its ancestors. One
    whose ancestors reach pid 1 without a live miner outlived its miner
    (an orphan); one under this test process is the test's own (the CLI
    that submitted it, with the marker among its arguments). A watcher
    thread looks every 100 ms and remembers each orphan it sees.

        chaos_procs_t *procs = chaos_procs_new ("fgchaos123", 3);
        chaos_procs_set_miner (procs, 0, miner_pid);
        chaos_procs_watch (procs);
        ...
        chaos_procs_set_miner (procs, 0, 0);    //  before it is killed
        ...
        chaos_procs_destroy (&procs);           //  stops the watcher
    =========================================================================  */
#ifndef CHAOS_PROCS_H_INCLUDED
#define CHAOS_PROCS_H_INCLUDED

#include <sys/types.h>

typedef struct _chaos_procs_t chaos_procs_t;

#define CHAOS_PROCS_OURS    -1      //  under this test process
#define CHAOS_PROCS_ORPHAN  -2      //  under no live miner

chaos_procs_t *chaos_procs_new (const char *marker, int miners);
void chaos_procs_destroy (chaos_procs_t **self_p);

//  Miner index runs as pid from now on (0: it is dead, or about to be).
//  Does nothing on a NULL self (a suite that failed to start).
void chaos_procs_set_miner (chaos_procs_t *self, int index, pid_t pid);

//  Task processes of miner index, or of no live miner (CHAOS_PROCS_ORPHAN).
int chaos_procs_count (chaos_procs_t *self, int miner);

//  Starts the watcher thread (stopped by chaos_procs_stop or destroy).
void chaos_procs_watch (chaos_procs_t *self);
void chaos_procs_stop (chaos_procs_t *self);

//  Orphans the watcher saw; up to max of them printed, with how long
//  each was seen (between its first and last look, 100 ms apart).
//  Returns how many were seen for at least min_ms: a task process lives
//  on for the moment its miner's guardian takes to kill it, and one look
//  may fall in that moment.
int chaos_procs_orphans (chaos_procs_t *self, int max, int min_ms);

//  SIGKILLs every task process that is not the test's own, saying which,
//  and returns how many there were.
int chaos_procs_kill_left (chaos_procs_t *self);

#endif
