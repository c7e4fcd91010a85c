/*  test_fg_expr - the constraint language: values, precedence, errors, limits */
#include "test_support.h"
#include "fg_expr.h"

//  The attributes every expression here is evaluated against
typedef struct {
    const char *name;
    fg_expr_value_t value;
} s_attr_t;

static const s_attr_t s_attrs [] = {
    { "cores",          { FG_EXPR_INT, 8, NULL } },
    { "mem_mb",         { FG_EXPR_INT, 4096, NULL } },
    { "gpus",           { FG_EXPR_INT, 0, NULL } },
    { "price",          { FG_EXPR_INT, 12, NULL } },
    { "big",            { FG_EXPR_INT, INT64_MAX, NULL } },
    { "small",          { FG_EXPR_INT, INT64_MIN, NULL } },
    { "label.region",   { FG_EXPR_STRING, 0, "eu" } },
    { "label.arch",     { FG_EXPR_STRING, 0, "arm64" } },
    { "label.note",     { FG_EXPR_STRING, 0, "say \"hi\" \\o/" } },
    { "label.ssd",      { FG_EXPR_STRING, 0, "" } },
    { "label.zone.1a",  { FG_EXPR_STRING, 0, "yes" } },
    { "runtime.docker", { FG_EXPR_BOOL, 7, NULL } },    //  any non-zero is true
    { "runtime.wasm",   { FG_EXPR_BOOL, 0, NULL } },
    { "odd",            { 42, 42, NULL } },             //  a type the language lacks
    { "no_text",        { FG_EXPR_STRING, 0, NULL } },
    { "rep",            { FG_EXPR_DECIMAL, 900000, NULL } },        //  0.9
};

static int s_lookups;                   //  calls to s_lookup, for short-circuits

static bool
s_lookup (void *arg, const char *name, fg_expr_value_t *value)
{
    (void) arg;
    s_lookups++;
    for (size_t index = 0; index < sizeof s_attrs / sizeof s_attrs [0]; index++)
        if (streq (s_attrs [index].name, name)) {
            *value = s_attrs [index].value;
            return true;
        }
    return false;
}

//  1 when text holds, 0 when not, -1 (and the error printed) when it does
//  not parse
static int
s_match (const char *text)
{
    char err [256];
    fg_expr_t *expr = fg_expr_parse (text, err, sizeof err);
    if (!expr) {
        printf ("\n    '%s': %s\n", text, err);
        return -1;
    }
    int result = fg_expr_eval (expr, s_lookup, NULL)? 1: 0;
    fg_expr_destroy (&expr);
    CU_ASSERT_PTR_NULL (expr);
    return result;
}

//  Asserts that text holds (or not); a failure names the text
#define S_HOLDS(text)   CU_assertImplementation (s_match (text) == 1, __LINE__, \
                            "holds: " text, __FILE__, "", CU_FALSE)
#define S_FAILS(text)   CU_assertImplementation (s_match (text) == 0, __LINE__, \
                            "fails: " text, __FILE__, "", CU_FALSE)

//  The error text parses to, "" when it parses
static const char *
s_error (const char *text)
{
    static char err [256];
    fg_expr_t *expr = fg_expr_parse (text, err, sizeof err);
    if (expr) {
        fg_expr_destroy (&expr);
        return "";
    }
    return err;
}

