/*  =========================================================================
    miner_docker - a small Docker Engine API client over the unix socket

    DESIGN
    Every call is one HTTP request on the client's curl easy handle, driven
    by a curl multi handle of the client's own rather than by
    curl_easy_perform: the multi's wait takes an extra descriptor, so the
    long calls (an image pull, waiting for a container) wake at once when
    the runner's actor pipe has something (a KILL, a $TERM) and can be
    given up without waiting for their timeout. The other calls are short
    and bounded by the client's timeout; they are never interrupted, so
    that a kill and a remove always complete, even on a $TERM.

    Paths are not versioned (/containers/create, not /v1.41/...): the
    engine then speaks its own current version, and every field used here
    has been in the API since 1.25 (Docker 1.13).

    The attach stream (miner_docker_attach.h) has a handle of its own, as
    it stays open while the client makes other calls; what a container
    prints, framed, is read by miner_docker_output.h.
    =========================================================================  */
#include "fogrid.h"
#include "miner_docker.h"
#include <ctype.h>
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>

#define S_DEFAULT_TIMEOUT_MS    30000
#define S_DEFAULT_PULL_MS       600000
#define S_MAX_REPLY             (4 * 1024 * 1024)
#define S_TICK_MS               100
#define S_DEFAULT_LOG_MAX       (1024 * 1024)

struct _miner_docker_t {
    char *socket;               //  path of the engine's unix socket
    int timeout_ms;             //  bound of each short call
    CURL *curl;                 //  the handle of every call
    CURLM *multi;               //  drives it (see DESIGN)
    char curl_error [CURL_ERROR_SIZE];  //  curl's detail of a failure
    char error [1024];          //  why the last call failed, "" if it did not
    long status;                //  HTTP status of the last reply
    CURLcode result;            //  how its transfer ended
    bool interrupted;           //  the last call was given up
    char *body;                 //  the last reply's body, NUL-terminated
    size_t body_size;           //  its length
    bool body_overflow;         //  the reply was over S_MAX_REPLY
    miner_docker_sink_fn *sink; //  logs, archives: a 2xx body goes here instead
    void *sink_arg;             //  its argument
    int interrupt_fd;           //  wakes the long calls, -1 = none
    miner_docker_interrupt_fn *interrupt_fn;    //  true = give up
    void *interrupt_arg;        //  its argument
};

static pthread_once_t s_curl_once = PTHREAD_ONCE_INIT;

static void
s_curl_init (void)
{
    curl_global_init (CURL_GLOBAL_DEFAULT);
}

//  The logs' sink: the body is the framed output
static bool
s_output_sink (void *arg, const byte *data, size_t size)
{
    miner_docker_output_feed ((miner_docker_output_t *) arg, data, size);
    return true;
}

//  --------------------------------------------------------------------------
//  Requests

static size_t
s_on_body (char *data, size_t size, size_t count, void *arg)
{
    miner_docker_t *self = (miner_docker_t *) arg;
    size_t bytes = size * count;
    if (self->sink && self->status / 100 == 2)
        return self->sink (self->sink_arg, (const byte *) data, bytes)? bytes: 0;
    if (self->body_size + bytes > S_MAX_REPLY) {
        self->body_overflow = true;
        return 0;               //  ends the transfer
    }
    self->body = (char *) realloc (self->body, self->body_size + bytes + 1);
    memcpy (self->body + self->body_size, data, bytes);
    self->body_size += bytes;
    self->body [self->body_size] = 0;
    return bytes;
}

//  The status line comes before the body: the sink must know it
static size_t
s_on_header (char *data, size_t size, size_t count, void *arg)
{
    miner_docker_t *self = (miner_docker_t *) arg;
    curl_easy_getinfo (self->curl, CURLINFO_RESPONSE_CODE, &self->status);
    (void) data;
    return size * count;
}

//  The engine's "message" from an error reply, else the body's start.
static void
s_engine_message (miner_docker_t *self, char *buf, size_t size)
{
    json_t *reply = self->body? json_loads (self->body, 0, NULL): NULL;
    const char *message = json_string_value (json_object_get (reply, "message"));
    if (message)
        snprintf (buf, size, "%s", message);
    else
        snprintf (buf, size, "%.200s", self->body? self->body: "(no message)");
    json_decref (reply);
    buf [strcspn (buf, "\r\n")] = 0;
}

