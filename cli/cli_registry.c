/*  =========================================================================
    cli_registry - the hub registry's commands of the `fogrid` command
    line: `fogrid registry` (anyone) and `fogrid admin registry` (the DAO)
    =========================================================================  */
#include "fogrid.h"
#include "fg_hub_record.h"
#include "cli_registry.h"

static bool
s_help (int argc, char **argv)
{
    for (int index = 1; index < argc; index++)
        if (streq (argv [index], "-h") || streq (argv [index], "--help"))
            return true;
    return false;
}

static void
s_print_hub (const Fogrid__RegistryHub *hub)
{
    char when [32];
    fg_time_format ((int64_t) hub->updated_ms, when, sizeof when);
    printf ("%-20s %-12s %12" PRId64 "  %s%s%s\n", hub->hub_id, hub->status, hub->stake, when,
            *hub->reason? "  ": "", hub->reason);
    printf ("  hub key    %s\n", *hub->hub_key? hub->hub_key: "-");
    printf ("  ledger key %s\n", *hub->ledger_key? hub->ledger_key: "-");
    printf ("  by         %s\n", hub->updated_by);
}

//  Asks the locators for the hubs (hub_id: "" = all). FG_OK with a
//  RegistryReply in *reply_p, FG_E_UNEXPECTED for another answer, or the
//  resolver's error.
static fg_error_t
s_list (fg_resolver_t *resolver, const char *hub_id, fg_env_t **reply_p)
{
    Fogrid__RegistryList list = FOGRID__REGISTRY_LIST__INIT;
    list.hub_id = (char *) hub_id;
    fg_env_t request = FOGRID__ENVELOPE__INIT;
    request.body_case = FOGRID__ENVELOPE__BODY_REGISTRY_LIST;
    request.registry_list = &list;
    *reply_p = NULL;
    fg_error_t rc = fg_resolver_call (resolver, &request, reply_p);
    if (rc == FG_OK && (*reply_p)->body_case != FOGRID__ENVELOPE__BODY_REGISTRY_REPLY)
        rc = FG_E_UNEXPECTED;
    return rc;
}

int
cli_registry_list (const char *locators, int timeout_ms, int argc, char **argv)
{
    const char *hub_id = "";
    bool bad = false;
    for (int index = 1; index < argc; index++) {
        if (streq (argv [index], "--hub") && index + 1 < argc)
            hub_id = argv [++index];
        else
            bad = true;
    }
    if (bad || s_help (argc, argv)) {
        fprintf (s_help (argc, argv)? stdout: stderr,
                 "usage: fogrid registry [--hub HUB_ID]\n"
                 "  the hub registry (whitelist) the locators keep: each hub's status, stake,\n"
                 "  CurveZMQ key and ledger key; miners with miner/require_registry work only\n"
                 "  for registered hubs. The DAO changes it with fogrid admin registry.\n");
        return s_help (argc, argv)? 0: 2;
    }
    fg_resolver_t *resolver = fg_resolver_new (locators, timeout_ms);
    fg_env_t *reply = NULL;
    fg_error_t rc = s_list (resolver, hub_id, &reply);
    if (rc) {
        fprintf (stderr, "fogrid: registry: %s\n", rc == FG_E_UNEXPECTED
                 ? "the locator answered something else": fg_resolver_error_text (resolver));
        fg_msg_free (&reply);
        fg_resolver_destroy (&resolver);
        return 1;
    }
    Fogrid__RegistryReply *hubs = reply->registry_reply;
    printf ("%-20s %-12s %12s  %s\n", "HUB", "STATUS", "STAKE", "UPDATED  REASON");
    for (size_t index = 0; index < hubs->n_hubs; index++)
        s_print_hub (hubs->hubs [index]);
    if (hubs->n_hubs == 0)
        printf ("(no hub%s%s)\n", *hub_id? " ": "", hub_id);
    fg_msg_free (&reply);
    fg_resolver_destroy (&resolver);
    return 0;
}

//  The time of a change of hub_id: now, or just after the hub's last
//  change as the locators show it when that is later (another admin's
//  clock ahead of ours), so that the change holds (locator/loc_hubs.c).
static uint64_t
s_change_time (const char *locators, int timeout_ms, const char *hub_id)
{
    uint64_t at_ms = (uint64_t) fg_now_ms ();
    zlist_t *list = fg_split_list (locators);
    for (char *locator = (char *) zlist_first (list); locator; locator = (char *) zlist_next (list)) {
        fg_resolver_t *resolver = fg_resolver_new (locator, timeout_ms);
        fg_env_t *reply = NULL;
        if (s_list (resolver, hub_id, &reply) == FG_OK)
            for (size_t index = 0; index < reply->registry_reply->n_hubs; index++)
                if (reply->registry_reply->hubs [index]->updated_ms >= at_ms)
                    at_ms = reply->registry_reply->hubs [index]->updated_ms + 1;
        fg_msg_free (&reply);
        fg_resolver_destroy (&resolver);
    }
    zlist_destroy (&list);
    return at_ms;
}