static void
test_values_and_operators (void)
{
    //  What the brief's examples mean
    S_HOLDS ("cores >= 2 && mem_mb >= 512 && label.region == \"eu\"");
    S_HOLDS ("!(gpus > 0) || price <= 10");
    S_FAILS ("gpus > 0 || price <= 10");
    S_HOLDS ("label.arch in (\"x86_64\", \"arm64\")");
    S_FAILS ("label.arch in (\"x86_64\")");

    //  Blank text places anywhere
    S_HOLDS ("");
    S_HOLDS ("  \t\r\n ");
    fg_expr_t *blank = fg_expr_parse (NULL, NULL, 0);
    CU_ASSERT_TRUE (fg_expr_eval (blank, NULL, NULL));
    fg_expr_destroy (&blank);
    fg_expr_destroy (&blank);           //  idempotent

    //  Every comparison on numbers
    S_HOLDS ("cores == 8");
    S_HOLDS ("cores != 7");
    S_HOLDS ("cores < 9");
    S_HOLDS ("cores <= 8");
    S_HOLDS ("cores > 7");
    S_HOLDS ("cores >= 8");
    S_FAILS ("cores != 8");
    S_FAILS ("cores < 8");
    S_FAILS ("cores > 8");
    S_HOLDS ("-5 < gpus");
    S_HOLDS ("cores>=2&&gpus==0");      //  blanks are optional
    S_HOLDS ("cores\n>=\t2");

    //  Strings compare byte by byte
    S_HOLDS ("label.region == \"eu\"");
    S_HOLDS ("label.region != \"us\"");
    S_HOLDS ("label.region < \"fr\"");
    S_HOLDS ("label.ssd == \"\"");      //  a label without a value
    S_FAILS ("label.region == \"EU\"");
    S_HOLDS ("label.zone.1a == \"yes\"");

    //  Booleans: equal or not, no order
    S_HOLDS ("runtime.docker == true");
    S_HOLDS ("runtime.docker");
    S_HOLDS ("runtime.wasm == false");
    S_HOLDS ("!runtime.wasm");
    S_HOLDS ("true != false");
    S_FAILS ("true > false");
    S_FAILS ("false");

    //  Lists of literals
    S_HOLDS ("cores in (1, 2, 8)");
    S_HOLDS ("runtime.docker in (false, true)");
    S_FAILS ("cores in (\"8\")");
    S_HOLDS ("!(label.arch in (\"x86_64\"))");
}

static void
test_precedence (void)
{
    //  && binds tighter than ||
    S_HOLDS ("true || false && false");
    S_HOLDS ("false && false || true");
    S_FAILS ("(true || false) && false");
    S_FAILS ("false || false || false");
    S_HOLDS ("false || false || true");
    S_FAILS ("true && true && false");

    //  ! binds looser than a comparison: "!gpus > 0" is "!(gpus > 0)"
    S_HOLDS ("!gpus > 0");
    S_FAILS ("!cores == 8");
    S_HOLDS ("!cores == 8 || true");
    S_HOLDS ("!!true");
    S_FAILS ("!!!true");
    S_HOLDS ("! ! ! false");

    //  Only true is true: a number is no condition, and !! makes a boolean
    S_FAILS ("cores");
    S_FAILS ("\"yes\"");
    S_HOLDS ("!cores");
    S_FAILS ("!!cores");
    S_HOLDS ("(!!cores) == false");
    S_HOLDS ("(cores > 1) == true");
    S_HOLDS ("((((cores)))) == 8");

    //  && and || stop at the first operand that decides
    s_lookups = 0;
    S_FAILS ("false && cores > 1 && gpus > 1");
    S_HOLDS ("true || cores > 1");
    CU_ASSERT_EQUAL (s_lookups, 0);
    S_HOLDS ("cores > 1 || gpus > 1");
    CU_ASSERT_EQUAL (s_lookups, 1);
}

static void
test_strings (void)
{
    S_HOLDS ("label.note == \"say \\\"hi\\\" \\\\o/\"");
    S_HOLDS ("\"\\\\\" != \"\\\"\"");
    S_HOLDS ("\"caf\xc3\xa9\" == \"caf\xc3\xa9\"");       //  UTF-8 passes through
    S_HOLDS ("\"&& || ( ) ! == in\" != \"\"");            //  operators inside are text
    CU_ASSERT_STRING_EQUAL (s_error ("label.x == \"a\\nb\""),
        "column 14: unknown escape '\\n' in a string (only \\\" and \\\\ are escapes)");
    CU_ASSERT_STRING_EQUAL (s_error ("label.x == \"open"),
        "column 12: string is not closed: missing '\"'");
    CU_ASSERT_STRING_EQUAL (s_error ("label.x == \"open\\"),
        "column 12: string is not closed: missing '\"'");
    CU_ASSERT_STRING_EQUAL (s_error ("label.x == \"a\tb\""),
        "column 14: control character 0x09 in a string");
    CU_ASSERT_STRING_EQUAL (s_error ("label.x == 'eu'"),
        "column 12: unexpected ''' (strings take double quotes)");
}

