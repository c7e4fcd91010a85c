//  test_hub_store - placeholder until the suite is written
#include "test_support.h"

void
test_hub_store_add (void)
{
    ts_add_suite ("hub_store", NULL);
}
