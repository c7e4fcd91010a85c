/*  test_fg_config - defaults, files, environment, validation */
#include "test_support.h"

static const fg_cfg_def_t s_defs [] = {
    { "server/endpoint", FG_CFG_STR, "tcp://*:7700", 0, 0, "where to listen" },
    { "server/ttl_ms", FG_CFG_INT, "5000", 100, 600000, "registration lifetime" },
    { "security/insecure", FG_CFG_BOOL, "0", 0, 0, "plain text sockets" },
    { NULL }
};

static char *
s_write (const char *dir, const char *name, const char *text)
{
    char *path = zsys_sprintf ("%s/%s", dir, name);
    FILE *file = fopen (path, "w");
    fputs (text, file);
    fclose (file);
    return path;
}

static void
test_defaults_and_set (void)
{
    fg_config_t *config = fg_config_new (s_defs);
    CU_ASSERT_STRING_EQUAL (fg_config_str (config, "server/endpoint"), "tcp://*:7700");
    CU_ASSERT_EQUAL (fg_config_int (config, "server/ttl_ms"), 5000);
    CU_ASSERT_FALSE (fg_config_bool (config, "security/insecure"));
    CU_ASSERT_EQUAL (fg_config_set (config, "server/ttl_ms", "200"), 0);
    CU_ASSERT_EQUAL (fg_config_int (config, "server/ttl_ms"), 200);
    CU_ASSERT_EQUAL (fg_config_set (config, "server/ttl_ms", "5"), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (fg_config_error (config), "out of range"));
    CU_ASSERT_EQUAL (fg_config_set (config, "server/ttl_ms", "12abc"), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (fg_config_error (config), "not an integer"));
    CU_ASSERT_EQUAL (fg_config_set (config, "security/insecure", "maybe"), -1);
    CU_ASSERT_EQUAL (fg_config_set (config, "server/nope", "1"), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (fg_config_error (config), "unknown setting 'server/nope'"));
    CU_ASSERT_EQUAL (fg_config_int (config, "server/ttl_ms"), 200);   //  unchanged by failures
    fg_config_destroy (&config);
    CU_ASSERT_PTR_NULL (config);
}

static void
test_files (void)
{
    char *dir = ts_tmpdir_new ("config");
    fg_config_t *config = fg_config_new (s_defs);
    char *good = s_write (dir, "good.cfg",
        "#   a comment\nserver\n    endpoint = \"tcp://*:9000\"\n    ttl_ms = 1500\n"
        "security\n    insecure = 1\n");
    CU_ASSERT_EQUAL (fg_config_load (config, good), 0);
    CU_ASSERT_STRING_EQUAL (fg_config_str (config, "server/endpoint"), "tcp://*:9000");
    CU_ASSERT_EQUAL (fg_config_int (config, "server/ttl_ms"), 1500);
    CU_ASSERT_TRUE (fg_config_bool (config, "security/insecure"));

    char *typo = s_write (dir, "typo.cfg", "server\n    endpiont = x\n");
    CU_ASSERT_EQUAL (fg_config_load (config, typo), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (fg_config_error (config), "endpiont"));

    CU_ASSERT_EQUAL (fg_config_load (config, "/nonexistent/file.cfg"), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (fg_config_error (config), "cannot read"));

    char *binary = s_write (dir, "binary.cfg", "\x01\x02\xff\xfe = = =\n\tbad\n");
    CU_ASSERT_EQUAL (fg_config_load (config, binary), -1);

    //  The printed configuration loads back to the same values
    char *printed = zsys_sprintf ("%s/printed.cfg", dir);
    FILE *file = fopen (printed, "w");
    fg_config_print (config, file, true);
    fclose (file);
    fg_config_t *again = fg_config_new (s_defs);
    CU_ASSERT_EQUAL (fg_config_load (again, printed), 0);
    CU_ASSERT_STRING_EQUAL (fg_config_str (again, "server/endpoint"), "tcp://*:9000");
    CU_ASSERT_EQUAL (fg_config_int (again, "server/ttl_ms"), 1500);
    fg_config_destroy (&again);

    zstr_free (&good);
    zstr_free (&typo);
    zstr_free (&binary);
    zstr_free (&printed);
    fg_config_destroy (&config);
    ts_tmpdir_remove (&dir);
}

static void
test_environment (void)
{
    char name [64];
    fg_config_env_name ("server/ttl_ms", name, sizeof name);
    CU_ASSERT_STRING_EQUAL (name, "FOGRID_SERVER_TTL_MS");
    fg_config_t *config = fg_config_new (s_defs);
    setenv ("FOGRID_SERVER_TTL_MS", "777", 1);
    CU_ASSERT_EQUAL (fg_config_apply_env (config), 0);
    CU_ASSERT_EQUAL (fg_config_int (config, "server/ttl_ms"), 777);
    setenv ("FOGRID_SERVER_TTL_MS", "-1", 1);
    CU_ASSERT_EQUAL (fg_config_apply_env (config), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (fg_config_error (config), "FOGRID_SERVER_TTL_MS"));
    unsetenv ("FOGRID_SERVER_TTL_MS");
    fg_config_destroy (&config);
}

void
test_fg_config_add (void)
{
    ts_add_suite ("fg_config",
        "defaults and validated sets", test_defaults_and_set,
        "ZPL files, typos, unreadable files", test_files,
        "environment overrides", test_environment,
        NULL);
}
