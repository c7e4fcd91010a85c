/*  =========================================================================
    cli_array - job arrays on the command line

    DESIGN
    An array goes to the hub as one SubmitArrayRequest: for --array, the
    spec once with the range (the hub replaces {} with each index); for
    --from, one spec per line. A line that cannot become a spec (JSON that
    does not parse, a field of the wrong type) is refused here with its
    line number and nothing is sent; with --partial it is sent as an
    empty spec, which the hub refuses as that element, so the numbering
    stays the hub's and the reply lists it with the others.
    =========================================================================  */
#include "fogrid.h"
#include "cli_spec.h"
#include "cli_array.h"

#define S_MAX_LINE      (1024 * 1024)
#define S_MAX_ELEMENTS  1000000

bool
cli_array_is (const char *id)
{
    return id && strncmp (id, "a-", 2) == 0 && !strchr (id, '[');
}

//  A copy of spec the caller frees with fogrid__task_spec__free_unpacked
static Fogrid__TaskSpec *
s_copy (const Fogrid__TaskSpec *spec)
{
    size_t size = fogrid__task_spec__get_packed_size (spec);
    uint8_t *buffer = (uint8_t *) zmalloc (size + 1);
    fogrid__task_spec__pack (spec, buffer);
    Fogrid__TaskSpec *copy = fogrid__task_spec__unpack (NULL, size, buffer);
    free (buffer);
    return copy;
}

//  Replaces a repeated string field with a JSON array of strings
static int
s_strings (json_t *value, char ***items, size_t *count, const char *name, char *why,
           size_t why_size)
{
    if (!json_is_array (value)) {
        snprintf (why, why_size, "%s must be an array of strings", name);
        return -1;
    }
    for (size_t index = 0; index < json_array_size (value); index++)
        if (!json_is_string (json_array_get (value, index))) {
            snprintf (why, why_size, "%s must be an array of strings", name);
            return -1;
        }
    for (size_t index = 0; index < *count; index++)
        free ((*items) [index]);
    free (*items);
    *count = json_array_size (value);
    *items = (char **) zmalloc (sizeof (char *) * (*count + 1));
    for (size_t index = 0; index < *count; index++)
        (*items) [index] = strdup (json_string_value (json_array_get (value, index)));
    return 0;
}

static int
s_text (json_t *value, char **field, const char *name, char *why, size_t why_size)
{
    if (!json_is_string (value)) {
        snprintf (why, why_size, "%s must be a string", name);
        return -1;
    }
    if (*field != protobuf_c_empty_string)
        free (*field);
    *field = strdup (json_string_value (value));
    return 0;
}

static int
s_number (json_t *value, uint64_t max, uint64_t *number, const char *name, char *why,
          size_t why_size)
{
    if (!json_is_integer (value) || json_integer_value (value) < 0
    ||  (uint64_t) json_integer_value (value) > max) {
        snprintf (why, why_size, "%s must be a whole number 0..%" PRIu64, name, max);
        return -1;
    }
    *number = (uint64_t) json_integer_value (value);
    return 0;
}

