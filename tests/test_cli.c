/*  =========================================================================
    test_cli - the `fogrid` command line: usage, clear errors when the
    grid cannot be reached (the grid itself is driven in test_spine), the
    files of a result written into a directory and nowhere else, and the
    hub's signed documents (receipts, verdicts) saved and read back
    =========================================================================  */
#include "test_support.h"
#include "cli_files.h"
#include "cli_doc.h"
#include <sys/stat.h>

static int
s_fogrid (char **output, const char *args)
{
    return ts_run (output, "%s %s", ts_bin ("fogrid"), args);
}

static void
test_usage (void)
{
    char *output = NULL;
    CU_ASSERT_EQUAL (s_fogrid (&output, "--help"), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "submit"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "FOGRID_LOCATOR"));
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "--version"), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, FG_VERSION_STRING));
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, ""), 2);
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "frobnicate"), 2);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "unknown command 'frobnicate'"));
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "--bogus x status"), 2);
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "submit --help"), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "--cores"));
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "submit --cores many -- true"), 2);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "bad value 'many' for --cores"));
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "submit --label novalue -- true"), 2);
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "submit --help"), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "--output PATH"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "FOGRID_TASK_ID"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "FOGRID_ATTEMPT"));
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "result --help"), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "--files DIR"));
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "result --force t-000000000000"), 2);
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "submit --output '' -- true"), 2);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "--output needs a path"));
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "submit --cores 1"), 2);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "no command given"));
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "status"), 2);
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "resolve 'Not A Name'"), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "not a valid service name"));
    free (output);
}

static void
test_unreachable_grid (void)
{
    //  Nothing listens on these ports: clear errors, bounded time
    int port = ts_free_port ();
    char args [256], *output = NULL;
    int64_t start = zclock_mono ();
    snprintf (args, sizeof args, "--insecure -T 500 -l tcp://127.0.0.1:%d submit -- true", port);
    CU_ASSERT_EQUAL (s_fogrid (&output, args), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "does not answer"));
    free (output);
    snprintf (args, sizeof args, "--insecure -T 500 -H tcp://127.0.0.1:%d status t-000000000000", port);
    CU_ASSERT_EQUAL (s_fogrid (&output, args), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "cannot reach"));
    free (output);
    CU_ASSERT (zclock_mono () - start < 5000);

    //  Security is on by default: without the servers' keys, say so
    char *home = ts_tmpdir_new ("cli-home");
    snprintf (args, sizeof args, "-l tcp://127.0.0.1:%d -k %s/me.key resolve hub", port, home);
    CU_ASSERT_EQUAL (s_fogrid (&output, args), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "public key is not set"));
    free (output);
    snprintf (args, sizeof args, "-H tcp://127.0.0.1:%d -k %s/me.key miners", port, home);
    CU_ASSERT_EQUAL (s_fogrid (&output, args), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "no valid public key"));
    free (output);
    //  ... and the key pair it needed was made, private
    snprintf (args, sizeof args, "test \"$(stat -c %%a %s/me.key_secret)\" = 600", home);
    CU_ASSERT_EQUAL (ts_run (NULL, "%s", args), 0);
    snprintf (args, sizeof args, "keygen %s/other.key", home);
    CU_ASSERT_EQUAL (s_fogrid (&output, args), 0);
    CU_ASSERT_EQUAL (strlen (output) > 40, true);
    free (output);
    ts_tmpdir_remove (&home);

    //  An invalid endpoint is named in the error
    CU_ASSERT_EQUAL (s_fogrid (&output, "--insecure -H not-an-endpoint miners"), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "not-an-endpoint"));
    free (output);
}

//  An OutputFile as a miner might send it (through a hub that did not
//  sanitize it: the CLI checks again)
static Fogrid__OutputFile *
s_entry (const char *path, const char *content, uint32_t mode, const char *error)
{
    Fogrid__OutputFile *file = (Fogrid__OutputFile *) zmalloc (sizeof (Fogrid__OutputFile));
    fogrid__output_file__init (file);
    file->path = (char *) path;
    file->content.data = (byte *) content;
    file->content.len = content? strlen (content): 0;
    file->size = file->content.len;
    file->mode = mode;
    file->error = (char *) (error? error: "");
    return file;
}

