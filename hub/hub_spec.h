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

//  Element index of a job array whose template was packed into packed:
//  a new spec (the caller frees it with fogrid__task_spec__free_unpacked)
//  with every "{}" in its argv and env replaced by index. NULL when packed
//  does not decode.
Fogrid__TaskSpec *hub_spec_element (const uint8_t *packed, size_t size, uint32_t index);

//  The array id and index of a task id "ARRAY[INDEX]" (array is at least
//  32 bytes). Returns 0, or -1 when task_id names no element.
int hub_spec_element_of (const char *task_id, char *array, uint32_t *index);

#endif
