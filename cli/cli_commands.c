/*  =========================================================================
    cli_commands - the `fogrid` command line: the buyer's and operator's tool

    DESIGN
    One table of commands, each a function taking its own arguments after
    the global options. Output is for people by default and stable enough
    for scripts: `submit` prints only the task id, `result --stdout` only
    the task's stdout. Errors go to stderr as "fogrid: <what>: <why>".

    This file keeps the global options, the table and its dispatch, and
    the commands that are only a view of the hub (miners, health, top) or
    need the key files (keygen, admin registry). The rest belong to the
    state they act on: a task's (cli_tasks), the ledger's (cli_money), the
    locators' names (cli_names), the court's (cli_court), the services'
    (cli_service), the registry's (cli_registry), the books (cli_books).
    =========================================================================  */
#include "fogrid.h"
#include "cli_client.h"
#include "cli_commands.h"
#include "cli_monitor.h"
#include "cli_spec.h"
#include "cli_tasks.h"
#include "cli_money.h"
#include "cli_names.h"
#include "cli_service.h"
#include "cli_registry.h"
#include "cli_ratings.h"
#include "cli_books.h"
#include "cli_court.h"
#include "fg_signkey.h"
#include <getopt.h>

typedef struct {
    cli_opts_t opts;            //  -l, -H, --hub-key, -T (FOGRID_LOCATOR, _HUB, _HUB_KEY)
    fg_config_t *config;        //  security settings (FG_SECURITY_DEFS)
} s_globals_t;

//  The command line's own settings: only the security ones
static const fg_cfg_def_t s_defs [] = {
    FG_SECURITY_DEFS,
    { NULL }
};

//  ... and the environment variables that give them. These are the
//  command line's own names: the daemons read FOGRID_SECURITY_* (their
//  fg_config overrides), so a daemon started from a shell where a buyer
//  had exported FOGRID_SECURITY_KEYS took the buyer's key pair as its
//  own. The old names are still read, for one release, the keys' with a
//  warning (the other two mean the same to every program).
static const struct {
    const char *name;           //  the variable
    const char *old;            //  its former name, still read
    bool warn;                  //  say that the former name is going away
    const char *path;           //  the setting it gives
} s_env [] = {
    { "FOGRID_KEYS", "FOGRID_SECURITY_KEYS", true, "security/keys" },
    { "FOGRID_LOCATOR_KEY", "FOGRID_SECURITY_LOCATOR_KEY", false, "security/locator_key" },
    { "FOGRID_INSECURE", "FOGRID_SECURITY_INSECURE", false, "security/insecure" },
};

//  Applies the environment to the security settings. Returns 0, or -1
//  saying why on stderr.
static int
s_apply_env (fg_config_t *config)
{
    for (size_t index = 0; index < sizeof s_env / sizeof s_env [0]; index++) {
        const char *name = s_env [index].name;
        const char *value = getenv (name);
        if (!value && (value = getenv (s_env [index].old))) {
            name = s_env [index].old;
            if (s_env [index].warn)
                fprintf (stderr, "fogrid: warning: %s is deprecated for the command line (it "
                         "is also every daemon's security/keys): use %s\n", name,
                         s_env [index].name);
        }
        if (value && fg_config_set (config, s_env [index].path, value)) {
            fprintf (stderr, "fogrid: environment %s: %s\n", name, fg_config_error (config));
            return -1;
        }
    }
    return 0;
}


typedef int (s_command_fn) (s_globals_t *globals, int argc, char **argv);

typedef struct {
    const char *name;
    s_command_fn *fn;           //  a command of this file, or NULL for
    int (*run) (const cli_opts_t *opts, int argc, char **argv);    //  one of another's
    bool keyless;               //  runs without the key pair (security is not set up)
    const char *args;
    const char *help;
} s_command_t;

static s_command_fn s_cmd_miners, s_cmd_health, s_cmd_keygen, s_cmd_admin, s_cmd_top;
static s_command_fn s_cmd_registry;     //  registry, admin registry: cli_registry.c
static s_command_fn s_cmd_ratings;      //  ratings: cli_ratings.c
static s_command_fn s_cmd_court;        //  challenge, verdict, verify-verdict, stake: cli_court.c

