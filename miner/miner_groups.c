/*  =========================================================================
    miner_groups - the process groups of the running tasks, kept on disk

    DESIGN
    One small file per task, DIR/PID, holding "pid pgid written sid
    attempt task_id" (written: when, in ticks since boot, the clock of
    /proc/PID/stat's start times), written by the task's own process between clone and exec
    (so with raw system calls and no allocation: miner_process.c), in
    place, in one write: the miner's death cannot cut it short. Not
    fsynced: the record only has to outlive the miner's process, and the
    page cache does that; a machine that loses power loses the tasks too.

    The sweep reads /proc only: a record whose leader is alive and started
    before the record was written (a process that took its pid since
    started after) is killed as a group (killpg); members of the group are
    matched one by one (the group id, the session, started at most a
    second before the record), which also finds them once the leader is
    gone and the group has no process left to vouch for it. A killed process may stay a zombie until pid 1 reaps it; that
    counts as gone, for it holds nothing any more.
    =========================================================================  */
#include "fogrid.h"
#include "miner_groups.h"
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#define S_GONE_WAIT_MS  2000        //  the longest wait for killed processes

int
miner_groups_stat_fields (pid_t pid, char *state, unsigned long long *field, int max)
{
    char path [64], text [1024];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *file = fopen (path, "re");
    if (!file)
        return -1;
    size_t got = fread (text, 1, sizeof text - 1, file);
    fclose (file);
    text [got] = 0;
    //  After the name, which may hold anything: "(name) S ppid ..."
    char *cursor = strrchr (text, ')');
    if (!cursor || cursor [1] != ' ')
        return -1;
    cursor += 2;
    if (state)
        *state = *cursor;
    int count = 0;
    while (*cursor && count < max) {
        cursor += strcspn (cursor, " ");
        while (*cursor == ' ')
            cursor++;
        if (!*cursor)
            break;
        field [count++] = strtoull (cursor, NULL, 10);
    }
    return count;
}

int
miner_groups_stat (pid_t pid, pid_t *pgid, pid_t *sid, uint64_t *start, char *state)
{
    //  pgrp, session and starttime are fields 5, 6 and 22
    unsigned long long field [20];
    char process_state;
    if (miner_groups_stat_fields (pid, &process_state, field, 20) < 19)
        return -1;
    if (pgid)
        *pgid = (pid_t) field [1];
    if (sid)
        *sid = (pid_t) field [2];
    if (start)
        *start = field [18];
    if (state)
        *state = process_state;
    return 0;
}

//  Appends the decimal digits of value at cursor; returns the new end.
static char *
s_put_uint (char *cursor, uint64_t value)
{
    char digits [24];
    int count = 0;
    do
        digits [count++] = (char) ('0' + value % 10);
    while ((value /= 10));
    while (count)
        *cursor++ = digits [--count];
    return cursor;
}

static char *
s_put_text (char *cursor, const char *text, size_t max)
{
    while (*text && max--)
        *cursor++ = *text++;
    return cursor;
}

int
miner_groups_add_self (const char *dir, const char *task_id, uint32_t attempt)
{
    //  Now, in the clock of /proc/PID/stat's start times (ticks since
    //  boot): the vDSO answers, with no system call. The process started
    //  before this, and a process that takes its pid later starts after
    struct timespec now;
    long hz = sysconf (_SC_CLK_TCK);
    if (clock_gettime (CLOCK_BOOTTIME, &now) || hz <= 0)
        return -1;
    uint64_t written = (uint64_t) now.tv_sec * (uint64_t) hz
                     + (uint64_t) now.tv_nsec / (1000000000 / (uint64_t) hz) + 1;
    pid_t pid = getpid (), sid = getsid (0);
    //  "pid pgid written sid attempt task_id\n"
    char line [256], *end = line;
    end = s_put_uint (end, (uint64_t) pid);
    *end++ = ' ';
    end = s_put_uint (end, (uint64_t) pid);
    *end++ = ' ';
    end = s_put_uint (end, written);
    *end++ = ' ';
    end = s_put_uint (end, (uint64_t) (sid > 0? sid: 0));
    *end++ = ' ';
    end = s_put_uint (end, attempt);
    *end++ = ' ';
    end = s_put_text (end, task_id, 100);
    *end++ = '\n';
    //  Written in place: only the task's own process writes it, and the
    //  miner's death cannot cut its write short (the child dies of it only
    //  once it asks for the death signal, after this); a machine that
    //  stops in between stops the task too
    char path [PATH_MAX];
    size_t dir_len = strlen (dir);
    if (dir_len + 32 > sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    char *tail = s_put_text (path, dir, dir_len);
    *tail++ = '/';
    *s_put_uint (tail, (uint64_t) pid) = 0;
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    ssize_t wrote = write (fd, line, (size_t) (end - line));
    int error = wrote < 0? errno: ENOSPC;
    if (close (fd) || wrote != end - line) {
        unlink (path);
        errno = error;
        return -1;
    }
    return 0;
}

void
miner_groups_remove (const char *dir, pid_t pid)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/%d", dir, (int) pid);
    unlink (path);
}

//  True when pid is gone, or a zombie.
static bool
s_gone (pid_t pid)
{
    char state = 0;
    return miner_groups_stat (pid, NULL, NULL, NULL, &state) || state == 'Z';
}

