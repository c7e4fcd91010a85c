//  test_hub_server - placeholder until the suite is written
#include "test_support.h"

void
test_hub_server_add (void)
{
    ts_add_suite ("hub_server", NULL);
}