static const s_command_t s_commands [] = {
    { "submit", NULL, cli_tasks_main, false, "[options] -- COMMAND [ARG...]",
      "submit a task; prints its id" },
    { "status", NULL, cli_tasks_main, false, "TASK", "show a task's state and history" },
    { "wait", NULL, cli_tasks_main, false, "TASK [TASK...]",
      "follow tasks until they end; exits with the exit code" },
    { "result", NULL, cli_tasks_main, false, "[--files DIR] [--stdout] TASK",
      "print a task's output and exit code; --files DIR writes its files there" },
    { "logs", NULL, cli_tasks_main, false, "[-f] TASK",
      "its output; -f: as it comes, until it ends" },
    { "cancel", NULL, cli_tasks_main, false, "TASK", "cancel a task" },
    { "miners", s_cmd_miners, NULL, false, "", "list the hub's miners with resources and load" },
    { "health", s_cmd_health, NULL, false, "[--all]",
      "summary of the hub (or of every hub): miners, tasks, queue" },
    { "top", s_cmd_top, NULL, false, "[--interval MS] [--count N]",
      "the hub's miners, queue and rates, live" },
    { "deposit", NULL, cli_money_main, false, "[--token T] AMOUNT",
      "credit your account (hubs with open deposits)" },
    { "withdraw", NULL, cli_money_main, false, "[--token T] AMOUNT", "pay out of your account" },
    { "wallet", NULL, cli_money_main, false, "[--account A] [--limit N]",
      "your balance, escrow and history" },
    { "receipt", NULL, cli_money_main, false, "[-o FILE] TASK",
      "a task's payout receipt, signed by the hub" },
    { "verify-receipt", NULL, cli_money_main, true, "--hub-key KEY FILE",
      "check a receipt offline (KEY: the hub's ledger key)" },
    { "challenge", s_cmd_court, NULL, false, "TASK",
      "challenge a result in its window (a deposit is held)" },
    { "verdict", s_cmd_court, NULL, false, "[-o FILE] TASK",
      "a task's verdict, signed by the hub" },
    { "verify-verdict", s_cmd_court, NULL, false, "--hub-key KEY FILE",
      "check a verdict offline (KEY: the hub's ledger key)" },
    { "stake", s_cmd_court, NULL, false, "deposit|withdraw MINER AMOUNT",
      "a miner's stake (its own key)" },
    { "admin", s_cmd_admin, NULL, false, "wallet|registry|books ...",
      "the hub's wallet, the hub registry: the DAO's and owner's acts; the books" },
    { "registry", s_cmd_registry, NULL, false, "[--hub HUB_ID]",
      "the hub registry (whitelist) the locators keep" },
    { "ratings", s_cmd_ratings, NULL, true, "[--miner HOST:PORT] [--json]",
      "a miner's hubs: rating, payments, trusted, last check and why" },
    { "resolve", NULL, cli_names_main, false, "[--policy P] NAME",
      "show a service's endpoints and functions" },
    { "watch", NULL, cli_names_main, false, "[--policy P] [--for S] NAME",
      "print a name's endpoints at each change" },
    { "services", NULL, cli_names_main, false, "",
      "list the names the locators know, with endpoint counts" },
    { "run-service", NULL, cli_service_main, false, "--image I --name N --port P",
      "run a service on a docker miner, kept in the locator" },
    { "stop-service", NULL, cli_service_main, false, "TASK",
      "stop a service: it leaves the locator" },
    { "call", NULL, cli_service_main, false, "NAME FUNCTION [ARG...]",
      "resolve a service and call one of its functions" },
    { "keygen", s_cmd_keygen, NULL, true, "[FILE]",
      "make a key pair and its signing pair (default ~/.fogrid/buyer.key)" },
    { NULL }
};


