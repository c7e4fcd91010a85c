/*  =========================================================================
    test_fg_sdnotify - the daemons under systemd: notify, logs, units

    Each real daemon runs with NOTIFY_SOCKET pointing at a datagram socket
    made here, as systemd would hand it one: READY=1, a STATUS= line, the
    watchdog's pings (WATCHDOG_USEC set small) and STOPPING=1 on SIGTERM
    must come. The log lines' two shapes: the journal's <N> prefix when
    JOURNAL_STREAM names stderr, an ISO-8601 UTC stamp otherwise. And the
    unit files pass systemd-analyze verify.
    =========================================================================  */
#include "test_support.h"
#include "fg_log.h"
#include "fg_sdnotify.h"
#include <sys/un.h>
#include <regex.h>
#include <pthread.h>

//  What a daemon told the socket, in order, one datagram a line
typedef struct {
    int fd;
    char said [65536];
    size_t length;
} s_listener_t;

//  A datagram socket at path (abstract when it starts with '@')
static void
s_listen (s_listener_t *self, const char *path)
{
    memset (self, 0, sizeof *self);
    self->fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    snprintf (address.sun_path, sizeof address.sun_path, "%s", path);
    socklen_t size = offsetof (struct sockaddr_un, sun_path) + strlen (path);
    if (path [0] == '@')
        address.sun_path [0] = 0;
    else
        size++;
    CU_ASSERT_EQUAL_FATAL (bind (self->fd, (struct sockaddr *) &address, size), 0);
}

//  Reads what comes for up to timeout_ms or until text has been said
static bool
s_heard (s_listener_t *self, const char *text, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (!strstr (self->said, text)) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            return false;
        zmq_pollitem_t item = { NULL, self->fd, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, left) <= 0)
            continue;
        char datagram [4096];
        ssize_t size = recv (self->fd, datagram, sizeof datagram - 1, 0);
        if (size <= 0)
            continue;
        if (self->length + size + 2 < sizeof self->said) {
            memcpy (self->said + self->length, datagram, size);
            self->length += size;
            self->said [self->length++] = '\n';
            self->said [self->length] = 0;
        }
    }
    return true;
}

static int
s_count (const char *text, const char *what)
{
    int count = 0;
    for (const char *at = strstr (text, what); at; at = strstr (at + 1, what))
        count++;
    return count;
}

static int s_miner_port = 0;    //  the last hub's, for its miner

static ts_proc_t *
s_start (const char *dir, const char *name, int which, const char *data)
{
    char ports [2][64];
    s_miner_port = ts_free_port ();
    snprintf (ports [0], sizeof ports [0], "tcp://127.0.0.1:%d", ts_free_port ());
    snprintf (ports [1], sizeof ports [1], "tcp://127.0.0.1:%d", s_miner_port);
    if (which == 0)
        return ts_proc_start (dir, name, "fogrid-hub", "--buyers", ports [0], "--miners",
                              ports [1], "--locator", "", "--data", data,
                              "-o", "security/insecure=1", NULL);
    if (which == 1)
        return ts_proc_start (dir, name, "fogrid-miner", "--hub", ports [0], "--locator", "",
                              "--name", "m-notify", "--data", data, "-o", "miner/hub_key=",
                              "-o", "security/insecure=1", NULL);
    return ts_proc_start (dir, name, "fogrid-locator", "--bind", ports [0], "--dns", "",
                          "--http", "", "--data", data, NULL);
}

