/*  test_hub_sched - matching and ranking on crafted miners */
#include "test_support.h"
#include "hub_sched.h"
#include "fg_expr.h"

//  A miner as the server would describe it
static hub_sched_miner_t
s_miner (const char *id, uint32_t cores, uint32_t free_cores, uint32_t running,
         double load1, const Fogrid__Resources *res)
{
    hub_sched_miner_t miner = { 0 };
    miner.id = id;
    miner.connected = true;
    miner.cores = cores;
    miner.free_cores = free_cores;
    miner.free_mem_mb = 8192;
    miner.running = running;
    miner.load1 = load1;
    miner.resources = res;
    return miner;
}

static void
test_capacity (void)
{
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    hub_sched_miner_t miners [1] = { s_miner ("m-a", 4, 2, 1, 0, NULL) };
    spec.cores = 3;
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 1), -1);
    spec.cores = 2;
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 1), 0);
    //  cores 0 counts as one
    spec.cores = 0;
    miners [0].free_cores = 0;
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 1), -1);
    miners [0].free_cores = 1;
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 1), 0);
    //  Memory counts only when asked for
    spec.mem_mb = 10000;
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 1), -1);
    spec.mem_mb = 4096;
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 1), 0);
    spec.gpus = 1;
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 1), -1);
    miners [0].free_gpus = 1;
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 1), 0);
    //  None at all
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 0), -1);
}

static void
test_policies (void)
{
    Fogrid__Resources cheap = FOGRID__RESOURCES__INIT, dear = FOGRID__RESOURCES__INIT;
    cheap.price = 5;
    dear.price = 50;
    //  m-a: busy and cheap; m-b: idle, dear, big; m-c: idle, dear, small
    hub_sched_miner_t miners [3] = {
        s_miner ("m-a", 4, 2, 2, 1.0, &cheap),
        s_miner ("m-b", 16, 16, 0, 0.5, &dear),
        s_miner ("m-c", 2, 2, 0, 0.2, &dear),
    };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.cores = 1;
    //  fastest (the default): idle first, then the lower host load
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), 2);
    spec.policy = "fastest";
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), 2);
    spec.policy = "cheapest";
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), 0);
    spec.policy = "binpack";        //  m-a and m-c leave 1 core; m-c is less loaded
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), 2);
    spec.cores = 2;                 //  m-a and m-c both end full; m-c still wins on load
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), 2);
    miners [2].free_cores = 1;      //  now only m-a fills up
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), 0);
    spec.policy = "spread";
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), 1);

    //  Load is relative to size: 2 tasks on 16 cores beat 1 on 2
    spec.policy = "";
    spec.cores = 1;
    miners [2].free_cores = 2;
    miners [1].running = 2;
    miners [2].running = 1;
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), 1);
    //  Equal in everything: the id decides
    hub_sched_miner_t twins [2] = {
        s_miner ("m-z", 4, 4, 0, 0, NULL), s_miner ("m-y", 4, 4, 0, 0, NULL)
    };
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, twins, 2), 1);

    hub_policy_t policy;
    CU_ASSERT_EQUAL (hub_sched_policy_parse ("", &policy), 0);
    CU_ASSERT_EQUAL (policy, HUB_POLICY_FASTEST);
    CU_ASSERT_EQUAL (hub_sched_policy_parse ("binpack", &policy), 0);
    CU_ASSERT_EQUAL (policy, HUB_POLICY_BINPACK);
    CU_ASSERT_EQUAL (hub_sched_policy_parse ("quickest", &policy), -1);
    CU_ASSERT_STRING_EQUAL (hub_sched_policy_name (HUB_POLICY_SPREAD), "spread");
}

