/*  =========================================================================
    cli_doc - the hub's signed documents on the command line
    =========================================================================  */
#include "fogrid.h"
#include "cli_doc.h"
#include "cli_spec.h"
#include <errno.h>

bool
cli_doc_fetch_args (int argc, char **argv, const char **task_p, const char **file_p)
{
    *task_p = *file_p = NULL;
    bool bad = false;
    for (int index = 1; index < argc; index++) {
        if ((streq (argv [index], "-o") || streq (argv [index], "--output")) && index + 1 < argc)
            *file_p = argv [++index];
        else
        if (argv [index][0] != '-' && !*task_p)
            *task_p = argv [index];
        else
            bad = true;
    }
    return !bad && *task_p;
}

bool
cli_doc_verify_args (int argc, char **argv, const char **file_p, const char **hub_key_p)
{
    *file_p = *hub_key_p = NULL;
    bool bad = false;
    for (int index = 1; index < argc; index++) {
        if (streq (argv [index], "--hub-key") && index + 1 < argc)
            *hub_key_p = argv [++index];
        else
        if ((argv [index][0] != '-' || streq (argv [index], "-")) && !*file_p)
            *file_p = argv [index];
        else
            bad = true;
    }
    return !bad && *file_p && *hub_key_p;
}

int
cli_doc_write (const char *text, const char *file)
{
    if (!file) {
        printf ("%s\n", text);
        return 0;
    }
    FILE *out = fopen (file, "w");
    if (!out || fprintf (out, "%s\n", text) < 0 || fclose (out)) {
        cli_error (file, strerror (errno));
        return 1;
    }
    return 0;
}

char *
cli_doc_read (const char *file, size_t max)
{
    zchunk_t *chunk = NULL;
    if (streq (file, "-")) {
        chunk = zchunk_new (NULL, 0);
        char buffer [4096];
        size_t size;
        while ((size = fread (buffer, 1, sizeof buffer, stdin)) > 0 && zchunk_size (chunk) < max)
            zchunk_extend (chunk, buffer, size);
    }
    else {
        zfile_t *handle = zfile_new (NULL, file);
        if (handle && zfile_input (handle) == 0)
            chunk = zfile_read (handle, max, 0);
        zfile_destroy (&handle);
    }
    if (!chunk) {
        cli_error (file, "cannot read it");
        return NULL;
    }
    char *text = zchunk_strdup (chunk);
    zchunk_destroy (&chunk);
    return text;
}
