/*  =========================================================================
    hub_miners - the miners the hub knows, their resources and liveness

    DESIGN
    Liveness is decided by silence, since an open TCP connection says
    nothing about whether its peer is alive (a stopped process, a cut
    cable). A miner that stops heartbeating is first disconnected (its
    tasks stay where they are: it may be a short network hiccup) and then
    dead (the server requeues its tasks, each as a new attempt, so its late
    results are refused as stale). A closed connection, on the other hand,
    says the peer is gone: a killed miner's kernel closes it at once
    (hub_watch tells which). Its miner then has grace_ms to come back on a
    new connection (a restart, a reconnect) before it is dead; any word
    from it in the meantime ends the grace, since the descriptor that
    closed may already belong to a newer connection of someone else. A
    send that the ROUTER refuses (ZMQ_ROUTER_MANDATORY) means the
    connection is gone: the server makes the miner dead at once.

        from            to              event
        ----            --              -----
        (new)           connected       MinerHello
        connected       connected       MinerHello / MinerHeartbeat (refresh)
        connected       disconnected    no heartbeat for disconnect_ms
        disconnected    connected       MinerHello / MinerHeartbeat
        disconnected    dead            no heartbeat for dead_ms
        connected       dead            its connection closed, and grace_ms
        disconnected    dead              passed without a word from it
        connected       dead            a send to it failed
        disconnected    dead            a send to it failed
        dead            connected       MinerHello (a heartbeat gets NOT_FOUND)

    Dead miners stay in the table, so operators see them in `miners`.
    Copies of the miner's Resources and Load are taken by packing and
    unpacking them: a deep copy that protobuf-c frees in one call.

    Scale: every message from a miner finds it by its routing id in a
    hash (keyed by the frame's bytes; kept in step at each hello, the only
    time a miner's connection changes). The live miners are also kept in
    the order they were last heard from, so the tick's silence check looks
    only at the few at the head that are silent, and the closed
    connections in grace in a list of their own. Counts by state and the
    connected miners' cores change only in hub_miners_set_state (and in
    reserve / release / hello for cores), so /metrics and the locator's
    load read numbers instead of walking ten thousand miners.
    =========================================================================  */
#include "fogrid.h"
#include "hub_miners.h"
#include "fg_expr.h"
#include "hub_watch.h"

struct _hub_miners_t {
    zhashx_t *miners;           //  id -> hub_miner_t
    zhashx_t *by_routing;       //  routing frame (a miner's own) -> hub_miner_t
    zlistx_t *by_seen;          //  miners not dead, least recently heard first
    zlistx_t *closed;           //  miners whose connection closed, in their grace
    hub_miner_t **by_fd;        //  descriptor -> the miner that said hello on it
    size_t by_fd_size;          //  slots in by_fd
    int64_t grace_ms;           //  after a closed connection; 0 = ignore closes
    uint64_t counts [HUB_MINER_STATES];     //  miners by state
    uint64_t cores;             //  offered by connected miners
    uint64_t used_cores;        //  of those, reserved
};

typedef struct {
    uint32_t cores;             //  reserved cores (at least 1)
    uint64_t mem_mb;            //  reserved memory, 0 when the task asked none
    uint32_t gpus;              //  reserved GPUs
} s_reservation_t;

static const char *s_state_names [HUB_MINER_STATES] = {
    "new", "connected", "disconnected", "dead"
};

static Fogrid__Resources *
s_resources_dup (const Fogrid__Resources *source)
{
    Fogrid__Resources empty = FOGRID__RESOURCES__INIT;
    if (!source)
        source = &empty;
    size_t size = fogrid__resources__get_packed_size (source);
    byte *buffer = (byte *) zmalloc (size + 1);
    fogrid__resources__pack (source, buffer);
    Fogrid__Resources *copy = fogrid__resources__unpack (NULL, size, buffer);
    free (buffer);
    assert (copy);              //  we packed it ourselves
    return copy;
}