//  Makes one request: method, path (already escaped), JSON body or NULL,
//  timeout_ms (0 = the client's). Returns 0 when a reply came (whatever
//  its status, see self->status), -1 when none did.
static int
s_request (miner_docker_t *self, const char *method, const char *path, json_t *body,
           int timeout_ms, bool interruptible)
{
    self->error [0] = 0;
    self->curl_error [0] = 0;
    self->status = 0;
    self->result = CURLE_OK;
    self->interrupted = false;
    self->body_overflow = false;
    free (self->body);
    self->body = NULL;
    self->body_size = 0;

    char *url = zsys_sprintf ("http://docker%s", path);
    char *text = body? json_dumps (body, JSON_COMPACT): NULL;
    struct curl_slist *headers = NULL;
    if (text)
        headers = curl_slist_append (headers, "Content-Type: application/json");

    CURL *curl = self->curl;
    curl_easy_reset (curl);
    curl_easy_setopt (curl, CURLOPT_UNIX_SOCKET_PATH, self->socket);
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, method);
    if (streq (method, "POST")) {
        curl_easy_setopt (curl, CURLOPT_POST, 1L);
        curl_easy_setopt (curl, CURLOPT_POSTFIELDS, text? text: "");
        curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE, (long) (text? strlen (text): 0));
    }
    curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, self);
    curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, s_on_header);
    curl_easy_setopt (curl, CURLOPT_HEADERDATA, self);
    curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, self->curl_error);
    curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT_MS, (long) self->timeout_ms);
    curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, (long) (timeout_ms? timeout_ms: self->timeout_ms));

    CURLcode result = CURLE_OK;
    bool done = false;
    curl_multi_add_handle (self->multi, curl);
    while (!done) {
        int running = 0;
        curl_multi_perform (self->multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read (self->multi, &left)))
            if (msg->msg == CURLMSG_DONE && msg->easy_handle == curl) {
                result = msg->data.result;
                done = true;
            }
        if (done)
            break;
        if (interruptible && self->interrupt_fn && self->interrupt_fn (self->interrupt_arg)) {
            self->interrupted = true;
            break;
        }
        struct curl_waitfd extra = { self->interrupt_fd, CURL_WAIT_POLLIN, 0 };
        bool with_fd = interruptible && self->interrupt_fd >= 0;
        curl_multi_wait (self->multi, with_fd? &extra: NULL, with_fd? 1: 0, S_TICK_MS, NULL);
    }
    curl_multi_remove_handle (self->multi, curl);
    self->result = result;
    curl_slist_free_all (headers);
    free (text);
    zstr_free (&url);
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &self->status);

    if (self->interrupted) {
        snprintf (self->error, sizeof self->error, "interrupted");
        return -1;
    }
    if (self->body_overflow) {
        snprintf (self->error, sizeof self->error,
                  "the Docker engine's answer to %s %s is over %d bytes", method, path, S_MAX_REPLY);
        return -1;
    }
    if (result != CURLE_OK) {
        const char *what = result == CURLE_OPERATION_TIMEDOUT? "no answer in time"
                         : *self->curl_error? self->curl_error: curl_easy_strerror (result);
        if (self->status)
            snprintf (self->error, sizeof self->error, "Docker engine at %s, %s %s: %s",
                      self->socket, method, path, what);
        else
            snprintf (self->error, sizeof self->error, "cannot reach the Docker engine at %s: %s",
                      self->socket, what);
        return -1;
    }
    return 0;
}

//  A reply with status 2xx; otherwise -1 with the engine's message.
static int
s_expect_ok (miner_docker_t *self, const char *what)
{
    if (self->status / 100 == 2)
        return 0;
    char message [512];
    s_engine_message (self, message, sizeof message);
    snprintf (self->error, sizeof self->error, "%s%s%s (HTTP %ld)", what, *what? ": ": "",
              message, self->status);
    return -1;
}

static json_t *
s_reply_json (miner_docker_t *self, const char *what)
{
    json_error_t json_error;
    json_t *reply = self->body? json_loads (self->body, 0, &json_error): NULL;
    if (!reply)
        snprintf (self->error, sizeof self->error, "%s: the engine's answer is not JSON", what);
    return reply;
}

//  --------------------------------------------------------------------------
//  Public API

