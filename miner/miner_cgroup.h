/*  =========================================================================
    miner_cgroup - the control groups the miner makes for its process
    tasks: cores, memory and a count of processes enforced by the kernel,
    usage read from it, and every process of a task found and killed

    setrlimit bounds one process, not a task: a task forks past any count,
    and its threads use every core. So each process task runs in a cgroup
    of its own, under a directory named for the miner:

        cgroup v2   /sys/fs/cgroup/OWN/fogrid/MINER/TASK
        cgroup v1   /sys/fs/cgroup/CTRL/OWN/fogrid/MINER/TASK for the
                    cpu, cpuacct, memory, pids (and freezer) controllers

    (OWN is the miner's own cgroup, so what it is itself held to holds its
    tasks too; MINER its id and a hash of its data directory.) Where none can be made (not root, nothing delegated) the
    miner says so, and its tasks keep their rlimits only.

        miner_cgroup_name ("m-1", "/var/lib/fogrid/miner", name, sizeof name);
        miner_cgroup_t *cgroups = miner_cgroup_new (name, 1024);
        miner_cgroup_sweep (cgroups, "miner m-1");  //  what a previous life left
        miner_cgroup_task_t *task = miner_cgroup_task_new (cgroups, "t-1-1", 2, 512,
                                                           err, sizeof err);
        ...     //  the task's process, between clone and exec:
        miner_cgroup_task_enter (task);
        ...
        miner_cgroup_task_usage (task, &cpu_ms, &mem_bytes, &peak);
        miner_cgroup_task_destroy (&task);          //  kills what is left, removes it
    =========================================================================  */
#ifndef MINER_CGROUP_H_INCLUDED
#define MINER_CGROUP_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

typedef struct _miner_cgroup_t miner_cgroup_t;
typedef struct _miner_cgroup_task_t miner_cgroup_task_t;

//  The name of a miner's directory: its id and a hash of its data
//  directory. Two miners that share an id (a copied data directory, an
//  impostor) never empty one another's; a data directory is held by one
//  miner at a time, so a restart finds its previous life's.
void miner_cgroup_name (const char *miner_id, const char *data_dir, char *name, size_t size);

//  Finds what the kernel offers and makes the miner's directory, named
//  miner_name (miner_cgroup_name).
//  pids_max bounds each task's processes (0 = no bound). Never NULL: when
//  no cgroup can be made, miner_cgroup_active says false and
//  miner_cgroup_detail why. FOGRID_CGROUPS=off in the environment turns
//  them off (to see a miner without them).
miner_cgroup_t *miner_cgroup_new (const char *miner_id, int64_t pids_max);

//  Removes the miner's directory if it is empty; nothing else.
void miner_cgroup_destroy (miner_cgroup_t **self_p);

//  True when tasks get cgroups.
bool miner_cgroup_active (miner_cgroup_t *self);

//  "cgroup v2", "cgroup v1" or "rlimits only".
const char *miner_cgroup_kind (miner_cgroup_t *self);

//  One line: where the cgroups are, or why there are none.
const char *miner_cgroup_detail (miner_cgroup_t *self);

//  Kills everything in the task cgroups found under the miner's directory
//  (a previous life's: call it before any task starts), and removes them.
//  Returns how many processes it killed; tag prefixes the logs.
int miner_cgroup_sweep (miner_cgroup_t *self, const char *tag);

//  Makes the cgroup of one task, named name (made of [A-Za-z0-9._-], the
//  rest replaced), under CPU quota cores (0 = no quota), memory mem_mb
//  (0 = no limit), and the miner's pids bound. A name in use gets a
//  suffix. NULL with err when it cannot be made.
miner_cgroup_task_t *miner_cgroup_task_new (miner_cgroup_t *self, const char *name,
                                            uint32_t cores, uint64_t mem_mb,
                                            char *err, size_t err_size);

//  Moves the calling process into the task's cgroup. Made for the task's
//  process between clone and exec: one write(2) per controller, nothing
//  allocated, async-signal-safe. Returns 0, or -1 (errno set).
int miner_cgroup_task_enter (const miner_cgroup_task_t *self);

//  CPU used by the cgroup (ms), its memory now and its peak (bytes; the
//  peak 0 where the kernel keeps none). 0 or -1.
int miner_cgroup_task_usage (miner_cgroup_task_t *self, uint64_t *cpu_ms,
                             uint64_t *mem_bytes, uint64_t *mem_peak);

//  Processes of the task the kernel killed for its memory limit (where it
//  does not count them: 1 when the limit was hit at all, else 0).
uint64_t miner_cgroup_task_oom_kills (miner_cgroup_task_t *self);

//  Forks refused by the pids limit.
uint64_t miner_cgroup_task_pids_refused (miner_cgroup_task_t *self);

//  The task's pids limit (0 = none) and memory limit in MB (0 = none).
int64_t miner_cgroup_task_pids_max (miner_cgroup_task_t *self);

//  Processes in the cgroup now (-1 when it cannot be read).
int miner_cgroup_task_procs (miner_cgroup_task_t *self);

//  Kills every process in the cgroup, again until it is empty (5 s at
//  most). Returns how many it signalled, or -1 when some remain.
int miner_cgroup_task_kill (miner_cgroup_task_t *self);

//  Kills what is left, removes the cgroup, frees. Idempotent.
void miner_cgroup_task_destroy (miner_cgroup_task_t **self_p);

#endif