//  The live members of group pgid in session sid started at or after
//  start (and its zombies too, with zombies), into pids (up to max).
//  Returns how many.
static size_t
s_members (pid_t pgid, pid_t sid, uint64_t start, bool zombies, pid_t *pids, size_t max)
{
    DIR *proc = opendir ("/proc");
    if (!proc)
        return 0;
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir (proc)) && count < max) {
        char *end;
        long pid = strtol (entry->d_name, &end, 10);
        if (*end || pid <= 0)
            continue;
        pid_t member_pgid, member_sid;
        uint64_t member_start;
        char state;
        if (miner_groups_stat ((pid_t) pid, &member_pgid, &member_sid, &member_start, &state)
        ||  (state == 'Z' && !zombies) || member_pgid != pgid || member_sid != sid || member_start < start)
            continue;
        pids [count++] = (pid_t) pid;
    }
    closedir (proc);
    return count;
}

//  Kills what is left of one record; returns how many processes.
static int
s_sweep_one (const char *text, const char *tag, pid_t *killed, size_t max)
{
    int pid, pgid, sid;
    uint64_t written;
    unsigned attempt;
    char task_id [128] = "?";
    if (sscanf (text, "%d %d %" SCNu64 " %d %u %127s", &pid, &pgid, &written, &sid, &attempt,
                task_id) != 6 || pid <= 1 || pgid <= 1) {
        zsys_warning ("%s: a task record that does not read (%.60s): ignored", tag, text);
        return 0;
    }
    pid_t pids [256];
    //  A live leader that started before the record vouches for the whole
    //  group: it goes at once, before the slower look through /proc (a
    //  guardian that woke as its miner died gets the task's children
    //  before their shell is gone and they are reparented to pid 1)
    uint64_t leader_start;
    char state;
    bool leader = miner_groups_stat ((pid_t) pid, NULL, NULL, &leader_start, &state) == 0
               && leader_start <= written && state != 'Z';
    if (leader)
        killpg ((pid_t) pgid, SIGKILL);
    //  Members started since the leader, a second's slack before the
    //  record; the leader itself started before it was written. Those
    //  the killpg above reached may be zombies already: counted all the
    //  same when it was sent
    long hz = sysconf (_SC_CLK_TCK);
    uint64_t since = written > (uint64_t) hz? written - (uint64_t) hz: 0;
    size_t count = s_members ((pid_t) pgid, (pid_t) sid, since, leader, pids, 256);
    for (size_t index = 0; index < count; index++)
        kill (pids [index], SIGKILL);
    if (count)
        zsys_notice ("%s: killed %zu process%s of task %s attempt %u (group %d%s) that "
                     "outlived the miner's previous run", tag, count, count == 1? "": "es",
                     task_id, attempt, pgid, leader? "": ", its leader already gone");
    for (size_t index = 0; index < count && index < max; index++)
        killed [index] = pids [index];
    return (int) count;
}

uint64_t
miner_groups_ticks (void)
{
    struct timespec now;
    long hz = sysconf (_SC_CLK_TCK);
    if (clock_gettime (CLOCK_BOOTTIME, &now) || hz <= 0)
        return 0;
    return (uint64_t) now.tv_sec * (uint64_t) hz
         + (uint64_t) now.tv_nsec / (1000000000 / (uint64_t) hz);
}

int
miner_groups_sweep (const char *dir, const char *tag)
{
    return miner_groups_sweep_until (dir, tag, 0);
}

int
miner_groups_sweep_until (const char *dir, const char *tag, uint64_t until)
{
    DIR *records = opendir (dir);
    if (!records)
        return 0;
    pid_t killed [1024];
    int total = 0;
    struct dirent *entry;
    while ((entry = readdir (records))) {
        if (entry->d_name [0] == '.') {
            if (strstr (entry->d_name, ".tmp"))
                unlinkat (dirfd (records), entry->d_name, 0);
            continue;
        }
        char path [PATH_MAX], text [300] = "";
        snprintf (path, sizeof path, "%s/%s", dir, entry->d_name);
        FILE *file = fopen (path, "re");
        if (!file && errno == ENOENT)
            continue;                   //  swept at the same time by another
        if (file) {
            if (!fgets (text, sizeof text, file))
                text [0] = 0;
            fclose (file);
        }
        text [strcspn (text, "\n")] = 0;
        uint64_t written = 0;
        if (until && sscanf (text, "%*d %*d %" SCNu64, &written) == 1 && written > until)
            continue;                   //  a newer miner's task
        size_t room = total < 1024? (size_t) (1024 - total): 0;
        int count = s_sweep_one (text, tag, killed + (total < 1024? total: 1024), room);
        total += count;
        unlink (path);
    }
    closedir (records);
    //  Gone before the hello: a hub must not see their cores as free
    //  while they still use them
    int64_t deadline = zclock_mono () + S_GONE_WAIT_MS;
    for (int index = 0; index < total && index < 1024; index++)
        while (!s_gone (killed [index]) && zclock_mono () < deadline)
            zclock_sleep (10);
    for (int index = 0; index < total && index < 1024; index++)
        if (!s_gone (killed [index]))
            zsys_warning ("%s: process %d still there after SIGKILL", tag, (int) killed [index]);
    return total;
}
