/*  =========================================================================
    cli_spec - the task options `fogrid submit` and `fogrid run-service`
    share

    Both commands build a TaskSpec from the same options (--cores, --mem,
    --disk, --gpus, --max-price, --timeout, --retries, --policy,
    --runtime, --image, --constraint, --env, --label, --token); each then
    takes its own (--wait, a service's --name, --port, ...).
    =========================================================================  */
#ifndef CLI_SPEC_H_INCLUDED
#define CLI_SPEC_H_INCLUDED

#define CLI_SPEC_MAX_LABELS 64
#define CLI_SPEC_MAX_ENV 128

typedef struct {
    Fogrid__TaskSpec spec;      //  its arrays point into the fields below
    Fogrid__Label *labels [CLI_SPEC_MAX_LABELS];
    Fogrid__Label label_store [CLI_SPEC_MAX_LABELS];
    char *envs [CLI_SPEC_MAX_ENV];
    const char *token;          //  --token, or NULL
} cli_spec_t;

void cli_spec_init (cli_spec_t *self);
//  Frees what the options allocated (label keys).
void cli_spec_reset (cli_spec_t *self);

//  Takes option arg with its value when it is one of the shared options.
//  Returns 1 (taken), 0 (not one of them) or -1 (a bad value).
int cli_spec_option (cli_spec_t *self, const char *arg, const char *value);

//  Parses a whole number of at most max. Returns true when it is one.
bool cli_parse_uint (const char *text, uint64_t max, uint64_t *value);

//  True when a command's arguments (argv [1..], up to "--") ask for help.
bool cli_wants_help (int argc, char **argv);

//  Says on stderr why what failed: "fogrid: WHAT: WHY", or "fogrid: WHY"
//  when WHY already names WHAT as words of its own (the hub's "submit
//  refused: ...", "task t-... not found"), so that nothing is said twice.
void cli_error (const char *what, const char *why);

#endif