//  Written under DIR at their paths, never outside it: no '..', no
//  absolute path, no symbolic link followed (one put in DIR beforehand
//  leads nowhere), nothing replaced unless asked, and then only a file
static void
test_files_write (void)
{
    char *root = ts_tmpdir_new ("cli-files");
    char *dir = zsys_sprintf ("%s/into/here", root);
    char *outside = zsys_sprintf ("%s/outside", root);
    CU_ASSERT_EQUAL (zsys_dir_create ("%s", outside), 0);
    CU_ASSERT_EQUAL (ts_run (NULL, "echo secret > %s/target", outside), 0);

    Fogrid__OutputFile *good [4];
    good [0] = s_entry ("out/dir", NULL, 0755, NULL);
    good [0]->dir = true;
    good [1] = s_entry ("out/dir/a.txt", "a\n", 04755, NULL);
    good [2] = s_entry ("out/missing", NULL, 0, "no such file or directory in the container");
    good [3] = s_entry ("out/big", "start", 0644, "cut at 5 of 100 bytes: over the bound");
    good [3]->truncated = true;
    good [3]->size = 100;
    char *report = NULL;
    size_t report_size = 0;
    FILE *out = open_memstream (&report, &report_size);
    CU_ASSERT_EQUAL (cli_files_write (dir, good, 4, false, out), 0);
    fclose (out);
    CU_ASSERT_PTR_NOT_NULL (strstr (report, "wrote    out/dir/a.txt (2 bytes)"));
    CU_ASSERT_PTR_NOT_NULL (strstr (report, "missing  out/missing: no such file"));
    CU_ASSERT_PTR_NOT_NULL (strstr (report, "cut      out/big: cut at 5 of 100 bytes"));
    zstr_free (&report);
    char *text = ts_read_text (dir, "out/dir/a.txt");
    CU_ASSERT (text && streq (text, "a\n"));
    free (text);
    text = ts_read_text (dir, "out/big");
    CU_ASSERT (text && streq (text, "start"));
    free (text);
    char *name = zsys_sprintf ("%s/out/dir/a.txt", dir);
    struct stat info;
    CU_ASSERT (stat (name, &info) == 0 && (info.st_mode & 07000) == 0);     //  never set-id
    zstr_free (&name);
    CU_ASSERT_NOT_EQUAL (ts_run (NULL, "test -e %s/out/missing", dir), 0);

    //  Again: refused, unless overwriting
    out = open_memstream (&report, &report_size);
    CU_ASSERT_EQUAL (cli_files_write (dir, good + 1, 1, false, out), 1);
    fclose (out);
    CU_ASSERT_PTR_NOT_NULL (strstr (report, "it exists (--force replaces it)"));
    zstr_free (&report);
    CU_ASSERT_EQUAL (ts_run (NULL, "echo old > %s/out/dir/a.txt", dir), 0);
    out = open_memstream (&report, &report_size);
    CU_ASSERT_EQUAL (cli_files_write (dir, good + 1, 1, true, out), 0);
    fclose (out);
    zstr_free (&report);
    text = ts_read_text (dir, "out/dir/a.txt");
    CU_ASSERT (text && streq (text, "a\n"));
    free (text);

    //  What would land outside: refused, every one, and nothing made there
    CU_ASSERT_EQUAL (ts_run (NULL, "ln -s %s %s/link && ln -s %s/target %s/file-link && "
                             "mkfifo %s/fifo", outside, dir, outside, dir, dir), 0);
    const char *escapes [] = { "../escape", "/tmp/fogrid-cli-abs", "out/../../x", "./a", "a//b",
                               "link/x.txt", "link", "file-link", "fifo", "" };
    size_t count = sizeof escapes / sizeof escapes [0];
    Fogrid__OutputFile *bad [16];
    for (size_t index = 0; index < count; index++)
        bad [index] = s_entry (escapes [index], "pwned\n", 0644, NULL);
    int64_t start = zclock_mono ();
    out = open_memstream (&report, &report_size);
    CU_ASSERT_EQUAL (cli_files_write (dir, bad, count, true, out), (int) count);
    fclose (out);
    CU_ASSERT (zclock_mono () - start < 2000);      //  the FIFO did not block
    CU_ASSERT_PTR_NOT_NULL (strstr (report, "refused  ../escape: not a plain relative path"));
    CU_ASSERT_PTR_NOT_NULL (strstr (report, "FAILED   link/x.txt: link: a symbolic link"));
    CU_ASSERT_PTR_NOT_NULL (strstr (report, "FAILED   file-link: a symbolic link is there"));
    CU_ASSERT_PTR_NOT_NULL (strstr (report, "FAILED   fifo: something other than a file"));
    zstr_free (&report);
    CU_ASSERT_EQUAL (ts_run (NULL, "test \"$(ls %s)\" = target", outside), 0);
    text = ts_read_text (outside, "target");
    CU_ASSERT (text && streq (text, "secret\n"));
    free (text);
    CU_ASSERT_NOT_EQUAL (ts_run (NULL, "test -e /tmp/fogrid-cli-abs || test -e %s/escape "
                                 "|| test -e %s/into/x", root, root), 0);

    //  A directory that cannot be made
    out = open_memstream (&report, &report_size);
    name = zsys_sprintf ("%s/target/sub", outside);
    CU_ASSERT_EQUAL (cli_files_write (name, good, 1, false, out), -1);
    fclose (out);
    zstr_free (&report);
    zstr_free (&name);

    for (size_t index = 0; index < 4; index++)
        free (good [index]);
    for (size_t index = 0; index < count; index++)
        free (bad [index]);
    zstr_free (&dir);
    zstr_free (&outside);
    ts_tmpdir_remove (&root);
}

