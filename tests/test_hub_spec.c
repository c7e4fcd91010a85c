/*  =========================================================================
    test_hub_spec - what a buyer may submit: each bound of a TaskSpec, just
    within and just past it, and the reason a refusal gives
    =========================================================================  */
#include "test_support.h"
#include "hub_spec.h"

//  A spec that runs argv [0] = "true"; the caller changes it
typedef struct {
    Fogrid__TaskSpec spec;
    char *argv [300];
    char *env [300];
    char *outputs [40];
    Fogrid__Label label;
    Fogrid__Label *labels [70];
} s_spec_t;

static Fogrid__TaskSpec *
s_spec (s_spec_t *holder)
{
    memset (holder, 0, sizeof *holder);
    fogrid__task_spec__init (&holder->spec);
    holder->argv [0] = "true";
    holder->spec.argv = holder->argv;
    holder->spec.n_argv = 1;
    holder->spec.env = holder->env;
    holder->spec.outputs = holder->outputs;
    fogrid__label__init (&holder->label);
    holder->label.key = "zone";
    holder->label.value = "eu";
    holder->spec.labels = holder->labels;
    return &holder->spec;
}

//  0 when accepted; on a refusal, checks that why holds says
static int
s_check (const Fogrid__TaskSpec *spec, const char *says)
{
    char why [256] = "";
    int rc = hub_spec_check (spec, why, sizeof why);
    if (rc && says && !strstr (why, says)) {
        fprintf (stderr, "refusal '%s' does not say '%s'\n", why, says);
        CU_FAIL ("the refusal does not say why");
    }
    if (rc == 0)
        CU_ASSERT_STRING_EQUAL (why, "");
    return rc;
}

static void
test_command (void)
{
    s_spec_t holder;
    Fogrid__TaskSpec *spec = s_spec (&holder);
    CU_ASSERT_EQUAL (s_check (NULL, "without a spec"), -1);
    CU_ASSERT_EQUAL (s_check (spec, NULL), 0);
    spec->n_argv = 0;
    CU_ASSERT_EQUAL (s_check (spec, "argv is empty"), -1);
    spec->n_argv = 1;
    holder.argv [0] = "";
    CU_ASSERT_EQUAL (s_check (spec, "argv is empty"), -1);
    holder.argv [0] = "true";
    for (int index = 1; index < 257; index++)
        holder.argv [index] = "x";
    spec->n_argv = 256;
    CU_ASSERT_EQUAL (s_check (spec, NULL), 0);
    spec->n_argv = 257;
    CU_ASSERT_EQUAL (s_check (spec, "limit 256"), -1);
    spec->n_argv = 2;
    char *big = (char *) zmalloc (4098);
    memset (big, 'a', 4097);
    holder.argv [1] = big;
    CU_ASSERT_EQUAL (s_check (spec, "argument 2 is over 4096 bytes"), -1);
    big [4096] = 0;
    CU_ASSERT_EQUAL (s_check (spec, NULL), 0);
    //  (that every string is UTF-8 the submit checks first: hub_buyer_api)
    holder.argv [1] = "x";
    free (big);

    //  env: KEY=VALUE
    holder.env [0] = "A=1";
    spec->n_env = 1;
    CU_ASSERT_EQUAL (s_check (spec, NULL), 0);
    holder.env [0] = "=1";
    CU_ASSERT_EQUAL (s_check (spec, "env entry 1"), -1);
    holder.env [0] = "A";
    CU_ASSERT_EQUAL (s_check (spec, "env entry 1"), -1);
    spec->n_env = 0;

    //  runtime and image
    spec->runtime = "vm";
    CU_ASSERT_EQUAL (s_check (spec, "unknown runtime"), -1);
    spec->runtime = "docker";
    CU_ASSERT_EQUAL (s_check (spec, "needs an image"), -1);
    spec->image = "alpine";
    CU_ASSERT_EQUAL (s_check (spec, NULL), 0);
    spec->runtime = "null";
    CU_ASSERT_EQUAL (s_check (spec, NULL), 0);
}

