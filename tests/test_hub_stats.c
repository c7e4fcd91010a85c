/*  =========================================================================
    test_hub_stats - the hub's counters: finishes by state, their latency,
    and the throughput ring as time passes, idles and wraps
    =========================================================================  */
#include "test_support.h"
#include "hub_stats.h"

#define S_WIDTH (HUB_THROUGHPUT_BUCKET_S * 1000)

//  Tasks the ring holds in all
static uint64_t
s_ring_total (const hub_stats_t *stats)
{
    uint64_t total = 0;
    for (int index = 0; index < HUB_THROUGHPUT_BUCKETS; index++)
        total += stats->done [index];
    return total;
}

static void
test_finished (void)
{
    hub_stats_t stats = { 0 };
    int64_t now = 1000 * S_WIDTH;           //  the start of a bucket
    hub_stats_finished (&stats, HUB_TASK_SUCCEEDED, now - 2000, now);
    hub_stats_finished (&stats, HUB_TASK_SUCCEEDED, now - 4000, now + 1);
    hub_stats_finished (&stats, HUB_TASK_FAILED, now - 1000, now + 2);
    CU_ASSERT_EQUAL (stats.finished [HUB_TASK_SUCCEEDED], 2);
    CU_ASSERT_EQUAL (stats.finished [HUB_TASK_FAILED], 1);
    CU_ASSERT_EQUAL (stats.finished [HUB_TASK_CANCELLED], 0);
    CU_ASSERT_EQUAL (stats.bucket_ms, now);
    CU_ASSERT_EQUAL (s_ring_total (&stats), 3);
    //  A state out of the table is not counted by state, but finished
    hub_stats_finished (&stats, (hub_task_state_t) 99, 0, now + 3);
    CU_ASSERT_EQUAL (s_ring_total (&stats), 4);

    //  The next bucket starts empty; the old one keeps its count
    hub_stats_finished (&stats, HUB_TASK_SUCCEEDED, now, now + S_WIDTH);
    CU_ASSERT_EQUAL (stats.bucket_ms, now + S_WIDTH);
    CU_ASSERT_EQUAL (stats.done [((now + S_WIDTH) / S_WIDTH) % HUB_THROUGHPUT_BUCKETS], 1);
    CU_ASSERT_EQUAL (s_ring_total (&stats), 5);

    //  Half the ring later: still there; a whole ring later: all gone
    int64_t later = now + S_WIDTH * (HUB_THROUGHPUT_BUCKETS / 2);
    hub_stats_finished (&stats, HUB_TASK_SUCCEEDED, now, later);
    CU_ASSERT_EQUAL (s_ring_total (&stats), 6);
    int64_t idle = later + S_WIDTH * (HUB_THROUGHPUT_BUCKETS * 10);
    hub_stats_finished (&stats, HUB_TASK_SUCCEEDED, now, idle);
    CU_ASSERT_EQUAL (s_ring_total (&stats), 1);
    CU_ASSERT_EQUAL (stats.bucket_ms, idle - idle % S_WIDTH);
}

void
test_hub_stats_add (void)
{
    ts_add_suite ("hub_stats",
        "finishes by state and the throughput ring", test_finished,
        NULL);
}
