//  test_spine - placeholder until the suite is written
#include "test_support.h"

void
test_spine_add (void)
{
    ts_add_suite ("spine", NULL);
}