static void
test_notify (void)
{
    static const char *programs [] = { "fogrid-hub", "fogrid-miner", "fogrid-locator" };
    //  What each one's status line says
    static const char *statuses [] = { "STATUS=0 miners, 0 pending, 0 running", " with ",
                                       "STATUS=0 names, 0 endpoints" };
    for (int which = 0; which < 3; which++) {
        if (!zsys_file_exists (ts_bin (programs [which]))) {
            printf ("\n    %s is not built here (FOGRID_PARTS): not tried\n", programs [which]);
            continue;
        }
        char *dir = ts_tmpdir_new ("notify");
        char socket_path [600], data [600];
        //  The locator's in the abstract namespace, as systemd's may be
        if (which == 2)
            snprintf (socket_path, sizeof socket_path, "@fogrid-test-notify-%d", (int) getpid ());
        else
            snprintf (socket_path, sizeof socket_path, "%s/notify", dir);
        snprintf (data, sizeof data, "%s/data", dir);
        s_listener_t *listener = (s_listener_t *) zmalloc (sizeof (s_listener_t));
        s_listen (listener, socket_path);

        //  A watchdog of 600 ms: a ping every 300 ms or so
        setenv ("NOTIFY_SOCKET", socket_path, 1);
        setenv ("WATCHDOG_USEC", "600000", 1);
        ts_proc_t *proc = s_start (dir, programs [which], which, data);
        unsetenv ("NOTIFY_SOCKET");
        unsetenv ("WATCHDOG_USEC");

        CU_ASSERT_TRUE (s_heard (listener, "READY=1", 5000));
        CU_ASSERT_TRUE (s_heard (listener, statuses [which], 5000));
        //  A miner counts its tasks in its line
        if (which == 1)
            CU_ASSERT_TRUE (s_heard (listener, ", 0 tasks", 1000));
        //  The hub its miners: one comes
        ts_proc_t *miner = NULL;
        if (which == 0) {
            char hub [64], miner_data [700];
            snprintf (hub, sizeof hub, "tcp://127.0.0.1:%d", s_miner_port);
            snprintf (miner_data, sizeof miner_data, "%s/miner", dir);
            miner = ts_proc_start (dir, "miner", "fogrid-miner", "--hub", hub, "--locator", "",
                                   "--name", "m-one", "--data", miner_data,
                                   "-o", "miner/hub_key=", "-o", "security/insecure=1", NULL);
            CU_ASSERT_TRUE (s_heard (listener, "STATUS=1 miner, 0 pending, 0 running", 8000));
        }
        s_heard (listener, "(never said)", 2000);
        int pings = s_count (listener->said, "WATCHDOG=1");
        CU_ASSERT (pings >= 3);
        CU_ASSERT_PTR_NULL (strstr (listener->said, "STOPPING=1"));
        //  READY=1 comes before any ping
        char *ready = strstr (listener->said, "READY=1");
        char *ping = strstr (listener->said, "WATCHDOG=1");
        CU_ASSERT (ready && ping && ready < ping);

        CU_ASSERT_EQUAL (ts_proc_stop (&proc, 5000), 0);
        CU_ASSERT_TRUE (s_heard (listener, "STOPPING=1", 1000));
        if (miner)
            CU_ASSERT_EQUAL (ts_proc_stop (&miner, 5000), 0);
        if (CU_get_number_of_failures ())
            printf ("\n%s said:\n%s\n", programs [which], listener->said);
        close (listener->fd);
        free (listener);
        ts_tmpdir_remove (&dir);
    }
}

//  Without NOTIFY_SOCKET nothing is sent and nothing changes
static void
test_no_manager (void)
{
    CU_ASSERT_FALSE (fg_sdnotify_enabled ());
    CU_ASSERT_EQUAL (fg_sdnotify_send ("READY=1"), 0);
    CU_ASSERT_EQUAL (fg_sdnotify_watchdog_ms (), 0);
    //  A watchdog meant for another process is not ours
    setenv ("NOTIFY_SOCKET", "/nonexistent/notify", 1);
    setenv ("WATCHDOG_USEC", "1000000", 1);
    setenv ("WATCHDOG_PID", "1", 1);
    CU_ASSERT_EQUAL (fg_sdnotify_watchdog_ms (), 0);
    unsetenv ("WATCHDOG_PID");
    CU_ASSERT_EQUAL (fg_sdnotify_watchdog_ms (), 1000);
    CU_ASSERT_TRUE (fg_sdnotify_enabled ());
    CU_ASSERT_EQUAL (fg_sdnotify_send ("READY=1"), -1);
    unsetenv ("NOTIFY_SOCKET");
    unsetenv ("WATCHDOG_USEC");
}

//  --------------------------------------------------------------------------
//  The watchdog follows the actor, not the main thread

//  A server actor that answers, then hangs for a while (its loop stuck),
//  then answers again, then stops on its own
typedef struct {
    int64_t stuck_from;         //  zclock_mono, set by the actor
    int64_t stuck_until;
} s_fake_t;

static void
s_fake_actor (zsock_t *pipe, void *args)
{
    s_fake_t *fake = (s_fake_t *) args;
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, NULL);
    int64_t start = zclock_mono ();
    bool stuck_done = false;
    while (zclock_mono () - start < 4000) {
        if (!stuck_done && zclock_mono () - start > 1500) {
            fake->stuck_from = zclock_mono ();
            zclock_sleep (1500);
            fake->stuck_until = zclock_mono ();
            stuck_done = true;
        }
        if (zpoller_wait (poller, 20) != pipe)
            continue;
        char *command = zstr_recv (pipe);
        if (!command || streq (command, "$TERM")) {
            zstr_free (&command);
            break;
        }
        zstr_send (pipe, "fine");
        zstr_free (&command);
    }
    zpoller_destroy (&poller);
}