//  A JSON line over the defaults; NULL with why
static Fogrid__TaskSpec *
s_json_spec (const char *line, const Fogrid__TaskSpec *defaults, char *why, size_t why_size)
{
    json_error_t error;
    json_t *object = json_loads (line, 0, &error);
    if (!json_is_object (object)) {
        snprintf (why, why_size, "not a JSON object: %s (column %d)",
                  object? "another JSON value": error.text, error.column);
        json_decref (object);
        return NULL;
    }
    Fogrid__TaskSpec *spec = s_copy (defaults);
    const char *key;
    json_t *value;
    int rc = 0;
    uint64_t number = 0;
    json_object_foreach (object, key, value) {
        if (streq (key, "argv"))
            rc = s_strings (value, &spec->argv, &spec->n_argv, key, why, why_size);
        else
        if (streq (key, "env"))
            rc = s_strings (value, &spec->env, &spec->n_env, key, why, why_size);
        else
        if (streq (key, "outputs"))
            rc = s_strings (value, &spec->outputs, &spec->n_outputs, key, why, why_size);
        else
        if (streq (key, "runtime"))
            rc = s_text (value, &spec->runtime, key, why, why_size);
        else
        if (streq (key, "image"))
            rc = s_text (value, &spec->image, key, why, why_size);
        else
        if (streq (key, "constraint"))
            rc = s_text (value, &spec->constraint, key, why, why_size);
        else
        if (streq (key, "policy"))
            rc = s_text (value, &spec->policy, key, why, why_size);
        else
        if (streq (key, "cores") && !(rc = s_number (value, UINT32_MAX, &number, key, why, why_size)))
            spec->cores = (uint32_t) number;
        else
        if (streq (key, "gpus") && !(rc = s_number (value, UINT32_MAX, &number, key, why, why_size)))
            spec->gpus = (uint32_t) number;
        else
        if (streq (key, "timeout_s") && !(rc = s_number (value, UINT32_MAX, &number, key, why, why_size)))
            spec->timeout_s = (uint32_t) number;
        else
        if (streq (key, "retries") && !(rc = s_number (value, UINT32_MAX, &number, key, why, why_size)))
            spec->retries = (uint32_t) number;
        else
        if (streq (key, "mem_mb") && !(rc = s_number (value, INT64_MAX, &number, key, why, why_size)))
            spec->mem_mb = number;
        else
        if (streq (key, "disk_mb") && !(rc = s_number (value, INT64_MAX, &number, key, why, why_size)))
            spec->disk_mb = number;
        else
        if (streq (key, "max_price") && !(rc = s_number (value, INT64_MAX, &number, key, why, why_size)))
            spec->max_price = number;
        else
        if (!rc) {
            snprintf (why, why_size, "unknown field '%.64s' (argv, env, outputs, runtime, image, "
                      "constraint, policy, cores, gpus, mem_mb, disk_mb, max_price, timeout_s, "
                      "retries)", key);
            rc = -1;
        }
        if (rc)
            break;
    }
    json_decref (object);
    if (rc)
        fogrid__task_spec__free_unpacked (spec, NULL);
    return rc? NULL: spec;
}

//  A command line: sh -c LINE over the defaults
static Fogrid__TaskSpec *
s_line_spec (const char *line, const Fogrid__TaskSpec *defaults)
{
    Fogrid__TaskSpec *spec = s_copy (defaults);
    for (size_t index = 0; index < spec->n_argv; index++)
        free (spec->argv [index]);
    free (spec->argv);
    spec->argv = (char **) zmalloc (sizeof (char *) * 3);
    spec->argv [0] = strdup ("sh");
    spec->argv [1] = strdup ("-c");
    spec->argv [2] = strdup (line);
    spec->n_argv = 3;
    return spec;
}

