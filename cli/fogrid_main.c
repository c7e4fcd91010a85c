/*  =========================================================================
    fogrid - the buyer's and operator's command line
    =========================================================================  */
#include "fogrid.h"
#include "cli_commands.h"

int
main (int argc, char *argv [])
{
    return cli_main (argc, argv);
}