static Fogrid__Load *
s_load_dup (const Fogrid__Load *source)
{
    Fogrid__Load empty = FOGRID__LOAD__INIT;
    if (!source)
        source = &empty;
    size_t size = fogrid__load__get_packed_size (source);
    byte *buffer = (byte *) zmalloc (size + 1);
    fogrid__load__pack (source, buffer);
    Fogrid__Load *copy = fogrid__load__unpack (NULL, size, buffer);
    free (buffer);
    assert (copy);
    return copy;
}

//  Routing ids are bytes: hashed and compared as such
static size_t
s_routing_hash (const void *key)
{
    zframe_t *frame = (zframe_t *) key;
    const byte *data = zframe_data (frame);
    size_t hash = 2166136261u;
    for (size_t index = 0; index < zframe_size (frame); index++)
        hash = (hash ^ data [index]) * 16777619u;
    return hash;
}

static int
s_routing_compare (const void *a, const void *b)
{
    return zframe_eq ((zframe_t *) a, (zframe_t *) b)? 0: 1;
}

static void
s_miner_destroy (void **item)
{
    hub_miner_t *miner = (hub_miner_t *) *item;
    if (miner) {
        free (miner->name);
        free (miner->version);
        zframe_destroy (&miner->routing);
        fogrid__resources__free_unpacked (miner->resources, NULL);
        fg_expr_destroy (&miner->accept);
        fogrid__load__free_unpacked (miner->load, NULL);
        zhashx_destroy (&miner->tasks);
        free (miner);
        *item = NULL;
    }
}

static void
s_reservation_destroy (void **item)
{
    free (*item);
    *item = NULL;
}

static hub_miner_t *
s_miner_new (const char *miner_id)
{
    hub_miner_t *miner = (hub_miner_t *) zmalloc (sizeof (hub_miner_t));
    snprintf (miner->id, sizeof miner->id, "%s", miner_id);
    miner->name = strdup ("");
    miner->version = strdup ("");
    miner->resources = s_resources_dup (NULL);
    miner->load = s_load_dup (NULL);
    miner->tasks = zhashx_new ();
    zhashx_set_destructor (miner->tasks, s_reservation_destroy);
    miner->fd = -1;
    return miner;
}

static void
s_miner_insert (hub_miners_t *self, hub_miner_t *miner)
{
    miner->owner = self;
    zhashx_insert (self->miners, miner->id, miner);
    self->counts [miner->state]++;
}

hub_miners_t *
hub_miners_new (void)
{
    hub_miners_t *self = (hub_miners_t *) zmalloc (sizeof (hub_miners_t));
    self->miners = zhashx_new ();
    zhashx_set_destructor (self->miners, s_miner_destroy);
    //  Keys are the miners' own routing frames: not copied, not freed here
    self->by_routing = zhashx_new ();
    zhashx_set_key_hasher (self->by_routing, s_routing_hash);
    zhashx_set_key_comparator (self->by_routing, s_routing_compare);
    zhashx_set_key_duplicator (self->by_routing, NULL);
    zhashx_set_key_destructor (self->by_routing, NULL);
    self->by_seen = zlistx_new ();
    self->closed = zlistx_new ();
    return self;
}

void
hub_miners_destroy (hub_miners_t **self_p)
{
    if (*self_p) {
        hub_miners_t *self = *self_p;
        zhashx_destroy (&self->by_routing);
        zlistx_destroy (&self->by_seen);
        zlistx_destroy (&self->closed);
        free (self->by_fd);
        zhashx_destroy (&self->miners);
        free (self);
        *self_p = NULL;
    }
}

const char *
hub_miner_state_name (hub_miner_state_t state)
{
    if (state <= 0 || state >= HUB_MINER_STATES)
        return "none";
    return s_state_names [state];
}

hub_miner_t *
hub_miners_lookup (hub_miners_t *self, const char *miner_id)
{
    return (hub_miner_t *) zhashx_lookup (self->miners, miner_id);
}

