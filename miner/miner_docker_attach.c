/*  =========================================================================
    miner_docker_attach - the live output stream of one container

    DESIGN
    Attach uses an easy handle and multi of its own, beside the client's
    (miner_docker.h), as the stream stays open while the client makes other
    calls (start, kill). The engine answers an attach without "Upgrade"
    with a plain 200 and then the raw stream, until it closes the
    connection when the container's output ends. The bytes go to the
    caller's miner_docker_output_t.

        miner_docker_output_t *output = miner_docker_output_new (1 << 20);
        miner_docker_attach_t *attach = miner_docker_attach_new (docker, id, output);
        miner_docker_start (docker, id);
        while (miner_docker_attach_pump (attach, -1, 1000) == 1) ;
        miner_docker_attach_destroy (&attach);
    =========================================================================  */
#include "fogrid.h"
#include "miner_docker.h"
#include "miner_docker_attach.h"
#include <curl/curl.h>

#define S_TICK_MS               100

struct _miner_docker_attach_t {
    CURL *curl;                 //  the stream's own handle
    CURLM *multi;               //  and multi
    miner_docker_output_t *output;  //  where the bytes go (the caller's)
    bool headers_done;          //  the engine answered
    bool ended;                 //  the transfer is over
    CURLcode result;            //  how it ended
    long status;                //  HTTP status of the answer
    char curl_error [CURL_ERROR_SIZE];
    char error [512];           //  why it broke
};

static size_t
s_attach_on_body (char *data, size_t size, size_t count, void *arg)
{
    miner_docker_attach_t *self = (miner_docker_attach_t *) arg;
    if (self->status / 100 == 2)
        miner_docker_output_feed (self->output, (const byte *) data, size * count);
    return size * count;
}

static size_t
s_attach_on_header (char *data, size_t size, size_t count, void *arg)
{
    miner_docker_attach_t *self = (miner_docker_attach_t *) arg;
    curl_easy_getinfo (self->curl, CURLINFO_RESPONSE_CODE, &self->status);
    if (size * count <= 2 && (data [0] == '\r' || data [0] == '\n'))
        self->headers_done = true;
    return size * count;
}

//  Runs the transfer for up to timeout_ms; fd wakes it early.
static void
s_attach_step (miner_docker_attach_t *self, int fd, int timeout_ms)
{
    int running = 0;
    curl_multi_perform (self->multi, &running);
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read (self->multi, &left)))
        if (msg->msg == CURLMSG_DONE) {
            self->result = msg->data.result;
            self->ended = true;
        }
    if (self->ended || timeout_ms <= 0)
        return;
    struct curl_waitfd extra = { fd, CURL_WAIT_POLLIN, 0 };
    curl_multi_wait (self->multi, fd >= 0? &extra: NULL, fd >= 0? 1: 0, timeout_ms, NULL);
    curl_multi_perform (self->multi, &running);
    while ((msg = curl_multi_info_read (self->multi, &left)))
        if (msg->msg == CURLMSG_DONE) {
            self->result = msg->data.result;
            self->ended = true;
        }
}

miner_docker_attach_t *
miner_docker_attach_new (miner_docker_t *docker, const char *id, miner_docker_output_t *output)
{
    if (!miner_docker_id_valid (docker, id))
        return NULL;
    miner_docker_attach_t *self = (miner_docker_attach_t *) zmalloc (sizeof (miner_docker_attach_t));
    self->output = output;
    self->curl = curl_easy_init ();
    self->multi = curl_multi_init ();
    if (!self->curl || !self->multi) {
        miner_docker_set_error (docker, "attach: cannot make a curl handle");
        miner_docker_attach_destroy (&self);
        return NULL;
    }
    char url [256];
    snprintf (url, sizeof url, "http://docker/containers/%s/attach?stream=1&stdout=1&stderr=1", id);
    CURL *curl = self->curl;
    curl_easy_setopt (curl, CURLOPT_UNIX_SOCKET_PATH, miner_docker_socket (docker));
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_POST, 1L);
    curl_easy_setopt (curl, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE, 0L);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_attach_on_body);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, self);
    curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, s_attach_on_header);
    curl_easy_setopt (curl, CURLOPT_HEADERDATA, self);
    curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, self->curl_error);
    curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT_MS, (long) miner_docker_timeout_ms (docker));
    //  No CURLOPT_TIMEOUT: the stream lasts as long as the task
    curl_multi_add_handle (self->multi, curl);

    int64_t give_up = zclock_mono () + miner_docker_timeout_ms (docker);
    while (!self->headers_done && !self->ended && zclock_mono () < give_up)
        s_attach_step (self, -1, S_TICK_MS);
    if (!self->headers_done || self->status / 100 != 2) {
        if (self->ended && self->result != CURLE_OK)
            miner_docker_set_error (docker, "attach: cannot reach the Docker engine at %s: %s",
                                    miner_docker_socket (docker), *self->curl_error?
                                    self->curl_error: curl_easy_strerror (self->result));
        else
        if (!self->headers_done)
            miner_docker_set_error (docker, "attach: no answer in time");
        else
            miner_docker_set_error (docker, "attach: the engine answered HTTP %ld",
                                    self->status);
        miner_docker_attach_destroy (&self);
        return NULL;
    }
    return self;
}

void
miner_docker_attach_destroy (miner_docker_attach_t **self_p)
{
    if (*self_p) {
        miner_docker_attach_t *self = *self_p;
        if (self->multi && self->curl)
            curl_multi_remove_handle (self->multi, self->curl);
        if (self->multi)
            curl_multi_cleanup (self->multi);
        if (self->curl)
            curl_easy_cleanup (self->curl);
        free (self);
        *self_p = NULL;
    }
}

int
miner_docker_attach_pump (miner_docker_attach_t *self, int fd, int timeout_ms)
{
    if (!self->ended)
        s_attach_step (self, fd, timeout_ms);
    if (!self->ended)
        return 1;
    if (self->result == CURLE_OK)
        return 0;
    if (!*self->error)
        snprintf (self->error, sizeof self->error, "the output stream broke: %s",
                  *self->curl_error? self->curl_error: curl_easy_strerror (self->result));
    return -1;
}

const char *
miner_docker_attach_error (miner_docker_attach_t *self)
{
    return self->error;
}
