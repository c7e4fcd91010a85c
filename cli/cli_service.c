/*  =========================================================================
    cli_service - the services' commands of the `fogrid` command line:
    run-service, stop-service and call

    DESIGN
    `call` talks to the service itself, never to the hub: the locator is
    asked for the name (fg_resolver: LocResolve, LocEndpoints pages, LocDone),
    the function is checked against the list the locator gave, and the
    endpoints are tried in the locator's order, each with the CurveZMQ key
    the locator gave for it; one that does not answer in time is skipped.
    An answer ends the call, be it a result or the service's refusal: a
    service that said no is not asked again elsewhere.
    =========================================================================  */
#include "fogrid.h"
#include "cli_client.h"
#include "cli_service.h"
#include "cli_spec.h"

#define S_CALL_VERSION      1       //  the protocol `call` speaks: CallRequest/CallReply
#define S_WAIT_MS           60000   //  run-service --wait: at most this long
#define S_MAX_ITEMS         64      //  functions, labels, env entries

static void
s_error (const char *what, const char *why)
{
    cli_error (what, why);
}

//  ---------------------------------------------------------------------
//  run-service

static const char *s_run_help =
    "usage: fogrid run-service --image IMAGE --name NAME --port PORT [options]\n"
    "                          [-- COMMAND [ARG...]]\n\n"
    "Runs a service: a long-running container of IMAGE on a docker miner, its\n"
    "PORT published on the miner's host and registered in the locator as NAME\n"
    "(with its functions and protocol version) while its health check passes.\n"
    "Prints the task id; `fogrid stop-service TASK` stops it. COMMAND replaces\n"
    "the image's own.\n\n"
    "options:\n"
    "  --image IMAGE      its container image (required)\n"
    "  --name NAME        its name in the locator: a-z, 0-9, '-' (required)\n"
    "  --port PORT        the TCP port it listens on in its container (required)\n"
    "  --health CHECK     tcp (connect, the default) or http:/PATH (GET, 2xx)\n"
    "  --function F       a function it offers (repeatable; default: the image's\n"
    "                     label org.fogrid.service.functions)\n"
    "  --protocol N       its protocol version (default: the image's label, else 1)\n"
    "  --timeout S        its deadline: it is stopped after S seconds\n"
    "                     (default: the hub's)\n"
    "  --max-price N      the most it may cost per second (the miners ask their\n"
    "                     miner/service_price; it is billed per second while it\n"
    "                     runs, settled every hub/settle_s)\n"
    "  --cores N, --mem MB, --label KEY=VALUE, --constraint EXPR,\n"
    "  --policy P, --env KEY=VALUE, --token TOKEN   as for fogrid submit\n"
    "  --wait             wait until the locator names it (at most 60 s), then\n"
    "                     print its endpoint\n\n"
    "example:\n"
    "  fogrid run-service --image fogrid/echo-service --name echo --port 5555\n"
    "  fogrid call echo sha256 hello\n";

//  The task's endpoint in the locator's answer for its name, or NULL. The
//  miner registers a service under the owner MINER/TASK/ATTEMPT.
static fg_endpoint_t *
s_task_endpoint (fg_resolution_t *res, const char *task_id)
{
    char needle [100];
    snprintf (needle, sizeof needle, "/%s/", task_id);
    for (size_t index = 0; index < res->n_endpoints; index++)
        if (strstr (res->endpoints [index].owner, needle))
            return &res->endpoints [index];
    return NULL;
}

//  Waits until the locator names the service at the task's endpoint, or
//  the task ends. Returns 0 when it is there.
static int
s_wait_registered (const cli_opts_t *opts, cli_client_t *client, const char *name,
                   const char *task_id)
{
    fg_resolver_t *resolver = fg_resolver_new (opts->locators, opts->timeout_ms);
    int64_t give_up = zclock_mono () + S_WAIT_MS;
    int rc = -1;
    while (rc && !zsys_interrupted && zclock_mono () < give_up) {
        fg_resolution_t *res = NULL;
        if (fg_resolver_resolve (resolver, name, NULL, &res) == FG_OK) {
            fg_endpoint_t *endpoint = s_task_endpoint (res, task_id);
            if (endpoint) {
                printf ("%s %s\n", name, endpoint->uri);
                rc = 0;
            }
        }
        fg_resolution_destroy (&res);
        if (rc == 0)
            break;
        fg_env_t *reply = NULL;
        Fogrid__TaskInfo *info = cli_client_status (client, task_id, &reply);
        if (info && cli_task_state_final (info->state)) {
            char why [600];
            snprintf (why, sizeof why, "the service ended before it was registered: %s%s%s",
                      info->state, *info->reason? ", ": "", info->reason);
            s_error (task_id, why);
            fg_msg_free (&reply);
            break;
        }
        fg_msg_free (&reply);
        zclock_sleep (200);
    }
    if (rc && !zsys_interrupted && zclock_mono () >= give_up)
        s_error (task_id, "the locator does not name the service yet (waited 60 s); see "
                 "fogrid status");
    fg_resolver_destroy (&resolver);
    return rc;
}