static void
test_placement (void)
{
    s_spec_t holder;
    Fogrid__TaskSpec *spec = s_spec (&holder);
    holder.labels [0] = &holder.label;
    spec->n_labels = 1;
    CU_ASSERT_EQUAL (s_check (spec, NULL), 0);
    holder.label.key = "";
    CU_ASSERT_EQUAL (s_check (spec, "label 0"), -1);
    holder.label.key = "zone";
    for (int index = 0; index < 65; index++)
        holder.labels [index] = &holder.label;
    spec->n_labels = 65;
    CU_ASSERT_EQUAL (s_check (spec, "65 labels (limit 64)"), -1);
    spec->n_labels = 0;

    spec->constraint = "cores >= 2 && zone == \"eu\"";
    CU_ASSERT_EQUAL (s_check (spec, NULL), 0);
    spec->constraint = "cores >=";
    CU_ASSERT_EQUAL (s_check (spec, "constraint:"), -1);
    spec->constraint = "";
    spec->policy = "cheapest";
    CU_ASSERT_EQUAL (s_check (spec, NULL), 0);
    spec->policy = "luckiest";
    CU_ASSERT_EQUAL (s_check (spec, "unknown policy"), -1);
    spec->policy = "";
    spec->retries = 100;
    CU_ASSERT_EQUAL (s_check (spec, NULL), 0);
    spec->retries = 101;
    CU_ASSERT_EQUAL (s_check (spec, "retries 101"), -1);
}

static void
test_outputs (void)
{
    s_spec_t holder;
    Fogrid__TaskSpec *spec = s_spec (&holder);
    holder.outputs [0] = "out/result.txt";
    spec->n_outputs = 1;
    CU_ASSERT_EQUAL (s_check (spec, NULL), 0);
    holder.outputs [0] = "../etc/passwd";
    CU_ASSERT_EQUAL (s_check (spec, "output 1"), -1);
    //  A process's outputs are relative to its work directory; a container's may not be
    holder.outputs [0] = "/data/out";
    CU_ASSERT_EQUAL (s_check (spec, "relative"), -1);
    spec->image = "alpine";
    CU_ASSERT_EQUAL (s_check (spec, NULL), 0);
    for (int index = 0; index < 33; index++)
        holder.outputs [index] = "out";
    spec->n_outputs = 33;
    CU_ASSERT_EQUAL (s_check (spec, "33 outputs (limit 32)"), -1);
}

static void
test_service (void)
{
    s_spec_t holder;
    Fogrid__TaskSpec *spec = s_spec (&holder);
    spec->n_argv = 0;               //  a service may run its image's command
    spec->service_name = "echo";
    spec->image = "fogrid-echo";
    spec->service_port = 8080;
    CU_ASSERT_EQUAL (s_check (spec, NULL), 0);
    spec->health = "http:/healthz";
    CU_ASSERT_EQUAL (s_check (spec, NULL), 0);
    spec->health = "udp";
    CU_ASSERT_EQUAL (s_check (spec, "health check"), -1);
    spec->health = "tcp";
    spec->service_port = 70000;
    CU_ASSERT_EQUAL (s_check (spec, "service port 70000"), -1);
    spec->service_port = 8080;
    spec->service_name = "hub-2";
    CU_ASSERT_EQUAL (s_check (spec, "reserved"), -1);
    spec->service_name = "Echo";
    CU_ASSERT_EQUAL (s_check (spec, "service name"), -1);
    spec->service_name = "echo";
    spec->image = "";
    spec->n_argv = 1;
    CU_ASSERT_EQUAL (s_check (spec, "needs an image"), -1);
    spec->image = "fogrid-echo";
    holder.outputs [0] = "out";
    spec->n_outputs = 1;
    CU_ASSERT_EQUAL (s_check (spec, "leaves no output files"), -1);
    spec->n_outputs = 0;
    //  A port without a name is a service too, and needs one
    spec->service_name = "";
    CU_ASSERT_EQUAL (s_check (spec, "service name"), -1);
}

void
test_hub_spec_add (void)
{
    ts_add_suite ("hub_spec",
        "the command: argv, env, runtime, image", test_command,
        "labels, constraint, policy, retries", test_placement,
        "outputs stay in the task's directory", test_outputs,
        "a service's name, image, port and health check", test_service,
        NULL);
}