hub_miner_t *
hub_miners_by_routing (hub_miners_t *self, zframe_t *routing)
{
    return routing? (hub_miner_t *) zhashx_lookup (self->by_routing, routing): NULL;
}

static void
s_closed_forget (hub_miners_t *self, hub_miner_t *miner)
{
    if (miner->closed_handle)
        zlistx_delete (self->closed, miner->closed_handle);
    miner->closed_handle = NULL;
    miner->closed_ms = 0;
}

void
hub_miners_set_state (hub_miner_t *miner, hub_miner_state_t next, const char *why)
{
    if (miner->state == next)
        return;
    zsys_info ("miner %s (%s) %s -> %s%s%s", miner->id, miner->name,
               hub_miner_state_name (miner->state), hub_miner_state_name (next),
               why? ": ": "", why? why: "");
    hub_miners_t *self = miner->owner;
    if (self) {
        self->counts [miner->state]--;
        self->counts [next]++;
        if (miner->state == HUB_MINER_CONNECTED) {
            self->cores -= miner->resources->cores;
            self->used_cores -= miner->used_cores;
        }
        if (next == HUB_MINER_CONNECTED) {
            self->cores += miner->resources->cores;
            self->used_cores += miner->used_cores;
        }
        if (next == HUB_MINER_DEAD) {
            if (miner->seen_handle)
                zlistx_delete (self->by_seen, miner->seen_handle);
            miner->seen_handle = NULL;
            s_closed_forget (self, miner);
        }
        else
        if (!miner->seen_handle)
            miner->seen_handle = zlistx_add_end (self->by_seen, miner);
    }
    miner->state = next;
}

//  It was heard from now: last in the silence order
static void
s_miner_seen (hub_miners_t *self, hub_miner_t *miner, int64_t now_ms)
{
    miner->last_seen_ms = now_ms;
    if (miner->seen_handle)
        zlistx_move_end (self->by_seen, miner->seen_handle);
}

hub_miner_t *
hub_miners_hello (hub_miners_t *self, const Fogrid__MinerHello *hello,
                  zframe_t *routing, int64_t now_ms)
{
    hub_miner_t *miner = hub_miners_lookup (self, hello->miner_id);
    if (!miner) {
        miner = s_miner_new (hello->miner_id);
        s_miner_insert (self, miner);
    }
    bool counted = miner->state == HUB_MINER_CONNECTED;
    if (counted)
        self->cores -= miner->resources->cores;
    free (miner->name);
    miner->name = strdup (hello->name);
    free (miner->version);
    miner->version = strdup (hello->version);
    fogrid__resources__free_unpacked (miner->resources, NULL);
    miner->resources = s_resources_dup (hello->resources);
    if (counted)
        self->cores += miner->resources->cores;
    //  Parsed here, once, not at every match (the hub refused the hello
    //  of terms that do not parse)
    fg_expr_destroy (&miner->accept);
    if (*miner->resources->constraint)
        miner->accept = fg_expr_parse (miner->resources->constraint, NULL, 0);
    //  Its connection: the routing index and the descriptor follow it. The
    //  index is keyed by the frame of the miner it names, so an entry
    //  goes before that frame does
    if (miner->routing && !(routing && zframe_eq (miner->routing, routing))) {
        if (zhashx_lookup (self->by_routing, miner->routing) == miner)
            zhashx_delete (self->by_routing, miner->routing);
        zframe_destroy (&miner->routing);
    }
    if (routing && !miner->routing)
        miner->routing = zframe_dup (routing);
    if (miner->routing && zhashx_lookup (self->by_routing, miner->routing) != miner) {
        //  Another id said hello on this connection before: the latest wins
        zhashx_delete (self->by_routing, miner->routing);
        zhashx_insert (self->by_routing, miner->routing, miner);
    }
    int fd = hub_watch_fd (routing);
    if (miner->fd >= 0 && (size_t) miner->fd < self->by_fd_size
    &&  self->by_fd [miner->fd] == miner)
        self->by_fd [miner->fd] = NULL;
    miner->fd = fd;
    if (fd >= 0) {
        if ((size_t) fd >= self->by_fd_size) {
            size_t size = self->by_fd_size? self->by_fd_size: 1024;
            while (size <= (size_t) fd)
                size *= 2;
            self->by_fd = (hub_miner_t **) realloc (self->by_fd, size * sizeof (hub_miner_t *));
            memset (self->by_fd + self->by_fd_size, 0,
                    (size - self->by_fd_size) * sizeof (hub_miner_t *));
            self->by_fd_size = size;
        }
        self->by_fd [fd] = miner;
    }
    s_closed_forget (self, miner);
    miner->connected_ms = now_ms;
    s_miner_seen (self, miner, now_ms);
    hub_miners_set_state (miner, HUB_MINER_CONNECTED, "hello");
    return miner;
}

