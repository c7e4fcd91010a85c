/*  =========================================================================
    fg_http - a small HTTP server for a daemon's own poll loop

    DESIGN
    Connections are capped and idle ones time out, so slow clients cannot
    pile up; request bodies are ignored (nothing here accepts input beyond
    the URL). Errors are JSON ({"error": "..."}) with the status that says
    what went wrong: 404 unknown path, 405 a method other than GET/HEAD;
    their text may quote the request, which need not be UTF-8, so it goes
    through fg_http_json_string (a 404 must not turn into a 500).

    The daemon's loop drives libmicrohttpd: through select()'s fd_sets
    while the process may hold no descriptor past FD_SETSIZE, otherwise
    through its epoll set (one descriptor to poll). select() cannot serve
    a connection whose descriptor is 1024 or more, and a hub with
    thousands of miners gives its HTTP clients such descriptors. epoll has
    one quirk in libmicrohttpd 0.9.75: its reads are edge-triggered, so a
    client that half-closes in the same instant as its last bytes of an
    unfinished request is closed only by the idle timeout (10 s), not at
    once; select() sees the end. Hence epoll only where it is needed.
    =========================================================================  */
#include "fogrid.h"
#include <microhttpd.h>
#include <curl/curl.h>
#include <pthread.h>
#include <arpa/inet.h>
#include <sys/select.h>
#include <sys/resource.h>

#define S_MAX_CONNECTIONS   64
#define S_IDLE_TIMEOUT_S    10

struct _fg_http_t {
    struct MHD_Daemon *daemon;
    const fg_http_route_t *routes;
    void *arg;
    int port;
    uint64_t requests;
    int epoll_fd;               //  what the daemon's loop polls, or -1 (select)
};

struct _fg_http_request_t {
    struct MHD_Connection *connection;
    const char *path;
    const char *rest;
    enum MHD_Result result;
    bool answered;
};

void
fg_http_ok (void *arg, fg_http_request_t *request)
{
    (void) arg;
    fg_http_reply (request, 200, "text/plain", "ok\n", 3);
}

const char *
fg_http_path (fg_http_request_t *request)
{
    return request->path;
}

const char *
fg_http_rest (fg_http_request_t *request)
{
    return request->rest;
}

const char *
fg_http_arg (fg_http_request_t *request, const char *name)
{
    return MHD_lookup_connection_value (request->connection, MHD_GET_ARGUMENT_KIND, name);
}