void
miner_docker_global_init (void)
{
    pthread_once (&s_curl_once, s_curl_init);
}

void
miner_docker_global_end (void)
{
    curl_global_cleanup ();
}

miner_docker_t *
miner_docker_new (const char *socket_path, int timeout_ms)
{
    pthread_once (&s_curl_once, s_curl_init);
    miner_docker_t *self = (miner_docker_t *) zmalloc (sizeof (miner_docker_t));
    self->socket = strdup (socket_path && *socket_path? socket_path: MINER_DOCKER_SOCKET);
    self->timeout_ms = timeout_ms > 0? timeout_ms: S_DEFAULT_TIMEOUT_MS;
    self->curl = curl_easy_init ();
    self->multi = curl_multi_init ();
    self->interrupt_fd = -1;
    if (!self->curl || !self->multi)
        miner_docker_destroy (&self);
    return self;
}

void
miner_docker_destroy (miner_docker_t **self_p)
{
    if (*self_p) {
        miner_docker_t *self = *self_p;
        if (self->multi)
            curl_multi_cleanup (self->multi);
        if (self->curl)
            curl_easy_cleanup (self->curl);
        free (self->body);
        free (self->socket);
        free (self);
        *self_p = NULL;
    }
}

const char *
miner_docker_error (miner_docker_t *self)
{
    return self->error;
}

long
miner_docker_status (miner_docker_t *self)
{
    return self->status;
}

int
miner_docker_timeout_ms (miner_docker_t *self)
{
    return self->timeout_ms;
}

void
miner_docker_set_error (miner_docker_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (self->error, sizeof self->error, format, args);
    va_end (args);
}

const char *
miner_docker_socket (miner_docker_t *self)
{
    return self->socket;
}

void
miner_docker_set_interrupt (miner_docker_t *self, int fd, miner_docker_interrupt_fn *fn, void *arg)
{
    self->interrupt_fd = fd;
    self->interrupt_fn = fn;
    self->interrupt_arg = arg;
}

bool
miner_docker_interrupted (miner_docker_t *self)
{
    return self->interrupted;
}

int
miner_docker_ping (miner_docker_t *self)
{
    if (s_request (self, "GET", "/_ping", NULL, 0, false))
        return -1;
    return s_expect_ok (self, "ping");
}

int
miner_docker_version (miner_docker_t *self, char *buf, size_t size)
{
    if (s_request (self, "GET", "/version", NULL, 0, false) || s_expect_ok (self, "version"))
        return -1;
    json_t *reply = s_reply_json (self, "version");
    if (!reply)
        return -1;
    const char *version = json_string_value (json_object_get (reply, "Version"));
    const char *api = json_string_value (json_object_get (reply, "ApiVersion"));
    snprintf (buf, size, "%s (API %s)", version? version: "?", api? api: "?");
    json_decref (reply);
    return 0;
}

bool
miner_docker_image_valid (const char *image)
{
    size_t len = image? strlen (image): 0;
    if (len == 0 || len > 255 || !isalnum ((unsigned char) image [0]))
        return false;
    for (const char *c = image; *c; c++)
        if (!(isalnum ((unsigned char) *c) || strchr ("._/:@-", *c)))
            return false;
    return true;
}

int
miner_docker_image_present (miner_docker_t *self, const char *image)
{
    if (!miner_docker_image_valid (image)) {
        snprintf (self->error, sizeof self->error, "'%.64s' is not a valid image name", image);
        return -1;
    }
    char path [400];
    snprintf (path, sizeof path, "/images/%s/json", image);
    if (s_request (self, "GET", path, NULL, 0, false))
        return -1;
    if (self->status == 404)
        return 0;
    return s_expect_ok (self, "image inspect")? -1: 1;
}

int
miner_docker_image_pull (miner_docker_t *self, const char *image, int timeout_ms)
{
    if (!miner_docker_image_valid (image)) {
        snprintf (self->error, sizeof self->error, "'%.64s' is not a valid image name", image);
        return -1;
    }
    char *escaped = curl_easy_escape (self->curl, image, 0);
    char path [1000];
    snprintf (path, sizeof path, "/images/create?fromImage=%s", escaped);
    curl_free (escaped);
    if (s_request (self, "POST", path, NULL, timeout_ms > 0? timeout_ms: S_DEFAULT_PULL_MS, true)
    ||  s_expect_ok (self, ""))        //  the caller names the pull
        return -1;
    //  A 200 is a stream of JSON progress lines; a failure is a line with "error"
    int rc = 0;
    char *line = self->body;
    while (line && *line && rc == 0) {
        char *end = strchr (line, '\n');
        if (end)
            *end = 0;
        json_t *event = json_loads (line, 0, NULL);
        const char *error = json_string_value (json_object_get (event, "error"));
        if (error) {
            snprintf (self->error, sizeof self->error, "%s", error);
            rc = -1;
        }
        json_decref (event);
        line = end? end + 1: NULL;
    }
    return rc;
}

