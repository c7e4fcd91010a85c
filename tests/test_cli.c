/*  =========================================================================
    test_cli - the `fogrid` command line: usage, and clear errors when the
    grid cannot be reached (the grid itself is driven in test_spine)
    =========================================================================  */
#include "test_support.h"

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

void
test_cli_add (void)
{
    ts_add_suite ("cli",
        "usage and argument errors", test_usage,
        "unreachable grid: clear errors in bounded time", test_unreachable_grid,
        NULL);
}