//  The specs of FILE's lines, and the line of each; -1 after saying why
static int
s_read_lines (const char *path, const Fogrid__TaskSpec *defaults, bool partial,
              Fogrid__SubmitArrayRequest *request, size_t **lines_p)
{
    FILE *file = streq (path, "-")? stdin: fopen (path, "r");
    if (!file) {
        fprintf (stderr, "fogrid submit: cannot read %s: %s\n", path, strerror (errno));
        return -1;
    }
    size_t capacity = 0, line_no = 0, bad = 0;
    char *line = NULL;
    size_t line_size = 0;
    ssize_t len;
    while ((len = getline (&line, &line_size, file)) >= 0) {
        line_no++;
        while (len > 0 && (line [len - 1] == '\n' || line [len - 1] == '\r'))
            line [--len] = 0;
        const char *text = line + strspn (line, " \t");
        if (!*text || *text == '#')
            continue;
        if (request->n_specs == S_MAX_ELEMENTS || len > S_MAX_LINE) {
            fprintf (stderr, "fogrid submit: %s line %zu: %s\n", path, line_no,
                     len > S_MAX_LINE? "longer than 1 MiB": "more than 1000000 tasks");
            bad = 1;
            partial = false;
            break;
        }
        char why [512] = "";
        Fogrid__TaskSpec *spec = *text == '{'? s_json_spec (text, defaults, why, sizeof why)
                                             : s_line_spec (text, defaults);
        if (!spec) {
            fprintf (stderr, "fogrid submit: %s line %zu (element %zu): %s\n", path, line_no,
                     request->n_specs + 1, why);
            bad++;
            //  Sent empty: the hub refuses it as this element
            spec = (Fogrid__TaskSpec *) zmalloc (sizeof (Fogrid__TaskSpec));
            fogrid__task_spec__init (spec);
        }
        if (request->n_specs == capacity) {
            capacity = capacity? 2 * capacity: 1024;
            request->specs = (Fogrid__TaskSpec **) realloc (request->specs,
                                                            sizeof (Fogrid__TaskSpec *) * capacity);
            *lines_p = (size_t *) realloc (*lines_p, sizeof (size_t) * capacity);
        }
        (*lines_p) [request->n_specs] = line_no;
        request->specs [request->n_specs++] = spec;
    }
    free (line);
    if (file != stdin)
        fclose (file);
    if (request->n_specs == 0 && !bad) {
        fprintf (stderr, "fogrid submit: %s holds no task (blank and # lines are skipped)\n", path);
        return -1;
    }
    if (bad && !partial) {
        fprintf (stderr, "fogrid submit: %zu bad line%s: nothing was submitted (--partial "
                 "submits the others)\n", bad, bad > 1? "s": "");
        return -1;
    }
    return 0;
}

//  "FIRST-LAST" or "N" (1-N)
static int
s_range (const char *range, uint32_t *first, uint32_t *last)
{
    uint64_t a = 0, b = 0;
    const char *dash = strchr (range, '-');
    char head [32];
    if (dash) {
        size_t len = (size_t) (dash - range);
        if (len == 0 || len >= sizeof head)
            return -1;
        memcpy (head, range, len);
        head [len] = 0;
        if (!cli_parse_uint (head, UINT32_MAX, &a) || !cli_parse_uint (dash + 1, UINT32_MAX, &b))
            return -1;
    }
    else {
        if (!cli_parse_uint (range, UINT32_MAX, &b) || b == 0)
            return -1;
        a = 1;
    }
    if (b < a || b - a + 1 > S_MAX_ELEMENTS)
        return -1;
    *first = (uint32_t) a;
    *last = (uint32_t) b;
    return 0;
}

int
cli_array_submit (cli_client_t *client, Fogrid__TaskSpec *spec, const char *range,
                  const char *from, bool partial, const char *token, bool wait)
{
    Fogrid__SubmitArrayRequest request = FOGRID__SUBMIT_ARRAY_REQUEST__INIT;
    request.client_token = (char *) token;
    request.partial = partial;
    size_t *lines = NULL;
    if (range) {
        if (s_range (range, &request.first, &request.last)) {
            fprintf (stderr, "fogrid submit: --array '%s' is not FIRST-LAST or N (at most %d "
                     "elements)\n", range, S_MAX_ELEMENTS);
            return 2;
        }
        request.spec = spec;
    }
    else
    if (s_read_lines (from, spec, partial, &request, &lines)) {
        for (size_t index = 0; index < request.n_specs; index++)
            fogrid__task_spec__free_unpacked (request.specs [index], NULL);
        free (request.specs);
        free (lines);
        return 2;
    }
    fg_env_t *reply = NULL;
    Fogrid__SubmitArrayReply *submitted = cli_client_submit_array (client, &request, &reply);
    int rc = 1;
    if (submitted) {
        for (size_t index = 0; index < submitted->n_failed; index++) {
            Fogrid__ArrayFailure *failure = submitted->failed [index];
            if (lines && failure->index >= 1 && failure->index <= request.n_specs)
                fprintf (stderr, "fogrid submit: line %zu (element %u) not submitted: %s\n",
                         lines [failure->index - 1], failure->index, failure->error);
            else
                fprintf (stderr, "fogrid submit: element %u not submitted: %s\n",
                         failure->index, failure->error);
        }
        printf ("%s\n", submitted->array_id);
        fprintf (stderr, "%s[%u..%u]: %u task%s submitted%s\n", submitted->array_id,
                 submitted->first, submitted->last, submitted->accepted,
                 submitted->accepted == 1? "": "s", submitted->duplicate? " (before: same token)"
                                                                        : "");
        fflush (stdout);
        rc = submitted->n_failed? 3: 0;
        if (wait) {
            int status = cli_array_wait (client, submitted->array_id);
            rc = rc? rc: status;
        }
    }
    else
        cli_error ("submit", cli_client_error_text (client));
    fg_msg_free (&reply);
    for (size_t index = 0; index < request.n_specs; index++)
        fogrid__task_spec__free_unpacked (request.specs [index], NULL);
    free (request.specs);
    free (lines);
    return rc;
}

