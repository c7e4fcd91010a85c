/*  =========================================================================
    miner_inputs - a task's input files, fetched, checked and put in place
    before it runs

    DESIGN
    Every input is held whole in memory and checked before any is
    written: a task either gets all of its inputs as the buyer hashed
    them or does not run. Inline inputs are bounded by the hub
    (hub/max_inputs); URLs by miner_inputs_bounds_t, in size (the fetch
    stops at the bound) and in time. Only http and https are fetched,
    redirects included. Names were checked by the hub, and are checked
    again here (a miner trusts no one's word on a path): relative, no
    '..', and written with O_NOFOLLOW | O_EXCL into a directory made for
    the task, which holds no link since nothing of the task ran yet.
    =========================================================================  */
#include "fogrid.h"
#include "miner_inputs.h"
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char *name;                 //  relative path
    byte *data;                 //  its bytes (owned)
    size_t size;
    uint32_t mode;              //  permission bits
} s_input_t;

struct _miner_inputs_t {
    s_input_t *inputs;          //  as the spec lists them
    size_t count;
};

//  A URL's body as it comes, cut at its bound
typedef struct {
    byte *data;
    size_t size;
    size_t max;
    bool over;                  //  more came than max
} s_body_t;

static size_t
s_on_body (char *data, size_t size, size_t count, void *arg)
{
    s_body_t *body = (s_body_t *) arg;
    size_t bytes = size * count;
    if (body->size + bytes > body->max) {
        body->over = true;
        return 0;               //  ends the transfer
    }
    body->data = (byte *) realloc (body->data, body->size + bytes + 1);
    memcpy (body->data + body->size, data, bytes);
    body->size += bytes;
    body->data [body->size] = 0;
    return bytes;
}

