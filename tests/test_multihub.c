/*  =========================================================================
    test_multihub - one miner serving two hubs at once, with real processes
    on loopback and security on, as in test_spine

    A locator, two hubs (A and B) that register in it, and a miner of 4
    cores with miner/hub_count 2 that finds both through the locator:
    each hub sees 2 cores; a task submitted to each runs at the same time
    as the other, and each ends once, its result at the hub it was
    submitted to; a task of 3 cores is placed by neither. Then a miner
    that names both hubs (each with its own key) and shares 3:1: the hubs
    see 3 cores and 1; hub A is killed while B's task runs, and B's task
    runs on to its end, as does the next one B gives.
    =========================================================================  */
#include "test_support.h"
#include <signal.h>

typedef struct {
    ts_proc_t *proc;
    char data [600];            //  its data dir
    char keys [700];            //  its key pair file (made here)
    char keys_opt [720];        //  "security/keys=..."
    int buyer_port;
    int miner_port;
    char buyers [64];           //  "tcp://127.0.0.1:N"
    char miners [64];
} s_hub_t;

static struct {
    char *dir;                  //  temp dir: logs, data
    char locator [64];          //  "tcp://127.0.0.1:N"
    char locator_keys [600];    //  the locator's key pair
    char buyer_keys [600];      //  the CLI's
    char locator_key_opt [700]; //  "security/locator_key=..."
    ts_proc_t *locator_proc;
    s_hub_t hubs [2];
    ts_proc_t *miner;
    char miner_id [32];         //  of the miner running now
    char miner_http [64];       //  its HTTP address
} grid;

static ts_proc_t *
s_start_hub (int index)
{
    s_hub_t *hub = &grid.hubs [index];
    char name [16], id [32];
    snprintf (name, sizeof name, "hub%c", 'A' + index);
    snprintf (id, sizeof id, "hub/id=h-multi%c", 'a' + index);
    return hub->proc = ts_proc_start (grid.dir, name, "fogrid-hub", "--buyers", hub->buyers,
                                      "--miners", hub->miners, "--locator", grid.locator,
                                      "--data", hub->data, "-o", id, "-o", hub->keys_opt,
                                      "-o", "hub/heartbeat_ms=200", "-o", "hub/disconnect_ms=1500",
                                      "-o", "hub/dead_ms=4000", "-o", "locator/ttl_ms=2000",
                                      "-o", grid.locator_key_opt, NULL);
}

//  A miner of 4 cores serving two hubs at once, with up to three more
//  settings (NULL for none).
static ts_proc_t *
s_start_miner (const char *id, const char *option1, const char *option2, const char *option3)
{
    char data [600], id_opt [64], http_opt [96];
    snprintf (data, sizeof data, "%s/%s", grid.dir, id);
    snprintf (id_opt, sizeof id_opt, "miner/id=%s", id);
    snprintf (grid.miner_id, sizeof grid.miner_id, "%s", id);
    snprintf (grid.miner_http, sizeof grid.miner_http, "127.0.0.1:%d", ts_free_port ());
    snprintf (http_opt, sizeof http_opt, "miner/http=%s", grid.miner_http);
    //  The list ends at the first option that is NULL
    return grid.miner = ts_proc_start (grid.dir, id, "fogrid-miner", "--locator", grid.locator,
                                       "--name", id, "--data", data, "--cores", "4",
                                       "-o", id_opt, "-o", http_opt, "-o", grid.locator_key_opt,
                                       "-o", "miner/hub_count=2",
                                       option1? "-o": NULL, option1, option2? "-o": NULL, option2,
                                       option3? "-o": NULL, option3, NULL);
}

//  The fogrid CLI talking to hub index; returns its exit status.
static int
s_fogrid (int index, char **output, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *command = zsys_vprintf (format, args);
    va_end (args);
    int rc = ts_run (output, "%s -l %s -K %s -k %s -H %s --hub-key %s %s", ts_bin ("fogrid"),
                     grid.locator, grid.locator_keys, grid.buyer_keys,
                     grid.hubs [index].buyers, grid.hubs [index].keys, command);
    zstr_free (&command);
    return rc;
}

//  The cores hub index sees of miner id while it is connected there,
//  else -1.
static int
s_cores_of (int index, const char *miner_id)
{
    char *output = NULL;
    int cores = -1;
    if (s_fogrid (index, &output, "miners") == 0) {
        //  MINER NAME STATE CORES ...
        for (char *line = strtok (output, "\n"); line; line = strtok (NULL, "\n")) {
            char id [64], name [64], state [32];
            unsigned value;
            if (sscanf (line, "%63s %63s %31s %u", id, name, state, &value) == 4
            &&  streq (id, miner_id) && streq (state, "connected"))
                cores = (int) value;
        }
    }
    free (output);
    return cores;
}

