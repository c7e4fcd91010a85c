/*  =========================================================================
    hub_output - the output hash: what two runs of a task are compared by

        char hash [65];
        hub_output_hash (task->spec, result, hash);
        if (streq (hash, other)) ...the same result...

    SHA-256 (hex, 64 digits) over a canonical text of the result: its exit
    status, its stdout's SHA-256 (the miner's, over all of it, else of the
    bytes it carries), its stderr's, and each compared file (TaskSpec.
    compare: paths as OutputFile.path, a directory covering what is in it;
    all when empty) in path order, whatever order the miner listed them.
    "" for a result that is no result: the task could not run, or the
    miner refused it.
    =========================================================================  */
#ifndef HUB_OUTPUT_H_INCLUDED
#define HUB_OUTPUT_H_INCLUDED

void hub_output_hash (const Fogrid__TaskSpec *spec, const Fogrid__TaskResult *result,
                      char *hex);

#endif