static int
s_usage (FILE *out)
{
    fprintf (out,
        "fogrid %s - the command line of the fogrid compute grid\n\n"
        "usage: fogrid [global options] COMMAND [ARGS]\n\n"
        "global options:\n"
        "  -l, --locator ENDPOINTS  locators, comma-separated (env FOGRID_LOCATOR,\n"
        "                           default tcp://127.0.0.1:7700)\n"
        "  -H, --hub ENDPOINT       talk to this hub instead of resolving `hub`\n"
        "                           (env FOGRID_HUB)\n"
        "  -T, --timeout MS         per-request timeout (default 5000)\n"
        "  -k, --keys FILE          your key pair (env FOGRID_KEYS, default\n"
        "                           ~/.fogrid/buyer.key, made when missing)\n"
        "  -K, --locator-key KEY    the locators' public key or key file\n"
        "                           (env FOGRID_LOCATOR_KEY)\n"
        "      --hub-key KEY        the hub's public key, with --hub (env FOGRID_HUB_KEY)\n"
        "      --insecure           plain text, for grids run with security/insecure\n"
        "                           (env FOGRID_INSECURE=1)\n"
        "                           (FOGRID_SECURITY_* are the daemons' variables;\n"
        "                           read here only when these are not set, and\n"
        "                           FOGRID_SECURITY_KEYS with a warning)\n"
        "  -h, --help               this help; `fogrid COMMAND --help` for a command\n"
        "  -V, --version            show the version\n\n"
        "commands:\n", FG_VERSION_STRING);
    for (const s_command_t *cmd = s_commands; cmd->name; cmd++)
        fprintf (out, "  %-14s %-30s %s\n", cmd->name, cmd->args, cmd->help);
    fprintf (out, "\nexample:\n  fogrid submit -- sh -c 'echo hello; exit 3'\n"
                  "  fogrid wait t-0123456789ab\n");
    return out == stderr? 2: 0;
}


//  ---------------------------------------------------------------------
//  miners, health, resolve

static int
s_cmd_miners (s_globals_t *globals, int argc, char **argv)
{
    if (argc != 1) {
        fprintf (stderr, "usage: fogrid miners\n");
        return cli_wants_help (argc, argv)? 0: 2;
    }
    cli_client_t *client = cli_client_connect (&globals->opts);
    if (!client)
        return 1;
    fg_env_t *reply = NULL;
    Fogrid__MinersReply *miners = cli_client_miners (client, &reply);
    int rc = miners? 0: cli_client_failed (client, "miners");
    if (miners) {
        //  USED_MB: what its running tasks were last seen to use (not reserve)
        //  REP: its reputation (0..1: results that stood against those outvoted
        //  and verdicts lost), STAKE: what a verdict against it could take
        printf ("%-16s %-14s %-12s %5s %8s %8s %6s %7s %7s %5s %4s %6s %s\n", "MINER", "NAME",
                "STATE", "CORES", "MEM_MB", "DISK_MB", "PRICE", "RUNNING", "USED_MB", "LOAD",
                "REP", "STAKE", "SEEN");
        int64_t now = fg_now_ms ();
        for (size_t i = 0; i < miners->n_miners; i++) {
            Fogrid__MinerInfo *miner = miners->miners [i];
            Fogrid__Resources *res = miner->resources;
            Fogrid__Load *load = miner->load;
            Fogrid__Usage *usage = load? load->usage: NULL;
            printf ("%-16s %-14.14s %-12s %5u %8" PRIu64 " %8" PRIu64 " %6" PRIu64 " %7u %7.1f "
                    "%5.2f %4.2f %6" PRId64 " %.1fs ago\n",
                    miner->miner_id, miner->name, miner->state,
                    res? res->cores: 0, res? res->mem_mb: 0, res? res->disk_mb: 0,
                    res? res->price: 0, load? load->running: 0,
                    usage? (double) usage->mem_bytes / (1024.0 * 1024.0): 0.0,
                    load? load->load1: 0.0,
                    miner->resolved || miner->mismatches || miner->verdicts_lost
                    ? miner->reputation: 1.0, miner->stake,
                    miner->last_seen_ms? (now - (int64_t) miner->last_seen_ms) / 1000.0: 0.0);
        }
        if (miners->n_miners == 0)
            printf ("(no miners)\n");
    }
    fg_msg_free (&reply);
    cli_client_destroy (&client);
    return rc;
}

static int
s_cmd_health (s_globals_t *globals, int argc, char **argv)
{
    if (argc == 2 && streq (argv [1], "--all"))
        return cli_monitor_hubs (globals->opts.locators, globals->opts.timeout_ms);
    if (argc != 1) {
        fprintf (stderr, "usage: fogrid health [--all]\n"
                 "  --all: every hub the locators know, a line each\n");
        return cli_wants_help (argc, argv)? 0: 2;
    }
    cli_client_t *client = cli_client_connect (&globals->opts);
    if (!client)
        return 1;
    fg_env_t *reply = NULL;
    Fogrid__HealthReply *health = cli_client_health (client, &reply);
    int rc = health? 0: cli_client_failed (client, "health");
    if (health) {
        printf ("hub      %s at %s, up %.0fs\n", health->hub_id, cli_client_endpoint (client),
                health->uptime_ms / 1000.0);
        printf ("queue    %u pending\n", health->queue_length);
        printf ("miners  ");
        for (size_t i = 0; i < health->n_miners_by_state; i++)
            printf (" %s=%" PRIu64, health->miners_by_state [i]->name, health->miners_by_state [i]->value);
        printf ("\ntasks   ");
        for (size_t i = 0; i < health->n_tasks_by_state; i++)
            printf (" %s=%" PRIu64, health->tasks_by_state [i]->name, health->tasks_by_state [i]->value);
        printf ("\n");
    }
    fg_msg_free (&reply);
    cli_client_destroy (&client);
    return rc;
}