//  ... of the miner running now
static int
s_cores_seen (int index)
{
    return s_cores_of (index, grid.miner_id);
}

//  True when neither hub has miner id (arg) connected.
static bool
s_gone_from_both (void *arg)
{
    const char *miner_id = (const char *) arg;
    return s_cores_of (0, miner_id) == -1 && s_cores_of (1, miner_id) == -1;
}

typedef struct {
    int cores [2];              //  what each hub should see
} s_seen_t;

static bool
s_hubs_see (void *arg)
{
    s_seen_t *seen = (s_seen_t *) arg;
    return s_cores_seen (0) == seen->cores [0] && s_cores_seen (1) == seen->cores [1];
}

//  Submits to hub index; returns the task id (caller frees) or NULL.
static char *
s_submit (int index, const char *args)
{
    char *output = NULL;
    int rc = s_fogrid (index, &output, "submit %s", args);
    CU_ASSERT_EQUAL (rc, 0);
    return ts_task_id (rc, output, args);
}

//  The state hub index gives task, "" when it does not know it.
static void
s_task_state (int index, const char *task, char *state, size_t size)
{
    char *output = NULL;
    *state = 0;
    if (s_fogrid (index, &output, "status %s", task) == 0) {
        char *line = strstr (output, "state     ");
        if (line)
            snprintf (state, size, "%.*s", (int) strcspn (line + 10, "\n"), line + 10);
    }
    free (output);
}

typedef struct {
    int hub;
    const char *task;
    const char *state;
} s_state_wait_t;

static bool
s_task_is (void *arg)
{
    s_state_wait_t *wait = (s_state_wait_t *) arg;
    char state [32];
    s_task_state (wait->hub, wait->task, state, sizeof state);
    return streq (state, wait->state);
}

//  How many times the miner's log says the task ended.
static int
s_ends_logged (const char *task)
{
    char *output = NULL;
    ts_run (&output, "grep -c 'task %s attempt [0-9]* ended' %s", task, grid.miner->log);
    int count = output? atoi (output): -1;
    free (output);
    return count;
}

//  A task has ended once, succeeded, at hub index only (the other hub
//  has never heard of it), with this stdout.
static void
s_check_once (int index, const char *task, const char *stdout_text)
{
    char *output = NULL;
    CU_ASSERT_EQUAL (s_fogrid (index, &output, "wait %s", task), 0);
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (index, &output, "status %s", task), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "state     succeeded"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "attempt   1\n"));
    if (!strstr (output, "attempt   1\n")) {
        fprintf (stderr, "status %s said:\n%s", task, output);
        ts_proc_dump_log (grid.hubs [index].proc);
        ts_proc_dump_log (grid.miner);
    }
    //  one success in its history
    char *first = strstr (output, "  succeeded  miner");
    CU_ASSERT (first && !strstr (first + 1, "  succeeded  miner"));
    if (!first || strstr (first + 1, "  succeeded  miner"))
        fprintf (stderr, "status %s said:\n%s", task, output);
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (index, &output, "result --stdout %s", task), 0);
    if (stdout_text)
        CU_ASSERT_STRING_EQUAL (output, stdout_text);
    free (output);
    if (grid.hubs [1 - index].proc) {
        CU_ASSERT_NOT_EQUAL (s_fogrid (1 - index, &output, "status %s", task), 0);
        CU_ASSERT_PTR_NOT_NULL (strstr (output, "not found"));
        if (!strstr (output, "not found"))
            fprintf (stderr, "the other hub said of %s:\n%s", task, output);
        free (output);
    }
    CU_ASSERT_EQUAL (s_ends_logged (task), 1);
}

