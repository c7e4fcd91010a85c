/*  =========================================================================
    loc_http - the locator's HTTP JSON API

    DESIGN
    Read-only, and every answer is built from the registry at the moment
    of the request. Errors are JSON too ({"error": "..."}) with the HTTP
    status that says what went wrong (404 unknown name or path, 405 a
    method other than GET/HEAD, 400 a bad policy). Connections are capped
    and idle ones time out, so slow clients cannot pile up.
    =========================================================================  */
#include "fogrid.h"
#include "loc_registry.h"
#include "loc_http.h"
#include <microhttpd.h>
#include <jansson.h>
#include <arpa/inet.h>
#include <sys/select.h>

#define S_MAX_CONNECTIONS   64
#define S_IDLE_TIMEOUT_S    10

struct _loc_http_t {
    struct MHD_Daemon *daemon;
    loc_registry_t *registry;
    int port;
    int64_t started_ms;
};

static enum MHD_Result
s_reply (struct MHD_Connection *connection, unsigned status, json_t *body)
{
    char *text = json_dumps (body, JSON_INDENT (2));
    json_decref (body);
    size_t length = strlen (text);
    text = (char *) realloc (text, length + 2);
    text [length++] = '\n';
    struct MHD_Response *response =
        MHD_create_response_from_buffer (length, text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header (response, "Content-Type", "application/json");
    MHD_add_response_header (response, "Cache-Control", "no-store");
    enum MHD_Result rc = MHD_queue_response (connection, status, response);
    MHD_destroy_response (response);
    return rc;
}

static enum MHD_Result
s_error (struct MHD_Connection *connection, unsigned status, const char *text)
{
    return s_reply (connection, status, json_pack ("{s:s}", "error", text));
}

static json_t *
s_endpoint_json (const loc_entry_t *entry)
{
    const Fogrid__Endpoint *ep = entry->reg->endpoint;
    return json_pack ("{s:s, s:s, s:i, s:s, s:i, s:i, s:s}",
                      "transport", ep->transport, "host", ep->host, "port", (int) ep->port,
                      "owner", ep->owner, "weight", (int) ep->weight, "load", (int) entry->load,
                      "public_key", ep->public_key? ep->public_key: "");
}

static enum MHD_Result
s_service (loc_http_t *self, struct MHD_Connection *connection, const char *name)
{
    loc_policy_t policy = LOC_POLICY_ROUND_ROBIN;
    const char *policy_name = MHD_lookup_connection_value (connection, MHD_GET_ARGUMENT_KIND,
                                                           "policy");
    if (policy_name && loc_policy_parse (policy_name, &policy))
        return s_error (connection, MHD_HTTP_BAD_REQUEST,
                        "policy must be random, round-robin, weighted or least-loaded");
    loc_entry_t *entries = NULL;
    size_t count = fg_name_valid (name)? loc_registry_resolve (self->registry, name, policy,
                                                                &entries): 0;
    if (count == 0) {
        char text [128];
        snprintf (text, sizeof text, "no live endpoint is registered as '%.64s'", name);
        return s_error (connection, MHD_HTTP_NOT_FOUND, text);
    }
    //  The newest protocol version describes the name, as in a resolve
    const Fogrid__Registration *describing = entries [0].reg;
    for (size_t index = 1; index < count; index++)
        if (entries [index].reg->protocol_version > describing->protocol_version)
            describing = entries [index].reg;
    json_t *functions = json_array ();
    for (size_t index = 0; index < describing->n_functions; index++) {
        const Fogrid__Function *function = describing->functions [index];
        json_array_append_new (functions, json_pack ("{s:s, s:s, s:s}", "name", function->name,
                                                     "args", function->args,
                                                     "result", function->result));
    }
    json_t *endpoints = json_array ();
    for (size_t index = 0; index < count; index++)
        json_array_append_new (endpoints, s_endpoint_json (&entries [index]));
    free (entries);
    return s_reply (connection, MHD_HTTP_OK,
                    json_pack ("{s:s, s:i, s:s, s:o, s:o}", "name", name,
                               "protocol_version", (int) describing->protocol_version,
                               "protocol", describing->protocol? describing->protocol: "",
                               "functions", functions, "endpoints", endpoints));
}

static enum MHD_Result
s_services (loc_http_t *self, struct MHD_Connection *connection)
{
    json_t *list = json_array ();
    zlistx_t *names = loc_registry_names (self->registry);
    for (const char *name = (const char *) zlistx_first (names); name;
         name = (const char *) zlistx_next (names)) {
        loc_entry_t *entries = NULL;
        size_t count = loc_registry_resolve (self->registry, name, LOC_POLICY_ROUND_ROBIN,
                                             &entries);
        free (entries);
        json_array_append_new (list, json_pack ("{s:s, s:i}", "name", name,
                                                "endpoints", (int) count));
    }
    zlistx_destroy (&names);
    return s_reply (connection, MHD_HTTP_OK, json_pack ("{s:o}", "services", list));
}

static enum MHD_Result
s_health (loc_http_t *self, struct MHD_Connection *connection)
{
    zlistx_t *names = loc_registry_names (self->registry);
    json_t *body = json_pack ("{s:s, s:s, s:I, s:I, s:I, s:I}", "status", "ok",
                              "version", FG_VERSION_STRING,
                              "uptime_s", (json_int_t) ((fg_now_ms () - self->started_ms) / 1000),
                              "names", (json_int_t) zlistx_size (names),
                              "endpoints", (json_int_t) loc_registry_size (self->registry),
                              "owners", (json_int_t) loc_registry_owners (self->registry));
    zlistx_destroy (&names);
    return s_reply (connection, MHD_HTTP_OK, body);
}

static enum MHD_Result
s_request (void *cls, struct MHD_Connection *connection, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size,
           void **request_state)
{
    (void) version;
    (void) upload_data;
    loc_http_t *self = (loc_http_t *) cls;
    //  The first call only announces the request (headers read)
    if (!*request_state) {
        *request_state = self;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0;      //  bodies are not for us: ignored
        return MHD_YES;
    }
    if (!streq (method, "GET") && !streq (method, "HEAD"))
        return s_error (connection, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET is served here");
    if (streq (url, "/v1/services") || streq (url, "/v1/services/"))
        return s_services (self, connection);
    if (strncmp (url, "/v1/services/", 13) == 0)
        return s_service (self, connection, url + 13);
    if (streq (url, "/v1/health"))
        return s_health (self, connection);
    return s_error (connection, MHD_HTTP_NOT_FOUND,
                    "no such path: try /v1/services, /v1/services/NAME or /v1/health");
}

loc_http_t *
loc_http_new (const char *address, loc_registry_t *registry, char *err, size_t err_size)
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
    loc_http_t *self = (loc_http_t *) zmalloc (sizeof (loc_http_t));
    self->registry = registry;
    self->started_ms = fg_now_ms ();
    //  No thread flag: external select, driven by the locator's loop
    self->daemon = MHD_start_daemon (MHD_USE_ERROR_LOG, port, NULL, NULL, s_request, self,
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
    return self;
}

void
loc_http_destroy (loc_http_t **self_p)
{
    loc_http_t *self = *self_p;
    if (self) {
        MHD_stop_daemon (self->daemon);
        free (self);
        *self_p = NULL;
    }
}

int
loc_http_port (loc_http_t *self)
{
    return self->port;
}

size_t
loc_http_items (loc_http_t *self, zmq_pollitem_t *items, size_t max)
{
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
loc_http_timeout (loc_http_t *self)
{
    MHD_UNSIGNED_LONG_LONG timeout;
    if (MHD_get_timeout (self->daemon, &timeout) != MHD_YES)
        return -1;
    return timeout > INT64_MAX? INT64_MAX: (int64_t) timeout;
}

void
loc_http_handle (loc_http_t *self)
{
    MHD_run (self->daemon);
}
