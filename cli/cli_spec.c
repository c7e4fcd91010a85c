/*  =========================================================================
    cli_spec - the task options `fogrid submit` and `fogrid run-service`
    share
    =========================================================================  */
#include "fogrid.h"
#include "cli_spec.h"

bool
cli_wants_help (int argc, char **argv)
{
    for (int index = 1; index < argc; index++) {
        if (streq (argv [index], "--"))
            break;
        if (streq (argv [index], "-h") || streq (argv [index], "--help"))
            return true;
    }
    return false;
}

bool
cli_parse_uint (const char *text, uint64_t max, uint64_t *value)
{
    char *end = NULL;
    if (!text || !*text || *text == '-')
        return false;
    unsigned long long number = strtoull (text, &end, 10);
    if (*end || number > max)
        return false;
    *value = number;
    return true;
}

void
cli_spec_init (cli_spec_t *self)
{
    memset (self, 0, sizeof *self);
    fogrid__task_spec__init (&self->spec);
    self->spec.labels = self->labels;
    self->spec.env = self->envs;
}

void
cli_spec_reset (cli_spec_t *self)
{
    for (size_t index = 0; index < self->spec.n_labels; index++)
        free (self->labels [index]->key);
    self->spec.n_labels = 0;
}

int
cli_spec_option (cli_spec_t *self, const char *arg, const char *value)
{
    Fogrid__TaskSpec *spec = &self->spec;
    uint64_t number = 0;
    bool ok = true;
    if (streq (arg, "--cores"))
        ok = cli_parse_uint (value, 1024, &number), spec->cores = (uint32_t) number;
    else
    if (streq (arg, "--mem"))
        ok = cli_parse_uint (value, UINT32_MAX, &number), spec->mem_mb = number;
    else
    if (streq (arg, "--disk"))
        ok = cli_parse_uint (value, UINT32_MAX, &number), spec->disk_mb = number;
    else
    if (streq (arg, "--gpus"))
        ok = cli_parse_uint (value, 64, &number), spec->gpus = (uint32_t) number;
    else
    if (streq (arg, "--max-price"))
        ok = cli_parse_uint (value, UINT64_MAX, &number), spec->max_price = number;
    else
    if (streq (arg, "--timeout"))
        ok = cli_parse_uint (value, 30 * 86400, &number), spec->timeout_s = (uint32_t) number;
    else
    if (streq (arg, "--retries"))
        ok = cli_parse_uint (value, 100, &number), spec->retries = (uint32_t) number;
    else
    if (streq (arg, "--replicas"))
        ok = cli_parse_uint (value, 16, &number) && number > 0, spec->replicas = (uint32_t) number;
    else
    if (streq (arg, "--quorum"))
        ok = cli_parse_uint (value, 16, &number) && number > 0, spec->quorum = (uint32_t) number;
    else
    if (streq (arg, "--challenge-window"))
        ok = cli_parse_uint (value, 365 * 86400, &number), spec->challenge_window_s = (uint32_t) number;
    else
    if (streq (arg, "--policy"))
        spec->policy = (char *) value;
    else
    if (streq (arg, "--runtime"))
        spec->runtime = (char *) value;
    else
    if (streq (arg, "--image"))
        spec->image = (char *) value;
    else
    if (streq (arg, "--constraint"))
        spec->constraint = (char *) value;
    else
    if (streq (arg, "--token"))
        self->token = value;
    else
    if (streq (arg, "--env")) {
        ok = strchr (value, '=') && spec->n_env < CLI_SPEC_MAX_ENV;
        if (ok)
            self->envs [spec->n_env++] = (char *) value;
    }
    else
    if (streq (arg, "--label")) {
        const char *equals = strchr (value, '=');
        ok = equals && equals != value && spec->n_labels < CLI_SPEC_MAX_LABELS;
        if (ok) {
            Fogrid__Label *label = &self->label_store [spec->n_labels];
            fogrid__label__init (label);
            label->key = strndup (value, (size_t) (equals - value));
            label->value = (char *) equals + 1;
            self->labels [spec->n_labels++] = label;
        }
    }
    else
        return 0;
    return ok? 1: -1;
}

//  True when text holds words as words of its own: at its start or after
//  a space or '(', and followed by its end, a space or punctuation.
static bool
s_names (const char *text, const char *words)
{
    size_t len = strlen (words);
    for (const char *at = len? strstr (text, words): NULL; at; at = strstr (at + 1, words)) {
        bool starts = at == text || at [-1] == ' ' || at [-1] == '(' || at [-1] == '\'';
        char after = at [len];
        if (starts && (after == 0 || strchr (" :,;.)'", after)))
            return true;
    }
    return false;
}

void
cli_error (const char *what, const char *why)
{
    if (s_names (why, what))
        fprintf (stderr, "fogrid: %s\n", why);
    else
        fprintf (stderr, "fogrid: %s: %s\n", what, why);
}
