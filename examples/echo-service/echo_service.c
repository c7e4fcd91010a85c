/*  =========================================================================
    echo_service - fogrid's example service: echo, sha256 and primes over
    ZeroMQ

    A service, in the seed's words, is an application in a container that
    answers a set of named functions (its protocol); a miner runs it,
    registers it in the locator, and buyers call it directly with the
    endpoint the locator gives them (`fogrid call echo sha256 hello`).

    DESIGN
    One thread, one ROUTER socket. Each request is one frame holding an
    encoded fogrid Envelope (proto/fogrid.proto) with a CallRequest; the
    answer is a CallReply with the same seq, or an Error when the request
    cannot be read (malformed, another protocol version, not a call). A
    function's own failure (unknown name, bad argument) is a CallReply with
    `error` set, so a buyer can tell "the service said no" from "no answer".

    Security: when FOGRID_SERVICE_SECRET_KEY holds a CurveZMQ secret key
    (Z85), as a fogrid miner gives a service whose image has the label
    org.fogrid.service.curve=1, the socket is a CurveZMQ server: traffic is
    encrypted and the buyer, who has the public key from the locator, knows
    it talks to this service. Any buyer may call (no client keys are
    checked). Without the key the socket is plain text, with a warning.

    The program needs only libczmq, libzmq, libsodium and libprotobuf-c and
    is linked statically when their archives are present, so its image is
    the busybox test image plus this one file (deploy/images/build-echo-image.sh).
    =========================================================================  */
#include <czmq.h>
#include <sodium.h>
#include <errno.h>
#include "fogrid.pb-c.h"
#include "fg_error.h"

#define S_PROTO_VERSION     1               //  FG_PROTO_VERSION (common/fg_msg.h)
#define S_DEFAULT_BIND      "tcp://*:5555"
#define S_DEFAULT_MAX_N     100000          //  primes N: the largest N by default
#define S_MAX_MAX_N         10000000        //  and the largest --max-primes
#define S_MAX_REQUEST       65536           //  bytes of a request
#define S_VERSION           "0.1.0"

typedef struct {
    uint64_t max_n;             //  primes N: the bound of N
    bool verbose;               //  log each call
    uint64_t calls;             //  answered so far
} s_service_t;

//  --------------------------------------------------------------------------
//  The functions: each fills results (strings the caller frees) or error

typedef struct {
    char **results;             //  n_results strings, malloc'd
    size_t n_results;
    char error [256];
} s_answer_t;

static void
s_answer_add (s_answer_t *answer, char *result)
{
    answer->results = (char **) realloc (answer->results,
                                         sizeof (char *) * (answer->n_results + 1));
    answer->results [answer->n_results++] = result;
}

//  The arguments joined by single spaces, as a shell joins words.
static char *
s_join (char **args, size_t count)
{
    size_t size = 1;
    for (size_t index = 0; index < count; index++)
        size += strlen (args [index]) + 1;
    char *text = (char *) zmalloc (size);
    for (size_t index = 0; index < count; index++) {
        if (index)
            strcat (text, " ");
        strcat (text, args [index]);
    }
    return text;
}

static void
s_fn_echo (s_service_t *self, Fogrid__CallRequest *call, s_answer_t *answer)
{
    (void) self;
    s_answer_add (answer, s_join (call->args, call->n_args));
}

