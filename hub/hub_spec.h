/*  =========================================================================
    hub_spec - what a buyer may submit: the checks of a TaskSpec

        char why [256];
        if (hub_spec_check (request->spec, why, sizeof why))
            ...refuse the submit (FG_E_INVALID) with why...

    No state: the bounds are constants (hub_spec.c).
    =========================================================================  */
#ifndef HUB_SPEC_H_INCLUDED
#define HUB_SPEC_H_INCLUDED

//  Returns 0 when spec (may be NULL) may be accepted, else -1 with why.
int hub_spec_check (const Fogrid__TaskSpec *spec, char *why, size_t size);

#endif