static int
s_run_service (const cli_opts_t *opts, int argc, char **argv)
{
    if (cli_wants_help (argc, argv)) {
        printf ("%s", s_run_help);
        return 0;
    }
    cli_spec_t options;
    cli_spec_init (&options);
    Fogrid__TaskSpec *spec = &options.spec;
    char *functions [S_MAX_ITEMS];
    char token [64];
    fg_id_new ("tok", token, sizeof token);
    bool wait = false;
    int rc = 2;
    int index = 1;
    for (; index < argc; index++) {
        const char *arg = argv [index];
        const char *value = index + 1 < argc? argv [index + 1]: NULL;
        uint64_t number = 0;
        if (streq (arg, "--")) {
            index++;
            break;
        }
        if (streq (arg, "--wait")) {
            wait = true;
            continue;
        }
        if (arg [0] != '-' || !value) {
            fprintf (stderr, "fogrid run-service: %s%s (see fogrid run-service --help)\n", arg,
                     arg [0] != '-'? ": a command goes after --": " needs a value");
            goto done;
        }
        index++;
        //  The options every task has first, then a service's own
        int taken = cli_spec_option (&options, arg, value);
        bool ok = taken > 0;
        if (taken == 0) {
            ok = true;
            if (streq (arg, "--name"))
                spec->service_name = (char *) value;
            else
            if (streq (arg, "--port"))
                ok = cli_parse_uint (value, 65535, &number) && number > 0,
                spec->service_port = (uint32_t) number;
            else
            if (streq (arg, "--health"))
                spec->health = (char *) value;
            else
            if (streq (arg, "--protocol"))
                ok = cli_parse_uint (value, UINT32_MAX, &number),
                spec->service_protocol = (uint32_t) number;
            else
            if (streq (arg, "--function")) {
                ok = *value && spec->n_service_functions < S_MAX_ITEMS;
                if (ok)
                    functions [spec->n_service_functions++] = (char *) value;
            }
            else {
                fprintf (stderr, "fogrid run-service: unknown option '%s' (see fogrid "
                         "run-service --help)\n", arg);
                goto done;
            }
        }
        if (!ok) {
            fprintf (stderr, "fogrid run-service: bad value '%s' for %s\n", value, arg);
            goto done;
        }
    }
    spec->service_functions = functions;
    spec->runtime = "docker";
    if (index < argc) {
        spec->n_argv = (size_t) (argc - index);
        spec->argv = argv + index;
    }
    if (!*spec->image || !*spec->service_name || !spec->service_port) {
        fprintf (stderr, "fogrid run-service: --image, --name and --port are required "
                 "(see fogrid run-service --help)\n");
        goto done;
    }
    if (!fg_name_valid (spec->service_name)) {
        fprintf (stderr, "fogrid run-service: '%s' is not a service name (a-z, 0-9 and '-', "
                 "1..63, no leading or trailing '-')\n", spec->service_name);
        goto done;
    }
    rc = 1;
    cli_client_t *client = cli_client_connect (opts);
    if (client) {
        fg_env_t *reply = NULL;
        Fogrid__SubmitReply *submitted = cli_client_submit (client, spec, options.token?
                                                            options.token: token, &reply);
        if (submitted) {
            printf ("%s\n", submitted->task_id);
            fflush (stdout);
            rc = wait? s_wait_registered (opts, client, spec->service_name, submitted->task_id)
                       != 0: 0;
        }
        else
            s_error ("run-service", cli_client_error_text (client));
        fg_msg_free (&reply);
        cli_client_destroy (&client);
    }
done:
    cli_spec_reset (&options);
    return rc;
}

//  ---------------------------------------------------------------------
//  stop-service

