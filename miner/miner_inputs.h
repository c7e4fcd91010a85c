/*  =========================================================================
    miner_inputs - a task's input files (TaskSpec.inputs), made ready
    before it runs: fetched when given by URL, checked against their
    SHA-256, then written into its work directory (process) or put into
    its container (docker)

        char err [256];
        miner_inputs_t *inputs = miner_inputs_new (spec, &bounds, err, sizeof err);
        if (!inputs)
            ...fail the task, not run, with err...
        miner_inputs_write (inputs, workdir, chown_to, uid, gid, err, sizeof err);
        //  or, for a created container not yet started:
        miner_inputs_put_container (inputs, docker_socket, container_id, dir, ...);
        miner_inputs_destroy (&inputs);

    An input whose bytes do not match its hash, a URL that does not answer
    within the time bound or gives more than the size bound: the task
    fails with a reason that names the input, and nothing of it runs.
    =========================================================================  */
#ifndef MINER_INPUTS_H_INCLUDED
#define MINER_INPUTS_H_INCLUDED

#include <sys/types.h>

#define MINER_INPUTS_URL_BYTES      (256 * 1024 * 1024)     //  default bound of one URL
#define MINER_INPUTS_URL_TIMEOUT_S  120                     //  default bound of one fetch

typedef struct {
    size_t url_max_bytes;       //  most bytes a URL may give; 0 = MINER_INPUTS_URL_BYTES
    int url_timeout_s;          //  whole fetch of one URL; 0 = MINER_INPUTS_URL_TIMEOUT_S
} miner_inputs_bounds_t;

typedef struct _miner_inputs_t miner_inputs_t;

//  Fetches and checks every input of spec (bounds NULL = the defaults).
//  NULL with why in err when one cannot be had whole and as hashed.
//  A spec without inputs gives an empty set.
miner_inputs_t *miner_inputs_new (const Fogrid__TaskSpec *spec,
                                  const miner_inputs_bounds_t *bounds, char *err,
                                  size_t err_size);
void miner_inputs_destroy (miner_inputs_t **self_p);

//  Number of inputs held.
size_t miner_inputs_size (miner_inputs_t *self);

//  Writes each input under dir (made for the task: it holds nothing the
//  task made), its directories made, with its mode; given to uid/gid
//  when chown_to. 0, or -1 with why in err.
int miner_inputs_write (miner_inputs_t *self, const char *dir, bool chown_to, uid_t uid,
                        gid_t gid, char *err, size_t err_size);

//  new, write and destroy in one: what a process task's runtime does.
int miner_inputs_stage (const Fogrid__TaskSpec *spec, const miner_inputs_bounds_t *bounds,
                        const char *dir, bool chown_to, uid_t uid, gid_t gid, char *err,
                        size_t err_size);

//  The inputs as a ustar archive (names relative), for an engine's
//  archive endpoint. NULL when a name does not fit ustar.
zchunk_t *miner_inputs_tar (miner_inputs_t *self, char *err, size_t err_size);

//  Puts the inputs into a created container under dir (absolute), through
//  the engine at socket_path (PUT /containers/ID/archive). 0, or -1 with why.
int miner_inputs_put_container (miner_inputs_t *self, const char *socket_path, const char *id,
                                const char *dir, int timeout_ms, char *err, size_t err_size);

#endif
