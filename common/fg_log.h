/*  =========================================================================
    fg_log - the daemons' log lines, for a terminal, a file or journald

    Every log call goes through czmq (zsys_error .. zsys_debug), which
    writes "I: (fogrid-hub) 26-12-07 23:18:31 text": local time, to the
    second, two-digit year. fg_log_start hands czmq a stream of ours
    (fopencookie) that takes each such line apart and writes it anew on
    stderr, one write(2) a line:

    - when stderr is the journal (systemd sets JOURNAL_STREAM to the
      device and inode of the stream it gave us): "<6>text", the syslog
      priority (sd-daemon.h's SD_INFO) that journald reads and strips; it
      stamps the time and the unit itself;
    - otherwise: "2026-12-07T23:18:31.123Z I: (fogrid-hub) text", UTC with
      milliseconds, so that the logs of several machines sort together.

    The stream is locked by stdio around each write, so lines from the
    actors' threads never mix.
    =========================================================================  */
#ifndef FG_LOG_H_INCLUDED
#define FG_LOG_H_INCLUDED

#include <time.h>

//  Sends czmq's log lines through the formatter to stderr. Idempotent.
void fg_log_start (void);

//  True when stderr is the journal (JOURNAL_STREAM names it).
bool fg_log_to_journal (void);

//  The syslog priority of a czmq level letter: 'E' 3, 'W' 4, 'N' 5, 'I' 6,
//  'D' 7 (anything else 6).
int fg_log_priority (char level);

//  Rewrites one line as czmq writes it (without its newline) for the
//  journal or with an ISO-8601 stamp of now, into out with a newline.
//  Returns the length written (at most size - 1).
size_t fg_log_format (char *out, size_t size, const char *line, bool journal,
                      const struct timespec *now);

#endif
