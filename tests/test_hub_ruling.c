/*  =========================================================================
    test_hub_ruling - the court's verdict table: the checks' majority, and
    who is wrong, paid and left the rest for each decision
    =========================================================================  */
#include "test_support.h"
#include "hub_ruling.h"

//  A finished run (or task) of role on miner, with hash (owned by runs)
static hub_task_t *
s_run (zlistx_t *owned, const char *id, hub_task_role_t role, const char *miner,
       const char *hash)
{
    Fogrid__TaskSpec *spec = (Fogrid__TaskSpec *) zmalloc (sizeof (Fogrid__TaskSpec));
    fogrid__task_spec__init (spec);
    hub_task_t *task = hub_task_new (id, &spec);
    hub_task_set_text (&task->buyer, "bk");
    task->state = HUB_TASK_SUCCEEDED;
    task->role = role;
    task->resolution = HUB_RESOLUTION_PENDING;
    snprintf (task->miner_id, sizeof task->miner_id, "%s", miner);
    snprintf (task->output_hash, sizeof task->output_hash, "%s", hash);
    zlistx_add_end (owned, task);
    return task;
}

static zlistx_t *
s_owned (void)
{
    zlistx_t *owned = zlistx_new ();
    zlistx_set_destructor (owned, (zlistx_destructor_fn *) hub_task_destroy);
    return owned;
}

static void
test_majority (void)
{
    zlistx_t *owned = s_owned ();
    hub_task_t *runs [4] = {
        s_run (owned, "t-1-v1", HUB_ROLE_CHECK, "m1", "aa"),
        s_run (owned, "t-1-r1", HUB_ROLE_REPLICA, "m9", "bb"),
        s_run (owned, "t-1-v2", HUB_ROLE_CHECK, "m2", "bb"),
        s_run (owned, "t-1-v3", HUB_ROLE_CHECK, "m3", "bb")
    };
    hub_task_t *witness = NULL;
    //  Two of three checks: bb (the replica's vote does not count)
    const char *agreed = hub_ruling_majority (runs, 4, 3, &witness);
    CU_ASSERT_STRING_EQUAL (agreed, "bb");
    CU_ASSERT_PTR_EQUAL (witness, runs [2]);
    //  Two of four is no majority
    hub_task_t *more = s_run (owned, "t-1-v4", HUB_ROLE_CHECK, "m4", "aa");
    hub_task_t *five [5] = { runs [0], runs [1], runs [2], runs [3], more };
    CU_ASSERT_PTR_NULL (hub_ruling_majority (five, 5, 4, &witness));
    CU_ASSERT_PTR_NULL (witness);
    //  One check alone is not enough, whatever it says
    CU_ASSERT_PTR_NULL (hub_ruling_majority (runs, 1, 1, &witness));
    zlistx_destroy (&owned);
}

static void
test_upheld (void)
{
    zlistx_t *owned = s_owned ();
    hub_task_t *task = s_run (owned, "t-1", HUB_ROLE_TASK, "m0", "aa");
    hub_task_t *runs [3] = {
        s_run (owned, "t-1-v1", HUB_ROLE_CHECK, "m1", "aa"),
        s_run (owned, "t-1-v2", HUB_ROLE_CHECK, "m2", "aa"),
        s_run (owned, "t-1-s1", HUB_ROLE_SPOT, "m3", "cc")
    };
    hub_ruling_t ruling;
    hub_ruling_make (&ruling, task, runs, 3, "aa", "", "ck", 100);
    CU_ASSERT_STRING_EQUAL (ruling.verdict.kind, "challenge");
    CU_ASSERT_STRING_EQUAL (ruling.verdict.challenger, "buyer:ck");
    CU_ASSERT_STRING_EQUAL (ruling.verdict.decision, "upheld");
    CU_ASSERT_EQUAL (ruling.verdict.deposit, 100);
    CU_ASSERT (ruling.upheld && !ruling.overturned && !ruling.replicated);
    //  The result first, then each finished run, in order
    CU_ASSERT_EQUAL (ruling.verdict.n_runs, 4);
    CU_ASSERT_STRING_EQUAL (ruling.verdict.runs [0].role, "result");
    CU_ASSERT_STRING_EQUAL (ruling.verdict.runs [3].role, "spot");
    //  The spot run that differed was wrong; the checks are paid; the
    //  rest goes to the task's miner
    CU_ASSERT_EQUAL (ruling.n_wrong, 1);
    CU_ASSERT_STRING_EQUAL (ruling.wrong [0], "m3");
    CU_ASSERT_EQUAL (ruling.n_payees, 2);
    CU_ASSERT_STRING_EQUAL (ruling.payees [1], "m2");
    CU_ASSERT_STRING_EQUAL (ruling.payee_runs [1], "t-1-v2");
    CU_ASSERT_STRING_EQUAL (ruling.beneficiary, "miner:m0");
    zlistx_destroy (&owned);
}