void
fg_http_reply (fg_http_request_t *request, unsigned status, const char *content_type,
               const char *body, size_t size)
{
    if (request->answered)
        return;
    struct MHD_Response *response =
        MHD_create_response_from_buffer (size, (void *) body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header (response, "Content-Type", content_type);
    MHD_add_response_header (response, "Cache-Control", "no-store");
    //  Everything served is read-only: any page may read it (the hub's
    //  dashboard reads the locator's service list from another port)
    MHD_add_response_header (response, "Access-Control-Allow-Origin", "*");
    request->result = MHD_queue_response (request->connection, status, response);
    MHD_destroy_response (response);
    request->answered = true;
}

void
fg_http_reply_json (fg_http_request_t *request, unsigned status, json_t *body)
{
    char *text = json_dumps (body, JSON_INDENT (2));
    json_decref (body);
    if (!text) {
        fg_http_reply_error (request, 500, "cannot encode the answer");
        return;
    }
    size_t length = strlen (text);
    text = (char *) realloc (text, length + 2);
    text [length++] = '\n';
    fg_http_reply (request, status, "application/json", text, length);
    free (text);
}

void
fg_http_reply_error (fg_http_request_t *request, unsigned status, const char *text)
{
    json_t *body = json_object ();
    json_object_set_new (body, "error", fg_http_json_string (text));
    fg_http_reply_json (request, status, body);
}

json_t *
fg_http_json_string (const char *text)
{
    json_t *string = json_string (text);
    if (string)
        return string;
    size_t size = strlen (text), used = 0;
    char *clean = (char *) malloc (size + 1);
    for (size_t at = 0; at < size;) {
        size_t length = fg_utf8_length ((const unsigned char *) text + at, size - at);
        if (length) {
            memcpy (clean + used, text + at, length);
            used += length;
            at += length;
        }
        else {
            clean [used++] = '?';
            at++;
        }
    }
    string = json_stringn (clean, used);
    free (clean);
    return string;
}

static enum MHD_Result
s_request (void *cls, struct MHD_Connection *connection, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size,
           void **request_state)
{
    (void) version;
    (void) upload_data;
    fg_http_t *self = (fg_http_t *) cls;
    //  The first call only announces the request (headers read)
    if (!*request_state) {
        *request_state = self;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0;      //  bodies are not for us: ignored
        return MHD_YES;
    }
    self->requests++;
    fg_http_request_t request = { .connection = connection, .path = url, .rest = "" };
    if (!streq (method, "GET") && !streq (method, "HEAD")) {
        fg_http_reply_error (&request, 405, "only GET is served here");
        return request.result;
    }
    for (const fg_http_route_t *route = self->routes; route->path; route++) {
        size_t length = strlen (route->path);
        if (route->prefix? strncmp (url, route->path, length) == 0: streq (url, route->path)) {
            request.rest = url + (route->prefix? length: strlen (url));
            route->handler (self->arg, &request);
            if (!request.answered)
                fg_http_reply_error (&request, 500, "the handler gave no answer");
            return request.result;
        }
    }
    char text [300];
    snprintf (text, sizeof text, "no such path: %.200s", url);
    fg_http_reply_error (&request, 404, text);
    return request.result;
}

//  libmicrohttpd's own messages (a client that broke off, a request it
//  could not parse) go to the daemon's log, not straight to stderr
static void
s_log (void *arg, const char *format, va_list args)
{
    (void) arg;
    char text [512];
    vsnprintf (text, sizeof text, format, args);
    size_t length = strlen (text);
    while (length && (text [length - 1] == '\n' || text [length - 1] == '\r'))
        text [--length] = 0;
    zsys_warning ("http: %s", text);
}

fg_http_t *
fg_http_new (const char *address, const fg_http_route_t *routes, void *arg,
             char *err, size_t err_size)
{
    char host [64];
    uint16_t port;
    if (fg_address_parse (address, host, sizeof host, &port)) {
        snprintf (err, err_size, "HTTP address '%s' is not like 127.0.0.1:7780", address);
        return NULL;
    }
    struct sockaddr_in where;
    memset (&where, 0, sizeof where);
    where.sin_family = AF_INET;
    where.sin_port = htons (port);
    inet_pton (AF_INET, host, &where.sin_addr);
    fg_http_t *self = (fg_http_t *) zmalloc (sizeof (fg_http_t));
    self->routes = routes;
    self->arg = arg;
    //  No thread flag: external select or epoll, driven by the daemon's loop
    struct rlimit files;
    bool many = getrlimit (RLIMIT_NOFILE, &files) == 0 && files.rlim_cur > FD_SETSIZE;
    self->daemon = MHD_start_daemon (MHD_USE_ERROR_LOG | (many? MHD_USE_EPOLL: 0), port,
                                     NULL, NULL,
                                     s_request, self,
                                     MHD_OPTION_EXTERNAL_LOGGER, s_log, NULL,
                                     MHD_OPTION_SOCK_ADDR, &where,
                                     MHD_OPTION_CONNECTION_LIMIT, (unsigned) S_MAX_CONNECTIONS,
                                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) S_IDLE_TIMEOUT_S,
                                     MHD_OPTION_END);
    if (!self->daemon) {
        snprintf (err, err_size, "cannot serve HTTP on %s: %s", address, strerror (errno));
        free (self);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (self->daemon,
                                                            MHD_DAEMON_INFO_BIND_PORT);
    self->port = info? info->port: port;
    info = many? MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_EPOLL_FD): NULL;
    self->epoll_fd = info? info->epoll_fd: -1;
    return self;
}