//  ---------------------------------------------------------------------
//  A locator and a hub as real processes, security on

typedef struct {
    char *dir;                  //  logs, keys, the hub's data
    char locator [64];          //  "tcp://127.0.0.1:N"
    char buyers [64];           //  the hub's buyer endpoint
    char miners [64];           //  its miner endpoint
    char data [600];            //  its data dir
    char locator_keys [600];    //  the locator's key pair (public part)
    char locator_key_opt [700]; //  "security/locator_key=..."
    char buyer_keys [600];      //  the CLI's
    ts_proc_t *locator_proc;
    ts_proc_t *hub;
} s_grid_t;

//  The hub's registration lives this long: its registrant refreshes it
//  every third of it
#define S_HUB_TTL_MS  6000

static ts_proc_t *
s_grid_hub (s_grid_t *grid)
{
    return ts_proc_start (grid->dir, "hub", "fogrid-hub", "--buyers", grid->buyers,
                          "--miners", grid->miners, "--locator", grid->locator,
                          "--data", grid->data, "-o", "locator/ttl_ms=6000",
                          "-o", grid->locator_key_opt, NULL);
}

static void
s_grid_up (s_grid_t *grid)
{
    memset (grid, 0, sizeof *grid);
    grid->dir = ts_tmpdir_new ("cli-grid");
    snprintf (grid->locator, sizeof grid->locator, "tcp://127.0.0.1:%d", ts_free_port ());
    snprintf (grid->buyers, sizeof grid->buyers, "tcp://127.0.0.1:%d", ts_free_port ());
    snprintf (grid->miners, sizeof grid->miners, "tcp://127.0.0.1:%d", ts_free_port ());
    snprintf (grid->data, sizeof grid->data, "%s/hub", grid->dir);
    snprintf (grid->locator_keys, sizeof grid->locator_keys, "%s/locator.key", grid->dir);
    snprintf (grid->buyer_keys, sizeof grid->buyer_keys, "%s/buyer.key", grid->dir);
    snprintf (grid->locator_key_opt, sizeof grid->locator_key_opt, "security/locator_key=%s",
              grid->locator_keys);
    char keys_opt [700];
    snprintf (keys_opt, sizeof keys_opt, "security/keys=%s", grid->locator_keys);
    CU_ASSERT_EQUAL_FATAL (ts_run (NULL, "%s keygen %s 2>&1", ts_bin ("fogrid"),
                                   grid->locator_keys), 0);
    grid->locator_proc = ts_proc_start (grid->dir, "locator", "fogrid-locator", "--bind",
                                        grid->locator, "--dns", "", "--http", "",
                                        "-o", keys_opt, NULL);
    grid->hub = s_grid_hub (grid);
}

