/*  =========================================================================
    fg_expr - constraint expressions that match tasks to miners

    DESIGN
    A hand-written lexer and a recursive-descent parser build a tree that
    fg_expr_eval walks for each miner, so the text is read once per task
    however many miners it is matched against. The grammar, loosest first:

        expr     = and { "||" and }
        and      = not { "&&" not }
        not      = { "!" } compare
        compare  = operand [ cmp-op operand | "in" "(" literal { "," literal } ")" ]
        operand  = literal | name | "(" expr ")"
        literal  = integer | string | "true" | "false"

    As in Python, `!` binds looser than a comparison: `!gpus > 0` is
    `!(gpus > 0)`, which is what people mean when they write it.

    The text comes from buyers over the network, so every input must end
    in a tree or an error, never in a crash: the text is at most 4096
    bytes, parentheses nest at most 64 deep (the only recursion besides
    the `!` chain, which is read in a loop), and `&&` / `||` chains are
    kept as one node with a list of operands instead of a deep left-leaning
    tree. Evaluation then recurses at most a few frames per parenthesis.

    Every node is also linked on one chain owned by the expression, so an
    error halfway through a parse frees everything built so far without
    each rule having to clean up after itself.

    No czmq here: the fuzzer links this file on its own.
    =========================================================================  */
#include "fg_expr.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>

typedef enum {
    S_TOK_END = 0,
    S_TOK_LPAREN, S_TOK_RPAREN, S_TOK_COMMA,
    S_TOK_AND, S_TOK_OR, S_TOK_NOT,
    S_TOK_EQ, S_TOK_NE, S_TOK_LT, S_TOK_LE, S_TOK_GT, S_TOK_GE,
    S_TOK_IN, S_TOK_INT, S_TOK_STRING, S_TOK_TRUE, S_TOK_FALSE, S_TOK_NAME
} s_tok_t;

typedef enum {
    S_NODE_OR, S_NODE_AND, S_NODE_NOT, S_NODE_COMPARE, S_NODE_IN,
    S_NODE_LITERAL, S_NODE_NAME
} s_kind_t;

typedef struct _s_node_t s_node_t;
struct _s_node_t {
    s_kind_t kind;              //  what the node does
    s_tok_t op;                 //  S_NODE_COMPARE: which comparison
    fg_expr_value_t value;      //  S_NODE_LITERAL
    char *text;                 //  attribute name, or the string literal (owned)
    s_node_t *child;            //  first operand
    s_node_t *next;             //  next operand of the same parent
    s_node_t *chain;            //  next node of the expression, for destroy
};

struct _fg_expr_t {
    s_node_t *root;             //  NULL for blank text: always true
    s_node_t *nodes;            //  every node, linked by chain
};

typedef struct {
    const char *text;           //  the whole expression
    size_t pos;                 //  where the lexer goes on
    s_tok_t tok;                //  the current token
    size_t tok_start;           //  its offset in text
    int64_t number;             //  S_TOK_INT (in millionths when decimal)
    bool decimal;               //  S_TOK_INT had a fraction: "0.9"
    char *string;               //  S_TOK_STRING (unescaped) or S_TOK_NAME, owned
    int depth;                  //  open parentheses
    fg_expr_t *expr;            //  what is being built
    char *err;                  //  where the first error goes
    size_t err_size;
    bool failed;                //  an error was reported: unwind
} s_parser_t;

#define S_SNIPPET_MAX   48      //  bytes of source quoted in an error

//  --------------------------------------------------------------------------
//  Errors: "column N: what", where N counts bytes from 1

static void
s_fail (s_parser_t *self, size_t pos, const char *format, ...)
{
    if (self->failed)
        return;                 //  the first error is the one that matters
    self->failed = true;
    if (!self->err || !self->err_size)
        return;
    int used = snprintf (self->err, self->err_size, "column %zu: ", pos + 1);
    if (used < 0 || (size_t) used >= self->err_size)
        return;
    va_list args;
    va_start (args, format);
    vsnprintf (self->err + used, self->err_size - used, format, args);
    va_end (args);
}

