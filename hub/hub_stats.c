/*  =========================================================================
    hub_stats - what the hub counts as it goes

    DESIGN
    Throughput is a ring of HUB_THROUGHPUT_BUCKETS buckets of
    HUB_THROUGHPUT_BUCKET_S seconds: the newest is the one that holds
    bucket_ms, and a finish advances the ring to now, clearing the buckets
    it passes, so an idle hour costs one step, not a walk per second.
    =========================================================================  */
#include "fogrid.h"
#include "hub_stats.h"

void
hub_stats_finished (hub_stats_t *self, hub_task_state_t state, int64_t submitted_ms,
                    int64_t now_ms)
{
    if (state > 0 && state < HUB_TASK_STATES)
        self->finished [state]++;
    if (submitted_ms > 0 && now_ms >= submitted_ms)
        fg_latency_add (&self->latency, (double) (now_ms - submitted_ms) / 1000.0);
    //  Advance the ring to the bucket of now, clearing what it passes
    int64_t width = HUB_THROUGHPUT_BUCKET_S * 1000;
    if (self->bucket_ms == 0)
        self->bucket_ms = now_ms - now_ms % width;
    int steps = 0;
    while (now_ms >= self->bucket_ms + width && steps++ < HUB_THROUGHPUT_BUCKETS) {
        self->bucket_ms += width;
        self->done [(self->bucket_ms / width) % HUB_THROUGHPUT_BUCKETS] = 0;
    }
    if (now_ms >= self->bucket_ms + width)     //  idle for longer than the ring
        self->bucket_ms = now_ms - now_ms % width;
    self->done [(self->bucket_ms / width) % HUB_THROUGHPUT_BUCKETS]++;
}
