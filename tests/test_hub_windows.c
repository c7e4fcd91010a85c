/*  =========================================================================
    test_hub_windows - the court's challenge windows: due by their end,
    in order, each once; checked against a plain sort of random windows
    =========================================================================  */
#include "test_support.h"
#include "hub_windows.h"

static void
test_due (void)
{
    hub_windows_t *windows = hub_windows_new ();
    char task_id [HUB_WINDOWS_ID_MAX];
    CU_ASSERT_FALSE (hub_windows_due (windows, INT64_MAX, task_id));
    hub_windows_watch (windows, "t-3", 300);
    hub_windows_watch (windows, "t-1", 100);
    hub_windows_watch (windows, "t-2", 200);
    hub_windows_watch (windows, "t-2b", 200);
    CU_ASSERT_EQUAL (hub_windows_size (windows), 4);
    //  Nothing before its end
    CU_ASSERT_FALSE (hub_windows_due (windows, 99, task_id));
    CU_ASSERT_TRUE (hub_windows_due (windows, 100, task_id));
    CU_ASSERT_STRING_EQUAL (task_id, "t-1");
    CU_ASSERT_FALSE (hub_windows_due (windows, 199, task_id));
    //  Together, in the order watched
    CU_ASSERT_TRUE (hub_windows_due (windows, 250, task_id));
    CU_ASSERT_STRING_EQUAL (task_id, "t-2");
    CU_ASSERT_TRUE (hub_windows_due (windows, 250, task_id));
    CU_ASSERT_STRING_EQUAL (task_id, "t-2b");
    CU_ASSERT_FALSE (hub_windows_due (windows, 250, task_id));
    CU_ASSERT_EQUAL (hub_windows_size (windows), 1);
    hub_windows_purge (windows);
    CU_ASSERT_EQUAL (hub_windows_size (windows), 0);
    CU_ASSERT_FALSE (hub_windows_due (windows, INT64_MAX, task_id));
    hub_windows_destroy (&windows);
    CU_ASSERT_PTR_NULL (windows);
}

static int
s_compare (const void *one, const void *two)
{
    int64_t a = *(const int64_t *) one, b = *(const int64_t *) two;
    return a < b? -1: a > b? 1: 0;
}

static void
test_random (void)
{
    for (int round = 0; round < 50; round++) {
        hub_windows_t *windows = hub_windows_new ();
        int64_t ends [200];
        size_t count = 1 + (size_t) randof (200);
        for (size_t index = 0; index < count; index++) {
            ends [index] = randof (1000);
            char id [HUB_WINDOWS_ID_MAX];
            snprintf (id, sizeof id, "t-%" PRId64, ends [index]);
            hub_windows_watch (windows, id, ends [index]);
        }
        qsort (ends, count, sizeof ends [0], s_compare);
        //  Ticks at random times take exactly the windows ended by then
        size_t next = 0;
        for (int64_t now = 0; now < 1000 + 100; now += randof (100)) {
            char task_id [HUB_WINDOWS_ID_MAX];
            while (hub_windows_due (windows, now, task_id)) {
                CU_ASSERT_FATAL (next < count);
                char want [HUB_WINDOWS_ID_MAX];
                snprintf (want, sizeof want, "t-%" PRId64, ends [next++]);
                CU_ASSERT_STRING_EQUAL (task_id, want);
            }
            CU_ASSERT (next == count || ends [next] > now);
        }
        CU_ASSERT_EQUAL (next, count);
        CU_ASSERT_EQUAL (hub_windows_size (windows), 0);
        hub_windows_destroy (&windows);
    }
}

void
test_hub_windows_add (void)
{
    ts_add_suite ("hub_windows",
        "windows come due by their end, ties in the order watched, each once", test_due,
        "50 random sets of windows against a plain sort", test_random,
        NULL);
}
