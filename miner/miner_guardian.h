/*  =========================================================================
    miner_guardian - a small process that ends the miner's tasks once the
    miner is gone, however it went

    A task's own process dies with its miner (PR_SET_PDEATHSIG), but what
    it started does not: a `sleep` put in the background is reparented to
    pid 1 and runs on until the miner's next start sweeps its record of
    process groups (miner_groups.h) and its cgroups (miner_cgroup.h). A
    miner that never comes back would leave it running for good. So the
    miner starts, at its start, a guardian: its own program run again as

        fogrid-miner --guardian FD MINER_PID DATA_DIR [MINER_ID]

    holding the read end of a pipe whose write end only the miner holds
    (close-on-exec: no task inherits it). The guardian blocks in read();
    end of file means the miner is gone (kill -9 too), and the guardian
    does the sweep a restarted miner does, then exits. After a clean stop
    there is nothing left to sweep.

    The guardian is a separate process in its own process group (a kill of
    the miner's group leaves it), an ancestor of no task, and holds nothing
    a restarted miner needs: not the data directory's lock, no port, no
    descriptor but its pipe and stderr. Both sweeps are idempotent; a
    guardian that finds a newer miner holding the data directory sweeps
    only the records written before its miner went, and leaves the
    cgroups to the newer miner's own start.

        if (argc > 1 && streq (argv [1], "--guardian"))
            return miner_guardian_main (argc, argv);
        ...     //  data directory locked, no thread yet
        miner_guardian_start (data_dir, "", err, sizeof err);
    =========================================================================  */
#ifndef MINER_GUARDIAN_H_INCLUDED
#define MINER_GUARDIAN_H_INCLUDED

#include <sys/types.h>

//  The hidden first argument that makes fogrid-miner a guardian
#define MINER_GUARDIAN_ARG "--guardian"

//  Starts the guardian of this process (fork and exec of /proc/self/exe),
//  for the miner whose data is in data_dir; miner_id is the configured
//  id, or "" to read DATA_DIR/miner.id when the sweep comes. Keeps the
//  pipe's write end for the life of the process. Returns the guardian's
//  pid, or -1 and why in err.
pid_t miner_guardian_start (const char *data_dir, const char *miner_id, char *err,
                            size_t err_size);

//  The guardian itself (argv as above); returns its exit code.
int miner_guardian_main (int argc, char *argv []);

#endif
