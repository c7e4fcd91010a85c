/*  =========================================================================
    fg_error - the error codes every fogrid process and message shares

    Append-only: codes travel in Error messages between processes of
    different versions, so a code is never renumbered or reused.
    =========================================================================  */
#ifndef FG_ERROR_H_INCLUDED
#define FG_ERROR_H_INCLUDED

typedef enum {
    FG_OK = 0,
    FG_E_MALFORMED = 1,         //  message could not be decoded
    FG_E_VERSION = 2,           //  peer speaks another protocol version
    FG_E_TOO_BIG = 3,           //  message or field over its size limit
    FG_E_UNEXPECTED = 4,        //  message type not valid on this socket
    FG_E_NOT_FOUND = 5,         //  no such name, task or miner
    FG_E_INVALID = 6,           //  a field has a bad value
    FG_E_HUB_FULL = 7,          //  the hub's queue is at its bound
    FG_E_STALE = 8,             //  result for an attempt that is not current
    FG_E_TIMEOUT = 9,           //  no answer in time
    FG_E_UNREACHABLE = 10,      //  could not reach any peer
    FG_E_DENIED = 11,           //  not allowed for this caller
    FG_E_STATE = 12,            //  not possible in the object's current state
    FG_E_INTERNAL = 13,         //  a fault inside the daemon (storage, memory)
    FG_E_RATE_LIMIT = 14,       //  too many requests from this peer
    FG_E_FUNDS = 15,            //  not enough funds
    FG_E_RUNTIME = 16,          //  the runtime could not start the work
    FG_E_LIMIT = 17,            //  over a configured bound (registrations, watches)
    FG_E_HELLO = 18,            //  this connection has not said hello yet: say it, then resend
    FG_E_CONFLICT = 19,         //  an id or token already taken for something else
    FG_E_LAST                   //  keep last
} fg_error_t;

//  Returns a short English description of the code; never NULL.
const char *fg_strerror (int code);

//  Returns the symbolic name of the code ("FG_E_HUB_FULL"); never NULL.
const char *fg_error_name (int code);

#endif
