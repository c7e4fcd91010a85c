/*  =========================================================================
    fg_error - the error codes every fogrid process and message shares
    =========================================================================  */
#include "fg_error.h"

typedef struct {
    const char *name;
    const char *text;
} s_error_t;

static const s_error_t s_errors [FG_E_LAST] = {
    [FG_OK]            = { "FG_OK", "no error" },
    [FG_E_MALFORMED]   = { "FG_E_MALFORMED", "malformed message" },
    [FG_E_VERSION]     = { "FG_E_VERSION", "protocol version not supported" },
    [FG_E_TOO_BIG]     = { "FG_E_TOO_BIG", "message too big" },
    [FG_E_UNEXPECTED]  = { "FG_E_UNEXPECTED", "unexpected message on this socket" },
    [FG_E_NOT_FOUND]   = { "FG_E_NOT_FOUND", "not found" },
    [FG_E_INVALID]     = { "FG_E_INVALID", "invalid argument" },
    [FG_E_HUB_FULL]    = { "FG_E_HUB_FULL", "hub full" },
    [FG_E_STALE]       = { "FG_E_STALE", "stale attempt" },
    [FG_E_TIMEOUT]     = { "FG_E_TIMEOUT", "timed out" },
    [FG_E_UNREACHABLE] = { "FG_E_UNREACHABLE", "peer unreachable" },
    [FG_E_DENIED]      = { "FG_E_DENIED", "permission denied" },
    [FG_E_STATE]       = { "FG_E_STATE", "not possible in the current state" },
    [FG_E_INTERNAL]    = { "FG_E_INTERNAL", "internal error" },
    [FG_E_RATE_LIMIT]  = { "FG_E_RATE_LIMIT", "rate limit exceeded" },
    [FG_E_FUNDS]       = { "FG_E_FUNDS", "insufficient funds" },
    [FG_E_RUNTIME]     = { "FG_E_RUNTIME", "runtime failure" },
    [FG_E_LIMIT]       = { "FG_E_LIMIT", "over a configured limit" },
    [FG_E_HELLO]       = { "FG_E_HELLO", "say hello first" },
    [FG_E_CONFLICT]    = { "FG_E_CONFLICT", "conflicts with an earlier request" },
};

const char *
fg_strerror (int code)
{
    if (code < 0 || code >= FG_E_LAST || !s_errors [code].text)
        return "unknown error";
    return s_errors [code].text;
}

const char *
fg_error_name (int code)
{
    if (code < 0 || code >= FG_E_LAST || !s_errors [code].name)
        return "FG_E_UNKNOWN";
    return s_errors [code].name;
}