static int
s_stop_service (const cli_opts_t *opts, int argc, char **argv)
{
    if (argc != 2 || cli_wants_help (argc, argv) || argv [1][0] == '-') {
        fprintf (cli_wants_help (argc, argv)? stdout: stderr,
                 "usage: fogrid stop-service TASK\n"
                 "  stops a service that run-service started (as fogrid cancel does): its\n"
                 "  miner withdraws it from the locator and removes its container\n");
        return cli_wants_help (argc, argv)? 0: 2;
    }
    cli_client_t *client = cli_client_connect (opts);
    if (!client)
        return 1;
    fg_env_t *reply = NULL;
    Fogrid__TaskInfo *info = cli_client_cancel (client, argv [1], &reply);
    int rc = 0;
    if (!info) {
        s_error (argv [1], cli_client_error_text (client));
        rc = 1;
    }
    else
    if (!info->spec || !*info->spec->service_name)
        printf ("%s %s (it was not a service)\n", info->task_id, info->state);
    else
        printf ("%s %s: service %s stops, and leaves the locator\n", info->task_id, info->state,
                info->spec->service_name);
    fg_msg_free (&reply);
    cli_client_destroy (&client);
    return rc;
}

//  ---------------------------------------------------------------------
//  call

static const char *s_call_help =
    "usage: fogrid call [--policy P] [-v] NAME FUNCTION [ARG...]\n\n"
    "Calls FUNCTION of the service NAME, the seed's five steps: (1) connect to\n"
    "a locator, (2) ask it for NAME, (3) receive the endpoints, the protocol\n"
    "and the functions, (4) receive its \"done\", (5) call the function at the\n"
    "first endpoint in the locator's order (the next one when it does not\n"
    "answer). Prints the function's results, a line each.\n\n"
    "options:\n"
    "  --policy P   how the locator orders the endpoints: random, round-robin,\n"
    "               weighted, least-loaded (default: the locator's)\n"
    "  -v           tell each step on stderr\n\n"
    "example:\n"
    "  fogrid call echo primes 30\n";

//  Asks one endpoint. Returns 0 with the reply (free with fg_msg_free) in
//  *reply_p; 1 when the endpoint gave no answer (try another); -1 when the
//  service answered with an error, in why.
static int
s_call_endpoint (fg_endpoint_t *endpoint, Fogrid__CallRequest *call, int timeout_ms,
                 fg_env_t **reply_p, char *why, size_t why_size)
{
    fg_rpc_t *rpc = fg_rpc_new_keyed (endpoint->uri, endpoint->public_key, why, why_size);
    if (!rpc)
        return 1;
    fg_env_t req = FOGRID__ENVELOPE__INIT;
    req.body_case = FOGRID__ENVELOPE__BODY_CALL;
    req.call = call;
    fg_env_t *reply = fg_rpc_call (rpc, &req, timeout_ms);
    int rc = 0;
    if (!reply) {
        fg_error_t error = fg_rpc_error (rpc);
        snprintf (why, why_size, "%s", fg_rpc_error_text (rpc));
        rc = error == FG_E_TIMEOUT || error == FG_E_UNREACHABLE? 1: -1;
    }
    else
    if (reply->body_case != FOGRID__ENVELOPE__BODY_CALL_REPLY) {
        snprintf (why, why_size, "it answered '%s', not a CallReply", fg_msg_body_name (reply));
        fg_msg_free (&reply);
        rc = -1;
    }
    fg_rpc_destroy (&rpc);
    *reply_p = reply;
    return rc;
}

