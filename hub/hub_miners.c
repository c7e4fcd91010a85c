/*  =========================================================================
    hub_miners - the miners the hub knows, their resources and liveness

    DESIGN
    Liveness is decided by silence, since a TCP connection through ZeroMQ
    says nothing about whether its peer is alive. A miner that stops
    heartbeating is first disconnected (its tasks stay where they are: it
    may be a short network hiccup) and then dead (the server requeues its
    tasks, each as a new attempt, so its late results are refused as stale).
    A send that the ROUTER refuses (ZMQ_ROUTER_MANDATORY) means the
    connection is gone: the server makes the miner dead at once.

        from            to              event
        ----            --              -----
        (new)           connected       MinerHello
        connected       connected       MinerHello / MinerHeartbeat (refresh)
        connected       disconnected    no heartbeat for disconnect_ms
        disconnected    connected       MinerHello / MinerHeartbeat
        disconnected    dead            no heartbeat for dead_ms
        connected       dead            a send to it failed
        disconnected    dead            a send to it failed
        dead            connected       MinerHello (a heartbeat gets NOT_FOUND)

    Dead miners stay in the table, so operators see them in `miners`.
    Copies of the miner's Resources and Load are taken by packing and
    unpacking them: a deep copy that protobuf-c frees in one call.
    =========================================================================  */
#include "fogrid.h"
#include "hub_miners.h"
#include "fg_expr.h"

struct _hub_miners_t {
    zhashx_t *miners;           //  id -> hub_miner_t
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
    return miner;
}

hub_miners_t *
hub_miners_new (void)
{
    hub_miners_t *self = (hub_miners_t *) zmalloc (sizeof (hub_miners_t));
    self->miners = zhashx_new ();
    zhashx_set_destructor (self->miners, s_miner_destroy);
    return self;
}

void
hub_miners_destroy (hub_miners_t **self_p)
{
    if (*self_p) {
        hub_miners_t *self = *self_p;
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
    //  A linear walk: miners are few next to messages, and routing ids
    //  change on every reconnect, so a second index would need upkeep
    for (hub_miner_t *miner = (hub_miner_t *) zhashx_first (self->miners); miner;
         miner = (hub_miner_t *) zhashx_next (self->miners))
        if (miner->routing && routing && zframe_eq (miner->routing, routing))
            return miner;
    return NULL;
}

void
hub_miners_set_state (hub_miner_t *miner, hub_miner_state_t next, const char *why)
{
    if (miner->state == next)
        return;
    zsys_info ("miner %s (%s) %s -> %s%s%s", miner->id, miner->name,
               hub_miner_state_name (miner->state), hub_miner_state_name (next),
               why? ": ": "", why? why: "");
    miner->state = next;
}

hub_miner_t *
hub_miners_hello (hub_miners_t *self, const Fogrid__MinerHello *hello,
                  zframe_t *routing, int64_t now_ms)
{
    hub_miner_t *miner = hub_miners_lookup (self, hello->miner_id);
    if (!miner) {
        miner = s_miner_new (hello->miner_id);
        zhashx_insert (self->miners, miner->id, miner);
    }
    free (miner->name);
    miner->name = strdup (hello->name);
    free (miner->version);
    miner->version = strdup (hello->version);
    fogrid__resources__free_unpacked (miner->resources, NULL);
    miner->resources = s_resources_dup (hello->resources);
    //  Parsed here, once, not at every match (the hub refused the hello
    //  of terms that do not parse)
    fg_expr_destroy (&miner->accept);
    if (*miner->resources->constraint)
        miner->accept = fg_expr_parse (miner->resources->constraint, NULL, 0);
    zframe_destroy (&miner->routing);
    miner->routing = zframe_dup (routing);
    miner->last_seen_ms = miner->connected_ms = now_ms;
    hub_miners_set_state (miner, HUB_MINER_CONNECTED, "hello");
    return miner;
}

void
hub_miners_heartbeat (hub_miners_t *self, hub_miner_t *miner,
                      const Fogrid__Load *load, int64_t now_ms)
{
    (void) self;
    fogrid__load__free_unpacked (miner->load, NULL);
    miner->load = s_load_dup (load);
    miner->last_seen_ms = now_ms;
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
        miner->state = HUB_MINER_DISCONNECTED;
        miner->last_seen_ms = now_ms;
        zhashx_insert (self->miners, miner->id, miner);
        zsys_info ("miner %s restored from the store: disconnected until it says hello",
                   miner_id);
    }
    return miner;
}

void
hub_miners_check (hub_miners_t *self, int64_t now_ms, int64_t disconnect_ms,
                  int64_t dead_ms, zlist_t *died)
{
    for (hub_miner_t *miner = (hub_miner_t *) zhashx_first (self->miners); miner;
         miner = (hub_miner_t *) zhashx_next (self->miners)) {
        int64_t silent = now_ms - miner->last_seen_ms;
        char why [64];
        snprintf (why, sizeof why, "silent for %" PRId64 " ms", silent);
        if (miner->state == HUB_MINER_CONNECTED && silent >= disconnect_ms)
            hub_miners_set_state (miner, HUB_MINER_DISCONNECTED, why);
        if (miner->state == HUB_MINER_DISCONNECTED && silent >= dead_ms) {
            hub_miners_set_state (miner, HUB_MINER_DEAD, why);
            zlist_append (died, miner->id);
        }
    }
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
    miner->used_mem_mb += reservation->mem_mb;
    miner->used_gpus += reservation->gpus;
}

void
hub_miners_release (hub_miner_t *miner, const char *task_id)
{
    s_reservation_t *reservation = (s_reservation_t *) zhashx_lookup (miner->tasks, task_id);
    if (reservation) {
        miner->used_cores -= reservation->cores;
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
    memset (counts, 0, sizeof (uint64_t) * HUB_MINER_STATES);
    for (hub_miner_t *miner = hub_miners_first (self); miner; miner = hub_miners_next (self))
        counts [miner->state]++;
}