static void
test_labels_price_runtime (void)
{
    Fogrid__Label gpu = FOGRID__LABEL__INIT, zone = FOGRID__LABEL__INIT;
    gpu.key = "gpu";
    gpu.value = "a100";
    zone.key = "zone";
    zone.value = "eu";
    Fogrid__Label *labels [2] = { &gpu, &zone };
    char *runtimes [2] = { "process", "docker" };
    Fogrid__Resources labelled = FOGRID__RESOURCES__INIT, plain = FOGRID__RESOURCES__INIT;
    labelled.n_labels = 2;
    labelled.labels = labels;
    labelled.price = 100;
    labelled.n_runtimes = 2;
    labelled.runtimes = runtimes;
    plain.price = 10;
    hub_sched_miner_t miners [2] = {
        s_miner ("m-plain", 8, 8, 0, 0, &plain),
        s_miner ("m-labelled", 8, 8, 3, 2.0, &labelled),
    };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 2), 0);

    //  A required label: only the labelled miner, though busier
    Fogrid__Label want = FOGRID__LABEL__INIT;
    want.key = "zone";
    want.value = "eu";
    Fogrid__Label *wants [1] = { &want };
    spec.n_labels = 1;
    spec.labels = wants;
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 2), 1);
    want.value = "";                //  any value of the key
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 2), 1);
    want.value = "us";
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 2), -1);
    spec.n_labels = 0;

    //  Price ceiling
    spec.max_price = 50;
    spec.runtime = "docker";        //  only m-labelled runs docker, at 100
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 2), -1);
    spec.max_price = 100;
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 2), 1);
    spec.runtime = "";              //  "" is process, which a miner naming none offers
    spec.max_price = 10;
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 2), 0);
    spec.max_price = 9;
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 2), -1);
}

//  A task with an image goes only where containers run, whatever its
//  runtime field says; a docker-only miner takes no bare process
static void
test_image_needs_docker (void)
{
    char *process [1] = { "process" };
    char *docker [1] = { "docker" };
    char *both [2] = { "docker", "process" };
    Fogrid__Resources p = FOGRID__RESOURCES__INIT, d = FOGRID__RESOURCES__INIT,
                      b = FOGRID__RESOURCES__INIT;
    p.n_runtimes = 1;
    p.runtimes = process;
    d.n_runtimes = 1;
    d.runtimes = docker;
    b.n_runtimes = 2;
    b.runtimes = both;
    hub_sched_miner_t miners [3] = {
        s_miner ("m-a-process", 8, 8, 0, 0, &p),
        s_miner ("m-b-docker", 8, 8, 1, 0, &d),
        s_miner ("m-c-both", 8, 8, 2, 0, &b),
    };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), 0);
    CU_ASSERT_FALSE (hub_sched_fits (&spec, &miners [1]));
    CU_ASSERT_TRUE (hub_sched_fits (&spec, &miners [2]));

    spec.image = "fogrid/busybox";              //  no runtime named: docker
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), 1);
    CU_ASSERT_FALSE (hub_sched_fits (&spec, &miners [0]));
    CU_ASSERT_TRUE (hub_sched_fits (&spec, &miners [2]));
    spec.runtime = "docker";
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), 1);
    spec.runtime = "process";                   //  an image still needs docker
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), 2);
    miners [2].connected = false;
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), -1);
    miners [1].connected = false;
    spec.runtime = "";
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), -1);
    spec.image = "";
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), 0);
}

static void
test_liveness (void)
{
    hub_sched_miner_t miners [2] = {
        s_miner ("m-idle", 8, 8, 0, 0.0, NULL),
        s_miner ("m-busy", 8, 1, 7, 6.0, NULL),
    };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 2), 0);
    miners [0].connected = false;   //  disconnected or dead: never chosen
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 2), 1);
    CU_ASSERT_FALSE (hub_sched_fits (&spec, &miners [0]));
    miners [1].connected = false;
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 2), -1);
}

