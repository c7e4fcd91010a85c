/*  =========================================================================
    bench_miners - what many miners cost a real hub, and how fast it
    places a lost miner's task elsewhere

    usage: bench_miners [--miners N] [--seconds S] [--curve] [--tasks RATE]
                        [--stuck K] [--failover] [--connect RATE] [--bin DIR]

    A real fogrid-hub process (its own data directory in /tmp, HTTP on a
    free port, no locator) and N simulated miners in this process: each a
    DEALER that says a real MinerHello and heartbeats at the rate the
    hub's welcome asks (plain text, or CurveZMQ with --curve). Miners
    connect at --connect a second (default 2000); once all are welcomed
    (or 60 s passed) the steady period of S seconds (default 60) is
    measured:
      - the hub's CPU share (utime + stime from /proc/PID/stat over it)
      - its RSS per miner (VmRSS from /proc/PID/status, the growth since
        before the miners connected, divided by N)
      - miners welcomed, and flaps: miners the hub found silent
        (fogrid_hub_heartbeats_missed_total) or lost during it
      - how long /metrics and /api/v1/overview take to answer at its end
    With --tasks RATE a buyer submits RATE null tasks a second during it
    and the miners run them at once (TaskStarted, then a TaskResult); with
    --stuck K, K tasks no miner can take wait in the queue all along.
    With --failover, after it: a task is given to one miner, which then
    closes its connection (as a process killed with SIGKILL does: the
    kernel closes its socket); the time until the task is assigned to
    another miner is printed; then again with a miner that stops sending
    (as a SIGSTOPped process: its connection stays open, it says nothing).

    Bounded: it stops after the ramp, the steady period and the failovers,
    and stops the hub. Each simulated miner costs this process two file
    descriptors (its socket's mailbox and its connection): it raises its
    RLIMIT_NOFILE to the hard limit (past it when it may: as root), and
    says so and stops when that is not enough. The hub inherits the limit
    and raises its own too.
    =========================================================================  */
#include "bench.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <poll.h>
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

#define S_RAMP_MAX_MS       60000   //  connecting and welcoming, at most
#define S_FAILOVER_MAX_MS   20000   //  waiting for a lost task to be placed again

typedef struct {
    zsock_t *sock;              //  DEALER to the hub's miner socket; NULL once closed
    char id [32];               //  its miner id
    bool welcomed;              //  the hub welcomed it
    bool frozen;                //  says nothing any more (a stopped process)
    int64_t next_beat_ms;       //  when its next heartbeat is due
    uint64_t seq;               //  its requests' sequence
} s_miner_t;

typedef struct {
    s_miner_t *miners;
    int count;                  //  miners made so far
    int total;                  //  miners of this process
    int first;                  //  number of its first miner (0: the main process)
    int welcomed;
    int64_t heartbeat_ms;       //  from the welcome
    zmq_pollitem_t *items;      //  one per miner
    int *item_miner;            //  which miner each poll item is
    int items_count;
    bool items_stale;           //  a miner was added or closed
    zsock_t *buyer;             //  DEALER to the buyer socket
    uint64_t buyer_seq;
    zcert_t *cert;              //  --curve: the buyer's key pair (each miner makes its own)
    char hub_key [41];          //  --curve: the hub's public key
    char miner_endpoint [64];
    uint64_t results;           //  TaskResults sent
    int64_t late_ms;            //  the latest a heartbeat was sent after it was due
    //  The task being watched for failover: its id, the miner it went to
    bool watching;              //  a failover is being measured
    int watch_miner;            //  -1 until assigned
    int64_t watch_reassigned_ms;    //  when another miner got it
    int watch_new_miner;
} s_bench_t;

//  --------------------------------------------------------------------------
//  The hub process: /proc and HTTP

static int64_t
s_proc_cpu_ticks (pid_t pid)
{
    char path [64], text [4096];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    size_t got = fread (text, 1, sizeof text - 1, file);
    fclose (file);
    text [got] = 0;
    //  Fields after the command's closing parenthesis: state is field 3,
    //  utime 14, stime 15
    char *at = strrchr (text, ')');
    if (!at)
        return -1;
    long long utime = 0, stime = 0;
    if (sscanf (at + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld",
                &utime, &stime) != 2)
        return -1;
    return utime + stime;
}

static int64_t
s_proc_rss_kb (pid_t pid)
{
    char path [64], line [256];
    snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    int64_t rss = -1;
    while (fgets (line, sizeof line, file))
        if (strncmp (line, "VmRSS:", 6) == 0)
            rss = atoll (line + 6);
    fclose (file);
    return rss;
}