static int
s_fake_status (zactor_t *actor, char *line, size_t size)
{
    zmsg_t *answer = fg_daemon_ask (actor, "STATUS");
    if (!answer)
        return -1;
    char *text = zmsg_popstr (answer);
    snprintf (line, size, "%s", text? text: "");
    zstr_free (&text);
    zmsg_destroy (&answer);
    return 0;
}

static const fg_cfg_def_t s_fake_defs [] = {
    { "fake/setting", FG_CFG_STR, "", 0, 0, "nothing" },
    { NULL, 0, NULL, 0, 0, NULL }
};

static const fg_daemon_info_t s_fake_info = {
    .program = "fake", .summary = "a stand-in daemon", .defs = s_fake_defs,
    .status = s_fake_status,
};

typedef struct {
    zactor_t *actor;
    int rc;
} s_waiter_t;

static void *
s_wait_thread (void *arg)
{
    s_waiter_t *waiter = (s_waiter_t *) arg;
    waiter->rc = fg_daemon_wait (waiter->actor);
    return NULL;
}

static void
test_watchdog_follows_actor (void)
{
    char *dir = ts_tmpdir_new ("watchdog");
    char socket_path [600];
    snprintf (socket_path, sizeof socket_path, "%s/notify", dir);
    s_listener_t *listener = (s_listener_t *) zmalloc (sizeof (s_listener_t));
    s_listen (listener, socket_path);
    setenv ("NOTIFY_SOCKET", socket_path, 1);
    setenv ("WATCHDOG_USEC", "400000", 1);

    char *argv [] = { "fake", NULL };
    int exit_code = -1;
    fg_config_t *config = fg_daemon_setup (&s_fake_info, 1, argv, &exit_code);
    CU_ASSERT_PTR_NOT_NULL_FATAL (config);
    s_fake_t fake = { 0, 0 };
    s_waiter_t waiter = { zactor_new (s_fake_actor, &fake), -1 };
    pthread_t thread;
    pthread_create (&thread, NULL, s_wait_thread, &waiter);

    //  Each ping's arrival, until the actor stops and STOPPING=1 comes
    int64_t pings [200];
    int count = 0;
    int64_t deadline = zclock_mono () + 10000;
    bool stopping = false;
    while (!stopping && zclock_mono () < deadline) {
        zmq_pollitem_t item = { NULL, listener->fd, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 100) <= 0)
            continue;
        char datagram [512];
        ssize_t size = recv (listener->fd, datagram, sizeof datagram - 1, 0);
        if (size <= 0)
            continue;
        datagram [size] = 0;
        if (strstr (datagram, "WATCHDOG=1") && count < 200)
            pings [count++] = zclock_mono ();
        stopping = strstr (datagram, "STOPPING=1") != NULL;
    }
    pthread_join (thread, NULL);
    unsetenv ("NOTIFY_SOCKET");
    unsetenv ("WATCHDOG_USEC");
    CU_ASSERT_TRUE (stopping);
    CU_ASSERT_EQUAL (waiter.rc, 1);     //  the actor stopped on its own
    zactor_destroy (&waiter.actor);
    fg_daemon_end (&config);

    //  Pings while it answered, before and after; none while it hung
    //  (beyond one already on its way when it began to)
    int before = 0, during = 0, after = 0;
    for (int index = 0; index < count; index++) {
        if (pings [index] < fake.stuck_from)
            before++;
        else
        if (pings [index] > fake.stuck_from + 300 && pings [index] < fake.stuck_until)
            during++;
        else
        if (pings [index] >= fake.stuck_until)
            after++;
    }
    CU_ASSERT (fake.stuck_from > 0 && fake.stuck_until > fake.stuck_from);
    CU_ASSERT (before >= 2);
    CU_ASSERT_EQUAL (during, 0);
    CU_ASSERT (after >= 1);
    if (before < 2 || during || after < 1)
        printf ("\npings: %d before the actor hung, %d while, %d after\n", before, during, after);
    close (listener->fd);
    free (listener);
    ts_tmpdir_remove (&dir);
}

//  --------------------------------------------------------------------------
//  Log lines

