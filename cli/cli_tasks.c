/*  =========================================================================
    cli_tasks - the task's commands of the `fogrid` command line
    =========================================================================  */
#include "fogrid.h"
#include "cli_client.h"
#include "cli_tasks.h"
#include "cli_monitor.h"
#include "cli_array.h"
#include "cli_spec.h"
#include "cli_files.h"
#include "cli_inputs.h"
#include "cli_logs.h"

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
s_cmd_submit (const cli_opts_t *opts, int argc, char **argv)
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
    cli_client_t *client = cli_client_connect (opts);
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
            cli_client_failed (client, "submit");
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
s_cmd_status (const cli_opts_t *opts, int argc, char **argv)
{
    if (argc != 2 || cli_wants_help (argc, argv)) {
        fprintf (stderr, "usage: fogrid status TASK\n");
        return cli_wants_help (argc, argv)? 0: 2;
    }
    cli_client_t *client = cli_client_connect (opts);
    if (!client)
        return 1;
    if (cli_array_is (argv [1])) {
        int rc = cli_array_status (client, argv [1]);
        cli_client_destroy (&client);
        return rc;
    }
    fg_env_t *reply = NULL;
    Fogrid__TaskInfo *info = cli_client_status (client, argv [1], &reply);
    int rc = info? 0: cli_client_failed (client, argv [1]);
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
            if (cli_client_retry (client, &failures))
                continue;
            return cli_client_failed (client, task_id);
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
s_cmd_wait (const cli_opts_t *opts, int argc, char **argv)
{
    if (argc < 2 || cli_wants_help (argc, argv)) {
        fprintf (stderr, "usage: fogrid wait TASK [TASK...] | ARRAY\n"
                 "  one task: its state changes, then exits with its exit code\n"
                 "  several: progress until all end; 0 when all succeeded\n");
        return cli_wants_help (argc, argv)? 0: 2;
    }
    cli_client_t *client = cli_client_connect (opts);
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
        return cli_client_failed (client, task_id);
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
s_cmd_result (const cli_opts_t *opts, int argc, char **argv)
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
    cli_client_t *client = cli_client_connect (opts);
    if (!client)
        return 1;
    int rc = follow? cli_logs_follow (client, task_id)
                   : s_print_result (client, task_id, which, files_dir, overwrite);
    cli_client_destroy (&client);
    return rc;
}

static int
s_cmd_cancel (const cli_opts_t *opts, int argc, char **argv)
{
    if (argc != 2 || cli_wants_help (argc, argv)) {
        fprintf (stderr, "usage: fogrid cancel TASK\n");
        return cli_wants_help (argc, argv)? 0: 2;
    }
    cli_client_t *client = cli_client_connect (opts);
    if (!client)
        return 1;
    fg_env_t *reply = NULL;
    Fogrid__TaskInfo *info = cli_client_cancel (client, argv [1], &reply);
    int rc = info? 0: cli_client_failed (client, argv [1]);
    if (info)
        printf ("%s %s\n", info->task_id, info->state);
    fg_msg_free (&reply);
    cli_client_destroy (&client);
    return rc;
}


int
cli_tasks_main (const cli_opts_t *opts, int argc, char **argv)
{
    if (streq (argv [0], "submit"))
        return s_cmd_submit (opts, argc, argv);
    if (streq (argv [0], "status"))
        return s_cmd_status (opts, argc, argv);
    if (streq (argv [0], "wait"))
        return s_cmd_wait (opts, argc, argv);
    if (streq (argv [0], "cancel"))
        return s_cmd_cancel (opts, argc, argv);
    return s_cmd_result (opts, argc, argv);     //  result, logs
}