static uint64_t
s_count (Fogrid__ArrayStatusReply *reply, const char *state)
{
    for (size_t index = 0; index < reply->n_by_state; index++)
        if (streq (reply->by_state [index]->name, state))
            return reply->by_state [index]->value;
    return 0;
}

//  "succeeded 12, running 4, pending 84"
static void
s_summary (Fogrid__ArrayStatusReply *reply, char *text, size_t size)
{
    *text = 0;
    for (size_t index = 0; index < reply->n_by_state; index++) {
        size_t len = strlen (text);
        snprintf (text + len, size - len, "%s%s %" PRIu64, index? ", ": "",
                  reply->by_state [index]->name, reply->by_state [index]->value);
    }
}

int
cli_array_status (cli_client_t *client, const char *array_id)
{
    fg_env_t *env = NULL;
    Fogrid__ArrayStatusReply *reply = cli_client_array_status (client, array_id, &env);
    if (!reply)
        return cli_client_failed (client, array_id);
    printf ("array:     %s (elements %s[%u] .. %s[%u])\n", reply->array_id, reply->array_id,
            reply->first, reply->array_id, reply->last);
    printf ("elements:  %u\n", reply->count);
    for (size_t index = 0; index < reply->n_by_state; index++)
        printf ("%-10s %" PRIu64 "\n", reply->by_state [index]->name,
                reply->by_state [index]->value);
    for (size_t index = 0; index < reply->n_failed; index++)
        printf ("failed:    %s\n", reply->failed [index]);
    fg_msg_free (&env);
    return 0;
}

int
cli_array_wait (cli_client_t *client, const char *array_id)
{
    char last [512] = "";
    int failures = 0;
    while (!zsys_interrupted) {
        fg_env_t *env = NULL;
        Fogrid__ArrayStatusReply *reply = cli_client_array_status (client, array_id, &env);
        if (!reply) {
            if (cli_client_retry (client, &failures))
                continue;
            return cli_client_failed (client, array_id);
        }
        failures = 0;
        uint64_t done = s_count (reply, "succeeded") + s_count (reply, "failed")
                      + s_count (reply, "cancelled");
        char summary [512];
        s_summary (reply, summary, sizeof summary);
        if (!streq (summary, last)) {
            char when [32];
            fg_time_format (fg_now_ms (), when, sizeof when);
            printf ("%s  %s  %" PRIu64 "/%u done (%s)\n", when, array_id, done, reply->count,
                    summary);
            fflush (stdout);
            snprintf (last, sizeof last, "%s", summary);
        }
        if (done >= reply->count) {
            int rc = s_count (reply, "succeeded") == reply->count? 0: 1;
            for (size_t index = 0; index < reply->n_failed; index++)
                printf ("failed: %s\n", reply->failed [index]);
            fg_msg_free (&env);
            return rc;
        }
        fg_msg_free (&env);
        zclock_sleep (500);
    }
    return 130;
}
