/*  =========================================================================
    chaos_procs - a chaos run's task processes
    =========================================================================  */
#include "test_support.h"
#include "chaos_procs.h"
#include <pthread.h>
#include <signal.h>
#include <dirent.h>
#include <unistd.h>

#define S_MAX_MINERS    8
#define S_MAX_ORPHANS   64

typedef struct {
    pid_t pid;
    char cmdline [160];
    int64_t first_ms;           //  zclock_mono when first seen orphaned
    int64_t last_ms;            //  ... and last
} s_orphan_t;

struct _chaos_procs_t {
    char marker [64];           //  in every task process's argv
    int miners;                 //  miner slots in use
    pthread_mutex_t lock;       //  guards what follows (the watcher is a thread)
    pid_t miner_pids [S_MAX_MINERS];    //  0 while a miner is dead
    int orphans_n;              //  orphans seen (distinct pids)
    s_orphan_t orphans [S_MAX_ORPHANS]; //  the first of them
    pthread_t watcher;
    bool watching;
    volatile bool quit;         //  the watcher ends
};

chaos_procs_t *
chaos_procs_new (const char *marker, int miners)
{
    chaos_procs_t *self = (chaos_procs_t *) zmalloc (sizeof (chaos_procs_t));
    snprintf (self->marker, sizeof self->marker, "%s", marker);
    self->miners = miners < S_MAX_MINERS? miners: S_MAX_MINERS;
    pthread_mutex_init (&self->lock, NULL);
    return self;
}

void
chaos_procs_destroy (chaos_procs_t **self_p)
{
    if (*self_p) {
        chaos_procs_t *self = *self_p;
        chaos_procs_stop (self);
        pthread_mutex_destroy (&self->lock);
        free (self);
        *self_p = NULL;
    }
}

void
chaos_procs_set_miner (chaos_procs_t *self, int index, pid_t pid)
{
    if (!self || index < 0 || index >= self->miners)
        return;
    pthread_mutex_lock (&self->lock);
    self->miner_pids [index] = pid;
    pthread_mutex_unlock (&self->lock);
}

//  The parent of pid, 0 when it is gone.
static pid_t
s_ppid (pid_t pid)
{
    char path [64], line [512];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return 0;
    size_t got = fread (line, 1, sizeof line - 1, file);
    fclose (file);
    line [got] = 0;
    //  pid (comm) state ppid: comm may hold spaces and parentheses
    char *close = strrchr (line, ')');
    int ppid = 0;
    if (!close || sscanf (close + 1, " %*c %d", &ppid) != 1)
        return 0;
    return (pid_t) ppid;
}

//  Whose a marked process is: a miner's index, CHAOS_PROCS_OURS or
//  CHAOS_PROCS_ORPHAN.
static int
s_owner (chaos_procs_t *self, pid_t pid)
{
    pid_t test = getpid ();
    pid_t miners [S_MAX_MINERS];
    pthread_mutex_lock (&self->lock);
    memcpy (miners, self->miner_pids, sizeof miners);
    pthread_mutex_unlock (&self->lock);
    for (int depth = 0; depth < 64 && pid > 1; depth++) {
        for (int index = 0; index < self->miners; index++)
            if (miners [index] == pid)
                return index;
        if (pid == test)
            return CHAOS_PROCS_OURS;
        pid = s_ppid (pid);
        if (pid == 0)
            return CHAOS_PROCS_OURS;    //  it ended while we looked: nobody's concern
    }
    return pid == 1? CHAOS_PROCS_ORPHAN: CHAOS_PROCS_OURS;
}

