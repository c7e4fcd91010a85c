/*  =========================================================================
    hub_inputs - the inputs of a submitted task: what the hub accepts to
    keep with it
    =========================================================================  */
#include "fogrid.h"
#include "hub_inputs.h"

static bool
s_hex64 (const char *text)
{
    if (strlen (text) != 64)
        return false;
    for (const char *cursor = text; *cursor; cursor++)
        if (!((*cursor >= '0' && *cursor <= '9') || (*cursor >= 'a' && *cursor <= 'f')))
            return false;
    return true;
}

int
hub_inputs_check (const Fogrid__TaskSpec *spec, size_t max_bytes, char *why, size_t size)
{
    if (spec->n_inputs == 0)
        return 0;
    if (spec->n_inputs > HUB_INPUTS_MAX) {
        snprintf (why, size, "%zu inputs (limit %d)", spec->n_inputs, HUB_INPUTS_MAX);
        return -1;
    }
    if (spec->service_name && *spec->service_name) {
        snprintf (why, size, "a service takes no inputs: inputs are for batch tasks");
        return -1;
    }
    size_t total = 0;
    zhashx_t *names = zhashx_new ();
    int rc = -1;
    for (size_t index = 0; index < spec->n_inputs; index++) {
        const Fogrid__TaskInput *input = spec->inputs [index];
        const char *name = input->name;
        if (!fg_path_relative_valid (name, HUB_INPUTS_MAX_NAME)) {
            snprintf (why, size, "input %zu: its name must be a relative path of 1..%d "
                      "printable bytes with no empty, '.' or '..' part", index + 1,
                      HUB_INPUTS_MAX_NAME);
            goto cleanup;
        }
        if (zhashx_insert (names, name, (void *) input)) {
            snprintf (why, size, "input '%.100s' is named twice", name);
            goto cleanup;
        }
        if (!s_hex64 (input->sha256)) {
            snprintf (why, size, "input '%.100s': sha256 must be 64 lower-case hex digits",
                      name);
            goto cleanup;
        }
        if (input->mode & ~0777u) {
            snprintf (why, size, "input '%.100s': mode %o has more than permission bits",
                      name, input->mode);
            goto cleanup;
        }
        if (*input->url) {
            if (!fg_text_valid (input->url, HUB_INPUTS_MAX_URL)
            ||  (strncmp (input->url, "http://", 7) && strncmp (input->url, "https://", 8))) {
                snprintf (why, size, "input '%.100s': the URL must be http:// or https://, "
                          "at most %d printable bytes", name, HUB_INPUTS_MAX_URL);
                goto cleanup;
            }
            if (input->content.len) {
                snprintf (why, size, "input '%.100s' has both a URL and content", name);
                goto cleanup;
            }
            continue;
        }
        if (input->size && input->size != input->content.len) {
            snprintf (why, size, "input '%.100s': size %" PRIu64 " but %zu bytes came",
                      name, input->size, input->content.len);
            goto cleanup;
        }
        total += input->content.len;
    }
    if (total > max_bytes) {
        snprintf (why, size, "inputs are %zu bytes, over this hub's limit of %zu "
                  "(hub/max_inputs): give larger ones by URL", total, max_bytes);
        goto cleanup;
    }
    rc = 0;
cleanup:
    zhashx_destroy (&names);
    return rc;
}

Fogrid__TaskSpec *
hub_inputs_view (Fogrid__TaskSpec *spec)
{
    if (!spec || spec->n_inputs == 0)
        return NULL;
    Fogrid__TaskSpec *view = (Fogrid__TaskSpec *) zmalloc (sizeof *view);
    *view = *spec;
    view->inputs = (Fogrid__TaskInput **) zmalloc (sizeof (Fogrid__TaskInput *) * spec->n_inputs);
    for (size_t index = 0; index < spec->n_inputs; index++) {
        Fogrid__TaskInput *input = (Fogrid__TaskInput *) zmalloc (sizeof *input);
        *input = *spec->inputs [index];
        if (!*input->url)
            input->size = input->content.len;
        input->content.data = NULL;
        input->content.len = 0;
        view->inputs [index] = input;
    }
    return view;
}

void
hub_inputs_view_free (Fogrid__TaskSpec **view_p)
{
    Fogrid__TaskSpec *view = *view_p;
    if (view) {
        for (size_t index = 0; index < view->n_inputs; index++)
            free (view->inputs [index]);
        free (view->inputs);
        free (view);
    }
    *view_p = NULL;
}