void
hub_miners_heartbeat (hub_miners_t *self, hub_miner_t *miner,
                      const Fogrid__Load *load, int64_t now_ms)
{
    fogrid__load__free_unpacked (miner->load, NULL);
    miner->load = s_load_dup (load);
    s_miner_seen (self, miner, now_ms);
    miner->refusing = false;
    if (miner->state == HUB_MINER_DISCONNECTED)
        hub_miners_set_state (miner, HUB_MINER_CONNECTED, "heartbeat");
}

hub_miner_t *
hub_miners_restore (hub_miners_t *self, const char *miner_id, int64_t now_ms)
{
    hub_miner_t *miner = hub_miners_lookup (self, miner_id);
    if (!miner) {
        miner = s_miner_new (miner_id);
        miner->last_seen_ms = now_ms;
        s_miner_insert (self, miner);
        hub_miners_set_state (miner, HUB_MINER_DISCONNECTED,
                              "restored from the store: disconnected until it says hello");
    }
    return miner;
}

void
hub_miners_check (hub_miners_t *self, int64_t now_ms, int64_t disconnect_ms,
                  int64_t dead_ms, zlist_t *died)
{
    //  Silence: from the least recently heard, until one is not silent
    hub_miner_t *miner = (hub_miner_t *) zlistx_first (self->by_seen);
    while (miner) {
        hub_miner_t *next = (hub_miner_t *) zlistx_next (self->by_seen);
        int64_t silent = now_ms - miner->last_seen_ms;
        if (silent < disconnect_ms && silent < dead_ms)
            break;
        char why [64];
        snprintf (why, sizeof why, "silent for %" PRId64 " ms", silent);
        if (miner->state == HUB_MINER_CONNECTED && silent >= disconnect_ms)
            hub_miners_set_state (miner, HUB_MINER_DISCONNECTED, why);
        if (miner->state == HUB_MINER_DISCONNECTED && silent >= dead_ms) {
            hub_miners_set_state (miner, HUB_MINER_DEAD, why);
            zlist_append (died, miner->id);
        }
        miner = next;
    }
    //  Closed connections whose grace ran out
    miner = (hub_miner_t *) zlistx_first (self->closed);
    while (miner) {
        hub_miner_t *next = (hub_miner_t *) zlistx_next (self->closed);
        if (miner->last_seen_ms > miner->closed_ms)
            s_closed_forget (self, miner);      //  it spoke since: not its connection
        else
        if (now_ms - miner->closed_ms >= self->grace_ms) {
            char why [96];
            snprintf (why, sizeof why, "its connection closed %" PRId64 " ms ago and it did "
                      "not come back", now_ms - miner->closed_ms);
            hub_miners_set_state (miner, HUB_MINER_DEAD, why);
            zlist_append (died, miner->id);
        }
        miner = next;
    }
}