static const char *s_admin_help =
    "usage: fogrid admin registry ACTION HUB_ID [--hub-key K] [--ledger-key K]\n"
    "                             [--stake N] [--reason TEXT]\n\n"
    "the hub registry the locators keep (locator/loc_hubs.h); ACTION is one of\n"
    "  add        the hub is registered: miners may work for it\n"
    "  suspect    the hub is suspected: checking miners leave it   (--reason)\n"
    "  clear      the hub is registered again\n"
    "  blacklist  the hub is blacklisted                           (--reason)\n"
    "--hub-key    its CurveZMQ public key (Z85 or a key file): the key miners reach\n"
    "             it with; --ledger-key its ledger's Ed25519 key (64 hex digits, as\n"
    "             fogrid admin wallet shows it): what its wallet statements and\n"
    "             receipts must be signed with; --stake the frozen stake seen.\n"
    "             Left out, each keeps what the registry holds.\n"
    "the DAO: a signing key in each locator's locator/admin_keys. The change is\n"
    "signed with the signing key beside the key pair (-k NAME.key: NAME.sign and\n"
    "NAME.sign_secret, as fogrid keygen makes them) and sent to every locator\n"
    "listed with -l;\n"
    "locators with locator/peers pass it on to the others, which check the\n"
    "signature themselves. Of two changes of a hub the later one holds everywhere:\n"
    "it is dated after the hub's last change the locators show.\n";

int
cli_registry_admin (const char *keys, const char *locators, int timeout_ms, int argc,
                    char **argv)
{
    const char *action = NULL, *hub_id = NULL, *hub_key = "", *ledger_key = "", *reason = "";
    int64_t stake = -1;
    bool bad = false;
    for (int index = 1; index < argc && !bad; index++) {
        const char *arg = argv [index];
        bool has_value = index + 1 < argc;
        if (streq (arg, "--hub-key") && has_value)
            hub_key = argv [++index];
        else
        if (streq (arg, "--ledger-key") && has_value)
            ledger_key = argv [++index];
        else
        if (streq (arg, "--reason") && has_value)
            reason = argv [++index];
        else
        if (streq (arg, "--stake") && has_value) {
            char *end = NULL;
            errno = 0;
            long long value = strtoll (argv [++index], &end, 10);
            bad = errno || !end || *end || end == argv [index] || value < 0;
            stake = (int64_t) value;
        }
        else
        if (arg [0] != '-' && !action)
            action = arg;
        else
        if (arg [0] != '-' && !hub_id)
            hub_id = arg;
        else
            bad = true;
    }
    const char *status = !action? NULL
                       : streq (action, "add") || streq (action, "clear")? "registered"
                       : streq (action, "suspect")? "suspected"
                       : streq (action, "blacklist")? "blacklisted": NULL;
    if (s_help (argc, argv) || bad || !status || !hub_id) {
        fprintf (s_help (argc, argv)? stdout: stderr, "%s", s_admin_help);
        return s_help (argc, argv)? 0: 2;
    }
    char key [64] = "";
    if (*hub_key && fg_security_read_key (hub_key, key)) {
        fprintf (stderr, "fogrid: admin registry: --hub-key '%s' is neither a public key nor a "
                 "key file\n", hub_key);
        return 2;
    }
    Fogrid__RegistrySet set = FOGRID__REGISTRY_SET__INIT;
    set.hub_id = (char *) hub_id;
    set.hub_key = key;
    set.ledger_key = (char *) ledger_key;
    set.status = (char *) status;
    set.stake = stake;
    set.reason = (char *) reason;
    set.at_ms = s_change_time (locators, timeout_ms, hub_id);
    //  Plain text (security/insecure): unsigned, for locators with admin_keys *
    fg_hub_seal_t seal;
    if (fg_security_cert ()) {
        char curve [1024], path [1100], err [1300];
        const char *home = getenv ("HOME");
        if (keys && *keys)
            snprintf (curve, sizeof curve, "%s", keys);
        else
            snprintf (curve, sizeof curve, "%s/.fogrid/buyer.key", home && *home? home: ".");
        fg_signkey_path (curve, path, sizeof path);
        fg_signkey_t *sign_key = fg_signkey_load (path, false, err, sizeof err);
        if (!sign_key) {
            fprintf (stderr, "fogrid: admin registry: %s; run `fogrid keygen %s`, and give %s "
                     "to the locators' operators (locator/admin_keys)\n", err, curve, path);
            return 1;
        }
        fg_hub_record_sign (&set, sign_key, &seal);
        fg_signkey_destroy (&sign_key);
    }
    fg_env_t request = FOGRID__ENVELOPE__INIT;
    request.body_case = FOGRID__ENVELOPE__BODY_REGISTRY_SET;
    request.registry_set = &set;

    //  Each locator listed gets it: one that is down has it from its peers
    zlist_t *list = fg_split_list (locators);
    int rc = zlist_size (list)? 0: 1;
    if (rc)
        fprintf (stderr, "fogrid: admin registry: no locator is configured (-l)\n");
    for (char *locator = (char *) zlist_first (list); locator; locator = (char *) zlist_next (list)) {
        fg_resolver_t *resolver = fg_resolver_new (locator, timeout_ms);
        fg_env_t *reply = NULL;
        fg_error_t error = fg_resolver_call (resolver, &request, &reply);
        if (error == FG_OK && reply->body_case == FOGRID__ENVELOPE__BODY_REGISTRY_REPLY
        &&  reply->registry_reply->n_hubs == 1) {
            const Fogrid__RegistryHub *hub = reply->registry_reply->hubs [0];
            printf ("%s: %s %s\n", locator, hub_id, hub->status);
            s_print_hub (hub);
            if (hub->updated_ms > set.at_ms)
                printf ("  (a later change of this hub holds there)\n");
        }
        else {
            fprintf (stderr, "fogrid: admin registry %s %s: %s\n", action, hub_id,
                     error? fg_resolver_error_text (resolver): "the locator answered something else");
            rc = 1;
        }
        fg_msg_free (&reply);
        fg_resolver_destroy (&resolver);
    }
    zlist_destroy (&list);
    return rc;
}
