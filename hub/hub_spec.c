/*  =========================================================================
    hub_spec - what a buyer may submit: the checks of a TaskSpec

    DESIGN
    A spec comes from the network, so every bound is checked before the
    hub keeps it: sizes (a spec is stored, sent to a miner and shown), text
    that must be printable, a constraint that must parse (refused now,
    with the column, rather than a task that never places), a policy the
    scheduler knows, outputs that cannot climb out of the task's
    directory, and for a container the UTF-8 its engine's JSON needs.
    A service (fogrid run-service; the miner runs it, miner/miner_service.h)
    is checked further: see s_service_spec_check.
    =========================================================================  */
#include "fogrid.h"
#include "fg_expr.h"
#include "hub_sched.h"
#include "hub_spec.h"

//  Bounds on what a buyer may submit
#define S_MAX_ARGS          256
#define S_MAX_ARG_BYTES     4096
#define S_MAX_ENV           256
#define S_MAX_LABELS        64
#define S_MAX_LABEL_BYTES   128
#define S_MAX_CONSTRAINT    1024
#define S_MAX_RETRIES       100
#define S_MAX_OUTPUTS       32          //  TaskSpec.outputs (the miner's MINER_OUTPUTS_MAX_SPECS)
#define S_MAX_OUTPUT_PATH   1024

static bool
s_label_valid (const Fogrid__Label *label)
{
    return *label->key && fg_text_valid (label->key, S_MAX_LABEL_BYTES)
        && fg_text_valid (label->value, S_MAX_LABEL_BYTES);
}

//  Returns 0 when the spec may be accepted, else -1 with why.
//  A service (fogrid run-service; the miner runs it, miner/miner_service.h):
//  a container with a name the locator takes but not one of the grid's own
//  (`hub`, `hub-*` and `locator`: a buyer's service must not stand beside
//  them), a port, a health check the miner knows, function names the
//  locator takes. The scheduler places it on docker miners (it has an image).
static int
s_service_spec_check (const Fogrid__TaskSpec *spec, char *why, size_t size)
{
    const char *name = spec->service_name;
    if (!fg_name_valid (name)) {
        snprintf (why, size, "service name '%.64s': a-z, 0-9 and '-', 1..63, no leading or "
                  "trailing '-'", name);
        return -1;
    }
    if (streq (name, "hub") || strncmp (name, "hub-", 4) == 0 || streq (name, "locator")) {
        snprintf (why, size, "service name '%s' is reserved for the grid's own servers", name);
        return -1;
    }
    if (!*spec->image || (*spec->runtime && !streq (spec->runtime, "docker"))) {
        snprintf (why, size, "a service runs in a container: it needs an image (docker runtime)");
        return -1;
    }
    if (spec->service_port == 0 || spec->service_port > 65535) {
        snprintf (why, size, "service port %u is not in 1..65535", spec->service_port);
        return -1;
    }
    const char *health = spec->health;
    if (*health && !streq (health, "tcp")
    &&  (strncmp (health, "http:/", 6) || !fg_text_valid (health, 205) || strchr (health, ' '))) {
        snprintf (why, size, "health check '%.64s': tcp, or http:/PATH (printable, no spaces, "
                  "at most 200 bytes)", health);
        return -1;
    }
    if (spec->n_service_functions > 64) {
        snprintf (why, size, "%zu functions (limit 64)", spec->n_service_functions);
        return -1;
    }
    for (size_t index = 0; index < spec->n_service_functions; index++) {
        const char *function = spec->service_functions [index];
        if (!*function || !fg_text_valid (function, 63) || strchr (function, ' ')
        ||  strchr (function, ',')) {
            snprintf (why, size, "function %zu: 1..63 printable, no spaces or commas", index + 1);
            return -1;
        }
    }
    return 0;
}