void
hub_miners_closed (hub_miners_t *self, int fd, int64_t now_ms)
{
    if (fd < 0 || (size_t) fd >= self->by_fd_size || self->grace_ms <= 0)
        return;
    hub_miner_t *miner = self->by_fd [fd];
    self->by_fd [fd] = NULL;
    if (!miner || miner->fd != fd || miner->state == HUB_MINER_DEAD || miner->closed_handle)
        return;
    miner->fd = -1;
    miner->closed_ms = now_ms;
    miner->closed_handle = zlistx_add_end (self->closed, miner);
    zsys_info ("miner %s (%s): its connection closed: dead in %" PRId64 " ms unless it "
               "comes back", miner->id, miner->name, self->grace_ms);
}

void
hub_miners_set_grace (hub_miners_t *self, int64_t grace_ms)
{
    self->grace_ms = grace_ms;
}

void
hub_miners_reserve (hub_miner_t *miner, const char *task_id, uint32_t cores,
                    uint64_t mem_mb, uint32_t gpus)
{
    hub_miners_release (miner, task_id);
    s_reservation_t *reservation = (s_reservation_t *) zmalloc (sizeof (s_reservation_t));
    reservation->cores = cores? cores: 1;
    reservation->mem_mb = mem_mb;
    reservation->gpus = gpus;
    zhashx_insert (miner->tasks, task_id, reservation);
    miner->used_cores += reservation->cores;
    if (miner->owner && miner->state == HUB_MINER_CONNECTED)
        miner->owner->used_cores += reservation->cores;
    miner->used_mem_mb += reservation->mem_mb;
    miner->used_gpus += reservation->gpus;
}

void
hub_miners_release (hub_miner_t *miner, const char *task_id)
{
    s_reservation_t *reservation = (s_reservation_t *) zhashx_lookup (miner->tasks, task_id);
    if (reservation) {
        miner->used_cores -= reservation->cores;
        if (miner->owner && miner->state == HUB_MINER_CONNECTED)
            miner->owner->used_cores -= reservation->cores;
        miner->used_mem_mb -= reservation->mem_mb;
        miner->used_gpus -= reservation->gpus;
        zhashx_delete (miner->tasks, task_id);
    }
}

bool
hub_miners_has_task (hub_miner_t *miner, const char *task_id)
{
    return zhashx_lookup (miner->tasks, task_id) != NULL;
}

void
hub_miners_candidate (hub_miner_t *miner, hub_sched_miner_t *candidate)
{
    const Fogrid__Resources *res = miner->resources;
    memset (candidate, 0, sizeof *candidate);
    candidate->id = miner->id;
    candidate->connected = miner->state == HUB_MINER_CONNECTED;
    candidate->cores = res->cores;
    candidate->free_cores = res->cores > miner->used_cores && !miner->refusing?
                            res->cores - miner->used_cores: 0;
    candidate->free_mem_mb = res->mem_mb > miner->used_mem_mb? res->mem_mb - miner->used_mem_mb: 0;
    candidate->free_gpus = res->gpus > miner->used_gpus? res->gpus - miner->used_gpus: 0;
    //  The miner may run work the hub did not give it (services): the
    //  larger of the two counts is the honest one
    uint32_t given = (uint32_t) zhashx_size (miner->tasks);
    candidate->running = miner->load->running > given? miner->load->running: given;
    candidate->load1 = miner->load->load1;
    candidate->resources = res;
    candidate->accept = miner->accept;
}

hub_miner_t *
hub_miners_first (hub_miners_t *self)
{
    return (hub_miner_t *) zhashx_first (self->miners);
}

hub_miner_t *
hub_miners_next (hub_miners_t *self)
{
    return (hub_miner_t *) zhashx_next (self->miners);
}

size_t
hub_miners_size (hub_miners_t *self)
{
    return zhashx_size (self->miners);
}

void
hub_miners_count_states (hub_miners_t *self, uint64_t *counts)
{
    memcpy (counts, self->counts, sizeof (uint64_t) * HUB_MINER_STATES);
    counts [0] = 0;             //  "new": only between insert and hello
}

void
hub_miners_capacity (hub_miners_t *self, uint64_t *cores, uint64_t *used)
{
    *cores = self->cores;
    *used = self->used_cores;
}
