/*  =========================================================================
    test_inputs - a task's input files, with a real hub, a real miner and
    the `fogrid` command line (plain text: what is tested is the files)

    --input of an executable script that reads a directory input; a
    submit over hub/max_inputs refused naming the bound; an input whose
    hash does not match, sent through the client library, failed by the
    miner without running; an input fetched by URL from an HTTP server on
    loopback, and one whose hash does not match refused; the same inputs
    in a docker task (SKIPPED without an engine). Live output: logs -f
    sees a task's first line while it still runs (process and docker), and
    a cancelled task keeps the lines it printed.
    =========================================================================  */
#include "test_support.h"
#include "cli_client.h"
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sodium.h>
#include <fcntl.h>
#include <unistd.h>

static char *s_dir;
static int s_buyer_port;
static ts_proc_t *s_hub;
static ts_proc_t *s_miner;
static char s_hub_endpoint [64];

static int
s_fogrid (char **output, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *command = zsys_vprintf (format, args);
    va_end (args);
    int rc = ts_run (output, "cd %s && %s --insecure -H %s -T 10000 %s", s_dir, ts_bin ("fogrid"),
                     s_hub_endpoint, command);
    zstr_free (&command);
    return rc;
}

static bool
s_miner_connected (void *arg)
{
    (void) arg;
    char *output = NULL;
    bool ok = s_fogrid (&output, "miners") == 0 && strstr (output, "m-inputs")
           && strstr (output, "connected");
    free (output);
    return ok;
}

static bool
s_docker_answers (void)
{
    return ts_run (NULL, "curl -sf --unix-socket /var/run/docker.sock http://d/_ping") == 0
        && ts_run (NULL, "curl -sf --unix-socket /var/run/docker.sock "
                         "http://d/images/fogrid/busybox/json") == 0;
}

static bool s_docker;          //  the engine answers: the miner runs docker tasks too

static int s_miner_port;

static void
s_hub_start (void)
{
    char buyers [64], miners [64], data [600];
    snprintf (buyers, sizeof buyers, "tcp://127.0.0.1:%d", s_buyer_port);
    snprintf (miners, sizeof miners, "tcp://127.0.0.1:%d", s_miner_port);
    snprintf (data, sizeof data, "%s/hub", s_dir);
    s_hub = ts_proc_start (s_dir, "hub", "fogrid-hub", "--buyers", buyers, "--miners", miners,
                           "--locator", "", "--data", data, "-o", "security/insecure=1",
                           "-o", "hub/http=", "-o", "hub/max_inputs=65536",
                           "-o", "hub/heartbeat_ms=200", NULL);
}

static int
s_miner_start (void)
{
    char miners [64], mdata [600];
    snprintf (miners, sizeof miners, "tcp://127.0.0.1:%d", s_miner_port);
    snprintf (mdata, sizeof mdata, "%s/miner", s_dir);
    s_miner = ts_proc_start (s_dir, "miner", "fogrid-miner", "--hub", miners, "--data", mdata,
                             "--cores", "2", "-o", "security/insecure=1", "-o", "miner/id=m-inputs",
                             "-o", "miner/task_user=", "-o", "miner/http=", "-o",
                             s_docker? "miner/runtime=process,docker": "miner/runtime=process",
                             NULL);
    if (!ts_wait_for (s_miner_connected, NULL, 10000)) {
        ts_proc_dump_log (s_hub);
        ts_proc_dump_log (s_miner);
        return -1;
    }
    return 0;
}

static int
s_suite_init (void)
{
    s_dir = ts_tmpdir_new ("inputs");
    if (!s_dir)
        return -1;
    chmod (s_dir, 0755);
    s_buyer_port = ts_free_port ();
    s_miner_port = ts_free_port ();
    snprintf (s_hub_endpoint, sizeof s_hub_endpoint, "tcp://127.0.0.1:%d", s_buyer_port);
    s_hub_start ();
    s_docker = s_docker_answers ();
    return s_miner_start ();
}

