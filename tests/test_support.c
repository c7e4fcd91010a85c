/*  =========================================================================
    test_support - what the suites share
    =========================================================================  */
#include "test_support.h"
#include <stdarg.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <errno.h>
#include <unistd.h>

void
ts_add_suite (const char *name, ...)
{
    CU_pSuite suite = CU_add_suite (name, NULL, NULL);
    assert (suite);
    va_list args;
    va_start (args, name);
    const char *test_name;
    while ((test_name = va_arg (args, const char *))) {
        CU_TestFunc fn = va_arg (args, CU_TestFunc);
        CU_add_test (suite, test_name, fn);
    }
    va_end (args);
}

char *
ts_tmpdir_new (const char *tag)
{
    char *path = zsys_sprintf ("/tmp/fogrid-test-%s-XXXXXX", tag);
    if (!mkdtemp (path)) {
        zstr_free (&path);
        return NULL;
    }
    return path;
}

void
ts_tmpdir_remove (char **path_p)
{
    if (*path_p) {
        if (strncmp (*path_p, "/tmp/fogrid-test-", 17) == 0)
            ts_run (NULL, "rm -rf '%s'", *path_p);
        zstr_free (path_p);
    }
}

int
ts_free_port (void)
{
    //  Ports handed out are remembered so two calls never give the same one
    static int last = 0;
    for (int tries = 0; tries < 100; tries++) {
        int fd = socket (AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in addr = { .sin_family = AF_INET };
        addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
        addr.sin_port = 0;
        socklen_t len = sizeof addr;
        int port = 0;
        if (bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0
        &&  getsockname (fd, (struct sockaddr *) &addr, &len) == 0)
            port = ntohs (addr.sin_port);
        close (fd);
        if (port && port != last) {
            last = port;
            return port;
        }
    }
    return 0;
}

const char *
ts_bin (const char *program)
{
    static char path [1024];
    const char *dir = getenv ("FOGRID_BIN_DIR");
    snprintf (path, sizeof path, "%s/%s", dir? dir: "./bin", program);
    return path;
}

ts_proc_t *
ts_proc_start (const char *logdir, const char *name, const char *program, ...)
{
    const char *argv [64];
    int argc = 0;
    char path [1024];
    snprintf (path, sizeof path, "%s", ts_bin (program));
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
    snprintf (self->log, sizeof self->log, "%s/%s.log", logdir, name);
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
        execv (path, (char **) argv);
        fprintf (stderr, "cannot exec %s\n", path);
        _exit (127);
    }
    return self;
}

bool
ts_proc_alive (ts_proc_t *self)
{
    return self && self->pid > 0 && waitpid (self->pid, NULL, WNOHANG) == 0;
}

static int
s_reap (pid_t pid, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    int status = 0;
    while (zclock_mono () < deadline) {
        pid_t rc = waitpid (pid, &status, WNOHANG);
        if (rc == pid)
            return WIFEXITED (status)? WEXITSTATUS (status): -1;
        if (rc < 0)
            return -1;
        zclock_sleep (20);
    }
    return -2;
}

int
ts_proc_stop (ts_proc_t **self_p, int timeout_ms)
{
    int rc = -1;
    if (*self_p) {
        ts_proc_t *self = *self_p;
        kill (self->pid, SIGTERM);
        rc = s_reap (self->pid, timeout_ms);
        if (rc == -2) {
            fprintf (stderr, "%s did not stop in %d ms, killing it\n", self->name, timeout_ms);
            kill (self->pid, SIGKILL);
            s_reap (self->pid, 5000);
            rc = -1;
        }
        free (self);
        *self_p = NULL;
    }
    return rc;
}

void
ts_proc_kill (ts_proc_t **self_p)
{
    if (*self_p) {
        kill ((*self_p)->pid, SIGKILL);
        s_reap ((*self_p)->pid, 5000);
        free (*self_p);
        *self_p = NULL;
    }
}

void
ts_proc_dump_log (ts_proc_t *self)
{
    if (self)
        ts_run (NULL, "echo '--- %s:' >&2; tail -n 30 '%s' >&2", self->name, self->log);
}

int
ts_run (char **output, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *command = zsys_vprintf (format, args);
    va_end (args);
    char *full = zsys_sprintf ("(%s) </dev/null 2>&1", command);
    fflush (NULL);
    FILE *pipe = popen (output? full: command, "r");
    zstr_free (&full);
    zstr_free (&command);
    if (!pipe)
        return -1;
    size_t size = 0, cap = 4096;
    char *buffer = (char *) zmalloc (cap);
    size_t got;
    while ((got = fread (buffer + size, 1, cap - size - 1, pipe)) > 0) {
        size += got;
        if (cap - size < 1024) {
            cap *= 2;
            buffer = (char *) realloc (buffer, cap);
        }
    }
    buffer [size] = 0;
    int status = pclose (pipe);
    if (output)
        *output = buffer;
    else
        free (buffer);
    return WIFEXITED (status)? WEXITSTATUS (status): -1;
}

bool
ts_wait_for (bool (*cond) (void *), void *arg, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        if (cond (arg))
            return true;
        zclock_sleep (50);
    }
    return cond (arg);
}

fg_env_t *
ts_call (zsock_t *sock, fg_env_t *request)
{
    CU_ASSERT_EQUAL (fg_msg_send (sock, NULL, request), 0);
    while (true) {
        fg_error_t error;
        fg_env_t *reply = fg_msg_recv (sock, NULL, &error, NULL);
        if (!reply)
            return NULL;
        if (reply->seq == request->seq)
            return reply;
        fg_msg_free (&reply);
    }
}

Fogrid__OutputFile *
ts_output_file (Fogrid__TaskResult *result, const char *path)
{
    for (size_t index = 0; index < result->n_files; index++)
        if (streq (result->files [index]->path, path))
            return result->files [index];
    printf ("\n    no output file %s among %zu ", path, result->n_files);
    return NULL;
}

bool
ts_output_is (Fogrid__OutputFile *file, const char *text)
{
    return file && file->content.len == strlen (text)
        && memcmp (file->content.data, text, file->content.len) == 0;
}

char *
ts_read_text (const char *dir, const char *path)
{
    char *name = zsys_sprintf ("%s/%s", dir, path);
    char *text = NULL;
    FILE *file = fopen (name, "r");
    if (file) {
        text = (char *) zmalloc (65536);
        size_t got = fread (text, 1, 65535, file);
        text [got] = 0;
        fclose (file);
    }
    zstr_free (&name);
    return text;
}

bool
ts_zmtp_greet (int port, const char *mechanism)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port),
                                .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    bool closed = false;
    if (connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0) {
        //  Signature, version 3.0, mechanism (20 bytes), as-server, filler
        byte greeting [64] = { 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0 };
        memcpy (greeting + 12, mechanism, strlen (mechanism) < 20? strlen (mechanism): 20);
        if (write (fd, greeting, sizeof greeting) == (ssize_t) sizeof greeting) {
            struct timeval timeout = { .tv_sec = 2 };
            setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
            byte buffer [256];
            ssize_t got;
            while ((got = read (fd, buffer, sizeof buffer)) > 0)
                ;
            closed = got == 0 || (got < 0 && errno == ECONNRESET);
        }
    }
    close (fd);
    return closed;
}

char *
ts_task_id (int rc, char *output, const char *what)
{
    if (rc != 0 || !output || strncmp (output, "t-", 2) != 0) {
        fprintf (stderr, "%s failed (%d): %s\n", what, rc, output? output: "");
        free (output);
        return NULL;
    }
    output [strcspn (output, "\n")] = 0;
    return output;
}
