/*  =========================================================================
    fg_sdnotify - telling systemd how a daemon is doing

    Under a Type=notify unit, systemd hands the daemon a datagram socket
    ($NOTIFY_SOCKET) and waits for READY=1 before it counts the service as
    started (and before units ordered after it start); STOPPING=1 says a
    stop has begun, STATUS= is the line `systemctl status` shows, and with
    WatchdogSec= set ($WATCHDOG_USEC) the daemon must send WATCHDOG=1 more
    often than that or be killed and restarted. Outside systemd
    NOTIFY_SOCKET is unset and every call here does nothing.

    These are libsystemd's sd_notify and sd_watchdog_enabled; this class
    only keeps the rest of the tree free of sd-daemon.h.
    =========================================================================  */
#ifndef FG_SDNOTIFY_H_INCLUDED
#define FG_SDNOTIFY_H_INCLUDED

//  True when there is a service manager to tell ($NOTIFY_SOCKET is set).
bool fg_sdnotify_enabled (void);

//  Sends state ("READY=1", "STATUS=3 names", several lines at once).
//  Returns 1 when sent, 0 when there is no one to tell, -1 on an error.
int fg_sdnotify_send (const char *state);

//  The watchdog's period in ms when systemd wants pings from this process
//  (WATCHDOG_USEC, and WATCHDOG_PID is ours or unset), else 0.
int64_t fg_sdnotify_watchdog_ms (void);

#endif