static int
s_suite_clean (void)
{
    if (s_miner)
        ts_proc_stop (&s_miner, 3000);
    if (s_hub)
        ts_proc_stop (&s_hub, 3000);
    ts_tmpdir_remove (&s_dir);
    return 0;
}

static void
s_write (const char *path, const char *text, mode_t mode)
{
    char *full = zsys_sprintf ("%s/%s", s_dir, path);
    FILE *file = fopen (full, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL (file);
    fputs (text, file);
    fclose (file);
    chmod (full, mode);
    zstr_free (&full);
}

static void
s_sha256 (const char *text, char *hex)
{
    byte digest [crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (digest, (const byte *) text, strlen (text));
    sodium_bin2hex (hex, 65, digest, sizeof digest);
}

//  Submits with --wait; returns its output (caller frees) and sets *rc
static char *
s_run (int *rc, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *command = zsys_vprintf (format, args);
    va_end (args);
    char *output = NULL;
    *rc = s_fogrid (&output, "submit --wait %s", command);
    zstr_free (&command);
    return output;
}

static void
test_script_and_directory (void)
{
    s_write ("job", "#!/bin/sh\necho \"ran with $(cat data/x.txt) and $(cat data/deep/y.txt)\"\n",
             0755);
    char *dir = zsys_sprintf ("%s/data/deep", s_dir);
    CU_ASSERT_EQUAL (ts_run (NULL, "mkdir -p %s", dir), 0);
    zstr_free (&dir);
    s_write ("data/x.txt", "forty-two", 0644);
    s_write ("data/deep/y.txt", "more", 0600);
    int rc;
    char *output = s_run (&rc, "--input ./job --input data -- ./job");
    CU_ASSERT_EQUAL (rc, 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "ran with forty-two and more"));
    if (rc)
        printf ("\n%s\n", output);
    free (output);
    //  Renamed, and modes kept: not executable stays so
    output = s_run (&rc, "--input data/x.txt:in/a.txt -- sh -c 'cat in/a.txt; test -x in/a.txt "
                    "|| echo not-executable'");
    CU_ASSERT_EQUAL (rc, 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "forty-twonot-executable"));
    free (output);
    //  Without the input the job is not there: as before, 127
    output = s_run (&rc, "-- ./job");
    CU_ASSERT_NOT_EQUAL (rc, 0);
    free (output);
}

static void
test_bad_inputs_refused (void)
{
    char *output = NULL;
    CU_ASSERT_EQUAL (s_fogrid (&output, "submit --input job:../up -- true"), 2);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "not a name an input may have"));
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "submit --input /no/such/file -- true"), 2);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "cannot read /no/such/file"));
    free (output);
    //  A symbolic link in a directory input
    CU_ASSERT_EQUAL (ts_run (NULL, "mkdir -p %s/linked && ln -sf /etc/passwd %s/linked/pw",
                             s_dir, s_dir), 0);
    CU_ASSERT_EQUAL (s_fogrid (&output, "submit --input linked -- true"), 2);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "a symbolic link"));
    free (output);
    //  Over this hub's hub/max_inputs (64 KiB here): the hub says its bound
    CU_ASSERT_EQUAL (ts_run (NULL, "head -c 100000 /dev/zero > %s/big", s_dir), 0);
    CU_ASSERT_EQUAL (s_fogrid (&output, "submit --input big -- true"), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "over this hub's limit of 65536"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "hub/max_inputs"));
    free (output);
}