static void
s_grid_down (s_grid_t *grid)
{
    if (grid->hub)
        CU_ASSERT_EQUAL (ts_proc_stop (&grid->hub, 5000), 0);
    if (grid->locator_proc)
        CU_ASSERT_EQUAL (ts_proc_stop (&grid->locator_proc, 5000), 0);
    ts_tmpdir_remove (&grid->dir);
}

//  The fogrid CLI against the grid; returns its exit status.
static int
s_grid_fogrid (s_grid_t *grid, char **output, const char *args)
{
    return ts_run (output, "%s -l %s -K %s -k %s %s", ts_bin ("fogrid"), grid->locator,
                   grid->locator_keys, grid->buyer_keys, args);
}

static bool
s_hub_resolves (void *arg)
{
    char *output = NULL;
    bool found = s_grid_fogrid ((s_grid_t *) arg, &output, "resolve hub") == 0;
    free (output);
    return found;
}

static bool
s_hub_gone (void *arg)
{
    char *output = NULL;
    int rc = s_grid_fogrid ((s_grid_t *) arg, &output, "resolve hub");
    bool gone = rc == 1 && strstr (output, "hub: not found");
    free (output);
    return gone;
}

//  A hub killed and started again is found in the locator within moments
//  of its start, not at its registrant's next tick (a third of the TTL):
//  the registrant retries while its link to the locator comes up. The
//  old registration is let expire first, so that only the new one can
//  answer.
static void
test_hub_restart (void)
{
    s_grid_t grid;
    s_grid_up (&grid);
    bool up = ts_wait_for (s_hub_resolves, &grid, 10000);
    if (!up) {
        ts_proc_dump_log (grid.locator_proc);
        ts_proc_dump_log (grid.hub);
    }
    CU_ASSERT_TRUE (up);

    for (int round = 0; round < 2 && up; round++) {
        ts_proc_kill (&grid.hub);
        bool expired = ts_wait_for (s_hub_gone, &grid, S_HUB_TTL_MS + 5000);
        CU_ASSERT_TRUE (expired);
        if (!expired)
            break;
        grid.hub = s_grid_hub (&grid);
        int64_t started = zclock_mono ();
        if (round == 0) {
            //  A resolve in a tight loop from the moment the process starts
            bool found = false;
            while (!found && zclock_mono () - started < S_HUB_TTL_MS + 2000)
                found = s_hub_resolves (&grid);
            int64_t dark = zclock_mono () - started;
            printf (" [hub found %" PRId64 " ms after its restart; TTL %d ms] ", dark,
                    S_HUB_TTL_MS);
            CU_ASSERT_TRUE (found);
            CU_ASSERT (dark < S_HUB_TTL_MS / 3);
            if (dark >= S_HUB_TTL_MS / 3)
                ts_proc_dump_log (grid.hub);
        }
        else {
            //  A submit at once: the CLI asks the locator again after a
            //  pause rather than saying no hub is registered
            char *output = NULL;
            int rc = s_grid_fogrid (&grid, &output, "submit -- true");
            printf (" [submit %d ms after the restart: %s] ", (int) (zclock_mono () - started),
                    rc == 0? "accepted": "refused");
            char *task = ts_task_id (rc, output, "submit right after a restart");
            CU_ASSERT_PTR_NOT_NULL (task);
            if (!task)
                ts_proc_dump_log (grid.hub);
            zstr_free (&task);
        }
    }
    s_grid_down (&grid);
}

//  How often needle occurs in text.
static int
s_count (const char *text, const char *needle)
{
    int count = 0;
    for (const char *at = strstr (text, needle); at; at = strstr (at + 1, needle))
        count++;
    return count;
}