int
hub_spec_check (const Fogrid__TaskSpec *spec, char *why, size_t size)
{
    if (!spec) {
        snprintf (why, size, "submit without a spec");
        return -1;
    }
    //  A service may run its image's own command
    bool service = spec->service_name && *spec->service_name;
    if ((spec->n_argv == 0 && !service) || (spec->n_argv && !*spec->argv [0])) {
        snprintf (why, size, "argv is empty: nothing to run");
        return -1;
    }
    if (spec->n_argv > S_MAX_ARGS) {
        snprintf (why, size, "argv has %zu arguments (limit %d)", spec->n_argv, S_MAX_ARGS);
        return -1;
    }
    //  Arguments are UTF-8 (the submit checked every string: hub_buyer_api)
    for (size_t index = 0; index < spec->n_argv; index++)
        if (strlen (spec->argv [index]) > S_MAX_ARG_BYTES) {
            snprintf (why, size, "argument %zu is over %d bytes", index + 1, S_MAX_ARG_BYTES);
            return -1;
        }
    if (spec->n_env > S_MAX_ENV) {
        snprintf (why, size, "env has %zu entries (limit %d)", spec->n_env, S_MAX_ENV);
        return -1;
    }
    for (size_t index = 0; index < spec->n_env; index++) {
        const char *entry = spec->env [index];
        if (strlen (entry) > S_MAX_ARG_BYTES || entry [0] == '=' || !strchr (entry, '=')) {
            snprintf (why, size, "env entry %zu is not KEY=VALUE of at most %d bytes",
                      index + 1, S_MAX_ARG_BYTES);
            return -1;
        }
    }
    const char *runtime = spec->runtime;
    //  null: the benchmark-only runtime; only miners that offer it take it
    if (*runtime && !streq (runtime, "process") && !streq (runtime, "docker")
    &&  !streq (runtime, "null")) {
        snprintf (why, size, "unknown runtime (want process or docker)");
        return -1;
    }
    if (!fg_text_valid (spec->image, 256)) {
        snprintf (why, size, "image: not printable or over 256 bytes");
        return -1;
    }
    if (streq (runtime, "docker") && !*spec->image) {
        snprintf (why, size, "the docker runtime needs an image");
        return -1;
    }
    if (spec->n_labels > S_MAX_LABELS) {
        snprintf (why, size, "%zu labels (limit %d)", spec->n_labels, S_MAX_LABELS);
        return -1;
    }
    for (size_t index = 0; index < spec->n_labels; index++)
        if (!s_label_valid (spec->labels [index])) {
            snprintf (why, size, "label %zu: key and value must be printable, key not empty, "
                      "at most %d bytes each", index, S_MAX_LABEL_BYTES);
            return -1;
        }
    if (!fg_text_valid (spec->constraint, S_MAX_CONSTRAINT)) {
        snprintf (why, size, "constraint: not printable or over %d bytes", S_MAX_CONSTRAINT);
        return -1;
    }
    //  Refused now, with the column, rather than a task that never places
    char expr_err [200];
    if (fg_expr_check (spec->constraint, expr_err, sizeof expr_err)) {
        snprintf (why, size, "constraint: %s", expr_err);
        return -1;
    }
    hub_policy_t policy;
    if (!fg_text_valid (spec->policy, 32) || hub_sched_policy_parse (spec->policy, &policy)) {
        snprintf (why, size, "unknown policy (want fastest, cheapest, binpack or spread)");
        return -1;
    }
    if (spec->retries > S_MAX_RETRIES) {
        snprintf (why, size, "retries %u is over the limit of %d", spec->retries, S_MAX_RETRIES);
        return -1;
    }
    //  Outputs: paths the miner copies back, never ones that climb out
    //  (a process task's must stay in its work directory: relative)
    if (spec->n_outputs > S_MAX_OUTPUTS) {
        snprintf (why, size, "%zu outputs (limit %d)", spec->n_outputs, S_MAX_OUTPUTS);
        return -1;
    }
    if (spec->n_outputs && service) {
        snprintf (why, size, "a service leaves no output files: outputs are for batch tasks");
        return -1;
    }
    bool process = !*spec->image && (!*runtime || streq (runtime, "process"));
    for (size_t index = 0; index < spec->n_outputs; index++) {
        const char *output = spec->outputs [index];
        char normal [S_MAX_OUTPUT_PATH + 1];
        if (fg_path_normal (output, S_MAX_OUTPUT_PATH, normal, sizeof normal)) {
            snprintf (why, size, "output %zu: a path of 1..%d printable bytes, with no '..' "
                      "part, not the root", index + 1, S_MAX_OUTPUT_PATH);
            return -1;
        }
        if (process && *output == '/') {
            snprintf (why, size, "output '%.100s': the process runtime copies paths relative "
                      "to the task's work directory", output);
            return -1;
        }
    }
    //  Verification (hub_court.h): replicas of distinct owners, a quorum
    //  among them, a window, the outputs compared
    if (spec->replicas > 16 || spec->quorum > 16
    ||  (spec->replicas && spec->quorum > spec->replicas)) {
        snprintf (why, size, "replicas %u, quorum %u: at most 16, and the quorum at most the "
                  "replicas", spec->replicas, spec->quorum);
        return -1;
    }
    if (service && (spec->replicas > 1 || spec->challenge_window_s || spec->n_compare)) {
        snprintf (why, size, "a service is not verified: replicas, a quorum, a challenge "
                  "window and compared outputs are for batch tasks");
        return -1;
    }
    if (spec->challenge_window_s > 365 * 86400) {
        snprintf (why, size, "challenge window of %u s (limit a year)", spec->challenge_window_s);
        return -1;
    }
    if (spec->n_compare > S_MAX_OUTPUTS) {
        snprintf (why, size, "%zu compared outputs (limit %d)", spec->n_compare, S_MAX_OUTPUTS);
        return -1;
    }
    for (size_t index = 0; index < spec->n_compare; index++) {
        char normal [S_MAX_OUTPUT_PATH + 1];
        if (fg_path_normal (spec->compare [index], S_MAX_OUTPUT_PATH, normal, sizeof normal)) {
            snprintf (why, size, "compared output %zu: a path of 1..%d printable bytes, with "
                      "no '..' part, not the root", index + 1, S_MAX_OUTPUT_PATH);
            return -1;
        }
    }
    if (service || spec->service_port || *spec->health || spec->n_service_functions)
        return s_service_spec_check (spec, why, size);
    return 0;
}

