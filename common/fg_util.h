/*  =========================================================================
    fg_util - small helpers shared by every fogrid program
    =========================================================================  */
#ifndef FG_UTIL_H_INCLUDED
#define FG_UTIL_H_INCLUDED

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

//  Set by -v: log debug messages (through fg_debug).
extern bool fg_verbose;
#define fg_debug(...) do { if (fg_verbose) zsys_debug (__VA_ARGS__); } while (0)

//  Wall-clock time in milliseconds since the epoch.
int64_t fg_now_ms (void);

//  Moves this process's fg_now_ms forward by ms from now on. For the
//  fuzzers, which play hours of a daemon's life in seconds; no daemon
//  calls it.
void fg_clock_advance (int64_t ms);

//  Writes a new random id "PREFIX-xxxxxxxxxxxx" (12 hex digits) into buf.
void fg_id_new (const char *prefix, char *buf, size_t size);

//  True when name is a valid service name: 1..63 of [a-z0-9-], not
//  starting or ending with '-' (a DNS label, so it works in the DNS view).
bool fg_name_valid (const char *name);

//  True when s is at most max bytes and only printable ASCII.
bool fg_text_valid (const char *s, size_t max);

//  The length of the valid UTF-8 sequence at text (of at most left
//  bytes), or 0: no overlong forms, no surrogates, nothing past U+10FFFF.
size_t fg_utf8_length (const unsigned char *text, size_t left);

//  True when the whole of text is valid UTF-8 (what JSON strings hold).
bool fg_utf8_valid (const char *text);

//  Writes path in its plain relative form into buf: without a leading '/',
//  empty or '.' parts ("/out//a/./b/" -> "out/a/b"). Returns 0, or -1 when
//  path is not 1..max printable bytes, has a '..' part, is nothing but
//  '/' and '.', or the result does not fit in buf. The form output files
//  take on their way from a task to a buyer's directory.
int fg_path_normal (const char *path, size_t max, char *buf, size_t size);

//  True when path is already in that form (relative, no empty, '.' or
//  '..' part, printable, at most max bytes): safe to put under a
//  directory of one's own.
bool fg_path_relative_valid (const char *path, size_t max);

//  Splits "tcp://host:port" into its parts. Returns 0 or -1.
int fg_endpoint_parse (const char *endpoint, char *transport, size_t tsize,
                       char *host, size_t hsize, uint16_t *port);

//  Splits a listening address "HOST:PORT" ("*" as HOST = every IPv4
//  interface, written as 0.0.0.0; PORT 0 or "*" = any free port).
//  Returns 0 or -1.
int fg_address_parse (const char *address, char *host, size_t hsize, uint16_t *port);

//  Writes "HH:MM:SS.mmm" for a millisecond timestamp into buf.
void fg_time_format (int64_t ms, char *buf, size_t size);

//  Strips a comma-separated list into a newly allocated zlist of strdup'd
//  items (autofree); empty items are skipped.
typedef struct _zlist_t zlist_t;
zlist_t *fg_split_list (const char *list);

#endif
