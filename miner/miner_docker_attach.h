/*  =========================================================================
    miner_docker_attach - the live output stream of one container

    DESIGN
    Attach uses an easy handle and multi of its own, beside the client's
    (miner_docker.h), as the stream stays open while the client makes other
    calls (start, kill). The engine answers an attach without "Upgrade"
    with a plain 200 and then the raw stream, until it closes the
    connection when the container's output ends. The bytes go to the
    caller's miner_docker_output_t.

        miner_docker_output_t *output = miner_docker_output_new (1 << 20);
        miner_docker_attach_t *attach = miner_docker_attach_new (docker, id, output);
        miner_docker_start (docker, id);
        while (miner_docker_attach_pump (attach, -1, 1000) == 1) ;
        miner_docker_attach_destroy (&attach);
    =========================================================================  */
#ifndef MINER_DOCKER_ATTACH_H_INCLUDED
#define MINER_DOCKER_ATTACH_H_INCLUDED

#include "miner_docker_output.h"

typedef struct _miner_docker_t miner_docker_t;

typedef struct _miner_docker_attach_t miner_docker_attach_t;

//  Attaches to stdout and stderr of a created container, feeding output;
//  returns once the engine has answered (start the container then). NULL
//  on an error, which docker's miner_docker_error tells.
miner_docker_attach_t *miner_docker_attach_new (miner_docker_t *docker, const char *id,
                                                miner_docker_output_t *output);
void miner_docker_attach_destroy (miner_docker_attach_t **self_p);

//  Moves what came, waiting up to timeout_ms for more or for fd (-1 =
//  none) to be readable. Returns 1 while the stream is open, 0 once it
//  has ended (the container closed its output, usually by exiting), -1
//  when it broke (see miner_docker_attach_error).
int miner_docker_attach_pump (miner_docker_attach_t *self, int fd, int timeout_ms);
const char *miner_docker_attach_error (miner_docker_attach_t *self);

#endif
