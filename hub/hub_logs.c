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
    return self;
}

void
hub_logs_destroy (hub_logs_t **self_p)
{
    if (*self_p) {
        hub_logs_t *self = *self_p;
        zhashx_destroy (&self->rings);
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

void
hub_logs_finish (hub_logs_t *self, const char *task_id)
{
    s_ring (self, task_id, true)->finished = true;
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
