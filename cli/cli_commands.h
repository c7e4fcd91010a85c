/*  =========================================================================
    cli_commands - the `fogrid` command line: the buyer's and operator's tool
    =========================================================================  */
#ifndef CLI_COMMANDS_H_INCLUDED
#define CLI_COMMANDS_H_INCLUDED

//  Runs the fogrid command line; returns the process exit status:
//  0 done, 1 the grid refused or failed, 2 bad usage, or for `wait` the
//  task's own exit code.
int cli_main (int argc, char **argv);

#endif