static void
test_undefined_and_types (void)
{
    //  A missing attribute is undefined: every comparison with it is false,
    //  even !=, and ! of that is true
    S_FAILS ("label.gpu == \"a100\"");
    S_FAILS ("label.gpu != \"a100\"");
    S_HOLDS ("!(label.gpu == \"a100\")");
    S_FAILS ("nothing > 0");
    S_FAILS ("nothing <= 0");
    S_FAILS ("nothing == nothing");
    S_FAILS ("nothing in (1, \"a\", true)");
    S_FAILS ("nothing");
    S_HOLDS ("!nothing");
    S_HOLDS ("nothing > 0 || cores > 0");

    //  Different types never compare: false, not an error
    S_FAILS ("cores == \"8\"");
    S_FAILS ("cores != \"8\"");
    S_FAILS ("label.region == 1");
    S_FAILS ("runtime.docker == 1");
    S_FAILS ("label.region > 0");

    //  What the lookup gives that makes no sense is undefined
    S_FAILS ("odd == 42");
    S_FAILS ("no_text == \"\"");
    S_FAILS ("no_text != \"\"");

    //  Without a lookup, or without an expression
    fg_expr_t *expr = fg_expr_parse ("cores > 1", NULL, 0);
    CU_ASSERT_FALSE (fg_expr_eval (expr, NULL, NULL));
    fg_expr_destroy (&expr);
    expr = fg_expr_parse ("!(cores > 1)", NULL, 0);
    CU_ASSERT_TRUE (fg_expr_eval (expr, NULL, NULL));
    fg_expr_destroy (&expr);
    CU_ASSERT_FALSE (fg_expr_eval (NULL, s_lookup, NULL));     //  a failed parse
}

static void
test_integers (void)
{
    S_HOLDS ("big == 9223372036854775807");
    S_HOLDS ("small == -9223372036854775808");
    S_HOLDS ("small < big");
    S_HOLDS ("007 == 7");
    S_HOLDS ("-0 == 0");
    CU_ASSERT_STRING_EQUAL (s_error ("big < 9223372036854775808"),
        "column 7: integer 9223372036854775808 is out of range (64-bit signed)");
    CU_ASSERT_STRING_EQUAL (s_error ("small > -9223372036854775809"),
        "column 9: integer -9223372036854775809 is out of range (64-bit signed)");
    CU_ASSERT_STRING_EQUAL (s_error ("cores > 99999999999999999999999999999999999999999999999999"),
        "column 9: integer 99999999999999999999 ... 99999999999999999999 is out of range "
        "(64-bit signed)");
    CU_ASSERT_STRING_EQUAL (s_error ("mem_mb > 2gb"),
        "column 11: unexpected 'g' after a number");
    CU_ASSERT_STRING_EQUAL (s_error ("cores > 1."),
        "column 10: unexpected '.' after a number");
    CU_ASSERT_STRING_EQUAL (s_error ("cores > - 1"),
        "column 9: unexpected '-'");
}

//  Decimals (a reputation, 0..1): millionths, compared with integers by value
static void
test_decimals (void)
{
    S_HOLDS ("rep >= 0.9");
    S_HOLDS ("rep == 0.900000");
    S_HOLDS ("rep > 0.899999 && rep < 0.900001");
    S_HOLDS ("rep < 1 && rep > 0");
    S_HOLDS ("!(rep >= 0.95)");
    S_HOLDS ("cores == 8.0");
    S_HOLDS ("cores > 7.5 && cores < 8.5");
    S_HOLDS ("-0.5 < 0");
    S_HOLDS ("rep in (0.5, 0.9)");
    S_HOLDS ("big > 0.5");
    S_HOLDS ("small < -0.5");
    S_HOLDS ("!(rep == \"0.9\")");
    CU_ASSERT_STRING_EQUAL (s_error ("rep > 0.1234567"),
        "column 15: a number has at most 6 decimals");
    CU_ASSERT_EQUAL (strncmp (s_error ("rep > 9223372036855.0"), "column 7: integer", 17), 0);
    CU_ASSERT_STRING_EQUAL (s_error ("rep > 0.5x"),
        "column 10: unexpected 'x' after a number");
}