static void
test_constraint (void)
{
    Fogrid__Label region = FOGRID__LABEL__INIT, ssd = FOGRID__LABEL__INIT;
    region.key = "region";
    region.value = "eu";
    ssd.key = "ssd";
    ssd.value = "";
    Fogrid__Label *labels [2] = { &region, &ssd };
    char *runtimes [2] = { "process", "docker" };
    Fogrid__Resources eu = FOGRID__RESOURCES__INIT, us = FOGRID__RESOURCES__INIT;
    eu.cores = 8;
    eu.mem_mb = 16384;
    eu.disk_mb = 100000;
    eu.gpus = 2;
    eu.price = 30;
    eu.n_labels = 2;
    eu.labels = labels;
    eu.n_runtimes = 2;
    eu.runtimes = runtimes;
    us.cores = 4;
    us.mem_mb = 2048;
    us.price = 5;
    hub_sched_miner_t miners [3] = {
        s_miner ("m-eu", 8, 6, 1, 0.5, &eu),
        s_miner ("m-us", 4, 4, 0, 0.1, &us),
        s_miner ("m-bare", 2, 2, 0, 0.0, NULL),
    };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.constraint = "";               //  none: the least loaded
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), 2);

    //  Over what each miner offers and has free now
    spec.constraint = "cores >= 4 && mem_mb >= 4096 && label.region == \"eu\"";
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), 0);
    spec.constraint = "!(gpus > 0) || price <= 10";
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), 2);
    CU_ASSERT_FALSE (hub_sched_fits (&spec, &miners [0]));
    CU_ASSERT_TRUE (hub_sched_fits (&spec, &miners [1]));
    spec.constraint = "free_cores > 5 && free_mem_mb >= 8192 && running == 1 && disk_mb > 0";
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), 0);
    spec.constraint = "id in (\"m-us\", \"m-eu\") && free_gpus == 0";
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), 1);
    spec.constraint = "runtime.docker";
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), 0);
    spec.constraint = "runtime.process && !runtime.docker && price == 0";
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), 2);   //  m-bare: no resources
    spec.constraint = "label.ssd == \"\"";
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), 0);

    //  A label or resource the miner did not report is undefined: any
    //  comparison with it is false, its negation true
    spec.constraint = "label.region != \"eu\"";
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), -1);
    spec.constraint = "!(label.region == \"eu\")";
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), 2);
    spec.constraint = "disk_mb < 1000000";          //  m-us reported no disk
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), 0);
    spec.constraint = "label.region == 1";          //  a type mismatch: false
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), -1);

    //  Still only on top of the other requirements
    spec.constraint = "label.region == \"eu\"";
    spec.cores = 7;
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), -1);
    spec.cores = 0;
    miners [0].connected = false;
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), -1);
    miners [0].connected = true;

    //  One that does not parse (the server refuses it at submit) matches
    //  nothing rather than everything
    spec.constraint = "(cores > 2";
    CU_ASSERT_EQUAL (hub_sched_choose (&spec, miners, 3), -1);
    CU_ASSERT_FALSE (hub_sched_fits (&spec, &miners [1]));
}

//  Two-sided: a miner's own terms over the task (miner/accept)
static void
test_miner_accepts (void)
{
    Fogrid__Resources res = FOGRID__RESOURCES__INIT;
    char *runtimes [2] = { "process", "docker" };
    res.runtimes = runtimes;
    res.n_runtimes = 2;
    res.constraint = "cores <= 1 && timeout_s <= 600 && !service && image != \"evil\"";
    hub_sched_miner_t miner = s_miner ("m-picky", 8, 8, 0, 0, &res);
    fg_expr_t *accept = fg_expr_parse (res.constraint, NULL, 0);
    miner.accept = accept;
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.timeout_s = 60;
    CU_ASSERT_TRUE (hub_sched_fits (&spec, &miner));       //  1 core, short, a process
    spec.cores = 2;
    CU_ASSERT_FALSE (hub_sched_fits (&spec, &miner));      //  too many cores for its terms
    spec.cores = 1;
    spec.timeout_s = 3600;
    CU_ASSERT_FALSE (hub_sched_fits (&spec, &miner));
    spec.timeout_s = 60;
    spec.image = "evil";
    CU_ASSERT_FALSE (hub_sched_fits (&spec, &miner));
    spec.image = "good";
    CU_ASSERT_TRUE (hub_sched_fits (&spec, &miner));
    spec.service_name = "echo";
    CU_ASSERT_FALSE (hub_sched_fits (&spec, &miner));
    spec.service_name = "";
    //  Its terms and the task's constraint must both hold
    spec.constraint = "cores >= 16";
    CU_ASSERT_FALSE (hub_sched_fits (&spec, &miner));
    spec.constraint = "";
    //  No terms: it takes anything that fits; terms that do not parse: nothing
    res.constraint = "";
    miner.accept = NULL;
    spec.cores = 4;
    CU_ASSERT_TRUE (hub_sched_fits (&spec, &miner));
    res.constraint = "cores <=";
    CU_ASSERT_FALSE (hub_sched_fits (&spec, &miner));
    fg_expr_destroy (&accept);
}

void
test_hub_sched_add (void)
{
    ts_add_suite ("hub_sched",
        "capacity: cores, memory, GPUs", test_capacity,
        "each policy's choice", test_policies,
        "labels, price ceiling, runtime", test_labels_price_runtime,
        "an image needs a miner that runs docker", test_image_needs_docker,
        "only connected miners", test_liveness,
        "constraint expressions", test_constraint,
        "a miner's own terms (two-sided match)", test_miner_accepts,
        NULL);
}
