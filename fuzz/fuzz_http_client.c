/*  =========================================================================
    fuzz_http_client - the client side of the HTTP fuzz targets
    =========================================================================  */
#include "fogrid.h"
#include "fuzz_daemon.h"
#include "fuzz_http_client.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/select.h>

//  The servers under test read with select(), whose end-of-connection
//  checks are exact: a process allowed more than FD_SETSIZE descriptors
//  serves HTTP through epoll instead (fg_http.c says why, and what its
//  edge-triggered reads cost a client that half-closes mid-request)
__attribute__ ((constructor)) static void
s_select_path (void)
{
    struct rlimit files;
    if (getrlimit (RLIMIT_NOFILE, &files) == 0 && files.rlim_cur > FD_SETSIZE) {
        files.rlim_cur = FD_SETSIZE;
        setrlimit (RLIMIT_NOFILE, &files);
    }
}

#define S_KEEP          (1024 * 1024)       //  answer bytes kept for the checks
#define S_CHECK_EVERY   64                  //  inputs between good requests of our own

typedef struct {
    char *data;                 //  what arrived (the first S_KEEP bytes)
    size_t size;
    size_t total;               //  all that arrived
    size_t sent;                //  bytes of the input the server took
} s_answer_t;

//  One answer in the stream
typedef struct {
    unsigned status;
    bool whole;                 //  headers and body all there
    size_t end;                 //  where the next one starts, when whole
    bool json;                  //  Content-Type: application/json
    const char *body;
    size_t body_size;           //  what arrived of it
} s_reply_t;

//  --------------------------------------------------------------------------
//  The connection

static int
s_connect (int port)
{
    int client = socket (AF_INET, SOCK_STREAM, 0);
    if (client < 0)
        fuzz_fail ("cannot make a socket: %s", strerror (errno));
    struct sockaddr_in where = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    inet_pton (AF_INET, "127.0.0.1", &where.sin_addr);
    //  Loopback connects complete in the kernel, whether or not the server
    //  runs meanwhile: blocking is fine. Each connection leaves a TIME_WAIT
    //  (the client ends first): thousands a second take every local port
    //  within the minute, so they are used again (net.ipv4.tcp_tw_reuse,
    //  which Linux does for loopback unless it is set to 0).
    if (connect (client, (struct sockaddr *) &where, sizeof where))
        fuzz_fail ("cannot connect to port %d: %s (%s)", port, strerror (errno),
                   errno == EADDRNOTAVAIL? "no local port left: net.ipv4.tcp_tw_reuse is 0?"
                                         : "the server stopped listening");
    return client;
}

//  Takes what has arrived; true when the server closed (or reset) the
//  connection.
static bool
s_receive (int client, s_answer_t *answer)
{
    char buffer [65536];
    while (true) {
        ssize_t got = recv (client, buffer, sizeof buffer, MSG_DONTWAIT);
        if (got == 0)
            return true;
        if (got < 0)
            return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
        size_t take = answer->size + (size_t) got <= S_KEEP? (size_t) got: S_KEEP - answer->size;
        memcpy (answer->data + answer->size, buffer, take);
        answer->size += take;
        answer->total += (size_t) got;
    }
}

