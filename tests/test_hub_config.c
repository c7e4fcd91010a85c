/*  =========================================================================
    test_hub_config - the hub's settings: the table's defaults read into
    typed fields once, the -t checks, and who counts as admin and owner
    =========================================================================  */
#include "test_support.h"
#include "hub_config.h"

//  A config of the table's defaults with its data directory in dir
static fg_config_t *
s_config (const char *dir)
{
    fg_config_t *config = fg_config_new (hub_config_defs);
    CU_ASSERT_EQUAL_FATAL (fg_config_set (config, "hub/data_dir", dir), 0);
    return config;
}

static void
test_typed (void)
{
    char *dir = ts_tmpdir_new ("hub-config");
    fg_config_t *config = s_config (dir);
    fg_config_set (config, "hub/queue_max", "7");
    fg_config_set (config, "hub/settle_s", "2");
    fg_config_set (config, "hub/pay_period_s", "3");
    fg_config_set (config, "hub/require_funds", "1");
    fg_config_set (config, "hub/admin_keys", "dao-a, dao-b");

    hub_config_t *settings = hub_config_new (config);
    CU_ASSERT_EQUAL (settings->queue_max, 7);
    CU_ASSERT_EQUAL (settings->settle_ms, 2000);          //  seconds read as ms
    CU_ASSERT_EQUAL (settings->pay_period_ms, 3000);
    CU_ASSERT_TRUE (settings->require_funds);
    CU_ASSERT_FALSE (settings->open_deposits);
    CU_ASSERT_STRING_EQUAL (settings->data_dir, dir);
    //  The table's defaults
    CU_ASSERT_EQUAL (settings->heartbeat_ms, 1000);
    CU_ASSERT_EQUAL (settings->grace_ms, 1000);
    CU_ASSERT_EQUAL (settings->fee_percent, 5);
    CU_ASSERT_EQUAL (settings->default_retries, 2);
    CU_ASSERT_STRING_EQUAL (settings->buyer_endpoint, "tcp://*:7701");
    CU_ASSERT_STRING_EQUAL (settings->punish_account, "dao");
    CU_ASSERT_FALSE (settings->durable_full);
    CU_ASSERT_EQUAL (settings->assign_credit, 0);
    CU_ASSERT_EQUAL (zlist_size (settings->admin_keys), 2);
    hub_config_destroy (&settings);
    CU_ASSERT_PTR_NULL (settings);
    hub_config_destroy (&settings);         //  idempotent
    fg_config_destroy (&config);
    ts_tmpdir_remove (&dir);
}

static void
test_roles (void)
{
    char *dir = ts_tmpdir_new ("hub-config");
    fg_config_t *config = s_config (dir);
    //  No keys: nobody is admin, and so nobody owner
    hub_config_t *settings = hub_config_new (config);
    CU_ASSERT_FALSE (hub_config_admin (settings, "dao-a"));
    CU_ASSERT_FALSE (hub_config_owner (settings, "dao-a"));
    CU_ASSERT_FALSE (hub_config_admin (settings, ""));
    hub_config_destroy (&settings);

    //  Owner keys default to the admin keys
    fg_config_set (config, "hub/admin_keys", "dao-a,dao-b");
    settings = hub_config_new (config);
    CU_ASSERT_TRUE (hub_config_admin (settings, "dao-b"));
    CU_ASSERT_TRUE (hub_config_owner (settings, "dao-b"));
    CU_ASSERT_FALSE (hub_config_admin (settings, "buyer-c"));
    CU_ASSERT_FALSE (hub_config_admin (settings, ""));     //  a plain-text caller
    hub_config_destroy (&settings);

    //  Owner keys of their own: the DAO is not the owner then
    fg_config_set (config, "hub/owner_keys", "me");
    settings = hub_config_new (config);
    CU_ASSERT_TRUE (hub_config_owner (settings, "me"));
    CU_ASSERT_FALSE (hub_config_owner (settings, "dao-a"));
    CU_ASSERT_FALSE (hub_config_admin (settings, "me"));
    hub_config_destroy (&settings);

    //  * lists anyone with a key, and a plain-text caller too
    fg_config_set (config, "hub/admin_keys", "*");
    settings = hub_config_new (config);
    CU_ASSERT_TRUE (hub_config_admin (settings, "anyone"));
    CU_ASSERT_TRUE (hub_config_admin (settings, ""));
    hub_config_destroy (&settings);
    fg_config_destroy (&config);
    ts_tmpdir_remove (&dir);
}

