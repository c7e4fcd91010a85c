/*  =========================================================================
    cli_commands - the `fogrid` command line: the buyer's and operator's tool

    DESIGN
    One table of commands, each a function taking its own arguments after
    the global options. Output is for people by default and stable enough
    for scripts: `submit` prints only the task id, `result --stdout` only
    the task's stdout. Errors go to stderr as "fogrid: <what>: <why>".
    =========================================================================  */
#include "fogrid.h"
#include "cli_client.h"
#include "cli_commands.h"
#include "cli_monitor.h"
#include "cli_array.h"
#include "cli_spec.h"
#include "cli_service.h"
#include "cli_registry.h"
#include "cli_ratings.h"
#include "cli_files.h"
#include "cli_books.h"
#include "cli_inputs.h"
#include "cli_logs.h"
#include "cli_court.h"
#include "fg_receipt.h"
#include "fg_signkey.h"
#include <getopt.h>

typedef struct {
    const char *locators;       //  -l / FOGRID_LOCATOR
    const char *hub;            //  -H / FOGRID_HUB
    const char *hub_key;        //  --hub-key / FOGRID_HUB_KEY
    int timeout_ms;             //  --timeout
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
    s_command_fn *fn;
    const char *args;
    const char *help;
} s_command_t;

static s_command_fn s_cmd_submit, s_cmd_status, s_cmd_wait, s_cmd_result,
    s_cmd_cancel, s_cmd_miners, s_cmd_health, s_cmd_resolve, s_cmd_services, s_cmd_keygen,
    s_cmd_deposit, s_cmd_wallet, s_cmd_watch, s_cmd_admin, s_cmd_receipt, s_cmd_verify_receipt, s_cmd_top;
static s_command_fn s_cmd_service;      //  run-service, stop-service, call: cli_service.c
static s_command_fn s_cmd_registry;     //  registry, admin registry: cli_registry.c
static s_command_fn s_cmd_ratings;      //  ratings: cli_ratings.c
static s_command_fn s_cmd_court;        //  challenge, verdict, verify-verdict, stake: cli_court.c

