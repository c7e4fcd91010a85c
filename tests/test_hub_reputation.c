/*  =========================================================================
    test_hub_reputation - the court's small rooms on a real store: miners'
    records and their score (hub_reputation), the cases and their verdicts
    (hub_cases), who stands behind a miner (hub_owners)
    =========================================================================  */
#include "test_hub_support.h"
#include "hub_reputation.h"
#include "hub_cases.h"
#include "hub_owners.h"

static void
test_scores (void)
{
    char *dir = ts_tmpdir_new ("reputation");
    hub_store_t *store = hub_store_new (dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL (store);
    hub_reputation_t *reputation = hub_reputation_new (store);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reputation);
    hub_reputation_record_t record;
    //  Never seen: nothing against it
    hub_reputation_get (reputation, "m-new", &record);
    CU_ASSERT_EQUAL (record.resolved + record.mismatches + record.verdicts_lost, 0);
    CU_ASSERT_EQUAL (record.score, 1.0);
    //  A long clean record stays at 1; one lie weighs five results
    for (int count = 0; count < 9; count++)
        CU_ASSERT_EQUAL (hub_reputation_count (reputation, "m-1", HUB_REPUTATION_RESOLVED), 0);
    hub_reputation_get (reputation, "m-1", &record);
    CU_ASSERT_EQUAL (record.resolved, 9);
    CU_ASSERT_EQUAL (record.score, 1.0);
    hub_reputation_count (reputation, "m-1", HUB_REPUTATION_MISMATCH);
    hub_reputation_get (reputation, "m-1", &record);
    CU_ASSERT_EQUAL (record.mismatches, 1);
    CU_ASSERT_DOUBLE_EQUAL (record.score, 10.0 / 15.0, 1e-9);
    //  A lost verdict weighs twenty
    hub_reputation_count (reputation, "m-2", HUB_REPUTATION_VERDICT_LOST);
    hub_reputation_get (reputation, "m-2", &record);
    CU_ASSERT_DOUBLE_EQUAL (record.score, 1.0 / 21.0, 1e-9);
    //  No id, nothing counted
    CU_ASSERT_EQUAL (hub_reputation_count (reputation, "", HUB_REPUTATION_MISMATCH), 0);
    //  Kept across a restart
    hub_reputation_destroy (&reputation);
    hub_store_destroy (&store);
    store = hub_store_new (dir);
    reputation = hub_reputation_new (store);
    hub_reputation_get (reputation, "m-1", &record);
    CU_ASSERT_EQUAL (record.resolved, 9);
    CU_ASSERT_EQUAL (record.mismatches, 1);
    hub_reputation_destroy (&reputation);
    CU_ASSERT_PTR_NULL (reputation);
    hub_store_destroy (&store);
    ts_tmpdir_remove (&dir);
}

static void
test_cases (void)
{
    char *dir = ts_tmpdir_new ("cases");
    hub_store_t *store = hub_store_new (dir);
    hub_cases_t *cases = hub_cases_new (store);
    CU_ASSERT_PTR_NOT_NULL_FATAL (cases);
    hub_case_t found;
    CU_ASSERT_EQUAL (hub_cases_load (cases, "t-1", &found), -1);
    CU_ASSERT_EQUAL (hub_cases_open (cases, "t-1", "challenge", "KEY", 100), 0);
    //  One case a task
    CU_ASSERT_EQUAL (hub_cases_open (cases, "t-1", "spot", "", 0), -1);
    CU_ASSERT_EQUAL (hub_cases_load (cases, "t-1", &found), 0);
    CU_ASSERT_STRING_EQUAL (found.kind, "challenge");
    CU_ASSERT_STRING_EQUAL (found.challenger, "KEY");
    CU_ASSERT_EQUAL (found.deposit, 100);
    CU_ASSERT_STRING_EQUAL (found.verdict, "");
    hub_case_reset (&found);
    CU_ASSERT_PTR_NULL (found.verdict);
    CU_ASSERT_EQUAL (hub_cases_close (cases, "t-1", "{\"verdict\": 1}"), 0);
    CU_ASSERT_EQUAL (hub_cases_load (cases, "t-1", &found), 0);
    CU_ASSERT_STRING_EQUAL (found.verdict, "{\"verdict\": 1}");
    hub_case_reset (&found);
    hub_cases_destroy (&cases);
    hub_store_destroy (&store);
    ts_tmpdir_remove (&dir);
}

static hub_miner_t *
s_hello (hub_miners_t *miners, const char *id, const char *region)
{
    Fogrid__Label label = FOGRID__LABEL__INIT;
    label.key = "region";
    label.value = (char *) region;
    Fogrid__Label *labels [] = { &label };
    Fogrid__Resources res = FOGRID__RESOURCES__INIT;
    res.cores = 1;
    res.n_labels = region? 1: 0;
    res.labels = labels;
    Fogrid__MinerHello hello = FOGRID__MINER_HELLO__INIT;
    hello.miner_id = (char *) id;
    hello.resources = &res;
    zframe_t *routing = zframe_new (id, strlen (id));
    hub_miner_t *miner = hub_miners_hello (miners, &hello, routing, fg_now_ms ());
    zframe_destroy (&routing);
    return miner;
}

static void
test_owners (void)
{
    char *dir = ts_tmpdir_new ("owners");
    hub_store_t *store = hub_store_new (dir);
    hub_miners_t *miners = hub_miners_new ();
    s_hello (miners, "m-a", "eu");
    s_hello (miners, "m-b", "eu");
    s_hello (miners, "m-c", "us");
    s_hello (miners, "m-d", NULL);
    //  m-a and m-e are one key's
    hub_store_meta_set (store, "miner_key/m-a", "KEY-1");
    hub_store_meta_set (store, "miner_key/m-e", "KEY-1");
    hub_store_meta_set (store, "miner_key/m-b", "KEY-2");
    zlist_t *involved = zlist_new ();
    zlist_append (involved, "m-a");

    hub_owners_t *owners = hub_owners_new (store, miners, "");
    CU_ASSERT_TRUE (hub_owners_shared (owners, involved, "m-a"));
    CU_ASSERT_TRUE (hub_owners_shared (owners, involved, "m-e"));       //  same key
    CU_ASSERT_FALSE (hub_owners_shared (owners, involved, "m-b"));
    CU_ASSERT_FALSE (hub_owners_shared (owners, involved, "m-c"));      //  no key: its id
    hub_owners_destroy (&owners);

    owners = hub_owners_new (store, miners, "region");
    CU_ASSERT_TRUE (hub_owners_shared (owners, involved, "m-b"));       //  both in eu
    CU_ASSERT_FALSE (hub_owners_shared (owners, involved, "m-c"));
    CU_ASSERT_FALSE (hub_owners_shared (owners, involved, "m-d"));      //  no region
    zlist_append (involved, "m-c");
    CU_ASSERT_FALSE (hub_owners_shared (owners, involved, "m-d"));
    CU_ASSERT_TRUE (hub_owners_shared (owners, involved, "m-c"));
    hub_owners_destroy (&owners);
    CU_ASSERT_PTR_NULL (owners);

    zlist_destroy (&involved);
    hub_miners_destroy (&miners);
    hub_store_destroy (&store);
    ts_tmpdir_remove (&dir);
}

void
test_hub_reputation_add (void)
{
    ts_add_suite ("hub_reputation",
        "miners' records and their score, kept", test_scores,
        "the court's cases: one a task, and its verdict", test_cases,
        "owners: keys, ids on plain text, a shared label", test_owners,
        NULL);
}
