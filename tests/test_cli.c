/*  =========================================================================
    test_cli - the `fogrid` command line: usage, clear errors when the
    grid cannot be reached (the grid itself is driven in test_spine), and
    the files of a result written into a directory and nowhere else
    =========================================================================  */
#include "test_support.h"
#include "cli_files.h"
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

void
test_cli_add (void)
{
    ts_add_suite ("cli",
        "usage and argument errors", test_usage,
        "unreachable grid: clear errors in bounded time", test_unreachable_grid,
        "result files: written under DIR only, nothing replaced unasked", test_files_write,
        NULL);
}
