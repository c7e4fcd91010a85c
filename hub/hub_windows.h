/*  =========================================================================
    hub_windows - the challenge windows the court watches, by their end

        hub_windows_t *windows = hub_windows_new ();
        hub_windows_watch (windows, "t-1", fg_now_ms () + 60000);
        char task_id [HUB_WINDOWS_ID_MAX];
        while (hub_windows_due (windows, fg_now_ms (), task_id))
            ...its window passed: resolve it...
        hub_windows_destroy (&windows);

    Memory only: a window is its task's resolve_at_ms (hub_task.h), so
    the court watches them again from the store at restore. A task
    watched twice ends twice; the court finds it resolved the second time.
    =========================================================================  */
#ifndef HUB_WINDOWS_H_INCLUDED
#define HUB_WINDOWS_H_INCLUDED

#include "fogrid.h"

#define HUB_WINDOWS_ID_MAX  32      //  task ids, with their terminating null

typedef struct _hub_windows_t hub_windows_t;

hub_windows_t *hub_windows_new (void);
void hub_windows_destroy (hub_windows_t **self_p);

//  Watches task_id's window, which ends at at_ms.
void hub_windows_watch (hub_windows_t *self, const char *task_id, int64_t at_ms);

//  True, with the task's id in task_id (HUB_WINDOWS_ID_MAX bytes), for
//  the window that ended first, if it ended by now: it is no longer
//  watched. Windows that end together come in the order they were watched.
bool hub_windows_due (hub_windows_t *self, int64_t now, char *task_id);

//  Windows watched.
size_t hub_windows_size (hub_windows_t *self);

//  Watches none.
void hub_windows_purge (hub_windows_t *self);

#endif
