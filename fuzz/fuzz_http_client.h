/*  =========================================================================
    fuzz_http_client - the client side of the HTTP fuzz targets

    fuzz_http, fuzz_hub_http and fuzz_miner_http each serve pages on a
    loopback port (in-process, or a daemon's actor) and hand every input
    to fuzz_http_input, which sends it as the bytes of one connection and
    then ends that connection's input (shutdown), so the server must decide
    now. Whatever the bytes, the server must answer or close within the
    timeout, never crash or hang, and what it sends must be HTTP:

      - the first answer starts with a status line "HTTP/1.x NNN ";
      - it is never a 500 (a handler that gave no answer, an answer that
        could not be encoded): a request the server cannot serve gets a 4xx;
      - a JSON answer (to a request other than HEAD) whose body came whole
        parses as JSON.

    When the input is exactly one of the target's good requests (its seeds
    hold each), the answers must come whole with the statuses it lists,
    in order (several for pipelined requests), and the target may check
    what they say (check). Every 64 inputs the client
    sends the next good request itself, which also proves that connections
    did not pile up (fg_http serves 64 at most). A finding stops as a
    crash (fuzz_fail), so libFuzzer keeps the input.

    A server on its own thread (an actor) needs nothing more; one in the
    fuzzer's thread gives a drive callback, which the client calls while it
    waits, to poll the server's sockets with the client's and do its work.
    =========================================================================  */
#ifndef FUZZ_HTTP_CLIENT_H_INCLUDED
#define FUZZ_HTTP_CLIENT_H_INCLUDED

//  Polls the server's sockets and the client's (fd with events; fd < 0:
//  none) for at most wait_ms, then does the server's work.
typedef void (fuzz_http_drive_fn) (void *arg, int fd, short events, int wait_ms);

//  A request the server must answer with these statuses (one per request
//  in it; the first request may be HEAD, no later one)
typedef struct {
    const char *request;
    unsigned statuses [4];      //  ends with 0
} fuzz_http_good_t;

//  What the target knows of its pages: called with the body of each good
//  request's answer (single requests only, HEAD aside)
typedef void (fuzz_http_check_fn) (void *arg, const char *request, unsigned status,
                                   const char *body, size_t size);

typedef struct {
    int port;                           //  on 127.0.0.1
    int timeout_ms;                     //  for one connection's answer
    fuzz_http_drive_fn *drive;          //  NULL: the server runs on its own
    void *arg;                          //  for drive
    const fuzz_http_good_t *goods;      //  ends with a NULL request
    fuzz_http_check_fn *check;          //  or NULL
} fuzz_http_server_t;

//  One input: see above.
void fuzz_http_input (fuzz_http_server_t *server, const uint8_t *data, size_t size);

#endif
