/*  =========================================================================
    hub_windows - the challenge windows the court watches, by their end

    A list kept sorted by end (zlistx_insert with a comparator), so a tick
    looks at its head only: nothing is walked while no window is due.
    =========================================================================  */
#include "fogrid.h"
#include "hub_windows.h"

struct _hub_windows_t {
    zlistx_t *list;             //  s_window_t, by end
};

//  A pending resolution's window
typedef struct {
    char task_id [HUB_WINDOWS_ID_MAX];
    int64_t at_ms;
} s_window_t;

static int
s_window_compare (const void *item1, const void *item2)
{
    const s_window_t *one = (const s_window_t *) item1, *two = (const s_window_t *) item2;
    return one->at_ms < two->at_ms? -1: one->at_ms > two->at_ms? 1: 0;
}

static void
s_window_destroy (void **item)
{
    free (*item);
    *item = NULL;
}

hub_windows_t *
hub_windows_new (void)
{
    hub_windows_t *self = (hub_windows_t *) zmalloc (sizeof (hub_windows_t));
    self->list = zlistx_new ();
    zlistx_set_comparator (self->list, s_window_compare);
    zlistx_set_destructor (self->list, s_window_destroy);
    return self;
}

void
hub_windows_destroy (hub_windows_t **self_p)
{
    if (*self_p) {
        hub_windows_t *self = *self_p;
        zlistx_destroy (&self->list);
        free (self);
        *self_p = NULL;
    }
}

void
hub_windows_watch (hub_windows_t *self, const char *task_id, int64_t at_ms)
{
    s_window_t *window = (s_window_t *) zmalloc (sizeof (s_window_t));
    snprintf (window->task_id, sizeof window->task_id, "%s", task_id);
    window->at_ms = at_ms;
    zlistx_insert (self->list, window, false);
}

bool
hub_windows_due (hub_windows_t *self, int64_t now, char *task_id)
{
    s_window_t *window = (s_window_t *) zlistx_first (self->list);
    if (!window || window->at_ms > now)
        return false;
    snprintf (task_id, HUB_WINDOWS_ID_MAX, "%s", window->task_id);
    zlistx_delete (self->list, zlistx_cursor (self->list));
    return true;
}

size_t
hub_windows_size (hub_windows_t *self)
{
    return zlistx_size (self->list);
}

void
hub_windows_purge (hub_windows_t *self)
{
    zlistx_purge (self->list);
}