static int
s_cmd_top (s_globals_t *globals, int argc, char **argv)
{
    int interval_ms = 1000, rounds = 0;
    for (int index = 1; index < argc; index++) {
        if (streq (argv [index], "--interval") && index + 1 < argc)
            interval_ms = atoi (argv [++index]);
        else
        if (streq (argv [index], "--count") && index + 1 < argc)
            rounds = atoi (argv [++index]);
        else
            interval_ms = -1, index = argc;
    }
    if (interval_ms < 100 || rounds < 0) {
        fprintf (stderr, "usage: fogrid top [--interval MS] [--count N]\n"
                 "  the hub's miners, queue and rates, redrawn every MS (>= 100, default\n"
                 "  1000) until Ctrl-C, or N times\n");
        return cli_wants_help (argc, argv)? 0: 2;
    }
    cli_client_t *client = cli_client_connect (&globals->opts);
    if (!client)
        return 1;
    int rc = cli_monitor_top (client, interval_ms, rounds);
    cli_client_destroy (&client);
    return rc;
}

static int
s_cmd_registry (s_globals_t *globals, int argc, char **argv)
{
    return cli_registry_list (globals->opts.locators, globals->opts.timeout_ms, argc, argv);
}

static int
s_cmd_court (s_globals_t *globals, int argc, char **argv)
{
    if (cli_court_offline (argv [0]) || cli_wants_help (argc, argv))
        return cli_court (NULL, argc, argv);
    cli_client_t *client = cli_client_connect (&globals->opts);
    if (!client)
        return 1;
    int rc = cli_court (client, argc, argv);
    cli_client_destroy (&client);
    return rc;
}

static int
s_cmd_ratings (s_globals_t *globals, int argc, char **argv)
{
    return cli_ratings (globals->opts.timeout_ms, argc, argv);
}


//  admin wallet is the ledger's (cli_money), admin books the books'
//  (cli_books); admin registry needs the key pair's signing key.
static int
s_cmd_admin (s_globals_t *globals, int argc, char **argv)
{
    if (argc >= 2 && streq (argv [1], "registry"))
        return cli_registry_admin (fg_config_str (globals->config, "security/keys"),
                                   globals->opts.locators, globals->opts.timeout_ms, argc - 1,
                                   argv + 1);
    if (argc >= 2 && streq (argv [1], "books"))
        return cli_books_main (&globals->opts, argc - 1, argv + 1);
    return cli_money_admin (&globals->opts, argc, argv);
}

static void
s_default_keys (char *path, size_t size, const char *name)
{
    const char *home = getenv ("HOME");
    snprintf (path, size, "%s/.fogrid/%s", home && *home? home: ".", name);
}

static int
s_cmd_keygen (s_globals_t *globals, int argc, char **argv)
{
    (void) globals;
    if (argc > 2 || cli_wants_help (argc, argv)) {
        fprintf (stderr, "usage: fogrid keygen [FILE]\n"
                 "  makes FILE (CurveZMQ public key) and FILE_secret (its secret key, mode\n"
                 "  0600), and beside them the signing key pair (Ed25519) that signs what\n"
                 "  others check later, such as hub registry changes: FILE's name with .sign\n"
                 "  for .key (public) and .sign_secret (mode 0600); prints the CurveZMQ\n"
                 "  public key. An existing pair is kept (a missing signing pair is made)\n");
        return cli_wants_help (argc, argv)? 0: 2;
    }
    char path [1024], sign_path [1100];
    if (argc == 2)
        snprintf (path, sizeof path, "%s", argv [1]);
    else
        s_default_keys (path, sizeof path, "buyer.key");
    char err [1300];
    zcert_t *cert = fg_curve_keys (path, true, err, sizeof err);
    fg_signkey_path (path, sign_path, sizeof sign_path);
    fg_signkey_t *sign_key = cert? fg_signkey_load (sign_path, true, err, sizeof err): NULL;
    if (!sign_key) {
        cli_error ("keygen", err);
        zcert_destroy (&cert);
        return 1;
    }
    printf ("%s\n", zcert_public_txt (cert));
    fprintf (stderr, "key pair in %s (public) and %s_secret (keep it private); give the "
             "public file to the operators who must admit you\n", path, path);
    fprintf (stderr, "signing key %s in %s (public) and %s_secret (keep it private); give "
             "the public file to the locators' operators if you are the DAO "
             "(locator/admin_keys)\n", fg_signkey_public_txt (sign_key), sign_path, sign_path);
    fg_signkey_destroy (&sign_key);
    zcert_destroy (&cert);
    return 0;
}