//  Calls fn for every process whose argv holds the marker.
static void
s_scan (chaos_procs_t *self, void (*fn) (chaos_procs_t *self, pid_t pid, const char *cmdline,
                                         void *arg), void *arg)
{
    DIR *proc = opendir ("/proc");
    if (!proc)
        return;
    struct dirent *entry;
    while ((entry = readdir (proc))) {
        pid_t pid = (pid_t) atoi (entry->d_name);
        if (pid <= 1)
            continue;
        char path [64], cmdline [1024];
        snprintf (path, sizeof path, "/proc/%d/cmdline", (int) pid);
        FILE *file = fopen (path, "r");
        if (!file)
            continue;
        size_t got = fread (cmdline, 1, sizeof cmdline - 1, file);
        fclose (file);
        for (size_t at = 0; at < got; at++)
            if (cmdline [at] == 0)
                cmdline [at] = ' ';
        cmdline [got] = 0;
        if (strstr (cmdline, self->marker))
            fn (self, pid, cmdline, arg);
    }
    closedir (proc);
}

static void
s_note_orphan (chaos_procs_t *self, pid_t pid, const char *cmdline, void *arg)
{
    (void) arg;
    if (s_owner (self, pid) != CHAOS_PROCS_ORPHAN)
        return;
    pthread_mutex_lock (&self->lock);
    bool known = false;
    int64_t now = zclock_mono ();
    int kept = self->orphans_n < S_MAX_ORPHANS? self->orphans_n: S_MAX_ORPHANS;
    for (int index = 0; index < kept; index++)
        if (self->orphans [index].pid == pid) {
            self->orphans [index].last_ms = now;
            known = true;
        }
    if (!known) {
        if (self->orphans_n < S_MAX_ORPHANS) {
            s_orphan_t *orphan = &self->orphans [self->orphans_n];
            orphan->pid = pid;
            orphan->first_ms = orphan->last_ms = now;
            snprintf (orphan->cmdline, sizeof orphan->cmdline, "%s", cmdline);
        }
        self->orphans_n++;
    }
    pthread_mutex_unlock (&self->lock);
}

static void *
s_watcher (void *arg)
{
    chaos_procs_t *self = (chaos_procs_t *) arg;
    while (!self->quit) {
        s_scan (self, s_note_orphan, NULL);
        zclock_sleep (100);
    }
    return NULL;
}

void
chaos_procs_watch (chaos_procs_t *self)
{
    if (!self->watching) {
        self->quit = false;
        self->watching = pthread_create (&self->watcher, NULL, s_watcher, self) == 0;
    }
}

void
chaos_procs_stop (chaos_procs_t *self)
{
    if (self->watching) {
        self->quit = true;
        pthread_join (self->watcher, NULL);
        self->watching = false;
    }
}

int
chaos_procs_orphans (chaos_procs_t *self, int max, int min_ms)
{
    pthread_mutex_lock (&self->lock);
    int count = 0;
    for (int index = 0; index < self->orphans_n && index < S_MAX_ORPHANS; index++) {
        int seen_ms = (int) (self->orphans [index].last_ms - self->orphans [index].first_ms);
        if (index < max)
            printf ("      %d, seen for %d ms or more: %s\n", (int) self->orphans [index].pid,
                    seen_ms, self->orphans [index].cmdline);
        if (seen_ms >= min_ms)
            count++;
    }
    //  Past what was kept, each counts
    if (self->orphans_n > S_MAX_ORPHANS)
        count += self->orphans_n - S_MAX_ORPHANS;
    pthread_mutex_unlock (&self->lock);
    return count;
}

typedef struct {
    int miner;                  //  whose to count (or, with kill, all but ours)
    int count;
    bool kill;                  //  and SIGKILL them
} s_count_t;

static void
s_count_one (chaos_procs_t *self, pid_t pid, const char *cmdline, void *arg)
{
    s_count_t *count = (s_count_t *) arg;
    int owner = s_owner (self, pid);
    if (count->kill? owner != CHAOS_PROCS_OURS: owner == count->miner) {
        count->count++;
        if (count->kill) {
            printf ("    left behind: %d %s\n", (int) pid, cmdline);
            kill (pid, SIGKILL);
        }
    }
}

int
chaos_procs_count (chaos_procs_t *self, int miner)
{
    s_count_t count = { miner, 0, false };
    s_scan (self, s_count_one, &count);
    return count.count;
}

int
chaos_procs_kill_left (chaos_procs_t *self)
{
    s_count_t count = { 0, 0, true };
    s_scan (self, s_count_one, &count);
    return count.count;
}