//  Each refusal is said once: the hub's text names the request ("submit
//  refused: ..."), the CLI does not say it again
static void
test_refusals_once (void)
{
    s_grid_t grid;
    s_grid_up (&grid);
    bool up = ts_wait_for (s_hub_resolves, &grid, 10000);
    CU_ASSERT_TRUE (up);
    struct {
        const char *args;           //  the command
        const char *said;           //  its whole error line
        const char *once;           //  ... in which this occurs once
    } refused [] = {
        { "submit --runtime docker -- true",
          "fogrid: submit refused: the docker runtime needs an image\n", "refused" },
        { "status t-000000000000",
          "fogrid: task t-000000000000 not found on this hub\n", "t-000000000000" },
        { "cancel t-000000000000",
          "fogrid: task t-000000000000 not found on this hub\n", "t-000000000000" },
        { "result t-000000000000",
          "fogrid: task t-000000000000 not found on this hub\n", "t-000000000000" },
        { "deposit 10", "fogrid: deposit refused: ", "refused" },
        { "withdraw 10", "fogrid: withdraw refused: ", "refused" },
        { "admin wallet register", "fogrid: admin: wallet register refused: only the DAO",
          "refused" },
        { "receipt t-000000000000", "fogrid: receipt: task t-000000000000 not found",
          "t-000000000000" },
    };
    for (size_t index = 0; up && index < sizeof refused / sizeof refused [0]; index++) {
        char *output = NULL;
        int rc = s_grid_fogrid (&grid, &output, refused [index].args);
        CU_ASSERT_EQUAL (rc, 1);
        bool said = output && strstr (output, refused [index].said)
                 && s_count (output, refused [index].once) == 1;
        CU_ASSERT_TRUE (said);
        if (!said)
            printf ("\n`fogrid %s` said: %s", refused [index].args, output? output: "");
        free (output);
    }
    s_grid_down (&grid);
}