//  The Engine API takes JSON, which holds UTF-8 only: jansson refuses a
//  string of other bytes, and an argument left out of the request would
//  run a command other than the one asked for. Returns 0, or -1 saying
//  which string in self->error.
static int
s_spec_utf8 (miner_docker_t *self, const miner_docker_spec_t *spec)
{
    const char *why = NULL;
    size_t which = 0;
    for (size_t index = 0; !why && index < spec->argc; index++)
        if (!fg_utf8_valid (spec->argv [index])) {
            why = "argument";
            which = index + 1;
        }
    for (size_t index = 0; !why && index < spec->envc; index++)
        if (!fg_utf8_valid (spec->env [index])) {
            why = "env entry";
            which = index + 1;
        }
    const char *names [] = { spec->image, spec->miner_id, spec->task_ref, spec->service,
                             spec->host_ip };
    for (size_t index = 0; !why && index < sizeof names / sizeof names [0]; index++)
        if (names [index] && !fg_utf8_valid (names [index]))
            why = index == 0? "the image name": "a name";
    if (!why)
        return 0;
    if (which)
        snprintf (self->error, sizeof self->error, "create: %s %zu is not UTF-8, which the "
                  "docker runtime needs (the Engine API speaks JSON)", why, which);
    else
        snprintf (self->error, sizeof self->error, "create: %s is not UTF-8, which the "
                  "docker runtime needs (the Engine API speaks JSON)", why);
    return -1;
}

int
miner_docker_create (miner_docker_t *self, const miner_docker_spec_t *spec, char *id, size_t size)
{
    if (s_spec_utf8 (self, spec))
        return -1;
    json_t *body = json_object ();
    json_object_set_new (body, "Image", json_string (spec->image));
    if (spec->argc) {
        json_t *cmd = json_array ();
        for (size_t index = 0; index < spec->argc; index++)
            json_array_append_new (cmd, json_string (spec->argv [index]));
        json_object_set_new (body, "Cmd", cmd);
    }
    json_t *env = json_array ();
    for (size_t index = 0; index < spec->envc; index++)
        json_array_append_new (env, json_string (spec->env [index]));
    json_object_set_new (body, "Env", env);
    json_t *labels = json_object ();
    if (spec->miner_id)
        json_object_set_new (labels, MINER_DOCKER_LABEL_MINER, json_string (spec->miner_id));
    if (spec->task_ref)
        json_object_set_new (labels, MINER_DOCKER_LABEL_TASK, json_string (spec->task_ref));
    if (spec->service)
        json_object_set_new (labels, MINER_DOCKER_LABEL_SERVICE, json_string (spec->service));
    json_object_set_new (body, "Labels", labels);
    char port_key [16] = "";
    if (spec->port) {
        snprintf (port_key, sizeof port_key, "%u/tcp", spec->port);
        json_object_set_new (body, "ExposedPorts", json_pack ("{s:{}}", port_key));
    }
    json_object_set_new (body, "Tty", json_false ());
    json_object_set_new (body, "OpenStdin", json_false ());
    json_object_set_new (body, "AttachStdin", json_false ());
    json_object_set_new (body, "AttachStdout", json_true ());
    json_object_set_new (body, "AttachStderr", json_true ());
    if (!spec->network)
        json_object_set_new (body, "NetworkDisabled", json_true ());

    json_t *host = json_object ();
    if (spec->cores > 0)
        json_object_set_new (host, "NanoCpus", json_integer ((json_int_t) (spec->cores * 1e9)));
    if (spec->mem_mb) {
        json_int_t bytes = (json_int_t) spec->mem_mb * 1024 * 1024;
        json_object_set_new (host, "Memory", json_integer (bytes));
        json_object_set_new (host, "MemorySwap", json_integer (bytes));
    }
    if (spec->pids_limit > 0)
        json_object_set_new (host, "PidsLimit", json_integer (spec->pids_limit));
    json_object_set_new (host, "Privileged", json_false ());
    json_object_set_new (host, "CapDrop", json_pack ("[s]", "ALL"));
    json_object_set_new (host, "SecurityOpt", json_pack ("[s]", "no-new-privileges"));
    json_object_set_new (host, "ReadonlyRootfs", json_boolean (spec->readonly_rootfs));
    if (spec->readonly_rootfs)      //  somewhere to write all the same, in its memory
        json_object_set_new (host, "Tmpfs", json_pack ("{s:s}", "/tmp", "rw,nosuid,nodev,size=64m"));
    json_object_set_new (host, "NetworkMode", json_string (spec->network? "bridge": "none"));
    if (spec->port)             //  HostPort "": the engine picks a free one
        json_object_set_new (host, "PortBindings",
                             json_pack ("{s:[{s:s, s:s}]}", port_key, "HostIp",
                                        spec->host_ip? spec->host_ip: "", "HostPort", ""));
    char log_max [32];
    snprintf (log_max, sizeof log_max, "%zu", spec->log_max? spec->log_max: S_DEFAULT_LOG_MAX);
    json_object_set_new (host, "LogConfig",
                         json_pack ("{s:s, s:{s:s, s:s}}", "Type", "json-file", "Config",
                                    "max-size", log_max, "max-file", "1"));
    json_object_set_new (body, "HostConfig", host);

    int rc = s_request (self, "POST", "/containers/create", body, 0, false);
    json_decref (body);
    if (rc || s_expect_ok (self, "create"))
        return -1;
    json_t *reply = s_reply_json (self, "create");
    const char *created = json_string_value (json_object_get (reply, "Id"));
    if (!created || !*created || strlen (created) >= size) {
        if (reply)
            snprintf (self->error, sizeof self->error, "create: the engine gave no container id");
        json_decref (reply);
        return -1;
    }
    snprintf (id, size, "%s", created);
    json_decref (reply);
    return 0;
}

