//  test_miner_agent - placeholder until the suite is written
#include "test_support.h"

void
test_miner_agent_add (void)
{
    ts_add_suite ("miner_agent", NULL);
}
