//  test_hub_sched - placeholder until the suite is written
#include "test_support.h"

void
test_hub_sched_add (void)
{
    ts_add_suite ("hub_sched", NULL);
}
