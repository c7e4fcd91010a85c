/*  =========================================================================
    hub_watch - which connections of a ROUTER closed, as they close

    DESIGN
    libzmq 4.3 as Debian builds it has no ZMQ_ROUTER_NOTIFY (a draft
    option, refused at run time), so the close comes from the socket
    monitor: ZMQ_EVENT_DISCONNECTED, whose value is the connection's file
    descriptor, read from an inproc PAIR in the hub's own loop (no
    thread). The descriptor a message came on is its "__fd" property
    (what ZMQ_SRCFD reads), on the message's body: the routing frame has
    it only when no poll looked at the message first, so hub_watch_recv
    reads it from the body and remembers it for that routing frame (one
    per thread: the frame being handled now).

    A socket has one monitor, and on a CurveZMQ hub fg_zap's already
    counts the handshakes the socket refuses (fg_zap_watch): this one
    takes its place (libzmq stops the first) and counts them instead, for
    /metrics to add to the ZAP handler's own.

    Events are kept by the PAIR until read (a high water mark far above
    any burst of closes): a close that is dropped all the same leaves that
    miner to its silence.
    =========================================================================  */
#include "fogrid.h"
#include "hub_watch.h"

#define S_EVENTS_HWM    200000      //  closes held until the loop reads them

struct _hub_watch_t {
    zsock_t *router;            //  watched (not owned)
    zsock_t *events;            //  PAIR reading the monitor's events
    char *role;                 //  for the log: "miners"
    uint64_t refused [FG_REFUSED_REASONS];  //  failed handshakes, by reason
};

//  The routing frame last received on this thread, and its descriptor
static _Thread_local zframe_t *s_last_peer = NULL;
static _Thread_local int s_last_fd = -1;

static int
s_frame_fd (zframe_t *frame)
{
    const char *fd = frame? zframe_meta (frame, "__fd"): NULL;
    return fd && *fd? atoi (fd): -1;
}

hub_watch_t *
hub_watch_new (zsock_t *router, const char *role)
{
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "inproc://hub-watch-%p", (void *) router);
    if (zmq_socket_monitor (zsock_resolve (router), endpoint, ZMQ_EVENT_DISCONNECTED
                            | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                            | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)) {
        zsys_warning ("hub: cannot watch the miners' connections (%s): a killed miner is found "
                      "by its silence only", zmq_strerror (zmq_errno ()));
        return NULL;
    }
    hub_watch_t *self = (hub_watch_t *) zmalloc (sizeof (hub_watch_t));
    self->router = router;
    self->role = strdup (role);
    self->events = zsock_new (ZMQ_PAIR);
    zsock_set_rcvhwm (self->events, S_EVENTS_HWM);
    zsock_set_linger (self->events, 0);
    if (zsock_connect (self->events, "%s", endpoint)) {
        zsys_warning ("hub: cannot read the miners' connection events: a killed miner is found "
                      "by its silence only");
        zmq_socket_monitor (zsock_resolve (router), NULL, 0);
        zsock_destroy (&self->events);
        free (self->role);
        free (self);
        return NULL;
    }
    return self;
}

void
hub_watch_destroy (hub_watch_t **self_p)
{
    if (*self_p) {
        hub_watch_t *self = *self_p;
        zmq_socket_monitor (zsock_resolve (self->router), NULL, 0);
        zsock_destroy (&self->events);
        free (self->role);
        free (self);
        *self_p = NULL;
    }
}

int
hub_watch_next (hub_watch_t *self)
{
    if (!self)
        return -1;
    while (zsock_events (self->events) & ZMQ_POLLIN) {
        zmsg_t *msg = zmsg_recv (self->events);
        if (!msg)
            return -1;
        zframe_t *frame = zmsg_first (msg);
        int fd = -1;
        if (frame && zframe_size (frame) == 6) {
            uint16_t event;
            uint32_t value;
            memcpy (&event, zframe_data (frame), 2);
            memcpy (&value, zframe_data (frame) + 2, 4);
            int reason = -1;
            if (event == ZMQ_EVENT_DISCONNECTED)
                fd = (int) value;
            else
            if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
                reason = value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH
                       ? FG_REFUSED_PLAINTEXT: FG_REFUSED_HANDSHAKE;
            else
            if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
                reason = FG_REFUSED_HANDSHAKE;
            if (reason >= 0) {
                uint64_t count = ++self->refused [reason];
                //  A client that keeps trying would fill the log: 1, 10, 100...
                uint64_t mark = 1;
                while (mark < count && mark < UINT64_MAX / 10)
                    mark *= 10;
                if (count == mark)
                    zsys_warning ("hub: %" PRIu64 " connection%s refused on the %s socket so "
                                  "far: %s", count, count == 1? "": "s", self->role,
                                  reason == FG_REFUSED_PLAINTEXT
                                  ? "plain text (a client without CurveZMQ)"
                                  : "a handshake that failed or was broken off");
            }
        }
        zmsg_destroy (&msg);
        if (fd >= 0)
            return fd;
    }
    return -1;
}

uint64_t
hub_watch_refused (hub_watch_t *self, fg_refused_t reason)
{
    if (!self || reason < 0 || reason >= FG_REFUSED_REASONS || reason == FG_REFUSED_KEY)
        return 0;
    return self->refused [reason];     //  as of the loop's last look (each turn)
}

fg_env_t *
hub_watch_recv (zsock_t *router, zframe_t **peer_p, char *key, uint64_t *seq_p)
{
    *peer_p = NULL;
    key [0] = 0;
    *seq_p = 0;
    zmsg_t *msg = zmsg_recv (router);
    if (!msg)
        return NULL;
    *peer_p = zmsg_pop (msg);
    zframe_t *body = zmsg_first (msg);
    fg_error_t error = FG_OK;
    fg_env_t *env = NULL;
    if (zmsg_size (msg) == 1) {
        const char *user = zframe_meta (body, "User-Id");
        snprintf (key, 41, "%s", user? user: "");
        env = fg_msg_decode (zframe_data (body), zframe_size (body), &error, seq_p);
    }
    else {
        //  Not one frame: refused as fg_msg refuses (and counts) bytes that
        //  are no envelope
        static const byte s_not_envelope [1] = { 0xff };
        env = fg_msg_decode (s_not_envelope, sizeof s_not_envelope, &error, seq_p);
        assert (!env);
    }
    s_last_peer = *peer_p;
    s_last_fd = s_frame_fd (body);
    zmsg_destroy (&msg);
    if (!env && *peer_p) {
        zsys_warning ("miner socket: refused a message: %s", fg_strerror (error));
        fg_msg_send_error (router, *peer_p, *seq_p, error, "%s", fg_strerror (error));
        zframe_destroy (peer_p);
    }
    return env;
}

int
hub_watch_fd (zframe_t *frame)
{
    if (frame && frame == s_last_peer && s_last_fd >= 0)
        return s_last_fd;
    return s_frame_fd (frame);
}