static void
s_fn_sha256 (s_service_t *self, Fogrid__CallRequest *call, s_answer_t *answer)
{
    (void) self;
    char *text = s_join (call->args, call->n_args);
    byte digest [crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (digest, (const byte *) text, strlen (text));
    free (text);
    char *hex = (char *) zmalloc (crypto_hash_sha256_BYTES * 2 + 1);
    sodium_bin2hex (hex, crypto_hash_sha256_BYTES * 2 + 1, digest, sizeof digest);
    s_answer_add (answer, hex);
}

//  The primes up to N, by a sieve, on one line.
static void
s_fn_primes (s_service_t *self, Fogrid__CallRequest *call, s_answer_t *answer)
{
    char *end = NULL;
    const char *arg = call->n_args == 1? call->args [0]: "";
    errno = 0;
    unsigned long long n = *arg && *arg != '-'? strtoull (arg, &end, 10): 0;
    if (call->n_args != 1 || !*arg || *arg == '-' || *end || errno) {
        snprintf (answer->error, sizeof answer->error,
                  "primes wants one argument, a whole number N (0..%" PRIu64 ")", self->max_n);
        return;
    }
    if (n > self->max_n) {
        snprintf (answer->error, sizeof answer->error,
                  "primes %llu: N is over this service's bound of %" PRIu64, n, self->max_n);
        return;
    }
    byte *composite = (byte *) zmalloc ((size_t) n + 1);
    size_t size = 64, used = 0;
    char *line = (char *) zmalloc (size);
    for (unsigned long long number = 2; number <= n; number++) {
        if (composite [number])
            continue;
        for (unsigned long long multiple = number * number; multiple <= n; multiple += number)
            composite [multiple] = 1;
        if (used + 24 > size) {
            size *= 2;
            line = (char *) realloc (line, size);
        }
        used += (size_t) snprintf (line + used, size - used, "%s%llu", used? " ": "", number);
    }
    free (composite);
    s_answer_add (answer, line);
}

typedef void (s_function_fn) (s_service_t *self, Fogrid__CallRequest *call, s_answer_t *answer);

static const struct {
    const char *name;
    s_function_fn *fn;
    const char *help;
} s_functions [] = {
    { "echo", s_fn_echo, "echo TEXT...: the text, its words joined by spaces" },
    { "sha256", s_fn_sha256, "sha256 TEXT...: SHA-256 of the text (words joined by spaces), hex" },
    { "primes", s_fn_primes, "primes N: the primes up to N, on one line" },
    { NULL, NULL, NULL }
};

//  --------------------------------------------------------------------------
//  The wire

static void
s_send (zsock_t *router, zframe_t *peer, Fogrid__Envelope *env)
{
    env->version = S_PROTO_VERSION;
    zframe_t *frame = zframe_new (NULL, fogrid__envelope__get_packed_size (env));
    fogrid__envelope__pack (env, zframe_data (frame));
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *) { zframe_dup (peer) });
    zmsg_append (msg, &frame);
    if (zmsg_send (&msg, router))
        zmsg_destroy (&msg);            //  the buyer has gone: nothing to do
}

static void
s_send_error (zsock_t *router, zframe_t *peer, uint64_t seq, fg_error_t code, const char *text)
{
    Fogrid__Error error = FOGRID__ERROR__INIT;
    error.code = (uint32_t) code;
    error.text = (char *) text;
    Fogrid__Envelope env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_ERROR;
    env.error = &error;
    s_send (router, peer, &env);
}

static void
s_handle_call (s_service_t *self, zsock_t *router, zframe_t *peer, uint64_t seq,
               Fogrid__CallRequest *call)
{
    s_answer_t answer = { NULL, 0, "" };
    const char *name = call->function? call->function: "";
    size_t index = 0;
    while (s_functions [index].name && !streq (s_functions [index].name, name))
        index++;
    if (s_functions [index].fn)
        s_functions [index].fn (self, call, &answer);
    else
        snprintf (answer.error, sizeof answer.error,
                  "no function '%.64s' here (echo, sha256, primes)", name);
    Fogrid__CallReply reply = FOGRID__CALL_REPLY__INIT;
    reply.results = answer.results;
    reply.n_results = answer.n_results;
    reply.error = answer.error;
    Fogrid__Envelope env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_CALL_REPLY;
    env.call_reply = &reply;
    s_send (router, peer, &env);
    self->calls++;
    if (self->verbose)
        zsys_info ("echo-service: %.64s (%zu args)%s%s", name, call->n_args,
                   *answer.error? ": ": "", answer.error);
    for (size_t result = 0; result < answer.n_results; result++)
        free (answer.results [result]);
    free (answer.results);
}

static void
s_handle_request (s_service_t *self, zsock_t *router)
{
    zmsg_t *msg = zmsg_recv (router);
    if (!msg)
        return;
    zframe_t *peer = zmsg_pop (msg);
    zframe_t *frame = zmsg_first (msg);
    Fogrid__Envelope *env = NULL;
    if (peer && zmsg_size (msg) == 1)
        env = fogrid__envelope__unpack (NULL, zframe_size (frame), zframe_data (frame));
    if (!peer)
        ;
    else
    if (!env)
        s_send_error (router, peer, 0, FG_E_MALFORMED, "not a fogrid envelope");
    else
    if (env->version != S_PROTO_VERSION) {
        char text [128];
        snprintf (text, sizeof text, "this service speaks protocol version %d, not %u",
                  S_PROTO_VERSION, env->version);
        s_send_error (router, peer, env->seq, FG_E_VERSION, text);
    }
    else
    if (env->body_case != FOGRID__ENVELOPE__BODY_CALL)
        s_send_error (router, peer, env->seq, FG_E_UNEXPECTED,
                      "a service answers CallRequest only");
    else
        s_handle_call (self, router, peer, env->seq, env->call);
    if (env)
        fogrid__envelope__free_unpacked (env, NULL);
    zframe_destroy (&peer);
    zmsg_destroy (&msg);
}

//  --------------------------------------------------------------------------
//  main

