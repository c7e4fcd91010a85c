/*  =========================================================================
    test_partition - several hosts on one machine, and cuts between them

    DESIGN
    Four network namespaces stand for four machines on one LAN, 10.77.0.0/24:

        fg-sw    10.77.0.254   the switch (bridge br0) and the buyer's
                               laptop: every `fogrid` command runs here
        fg-core  10.77.0.1     fogrid-locator (:7700) and fogrid-hub
                               (:7701 buyers, :7702 miners)
        fg-m1    10.77.0.11    fogrid-miner m-pt1
        fg-m2    10.77.0.12    fogrid-miner m-pt2

    Each host is joined to br0 by a veth pair (eth0 in the host, a port
    named after it in fg-sw), so nothing is added to the machine's own
    namespace. Daemons are started with `ip netns exec NS program ...`,
    bind the namespace's address, and find each other as on real machines:
    the hub publishes hub/advertise_host in the locator, the miners find
    `hub-miner` there. Security is on.

    A miner is cut off by taking its switch port down (packets vanish, no
    connection is reset, as when a cable is pulled); the hub is cut from
    the locator by dropping their traffic (on fg-core's loopback, where it
    flows) with iptables. Both are put back the same way.

    The namespaces have fixed names, so only one run may hold them: a run
    takes /tmp/fogrid-partition.lock first, then removes what a crashed run
    left (its processes, found with `ip netns pids`, and its namespaces).
    Everything is removed again at the end, when a test fails, and on
    SIGINT, SIGTERM or SIGHUP. Without root or `ip netns` every test says
    SKIPPED and passes.
    =========================================================================  */
#include "test_support.h"
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#define S_LOCK_FILE     "/tmp/fogrid-partition.lock"
#define S_CORE_ADDR     "10.77.0.1"
#define S_LOCATOR       "tcp://" S_CORE_ADDR ":7700"
#define S_HUB_BUYERS    "tcp://" S_CORE_ADDR ":7701"
#define S_HUB_MINERS    "tcp://" S_CORE_ADDR ":7702"
#define S_TTL_MS        2000        //  the hub's registration lifetime
#define S_PRICE         100         //  each miner's ask (miner/price)
#define S_FEE           5           //  the hub's default fee_percent

//  Removes every namespace of this test and the processes in them; safe
//  to run at any time (also from the signal handler).
#define S_TEARDOWN \
    "for ns in fg-m1 fg-m2 fg-core fg-sw; do " \
    "  for pid in $(ip netns pids $ns 2>/dev/null); do kill -9 $pid 2>/dev/null; done; " \
    "  ip netns del $ns 2>/dev/null; " \
    "done; true"

typedef struct {
    bool skip;                  //  not root, or no ip netns
    int lock_fd;                //  holds S_LOCK_FILE
    char *dir;                  //  temp dir: keys, logs, data
    char locator_keys [600];    //  the locator's key pair (public half)
    char buyer_keys [600];      //  the CLI's
    char hub_keys [600];        //  the hub's (public half, made by the hub)
    ts_proc_t *locator;
    ts_proc_t *hub;
    ts_proc_t *miners [2];
} s_net_t;

static s_net_t net = { .lock_fd = -1 };

//  What the signal handler needs, prepared beforehand
static volatile pid_t s_pids [4];
static char s_teardown_script [1024];
static struct sigaction s_old_actions [3];
static const int s_signals [3] = { SIGINT, SIGTERM, SIGHUP };

static void
s_on_signal (int sig)
{
    for (int index = 0; index < 4; index++)
        if (s_pids [index] > 0)
            kill (s_pids [index], SIGKILL);
    pid_t pid = fork ();
    if (pid == 0) {
        execl ("/bin/sh", "sh", "-c", s_teardown_script, (char *) NULL);
        _exit (127);
    }
    if (pid > 0)
        waitpid (pid, NULL, 0);
    signal (sig, SIG_DFL);
    raise (sig);
}

static void
s_signals_catch (void)
{
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = s_on_signal;
    sigemptyset (&action.sa_mask);
    for (int index = 0; index < 3; index++)
        sigaction (s_signals [index], &action, &s_old_actions [index]);
}

