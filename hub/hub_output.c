/*  =========================================================================
    hub_output - the output hash: what two runs of a task are compared by

    DESIGN
    One line per part of the result, strings length-prefixed, the first
    naming the text (fogrid-output/1), so no two results share a text and
    a later change of the rule cannot pass for this one. stdout counts by
    the miner's SHA-256 of all of it (the hub keeps only a bounded start);
    stderr and the files by what the result carries, truncation marked.
    =========================================================================  */
#include "fogrid.h"
#include "hub_output.h"
#include <sodium.h>

static void
s_sha256_hex (const void *data, size_t size, char *hex)
{
    unsigned char digest [crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (digest, (const unsigned char *) data, size);
    sodium_bin2hex (hex, 65, digest, sizeof digest);
}

static bool
s_hex64 (const char *text)
{
    if (!text || strlen (text) != 64)
        return false;
    for (size_t index = 0; index < 64; index++)
        if (!strchr ("0123456789abcdef", text [index]))
            return false;
    return true;
}

//  True when the file at path is compared: compare is empty, or names it
//  or a directory it is in
static bool
s_compared (const Fogrid__TaskSpec *spec, const char *path)
{
    if (!spec || spec->n_compare == 0)
        return true;
    for (size_t index = 0; index < spec->n_compare; index++) {
        const char *want = spec->compare [index];
        while (*want == '/')
            want++;
        size_t length = strlen (want);
        while (length && want [length - 1] == '/')
            length--;
        if (strncmp (path, want, length) == 0 && (path [length] == 0 || path [length] == '/'))
            return true;
    }
    return false;
}

static int
s_file_compare (const void *one, const void *two)
{
    return strcmp ((*(Fogrid__OutputFile * const *) one)->path,
                   (*(Fogrid__OutputFile * const *) two)->path);
}

void
hub_output_hash (const Fogrid__TaskSpec *spec, const Fogrid__TaskResult *result,
                       char *hex)
{
    *hex = 0;
    if (result->refused || (result->error && *result->error))
        return;
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init (&state);
    char line [2300], digest [65];
    //  One line per part; strings length-prefixed, so no two results share one
    snprintf (line, sizeof line, "fogrid-output/1\nexit %d signal %d timed_out %d\n",
              result->exit_code, result->term_signal, result->timed_out? 1: 0);
    crypto_hash_sha256_update (&state, (unsigned char *) line, strlen (line));
    if (s_hex64 (result->stdout_sha256))
        snprintf (digest, sizeof digest, "%s", result->stdout_sha256);
    else
        s_sha256_hex (result->stdout.data, result->stdout.len, digest);
    snprintf (line, sizeof line, "stdout %s\n", digest);
    crypto_hash_sha256_update (&state, (unsigned char *) line, strlen (line));
    s_sha256_hex (result->stderr.data, result->stderr.len, digest);
    snprintf (line, sizeof line, "stderr %s %d\n", digest, result->stderr_truncated? 1: 0);
    crypto_hash_sha256_update (&state, (unsigned char *) line, strlen (line));
    //  Files in path order: a miner may list them in any
    Fogrid__OutputFile **files = (Fogrid__OutputFile **)
        zmalloc (sizeof (Fogrid__OutputFile *) * (result->n_files + 1));
    size_t count = 0;
    for (size_t index = 0; index < result->n_files; index++)
        if (result->files [index]->path && s_compared (spec, result->files [index]->path))
            files [count++] = result->files [index];
    qsort (files, count, sizeof files [0], s_file_compare);
    for (size_t index = 0; index < count; index++) {
        Fogrid__OutputFile *file = files [index];
        s_sha256_hex (file->content.data, file->content.len, digest);
        snprintf (line, sizeof line, "file %zu:%.2048s %d %o %" PRIu64 " %d %s %zu:%.60s\n",
                  strlen (file->path), file->path, file->dir? 1: 0, file->mode,
                  file->size, file->truncated? 1: 0, digest,
                  strlen (file->error? file->error: ""), file->error? file->error: "");
        crypto_hash_sha256_update (&state, (unsigned char *) line, strlen (line));
    }
    free (files);
    unsigned char sum [crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final (&state, sum);
    sodium_bin2hex (hex, 65, sum, sizeof sum);
}