//  A spec made by hand, as a client that lies about (or corrupted) an
//  input: the hub keeps it as it came, the miner checks and refuses
static void
test_corrupt_input_not_run (void)
{
    char err [256];
    cli_client_t *client = cli_client_new (NULL, s_hub_endpoint, NULL, 10000, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (client);
    Fogrid__TaskInput input = FOGRID__TASK_INPUT__INIT;
    input.name = "marker";
    input.content.data = (byte *) "the bytes that came";
    input.content.len = strlen ("the bytes that came");
    char hex [65];
    s_sha256 ("the bytes that were sent", hex);
    input.sha256 = hex;
    Fogrid__TaskInput *inputs [] = { &input };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    char *marker = zsys_sprintf ("%s/corrupt-ran", s_dir);
    char *argv [] = { "touch", marker };
    spec.argv = argv;
    spec.n_argv = 2;
    spec.inputs = inputs;
    spec.n_inputs = 1;
    fg_env_t *env = NULL;
    Fogrid__SubmitReply *reply = cli_client_submit (client, &spec, "tok-corrupt", &env);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    char *task = strdup (reply->task_id);
    fg_msg_free (&env);
    cli_client_destroy (&client);

    char *output = NULL;
    CU_ASSERT_NOT_EQUAL (s_fogrid (&output, "wait %s", task), 0);
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "result %s", task), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "input 'marker' is corrupt"));
    if (!strstr (output, "is corrupt"))
        printf ("\n%s\n", output);
    free (output);
    CU_ASSERT_NOT_EQUAL (access (marker, F_OK), 0);        //  not run
    //  The status names it, with its size (its content stays at the hub)
    CU_ASSERT_EQUAL (s_fogrid (&output, "status %s", task), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "inputs    1 (19 bytes: marker)"));
    free (output);
    zstr_free (&marker);
    free (task);
}

//  A small HTTP server on loopback, serving s_dir/www
static pid_t
s_http_start (int port)
{
    pid_t pid = fork ();
    if (pid == 0) {
        char root [600], port_text [16];
        snprintf (root, sizeof root, "%s/www", s_dir);
        snprintf (port_text, sizeof port_text, "%d", port);
        int null = open ("/dev/null", O_WRONLY);
        dup2 (null, 1);
        dup2 (null, 2);
        execl ("/usr/bin/python3", "python3", "-m", "http.server", "--bind", "127.0.0.1",
               "--directory", root, port_text, (char *) NULL);
        _exit (127);
    }
    //  Until it answers
    for (int tries = 0; tries < 100; tries++) {
        if (ts_run (NULL, "curl -sf -o /dev/null http://127.0.0.1:%d/", port) == 0)
            break;
        zclock_sleep (100);
    }
    return pid;
}

static void
test_url_input (void)
{
    if (access ("/usr/bin/python3", X_OK)) {
        printf ("SKIPPED: no /usr/bin/python3 for an HTTP server ");
        return;
    }
    char *www = zsys_sprintf ("%s/www", s_dir);
    CU_ASSERT_EQUAL (ts_run (NULL, "mkdir -p %s", www), 0);
    zstr_free (&www);
    s_write ("www/data.txt", "fetched by url\n", 0644);
    int port = ts_free_port ();
    pid_t server = s_http_start (port);
    char hex [65];
    s_sha256 ("fetched by url\n", hex);
    int rc;
    char *output = s_run (&rc, "--input-url http://127.0.0.1:%d/data.txt:sub/d.txt:%s "
                          "-- cat sub/d.txt", port, hex);
    CU_ASSERT_EQUAL (rc, 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "fetched by url"));
    free (output);
    //  Another hash: refused, not run
    s_sha256 ("something else\n", hex);
    output = s_run (&rc, "--input-url http://127.0.0.1:%d/data.txt:d.txt:%s -- cat d.txt",
                    port, hex);
    CU_ASSERT_NOT_EQUAL (rc, 0);
    free (output);
    char *task = NULL;
    CU_ASSERT_EQUAL (s_fogrid (&output, "submit --input-url http://127.0.0.1:%d/data.txt:d.txt:%s "
                               "-- cat d.txt", port, hex), 0);
    task = ts_task_id (0, output, "submit");
    CU_ASSERT_PTR_NOT_NULL_FATAL (task);
    CU_ASSERT_NOT_EQUAL (s_fogrid (&output, "wait %s", task), 0);
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "result %s", task), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "input 'd.txt' is corrupt"));
    CU_ASSERT_PTR_NULL (strstr (output, "fetched by url"));
    free (output);
    free (task);
    //  A URL that does not answer: a clear reason
    output = s_run (&rc, "--input-url http://127.0.0.1:%d/missing:m:%s -- true", port, hex);
    CU_ASSERT_NOT_EQUAL (rc, 0);
    free (output);
    kill (server, SIGTERM);
    waitpid (server, NULL, 0);
}