static void
s_signals_restore (void)
{
    for (int index = 0; index < 3; index++)
        sigaction (s_signals [index], &s_old_actions [index], NULL);
}

#define S_SKIPPED() \
    if (net.skip) { \
        printf ("SKIPPED: needs root and ip netns "); \
        return; \
    }

//  ---------------------------------------------------------------------
//  Hosts and daemons

//  Runs a shell command, printing it and its output when it fails.
static int
s_sh (const char *command)
{
    char *output = NULL;
    int rc = ts_run (&output, "%s", command);
    if (rc)
        fprintf (stderr, "partition: `%s` failed (%d): %s\n", command, rc, output);
    free (output);
    return rc;
}

//  Builds the switch and the three hosts; 0 or -1.
static int
s_hosts_up (void)
{
    const char *commands [] = {
        "ip netns add fg-sw",
        "ip -n fg-sw link set lo up",
        "ip -n fg-sw link add br0 type bridge",
        "ip -n fg-sw addr add 10.77.0.254/24 dev br0",
        "ip -n fg-sw link set br0 up",
        NULL
    };
    for (int index = 0; commands [index]; index++)
        if (s_sh (commands [index]))
            return -1;
    const char *hosts [3][2] = {
        { "core", "10.77.0.1" }, { "m1", "10.77.0.11" }, { "m2", "10.77.0.12" }
    };
    for (int index = 0; index < 3; index++) {
        const char *name = hosts [index][0], *addr = hosts [index][1];
        char *command = zsys_sprintf (
            "ip netns add fg-%s"
            " && ip -n fg-%s link set lo up"
            " && ip -n fg-%s link add eth0 type veth peer name %s netns fg-sw"
            " && ip -n fg-sw link set %s master br0 up"
            " && ip -n fg-%s addr add %s/24 dev eth0"
            " && ip -n fg-%s link set eth0 up",
            name, name, name, name, name, name, addr, name);
        int rc = s_sh (command);
        zstr_free (&command);
        if (rc)
            return -1;
    }
    return 0;
}

