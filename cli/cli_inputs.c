/*  =========================================================================
    cli_inputs - the input files of `fogrid submit`
    =========================================================================  */
#include "fogrid.h"
#include "cli_inputs.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_MAX_INPUTS    256         //  the hub's bound (hub/hub_inputs.h)
#define S_MAX_NAME      1024

struct _cli_inputs_t {
    Fogrid__TaskInput *inputs [S_MAX_INPUTS];
    size_t count;
    size_t bytes;               //  content, in all
};

cli_inputs_t *
cli_inputs_new (void)
{
    return (cli_inputs_t *) zmalloc (sizeof (cli_inputs_t));
}

void
cli_inputs_destroy (cli_inputs_t **self_p)
{
    if (*self_p) {
        cli_inputs_t *self = *self_p;
        for (size_t index = 0; index < self->count; index++) {
            Fogrid__TaskInput *input = self->inputs [index];
            free (input->name);
            free (input->url);
            free (input->sha256);
            free (input->content.data);
            free (input);
        }
        free (self);
        *self_p = NULL;
    }
}

static Fogrid__TaskInput *
s_input_new (cli_inputs_t *self, const char *name, char *err, size_t err_size)
{
    if (self->count == S_MAX_INPUTS) {
        snprintf (err, err_size, "at most %d input files", S_MAX_INPUTS);
        return NULL;
    }
    if (!fg_path_relative_valid (name, S_MAX_NAME)) {
        snprintf (err, err_size, "'%.200s' is not a name an input may have: a relative path "
                  "with no empty, '.' or '..' part", name);
        return NULL;
    }
    for (size_t index = 0; index < self->count; index++)
        if (streq (self->inputs [index]->name, name)) {
            snprintf (err, err_size, "two inputs are named '%.200s'", name);
            return NULL;
        }
    Fogrid__TaskInput *input = (Fogrid__TaskInput *) zmalloc (sizeof *input);
    fogrid__task_input__init (input);
    input->name = strdup (name);
    input->url = strdup ("");
    input->sha256 = strdup ("");
    self->inputs [self->count++] = input;
    return input;
}