static int
s_grid_up (void)
{
    grid.dir = ts_tmpdir_new ("multihub");
    int locator_port = ts_free_port ();
    snprintf (grid.locator, sizeof grid.locator, "tcp://127.0.0.1:%d", locator_port);
    snprintf (grid.locator_keys, sizeof grid.locator_keys, "%s/locator.key", grid.dir);
    snprintf (grid.buyer_keys, sizeof grid.buyer_keys, "%s/buyer.key", grid.dir);
    snprintf (grid.locator_key_opt, sizeof grid.locator_key_opt, "security/locator_key=%s",
              grid.locator_keys);
    char locator_keys_opt [700];
    snprintf (locator_keys_opt, sizeof locator_keys_opt, "security/keys=%s", grid.locator_keys);
    if (ts_run (NULL, "%s keygen %s", ts_bin ("fogrid"), grid.locator_keys) != 0)
        return -1;
    grid.locator_proc = ts_proc_start (grid.dir, "locator", "fogrid-locator",
                                       "--bind", grid.locator, "--dns", "", "--http", "",
                                       "-o", "locator/ttl_ms=2000", "-o", locator_keys_opt, NULL);
    for (int index = 0; index < 2; index++) {
        s_hub_t *hub = &grid.hubs [index];
        hub->buyer_port = ts_free_port ();
        hub->miner_port = ts_free_port ();
        snprintf (hub->buyers, sizeof hub->buyers, "tcp://127.0.0.1:%d", hub->buyer_port);
        snprintf (hub->miners, sizeof hub->miners, "tcp://127.0.0.1:%d", hub->miner_port);
        snprintf (hub->data, sizeof hub->data, "%s/hub%c", grid.dir, 'A' + index);
        snprintf (hub->keys, sizeof hub->keys, "%s/hub%c.key", grid.dir, 'A' + index);
        snprintf (hub->keys_opt, sizeof hub->keys_opt, "security/keys=%s/hub%c.key", grid.dir,
                  'A' + index);
        if (ts_run (NULL, "%s keygen %s", ts_bin ("fogrid"), hub->keys) != 0)
            return -1;
        s_start_hub (index);
    }
    return grid.locator_proc && grid.hubs [0].proc && grid.hubs [1].proc? 0: -1;
}

static int
s_grid_down (void)
{
    //  Every daemon stops on SIGTERM by itself, with status 0
    int rc = 0;
    if (grid.miner && ts_proc_stop (&grid.miner, 3000) != 0)
        rc = -1;
    for (int index = 0; index < 2; index++)
        if (grid.hubs [index].proc && ts_proc_stop (&grid.hubs [index].proc, 3000) != 0)
            rc = -1;
    if (ts_proc_stop (&grid.locator_proc, 3000) != 0)
        rc = -1;
    ts_tmpdir_remove (&grid.dir);
    return rc;
}

static void
s_dump_logs (void)
{
    ts_proc_dump_log (grid.hubs [0].proc);
    ts_proc_dump_log (grid.hubs [1].proc);
    ts_proc_dump_log (grid.miner);
}

//  --------------------------------------------------------------------------
//  Tests

static void
test_equal_shares (void)
{
    s_start_miner ("m-multi", NULL, NULL, NULL);
    s_seen_t seen = { { 2, 2 } };
    bool up = ts_wait_for (s_hubs_see, &seen, 15000);
    if (!up)
        s_dump_logs ();
    CU_ASSERT_FATAL (up);

    //  Its HTTP status lists both links, ready, each with half the cores
    char *output = NULL;
    CU_ASSERT_EQUAL (ts_run (&output, "curl -sf http://%s/api/v1/status", grid.miner_http), 0);
    json_t *status = output? json_loads (output, 0, NULL): NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL (status);
    json_t *links = json_object_get (status, "links");
    CU_ASSERT_EQUAL_FATAL (json_array_size (links), 2);
    const char *hubs [2];
    for (size_t index = 0; index < 2; index++) {
        json_t *link = json_array_get (links, index);
        CU_ASSERT_STRING_EQUAL (json_string_value (json_object_get (link, "state")), "ready");
        CU_ASSERT_EQUAL (json_integer_value (json_object_get (json_object_get (link, "share"),
                                                              "cores")), 2);
        hubs [index] = json_string_value (json_object_get (link, "hub"));
    }
    //  ... two hubs, not one twice
    CU_ASSERT (hubs [0] && hubs [1] && !streq (hubs [0], hubs [1]));
    json_decref (status);
    free (output);
}

static void
test_tasks_at_both (void)
{
    //  Each fills its hub's share; they run at the same time
    const char *script = "-- sh -c 'echo start $(date +%s%N); sleep 2; echo end $(date +%s%N)'";
    char *tasks [2];
    for (int index = 0; index < 2; index++) {
        char args [200];
        snprintf (args, sizeof args, "--cores 2 %s", script);
        tasks [index] = s_submit (index, args);
        CU_ASSERT_PTR_NOT_NULL_FATAL (tasks [index]);
    }
    uint64_t start [2] = { 0, 0 }, end [2] = { 0, 0 };
    for (int index = 0; index < 2; index++) {
        s_check_once (index, tasks [index], NULL);
        char *output = NULL;
        CU_ASSERT_EQUAL (s_fogrid (index, &output, "result --stdout %s", tasks [index]), 0);
        char *at = output? strstr (output, "start "): NULL;
        CU_ASSERT (at && sscanf (at, "start %" SCNu64 "\nend %" SCNu64, &start [index],
                                 &end [index]) == 2);
        free (output);
    }
    CU_ASSERT (start [0] && start [1] && start [0] < end [1] && start [1] < end [0]);
    free (tasks [0]);
    free (tasks [1]);
}