static void
test_log_format (void)
{
    struct timespec now = { .tv_sec = 1796685511, .tv_nsec = 7000000 };   //  2026-12-07T23:18:31.007Z
    char out [256];
    size_t length = fg_log_format (out, sizeof out, "E: (fogrid-hub) 26-12-08 00:18:31 hub: disk full",
                                   true, &now);
    CU_ASSERT_STRING_EQUAL (out, "<3>hub: disk full\n");
    CU_ASSERT_EQUAL (length, strlen (out));
    fg_log_format (out, sizeof out, "E: (fogrid-hub) 26-12-08 00:18:31 hub: disk full", false, &now);
    CU_ASSERT_STRING_EQUAL (out, "2026-12-07T23:18:31.007Z E: (fogrid-hub) hub: disk full\n");
    //  Each level its priority; czmq without an ident
    fg_log_format (out, sizeof out, "W: 26-12-08 00:18:31 late", true, &now);
    CU_ASSERT_STRING_EQUAL (out, "<4>late\n");
    fg_log_format (out, sizeof out, "N: 26-12-08 00:18:31 note", false, &now);
    CU_ASSERT_STRING_EQUAL (out, "2026-12-07T23:18:31.007Z N: note\n");
    fg_log_format (out, sizeof out, "I: (x) 26-12-08 00:18:31 info", true, &now);
    CU_ASSERT_STRING_EQUAL (out, "<6>info\n");
    fg_log_format (out, sizeof out, "D: (x) 26-12-08 00:18:31 debug", true, &now);
    CU_ASSERT_STRING_EQUAL (out, "<7>debug\n");
    //  Not czmq's shape: kept whole, as information
    fg_log_format (out, sizeof out, "E: not a date here", true, &now);
    CU_ASSERT_STRING_EQUAL (out, "<6>E: not a date here\n");
    //  Too long: cut, still one line
    char longer [600];
    memset (longer, 'x', sizeof longer - 1);
    longer [sizeof longer - 1] = 0;
    length = fg_log_format (out, 64, longer, true, &now);
    CU_ASSERT_EQUAL (length, 63);
    CU_ASSERT_EQUAL (out [62], '\n');
    CU_ASSERT_EQUAL (strchr (out, '\n'), out + 62);
}

//  Every line of file matches pattern; returns how many lines there were
static int
s_lines_match (const char *path, const char *pattern)
{
    regex_t regex;
    CU_ASSERT_EQUAL_FATAL (regcomp (&regex, pattern, REG_EXTENDED | REG_NOSUB), 0);
    FILE *file = fopen (path, "r");
    int lines = 0;
    char line [4096];
    while (file && fgets (line, sizeof line, file)) {
        lines++;
        if (regexec (&regex, line, 0, NULL, 0)) {
            printf ("\n%s: line does not match %s: %s", path, pattern, line);
            lines = -1000;
        }
    }
    if (file)
        fclose (file);
    regfree (&regex);
    return lines;
}

static void
test_log_daemon (void)
{
    if (!zsys_file_exists (ts_bin ("fogrid-locator")))
        return;
    char *dir = ts_tmpdir_new ("log");
    char data [600], log [600];
    snprintf (data, sizeof data, "%s/data", dir);

    //  To a file: ISO-8601 UTC with milliseconds on each line
    ts_proc_t *proc = s_start (dir, "plain", 2, data);
    zclock_sleep (700);
    CU_ASSERT_EQUAL (ts_proc_stop (&proc, 5000), 0);
    snprintf (log, sizeof log, "%s/plain.log", dir);
    CU_ASSERT (s_lines_match (log, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
                                   "\\.[0-9]{3}Z [EWNID]: \\(fogrid-locator\\) .") >= 2);

    //  To the journal (JOURNAL_STREAM names its stderr): <N> and the text
    snprintf (log, sizeof log, "%s/journal.log", dir);
    FILE *file = fopen (log, "w");
    fclose (file);
    struct stat st;
    CU_ASSERT_EQUAL_FATAL (stat (log, &st), 0);
    char stream [64];
    snprintf (stream, sizeof stream, "%llu:%llu", (unsigned long long) st.st_dev,
              (unsigned long long) st.st_ino);
    setenv ("JOURNAL_STREAM", stream, 1);
    proc = s_start (dir, "journal", 2, data);
    unsetenv ("JOURNAL_STREAM");
    zclock_sleep (700);
    CU_ASSERT_EQUAL (ts_proc_stop (&proc, 5000), 0);
    CU_ASSERT (s_lines_match (log, "^<[3-7]>[^<]") >= 2);
    //  ... and its refusals at priority 3 (err)
    char *output = NULL;
    proc = s_start (dir, "holder", 2, data);
    zclock_sleep (500);
    snprintf (log, sizeof log, "%s/refused.log", dir);
    file = fopen (log, "w");
    fclose (file);
    CU_ASSERT_EQUAL_FATAL (stat (log, &st), 0);
    CU_ASSERT_EQUAL (ts_run (&output, "JOURNAL_STREAM=%llu:%llu %s --bind tcp://127.0.0.1:%d "
                             "--dns '' --http '' --data %s 2>>%s",
                             (unsigned long long) st.st_dev, (unsigned long long) st.st_ino,
                             ts_bin ("fogrid-locator"), ts_free_port (), data, log),
                     FG_DAEMON_EXIT_IN_USE);
    zstr_free (&output);
    char *text = ts_read_text (dir, "refused.log");
    CU_ASSERT_PTR_NOT_NULL (text);
    CU_ASSERT (text && strncmp (text, "<3>fogrid-locator: data directory ", 34) == 0);
    zstr_free (&text);
    CU_ASSERT_EQUAL (ts_proc_stop (&proc, 5000), 0);
    ts_tmpdir_remove (&dir);

    //  Stderr is not the stream named (a shell's redirect, say): no prefix
    CU_ASSERT_FALSE (fg_log_to_journal ());
}