//  Sets up security for commands that talk to the grid.
static int
s_security (s_globals_t *globals)
{
    char keys [1024], err [512];
    s_default_keys (keys, sizeof keys, "buyer.key");
    if (fg_security_init (globals->config, keys, true, err, sizeof err)) {
        cli_error ("security", err);
        return -1;
    }
    return 0;
}

//  ---------------------------------------------------------------------

static int s_run (s_globals_t *globals, int argc, char **argv);

int
cli_main (int argc, char **argv)
{
    //  The CLI prints its own errors; czmq's log lines would only repeat them
    zsys_init ();
    s_globals_t globals = {
        .opts.locators = getenv ("FOGRID_LOCATOR"),
        .opts.hub = getenv ("FOGRID_HUB"),
        .opts.hub_key = getenv ("FOGRID_HUB_KEY"),
        .opts.timeout_ms = 5000,
        .config = fg_config_new (s_defs)
    };
    int rc = s_run (&globals, argc, argv);
    fg_security_term ();
    fg_config_destroy (&globals.config);
    return rc;
}

static int
s_run (s_globals_t *globals_p, int argc, char **argv)
{
    s_globals_t globals = *globals_p;
    if (s_apply_env (globals.config))
        return 2;
    if (!globals.opts.locators || !*globals.opts.locators)
        globals.opts.locators = "tcp://127.0.0.1:7700";
    int index = 1;
    for (; index < argc && argv [index][0] == '-'; index++) {
        const char *arg = argv [index];
        const char *value = index + 1 < argc? argv [index + 1]: NULL;
        if (streq (arg, "-h") || streq (arg, "--help"))
            return s_usage (stdout);
        if (streq (arg, "-V") || streq (arg, "--version")) {
            printf ("fogrid %s (protocol %d)\n", FG_VERSION_STRING, FG_PROTO_VERSION);
            return 0;
        }
        if (streq (arg, "--insecure")) {
            fg_config_set (globals.config, "security/insecure", "1");
            continue;
        }
        if (!value) {
            fprintf (stderr, "fogrid: unknown option or missing value: %s (see fogrid --help)\n", arg);
            return 2;
        }
        if (streq (arg, "-l") || streq (arg, "--locator"))
            globals.opts.locators = value;
        else
        if (streq (arg, "-H") || streq (arg, "--hub"))
            globals.opts.hub = value;
        else
        if (streq (arg, "--hub-key"))
            globals.opts.hub_key = value;
        else
        if (streq (arg, "-k") || streq (arg, "--keys"))
            fg_config_set (globals.config, "security/keys", value);
        else
        if (streq (arg, "-K") || streq (arg, "--locator-key"))
            fg_config_set (globals.config, "security/locator_key", value);
        else
        if (streq (arg, "-T") || streq (arg, "--timeout")) {
            globals.opts.timeout_ms = atoi (value);
            if (globals.opts.timeout_ms <= 0) {
                fprintf (stderr, "fogrid: --timeout wants milliseconds > 0\n");
                return 2;
            }
        }
        else {
            fprintf (stderr, "fogrid: unknown option '%s' (see fogrid --help)\n", arg);
            return 2;
        }
        index++;
    }
    if (index >= argc)
        return s_usage (stderr);
    for (const s_command_t *cmd = s_commands; cmd->name; cmd++)
        if (streq (cmd->name, argv [index])) {
            if (!cmd->keyless       //  keygen makes them, ratings is plain HTTP
            &&  !cli_wants_help (argc - index, argv + index)
            &&  s_security (&globals))
                return 1;
            return cmd->fn? cmd->fn (&globals, argc - index, argv + index)
                          : cmd->run (&globals.opts, argc - index, argv + index);
        }
    fprintf (stderr, "fogrid: unknown command '%s' (see fogrid --help)\n", argv [index]);
    return 2;
}
