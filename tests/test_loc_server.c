//  test_loc_server - placeholder until the suite is written
#include "test_support.h"

void
test_loc_server_add (void)
{
    ts_add_suite ("loc_server", NULL);
}
