//  test_cli - placeholder until the suite is written
#include "test_support.h"

void
test_cli_add (void)
{
    ts_add_suite ("cli", NULL);
}
