/*  =========================================================================
    miner_live - a running task's output on its way to the hub as it comes
    =========================================================================  */
#include "fogrid.h"
#include "miner_live.h"
#include "miner_docker.h"
#include <pthread.h>

typedef struct {
    uint32_t stream;
    size_t size;
    byte data [];
} s_piece_t;

struct _miner_live_t {
    pthread_mutex_t lock;       //  put (the runtime's thread) against take (the link's)
    zlistx_t *pieces;           //  s_piece_t, in order
    size_t pending;             //  bytes in pieces
    uint64_t lost;              //  bytes left out since the last take
};

static void
s_piece_destroy (void **item)
{
    free (*item);
    *item = NULL;
}

miner_live_t *
miner_live_new (void)
{
    miner_live_t *self = (miner_live_t *) zmalloc (sizeof (miner_live_t));
    pthread_mutex_init (&self->lock, NULL);
    self->pieces = zlistx_new ();
    zlistx_set_destructor (self->pieces, s_piece_destroy);
    return self;
}

void
miner_live_destroy (miner_live_t **self_p)
{
    if (*self_p) {
        miner_live_t *self = *self_p;
        zlistx_destroy (&self->pieces);
        pthread_mutex_destroy (&self->lock);
        free (self);
        *self_p = NULL;
    }
}

void
miner_live_put (miner_live_t *self, uint32_t stream, const byte *data, size_t size)
{
    if (!self || size == 0)
        return;
    pthread_mutex_lock (&self->lock);
    size_t room = self->pending < MINER_LIVE_PENDING? MINER_LIVE_PENDING - self->pending: 0;
    size_t keep = size < room? size: room;
    self->lost += size - keep;
    if (keep) {
        //  Joined to the last piece of the same stream: fewer, larger chunks
        s_piece_t *last = (s_piece_t *) zlistx_last (self->pieces);
        if (last && last->stream == stream) {
            s_piece_t *grown = (s_piece_t *) realloc (last, sizeof (s_piece_t) + last->size + keep);
            memcpy (grown->data + grown->size, data, keep);
            grown->size += keep;
            if (grown != last) {
                zlistx_set_destructor (self->pieces, NULL);
                zlistx_delete (self->pieces, zlistx_cursor (self->pieces));
                zlistx_set_destructor (self->pieces, s_piece_destroy);
                zlistx_add_end (self->pieces, grown);
            }
        }
        else {
            s_piece_t *piece = (s_piece_t *) malloc (sizeof (s_piece_t) + keep);
            piece->stream = stream;
            piece->size = keep;
            memcpy (piece->data, data, keep);
            zlistx_add_end (self->pieces, piece);
        }
        self->pending += keep;
    }
    pthread_mutex_unlock (&self->lock);
}

void
miner_live_put_output (miner_live_t *self, miner_docker_output_t *output, size_t seen [2])
{
    if (!self || !output)
        return;
    for (int stream = 1; stream <= 2; stream++) {
        size_t size = 0;
        const byte *data = miner_docker_output_data (output, stream, &size);
        if (data && size > seen [stream - 1])
            miner_live_put (self, (uint32_t) stream, data + seen [stream - 1],
                            size - seen [stream - 1]);
        if (size > seen [stream - 1])
            seen [stream - 1] = size;
    }
}

//  Takes what waits: a list of pieces (NULL when nothing), and what was lost.
static zlistx_t *
s_take (miner_live_t *self, uint64_t *lost)
{
    pthread_mutex_lock (&self->lock);
    zlistx_t *pieces = NULL;
    *lost = self->lost;
    if (zlistx_size (self->pieces) || self->lost) {
        pieces = self->pieces;
        self->pieces = zlistx_new ();
        zlistx_set_destructor (self->pieces, s_piece_destroy);
        self->pending = 0;
        self->lost = 0;
    }
    pthread_mutex_unlock (&self->lock);
    return pieces;
}

bool
miner_live_send_runner (miner_runner_t *runner, miner_live_send_fn *send_fn, void *arg)
{
    miner_live_t *live = miner_runner_live (runner);
    uint64_t lost = 0;
    zlistx_t *pieces = live? s_take (live, &lost): NULL;
    if (!pieces)
        return false;
    size_t chunks = zlistx_size (pieces) + 1;
    Fogrid__OutputChunk *chunk_store = (Fogrid__OutputChunk *)
        zmalloc (sizeof (Fogrid__OutputChunk) * chunks);
    Fogrid__OutputChunk **chunk_refs = (Fogrid__OutputChunk **)
        zmalloc (sizeof (Fogrid__OutputChunk *) * chunks);
    size_t used = 0;
    for (s_piece_t *piece = (s_piece_t *) zlistx_first (pieces); piece;
         piece = (s_piece_t *) zlistx_next (pieces)) {
        fogrid__output_chunk__init (&chunk_store [used]);
        chunk_store [used].stream = piece->stream;
        chunk_store [used].data.data = piece->data;
        chunk_store [used].data.len = piece->size;
        chunk_refs [used] = &chunk_store [used];
        used++;
    }
    char note [200];
    if (lost) {
        snprintf (note, sizeof note, "[fogrid: %" PRIu64 " bytes of output left out of "
                  "the live view here: the task printed faster than they are sent; its "
                  "result has them]\n", lost);
        fogrid__output_chunk__init (&chunk_store [used]);
        chunk_store [used].stream = 2;
        chunk_store [used].data.data = (byte *) note;
        chunk_store [used].data.len = strlen (note);
        chunk_refs [used] = &chunk_store [used];
        used++;
    }
    Fogrid__TaskOutput output = FOGRID__TASK_OUTPUT__INIT;
    output.task_id = (char *) miner_runner_task_id (runner);
    output.attempt = miner_runner_attempt (runner);
    output.chunks = chunk_refs;
    output.n_chunks = used;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_OUTPUT;
    env.task_output = &output;
    send_fn (arg, &env);
    free (chunk_store);
    free (chunk_refs);
    zlistx_destroy (&pieces);
    return true;
}

size_t
miner_live_send (miner_tasks_t *tasks, size_t *turn, miner_live_send_fn *send_fn, void *arg)
{
    size_t total = miner_tasks_size (tasks);
    if (total == 0)
        return 0;
    Fogrid__TaskRef *store = (Fogrid__TaskRef *) zmalloc (sizeof (Fogrid__TaskRef) * total);
    Fogrid__TaskRef **refs = (Fogrid__TaskRef **) zmalloc (sizeof (Fogrid__TaskRef *) * total);
    size_t count = miner_tasks_refs (tasks, store, refs);
    size_t sent = 0, first = count? *turn % count: 0, step = 0;
    for (; step < count && sent < MINER_LIVE_MAX_SENDS; step++) {
        size_t index = (first + step) % count;
        miner_runner_t *runner = miner_tasks_find (tasks, refs [index]->task_id,
                                                   refs [index]->attempt);
        if (runner && miner_live_send_runner (runner, send_fn, arg))
            sent++;
    }
    *turn = first + step;
    free (store);
    free (refs);
    return sent;
}