static bool
s_is_space (char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

//  Copies text [from, to) for an error message: blanks trimmed, bytes that
//  are not printable ASCII shown as '?' (the message goes back to a
//  buyer and into logs). A long span keeps its head and tail when head is
//  set (to show which parenthesis), else only its tail.
static void
s_snippet (const char *text, size_t from, size_t to, bool head, char *buf, size_t size)
{
    while (from < to && s_is_space (text [from]))
        from++;
    while (to > from && s_is_space (text [to - 1]))
        to--;
    char raw [S_SNIPPET_MAX + 8];
    size_t len = 0;
    if (to - from <= S_SNIPPET_MAX) {
        memcpy (raw, text + from, to - from);
        len = to - from;
    }
    else
    if (head) {
        size_t head_len = 20, tail = to - 20;
        while (head_len > 1 && s_is_space (text [from + head_len - 1]))
            head_len--;
        while (tail < to - 1 && s_is_space (text [tail]))
            tail++;
        memcpy (raw, text + from, head_len);
        memcpy (raw + head_len, " ... ", 5);
        memcpy (raw + head_len + 5, text + tail, to - tail);
        len = head_len + 5 + (to - tail);
    }
    else {
        memcpy (raw, "...", 3);
        memcpy (raw + 3, text + to - 40, 40);
        len = 43;
    }
    for (size_t index = 0; index < len; index++)
        if ((unsigned char) raw [index] < 0x20 || (unsigned char) raw [index] > 0x7e)
            raw [index] = '?';
    raw [len] = 0;
    snprintf (buf, size, "%s", raw);
}

//  Names the current token for "found ...".
static void
s_describe (s_parser_t *self, char *buf, size_t size)
{
    if (self->tok == S_TOK_END)
        snprintf (buf, size, "the end of the text");
    else
    if (self->tok == S_TOK_STRING)
        snprintf (buf, size, "a string");
    else {
        //  The token's own text, at most 24 bytes of it
        size_t end = self->pos;
        if (end > self->tok_start + 24)
            end = self->tok_start + 24;
        char snippet [S_SNIPPET_MAX + 8];
        s_snippet (self->text, self->tok_start, end, false, snippet, sizeof snippet);
        bool word = self->tok == S_TOK_INT || self->tok == S_TOK_NAME || self->tok == S_TOK_IN
                 || self->tok == S_TOK_TRUE || self->tok == S_TOK_FALSE;
        snprintf (buf, size, word? "\"%s\"": "'%s'", snippet);
    }
}

//  "column N: expected WHAT after "...", found ..." at the current token.
//  The quoted text starts at from, or is what comes just before when
//  from is SIZE_MAX.
static void
s_expected (s_parser_t *self, const char *what, size_t from)
{
    char after [S_SNIPPET_MAX + 8], found [S_SNIPPET_MAX + 8];
    size_t to = self->tok_start;
    bool head = from != SIZE_MAX;
    if (!head)
        from = 0;
    s_snippet (self->text, from, to, head, after, sizeof after);
    s_describe (self, found, sizeof found);
    if (*after)
        s_fail (self, to, "expected %s after \"%s\", found %s", what, after, found);
    else
        s_fail (self, to, "expected %s, found %s", what, found);
}

//  --------------------------------------------------------------------------
//  Lexer

static bool
s_is_digit (char c)
{
    return c >= '0' && c <= '9';
}

static bool
s_is_name_start (char c)
{
    return (c >= 'a' && c <= 'z') || c == '_';
}

static bool
s_is_name_char (char c)
{
    return s_is_name_start (c) || s_is_digit (c);
}

//  An unexpected byte: printable ones quoted, others in hex.
static void
s_fail_char (s_parser_t *self, size_t pos, const char *hint)
{
    unsigned char c = (unsigned char) self->text [pos];
    if (c >= 0x20 && c <= 0x7e)
        s_fail (self, pos, "unexpected '%c'%s", c, hint);
    else
        s_fail (self, pos, "unexpected byte 0x%02x%s", c, hint);
}

//  Reads "-?[0-9]+" at pos into number, int64 only; or "-?[0-9]+.[0-9]+"
//  (at most 6 decimals) into number in millionths, decimal set.
static void
s_lex_number (s_parser_t *self, size_t pos)
{
    const char *text = self->text;
    bool negative = text [pos] == '-';
    size_t start = pos;
    if (negative)
        pos++;
    uint64_t limit = negative? (uint64_t) INT64_MAX + 1: (uint64_t) INT64_MAX;
    uint64_t magnitude = 0;
    bool overflow = false;
    for (; s_is_digit (text [pos]); pos++) {
        uint64_t digit = (uint64_t) (text [pos] - '0');
        if (magnitude > (limit - digit) / 10)
            overflow = true;    //  read on, to quote the whole number
        else
            magnitude = magnitude * 10 + digit;
    }
    self->decimal = false;
    if (text [pos] == '.' && s_is_digit (text [pos + 1])) {
        //  A decimal: millionths, so it compares with integers exactly
        self->decimal = true;
        size_t first = ++pos;
        uint64_t fraction = 0;
        for (; s_is_digit (text [pos]); pos++)
            if (pos - first < 6)
                fraction = fraction * 10 + (uint64_t) (text [pos] - '0');
        if (pos - first > 6) {
            self->pos = pos;
            s_fail (self, first + 6, "a number has at most 6 decimals");
            return;
        }
        for (size_t digits = pos - first; digits < 6; digits++)
            fraction *= 10;
        if (magnitude > (limit - fraction) / FG_EXPR_DECIMAL_ONE)
            overflow = true;
        else
            magnitude = magnitude * FG_EXPR_DECIMAL_ONE + fraction;
    }
    self->pos = pos;
    if (overflow) {
        char snippet [S_SNIPPET_MAX + 8];
        s_snippet (text, start, pos, true, snippet, sizeof snippet);
        s_fail (self, start, "integer %s is out of range (64-bit signed)", snippet);
        return;
    }
    //  "2gb" is not 2 followed by a name
    if (s_is_name_char (text [pos]) || (text [pos] >= 'A' && text [pos] <= 'Z')
    ||  text [pos] == '.') {
        s_fail_char (self, pos, " after a number");
        return;
    }
    if (!negative)
        self->number = (int64_t) magnitude;
    else
    if (magnitude == (uint64_t) INT64_MAX + 1)
        self->number = INT64_MIN;
    else
        self->number = - (int64_t) magnitude;
    self->tok = S_TOK_INT;
}

//  Reads a double-quoted string at pos; \" and \\ are its only escapes.
static void
s_lex_string (s_parser_t *self, size_t pos)
{
    const char *text = self->text;
    size_t start = pos++;
    //  First find the end and check it, then copy without the escapes
    size_t length = 0;
    size_t cursor;
    for (cursor = pos; text [cursor] != '"'; cursor++, length++) {
        unsigned char c = (unsigned char) text [cursor];
        if (c == 0) {
            s_fail (self, start, "string is not closed: missing '\"'");
            return;
        }
        if (c == '\\') {
            char escaped = text [cursor + 1];
            if (escaped == 0) {
                s_fail (self, start, "string is not closed: missing '\"'");
                return;
            }
            if (escaped != '"' && escaped != '\\') {
                if ((unsigned char) escaped >= 0x20 && (unsigned char) escaped <= 0x7e)
                    s_fail (self, cursor, "unknown escape '\\%c' in a string "
                            "(only \\\" and \\\\ are escapes)", escaped);
                else
                    s_fail (self, cursor, "unknown escape in a string "
                            "(only \\\" and \\\\ are escapes)");
                return;
            }
            cursor++;
        }
        else
        if (c < 0x20 || c == 0x7f) {
            s_fail (self, cursor, "control character 0x%02x in a string", c);
            return;
        }
    }
    char *string = (char *) malloc (length + 1);
    if (!string) {
        s_fail (self, start, "out of memory");
        return;
    }
    size_t out = 0;
    for (size_t index = pos; index < cursor; index++) {
        if (text [index] == '\\')
            index++;
        string [out++] = text [index];
    }
    string [out] = 0;
    self->string = string;
    self->pos = cursor + 1;
    self->tok = S_TOK_STRING;
}

//  Reads a name: parts of [a-z_][a-z0-9_]* joined by dots, where a part
//  after a dot may also start with a digit ("label.zone.1a").
static void
s_lex_name (s_parser_t *self, size_t pos)
{
    const char *text = self->text;
    size_t start = pos;
    while (s_is_name_char (text [pos]))
        pos++;
    while (text [pos] == '.') {
        if (!s_is_name_char (text [pos + 1])) {
            s_fail_char (self, pos + 1, " after '.' in a name (names are [a-z0-9_] parts "
                         "joined by dots)");
            return;
        }
        pos++;
        while (s_is_name_char (text [pos]))
            pos++;
    }
    if (text [pos] >= 'A' && text [pos] <= 'Z') {
        s_fail_char (self, pos, " in a name (names are lower case)");
        return;
    }
    size_t length = pos - start;
    self->pos = pos;
    if (length == 4 && memcmp (text + start, "true", 4) == 0)
        self->tok = S_TOK_TRUE;
    else
    if (length == 5 && memcmp (text + start, "false", 5) == 0)
        self->tok = S_TOK_FALSE;
    else
    if (length == 2 && memcmp (text + start, "in", 2) == 0)
        self->tok = S_TOK_IN;
    else {
        self->string = (char *) malloc (length + 1);
        if (!self->string) {
            s_fail (self, start, "out of memory");
            return;
        }
        memcpy (self->string, text + start, length);
        self->string [length] = 0;
        self->tok = S_TOK_NAME;
    }
}

//  Moves to the next token; on a lexical error sets failed (the token is
//  then S_TOK_END, so every rule stops).
static void
s_next (s_parser_t *self)
{
    free (self->string);
    self->string = NULL;
    const char *text = self->text;
    size_t pos = self->pos;
    while (s_is_space (text [pos]))
        pos++;
    self->tok_start = pos;
    self->tok = S_TOK_END;
    self->pos = pos + 1;        //  one-byte tokens; longer ones set it again
    char c = text [pos];
    char following = c? text [pos + 1]: 0;
    switch (c) {
        case 0:   self->pos = pos; break;
        case '(': self->tok = S_TOK_LPAREN; break;
        case ')': self->tok = S_TOK_RPAREN; break;
        case ',': self->tok = S_TOK_COMMA; break;
        case '&':
            if (following != '&')
                s_fail (self, pos, "unexpected '&' (did you mean '&&'?)");
            self->tok = S_TOK_AND;
            self->pos = pos + 2;
            break;
        case '|':
            if (following != '|')
                s_fail (self, pos, "unexpected '|' (did you mean '||'?)");
            self->tok = S_TOK_OR;
            self->pos = pos + 2;
            break;
        case '=':
            if (following != '=')
                s_fail (self, pos, "unexpected '=' (did you mean '=='?)");
            self->tok = S_TOK_EQ;
            self->pos = pos + 2;
            break;
        case '!':
            self->tok = following == '='? S_TOK_NE: S_TOK_NOT;
            self->pos = pos + (following == '='? 2: 1);
            break;
        case '<':
            self->tok = following == '='? S_TOK_LE: S_TOK_LT;
            self->pos = pos + (following == '='? 2: 1);
            break;
        case '>':
            self->tok = following == '='? S_TOK_GE: S_TOK_GT;
            self->pos = pos + (following == '='? 2: 1);
            break;
        case '"':
            s_lex_string (self, pos);
            break;
        default:
            if (s_is_digit (c) || (c == '-' && s_is_digit (following)))
                s_lex_number (self, pos);
            else
            if (s_is_name_start (c))
                s_lex_name (self, pos);
            else
            if (c >= 'A' && c <= 'Z')
                s_fail_char (self, pos, " (names are lower case)");
            else
            if (c == '\'')
                s_fail_char (self, pos, " (strings take double quotes)");
            else
                s_fail_char (self, pos, "");
            break;
    }
    if (self->failed)
        self->tok = S_TOK_END;
}

//  --------------------------------------------------------------------------
//  Parser: each rule returns its node, or NULL when it failed

static s_node_t *
s_node_new (s_parser_t *self, s_kind_t kind)
{
    s_node_t *node = (s_node_t *) calloc (1, sizeof (s_node_t));
    if (!node) {
        s_fail (self, self->tok_start, "out of memory");
        return NULL;
    }
    node->kind = kind;
    node->chain = self->expr->nodes;
    self->expr->nodes = node;
    return node;
}

static bool
s_is_comparison (s_tok_t tok)
{
    return tok >= S_TOK_EQ && tok <= S_TOK_GE;
}

static s_node_t *s_parse_or (s_parser_t *self);

//  A literal at the current token, or NULL (nothing reported) if it is not one.
static s_node_t *
s_parse_literal (s_parser_t *self)
{
    s_tok_t tok = self->tok;
    if (tok != S_TOK_INT && tok != S_TOK_STRING && tok != S_TOK_TRUE && tok != S_TOK_FALSE)
        return NULL;
    s_node_t *node = s_node_new (self, S_NODE_LITERAL);
    if (!node)
        return NULL;
    if (tok == S_TOK_INT) {
        node->value.type = self->decimal? FG_EXPR_DECIMAL: FG_EXPR_INT;
        node->value.number = self->number;
    }
    else
    if (tok == S_TOK_STRING) {
        node->value.type = FG_EXPR_STRING;
        node->text = self->string;      //  the node owns it now
        node->value.text = node->text;
        self->string = NULL;
    }
    else {
        node->value.type = FG_EXPR_BOOL;
        node->value.number = tok == S_TOK_TRUE;
    }
    s_next (self);
    return node;
}

static s_node_t *
s_parse_operand (s_parser_t *self)
{
    if (self->tok == S_TOK_NAME) {
        s_node_t *node = s_node_new (self, S_NODE_NAME);
        if (!node)
            return NULL;
        node->text = self->string;
        self->string = NULL;
        s_next (self);
        return node;
    }
    if (self->tok == S_TOK_LPAREN) {
        size_t open = self->tok_start;
        if (self->depth >= FG_EXPR_MAX_DEPTH) {
            s_fail (self, open, "parentheses nest deeper than %d levels", FG_EXPR_MAX_DEPTH);
            return NULL;
        }
        self->depth++;
        s_next (self);
        s_node_t *inner = s_parse_or (self);
        if (!inner)
            return NULL;
        if (self->tok != S_TOK_RPAREN) {
            s_expected (self, "')'", open);
            return NULL;
        }
        self->depth--;
        s_next (self);
        return inner;
    }
    s_node_t *literal = s_parse_literal (self);
    if (!literal && !self->failed)
        s_expected (self, "a value (a name, number, string, true, false or '(')", SIZE_MAX);
    return literal;
}

static s_node_t *
s_parse_in (s_parser_t *self, s_node_t *left)
{
    s_node_t *node = s_node_new (self, S_NODE_IN);
    if (!node)
        return NULL;
    node->child = left;
    s_next (self);
    if (self->tok != S_TOK_LPAREN) {
        s_expected (self, "'(' and a list of values", SIZE_MAX);
        return NULL;
    }
    s_next (self);
    s_node_t *last = left;
    while (true) {
        s_node_t *literal = s_parse_literal (self);
        if (!literal) {
            if (!self->failed)
                s_expected (self, "a number, string, true or false", SIZE_MAX);
            return NULL;
        }
        last->next = literal;
        last = literal;
        if (self->tok == S_TOK_RPAREN)
            break;
        if (self->tok != S_TOK_COMMA) {
            s_expected (self, "',' or ')'", SIZE_MAX);
            return NULL;
        }
        s_next (self);
    }
    s_next (self);
    return node;
}

static s_node_t *
s_parse_compare (s_parser_t *self)
{
    size_t start = self->tok_start;
    s_node_t *left = s_parse_operand (self);
    if (!left)
        return NULL;
    if (self->tok == S_TOK_IN)
        return s_parse_in (self, left);
    if (!s_is_comparison (self->tok))
        return left;
    s_node_t *node = s_node_new (self, S_NODE_COMPARE);
    if (!node)
        return NULL;
    node->op = self->tok;
    s_next (self);
    s_node_t *right = s_parse_operand (self);
    if (!right)
        return NULL;
    node->child = left;
    left->next = right;
    if (s_is_comparison (self->tok)) {
        char snippet [S_SNIPPET_MAX + 8];
        s_snippet (self->text, start, self->tok_start, true, snippet, sizeof snippet);
        s_fail (self, self->tok_start, "comparisons do not chain: use '&&' after \"%s\"",
                snippet);
        return NULL;
    }
    return node;
}

static s_node_t *
s_parse_not (s_parser_t *self)
{
    if (self->tok != S_TOK_NOT)
        return s_parse_compare (self);
    //  A run of '!' is counted in a loop, not by recursion, so that four
    //  thousand of them cost nothing; it is kept as at most two nodes,
    //  since '!!x' (true when x is true) is not x when x is a number
    size_t count = 0;
    while (self->tok == S_TOK_NOT) {
        count++;
        s_next (self);
    }
    s_node_t *operand = s_parse_compare (self);
    if (!operand)
        return NULL;
    for (size_t index = 0; index < (count % 2? 1: 2); index++) {
        s_node_t *node = s_node_new (self, S_NODE_NOT);
        if (!node)
            return NULL;
        node->child = operand;
        operand = node;
    }
    return operand;
}

//  and = not { "&&" not }, or = and { "||" and }: one node, a list of operands
static s_node_t *
s_parse_chain (s_parser_t *self, s_tok_t tok, s_kind_t kind,
               s_node_t *(*operand) (s_parser_t *))
{
    s_node_t *first = operand (self);
    if (!first || self->tok != tok)
        return first;
    s_node_t *node = s_node_new (self, kind);
    if (!node)
        return NULL;
    node->child = first;
    s_node_t *last = first;
    while (self->tok == tok) {
        s_next (self);
        s_node_t *next = operand (self);
        if (!next)
            return NULL;
        last->next = next;
        last = next;
    }
    return node;
}

static s_node_t *
s_parse_and (s_parser_t *self)
{
    return s_parse_chain (self, S_TOK_AND, S_NODE_AND, s_parse_not);
}

static s_node_t *
s_parse_or (s_parser_t *self)
{
    return s_parse_chain (self, S_TOK_OR, S_NODE_OR, s_parse_and);
}

//  --------------------------------------------------------------------------
//  Public API

fg_expr_t *
fg_expr_parse (const char *text, char *err, size_t err_size)
{
    if (err && err_size)
        err [0] = 0;
    if (!text)
        text = "";
    s_parser_t parser = { .text = text, .err = err, .err_size = err_size };
    size_t length = strnlen (text, FG_EXPR_MAX_TEXT + 1);
    if (length > FG_EXPR_MAX_TEXT) {
        s_fail (&parser, FG_EXPR_MAX_TEXT, "expression is longer than %d bytes",
                FG_EXPR_MAX_TEXT);
        return NULL;
    }
    fg_expr_t *self = (fg_expr_t *) calloc (1, sizeof (fg_expr_t));
    if (!self) {
        s_fail (&parser, 0, "out of memory");
        return NULL;
    }
    parser.expr = self;
    s_next (&parser);
    if (parser.tok != S_TOK_END || parser.failed) {
        self->root = s_parse_or (&parser);
        if (self->root && parser.tok == S_TOK_RPAREN)
            s_fail (&parser, parser.tok_start, "')' without a matching '('");
        else
        if (self->root && parser.tok != S_TOK_END)
            s_expected (&parser, "'&&', '||' or the end", SIZE_MAX);
    }
    free (parser.string);
    if (parser.failed)
        fg_expr_destroy (&self);
    return self;
}

void
fg_expr_destroy (fg_expr_t **self_p)
{
    if (self_p && *self_p) {
        fg_expr_t *self = *self_p;
        s_node_t *node = self->nodes;
        while (node) {
            s_node_t *chain = node->chain;
            free (node->text);
            free (node);
            node = chain;
        }
        free (self);
        *self_p = NULL;
    }
}

//  Only the boolean true is true: a number, a string or undefined where a
//  condition is expected counts as false.
static bool
s_truth (fg_expr_value_t value)
{
    return value.type == FG_EXPR_BOOL && value.number != 0;
}

static fg_expr_value_t
s_bool (bool truth)
{
    fg_expr_value_t value = { FG_EXPR_BOOL, truth, NULL };
    return value;
}

//  Values of different types, or undefined, are never equal nor ordered
//  (but for integers and decimals, both numbers); booleans have no order.
static bool
s_compare (s_tok_t op, fg_expr_value_t left, fg_expr_value_t right)
{
    bool numbers = (left.type == FG_EXPR_INT || left.type == FG_EXPR_DECIMAL)
                && (right.type == FG_EXPR_INT || right.type == FG_EXPR_DECIMAL);
    if ((left.type != right.type && !numbers) || left.type == FG_EXPR_UNDEFINED)
        return false;
    int order;
    if (left.type == FG_EXPR_STRING)
        order = strcmp (left.text, right.text);
    else
    if (numbers && left.type != right.type) {
        //  In millionths, wide enough for any int64 integer
        __int128 one = left.type == FG_EXPR_INT? (__int128) left.number * FG_EXPR_DECIMAL_ONE
                                               : (__int128) left.number;
        __int128 two = right.type == FG_EXPR_INT? (__int128) right.number * FG_EXPR_DECIMAL_ONE
                                                : (__int128) right.number;
        order = one < two? -1: one > two;
    }
    else {
        if (left.type == FG_EXPR_BOOL && op != S_TOK_EQ && op != S_TOK_NE)
            return false;
        order = left.number < right.number? -1: left.number > right.number;
    }
    switch (op) {
        case S_TOK_EQ: return order == 0;
        case S_TOK_NE: return order != 0;
        case S_TOK_LT: return order < 0;
        case S_TOK_LE: return order <= 0;
        case S_TOK_GT: return order > 0;
        case S_TOK_GE: return order >= 0;
        default:       return false;
    }
}

//  What lookup says, made safe to use: anything odd is undefined.
static fg_expr_value_t
s_lookup (const char *name, fg_expr_lookup_fn *lookup, void *arg)
{
    fg_expr_value_t value = { FG_EXPR_UNDEFINED, 0, NULL };
    if (!lookup || !lookup (arg, name, &value))
        value.type = FG_EXPR_UNDEFINED;
    else
    if (value.type == FG_EXPR_BOOL)
        value.number = value.number != 0;
    else
    if ((value.type == FG_EXPR_STRING && !value.text)
    ||  (value.type != FG_EXPR_STRING && value.type != FG_EXPR_INT
         && value.type != FG_EXPR_DECIMAL))
        value.type = FG_EXPR_UNDEFINED;
    return value;
}

static fg_expr_value_t
s_eval (s_node_t *node, fg_expr_lookup_fn *lookup, void *arg)
{
    switch (node->kind) {
        case S_NODE_OR:
            for (s_node_t *child = node->child; child; child = child->next)
                if (s_truth (s_eval (child, lookup, arg)))
                    return s_bool (true);
            return s_bool (false);
        case S_NODE_AND:
            for (s_node_t *child = node->child; child; child = child->next)
                if (!s_truth (s_eval (child, lookup, arg)))
                    return s_bool (false);
            return s_bool (true);
        case S_NODE_NOT:
            return s_bool (!s_truth (s_eval (node->child, lookup, arg)));
        case S_NODE_COMPARE:
            return s_bool (s_compare (node->op, s_eval (node->child, lookup, arg),
                                      s_eval (node->child->next, lookup, arg)));
        case S_NODE_IN: {
            fg_expr_value_t left = s_eval (node->child, lookup, arg);
            for (s_node_t *item = node->child->next; item; item = item->next)
                if (s_compare (S_TOK_EQ, left, item->value))
                    return s_bool (true);
            return s_bool (false);
        }
        case S_NODE_LITERAL:
            return node->value;
        case S_NODE_NAME:
            return s_lookup (node->text, lookup, arg);
    }
    return s_bool (false);
}

bool
fg_expr_eval (fg_expr_t *self, fg_expr_lookup_fn *lookup, void *arg)
{
    if (!self)
        return false;           //  a failed parse matches nothing
    if (!self->root)
        return true;
    return s_truth (s_eval (self->root, lookup, arg));
}

int
fg_expr_check (const char *text, char *err, size_t err_size)
{
    fg_expr_t *expr = fg_expr_parse (text, err, err_size);
    if (!expr)
        return -1;
    fg_expr_destroy (&expr);
    return 0;
}
