//  test_fg_rpc - placeholder until the suite is written
#include "test_support.h"

void
test_fg_rpc_add (void)
{
    ts_add_suite ("fg_rpc", NULL);
}