//  GET path from 127.0.0.1:port; the body (freed by the caller) or NULL,
//  and how long the whole answer took.
static char *
s_http_get (int port, const char *path, int timeout_ms, int64_t *took_us)
{
    int64_t start = zclock_usecs ();
    int sock = socket (AF_INET, SOCK_STREAM, 0);
    struct timeval wait = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    setsockopt (sock, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    setsockopt (sock, SOL_SOCKET, SO_SNDTIMEO, &wait, sizeof wait);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    inet_pton (AF_INET, "127.0.0.1", &to.sin_addr);
    char *body = NULL;
    if (connect (sock, (struct sockaddr *) &to, sizeof to) == 0) {
        char request [256];
        int size = snprintf (request, sizeof request, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n",
                             path);
        if (send (sock, request, (size_t) size, 0) == size) {
            size_t used = 0, capacity = 65536;
            char *buffer = (char *) malloc (capacity);
            ssize_t got;
            while ((got = recv (sock, buffer + used, capacity - used - 1, 0)) > 0) {
                used += (size_t) got;
                if (capacity - used < 4096) {
                    capacity *= 2;
                    buffer = (char *) realloc (buffer, capacity);
                }
            }
            buffer [used] = 0;
            char *start_of_body = strstr (buffer, "\r\n\r\n");
            if (got == 0 && strncmp (buffer, "HTTP/1.", 7) == 0 && strstr (buffer, " 200 ")
            &&  start_of_body)
                body = strdup (start_of_body + 4);
            free (buffer);
        }
    }
    close (sock);
    if (took_us)
        *took_us = zclock_usecs () - start;
    return body;
}

//  A sample of a metric family without labels (or the sum of its samples)
static double
s_metric (const char *text, const char *name)
{
    double sum = 0;
    size_t length = strlen (name);
    for (const char *line = text; line && *line; line = strchr (line, '\n'), line = line? line + 1: NULL) {
        if (strncmp (line, name, length) == 0 && (line [length] == ' ' || line [length] == '{')) {
            const char *value = strchr (line + length, ' ');
            if (value)
                sum += atof (value + 1);
        }
    }
    return sum;
}

static double
s_metric_labelled (const char *text, const char *sample)
{
    const char *at = strstr (text, sample);
    return at? atof (at + strlen (sample) + 1): -1;
}

//  --------------------------------------------------------------------------
//  Simulated miners

static void
s_send (zsock_t *sock, fg_env_t *env)
{
    if (fg_msg_send (sock, NULL, env))
        fprintf (stderr, "bench_miners: a send failed: %s\n", zmq_strerror (zmq_errno ()));
}

static void
s_hello (s_bench_t *self, s_miner_t *miner)
{
    Fogrid__Label label = FOGRID__LABEL__INIT, *labels [1] = { &label };
    label.key = "bench";
    label.value = self->first? "other": "main";
    char *runtimes [1] = { "process" };
    Fogrid__Resources resources = FOGRID__RESOURCES__INIT;
    resources.cores = 2;
    resources.mem_mb = 2048;
    resources.disk_mb = 10240;
    resources.n_labels = 1;
    resources.labels = labels;
    resources.n_runtimes = 1;
    resources.runtimes = runtimes;
    Fogrid__MinerHello hello = FOGRID__MINER_HELLO__INIT;
    hello.miner_id = miner->id;
    hello.name = miner->id;
    hello.resources = &resources;
    hello.version = "bench";
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = ++miner->seq;
    env.body_case = FOGRID__ENVELOPE__BODY_MINER_HELLO;
    env.miner_hello = &hello;
    s_send (miner->sock, &env);
}

static void
s_heartbeat (s_miner_t *miner)
{
    Fogrid__Load load = FOGRID__LOAD__INIT;
    load.load1 = 0.25;
    load.healthy = true;
    Fogrid__MinerHeartbeat heartbeat = FOGRID__MINER_HEARTBEAT__INIT;
    heartbeat.miner_id = miner->id;
    heartbeat.load = &load;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = ++miner->seq;
    env.body_case = FOGRID__ENVELOPE__BODY_MINER_HEARTBEAT;
    env.miner_heartbeat = &heartbeat;
    s_send (miner->sock, &env);
}

//  A null task: started and done at once, exit code 0
static void
s_run_null (s_bench_t *self, s_miner_t *miner, const char *task_id, uint32_t attempt)
{
    Fogrid__TaskStarted started = FOGRID__TASK_STARTED__INIT;
    started.task_id = (char *) task_id;
    started.attempt = attempt;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = ++miner->seq;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_STARTED;
    env.task_started = &started;
    s_send (miner->sock, &env);
    Fogrid__TaskResult result = FOGRID__TASK_RESULT__INIT;
    result.task_id = (char *) task_id;
    result.attempt = attempt;
    result.started_ms = result.ended_ms = (uint64_t) fg_now_ms ();
    fg_env_t done = FOGRID__ENVELOPE__INIT;
    done.seq = ++miner->seq;
    done.body_case = FOGRID__ENVELOPE__BODY_TASK_RESULT;
    done.task_result = &result;
    s_send (miner->sock, &done);
    self->results++;
}

static int
s_miner_add (s_bench_t *self)
{
    int index = self->count;
    s_miner_t *miner = &self->miners [index];
    snprintf (miner->id, sizeof miner->id, "bench-%05d", self->first + index);
    miner->sock = zsock_new (ZMQ_DEALER);
    if (!miner->sock)
        return -1;
    zsock_set_linger (miner->sock, 0);
    zsock_set_sndtimeo (miner->sock, 0);
    if (self->cert) {
        //  A key of its own, as a real miner has: the hub's per-peer rate
        //  limit counts by key, and one key for all would be one peer
        zcert_t *cert = zcert_new ();
        zcert_apply (cert, miner->sock);
        zcert_destroy (&cert);
        zsock_set_curve_serverkey (miner->sock, self->hub_key);
    }
    if (zsock_connect (miner->sock, "%s", self->miner_endpoint)) {
        zsock_destroy (&miner->sock);
        return -1;
    }
    s_hello (self, miner);
    self->count++;
    self->items_stale = true;
    return 0;
}

static void
s_miner_close (s_bench_t *self, int index)
{
    zsock_destroy (&self->miners [index].sock);
    if (self->miners [index].welcomed)
        self->welcomed--;
    self->miners [index].welcomed = false;
    self->items_stale = true;
}

static void
s_items_rebuild (s_bench_t *self)
{
    self->items_count = 0;
    for (int index = 0; index < self->count; index++) {
        s_miner_t *miner = &self->miners [index];
        if (!miner->sock || miner->frozen)
            continue;
        self->items [self->items_count] = (zmq_pollitem_t) { zsock_resolve (miner->sock), 0,
                                                             ZMQ_POLLIN, 0 };
        self->item_miner [self->items_count++] = index;
    }
    self->items_stale = false;
}

static void
s_miner_receive (s_bench_t *self, int index, int64_t now)
{
    s_miner_t *miner = &self->miners [index];
    fg_error_t err;
    uint64_t seq;
    fg_env_t *env = fg_msg_recv (miner->sock, NULL, &err, &seq);
    if (!env)
        return;
    switch (env->body_case) {
        case FOGRID__ENVELOPE__BODY_MINER_WELCOME:
            if (!miner->welcomed) {
                miner->welcomed = true;
                self->welcomed++;
            }
            if (env->miner_welcome->heartbeat_ms)
                self->heartbeat_ms = env->miner_welcome->heartbeat_ms;
            //  Spread over the interval, as miners that started at
            //  different times are
            miner->next_beat_ms = now + 1 + (int64_t) (zclock_usecs () % 1000)
                                * self->heartbeat_ms / 1000;
            break;
        case FOGRID__ENVELOPE__BODY_ERROR:
            if (env->error->code == FG_E_NOT_FOUND || env->error->code == FG_E_HELLO) {
                if (miner->welcomed)
                    self->welcomed--;
                miner->welcomed = false;
                s_hello (self, miner);
            }
            break;
        case FOGRID__ENVELOPE__BODY_TASK_ASSIGN: {
            Fogrid__TaskAssign *assign = env->task_assign;
            bool hold = assign->spec && assign->spec->n_argv
                     && streq (assign->spec->argv [0], "hold");
            if (hold && self->watching) {
                //  The watched task is held, never finished
                if (self->watch_miner < 0)
                    self->watch_miner = index;
                else
                if (index != self->watch_miner && !self->watch_reassigned_ms) {
                    self->watch_reassigned_ms = fg_now_ms ();
                    self->watch_new_miner = index;
                }
            }
            else
                s_run_null (self, miner, assign->task_id, assign->attempt);
            break;
        }
        default:
            break;
    }
    fg_msg_free (&env);
}

//  One turn: what arrived, and the heartbeats that are due. Waits at
//  most wait_ms.
static void
s_turn (s_bench_t *self, int wait_ms)
{
    if (self->items_stale)
        s_items_rebuild (self);
    int64_t now = fg_now_ms ();
    if (zmq_poll (self->items, self->items_count, wait_ms) > 0) {
        now = fg_now_ms ();
        for (int item = 0; item < self->items_count; item++)
            if (self->items [item].revents & ZMQ_POLLIN) {
                int index = self->item_miner [item];
                //  Drain what it has
                for (int more = 0; more < 16 && self->miners [index].sock
                     && (zsock_events (self->miners [index].sock) & ZMQ_POLLIN); more++)
                    s_miner_receive (self, index, now);
            }
    }
    now = fg_now_ms ();
    for (int index = 0; index < self->count; index++) {
        s_miner_t *miner = &self->miners [index];
        if (miner->sock && miner->welcomed && !miner->frozen && now >= miner->next_beat_ms) {
            if (now - miner->next_beat_ms > self->late_ms)
                self->late_ms = now - miner->next_beat_ms;
            s_heartbeat (miner);
            miner->next_beat_ms += self->heartbeat_ms;
            if (miner->next_beat_ms <= now)
                miner->next_beat_ms = now + self->heartbeat_ms;
        }
    }
}

static void
s_turns_for (s_bench_t *self, int64_t ms)
{
    int64_t end = fg_now_ms () + ms;
    while (!zsys_interrupted && fg_now_ms () < end)
        s_turn (self, 10);
}

//  --------------------------------------------------------------------------
//  The buyer

static int
s_submit (s_bench_t *self, const char *tag, bool hold, char *task_id, size_t task_id_size)
{
    char *argv [2] = { hold? "hold": "true", (char *) tag };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.n_argv = 2;
    spec.argv = argv;
    spec.runtime = "process";
    spec.cores = 1;
    spec.retries = 3;
    spec.timeout_s = 600;
    //  Held tasks go to this process's miners, whose closing it controls
    Fogrid__Label label = FOGRID__LABEL__INIT, *labels [1] = { &label };
    label.key = "bench";
    label.value = "main";
    if (hold) {
        spec.n_labels = 1;
        spec.labels = labels;
    }
    Fogrid__SubmitRequest submit = FOGRID__SUBMIT_REQUEST__INIT;
    submit.spec = &spec;
    submit.client_token = (char *) tag;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = ++self->buyer_seq;
    env.body_case = FOGRID__ENVELOPE__BODY_SUBMIT;
    env.submit = &submit;
    s_send (self->buyer, &env);
    if (!task_id)
        return 0;
    //  Wait for its id, keeping the miners going
    int64_t end = fg_now_ms () + 5000;
    while (fg_now_ms () < end) {
        s_turn (self, 5);
        if (zsock_events (self->buyer) & ZMQ_POLLIN) {
            fg_error_t err;
            uint64_t seq;
            fg_env_t *reply = fg_msg_recv (self->buyer, NULL, &err, &seq);
            bool mine = reply && reply->seq == env.seq;
            if (mine && reply->body_case == FOGRID__ENVELOPE__BODY_SUBMIT_REPLY)
                snprintf (task_id, task_id_size, "%s", reply->submit_reply->task_id);
            fg_msg_free (&reply);
            if (mine)
                return *task_id? 0: -1;
        }
    }
    return -1;
}

//  A task no miner can take (more cores than any has): it waits in the
//  queue, as behind a grid that is full
static void
s_submit_stuck (s_bench_t *self, int index)
{
    char *argv [1] = { "true" };
    char token [64];
    snprintf (token, sizeof token, "stuck-%d", index);
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.n_argv = 1;
    spec.argv = argv;
    spec.runtime = "process";
    spec.cores = 64;
    Fogrid__SubmitRequest submit = FOGRID__SUBMIT_REQUEST__INIT;
    submit.spec = &spec;
    submit.client_token = token;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = ++self->buyer_seq;
    env.body_case = FOGRID__ENVELOPE__BODY_SUBMIT;
    env.submit = &submit;
    s_send (self->buyer, &env);
}

static void
s_buyer_drain (s_bench_t *self)
{
    while (zsock_events (self->buyer) & ZMQ_POLLIN) {
        fg_error_t err;
        uint64_t seq;
        fg_env_t *reply = fg_msg_recv (self->buyer, NULL, &err, &seq);
        fg_msg_free (&reply);
    }
}

//  How long after a miner is lost its task runs on another: kill closes
//  the miner's connection, else it just stops saying anything.
static double
s_failover (s_bench_t *self, bool kill)
{
    self->watching = true;
    self->watch_miner = -1;
    self->watch_reassigned_ms = 0;
    char tag [64], task_id [64] = "";
    snprintf (tag, sizeof tag, "failover-%s-%" PRId64, kill? "kill": "stop", fg_now_ms ());
    if (s_submit (self, tag, true, task_id, sizeof task_id)) {
        fprintf (stderr, "bench_miners: the failover task was not accepted\n");
        self->watching = false;
        return -1;
    }
    int64_t end = fg_now_ms () + 5000;
    while (self->watch_miner < 0 && fg_now_ms () < end)
        s_turn (self, 5);
    if (self->watch_miner < 0) {
        fprintf (stderr, "bench_miners: the failover task %s was not assigned in 5 s\n", task_id);
        self->watching = false;
        return -1;
    }
    //  Let it be reported running
    s_turns_for (self, 200);
    int victim = self->watch_miner;
    int64_t lost_ms = fg_now_ms ();
    if (kill)
        s_miner_close (self, victim);
    else {
        self->miners [victim].frozen = true;
        self->items_stale = true;
    }
    end = lost_ms + S_FAILOVER_MAX_MS;
    while (!self->watch_reassigned_ms && fg_now_ms () < end)
        s_turn (self, 2);
    self->watching = false;
    if (!self->watch_reassigned_ms)
        return -1;
    return (double) (self->watch_reassigned_ms - lost_ms) / 1000.0;
}

//  --------------------------------------------------------------------------

//  Raises RLIMIT_NOFILE as far as it goes; returns the limit.
static int64_t
s_raise_nofile (void)
{
    struct rlimit limit;
    getrlimit (RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit (RLIMIT_NOFILE, &limit);
        getrlimit (RLIMIT_NOFILE, &limit);
    }
    return (int64_t) limit.rlim_cur;
}

//  A helper process's miners: connect them at rate a second, keep them
//  going until the main process writes 'q' to (or closes) control, then
//  report "WELCOMED RESULTS LATE_MS" on report.
static int
s_helper (const char *endpoint, const char *hub_key, int first, int count, int rate,
          int control, int report)
{
    zsys_init ();
    zsys_set_logstream (NULL);
    zsys_set_max_sockets ((size_t) count + 64);
    s_bench_t bench = { .total = count, .first = first, .heartbeat_ms = 1000,
                        .watch_miner = -1 };
    s_bench_t *self = &bench;
    snprintf (self->miner_endpoint, sizeof self->miner_endpoint, "%s", endpoint);
    if (*hub_key) {
        snprintf (self->hub_key, sizeof self->hub_key, "%s", hub_key);
        self->cert = zcert_new ();
    }
    self->miners = (s_miner_t *) zmalloc (sizeof (s_miner_t) * (size_t) count);
    self->items = (zmq_pollitem_t *) zmalloc (sizeof (zmq_pollitem_t) * (size_t) count);
    self->item_miner = (int *) zmalloc (sizeof (int) * (size_t) count);
    int64_t start = fg_now_ms ();
    while (true) {
        int64_t due = (fg_now_ms () - start) * rate / 1000 + 1;
        while (self->count < count && self->count < due)
            if (s_miner_add (self))
                break;
        s_turn (self, 10);
        //  's': the steady period starts (lateness counts from now); 'q'
        //  or the end of the pipe: report
        struct pollfd wake = { control, POLLIN, 0 };
        if (poll (&wake, 1, 0) > 0) {
            char command = 'q';
            if (read (control, &command, 1) != 1 || command != 's')
                break;
            self->late_ms = 0;
        }
    }
    char line [64];
    int size = snprintf (line, sizeof line, "%d %" PRIu64 " %" PRId64 "\n", self->welcomed,
                         self->results, self->late_ms);
    if (write (report, line, (size_t) size) != size)
        return 1;
    for (int index = 0; index < self->count; index++)
        zsock_destroy (&self->miners [index].sock);
    zcert_destroy (&self->cert);
    return 0;
}

int
main (int argc, char *argv [])
{
    setvbuf (stdout, NULL, _IOLBF, 0);
    int miners = 1000, seconds = 60, task_rate = 0, connect_rate = 2000, stuck = 0;
    bool curve = false, failover = false;
    const char *bin_dir = NULL;
    for (int index = 1; index < argc; index++) {
        if (streq (argv [index], "--miners") && index + 1 < argc)
            miners = atoi (argv [++index]);
        else
        if (streq (argv [index], "--seconds") && index + 1 < argc)
            seconds = atoi (argv [++index]);
        else
        if (streq (argv [index], "--tasks") && index + 1 < argc)
            task_rate = atoi (argv [++index]);
        else
        if (streq (argv [index], "--connect") && index + 1 < argc)
            connect_rate = atoi (argv [++index]);
        else
        if (streq (argv [index], "--stuck") && index + 1 < argc)
            stuck = atoi (argv [++index]);
        else
        if (streq (argv [index], "--curve"))
            curve = true;
        else
        if (streq (argv [index], "--failover"))
            failover = true;
        else
        if (streq (argv [index], "--bin") && index + 1 < argc)
            bin_dir = argv [++index];
        else {
            fprintf (stderr, "usage: bench_miners [--miners N] [--seconds S] [--curve] "
                     "[--tasks RATE] [--stuck K] [--failover] [--connect RATE] [--bin DIR]\n");
            return 2;
        }
    }
    if (miners < 2 || miners > 20000 || seconds < 1 || seconds > 3600 || task_rate < 0
    ||  task_rate > 10000 || connect_rate < 10) {
        fprintf (stderr, "bench_miners: --miners 2..20000, --seconds 1..3600, "
                 "--tasks 0..10000, --connect at least 10\n");
        return 2;
    }
    //  Each miner costs this side two descriptors (its socket's mailbox
    //  and its connection) and the hub one: past what one process may
    //  have, helper processes run the rest
    int64_t limit = s_raise_nofile ();
    int64_t per_process = (limit - 256) / 2;
    printf ("file descriptors: %" PRId64 " allowed (RLIMIT_NOFILE raised to its hard limit): "
            "the hub needs %d, this side %d\n", limit, miners + 256, 2 * miners + 256);
    if (limit < miners + 256 || per_process < 16) {
        fprintf (stderr, "bench_miners: %d miners need %d file descriptors in the hub, and "
                 "RLIMIT_NOFILE allows %" PRId64 ": raise its hard limit (ulimit -Hn, "
                 "LimitNOFILE=) or ask for fewer miners\n", miners, miners + 256, limit);
        return 1;
    }
    int processes = (int) ((miners + per_process - 1) / per_process);
    int share = (miners + processes - 1) / processes;
    char self_dir [1024] = ".";
    if (!bin_dir) {
        ssize_t length = readlink ("/proc/self/exe", self_dir, sizeof self_dir - 1);
        if (length > 0) {
            self_dir [length] = 0;
            *strrchr (self_dir, '/') = 0;
        }
        bin_dir = self_dir;
    }
    char dir [] = "/tmp/fogrid-bench-miners-XXXXXX";
    if (!mkdtemp (dir)) {
        fprintf (stderr, "bench_miners: cannot make a temp dir\n");
        return 1;
    }
    int buyer_port = bench_free_port (), miner_port = bench_free_port (),
        http_port = bench_free_port ();
    char hub [1100], data [1100], buyers [64], miner_ep [64], http [64];
    snprintf (hub, sizeof hub, "%s/fogrid-hub", bin_dir);
    snprintf (data, sizeof data, "%s/hub", dir);
    snprintf (buyers, sizeof buyers, "hub/buyer_endpoint=tcp://127.0.0.1:%d", buyer_port);
    snprintf (miner_ep, sizeof miner_ep, "hub/miner_endpoint=tcp://127.0.0.1:%d", miner_port);
    snprintf (http, sizeof http, "hub/http=127.0.0.1:%d", http_port);
    char *hub_argv [] = { hub, "--data", data, "-o", buyers, "-o", miner_ep, "-o", http,
                          "-o", "locator/endpoints=", "-o",
                          curve? "security/insecure=0": "security/insecure=1", NULL };
    pid_t hub_pid = bench_spawn (dir, "hub.log", hub_argv);
    int64_t end = fg_now_ms () + 10000;
    char *body = NULL;
    while (!body && fg_now_ms () < end) {
        zclock_sleep (100);
        body = s_http_get (http_port, "/healthz", 1000, NULL);
    }
    if (!body) {
        fprintf (stderr, "bench_miners: the hub did not start (see %s/hub.log)\n", dir);
        bench_stop (hub_pid);
        return 1;
    }
    zstr_free (&body);
    int64_t rss_before = s_proc_rss_kb (hub_pid);

    s_bench_t bench = { .total = miners, .heartbeat_ms = 1000, .watch_miner = -1 };
    s_bench_t *self = &bench;
    snprintf (self->miner_endpoint, sizeof self->miner_endpoint, "tcp://127.0.0.1:%d",
              miner_port);
    if (curve) {
        char key_file [1200];
        snprintf (key_file, sizeof key_file, "%s/keys/hub.key", data);
        zcert_t *hub_cert = zcert_load (key_file);
        if (!hub_cert) {
            fprintf (stderr, "bench_miners: cannot read the hub's key %s\n", key_file);
            bench_stop (hub_pid);
            return 1;
        }
        snprintf (self->hub_key, sizeof self->hub_key, "%s", zcert_public_txt (hub_cert));
        zcert_destroy (&hub_cert);
    }
    //  Helpers first: a process that forks must not have a ZeroMQ context yet
    int mine = miners - (processes - 1) * share;
    pid_t helpers [64];
    int controls [64], reports [64];
    for (int index = 1; index < processes && index < 64; index++) {
        int control [2], report [2];
        if (pipe (control) || pipe (report)) {
            fprintf (stderr, "bench_miners: pipe: %s\n", strerror (errno));
            return 1;
        }
        helpers [index] = fork ();
        if (helpers [index] == 0) {
            close (control [1]);
            close (report [0]);
            _exit (s_helper (self->miner_endpoint, self->hub_key, mine + (index - 1) * share,
                             share, (int) ((int64_t) connect_rate * share / miners + 1),
                             control [0], report [1]));
        }
        close (control [0]);
        close (report [1]);
        controls [index] = control [1];
        reports [index] = report [0];
    }
    zsys_init ();
    zsys_set_logstream (NULL);
    zsys_set_max_sockets ((size_t) mine + 64);
    self->total = mine;
    if (self->hub_key [0])
        self->cert = zcert_new ();
    self->miners = (s_miner_t *) zmalloc (sizeof (s_miner_t) * (size_t) mine);
    self->items = (zmq_pollitem_t *) zmalloc (sizeof (zmq_pollitem_t) * (size_t) mine);
    self->item_miner = (int *) zmalloc (sizeof (int) * (size_t) mine);
    self->buyer = zsock_new (ZMQ_DEALER);
    zsock_set_linger (self->buyer, 0);
    if (self->cert) {
        zcert_apply (self->cert, self->buyer);
        zsock_set_curve_serverkey (self->buyer, self->hub_key);
    }
    zsock_connect (self->buyer, "tcp://127.0.0.1:%d", buyer_port);

    printf ("hub pid %d, %s, %d miners (%d processes), data in %s\n", (int) hub_pid,
            curve? "CurveZMQ": "plain text", miners, processes, dir);
    //  Ramp: connect at connect_rate a second, until the hub has all
    int64_t ramp_start = fg_now_ms ();
    end = ramp_start + S_RAMP_MAX_MS;
    double hub_connected = 0;
    int64_t next_look = 0;
    while (!zsys_interrupted && fg_now_ms () < end
       &&  (self->count < mine || self->welcomed < mine || hub_connected < miners)) {
        if (fg_now_ms () >= next_look) {
            char *text = s_http_get (http_port, "/metrics", 5000, NULL);
            if (text)
                hub_connected = s_metric_labelled (text, "fogrid_hub_miners{state=\"connected\"}");
            zstr_free (&text);
            next_look = fg_now_ms () + 500;
        }
        int64_t due = (fg_now_ms () - ramp_start) * connect_rate * mine / miners / 1000 + 1;
        while (self->count < mine && self->count < due)
            if (s_miner_add (self)) {
                fprintf (stderr, "bench_miners: cannot make miner %d's socket: %s\n",
                         self->count, zmq_strerror (zmq_errno ()));
                end = 0;
                break;
            }
        s_turn (self, 10);
    }
    printf ("ramp: %.0f of %d miners connected at the hub in %.1f s, heartbeats every %" PRId64
            " ms\n", hub_connected, miners, (double) (fg_now_ms () - ramp_start) / 1000.0,
            self->heartbeat_ms);

    //  Steady period
    for (int index = 0; index < stuck; index++)
        s_submit_stuck (self, index);
    int64_t end_drain = fg_now_ms () + 2000;
    while (stuck && fg_now_ms () < end_drain) {
        s_buyer_drain (self);
        s_turn (self, 10);
    }
    int64_t rss_ramp = s_proc_rss_kb (hub_pid);
    char *metrics = s_http_get (http_port, "/metrics", 10000, NULL);
    double missed_before = metrics? s_metric (metrics, "fogrid_hub_heartbeats_missed_total"): 0;
    double lost_before = metrics? s_metric (metrics, "fogrid_hub_miners_lost_total"): 0;
    zstr_free (&metrics);
    int64_t cpu_before = s_proc_cpu_ticks (hub_pid);
    self->late_ms = 0;
    for (int index = 1; index < processes && index < 64; index++)
        if (write (controls [index], "s", 1) != 1)
            fprintf (stderr, "bench_miners: helper %d is gone\n", index);
    int64_t steady_start = fg_now_ms ();
    uint64_t results_before = self->results;
    int submitted = 0;
    while (!zsys_interrupted && fg_now_ms () < steady_start + seconds * 1000) {
        if (task_rate) {
            int64_t due = (fg_now_ms () - steady_start) * task_rate / 1000;
            while (submitted < due) {
                char tag [64];
                snprintf (tag, sizeof tag, "null-%d", submitted++);
                s_submit (self, tag, false, NULL, 0);
            }
            s_buyer_drain (self);
        }
        s_turn (self, 10);
    }
    int64_t steady_ms = fg_now_ms () - steady_start;
    int64_t cpu_after = s_proc_cpu_ticks (hub_pid);
    int64_t rss_after = s_proc_rss_kb (hub_pid);
    int64_t metrics_us = 0, overview_us = 0;
    metrics = s_http_get (http_port, "/metrics", 10000, &metrics_us);
    double missed_after = metrics? s_metric (metrics, "fogrid_hub_heartbeats_missed_total"): 0;
    double lost_after = metrics? s_metric (metrics, "fogrid_hub_miners_lost_total"): 0;
    double connected = metrics? s_metric_labelled (metrics,
                                                   "fogrid_hub_miners{state=\"connected\"}"): -1;
    char *overview = s_http_get (http_port, "/api/v1/overview", 10000, &overview_us);
    size_t overview_size = overview? strlen (overview): 0;

    int welcomed = self->welcomed;
    //  Failovers among this process's miners, while the others go on
    double killed = failover? s_failover (self, true): 0;
    double stopped = failover? s_failover (self, false): 0;
    //  What the helpers saw
    uint64_t results = self->results - results_before;
    int64_t late_ms = self->late_ms;
    for (int index = 1; index < processes && index < 64; index++) {
        if (write (controls [index], "q", 1) != 1)
            continue;
        char line [64] = "";
        FILE *file = fdopen (reports [index], "r");
        int their_welcomed = 0;
        unsigned long long their_results = 0;
        long long their_late = 0;
        if (file && fgets (line, sizeof line, file)
        &&  sscanf (line, "%d %llu %lld", &their_welcomed, &their_results, &their_late) == 3) {
            welcomed += their_welcomed;
            results += their_results;
            if (their_late > late_ms)
                late_ms = their_late;
        }
        if (file)
            fclose (file);
        close (controls [index]);
        waitpid (helpers [index], NULL, 0);
    }
    double ticks = (double) sysconf (_SC_CLK_TCK);
    printf ("steady %.1f s: hub CPU %.1f %% of one core, RSS %" PRId64 " KiB (+%" PRId64
            " KiB since start: %.1f KiB per miner; %.1f KiB per miner when all had connected)\n",
            (double) steady_ms / 1000.0,
            100.0 * (double) (cpu_after - cpu_before) / ticks / ((double) steady_ms / 1000.0),
            rss_after, rss_after - rss_before,
            (double) (rss_after - rss_before) / (double) miners,
            (double) (rss_ramp - rss_before) / (double) miners);
    printf ("miners: %d welcomed (this side), %.0f connected (the hub's /metrics), "
            "%.0f fell silent and %.0f were lost during the steady period\n",
            welcomed, connected, missed_after - missed_before, lost_after - lost_before);
    printf ("this side: heartbeats sent at most %" PRId64 " ms after they were due (the hub "
            "finds a miner silent when its heartbeats are late by hub/disconnect_ms - the "
            "interval)\n", late_ms);
    if (task_rate)
        printf ("null tasks: %d submitted, %" PRIu64 " results sent\n", submitted, results);
    printf ("/metrics answered in %s%.1f ms, /api/v1/overview in %s%.1f ms (%zu bytes)\n",
            metrics? "": "(FAILED) ", (double) metrics_us / 1000.0,
            overview? "": "(FAILED) ", (double) overview_us / 1000.0, overview_size);
    zstr_free (&metrics);
    zstr_free (&overview);

    if (failover) {
        printf ("failover: a closed miner's task assigned elsewhere after %.2f s, "
                "a silent (stopped) miner's after %.2f s%s\n", killed, stopped,
                killed < 0 || stopped < 0? " (-1: not within 20 s)": "");
    }

    for (int index = 0; index < self->count; index++)
        zsock_destroy (&self->miners [index].sock);
    zsock_destroy (&self->buyer);
    zcert_destroy (&self->cert);
    bench_stop (hub_pid);
    free (self->miners);
    free (self->items);
    free (self->item_miner);
    printf ("hub log: %s/hub.log\n", dir);
    return 0;
}
