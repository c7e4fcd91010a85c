/*  =========================================================================
    miner_service - runs a service: a long-running container whose port is
    published on the miner's host and registered in the locator while its
    health check passes

    A task whose spec has a service_name (fogrid run-service) is a service.
    miner_runner_new gives it to this runtime actor (the contract at the
    start of miner_runtime.h), so the agent holds it like any task: TaskKill
    (fogrid stop-service, cancel) stops it, and it ends with one result when
    its container stops by itself or its deadline (timeout_s) passes.

        spec.image = "fogrid/echo-service";
        spec.service_name = "echo";
        spec.service_port = 5555;           //  in the container
        spec.health = "tcp";                //  or "http:/healthz"
        miner_runner_limits_t limits = { .docker_socket = "/var/run/docker.sock",
                                         .miner_id = "m-1",
                                         .advertise_host = "127.0.0.1",
                                         .locators = "tcp://127.0.0.1:7700" };
        miner_runner_t *runner = miner_runner_new ("t-1", 1, &spec, &limits);

    What the locator is told: NAME -> tcp://ADVERTISE_HOST:HOSTPORT (a free
    host port the engine picked), the protocol version and the functions
    (from the spec, else from the image's labels, below), the service's
    CurveZMQ public key when it speaks CurveZMQ, and tags miner:ID and
    task:ID. The registration's owner is MINER/TASK/ATTEMPT, one per
    service, so a service is withdrawn on its own.

    Image labels a service image may carry:
        org.fogrid.service.functions    "echo,sha256,primes"
        org.fogrid.service.protocol     "1" (the protocol version)
        org.fogrid.service.description  the protocol, for people
        org.fogrid.service.function.F   "ARGS -> RESULT", describes function F
        org.fogrid.service.curve        "1": the service serves CurveZMQ with
                                        the secret key in its environment
                                        (FOGRID_SERVICE_SECRET_KEY, Z85; the
                                        public one in FOGRID_SERVICE_PUBLIC_KEY),
                                        a fresh key pair per service, made by
                                        the miner unless it runs insecure
    =========================================================================  */
#ifndef MINER_SERVICE_H_INCLUDED
#define MINER_SERVICE_H_INCLUDED

#define MINER_SERVICE_LABEL_FUNCTIONS   "org.fogrid.service.functions"
#define MINER_SERVICE_LABEL_PROTOCOL    "org.fogrid.service.protocol"
#define MINER_SERVICE_LABEL_DESCRIPTION "org.fogrid.service.description"
#define MINER_SERVICE_LABEL_FUNCTION    "org.fogrid.service.function."
#define MINER_SERVICE_LABEL_CURVE       "org.fogrid.service.curve"

//  The actor; args is a miner_runtime_args_t (miner_runtime.h).
void miner_service_actor (zsock_t *pipe, void *args);

//  True when health is a health check this runtime knows: "" or "tcp", or
//  "http:/PATH" (PATH printable, no spaces, at most 200 bytes).
bool miner_service_health_valid (const char *health);

//  One health check of a service at host:port: a TCP connect ("" or
//  "tcp"), or an HTTP GET of PATH ("http:/PATH") that must answer 2xx,
//  within timeout_ms. Returns 0 when it passes, else -1 with why in err.
int miner_service_health_check (const char *health, const char *host, uint16_t port,
                                int timeout_ms, char *err, size_t err_size);

#endif