static void
test_overturned (void)
{
    zlistx_t *owned = s_owned ();
    //  A challenge: the task's miner was wrong, the challenger takes the rest
    hub_task_t *task = s_run (owned, "t-1", HUB_ROLE_TASK, "m0", "aa");
    hub_task_t *runs [2] = {
        s_run (owned, "t-1-v1", HUB_ROLE_CHECK, "m1", "bb"),
        s_run (owned, "t-1-v2", HUB_ROLE_CHECK, "m2", "bb")
    };
    hub_ruling_t ruling;
    hub_ruling_make (&ruling, task, runs, 2, "bb", "challenge", "ck", 100);
    CU_ASSERT_STRING_EQUAL (ruling.verdict.decision, "overturned");
    CU_ASSERT_STRING_EQUAL (ruling.verdict.verdict_hash, "bb");
    CU_ASSERT_STRING_EQUAL (ruling.verdict.result_hash, "aa");
    CU_ASSERT_EQUAL (ruling.n_wrong, 1);
    CU_ASSERT_STRING_EQUAL (ruling.wrong [0], "m0");
    CU_ASSERT_EQUAL (ruling.n_payees, 2);
    CU_ASSERT_STRING_EQUAL (ruling.beneficiary, "buyer:ck");

    //  A spot check on replicas: the replicas that agreed with the task
    //  were wrong, its buyer takes the rest, and no result entry is listed
    hub_task_t *replicated [4] = {
        s_run (owned, "t-2-r1", HUB_ROLE_REPLICA, "m3", "aa"),
        s_run (owned, "t-2-r2", HUB_ROLE_REPLICA, "m4", "aa"),
        s_run (owned, "t-2-v1", HUB_ROLE_CHECK, "m1", "bb"),
        s_run (owned, "t-2-v2", HUB_ROLE_CHECK, "m2", "bb")
    };
    hub_ruling_make (&ruling, task, replicated, 4, "bb", "spot", "", 0);
    CU_ASSERT (ruling.replicated && ruling.overturned);
    CU_ASSERT_STRING_EQUAL (ruling.verdict.challenger, "");
    CU_ASSERT_EQUAL (ruling.verdict.n_runs, 4);
    CU_ASSERT_STRING_EQUAL (ruling.verdict.runs [0].role, "replica");
    CU_ASSERT_EQUAL (ruling.n_wrong, 2);
    CU_ASSERT_STRING_EQUAL (ruling.wrong [1], "m4");
    CU_ASSERT_STRING_EQUAL (ruling.beneficiary, "buyer:bk");
    zlistx_destroy (&owned);
}

static void
test_undecided (void)
{
    zlistx_t *owned = s_owned ();
    hub_task_t *task = s_run (owned, "t-1", HUB_ROLE_TASK, "m0", "aa");
    hub_task_t *runs [2] = {
        s_run (owned, "t-1-v1", HUB_ROLE_CHECK, "m1", "bb"),
        s_run (owned, "t-1-v2", HUB_ROLE_CHECK, "m2", "cc")
    };
    runs [1]->state = HUB_TASK_RUNNING;      //  unfinished: not listed
    hub_ruling_t ruling;
    hub_ruling_make (&ruling, task, runs, 2, NULL, "challenge", "ck", 100);
    CU_ASSERT_STRING_EQUAL (ruling.verdict.decision, "undecided");
    CU_ASSERT_STRING_EQUAL (ruling.verdict.verdict_hash, "");
    CU_ASSERT (!ruling.upheld && !ruling.overturned);
    CU_ASSERT_EQUAL (ruling.verdict.n_runs, 2);
    //  No one is wrong or paid; the deposit goes back to the challenger
    CU_ASSERT_EQUAL (ruling.n_wrong, 0);
    CU_ASSERT_EQUAL (ruling.n_payees, 0);
    CU_ASSERT_STRING_EQUAL (ruling.beneficiary, "buyer:ck");
    zlistx_destroy (&owned);
}

void
test_hub_ruling_add (void)
{
    ts_add_suite ("hub_ruling",
        "the checks' majority: two at least, more than half", test_majority,
        "upheld: differing runs wrong, checks paid, the rest to the task's miner", test_upheld,
        "overturned: the result's miners wrong, the rest to the challenger or buyer",
        test_overturned,
        "undecided: no one wrong or paid", test_undecided,
        NULL);
}