static void
test_errors (void)
{
    //  The column is where the problem is, counted in bytes from 1
    CU_ASSERT_STRING_EQUAL (s_error ("(cores > 2"),
        "column 11: expected ')' after \"(cores > 2\", found the end of the text");
    CU_ASSERT_STRING_EQUAL (s_error ("cores >= 1 && (cores > 2 || gpus > 0 mem_mb"),
        "column 38: expected ')' after \"(cores > 2 || gpus > 0\", found \"mem_mb\"");
    CU_ASSERT_STRING_EQUAL (s_error ("cores >"),
        "column 8: expected a value (a name, number, string, true, false or '(') "
        "after \"cores >\", found the end of the text");
    CU_ASSERT_STRING_EQUAL (s_error ("&& cores"),
        "column 1: expected a value (a name, number, string, true, false or '('), "
        "found '&&'");
    CU_ASSERT_STRING_EQUAL (s_error ("()"),
        "column 2: expected a value (a name, number, string, true, false or '(') "
        "after \"(\", found ')'");
    CU_ASSERT_STRING_EQUAL (s_error ("cores > 2 mem_mb > 1"),
        "column 11: expected '&&', '||' or the end after \"cores > 2\", found \"mem_mb\"");
    CU_ASSERT_STRING_EQUAL (s_error ("cores > 1)"),
        "column 10: ')' without a matching '('");
    CU_ASSERT_STRING_EQUAL (s_error ("1 < cores < 16"),
        "column 11: comparisons do not chain: use '&&' after \"1 < cores\"");
    CU_ASSERT_STRING_EQUAL (s_error ("cores = 2"),
        "column 7: unexpected '=' (did you mean '=='?)");
    CU_ASSERT_STRING_EQUAL (s_error ("true & true"),
        "column 6: unexpected '&' (did you mean '&&'?)");
    CU_ASSERT_STRING_EQUAL (s_error ("true | true"),
        "column 6: unexpected '|' (did you mean '||'?)");
    CU_ASSERT_STRING_EQUAL (s_error ("Cores > 1"),
        "column 1: unexpected 'C' (names are lower case)");
    CU_ASSERT_STRING_EQUAL (s_error ("label.Region == \"eu\""),
        "column 7: unexpected 'R' after '.' in a name (names are [a-z0-9_] parts "
        "joined by dots)");
    CU_ASSERT_STRING_EQUAL (s_error ("label.regioN == \"eu\""),
        "column 12: unexpected 'N' in a name (names are lower case)");
    CU_ASSERT_STRING_EQUAL (s_error ("label. == 1"),
        "column 7: unexpected ' ' after '.' in a name (names are [a-z0-9_] parts "
        "joined by dots)");
    CU_ASSERT_STRING_EQUAL (s_error ("cores > 1 # more"),
        "column 11: unexpected '#'");
    CU_ASSERT_STRING_EQUAL (s_error ("cores > \x01"),
        "column 9: unexpected byte 0x01");
    CU_ASSERT_STRING_EQUAL (s_error ("label.arch in \"arm64\""),
        "column 15: expected '(' and a list of values after \"label.arch in\", found a string");
    CU_ASSERT_STRING_EQUAL (s_error ("label.arch in ()"),
        "column 16: expected a number, string, true or false after \"label.arch in (\", "
        "found ')'");
    CU_ASSERT_STRING_EQUAL (s_error ("cores in (1 2)"),
        "column 13: expected ',' or ')' after \"cores in (1\", found \"2\"");
    CU_ASSERT_STRING_EQUAL (s_error ("cores in (gpus)"),
        "column 11: expected a number, string, true or false after \"cores in (\", "
        "found \"gpus\"");
    CU_ASSERT_STRING_EQUAL (s_error ("cores in (1,)"),
        "column 13: expected a number, string, true or false after \"cores in (1,\", "
        "found ')'");

    //  What is quoted back is printable and short, whatever the input
    const char *messy = "label.x == \"\xff\xfe\" && (cores > 1 && cores > 2 && cores > 3 "
                        "&& cores > 4 && cores > 5";
    const char *err = s_error (messy);
    CU_ASSERT_STRING_EQUAL (err, "column 82: expected ')' after "
        "\"(cores > 1 && cores ... res > 4 && cores > 5\", found the end of the text");
    for (const char *c = err; *c; c++)
        CU_ASSERT_TRUE (*c >= 0x20 && *c <= 0x7e);

    //  A small buffer gets the start of the message; none gets nothing
    char tiny [12];
    CU_ASSERT_PTR_NULL (fg_expr_parse ("cores >", tiny, sizeof tiny));
    CU_ASSERT_STRING_EQUAL (tiny, "column 8: e");
    CU_ASSERT_PTR_NULL (fg_expr_parse ("cores >", NULL, 0));
    CU_ASSERT_PTR_NULL (fg_expr_parse ("cores >", tiny, 0));

    //  check is parse for validation
    char why [256];
    CU_ASSERT_EQUAL (fg_expr_check ("cores > 1", why, sizeof why), 0);
    CU_ASSERT_STRING_EQUAL (why, "");
    CU_ASSERT_EQUAL (fg_expr_check ("", why, sizeof why), 0);
    CU_ASSERT_EQUAL (fg_expr_check ("cores >", why, sizeof why), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (why, "column 8"));
}

