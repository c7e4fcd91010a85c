//  test_loc_registry - placeholder until the suite is written
#include "test_support.h"

void
test_loc_registry_add (void)
{
    ts_add_suite ("loc_registry", NULL);
}
