/*  =========================================================================
    cli_ratings - `fogrid ratings`: the hubs a miner knows, as it rates them

    DESIGN
    The miner's HTTP API is where its live state is (its agent thread
    answers it), so the command line reads that (fg_http_get) rather
    than the rating files under the miner's data directory: the last
    checks exist only in the running miner.
    =========================================================================  */
#include "fogrid.h"
#include "cli_ratings.h"

static const char *s_help =
    "usage: fogrid ratings [--miner HOST:PORT|URL] [--json]\n"
    "  the hubs a miner knows, from its HTTP API (miner/http; default\n"
    "  127.0.0.1:7782): each hub's rating from the miner's own payment history\n"
    "  (paid minus unpaid successful tasks, -100 per receipt that did not\n"
    "  verify), the payments seen, whether the miner trusts it (rated above\n"
    "  miner/trust_level: no wallet check), and how its last check since the\n"
    "  miner started ended, and why. --json prints the API's answer as it is.\n";

static const char *
s_str (json_t *object, const char *key)
{
    const char *text = json_string_value (json_object_get (object, key));
    return text? text: "";
}

static json_int_t
s_int (json_t *object, const char *key)
{
    return json_integer_value (json_object_get (object, key));
}

static void
s_print (json_t *root)
{
    json_int_t level = s_int (root, "trust_level");
    char trust [80] = "checks every hub in full (trust_level 0)";
    if (level)
        snprintf (trust, sizeof trust, "trusts hubs rated above %" JSON_INTEGER_FORMAT, level);
    printf ("miner %s: %s; %s; least stake %" JSON_INTEGER_FORMAT "\n", s_str (root, "miner_id"),
            trust, json_is_true (json_object_get (root, "require_registry"))
            ? "only hubs registered in the hub registry": "any hub the registry does not refuse",
            s_int (root, "min_stake"));
    printf ("%-20s %7s %6s %6s %4s %10s %-7s %s\n", "HUB", "RATING", "PAID", "UNPAID", "BAD",
            "EARNED", "TRUSTED", "LAST CHECK");
    json_t *hubs = json_object_get (root, "hubs");
    size_t index;
    json_t *hub;
    json_array_foreach (hubs, index, hub) {
        json_t *check = json_object_get (hub, "last_check");
        char name [80], last [160] = "-";
        snprintf (name, sizeof name, "%s%s", *s_str (hub, "hub_id")? s_str (hub, "hub_id")
                                                                    : "(unnamed)",
                  json_is_true (json_object_get (hub, "current"))? " *": "");
        if (json_is_object (check)) {
            char when [32];
            fg_time_format ((int64_t) s_int (check, "at_ms"), when, sizeof when);
            snprintf (last, sizeof last, "%s %s (%" JSON_INTEGER_FORMAT " accepted, %"
                      JSON_INTEGER_FORMAT " refused)", s_str (check, "result"), when,
                      s_int (check, "accepted"), s_int (check, "refused"));
        }
        printf ("%-20s %7" JSON_INTEGER_FORMAT " %6" JSON_INTEGER_FORMAT " %6" JSON_INTEGER_FORMAT
                " %4" JSON_INTEGER_FORMAT " %10" JSON_INTEGER_FORMAT " %-7s %s\n", name,
                s_int (hub, "rating"), s_int (hub, "paid"), s_int (hub, "unpaid"),
                s_int (hub, "bad"), s_int (hub, "earned"),
                json_is_true (json_object_get (hub, "trusted"))? "yes": "no", last);
        if (json_is_object (check) && *s_str (check, "reason"))
            printf ("    %s\n", s_str (check, "reason"));
        if (!*s_str (hub, "hub_id") && *s_str (hub, "endpoint"))
            printf ("    at %s\n", s_str (hub, "endpoint"));
    }
    if (json_array_size (hubs) == 0)
        printf ("(no hub yet)\n");
    else
        printf ("(* the hub it checked last)\n");
}

int
cli_ratings (int timeout_ms, int argc, char **argv)
{
    const char *miner = "127.0.0.1:7782";
    bool as_json = false, bad = false, help = false;
    for (int index = 1; index < argc; index++) {
        if (streq (argv [index], "--miner") && index + 1 < argc)
            miner = argv [++index];
        else
        if (streq (argv [index], "--json"))
            as_json = true;
        else
        if (streq (argv [index], "-h") || streq (argv [index], "--help"))
            help = true;
        else
            bad = true;
    }
    if (help || bad || !*miner) {
        fprintf (help? stdout: stderr, "%s", s_help);
        return help? 0: 2;
    }
    char url [600], err [600];
    bool has_scheme = strstr (miner, "://") != NULL;
    size_t length = strlen (miner);
    snprintf (url, sizeof url, "%s%.*s/api/v1/hubs", has_scheme? "": "http://",
              (int) (length && miner [length - 1] == '/'? length - 1: length), miner);
    zchunk_t *body = NULL;
    if (fg_http_get (url, timeout_ms, "fogrid ratings", &body, err, sizeof err)) {
        fprintf (stderr, "fogrid: ratings: %s (is the miner's miner/http there?)\n", err);
        return 1;
    }
    json_error_t error;
    json_t *root = json_loadb ((const char *) zchunk_data (body), zchunk_size (body), 0, &error);
    int rc = 0;
    if (!json_is_object (root) || !json_is_array (json_object_get (root, "hubs"))) {
        fprintf (stderr, "fogrid: ratings: %s did not answer with the miner's hubs (%s)\n", url,
                 root? "another document": error.text);
        rc = 1;
    }
    else
    if (as_json) {
        char *text = json_dumps (root, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
        printf ("%s\n", text);
        free (text);
    }
    else
        s_print (root);
    json_decref (root);
    zchunk_destroy (&body);
    return rc;
}