//  --------------------------------------------------------------------------
//  The units

static void
test_units_verify (void)
{
    char *output = NULL;
    if (ts_run (&output, "command -v systemd-analyze") != 0) {
        printf ("\n    SKIPPED: systemd-analyze is not installed (Debian: systemd), "
                "the units were not verified\n");
        zstr_free (&output);
        return;
    }
    zstr_free (&output);
    const char *source = getenv ("FOGRID_SOURCE_DIR");
    if (!source)
        source = FOGRID_SOURCE_DIR_DEFAULT;
    //  As `make install` writes them: ExecStart in the bin directory
    //  (verify wants the programs to be there)
    char *dir = ts_tmpdir_new ("units");
    char bin [1024];
    snprintf (bin, sizeof bin, "%s", ts_bin (""));
    if (bin [0] != '/') {
        char cwd [512];
        snprintf (bin, sizeof bin, "%s/%s", getcwd (cwd, sizeof cwd), ts_bin (""));
    }
    static const char *units [] = { "fogrid-hub", "fogrid-miner", "fogrid-locator" };
    for (int index = 0; index < 3; index++) {
        CU_ASSERT_EQUAL (ts_run (NULL, "sed 's|/usr/local/bin/|%s|g' %s/deploy/systemd/%s.service "
                                 "> %s/%s.service", bin, source, units [index], dir,
                                 units [index]), 0);
        char name [64];
        snprintf (name, sizeof name, "%s.service", units [index]);
        char *unit = ts_read_text (dir, name);
        CU_ASSERT (unit && strstr (unit, "\nType=notify\n") && strstr (unit, "\nWatchdogSec=")
                   && strstr (unit, "\nNotifyAccess=main\n"));
        zstr_free (&unit);
    }
    //  Unknown or bad settings are only warned about: any word is a failure
    int rc = ts_run (&output, "cd %s && systemd-analyze verify ./fogrid-hub.service "
                     "./fogrid-miner.service ./fogrid-locator.service", dir);
    CU_ASSERT_EQUAL (rc, 0);
    CU_ASSERT_STRING_EQUAL (output, "");
    if (rc || *output)
        printf ("\nsystemd-analyze verify said (%d):\n%s\n", rc, output);
    zstr_free (&output);
    //  ... and it does say something about a bad one
    ts_run (NULL, "printf '[Service]\\nType=notifyy\\nExecStart=/bin/true\\n' > %s/bad.service", dir);
    ts_run (&output, "cd %s && systemd-analyze verify ./bad.service", dir);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "notifyy"));
    zstr_free (&output);
    ts_tmpdir_remove (&dir);
}

void
test_fg_sdnotify_add (void)
{
    ts_add_suite ("fg_sdnotify",
                  "no service manager: nothing sent", test_no_manager,
                  "hub, miner, locator: READY, STATUS, WATCHDOG, STOPPING", test_notify,
                  "no ping while the actor's loop hangs", test_watchdog_follows_actor,
                  "log lines: journal prefix or ISO-8601", test_log_format,
                  "a daemon's log lines, to a file and to the journal", test_log_daemon,
                  "the units pass systemd-analyze verify", test_units_verify,
                  NULL);
}