//  Starts program from the build tree inside namespace ns; its stdout and
//  stderr go to DIR/NAME.log. Arguments end with NULL.
static ts_proc_t *
s_start (const char *ns, const char *name, const char *program, ...)
{
    char path [1024];
    snprintf (path, sizeof path, "%s", ts_bin (program));
    const char *argv [64];
    int argc = 0;
    argv [argc++] = "ip";
    argv [argc++] = "netns";
    argv [argc++] = "exec";
    argv [argc++] = ns;
    argv [argc++] = path;
    va_list args;
    va_start (args, program);
    const char *arg;
    while ((arg = va_arg (args, const char *)) && argc < 63)
        argv [argc++] = arg;
    va_end (args);
    argv [argc] = NULL;

    ts_proc_t *self = (ts_proc_t *) zmalloc (sizeof (ts_proc_t));
    snprintf (self->name, sizeof self->name, "%s", name);
    snprintf (self->log, sizeof self->log, "%s/%s.log", net.dir, name);
    fflush (NULL);
    self->pid = fork ();
    if (self->pid == 0) {
        int log = open (self->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        int null = open ("/dev/null", O_RDONLY);
        if (log >= 0) {
            dup2 (log, 1);
            dup2 (log, 2);
        }
        if (null >= 0)
            dup2 (null, 0);
        //  `ip netns exec` enters the namespace and execs the program,
        //  so this pid is the daemon's
        execvp ("ip", (char **) argv);
        fprintf (stderr, "cannot exec ip\n");
        _exit (127);
    }
    return self;
}

static ts_proc_t *
s_start_miner (int index)
{
    char ns [16], name [16], id [32], data [600], keys [700];
    snprintf (ns, sizeof ns, "fg-m%d", index + 1);
    snprintf (name, sizeof name, "m%d", index + 1);
    snprintf (id, sizeof id, "miner/id=m-pt%d", index + 1);
    snprintf (data, sizeof data, "%s/m%d", net.dir, index + 1);
    snprintf (keys, sizeof keys, "security/locator_key=%s", net.locator_keys);
    char price [32];
    snprintf (price, sizeof price, "miner/price=%d", S_PRICE);
    ts_proc_t *miner = s_start (ns, name, "fogrid-miner", "--locator", S_LOCATOR,
                                "--name", name, "--data", data, "--cores", "2",
                                "-o", id, "-o", keys, "-o", price,
                                "-o", "miner/heartbeat_ms=200", "-o", "locator/timeout_ms=500",
                                NULL);
    s_pids [2 + index] = miner->pid;
    return miner;
}

static void
s_dump_logs (void)
{
    ts_proc_dump_log (net.locator);
    ts_proc_dump_log (net.hub);
    ts_proc_dump_log (net.miners [0]);
    ts_proc_dump_log (net.miners [1]);
}

//  The fogrid CLI on the buyer's host (fg-sw); returns its exit status.
static int s_fogrid (char **output, const char *format, ...) __attribute__ ((format (printf, 2, 3)));
static int
s_fogrid (char **output, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *command = zsys_vprintf (format, args);
    va_end (args);
    int rc = ts_run (output, "ip netns exec fg-sw %s -l %s -K %s -k %s -T 2000 %s",
                     ts_bin ("fogrid"), S_LOCATOR, net.locator_keys, net.buyer_keys, command);
    zstr_free (&command);
    return rc;
}

//  True when the hub lists miner id in state wanted ("connected", "dead", ...).
static bool
s_miner_is (const char *id, const char *wanted)
{
    char name [64], state [64] = "";
    char *output = NULL;
    if (s_fogrid (&output, "miners") == 0) {
        char *line = strstr (output, id);
        if (line)
            sscanf (line, "%*s %63s %63s", name, state);
    }
    free (output);
    return streq (state, wanted);
}

static bool
s_both_connected (void *arg)
{
    (void) arg;
    return s_miner_is ("m-pt1", "connected") && s_miner_is ("m-pt2", "connected");
}

//  True when `fogrid resolve hub` names the hub's buyer endpoint (arg
//  NULL) or says "not found" (arg not NULL).
static bool
s_resolve_says (void *arg)
{
    char *output = NULL;
    int rc = s_fogrid (&output, "resolve hub");
    bool found = rc == 0 && strstr (output, S_HUB_BUYERS);
    bool not_found = rc == 1 && strstr (output, "not found");
    free (output);
    return arg? not_found: found;
}

//  True when file contains text.
static bool
s_log_has (const char *file, const char *text)
{
    char *content = NULL;
    ts_run (&content, "cat '%s'", file);
    bool found = content && strstr (content, text);
    free (content);
    return found;
}

static int
s_count (const char *haystack, const char *needle)
{
    int count = 0;
    for (const char *at = strstr (haystack, needle); at; at = strstr (at + 1, needle))
        count++;
    return count;
}

//  A number after a "label   " line of CLI output, or -1.
static int64_t
s_field (const char *output, const char *label)
{
    const char *at = output? strstr (output, label): NULL;
    return at? strtoll (at + strlen (label), NULL, 10): -1;
}

//  ---------------------------------------------------------------------
//  Suite set-up and tear-down

static void
s_down (void)
{
    for (int index = 0; index < 2; index++)
        ts_proc_kill (&net.miners [index]);
    ts_proc_kill (&net.hub);
    ts_proc_kill (&net.locator);
    memset ((void *) s_pids, 0, sizeof s_pids);
    ts_run (NULL, S_TEARDOWN);
    ts_tmpdir_remove (&net.dir);
    s_signals_restore ();
    if (net.lock_fd >= 0) {
        close (net.lock_fd);            //  releases the lock
        net.lock_fd = -1;
    }
}

static int
s_suite_init (void)
{
    memset ((void *) s_pids, 0, sizeof s_pids);
    net.skip = geteuid () != 0 || ts_run (NULL, "ip netns list >/dev/null 2>&1") != 0;
    if (net.skip)
        return 0;

    //  One run at a time: the namespaces have fixed names
    net.lock_fd = open (S_LOCK_FILE, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    int64_t deadline = zclock_mono () + 150000;
    while (net.lock_fd >= 0 && flock (net.lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (zclock_mono () > deadline) {
            fprintf (stderr, "partition: another run holds %s for too long\n", S_LOCK_FILE);
            close (net.lock_fd);
            net.lock_fd = -1;
            return -1;
        }
        zclock_sleep (500);
    }
    //  What a crashed run left behind, then ours from scratch
    ts_run (NULL, S_TEARDOWN);
    ts_run (NULL, "rm -rf /tmp/fogrid-test-partition-*");
    net.dir = ts_tmpdir_new ("partition");
    snprintf (s_teardown_script, sizeof s_teardown_script, "%s; rm -rf '%s'",
              S_TEARDOWN, net.dir);
    s_signals_catch ();
    if (ts_run (NULL, "ip netns add fg-sw 2>/dev/null") != 0) {
        //  root, but no network namespaces here (a restricted container)
        net.skip = true;
        s_down ();
        return 0;
    }
    ts_run (NULL, "ip netns del fg-sw");
    if (s_hosts_up ()) {
        s_down ();
        return -1;
    }

    snprintf (net.locator_keys, sizeof net.locator_keys, "%s/locator.key", net.dir);
    snprintf (net.buyer_keys, sizeof net.buyer_keys, "%s/buyer.key", net.dir);
    snprintf (net.hub_keys, sizeof net.hub_keys, "%s/hub/keys/hub.key", net.dir);
    if (ts_run (NULL, "%s keygen %s >/dev/null 2>&1 && %s keygen %s >/dev/null 2>&1",
                ts_bin ("fogrid"), net.locator_keys,
                ts_bin ("fogrid"), net.buyer_keys) != 0) {
        s_down ();
        return -1;
    }
    char keys [700], locator_key [700], data [600];
    snprintf (keys, sizeof keys, "security/keys=%s", net.locator_keys);
    snprintf (locator_key, sizeof locator_key, "security/locator_key=%s", net.locator_keys);
    snprintf (data, sizeof data, "%s/hub", net.dir);
    net.locator = s_start ("fg-core", "locator", "fogrid-locator", "--bind", S_LOCATOR,
                           "--dns", "", "--http", "", "-o", "locator/ttl_ms=2000",
                           "-o", keys, NULL);
    s_pids [0] = net.locator->pid;
    net.hub = s_start ("fg-core", "hub", "fogrid-hub", "--buyers", S_HUB_BUYERS,
                       "--miners", S_HUB_MINERS, "--locator", S_LOCATOR, "--data", data,
                       "-o", "hub/advertise_host=" S_CORE_ADDR,
                       "-o", "hub/heartbeat_ms=200", "-o", "hub/disconnect_ms=600",
                       "-o", "hub/dead_ms=1200", "-o", "locator/ttl_ms=2000",
                       "-o", "hub/open_deposits=1", "-o", "hub/admin_keys=*",
                       "-o", locator_key, NULL);
    s_pids [1] = net.hub->pid;
    net.miners [0] = s_start_miner (0);
    net.miners [1] = s_start_miner (1);
    return 0;
}

static int
s_suite_clean (void)
{
    if (!net.skip)
        s_down ();
    return 0;
}

//  ---------------------------------------------------------------------
//  The tests

static void
test_hosts_up (void)
{
    S_SKIPPED ();
    //  Each host reaches the others through the switch, and only there
    CU_ASSERT_EQUAL (ts_run (NULL, "ip netns exec fg-m1 sh -c "
                             "'ip -4 addr show eth0 | grep -q 10.77.0.11'"), 0);
    bool up = ts_wait_for (s_both_connected, NULL, 15000);
    if (!up)
        s_dump_logs ();
    CU_ASSERT_FATAL (up);
    //  The locator gives the address the hub advertises, not a loopback one
    CU_ASSERT (s_resolve_says (NULL));
    char *output = NULL;
    CU_ASSERT_EQUAL (s_fogrid (&output, "submit --wait -- sh -c 'echo hello from a namespace'"), 0);
    free (output);
}

//  Scenario (a): miner cut off while it runs a task
static void
test_miner_cut_off (void)
{
    S_SKIPPED ();
    char *output = NULL;
    CU_ASSERT_EQUAL (s_fogrid (&output, "deposit 1000"), 0);
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "wallet"), 0);
    int64_t balance_before = s_field (output, "balance   ");
    free (output);

    CU_ASSERT_EQUAL_FATAL (s_fogrid (&output, "submit --retries 2 -- sh -c 'sleep 3; echo done'"), 0);
    char task [64];
    snprintf (task, sizeof task, "%.*s", (int) strcspn (output, "\n"), output);
    free (output);
    CU_ASSERT_FATAL (strncmp (task, "t-", 2) == 0);

    //  Which miner runs it
    int victim = -1;
    for (int tries = 0; tries < 50 && victim < 0; tries++) {
        if (s_fogrid (&output, "status %s", task) == 0
        &&  strstr (output, "state     running"))
            victim = strstr (output, "miner     m-pt1")? 0: 1;
        free (output);
        if (victim < 0)
            zclock_sleep (100);
    }
    CU_ASSERT_FATAL (victim >= 0);
    int other = 1 - victim;
    char victim_id [16], other_id [16], port [16];
    snprintf (victim_id, sizeof victim_id, "m-pt%d", victim + 1);
    snprintf (other_id, sizeof other_id, "m-pt%d", other + 1);
    snprintf (port, sizeof port, "m%d", victim + 1);
    printf ("\n    partition: %s runs %s; pulling its cable\n", victim_id, task);

    //  Cut: the hub marks it disconnected, then dead, and the task moves on
    CU_ASSERT_EQUAL_FATAL (ts_run (NULL, "ip -n fg-sw link set %s down", port), 0);
    int64_t cut_at = zclock_mono ();
    bool moved = false;
    while (!moved && zclock_mono () - cut_at < 8000) {
        if (s_fogrid (&output, "status %s", task) == 0) {
            char expected [64];
            snprintf (expected, sizeof expected, "miner     %s", other_id);
            moved = strstr (output, expected) && strstr (output, "attempt   2")
                 && (strstr (output, "state     running") || strstr (output, "state     succeeded"));
        }
        free (output);
        if (!moved)
            zclock_sleep (100);
    }
    if (!moved)
        s_dump_logs ();
    CU_ASSERT_FATAL (moved);
    CU_ASSERT (s_miner_is (victim_id, "dead"));
    char line [128];
    snprintf (line, sizeof line, "miner %s (%s) connected -> disconnected", victim_id, port);
    CU_ASSERT (s_log_has (net.hub->log, line));
    snprintf (line, sizeof line, "miner %s (%s) disconnected -> dead", victim_id, port);
    CU_ASSERT (s_log_has (net.hub->log, line));

    //  Reconnect: it comes back by itself
    CU_ASSERT_EQUAL (ts_run (NULL, "ip -n fg-sw link set %s up", port), 0);
    printf ("    partition: %s dead after %d ms, task on %s (attempt 2); cable back\n",
            victim_id, (int) (zclock_mono () - cut_at), other_id);
    bool back = false;
    for (int64_t until = zclock_mono () + 15000; !back && zclock_mono () < until; ) {
        back = s_miner_is (victim_id, "connected");
        if (!back)
            zclock_sleep (100);
    }
    if (!back)
        s_dump_logs ();
    CU_ASSERT (back);

    //  The task succeeds once, on the other miner, attempt 2
    bool done = false;
    for (int64_t until = zclock_mono () + 10000; !done && zclock_mono () < until; ) {
        CU_ASSERT_EQUAL (s_fogrid (&output, "status %s", task), 0);
        done = output && strstr (output, "state     succeeded");
        free (output);
        if (!done)
            zclock_sleep (100);
    }
    CU_ASSERT_FATAL (done);

    //  The victim's attempt 1 ends one of three ways: the hub has it
    //  killed (its hello or heartbeat still lists it), its late result is
    //  refused as stale, or it ended during the cut, the miner kept its
    //  result, and the hub's welcome says that attempt is over, so the
    //  miner lets the result go. Wait until it is gone.
    char killed [128], ended [128], refused [128], lost [128];
    snprintf (killed, sizeof killed, "killing task %s attempt 1", task);
    snprintf (ended, sizeof ended, "task %s attempt 1 ended", task);
    snprintf (refused, sizeof refused, "result for %s attempt 1 refused", task);
    snprintf (lost, sizeof lost, "the result of %s is lost", task);
    const char *victim_log = net.miners [victim]->log;
    bool settled = false;
    for (int64_t until = zclock_mono () + 8000; !settled && zclock_mono () < until; ) {
        settled = s_log_has (victim_log, killed)
               || (s_log_has (victim_log, ended)
                   && (s_log_has (net.hub->log, refused) || s_log_has (victim_log, lost)));
        if (!settled)
            zclock_sleep (100);
    }
    if (!settled)
        s_dump_logs ();
    CU_ASSERT (settled);
    printf ("    partition: the stale attempt 1 on %s %s\n", victim_id,
            s_log_has (victim_log, killed)? "was killed as the hub said":
            s_log_has (net.hub->log, refused)? "ended; its late result was refused":
            "ended during the cut; the hub's welcome said the attempt was over");
    //  Nothing of it is left on the victim: the miner is its only process
    zclock_sleep (300);
    char *pids = NULL;
    //  (and its guardian, which waits to clean up after it: not counted)
    ts_run (&pids, "for pid in $(ip netns pids fg-m%d); do tr '\\0' ' ' < /proc/$pid/cmdline; "
            "echo; done | grep -vc -- ' --guardian '", victim + 1);
    CU_ASSERT_EQUAL (atoi (pids), 1);
    free (pids);

    //  Completed exactly once: one success in its history, on the other
    //  miner's attempt 2, and its result is the one that miner gave
    CU_ASSERT_EQUAL (s_fogrid (&output, "status %s", task), 0);
    char success [64];
    snprintf (success, sizeof success, "succeeded  miner %s attempt 2", other_id);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, success));
    CU_ASSERT_EQUAL (s_count (output, "succeeded  miner"), 1);
    CU_ASSERT_EQUAL (s_count (output, "failed  "), 0);
    snprintf (line, sizeof line, "pending    miner %s attempt 1 (miner %s lost", victim_id, victim_id);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, line));
    if (!strstr (output, success) || s_count (output, "succeeded  miner") != 1)
        fprintf (stderr, "%s", output);
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "result --stdout %s", task), 0);
    CU_ASSERT_STRING_EQUAL (output, "done\n");
    free (output);

    //  Paid once, to the miner that finished it; the buyer charged once
    snprintf (line, sizeof line, "pay/%s", task);
    CU_ASSERT_EQUAL (s_fogrid (&output, "wallet --account miner:%s", other_id), 0);
    CU_ASSERT_EQUAL (s_count (output, line), 1);
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "wallet --account miner:%s", victim_id), 0);
    CU_ASSERT_EQUAL (s_count (output, line), 0);
    CU_ASSERT_EQUAL (s_field (output, "balance   "), 0);
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "wallet"), 0);
    CU_ASSERT_EQUAL (s_field (output, "balance   "), balance_before - S_PRICE);
    snprintf (line, sizeof line, "refund/%s/1", task);
    CU_ASSERT_EQUAL (s_count (output, line), 1);
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "wallet --account hub:fee"), 0);
    CU_ASSERT_EQUAL (s_field (output, "balance   "), S_PRICE * S_FEE / 100);
    free (output);

    //  And it takes work again
    CU_ASSERT (ts_wait_for (s_both_connected, NULL, 5000));
}

