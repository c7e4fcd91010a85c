/*  =========================================================================
    hub_cases - the court's cases: a challenge or a failed spot check, who
    brought it, what it put down, and the signed verdict once there is one

        hub_cases_t *cases = hub_cases_new (store);
        hub_cases_open (cases, "t-1", "challenge", key, 100);
        hub_case_t found;
        if (hub_cases_load (cases, "t-1", &found) == 0) ...found.deposit...
        hub_case_reset (&found);
        hub_cases_close (cases, "t-1", verdict_json);
        hub_cases_destroy (&cases);

    Rows of its own table in the store's database, written in the
    transaction of the change they belong to. A task has one case at most.
    =========================================================================  */
#ifndef HUB_CASES_H_INCLUDED
#define HUB_CASES_H_INCLUDED

#include "hub_store.h"

typedef struct _hub_cases_t hub_cases_t;

typedef struct {
    char kind [16];             //  challenge | spot
    char challenger [64];       //  the challenger's key ("" on plain text, or a spot check)
    int64_t deposit;            //  what it put down
    int64_t opened_ms;
    char *verdict;              //  the signed verdict (JSON), "" while undecided
} hub_case_t;

//  NULL when its table cannot be made (logged).
hub_cases_t *hub_cases_new (hub_store_t *store);
void hub_cases_destroy (hub_cases_t **self_p);

//  0, or -1 (one exists already, or the store failed).
int hub_cases_open (hub_cases_t *self, const char *task_id, const char *kind,
                    const char *challenger, int64_t deposit);

//  0 and the case in *found (free with hub_case_reset), or -1 when none.
int hub_cases_load (hub_cases_t *self, const char *task_id, hub_case_t *found);
void hub_case_reset (hub_case_t *found);

//  Records the verdict. 0 or -1.
int hub_cases_close (hub_cases_t *self, const char *task_id, const char *verdict);

#endif
