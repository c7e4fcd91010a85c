/*  =========================================================================
    fuzz_expr - libFuzzer target for the constraint language

    A constraint is text from a buyer, parsed by the hub at submit and
    evaluated against every miner. Any bytes must either parse, and then
    evaluate the same way twice, or be refused with a printable
    "column N: ..." message; never crash, hang or leak (ASan checks the
    last two at exit).
    =========================================================================  */
#include "fg_expr.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

//  A miner as the hub describes it, plus the odd cases of a lookup
static bool
s_lookup (void *arg, const char *name, fg_expr_value_t *value)
{
    (void) arg;
    static const struct {
        const char *name;
        fg_expr_value_t value;
    } attrs [] = {
        { "cores",          { FG_EXPR_INT, 8, NULL } },
        { "free_cores",     { FG_EXPR_INT, 3, NULL } },
        { "mem_mb",         { FG_EXPR_INT, 16384, NULL } },
        { "gpus",           { FG_EXPR_INT, 0, NULL } },
        { "price",          { FG_EXPR_INT, INT64_MAX, NULL } },
        { "small",          { FG_EXPR_INT, INT64_MIN, NULL } },
        { "id",             { FG_EXPR_STRING, 0, "m-0123456789ab" } },
        { "label.region",   { FG_EXPR_STRING, 0, "eu" } },
        { "label.arch",     { FG_EXPR_STRING, 0, "x86_64" } },
        { "label.empty",    { FG_EXPR_STRING, 0, "" } },
        { "runtime.docker", { FG_EXPR_BOOL, 1, NULL } },
        { "runtime.wasm",   { FG_EXPR_BOOL, 0, NULL } },
        { "label.null",     { FG_EXPR_STRING, 0, NULL } },
        { "weird",          { 99, 1, NULL } },
    };
    for (size_t index = 0; index < sizeof attrs / sizeof attrs [0]; index++)
        if (strcmp (attrs [index].name, name) == 0) {
            *value = attrs [index].value;
            return true;
        }
    return false;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    //  The hub sees NUL-terminated strings (protobuf-c), so a NUL inside
    //  the input simply ends the text early
    char *text = (char *) malloc (size + 1);
    memcpy (text, data, size);
    text [size] = 0;
    char err [256];
    memset (err, 'x', sizeof err);
    fg_expr_t *expr = fg_expr_parse (text, err, sizeof err);
    if (expr) {
        bool first = fg_expr_eval (expr, s_lookup, NULL);
        if (fg_expr_eval (expr, s_lookup, NULL) != first)
            __builtin_trap ();
        (void) fg_expr_eval (expr, NULL, NULL);
        if (fg_expr_check (text, NULL, 0) != 0)
            __builtin_trap ();
        fg_expr_destroy (&expr);
        if (expr)
            __builtin_trap ();
    }
    else {
        //  Refused: a message that starts with its column and is safe to
        //  send back and log
        size_t length = strnlen (err, sizeof err);
        if (length == sizeof err || strncmp (err, "column ", 7) != 0)
            __builtin_trap ();
        for (size_t index = 0; index < length; index++)
            if ((unsigned char) err [index] < 0x20 || (unsigned char) err [index] > 0x7e)
                __builtin_trap ();
        if (fg_expr_check (text, NULL, 0) != -1)
            __builtin_trap ();
    }
    free (text);
    return 0;
}
