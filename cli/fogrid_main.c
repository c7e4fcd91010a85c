/*  =========================================================================
    fogrid - the buyer's and operator's command line
    =========================================================================  */
#include "fogrid.h"
#include "cli_commands.h"

int
main (int argc, char *argv [])
{
    //  Log lines (a locator that does not answer, ...) go to stderr: stdout
    //  is for answers, which scripts read
    zsys_init ();
    zsys_set_logstream (stderr);
    return cli_main (argc, argv);
}
