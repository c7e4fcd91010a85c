/*  =========================================================================
    test_miner_docker - the docker runtime against the real engine: the
    API client, batch tasks (exit code, bounded output, its SHA-256),
    limits (memory, pids, network, capabilities), a timeout, a kill, a
    missing image, no container left behind, and the fogrid-miner program
    restarted during a task (its orphan is removed)

    When no engine answers on the socket (FOGRID_DOCKER_SOCKET, else
    /var/run/docker.sock) each test that needs one says SKIPPED and passes.
    The test image fogrid/busybox is built by deploy/images/build-test-image.sh
    when it is missing.
    =========================================================================  */
#include "test_support.h"
#include "test_miner_support.h"
#include "miner_runner.h"
#include "miner_docker.h"
#include "miner_docker_runner.h"
#include "miner_agent.h"
#include "miner_tar.h"
#include <signal.h>
#include <sodium.h>

#define S_IMAGE "fogrid/busybox:latest"

static const char *s_socket;            //  the engine's socket
static bool s_engine;                   //  an engine answers there
static char *s_dir;                     //  the suite's temp dir
static char s_miner_id [32];            //  labels this run's containers

#define S_NEED_ENGINE() do { \
    if (!s_engine) { \
        printf ("SKIPPED: no Docker engine at %s ", s_socket); \
        return; \
    } \
} while (0)

static int
s_suite_init (void)
{
    s_socket = getenv ("FOGRID_DOCKER_SOCKET");
    if (!s_socket || !*s_socket)
        s_socket = MINER_DOCKER_SOCKET;
    s_dir = ts_tmpdir_new ("docker");
    fg_id_new ("m-dtest", s_miner_id, sizeof s_miner_id);
    miner_docker_t *docker = miner_docker_new (s_socket, 5000);
    s_engine = docker && miner_docker_ping (docker) == 0;
    if (!s_engine)
        printf ("\nminer_docker: no Docker engine at %s (%s): the tests that need one "
                "are SKIPPED\n", s_socket, docker? miner_docker_error (docker): "no client");
    else
    if (miner_docker_image_present (docker, S_IMAGE) != 1) {
        const char *source = getenv ("FOGRID_SOURCE_DIR");
        if (!source)
            source = FOGRID_SOURCE_DIR_DEFAULT;
        char *output = NULL;
        int rc = ts_run (&output, "DOCKER_HOST=unix://%s %s/deploy/images/build-test-image.sh",
                         s_socket, source);
        printf ("\n%s", output? output: "");
        free (output);
        if (rc)
            printf ("miner_docker: cannot build %s: the tests will fail\n", S_IMAGE);
    }
    miner_docker_destroy (&docker);
    return s_dir? 0: -1;
}

static int
s_suite_clean (void)
{
    if (s_engine) {
        char err [256];
        miner_docker_runner_clean (s_socket, s_miner_id, 10000, err, sizeof err);
    }
    ts_tmpdir_remove (&s_dir);
    return 0;
}

//  Containers with the label KEY=VALUE, -1 on an error.
static int
s_containers (const char *key, const char *value)
{
    miner_docker_t *docker = miner_docker_new (s_socket, 5000);
    char label [200];
    snprintf (label, sizeof label, "%s=%s", key, value);
    zlist_t *ids = miner_docker_list (docker, label);
    int count = ids? (int) zlist_size (ids): -1;
    zlist_destroy (&ids);
    miner_docker_destroy (&docker);
    return count;
}

//  Containers of a task (attempt 1) of this suite.
static int
s_task_containers (const char *task_id)
{
    char ref [100];
    snprintf (ref, sizeof ref, "%s/1", task_id);
    return s_containers (MINER_DOCKER_LABEL_TASK, ref);
}

static bool
s_task_running (void *task_id)
{
    return s_task_containers ((const char *) task_id) == 1;
}

