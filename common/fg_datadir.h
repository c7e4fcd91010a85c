/*  =========================================================================
    fg_datadir - one daemon per data directory

    A hub, miner or locator owns its data directory: its store, its id, its
    key pair, its tasks' work. A second daemon started on the same directory
    would speak as the first (the same miner id twice, a hub declaring the
    other's miners dead) and write into the same files, so a daemon takes
    an exclusive lock on DIR/lock before it touches anything there, and
    holds it for its life.

    The lock is flock(2) on an open file: the kernel drops it when the
    holder exits, however it exits (kill -9 too), so there is no stale lock
    to clean up by hand. The file holds the holder's pid for people (and
    for the refusal's message); it is opened O_CLOEXEC, so a task the miner
    runs never inherits it and cannot keep the directory held after the
    miner is gone.

        char err [512];
        pid_t holder;
        fg_datadir_t *lock = fg_datadir_lock ("/var/lib/fogrid/hub", &holder,
                                              err, sizeof err);
        if (!lock && holder)
            ...  //  in use by holder: refuse to start
        ...
        fg_datadir_destroy (&lock);   //  or just exit
    =========================================================================  */
#ifndef FG_DATADIR_H_INCLUDED
#define FG_DATADIR_H_INCLUDED

typedef struct _fg_datadir_t fg_datadir_t;

//  The lock file's name inside a data directory
#define FG_DATADIR_LOCK "lock"

//  Makes dir when missing (with its parents) and locks it. NULL when it
//  cannot: *holder is then the pid of the process that holds it (0 when
//  the file names none yet, or when the failure is something else, e.g.
//  the directory cannot be made), and err says why.
fg_datadir_t *fg_datadir_lock (const char *dir, pid_t *holder, char *err, size_t err_size);

//  Releases the lock and closes the file (the file stays: removing it
//  would let a third process lock a new file while a second one holds
//  the old, unlinked one). Idempotent.
void fg_datadir_destroy (fg_datadir_t **self_p);

//  The lock file's path ("DIR/lock").
const char *fg_datadir_lock_path (fg_datadir_t *self);

//  The pid written in DIR/lock, or 0 when there is none (no file, empty,
//  not a number). Says nothing about whether that process holds it.
pid_t fg_datadir_holder (const char *dir);

//  What a start would need of dir, checked without changing anything
//  (for -t): an existing, writable directory, or, when missing, a
//  writable directory as its nearest existing parent to make it in.
//  setting names it in the message ("hub/data_dir"). 0, or -1 and why.
int fg_datadir_check (const char *dir, const char *setting, char *err, size_t err_size);

#endif