void
fg_http_destroy (fg_http_t **self_p)
{
    fg_http_t *self = *self_p;
    if (self) {
        MHD_stop_daemon (self->daemon);
        free (self);
        *self_p = NULL;
    }
}

int
fg_http_port (fg_http_t *self)
{
    return self->port;
}

uint64_t
fg_http_requests (fg_http_t *self)
{
    return self->requests;
}

size_t
fg_http_items (fg_http_t *self, zmq_pollitem_t *items, size_t max)
{
    if (self->epoll_fd >= 0 && max > 0) {
        items [0] = (zmq_pollitem_t) { NULL, self->epoll_fd, ZMQ_POLLIN, 0 };
        return 1;
    }
    fd_set reads, writes, errors;
    FD_ZERO (&reads);
    FD_ZERO (&writes);
    FD_ZERO (&errors);
    MHD_socket top = 0;
    if (MHD_get_fdset (self->daemon, &reads, &writes, &errors, &top) != MHD_YES)
        return 0;
    size_t count = 0;
    for (MHD_socket fd = 0; fd <= top && count < max; fd++) {
        short events = (FD_ISSET (fd, &reads)? ZMQ_POLLIN: 0)
                     | (FD_ISSET (fd, &writes)? ZMQ_POLLOUT: 0);
        if (events)
            items [count++] = (zmq_pollitem_t) { NULL, fd, events, 0 };
    }
    return count;
}

int64_t
fg_http_timeout (fg_http_t *self)
{
    MHD_UNSIGNED_LONG_LONG timeout;
    if (MHD_get_timeout (self->daemon, &timeout) != MHD_YES)
        return -1;
    return timeout > INT64_MAX? INT64_MAX: (int64_t) timeout;
}

void
fg_http_handle (fg_http_t *self)
{
    MHD_run (self->daemon);
}

//  --------------------------------------------------------------------------
//  The client side

#define S_MAX_BODY  (8 * 1024 * 1024)

static pthread_once_t s_curl_once = PTHREAD_ONCE_INIT;

static void
s_curl_init (void)
{
    curl_global_init (CURL_GLOBAL_DEFAULT);
}

static size_t
s_collect (char *data, size_t size, size_t count, void *arg)
{
    zchunk_t *body = (zchunk_t *) arg;
    if (zchunk_size (body) + size * count > S_MAX_BODY)
        return 0;                   //  no page of ours is that big: stop
    zchunk_extend (body, data, size * count);
    return size * count;
}

int
fg_http_get (const char *url, int timeout_ms, const char *agent, zchunk_t **body_p,
             char *err, size_t err_size)
{
    pthread_once (&s_curl_once, s_curl_init);
    CURL *curl = curl_easy_init ();
    if (!curl) {
        snprintf (err, err_size, "cannot make a curl handle");
        return -1;
    }
    zchunk_t *body = zchunk_new (NULL, 4096);
    char curl_error [CURL_ERROR_SIZE] = "";
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, (long) timeout_ms);
    curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT_MS, (long) timeout_ms);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_collect);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, body);
    curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, curl_error);
    curl_easy_setopt (curl, CURLOPT_USERAGENT, agent);
    CURLcode result = curl_easy_perform (curl);
    long status = 0;
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup (curl);
    int rc = 0;
    if (result != CURLE_OK) {
        snprintf (err, err_size, "GET %s: %s", url,
                  *curl_error? curl_error: curl_easy_strerror (result));
        rc = -1;
    }
    else
    if (status / 100 != 2) {
        //  The start of its body, printable, on one line
        char excerpt [201];
        size_t shown = zchunk_size (body) < 200? zchunk_size (body): 200;
        for (size_t index = 0; index < shown; index++) {
            char c = (char) zchunk_data (body) [index];
            excerpt [index] = c >= 0x20 && c < 0x7f? c: ' ';
        }
        excerpt [shown] = 0;
        snprintf (err, err_size, "GET %s: HTTP %ld%s%s", url, status, shown? ": ": "", excerpt);
        rc = -1;
    }
    if (rc == 0 && body_p)
        *body_p = body;
    else
        zchunk_destroy (&body);
    return rc;
}