static void
test_docker_inputs (void)
{
    if (!s_docker) {
        printf ("SKIPPED: no Docker engine (or no fogrid/busybox image) answers ");
        return;
    }
    int rc;
    char *output = s_run (&rc, "--image fogrid/busybox --input ./job --input data -- ./job");
    CU_ASSERT_EQUAL (rc, 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "ran with forty-two and more"));
    if (rc)
        printf ("\n%s\n", output);
    free (output);
}

//  --------------------------------------------------------------------------
//  Live output

//  A task that prints, sleeps, prints: logs -f sees the first line while
//  it still runs, then the second, then its end
static void
s_logs_follow (const char *options)
{
    char *output = NULL;
    int rc = s_fogrid (&output, "submit %s -- sh -c 'echo first-line; sleep 3; "
                       "echo second-line >&2; echo third-line'", options);
    char *task = ts_task_id (rc, output, "submit");
    CU_ASSERT_PTR_NOT_NULL_FATAL (task);
    char *command = zsys_sprintf ("%s --insecure -H %s logs -f %s 2>&1", ts_bin ("fogrid"),
                                  s_hub_endpoint, task);
    FILE *follow = popen (command, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL (follow);
    char line [256] = "";
    CU_ASSERT_PTR_NOT_NULL (fgets (line, sizeof line, follow));
    CU_ASSERT_STRING_EQUAL (line, "first-line\n");
    //  It is still running: the line came before its end
    CU_ASSERT_EQUAL (s_fogrid (&output, "status %s", task), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "state     running"));
    free (output);
    //  Two pipes: a line on stderr and one on stdout at the same moment
    //  may come in either order, each whole
    char second [256] = "";
    CU_ASSERT_PTR_NOT_NULL (fgets (line, sizeof line, follow));
    CU_ASSERT_PTR_NOT_NULL (fgets (second, sizeof second, follow));
    CU_ASSERT ((streq (line, "second-line\n") && streq (second, "third-line\n"))
            || (streq (line, "third-line\n") && streq (second, "second-line\n")));
    CU_ASSERT_PTR_NOT_NULL (fgets (line, sizeof line, follow));
    CU_ASSERT_PTR_NOT_NULL (strstr (line, "succeeded"));
    CU_ASSERT_PTR_NULL (fgets (line, sizeof line, follow));     //  nothing twice
    int status = pclose (follow);
    CU_ASSERT (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    zstr_free (&command);
    //  Following a task that ended prints it whole, and its exit code
    rc = s_fogrid (&output, "logs -f %s", task);
    CU_ASSERT_EQUAL (rc, 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "first-line\n"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "second-line\n"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "third-line\n"));
    CU_ASSERT_PTR_NULL (strstr (strstr (output, "third-line\n") + 1, "third-line\n"));
    free (output);
    free (task);
}

static void
test_logs_follow (void)
{
    s_logs_follow ("");
}

static void
test_logs_follow_docker (void)
{
    if (!s_docker) {
        printf ("SKIPPED: no Docker engine (or no fogrid/busybox image) answers ");
        return;
    }
    s_logs_follow ("--image fogrid/busybox");
}

//  The output of a running task, through the client library
static bool
s_printed (const char *task, const char *text)
{
    char err [256];
    cli_client_t *client = cli_client_new (NULL, s_hub_endpoint, NULL, 5000, err, sizeof err);
    if (!client)
        return false;
    fg_env_t *env = NULL;
    Fogrid__LogsReply *reply = cli_client_logs (client, task, 0, &env);
    bool found = false;
    for (size_t index = 0; reply && index < reply->n_chunks; index++)
        if (memmem (reply->chunks [index]->data.data, reply->chunks [index]->data.len,
                    text, strlen (text)))
            found = true;
    fg_msg_free (&env);
    cli_client_destroy (&client);
    return found;
}