//  --------------------------------------------------------------------------
//  Job arrays

//  text with every "{}" replaced by digits; NULL when there is none
static char *
s_substitute (const char *text, const char *digits)
{
    if (!text || !strstr (text, "{}"))
        return NULL;
    size_t len = strlen (text), dlen = strlen (digits), count = 0;
    for (const char *at = strstr (text, "{}"); at; at = strstr (at + 2, "{}"))
        count++;
    char *out = (char *) malloc (len + count * dlen + 1), *to = out;
    for (const char *from = text; *from;) {
        if (from [0] == '{' && from [1] == '}') {
            memcpy (to, digits, dlen);
            to += dlen;
            from += 2;
        }
        else
            *to++ = *from++;
    }
    *to = 0;
    return out;
}

Fogrid__TaskSpec *
hub_spec_element (const uint8_t *packed, size_t size, uint32_t index)
{
    Fogrid__TaskSpec *spec = fogrid__task_spec__unpack (NULL, size, packed);
    if (!spec)
        return NULL;
    char digits [16];
    snprintf (digits, sizeof digits, "%u", index);
    for (size_t at = 0; at < spec->n_argv; at++) {
        char *text = s_substitute (spec->argv [at], digits);
        if (text) {
            free (spec->argv [at]);
            spec->argv [at] = text;
        }
    }
    for (size_t at = 0; at < spec->n_env; at++) {
        char *text = s_substitute (spec->env [at], digits);
        if (text) {
            free (spec->env [at]);
            spec->env [at] = text;
        }
    }
    return spec;
}

int
hub_spec_element_of (const char *task_id, char *array, uint32_t *index)
{
    const char *open = task_id? strchr (task_id, '['): NULL;
    size_t len = open? (size_t) (open - task_id): 0;
    if (!open || len == 0 || len > 31)
        return -1;
    char *end = NULL;
    unsigned long value = strtoul (open + 1, &end, 10);
    if (end == open + 1 || !end || end [0] != ']' || end [1] || value > UINT32_MAX)
        return -1;
    memcpy (array, task_id, len);
    array [len] = 0;
    *index = (uint32_t) value;
    return 0;
}
