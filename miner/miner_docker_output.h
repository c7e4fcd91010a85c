/*  =========================================================================
    miner_docker_output - a container's stdout and stderr, demultiplexed

    The engine frames a container's output (logs, attach) with 8-byte
    headers: [stream (1), 0, 0, 0, size (4, big-endian)] + payload,
    stream 1 = stdout, 2 = stderr (3, the engine's own errors, goes with
    stderr). Containers are made without a TTY, so the output is always
    framed. This owns what was read of it: each stream kept up to a
    bound, stdout hashed whole (also what is past the bound), and the
    frame being read, so bytes may come cut anywhere.

        miner_docker_output_t *output = miner_docker_output_new (1 << 20);
        miner_docker_output_feed (output, bytes, size);    //  as they come
        size_t size;
        const byte *out = miner_docker_output_data (output, 1, &size);
        char hex [65];
        miner_docker_output_sha256 (output, hex);          //  once, at the end
        miner_docker_output_destroy (&output);
    =========================================================================  */
#ifndef MINER_DOCKER_OUTPUT_H_INCLUDED
#define MINER_DOCKER_OUTPUT_H_INCLUDED

typedef struct _miner_docker_output_t miner_docker_output_t;

miner_docker_output_t *miner_docker_output_new (size_t max);
void miner_docker_output_destroy (miner_docker_output_t **self_p);

//  Feeds raw stream bytes (headers and payloads, cut anywhere).
void miner_docker_output_feed (miner_docker_output_t *self, const byte *data, size_t size);

//  What was kept of stream 1 (stdout) or 2 (stderr).
const byte *miner_docker_output_data (miner_docker_output_t *self, int stream, size_t *size);
bool miner_docker_output_truncated (miner_docker_output_t *self, int stream);

//  Lowercase hex SHA-256 of all of stdout, into hex [65]. Ends the hash:
//  call once, after the last feed.
void miner_docker_output_sha256 (miner_docker_output_t *self, char *hex);

#endif