static bool
s_kept_printed (void *arg)
{
    return s_printed ((const char *) arg, "kept-line");
}

static bool
s_svc_printed (void *arg)
{
    return s_printed ((const char *) arg, "svc-line");
}

static void
test_cancelled_keeps_lines (void)
{
    char *output = NULL;
    int rc = s_fogrid (&output, "submit -- sh -c 'echo kept-line; echo kept-err >&2; sleep 60'");
    char *task = ts_task_id (rc, output, "submit");
    CU_ASSERT_PTR_NOT_NULL_FATAL (task);
    CU_ASSERT_FATAL (ts_wait_for (s_kept_printed, task, 10000));
    CU_ASSERT_EQUAL (s_fogrid (&output, "cancel %s", task), 0);
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "result %s", task), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "kept-line"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "kept-err"));
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "logs %s", task), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "kept-line"));
    free (output);
    free (task);
}

//  A service prints as it runs: its lines reach logs while it serves
static void
test_service_logs (void)
{
    if (!s_docker) {
        printf ("SKIPPED: no Docker engine (or no fogrid/busybox image) answers ");
        return;
    }
    char *output = NULL;
    int rc = s_fogrid (&output, "run-service --image fogrid/busybox --name live-svc --port 5555 "
                       "--timeout 60 -- sh -c 'trap \"exit 0\" TERM; echo svc-line; while true; do "
                       "nc -l -p 5555 </dev/null & wait $!; done'");
    char *task = ts_task_id (rc, output, "run-service");
    CU_ASSERT_PTR_NOT_NULL_FATAL (task);
    bool seen = ts_wait_for (s_svc_printed, task, 20000);
    CU_ASSERT (seen);
    if (!seen) {
        ts_proc_dump_log (s_miner);
        s_fogrid (&output, "status %s", task);
        printf ("\n%s\n", output);
        free (output);
    }
    CU_ASSERT_EQUAL (s_fogrid (&output, "stop-service %s", task), 0);
    free (output);
    //  Its container gone before the miner is asked to stop
    s_fogrid (&output, "wait %s", task);
    free (output);
    free (task);
}

//  Inputs are kept with the task: submitted while no miner runs, through
//  a restart of the hub, the task still gets them
static void
test_inputs_survive_restart (void)
{
    CU_ASSERT_EQUAL (ts_proc_stop (&s_miner, 5000), 0);
    char *output = NULL;
    int rc = s_fogrid (&output, "submit --input ./job --input data -- ./job");
    char *task = ts_task_id (rc, output, "submit");
    CU_ASSERT_PTR_NOT_NULL_FATAL (task);
    CU_ASSERT_EQUAL (ts_proc_stop (&s_hub, 5000), 0);
    s_hub_start ();
    CU_ASSERT_EQUAL_FATAL (s_miner_start (), 0);
    CU_ASSERT_EQUAL (s_fogrid (&output, "wait %s", task), 0);
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "result %s", task), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "ran with forty-two and more"));
    free (output);
    free (task);
}

void
test_inputs_add (void)
{
    CU_pSuite suite = CU_add_suite ("inputs", s_suite_init, s_suite_clean);
    CU_add_test (suite, "an executable script and a directory", test_script_and_directory);
    CU_add_test (suite, "bad inputs refused", test_bad_inputs_refused);
    CU_add_test (suite, "inputs kept through a hub restart", test_inputs_survive_restart);
    CU_add_test (suite, "a corrupt input is not run", test_corrupt_input_not_run);
    CU_add_test (suite, "an input by URL, hash checked", test_url_input);
    CU_add_test (suite, "docker task inputs", test_docker_inputs);
    CU_add_test (suite, "logs -f sees a line while the task runs", test_logs_follow);
    CU_add_test (suite, "logs -f of a docker task", test_logs_follow_docker);
    CU_add_test (suite, "a cancelled task keeps the lines it printed", test_cancelled_keeps_lines);
    CU_add_test (suite, "a service's output while it runs", test_service_logs);
}
