/*  =========================================================================
    cli_names - the locators' names in the `fogrid` command line
    =========================================================================  */
#include "fogrid.h"
#include "cli_client.h"
#include "cli_names.h"
#include "cli_spec.h"

static int
s_cmd_resolve (const cli_opts_t *opts, int argc, char **argv)
{
    const char *policy = NULL, *name = NULL;
    for (int index = 1; index < argc; index++) {
        if (streq (argv [index], "--policy") && index + 1 < argc)
            policy = argv [++index];
        else
        if (argv [index][0] != '-' && !name)
            name = argv [index];
        else {
            fprintf (stderr, "usage: fogrid resolve [--policy random|round-robin|weighted|least-loaded] NAME\n");
            return cli_wants_help (argc, argv)? 0: 2;
        }
    }
    if (!name) {
        fprintf (stderr, "usage: fogrid resolve [--policy P] NAME\n");
        return 2;
    }
    fg_resolver_t *resolver = fg_resolver_new (opts->locators, opts->timeout_ms);
    fg_resolution_t *res = NULL;
    fg_error_t rc = fg_resolver_resolve (resolver, name, policy, &res);
    if (rc) {
        cli_error (name, rc == FG_E_NOT_FOUND? "not found": fg_resolver_error_text (resolver));
        fg_resolver_destroy (&resolver);
        return 1;
    }
    printf ("name      %s (from locator %s)\n", res->name, res->locator);
    printf ("protocol  %s (version %u)\n", *res->protocol? res->protocol: "-", res->protocol_version);
    printf ("endpoints %zu\n", res->n_endpoints);
    for (size_t i = 0; i < res->n_endpoints; i++)
        printf ("  %-28s owner %-16s weight %u load %u\n", res->endpoints [i].uri,
                res->endpoints [i].owner, res->endpoints [i].weight, res->endpoints [i].load);
    printf ("functions %zu\n", res->n_functions);
    for (size_t i = 0; i < res->n_functions; i++)
        printf ("  %s(%s) -> %s\n", res->functions [i].name, res->functions [i].args,
                res->functions [i].result);
    fg_resolution_destroy (&res);
    fg_resolver_destroy (&resolver);
    return 0;
}

static int
s_cmd_services (const cli_opts_t *opts, int argc, char **argv)
{
    if (argc > 1) {
        fprintf (stderr, "usage: fogrid services\n");
        return cli_wants_help (argc, argv)? 0: 2;
    }
    fg_resolver_t *resolver = fg_resolver_new (opts->locators, opts->timeout_ms);
    fg_env_t *reply = NULL;
    fg_error_t rc = fg_resolver_services (resolver, &reply);
    if (rc) {
        cli_error ("services", fg_resolver_error_text (resolver));
        fg_resolver_destroy (&resolver);
        return 1;
    }
    Fogrid__LocServices *list = reply->loc_services;
    printf ("%-32s %9s %8s\n", "NAME", "ENDPOINTS", "PROTOCOL");
    for (size_t index = 0; index < list->n_services; index++)
        printf ("%-32s %9u %8u\n", list->services [index]->name,
                list->services [index]->endpoints, list->services [index]->protocol_version);
    fg_msg_free (&reply);
    fg_resolver_destroy (&resolver);
    return 0;
}

//  One update of a watch: the pages and LocDone (or an Error) that follow
//  reply, printed. Returns 0, or -1 when the locator stopped answering.
static int
s_print_update (fg_rpc_t *rpc, fg_env_t *reply, int timeout_ms)
{
    char now [32];
    fg_time_format (fg_now_ms (), now, sizeof now);
    if (reply->body_case == FOGRID__ENVELOPE__BODY_ERROR) {
        printf ("%s  %s\n", now, reply->error->text);
        fg_msg_free (&reply);
        fflush (stdout);
        return 0;
    }
    size_t total = 0;
    while (reply && reply->body_case == FOGRID__ENVELOPE__BODY_LOC_ENDPOINTS) {
        Fogrid__LocEndpoints *page = reply->loc_endpoints;
        for (size_t index = 0; index < page->n_endpoints; index++, total++) {
            fg_endpoint_t endpoint;
            fg_endpoint_from_msg (&endpoint, page->endpoints [index]);
            printf ("%s  %-28s owner %-16s weight %u load %u\n", now, endpoint.uri,
                    endpoint.owner, endpoint.weight, endpoint.load);
        }
        fg_msg_free (&reply);
        reply = fg_rpc_next (rpc, timeout_ms);
    }
    bool done = reply && reply->body_case == FOGRID__ENVELOPE__BODY_LOC_DONE;
    if (done)
        printf ("%s  (%zu endpoints)\n", now, total);
    fg_msg_free (&reply);
    fflush (stdout);
    return done? 0: -1;
}