//  Job arrays from the command line: one submit, the array's id; its
//  summary and one element's status; a file with a bad line submits
//  nothing (exit 2, the line named), or with --partial the rest (exit 3)
static void
test_arrays (void)
{
    s_grid_t grid;
    s_grid_up (&grid);
    bool up = ts_wait_for (s_hub_resolves, &grid, 10000);
    CU_ASSERT_TRUE_FATAL (up);
    char *output = NULL, args [900];
    CU_ASSERT_EQUAL (s_grid_fogrid (&grid, &output, "submit --array 3-7 -- sh -c 'echo {}' 2>/dev/null"), 0);
    char array [64] = "";
    if (output)
        snprintf (array, sizeof array, "%.*s", (int) strcspn (output, "\n"), output);
    free (output);
    CU_ASSERT (strncmp (array, "a-", 2) == 0);
    snprintf (args, sizeof args, "status %s", array);
    CU_ASSERT_EQUAL (s_grid_fogrid (&grid, &output, args), 0);
    CU_ASSERT_PTR_NOT_NULL (output && strstr (output, "elements:  5"));
    CU_ASSERT_PTR_NOT_NULL (output && strstr (output, "pending    5"));
    free (output);
    snprintf (args, sizeof args, "status '%s[7]'", array);
    CU_ASSERT_EQUAL (s_grid_fogrid (&grid, &output, args), 0);
    CU_ASSERT_PTR_NOT_NULL (output && strstr (output, "echo 7"));
    free (output);
    //  A bad range says so
    CU_ASSERT_EQUAL (s_grid_fogrid (&grid, &output, "submit --array 9-2 -- true"), 2);
    free (output);

    char file [700];
    snprintf (file, sizeof file, "%s/tasks.txt", grid.dir);
    FILE *lines = fopen (file, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL (lines);
    fprintf (lines, "echo one\n# a comment\n\n{\"argv\": [\"true\"], \"cores\": 1}\n"
                    "{\"argv\": 5}\necho four\n");
    fclose (lines);
    snprintf (args, sizeof args, "submit --from %s", file);
    CU_ASSERT_EQUAL (s_grid_fogrid (&grid, &output, args), 2);
    CU_ASSERT_PTR_NOT_NULL (output && strstr (output, "line 5 (element 3): argv must be"));
    CU_ASSERT_PTR_NOT_NULL (output && strstr (output, "nothing was submitted"));
    free (output);
    snprintf (args, sizeof args, "submit --partial --from %s", file);
    CU_ASSERT_EQUAL (s_grid_fogrid (&grid, &output, args), 3);
    CU_ASSERT_PTR_NOT_NULL (output && strstr (output, "line 5 (element 3) not submitted"));
    CU_ASSERT_PTR_NOT_NULL (output && strstr (output, "3 tasks submitted"));
    free (output);
    s_grid_down (&grid);
}

static bool
s_log_says (void *arg)
{
    ts_proc_t *proc = (ts_proc_t *) arg;
    return ts_run (NULL, "grep -qs 'listening on' %s", proc->log) == 0;
}

//  The command line reads its own variables (FOGRID_KEYS, ...); the old
//  FOGRID_SECURITY_KEYS still works, with a warning, and a daemon that
//  takes its keys from FOGRID_SECURITY_KEYS says so in its log
static void
test_environment (void)
{
    char *dir = ts_tmpdir_new ("cli-env");
    char *output = NULL;
    int port = ts_free_port ();
    CU_ASSERT_EQUAL (ts_run (&output, "FOGRID_KEYS=%s/new.key %s -T 300 -l tcp://127.0.0.1:%d "
                             "-K %s/new.key resolve hub", dir, ts_bin ("fogrid"), port, dir), 1);
    CU_ASSERT_PTR_NULL (strstr (output, "deprecated"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "does not answer"));
    free (output);
    CU_ASSERT_TRUE (ts_run (NULL, "test -f %s/new.key_secret", dir) == 0);
    CU_ASSERT_EQUAL (ts_run (&output, "FOGRID_SECURITY_KEYS=%s/old.key %s -T 300 -l "
                             "tcp://127.0.0.1:%d -K %s/old.key resolve hub", dir, ts_bin ("fogrid"),
                             port, dir), 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "fogrid: warning: FOGRID_SECURITY_KEYS is deprecated "
                                    "for the command line"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "use FOGRID_KEYS"));
    free (output);
    CU_ASSERT_TRUE (ts_run (NULL, "test -f %s/old.key_secret", dir) == 0);
    //  ... the new name wins over the old
    CU_ASSERT_EQUAL (ts_run (&output, "FOGRID_KEYS=%s/new.key FOGRID_SECURITY_KEYS=%s/other.key "
                             "%s -T 300 -l tcp://127.0.0.1:%d -K %s/new.key resolve hub", dir, dir,
                             ts_bin ("fogrid"), port, dir), 1);
    CU_ASSERT_PTR_NULL (strstr (output, "deprecated"));
    free (output);
    CU_ASSERT_FALSE (ts_run (NULL, "test -e %s/other.key", dir) == 0);
    CU_ASSERT_EQUAL (s_fogrid (&output, "--help"), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "env FOGRID_KEYS"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "env FOGRID_LOCATOR_KEY"));
    free (output);

    //  A daemon started where a buyer exported the old name
    char keys [600], bind [64];
    snprintf (keys, sizeof keys, "%s/old.key", dir);
    snprintf (bind, sizeof bind, "tcp://127.0.0.1:%d", port);
    setenv ("FOGRID_SECURITY_KEYS", keys, 1);
    ts_proc_t *locator = ts_proc_start (dir, "locator", "fogrid-locator", "--bind", bind,
                                        "--dns", "", "--http", "", NULL);
    unsetenv ("FOGRID_SECURITY_KEYS");
    CU_ASSERT_TRUE (ts_wait_for (s_log_says, locator, 10000));
    CU_ASSERT_EQUAL (ts_run (NULL, "grep -q 'security/keys comes from the environment "
                             "(FOGRID_SECURITY_KEYS=%s)' %s", keys, locator->log), 0);
    CU_ASSERT_EQUAL (ts_proc_stop (&locator, 5000), 0);
    //  ... and one whose keys are its own says nothing of the kind
    locator = ts_proc_start (dir, "locator2", "fogrid-locator", "--bind", bind,
                             "--dns", "", "--http", "", "--data", dir, NULL);
    CU_ASSERT_TRUE (ts_wait_for (s_log_says, locator, 10000));
    CU_ASSERT_NOT_EQUAL (ts_run (NULL, "grep -q 'from the environment' %s", locator->log), 0);
    CU_ASSERT_EQUAL (ts_proc_stop (&locator, 5000), 0);
    ts_tmpdir_remove (&dir);
}

