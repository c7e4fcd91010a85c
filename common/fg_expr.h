/*  =========================================================================
    fg_expr - constraint expressions that match tasks to miners

    A small ClassAd-like language, documented for users in
    docs/constraints.md:

        cores >= 2 && mem_mb >= 512 && label.region == "eu"
        !(gpus > 0) || price <= 10
        label.arch in ("x86_64", "arm64")
        reputation >= 0.9

    The text is parsed once into a tree and evaluated against attributes
    that a lookup callback supplies, so the language knows nothing of
    miners. An attribute the callback does not know is undefined; every
    comparison or `in` involving undefined, or values of different types,
    is false (never an error), and `!` of false is true, so
    `!(label.x == "a")` holds on a miner without label x.
    =========================================================================  */
#ifndef FG_EXPR_H_INCLUDED
#define FG_EXPR_H_INCLUDED

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

//  Limits: longer text or deeper parentheses are parse errors.
#define FG_EXPR_MAX_TEXT    4096
#define FG_EXPR_MAX_DEPTH   64

typedef enum {
    FG_EXPR_UNDEFINED = 0,
    FG_EXPR_INT,                //  number
    FG_EXPR_STRING,             //  text, NUL-terminated
    FG_EXPR_BOOL,               //  number: 0 or 1
    FG_EXPR_DECIMAL             //  number: the value in millionths (0.9 is 900000);
                                //  compares with FG_EXPR_INT by value
} fg_expr_type_t;

#define FG_EXPR_DECIMAL_ONE 1000000     //  1 as an FG_EXPR_DECIMAL

typedef struct {
    int type;                   //  an fg_expr_type_t
    int64_t number;             //  FG_EXPR_INT, FG_EXPR_BOOL, FG_EXPR_DECIMAL
    const char *text;           //  FG_EXPR_STRING; NULL counts as undefined
} fg_expr_value_t;

//  Resolves an attribute name ("cores", "label.region") to a value. Returns
//  false when the name is unknown (the attribute is then undefined). A
//  string must stay valid until fg_expr_eval returns.
typedef bool (fg_expr_lookup_fn) (void *arg, const char *name, fg_expr_value_t *value);

typedef struct _fg_expr_t fg_expr_t;

//  Parses an expression. Empty or blank text (or NULL) is always true.
//  Returns NULL on a syntax error, with "column N: what" in err.
fg_expr_t *fg_expr_parse (const char *text, char *err, size_t err_size);

//  Idempotent; NULLs the caller's pointer.
void fg_expr_destroy (fg_expr_t **self_p);

//  True when the expression holds for the attributes lookup gives.
//  lookup may be NULL (every attribute is then undefined). A NULL self
//  (what a failed parse returned) is false.
bool fg_expr_eval (fg_expr_t *self, fg_expr_lookup_fn *lookup, void *arg);

//  Validates text: 0 when it parses, else -1 with the error in err.
int fg_expr_check (const char *text, char *err, size_t err_size);

#endif