//  An Error NOT_FOUND is an update too: the name has no endpoint now.
//  Returns whether it was one.
static bool
s_print_not_found (fg_rpc_t *rpc)
{
    if (fg_rpc_error (rpc) != FG_E_NOT_FOUND)
        return false;
    char now [32];
    fg_time_format (fg_now_ms (), now, sizeof now);
    printf ("%s  %s\n", now, fg_rpc_error_text (rpc));
    fflush (stdout);
    return true;
}

//  Watches a name at the first locator that answers: the locator pushes
//  an update at each change; the lease is renewed every S_RENEW_MS.
#define S_LEASE_MS  10000
#define S_RENEW_MS  4000

static int
s_cmd_watch (const cli_opts_t *opts, int argc, char **argv)
{
    const char *policy = "", *name = NULL;
    int64_t seconds = 0;
    for (int index = 1; index < argc; index++) {
        if (streq (argv [index], "--policy") && index + 1 < argc)
            policy = argv [++index];
        else
        if (streq (argv [index], "--for") && index + 1 < argc)
            seconds = atoll (argv [++index]);
        else
        if (argv [index][0] != '-' && !name)
            name = argv [index];
        else
            name = NULL, index = argc;
    }
    if (!name || seconds < 0) {
        fprintf (stderr, "usage: fogrid watch [--policy P] [--for SECONDS] NAME\n"
                 "  prints NAME's endpoints now and at each change, until Ctrl-C\n"
                 "  (or for SECONDS)\n");
        return cli_wants_help (argc, argv)? 0: 2;
    }
    if (!fg_name_valid (name)) {
        cli_error (name, "not a valid service name (1-63 of a-z, 0-9, '-')");
        return 2;
    }
    zlist_t *locators = fg_split_list (opts->locators);
    int64_t until = seconds? fg_now_ms () + seconds * 1000: INT64_MAX;
    int rc = 1;
    for (char *locator = (char *) zlist_first (locators); locator && !zsys_interrupted;
         locator = (char *) zlist_next (locators)) {
        char err [300];
        fg_rpc_t *rpc = fg_rpc_new_keyed (locator, fg_security_locator_key (), err, sizeof err);
        if (!rpc) {
            cli_error (locator, err);
            continue;
        }
        Fogrid__LocWatch watch = FOGRID__LOC_WATCH__INIT;
        watch.name = (char *) name;
        watch.lease_ms = S_LEASE_MS;
        watch.policy = (char *) policy;
        fg_env_t req = FOGRID__ENVELOPE__INIT;
        req.body_case = FOGRID__ENVELOPE__BODY_LOC_WATCH;
        req.loc_watch = &watch;
        fg_env_t *reply = fg_rpc_call (rpc, &req, opts->timeout_ms);
        bool answering = reply? s_print_update (rpc, reply, opts->timeout_ms) == 0
                              : s_print_not_found (rpc);
        if (!answering && fg_rpc_error (rpc) != FG_OK && fg_rpc_error (rpc) != FG_E_TIMEOUT
        &&  fg_rpc_error (rpc) != FG_E_UNREACHABLE) {
            cli_error (name, fg_rpc_error_text (rpc));     //  refused: no use trying others
            fg_rpc_destroy (&rpc);
            break;
        }
        int64_t renew_at = fg_now_ms () + S_RENEW_MS;
        while (answering && !zsys_interrupted && fg_now_ms () < until) {
            int64_t wait = renew_at - fg_now_ms ();
            if (until - fg_now_ms () < wait)
                wait = until - fg_now_ms ();
            reply = fg_rpc_next (rpc, wait > 0? (int) wait: 0);
            if (reply)
                answering = s_print_update (rpc, reply, opts->timeout_ms) == 0;
            else
            if (fg_rpc_error (rpc) == FG_E_NOT_FOUND)
                s_print_not_found (rpc);
            else
            if (fg_now_ms () >= renew_at) {
                //  Renewing is answered with the current state, which
                //  also proves the locator is still there
                reply = fg_rpc_call (rpc, &req, opts->timeout_ms);
                answering = reply != NULL || fg_rpc_error (rpc) == FG_E_NOT_FOUND;
                fg_msg_free (&reply);
                //  (its pages are skipped: nothing changed since the last update)
                while (answering && (reply = fg_rpc_next (rpc, 100)))
                    fg_msg_free (&reply);
                renew_at = fg_now_ms () + S_RENEW_MS;
            }
        }
        fg_rpc_destroy (&rpc);
        if (answering || zsys_interrupted || fg_now_ms () >= until) {
            rc = 0;
            break;
        }
        fprintf (stderr, "fogrid: locator %s stopped answering; trying the next\n", locator);
    }
    zlist_destroy (&locators);
    if (rc && !zsys_interrupted)
        cli_error (name, "no locator answers");
    return rc;
}


int
cli_names_main (const cli_opts_t *opts, int argc, char **argv)
{
    if (streq (argv [0], "resolve"))
        return s_cmd_resolve (opts, argc, argv);
    if (streq (argv [0], "services"))
        return s_cmd_services (opts, argc, argv);
    return s_cmd_watch (opts, argc, argv);
}