//  Container ids come from the engine (hex), but may be names from a caller
bool
miner_docker_id_valid (miner_docker_t *self, const char *id)
{
    bool valid = id && *id && strlen (id) < 128;
    for (const char *c = id; valid && *c; c++)
        valid = isalnum ((unsigned char) *c) || strchr ("_.-", *c);
    if (!valid)
        snprintf (self->error, sizeof self->error, "'%.64s' is not a container id", id? id: "");
    return valid;
}

int
miner_docker_start (miner_docker_t *self, const char *id)
{
    if (!miner_docker_id_valid (self, id))
        return -1;
    char path [256];
    snprintf (path, sizeof path, "/containers/%s/start", id);
    if (s_request (self, "POST", path, NULL, 0, false))
        return -1;
    return s_expect_ok (self, "start");
}

int
miner_docker_kill (miner_docker_t *self, const char *id, int signal)
{
    if (!miner_docker_id_valid (self, id))
        return -1;
    char path [256];
    snprintf (path, sizeof path, "/containers/%s/kill?signal=%d", id, signal);
    if (s_request (self, "POST", path, NULL, 0, false))
        return -1;
    if (self->status == 404 || self->status == 409)    //  gone, or not running
        return 0;
    return s_expect_ok (self, "kill");
}

int
miner_docker_remove (miner_docker_t *self, const char *id)
{
    if (!miner_docker_id_valid (self, id))
        return -1;
    char path [256];
    snprintf (path, sizeof path, "/containers/%s?force=1&v=1", id);
    if (s_request (self, "DELETE", path, NULL, 0, false))
        return -1;
    if (self->status == 404)
        return 0;
    //  409 "removal already in progress": the engine finishes it
    if (self->status == 409 && self->body && strstr (self->body, "already in progress"))
        return 0;
    return s_expect_ok (self, "remove");
}