static bool
s_not_found (void *arg)
{
    (void) arg;
    return s_resolve_says ("not found");
}

static bool
s_found (void *arg)
{
    (void) arg;
    return s_resolve_says (NULL);
}

//  Scenario (b): the hub cut from the locator for longer than its TTL
static void
test_hub_cut_from_locator (void)
{
    S_SKIPPED ();
    if (ts_run (NULL, "command -v iptables >/dev/null") != 0) {
        printf ("SKIPPED: needs iptables ");
        return;
    }
    CU_ASSERT_FATAL (s_resolve_says (NULL));
    //  The hub reaches the locator over fg-core's loopback: drop that,
    //  both ways. Miners and the buyer come through eth0 and still can.
    const char *rule = "ip netns exec fg-core iptables -w %s OUTPUT -o lo -p tcp --%s 7700 -j DROP";
    CU_ASSERT_EQUAL_FATAL (ts_run (NULL, rule, "-I", "dport"), 0);
    CU_ASSERT_EQUAL_FATAL (ts_run (NULL, rule, "-I", "sport"), 0);
    int64_t cut_at = zclock_mono ();
    bool gone = ts_wait_for (s_not_found, NULL, S_TTL_MS + 3000);
    printf ("\n    partition: hub cut from the locator; `resolve hub` not found after %d ms\n",
            (int) (zclock_mono () - cut_at));
    CU_ASSERT (gone);

    //  The hub itself still works for those who know where it is
    char *output = NULL;
    CU_ASSERT_EQUAL (s_fogrid (&output, "-H %s --hub-key %s miners", S_HUB_BUYERS, net.hub_keys), 0);
    CU_ASSERT_EQUAL (s_count (output, "connected"), 2);
    free (output);

    //  Still gone well past the TTL: nothing brings it back while cut
    int64_t hold = cut_at + S_TTL_MS * 2 - zclock_mono ();
    if (hold > 0)
        zclock_sleep ((int) hold);
    CU_ASSERT (s_resolve_says ("not found"));

    CU_ASSERT_EQUAL (ts_run (NULL, rule, "-D", "dport"), 0);
    CU_ASSERT_EQUAL (ts_run (NULL, rule, "-D", "sport"), 0);
    int64_t back_at = zclock_mono ();
    bool back = ts_wait_for (s_found, NULL, 15000);
    printf ("    partition: link back after %d ms cut; the hub re-registered in %d ms\n",
            (int) (back_at - cut_at), (int) (zclock_mono () - back_at));
    if (!back)
        s_dump_logs ();
    CU_ASSERT (back);
    //  ... and a buyer who only knows the locator gets work done again
    CU_ASSERT_EQUAL (s_fogrid (&output, "submit --wait -- echo back"), 0);
    free (output);
    CU_ASSERT_EQUAL (s_fogrid (&output, "resolve hub-miner"), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, S_HUB_MINERS));
    free (output);
}