static void
test_too_big_for_a_share (void)
{
    //  3 cores: more than either hub's share, so neither places it
    char *tasks [2];
    for (int index = 0; index < 2; index++) {
        tasks [index] = s_submit (index, "--cores 3 -- echo too-big");
        CU_ASSERT_PTR_NOT_NULL_FATAL (tasks [index]);
    }
    //  ... while a task that fits still runs at once
    char *small = s_submit (0, "--cores 2 -- echo fits");
    CU_ASSERT_PTR_NOT_NULL_FATAL (small);
    s_check_once (0, small, "fits\n");
    for (int index = 0; index < 2; index++) {
        char state [32];
        s_task_state (index, tasks [index], state, sizeof state);
        CU_ASSERT_STRING_EQUAL (state, "pending");
        char *output = NULL;
        CU_ASSERT_EQUAL (s_fogrid (index, &output, "cancel %s", tasks [index]), 0);
        free (output);
        CU_ASSERT_EQUAL (s_ends_logged (tasks [index]), 0);
        free (tasks [index]);
    }
    free (small);
}

static void
test_shares_3_1 (void)
{
    CU_ASSERT_EQUAL (ts_proc_stop (&grid.miner, 3000), 0);
    //  Until the hubs hear no more of the miner stopped, they may place a
    //  task on it, which then takes a second attempt
    char old_id [32];
    snprintf (old_id, sizeof old_id, "%s", grid.miner_id);
    CU_ASSERT (ts_wait_for (s_gone_from_both, old_id, 15000));
    //  Both hubs named, each with its own key, in the order of the shares
    char *hubs = zsys_sprintf ("miner/hubs=%s,%s", grid.hubs [0].miners, grid.hubs [1].miners);
    char *keys = zsys_sprintf ("miner/hub_key=%s,%s", grid.hubs [0].keys, grid.hubs [1].keys);
    s_start_miner ("m-multi31", "miner/hub_shares=3,1", hubs, keys);
    zstr_free (&hubs);
    zstr_free (&keys);
    s_seen_t seen = { { 3, 1 } };
    bool up = ts_wait_for (s_hubs_see, &seen, 15000);
    if (!up)
        s_dump_logs ();
    CU_ASSERT_FATAL (up);
}

static void
test_hub_killed (void)
{
    //  B's task runs while A dies
    char *task = s_submit (1, "-- sh -c 'sleep 3; echo survived'");
    CU_ASSERT_PTR_NOT_NULL_FATAL (task);
    s_state_wait_t running = { 1, task, "running" };
    CU_ASSERT_FATAL (ts_wait_for (s_task_is, &running, 5000));
    ts_proc_kill (&grid.hubs [0].proc);
    s_check_once (1, task, "survived\n");
    free (task);
    //  B goes on giving it work; A's link looks for its hub
    task = s_submit (1, "-- echo after");
    CU_ASSERT_PTR_NOT_NULL_FATAL (task);
    char *output = NULL;
    CU_ASSERT_EQUAL (s_fogrid (1, &output, "wait %s", task), 0);
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (1, &output, "result --stdout %s", task), 0);
    CU_ASSERT_STRING_EQUAL (output, "after\n");
    free (output);
    free (task);
    CU_ASSERT_EQUAL (ts_run (&output, "curl -sf http://%s/api/v1/status", grid.miner_http), 0);
    json_t *status = output? json_loads (output, 0, NULL): NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL (status);
    json_t *links = json_object_get (status, "links");
    CU_ASSERT_EQUAL_FATAL (json_array_size (links), 2);
    CU_ASSERT_STRING_NOT_EQUAL (json_string_value (json_object_get (json_array_get (links, 0),
                                                                    "state")), "ready");
    CU_ASSERT_STRING_EQUAL (json_string_value (json_object_get (json_array_get (links, 1),
                                                                "state")), "ready");
    json_decref (status);
    free (output);
}

void
test_multihub_add (void)
{
    CU_pSuite suite = CU_add_suite ("multihub", s_grid_up, s_grid_down);
    CU_add_test (suite, "two hubs found through the locator see 2 cores each", test_equal_shares);
    CU_add_test (suite, "a task at each hub: at once, each once, each at its hub", test_tasks_at_both);
    CU_add_test (suite, "a task bigger than a share is placed by neither hub",
                 test_too_big_for_a_share);
    CU_add_test (suite, "shares 3:1: the hubs see 3 cores and 1", test_shares_3_1);
    CU_add_test (suite, "a hub killed: the other's tasks run on and end", test_hub_killed);
}