static int
s_fetch (const char *name, const char *url, size_t max, int timeout_s, s_input_t *input,
         char *err, size_t err_size)
{
    CURL *curl = curl_easy_init ();
    if (!curl) {
        snprintf (err, err_size, "input '%.100s': no HTTP client", name);
        return -1;
    }
    s_body_t body = { NULL, 0, max, false };
    char curl_error [CURL_ERROR_SIZE] = "";
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt (curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt (curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt (curl, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt (curl, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (curl, CURLOPT_TIMEOUT, (long) timeout_s);
    curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT, (long) (timeout_s < 30? timeout_s: 30));
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, curl_error);
    CURLcode result = curl_easy_perform (curl);
    curl_easy_cleanup (curl);
    if (body.over) {
        snprintf (err, err_size, "input '%.100s': %.200s gives more than the miner's bound "
                  "of %zu bytes", name, url, max);
        free (body.data);
        return -1;
    }
    if (result != CURLE_OK) {
        snprintf (err, err_size, "input '%.100s': could not fetch %.200s: %s", name, url,
                  *curl_error? curl_error: curl_easy_strerror (result));
        free (body.data);
        return -1;
    }
    input->data = body.data? body.data: (byte *) zmalloc (1);
    input->size = body.size;
    return 0;
}

static bool
s_hash_matches (const byte *data, size_t size, const char *expected, char *hex)
{
    byte digest [crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (digest, data, size);
    sodium_bin2hex (hex, crypto_hash_sha256_BYTES * 2 + 1, digest, sizeof digest);
    return streq (hex, expected);
}

miner_inputs_t *
miner_inputs_new (const Fogrid__TaskSpec *spec, const miner_inputs_bounds_t *bounds, char *err,
                  size_t err_size)
{
    size_t max = bounds && bounds->url_max_bytes? bounds->url_max_bytes
                                                : MINER_INPUTS_URL_BYTES;
    int timeout_s = bounds && bounds->url_timeout_s > 0? bounds->url_timeout_s
                                                       : MINER_INPUTS_URL_TIMEOUT_S;
    miner_inputs_t *self = (miner_inputs_t *) zmalloc (sizeof (miner_inputs_t));
    self->inputs = (s_input_t *) zmalloc (sizeof (s_input_t) * (spec->n_inputs + 1));
    for (size_t index = 0; index < spec->n_inputs; index++) {
        const Fogrid__TaskInput *given = spec->inputs [index];
        s_input_t *input = &self->inputs [self->count];
        if (!fg_path_relative_valid (given->name, 1024)) {
            snprintf (err, err_size, "input %zu: its name is not a relative path with no "
                      "'..' part", index + 1);
            goto failed;
        }
        if (*given->url) {
            if (s_fetch (given->name, given->url, max, timeout_s, input, err, err_size))
                goto failed;
            if (given->size && given->size != input->size) {
                snprintf (err, err_size, "input '%.100s': %.200s gave %zu bytes, not %" PRIu64,
                          given->name, given->url, input->size, given->size);
                free (input->data);
                goto failed;
            }
        }
        else {
            input->data = (byte *) zmalloc (given->content.len + 1);
            if (given->content.len)
                memcpy (input->data, given->content.data, given->content.len);
            input->size = given->content.len;
        }
        input->name = strdup (given->name);
        input->mode = given->mode? given->mode & 0777: 0644;
        self->count++;
        char hex [crypto_hash_sha256_BYTES * 2 + 1];
        if (!s_hash_matches (input->data, input->size, given->sha256, hex)) {
            snprintf (err, err_size, "input '%.100s' is corrupt: its SHA-256 is %s, not %.64s "
                      "as given; the task was not run", given->name, hex, given->sha256);
            goto failed;
        }
    }
    return self;
failed:
    miner_inputs_destroy (&self);
    return NULL;
}

void
miner_inputs_destroy (miner_inputs_t **self_p)
{
    if (*self_p) {
        miner_inputs_t *self = *self_p;
        for (size_t index = 0; index < self->count; index++) {
            free (self->inputs [index].name);
            free (self->inputs [index].data);
        }
        free (self->inputs);
        free (self);
        *self_p = NULL;
    }
}

int
miner_inputs_stage (const Fogrid__TaskSpec *spec, const miner_inputs_bounds_t *bounds,
                    const char *dir, bool chown_to, uid_t uid, gid_t gid, char *err,
                    size_t err_size)
{
    if (spec->n_inputs == 0)
        return 0;
    miner_inputs_t *inputs = miner_inputs_new (spec, bounds, err, err_size);
    int rc = inputs? miner_inputs_write (inputs, dir, chown_to, uid, gid, err, err_size): -1;
    miner_inputs_destroy (&inputs);
    return rc;
}

size_t
miner_inputs_size (miner_inputs_t *self)
{
    return self->count;
}

//  Makes the directories of name under dirfd, one at a time, never
//  through a link. Returns the descriptor of its parent, or -1.
static int
s_parent (int dirfd, const char *name, bool chown_to, uid_t uid, gid_t gid, const char **leaf)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s", name);
    int fd = dup (dirfd);
    char *part = path;
    char *slash;
    while (fd >= 0 && (slash = strchr (part, '/'))) {
        *slash = 0;
        if (mkdirat (fd, part, 0755) == 0 && chown_to)
            if (fchownat (fd, part, uid, gid, AT_SYMLINK_NOFOLLOW)) { /* kept as root's */ }
        int next = openat (fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close (fd);
        fd = next;
        part = slash + 1;
    }
    *leaf = name + (part - path);
    return fd;
}

int
miner_inputs_write (miner_inputs_t *self, const char *dir, bool chown_to, uid_t uid, gid_t gid,
                    char *err, size_t err_size)
{
    int dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dirfd < 0) {
        snprintf (err, err_size, "inputs: cannot open the work directory: %s", strerror (errno));
        return -1;
    }
    int rc = 0;
    for (size_t index = 0; index < self->count && rc == 0; index++) {
        s_input_t *input = &self->inputs [index];
        const char *leaf;
        int parent = s_parent (dirfd, input->name, chown_to, uid, gid, &leaf);
        int fd = parent < 0? -1: openat (parent, leaf,
                                         O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                         0600);
        size_t done = 0;
        while (fd >= 0 && done < input->size) {
            ssize_t wrote = write (fd, input->data + done, input->size - done);
            if (wrote < 0 && errno == EINTR)
                continue;
            if (wrote <= 0)
                break;
            done += (size_t) wrote;
        }
        if (fd < 0 || done < input->size || fchmod (fd, input->mode)
        ||  (chown_to && fchown (fd, uid, gid))) {
            snprintf (err, err_size, "input '%.100s': cannot write it in the work directory: %s",
                      input->name, strerror (errno));
            rc = -1;
        }
        if (fd >= 0)
            close (fd);
        if (parent >= 0)
            close (parent);
    }
    close (dirfd);
    return rc;
}

//  One ustar header; 0, or -1 when name does not fit.
static int
s_tar_header (byte *block, const char *name, char type, uint32_t mode, uint64_t size)
{
    memset (block, 0, 512);
    size_t length = strlen (name);
    const char *base = name;
    if (length > 100) {
        //  Split at a '/' into prefix (155) and name (100)
        const char *slash = strchr (name + (length > 101? length - 101: 0), '/');
        if (!slash || slash - name > 155 || strlen (slash + 1) > 100 || !slash [1])
            return -1;
        memcpy (block + 345, name, (size_t) (slash - name));
        base = slash + 1;
    }
    memcpy (block, base, strlen (base));
    snprintf ((char *) block + 100, 8, "%07o", mode & 07777);
    snprintf ((char *) block + 108, 8, "%07o", 0);
    snprintf ((char *) block + 116, 8, "%07o", 0);
    snprintf ((char *) block + 124, 12, "%011llo", (unsigned long long) size);
    snprintf ((char *) block + 136, 12, "%011llo", (unsigned long long) (fg_now_ms () / 1000));
    block [156] = (byte) type;
    memcpy (block + 257, "ustar", 6);
    memcpy (block + 263, "00", 2);
    memset (block + 148, ' ', 8);
    unsigned sum = 0;
    for (int index = 0; index < 512; index++)
        sum += block [index];
    snprintf ((char *) block + 148, 8, "%06o", sum);
    return 0;
}

zchunk_t *
miner_inputs_tar (miner_inputs_t *self, char *err, size_t err_size)
{
    zchunk_t *tar = zchunk_new (NULL, 0);
    zhashx_t *dirs = zhashx_new ();
    byte block [512];
    for (size_t index = 0; index < self->count; index++) {
        s_input_t *input = &self->inputs [index];
        //  Each directory once, before what it holds
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s", input->name);
        for (char *slash = strchr (path, '/'); slash; slash = strchr (slash + 1, '/')) {
            *slash = 0;
            if (zhashx_insert (dirs, path, (void *) 1) == 0) {
                char dir [PATH_MAX];
                snprintf (dir, sizeof dir, "%s/", path);
                if (s_tar_header (block, dir, '5', 0755, 0))
                    goto too_long;
                zchunk_extend (tar, block, 512);
            }
            *slash = '/';
        }
        if (s_tar_header (block, input->name, '0', input->mode, input->size))
            goto too_long;
        zchunk_extend (tar, block, 512);
        zchunk_extend (tar, input->data, input->size);
        memset (block, 0, sizeof block);
        if (input->size % 512)
            zchunk_extend (tar, block, 512 - input->size % 512);
        continue;
too_long:
        snprintf (err, err_size, "input '%.100s': its name is too long for a container's "
                  "archive", input->name);
        zhashx_destroy (&dirs);
        zchunk_destroy (&tar);
        return NULL;
    }
    memset (block, 0, sizeof block);
    zchunk_extend (tar, block, 512);
    zchunk_extend (tar, block, 512);
    zhashx_destroy (&dirs);
    return tar;
}

int
miner_inputs_put_container (miner_inputs_t *self, const char *socket_path, const char *id,
                            const char *dir, int timeout_ms, char *err, size_t err_size)
{
    if (self->count == 0)
        return 0;
    zchunk_t *tar = miner_inputs_tar (self, err, err_size);
    if (!tar)
        return -1;
    CURL *curl = curl_easy_init ();
    char *escaped = curl? curl_easy_escape (curl, dir, 0): NULL;
    char *url = zsys_sprintf ("http://docker/containers/%s/archive?path=%s", id,
                              escaped? escaped: "/");
    struct curl_slist *headers = curl_slist_append (NULL, "Content-Type: application/x-tar");
    s_body_t body = { NULL, 0, 64 * 1024, false };
    char curl_error [CURL_ERROR_SIZE] = "";
    CURLcode result = CURLE_FAILED_INIT;
    long status = 0;
    if (curl) {
        curl_easy_setopt (curl, CURLOPT_UNIX_SOCKET_PATH, socket_path);
        curl_easy_setopt (curl, CURLOPT_URL, url);
        curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, "PUT");
        curl_easy_setopt (curl, CURLOPT_POSTFIELDS, zchunk_data (tar));
        curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) zchunk_size (tar));
        curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_on_body);
        curl_easy_setopt (curl, CURLOPT_WRITEDATA, &body);
        curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, curl_error);
        curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, (long) (timeout_ms > 0? timeout_ms: 30000));
        result = curl_easy_perform (curl);
        curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
    }
    int rc = 0;
    if (result != CURLE_OK || status / 100 != 2) {
        snprintf (err, err_size, "inputs: the engine did not take them into the container "
                  "(HTTP %ld): %.200s", status, result != CURLE_OK
                  ? (*curl_error? curl_error: curl_easy_strerror (result))
                  : body.data? (char *) body.data: "");
        rc = -1;
    }
    free (body.data);
    curl_slist_free_all (headers);
    if (escaped)
        curl_free (escaped);
    zstr_free (&url);
    if (curl)
        curl_easy_cleanup (curl);
    zchunk_destroy (&tar);
    return rc;
}
