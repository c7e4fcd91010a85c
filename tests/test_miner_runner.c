//  test_miner_runner - placeholder until the suite is written
#include "test_support.h"

void
test_miner_runner_add (void)
{
    ts_add_suite ("miner_runner", NULL);
}
