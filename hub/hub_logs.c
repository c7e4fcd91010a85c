/*  =========================================================================
    hub_logs - what running tasks printed, kept for `fogrid logs -f`

    DESIGN
    A ring is a list of chunks, each with its stream and its absolute
    offset; the oldest whole chunks leave when the ring is over its
    bound (a chunk bigger than the whole ring keeps only its tail). A
    read finds the first chunk that ends after the offset and cuts the
    first one it gives where the offset falls inside it. Chunks come
    batched by the miner (a few per second per task), so a list walk
    from the oldest is short; the ring bound keeps it so.
    =========================================================================  */
#include "fogrid.h"
#include "hub_logs.h"

#define S_DEFAULT_RING  (256 * 1024)
#define S_KEEP_FINISHED 64          //  rings of ended tasks kept for late followers

typedef struct {
    uint32_t stream;
    uint64_t offset;            //  of data [0] in the task's output
    size_t size;
    byte data [];
} s_chunk_t;

typedef struct {
    zlistx_t *chunks;           //  s_chunk_t, oldest first
    size_t bytes;               //  held in chunks
    uint64_t end;               //  offset after the last byte that came
    bool finished;
} s_ring_t;

struct _hub_logs_t {
    zhashx_t *rings;            //  task id -> s_ring_t
    size_t ring_bytes;          //  bound of each
    size_t bytes;               //  held, over all rings
    zlistx_t *finished;         //  ids of ended tasks whose ring is kept, oldest first
};

static void
s_ring_destroy (void **item)
{
    s_ring_t *ring = (s_ring_t *) *item;
    if (ring) {
        zlistx_destroy (&ring->chunks);
        free (ring);
        *item = NULL;
    }
}

static void
s_chunk_destroy (void **item)
{
    free (*item);
    *item = NULL;
}

hub_logs_t *
hub_logs_new (size_t ring_bytes)
{
    hub_logs_t *self = (hub_logs_t *) zmalloc (sizeof (hub_logs_t));
    self->rings = zhashx_new ();
    zhashx_set_destructor (self->rings, s_ring_destroy);
    self->ring_bytes = ring_bytes? ring_bytes: S_DEFAULT_RING;
    self->finished = zlistx_new ();
    zlistx_set_destructor (self->finished, (zlistx_destructor_fn *) zstr_free);
    zlistx_set_duplicator (self->finished, (zlistx_duplicator_fn *) strdup);
    return self;
}

void
hub_logs_destroy (hub_logs_t **self_p)
{
    if (*self_p) {
        hub_logs_t *self = *self_p;
        zhashx_destroy (&self->rings);
        zlistx_destroy (&self->finished);
        free (self);
        *self_p = NULL;
    }
}

static s_ring_t *
s_ring (hub_logs_t *self, const char *task_id, bool make)
{
    s_ring_t *ring = (s_ring_t *) zhashx_lookup (self->rings, task_id);
    if (!ring && make) {
        ring = (s_ring_t *) zmalloc (sizeof (s_ring_t));
        ring->chunks = zlistx_new ();
        zlistx_set_destructor (ring->chunks, s_chunk_destroy);
        zhashx_insert (self->rings, task_id, ring);
    }
    return ring;
}

void
hub_logs_append (hub_logs_t *self, const char *task_id, uint32_t stream, const byte *data,
                 size_t size)
{
    s_ring_t *ring = s_ring (self, task_id, true);
    if (ring->finished || size == 0)
        return;
    uint64_t offset = ring->end;
    ring->end += size;
    //  Only the tail of a chunk bigger than the ring can stay
    if (size > self->ring_bytes) {
        offset += size - self->ring_bytes;
        data += size - self->ring_bytes;
        size = self->ring_bytes;
    }
    s_chunk_t *chunk = (s_chunk_t *) malloc (sizeof (s_chunk_t) + size);
    chunk->stream = stream;
    chunk->offset = offset;
    chunk->size = size;
    memcpy (chunk->data, data, size);
    zlistx_add_end (ring->chunks, chunk);
    ring->bytes += size;
    self->bytes += size;
    while (ring->bytes > self->ring_bytes) {
        s_chunk_t *oldest = (s_chunk_t *) zlistx_first (ring->chunks);
        ring->bytes -= oldest->size;
        self->bytes -= oldest->size;
        zlistx_delete (ring->chunks, zlistx_cursor (ring->chunks));
    }
}

int
hub_logs_read (hub_logs_t *self, const char *task_id, uint64_t offset, size_t max,
               Fogrid__LogsReply *reply)
{
    s_ring_t *ring = s_ring (self, task_id, false);
    if (!ring)
        return -1;
    if (offset > ring->end)
        offset = ring->end;             //  a reader ahead of us: nothing yet
    s_chunk_t *first = (s_chunk_t *) zlistx_first (ring->chunks);
    uint64_t start = first? first->offset: ring->end;
    reply->dropped = offset < start? start - offset: 0;
    if (offset < start)
        offset = start;
    size_t count = 0;
    for (s_chunk_t *chunk = first; chunk; chunk = (s_chunk_t *) zlistx_next (ring->chunks))
        count++;
    reply->chunks = (Fogrid__OutputChunk **) zmalloc (sizeof (Fogrid__OutputChunk *)
                                                      * (count + 1));
    size_t given = 0;
    for (s_chunk_t *chunk = (s_chunk_t *) zlistx_first (ring->chunks); chunk && given < max;
         chunk = (s_chunk_t *) zlistx_next (ring->chunks)) {
        if (chunk->offset + chunk->size <= offset)
            continue;
        size_t skip = (size_t) (offset - chunk->offset);
        size_t size = chunk->size - skip;
        if (size > max - given)
            size = max - given;
        Fogrid__OutputChunk *out = (Fogrid__OutputChunk *) zmalloc (sizeof *out);
        fogrid__output_chunk__init (out);
        out->stream = chunk->stream;
        out->offset = offset;
        out->data.data = (byte *) malloc (size + 1);
        memcpy (out->data.data, chunk->data + skip, size);
        out->data.len = size;
        reply->chunks [reply->n_chunks++] = out;
        offset += size;
        given += size;
    }
    reply->next_offset = offset;
    reply->finished = ring->finished && offset == ring->end;
    return 0;
}

