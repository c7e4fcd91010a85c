/*  =========================================================================
    hub_inputs - the inputs of a submitted task (TaskSpec.inputs): what
    the hub accepts to keep with it

        char why [256];
        if (hub_inputs_check (spec, max_bytes, why, sizeof why))
            ...refuse the submit: why names the input and the bound...

    The hub keeps inputs inside the spec it stores, so a requeued attempt
    and a restarted hub send them again as they came. It does not check
    their hashes: the miner does, against the bytes it writes (or
    fetched), which is where a corrupted input must be stopped.
    =========================================================================  */
#ifndef HUB_INPUTS_H_INCLUDED
#define HUB_INPUTS_H_INCLUDED

#define HUB_INPUTS_MAX          256     //  inputs of one task
#define HUB_INPUTS_MAX_NAME     1024    //  bytes of a name
#define HUB_INPUTS_MAX_URL      2048    //  bytes of a URL

//  Returns 0 when spec's inputs are well formed and their content is at
//  most max_bytes in all (hub/max_inputs), else -1 with why.
int hub_inputs_check (const Fogrid__TaskSpec *spec, size_t max_bytes, char *why, size_t size);

//  A view of spec for a buyer (TaskInfo): the same fields, its inputs
//  without their content (names, sizes, hashes and URLs stay): a status
//  is no place for a megabyte, and a result with it could pass the
//  message bound. It borrows spec's strings: free it (hub_inputs_view_free)
//  before spec. NULL when spec has no inputs (send spec itself).
Fogrid__TaskSpec *hub_inputs_view (Fogrid__TaskSpec *spec);
void hub_inputs_view_free (Fogrid__TaskSpec **view_p);

#endif