//  receipt and verdict take [-o FILE] TASK, verify-receipt and
//  verify-verdict --hub-key KEY FILE; what is saved reads back the same,
//  cut at the size its kind allows
static void
test_documents (void)
{
    const char *task, *file, *key;
    char *fetch [] = { "receipt", "-o", "r.json", "t-1", NULL };
    CU_ASSERT_TRUE (cli_doc_fetch_args (4, fetch, &task, &file));
    CU_ASSERT (task && streq (task, "t-1") && file && streq (file, "r.json"));
    CU_ASSERT_TRUE (cli_doc_fetch_args (2, (char *[]) { "verdict", "t-2", NULL }, &task, &file));
    CU_ASSERT (streq (task, "t-2") && file == NULL);
    CU_ASSERT_FALSE (cli_doc_fetch_args (1, (char *[]) { "receipt", NULL }, &task, &file));
    CU_ASSERT_FALSE (cli_doc_fetch_args (3, (char *[]) { "receipt", "t-1", "t-2", NULL },
                                         &task, &file));
    CU_ASSERT_FALSE (cli_doc_fetch_args (3, (char *[]) { "receipt", "t-1", "-o", NULL },
                                         &task, &file));
    char *verify [] = { "verify-verdict", "--hub-key", "ab12", "-", NULL };
    CU_ASSERT_TRUE (cli_doc_verify_args (4, verify, &file, &key));
    CU_ASSERT (streq (file, "-") && streq (key, "ab12"));
    CU_ASSERT_FALSE (cli_doc_verify_args (2, (char *[]) { "verify-receipt", "f.json", NULL },
                                          &file, &key));
    CU_ASSERT_FALSE (cli_doc_verify_args (5, (char *[]) { "verify-receipt", "--hub-key", "ab",
                                          "f", "--x", NULL }, &file, &key));

    char *dir = ts_tmpdir_new ("cli-doc");
    char *path = zsys_sprintf ("%s/doc.json", dir);
    CU_ASSERT_EQUAL (cli_doc_write ("{\"receipt\": \"fogrid-receipt/1\"}", path), 0);
    char *text = cli_doc_read (path, 65536);
    CU_ASSERT (text && streq (text, "{\"receipt\": \"fogrid-receipt/1\"}\n"));
    free (text);
    text = cli_doc_read (path, 10);
    CU_ASSERT (text && strlen (text) == 10);
    free (text);
    char *missing = zsys_sprintf ("%s/none/doc.json", dir);
    CU_ASSERT_EQUAL (cli_doc_write ("{}", missing), 1);
    CU_ASSERT_PTR_NULL (cli_doc_read (missing, 65536));
    zstr_free (&missing);
    zstr_free (&path);
    ts_tmpdir_remove (&dir);
}

void
test_cli_add (void)
{
    ts_add_suite ("cli",
        "usage and argument errors", test_usage,
        "unreachable grid: clear errors in bounded time", test_unreachable_grid,
        "result files: written under DIR only, nothing replaced unasked", test_files_write,
        "signed documents: their arguments; saved, read back, cut at their size",
        test_documents,
        "a restarted hub is found at once; a submit right after succeeds", test_hub_restart,
        "every refusal is said once", test_refusals_once,
        "job arrays: --array, --from, --partial, status", test_arrays,
        "environment: the CLI's own names; a daemon says where its keys came from",
        test_environment,
        NULL);
}