static void
s_hex_sha256 (const byte *data, size_t size, char **hex)
{
    byte digest [crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (digest, data, size);
    free (*hex);
    *hex = (char *) zmalloc (crypto_hash_sha256_BYTES * 2 + 1);
    sodium_bin2hex (*hex, crypto_hash_sha256_BYTES * 2 + 1, digest, sizeof digest);
}

static int
s_add_file (cli_inputs_t *self, const char *path, const char *name, mode_t mode, char *err,
            size_t err_size)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    struct stat info;
    if (fd < 0 || fstat (fd, &info)) {
        snprintf (err, err_size, "cannot read %.200s: %s", path, strerror (errno));
        if (fd >= 0)
            close (fd);
        return -1;
    }
    if (self->bytes + (size_t) info.st_size > CLI_INPUTS_MAX_BYTES) {
        snprintf (err, err_size, "%.200s: inputs would be over %d bytes, more than a submit "
                  "carries (and the hub takes at most hub/max_inputs); give larger ones with "
                  "--input-url", path, CLI_INPUTS_MAX_BYTES);
        close (fd);
        return -1;
    }
    Fogrid__TaskInput *input = s_input_new (self, name, err, err_size);
    if (!input) {
        close (fd);
        return -1;
    }
    byte *data = (byte *) zmalloc ((size_t) info.st_size + 1);
    size_t done = 0;
    while (done < (size_t) info.st_size) {
        ssize_t got = read (fd, data + done, (size_t) info.st_size - done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        done += (size_t) got;
    }
    close (fd);
    input->content.data = data;
    input->content.len = done;
    input->size = done;
    input->mode = (uint32_t) (mode & 0777);
    s_hex_sha256 (data, done, &input->sha256);
    self->bytes += done;
    return 0;
}

static int
s_add_dir (cli_inputs_t *self, const char *path, const char *name, char *err, size_t err_size)
{
    DIR *dir = opendir (path);
    if (!dir) {
        snprintf (err, err_size, "cannot read %.200s: %s", path, strerror (errno));
        return -1;
    }
    int rc = 0;
    struct dirent *entry;
    while (rc == 0 && (entry = readdir (dir))) {
        if (streq (entry->d_name, ".") || streq (entry->d_name, ".."))
            continue;
        char child [PATH_MAX], child_name [PATH_MAX];
        snprintf (child, sizeof child, "%s/%s", path, entry->d_name);
        snprintf (child_name, sizeof child_name, "%s/%s", name, entry->d_name);
        struct stat info;
        if (lstat (child, &info)) {
            snprintf (err, err_size, "cannot read %.200s: %s", child, strerror (errno));
            rc = -1;
        }
        else
        if (S_ISDIR (info.st_mode))
            rc = s_add_dir (self, child, child_name, err, err_size);
        else
        if (S_ISREG (info.st_mode))
            rc = s_add_file (self, child, child_name, info.st_mode, err, err_size);
        else {
            snprintf (err, err_size, "%.200s is %s: an input directory holds files and "
                      "directories only", child, S_ISLNK (info.st_mode)? "a symbolic link"
                                                                      : "a special file");
            rc = -1;
        }
    }
    closedir (dir);
    return rc;
}

int
cli_inputs_add (cli_inputs_t *self, const char *arg, char *err, size_t err_size)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s", arg);
    const char *name = NULL;
    struct stat info;
    //  FILE:NAME, unless the whole of it is a file's name
    char *colon = strrchr (path, ':');
    if (colon && stat (path, &info)) {
        *colon = 0;
        name = colon + 1;
    }
    if (stat (path, &info)) {
        snprintf (err, err_size, "cannot read %.200s: %s", path, strerror (errno));
        return -1;
    }
    char base [PATH_MAX];
    if (!name || !*name) {
        //  The last part of the path, without trailing slashes
        snprintf (base, sizeof base, "%s", path);
        size_t len = strlen (base);
        while (len > 1 && base [len - 1] == '/')
            base [--len] = 0;
        char *slash = strrchr (base, '/');
        name = slash? slash + 1: base;
    }
    if (S_ISDIR (info.st_mode))
        return s_add_dir (self, path, name, err, err_size);
    if (!S_ISREG (info.st_mode)) {
        snprintf (err, err_size, "%.200s is not a file or a directory", path);
        return -1;
    }
    return s_add_file (self, path, name, info.st_mode, err, err_size);
}

int
cli_inputs_add_url (cli_inputs_t *self, const char *arg, char *err, size_t err_size)
{
    //  URL:NAME:SHA256, from the right: a URL has colons of its own
    const char *last = strrchr (arg, ':');
    const char *middle = NULL;
    for (const char *at = last? last - 1: NULL; at && at >= arg; at--)
        if (*at == ':') {
            middle = at;
            break;
        }
    if (!middle || strlen (last + 1) != 64 || middle + 1 == last) {
        snprintf (err, err_size, "--input-url takes URL:NAME:SHA256 (the hex SHA-256 of what "
                  "the URL gives, e.g. from sha256sum)");
        return -1;
    }
    char name [PATH_MAX];
    snprintf (name, sizeof name, "%.*s", (int) (last - middle - 1), middle + 1);
    Fogrid__TaskInput *input = s_input_new (self, name, err, err_size);
    if (!input)
        return -1;
    free (input->url);
    input->url = strndup (arg, (size_t) (middle - arg));
    free (input->sha256);
    input->sha256 = strdup (last + 1);
    for (char *cursor = input->sha256; *cursor; cursor++)
        *cursor = (char) tolower (*cursor);
    input->mode = 0644;
    return 0;
}

void
cli_inputs_attach (cli_inputs_t *self, Fogrid__TaskSpec *spec)
{
    spec->n_inputs = self->count;
    spec->inputs = self->count? self->inputs: NULL;
}