int
miner_docker_wait (miner_docker_t *self, const char *id, int timeout_ms, int64_t *exit_code)
{
    if (!miner_docker_id_valid (self, id))
        return -1;
    char path [256];
    snprintf (path, sizeof path, "/containers/%s/wait?condition=not-running", id);
    if (s_request (self, "POST", path, NULL, timeout_ms > 0? timeout_ms: 1, true)) {
        //  The engine sends its headers at once, the body when the container stops
        if (!self->interrupted && self->result == CURLE_OPERATION_TIMEDOUT) {
            self->error [0] = 0;
            return 1;
        }
        return -1;
    }
    if (s_expect_ok (self, "wait"))
        return -1;
    json_t *reply = s_reply_json (self, "wait");
    if (!reply)
        return -1;
    *exit_code = json_integer_value (json_object_get (reply, "StatusCode"));
    json_decref (reply);
    return 0;
}

int
miner_docker_inspect (miner_docker_t *self, const char *id, miner_docker_state_t *state)
{
    memset (state, 0, sizeof *state);
    if (!miner_docker_id_valid (self, id))
        return -1;
    char path [256];
    snprintf (path, sizeof path, "/containers/%s/json", id);
    if (s_request (self, "GET", path, NULL, 0, false) || s_expect_ok (self, "inspect"))
        return -1;
    json_t *reply = s_reply_json (self, "inspect");
    if (!reply)
        return -1;
    json_t *json_state = json_object_get (reply, "State");
    const char *status = json_string_value (json_object_get (json_state, "Status"));
    const char *error = json_string_value (json_object_get (json_state, "Error"));
    snprintf (state->status, sizeof state->status, "%s", status? status: "?");
    snprintf (state->error, sizeof state->error, "%s", error? error: "");
    state->running = json_is_true (json_object_get (json_state, "Running"));
    state->oom_killed = json_is_true (json_object_get (json_state, "OOMKilled"));
    state->exit_code = json_integer_value (json_object_get (json_state, "ExitCode"));
    const char *workdir = json_string_value (json_object_get (json_object_get (reply, "Config"),
                                                              "WorkingDir"));
    snprintf (state->working_dir, sizeof state->working_dir, "%s",
              workdir && *workdir == '/'? workdir: "/");
    json_decref (reply);
    return 0;
}

int
miner_docker_port (miner_docker_t *self, const char *id, uint16_t port, uint16_t *host_port,
                   char *ip, size_t ip_size)
{
    if (!miner_docker_id_valid (self, id))
        return -1;
    char path [256];
    snprintf (path, sizeof path, "/containers/%s/json", id);
    if (s_request (self, "GET", path, NULL, 0, false) || s_expect_ok (self, "inspect"))
        return -1;
    json_t *reply = s_reply_json (self, "inspect");
    if (!reply)
        return -1;
    json_t *settings = json_object_get (reply, "NetworkSettings");
    char key [16];
    snprintf (key, sizeof key, "%u/tcp", port);
    //  Ports: {"5555/tcp": [{"HostIp": "127.0.0.1", "HostPort": "49153"}, ...]}
    json_t *bindings = json_object_get (json_object_get (settings, "Ports"), key);
    const char *published = json_string_value (json_object_get (json_array_get (bindings, 0),
                                                                "HostPort"));
    const char *address = json_string_value (json_object_get (settings, "IPAddress"));
    int number = published? atoi (published): 0;
    int rc = 0;
    if (number <= 0 || number > 65535) {
        snprintf (self->error, sizeof self->error, "port %s of container %.12s is not published",
                  key, id);
        rc = -1;
    }
    else {
        *host_port = (uint16_t) number;
        snprintf (ip, ip_size, "%s", address? address: "");
    }
    json_decref (reply);
    return rc;
}

zhashx_t *
miner_docker_image_labels (miner_docker_t *self, const char *image)
{
    if (!miner_docker_image_valid (image)) {
        snprintf (self->error, sizeof self->error, "'%.64s' is not a valid image name", image);
        return NULL;
    }
    char path [400];
    snprintf (path, sizeof path, "/images/%s/json", image);
    if (s_request (self, "GET", path, NULL, 0, false) || s_expect_ok (self, "image inspect"))
        return NULL;
    json_t *reply = s_reply_json (self, "image inspect");
    if (!reply)
        return NULL;
    zhashx_t *labels = zhashx_new ();
    zhashx_set_destructor (labels, (zhashx_destructor_fn *) zstr_free);
    zhashx_set_duplicator (labels, (zhashx_duplicator_fn *) strdup);
    const char *key;
    json_t *value;
    json_object_foreach (json_object_get (json_object_get (reply, "Config"), "Labels"), key, value)
        if (json_is_string (value))
            zhashx_insert (labels, key, (void *) json_string_value (value));
    json_decref (reply);
    return labels;
}