static void
test_clean_shutdown (void)
{
    S_SKIPPED ();
    //  Every daemon stops on SIGTERM with status 0
    for (int index = 0; index < 2; index++) {
        CU_ASSERT_EQUAL (ts_proc_stop (&net.miners [index], 3000), 0);
        s_pids [2 + index] = 0;
    }
    CU_ASSERT_EQUAL (ts_proc_stop (&net.hub, 3000), 0);
    s_pids [1] = 0;
    CU_ASSERT_EQUAL (ts_proc_stop (&net.locator, 3000), 0);
    s_pids [0] = 0;
    s_down ();
    char *output = NULL;
    ts_run (&output, "ip netns list");
    const char *ours [] = { "fg-core", "fg-m1", "fg-m2", "fg-sw" };
    for (int index = 0; index < 4; index++)
        CU_ASSERT_PTR_NULL (strstr (output, ours [index]));
    free (output);
    net.skip = true;            //  nothing left for the suite's clean-up
}

void
test_partition_add (void)
{
    CU_pSuite suite = CU_add_suite ("partition", s_suite_init, s_suite_clean);
    CU_add_test (suite, "hosts in namespaces, the grid across them", test_hosts_up);
    CU_add_test (suite, "a miner cut off mid-task: rescheduled, completed once",
                 test_miner_cut_off);
    CU_add_test (suite, "the hub cut from the locator, and back", test_hub_cut_from_locator);
    CU_add_test (suite, "clean shutdown, nothing left", test_clean_shutdown);
}