static const s_command_t s_commands [] = {
    { "submit", s_cmd_submit, "[options] -- COMMAND [ARG...]", "submit a task; prints its id" },
    { "status", s_cmd_status, "TASK", "show a task's state and history" },
    { "wait", s_cmd_wait, "TASK [TASK...]", "follow tasks until they end; exits with the exit code" },
    { "result", s_cmd_result, "[--files DIR] [--stdout] TASK",
      "print a task's output and exit code; --files DIR writes its files there" },
    { "logs", s_cmd_result, "[-f] TASK", "its output; -f: as it comes, until it ends" },
    { "cancel", s_cmd_cancel, "TASK", "cancel a task" },
    { "miners", s_cmd_miners, "", "list the hub's miners with resources and load" },
    { "health", s_cmd_health, "[--all]", "summary of the hub (or of every hub): miners, tasks, queue" },
    { "top", s_cmd_top, "[--interval MS] [--count N]", "the hub's miners, queue and rates, live" },
    { "deposit", s_cmd_deposit, "[--token T] AMOUNT", "credit your account (hubs with open deposits)" },
    { "withdraw", s_cmd_deposit, "[--token T] AMOUNT", "pay out of your account" },
    { "wallet", s_cmd_wallet, "[--account A] [--limit N]", "your balance, escrow and history" },
    { "receipt", s_cmd_receipt, "[-o FILE] TASK", "a task's payout receipt, signed by the hub" },
    { "verify-receipt", s_cmd_verify_receipt, "--hub-key KEY FILE",
      "check a receipt offline (KEY: the hub's ledger key)" },
    { "challenge", s_cmd_court, "TASK", "challenge a result in its window (a deposit is held)" },
    { "verdict", s_cmd_court, "[-o FILE] TASK", "a task's verdict, signed by the hub" },
    { "verify-verdict", s_cmd_court, "--hub-key KEY FILE",
      "check a verdict offline (KEY: the hub's ledger key)" },
    { "stake", s_cmd_court, "deposit|withdraw MINER AMOUNT", "a miner's stake (its own key)" },
    { "admin", s_cmd_admin, "wallet|registry|books ...",
      "the hub's wallet, the hub registry: the DAO's and owner's acts; the books" },
    { "registry", s_cmd_registry, "[--hub HUB_ID]", "the hub registry (whitelist) the locators keep" },
    { "ratings", s_cmd_ratings, "[--miner HOST:PORT] [--json]",
      "a miner's hubs: rating, payments, trusted, last check and why" },
    { "resolve", s_cmd_resolve, "[--policy P] NAME", "show a service's endpoints and functions" },
    { "watch", s_cmd_watch, "[--policy P] [--for S] NAME", "print a name's endpoints at each change" },
    { "services", s_cmd_services, "", "list the names the locators know, with endpoint counts" },
    { "run-service", s_cmd_service, "--image I --name N --port P",
      "run a service on a docker miner, kept in the locator" },
    { "stop-service", s_cmd_service, "TASK", "stop a service: it leaves the locator" },
    { "call", s_cmd_service, "NAME FUNCTION [ARG...]", "resolve a service and call one of its functions" },
    { "keygen", s_cmd_keygen, "[FILE]", "make a key pair and its signing pair (default ~/.fogrid/buyer.key)" },
    { NULL, NULL, NULL, NULL }
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

static void
s_error (const char *what, const char *why)
{
    cli_error (what, why);
}

static cli_client_t *
s_connect (s_globals_t *globals)
{
    char err [512];
    cli_client_t *client = cli_client_new (globals->locators, globals->hub, globals->hub_key,
                                           globals->timeout_ms, err, sizeof err);
    if (!client)
        s_error ("cannot reach a hub", err);
    return client;
}

//  Exit status for a failed call: 1, and the reason on stderr.
static int
s_call_failed (cli_client_t *client, const char *what)
{
    s_error (what, cli_client_error_text (client));
    return 1;
}

//  ---------------------------------------------------------------------
//  submit

static const char *s_submit_help =
    "usage: fogrid submit [options] -- COMMAND [ARG...]\n\n"
    "options:\n"
    "  --cores N          cores needed (default 1)\n"
    "  --mem MB           memory needed, also its limit\n"
    "  --disk MB          disk needed\n"
    "  --gpus N           GPUs needed\n"
    "  --label KEY=VALUE  a label the miner must have (repeatable)\n"
    "  --constraint EXPR  expression over the miner's attributes\n"
    "  --max-price N      price ceiling, in the smallest unit\n"
    "  --timeout S        kill the task after S seconds\n"
    "  --retries N        attempts after a lost miner\n"
    "  --policy P         fastest | cheapest | binpack | spread\n"
    "  --runtime R        process | docker\n"
    "  --image IMAGE      container image (docker runtime)\n"
    "  --env KEY=VALUE    environment for the task (repeatable); the miner adds\n"
    "                     FOGRID_TASK_ID (the task's id) and FOGRID_ATTEMPT (1, then\n"
    "                     one more each time it is requeued), which no --env replaces\n"
    "  --output PATH      a file or directory the task leaves, copied back with its\n"
    "                     result, success or not (repeatable, up to 32): docker,\n"
    "                     absolute in the container or relative to the image's\n"
    "                     working directory; process, relative to the task's work\n"
    "                     directory. Get them with fogrid result --files DIR TASK\n"
    "  --input FILE[:NAME]  a file put in the task's work directory before it runs,\n"
    "                     as NAME (default: its own name; relative, no '..'), its\n"
    "                     mode kept (--input ./job then -- ./job); a directory\n"
    "                     goes with every file under it (repeatable; the hub takes\n"
    "                     hub/max_inputs bytes in all, 1 MiB by default)\n"
    "  --input-url URL:NAME:SHA256  a file the miner fetches (http, https) and\n"
    "                     checks against SHA256 before the task runs (repeatable)\n"
    "  --token TOKEN      client token: the same token never makes two tasks\n"
    "  --replicas N       run it on N miners of distinct owners (default hub/replicas)\n"
    "  --quorum Q         its result is the one Q of them return (default a majority)\n"
    "  --challenge-window S  its result may be challenged (fogrid challenge) for S\n"
    "                     seconds before its miner is paid (default hub/challenge_s)\n"
    "  --compare PATH     an --output compared between replicas and checks (repeatable;\n"
    "                     default every output): leave out what is not deterministic\n"
    "  --wait             wait for the task and print its result\n"
    "  --array RANGE      a job array, FIRST-LAST or N (1-N): one task per index,\n"
    "                     {} in COMMAND and --env replaced by it; prints the array\n"
    "                     id A (element N is task A[N]; fogrid status/wait A)\n"
    "  --from FILE        a job array of FILE's lines (- = stdin): each a command\n"
    "                     line (sh -c LINE) or a JSON TaskSpec; the options above\n"
    "                     are every line's defaults. A bad line submits nothing\n"
    "  --partial          with --from: submit the good lines, name the bad ones\n\n"
    "example:\n"
    "  fogrid submit --image fogrid/busybox --output /out/result.txt --output /out/dir \\\n"
    "      -- sh -c 'mkdir -p /out/dir; echo 42 > /out/result.txt; date > /out/dir/when'\n";

#define S_MAX_OUTPUTS 32

static int s_print_result (cli_client_t *client, const char *task_id, int which,
                           const char *files_dir, bool overwrite);
static int s_follow (cli_client_t *client, const char *task_id, bool quiet);

static int
s_cmd_submit (s_globals_t *globals, int argc, char **argv)
{
    if (cli_wants_help (argc, argv)) {
        printf ("%s", s_submit_help);
        return 0;
    }
    cli_spec_t options;
    cli_spec_init (&options);
    Fogrid__TaskSpec *spec = &options.spec;
    char token [64];
    fg_id_new ("tok", token, sizeof token);
    bool wait = false, partial = false;
    const char *array = NULL, *from = NULL;     //  a job array: cli_array.c
    char *outputs [S_MAX_OUTPUTS];
    spec->outputs = outputs;
    cli_inputs_t *inputs = cli_inputs_new ();
    char *compares [S_MAX_OUTPUTS];
    spec->compare = compares;
    int index = 1;
    for (; index < argc; index++) {
        const char *arg = argv [index];
        const char *value = index + 1 < argc? argv [index + 1]: NULL;
        if (streq (arg, "--")) {
            index++;
            break;
        }
        if (streq (arg, "--wait") || streq (arg, "--partial")) {
            *(streq (arg, "--wait")? &wait: &partial) = true;
            continue;
        }
        if (arg [0] != '-')
            break;              //  the command starts here
        if (!value) {
            fprintf (stderr, "fogrid submit: %s needs a value\n", arg);
            cli_inputs_destroy (&inputs);
            cli_spec_reset (&options);
            return 2;
        }
        index++;
        if (streq (arg, "--input") || streq (arg, "--input-url")) {
            char why [512];
            if ((streq (arg, "--input")? cli_inputs_add: cli_inputs_add_url)
                    (inputs, value, why, sizeof why)) {
                fprintf (stderr, "fogrid submit: %s: %s\n", arg, why);
                cli_inputs_destroy (&inputs);
                cli_spec_reset (&options);
                return 2;
            }
            continue;
        }
        if (streq (arg, "--compare")) {
            if (spec->n_compare == S_MAX_OUTPUTS || !*value) {
                fprintf (stderr, "fogrid submit: %s\n", *value? "at most 32 --compare paths"
                         : "--compare needs a path");
                cli_inputs_destroy (&inputs);
                cli_spec_reset (&options);
                return 2;
            }
            compares [spec->n_compare++] = (char *) value;
            continue;
        }
        if (streq (arg, "--array") || streq (arg, "--from")) {
            *(streq (arg, "--array")? &array: &from) = value;
            continue;
        }
        if (streq (arg, "--output")) {
            if (spec->n_outputs == S_MAX_OUTPUTS || !*value) {
                fprintf (stderr, "fogrid submit: %s\n", *value? "at most 32 --output paths"
                         : "--output needs a path");
                cli_inputs_destroy (&inputs);
                cli_spec_reset (&options);
                return 2;
            }
            outputs [spec->n_outputs++] = (char *) value;
            continue;
        }
        int taken = cli_spec_option (&options, arg, value);
        if (taken == 0) {
            fprintf (stderr, "fogrid submit: unknown option '%s' (see fogrid submit --help)\n", arg);
            cli_inputs_destroy (&inputs);
            cli_spec_reset (&options);
            return 2;
        }
        if (taken < 0) {
            fprintf (stderr, "fogrid submit: bad value '%s' for %s\n", value, arg);
            cli_inputs_destroy (&inputs);
            cli_spec_reset (&options);
            return 2;
        }
    }
    if (array && from) {
        fprintf (stderr, "fogrid submit: --array and --from do not go together\n");
        cli_inputs_destroy (&inputs);
        cli_spec_reset (&options);
        return 2;
    }
    if (index >= argc && !from) {
        fprintf (stderr, "fogrid submit: no command given (fogrid submit -- COMMAND [ARG...])\n");
        cli_inputs_destroy (&inputs);
        cli_spec_reset (&options);
        return 2;
    }
    spec->n_argv = (size_t) (argc - index);
    spec->argv = argv + index;
    cli_inputs_attach (inputs, spec);

    int rc = 1;
    cli_client_t *client = s_connect (globals);
    if (client && (array || from)) {
        rc = cli_array_submit (client, spec, array, from, partial,
                               options.token? options.token: token, wait);
        cli_client_destroy (&client);
    }
    else
    if (client) {
        fg_env_t *reply = NULL;
        Fogrid__SubmitReply *submitted = cli_client_submit (client, spec, options.token?
                                                            options.token: token, &reply);
        if (submitted) {
            printf ("%s\n", submitted->task_id);
            fflush (stdout);
            rc = 0;
            if (wait) {
                rc = s_follow (client, submitted->task_id, true);
                s_print_result (client, submitted->task_id, 0, NULL, false);
            }
        }
        else
            s_call_failed (client, "submit");
        fg_msg_free (&reply);
        cli_client_destroy (&client);
    }
    cli_inputs_destroy (&inputs);
    cli_spec_reset (&options);
    return rc;
}

//  ---------------------------------------------------------------------
//  status, wait, result, cancel

//  "cpu 1234 ms, memory peak 64.2 MB, 3 processes"
static void
s_usage_format (const Fogrid__Usage *usage, char *buf, size_t size)
{
    int len = snprintf (buf, size, "cpu %" PRIu64 " ms, memory peak %.1f MB", usage->cpu_ms,
                        (double) usage->mem_peak_bytes / (1024.0 * 1024.0));
    if (usage->pids_peak && len > 0 && (size_t) len < size)
        snprintf (buf + len, size - (size_t) len, ", at most %u process%s", usage->pids_peak,
                  usage->pids_peak == 1? "": "es");
}

static void
s_print_info (Fogrid__TaskInfo *info)
{
    char when [32];
    printf ("task      %s\n", info->task_id);
    printf ("state     %s\n", info->state);
    printf ("attempt   %u\n", info->attempt);
    if (*info->miner_id)
        printf ("miner     %s\n", info->miner_id);
    if (cli_task_state_final (info->state) && !streq (info->state, "cancelled")) {
        printf ("exit code %d", info->exit_code);
        if (info->term_signal)
            printf (" (signal %d)", info->term_signal);
        if (info->timed_out)
            printf (" (timed out)");
        printf ("\n");
    }
    if (*info->reason)
        printf ("reason    %s\n", info->reason);
    if (info->price)
        printf ("price     %" PRIu64 " (%s)\n", info->price,
                streq (info->state, "succeeded") && !(info->resolution
                && (streq (info->resolution, "pending") || streq (info->resolution, "challenged")))
                ? "paid": "held in escrow");
    if (info->billed)
        printf ("billed    %" PRIu64 " for %" PRIu64 " s of service\n", info->billed,
                info->billed_seconds);
    if (info->resolution && *info->resolution) {
        printf ("resolution %s", info->resolution);
        if (streq (info->resolution, "pending") && info->resolve_at_ms) {
            fg_time_format ((int64_t) info->resolve_at_ms, when, sizeof when);
            printf (" (challenge window until %s)", when);
        }
        else
        if (streq (info->resolution, "pending"))
            printf (" (waiting for its runs or a check)");
        else
        if (streq (info->resolution, "challenged") && info->resolve_at_ms) {
            fg_time_format ((int64_t) info->resolve_at_ms, when, sizeof when);
            printf (" (checks until %s)", when);
        }
        printf ("\n");
    }
    if (info->output_hash && *info->output_hash)
        printf ("output    sha256 %s\n", info->output_hash);
    if (info->parent && *info->parent)
        printf ("run of    %s\n", info->parent);
    if (info->n_runs) {
        printf ("runs     ");
        for (size_t i = 0; i < info->n_runs; i++)
            printf (" %s", info->runs [i]);
        printf ("\n");
    }
    if (info->usage) {
        char usage [160];
        s_usage_format (info->usage, usage, sizeof usage);
        printf ("usage     %s\n", usage);
    }
    else
    if (streq (info->state, "succeeded") || streq (info->state, "failed"))
        printf ("usage     not measured\n");
    if (info->spec && info->spec->n_outputs) {
        printf ("outputs  ");
        for (size_t i = 0; i < info->spec->n_outputs; i++)
            printf (" %s", info->spec->outputs [i]);
        printf ("\n");
    }
    if (info->spec && info->spec->n_inputs) {
        uint64_t bytes = 0;
        for (size_t i = 0; i < info->spec->n_inputs; i++)
            bytes += info->spec->inputs [i]->size;
        printf ("inputs    %zu (%" PRIu64 " bytes", info->spec->n_inputs, bytes);
        for (size_t i = 0; i < info->spec->n_inputs && i < 8; i++)
            printf ("%s%s", i? ", ": ": ", info->spec->inputs [i]->name);
        printf ("%s)\n", info->spec->n_inputs > 8? ", ...": "");
    }
    if (info->spec && info->spec->n_argv) {
        printf ("command  ");
        for (size_t i = 0; i < info->spec->n_argv; i++)
            printf (" %s", info->spec->argv [i]);
        printf ("\n");
    }
    printf ("history\n");
    for (size_t i = 0; i < info->n_history; i++) {
        Fogrid__StateChange *change = info->history [i];
        fg_time_format ((int64_t) change->at_ms, when, sizeof when);
        printf ("  %s  %-10s", when, change->state);
        if (*change->miner_id)
            printf (" miner %s attempt %u", change->miner_id, change->attempt);
        if (*change->reason)
            printf (" (%s)", change->reason);
        printf ("\n");
    }
}

static int
s_cmd_status (s_globals_t *globals, int argc, char **argv)
{
    if (argc != 2 || cli_wants_help (argc, argv)) {
        fprintf (stderr, "usage: fogrid status TASK\n");
        return cli_wants_help (argc, argv)? 0: 2;
    }
    cli_client_t *client = s_connect (globals);
    if (!client)
        return 1;
    if (cli_array_is (argv [1])) {
        int rc = cli_array_status (client, argv [1]);
        cli_client_destroy (&client);
        return rc;
    }
    fg_env_t *reply = NULL;
    Fogrid__TaskInfo *info = cli_client_status (client, argv [1], &reply);
    int rc = info? 0: s_call_failed (client, argv [1]);
    if (info)
        s_print_info (info);
    fg_msg_free (&reply);
    cli_client_destroy (&client);
    return rc;
}

//  The exit status `wait` gives for a finished task.
static int
s_final_status (Fogrid__TaskInfo *info)
{
    if (streq (info->state, "succeeded"))
        return 0;
    if (streq (info->state, "failed") && info->exit_code > 0 && info->exit_code < 256)
        return info->exit_code;
    return 1;
}

//  Prints every state change until the task ends; returns s_final_status.
//  Polls with a short period: history carries every change, so none is
//  missed between two polls.
static int
s_follow (cli_client_t *client, const char *task_id, bool quiet)
{
    size_t printed = 0;
    int failures = 0;
    while (!zsys_interrupted) {
        fg_env_t *reply = NULL;
        Fogrid__TaskInfo *info = cli_client_status (client, task_id, &reply);
        if (!info) {
            fg_error_t error = cli_client_error (client);
            if ((error == FG_E_TIMEOUT || error == FG_E_UNREACHABLE) && ++failures < 10) {
                //  The hub may be restarting: it keeps every accepted task
                fprintf (stderr, "fogrid: %s (retrying)\n", cli_client_error_text (client));
                zclock_sleep (500);
                continue;
            }
            return s_call_failed (client, task_id);
        }
        failures = 0;
        for (; printed < info->n_history; printed++) {
            Fogrid__StateChange *change = info->history [printed];
            if (quiet)
                continue;
            char when [32];
            fg_time_format ((int64_t) change->at_ms, when, sizeof when);
            printf ("%s  %s  %-10s", when, task_id, change->state);
            if (*change->miner_id)
                printf (" on %s (attempt %u)", change->miner_id, change->attempt);
            if (*change->reason)
                printf (" - %s", change->reason);
            printf ("\n");
            fflush (stdout);
        }
        if (cli_task_state_final (info->state)) {
            int status = s_final_status (info);
            if (!quiet) {
                if (streq (info->state, "cancelled"))
                    printf ("%s cancelled\n", task_id);
                else
                    printf ("%s %s, exit code %d%s\n", task_id, info->state, info->exit_code,
                            info->timed_out? " (timed out)": "");
                if (info->resolution && *info->resolution)
                    printf ("%s resolution %s\n", task_id, info->resolution);
            }
            fg_msg_free (&reply);
            return status;
        }
        fg_msg_free (&reply);
        zclock_sleep (100);
    }
    return 130;
}

static int
s_cmd_wait (s_globals_t *globals, int argc, char **argv)
{
    if (argc < 2 || cli_wants_help (argc, argv)) {
        fprintf (stderr, "usage: fogrid wait TASK [TASK...] | ARRAY\n"
                 "  one task: its state changes, then exits with its exit code\n"
                 "  several: progress until all end; 0 when all succeeded\n");
        return cli_wants_help (argc, argv)? 0: 2;
    }
    cli_client_t *client = s_connect (globals);
    if (!client)
        return 1;
    int rc = argc == 2 && cli_array_is (argv [1])? cli_array_wait (client, argv [1])
           : argc == 2? s_follow (client, argv [1], false)
           : cli_monitor_wait (client, argv + 1, argc - 1);
    cli_client_destroy (&client);
    return rc;
}

static void
s_write_all (FILE *out, ProtobufCBinaryData *data)
{
    if (data->len)
        fwrite (data->data, 1, data->len, out);
}

//  The files a result holds, one line each (their bytes go to a
//  directory only with --files).
static void
s_print_files (Fogrid__ResultReply *result)
{
    printf ("--- files (%zu)\n", result->n_files);
    for (size_t index = 0; index < result->n_files; index++) {
        Fogrid__OutputFile *file = result->files [index];
        const char *path = fg_text_valid (file->path, 2048)? file->path: "?";
        if (file->dir)
            printf ("  %s/", path);
        else
        if (*file->error && !file->truncated)
            printf ("  %s", path);
        else
            printf ("  %s (%" PRIu64 " bytes%s)", path, file->size,
                    file->truncated? ", truncated": "");
        printf ("%s%s\n", *file->error? ": ": "", file->error);
    }
}

//  which: 0 everything, 1 stdout only, 2 stderr only. files_dir: write
//  the files there (overwrite: replacing what is there).
static int
s_print_result (cli_client_t *client, const char *task_id, int which, const char *files_dir,
                bool overwrite)
{
    fg_env_t *reply = NULL;
    Fogrid__ResultReply *result = cli_client_result (client, task_id, &reply);
    if (!result)
        return s_call_failed (client, task_id);
    int rc = 0;
    if (files_dir) {
        //  Notes go where the output is not (stdout may be the task's)
        FILE *report = which? stderr: stdout;
        if (which == 0)
            printf ("--- files into %s\n", files_dir);
        int failed = cli_files_write (files_dir, result->files, result->n_files, overwrite,
                                      report);
        if (failed) {
            fprintf (stderr, "fogrid: %s: %s\n", task_id, failed < 0? "no files written"
                     : "some files could not be written");
            rc = 1;
        }
    }
    if (which == 1)
        s_write_all (stdout, &result->stdout);
    else
    if (which == 2)
        s_write_all (stdout, &result->stderr);
    else {
        printf ("--- stdout%s%s%s\n", result->stdout_truncated? " (truncated)": "",
                *result->stdout_sha256? ", sha256 ": "", result->stdout_sha256);
        s_write_all (stdout, &result->stdout);
        if (result->stdout.len && result->stdout.data [result->stdout.len - 1] != '\n')
            printf ("\n");
        printf ("--- stderr%s\n", result->stderr_truncated? " (truncated)": "");
        s_write_all (stdout, &result->stderr);
        if (result->stderr.len && result->stderr.data [result->stderr.len - 1] != '\n')
            printf ("\n");
        if (result->n_files && !files_dir)
            s_print_files (result);
        Fogrid__TaskInfo *info = result->info;
        if (info && info->usage) {
            char usage [160];
            s_usage_format (info->usage, usage, sizeof usage);
            printf ("--- usage: %s\n", usage);
        }
        //  The reason is shown when it says more than the exit code
        char plain [64];
        snprintf (plain, sizeof plain, "exit code %d", info? info->exit_code: 0);
        bool says_more = info && *info->reason && !streq (info->reason, plain);
        if (info && cli_task_state_final (info->state) && info->timed_out)
            printf ("--- %s: %s\n", info->state, info->reason);
        else
        if (info && cli_task_state_final (info->state))
            printf ("--- %s, exit code %d%s%s\n", info->state, info->exit_code,
                    says_more? ": ": "", says_more? info->reason: "");
        else
            printf ("--- %s (not finished)\n", info? info->state: "unknown");
    }
    fg_msg_free (&reply);
    return rc;
}

static const char *s_result_help =
    "usage: fogrid %s [--stdout|--stderr] [--files DIR [--force]] TASK\n\n"
    "  --stdout, --stderr  print only the task's stdout, or only its stderr\n"
    "  --files DIR         write the files the task left (submit --output) into DIR,\n"
    "                      each at its path (an absolute path without its leading\n"
    "                      '/'); never outside DIR, never through a symbolic link\n"
    "  --force             replace files that are already in DIR\n"
    "  -f, --follow        (logs) print its output as it comes, until it ends: what it\n"
    "                      printed so far first; exits with its exit code\n";

static int
s_cmd_result (s_globals_t *globals, int argc, char **argv)
{
    int which = 0;
    const char *task_id = NULL, *files_dir = NULL;
    bool overwrite = false, follow = false;
    for (int index = 1; index < argc; index++) {
        if ((streq (argv [index], "-f") || streq (argv [index], "--follow"))
        &&  streq (argv [0], "logs"))
            follow = true;
        else
        if (streq (argv [index], "--stdout"))
            which = 1;
        else
        if (streq (argv [index], "--stderr"))
            which = 2;
        else
        if (streq (argv [index], "--files") && index + 1 < argc && *argv [index + 1])
            files_dir = argv [++index];
        else
        if (streq (argv [index], "--force"))
            overwrite = true;
        else
        if (argv [index][0] != '-' && !task_id)
            task_id = argv [index];
        else {
            fprintf (cli_wants_help (argc, argv)? stdout: stderr, s_result_help, argv [0]);
            return cli_wants_help (argc, argv)? 0: 2;
        }
    }
    if (!task_id || (overwrite && !files_dir)) {
        fprintf (stderr, s_result_help, argv [0]);
        return 2;
    }
    cli_client_t *client = s_connect (globals);
    if (!client)
        return 1;
    int rc = follow? cli_logs_follow (client, task_id)
                   : s_print_result (client, task_id, which, files_dir, overwrite);
    cli_client_destroy (&client);
    return rc;
}

static int
s_cmd_cancel (s_globals_t *globals, int argc, char **argv)
{
    if (argc != 2 || cli_wants_help (argc, argv)) {
        fprintf (stderr, "usage: fogrid cancel TASK\n");
        return cli_wants_help (argc, argv)? 0: 2;
    }
    cli_client_t *client = s_connect (globals);
    if (!client)
        return 1;
    fg_env_t *reply = NULL;
    Fogrid__TaskInfo *info = cli_client_cancel (client, argv [1], &reply);
    int rc = info? 0: s_call_failed (client, argv [1]);
    if (info)
        printf ("%s %s\n", info->task_id, info->state);
    fg_msg_free (&reply);
    cli_client_destroy (&client);
    return rc;
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
    cli_client_t *client = s_connect (globals);
    if (!client)
        return 1;
    fg_env_t *reply = NULL;
    Fogrid__MinersReply *miners = cli_client_miners (client, &reply);
    int rc = miners? 0: s_call_failed (client, "miners");
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
        return cli_monitor_hubs (globals->locators, globals->timeout_ms);
    if (argc != 1) {
        fprintf (stderr, "usage: fogrid health [--all]\n"
                 "  --all: every hub the locators know, a line each\n");
        return cli_wants_help (argc, argv)? 0: 2;
    }
    cli_client_t *client = s_connect (globals);
    if (!client)
        return 1;
    fg_env_t *reply = NULL;
    Fogrid__HealthReply *health = cli_client_health (client, &reply);
    int rc = health? 0: s_call_failed (client, "health");
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
    cli_client_t *client = s_connect (globals);
    if (!client)
        return 1;
    int rc = cli_monitor_top (client, interval_ms, rounds);
    cli_client_destroy (&client);
    return rc;
}

static int
s_cmd_service (s_globals_t *globals, int argc, char **argv)
{
    cli_service_opts_t opts = { globals->locators, globals->hub, globals->hub_key,
                                globals->timeout_ms };
    return cli_service_main (&opts, argc, argv);
}

static int
s_cmd_resolve (s_globals_t *globals, int argc, char **argv)
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
    fg_resolver_t *resolver = fg_resolver_new (globals->locators, globals->timeout_ms);
    fg_resolution_t *res = NULL;
    fg_error_t rc = fg_resolver_resolve (resolver, name, policy, &res);
    if (rc) {
        s_error (name, rc == FG_E_NOT_FOUND? "not found": fg_resolver_error_text (resolver));
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
s_cmd_services (s_globals_t *globals, int argc, char **argv)
{
    if (argc > 1) {
        fprintf (stderr, "usage: fogrid services\n");
        return cli_wants_help (argc, argv)? 0: 2;
    }
    fg_resolver_t *resolver = fg_resolver_new (globals->locators, globals->timeout_ms);
    fg_env_t *reply = NULL;
    fg_error_t rc = fg_resolver_services (resolver, &reply);
    if (rc) {
        s_error ("services", fg_resolver_error_text (resolver));
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

//  ---------------------------------------------------------------------
//  deposit, withdraw, wallet

static int
s_cmd_deposit (s_globals_t *globals, int argc, char **argv)
{
    bool deposit = streq (argv [0], "deposit");
    const char *token_arg = NULL, *amount_arg = NULL;
    bool bad = false;
    for (int index = 1; index < argc; index++) {
        if (streq (argv [index], "--token") && index + 1 < argc)
            token_arg = argv [++index];
        else
        if (argv [index][0] != '-' && !amount_arg)
            amount_arg = argv [index];
        else
            bad = true;
    }
    uint64_t amount = 0;
    if (cli_wants_help (argc, argv) || bad || !amount_arg
    ||  !cli_parse_uint (amount_arg, INT64_MAX, &amount) || amount == 0) {
        fprintf (stderr, "usage: fogrid %s [--token TOKEN] AMOUNT\n"
                 "  AMOUNT in the smallest unit (1 or more); the same TOKEN never moves money "
                 "twice\n", argv [0]);
        return cli_wants_help (argc, argv)? 0: 2;
    }
    char token [64];
    fg_id_new (deposit? "dep": "wd", token, sizeof token);
    cli_client_t *client = s_connect (globals);
    if (!client)
        return 1;
    fg_env_t *reply = NULL;
    Fogrid__TransferReply *done = deposit
        ? cli_client_deposit (client, amount, token_arg? token_arg: token, &reply)
        : cli_client_withdraw (client, amount, token_arg? token_arg: token, &reply);
    int rc = done? 0: s_call_failed (client, argv [0]);
    if (done)
        printf ("%s: %s%" PRIu64 ", balance %" PRId64 "%s\n", done->transfer_id,
                deposit? "+": "-", amount, done->balance,
                done->duplicate? " (done before: nothing moved now)": "");
    fg_msg_free (&reply);
    cli_client_destroy (&client);
    return rc;
}

static int
s_cmd_wallet (s_globals_t *globals, int argc, char **argv)
{
    const char *account = "";
    uint64_t limit = 20;
    for (int index = 1; index < argc; index++) {
        if (streq (argv [index], "--account") && index + 1 < argc)
            account = argv [++index];
        else
        if (streq (argv [index], "--limit") && index + 1 < argc
        &&  cli_parse_uint (argv [index + 1], 1000, &limit))
            index++;
        else {
            fprintf (stderr, "usage: fogrid wallet [--account ACCOUNT] [--limit N]\n"
                     "  your account (buyer:YOURKEY), the escrow held for your unfinished\n"
                     "  tasks and the latest N entries (default 20, at most 1000); other\n"
                     "  accounts (miner:ID, hub:fee, ...) for keys in the hub's admin_keys\n");
            return cli_wants_help (argc, argv)? 0: 2;
        }
    }
    cli_client_t *client = s_connect (globals);
    if (!client)
        return 1;
    fg_env_t *reply = NULL;
    Fogrid__BalanceReply *wallet = cli_client_balance (client, account, (uint32_t) limit, &reply);
    int rc = wallet? 0: s_call_failed (client, "wallet");
    if (wallet && wallet->n_accounts) {
        const char *name = wallet->accounts [0]->name;
        printf ("account   %s\n", name);
        printf ("balance   %" PRId64 "\n", wallet->accounts [0]->balance);
        int64_t held = 0;
        for (size_t i = 1; i < wallet->n_accounts; i++)
            held += wallet->accounts [i]->balance;
        if (wallet->n_accounts > 1) {
            printf ("escrow    %" PRId64 " held for %zu unfinished tasks\n", held,
                    wallet->n_accounts - 1);
            for (size_t i = 1; i < wallet->n_accounts; i++)
                printf ("  %-24s %" PRId64 "\n", wallet->accounts [i]->name,
                        wallet->accounts [i]->balance);
        }
        printf ("ledger    signed by %s\n", wallet->ledger_key);
        printf ("history   (newest first)\n");
        for (size_t i = 0; i < wallet->n_entries; i++) {
            Fogrid__LedgerEntry *entry = wallet->entries [i];
            char when [32];
            fg_time_format ((int64_t) entry->at_ms, when, sizeof when);
            bool in = streq (entry->to, name);
            printf ("  %s  #%-5" PRIu64 " %c%-10" PRId64 " %-28s %s %s\n", when, entry->seq,
                    in? '+': '-', entry->amount, entry->id, in? "from": "to",
                    in? entry->from: entry->to);
        }
        if (wallet->n_entries == 0)
            printf ("  (no entries)\n");
    }
    fg_msg_free (&reply);
    cli_client_destroy (&client);
    return rc;
}

//  ---------------------------------------------------------------------
//  admin wallet, receipt, verify-receipt

static const char *s_admin_help =
    "usage: fogrid admin wallet [ACTION] [--reason TEXT]\n\n"
    "the hub's wallet (hub/hub_wallet.h); ACTION is one of\n"
    "  status     its state, accounts and latest transitions (default; anyone)\n"
    "  register   created -> registered: it may take paid work     (the DAO)\n"
    "  suspect    registered -> suspected: no payday, no close     (the DAO, --reason)\n"
    "  clear      suspected -> registered                          (the DAO)\n"
    "  punish     -> punished: its stake goes to hub/punish_account (the DAO, --reason)\n"
    "  payday     hub:fee and hub:wallet:free -> owner, once per hub/pay_period_s\n"
    "                                                              (the owner)\n"
    "  close      -> closed: every hub account -> owner, when no escrow is held\n"
    "                                                              (the owner)\n"
    "the DAO: a key in the hub's hub/admin_keys; the owner: one in hub/owner_keys\n"
    "(or hub/admin_keys when that is empty)\n\n"
    "fogrid admin registry ACTION HUB_ID ...: the hub registry the locators keep\n"
    "(fogrid admin registry --help)\n\n"
    "fogrid admin books [--json]: every account, their sum, the ledger and the\n"
    "receipts verified (fogrid admin books --help)\n";

static void
s_print_wallet (Fogrid__WalletReply *wallet)
{
    char when [32];
    fg_time_format ((int64_t) wallet->since_ms, when, sizeof when);
    printf ("wallet    %s since %s\n", wallet->state, when);
    printf ("hub       %s\n", wallet->hub_id);
    printf ("ledger    signed by %s\n", wallet->ledger_key);
    printf ("stake     %" PRId64 " (hub:wallet:frozen; to %s if punished)\n", wallet->frozen,
            wallet->punish_account);
    printf ("free      %" PRId64 " (hub:wallet:free)\n", wallet->free_funds);
    printf ("fees      %" PRId64 " (hub:fee, the owner's at payday)\n", wallet->fees);
    printf ("owner     %" PRId64 "\n", wallet->owner);
    if (wallet->next_payday_ms) {
        char last [32], next [32];
        fg_time_format ((int64_t) wallet->last_payday_ms, last, sizeof last);
        fg_time_format ((int64_t) wallet->next_payday_ms, next, sizeof next);
        bool due = (int64_t) wallet->next_payday_ms <= fg_now_ms ();
        printf ("payday    every %" PRIu64 " s; last %s; next %s\n", wallet->pay_period_s, last,
                due? "now": next);
    }
    else
        printf ("payday    none while %s\n", wallet->state);
    printf ("history   (newest first)\n");
    for (size_t i = 0; i < wallet->n_events; i++) {
        Fogrid__WalletEvent *event = wallet->events [i];
        fg_time_format ((int64_t) event->at_ms, when, sizeof when);
        printf ("  %s  #%-3" PRIu64 " %-9s %s -> %s by %.40s%s%s\n", when, event->seq,
                event->event, event->from, event->to, event->by, *event->reason? ": ": "",
                event->reason);
        for (size_t id = 0; id < event->n_transfers; id++)
            printf ("                     ledger %s\n", event->transfers [id]);
    }
}

static int
s_cmd_registry (s_globals_t *globals, int argc, char **argv)
{
    return cli_registry_list (globals->locators, globals->timeout_ms, argc, argv);
}

static int
s_cmd_court (s_globals_t *globals, int argc, char **argv)
{
    if (cli_court_offline (argv [0]) || cli_wants_help (argc, argv))
        return cli_court (NULL, argc, argv);
    cli_client_t *client = s_connect (globals);
    if (!client)
        return 1;
    int rc = cli_court (client, argc, argv);
    cli_client_destroy (&client);
    return rc;
}

static int
s_cmd_ratings (s_globals_t *globals, int argc, char **argv)
{
    return cli_ratings (globals->timeout_ms, argc, argv);
}

static const char *s_books_help =
    "usage: fogrid admin books [--json]\n\n"
    "the hub's books, for a key in its hub/admin_keys: every account that holds\n"
    "something, their sum (it must be 0: money only moves between accounts, world\n"
    "included), the ledger's hash chain walked (hashes, signatures, signed head,\n"
    "balances) and every stored receipt checked against the ledger key and the\n"
    "entry it names. Exits 0 when all of that holds, 1 when not.\n"
    "  --json   one JSON object (\"ok\": true when the books hold)\n";

static int
s_cmd_books (s_globals_t *globals, int argc, char **argv)
{
    bool json = false, bad = false;
    for (int index = 1; index < argc; index++)
        if (streq (argv [index], "--json"))
            json = true;
        else
            bad = true;
    if (cli_wants_help (argc, argv) || bad) {
        fprintf (cli_wants_help (argc, argv)? stdout: stderr, "%s", s_books_help);
        return cli_wants_help (argc, argv)? 0: 2;
    }
    cli_client_t *client = s_connect (globals);
    if (!client)
        return 1;
    int rc = cli_books (client, json);
    cli_client_destroy (&client);
    return rc;
}

static int
s_cmd_admin (s_globals_t *globals, int argc, char **argv)
{
    if (argc >= 2 && streq (argv [1], "registry"))
        return cli_registry_admin (fg_config_str (globals->config, "security/keys"),
                                   globals->locators, globals->timeout_ms, argc - 1, argv + 1);
    if (argc >= 2 && streq (argv [1], "books"))
        return s_cmd_books (globals, argc - 1, argv + 1);
    const char *action = NULL, *reason = "";
    bool bad = argc < 2 || !streq (argv [1], "wallet");
    for (int index = 2; index < argc && !bad; index++) {
        if (streq (argv [index], "--reason") && index + 1 < argc)
            reason = argv [++index];
        else
        if (argv [index][0] != '-' && !action)
            action = argv [index];
        else
            bad = true;
    }
    if (!action)
        action = "status";
    if (cli_wants_help (argc, argv) || bad) {
        fprintf (cli_wants_help (argc, argv)? stdout: stderr, "%s", s_admin_help);
        return cli_wants_help (argc, argv)? 0: 2;
    }
    char full [64];
    snprintf (full, sizeof full, "wallet/%s", action);
    cli_client_t *client = s_connect (globals);
    if (!client)
        return 1;
    fg_env_t *reply = NULL;
    Fogrid__WalletReply *wallet = cli_client_admin (client, full, reason, &reply);
    //  The hub's refusals name the action ("wallet punish refused: ...")
    int rc = wallet? 0: s_call_failed (client, "admin");
    if (wallet)
        s_print_wallet (wallet);
    fg_msg_free (&reply);
    cli_client_destroy (&client);
    return rc;
}

static int
s_cmd_receipt (s_globals_t *globals, int argc, char **argv)
{
    const char *task = NULL, *file = NULL;
    bool bad = false;
    for (int index = 1; index < argc; index++) {
        if ((streq (argv [index], "-o") || streq (argv [index], "--output")) && index + 1 < argc)
            file = argv [++index];
        else
        if (argv [index][0] != '-' && !task)
            task = argv [index];
        else
            bad = true;
    }
    if (cli_wants_help (argc, argv) || bad || !task) {
        fprintf (cli_wants_help (argc, argv)? stdout: stderr,
                 "usage: fogrid receipt [-o FILE] TASK\n"
                 "  the hub's signed receipt of what it paid the task's miner (JSON), on\n"
                 "  stdout or in FILE; check it with fogrid verify-receipt\n");
        return cli_wants_help (argc, argv)? 0: 2;
    }
    cli_client_t *client = s_connect (globals);
    if (!client)
        return 1;
    fg_env_t *reply = NULL;
    Fogrid__ReceiptReply *receipt = cli_client_receipt (client, task, &reply);
    int rc = receipt? 0: s_call_failed (client, "receipt");
    if (receipt && file) {
        FILE *out = fopen (file, "w");
        if (!out || fprintf (out, "%s\n", receipt->receipt) < 0 || fclose (out)) {
            s_error (file, strerror (errno));
            rc = 1;
        }
        else
            fprintf (stderr, "receipt of %s in %s\n", task, file);
    }
    else
    if (receipt)
        printf ("%s\n", receipt->receipt);
    fg_msg_free (&reply);
    cli_client_destroy (&client);
    return rc;
}

static int
s_cmd_verify_receipt (s_globals_t *globals, int argc, char **argv)
{
    (void) globals;
    const char *file = NULL, *hub_key = NULL;
    bool bad = false;
    for (int index = 1; index < argc; index++) {
        if (streq (argv [index], "--hub-key") && index + 1 < argc)
            hub_key = argv [++index];
        else
        if ((argv [index][0] != '-' || streq (argv [index], "-")) && !file)
            file = argv [index];
        else
            bad = true;
    }
    if (cli_wants_help (argc, argv) || bad || !file || !hub_key) {
        fprintf (cli_wants_help (argc, argv)? stdout: stderr,
                 "usage: fogrid verify-receipt --hub-key KEY FILE\n"
                 "  checks a receipt (from fogrid receipt, or the hub's answer to a miner's\n"
                 "  result) offline: its signature by the key it names, and that this key is\n"
                 "  KEY, the hub's ledger key (64 hex digits, as fogrid wallet and fogrid\n"
                 "  admin wallet show it). FILE - reads stdin. Exits 0 when it holds, 1 when\n"
                 "  not\n");
        return cli_wants_help (argc, argv)? 0: 2;
    }
    zchunk_t *chunk = NULL;
    if (streq (file, "-")) {
        chunk = zchunk_new (NULL, 0);
        char buffer [4096];
        size_t size;
        while ((size = fread (buffer, 1, sizeof buffer, stdin)) > 0 && zchunk_size (chunk) < 65536)
            zchunk_extend (chunk, buffer, size);
    }
    else {
        zfile_t *handle = zfile_new (NULL, file);
        if (handle && zfile_input (handle) == 0)
            chunk = zfile_read (handle, 65536, 0);
        zfile_destroy (&handle);
    }
    if (!chunk) {
        s_error (file, "cannot read it");
        return 1;
    }
    char *json = zchunk_strdup (chunk);
    zchunk_destroy (&chunk);
    fg_receipt_t receipt;
    char err [300];
    int rc = fg_receipt_parse (&receipt, json, err, sizeof err) == 0
          && fg_receipt_verify (&receipt, hub_key, err, sizeof err) == 0? 0: 1;
    free (json);
    if (rc) {
        char what [300];
        snprintf (what, sizeof what, "verify-receipt %s", file);
        s_error (what, err);
        return 1;
    }
    char when [32];
    fg_time_format (receipt.at_ms, when, sizeof when);
    printf ("receipt OK: task %s attempt %u paid %" PRId64 " to miner %s (fee %" PRId64 "), "
            "ledger entry #%" PRId64 " %s at %s, signed by hub %s (key %.16s...)\n",
            receipt.task_id, receipt.attempt, receipt.amount, receipt.miner_id, receipt.fee,
            receipt.entry_seq, receipt.entry_id, when, receipt.hub_id, receipt.hub_key);
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
s_cmd_watch (s_globals_t *globals, int argc, char **argv)
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
        s_error (name, "not a valid service name (1-63 of a-z, 0-9, '-')");
        return 2;
    }
    zlist_t *locators = fg_split_list (globals->locators);
    int64_t until = seconds? fg_now_ms () + seconds * 1000: INT64_MAX;
    int rc = 1;
    for (char *locator = (char *) zlist_first (locators); locator && !zsys_interrupted;
         locator = (char *) zlist_next (locators)) {
        char err [300];
        fg_rpc_t *rpc = fg_rpc_new_keyed (locator, fg_security_locator_key (), err, sizeof err);
        if (!rpc) {
            s_error (locator, err);
            continue;
        }
        Fogrid__LocWatch watch = FOGRID__LOC_WATCH__INIT;
        watch.name = (char *) name;
        watch.lease_ms = S_LEASE_MS;
        watch.policy = (char *) policy;
        fg_env_t req = FOGRID__ENVELOPE__INIT;
        req.body_case = FOGRID__ENVELOPE__BODY_LOC_WATCH;
        req.loc_watch = &watch;
        fg_env_t *reply = fg_rpc_call (rpc, &req, globals->timeout_ms);
        bool answering = reply? s_print_update (rpc, reply, globals->timeout_ms) == 0
                              : s_print_not_found (rpc);
        if (!answering && fg_rpc_error (rpc) != FG_OK && fg_rpc_error (rpc) != FG_E_TIMEOUT
        &&  fg_rpc_error (rpc) != FG_E_UNREACHABLE) {
            s_error (name, fg_rpc_error_text (rpc));     //  refused: no use trying others
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
                answering = s_print_update (rpc, reply, globals->timeout_ms) == 0;
            else
            if (fg_rpc_error (rpc) == FG_E_NOT_FOUND)
                s_print_not_found (rpc);
            else
            if (fg_now_ms () >= renew_at) {
                //  Renewing is answered with the current state, which
                //  also proves the locator is still there
                reply = fg_rpc_call (rpc, &req, globals->timeout_ms);
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
        s_error (name, "no locator answers");
    return rc;
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
        s_error ("keygen", err);
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
        s_error ("security", err);
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
        .locators = getenv ("FOGRID_LOCATOR"),
        .hub = getenv ("FOGRID_HUB"),
        .hub_key = getenv ("FOGRID_HUB_KEY"),
        .timeout_ms = 5000,
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
    if (!globals.locators || !*globals.locators)
        globals.locators = "tcp://127.0.0.1:7700";
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
            globals.locators = value;
        else
        if (streq (arg, "-H") || streq (arg, "--hub"))
            globals.hub = value;
        else
        if (streq (arg, "--hub-key"))
            globals.hub_key = value;
        else
        if (streq (arg, "-k") || streq (arg, "--keys"))
            fg_config_set (globals.config, "security/keys", value);
        else
        if (streq (arg, "-K") || streq (arg, "--locator-key"))
            fg_config_set (globals.config, "security/locator_key", value);
        else
        if (streq (arg, "-T") || streq (arg, "--timeout")) {
            globals.timeout_ms = atoi (value);
            if (globals.timeout_ms <= 0) {
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
            if (cmd->fn != s_cmd_keygen && cmd->fn != s_cmd_verify_receipt
            &&  cmd->fn != s_cmd_ratings        //  plain HTTP: no keys
            &&  !cli_wants_help (argc - index, argv + index)
            &&  s_security (&globals))
                return 1;
            return cmd->fn (&globals, argc - index, argv + index);
        }
    fprintf (stderr, "fogrid: unknown command '%s' (see fogrid --help)\n", argv [index]);
    return 2;
}