zlist_t *
miner_docker_list (miner_docker_t *self, const char *label)
{
    json_t *filters = json_pack ("{s:[s]}", "label", label);
    char *text = json_dumps (filters, JSON_COMPACT);
    json_decref (filters);
    char *escaped = curl_easy_escape (self->curl, text, 0);
    free (text);
    char path [1024];
    snprintf (path, sizeof path, "/containers/json?all=1&filters=%s", escaped);
    curl_free (escaped);
    if (s_request (self, "GET", path, NULL, 0, false) || s_expect_ok (self, "list"))
        return NULL;
    json_t *reply = s_reply_json (self, "list");
    if (!json_is_array (reply)) {
        json_decref (reply);
        return NULL;
    }
    zlist_t *ids = zlist_new ();
    zlist_autofree (ids);
    size_t index;
    json_t *item;
    json_array_foreach (reply, index, item) {
        const char *id = json_string_value (json_object_get (item, "Id"));
        if (id)
            zlist_append (ids, (void *) id);
    }
    json_decref (reply);
    return ids;
}

int
miner_docker_logs (miner_docker_t *self, const char *id, miner_docker_output_t *output)
{
    if (!miner_docker_id_valid (self, id))
        return -1;
    char path [256];
    snprintf (path, sizeof path, "/containers/%s/logs?stdout=1&stderr=1", id);
    self->sink = s_output_sink;
    self->sink_arg = output;
    int rc = s_request (self, "GET", path, NULL, 0, false);
    self->sink = NULL;
    if (rc)
        return -1;
    return s_expect_ok (self, "logs");
}

int
miner_docker_archive (miner_docker_t *self, const char *id, const char *path,
                      miner_docker_sink_fn *sink, void *arg)
{
    if (!miner_docker_id_valid (self, id))
        return -1;
    if (!path || *path != '/' || strlen (path) > 2100) {
        snprintf (self->error, sizeof self->error, "archive: '%.64s' is not an absolute path",
                  path? path: "");
        return -1;
    }
    char *escaped = curl_easy_escape (self->curl, path, 0);
    char *request = zsys_sprintf ("/containers/%s/archive?path=%s", id, escaped);
    curl_free (escaped);
    self->sink = sink;
    self->sink_arg = arg;
    int rc = s_request (self, "GET", request, NULL, 0, false);
    self->sink = NULL;
    zstr_free (&request);
    //  The sink ended it: what it wanted has come
    if (rc && self->result == CURLE_WRITE_ERROR && self->status / 100 == 2) {
        self->error [0] = 0;
        return 1;
    }
    if (rc)
        return -1;
    return s_expect_ok (self, "archive");
}

//  A counter of the stats' JSON, 0 when absent.
static uint64_t
s_stat (json_t *object, const char *key)
{
    json_int_t value = json_integer_value (json_object_get (object, key));
    return value > 0? (uint64_t) value: 0;
}

int
miner_docker_stats (miner_docker_t *self, const char *id, miner_docker_stats_t *stats)
{
    memset (stats, 0, sizeof *stats);
    if (!miner_docker_id_valid (self, id))
        return -1;
    char path [256];
    //  one-shot: one sample now, not two a second apart (API 1.41; an
    //  older engine ignores it and answers a second later)
    snprintf (path, sizeof path, "/containers/%s/stats?stream=false&one-shot=true", id);
    if (s_request (self, "GET", path, NULL, 0, false) || s_expect_ok (self, "stats"))
        return -1;
    json_t *reply = s_reply_json (self, "stats");
    if (!reply)
        return -1;
    json_t *memory = json_object_get (reply, "memory_stats");
    json_t *cpu = json_object_get (json_object_get (reply, "cpu_stats"), "cpu_usage");
    stats->cpu_ns = s_stat (cpu, "total_usage");
    stats->mem_bytes = s_stat (memory, "usage");
    stats->mem_max_bytes = s_stat (memory, "max_usage");
    stats->pids = (uint32_t) s_stat (json_object_get (reply, "pids_stats"), "current");
    //  A container that is not running has no cgroup left to read: the
    //  engine answers with every figure empty
    int rc = json_object_get (memory, "usage") || stats->cpu_ns? 0: 1;
    json_decref (reply);
    return rc;
}