//  text made of count copies of piece, then tail (caller frees)
static char *
s_repeat (const char *piece, size_t count, const char *tail)
{
    size_t size = strlen (piece) * count + strlen (tail) + 1;
    char *text = (char *) malloc (size);
    text [0] = 0;
    for (size_t index = 0; index < count; index++)
        strcat (text, piece);
    strcat (text, tail);
    return text;
}

static void
test_limits (void)
{
    //  64 levels of parentheses are fine, 65 are not
    char *text = s_repeat ("(", 64, "true");
    char *closed = s_repeat (")", 64, "");
    char *deep = (char *) malloc (strlen (text) + strlen (closed) + 1);
    strcpy (deep, text);
    strcat (deep, closed);
    CU_ASSERT_EQUAL (s_match (deep), 1);
    free (text);
    free (deep);
    text = s_repeat ("(", 65, "true");
    CU_ASSERT_STRING_EQUAL (s_error (text), "column 65: parentheses nest deeper than 64 levels");
    free (text);
    free (closed);

    //  Ten thousand '(' are an error, never a stack overflow: over the
    //  length limit, and under it the depth limit stops them first
    text = s_repeat ("(", 10000, "");
    CU_ASSERT_STRING_EQUAL (s_error (text), "column 4097: expression is longer than 4096 bytes");
    text [4000] = 0;
    CU_ASSERT_STRING_EQUAL (s_error (text), "column 65: parentheses nest deeper than 64 levels");
    free (text);
    text = s_repeat ("!(", 2000, "");
    CU_ASSERT_STRING_EQUAL (s_error (text), "column 130: parentheses nest deeper than 64 levels");
    free (text);

    //  A long run of ! is a loop, not a recursion
    text = s_repeat ("!", 4000, "true");
    CU_ASSERT_EQUAL (s_match (text), 1);
    free (text);
    text = s_repeat ("!", 4001, "true");
    CU_ASSERT_EQUAL (s_match (text), 0);
    free (text);

    //  A long chain is one node: 4096 bytes exactly, then one too many
    text = s_repeat ("true && ", 511, "true");
    CU_ASSERT_EQUAL (strlen (text), 4092);
    char *longest = s_repeat (" ", 4, text);
    CU_ASSERT_EQUAL (s_match (longest), 1);
    free (longest);
    longest = s_repeat (" ", 5, text);
    CU_ASSERT_STRING_EQUAL (s_error (longest), "column 4097: expression is longer than 4096 bytes");
    free (longest);
    free (text);
    text = s_repeat ("cores > 1 || ", 300, "false");
    CU_ASSERT_EQUAL (s_match (text), 1);
    free (text);

    //  A long string, and a long name
    text = s_repeat ("x", 4000, "\" != \"\"");
    text [0] = '"';
    CU_ASSERT_EQUAL (s_match (text), 1);
    free (text);
    text = s_repeat ("a", 4000, " == 1");
    CU_ASSERT_EQUAL (s_match (text), 0);
    free (text);
}

void
test_fg_expr_add (void)
{
    ts_add_suite ("fg_expr",
        "values and operators", test_values_and_operators,
        "precedence", test_precedence,
        "strings and escapes", test_strings,
        "undefined attributes and types", test_undefined_and_types,
        "integer limits", test_integers,
        "decimals", test_decimals,
        "errors and their columns", test_errors,
        "length and depth limits", test_limits,
        NULL);
}
