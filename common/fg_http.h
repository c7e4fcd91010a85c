/*  =========================================================================
    fg_http - a small HTTP server for a daemon's own poll loop

    Every daemon serves /healthz, /readyz, /metrics and some JSON over
    HTTP. libmicrohttpd runs in "external epoll" mode: the daemon's actor
    polls the server's sockets with its ZeroMQ sockets (fg_http_items) and
    calls fg_http_handle, so route handlers run on the actor's thread and
    read its state without locks. Routes are a table, matched in order by
    exact path or by prefix; only GET and HEAD are served. fg_http_get is
    the client side, for the few places that ask such a page.
    =========================================================================  */
#ifndef FG_HTTP_H_INCLUDED
#define FG_HTTP_H_INCLUDED

typedef struct _fg_http_t fg_http_t;
typedef struct _fg_http_request_t fg_http_request_t;

typedef void (fg_http_route_fn) (void *arg, fg_http_request_t *request);

typedef struct {
    const char *path;           //  "/metrics", or "/v1/services/" with prefix
    bool prefix;                //  path is a prefix: the rest is fg_http_rest
    fg_http_route_fn *handler;
} fg_http_route_t;

//  address: "HOST:PORT" (fg_address_parse); routes end with a NULL path.
//  NULL with the reason in err.
fg_http_t *fg_http_new (const char *address, const fg_http_route_t *routes, void *arg,
                        char *err, size_t err_size);
void fg_http_destroy (fg_http_t **self_p);

int fg_http_port (fg_http_t *self);
uint64_t fg_http_requests (fg_http_t *self);

//  For the daemon's loop: sockets to poll (appended to items, at most
//  max; returns how many), the longest wait in ms (-1: none), and the work.
size_t fg_http_items (fg_http_t *self, zmq_pollitem_t *items, size_t max);
int64_t fg_http_timeout (fg_http_t *self);
void fg_http_handle (fg_http_t *self);

//  A route handler for a liveness probe (/healthz): 200 "ok".
void fg_http_ok (void *arg, fg_http_request_t *request);

//  In a handler: what was asked.
const char *fg_http_path (fg_http_request_t *request);
const char *fg_http_rest (fg_http_request_t *request);
const char *fg_http_arg (fg_http_request_t *request, const char *name);

//  In a handler: the answer (exactly one). Bodies are copied.
void fg_http_reply (fg_http_request_t *request, unsigned status, const char *content_type,
                    const char *body, size_t size);
//  Takes the reference of body.
void fg_http_reply_json (fg_http_request_t *request, unsigned status, json_t *body);
//  text may quote the request (a path, a name): see fg_http_json_string.
void fg_http_reply_error (fg_http_request_t *request, unsigned status, const char *text);

//  A JSON string of text, whatever its bytes. JSON strings are UTF-8 and
//  jansson refuses any other (a NULL that would drop what holds it from
//  the answer), so each byte that is not part of a valid UTF-8 sequence
//  becomes '?': a name or command with other bytes, or one cut short in
//  the middle of a character, still shows.
json_t *fg_http_json_string (const char *text);

//  A client's GET of url (libcurl, no proxy), within timeout_ms. With
//  body_p, *body_p gets the body (at most 8 MB; caller destroys).
//  Returns 0 for a 2xx answer, or -1 with why in err ("GET URL: ..."; for
//  another status, with the start of its body).
int fg_http_get (const char *url, int timeout_ms, const char *agent, zchunk_t **body_p,
                 char *err, size_t err_size);

#endif
