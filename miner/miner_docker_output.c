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
#include "fogrid.h"
#include "miner_docker_output.h"
#include <sodium.h>

struct _miner_docker_output_t {
    size_t max;                 //  bound of each stream
    byte *data [2];             //  what was kept of stdout, stderr
    size_t size [2];            //  bytes kept
    bool truncated [2];         //  more came than was kept
    crypto_hash_sha256_state sha256;    //  of all of stdout
    byte header [8];            //  the frame header being read
    size_t header_got;          //  bytes of it so far
    size_t frame_left;          //  payload bytes left in the current frame
    int frame_stream;           //  its stream: 0 stdout, 1 stderr, -1 skip
};

miner_docker_output_t *
miner_docker_output_new (size_t max)
{
    miner_docker_output_t *self = (miner_docker_output_t *) zmalloc (sizeof (miner_docker_output_t));
    self->max = max;
    crypto_hash_sha256_init (&self->sha256);
    return self;
}

void
miner_docker_output_destroy (miner_docker_output_t **self_p)
{
    if (*self_p) {
        miner_docker_output_t *self = *self_p;
        free (self->data [0]);
        free (self->data [1]);
        free (self);
        *self_p = NULL;
    }
}

static void
s_output_keep (miner_docker_output_t *self, int stream, const byte *data, size_t size)
{
    if (stream == 0)
        crypto_hash_sha256_update (&self->sha256, data, size);
    size_t keep = size;
    if (self->size [stream] + keep > self->max) {
        keep = self->max - self->size [stream];
        self->truncated [stream] = true;
    }
    if (keep) {
        self->data [stream] = (byte *) realloc (self->data [stream], self->size [stream] + keep);
        memcpy (self->data [stream] + self->size [stream], data, keep);
        self->size [stream] += keep;
    }
}

void
miner_docker_output_feed (miner_docker_output_t *self, const byte *data, size_t size)
{
    while (size) {
        if (self->frame_left == 0) {
            size_t want = sizeof self->header - self->header_got;
            size_t take = size < want? size: want;
            memcpy (self->header + self->header_got, data, take);
            self->header_got += take;
            data += take;
            size -= take;
            if (self->header_got < sizeof self->header)
                return;
            self->header_got = 0;
            byte kind = self->header [0];
            self->frame_stream = kind == 1? 0: kind == 2 || kind == 3? 1: -1;
            self->frame_left = ((size_t) self->header [4] << 24) | ((size_t) self->header [5] << 16)
                             | ((size_t) self->header [6] << 8) | (size_t) self->header [7];
            continue;
        }
        size_t take = size < self->frame_left? size: self->frame_left;
        if (self->frame_stream >= 0)
            s_output_keep (self, self->frame_stream, data, take);
        self->frame_left -= take;
        data += take;
        size -= take;
    }
}

const byte *
miner_docker_output_data (miner_docker_output_t *self, int stream, size_t *size)
{
    int index = stream == 2? 1: 0;
    *size = self->size [index];
    return self->data [index];
}

bool
miner_docker_output_truncated (miner_docker_output_t *self, int stream)
{
    return self->truncated [stream == 2? 1: 0];
}

void
miner_docker_output_sha256 (miner_docker_output_t *self, char *hex)
{
    byte digest [crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final (&self->sha256, digest);
    sodium_bin2hex (hex, 65, digest, sizeof digest);
}