static int
s_call (const cli_opts_t *opts, int argc, char **argv)
{
    const char *policy = NULL;
    bool verbose = false;
    int index = 1;
    for (; index < argc && argv [index][0] == '-'; index++) {
        if (streq (argv [index], "--policy") && index + 1 < argc)
            policy = argv [++index];
        else
        if (streq (argv [index], "-v") || streq (argv [index], "--verbose"))
            verbose = true;
        else
        if (streq (argv [index], "--")) {
            index++;
            break;
        }
        else {
            bool help = cli_wants_help (argc, argv);
            fprintf (help? stdout: stderr, "%s", s_call_help);
            return help? 0: 2;
        }
    }
    if (argc - index < 2) {
        fprintf (stderr, "%s", s_call_help);
        return 2;
    }
    const char *name = argv [index];
    const char *function = argv [index + 1];
    char what [200];
    snprintf (what, sizeof what, "call %.64s %.64s", name, function);

    //  Steps 1 to 4: the locator's answer, ended by its "done"
    if (verbose)
        fprintf (stderr, "fogrid call: 1. connect to the locator (%s)\n"
                 "fogrid call: 2. resolve '%s'\n", opts->locators, name);
    fg_resolver_t *resolver = fg_resolver_new (opts->locators, opts->timeout_ms);
    fg_resolution_t *res = NULL;
    fg_error_t error = fg_resolver_resolve (resolver, name, policy, &res);
    if (error == FG_E_NOT_FOUND || (error == FG_OK && res->n_endpoints == 0)) {
        char why [600];
        snprintf (why, sizeof why, "no service named '%s' in the locator (%s)", name,
                  error? fg_resolver_error_text (resolver): res->locator);
        s_error (what, why);
        fg_resolution_destroy (&res);
        fg_resolver_destroy (&resolver);
        return 1;
    }
    if (error) {
        s_error (what, fg_resolver_error_text (resolver));
        fg_resolver_destroy (&resolver);
        return 1;
    }
    fg_resolver_destroy (&resolver);
    if (verbose) {
        fprintf (stderr, "fogrid call: 3. '%s': protocol version %u%s%s, %zu endpoints, "
                 "functions:", res->name, res->protocol_version, *res->protocol? ", ": "",
                 res->protocol, res->n_endpoints);
        for (size_t i = 0; i < res->n_functions; i++)
            fprintf (stderr, " %s", res->functions [i].name);
        fprintf (stderr, "\nfogrid call: 4. done (locator %s)\n", res->locator);
    }
    int rc = 1;
    bool listed = res->n_functions == 0;        //  a service that lists none is asked anyway
    for (size_t i = 0; i < res->n_functions && !listed; i++)
        listed = streq (res->functions [i].name, function);
    if (!listed) {
        char why [1200] = "";
        size_t used = (size_t) snprintf (why, sizeof why, "'%s' offers no function '%s' (it "
                                         "offers", name, function);
        for (size_t i = 0; i < res->n_functions && used < sizeof why; i++)
            used += (size_t) snprintf (why + used, sizeof why - used, "%s %s", i? ",": "",
                                       res->functions [i].name);
        if (used < sizeof why)
            snprintf (why + used, sizeof why - used, ")");
        s_error (what, why);
        goto done;
    }
    if (res->protocol_version != S_CALL_VERSION) {
        char why [300];
        snprintf (why, sizeof why, "'%s' speaks protocol version %u; fogrid call speaks %d "
                  "(CallRequest/CallReply)", name, res->protocol_version, S_CALL_VERSION);
        s_error (what, why);
        goto done;
    }
    //  Step 5: the call, at each endpoint in the locator's order until one answers
    Fogrid__CallRequest call = FOGRID__CALL_REQUEST__INIT;
    call.function = (char *) function;
    call.n_args = (size_t) (argc - index - 2);
    call.args = argv + index + 2;
    for (size_t i = 0; i < res->n_endpoints; i++) {
        fg_endpoint_t *endpoint = &res->endpoints [i];
        if (verbose)
            fprintf (stderr, "fogrid call: 5. call %s at %s (owner %s)\n", function,
                     endpoint->uri, endpoint->owner);
        fg_env_t *reply = NULL;
        char why [600] = "";
        int answered = s_call_endpoint (endpoint, &call, opts->timeout_ms, &reply, why, sizeof why);
        if (answered == 1) {
            char text [900];
            snprintf (text, sizeof text, "%s does not answer (%s)%s", endpoint->uri, why,
                      i + 1 < res->n_endpoints? "; trying the next endpoint": "");
            s_error (what, text);
            continue;
        }
        if (answered < 0) {
            char text [900];
            snprintf (text, sizeof text, "%s: %s", endpoint->uri, why);
            s_error (what, text);
            goto done;
        }
        Fogrid__CallReply *answer = reply->call_reply;
        if (*answer->error)
            s_error (what, answer->error);
        else {
            for (size_t result = 0; result < answer->n_results; result++)
                printf ("%s\n", answer->results [result]);
            rc = 0;
        }
        fg_msg_free (&reply);
        goto done;
    }
    {
        char why [300];
        snprintf (why, sizeof why, "none of the %zu endpoints of '%s' answers", res->n_endpoints,
                  name);
        s_error (what, why);
    }
done:
    fg_resolution_destroy (&res);
    return rc;
}

int
cli_service_main (const cli_opts_t *opts, int argc, char **argv)
{
    if (streq (argv [0], "run-service"))
        return s_run_service (opts, argc, argv);
    if (streq (argv [0], "stop-service"))
        return s_stop_service (opts, argc, argv);
    if (streq (argv [0], "call"))
        return s_call (opts, argc, argv);
    fprintf (stderr, "fogrid: '%s' is not a service command\n", argv [0]);
    return 2;
}
