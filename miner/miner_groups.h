/*  =========================================================================
    miner_groups - the process groups of the running tasks, kept on disk,
    so that a miner killed with SIGKILL finds and ends at its next start
    whatever its previous life left running

    A task process dies with its miner (PR_SET_PDEATHSIG), but what it
    started does not: a `sleep` put in the background, a daemon that
    forked, stays in the task's process group under pid 1, where nobody
    enforces its timeout and its cores are booked twice once the miner
    comes back. So each task's group is written down (one file per task,
    DIR/PID) before the task's program runs, and removed once it is
    reaped; the next start kills every group still written there before
    the miner says hello to any hub:

        miner_groups_add_self (dir, "t-1", 1);     //  in the task's process, before exec
        ...
        miner_groups_remove (dir, pid);            //  reaped, group swept
        ...
        int killed = miner_groups_sweep (dir, "miner m-1");    //  at start

    A pid is reused, so a record names its process by pid, session and the
    time it was written (in the clock of field 22 of /proc/PID/stat, ticks
    since boot): while a leader that started before then lives, the whole
    group is ours; otherwise only members of the group that are in the
    recorded session and started since are (Linux hands out no pid that
    a live group still uses as its id, and a group id is only taken by a
    process that had that pid). A process that leaves the group with
    setsid() is beyond this record: the task's cgroup (miner_cgroup.h),
    swept at the same start, holds those where the miner has cgroups.
    =========================================================================  */
#ifndef MINER_GROUPS_H_INCLUDED
#define MINER_GROUPS_H_INCLUDED

#include <sys/types.h>

//  Writes the record of the calling process, the task's (its pid is its
//  group id), as DIR/PID, in one write. Made to be called by the
//  task's process itself before it execs, in a vfork-style child sharing
//  the miner's memory: system calls only, nothing allocated, no lock, no
//  stdio. Returns 0, or -1 (errno set).
int miner_groups_add_self (const char *dir, const char *task_id, uint32_t attempt);

//  Removes the record of pid; nothing when there is none.
void miner_groups_remove (const char *dir, pid_t pid);

//  Kills (SIGKILL) what is left of every recorded group, waits (2 s at
//  most) until those processes are gone, logs each, and removes the
//  records. Returns how many processes it killed. tag prefixes the logs.
int miner_groups_sweep (const char *dir, const char *tag);

//  The same, for the records written up to until only (ticks since boot,
//  as miner_groups_ticks gives): a newer miner's tasks, written later,
//  are left alone. until 0 means all of them.
int miner_groups_sweep_until (const char *dir, const char *tag, uint64_t until);

//  Now, in ticks since boot (the clock of the records and of
//  /proc/PID/stat's start times).
uint64_t miner_groups_ticks (void);

//  The numeric fields of /proc/PID/stat after its name and state, up to
//  max of them, into field: field [0] is ppid (field 4), field [N - 4]
//  field N; the state letter into *state (when given). Returns how many
//  were read, or -1 when there is no such process.
int miner_groups_stat_fields (pid_t pid, char *state, unsigned long long *field, int max);

//  From /proc/PID/stat: group, session and start time (ticks since boot).
//  Returns 0, or -1 when there is no such process.
int miner_groups_stat (pid_t pid, pid_t *pgid, pid_t *sid, uint64_t *start, char *state);

#endif