static void
s_usage (FILE *out)
{
    fprintf (out,
        "fogrid-echo-service %s - fogrid's example service\n\n"
        "usage: fogrid-echo-service [--bind ENDPOINT] [--max-primes N] [--verbose]\n\n"
        "  -b, --bind ENDPOINT   where to listen (default %s)\n"
        "  -m, --max-primes N    the largest N of `primes N` (default %d)\n"
        "  -v, --verbose         log every call\n"
        "  -h, --help            this help\n"
        "  -V, --version         the version\n\n"
        "functions (CallRequest -> CallReply, proto/fogrid.proto):\n",
        S_VERSION, S_DEFAULT_BIND, S_DEFAULT_MAX_N);
    for (size_t index = 0; s_functions [index].name; index++)
        fprintf (out, "  %s\n", s_functions [index].help);
    fprintf (out, "\nenvironment:\n"
        "  FOGRID_SERVICE_SECRET_KEY  a CurveZMQ secret key (Z85): serve with CurveZMQ\n"
        "                             (a fogrid miner sets it); else plain text\n\n"
        "It stops cleanly on SIGTERM or SIGINT.\n");
}

int
main (int argc, char *argv [])
{
    const char *bind = S_DEFAULT_BIND;
    s_service_t self = { S_DEFAULT_MAX_N, false, 0 };
    for (int index = 1; index < argc; index++) {
        const char *arg = argv [index];
        const char *value = index + 1 < argc? argv [index + 1]: NULL;
        if (streq (arg, "-h") || streq (arg, "--help")) {
            s_usage (stdout);
            return 0;
        }
        else
        if (streq (arg, "-V") || streq (arg, "--version")) {
            printf ("fogrid-echo-service %s\n", S_VERSION);
            return 0;
        }
        else
        if (streq (arg, "-v") || streq (arg, "--verbose"))
            self.verbose = true;
        else
        if ((streq (arg, "-b") || streq (arg, "--bind")) && value) {
            bind = value;
            index++;
        }
        else
        if ((streq (arg, "-m") || streq (arg, "--max-primes")) && value) {
            char *end = NULL;
            unsigned long long n = strtoull (value, &end, 10);
            if (*value == '-' || !*value || *end || n > S_MAX_MAX_N) {
                fprintf (stderr, "fogrid-echo-service: --max-primes wants 0..%d\n", S_MAX_MAX_N);
                return 2;
            }
            self.max_n = n;
            index++;
        }
        else {
            fprintf (stderr, "fogrid-echo-service: unknown or incomplete option '%s'\n\n", arg);
            s_usage (stderr);
            return 2;
        }
    }
    if (sodium_init () < 0) {
        fprintf (stderr, "fogrid-echo-service: libsodium does not start\n");
        return 1;
    }
    zsys_init ();
    zsys_set_logident ("echo-service");
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    zsock_set_linger (router, 0);
    zsock_set_maxmsgsize (router, S_MAX_REQUEST);
    zsock_set_router_mandatory (router, 0);
    const char *secret = getenv ("FOGRID_SERVICE_SECRET_KEY");
    char public_key [41] = "";
    if (secret && *secret) {
        if (strlen (secret) != 40 || zmq_curve_public (public_key, secret) != 0) {
            zsys_error ("echo-service: FOGRID_SERVICE_SECRET_KEY is not a Z85 CurveZMQ secret key");
            zsock_destroy (&router);
            return 1;
        }
        zsock_set_curve_server (router, 1);
        zsock_set_curve_secretkey (router, secret);
        zsock_set_curve_publickey (router, public_key);
    }
    if (zsock_bind (router, "%s", bind) < 0) {
        zsys_error ("echo-service: cannot bind to '%s': %s", bind, zmq_strerror (zmq_errno ()));
        zsock_destroy (&router);
        return 1;
    }
    if (*public_key)
        zsys_info ("echo-service: serving echo, sha256, primes at %s (CurveZMQ, key %s)",
                   bind, public_key);
    else
        zsys_warning ("echo-service: serving echo, sha256, primes at %s in PLAIN TEXT "
                      "(no FOGRID_SERVICE_SECRET_KEY)", bind);

    //  czmq's handler sets zsys_interrupted on SIGTERM and SIGINT; the
    //  signal may land on a thread other than this one, so the wait is
    //  bounded and the flag looked at each time
    zpoller_t *poller = zpoller_new (router, NULL);
    while (!zsys_interrupted) {
        zsock_t *which = (zsock_t *) zpoller_wait (poller, 500);
        if (which == router)
            s_handle_request (&self, router);
        else
        if (zpoller_terminated (poller))
            break;
    }
    zsys_info ("echo-service: stopping after %" PRIu64 " calls", self.calls);
    zpoller_destroy (&poller);
    zsock_destroy (&router);
    return 0;
}