static void
s_sha256_hex (const void *data, size_t size, char *hex)
{
    byte digest [crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (digest, (const byte *) data, size);
    sodium_bin2hex (hex, 65, digest, sizeof digest);
}

//  A docker spec running argv (NULL-terminated) in the test image.
typedef struct {
    Fogrid__TaskSpec spec;
    char *argv [16];
    char *env [8];
} s_spec_t;

static void
s_spec (s_spec_t *self, uint32_t timeout_s, ...)
{
    fogrid__task_spec__init (&self->spec);
    va_list args;
    va_start (args, timeout_s);
    size_t count = 0;
    char *arg;
    while ((arg = va_arg (args, char *)) && count < 15)
        self->argv [count++] = arg;
    va_end (args);
    self->spec.argv = self->argv;
    self->spec.n_argv = count;
    self->spec.env = self->env;
    self->spec.timeout_s = timeout_s;
    self->spec.image = S_IMAGE;
}

static miner_runner_limits_t
s_limits (void)
{
    miner_runner_limits_t limits = {
        .work_root = s_dir, .grace_ms = 500, .docker_socket = s_socket,
        .miner_id = s_miner_id, .docker_timeout_ms = 20000, .docker_pids_limit = 64
    };
    return limits;
}

//  Runs spec to its end; the runner is destroyed. NULL if no result came.
static Fogrid__TaskResult *
s_run (const char *task_id, s_spec_t *spec, const miner_runner_limits_t *limits)
{
    miner_runner_t *runner = miner_runner_new (task_id, 1, &spec->spec, limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (runner);
    Fogrid__TaskResult *result = miner_runner_result (runner, 60000);
    miner_runner_destroy (&runner);
    if (!result)
        printf ("\n%s: no result\n", task_id);
    return result;
}

//  --------------------------------------------------------------------------
//  Without an engine

//  Frames cut anywhere, both streams, a bound, the stdout hash
static void
test_output_frames (void)
{
    byte stream [128];
    size_t size = 0;
    const struct { byte kind; const char *text; } frames [] = {
        { 1, "hello " }, { 2, "oops\n" }, { 1, "world\n" }, { 0, "stdin?" }, { 3, "engine\n" }
    };
    for (size_t index = 0; index < 5; index++) {
        size_t len = strlen (frames [index].text);
        byte header [8] = { frames [index].kind, 0, 0, 0, 0, 0, 0, (byte) len };
        memcpy (stream + size, header, 8);
        memcpy (stream + size + 8, frames [index].text, len);
        size += 8 + len;
    }
    //  Fed whole, then a byte at a time: the same outcome
    for (int pass = 0; pass < 2; pass++) {
        miner_docker_output_t *output = miner_docker_output_new (pass? 8: 1024);
        if (pass)
            for (size_t index = 0; index < size; index++)
                miner_docker_output_feed (output, stream + index, 1);
        else
            miner_docker_output_feed (output, stream, size);
        size_t got;
        const byte *out = miner_docker_output_data (output, 1, &got);
        if (pass) {
            CU_ASSERT (got == 8 && memcmp (out, "hello wo", 8) == 0);
            CU_ASSERT_TRUE (miner_docker_output_truncated (output, 1));
        }
        else {
            CU_ASSERT (got == 12 && memcmp (out, "hello world\n", 12) == 0);
            CU_ASSERT_FALSE (miner_docker_output_truncated (output, 1));
        }
        const byte *err = miner_docker_output_data (output, 2, &got);
        CU_ASSERT (got == (pass? 8u: 12u) && memcmp (err, "oops\nengine\n", got) == 0);
        char hex [65], want [65];
        miner_docker_output_sha256 (output, hex);
        s_sha256_hex ("hello world\n", 12, want);      //  all of stdout, even past the bound
        CU_ASSERT_STRING_EQUAL (hex, want);
        miner_docker_output_destroy (&output);
        CU_ASSERT_PTR_NULL (output);
    }
    CU_ASSERT_TRUE (miner_docker_image_valid ("fogrid/busybox:latest"));
    CU_ASSERT_TRUE (miner_docker_image_valid ("registry.local:5000/a/b@sha256:0123abcd"));
    CU_ASSERT_FALSE (miner_docker_image_valid ("busybox latest"));
    CU_ASSERT_FALSE (miner_docker_image_valid ("../../containers/json?"));
    CU_ASSERT_FALSE (miner_docker_image_valid (""));
}

//  What a tar reader saw: "TYPE NAME SIZE MODE LINK|content" per entry
typedef struct {
    char *seen;                 //  the entries, one line each
    size_t content;             //  bytes of content given
} s_tar_log_t;

static void
s_tar_entry (void *arg, const miner_tar_entry_t *entry)
{
    s_tar_log_t *log = (s_tar_log_t *) arg;
    char *line = zsys_sprintf ("%s%c %s %" PRIu64 " %o %s\n", log->seen? log->seen: "",
                               entry->type, entry->name, entry->size, entry->mode, entry->link);
    zstr_free (&log->seen);
    log->seen = line;
}

static void
s_tar_data (void *arg, const byte *data, size_t size)
{
    (void) data;
    ((s_tar_log_t *) arg)->content += size;
}

//  Archives as tar writes them (ustar, PAX and GNU long names), fed in
//  pieces of every size, and bytes that are not an archive
static void
test_tar_reader (void)
{
    char *dir = zsys_sprintf ("%s/tar", s_dir);
    char longname [160];
    memset (longname, 'n', 150);
    longname [150] = 0;
    int rc = ts_run (NULL, "mkdir -p %s/src/sub && cd %s/src && printf 12345 > sub/%s && "
                     "head -c 1000 /dev/zero > sub/zeros && ln -s /etc/passwd sub/link && "
                     "chmod 0640 sub/zeros && tar --format=pax -cf %s/pax.tar sub && "
                     "tar --format=gnu -cf %s/gnu.tar sub", dir, dir, longname, dir, dir);
    CU_ASSERT_EQUAL_FATAL (rc, 0);
    const char *archives [] = { "pax.tar", "gnu.tar" };
    for (size_t index = 0; index < 2; index++) {
        char *path = zsys_sprintf ("%s/%s", dir, archives [index]);
        zfile_t *file = zfile_new (NULL, path);
        CU_ASSERT_EQUAL_FATAL (zfile_input (file), 0);
        zchunk_t *chunk = zfile_read (file, zfile_cursize (file), 0);
        const byte *bytes = zchunk_data (chunk);
        size_t size = zchunk_size (chunk);
        char *first = NULL;
        for (size_t step = 1; step <= 1024; step = step * 3 + 1) {
            s_tar_log_t log = { NULL, 0 };
            miner_tar_t *tar = miner_tar_new (s_tar_entry, s_tar_data, &log);
            for (size_t at = 0; at < size; at += step)
                CU_ASSERT_EQUAL (miner_tar_feed (tar, bytes + at, at + step > size? size - at: step), 0);
            CU_ASSERT_TRUE (miner_tar_ended (tar));
            CU_ASSERT_EQUAL (log.content, 1005);
            CU_ASSERT_PTR_NOT_NULL (log.seen);
            if (log.seen) {
                char *want = zsys_sprintf ("0 sub/%s 5 ", longname);
                CU_ASSERT_PTR_NOT_NULL (strstr (log.seen, want));
                zstr_free (&want);
                CU_ASSERT_PTR_NOT_NULL (strstr (log.seen, "0 sub/zeros 1000 640 \n"));
                CU_ASSERT_PTR_NOT_NULL (strstr (log.seen, "2 sub/link 0 777 /etc/passwd\n"));
                CU_ASSERT_PTR_NOT_NULL (strstr (log.seen, "5 sub/ 0 "));
                //  Whatever the pieces, the same entries
                if (!first)
                    first = strdup (log.seen);
                else
                    CU_ASSERT_STRING_EQUAL (first, log.seen);
            }
            zstr_free (&log.seen);
            miner_tar_destroy (&tar);
        }
        zstr_free (&first);

        //  A header that is not one: the reading stops, and says why
        byte *broken = (byte *) malloc (size);
        memcpy (broken, bytes, size);
        broken [10] ^= 0x55;
        s_tar_log_t log = { NULL, 0 };
        miner_tar_t *tar = miner_tar_new (s_tar_entry, s_tar_data, &log);
        CU_ASSERT_EQUAL (miner_tar_feed (tar, broken, size), -1);
        CU_ASSERT_PTR_NOT_NULL (strstr (miner_tar_error (tar), "checksum"));
        CU_ASSERT_FALSE (miner_tar_ended (tar));
        CU_ASSERT_EQUAL (miner_tar_feed (tar, bytes, size), -1);    //  and stays stopped
        miner_tar_destroy (&tar);
        zstr_free (&log.seen);
        free (broken);
        zchunk_destroy (&chunk);
        zfile_destroy (&file);
        zstr_free (&path);
    }
    //  Text is not an archive
    s_tar_log_t log = { NULL, 0 };
    miner_tar_t *tar = miner_tar_new (s_tar_entry, s_tar_data, &log);
    byte text [1024];
    memset (text, 'a', sizeof text);
    CU_ASSERT_EQUAL (miner_tar_feed (tar, text, sizeof text), -1);
    CU_ASSERT_PTR_NULL (log.seen);
    miner_tar_destroy (&tar);
    zstr_free (&dir);
}

//  With docker off, a task with an image is refused clearly; a miner
//  that runs docker only refuses a bare process
static void
test_runtime_choice (void)
{
    s_spec_t spec;
    s_spec (&spec, 10, "echo", "hi", NULL);
    CU_ASSERT_STRING_EQUAL (miner_runner_runtime (&spec.spec), "docker");
    miner_runner_limits_t limits = { .work_root = s_dir };
    Fogrid__TaskResult *result = s_run ("t-off", &spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_EQUAL (result->exit_code, 127);
    CU_ASSERT_STRING_EQUAL (result->error, "runtime 'docker' is not available here (only 'process')");
    fogrid__task_result__free_unpacked (result, NULL);

    spec.spec.runtime = "process";          //  says process, names an image
    CU_ASSERT_STRING_EQUAL (miner_runner_runtime (&spec.spec), "process");
    result = s_run ("t-both", &spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_PTR_NOT_NULL (strstr (result->error, "needs the docker runtime"));
    fogrid__task_result__free_unpacked (result, NULL);

    spec.spec.image = "";
    spec.spec.runtime = "";
    CU_ASSERT_STRING_EQUAL (miner_runner_runtime (&spec.spec), "process");
    limits.no_process = true;
    result = s_run ("t-bare", &spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_STRING_EQUAL (result->error, "runtime 'process' is not available here (only 'docker')");
    fogrid__task_result__free_unpacked (result, NULL);

    //  The process runtime hashes stdout too
    limits.no_process = false;
    result = s_run ("t-proc", &spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    char want [65];
    s_sha256_hex ("hi\n", 3, want);
    CU_ASSERT_STRING_EQUAL (result->stdout_sha256, want);
    fogrid__task_result__free_unpacked (result, NULL);

    //  An engine that is not there
    miner_docker_t *docker = miner_docker_new ("/nonexistent/docker.sock", 1000);
    CU_ASSERT_EQUAL (miner_docker_ping (docker), -1);
    CU_ASSERT_EQUAL (miner_docker_status (docker), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (miner_docker_error (docker),
                                    "cannot reach the Docker engine at /nonexistent/docker.sock"));
    miner_docker_destroy (&docker);
    CU_ASSERT_PTR_NULL (docker);
}

//  --------------------------------------------------------------------------
//  With the engine

//  The client's calls one by one, as the runner strings them
static void
test_client (void)
{
    S_NEED_ENGINE ();
    miner_docker_t *docker = miner_docker_new (s_socket, 20000);
    CU_ASSERT_EQUAL (miner_docker_ping (docker), 0);
    CU_ASSERT_STRING_EQUAL (miner_docker_error (docker), "");
    char version [128];
    CU_ASSERT_EQUAL (miner_docker_version (docker, version, sizeof version), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (version, "(API 1."));
    CU_ASSERT_EQUAL (miner_docker_image_present (docker, S_IMAGE), 1);
    CU_ASSERT_EQUAL (miner_docker_image_present (docker, "fogrid/no-such-image:0"), 0);
    CU_ASSERT_EQUAL (miner_docker_image_present (docker, "no such"), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (miner_docker_error (docker), "not a valid image name"));

    const char *argv [] = { "sh", "-c", "echo out; echo err >&2; echo $GREETING; exit 5" };
    const char *env [] = { "GREETING=hi" };
    miner_docker_spec_t spec = {
        .image = S_IMAGE, .argv = argv, .argc = 3, .env = env, .envc = 1,
        .miner_id = s_miner_id, .task_ref = "t-client/1", .cores = 1, .mem_mb = 64,
        .pids_limit = 32
    };
    char id [80];
    CU_ASSERT_EQUAL_FATAL (miner_docker_create (docker, &spec, id, sizeof id), 0);
    CU_ASSERT_EQUAL (s_task_containers ("t-client"), 1);
    miner_docker_state_t state;
    CU_ASSERT_EQUAL (miner_docker_inspect (docker, id, &state), 0);
    CU_ASSERT_STRING_EQUAL (state.status, "created");
    CU_ASSERT_EQUAL (miner_docker_start (docker, id), 0);
    int64_t code = -1;
    CU_ASSERT_EQUAL (miner_docker_wait (docker, id, 20000, &code), 0);
    CU_ASSERT_EQUAL (code, 5);
    CU_ASSERT_EQUAL (miner_docker_inspect (docker, id, &state), 0);
    CU_ASSERT_STRING_EQUAL (state.status, "exited");
    CU_ASSERT_FALSE (state.running);
    CU_ASSERT_FALSE (state.oom_killed);
    CU_ASSERT_EQUAL (state.exit_code, 5);
    miner_docker_output_t *output = miner_docker_output_new (1024);
    CU_ASSERT_EQUAL (miner_docker_logs (docker, id, output), 0);
    size_t size;
    const byte *data = miner_docker_output_data (output, 1, &size);
    CU_ASSERT (size == 7 && memcmp (data, "out\nhi\n", 7) == 0);
    data = miner_docker_output_data (output, 2, &size);
    CU_ASSERT (size == 4 && memcmp (data, "err\n", 4) == 0);
    miner_docker_output_destroy (&output);
    CU_ASSERT_EQUAL (miner_docker_kill (docker, id, SIGKILL), 0);   //  not running: fine
    CU_ASSERT_EQUAL (miner_docker_remove (docker, id), 0);
    CU_ASSERT_EQUAL (miner_docker_remove (docker, id), 0);          //  gone: fine
    CU_ASSERT_EQUAL (miner_docker_inspect (docker, id, &state), -1);
    CU_ASSERT_EQUAL (miner_docker_status (docker), 404);
    CU_ASSERT_EQUAL (s_task_containers ("t-client"), 0);

    //  A wait that times out says so (1), and the container is still there
    const char *sleep_argv [] = { "sleep", "30" };
    spec.argv = sleep_argv;
    spec.argc = 2;
    CU_ASSERT_EQUAL_FATAL (miner_docker_create (docker, &spec, id, sizeof id), 0);
    CU_ASSERT_EQUAL (miner_docker_start (docker, id), 0);
    int64_t start = zclock_mono ();
    CU_ASSERT_EQUAL (miner_docker_wait (docker, id, 300, &code), 1);
    CU_ASSERT (zclock_mono () - start < 2000);
    CU_ASSERT_EQUAL (miner_docker_inspect (docker, id, &state), 0);
    CU_ASSERT_TRUE (state.running);
    CU_ASSERT_EQUAL (miner_docker_remove (docker, id), 0);          //  running: forced
    CU_ASSERT_EQUAL (s_task_containers ("t-client"), 0);

    //  The Engine API speaks JSON, which holds UTF-8 only: an argument or
    //  an env entry of other bytes is refused, saying which, never left
    //  out of the command (echo would run without it)
    const char *bad_argv [] = { "echo", "caf\xe9", "x" };
    spec.argv = bad_argv;
    spec.argc = 3;
    CU_ASSERT_EQUAL (miner_docker_create (docker, &spec, id, sizeof id), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (miner_docker_error (docker), "argument 2 is not UTF-8"));
    spec.argv = argv;
    const char *bad_env [] = { "OK=1", "GREETING=\xff" };
    spec.env = bad_env;
    spec.envc = 2;
    CU_ASSERT_EQUAL (miner_docker_create (docker, &spec, id, sizeof id), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (miner_docker_error (docker), "env entry 2 is not UTF-8"));
    CU_ASSERT_EQUAL (s_task_containers ("t-client"), 0);
    miner_docker_destroy (&docker);
}

static void
test_batch_task (void)
{
    S_NEED_ENGINE ();
    s_spec_t spec;
    s_spec (&spec, 30, "sh", "-c",
            "echo hello; echo oops >&2; echo $FOGRID_TASK_ID/$FOGRID_ATTEMPT $COLOR; exit 3", NULL);
    spec.env [0] = "COLOR=blue";
    spec.env [1] = "FOGRID_TASK_ID=forged";     //  facts are not settings
    spec.spec.n_env = 2;
    miner_runner_limits_t limits = s_limits ();
    int64_t before = fg_now_ms ();
    Fogrid__TaskResult *result = s_run ("t-batch", &spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_STRING_EQUAL (result->task_id, "t-batch");
    CU_ASSERT_EQUAL (result->attempt, 1);
    CU_ASSERT_STRING_EQUAL (result->error, "");
    CU_ASSERT_EQUAL (result->exit_code, 3);
    CU_ASSERT_EQUAL (result->term_signal, 0);
    CU_ASSERT_FALSE (result->timed_out);
    const char *want = "hello\nt-batch/1 blue\n";
    CU_ASSERT_EQUAL (result->stdout.len, strlen (want));
    CU_ASSERT (result->stdout.len == strlen (want)
               && memcmp (result->stdout.data, want, strlen (want)) == 0);
    CU_ASSERT (result->stderr.len == 5 && memcmp (result->stderr.data, "oops\n", 5) == 0);
    char hex [65];
    s_sha256_hex (want, strlen (want), hex);
    CU_ASSERT_STRING_EQUAL (result->stdout_sha256, hex);
    CU_ASSERT (result->started_ms >= (uint64_t) before);
    CU_ASSERT (result->ended_ms >= result->started_ms);
    fogrid__task_result__free_unpacked (result, NULL);
    CU_ASSERT_EQUAL (s_task_containers ("t-batch"), 0);

    //  Success, and stdin is closed (cat ends at once)
    s_spec (&spec, 30, "cat", NULL);
    result = s_run ("t-cat", &spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_EQUAL (result->exit_code, 0);
    CU_ASSERT_EQUAL (result->stdout.len, 0);
    s_sha256_hex ("", 0, hex);
    CU_ASSERT_STRING_EQUAL (result->stdout_sha256, hex);
    fogrid__task_result__free_unpacked (result, NULL);

    //  A read-only root file system still has a /tmp
    limits.docker_readonly = true;
    s_spec (&spec, 30, "sh", "-c", "echo x > /tmp/ok && cat /tmp/ok && echo y > /y", NULL);
    result = s_run ("t-readonly", &spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT (result->stdout.len == 2 && memcmp (result->stdout.data, "x\n", 2) == 0);
    CU_ASSERT_NOT_EQUAL (result->exit_code, 0);
    CU_ASSERT_PTR_NOT_NULL (memmem (result->stderr.data, result->stderr.len, "Read-only", 9));
    fogrid__task_result__free_unpacked (result, NULL);
    CU_ASSERT_EQUAL (s_containers (MINER_DOCKER_LABEL_MINER, s_miner_id), 0);
}

static void
test_output_bound (void)
{
    S_NEED_ENGINE ();
    s_spec_t spec;
    s_spec (&spec, 30, "sh", "-c", "head -c 300000 /dev/zero; head -c 10 /dev/zero >&2", NULL);
    miner_runner_limits_t limits = s_limits ();
    limits.max_output = 1024;
    Fogrid__TaskResult *result = s_run ("t-bound", &spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_EQUAL (result->exit_code, 0);
    CU_ASSERT_EQUAL (result->stdout.len, 1024);
    CU_ASSERT_TRUE (result->stdout_truncated);
    CU_ASSERT_EQUAL (result->stderr.len, 10);
    CU_ASSERT_FALSE (result->stderr_truncated);
    byte *zeros = (byte *) zmalloc (300000);
    char hex [65];
    s_sha256_hex (zeros, 300000, hex);      //  the whole of stdout, not the part kept
    CU_ASSERT_STRING_EQUAL (result->stdout_sha256, hex);
    free (zeros);
    fogrid__task_result__free_unpacked (result, NULL);
    CU_ASSERT_EQUAL (s_task_containers ("t-bound"), 0);
}

//  A file and a directory copied out of the container through the
//  engine's archive, also when the task fails; a relative path from the
//  image's working directory; a missing path and a symbolic link say so
static void
test_output_files (void)
{
    S_NEED_ENGINE ();
    s_spec_t spec;
    s_spec (&spec, 30, "sh", "-c",
            "mkdir -p /out/dir/sub && echo 42 > /out/result.txt && printf a > /out/dir/a.txt && "
            "printf bb > /out/dir/sub/b.txt && busybox chmod 0750 /out/dir/a.txt && "
            "busybox ln -s /etc/passwd /out/dir/link && echo here > rel.txt; exit 4", NULL);
    char *outputs [] = { "/out/result.txt", "/out/dir/", "/out/missing", "rel.txt" };
    spec.spec.outputs = outputs;
    spec.spec.n_outputs = 4;
    miner_runner_limits_t limits = s_limits ();
    Fogrid__TaskResult *result = s_run ("t-files", &spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_EQUAL (result->exit_code, 4);
    CU_ASSERT_STRING_EQUAL (result->error, "");
    Fogrid__OutputFile *file = ts_output_file (result, "out/result.txt");
    CU_ASSERT (ts_output_is (file, "42\n"));
    CU_ASSERT (file && file->size == 3 && !file->truncated && !*file->error);
    file = ts_output_file (result, "out/dir");
    CU_ASSERT (file && file->dir && !*file->error);
    file = ts_output_file (result, "out/dir/a.txt");
    CU_ASSERT (ts_output_is (file, "a"));
    CU_ASSERT (file && file->mode == 0750);
    CU_ASSERT (ts_output_is (ts_output_file (result, "out/dir/sub/b.txt"), "bb"));
    file = ts_output_file (result, "out/dir/link");
    CU_ASSERT (file && strstr (file->error, "a symbolic link (to /etc/passwd): not copied"));
    CU_ASSERT (file && file->content.len == 0);
    file = ts_output_file (result, "out/missing");
    CU_ASSERT (file && streq (file->error, "no such file or directory in the container"));
    CU_ASSERT (ts_output_is (ts_output_file (result, "rel.txt"), "here\n"));     //  from /work
    for (size_t index = 0; index < result->n_files; index++)
        fg_debug ("  %s%s: %zu bytes %s", result->files [index]->path,
                  result->files [index]->dir? "/": "", result->files [index]->content.len,
                  result->files [index]->error);
    fogrid__task_result__free_unpacked (result, NULL);
    CU_ASSERT_EQUAL (s_task_containers ("t-files"), 0);
}

//  Output files past the miner's bound: the archive is read no further
//  than the bound, the file that crosses it is cut, later ones are left
//  out, and the entries say so
static void
test_output_files_bound (void)
{
    S_NEED_ENGINE ();
    s_spec_t spec;
    s_spec (&spec, 30, "sh", "-c",
            "mkdir -p /out/d && head -c 3000000 /dev/zero > /out/big && "
            "for i in $(seq 1 100); do echo file $i > /out/d/f$i; done", NULL);
    char *outputs [] = { "/out/big", "/out/d", "/out/missing" };
    spec.spec.outputs = outputs;
    spec.spec.n_outputs = 3;
    miner_runner_limits_t limits = s_limits ();
    limits.max_output_files = 8192;
    int64_t start = zclock_mono ();
    Fogrid__TaskResult *result = s_run ("t-filebound", &spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_EQUAL (result->exit_code, 0);
    Fogrid__OutputFile *big = ts_output_file (result, "out/big");
    CU_ASSERT (big && big->truncated && big->size == 3000000);
    CU_ASSERT (big && big->content.len > 7000 && big->content.len < 8192);
    CU_ASSERT (big && strstr (big->error, "of 3000000 bytes: over the miner's bound of 8192"));
    Fogrid__OutputFile *dir = ts_output_file (result, "out/d");
    CU_ASSERT (dir && strstr (dir->error, "left out: over the miner's bound of 8192 bytes"));
    CU_ASSERT (dir && !dir->dir && dir->content.len == 0);
    Fogrid__OutputFile *missing = ts_output_file (result, "out/missing");
    CU_ASSERT (missing && strstr (missing->error, "left out"));
    size_t total = 0;
    for (size_t index = 0; index < result->n_files; index++)
        total += result->files [index]->content.len;
    CU_ASSERT (total < 8192);
    printf ("\n    3 MB file, bound 8 KB: %zu bytes kept, %" PRId64 " ms ", total,
            zclock_mono () - start);
    fogrid__task_result__free_unpacked (result, NULL);

    //  A directory over the bound: what fits, then a note on it
    char *dir_only [] = { "/out/d" };
    spec.spec.outputs = dir_only;
    spec.spec.n_outputs = 1;
    limits.max_output_files = 4096;
    result = s_run ("t-dirbound", &spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    dir = ts_output_file (result, "out/d");
    CU_ASSERT (dir && dir->dir && strstr (dir->error, "the rest of it left out"));
    size_t kept = 0;
    for (size_t index = 0; index < result->n_files; index++)
        kept += strncmp (result->files [index]->path, "out/d/f", 7) == 0;
    CU_ASSERT (kept > 10 && kept < 100);
    fogrid__task_result__free_unpacked (result, NULL);
    CU_ASSERT_EQUAL (s_containers (MINER_DOCKER_LABEL_MINER, s_miner_id), 0);
}

static bool
s_running_usage (void *arg)
{
    uint64_t cpu_ms, mem_bytes;
    miner_runner_usage ((miner_runner_t *) arg, &cpu_ms, &mem_bytes);
    return cpu_ms > 0 && mem_bytes > 0;
}

//  The engine's figures while the container runs, and the last of them
//  in the result: a peak above what it allocated, CPU of a busy loop
static void
test_usage (void)
{
    S_NEED_ENGINE ();
    s_spec_t spec;
    s_spec (&spec, 30, "sh", "-c", "dd if=/dev/zero of=/dev/null bs=64M count=1; sleep 1", NULL);
    miner_runner_limits_t limits = s_limits ();
    limits.stats_interval_ms = 300;
    Fogrid__TaskResult *result = s_run ("t-mem", &spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_EQUAL (result->exit_code, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result->usage);
    CU_ASSERT (result->usage->mem_peak_bytes > 50 * 1024 * 1024);
    CU_ASSERT (result->usage->mem_peak_bytes < 1024 * 1024 * 1024);
    CU_ASSERT (result->usage->pids_peak >= 1 && result->usage->pids_peak < 64);
    printf ("\n    dd 64M: peak %.1f MB, %u processes ",
            result->usage->mem_peak_bytes / 1048576.0, result->usage->pids_peak);
    fogrid__task_result__free_unpacked (result, NULL);

    s_spec (&spec, 30, "sh", "-c", "end=$(($(date +%s) + 2)); "
            "while [ $(date +%s) -lt $end ]; do :; done", NULL);
    int64_t start = zclock_mono ();
    miner_runner_t *runner = miner_runner_new ("t-busy", 1, &spec.spec, &limits);
    CU_ASSERT (ts_wait_for (s_running_usage, runner, 10000));
    result = miner_runner_result (runner, 30000);
    int64_t wall_ms = zclock_mono () - start;
    miner_runner_destroy (&runner);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result->usage);
    long cores = sysconf (_SC_NPROCESSORS_ONLN);
    CU_ASSERT (result->usage->cpu_ms > 100);
    CU_ASSERT (result->usage->cpu_ms <= (uint64_t) (wall_ms * (cores > 0? cores: 1)));
    printf ("busy loop: cpu %" PRIu64 " ms in %" PRId64 " ms ", result->usage->cpu_ms, wall_ms);
    fogrid__task_result__free_unpacked (result, NULL);
    CU_ASSERT_EQUAL (s_containers (MINER_DOCKER_LABEL_MINER, s_miner_id), 0);
}

//  Memory, pids, cores, no network, no capabilities, no new privileges
static void
test_limits (void)
{
    S_NEED_ENGINE ();
    s_spec_t spec;
    s_spec (&spec, 30, "sh", "-c",
            "ls /sys/class/net; grep -E 'CapEff|NoNewPrivs' /proc/self/status | tr -d '\\t';"
            "cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max 2>/dev/null;"
            "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max 2>/dev/null",
            NULL);
    spec.spec.mem_mb = 48;
    miner_runner_limits_t limits = s_limits ();
    Fogrid__TaskResult *result = s_run ("t-limits", &spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    char *out = strndup ((char *) result->stdout.data, result->stdout.len);
    CU_ASSERT_STRING_EQUAL (out, "lo\nCapEff:0000000000000000\nNoNewPrivs:1\n64\n50331648\n");
    if (!streq (out, "lo\nCapEff:0000000000000000\nNoNewPrivs:1\n64\n50331648\n"))
        printf ("\ngot: %s\n", out);
    free (out);
    fogrid__task_result__free_unpacked (result, NULL);

    //  Past its memory: the kernel kills it, and the result says so. The
    //  memory is written from user space (awk filling a string): a
    //  kernel copy into it (dd's read) may fail with ENOMEM instead
    s_spec (&spec, 30, "awk", "BEGIN { s = sprintf (\"%100000000s\", \"\") }", NULL);
    spec.spec.mem_mb = 32;
    result = s_run ("t-oom", &spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_STRING_EQUAL (result->error, "killed: out of memory (limit 32 MB)");
    CU_ASSERT_EQUAL (result->exit_code, -1);
    CU_ASSERT_EQUAL (result->term_signal, SIGKILL);
    CU_ASSERT_FALSE (result->timed_out);
    fogrid__task_result__free_unpacked (result, NULL);

    //  Within it: fine
    s_spec (&spec, 30, "dd", "if=/dev/zero", "of=/dev/null", "bs=8M", "count=1", NULL);
    result = s_run ("t-fits", &spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_EQUAL (result->exit_code, 0);
    CU_ASSERT_STRING_EQUAL (result->error, "");
    fogrid__task_result__free_unpacked (result, NULL);

    //  A task that names no memory still gets a limit: what the miner offers
    s_spec (&spec, 30, "sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes "
            "/sys/fs/cgroup/memory.max 2>/dev/null", NULL);
    limits.offered_mem_mb = 96;
    result = s_run ("t-offered", &spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    char *cap = strndup ((char *) result->stdout.data, result->stdout.len);
    CU_ASSERT_STRING_EQUAL (cap, "100663296\n");
    free (cap);
    fogrid__task_result__free_unpacked (result, NULL);
    CU_ASSERT_EQUAL (s_containers (MINER_DOCKER_LABEL_MINER, s_miner_id), 0);
}

static void
test_timeout (void)
{
    S_NEED_ENGINE ();
    //  sleep is PID 1 in its namespace: it ignores SIGTERM, SIGKILL follows
    s_spec_t spec;
    s_spec (&spec, 1, "sleep", "30", NULL);
    miner_runner_limits_t limits = s_limits ();
    int64_t start = zclock_mono ();
    Fogrid__TaskResult *result = s_run ("t-timeout", &spec, &limits);
    int64_t elapsed = zclock_mono () - start;
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_TRUE (result->timed_out);
    CU_ASSERT_EQUAL (result->exit_code, -1);
    CU_ASSERT_EQUAL (result->term_signal, SIGKILL);
    CU_ASSERT_STRING_EQUAL (result->error, "");
    CU_ASSERT (elapsed >= 1000 && elapsed < 8000);
    fogrid__task_result__free_unpacked (result, NULL);
    CU_ASSERT_EQUAL (s_task_containers ("t-timeout"), 0);

    //  A task that handles SIGTERM ends by itself within the grace
    s_spec (&spec, 1, "sh", "-c", "trap 'echo bye; exit 7' TERM; echo up; sleep 30 & wait", NULL);
    result = s_run ("t-graceful", &spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_TRUE (result->timed_out);
    CU_ASSERT_EQUAL (result->exit_code, 7);
    CU_ASSERT (result->stdout.len == 7 && memcmp (result->stdout.data, "up\nbye\n", 7) == 0);
    fogrid__task_result__free_unpacked (result, NULL);
    CU_ASSERT_EQUAL (s_task_containers ("t-graceful"), 0);
}

static void
test_kill (void)
{
    S_NEED_ENGINE ();
    s_spec_t spec;
    s_spec (&spec, 60, "sleep", "30", NULL);
    miner_runner_limits_t limits = s_limits ();
    miner_runner_t *runner = miner_runner_new ("t-kill", 1, &spec.spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (runner);
    CU_ASSERT_EQUAL (miner_runner_pid (runner), 0);
    CU_ASSERT (ts_wait_for (s_task_running, "t-kill", 10000));
    CU_ASSERT_PTR_NULL (miner_runner_result (runner, 300));     //  still running
    int64_t start = zclock_mono ();
    miner_runner_kill (runner);
    CU_ASSERT_TRUE (miner_runner_killed (runner));
    Fogrid__TaskResult *result = miner_runner_result (runner, 10000);
    CU_ASSERT (zclock_mono () - start < 5000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_STRING_EQUAL (result->error, "killed");
    CU_ASSERT_EQUAL (result->term_signal, SIGKILL);
    fogrid__task_result__free_unpacked (result, NULL);
    //  Removed before the result came
    CU_ASSERT_EQUAL (s_task_containers ("t-kill"), 0);
    miner_runner_destroy (&runner);

    //  Destroyed while it runs: no result, nothing left once destroy returns
    runner = miner_runner_new ("t-destroy", 1, &spec.spec, &limits);
    CU_ASSERT (ts_wait_for (s_task_running, "t-destroy", 10000));
    start = zclock_mono ();
    miner_runner_destroy (&runner);
    CU_ASSERT (zclock_mono () - start < 5000);
    CU_ASSERT_EQUAL (s_task_containers ("t-destroy"), 0);

    //  Destroyed at once, before its container exists or while it is made
    runner = miner_runner_new ("t-early", 1, &spec.spec, &limits);
    miner_runner_destroy (&runner);
    CU_ASSERT_EQUAL (s_task_containers ("t-early"), 0);
}

static void
test_cannot_run (void)
{
    S_NEED_ENGINE ();
    s_spec_t spec;
    s_spec (&spec, 30, "true", NULL);
    spec.spec.image = "fogrid/no-such-image:1";
    miner_runner_limits_t limits = s_limits ();
    Fogrid__TaskResult *result = s_run ("t-noimage", &spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_EQUAL (result->exit_code, 127);
    const char *want = "image fogrid/no-such-image:1 is not present and cannot be pulled: ";
    CU_ASSERT_EQUAL (strncmp (result->error, want, strlen (want)), 0);
    printf ("\n    (%s) ", result->error);
    fogrid__task_result__free_unpacked (result, NULL);

    spec.spec.image = "no such image";
    result = s_run ("t-badimage", &spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_STRING_EQUAL (result->error, "'no such image' is not a valid image name");
    fogrid__task_result__free_unpacked (result, NULL);

    spec.spec.image = S_IMAGE;
    s_spec (&spec, 30, "no-such-program-fogrid", NULL);
    result = s_run ("t-noprogram", &spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_EQUAL (result->exit_code, 127);
    CU_ASSERT_PTR_NOT_NULL (strstr (result->error, "cannot start the container"));
    CU_ASSERT_PTR_NOT_NULL (strstr (result->error, "no-such-program-fogrid"));
    fogrid__task_result__free_unpacked (result, NULL);

    s_spec (&spec, 30, "true", NULL);
    spec.env [0] = "NOT AN ENTRY";
    spec.spec.n_env = 1;
    result = s_run ("t-badenv", &spec, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL (result);
    CU_ASSERT_STRING_EQUAL (result->error, "environment entry 'NOT AN ENTRY' is not KEY=VALUE");
    fogrid__task_result__free_unpacked (result, NULL);
    CU_ASSERT_EQUAL (s_containers (MINER_DOCKER_LABEL_MINER, s_miner_id), 0);
}

//  A miner removes its own leftovers and nobody else's
static void
test_clean (void)
{
    S_NEED_ENGINE ();
    miner_docker_t *docker = miner_docker_new (s_socket, 20000);
    const char *argv [] = { "sleep", "30" };
    miner_docker_spec_t spec = {
        .image = S_IMAGE, .argv = argv, .argc = 2, .miner_id = s_miner_id, .task_ref = "t-orphan/1"
    };
    char id [80], other_id [80];
    CU_ASSERT_EQUAL_FATAL (miner_docker_create (docker, &spec, id, sizeof id), 0);
    CU_ASSERT_EQUAL (miner_docker_start (docker, id), 0);
    CU_ASSERT_EQUAL_FATAL (miner_docker_create (docker, &spec, id, sizeof id), 0);
    char other [64];
    snprintf (other, sizeof other, "%s-other", s_miner_id);
    spec.miner_id = other;
    CU_ASSERT_EQUAL_FATAL (miner_docker_create (docker, &spec, other_id, sizeof other_id), 0);

    char err [256] = "";
    CU_ASSERT_EQUAL (miner_docker_runner_clean (s_socket, s_miner_id, 20000, err, sizeof err), 2);
    CU_ASSERT_EQUAL (s_containers (MINER_DOCKER_LABEL_MINER, s_miner_id), 0);
    CU_ASSERT_EQUAL (s_containers (MINER_DOCKER_LABEL_MINER, other), 1);
    CU_ASSERT_EQUAL (miner_docker_runner_clean (s_socket, s_miner_id, 20000, err, sizeof err), 0);
    CU_ASSERT_EQUAL (miner_docker_remove (docker, other_id), 0);
    CU_ASSERT_EQUAL (miner_docker_runner_clean ("/nonexistent.sock", s_miner_id, 1000, err,
                                                sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (err, "cannot reach the Docker engine"));
    miner_docker_destroy (&docker);
}

//  --------------------------------------------------------------------------
//  The miner: config, and the fogrid-miner program against a fake hub

//  Waits for a hello and welcomes it; returns the hello.
static fg_env_t *
s_hub_accept (tm_hub_t *hub)
{
    fg_env_t *hello = tm_hub_expect (hub, FOGRID__ENVELOPE__BODY_MINER_HELLO, 10000);
    if (hello) {
        Fogrid__MinerWelcome welcome = FOGRID__MINER_WELCOME__INIT;
        welcome.heartbeat_ms = 200;
        fg_env_t env = FOGRID__ENVELOPE__INIT;
        env.seq = hello->seq;
        env.body_case = FOGRID__ENVELOPE__BODY_MINER_WELCOME;
        env.miner_welcome = &welcome;
        fg_msg_send (hub->router, hub->peer, &env);
    }
    return hello;
}

static void
s_hub_assign (tm_hub_t *hub, const char *task_id, const char *script)
{
    char *argv [] = { "sh", "-c", (char *) script };
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.argv = argv;
    spec.n_argv = 3;
    spec.image = S_IMAGE;
    spec.timeout_s = 60;
    Fogrid__TaskAssign assign = FOGRID__TASK_ASSIGN__INIT;
    assign.task_id = (char *) task_id;
    assign.attempt = 1;
    assign.spec = &spec;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = 1;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_ASSIGN;
    env.task_assign = &assign;
    CU_ASSERT_EQUAL (fg_msg_send (hub->router, hub->peer, &env), 0);
}

static void
test_miner_config (void)
{
    const char *good [] = { "process", "docker", "auto", "process,docker", "docker,process" };
    const char *bad [] = { "wasm", "", "docker,wasm", "auto,docker" };
    char err [256];
    for (size_t index = 0; index < 5 + 4; index++) {
        fg_config_t *config = fg_config_new (miner_agent_defs);
        fg_config_set (config, "miner/hubs", "tcp://127.0.0.1:1");
        fg_config_set (config, "security/insecure", "1");
        const char *runtime = index < 5? good [index]: bad [index - 5];
        CU_ASSERT_EQUAL (fg_config_set (config, "miner/runtime", runtime), 0);
        int rc = miner_agent_check_config (config, err, sizeof err);
        CU_ASSERT_EQUAL (rc, index < 5? 0: -1);
        if (index >= 5)
            CU_ASSERT_PTR_NOT_NULL (strstr (err, "miner/runtime"));
        fg_config_destroy (&config);
    }

    //  docker wanted, no engine there: the miner does not start, and says why
    char *data = zsys_sprintf ("%s/config", s_dir);
    char *output = NULL;
    int rc = ts_run (&output, "timeout 20 %s --hub tcp://127.0.0.1:1 --data %s "
                     "-o security/insecure=1 -o miner/runtime=docker "
                     "-o miner/docker_socket=/nonexistent/docker.sock", ts_bin ("fogrid-miner"), data);
    CU_ASSERT_EQUAL (rc, 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "miner/runtime is docker but no Docker engine answers "
                                    "at /nonexistent/docker.sock"));
    free (output);

    //  auto without an engine: process, and the hello says so
    tm_hub_t hub;
    tm_hub_open (&hub);
    ts_proc_t *miner = ts_proc_start (s_dir, "miner-auto", "fogrid-miner", "--hub", hub.endpoint,
                                      "--data", data, "-o", "security/insecure=1",
                                      "-o", "miner/runtime=auto",
                                      "-o", "miner/docker_socket=/nonexistent/docker.sock", NULL);
    fg_env_t *hello = s_hub_accept (&hub);
    CU_ASSERT_PTR_NOT_NULL (hello);
    if (hello) {
        Fogrid__Resources *res = hello->miner_hello->resources;
        CU_ASSERT_EQUAL (res->n_runtimes, 1);
        CU_ASSERT (res->n_runtimes == 1 && streq (res->runtimes [0], "process"));
    }
    else
        ts_proc_dump_log (miner);
    fg_msg_free (&hello);
    CU_ASSERT_EQUAL (ts_proc_stop (&miner, 5000), 0);
    tm_hub_close (&hub);
    zstr_free (&data);
}

//  The real program with runtime auto: it offers docker, runs a task in a
//  container; killed during a task, it leaves a container, which its next
//  start removes; stopped during a task, it leaves none
static void
test_miner_restart (void)
{
    S_NEED_ENGINE ();
    char *data = zsys_sprintf ("%s/restart", s_dir);
    char miner_id [40], socket_opt [300];
    fg_id_new ("m-drestart", miner_id, sizeof miner_id);
    char *id_opt = zsys_sprintf ("miner/id=%s", miner_id);
    snprintf (socket_opt, sizeof socket_opt, "miner/docker_socket=%s", s_socket);
    tm_hub_t hub;
    tm_hub_open (&hub);
    ts_proc_t *miner = ts_proc_start (s_dir, "miner-docker", "fogrid-miner", "--hub", hub.endpoint,
                                      "--data", data, "-o", "security/insecure=1",
                                      "-o", "miner/runtime=auto", "-o", socket_opt,
                                      "-o", id_opt, NULL);
    fg_env_t *hello = s_hub_accept (&hub);
    CU_ASSERT_PTR_NOT_NULL (hello);
    if (!hello) {
        ts_proc_dump_log (miner);
        goto done;
    }
    Fogrid__Resources *res = hello->miner_hello->resources;
    CU_ASSERT (res->n_runtimes == 1 && streq (res->runtimes [0], "docker"));
    fg_msg_free (&hello);

    //  A task through the hub's protocol
    s_hub_assign (&hub, "t-wire", "echo from a container; exit 2");
    fg_env_t *result = tm_hub_expect (&hub, FOGRID__ENVELOPE__BODY_TASK_RESULT, 30000);
    CU_ASSERT_PTR_NOT_NULL (result);
    if (result) {
        Fogrid__TaskResult *r = result->task_result;
        CU_ASSERT_STRING_EQUAL (r->task_id, "t-wire");
        CU_ASSERT_EQUAL (r->exit_code, 2);
        CU_ASSERT_STRING_EQUAL (r->error, "");
        const char *want = "from a container\n";
        CU_ASSERT (r->stdout.len == strlen (want) && memcmp (r->stdout.data, want, r->stdout.len) == 0);
        char hex [65];
        s_sha256_hex (want, strlen (want), hex);
        CU_ASSERT_STRING_EQUAL (r->stdout_sha256, hex);
        fg_msg_free (&result);
    }
    else
        ts_proc_dump_log (miner);

    //  Killed (a crash) during a task: its container outlives it...
    s_hub_assign (&hub, "t-crash", "sleep 60");
    CU_ASSERT (ts_wait_for (s_task_running, "t-crash", 15000));
    ts_proc_kill (&miner);
    zclock_sleep (300);
    CU_ASSERT_EQUAL (s_containers (MINER_DOCKER_LABEL_MINER, miner_id), 1);
    //  ...until the miner starts again
    miner = ts_proc_start (s_dir, "miner-docker-2", "fogrid-miner", "--hub", hub.endpoint,
                           "--data", data, "-o", "security/insecure=1",
                           "-o", "miner/runtime=docker", "-o", socket_opt, "-o", id_opt, NULL);
    hello = s_hub_accept (&hub);
    CU_ASSERT_PTR_NOT_NULL (hello);
    if (hello) {
        CU_ASSERT_EQUAL (hello->miner_hello->n_running, 0);
    }
    else
        ts_proc_dump_log (miner);
    fg_msg_free (&hello);
    CU_ASSERT_EQUAL (s_containers (MINER_DOCKER_LABEL_MINER, miner_id), 0);

    //  Stopped during a task: the container goes with it
    s_hub_assign (&hub, "t-stop", "sleep 60");
    CU_ASSERT (ts_wait_for (s_task_running, "t-stop", 15000));
    CU_ASSERT_EQUAL (ts_proc_stop (&miner, 10000), 0);
    CU_ASSERT_EQUAL (s_containers (MINER_DOCKER_LABEL_MINER, miner_id), 0);

done:
    if (miner)
        ts_proc_kill (&miner);
    char err [256];
    miner_docker_runner_clean (s_socket, miner_id, 10000, err, sizeof err);
    tm_hub_close (&hub);
    zstr_free (&id_opt);
    zstr_free (&data);
}

//  --------------------------------------------------------------------------
//  Through a hub: `fogrid submit --output`, the files stored with the
//  result, `fogrid result --files DIR` writing them, `fogrid status` and
//  `fogrid result` showing what the task used

typedef struct {
    char dir [600];             //  its logs and data
    char hub [64];              //  the buyers' endpoint
    ts_proc_t *hub_proc;
    ts_proc_t *miner;
    char miner_id [40];
} s_grid_t;

//  The CLI against grid's hub; its exit status, *output its stdout+stderr.
static int
s_fogrid (s_grid_t *grid, char **output, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *command = zsys_vprintf (format, args);
    va_end (args);
    int rc = ts_run (output, "%s --insecure -T 5000 -H %s %s", ts_bin ("fogrid"), grid->hub,
                     command);
    zstr_free (&command);
    return rc;
}

static bool
s_grid_miner_ready (void *arg)
{
    s_grid_t *grid = (s_grid_t *) arg;
    char *output = NULL;
    int rc = s_fogrid (grid, &output, "miners");
    bool ready = rc == 0 && strstr (output, grid->miner_id) && strstr (output, " connected ");
    free (output);
    return ready;
}

static int
s_grid_up (s_grid_t *grid)
{
    memset (grid, 0, sizeof *grid);
    snprintf (grid->dir, sizeof grid->dir, "%s/grid", s_dir);
    fg_id_new ("m-dfiles", grid->miner_id, sizeof grid->miner_id);
    char miners [64], hub_data [700], miner_data [700], id_opt [64], socket_opt [300];
    snprintf (grid->hub, sizeof grid->hub, "tcp://127.0.0.1:%d", ts_free_port ());
    snprintf (miners, sizeof miners, "tcp://127.0.0.1:%d", ts_free_port ());
    snprintf (hub_data, sizeof hub_data, "%s/hub", grid->dir);
    snprintf (miner_data, sizeof miner_data, "%s/miner", grid->dir);
    snprintf (id_opt, sizeof id_opt, "miner/id=%s", grid->miner_id);
    snprintf (socket_opt, sizeof socket_opt, "miner/docker_socket=%s", s_socket);
    zsys_dir_create ("%s", grid->dir);
    grid->hub_proc = ts_proc_start (grid->dir, "hub", "fogrid-hub", "--buyers", grid->hub,
                                    "--miners", miners, "--data", hub_data, "--locator", "",
                                    "-o", "security/insecure=1", "-o", "hub/http=",
                                    "-o", "hub/heartbeat_ms=200", NULL);
    grid->miner = ts_proc_start (grid->dir, "miner", "fogrid-miner", "--hub", miners,
                                 "--data", miner_data, "-o", "security/insecure=1",
                                 "-o", "miner/runtime=docker", "-o", socket_opt, "-o", id_opt,
                                 "-o", "miner/http=", "-o", "miner/max_output_files=65536",
                                 "-o", "miner/stats_interval_ms=200", NULL);
    if (ts_wait_for (s_grid_miner_ready, grid, 20000))
        return 0;
    printf ("\n    the grid did not come up ");
    ts_proc_dump_log (grid->hub_proc);
    ts_proc_dump_log (grid->miner);
    return -1;
}

static void
s_grid_down (s_grid_t *grid)
{
    if (grid->miner)
        CU_ASSERT_EQUAL (ts_proc_stop (&grid->miner, 10000), 0);
    if (grid->hub_proc)
        CU_ASSERT_EQUAL (ts_proc_stop (&grid->hub_proc, 5000), 0);
    char err [256];
    miner_docker_runner_clean (s_socket, grid->miner_id, 10000, err, sizeof err);
}

//  Submits args, waits for the task; its id into task_id [32].
static int
s_grid_task (s_grid_t *grid, const char *args, char *task_id)
{
    char *output = NULL;
    int rc = s_fogrid (grid, &output, "submit %s", args);
    CU_ASSERT_EQUAL (rc, 0);
    snprintf (task_id, 32, "%.*s", (int) strcspn (output? output: "", "\n"), output? output: "");
    free (output);
    if (rc)
        return -1;
    rc = s_fogrid (grid, &output, "-T 60000 wait %s", task_id);
    free (output);
    return rc;
}

static void
test_through_hub (void)
{
    S_NEED_ENGINE ();
    if (access (ts_bin ("fogrid-hub"), X_OK) || access (ts_bin ("fogrid"), X_OK)) {
        printf ("SKIPPED: fogrid-hub or fogrid is not built ");
        return;
    }
    s_grid_t grid;
    if (s_grid_up (&grid)) {
        CU_FAIL ("the grid did not come up");
        s_grid_down (&grid);
        return;
    }
    //  A file and a directory; a path that is not there; a failing task
    char task_id [32];
    int rc = s_grid_task (&grid, "--image " S_IMAGE " --output /out/result.txt --output /out/dir "
                          "--output /out/missing -- sh -c 'mkdir -p /out/dir/sub && "
                          "echo 42 > /out/result.txt && echo a > /out/dir/a.txt && "
                          "echo b > /out/dir/sub/b.txt && dd if=/dev/zero of=/dev/null bs=64M "
                          "count=1 2>/dev/null; sleep 1; exit 3'", task_id);
    CU_ASSERT_EQUAL (rc, 3);
    char *files = zsys_sprintf ("%s/files", grid.dir), *output = NULL;
    rc = s_fogrid (&grid, &output, "result --files %s %s", files, task_id);
    CU_ASSERT_EQUAL (rc, 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "wrote    out/result.txt (3 bytes)"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "missing  out/missing: no such file or directory "
                                            "in the container"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "--- failed, exit code 3"));
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "--- usage: cpu "));
    if (rc)
        printf ("\n%s\n", output);
    zstr_free (&output);
    const char *want [][2] = {
        { "out/result.txt", "42\n" }, { "out/dir/a.txt", "a\n" }, { "out/dir/sub/b.txt", "b\n" }
    };
    for (size_t index = 0; index < 3; index++) {
        char *text = ts_read_text (files, want [index][0]);
        CU_ASSERT (text && streq (text, want [index][1]));
        free (text);
    }
    CU_ASSERT_NOT_EQUAL (ts_run (NULL, "test -e %s/out/missing", files), 0);

    //  Written once: again only with --force
    rc = s_fogrid (&grid, &output, "result --files %s %s", files, task_id);
    CU_ASSERT_EQUAL (rc, 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "out/result.txt: it exists (--force replaces it)"));
    zstr_free (&output);
    ts_run (NULL, "echo changed > %s/out/result.txt", files);
    rc = s_fogrid (&grid, &output, "result --stdout --files %s --force %s", files, task_id);
    CU_ASSERT_EQUAL (rc, 0);
    zstr_free (&output);
    char *text = ts_read_text (files, "out/result.txt");
    CU_ASSERT (text && streq (text, "42\n"));
    free (text);

    //  What it used, in its status
    rc = s_fogrid (&grid, &output, "status %s", task_id);
    CU_ASSERT_EQUAL (rc, 0);
    char *usage = output? strstr (output, "usage     cpu "): NULL;
    CU_ASSERT_PTR_NOT_NULL (usage);
    double peak_mb = 0;
    if (usage)
        sscanf (strstr (usage, "memory peak ")? strstr (usage, "memory peak "): "",
                "memory peak %lf MB", &peak_mb);
    CU_ASSERT (peak_mb > 50);
    CU_ASSERT_PTR_NOT_NULL (output? strstr (output, "outputs   /out/result.txt /out/dir "
                                                    "/out/missing"): NULL);
    zstr_free (&output);

    //  The hub refuses what could escape, at submit
    rc = s_fogrid (&grid, &output, "submit --output ../x -- true");
    CU_ASSERT_EQUAL (rc, 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "no '..' part"));
    zstr_free (&output);
    rc = s_fogrid (&grid, &output, "submit --output /etc/passwd -- cat /etc/passwd");
    CU_ASSERT_EQUAL (rc, 1);
    CU_ASSERT_PTR_NOT_NULL (strstr (output, "the process runtime copies paths relative"));
    zstr_free (&output);

    zstr_free (&files);
    s_grid_down (&grid);
}

void
test_miner_docker_add (void)
{
    CU_pSuite suite = CU_add_suite ("miner_docker", s_suite_init, s_suite_clean);
    CU_add_test (suite, "output frames, bounds and the stdout hash", test_output_frames);
    CU_add_test (suite, "the tar reader: ustar, PAX, GNU, in pieces, broken", test_tar_reader);
    CU_add_test (suite, "runtime choice: docker off, docker only", test_runtime_choice);
    CU_add_test (suite, "the API client, call by call", test_client);
    CU_add_test (suite, "a batch task: exit code, output, env", test_batch_task);
    CU_add_test (suite, "output over the bound is cut, hashed whole", test_output_bound);
    CU_add_test (suite, "output files: a file, a directory, a missing path", test_output_files);
    CU_add_test (suite, "output files over the bound: cut, left out, noted",
                 test_output_files_bound);
    CU_add_test (suite, "usage: the engine's figures, running and at the end", test_usage);
    CU_add_test (suite, "limits: memory (OOM reported), pids, network, capabilities", test_limits);
    CU_add_test (suite, "a timeout kills the container", test_timeout);
    CU_add_test (suite, "kill and destroy remove the container", test_kill);
    CU_add_test (suite, "a missing image, a missing program, a bad env", test_cannot_run);
    CU_add_test (suite, "a miner removes its own leftovers only", test_clean);
    CU_add_test (suite, "miner config: runtime process, docker, auto", test_miner_config);
    CU_add_test (suite, "the miner restarted during a task leaves no orphan", test_miner_restart);
    CU_add_test (suite, "through a hub: output files into a directory, usage in the status",
                 test_through_hub);
}
