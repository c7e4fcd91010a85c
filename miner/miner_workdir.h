/*  =========================================================================
    miner_workdir - the work directory of a process task: made for it,
    its outputs copied out of it, removed after it

        char dir [PATH_MAX], err [256];
        miner_workdir_make ("/var/lib/fogrid/tasks", "t-1", 1, true, uid, gid,
                            dir, sizeof dir, err, sizeof err);    //  ROOT/t-1-1-XXXXXX
        ... the task runs in it ...
        miner_outputs_t *files = miner_workdir_copy (dir, outputs, 1 << 20, true, uid);
        miner_workdir_remove (dir);
    =========================================================================  */
#ifndef MINER_WORKDIR_H_INCLUDED
#define MINER_WORKDIR_H_INCLUDED

#include "miner_outputs.h"
#include <sys/types.h>

//  Makes ROOT/ID-ATTEMPT-XXXXXX (root NULL or "" = /tmp; made when
//  missing), given to uid/gid when chown_to. Returns 0 with its absolute
//  path, or -1 with why in err (path "").
int miner_workdir_make (const char *root, const char *task_id, uint32_t attempt, bool chown_to,
                        uid_t uid, gid_t gid, char *path, size_t path_size, char *err,
                        size_t err_size);

//  Copies each of outputs (NULL-terminated paths relative to workdir),
//  max_bytes at most, paths included, into a new miner_outputs (the
//  caller destroys it). Never follows a symbolic link; with own_only,
//  copies only files uid owns.
miner_outputs_t *miner_workdir_copy (const char *workdir, char **outputs, size_t max_bytes,
                                     bool own_only, uid_t uid);

//  Removes workdir and everything in it, whatever the task did to it;
//  nothing when workdir is "".
void miner_workdir_remove (const char *workdir);

//  Removes everything under root (the work directories of tasks that died
//  with a previous run of the miner), never following symlinks.
void miner_workdir_clean (const char *root);

#endif