static void
s_reply_add (Fogrid__LogsReply *reply, uint32_t stream, uint64_t offset, const byte *data,
             size_t size)
{
    Fogrid__OutputChunk *out = (Fogrid__OutputChunk *) zmalloc (sizeof *out);
    fogrid__output_chunk__init (out);
    out->stream = stream;
    out->offset = offset;
    out->data.data = (byte *) malloc (size + 1);
    memcpy (out->data.data, data, size);
    out->data.len = size;
    reply->chunks [reply->n_chunks++] = out;
}

void
hub_logs_read_stored (const byte *out, size_t out_size, const byte *err, size_t err_size,
                      uint64_t offset, size_t max, Fogrid__LogsReply *reply)
{
    reply->chunks = (Fogrid__OutputChunk **) zmalloc (sizeof (Fogrid__OutputChunk *) * 2);
    const byte *streams [2] = { out, err };
    size_t sizes [2] = { out_size, err_size };
    uint64_t start = 0;
    size_t given = 0;
    for (int index = 0; index < 2; index++) {
        uint64_t end = start + sizes [index];
        if (offset < end && given < max) {
            size_t skip = (size_t) (offset - start);
            size_t size = sizes [index] - skip;
            if (size > max - given)
                size = max - given;
            s_reply_add (reply, (uint32_t) index + 1, offset, streams [index] + skip, size);
            offset += size;
            given += size;
        }
        start = end;
    }
    if (offset > start)
        offset = start;
    reply->next_offset = offset;
    reply->dropped = 0;
    reply->finished = offset == start;
}

int
hub_logs_as_result (hub_logs_t *self, const char *task_id, Fogrid__TaskResult *result)
{
    s_ring_t *ring = s_ring (self, task_id, false);
    if (!ring)
        return -1;
    zchunk_t *streams [2] = { zchunk_new (NULL, 0), zchunk_new (NULL, 0) };
    for (s_chunk_t *chunk = (s_chunk_t *) zlistx_first (ring->chunks); chunk;
         chunk = (s_chunk_t *) zlistx_next (ring->chunks))
        zchunk_extend (streams [chunk->stream == 2? 1: 0], chunk->data, chunk->size);
    s_chunk_t *first = (s_chunk_t *) zlistx_first (ring->chunks);
    bool lost = first && first->offset > 0;
    ProtobufCBinaryData *fields [2] = { &result->stdout, &result->stderr };
    for (int index = 0; index < 2; index++) {
        fields [index]->len = zchunk_size (streams [index]);
        fields [index]->data = (byte *) malloc (fields [index]->len + 1);
        memcpy (fields [index]->data, zchunk_data (streams [index]), fields [index]->len);
        zchunk_destroy (&streams [index]);
    }
    result->stdout_truncated = result->stderr_truncated = lost;
    return 0;
}

void
hub_logs_result_reset (Fogrid__TaskResult *result)
{
    free (result->stdout.data);
    free (result->stderr.data);
    result->stdout.data = result->stderr.data = NULL;
    result->stdout.len = result->stderr.len = 0;
}

void
hub_logs_reply_reset (Fogrid__LogsReply *reply)
{
    for (size_t index = 0; index < reply->n_chunks; index++) {
        free (reply->chunks [index]->data.data);
        free (reply->chunks [index]);
    }
    free (reply->chunks);
    reply->chunks = NULL;
    reply->n_chunks = 0;
}

//  A follower that asks again after the end must be told it ended, at the
//  offset it has (the stored output counts its bytes in another order):
//  the rings of the last S_KEEP_FINISHED ended tasks stay for that.
void
hub_logs_finish (hub_logs_t *self, const char *task_id)
{
    s_ring_t *ring = s_ring (self, task_id, false);
    if (!ring || ring->finished)
        return;
    ring->finished = true;
    zlistx_add_end (self->finished, (void *) task_id);
    while (zlistx_size (self->finished) > S_KEEP_FINISHED) {
        char *oldest = (char *) zlistx_first (self->finished);
        hub_logs_remove (self, oldest);
        zlistx_delete (self->finished, zlistx_cursor (self->finished));
    }
}

void
hub_logs_remove (hub_logs_t *self, const char *task_id)
{
    s_ring_t *ring = s_ring (self, task_id, false);
    if (ring) {
        self->bytes -= ring->bytes;
        zhashx_delete (self->rings, task_id);
    }
}

size_t
hub_logs_bytes (hub_logs_t *self)
{
    return self->bytes;
}