//  Sends the bytes as one connection, then ends it; collects the answer
//  until the server closes. Returns false when it did not in time.
static bool
s_exchange (fuzz_http_server_t *server, const uint8_t *data, size_t size, s_answer_t *answer)
{
    int client = s_connect (server->port);
    bool ended = false, closed = false;
    int64_t deadline = zclock_mono () + server->timeout_ms;
    while (!closed) {
        //  As much as the server takes now: it may read only when driven
        if (!ended && answer->sent < size) {
            ssize_t put = send (client, data + answer->sent, size - answer->sent,
                                MSG_NOSIGNAL | MSG_DONTWAIT);
            if (put > 0)
                answer->sent += (size_t) put;
            else
            if (put < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                ended = true;           //  it closed (refused the rest)
        }
        if (!ended && answer->sent == size) {
            shutdown (client, SHUT_WR);
            ended = true;
        }
        closed = s_receive (client, answer);
        int64_t left = deadline - zclock_mono ();
        if (closed || left <= 0)
            break;
        short events = ended? POLLIN: POLLIN | POLLOUT;
        if (server->drive)
            server->drive (server->arg, client, events, left < 10? (int) left: 10);
        else {
            struct pollfd item = { client, events, 0 };
            poll (&item, 1, (int) left);
        }
    }
    close (client);
    //  An in-process server sees the close now, so connections never pile up
    for (int round = 0; server->drive && round < 5; round++)
        server->drive (server->arg, -1, 0, 0);
    return closed;
}

//  --------------------------------------------------------------------------
//  The answers

//  The start of a request, on one line, for a finding's reason
static const char *
s_shown (const char *request)
{
    static char shown [64];
    size_t length = 0;
    for (; request [length] && length < sizeof shown - 1; length++)
        shown [length] = isprint ((unsigned char) request [length])? request [length]: '.';
    shown [length] = 0;
    return shown;
}

//  The value of a header (case-insensitive name) in head, or NULL.
static const char *
s_header (const char *head, size_t size, const char *name, size_t *length)
{
    size_t name_length = strlen (name);
    const char *line = (const char *) memmem (head, size, "\r\n", 2);
    while (line && line + 2 < head + size) {
        line += 2;
        const char *end = (const char *) memmem (line, (size_t) (head + size - line), "\r\n", 2);
        if (!end)
            end = head + size;
        if ((size_t) (end - line) > name_length && line [name_length] == ':'
        &&  strncasecmp (line, name, name_length) == 0) {
            const char *value = line + name_length + 1;
            while (value < end && *value == ' ')
                value++;
            *length = (size_t) (end - value);
            return value;
        }
        line = end < head + size? end: NULL;
    }
    return NULL;
}

//  The answer starting at `at`; false when not even its status line is
//  there. What is there must be HTTP.
static bool
s_reply (s_answer_t *answer, size_t at, bool head, bool closed, s_reply_t *reply)
{
    const char *data = answer->data + at;
    size_t size = answer->size - at;
    memset (reply, 0, sizeof *reply);
    static const char s_version [] = "HTTP/1.";
    if (memcmp (data, s_version, size < 7? size: 7))
        fuzz_fail ("the answer does not start as HTTP: '%s'", s_shown (data));
    if (size < 13)
        return false;
    if ((data [7] != '0' && data [7] != '1') || data [8] != ' ' || !isdigit (data [9])
    ||  !isdigit (data [10]) || !isdigit (data [11]) || data [12] != ' ')
        fuzz_fail ("the answer's status line is not HTTP: '%s'", s_shown (data));
    reply->status = (unsigned) atoi (data + 9);
    const char *blank = (const char *) memmem (data, size, "\r\n\r\n", 4);
    if (!blank)
        return true;                //  its headers are not all there
    size_t head_size = (size_t) (blank - data) + 2;
    reply->body = blank + 4;
    size_t offered = size - (size_t) (reply->body - data);
    size_t length;
    const char *type = s_header (data, head_size, "Content-Type", &length);
    reply->json = type && length >= 16 && strncmp (type, "application/json", 16) == 0;
    const char *declared = s_header (data, head_size, "Content-Length", &length);
    size_t body_size = declared? (size_t) strtoull (declared, NULL, 10): offered;
    //  No body after an interim answer (100 Continue), nor a HEAD's
    if (head || reply->status / 100 == 1)
        body_size = 0;
    reply->body_size = offered < body_size? offered: body_size;
    reply->whole = offered >= body_size && (declared || head || closed || reply->status / 100 == 1);
    reply->end = at + (size_t) (reply->body - data) + reply->body_size;
    return true;
}

static void
s_check_json (s_reply_t *reply, const char *what)
{
    json_error_t error;
    json_t *json = json_loadb (reply->body, reply->body_size, 0, &error);
    if (!json)
        fuzz_fail ("%s: a JSON answer (%u) that does not parse: %s: '%.80s'", what,
                   reply->status, error.text, reply->body);
    json_decref (json);
}

//  A HEAD gets no body, and where the server takes the first request to
//  start in bytes that are not HTTP is its own guess: any HEAD counts
static bool
s_is_head (const uint8_t *data, size_t size)
{
    return memmem (data, size, "HEAD", 4) != NULL;
}

//  Whatever was sent: the first answer (after interim ones) is HTTP, not
//  a 500, and parses when it is JSON.
static void
s_check_any (s_answer_t *answer, bool head)
{
    s_reply_t reply;
    size_t at = 0;
    while (at < answer->size && s_reply (answer, at, head, true, &reply)) {
        if (reply.status / 100 == 1 && reply.whole) {
            at = reply.end;
            continue;
        }
        if (reply.status == 500)
            fuzz_fail ("the server failed its own work (500): '%.*s'",
                       (int) (reply.body_size < 200? reply.body_size: 200),
                       reply.body? reply.body: "");
        if (reply.json && reply.whole && !head)
            s_check_json (&reply, "an input");
        break;
    }
}

//  A good request: each answer whole, with its status, and nothing more.
static void
s_check_good (fuzz_http_server_t *server, const fuzz_http_good_t *good, s_answer_t *answer)
{
    size_t at = 0;
    bool head = s_is_head ((const uint8_t *) good->request, strlen (good->request));
    if (answer->total > answer->size)
        fuzz_fail ("'%s': answered with more than %d bytes", s_shown (good->request), S_KEEP);
    for (size_t index = 0; good->statuses [index]; index++) {
        s_reply_t reply;
        if (at >= answer->size || !s_reply (answer, at, head && index == 0, true, &reply)
        ||  !reply.whole)
            fuzz_fail ("'%s': answer %zu is missing or cut short (%zu bytes came)",
                       s_shown (good->request), index + 1, answer->total);
        if (reply.status != good->statuses [index])
            fuzz_fail ("'%s': answer %zu is %u, not %u", s_shown (good->request), index + 1,
                       reply.status, good->statuses [index]);
        if (reply.json && !(head && index == 0))
            s_check_json (&reply, s_shown (good->request));
        if (server->check && index == 0 && !good->statuses [1] && !head)
            server->check (server->arg, good->request, reply.status, reply.body,
                           reply.body_size);
        at = reply.end;
    }
    if (at != answer->size)
        fuzz_fail ("'%s': %zu bytes more than its answers", s_shown (good->request),
                   answer->size - at);
}

//  --------------------------------------------------------------------------

static void
s_one (fuzz_http_server_t *server, const uint8_t *data, size_t size,
       const fuzz_http_good_t *good)
{
    static char s_data [S_KEEP + 64];   //  the tail stays 0: excerpts end
    s_answer_t answer = { .data = s_data };
    if (!s_exchange (server, data, size, &answer))
        fuzz_fail ("the server neither answered nor closed in %d ms (%zu of %zu bytes sent, "
                   "%zu came back)", server->timeout_ms, answer.sent, size, answer.total);
    s_check_any (&answer, s_is_head (data, size));
    if (good)
        s_check_good (server, good, &answer);
}

void
fuzz_http_input (fuzz_http_server_t *server, const uint8_t *data, size_t size)
{
    static unsigned s_inputs = 0;
    const fuzz_http_good_t *good = NULL;
    size_t goods = 0;
    for (const fuzz_http_good_t *item = server->goods; item->request; item++, goods++)
        if (strlen (item->request) == size && memcmp (item->request, data, size) == 0)
            good = item;
    s_one (server, data, size, good);
    //  The server still serves
    if (goods && ++s_inputs % S_CHECK_EVERY == 0) {
        good = &server->goods [(s_inputs / S_CHECK_EVERY) % goods];
        s_one (server, (const uint8_t *) good->request, strlen (good->request), good);
    }
}
