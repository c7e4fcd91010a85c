/*  =========================================================================
    fg_sdnotify - telling systemd how a daemon is doing
    =========================================================================  */
#include "fogrid.h"
#include "fg_sdnotify.h"
#include <systemd/sd-daemon.h>

bool
fg_sdnotify_enabled (void)
{
    const char *socket = getenv ("NOTIFY_SOCKET");
    return socket && *socket;
}

int
fg_sdnotify_send (const char *state)
{
    //  A manager gone away is no reason to log each ping: the caller
    //  goes on either way
    int rc = sd_notify (0, state);
    return rc < 0? -1: rc > 0? 1: 0;
}

int64_t
fg_sdnotify_watchdog_ms (void)
{
    uint64_t usec = 0;
    if (sd_watchdog_enabled (0, &usec) <= 0)
        return 0;
    int64_t ms = (int64_t) (usec / 1000);
    return ms > 0? ms: 1;
}