//  The check's verdict on config with path set to value (0 or -1), and
//  that a refusal names the setting
static int
s_check (const char *dir, const char *path, const char *value, const char *names)
{
    fg_config_t *config = s_config (dir);
    if (path)
        CU_ASSERT_EQUAL_FATAL (fg_config_set (config, path, value), 0);
    char err [512] = "";
    int rc = hub_config_check (config, err, sizeof err);
    if (rc && names && !strstr (err, names)) {
        fprintf (stderr, "refusal '%s' does not name %s\n", err, names);
        CU_FAIL ("the refusal does not name the setting");
    }
    fg_config_destroy (&config);
    return rc;
}

static void
test_check (void)
{
    char *dir = ts_tmpdir_new ("hub-config");
    CU_ASSERT_EQUAL (s_check (dir, NULL, NULL, NULL), 0);
    CU_ASSERT_EQUAL (s_check (dir, "hub/buyer_endpoint", "tcp://*:*", NULL), 0);
    CU_ASSERT_EQUAL (s_check (dir, "hub/buyer_endpoint", "ipc:///tmp/x", "hub/buyer_endpoint"), -1);
    CU_ASSERT_EQUAL (s_check (dir, "hub/miner_endpoint", "tcp://*:70000", "hub/miner_endpoint"), -1);
    CU_ASSERT_EQUAL (s_check (dir, "hub/miner_endpoint", "tcp://*:7701", "the same"), -1);
    CU_ASSERT_EQUAL (s_check (dir, "hub/http", "nowhere", "hub/http"), -1);
    CU_ASSERT_EQUAL (s_check (dir, "hub/http", "", NULL), 0);
    CU_ASSERT_EQUAL (s_check (dir, "hub/advertise_host", "a b", "hub/advertise_host"), -1);
    CU_ASSERT_EQUAL (s_check (dir, "hub/id", "has space", "hub/id"), -1);
    CU_ASSERT_EQUAL (s_check (dir, "locator/endpoints", "udp://x:1", "locator/endpoints"), -1);
    CU_ASSERT_EQUAL (s_check (dir, "locator/endpoints", "", NULL), 0);
    CU_ASSERT_EQUAL (s_check (dir, "hub/punish_account", "hub:fee", "hub/punish_account"), -1);
    CU_ASSERT_EQUAL (s_check (dir, "hub/punish_account", "escrow:t-1", "hub/punish_account"), -1);
    CU_ASSERT_EQUAL (s_check (dir, "hub/punish_account", "world", NULL), 0);
    CU_ASSERT_EQUAL (s_check (dir, "hub/durability", "fsync", "hub/durability"), -1);
    CU_ASSERT_EQUAL (s_check (dir, "hub/durability", "full", NULL), 0);
    //  The liveness timeouts in order: heartbeat < disconnect < dead
    CU_ASSERT_EQUAL (s_check (dir, "hub/disconnect_ms", "1000", "hub/disconnect_ms"), -1);
    CU_ASSERT_EQUAL (s_check (dir, "hub/dead_ms", "2000", "hub/dead_ms"), -1);
    //  A data directory that cannot be one
    char file [600];
    snprintf (file, sizeof file, "%s/plain-file", dir);
    FILE *handle = fopen (file, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL (handle);
    fclose (handle);
    CU_ASSERT_EQUAL (s_check (dir, "hub/data_dir", file, "hub/data_dir"), -1);
    CU_ASSERT_EQUAL (s_check (dir, "hub/data_dir", "", "hub/data_dir"), -1);
    ts_tmpdir_remove (&dir);
}

void
test_hub_config_add (void)
{
    ts_add_suite ("hub_config",
        "settings read once into typed fields", test_typed,
        "admin and owner keys", test_roles,
        "the -t checks, each naming its setting", test_check,
        NULL);
}
